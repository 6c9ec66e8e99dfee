//! The gate's model: what `check` decides for every finding (its status against suppressions, selection and
//! baseline) and the notes every renderer shows with it. Below the commands: `cmd::check` builds it, the
//! renderers in `report/` read it; neither renderer nor model imports a command.

use crate::config::Selection;
use crate::project_scan::ProjectScan;
use retry_audit_scan::baseline::{Baseline, Entry, MatchKind};
use retry_audit_scan::finding::{Finding, Kind, PlanStatus};
use retry_audit_scan::suppress::{self, Unused};
use retry_audit_scan::RuleData;
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;

/// RTY100 is not a detection rule (it reports comments, not code), so it is documented here, where `rules`
/// and the SARIF rule list both read it.
pub const UNUSED_SUPPRESSION_KIND: &str = "unused_suppression";
pub const UNUSED_SUPPRESSION_SUMMARY: &str = "A `# retry-audit: ignore` comment that suppresses nothing.";
pub const UNUSED_SUPPRESSION_DOC: &str = "\
A `# retry-audit: ignore[...]` comment, or a code inside one, that matched no finding on its own line or, for a
comment on a line of its own, the next line; also a suppression naming an unknown code, and a malformed one.
A stale suppression hides the next real problem written there.

`check` always lists them (text, JSON, SARIF, GitHub, JUnit). They fail the gate only when RTY100 is selected
(`--select RTY100`, or `select = [\"RTY100\"]` / `[\"ALL\"]` in the config); otherwise they are warnings.

Fix: remove the comment, or the unused codes from it.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    New,
    Baselined,
    Suppressed,
    Ignored,
    NotSelected,
    Canonical,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Baselined => "baselined",
            Status::Suppressed => "suppressed",
            Status::Ignored => "ignored",
            Status::NotSelected => "not_selected",
            Status::Canonical => "canonical",
        }
    }
}

pub struct Item<'a> {
    pub finding: &'a Finding,
    pub status: Status,
    /// The suppression's `-- reason`, for suppressed findings.
    pub reason: Option<String>,
    /// Baselined, but its structure changed since the baseline was recorded.
    pub changed: bool,
}

/// Everything a renderer needs.
pub struct CheckReport<'a> {
    pub scan: &'a ProjectScan,
    pub data: &'a RuleData,
    pub items: Vec<Item<'a>>,
    pub fixed: Vec<Entry>,
    pub unused: Vec<Unused>,
    /// Unused suppressions fail the gate (RTY100 selected).
    pub unused_fail: bool,
    /// Files the scan could not read, decode or parse (its diagnostics) fail the gate: their findings are not
    /// known, and a gate never passes what it could not read. Off with `--allow-parse-errors`.
    pub input_errors_fail: bool,
    pub baseline_file: Option<PathBuf>,
}

impl CheckReport<'_> {
    pub fn new_items(&self) -> impl Iterator<Item = &Item<'_>> {
        self.items.iter().filter(|i| i.status == Status::New)
    }
    pub fn count(&self, s: Status) -> usize {
        self.items.iter().filter(|i| i.status == s).count()
    }
    pub fn fails(&self) -> bool {
        self.count(Status::New) > 0
            || (self.unused_fail && !self.unused.is_empty())
            || (self.input_errors_fail && self.input_errors() > 0)
    }
    /// The files that could not be analysed (one diagnostic each; a pyproject's problems are not among them:
    /// every source file was still analysed).
    pub fn input_errors(&self) -> usize {
        self.scan.result.diagnostics.iter().filter(|d| d.kind.is_input_error()).count()
    }
    /// How a diagnostic is reported: an error when it fails the gate, else a warning.
    pub fn level_of(&self, d: &retry_audit_scan::diagnostic::Diagnostic) -> &'static str {
        if self.input_errors_fail && d.kind.is_input_error() {
            "error"
        } else {
            "warning"
        }
    }
    pub fn summary_json(&self) -> serde_json::Value {
        json!({
            "files_checked": self.scan.result.files_scanned,
            "new": self.count(Status::New),
            "baselined": self.count(Status::Baselined),
            "suppressed": self.count(Status::Suppressed),
            "ignored": self.count(Status::Ignored),
            "not_selected": self.count(Status::NotSelected),
            "canonical": self.count(Status::Canonical),
            "fixed": self.fixed.iter().map(|e| e.count as usize).sum::<usize>(),
            "unused_suppressions": self.unused.len(),
            "input_errors": self.input_errors(),
            "failed": self.fails(),
        })
    }

    /// A one-line summary for text output.
    pub fn summary_line(&self) -> String {
        let new = self.count(Status::New);
        let mut parts = vec![
            format!("{} file{} checked", self.scan.result.files_scanned, plural(self.scan.result.files_scanned)),
            format!("{new} new retry finding{}", plural(new)),
        ];
        for (s, label) in
            [(Status::Baselined, "baselined"), (Status::Suppressed, "suppressed"), (Status::Ignored, "ignored")]
        {
            let n = self.count(s);
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        let fixed: u32 = self.fixed.iter().map(|e| e.count).sum();
        if fixed > 0 {
            parts.push(format!("{fixed} fixed"));
        }
        if !self.unused.is_empty() {
            parts.push(format!("{} unused suppression{}", self.unused.len(), plural(self.unused.len())));
        }
        let unread = self.input_errors();
        if unread > 0 {
            parts.push(format!("{unread} file{} not analysed (see the diagnostics)", plural(unread)));
        }
        format!("retry-audit: {}", parts.join(", "))
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Evaluate every finding of a project scan against suppressions, selection and baseline.
pub fn evaluate<'a>(
    scan: &'a ProjectScan,
    data: &'a RuleData,
    sel: &Selection,
    baseline: Option<&Baseline>,
) -> CheckReport<'a> {
    let findings: Vec<&Finding> = scan.result.findings.iter().collect();
    let applied = suppress::apply(&findings, &scan.result.suppressions);
    let mut items: Vec<Item> = findings
        .iter()
        .zip(&applied.suppressed_by)
        .map(|(f, sup)| {
            let (status, reason) = if f.plan.status == PlanStatus::Canonical {
                (Status::Canonical, None)
            } else if let Some(i) = sup {
                (Status::Suppressed, scan.result.suppressions[*i].reason.clone())
            } else {
                (Status::New, None)
            };
            Item { finding: f, status, reason, changed: false }
        })
        .collect();
    // Baseline: every finding that is neither canonical nor suppressed (what `baseline` records).
    let candidates: Vec<usize> = (0..items.len()).filter(|&i| items[i].status == Status::New).collect();
    let mut fixed = Vec::new();
    if let Some(b) = baseline {
        let refs: Vec<&Finding> = candidates.iter().map(|&i| items[i].finding).collect();
        let scope = fixed_scope(scan, b);
        let m = b.match_findings(&refs, Some(&scope));
        for (k, &i) in candidates.iter().enumerate() {
            if m.state[k] != MatchKind::New {
                items[i].status = Status::Baselined;
                items[i].changed = m.state[k] == MatchKind::Changed;
            }
        }
        fixed = m.fixed;
    }
    for it in items.iter_mut().filter(|i| i.status == Status::New) {
        if sel.per_file_ignored(it.finding) {
            it.status = Status::Ignored;
        } else if !sel.selects(it.finding.kind) {
            it.status = Status::NotSelected;
        }
    }
    let unused = applied.unused.into_iter().filter(|u| !sel.per_file_ignores_unused(&u.path)).collect();
    CheckReport {
        scan,
        data,
        items,
        fixed,
        unused,
        unused_fail: sel.unused_suppressions,
        input_errors_fail: true,
        baseline_file: None,
    }
}

