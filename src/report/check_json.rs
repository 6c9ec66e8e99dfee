//! `check --format json`: the gate's report as one JSON document, its findings rendered item by item in
//! parallel and written in their place (`json_text`), byte for byte what pretty-printing the whole document as
//! one `serde_json::Value` gives. Every finding is listed with its status, baselined ones included: on a dense
//! tree (15,000 findings) the one-value way held the document three times over (peak RSS about 300 MB, against
//! 146 MB now) and nearly a third of its time (1.64 s, against 1.16 s).

use super::json_text::{self, List};
use crate::gate::{CheckReport, Item};
use retry_audit_scan::finding::Finding;
use serde::Serialize;
use serde_json::json;

/// A finding as the report lists it: its own fields, then what the gate made of it.
#[derive(Serialize)]
struct ItemJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    changed_since_baseline: bool,
}

impl<'a> ItemJson<'a> {
    fn of(it: &'a Item<'a>) -> ItemJson<'a> {
        ItemJson {
            finding: it.finding,
            status: it.status.as_str(),
            suppression_reason: it.reason.as_deref(),
            changed_since_baseline: it.changed,
        }
    }
}

/// Write the report's JSON document (`root`: the root as the user gave it).
pub fn write(r: &CheckReport, root: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    const FINDINGS: &str = "\u{0}findings";
    let items: Vec<ItemJson> = r.items.iter().map(ItemJson::of).collect();
    json_text::write(&doc(r, root, json!(FINDINGS)), &[&List { placeholder: FINDINGS, depth: 0, items: &items }], out)
}

/// The document, with its findings given.
fn doc(r: &CheckReport, root: &str, findings: serde_json::Value) -> serde_json::Value {
    json!({
        "version": 2,
        "root": root,
        "project_root": r.scan.root.display().to_string(),
        "baseline": r.baseline_file.as_ref().map(|p| p.display().to_string()),
        "summary": r.summary_json(),
        "findings": findings,
        "fixed": r.fixed,
        "unused_suppressions": r.unused.iter().map(|u| {
            let mut v = serde_json::to_value(u).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("message".into(), json!(u.message()));
                o.insert("rule".into(), json!(crate::config::UNUSED_SUPPRESSION));
            }
            v
        }).collect::<Vec<_>>(),
        "diagnostics": r.scan.result.diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Selection;
    use crate::gate::{evaluate, Status};
    use crate::project_scan::ProjectScan;

    /// The document as one value, each finding's object with the gate's keys added: how the report was
    /// printed before it was streamed.
    fn to_json(r: &CheckReport, root: &str) -> serde_json::Value {
        let findings: Vec<serde_json::Value> = r
            .items
            .iter()
            .map(|it| {
                let mut v = serde_json::to_value(it.finding).unwrap();
                let o = v.as_object_mut().unwrap();
                o.insert("status".into(), json!(it.status.as_str()));
                if let Some(reason) = &it.reason {
                    o.insert("suppression_reason".into(), json!(reason));
                }
                if it.changed {
                    o.insert("changed_since_baseline".into(), json!(true));
                }
                v
            })
            .collect();
        doc(r, root, json!(findings))
    }

    #[test]
    fn streamed_report_is_the_whole_document_pretty_printed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/netra_demo");
        let data =
            retry_audit_scan::data::RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
        let result =
            retry_audit_scan::scan(std::slice::from_ref(&root), &retry_audit_scan::ScanOptions::default(), &data)
                .unwrap();
        let scan = ProjectScan { root, result, sources: Default::default(), pyprojects: Default::default() };
        let sel = Selection::new(None, &[], &[]).unwrap();
        let mut report = evaluate(&scan, &data, &sel, None);
        assert!(report.items.len() > 20);
        // Every key the gate adds, on some finding.
        report.items[0].status = Status::Suppressed;
        report.items[0].reason = Some("flaky \"warm-up\"\nbest effort".into());
        report.items[1].status = Status::Baselined;
        report.items[1].changed = true;
        report.baseline_file = Some("base line.toml".into());
        let mut out = Vec::new();
        write(&report, "fixtures/netra_demo", &mut out).unwrap();
        let whole = serde_json::to_string_pretty(&to_json(&report, "fixtures/netra_demo")).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), whole);
    }
}
