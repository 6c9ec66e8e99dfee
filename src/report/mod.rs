//! Rendering an inventory: a human table, JSON (a stable interface, documented in README) and Markdown
//! (the plan's "Complete Inventory" tables regenerated from what was found).

pub mod diagnostics;
pub mod github;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

use retry_audit_scan::classify::groups::Group;
use retry_audit_scan::classify::plan as plan_match;
use retry_audit_scan::data::PlanEntry;
use retry_audit_scan::diagnostic::Diagnostic;
use retry_audit_scan::finding::Finding;
use retry_audit_scan::metrics::{self, Metrics};
use retry_audit_scan::{RuleData, ScanResult};
use serde_json::json;

/// The version of `inventory --format json` (documented in README, "JSON output"). 3: `deletable`, the
/// consolidation metrics and `plan.deleted`.
pub const INVENTORY_JSON_VERSION: u32 = 3;

pub struct Inventory<'a> {
    pub root: String,
    pub result: &'a ScanResult,
    pub data: &'a RuleData,
    pub stale: Vec<&'a PlanEntry>,
    pub metrics: Metrics,
    /// The findings as a graph: engines with what is built on them.
    pub system: retry_audit_scan::system::System,
    /// Legacy modules nothing imports any more (`None`: not worked out: no plan lists a legacy module).
    pub deletable: Option<&'a [retry_audit_scan::deletion::Deletable]>,
    /// Legacy plan entries whose module is deleted (see `deleted_modules`).
    pub deleted: Vec<retry_audit_scan::deletion::AbsentEntry>,
}

impl<'a> Inventory<'a> {
    /// The inventory of a scan; `deleted`: the legacy plan entries whose module is known to be deleted.
    pub fn new(
        root: &str,
        result: &'a ScanResult,
        data: &'a RuleData,
        deleted: Vec<retry_audit_scan::deletion::AbsentEntry>,
    ) -> Self {
        let stale = plan_match::stale(&data.plan, &result.findings);
        let metrics = metrics::compute(
            &result.findings,
            result.canonical_imports,
            &|f| retry_audit_scan::drift::conforms(f),
            &data.plan,
            deleted.len(),
        );
        let system = retry_audit_scan::system::build(&result.findings);
        let deletable = result.deletion.as_ref().map(|d| d.deletable.as_slice());
        Inventory { root: root.to_string(), result, data, stale, metrics, system, deletable, deleted }
    }

    /// The plan entry `id`'s module is known to be deleted.
    pub fn is_deleted(&self, id: &str) -> bool {
        self.deleted.iter().any(|e| e.id == id)
    }

    pub fn findings(&self) -> &[Finding] {
        &self.result.findings
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.result.diagnostics
    }

    pub fn groups(&self) -> &[Group] {
        &self.result.groups
    }

    /// Findings per plan entry id.
    pub fn entry_findings(&self, id: &str) -> Vec<&Finding> {
        self.findings().iter().filter(|f| f.plan.entry.as_deref() == Some(id)).collect()
    }

    pub fn to_json(&self) -> serde_json::Value {
        let plan = &self.data.plan;
        json!({
            "version": INVENTORY_JSON_VERSION,
            "root": self.root,
            "files_scanned": self.result.files_scanned,
            "files_parsed": self.result.files_parsed,
            "diagnostics": self.diagnostics(),
            "findings": self.findings(),
            "groups": self.groups(),
            "plan": (plan.has_canonical() || !plan.entries.is_empty()).then(|| json!({
                "name": plan.plan.name,
                "canonical": { "module": plan.canonical.module, "path": plan.canonical.path },
                "entries": plan.entries.iter().map(|e| json!({
                    "id": e.id,
                    "category": e.category,
                    "path": e.path,
                    "type": e.type_,
                    "status": e.status,
                    "usage": e.usage,
                    "findings": self.entry_findings(&e.id).len(),
                })).collect::<Vec<_>>(),
                "stale": self.stale.iter().map(|e| json!({"id": e.id, "path": e.path, "category": e.category})).collect::<Vec<_>>(),
                "deleted": self.deleted.iter().map(|e| json!({"id": e.id, "path": e.path})).collect::<Vec<_>>(),
            })),
            "deletable": self.deletable.unwrap_or_default(),
            "metrics": self.metrics,
            "system": {
                "counts": self.system.counts.iter().map(|(r, n)| (r.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "roots": self.system.roots,
            },
        })
    }
}

/// `max_attempts=4 (max_retries=3) base_delay=1 ...` for a finding's params.
pub fn params_text(f: &Finding) -> String {
    let p = &f.params;
    let mut parts = Vec::new();
    let num = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") };
    if let Some(a) = p.max_attempts {
        match p.spelling.get("max_attempts") {
            Some(s) if s.contains('=') && !s.starts_with("max_attempts") => {
                parts.push(format!("max_attempts={a} ({s})"))
            }
            _ => parts.push(format!("max_attempts={a}")),
        }
    }
    if let Some(v) = p.base_delay {
        parts.push(format!("base_delay={}", num(v)));
    }
    if let Some(v) = p.max_delay {
        parts.push(format!("max_delay={}", num(v)));
    }
    if let Some(v) = p.multiplier {
        parts.push(format!("multiplier={}", num(v)));
    }
    if let Some(s) = &p.strategy {
        parts.push(format!("strategy={s}"));
    }
    if let Some(j) = p.jitter {
        parts.push(format!("jitter={j}"));
    }
    if let Some(v) = p.total_timeout {
        parts.push(format!("total_timeout={}", num(v)));
    }
    parts.join(" ")
}
