//! Plan status: `canonical` inside the canonical module, `planned` in a file a plan entry lists, `unplanned`
//! otherwise; and the plan entries no finding matched (`stale`).

use crate::data::{Plan, PlanEntry};
use crate::finding::{Finding, Kind, PlanRef, PlanStatus};

/// Does a scanned path match a plan path or glob? Plan paths are repository-relative; a scanned path may
/// carry a prefix (a parent directory was scanned) or lack one (a subdirectory was scanned).
pub fn path_matches(plan_path: &str, scanned: &str) -> bool {
    if plan_path.contains('*') {
        let Some(m) = glob_matcher(plan_path) else { return false };
        // Try every suffix of the scanned path that starts at a segment boundary.
        let mut rest = scanned;
        loop {
            if m.is_match(rest) {
                return true;
            }
            match rest.split_once('/') {
                Some((_, r)) => rest = r,
                None => return false,
            }
        }
    }
    ends_with_segments(scanned, plan_path)
        || (plan_path.matches('/').count() >= 2 && ends_with_segments(plan_path, scanned) && scanned.contains('/'))
}

/// Compiled plan globs, shared by every finding of a run (`None`: not a valid glob). Shared, not cloned: a
/// clone of a matcher is a new regex with an empty cache pool, and building a lazy-DFA cache costs more than
/// the match (once per finding, it was a percent of a scan).
fn glob_matcher(pattern: &str) -> Option<std::sync::Arc<globset::GlobMatcher>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cache = Mutex<HashMap<String, Option<Arc<globset::GlobMatcher>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = cache.get(pattern) {
        return m.clone();
    }
    let m =
        globset::GlobBuilder::new(pattern).literal_separator(false).build().ok().map(|g| Arc::new(g.compile_matcher()));
    cache.insert(pattern.to_string(), m.clone());
    m
}

/// `long` is `short` or ends with `/short` (without building `/short`: asked for every finding).
fn ends_with_segments(long: &str, short: &str) -> bool {
    long == short
        || (long.len() > short.len() && long.ends_with(short) && long.as_bytes()[long.len() - short.len() - 1] == b'/')
}

/// The plan entry a path falls under: exact file entries beat globs.
pub fn entry_for<'p>(plan: &'p Plan, path: &str) -> Option<&'p PlanEntry> {
    plan.entries
        .iter()
        .filter(|e| !e.path.contains('*'))
        .find(|e| path_matches(&e.path, path))
        .or_else(|| plan.entries.iter().filter(|e| e.path.contains('*')).find(|e| path_matches(&e.path, path)))
}

pub fn status(plan: &Plan, path: &str, module: &str) -> PlanRef {
    if !plan.has_canonical() && plan.entries.is_empty() {
        return PlanRef { status: PlanStatus::NoPlan, entry: None };
    }
    if plan.has_canonical() && path_matches(&plan.canonical.path, path)
        || plan.has_canonical() && module == plan.canonical.module
        || plan.has_canonical() && module.strip_suffix(plan.canonical.module.as_str()).is_some_and(|m| m.ends_with('.'))
    {
        let entry = plan.entries.iter().find(|e| e.path == plan.canonical.path).map(|e| e.id.clone());
        return PlanRef { status: PlanStatus::Canonical, entry };
    }
    match entry_for(plan, path) {
        Some(e) => PlanRef { status: PlanStatus::Planned, entry: Some(e.id.clone()) },
        None => PlanRef { status: PlanStatus::Unplanned, entry: None },
    }
}

/// Plan entries with no retry finding (legacy imports and drift do not count: they are not implementations).
/// Entries of the canonical module are never stale.
pub fn stale<'p>(plan: &'p Plan, findings: &[Finding]) -> Vec<&'p PlanEntry> {
    plan.entries
        .iter()
        .filter(|e| e.path != plan.canonical.path)
        .filter(|e| {
            !findings.iter().any(|f| {
                !matches!(f.kind, Kind::LegacyImport | Kind::LegacyConfig | Kind::PolicyDrift)
                    && f.plan.entry.as_deref() == Some(e.id.as_str())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_prefix_or_glob() {
        assert!(path_matches("netra_backend/app/db/clickhouse.py", "netra_backend/app/db/clickhouse.py"));
        assert!(path_matches("netra_backend/app/db/clickhouse.py", "repo/netra_backend/app/db/clickhouse.py"));
        assert!(path_matches("netra_backend/app/db/clickhouse.py", "app/db/clickhouse.py"));
        assert!(!path_matches("netra_backend/app/db/clickhouse.py", "clickhouse.py"));
        assert!(!path_matches("netra_backend/app/db/clickhouse.py", "other/db/clickhouse.py"));
        assert!(path_matches("netra_backend/app/websocket_core/*.py", "netra_backend/app/websocket_core/manager.py"));
        assert!(path_matches("**/tests/**/*.py", "netra_backend/tests/unit/test_x.py"));
    }
}