/// Baseline entries can be reported fixed only for files that were analysed completely, or that no longer exist.
fn fixed_scope(scan: &ProjectScan, b: &Baseline) -> HashSet<String> {
    let mut scope = scan.complete_paths();
    for e in &b.entries {
        if !scan.root.join(&e.path).exists() {
            scope.insert(e.path.clone());
        }
    }
    scope
}

/// The canonical replacement for a finding, from the plan: the redirect for a legacy import, else the
/// canonical module with the domain's preset.
/// What replaces a finding, from the plan; `None` without a plan (no advice then).
pub fn replacement_note(f: &Finding, data: &RuleData) -> Option<String> {
    let plan = &data.plan;
    if f.kind == Kind::LegacyImport {
        let hit = plan.redirects.iter().filter(|r| f.message.contains(&format!("`{}`", r.to))).find(|r| {
            match r.from_parts() {
                (m, Some(n)) => f.message.contains(&format!("`{n}`")) && f.message.contains(&format!("{m}`")),
                (m, None) => f.message.contains(&format!("{m}`")),
            }
        });
        if let Some(r) = hit {
            let safety = match r.safety {
                retry_audit_scan::data::Safety::Safe => "safe",
                retry_audit_scan::data::Safety::Unsafe => "unsafe",
            };
            let note = if r.note.is_empty() { String::new() } else { format!(": {}", r.note) };
            return Some(format!("canonical replacement: `{}` ({safety} redirect{note})", r.to.replace(':', ".")));
        }
    }
    if !plan.has_canonical() {
        return None;
    }
    let module = &plan.canonical.module;
    let exports = &plan.canonical.exports;
    let handler = exports.first().map(|h| format!("`{h}`")).unwrap_or_else(|| "the canonical retry manager".into());
    let preset = [format!("{}_RETRY_POLICY", f.domain.to_uppercase()), "DEFAULT_RETRY_POLICY".to_string()]
        .into_iter()
        .find(|p| exports.contains(p));
    Some(match preset {
        Some(p) => format!("canonical replacement: {handler} with `{p}` from `{module}`"),
        None => format!("canonical replacement: {handler} from `{module}`"),
    })
}

/// How to act on a finding: the codemod when it can fix it, else how to suppress it.
pub fn help_text(f: &Finding) -> String {
    let suppress = format!(
        "or, if this retry must stay, add `# retry-audit: ignore[{}] -- reason` on line {} or the line above",
        f.rule, f.line
    );
    if f.kind == Kind::LegacyImport {
        let how = match &f.fix {
            Some(fix) => format!("`retry-audit migrate` can fix this ({} fix)", applicability(fix.applicability)),
            None => "`retry-audit migrate` can fix this".to_string(),
        };
        format!("{how}; {suppress}")
    } else {
        format!("move this onto the canonical retry manager; {suppress}")
    }
}

fn applicability(a: retry_audit_scan::finding::Applicability) -> &'static str {
    match a {
        retry_audit_scan::finding::Applicability::Safe => "safe",
        retry_audit_scan::finding::Applicability::Unsafe => "unsafe",
        retry_audit_scan::finding::Applicability::DisplayOnly => "display-only",
    }
}
