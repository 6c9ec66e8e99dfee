//! The plan's SSOT metrics: distinct implementations, share of retry imports already on the canonical module,
//! share of sites whose params equal their domain preset.

use crate::data::Plan;
use crate::detect::context::FileContext;
use crate::finding::{Finding, Kind, PlanStatus};
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
    /// canonical / (canonical + legacy); `null` when there are no retry imports.
    pub canonical_import_share: Option<f64>,
    /// Sites with statically known params that equal their domain preset, over all such sites.
    pub preset_conforming_sites: usize,
    pub sites_with_params: usize,
    pub preset_conformance_share: Option<f64>,
}

pub fn compute(
    findings: &[Finding],
    canonical_imports: usize,
    conforming: &dyn Fn(&Finding) -> Option<bool>,
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
    }
}
