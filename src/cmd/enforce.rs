//! `retry-audit enforce --emit ruff|import-linter`: turn the plan's legacy modules and symbols into other
//! tools' import bans, so editors and existing linters stop new uses before `check` runs.
//!
//! Legacy names come from the plan's `[[redirects]]` (`from = "mod"` or `"mod:Name"`), its
//! `[[config_migrations]]` (the legacy config classes) and the symbols each plan entry names in its file
//! (`entries.symbols`); the canonical module itself is never banned.
//!
//! import-linter bans modules, and refuses to name one that does not exist, so its contract lists only the
//! legacy modules present in the scanned tree (the others are named, as already gone, in a comment and on
//! stderr). Its sources are the packages and modules around them, never a package that contains a legacy
//! module: import-linter skips a source/forbidden pair where one contains the other, and such a contract
//! would ban nothing.
use crate::output::sayln;

use super::common::ScanArgs;
use retry_audit_scan::data::Plan;
use retry_audit_scan::RuleData;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// `[tool.ruff.lint.flake8-tidy-imports.banned-api]` entries (ruff rule TID251).
    Ruff,
    /// import-linter `forbidden` contracts (pyproject.toml `[tool.importlinter]` form).
    ImportLinter,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// What to print.
    #[arg(long, value_enum)]
    pub emit: Emit,
}

/// Dotted module of a plan entry path (`a/b/c.py` -> `a.b.c`); `None` for globs.
/// The module a plan entry's file is: the scan's name for it (source roots, `src/` layouts and `package-dir`
/// applied), else the path's dotted form.
fn module_of(path: &str, scanned: &BTreeMap<String, String>) -> Option<String> {
    if path.contains(['*', '?', '[', '{']) || !(path.ends_with(".py") || path.ends_with(".pyi")) {
        return None;
    }
    let named = scanned.iter().find(|(display, _)| retry_audit_scan::classify::plan::path_matches(path, display));
    Some(match named {
        Some((_, module)) => module.clone(),
        None => retry_audit_scan::detect::context::module_name(path),
    })
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML array of strings, one per line.
fn list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let lines: Vec<String> = items.into_iter().map(|s| format!("    {},", quote(s))).collect();
    format!("[\n{}\n]", lines.join("\n"))
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let data = args.scan.rule_data()?;
    match args.emit {
        Emit::Ruff => emit_ruff(&data.plan, &scanned_modules(&args.scan, &data)?)?,
        Emit::ImportLinter => emit_import_linter(&data.plan, &tree_modules(&args.scan, &data)?)?,
    }
    Ok(0)
}

/// Every banned dotted name (module, or module.Name) with the message ruff shows for it.
fn banned_names(plan: &Plan, scanned: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let canonical = &plan.canonical.module;
    let mut banned: BTreeMap<String, String> = BTreeMap::new();
    for r in &plan.redirects {
        let (m, n) = r.from_parts();
        let key = match n {
            Some(n) => format!("{m}.{n}"),
            None => m.to_string(),
        };
        let to = r.to.replace(':', ".");
        let note = if r.note.is_empty() { String::new() } else { format!(" ({})", r.note) };
        banned.insert(
            key,
            format!(
                "Legacy retry code: use `{to}` instead{note}. Plan {}; `retry-audit migrate` rewrites this import.",
                plan.plan.name
            ),
        );
    }
    for c in &plan.config_migrations {
        let (m, n) = c.from_parts();
        if n.is_empty() {
            continue;
        }
        let to = c.to.replace(':', ".");
        let note = if c.note.is_empty() { String::new() } else { format!(" ({})", c.note) };
        banned.entry(format!("{m}.{n}")).or_insert_with(|| {
            format!(
                "Legacy retry config: use `{to}` instead{note}. Plan {}; `retry-audit migrate --unsafe-fixes` converts its arguments.",
                plan.plan.name
            )
        });
    }
    for e in &plan.entries {
        let Some(module) = module_of(&e.path, scanned) else {
            continue;
        };
        if &module == canonical {
            continue;
        }
        for s in &e.symbols {
            banned.entry(format!("{module}.{s}")).or_insert_with(|| {
                format!("Legacy retry implementation ({}): use `{canonical}` (the canonical retry manager) instead. Plan {}.", e.type_, plan.plan.name)
            });
        }
    }
    banned.retain(|k, _| k != canonical && !k.starts_with(&format!("{canonical}.")));
    banned
}

