//! The retry system as a tree: each engine (or decorator, schema, breaker) with what is built on it beneath
//! it — its methods and pieces, the wrappers that call it, the presets that configure it — so "25
//! implementations" reads as "N engines, M wrappers onto them, K presets". Shared by every report.
//!
//! A finding's parent is what it delegates to (its first `delegates_to` that is itself a finding), else the
//! finding whose symbol encloses its own (a method under its class). Findings without a role (legacy
//! imports, drift) are not part of the system.

use crate::finding::{Finding, Role};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// One site of the system and what hangs off it.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub role: &'static str,
    pub symbol: String,
    pub path: String,
    pub line: u32,
    /// Call sites and importers in the tree.
    pub used_by: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

/// The system: counts per role (in `Role::ALL` order) and the trees.
#[derive(Debug, Clone, Default)]
pub struct System {
    pub counts: Vec<(&'static str, usize)>,
    pub roots: Vec<Node>,
}

impl System {
    /// "3 engines, 2 wrappers, 1 preset".
    pub fn headline(&self) -> String {
        let parts: Vec<String> =
            self.counts.iter().filter(|(_, n)| *n > 0).map(|(role, n)| format!("{n} {}", plural(role, *n))).collect();
        if parts.is_empty() {
            "no retry sites".into()
        } else {
            parts.join(", ")
        }
    }
}

fn plural(role: &str, n: usize) -> String {
    let words = role.replace('_', " ");
    match (n, words.as_str()) {
        (1, _) => words,
        (_, "library use") => "library uses".into(),
        (_, "config schema") => "config schemas".into(),
        (_, "strategy enum") => "strategy enums".into(),
        _ => format!("{words}s"),
    }
}

pub fn build(findings: &[Finding]) -> System {
    let members: Vec<usize> = (0..findings.len()).filter(|&i| findings[i].role.is_some()).collect();
    // Symbol -> the first member with it (a class and its RTY011 twin share a symbol; drift has no role).
    let mut by_symbol: HashMap<&str, usize> = HashMap::default();
    for &i in &members {
        by_symbol.entry(findings[i].symbol.as_str()).or_insert(i);
    }
    let parent_of = |i: usize| -> Option<usize> {
        let f = &findings[i];
        if let Some(p) = f.delegates_to.iter().find_map(|d| by_symbol.get(d.symbol.as_str()).copied()) {
            if p != i {
                return Some(p);
            }
        }
        // The nearest enclosing symbol that is a member in the same file.
        let mut s = f.symbol.as_str();
        while let Some((head, _)) = s.rsplit_once('.') {
            if let Some(&p) = by_symbol.get(head) {
                if findings[p].path == f.path && p != i {
                    return Some(p);
                }
            }
            s = head;
        }
        None
    };
    let mut parent: HashMap<usize, usize> = HashMap::default();
    for &i in &members {
        if let Some(p) = parent_of(i) {
            parent.insert(i, p);
        }
    }
    // Break cycles (a wrapper pair calling each other): a member whose chain comes back to it is a root.
    for &i in &members {
        let mut seen = vec![i];
        let mut cur = i;
        while let Some(&p) = parent.get(&cur) {
            if seen.contains(&p) {
                parent.remove(&i);
                break;
            }
            seen.push(p);
            cur = p;
        }
    }
    let mut children: HashMap<usize, Vec<usize>> = HashMap::default();
    for &i in &members {
        if let Some(&p) = parent.get(&i) {
            children.entry(p).or_default().push(i);
        }
    }
    fn node(i: usize, findings: &[Finding], children: &HashMap<usize, Vec<usize>>) -> Node {
        let f = &findings[i];
        Node {
            role: f.role.map(Role::as_str).unwrap_or(""),
            symbol: f.symbol.clone(),
            path: f.path.clone(),
            line: f.line,
            used_by: f.used_by.len(),
            children: children.get(&i).into_iter().flatten().map(|&c| node(c, findings, children)).collect(),
        }
    }
    // Biggest systems first, then by place (each tree's size counted once, not at every comparison).
    let mut sized: Vec<(usize, Node)> = members
        .iter()
        .filter(|i| !parent.contains_key(i))
        .map(|&i| node(i, findings, &children))
        .map(|n| (size(&n), n))
        .collect();
    sized.sort_by(|(sa, a), (sb, b)| sb.cmp(sa).then_with(|| (&a.path, a.line).cmp(&(&b.path, b.line))));
    let roots: Vec<Node> = sized.into_iter().map(|(_, n)| n).collect();
    let counts = Role::ALL
        .iter()
        .map(|r| (r.as_str(), members.iter().filter(|&&i| findings[i].role == Some(*r)).count()))
        .collect();
    System { counts, roots }
}

impl System {
    /// The trees as an indented outline, one site per line (`role symbol path:line`; a child in its parent's
    /// file shows `:line`).
    pub fn outline(&self, indent: &str) -> Vec<String> {
        fn walk(n: &Node, parent_path: Option<&str>, depth: usize, indent: &str, out: &mut Vec<String>) {
            let place = if parent_path == Some(n.path.as_str()) {
                format!(":{}", n.line)
            } else {
                format!("{}:{}", n.path, n.line)
            };
            let used = if n.used_by > 0 { format!("  (used by {})", n.used_by) } else { String::new() };
            out.push(format!("{}{:<14} {}  {place}{used}", indent.repeat(depth + 1), n.role, n.symbol));
            for c in &n.children {
                walk(c, Some(&n.path), depth + 1, indent, out);
            }
        }
        let mut out = Vec::new();
        for r in &self.roots {
            walk(r, None, 0, indent, &mut out);
        }
        out
    }
}

fn size(n: &Node) -> usize {
    1 + n.children.iter().map(size).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Kind, SiteRef};

