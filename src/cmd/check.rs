//! `retry-audit check`: the CI / pre-commit gate.
//!
//! Every finding gets one status: `canonical` (inside the canonical module: never fails), `suppressed`
//! (`# retry-audit: ignore[...]`), `baselined` (in the baseline file), `ignored` (`per-file-ignores`),
//! `not_selected` (its kind is not selected: by default `readiness_probe` and `policy_drift`), or `new`.
//! Exit 1 when any finding is `new` (or, when RTY100 is selected, on an unused suppression); 0 otherwise;
//! 2 on usage and configuration errors.

use super::common::{ProjectScan, ScanArgs};
use crate::config::Selection;
use anyhow::{anyhow, bail, Context};
use retry_audit_scan::baseline::{Baseline, Entry, MatchKind};
use retry_audit_scan::finding::{Finding, Kind, PlanStatus};
use retry_audit_scan::suppress::{self, Unused};
use retry_audit_scan::RuleData;
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
    Junit,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Baseline file (default: the config's `baseline`, else `.retry-audit-baseline.toml` in the project root
    /// when it exists).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Ignore the baseline: every finding that is not canonical, suppressed or ignored fails.
    #[arg(long, conflicts_with = "baseline")]
    pub no_baseline: bool,
    /// Check only the Python files changed since the merge base with REV (git), still against the whole-repo
    /// baseline.
    #[arg(long, value_name = "REV")]
    pub diff_base: Option<String>,
    /// Rules that fail the gate (codes, kinds or prefixes; replaces the config's `select`).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Rules that never fail the gate (added to the config's `ignore`).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
}

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
        self.count(Status::New) > 0 || (self.unused_fail && !self.unused.is_empty())
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

/// The baseline file in effect: `Some((path, explicit))`; explicit ones must exist.
pub fn baseline_path(scan: &ScanArgs, cli: Option<&Path>) -> anyhow::Result<(PathBuf, bool)> {
    if let Some(p) = cli {
        return Ok((p.to_path_buf(), true));
    }
    if let Some(c) = scan.config()? {
        if let Some(b) = &c.settings.baseline {
            return Ok((c.resolve(b), true));
        }
    }
    Ok((scan.project_root()?.join(retry_audit_scan::baseline::DEFAULT_FILE), false))
}

