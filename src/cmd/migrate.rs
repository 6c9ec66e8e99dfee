//! `retry-audit migrate`: apply the fixes the scanner attaches to findings (legacy imports -> the canonical
//! module, library decorators -> the unified decorator, legacy configs -> the canonical config).
//!
//! Dry run by default: a unified diff per file (a valid patch for `git apply` / `patch -p1`) on stdout and a
//! summary on stderr. `--apply` writes atomically, `--check` exits 1 while any fix is pending (unsafe ones
//! included: a migration is not finished while one is left) or a file could not be considered.
//! `--delete-unused` also deletes the legacy modules nothing imports any more (`delete_unused`).
use crate::output::sayln;

use crate::cmd::common::ScanArgs;
use retry_audit_fix::{compute, render_patch, write_change, Options, Outcome, Problem};
use retry_audit_scan::finding::Applicability;
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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
    /// Exit 1 while any fix is pending, unsafe ones included, or a file could not be considered (for CI);
    /// nothing is written. Prints the pending fixes per applicability (safe / unsafe / skipped).
    #[arg(long, conflicts_with = "diff")]
    pub check: bool,
    /// Print only the patch (no summary), e.g. `--diff > fix.patch`.
    #[arg(long)]
    pub diff: bool,
    /// Also apply unsafe fixes (renames, behaviour-changing redirects, inexact decorator translations).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Also rewrite each legacy retry engine the plan lists into a delegating shim onto the canonical manager
    /// (needs `[canonical.engine]` in the plan). Exact shims are safe; the others are unsafe, their notes
    /// listing what differs.
    #[arg(long)]
    pub shims: bool,
    /// Only these fix kinds (import_redirect, rename, decorator, config, shim) or rule codes (repeatable, comma-separated).
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
    /// Also delete the legacy modules nothing in the tree imports any more (`inventory` lists them as
    /// deletable): a deletion patch in a dry run; with --check they count as pending.
    #[arg(long)]
    pub delete_unused: bool,
}

const KNOWN: &[&str] = &["import_redirect", "rename", "decorator", "config", "shim"];

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

pub fn run(mut args: Args) -> anyhow::Result<i32> {
    args.scan.deletion = args.delete_unused;
    if let (true, Err(root)) = (args.delete_unused, args.scan.covers_report_root()?) {
        anyhow::bail!(
            "--delete-unused needs the whole project scanned: give its root {} (a module nothing in the paths \
             given imports may be imported from outside them)",
            root.display()
        );
    }
    validate(&args.select, "--select")?;
    validate(&args.ignore, "--ignore")?;
    if args.max_passes == 0 {
        anyhow::bail!("--max-passes must be at least 1");
    }
    if args.apply {
        // Ctrl-C or a termination signal at any point: the file being written stays as it was (or is fully
        // written), its temporary file is removed, and no further file is written.
        let _ = ctrlc::set_handler(|| {
            retry_audit_fix::write::interrupt();
            eprintln!("\nretry-audit migrate: interrupted; files not yet written were left as they were");
            std::process::exit(130);
        });
    }
    let mut data = args.scan.rule_data()?;
    let opts = args.scan.scan_options();
    let roots = args.scan.roots();
    data.plan.tree = canonical_module_facts(&args.scan, &data)?;
    // One walk and one analysis: the tree facts the fixes need come from the same read of every file, and the
    // files the fixes are computed on are the files the scan read.
    let scan = args.scan.scan_reported_tree(&data)?;
    // What the plan claims of the tree that the tree does not hold, as inventory and check say it: on stderr,
    // so the patch on stdout stays a patch.
    args.scan.warn_about_plan(&data, &scan)?;
    let files = crate::cmd::common::ScanArgs::entries(&scan);
    let result = scan.result;
    data.plan.tree = result.tree.clone();
    let fix_opts = Options {
        unsafe_fixes: args.unsafe_fixes,
        select: args.select.clone(),
        // Shims rewrite legacy engines wholesale: only when asked for.
        ignore: args.ignore.iter().cloned().chain((!args.shims).then(|| "shim".to_string())).collect(),
        max_passes: args.max_passes,
        max_file_size: opts.max_file_size,
        write_roots: write_roots(&roots),
    };
    let mut outcome = compute(&result, &files, &data, &fix_opts);
    let mut deletions =
        args.delete_unused.then(|| super::delete_unused::Deletions::prepare(&result, &fix_opts.write_roots));
    if let Some(d) = &deletions {
        // A file that is deleted is not edited.
        outcome.changes.retain(|c| !d.deletes(&c.display));
    }

    let mut writes = Writes::default();
    if args.apply {
        let dirs: BTreeSet<&Path> = files.iter().filter_map(|f| f.path.parent()).collect();
        for p in retry_audit_fix::write::remove_stale_temps(dirs) {
            let message = "removed a temporary file an interrupted run left behind".to_string();
            outcome.notes.push(Problem { path: p.display().to_string(), message });
        }
        outcome.changes.retain(|c| match write_change(c) {
            Ok(written) => {
                writes.fixes += c.fixes.len();
                writes.files += 1;
                for message in written.notes {
                    outcome.notes.push(Problem { path: c.display.clone(), message });
                }
                true
            }
            Err(message) => {
                writes.failed_fixes += c.fixes.len();
                writes.failed.push(Problem { path: c.display.clone(), message });
                false
            }
        });
        outcome.notes.sort();
        if let Some(d) = &mut deletions {
            d.apply(&fix_opts.write_roots);
        }
    }

    let pending = Pending::of(&outcome);
    let pending_deletions = deletions.as_ref().map_or(0, |d| if args.apply { 0 } else { d.pending() });
    let failed_deletions = deletions.as_ref().is_some_and(|d| !d.failed.is_empty());
    match args.format {
        Format::Json => print_json(&outcome, &args, &writes, &pending, deletions.as_ref())?,
        Format::Text => {
            if !args.apply && !args.check {
                let color = std::io::stdout().is_terminal();
                let mut patch = Vec::new();
                for c in &outcome.changes {
                    patch.extend(render_patch(c, color));
                }
                if let Some(d) = &deletions {
                    patch.extend(d.patch(color));
                }
                crate::output::emit(&patch)?;
            }
            if !args.diff {
                eprint!("{}", summary(&outcome, &args, &writes, &pending));
                if let Some(d) = &deletions {
                    eprint!("{}", d.summary(args.apply, args.check));
                }
            }
        }
    }
    let code = if !writes.failed.is_empty() || failed_deletions {
        2
    } else if args.check && (pending.any() || pending_deletions > 0 || !outcome.not_considered.is_empty()) {
        1
    } else {
        0
    };
    // The process ends here (every write is done and reported): freeing the scan's many small allocations
    // one by one would only cost time.
    std::mem::forget(result);
    Ok(code)
}

