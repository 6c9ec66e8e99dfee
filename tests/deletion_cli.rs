//! Deletable legacy modules (`inventory`), their deletion (`migrate --delete-unused`) and the consolidation
//! metrics, on fixture backends written after real ones:
//!
//! - `fixtures/deletion/backend/`: legacy modules kept by a test's import, by an `importlib` string, by a
//!   `mock.patch` target, by an entry point, by a parent package's re-export, by an importer the byte
//!   prefilter leaves out, a `__main__` module; and modules nothing imports (one only through another
//!   deletable one, one in a package that is left empty). Its own pytest tests pass before and after the
//!   deletion (`README.md` there lists every case).
//! - `fixtures/consolidation/{before,after,renamed}/`: one backend before its consolidation, after it (a
//!   delegating shim, a deleted module) and after a rename that consolidates nothing.

mod common;
#[path = "common/venv.rs"]
mod venv;

use assert_cmd::Command;
use common::{copy_dir, read_tree};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn bin(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("retry-audit").unwrap();
    c.current_dir(dir);
    c
}

/// `inventory --format json` of `dir` (its own `retry-audit.toml` names the plan).
fn inventory_json(dir: &Path) -> Value {
    let out = bin(dir).args(["inventory", "--format", "json", "--quiet", "."]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn migrate(dir: &Path, args: &[&str]) -> std::process::Output {
    bin(dir).arg("migrate").args(args).arg(".").output().unwrap()
}

/// The backend fixture copied to a scratch directory (`<tmp>/backend`).
fn backend_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("backend");
    copy_dir(&fixture("deletion/backend"), &dir);
    (tmp, dir)
}

/// What the backend fixture's inventory must report deletable: (path, module, words of the reason).
const DELETABLE: &[(&str, &str, &str)] = &[
    (
        "acme_backend/app/core/async_retry_logic.py",
        "acme_backend.app.core.async_retry_logic",
        "nothing in the tree imports it (legacy: plan entry `core-async-retry-logic`)",
    ),
    (
        "acme_backend/app/core/reliability_retry.py",
        "acme_backend.app.core.reliability_retry",
        "imported only by modules deleted with it: acme_backend.app.core.async_retry_logic (legacy: plan entry \
         `core-reliability-retry`)",
    ),
    (
        "acme_backend/app/old_retry/__init__.py",
        "acme_backend.app.old_retry",
        "its package holds nothing else once the legacy modules are deleted; nothing in the tree imports it",
    ),
    (
        "acme_backend/app/old_retry/backoff_helpers.py",
        "acme_backend.app.old_retry.backoff_helpers",
        "nothing in the tree imports it (legacy: plan entry `core-old-backoff-helpers`)",
    ),
];

fn deletable_paths() -> Vec<&'static str> {
    DELETABLE.iter().map(|d| d.0).collect()
}

