//! In-source suppressions: `# retry-audit: ignore[RTY001, RTY003] -- reason` or `# retry-audit: ignore`.
//!
//! A suppression applies to a finding whose first line carries the comment (a trailing comment), or whose
//! line directly below an own-line comment (the comment sits alone on the line above). The codes in brackets
//! are rule codes (`RTY003`) or kind names (`sleep_loop`); without brackets every rule is suppressed. Text
//! after `--` is the reason, kept for reports (SARIF `justification`).
//!
//! `apply` pairs findings with suppressions and reports every suppression (or code inside one) that matched
//! nothing, like ruff's RUF100: stale suppressions hide the next real problem on that line.

use crate::finding::Finding;
use serde::Serialize;

/// The marker every suppression comment carries.
pub const MARKER: &str = "retry-audit:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub path: String,
    /// 1-based line of the comment.
    pub line: u32,
    /// 1-based character column of the `#`.
    pub column: u32,
    /// Byte range of the comment in the decoded text (for snippets).
    pub start: u32,
    pub end: u32,
    /// Codes in brackets, as written (upper-cased for rule codes); empty means every rule.
    pub codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The comment is alone on its line (so it also covers the next line).
    pub own_line: bool,
    /// Set when the comment mentions `retry-audit:` but is not a valid directive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed: Option<String>,
}

impl Suppression {
    /// Does this suppression cover `finding` (by line and code)?
    pub fn covers(&self, finding: &Finding) -> bool {
        self.malformed.is_none()
            && self.covers_line(finding.line)
            && (self.codes.is_empty() || self.codes.iter().any(|c| code_matches(c, finding)))
    }

    fn covers_line(&self, line: u32) -> bool {
        line == self.line || (self.own_line && line == self.line + 1)
    }
}

/// A code written in a suppression matches a finding's rule code (case-insensitive) or its kind name.
pub fn code_matches(code: &str, finding: &Finding) -> bool {
    code.eq_ignore_ascii_case(finding.rule) || code.eq_ignore_ascii_case(finding.kind.as_str())
}

/// Is `code` something a suppression may name (a registered rule code or a kind)?
pub fn is_known_code(code: &str) -> bool {
    crate::detect::rules::by_code(code).is_some() || code.eq_ignore_ascii_case("policy_drift")
}

/// Find every suppression comment in a decoded file.
pub fn collect(path: &str, text: &str) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let lines = crate::read::LineIndex::new(text);
    let mut out = Vec::new();
    for (start, end) in comments(text) {
        let comment = &text[start..end];
        let Some(pos) = comment.find(MARKER) else {
            continue;
        };
        let line = lines.line(start as u32);
        let line_start = lines.line_start(line) as usize;
        let own_line = text[line_start..start].trim().is_empty();
        let column = text[line_start..start].chars().count() as u32 + 1;
        let mut s = Suppression {
            path: path.to_string(),
            line,
            column,
            start: start as u32,
            end: end as u32,
            codes: Vec::new(),
            reason: None,
            own_line,
            malformed: None,
        };
        match parse_directive(&comment[pos + MARKER.len()..]) {
            Ok((codes, reason)) => {
                s.codes = codes;
                s.reason = reason;
            }
            Err(msg) => s.malformed = Some(msg),
        }
        out.push(s);
    }
    out
}

/// Parse what follows `retry-audit:`: ` ignore[CODE, CODE] -- reason`.
fn parse_directive(rest: &str) -> Result<(Vec<String>, Option<String>), String> {
    let rest = rest.trim_start();
    let Some(after) = rest.strip_prefix("ignore") else {
        return Err(format!("expected `ignore` or `ignore[CODE, ...]` after `{MARKER}`"));
    };
    let (codes, tail) = if let Some(inner) = after.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err("unclosed `[` in suppression".into());
        };
        let codes: Vec<String> = inner[..close]
            .split(',')
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .map(|c| if c.to_ascii_uppercase().starts_with("RTY") { c.to_ascii_uppercase() } else { c.to_string() })
            .collect();
        if codes.is_empty() {
            return Err("empty code list in suppression (write `ignore` to suppress every rule)".into());
        }
        (codes, &inner[close + 1..])
    } else {
        (Vec::new(), after)
    };
    let tail = tail.trim();
    let reason = if tail.is_empty() {
        None
    } else if let Some(r) = tail.strip_prefix("--") {
        Some(r.trim().to_string()).filter(|r| !r.is_empty())
    } else if tail.starts_with('#') {
        // Another tool's comment follows (`# retry-audit: ignore  # noqa: E501`).
        None
    } else {
        return Err(format!("unexpected text {tail:?} after the suppression (write `-- reason`)"));
    };
    Ok((codes, reason))
}

/// Byte ranges of the comments in Python source: `#` to end of line, outside string literals.
/// A small lexer of its own (string prefixes, triple quotes, escapes, line continuations), so that
/// suppressions are found even in files the parser rejects.
pub fn comments(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                let end = memchr::memchr(b'\n', &b[i..]).map(|n| i + n).unwrap_or(b.len());
                let end = if end > i && b[end - 1] == b'\r' { end - 1 } else { end };
                out.push((i, end));
                i = end;
            }
            q @ (b'\'' | b'"') => {
                // Raw strings keep backslashes literally but still cannot end on an escaped quote.
                let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
                i = if triple { skip_triple(b, i + 3, q) } else { skip_single(b, i + 1, q) };
            }
            _ => i += 1,
        }
    }
    out
}

