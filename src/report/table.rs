//! The default human report: findings grouped like the plan (category -> file -> findings), then unplanned
//! ones, totals, duplicate groups, stale plan entries, deletable legacy modules and the SSOT metrics.

use super::{params_text, Inventory};
use retry_audit_scan::finding::{Finding, PlanStatus};
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn render(inv: &Inventory) -> String {
    let mut out = String::new();
    let plan = &inv.data.plan;
    let findings = inv.findings();

    let canonical: Vec<&Finding> = findings.iter().filter(|f| f.plan.status == PlanStatus::Canonical).collect();
    if !canonical.is_empty() {
        let _ = writeln!(out, "== Canonical ({}) ==", plan.canonical.module);
        by_file(&mut out, &canonical);
    }
    for cat in plan.category_order() {
        let in_cat: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.plan.status == PlanStatus::Planned)
            .filter(|f| {
                plan.entries.iter().any(|e| Some(e.id.as_str()) == f.plan.entry.as_deref() && e.category == cat)
            })
            .collect();
        if in_cat.is_empty() {
            continue;
        }
        let _ = writeln!(out, "== {} ==", plan.category_title(cat));
        by_file(&mut out, &in_cat);
    }
    let unplanned: Vec<&Finding> = findings.iter().filter(|f| f.plan.status == PlanStatus::Unplanned).collect();
    if !unplanned.is_empty() {
        let _ = writeln!(out, "== Unplanned (not in the plan) ==");
        by_file(&mut out, &unplanned);
    }
    let no_plan: Vec<&Finding> = findings.iter().filter(|f| f.plan.is_no_plan()).collect();
    if !no_plan.is_empty() {
        let _ = writeln!(out, "== Findings ==");
        by_file(&mut out, &no_plan);
    }

    // Totals.
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_kind.entry(f.kind.as_str()).or_default() += 1;
    }
    let mut files: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    files.dedup();
    let _ = write!(
        out,
        "Totals: {} findings in {} files ({} scanned, {} parsed)",
        findings.len(),
        files.len(),
        inv.result.files_scanned,
        inv.result.files_parsed,
    );
    let planned = findings.iter().filter(|f| f.plan.status == PlanStatus::Planned).count();
    let _ = match no_plan.is_empty() {
        true => writeln!(out, "; canonical {}, planned {planned}, unplanned {}", canonical.len(), unplanned.len()),
        false => writeln!(out, "; no plan (give one with --plan FILE or `plan` in retry-audit.toml)"),
    };
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    if !kinds.is_empty() {
        let _ = writeln!(out, "  by kind: {}", kinds.join(", "));
    }

    if !inv.system.roots.is_empty() {
        let _ = writeln!(out, "\nRetry system: {}", inv.system.headline());
        for line in inv.system.outline("  ") {
            let _ = writeln!(out, "{line}");
        }
    }

    if !inv.groups().is_empty() {
        let _ = writeln!(out, "\nDuplicate groups (same structure, names and literals erased):");
        for g in inv.groups() {
            let _ = writeln!(
                out,
                "  {}: {} {}s are one implementation written {} times",
                g.id,
                g.size,
                g.kind.as_str(),
                g.size
            );
            for m in &g.members {
                let _ = writeln!(out, "      {m}");
            }
        }
    }
    if !inv.stale.is_empty() {
        let _ = writeln!(out, "\nStale plan entries (no finding):");
        for e in &inv.stale {
            let deleted = if inv.is_deleted(&e.id) { ", deleted" } else { "" };
            let _ = writeln!(out, "  {} {} ({}{deleted})", e.id, e.path, e.type_);
        }
    }
    if let Some(deletable) = inv.deletable {
        if deletable.is_empty() {
            let _ = writeln!(out, "\nDeletable legacy modules: none (every legacy module is still imported)");
        } else {
            let _ = writeln!(
                out,
                "\nDeletable legacy modules ({}; `retry-audit migrate --delete-unused` removes them):",
                deletable.len()
            );
            for d in deletable {
                let _ = writeln!(out, "  {}  {}\n      {}", d.path, d.module, d.reason);
            }
        }
    }
    if !inv.diagnostics().is_empty() {
        let _ = writeln!(out, "\nDiagnostics ({}):", inv.diagnostics().len());
        for d in inv.diagnostics() {
            let _ = writeln!(out, "  {d}");
        }
    }
    let m = &inv.metrics;
    let pct = |v: Option<f64>| v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "n/a".into());
    let _ = writeln!(out, "\nSSOT metrics:");
    let _ = writeln!(
        out,
        "  distinct implementations: {} ({} sites outside the canonical module)",
        m.distinct_implementations, m.implementation_sites
    );
    let _ = writeln!(
        out,
        "  consolidated implementations: {} ({} shims onto the canonical module, {} legacy modules deleted)",
        m.consolidated_implementations, m.shims_onto_canonical, m.deleted_legacy_modules
    );
    let _ = writeln!(out, "  legacy engines with a loop of their own: {}", m.legacy_engines_with_own_loop);
    let _ = writeln!(
        out,
        "  retry imports on the canonical module (secondary: counts spellings): {} ({} canonical, {} legacy)",
        pct(m.canonical_import_share),
        m.canonical_imports,
        m.legacy_imports
    );
    let _ = writeln!(
        out,
        "  sites whose params equal their domain preset: {} ({} of {})",
        pct(m.preset_conformance_share),
        m.preset_conforming_sites,
        m.sites_with_params
    );
    out
}

fn by_file(out: &mut String, findings: &[&Finding]) {
    let mut last = "";
    for f in findings {
        if f.path != last {
            let entry = f.plan.entry.as_deref().map(|e| format!("  [{e}]")).unwrap_or_default();
            let _ = writeln!(out, "{}{entry}", f.path);
            last = &f.path;
        }
        let group = f.group.as_deref().map(|g| format!(" {g}")).unwrap_or_default();
        let notes = if f.notes.is_empty() { String::new() } else { format!(" ({})", f.notes.join(", ")) };
        let _ = writeln!(
            out,
            "  {:>5}  {} {:<19} {}  [{}]{group}{notes}",
            f.line,
            f.rule,
            f.kind.as_str(),
            f.symbol,
            f.domain
        );
        let p = params_text(f);
        if !p.is_empty() {
            let _ = writeln!(out, "         {p}");
        }
    }
}
