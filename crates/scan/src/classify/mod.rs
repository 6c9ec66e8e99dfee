//! Classification: domain, plan status and fingerprint per finding, then duplicate groups across findings.

pub mod domain;
pub mod groups;
pub mod plan;

use crate::data::RuleData;
use crate::detect::RawFinding;
use crate::finding::Finding;
use crate::read::SourceFile;
use sha2::{Digest, Sha256};

/// Fingerprint: rule + path + symbol + normalized structure; stable under line moves and reformatting.
pub fn fingerprint(rule: &str, path: &str, symbol: &str, shape: u64) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(symbol.as_bytes());
    h.update([0]);
    h.update(shape.to_le_bytes());
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Turn a rule's raw finding into a full `Finding`.
pub fn classify(raw: RawFinding, path: &str, module: &str, src: &SourceFile, data: &RuleData) -> Finding {
    let symbol = if raw.qualname.is_empty() {
        module.to_string()
    } else if module.is_empty() {
        raw.qualname.clone()
    } else {
        format!("{module}.{}", raw.qualname)
    };
    let line = src.lines().line(raw.span.start);
    let end_line = src.lines().line(raw.span.end.saturating_sub(1).max(raw.span.start));
    let column = src.lines().column(&src.text, raw.span.start);
    let domain = domain::classify(&data.domains, path, &raw.qualname, &raw.operations);
    let plan = plan::status(&data.plan, path, module);
    Finding {
        rule: raw.rule,
        kind: raw.kind,
        path: path.to_string(),
        line,
        end_line,
        column,
        span: raw.span,
        fingerprint: fingerprint(raw.rule, path, &symbol, raw.shape),
        symbol,
        domain,
        params: raw.params,
        plan,
        group: None,
        message: raw.message,
        notes: raw.notes,
        fix: raw.fix,
        skipped_fix: raw.skipped_fix,
        shape: raw.shape ^ (raw.kind as u64).wrapping_mul(0x9e3779b97f4a7c15),
        role: None,
        role_detail: String::new(),
        evidence: vec![],
        delegates_to: vec![],
        used_by: vec![],
    }
}
