//! The baseline: findings that existed when it was recorded, so a gate can fail only on new ones.
//!
//! File format (`.retry-audit-baseline.toml`, sorted by path, rule, symbol, fingerprint; one table per
//! distinct fingerprint, so a diff shows exactly which findings came and went):
//!
//! ```toml
//! version = 1
//!
//! [[finding]]
//! rule = "RTY003"
//! path = "app/db/client.py"
//! symbol = "app.db.client.ClickHouseClient.connect"
//! fingerprint = "d1913eeb4de8f22a"
//! count = 1
//! ```
//!
//! Matching is in two passes. First by fingerprint (rule + path + enclosing symbol + normalized structure),
//! which survives lines inserted above, the code moving within its file and reformatting; `count` says how
//! many findings share a fingerprint, so a second identical finding is new. Then entries left over are
//! matched by (rule, path, symbol): a finding whose structure changed a little inside the same function is
//! still the old finding, as long as the function does not now hold more findings of that rule than the
//! baseline recorded. Entries left after both passes are fixed.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

pub const VERSION: u32 = 1;
pub const DEFAULT_FILE: &str = ".retry-audit-baseline.toml";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub rule: String,
    pub symbol: String,
    pub fingerprint: String,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    #[serde(default, rename = "finding")]
    pub entries: Vec<Entry>,
}

impl Baseline {
    /// A baseline recording `findings` (callers pass the ones that would otherwise fail: not canonical,
    /// not suppressed).
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let mut counts: BTreeMap<(String, String, String, String), u32> = BTreeMap::new();
        for f in findings {
            *counts
                .entry((f.path.clone(), f.rule.to_string(), f.symbol.clone(), f.fingerprint.clone()))
                .or_default() += 1;
        }
        let entries = counts
            .into_iter()
            .map(|((path, rule, symbol, fingerprint), count)| Entry { path, rule, symbol, fingerprint, count })
            .collect();
        Baseline { version: VERSION, entries }
    }

    /// Parse a baseline; errors name the file, the line and the offending key.
    pub fn parse(file: &str, text: &str) -> Result<Baseline, String> {
        let b: Baseline = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count());
            match line {
                Some(l) => format!("{file}: line {l}: {}", e.message().trim_end()),
                None => format!("{file}: {}", e.message().trim_end()),
            }
        })?;
        if b.version != VERSION {
            let line = text.lines().position(|l| l.trim_start().starts_with("version")).map(|i| i + 1).unwrap_or(1);
            return Err(format!(
                "{file}: line {line}: version: unsupported baseline version {} (expected {VERSION})",
                b.version
            ));
        }
        // The same finding recorded twice (a union merge, two branches re-recording) would be summed into
        // extra allowance: a second identical finding would pass the gate. Refuse it, naming both places.
        let headers: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("[[finding]]"))
            .map(|(i, _)| i + 1)
            .collect();
        let mut first: HashMap<(&str, &str, &str, &str), usize> = HashMap::new();
        for (i, e) in b.entries.iter().enumerate() {
            let key = (e.path.as_str(), e.rule.as_str(), e.symbol.as_str(), e.fingerprint.as_str());
            if let Some(&j) = first.get(&key) {
                let line = |k: usize| headers.get(k).copied().unwrap_or(0);
                return Err(format!(
                    "{file}: line {}: finding: duplicate entry for {} {} {} (fingerprint {}), first at line {}; \
                     remove one (re-record with `retry-audit baseline --write`)",
                    line(i),
                    e.rule,
                    e.path,
                    e.symbol,
                    e.fingerprint,
                    line(j)
                ));
            }
            first.insert(key, i);
        }
        Ok(b.normalized())
    }

    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text =
            crate::read::read_text(path).map_err(|e| format!("{}: cannot read baseline: {e}", path.display()))?;
        Baseline::parse(&path.display().to_string(), &text)
    }

    /// Sorted, duplicates merged, zero counts dropped.
    pub fn normalized(self) -> Baseline {
        let mut counts: BTreeMap<(String, String, String, String), u32> = BTreeMap::new();
        for e in self.entries {
            *counts.entry((e.path, e.rule, e.symbol, e.fingerprint)).or_default() += e.count;
        }
        let entries = counts
            .into_iter()
            .filter(|(_, c)| *c > 0)
            .map(|((path, rule, symbol, fingerprint), count)| Entry { path, rule, symbol, fingerprint, count })
            .collect();
        Baseline { version: self.version, entries }
    }

    pub fn total(&self) -> u32 {
        self.entries.iter().map(|e| e.count).sum()
    }

    /// The file text: a header comment, the version, one `[[finding]]` table per entry.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        s.push_str("# retry-audit baseline: retry findings that existed when it was recorded.\n");
        s.push_str("# `retry-audit check` fails only on findings not listed here. Shrink it with\n");
        s.push_str("# `retry-audit baseline --prune`; re-record with `retry-audit baseline --write`.\n");
        s.push_str(&format!("version = {}\n", self.version));
        for e in &self.entries {
            s.push_str("\n[[finding]]\n");
            s.push_str(&format!("path = {}\n", quote(&e.path)));
            s.push_str(&format!("rule = {}\n", quote(&e.rule)));
            s.push_str(&format!("symbol = {}\n", quote(&e.symbol)));
            s.push_str(&format!("fingerprint = {}\n", quote(&e.fingerprint)));
            s.push_str(&format!("count = {}\n", e.count));
        }
        s
    }

    /// Match `findings` against the baseline. `scope` limits which baseline entries can be reported as
    /// fixed (the paths that were actually checked); `None` means every entry is in scope.
    pub fn match_findings(&self, findings: &[&Finding], scope: Option<&HashSet<String>>) -> Matched {
        let mut remaining: Vec<u32> = self.entries.iter().map(|e| e.count).collect();
        let mut by_fp: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_site: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            by_fp.entry(e.fingerprint.as_str()).or_default().push(i);
            by_site.entry((e.rule.as_str(), e.path.as_str(), e.symbol.as_str())).or_default().push(i);
        }
        let mut state = vec![MatchKind::New; findings.len()];
        for (fi, f) in findings.iter().enumerate() {
            if let Some(ix) = by_fp.get(f.fingerprint.as_str()) {
                if let Some(&i) = ix.iter().find(|&&i| remaining[i] > 0 && self.entries[i].path == f.path) {
                    remaining[i] -= 1;
                    state[fi] = MatchKind::Exact;
                }
            }
        }
        for (fi, f) in findings.iter().enumerate() {
            if state[fi] != MatchKind::New {
                continue;
            }
            if let Some(ix) = by_site.get(&(f.rule, f.path.as_str(), f.symbol.as_str())) {
                if let Some(&i) = ix.iter().find(|&&i| remaining[i] > 0) {
                    remaining[i] -= 1;
                    state[fi] = MatchKind::Changed;
                }
            }
        }
        let fixed = self
            .entries
            .iter()
            .zip(&remaining)
            .filter(|(e, r)| **r > 0 && scope.is_none_or(|s| s.contains(&e.path)))
            .map(|(e, r)| Entry { count: *r, ..e.clone() })
            .collect();
        Matched { state, fixed }
    }

    /// The baseline without `fixed` (counts decremented); never adds anything.
    pub fn pruned(&self, fixed: &[Entry]) -> Baseline {
        let mut drop: HashMap<(&str, &str), u32> = HashMap::new();
        for e in fixed {
            *drop.entry((e.path.as_str(), e.fingerprint.as_str())).or_default() += e.count;
        }
        let entries = self
            .entries
            .iter()
            .filter_map(|e| {
                let d = drop.get_mut(&(e.path.as_str(), e.fingerprint.as_str())).map(std::mem::take).unwrap_or(0);
                let count = e.count.saturating_sub(d);
                (count > 0).then(|| Entry { count, ..e.clone() })
            })
            .collect();
        Baseline { version: VERSION, entries }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// Not in the baseline.
    New,
    /// Same fingerprint.
    Exact,
    /// Same rule, path and symbol; the structure changed.
    Changed,
}

