//! Rendering an inventory: a human table, JSON (a stable interface, documented in README) and Markdown
//! (the plan's "Complete Inventory" tables regenerated from what was found).

pub mod check_json;
pub mod diagnostics;
pub mod github;
mod json_text;
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

    /// The document as one value (what `to_json_text` prints, for its test).
    #[cfg(test)]
    fn to_json(&self) -> serde_json::Value {
        self.json_doc(
            serde_json::to_value(self.diagnostics()).unwrap_or_default(),
            serde_json::to_value(self.findings()).unwrap_or_default(),
            serde_json::to_value(self.groups()).unwrap_or_default(),
            serde_json::to_value(&self.system.roots).unwrap_or_default(),
        )
    }

    /// Write `to_json` pretty-printed, byte for byte, its long lists rendered item by item in parallel
    /// (`json_text`).
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use json_text::List;
        const DIAGNOSTICS: &str = "\u{0}diagnostics";
        const FINDINGS: &str = "\u{0}findings";
        const GROUPS: &str = "\u{0}groups";
        const ROOTS: &str = "\u{0}roots";
        let doc = self.json_doc(json!(DIAGNOSTICS), json!(FINDINGS), json!(GROUPS), json!(ROOTS));
        json_text::write(
            &doc,
            &[
                &List { placeholder: DIAGNOSTICS, depth: 0, items: self.diagnostics() },
                &List { placeholder: FINDINGS, depth: 0, items: self.findings() },
                &List { placeholder: GROUPS, depth: 0, items: self.groups() },
                &List { placeholder: ROOTS, depth: 1, items: &self.system.roots },
            ],
            out,
        )
    }

    /// The document, with its four long lists given.
    fn json_doc(
        &self,
        diagnostics: serde_json::Value,
        findings: serde_json::Value,
        groups: serde_json::Value,
        roots: serde_json::Value,
    ) -> serde_json::Value {
        let plan = &self.data.plan;
        json!({
            "version": INVENTORY_JSON_VERSION,
            "root": self.root,
            "files_scanned": self.result.files_scanned,
            "files_parsed": self.result.files_parsed,
            "diagnostics": diagnostics,
            "findings": findings,
            "groups": groups,
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
                "roots": roots,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON of the inventory, its long lists rendered item by item, is the text of the whole document
    /// pretty-printed as one value: findings with roles and uses, groups, the system's roots, a plan.
    #[test]
    fn json_text_is_the_whole_document_pretty_printed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/netra_demo");
        let data = RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
        let result = retry_audit_scan::scan(&[root], &retry_audit_scan::ScanOptions::default(), &data).unwrap();
        assert!(result.findings.len() > 20 && !result.groups.is_empty());
        let inv = Inventory::new("fixtures/netra_demo", &result, &data, vec![]);
        assert!(!inv.system.roots.is_empty());
        let mut out = Vec::new();
        inv.write_json(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string_pretty(&inv.to_json()).unwrap());
    }
}
