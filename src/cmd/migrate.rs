//! `retry-audit migrate`: apply the fixes the scanner attaches to findings (legacy imports -> the canonical
//! module, library decorators -> the unified decorator, legacy configs -> the canonical config).
//!
//! Dry run by default: a unified diff per file (a valid patch for `git apply` / `patch -p1`) on stdout and a
//! summary on stderr. `--apply` writes atomically, `--check` exits 1 when fixes are pending.

use crate::cmd::common::ScanArgs;
use retry_audit_fix::{compute, render_patch, write_change, Options, Outcome, Problem};
use retry_audit_scan::finding::Applicability;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Write the fixes to the files (atomically).
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    pub apply: bool,
    /// Exit 1 when any fix is pending (for CI); nothing is written.
    #[arg(long, conflicts_with = "diff")]
    pub check: bool,
    /// Print only the patch (no summary), e.g. `--diff > fix.patch`.
    #[arg(long)]
    pub diff: bool,
    /// Also apply unsafe fixes (renames, behaviour-changing redirects, inexact decorator translations).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Only these fix kinds (import_redirect, rename, decorator, config) or rule codes (repeatable, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "KIND|RULE")]
    pub select: Vec<String>,
    /// Never these fix kinds or rule codes (repeatable, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "KIND|RULE")]
    pub ignore: Vec<String>,
    /// Maximum re-scan/re-fix passes per file.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_passes: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

const KNOWN: &[&str] = &["import_redirect", "rename", "decorator", "config"];

fn validate(list: &[String], flag: &str) -> anyhow::Result<()> {
    for s in list {
        let ok =
            KNOWN.iter().any(|k| k.eq_ignore_ascii_case(s)) || retry_audit_scan::detect::rules::by_code(s).is_some();
        if !ok {
            anyhow::bail!("{flag} {s:?}: not a fix kind ({}) or rule code", KNOWN.join(", "));
        }
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    validate(&args.select, "--select")?;
    validate(&args.ignore, "--ignore")?;
    if args.max_passes == 0 {
        anyhow::bail!("--max-passes must be at least 1");
    }
    let mut data = args.scan.rule_data()?;
    let opts = args.scan.scan_options();
    let roots = args.scan.roots();
    data.plan.tree = Some(Arc::new(retry_audit_scan::project::build(&roots, &opts.walk, opts.max_file_size)));
    let result = args.scan.run_scan(&data)?;
    let walked = retry_audit_scan::walk::walk(&roots, &opts.walk).map_err(anyhow::Error::msg)?;
    let fix_opts = Options {
        unsafe_fixes: args.unsafe_fixes,
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        max_passes: args.max_passes,
    };
    let mut outcome = compute(&result, &walked.files, &data, &fix_opts);

    let mut written = 0usize;
    if args.apply {
        let mut failed: Vec<Problem> = Vec::new();
        outcome.changes.retain(|c| match write_change(c) {
            Ok(()) => {
                written += 1;
                true
            }
            Err(message) => {
                failed.push(Problem { path: c.display.clone(), message });
                false
            }
        });
        outcome.problems.extend(failed);
        outcome.problems.sort();
    }

    let pending = !outcome.changes.is_empty();
    match args.format {
        Format::Json => print_json(&outcome, &args)?,
        Format::Text => {
            let mut stdout = std::io::stdout().lock();
            if !args.apply && !args.check {
                let color = std::io::stdout().is_terminal();
                for c in &outcome.changes {
                    stdout.write_all(&render_patch(c, color))?;
                }
            }
            stdout.flush()?;
            if !args.diff {
                eprint!("{}", summary(&outcome, &args, written));
            }
        }
    }
    Ok(if args.check && pending { 1 } else { 0 })
}

fn applicability_str(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display_only",
    }
}

fn print_json(outcome: &Outcome, args: &Args) -> anyhow::Result<()> {
    let mut edits = Vec::new();
    for c in &outcome.changes {
        for f in &c.fixes {
            for e in &f.edits {
                edits.push(serde_json::json!({
                    "path": c.display,
                    "pass": e.pass,
                    "start": e.start,
                    "end": e.end,
                    "old": e.old,
                    "new": e.new,
                    "fix_kind": f.fix_kind,
                    "applicability": applicability_str(f.applicability),
                    "rule": f.rule,
                    "note": f.note,
                }));
            }
        }
    }
    let files: Vec<_> =
        outcome.changes.iter().map(|c| serde_json::json!({"path": c.display, "fixes": c.fixes.len()})).collect();
    let doc = serde_json::json!({
        "mode": if args.apply { "apply" } else if args.check { "check" } else { "dry-run" },
        "files_changed": outcome.changes.len(),
        "fixes": outcome.fix_count(),
        "fixes_by_kind": outcome.by_kind(),
        "files": files,
        "edits": edits,
        "skipped": outcome.skipped,
        "unsafe_withheld": outcome.unsafe_withheld,
        "withheld": outcome.withheld,
        "problems": outcome.problems,
        "unparsable": outcome.unparsable,
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

fn summary(outcome: &Outcome, args: &Args, written: usize) -> String {
    let mut s = String::new();
    let n = outcome.fix_count();
    if outcome.changes.is_empty() {
        s.push_str("retry-audit migrate: no fixes to apply; nothing to change.\n");
    } else {
        let kinds: Vec<String> = outcome.by_kind().iter().map(|(k, v)| format!("{k} {v}")).collect();
        let verb = if args.apply {
            format!("applied to {written} file(s)")
        } else {
            format!("pending in {} file(s)", outcome.changes.len())
        };
        s.push_str(&format!("retry-audit migrate: {n} fix(es) {verb} ({})\n", kinds.join(", ")));
        if args.check || args.apply {
            for c in &outcome.changes {
                s.push_str(&format!("  {} ({} fix(es))\n", c.display, c.fixes.len()));
            }
        }
        if !args.apply {
            s.push_str("  review the diff, then run with --apply\n");
        }
    }
    if !outcome.skipped.is_empty() {
        s.push_str(&format!("skipped {} fix(es):\n", outcome.skipped.len()));
        for k in &outcome.skipped {
            s.push_str(&format!("  {}:{}: {} {}: {}\n", k.path, k.line, k.rule, k.fix_kind, k.reason));
        }
    }
    if outcome.unsafe_withheld > 0 {
        s.push_str(&format!(
            "{} unsafe fix(es) not applied (review them with --unsafe-fixes)\n",
            outcome.unsafe_withheld
        ));
        for k in &outcome.withheld {
            s.push_str(&format!("  {}:{}: {} {}: {}\n", k.path, k.line, k.rule, k.fix_kind, k.reason));
        }
    }
    if !outcome.unparsable.is_empty() {
        s.push_str(&format!(
            "left alone {} file(s) that do not parse (files with syntax errors are never touched):\n",
            outcome.unparsable.len()
        ));
        for p in &outcome.unparsable {
            s.push_str(&format!("  {}: {}\n", p.path, p.message));
        }
    }
    for p in &outcome.problems {
        s.push_str(&format!("error: {}: {}\n", p.path, p.message));
    }
    s
}