#[derive(Debug, Clone)]
pub struct Matched {
    /// Per input finding.
    pub state: Vec<MatchKind>,
    /// Baseline entries (with the unmatched count) that no finding matched.
    pub fixed: Vec<Entry>,
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let b = Baseline {
            version: 1,
            entries: vec![Entry {
                path: "a \"q\".py".into(),
                rule: "RTY003".into(),
                symbol: "a.f".into(),
                fingerprint: "00ff".into(),
                count: 2,
            }],
        };
        assert_eq!(Baseline::parse("b.toml", &b.to_toml()).unwrap(), b);
        let err = Baseline::parse(
            "b.toml",
            "version = 1\n[[finding]]\npath='a'\nrule='R'\nsymbol='s'\nfingerprint='f'\nbogus=1\n",
        )
        .unwrap_err();
        assert!(err.starts_with("b.toml: line 7") && err.contains("bogus"), "{err}");
        let err = Baseline::parse("b.toml", "version = 7\n").unwrap_err();
        assert!(err.contains("line 1") && err.contains("version"), "{err}");
    }

    #[test]
    fn duplicate_entries_are_refused_not_summed() {
        let entry =
            "[[finding]]\npath = \"a.py\"\nrule = \"RTY003\"\nsymbol = \"a.f\"\nfingerprint = \"00ff\"\ncount = 1\n";
        let text = format!("version = 1\n\n{entry}\n{entry}");
        let err = Baseline::parse("b.toml", &text).unwrap_err();
        assert_eq!(
            err,
            "b.toml: line 10: finding: duplicate entry for RTY003 a.py a.f (fingerprint 00ff), first at line 3; \
             remove one (re-record with `retry-audit baseline --write`)"
        );
    }
}
