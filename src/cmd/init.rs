//! `retry-audit init [PATH]`: propose a plan from the tree's own retry system.
//!
//! The canonical candidate is `--canonical MODULE`, else the module of the engines with the most importers and
//! call sites (the runner-up is named in a comment). Its exports are read from its source, each with what it
//! is (class, enum, function, preset, constant). Every other file holding retry machinery becomes one plan
//! entry, grouped by what it holds (engines, wrappers, configs, presets, breakers, library uses), with its use
//! count. The plan is written to `retry-audit-plan.toml` beside the configuration, which points at it
//! (`retry-audit.toml`, or `[tool.retry-audit]` of `pyproject.toml` with `--pyproject`); `--stdout` prints it.
//! A tree that has a plan is not overwritten (`--force` does): `init` says what changed instead.

use super::common::ScanArgs;
use crate::config::{Config, PYPROJECT, STANDALONE};
use crate::output::{say, sayln};
use crate::plan_check::DefKind;
use anyhow::{bail, Context};
use retry_audit_scan::finding::{Finding, Role};
use retry_audit_scan::{data, RuleData};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The plan file `init` writes, beside the configuration.
pub const PLAN_FILE: &str = "retry-audit-plan.toml";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// The canonical module (dotted); default: the module of the engines with the most importers and call sites.
    #[arg(long, value_name = "MODULE")]
    pub canonical: Option<String>,
    /// Print the plan instead of writing it.
    #[arg(long)]
    pub stdout: bool,
    /// Point `[tool.retry-audit]` of pyproject.toml at the plan instead of a retry-audit.toml.
    #[arg(long, conflicts_with = "stdout")]
    pub pyproject: bool,
    /// Overwrite an existing plan.
    #[arg(long)]
    pub force: bool,
}

/// The categories of a proposed plan, in the order the plan document lists them.
const CATEGORIES: &[(&str, &str)] = &[
    ("engines", "1. Retry engines"),
    ("wrappers", "2. Wrappers and decorators on top of them"),
    ("configs", "3. Retry configs and strategy enums"),
    ("presets", "4. Presets"),
    ("breakers", "5. Circuit breakers"),
    ("libraries", "6. Retry library uses"),
];

fn category(role: Role) -> Option<&'static str> {
    Some(match role {
        Role::Engine => "engines",
        Role::Wrapper | Role::Decorator => "wrappers",
        Role::ConfigSchema | Role::StrategyEnum => "configs",
        Role::Preset => "presets",
        Role::Breaker => "breakers",
        Role::LibraryUse => "libraries",
        // Decisions and calculators are pieces of the engines beside them.
        Role::Decision | Role::Calculator => return None,
    })
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    // The proposal is made from the tree alone: an existing plan is compared with it, not applied to it.
    let data = RuleData { plan: data::Plan::default(), ..args.scan.rule_data()? };
    let scan = args.scan.scan_reported(&data)?;
    let modules: BTreeMap<&str, &str> = scan
        .result
        .model
        .as_ref()
        .map(|p| p.model.files.iter().map(|f| (f.path.as_str(), f.module.as_str())).collect())
        .unwrap_or_default();
    let findings: Vec<&Finding> = scan.result.findings.iter().filter(|f| f.role.is_some()).collect();
    let ranked = rank_engine_modules(&findings, &modules);
    let (canonical, path) = match &args.canonical {
        Some(m) => match modules.iter().find(|(_, module)| **module == m.as_str()) {
            Some((path, module)) => (module.to_string(), path.to_string()),
            None => bail!("--canonical {m}: no scanned file is that module"),
        },
        None => match ranked.first() {
            Some((module, path, _)) => (module.clone(), path.clone()),
            None => bail!("no retry engine in the tree to propose as the canonical module (name one with --canonical)"),
        },
    };
    let source = scan.sources.get(&path).with_context(|| format!("{path}: not among the scanned files"))?;
    let exports = exports(source, &canonical, &findings)?;
    let runner_up = ranked.iter().find(|(m, _, _)| *m != canonical);
    let plan = render(&canonical, &path, &exports, runner_up, &entries(&findings, &path));
    if args.stdout {
        say!("{plan}");
        return Ok(0);
    }
    write(&args, &scan.root, &plan, &findings, &path)
}

