//! `retry-audit init [PATH]`: propose a plan from the tree's own retry system.
//!
//! The canonical candidate is `--canonical MODULE` (a module of the scanned tree), else the module of the
//! engines with the most importers and call sites (the runner-up is named in a comment). Its exports are read
//! from its source, each with what it is (class, enum, function, preset, constant). Every other file holding
//! retry machinery becomes one plan entry, grouped by what it holds (engines, wrappers, configs, presets,
//! breakers, library uses), with its use count. The plan is written into the configuration (`place`):
//! `[plan]` tables of `retry-audit.toml`, or `[tool.retry-audit.plan]` of `pyproject.toml` with
//! `--pyproject`; `--stdout` prints it. A tree that has a plan is not overwritten (`--force` does): `init`
//! says what changed instead.

mod closest;
mod place;
mod render;

use super::common::ScanArgs;
use crate::output::say;
use crate::plan_check::DefKind;
use anyhow::{bail, Context};
use render::{Entry, Proposal, CATEGORIES};
use retry_audit_scan::finding::{Finding, Role};
use retry_audit_scan::{data, RuleData};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// The canonical module (dotted, a module of the scanned tree); default: the module of the engines with
    /// the most importers and call sites.
    #[arg(long, value_name = "MODULE")]
    pub canonical: Option<String>,
    /// Print the plan (as it would be written) instead of writing it.
    #[arg(long)]
    pub stdout: bool,
    /// Write the plan into `[tool.retry-audit]` of pyproject.toml (as `[tool.retry-audit.plan]` tables appended
    /// to the file) instead of retry-audit.toml.
    #[arg(long)]
    pub pyproject: bool,
    /// Overwrite the plan in place; with --pyproject, add the plan to an existing `[tool.retry-audit]`.
    #[arg(long)]
    pub force: bool,
}

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
    // The proposal is made from the tree alone: the plan in effect is compared with it, not applied to it.
    let mut data = args.scan.rule_data()?;
    let existing = std::mem::take(&mut data.plan);
    let data = RuleData { plan: data::Plan::default(), ..data };
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
            None => bail!("{}", not_a_module(m, &modules)),
        },
        None => match ranked.first() {
            Some((module, path, _)) => (module.clone(), path.clone()),
            None => bail!("no retry engine in the tree to propose as the canonical module (name one with --canonical)"),
        },
    };
    let source = scan.sources.get(&path).with_context(|| format!("{path}: not among the scanned files"))?;
    let exports = exports(source, &canonical, &findings)?;
    let entries = entries(&findings, &path);
    let engine = engine_of(source, &canonical, &path);
    let proposal = Proposal {
        canonical: &canonical,
        path: &path,
        exports: &exports,
        engine: &engine,
        runner_up: ranked.iter().find(|(m, _, _)| *m != canonical),
        entries: &entries,
    };
    let cfg = args.scan.config()?;
    if args.stdout {
        say!("{}", render::render(&proposal, Some(place::table(place::into_pyproject(args.pyproject, cfg)))));
        return Ok(0);
    }
    let request = place::Request {
        root: &scan.root,
        cfg,
        pyproject: args.pyproject,
        force: args.force,
        existing: args.scan.plan_source()?.map(|source| (source, existing)),
    };
    place::write(request, &proposal)
}

/// `--canonical` names no scanned module: say so, with the closest names that are.
fn not_a_module(wanted: &str, modules: &BTreeMap<&str, &str>) -> String {
    let near = closest::closest(wanted, modules.values().copied(), 3);
    if near.is_empty() {
        return format!("--canonical {wanted}: no Python module was scanned");
    }
    format!("--canonical {wanted}: not a module of the scanned tree; the closest: {}", near.join(", "))
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
/// How a shim calls the canonical manager, as `migrate --shims` reads it off the module's source (or why not).
fn engine_of(source: &Path, module: &str, path: &str) -> Result<retry_audit_scan::data::CanonicalEngine, String> {
    let text = retry_audit_scan::read::read_text(source).map_err(|e| e.to_string())?;
    let ast = retry_audit_scan::parse::parse_module(&text).map_err(|e| e.message)?;
    let is_package = path.ends_with("__init__.py");
    let mut info = retry_audit_scan::project::module_info(module, is_package, &ast);
    info.definitions = retry_audit_scan::project::definitions_of(module, is_package, &text, &ast);
    let tree = retry_audit_scan::project::TreeInfo { modules: [(module.to_string(), info)].into_iter().collect() };
    retry_audit_scan::fixes::shim_engine::derive(&tree, module)
}

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