    fn f(symbol: &str, role: Role, delegates: &[&str]) -> Finding {
        Finding {
            rule: "RTY002",
            kind: Kind::RetryFunction,
            path: "a.py".into(),
            line: 1,
            end_line: 1,
            column: 1,
            span: Default::default(),
            symbol: symbol.into(),
            domain: "generic".into(),
            params: Default::default(),
            plan: crate::finding::PlanRef { status: crate::finding::PlanStatus::Unplanned, entry: None },
            fingerprint: String::new(),
            group: None,
            message: String::new(),
            notes: vec![],
            fix: None,
            skipped_fix: None,
            shape: 0,
            role: Some(role),
            role_detail: String::new(),
            evidence: vec![],
            delegates_to: delegates
                .iter()
                .map(|d| SiteRef { symbol: d.to_string(), path: "a.py".into(), line: 1 })
                .collect(),
            used_by: vec![],
        }
    }

    #[test]
    fn wrappers_and_methods_hang_off_their_engine() {
        let findings = vec![
            f("m.Handler", Role::Engine, &[]),
            f("m.Handler.execute", Role::Engine, &[]),
            f("m.retry_db", Role::Wrapper, &["m.Handler.execute"]),
            f("m.DB_POLICY", Role::Preset, &["m.Handler"]),
            f("m.alone", Role::Calculator, &[]),
        ];
        let s = build(&findings);
        assert_eq!(s.headline(), "2 engines, 1 wrapper, 1 preset, 1 calculator");
        assert_eq!(s.roots.len(), 2);
        let h = &s.roots[0];
        assert_eq!(h.symbol, "m.Handler");
        let kids: Vec<&str> = h.children.iter().map(|c| c.symbol.as_str()).collect();
        assert_eq!(kids, ["m.Handler.execute", "m.DB_POLICY"]);
        assert_eq!(h.children[0].children[0].symbol, "m.retry_db");
    }

    #[test]
    fn cycles_do_not_lose_sites() {
        let findings = vec![f("m.a", Role::Wrapper, &["m.b"]), f("m.b", Role::Wrapper, &["m.a"])];
        let s = build(&findings);
        assert_eq!(size(&s.roots[0]) + s.roots.iter().skip(1).map(size).sum::<usize>(), 2);
    }
}