/// Engine modules by importers plus call sites of their engines, most used first: (module, path, uses).
fn rank_engine_modules(findings: &[&Finding], modules: &BTreeMap<&str, &str>) -> Vec<(String, String, usize)> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.role == Some(Role::Engine)) {
        *uses.entry(f.path.as_str()).or_default() += f.used_by.len();
    }
    let mut ranked: Vec<(String, String, usize)> = uses
        .into_iter()
        .map(|(path, n)| (modules.get(path).copied().unwrap_or(path).to_string(), path.to_string(), n))
        .collect();
    ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    ranked
}

/// The canonical module's public names as its source defines them, each with what it is: classes, enums,
/// functions, presets, and public constants (`DEFAULT_TIMEOUT`; not a logger or a one-letter type variable).
fn exports(source: &Path, module: &str, findings: &[&Finding]) -> anyhow::Result<Vec<(String, &'static str)>> {
    let text = retry_audit_scan::read::read_text(source).map_err(|e| anyhow::anyhow!("{}: {e}", source.display()))?;
    let defs = crate::plan_check::definitions(&text)
        .with_context(|| format!("{}: the canonical module does not parse", source.display()))?;
    let preset =
        |name: &str| findings.iter().any(|f| f.role == Some(Role::Preset) && f.symbol == format!("{module}.{name}"));
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for (name, d) in defs {
        if name.starts_with('_') || d.type_checking_only || out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let kind = match d.kind {
            DefKind::Constant if preset(&name) => "preset",
            DefKind::Constant => {
                let upper =
                    name.len() > 1 && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if !upper {
                    continue;
                }
                "constant"
            }
            DefKind::Import => continue,
            other => other.as_str(),
        };
        out.push((name, kind));
    }
    Ok(out)
}

/// One proposed plan entry: a file holding retry machinery.
struct Entry {
    path: String,
    category: &'static str,
    roles: Vec<&'static str>,
    uses: usize,
}

