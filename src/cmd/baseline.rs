//! `retry-audit baseline`: record the current findings so `check` fails only on new ones.
//!
//! - no flag: create the baseline when there is none; otherwise prune it (drop fixed entries). Without
//!   `--write` a baseline only ever shrinks: new findings are listed, never added.
//! - `--write [FILE]`: record every current finding (replacing the file).
//! - `--prune`: drop fixed entries; fails (exit 2) when there is no baseline.
//!
//! Recorded: every finding that is not canonical and not suppressed, whatever `select` says (so changing the
//! selection later does not need a new baseline).

use super::check::{baseline_path, evaluate, load_baseline, Status};
use super::common::{ProjectScan, ScanArgs};
use crate::config::Selection;
use anyhow::{anyhow, bail};
use retry_audit_scan::baseline::Baseline;
use retry_audit_scan::RuleData;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Record every current finding into FILE (default: the configured baseline, else
    /// `.retry-audit-baseline.toml` in the project root), replacing it.
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with = "prune")]
    pub write: Option<Option<PathBuf>>,
    /// Drop baseline entries whose findings no longer exist; never adds entries.
    #[arg(long)]
    pub prune: bool,
    /// Baseline file to read (and prune).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let cfg = args.scan.config()?;
    let sel = Selection::new(cfg, &[], &[])?;
    let data = args.scan.rule_data()?;
    let (default_path, explicit) = baseline_path(&args.scan, args.baseline.as_deref())?;
    let scan = args.scan.scan_project(&data, None)?;
    for d in &scan.result.diagnostics {
        eprintln!("retry-audit: warning: {d}");
    }

    if let Some(target) = args.write {
        let path = target.unwrap_or(default_path);
        let b = current_baseline(&scan, &data, &sel);
        write(&path, &b)?;
        eprintln!(
            "retry-audit: wrote {} ({} finding{} in {} entr{})",
            path.display(),
            b.total(),
            plural(b.total() as usize),
            b.entries.len(),
            if b.entries.len() == 1 { "y" } else { "ies" }
        );
        return Ok(0);
    }

    let existing = load_baseline(&default_path, explicit && args.baseline.is_some())?;
    let Some(old) = existing else {
        if args.prune {
            bail!("{}: no baseline to prune (record one with `retry-audit baseline --write`)", default_path.display());
        }
        let b = current_baseline(&scan, &data, &sel);
        write(&default_path, &b)?;
        eprintln!(
            "retry-audit: created {} ({} finding{})",
            default_path.display(),
            b.total(),
            plural(b.total() as usize)
        );
        return Ok(0);
    };
    let report = evaluate(&scan, &data, &sel, Some(&old));
    let pruned = old.pruned(&report.fixed);
    let removed = old.total() - pruned.total();
    if removed > 0 {
        write(&default_path, &pruned)?;
    }
    for e in &report.fixed {
        eprintln!("retry-audit: pruned {} {} {} (fixed)", e.rule, e.path, e.symbol);
    }
    let not_added: Vec<_> = report
        .items
        .iter()
        .filter(|i| matches!(i.status, Status::New | Status::Ignored | Status::NotSelected))
        .collect();
    for it in &not_added {
        let f = it.finding;
        eprintln!("retry-audit: not added (new): {} {}:{} {}", f.rule, f.path, f.line, f.symbol);
    }
    eprintln!(
        "retry-audit: {}: {removed} fixed finding{} removed, {} remain{}",
        default_path.display(),
        plural(removed as usize),
        pruned.total(),
        if not_added.is_empty() {
            String::new()
        } else {
            format!("; {} new finding(s) not added (use `--write` to accept them)", not_added.len())
        }
    );
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    super::check::plural(n)
}

fn write(path: &std::path::Path, b: &Baseline) -> anyhow::Result<()> {
    retry_audit_fix::write::write_file(path, b.to_toml().as_bytes())
        .map_err(|e| anyhow!("{}: cannot write baseline: {e}", path.display()))
}

/// The baseline of what the scan finds now: every finding that is neither suppressed nor canonical.
fn current_baseline(scan: &ProjectScan, data: &RuleData, sel: &Selection) -> Baseline {
    let report = evaluate(scan, data, sel, None);
    Baseline::from_findings(
        report
            .items
            .iter()
            .filter(|i| i.status != Status::Suppressed && i.status != Status::Canonical)
            .map(|i| i.finding),
    )
}
