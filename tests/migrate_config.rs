//! `retry-audit migrate`: legacy config constructions (RTY012), plan-driven decorator spelling, skip reasons,
//! files that do not parse, and `from pkg import legacy_module`. The before/expected pairs themselves are
//! checked by `migrate_fixtures.rs`; these tests check what the summary says and what the plan controls.

mod common;

use assert_cmd::Command;
use common::{case_tree, migrate_fixtures, write_tree};
use std::path::Path;

fn copy(case: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&case_tree(&migrate_fixtures().join(case)), tmp.path());
    tmp
}

fn migrate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(dir)
        .args(common::with_example_plan(&[&["migrate"], args].concat()))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_fixes_are_unsafe_by_default_and_withheld() {
    let tmp = copy("config_migration");
    let before = std::fs::read(tmp.path().join("app/agent.py")).unwrap();
    let (code, stdout, stderr) = migrate(tmp.path(), &["--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("nothing to change"), "{stderr}");
    assert!(stderr.contains("3 unsafe fix(es) not applied"), "{stderr}");
    assert_eq!(std::fs::read(tmp.path().join("app/agent.py")).unwrap(), before);
    // --check counts them: the migration is not finished while an unsafe fix is pending.
    let (code, stdout, stderr) = migrate(tmp.path(), &["--check"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(stderr.contains("retry-audit migrate: fixes by applicability: 0 safe, 3 unsafe, 4 skipped\n"), "{stderr}");
    let (code, _, stderr) = migrate(tmp.path(), &["--check", "--unsafe-fixes", "--select", "config"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("fixes by applicability: 0 safe, 3 unsafe, 3 skipped\n"), "{stderr}");
    let (code, _, stderr) = migrate(tmp.path(), &["--check", "--ignore", "RTY012"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("fixes by applicability: 0 safe, 0 unsafe, 1 skipped\n"), "{stderr}");
    // Each conversion the tree contradicts is refused, naming the consumer or the default.
    for reason in [
        "app/mixed.py:7: RTY012 config: line 9: `literal.max_retries` is read, which the canonical class does not define",
        "app/mixed.py:13: RTY012 config: line 13: the config is passed to `RetryManager`, which is not the canonical API and may read the legacy fields",
        "app/mixed.py:1: RTY009 import_redirect: line 13: an argument the legacy one takes as `config` would be passed to `UnifiedRetryHandler(...)` as `service_name`",
    ] {
        assert!(stderr.contains(reason) || migrate(tmp.path(), &["--check"]).2.contains(reason), "missing {reason}");
    }
    let (_, stdout, _) = migrate(tmp.path(), &["--check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["fixes_by_applicability"], serde_json::json!({"safe": 0, "unsafe": 3, "skipped": 4}));
    // The diff header names the conversion.
    let (_, stdout, _) = migrate(tmp.path(), &["--unsafe-fixes"]);
    assert!(stdout.contains("RTY012 config (unsafe)"), "{stdout}");
    assert!(stdout.contains("max_retries=3 -> max_attempts=4"), "{stdout}");
}

#[test]
fn config_skip_reasons_are_reported() {
    let tmp = copy("config_not_rewritten");
    let (code, stdout, stderr) = migrate(tmp.path(), &["--unsafe-fixes"]);
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
    for want in [
        "app/settings.py:7: RTY012 config: `max_retries=RETRIES` is not an integer literal",
        "app/settings.py:8: RTY012 config: keyword `jitter` of `RetryPolicy` has no mapping",
        "app/settings.py:9: RTY012 config: `RetryPolicy(...)` has positional arguments",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in\n{stderr}");
    }
    let (_, stdout, _) = migrate(tmp.path(), &["--unsafe-fixes", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["skipped"].as_array().unwrap().len(), 3, "{v:#}");
    assert!(v["skipped"].as_array().unwrap().iter().all(|s| s["fix_kind"] == "config"));
}

const SAFE_PLAN: &str = r#"
[plan]
name = "custom"

[canonical]
module = "netra_backend.app.core.resilience.unified_retry_handler"
path = "netra_backend/app/core/resilience/unified_retry_handler.py"
exports = ["RetryConfig", "unified_retry", "RetryStrategy"]
decorator = "unified_retry"
config_class = "RetryConfig"

[[config_migrations]]
from = "netra_backend.app.core.reliability_retry:RetryPolicy"
to = "netra_backend.app.core.resilience.unified_retry_handler:RetryConfig"
safety = "safe"
rename = { max_retries = "max_attempts+1", base_delay = "base_delay", max_delay = "max_delay", retry_delay = "base_delay", backoff_factor = "backoff_multiplier", timeout_ms = "timeout_seconds*0.001" }
"#;

#[test]
fn a_plan_can_mark_a_config_migration_safe() {
    let tmp = copy("config_migration");
    std::fs::write(tmp.path().join("plan.toml"), SAFE_PLAN).unwrap();
    std::fs::write(
        tmp.path().join("app/timeouts.py"),
        "from netra_backend.app.core.reliability_retry import RetryPolicy\n\nP = RetryPolicy(max_retries=0, timeout_ms=2500)\n",
    )
    .unwrap();
    let (code, _, stderr) = migrate(tmp.path(), &["--apply", "--plan", "plan.toml"]);
    assert_eq!(code, 0, "{stderr}");
    let agent = std::fs::read_to_string(tmp.path().join("app/agent.py")).unwrap();
    assert!(agent.contains("DEFAULT = RetryConfig(max_attempts=4, base_delay=1.0)"), "{agent}");
    let timeouts = std::fs::read_to_string(tmp.path().join("app/timeouts.py")).unwrap();
    assert_eq!(
        timeouts,
        "from netra_backend.app.core.resilience.unified_retry_handler import RetryConfig\n\nP = RetryConfig(max_attempts=1, timeout_seconds=2.5)\n"
    );
    let (_, _, stderr) = migrate(tmp.path(), &["--apply", "--plan", "plan.toml"]);
    assert!(stderr.contains("nothing to change"), "{stderr}");
}

#[test]
fn a_bad_rename_in_the_plan_is_a_configuration_error() {
    let tmp = copy("config_migration");
    std::fs::write(tmp.path().join("plan.toml"), SAFE_PLAN.replace("max_attempts+1", "max_attempts+one")).unwrap();
    let (code, _, stderr) = migrate(tmp.path(), &["--plan", "plan.toml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("rename.max_retries"), "{stderr}");
}

#[test]
fn decorator_spelling_comes_from_the_plan() {
    let tmp = copy("decorators");
    std::fs::write(tmp.path().join("plan.toml"), SAFE_PLAN).unwrap();
    let (code, stdout, stderr) = migrate(tmp.path(), &["--plan", "plan.toml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("+@unified_retry(RetryConfig(max_attempts=5"), "{stdout}");
    assert!(stdout.contains("import unified_retry, RetryConfig"), "{stdout}");
    assert!(!stdout.contains("with_retry"), "{stdout}");
}

#[test]
fn decorator_needs_the_canonical_exports() {
    let tmp = copy("decorator_missing_export");
    let (code, stdout, stderr) = migrate(tmp.path(), &["--unsafe-fixes"]);
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("RTY005 decorator:") && stderr.contains("`with_retry`"), "{stderr}");
    // The plan's declared exports are a claim: the module that does not define `unified_retry` is not
    // trusted to, whatever the plan says.
    let tmp = copy("decorators");
    std::fs::write(tmp.path().join("plan.toml"), SAFE_PLAN).unwrap();
    let canonical = tmp.path().join("netra_backend/app/core/resilience/unified_retry_handler.py");
    let text = std::fs::read_to_string(&canonical).unwrap().replace("unified_retry = with_retry\n", "");
    std::fs::write(&canonical, text).unwrap();
    let (_, stdout, stderr) = migrate(tmp.path(), &["--plan", "plan.toml"]);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("does not define or re-export `unified_retry`"), "{stderr}");
    // Not in the tree at all: nothing is redirected to it.
    std::fs::remove_file(&canonical).unwrap();
    let (_, stdout, stderr) = migrate(tmp.path(), &["--plan", "plan.toml"]);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("is neither in the scanned tree nor found under the project root"), "{stderr}");
}

#[test]
fn files_that_do_not_parse_are_counted_and_listed() {
    let tmp = copy("not_rewritten");
    let (code, _, stderr) = migrate(tmp.path(), &["--apply"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("could not consider 1 file(s)"), "{stderr}");
    assert!(stderr.contains("  myapp/broken.py:2: parse-error: "), "{stderr}");
    let (_, stdout, _) = migrate(tmp.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["not_considered"][0]["path"], "myapp/broken.py", "{v:#}");
    assert_eq!(v["not_considered"][0]["kind"], "parse-error", "{v:#}");
    assert_eq!(v["not_considered"][0]["line"], 2, "{v:#}");
    // A gate never passes what it could not read.
    let (code, _, _) = migrate(tmp.path(), &["--check"]);
    assert_eq!(code, 1);
}

#[test]
fn module_imported_as_a_name() {
    let tmp = copy("module_as_name");
    let (_, stdout, stderr) = migrate(tmp.path(), &[]);
    assert!(stdout.contains("import unified_retry_handler as enhanced_retry"), "{stdout}");
    assert!(stderr.contains("imports the legacy module itself (the redirect is unsafe)"), "{stderr}");
    // The module object used directly (not only through attributes): unsafe, and the header says why.
    let tmp = copy("relative");
    let (_, stdout, stderr) = migrate(tmp.path(), &["--unsafe-fixes"]);
    assert!(stdout.contains("the module object `enhanced_retry` is used directly"), "{stdout}");
    let (_, _, stderr2) = migrate(tmp.path(), &[]);
    assert!(stderr2.contains("1 unsafe fix(es) not applied"), "{stderr}\n{stderr2}");
}

/// A plan whose canonical module declares an export it does not define (`RetryStrategy`).
const SUBPATH_PLAN: &str = r#"[plan]
name = "sub"

[canonical]
module = "app.core.retry"
path = "app/core/retry.py"
exports = ["retry_call", "RetryStrategy"]

[[redirects]]
from = "app.old_retry:retry_call"
to = "app.core.retry:retry_call"
safety = "safe"

[[redirects]]
from = "app.old_retry:RetryStrategy"
to = "app.core.retry:RetryStrategy"
safety = "safe"
"#;

#[test]
fn migrate_subpath_reads_the_canonical_module_outside_the_scanned_paths() {
    let tmp = tempfile::tempdir().unwrap();
    for (rel, text) in [
        ("plan.toml", SUBPATH_PLAN),
        ("app/__init__.py", ""),
        ("app/core/__init__.py", ""),
        ("app/core/retry.py", "def retry_call(op):\n    return op()\n"),
        ("app/old_retry.py", "def retry_call(op):\n    return op()\n\n\nclass RetryStrategy:\n    pass\n"),
        ("app/services/__init__.py", ""),
        (
            "app/services/jobs.py",
            "from app.old_retry import RetryStrategy, retry_call\n\nprint(RetryStrategy, retry_call)\n",
        ),
    ] {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    // Only app/services is scanned: the canonical module's real exports are read from its file all the same,
    // so the name it does not define is not redirected (it would be left unbound).
    let (code, stdout, stderr) = migrate(tmp.path(), &["--isolated", "--plan", "plan.toml", "app/services"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("-from app.old_retry import RetryStrategy, retry_call\n"), "{stdout}");
    assert!(
        stdout.contains("+from app.old_retry import RetryStrategy\n+from app.core.retry import retry_call\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("RTY009 import_redirect: `app.core.retry` does not define or re-export `RetryStrategy`; not rewritten (it would leave the name unbound)"),
        "{stderr}"
    );
    assert!(stderr.contains("fixes by applicability: 1 safe, 0 unsafe, 1 skipped\n"), "{stderr}");
}

/// A redirect is checked against what the two names are in the tree, never against the plan's claims: each
/// of these cases leaves every file as it was (the fixture has no `expected/`) and says why.
#[test]
fn redirects_the_tree_contradicts_are_refused_with_the_reason() {
    for (case, reason) in [
        (
            "refused_kind",
            "app/jobs.py:2: RTY009 import_redirect: the legacy `RetryStrategy` is a class and \
             `netra_backend.app.core.resilience.unified_retry_handler.RetryStrategy` is an enum: not the same kind of object",
        ),
        (
            "refused_typing",
            "app/jobs.py:1: RTY009 import_redirect: `netra_backend.app.core.resilience.unified_retry_handler.RetryStrategy` \
             is bound only under `if TYPE_CHECKING:`; importing it would fail at run time",
        ),
        (
            "refused_async",
            "app/jobs.py:1: RTY009 import_redirect: the legacy one is async and `UnifiedRetryHandler.execute_with_retry` \
             is sync: every call and `await` would change",
        ),
    ] {
        let tmp = copy(case);
        let (code, stdout, stderr) = migrate(tmp.path(), &["--unsafe-fixes", "--apply"]);
        assert_eq!(code, 0, "{case}: {stderr}");
        assert!(stdout.is_empty(), "{case}: {stdout}");
        assert!(stderr.contains(reason), "{case}: missing {reason:?} in\n{stderr}");
        assert!(stderr.contains("nothing to change"), "{case}: {stderr}");
    }
}