fn emit_ruff(plan: &Plan, scanned: &BTreeMap<String, String>) -> anyhow::Result<()> {
    sayln!("# Generated by `retry-audit enforce --emit ruff` from plan {:?}.", plan.plan.name);
    sayln!("# Enable the rule with: [tool.ruff.lint] extend-select = [\"TID251\"]");
    sayln!("[tool.ruff.lint.flake8-tidy-imports.banned-api]");
    for (name, msg) in banned_names(plan, scanned) {
        sayln!("{}.msg = {}", quote(&name), quote(&msg));
    }
    Ok(())
}

/// The modules of the scanned tree, by the names code imports them with from the project root (a package by
/// its own name), as `check` names them.
/// Each scanned file's root-relative path and module name.
fn scanned_modules(scan: &ScanArgs, data: &RuleData) -> anyhow::Result<BTreeMap<String, String>> {
    let project = scan.scan_project(data, None)?;
    Ok(ScanArgs::entries(&project).into_iter().map(|f| (f.display, f.module)).collect())
}

fn tree_modules(scan: &ScanArgs, data: &RuleData) -> anyhow::Result<BTreeSet<String>> {
    let project = scan.scan_project(data, None)?;
    Ok(ScanArgs::entries(&project)
        .into_iter()
        .map(|f| f.module.strip_suffix(".__init__").map(str::to_string).unwrap_or(f.module))
        .collect())
}

/// `module` is `outer` or inside it.
fn within(module: &str, outer: &str) -> bool {
    module == outer || module.strip_prefix(outer).is_some_and(|rest| rest.starts_with('.'))
}

/// The legacy modules the plan redirects whole: those in the tree, and those already gone from it.
fn legacy_modules(plan: &Plan, tree: &BTreeSet<String>) -> (BTreeSet<String>, BTreeSet<String>) {
    let canonical = &plan.canonical.module;
    plan.redirects
        .iter()
        .filter_map(|r| match r.from_parts() {
            (m, None) if m != canonical => Some(m.to_string()),
            _ => None,
        })
        .partition(|m| tree.iter().any(|t| within(t, m)))
}

/// The sources: every module of the root packages outside the legacy modules, as few names as cover them. A
/// package that contains a legacy module is split into its children (import-linter skips a source that
/// contains a forbidden module); the legacy modules are not sources, since they may import each other until
/// they are deleted.
fn sources(tree: &BTreeSet<String>, roots: &BTreeSet<String>, forbidden: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(module) = todo.pop() {
        if forbidden.iter().any(|f| within(&module, f)) {
            continue;
        }
        if !forbidden.iter().any(|f| within(f, &module)) {
            out.insert(module);
            continue;
        }
        let prefix = format!("{module}.");
        let children: BTreeSet<String> = tree
            .iter()
            .filter_map(|t| t.strip_prefix(&prefix))
            .map(|rest| format!("{prefix}{}", rest.split('.').next().unwrap_or(rest)))
            .collect();
        todo.extend(children);
    }
    out
}

/// The modules import-linter's graph holds: those whose enclosing packages all have an `__init__.py` (it does
/// not enter a directory without one inside a package, and refuses a source it does not hold).
fn graph_modules(tree: &BTreeSet<String>) -> BTreeSet<String> {
    let enclosed = |m: &str| m.match_indices('.').all(|(i, _)| tree.contains(&m[..i]));
    tree.iter().filter(|m| enclosed(m)).cloned().collect()
}

