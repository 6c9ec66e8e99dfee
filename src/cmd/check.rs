//! `retry-audit check`: the CI / pre-commit gate.
//!
//! Every finding gets one status: `canonical` (inside the canonical module: never fails), `suppressed`
//! (`# retry-audit: ignore[...]`), `baselined` (in the baseline file), `ignored` (`per-file-ignores`),
//! `not_selected` (its kind is not selected: by default `readiness_probe` and `policy_drift`), or `new`.
//! Exit 1 when any finding is `new`, when a file among those checked could not be read, decoded or parsed (its
//! findings are unknown; `--allow-parse-errors` reports it without failing), or, when RTY100 is selected, on an
//! unused suppression; 0 otherwise; 2 on usage and configuration errors.

use super::common::ScanArgs;
use crate::config::Selection;
pub use crate::gate::{evaluate, plural, Status};
use anyhow::{anyhow, bail, Context};
use retry_audit_scan::baseline::Baseline;
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
    /// Report files that could not be read, decoded or parsed without failing the gate on them.
    #[arg(long)]
    pub allow_parse_errors: bool,
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
    args.scan.warn_about_plan(&data, &scan)?;
    let mut report = evaluate(&scan, &data, &sel, baseline.as_ref());
    report.input_errors_fail = !args.allow_parse_errors;
    report.baseline_file = baseline.as_ref().map(|_| bpath.clone());
    let root = args.scan.root_display();
    let color = args.output.is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    // JSON is written as it is rendered (`report::check_json`); the other formats as one text.
    let render = |out: &mut dyn std::io::Write| -> std::io::Result<()> {
        let text = match args.format {
            Format::Json => {
                crate::report::check_json::write(&report, &root, out)?;
                return out.write_all(b"\n");
            }
            Format::Text => crate::report::diagnostics::render(&report, color),
            Format::Github => crate::report::github::render(&report),
            Format::Sarif => serde_json::to_string_pretty(&crate::report::sarif::render(&report))? + "\n",
            Format::Junit => crate::report::junit::render(&report),
        };
        out.write_all(text.as_bytes())
    };
    match &args.output {
        Some(file) => {
            let mut text = Vec::new();
            render(&mut text)?;
            retry_audit_fix::write::write_file(file, &text)
                .map_err(|e| anyhow!("{}: cannot write report: {e}", file.display()))?
        }
        None => crate::output::emit_with(render)?,
    }
    if (args.output.is_some() || args.format != Format::Text) && !args.scan.quiet {
        eprintln!("{}", report.summary_line());
    }
    let failed = report.fails();
    // The process ends here: freeing the scan's many small allocations one by one would only cost time (a
    // twentieth of a gate run over a dense tree).
    std::mem::forget(report);
    std::mem::forget(scan);
    Ok(if failed { 1 } else { 0 })
}
