//! `check --format sarif`: SARIF 2.1.0 for GitHub code scanning. The driver lists every rule with its
//! documentation (`retry-audit rules --explain`) as help text; each new finding is a result whose
//! `partialFingerprints` carry our fingerprint (stable under line moves and reformatting), so code scanning
//! does not open a second alert when code moves. Unused suppressions are RTY100 results (warning, or error
//! when selected).

use crate::gate::{help_text, replacement_note, CheckReport};
use retry_audit_scan::detect::rules::REGISTRY;
use serde_json::{json, Value};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const FINGERPRINT_KEY: &str = "retryAuditFingerprint/v1";

fn rules() -> Vec<Value> {
    let mut rules: Vec<Value> = REGISTRY
        .iter()
        .map(|r| {
            let doc = r.doc();
            let level = if r.kind == retry_audit_scan::finding::Kind::ReadinessProbe { "note" } else { "error" };
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": doc },
                "help": {
                    "text": format!("{doc}\n\nMove the code onto the canonical retry manager (`retry-audit migrate` fixes legacy imports), or suppress one site with `# retry-audit: ignore[{}] -- reason`.", r.code),
                    "markdown": format!("{doc}\n\nMove the code onto the canonical retry manager (`retry-audit migrate` fixes legacy imports), or suppress one site with `# retry-audit: ignore[{}] -- reason`.", r.code),
                },
                "defaultConfiguration": { "level": level },
                "properties": { "kind": r.kind.as_str(), "tags": ["retry", "maintainability", r.kind.as_str()] },
            })
        })
        .collect();
    rules.push(json!({
        "id": crate::config::UNUSED_SUPPRESSION,
        "name": crate::gate::UNUSED_SUPPRESSION_KIND,
        "shortDescription": { "text": crate::gate::UNUSED_SUPPRESSION_SUMMARY },
        "fullDescription": { "text": crate::gate::UNUSED_SUPPRESSION_DOC },
        "help": { "text": "Remove the comment, or the unused codes from it.", "markdown": "Remove the comment, or the unused codes from it." },
        "defaultConfiguration": { "level": "warning" },
        "properties": { "tags": ["retry", "suppression"] },
    }));
    rules
}

fn location(path: &str, line: u32, column: u32, end_line: u32) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": path, "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": line.max(1), "startColumn": column.max(1), "endLine": end_line.max(line).max(1) },
        }
    })
}

pub fn render(r: &CheckReport) -> Value {
    let rules = rules();
    let index = |code: &str| rules.iter().position(|x| x["id"] == code).unwrap_or(0);
    let mut results = Vec::new();
    for it in r.new_items() {
        let f = it.finding;
        results.push(json!({
            "ruleId": f.rule,
            "ruleIndex": index(f.rule),
            "level": "error",
            "kind": "fail",
            "message": { "text": match replacement_note(f, r.data) {
                Some(note) => format!("{}: {}. {note}. {}", f.kind.as_str(), f.message, help_text(f)),
                None => format!("{}: {}. {}", f.kind.as_str(), f.message, help_text(f)),
            } },
            "locations": [location(&f.path, f.line, f.column, f.end_line)],
            "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint },
            "properties": properties(f),
        }));
    }
    for u in &r.unused {
        results.push(json!({
            "ruleId": crate::config::UNUSED_SUPPRESSION,
            "ruleIndex": index(crate::config::UNUSED_SUPPRESSION),
            "level": if r.unused_fail { "error" } else { "warning" },
            "message": { "text": u.message() },
            "locations": [location(&u.path, u.line, u.column, u.line)],
            "partialFingerprints": { FINGERPRINT_KEY: format!("{}:{}:{}", u.path, crate::config::UNUSED_SUPPRESSION, u.codes.join(",")) },
        }));
    }
    let notifications: Vec<Value> = r
        .scan
        .result
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "level": r.level_of(d),
                "message": { "text": format!("{}: {}", d.kind.as_str(), d.message) },
                "locations": [location(&d.path, d.line, 1, d.line)],
                "descriptor": { "id": d.kind.as_str() },
            })
        })
        .collect();
    let root_uri = format!("file://{}/", r.scan.root.display().to_string().trim_end_matches('/'));
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "retry-audit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "results": results,
            "invocations": [{ "executionSuccessful": true, "toolExecutionNotifications": notifications }],
        }]
    })
}

/// A result's properties; `planStatus` only when there is a plan.
fn properties(f: &retry_audit_scan::finding::Finding) -> serde_json::Value {
    let mut p = json!({ "symbol": f.symbol, "domain": f.domain, "kind": f.kind.as_str() });
    if !f.plan.is_no_plan() {
        p["planStatus"] = json!(f.plan.status.as_str());
    }
    p
}