/// The packages above the legacy modules that are modules themselves (an `__init__.py`): import-linter checks
/// them only as modules, in a contract of their own (`as_packages = false`).
fn containing_packages(tree: &BTreeSet<String>, forbidden: &BTreeSet<String>) -> BTreeSet<String> {
    tree.iter().filter(|t| forbidden.iter().any(|f| within(f, t) && f != *t)).cloned().collect()
}

fn emit_import_linter(plan: &Plan, tree: &BTreeSet<String>) -> anyhow::Result<()> {
    let (present, gone) = legacy_modules(plan, tree);
    let symbols: Vec<String> = plan
        .redirects
        .iter()
        .filter_map(|r| match r.from_parts() {
            (m, Some(n)) => Some(format!("{m}.{n}")),
            _ => None,
        })
        .collect();
    let generated =
        format!("# Generated by `retry-audit enforce --emit import-linter` from plan {:?}.", plan.plan.name);
    sayln!("{generated}");
    if !gone.is_empty() {
        let names: Vec<&str> = gone.iter().map(String::as_str).collect();
        eprintln!(
            "retry-audit enforce: legacy modules already gone from the tree (not forbidden): {}",
            names.join(", ")
        );
        sayln!("# Legacy modules already gone from the tree (import-linter refuses to name a module that does not");
        sayln!("# exist; `--emit ruff` still bans them):");
        for m in &gone {
            sayln!("#   {m}");
        }
    }
    sayln!("# import-linter forbids whole modules: these legacy names are only banned by `--emit ruff`:");
    for s in &symbols {
        sayln!("#   {s}");
    }
    if present.is_empty() {
        eprintln!("retry-audit enforce: no legacy module of the plan is in the tree; no contract to emit");
        sayln!("# No legacy module of the plan is in the tree: there is nothing for import-linter to forbid.");
        return Ok(());
    }
    let roots: BTreeSet<String> = present.iter().map(|m| m.split('.').next().unwrap_or(m).to_string()).collect();
    let sources = sources(&graph_modules(tree), &roots, &present);
    let packages = containing_packages(tree, &present);
    // Both contracts forbid each legacy module and what is inside it; the second names the inside modules
    // itself, since it treats every name as a single module.
    let inside: BTreeSet<String> = tree.iter().filter(|t| present.iter().any(|f| within(t, f))).cloned().collect();
    let name =
        format!("Legacy retry modules are replaced by {} (retry-audit plan {})", plan.canonical.module, plan.plan.name);
    sayln!("# Run `lint-imports` where the root package is importable from (the directory above it).");
    sayln!("# While a legacy module still exists, its own imports are not checked: it is not a source.");
    sayln!("[tool.importlinter]");
    if roots.len() == 1 {
        sayln!("root_package = {}", quote(roots.iter().next().map(String::as_str).unwrap_or_default()));
    } else {
        sayln!("root_packages = [{}]", roots.iter().map(|r| quote(r)).collect::<Vec<_>>().join(", "));
    }
    sayln!();
    sayln!("[[tool.importlinter.contracts]]");
    sayln!("id = \"retry-audit-legacy-retry\"");
    sayln!("name = {}", quote(&name));
    sayln!("type = \"forbidden\"");
    sayln!("source_modules = {}", list(&sources));
    sayln!("forbidden_modules = {}", list(&present));
    sayln!("# Direct imports only, deliberately: an indirect import of a legacy module goes through a module that");
    sayln!("# imports it directly, which is a source here and reported itself; forbidding indirect imports too");
    sayln!("# would fail every module above it in the import graph for the same import.");
    sayln!("allow_indirect_imports = true");
    if !packages.is_empty() {
        sayln!();
        sayln!("[[tool.importlinter.contracts]]");
        sayln!("id = \"retry-audit-legacy-retry-packages\"");
        sayln!("name = {}", quote(&format!("{name}: the packages that contain them")));
        sayln!("type = \"forbidden\"");
        sayln!("source_modules = {}", list(&packages));
        sayln!("forbidden_modules = {}", list(&inside));
        sayln!("as_packages = false");
        sayln!("allow_indirect_imports = true");
    }
    Ok(())
}
