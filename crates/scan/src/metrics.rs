//! The plan's SSOT metrics: distinct implementations; how many legacy implementations are really consolidated
//! (a shim onto the canonical manager, or deleted) and how many legacy engines still run a loop of their own;
//! share of retry imports already on the canonical module; share of sites whose params equal their domain
//! preset.
//!
//! The consolidation metrics are the primary measure of progress: they read what the code *does* (the roles
//! of the project model), so a run before and after a migration shows what it consolidated.
//! `canonical_import_share` is secondary: it counts import spellings, so it rises when an import is
//! redirected to a same-spelled name in the canonical module even when that name is an unrelated object (a
//! `RetryStrategy` class redirected to a `RetryStrategy` Enum), and it says nothing about whether legacy
//! engines still run.

use crate::data::Plan;
use crate::detect::context::FileContext;
use crate::finding::{Finding, Kind, PlanStatus, Role, SiteRef};
use crate::syntax::*;

/// Imports in a file whose module is the canonical module.
pub fn count_canonical_imports(ctx: &FileContext, plan: &Plan) -> usize {
    let canon = plan.canonical.module.as_str();
    let mut n = 0;
    walk_stmts(&ctx.ast.body, true, &mut |s| match &s.kind {
        StmtKind::ImportFrom { module: Some(m), level: 0, names } if m == canon => n += names.len(),
        StmtKind::Import { names } => n += names.iter().filter(|a| a.name == canon).count(),
        _ => {}
    });
    n
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Metrics {
    /// Implementation findings outside the canonical module, each duplicate group counted once.
    pub distinct_implementations: usize,
    pub implementation_sites: usize,
    pub canonical_imports: usize,
    pub legacy_imports: usize,
    /// canonical / (canonical + legacy); `null` when there are no retry imports. Secondary: it counts import
    /// spellings, not what the imported names are (see the module documentation).
    pub canonical_import_share: Option<f64>,
    /// Sites with statically known params that equal their domain preset, over all such sites.
    pub preset_conforming_sites: usize,
    pub sites_with_params: usize,
    pub preset_conformance_share: Option<f64>,
    /// Legacy implementations that are consolidated: `shims_onto_canonical` + `deleted_legacy_modules`.
    pub consolidated_implementations: usize,
    /// Legacy definitions that are shims onto the canonical manager: wrappers handing every call to the
    /// canonical module (the model's `delegates_to`) with no retry loop of their own, in a module the plan
    /// lists as legacy or shaped as a shim (`role_detail` `shim`: it warns it is deprecated). A new wrapper
    /// elsewhere that calls the canonical module (a test, a service) is a user of it, not a consolidation.
    pub shims_onto_canonical: usize,
    /// Legacy modules of the plan that are gone: absent from a directory the scan covered, and known to
    /// version control as deleted (a module that was never there does not count). Each counts once: its
    /// implementations can no longer be counted.
    pub deleted_legacy_modules: usize,
    /// Engine sites outside the canonical module (tests aside) that still run a retry loop (or recursion) of
    /// their own.
    pub legacy_engines_with_own_loop: usize,
}

/// Is a site in the canonical module (by path, or by its dotted symbol)?
fn in_canonical(plan: &Plan, site: &SiteRef) -> bool {
    let module = plan.canonical.module.as_str();
    plan.has_canonical()
        && (crate::classify::plan::path_matches(&plan.canonical.path, &site.path)
            || site.symbol.strip_prefix(module).is_some_and(|rest| rest.starts_with('.'))
            || site.symbol.contains(&format!(".{module}.")))
}

/// The site runs a retry loop or recursion of its own (its evidence says so).
fn own_loop(f: &Finding) -> bool {
    f.role_detail == "recursion" || f.evidence.iter().any(|e| e.starts_with("loop@") || e.starts_with("recursion"))
}

/// A shim onto the canonical manager: a legacy definition (in a legacy module of the plan, or shaped as a
/// shim), a wrapper (or a preset configuring the manager) whose every hand-off goes into the canonical
/// module, and no loop of its own.
fn is_shim(plan: &Plan, f: &Finding) -> bool {
    // A shim that builds the canonical config itself (`migrate --shims`) reads as a preset that configures the
    // canonical manager: the same hand-off.
    let runs_canonical = |f: &Finding| {
        // A preset counts when it hands a call to a method of the canonical manager (`Manager.execute`), not
        // when it only builds a canonical config (`RetryConfig`).
        let module = plan.canonical.module.as_str();
        f.delegates_to.iter().any(|d| {
            d.symbol.strip_prefix(module).and_then(|rest| rest.strip_prefix('.')).is_some_and(|rest| rest.contains('.'))
        })
    };
    // A decorator factory whose wrapper hands each call to the canonical manager is a shim too.
    let factory = f.role == Some(Role::Decorator) && f.role_detail == "factory" && runs_canonical(f);
    (f.role == Some(Role::Wrapper) || (f.role == Some(Role::Preset) && runs_canonical(f)) || factory)
        && (f.plan.status == PlanStatus::Planned || f.role_detail == "shim")
        && !crate::deletion::is_test_path(&f.path)
        && !f.delegates_to.is_empty()
        && f.delegates_to.iter().all(|d| in_canonical(plan, d))
        && !own_loop(f)
}

/// The metrics of a scan's findings. `deleted_legacy_modules`: the plan's legacy modules known to be deleted
/// (see `Metrics::deleted_legacy_modules`).
pub fn compute(
    findings: &[Finding],
    canonical_imports: usize,
    conforming: &dyn Fn(&Finding) -> Option<bool>,
    plan: &Plan,
    deleted_legacy_modules: usize,
) -> Metrics {
    let impls: Vec<&Finding> =
        findings.iter().filter(|f| f.kind.is_implementation() && f.plan.status != PlanStatus::Canonical).collect();
    let mut groups: Vec<&str> = impls.iter().filter_map(|f| f.group.as_deref()).collect();
    groups.sort();
    groups.dedup();
    let ungrouped = impls.iter().filter(|f| f.group.is_none()).count();
    let legacy = findings.iter().filter(|f| f.kind == Kind::LegacyImport).count();
    let mut with = 0;
    let mut ok = 0;
    for f in findings {
        if let Some(c) = conforming(f) {
            with += 1;
            ok += c as usize;
        }
    }
    let shims = impls.iter().filter(|f| is_shim(plan, f)).count();
    let engines = impls
        .iter()
        .filter(|f| f.role == Some(Role::Engine) && own_loop(f) && !crate::deletion::is_test_path(&f.path))
        .count();
    let share = |a: usize, b: usize| if b == 0 { None } else { Some((a as f64 / b as f64 * 1000.0).round() / 1000.0) };
    Metrics {
        distinct_implementations: ungrouped + groups.len(),
        implementation_sites: impls.len(),
        canonical_imports,
        legacy_imports: legacy,
        canonical_import_share: share(canonical_imports, canonical_imports + legacy),
        preset_conforming_sites: ok,
        sites_with_params: with,
        preset_conformance_share: share(ok, with),
        consolidated_implementations: shims + deleted_legacy_modules,
        shims_onto_canonical: shims,
        deleted_legacy_modules,
        legacy_engines_with_own_loop: engines,
    }
}