/// The facts of the modules the plan names (the canonical module, redirect targets and the legacy modules
/// redirected from: what each binds and what each binding *is*), read from their files under the project root
/// or the plan file's directory, so `migrate SUBPATH` checks a redirect against what the modules define even
/// when they are outside the scanned paths, instead of trusting the plan's declared exports. The scan of the
/// given paths adds its own modules over these. `None` when no file is found.
fn canonical_module_facts(
    scan: &ScanArgs,
    data: &retry_audit_scan::RuleData,
) -> anyhow::Result<Option<std::sync::Arc<retry_audit_scan::project::TreeInfo>>> {
    let plan = &data.plan;
    let mut dirs = vec![scan.project_root()?];
    if let Some(plan_dir) = scan.plan.as_deref().and_then(Path::parent) {
        dirs.push(if plan_dir.as_os_str().is_empty() { PathBuf::from(".") } else { plan_dir.to_path_buf() });
    }
    let modules: BTreeSet<&str> =
        plan.target_modules().into_iter().chain(plan.source_modules()).filter(|m| !m.is_empty()).collect();
    let mut files = Vec::new();
    let mut names = Vec::new();
    for module in modules {
        let from_module = module.replace('.', "/");
        let mut candidates = vec![format!("{from_module}.py"), format!("{from_module}/__init__.py")];
        if module == plan.canonical.module && !plan.canonical.path.is_empty() {
            candidates.insert(0, plan.canonical.path.clone());
        }
        let found = dirs.iter().flat_map(|d| candidates.iter().map(move |n| (d.join(n), n))).find(|(p, _)| p.is_file());
        if let Some((path, display)) = found {
            files.push(retry_audit_scan::walk::FileEntry {
                display: display.clone(),
                path,
                module: module.to_string(),
            });
            names.push(module.to_string());
        }
    }
    if files.is_empty() {
        return Ok(None);
    }
    let result = retry_audit_scan::scan_files_tree(&files, &names, Vec::new(), &scan.scan_options(), data);
    Ok(result.tree)
}

/// What `--apply` wrote and failed to write.
#[derive(Default)]
struct Writes {
    files: usize,
    fixes: usize,
    failed_fixes: usize,
    failed: Vec<Problem>,
}

/// The fixes a run leaves to do, by applicability. Skipped fixes are sites the codemods cannot rewrite (the
/// reason is listed): counted for the record, never pending, since no run of `migrate` will apply them.
struct Pending {
    safe: usize,
    /// Unsafe and display-only fixes, applied (`--unsafe-fixes`) or withheld.
    unsafe_: usize,
    skipped: usize,
}