/// Load the baseline: missing default file = empty baseline; missing explicit file or a bad file = error.
pub fn load_baseline(path: &Path, explicit: bool) -> anyhow::Result<Option<Baseline>> {
    if !path.exists() {
        if explicit {
            bail!("{}: baseline file not found (record one with `retry-audit baseline --write`)", path.display());
        }
        return Ok(None);
    }
    Baseline::load(path).map(Some).map_err(anyhow::Error::msg)
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
    CheckReport { scan, data, items, fixed, unused, unused_fail: sel.unused_suppressions, baseline_file: None }
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

/// Absolute paths of the files changed since the merge base of `rev` and HEAD (committed, staged, unstaged
/// and untracked), deletions excluded.
pub fn changed_files(start: &Path, rev: &str) -> anyhow::Result<HashSet<PathBuf>> {
    let git = |args: &[&str], dir: &Path| -> anyhow::Result<String> {
        let out = Command::new("git").args(args).current_dir(dir).output().context("running git (is it installed?)")?;
        if !out.status.success() {
            bail!("--diff-base: `git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let dir = if start.is_dir() {
        start.to_path_buf()
    } else {
        start.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
    };
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"], &dir)?.trim());
    let base = git(&["merge-base", rev, "HEAD"], &top)?.trim().to_string();
    let mut files = HashSet::new();
    let diff = git(&["diff", "--name-only", "-z", "--diff-filter=d", &base], &top)?;
    let untracked = git(&["ls-files", "-z", "--others", "--exclude-standard"], &top)?;
    for name in diff.split('\0').chain(untracked.split('\0')).filter(|n| !n.is_empty()) {
        let p = top.join(name);
        if let Ok(abs) = std::fs::canonicalize(&p) {
            files.insert(abs);
        }
    }
    Ok(files)
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let cfg = args.scan.config()?;
    let sel = Selection::new(cfg, &args.select, &args.ignore)?;
    let data = args.scan.rule_data()?;
    let (bpath, explicit) = baseline_path(&args.scan, args.baseline.as_deref())?;
    let baseline = if args.no_baseline { None } else { load_baseline(&bpath, explicit)? };
    let only = match &args.diff_base {
        Some(rev) => Some(changed_files(&args.scan.roots()[0], rev)?),
        None => None,
    };
    let scan = args.scan.scan_project(&data, only.as_ref())?;
    let mut report = evaluate(&scan, &data, &sel, baseline.as_ref());
    report.baseline_file = baseline.as_ref().map(|_| bpath.clone());
    let text = match args.format {
        Format::Text => {
            let color = args.output.is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none();
            crate::report::diagnostics::render(&report, color)
        }
        Format::Json => serde_json::to_string_pretty(&to_json(&report, &args.scan.root_display()))? + "\n",
        Format::Github => crate::report::github::render(&report),
        Format::Sarif => serde_json::to_string_pretty(&crate::report::sarif::render(&report))? + "\n",
        Format::Junit => crate::report::junit::render(&report),
    };
    match &args.output {
        Some(file) => retry_audit_fix::write::write_file(file, text.as_bytes())
            .map_err(|e| anyhow!("{}: cannot write report: {e}", file.display()))?,
        None => crate::output::emit(text.as_bytes())?,
    }
    if (args.output.is_some() || args.format != Format::Text) && !args.scan.quiet {
        eprintln!("{}", report.summary_line());
    }
    Ok(if report.fails() { 1 } else { 0 })
}

pub fn to_json(r: &CheckReport, root: &str) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = r
        .items
        .iter()
        .map(|it| {
            let mut v = serde_json::to_value(it.finding).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("status".into(), json!(it.status.as_str()));
                if let Some(reason) = &it.reason {
                    o.insert("suppression_reason".into(), json!(reason));
                }
                if it.changed {
                    o.insert("changed_since_baseline".into(), json!(true));
                }
            }
            v
        })
        .collect();
    json!({
        "version": 2,
        "root": root,
        "project_root": r.scan.root.display().to_string(),
        "baseline": r.baseline_file.as_ref().map(|p| p.display().to_string()),
        "summary": r.summary_json(),
        "findings": findings,
        "fixed": r.fixed,
        "unused_suppressions": r.unused.iter().map(|u| {
            let mut v = serde_json::to_value(u).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("message".into(), json!(u.message()));
                o.insert("rule".into(), json!(crate::config::UNUSED_SUPPRESSION));
            }
            v
        }).collect::<Vec<_>>(),
        "diagnostics": r.scan.result.diagnostics,
    })
}

/// The canonical replacement for a finding, from the plan: the redirect for a legacy import, else the
/// canonical module with the domain's preset.
pub fn replacement_note(f: &Finding, data: &RuleData) -> String {
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
            return format!("canonical replacement: `{}` ({safety} redirect{note})", r.to.replace(':', "."));
        }
    }
    let module = &plan.canonical.module;
    let exports = &plan.canonical.exports;
    let handler = exports.first().map(|h| format!("`{h}`")).unwrap_or_else(|| "the canonical retry manager".into());
    let preset = [format!("{}_RETRY_POLICY", f.domain.to_uppercase()), "DEFAULT_RETRY_POLICY".to_string()]
        .into_iter()
        .find(|p| exports.contains(p));
    match preset {
        Some(p) => format!("canonical replacement: {handler} with `{p}` from `{module}`"),
        None => format!("canonical replacement: {handler} from `{module}`"),
    }
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