#[test]
fn inventory_json_lists_exactly_the_deletable_legacy_modules() {
    let v = inventory_json(&fixture("deletion/backend"));
    assert_eq!(v["version"], 3);
    let got: Vec<(String, String, String)> = v["deletable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d.as_object().unwrap().len(), 3, "{d}: path, module, reason");
            (
                d["path"].as_str().unwrap().into(),
                d["module"].as_str().unwrap().into(),
                d["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> =
        DELETABLE.iter().map(|(p, m, r)| (p.to_string(), m.to_string(), r.to_string())).collect();
    assert_eq!(got, want);
    // Kept, each for its own reason (see the fixture's README): never listed.
    for kept in [
        "acme_backend/app/agents/base/retry_manager.py",      // a test imports it
        "acme_backend/app/core/retry_cli.py",                 // pyproject.toml [project.scripts]
        "acme_backend/app/core/enhanced_retry_strategies.py", // mock.patch("...") in a test
        "acme_backend/app/db/intelligent_retry_system.py",    // importlib.import_module("...")
        "acme_backend/app/db/postgres_core.py",               // imported by a file the prefilter leaves out
        "acme_backend/app/services/retry_utils.py",           // re-exported by its package
        "acme_backend/app/legacy_retry/__main__.py",          // a __main__ module
        "acme_backend/app/legacy_retry/__init__.py",          // its package still holds __main__.py
        "acme_backend/app/core/resilience/unified_retry_handler.py", // canonical
    ] {
        assert!(!got.iter().any(|d| d.0 == kept), "{kept} is not deletable");
    }
    // The plan's `core-error-recovery` was never written: absent, but not deleted.
    assert_eq!(v["plan"]["deleted"], serde_json::json!([]));
}

#[test]
fn the_session_module_is_left_out_by_the_byte_prefilter_yet_counts_as_an_importer() {
    // `app/db/session.py` holds no retry word: the scan does not parse it (so it has no facts of its own), and
    // `postgres_core` is kept only because its imports are read for the deletion analysis.
    let session = std::fs::read_to_string(fixture("deletion/backend/acme_backend/app/db/session.py")).unwrap();
    for word in ["retr", "sleep", "wait", "attempt", "delay", "backoff", "breaker"] {
        assert!(!session.to_lowercase().contains(word), "{word}");
    }
    let v = inventory_json(&fixture("deletion/backend"));
    assert!(!v["deletable"].as_array().unwrap().iter().any(|d| d["module"] == "acme_backend.app.db.postgres_core"));
}

#[test]
fn table_and_markdown_reports_have_the_section() {
    let dir = fixture("deletion/backend");
    let table = bin(&dir).args(["inventory", "--quiet", "."]).output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("Deletable legacy modules (4; `retry-audit migrate --delete-unused` removes them):"),
        "{table}"
    );
    for (path, module, _) in DELETABLE {
        assert!(table.contains(&format!("  {path}  {module}\n")), "{path}: {table}");
    }
    let md = bin(&dir).args(["inventory", "--quiet", "--format", "markdown", "."]).output().unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("### Deletable legacy modules (4)"), "{md}");
    for (path, module, _) in DELETABLE {
        assert!(md.contains(&format!("| `{path}` | `{module}` |")), "{path}: {md}");
    }
    // Without a plan nothing is legacy, so the section is not there at all.
    let none = bin(&dir).args(["inventory", "--quiet", "--isolated", "--format", "json", "."]).output().unwrap();
    let none: Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(none["deletable"], serde_json::json!([]));
}

#[test]
fn dry_run_prints_a_git_apply_deletion_patch() {
    let (_tmp, dir) = backend_copy();
    let before = read_tree(&dir);
    let out = migrate(&dir, &["--delete-unused", "--diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(read_tree(&dir), before, "a dry run changes nothing");
    let patch = String::from_utf8(out.stdout.clone()).unwrap();
    let headers: Vec<&str> = patch.lines().filter(|l| l.starts_with("diff --git ")).collect();
    let want: Vec<String> = deletable_paths().iter().map(|p| format!("diff --git a/{p} b/{p}")).collect();
    assert_eq!(headers, want);
    assert_eq!(patch.matches("deleted file mode 100644\n").count(), 4);
    assert!(patch.contains(
        "--- a/acme_backend/app/old_retry/backoff_helpers.py\n+++ /dev/null\n@@ -1,6 +0,0 @@\n\
         -\"\"\"Backoff helpers of the first retry layer (legacy): nothing calls them any more.\"\"\"\n-import random\n"
    ));
    // Every line is removed: no context, no addition.
    assert!(!patch.lines().any(|l| l.starts_with('+') && !l.starts_with("+++")));
    assert!(!patch.lines().any(|l| l.starts_with(' ')));
    // `git apply` takes it, and leaves the tree `--apply` leaves.
    let patch_file = dir.parent().unwrap().join("delete.patch");
    std::fs::write(&patch_file, &out.stdout).unwrap();
    let git = std::process::Command::new("git").current_dir(&dir).arg("apply").arg(&patch_file).output().unwrap();
    assert!(git.status.success(), "git apply: {}", String::from_utf8_lossy(&git.stderr));
    let mut want: BTreeMap<String, Vec<u8>> = before;
    for p in deletable_paths() {
        want.remove(p);
    }
    assert_eq!(read_tree(&dir).keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    let (_tmp2, applied) = backend_copy();
    assert_eq!(migrate(&applied, &["--delete-unused", "--apply"]).status.code(), Some(0));
    assert_eq!(read_tree(&applied), read_tree(&dir));
}

#[test]
fn check_counts_pending_deletions_only_with_delete_unused() {
    let (_tmp, dir) = backend_copy();
    let plain = migrate(&dir, &["--check"]);
    assert_eq!(plain.status.code(), Some(0), "no fix pending: {}", String::from_utf8_lossy(&plain.stderr));
    let check = migrate(&dir, &["--check", "--delete-unused"]);
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("4 unused legacy module(s) to delete"), "{stderr}");
    for p in deletable_paths() {
        assert!(stderr.contains(&format!("  {p}: delete: ")), "{p}: {stderr}");
    }
    let json = migrate(&dir, &["--check", "--delete-unused", "--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let listed: Vec<(&str, &str)> = v["deletions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, deletable_paths().into_iter().map(|p| (p, "pending")).collect::<Vec<_>>());
    let apply = migrate(&dir, &["--apply", "--delete-unused", "--format", "json"]);
    assert_eq!(apply.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&apply.stdout).unwrap();
    assert!(v["deletions"].as_array().unwrap().iter().all(|d| d["status"] == "deleted"), "{v}");
    assert_eq!(migrate(&dir, &["--check", "--delete-unused"]).status.code(), Some(0));
}

/// A module reached through a symlink that leads out of the scanned root is never deleted (the write roots of
/// `migrate`). A file changed since the scan is refused too: `retry_audit_fix::delete`'s own tests cover it.
#[test]
fn files_outside_the_write_roots_are_never_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let (_keep, real) = backend_copy();
    let link = tmp.path().join("linked");
    std::fs::create_dir(&link).unwrap();
    std::fs::write(link.join("retry-audit.toml"), "plan = \"retry-plan.toml\"\n").unwrap();
    std::fs::copy(real.join("retry-plan.toml"), link.join("retry-plan.toml")).unwrap();
    // The package is reached through a symlink that leads out of the scanned root.
    std::os::unix::fs::symlink(real.join("acme_backend"), link.join("acme_backend")).unwrap();
    let out = migrate(&link, &["--apply", "--delete-unused"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for p in deletable_paths() {
        assert!(real.join(p).exists(), "{p} must not be deleted: {stderr}");
    }
    assert!(stderr.contains("outside the scanned root; not deleted"), "{stderr}");
}

/// A scan of part of the project cannot tell what the rest imports: nothing is listed, nothing deleted.
#[test]
fn a_scan_of_part_of_the_project_lists_and_deletes_nothing() {
    let (_tmp, dir) = backend_copy();
    let out = bin(&dir).args(["inventory", "--format", "json", "--quiet", "acme_backend/app"]).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["deletable"], serde_json::json!([]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("deletable legacy modules are not listed: the paths given do not cover the project root"));
    let before = read_tree(&dir);
    let out = bin(&dir).args(["migrate", "--delete-unused", "--apply", "acme_backend/app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--delete-unused needs the whole project scanned"));
    assert_eq!(read_tree(&dir), before);
}

/// A file the scan cannot parse has imports nobody can read: it keeps every legacy module it names (it may be
/// fixed tomorrow), and only the other one goes.
#[test]
fn an_importer_that_does_not_parse_keeps_the_modules_it_names() {
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        ("retry-audit.toml", "plan = \"plan.toml\"\n"),
        (
            "plan.toml",
            "[plan]\nname = \"t\"\n[canonical]\nmodule = \"app.core.retry_handler\"\npath = \"app/core/retry_handler.py\"\n\
             [[entries]]\nid = \"a\"\ncategory = \"core\"\npath = \"app/legacy/retry_a.py\"\ntype = \"x\"\nstatus = \"x\"\nusage = \"x\"\n\
             [[entries]]\nid = \"b\"\ncategory = \"core\"\npath = \"app/legacy/retry_b.py\"\ntype = \"x\"\nstatus = \"x\"\nusage = \"x\"\n",
        ),
        ("app/__init__.py", ""),
        ("app/core/__init__.py", ""),
        ("app/core/retry_handler.py", "def run(op):\n    return op()\n"),
        ("app/legacy/__init__.py", ""),
        ("app/legacy/retry_a.py", "def run(op):\n    return op()\n"),
        ("app/legacy/retry_b.py", "def run(op):\n    return op()\n"),
        ("app/broken.py", "from app.legacy.retry_a import run\n\ndef oops(:\n    pass\n"),
    ];
    for (rel, text) in files {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let v = inventory_json(tmp.path());
    assert_eq!(v["diagnostics"][0]["path"], "app/broken.py");
    let paths: Vec<&str> = v["deletable"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["app/legacy/retry_b.py"]);
}

/// Run the backend's own tests (pytest, from the test venv) in `dir`: the number passed.
fn pytest(dir: &Path) -> usize {
    let python = venv::python(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(python)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .output()
        .expect("python from the test venv");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pytest failed in {}:\n{stdout}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout.lines().rev().find(|l| l.contains(" passed")).unwrap_or_default();
    summary.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn apply_deletes_them_and_the_package_tests_pass_before_and_after() {
    let (_tmp, dir) = backend_copy();
    let passed = pytest(&dir);
    assert_eq!(passed, 7, "the backend's own tests");
    let before = read_tree(&dir);
    let out = migrate(&dir, &["--delete-unused", "--apply"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("4 unused legacy module(s) deleted"), "{stderr}");
    let after = read_tree(&dir);
    let mut want = before.clone();
    for p in deletable_paths() {
        want.remove(p);
    }
    assert_eq!(after, want, "exactly the deletable modules are gone; every other file is unchanged");
    assert!(!dir.join("acme_backend/app/old_retry").exists(), "the emptied package directory is removed");
    assert_eq!(pytest(&dir), passed, "the same tests pass after the deletion");
    // Nothing is left to delete, and a second run says so.
    assert_eq!(inventory_json(&dir)["deletable"], serde_json::json!([]));
    let again = migrate(&dir, &["--delete-unused", "--apply"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("no unused legacy module to delete"));
}

fn metrics(dir: &Path) -> Value {
    inventory_json(dir)["metrics"].clone()
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn consolidation_metrics_count_shims_and_deletions_not_renames() {
    let before = metrics(&fixture("consolidation/before"));
    let renamed = metrics(&fixture("consolidation/renamed"));
    let after = metrics(&fixture("consolidation/after"));
    let pick = |m: &Value| {
        [
            "consolidated_implementations",
            "shims_onto_canonical",
            "deleted_legacy_modules",
            "legacy_engines_with_own_loop",
        ]
        .map(|k| m[k].as_u64().unwrap())
    };
    // Before: three engine sites with loops of their own (RetryManager, RetryManager.execute, retry_db).
    assert_eq!(pick(&before), [0, 0, 0, 3]);
    assert_eq!(before["canonical_import_share"], 0.0);
    // A same-spelled import redirected to the canonical module (a class to an Enum): the import share
    // jumps to 100%, and nothing is consolidated.
    assert_eq!(renamed["canonical_import_share"], 1.0);
    assert_eq!(pick(&renamed), [0, 0, 0, 3]);
    // After the maintainers' migration: the class and its method are shims onto the canonical handler, no
    // legacy engine loops. Outside version control the deleted module is not known to be deleted.
    assert_eq!(pick(&after), [2, 2, 0, 0]);
    assert_eq!(after["canonical_import_share"], 0.8);

    // In a checkout that had `db_retry.py`, its deletion counts once, committed or not.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("shop");
    copy_dir(&fixture("consolidation/before"), &repo);
    std::fs::copy(fixture("consolidation/plan.toml"), tmp.path().join("plan.toml")).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "before"]);
    std::fs::remove_file(repo.join("shop/db/db_retry.py")).unwrap();
    copy_dir(&fixture("consolidation/after"), &repo);
    let inv = inventory_json(&repo);
    assert_eq!(pick(&inv["metrics"]), [3, 2, 1, 0]);
    assert_eq!(inv["plan"]["deleted"], serde_json::json!([{"id": "db-retry", "path": "shop/db/db_retry.py"}]));
    git(&repo, &["commit", "-qam", "after"]);
    assert_eq!(pick(&metrics(&repo)), [3, 2, 1, 0]);
    // The table shows the same, and the import share as the secondary metric it is.
    let table = bin(&repo).args(["inventory", "--quiet", "."]).output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table
        .contains("  consolidated implementations: 3 (2 shims onto the canonical module, 1 legacy modules deleted)\n"));
    assert!(table.contains("  legacy engines with a loop of their own: 0\n"));
    assert!(table.contains("retry imports on the canonical module (secondary: counts spellings): 80.0%"));
}