/// Every file but the canonical one that holds machinery, categorised by the first of its roles in plan order.
fn entries(findings: &[&Finding], canonical_path: &str) -> Vec<Entry> {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.path != canonical_path) {
        if f.role.and_then(category).is_some() {
            by_file.entry(f.path.as_str()).or_default().push(f);
        }
    }
    by_file
        .into_iter()
        .map(|(path, fs)| {
            let categories: Vec<&'static str> = fs.iter().filter_map(|f| f.role.and_then(category)).collect();
            let category = CATEGORIES.iter().map(|(id, _)| *id).find(|id| categories.contains(id)).unwrap_or("engines");
            let mut roles: Vec<&'static str> = fs.iter().filter_map(|f| f.role.map(Role::as_str)).collect();
            roles.sort();
            roles.dedup();
            Entry { path: path.to_string(), category, roles, uses: fs.iter().map(|f| f.used_by.len()).sum() }
        })
        .collect()
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn render(
    canonical: &str,
    path: &str,
    exports: &[(String, &'static str)],
    runner_up: Option<&(String, String, usize)>,
    entries: &[Entry],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Proposed by `retry-audit init` from the tree's inventory: review it, then commit it.");
    let _ = writeln!(out, "# Keys: [plan], categories, [canonical], [[entries]], [[redirects]], [[config_migrations]]");
    let _ = writeln!(out, "# (retry-audit's README, \"The plan\", documents each).\n");
    let _ = writeln!(out, "categories = [");
    for (id, title) in CATEGORIES {
        let _ = writeln!(out, "  {{ id = {}, title = {} }},", quote(id), quote(title));
    }
    let _ = writeln!(out, "]\n");
    let _ = writeln!(out, "[plan]\nname = \"retry consolidation\"");
    let _ = writeln!(out, "description = \"Consolidate every retry implementation onto {canonical}.\"\n");
    if let Some((module, _, uses)) = runner_up {
        let _ = writeln!(out, "# Runner-up for canonical: {module} ({uses} uses of its engines).");
    }
    let _ = writeln!(out, "[canonical]\nmodule = {}\npath = {}", quote(canonical), quote(path));
    let _ = writeln!(out, "exports = [");
    for (name, kind) in exports {
        let _ = writeln!(out, "  {},  # {kind}", quote(name));
    }
    let _ = writeln!(out, "]");
    for e in entries {
        let id = e.path.trim_end_matches(".py").replace(['/', '.'], "-");
        let _ = writeln!(out, "\n[[entries]]\nid = {}\ncategory = {}", quote(&id), quote(e.category));
        let _ = writeln!(out, "path = {}\ntype = {}", quote(&e.path), quote(&e.roles.join(", ")));
        let usage = if e.uses == 1 { "1 use".to_string() } else { format!("{} uses", e.uses) };
        let _ = writeln!(out, "status = \"to migrate\"\nusage = {}", quote(&usage));
    }
    out
}

/// Write the plan and point the configuration at it; with a plan already in place, say what changed instead.
fn write(args: &Args, root: &Path, plan: &str, findings: &[&Finding], canonical_path: &str) -> anyhow::Result<i32> {
    let existing = args.scan.config()?.and_then(|c| c.settings.plan.as_deref().map(|p| c.resolve(p)));
    if let (Some(file), false) = (&existing, args.force) {
        let old = data::Plan::load(Some(file))?;
        let proposed: Vec<String> = entries(findings, canonical_path).into_iter().map(|e| e.path).collect();
        let listed = |p: &str| old.entries.iter().any(|e| retry_audit_scan::classify::plan::path_matches(&e.path, p));
        let new: Vec<&String> = proposed.iter().filter(|p| !listed(p)).collect();
        let stale: Vec<&str> = old
            .entries
            .iter()
            .filter(|e| !proposed.iter().any(|p| retry_audit_scan::classify::plan::path_matches(&e.path, p)))
            .map(|e| e.path.as_str())
            .collect();
        sayln!("{}: a plan is in place; not overwritten (--force overwrites it)", file.display());
        for p in &new {
            sayln!("  new implementation, not in the plan: {p}");
        }
        for p in &stale {
            sayln!("  stale plan entry, nothing found there: {p}");
        }
        if new.is_empty() && stale.is_empty() {
            sayln!("  the plan lists every file holding retry machinery");
        }
        return Ok(0);
    }
    let plan_path = existing.unwrap_or_else(|| root.join(PLAN_FILE));
    write_file(&plan_path, plan.as_bytes())?;
    let config = if args.pyproject { root.join(PYPROJECT) } else { root.join(STANDALONE) };
    point_config_at(&config, &plan_path, root, args.pyproject)?;
    sayln!("wrote {} (referenced from {})", plan_path.display(), config.display());
    Ok(0)
}

/// Make the configuration name the plan (`plan = "..."`), creating it or its `[tool.retry-audit]` table.
fn point_config_at(config: &Path, plan: &Path, root: &Path, pyproject: bool) -> anyhow::Result<()> {
    let rel = plan.strip_prefix(root).unwrap_or(plan).display().to_string();
    let line = format!("plan = {}\n", quote(&rel));
    let text = std::fs::read_to_string(config).unwrap_or_default();
    if let Ok(Some(c)) = Config::load(config) {
        if c.settings.plan.is_some() {
            return Ok(());
        }
    }
    let updated = if pyproject {
        match text.find("[tool.retry-audit]\n") {
            Some(at) => {
                let end = at + "[tool.retry-audit]\n".len();
                format!("{}{line}{}", &text[..end], &text[end..])
            }
            None => format!("{text}{}[tool.retry-audit]\n{line}", if text.is_empty() { "" } else { "\n" }),
        }
    } else {
        format!("{line}{text}")
    };
    write_file(config, updated.as_bytes())
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    retry_audit_fix::write::write_file(path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
