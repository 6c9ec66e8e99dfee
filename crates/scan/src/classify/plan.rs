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

/// Compiled plan globs, shared by every finding of a run (`None`: not a valid glob).
fn glob_matcher(pattern: &str) -> Option<globset::GlobMatcher> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<globset::GlobMatcher>>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| {
            globset::GlobBuilder::new(pattern).literal_separator(false).build().ok().map(|g| g.compile_matcher())
        })
        .clone()
}

fn ends_with_segments(long: &str, short: &str) -> bool {
    long == short || long.ends_with(&format!("/{short}"))
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
    if path_matches(&plan.canonical.path, path)
        || module == plan.canonical.module
        || module.ends_with(&format!(".{}", plan.canonical.module))
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