fn skip_triple(b: &[u8], mut i: usize, q: u8) -> usize {
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
        } else if b[i] == q && b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
            return i + 3;
        } else {
            i += 1;
        }
    }
    b.len()
}

fn skip_single(b: &[u8], mut i: usize, q: u8) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\n' => return i, // unterminated: a syntax error, stop at the line end
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A suppression (or one code inside it) that suppressed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unused {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub start: u32,
    pub end: u32,
    /// The unused codes; empty when a bare `ignore` matched nothing.
    pub codes: Vec<String>,
    /// Codes that name no rule at all.
    pub unknown: Vec<String>,
    /// Why the directive could not be read, for malformed ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed: Option<String>,
}

impl Unused {
    pub fn message(&self) -> String {
        if let Some(m) = &self.malformed {
            return format!("malformed suppression: {m}");
        }
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            parts.push(format!(
                "unknown code{} {}",
                if self.unknown.len() > 1 { "s" } else { "" },
                self.unknown.join(", ")
            ));
        }
        let unused: Vec<&String> = self.codes.iter().filter(|c| !self.unknown.contains(c)).collect();
        if !unused.is_empty() {
            parts.push(format!("unused: {}", unused.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")));
        }
        if parts.is_empty() {
            "unused suppression: no finding on this line or the next".to_string()
        } else {
            format!("unused suppression ({})", parts.join("; "))
        }
    }
}

/// Result of pairing findings with suppressions.
#[derive(Debug, Default)]
pub struct Applied {
    /// For each finding (same order as the input), the index of the suppression that covers it.
    pub suppressed_by: Vec<Option<usize>>,
    pub unused: Vec<Unused>,
}

/// Pair `findings` with `suppressions` (both of any files; matched by path). Canonical findings are never
/// suppressed (they never fail anything), so a suppression that only covers one counts as unused.
pub fn apply(findings: &[&Finding], suppressions: &[Suppression]) -> Applied {
    use std::collections::HashMap;
    let mut by_path: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in suppressions.iter().enumerate() {
        by_path.entry(s.path.as_str()).or_default().push(i);
    }
    // used[i][k] = code k of suppression i matched something; used_all[i] = bare ignore matched.
    let mut used: Vec<Vec<bool>> = suppressions.iter().map(|s| vec![false; s.codes.len()]).collect();
    let mut used_all = vec![false; suppressions.len()];
    let mut suppressed_by = Vec::with_capacity(findings.len());
    for f in findings {
        let mut hit = None;
        if f.plan.status != crate::finding::PlanStatus::Canonical {
            for &i in by_path.get(f.path.as_str()).map(|v| v.as_slice()).unwrap_or(&[]) {
                let s = &suppressions[i];
                if s.malformed.is_some() || !s.covers_line(f.line) {
                    continue;
                }
                if s.codes.is_empty() {
                    used_all[i] = true;
                    hit.get_or_insert(i);
                } else {
                    for (k, c) in s.codes.iter().enumerate() {
                        if code_matches(c, f) {
                            used[i][k] = true;
                            hit.get_or_insert(i);
                        }
                    }
                }
            }
        }
        suppressed_by.push(hit);
    }
    let mut unused = Vec::new();
    for (i, s) in suppressions.iter().enumerate() {
        let base = Unused {
            path: s.path.clone(),
            line: s.line,
            column: s.column,
            start: s.start,
            end: s.end,
            codes: vec![],
            unknown: vec![],
            malformed: s.malformed.clone(),
        };
        if s.malformed.is_some() {
            unused.push(base);
            continue;
        }
        if s.codes.is_empty() {
            if !used_all[i] {
                unused.push(base);
            }
            continue;
        }
        let codes: Vec<String> = s.codes.iter().zip(&used[i]).filter(|(_, u)| !**u).map(|(c, _)| c.clone()).collect();
        if !codes.is_empty() {
            let unknown = codes.iter().filter(|c| !is_known_code(c)).cloned().collect();
            unused.push(Unused { codes, unknown, ..base });
        }
    }
    Applied { suppressed_by, unused }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let src = "x = '# not'  # yes\ns = \"\"\"\n# in docstring\n\"\"\"\ny = 1 # retry-audit: ignore[rty003, sleep_loop] -- flaky\n";
        let c: Vec<&str> = comments(src).into_iter().map(|(a, b)| &src[a..b]).collect();
        assert_eq!(c, vec!["# yes", "# retry-audit: ignore[rty003, sleep_loop] -- flaky"]);
        let s = collect("a.py", src);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].line, 5);
        assert_eq!(s[0].codes, vec!["RTY003", "sleep_loop"]);
        assert_eq!(s[0].reason.as_deref(), Some("flaky"));
        assert!(!s[0].own_line);
    }

    #[test]
    fn bare_and_malformed() {
        let src = "    # retry-audit: ignore\n# retry-audit: ignor\n# retry-audit: ignore[RTY001] because\n";
        let s = collect("a.py", src);
        assert!(s[0].codes.is_empty() && s[0].own_line && s[0].malformed.is_none());
        assert_eq!(s[0].column, 5);
        assert!(s[1].malformed.is_some());
        assert!(s[2].malformed.is_some());
    }
}