impl Pending {
    fn of(outcome: &Outcome) -> Pending {
        let fixes: Vec<Applicability> =
            outcome.changes.iter().flat_map(|c| &c.fixes).map(|f| f.applicability).collect();
        let safe = fixes.iter().filter(|a| **a == Applicability::Safe).count();
        Pending { safe, unsafe_: fixes.len() - safe + outcome.unsafe_withheld, skipped: outcome.skipped.len() }
    }

    fn any(&self) -> bool {
        self.safe + self.unsafe_ > 0
    }

    fn line(&self) -> String {
        format!("{} safe, {} unsafe, {} skipped", self.safe, self.unsafe_, self.skipped)
    }
}

/// The directories files may be written in: each root, symlinks resolved (a file root: its directory).
fn write_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots
        .iter()
        .filter_map(|r| {
            let real = std::fs::canonicalize(r).ok()?;
            if real.is_dir() {
                Some(real)
            } else {
                std::fs::canonicalize(r.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))).ok()
            }
        })
        .collect()
}

fn applicability_str(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display_only",
    }
}

fn print_json(
    outcome: &Outcome,
    args: &Args,
    writes: &Writes,
    pending: &Pending,
    deletions: Option<&super::delete_unused::Deletions>,
) -> anyhow::Result<()> {
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
    let mut doc = serde_json::json!({
        "mode": if args.apply { "apply" } else if args.check { "check" } else { "dry-run" },
        "files_changed": outcome.changes.len(),
        "fixes": outcome.fix_count(),
        "fixes_by_kind": outcome.by_kind(),
        "fixes_by_applicability": {"safe": pending.safe, "unsafe": pending.unsafe_, "skipped": pending.skipped},
        "files": files,
        "edits": edits,
        "skipped": outcome.skipped,
        "unsafe_withheld": outcome.unsafe_withheld,
        "withheld": outcome.withheld,
        "problems": outcome.problems,
        "not_considered": outcome.not_considered,
        "write_failures": writes.failed,
        "notes": outcome.notes,
    });
    if let Some(d) = deletions {
        doc["deletions"] = d.json(args.apply);
    }
    sayln!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

fn summary(outcome: &Outcome, args: &Args, writes: &Writes, pending: &Pending) -> String {
    let mut s = String::new();
    let n = outcome.fix_count();
    if outcome.changes.is_empty() && writes.failed.is_empty() && args.delete_unused {
        s.push_str("retry-audit migrate: no fixes to apply.\n");
    } else if outcome.changes.is_empty() && writes.failed.is_empty() {
        s.push_str("retry-audit migrate: no fixes to apply; nothing to change.\n");
    } else if args.apply {
        let kinds: Vec<String> = outcome.by_kind().iter().map(|(k, v)| format!("{k} {v}")).collect();
        let kinds = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
        s.push_str(&format!(
            "retry-audit migrate: {} fix(es) applied to {} file(s){kinds}\n",
            writes.fixes, writes.files
        ));
        for c in &outcome.changes {
            s.push_str(&format!("  {} ({} fix(es))\n", c.display, c.fixes.len()));
        }
        if !writes.failed.is_empty() {
            s.push_str(&format!(
                "error: {} fix(es) in {} file(s) could not be written; those files are unchanged:\n",
                writes.failed_fixes,
                writes.failed.len()
            ));
            for p in &writes.failed {
                s.push_str(&format!("  {}: {}\n", p.path, p.message));
            }
        }
    } else {
        let kinds: Vec<String> = outcome.by_kind().iter().map(|(k, v)| format!("{k} {v}")).collect();
        s.push_str(&format!(
            "retry-audit migrate: {n} fix(es) pending in {} file(s) ({})\n",
            outcome.changes.len(),
            kinds.join(", ")
        ));
        if args.check {
            for c in &outcome.changes {
                s.push_str(&format!("  {} ({} fix(es))\n", c.display, c.fixes.len()));
            }
        }
        s.push_str("  review the diff, then run with --apply\n");
    }
    if !args.apply {
        s.push_str(&format!("retry-audit migrate: fixes by applicability: {}\n", pending.line()));
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
    if !outcome.not_considered.is_empty() {
        s.push_str(&format!(
            "could not consider {} file(s) (never touched; any fixes they need are not known):\n",
            outcome.not_considered.len()
        ));
        for p in &outcome.not_considered {
            let at = if p.line > 0 { format!(":{}", p.line) } else { String::new() };
            s.push_str(&format!("  {}{at}: {}: {}\n", p.path, p.kind, p.message));
        }
    }
    for p in &outcome.notes {
        s.push_str(&format!("note: {}: {}\n", p.path, p.message));
    }
    for p in &outcome.problems {
        s.push_str(&format!("error: {}: {}\n", p.path, p.message));
    }
    s
}
