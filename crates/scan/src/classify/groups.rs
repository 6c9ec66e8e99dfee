//! Duplicate groups: findings of one kind whose normalized structure (statement skeleton; names, literals
//! and positions erased) is the same. "These 7 functions are one exponential backoff loop written 7 times."

use crate::finding::{Finding, Kind};
use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    pub id: String,
    pub kind: Kind,
    pub size: usize,
    /// `path:line symbol` of each member, in report order.
    pub members: Vec<String>,
}

/// Assign `group` ids (G1, G2 ... in order of first member) to findings that share a kind and shape.
/// Canonical findings, legacy imports, library uses and readiness probes are never grouped.
pub fn assign(findings: &mut [Finding]) -> Vec<Group> {
    let mut by_shape: BTreeMap<(Kind, u64), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if !f.kind.is_implementation() || f.plan.status == crate::finding::PlanStatus::Canonical {
            continue;
        }
        by_shape.entry((f.kind, f.shape)).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = by_shape.into_values().filter(|v| v.len() >= 2).collect();
    groups.sort_by_key(|v| v[0]);
    groups
        .into_iter()
        .enumerate()
        .map(|(gi, members)| {
            let id = format!("G{}", gi + 1);
            for &m in &members {
                findings[m].group = Some(id.clone());
            }
            Group {
                id,
                kind: findings[members[0]].kind,
                size: members.len(),
                members: members
                    .iter()
                    .map(|&m| format!("{}:{} {}", findings[m].path, findings[m].line, findings[m].symbol))
                    .collect(),
            }
        })
        .collect()
}
