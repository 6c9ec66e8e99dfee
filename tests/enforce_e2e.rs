//! `retry-audit enforce` end to end with the real tools: the import-linter contracts it emits are run by the
//! pinned `lint-imports`, the ruff banned-api table by the pinned `ruff`, on a small tree with a legacy module,
//! a legacy config class and a module that imports each. A forbidden import is BROKEN (ruff: TID251) until it
//! is migrated, then the contracts are KEPT (ruff passes).
//!
//! Both tools come from the test venv (`tests/common/venv.rs`, made on first use); without them the tests fail.

use assert_cmd::Command;
use std::path::Path;
use std::process::Output;

#[path = "common/venv.rs"]
mod venv;

const PLAN: &str = r#"[plan]
name = "shop"

[canonical]
module = "shop.retry"
path = "shop/retry.py"
exports = ["retry_call", "RetryConfig"]

[[redirects]]
from = "shop.legacy.backoff"
to = "shop.retry"
safety = "safe"

[[redirects]]
from = "shop.old_retry"
to = "shop.retry"
safety = "safe"
note = "deleted last release"

[[redirects]]
from = "shop.legacy.helpers:retry_twice"
to = "shop.retry:retry_call"
safety = "unsafe"

[[config_migrations]]
from = "shop.legacy.settings:RetrySettings"
to = "shop.retry:RetryConfig"
rename = { max_retries = "max_attempts+1" }
"#;

const ORDERS_LEGACY: &str =
    "from shop.legacy.backoff import with_backoff\n\n\ndef place(order):\n    return with_backoff(order.submit)\n";
const ORDERS_MIGRATED: &str =
    "from shop.retry import retry_call\n\n\ndef place(order):\n    return retry_call(order.submit)\n";
const JOBS_LEGACY: &str = "from shop.legacy.settings import RetrySettings\n\nSETTINGS = RetrySettings(max_retries=2)\n";
const JOBS_MIGRATED: &str = "from shop.retry import RetryConfig\n\nSETTINGS = RetryConfig(max_attempts=3)\n";

/// The shop tree: the canonical module, a legacy package (a module the plan redirects whole, a legacy config
/// class), and the modules that use them.
fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in [
        ("plan.toml", PLAN),
        ("shop/__init__.py", ""),
        ("shop/retry.py", "def retry_call(op, attempts=3):\n    return op()\n\n\nclass RetryConfig:\n    def __init__(self, max_attempts=3):\n        self.max_attempts = max_attempts\n"),
        ("shop/legacy/__init__.py", ""),
        ("shop/legacy/backoff.py", "def with_backoff(op):\n    return op()\n"),
        ("shop/legacy/settings.py", "class RetrySettings:\n    def __init__(self, max_retries=2):\n        self.max_retries = max_retries\n"),
        ("shop/orders.py", ORDERS_LEGACY),
        ("shop/jobs.py", JOBS_MIGRATED),
        ("shop/api/__init__.py", ""),
        ("shop/api/views.py", "from shop import orders\n\n\ndef post(order):\n    return orders.place(order)\n"),
        // A directory without __init__.py inside the package: not in import-linter's graph, never a source.
        ("shop/scripts/reindex.py", "from shop import orders\n"),
    ] {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// `retry-audit enforce --emit WHAT --plan plan.toml shop`: (stdout, stderr); it must succeed.
fn emit(dir: &Path, what: &str) -> (String, String) {
    let o = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(dir)
        .args(["enforce", "--emit", what, "--plan", "plan.toml", "--isolated", "shop"])
        .output()
        .unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    (stdout, stderr)
}

fn tool(dir: &Path, name: &str, args: &[&str]) -> (i32, String) {
    let bin = venv::venv_bin(env!("CARGO_MANIFEST_DIR")).join(name);
    let o: Output = std::process::Command::new(&bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code().unwrap_or(-1), text)
}

fn strings(v: &toml::Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
}

#[test]
fn import_linter_contract_is_broken_by_a_legacy_import_and_kept_once_migrated() {
    let d = shop();
    let (config, stderr) = emit(d.path(), "import-linter");
    assert_eq!(
        stderr,
        "retry-audit enforce: legacy modules already gone from the tree (not forbidden): shop.old_retry\n"
    );
    assert!(config.contains("# Legacy modules already gone from the tree"), "{config}");
    assert!(config.contains("\n#   shop.old_retry\n"), "{config}");
    assert!(config.contains("\n#   shop.legacy.helpers.retry_twice\n"), "{config}");
    let v: toml::Value = toml::from_str(&config).unwrap();
    assert_eq!(v["tool"]["importlinter"]["root_package"].as_str(), Some("shop"));
    let contracts = v["tool"]["importlinter"]["contracts"].as_array().unwrap();
    assert_eq!(contracts.len(), 2, "{config}");
    // Never a source that contains a forbidden module: the packages above it are split into their children,
    // and checked as single modules by the second contract.
    assert_eq!(
        strings(&contracts[0]["source_modules"]),
        ["shop.api", "shop.jobs", "shop.legacy.settings", "shop.orders", "shop.retry"]
    );
    assert_eq!(strings(&contracts[0]["forbidden_modules"]), ["shop.legacy.backoff"]);
    assert_eq!(contracts[0]["allow_indirect_imports"].as_bool(), Some(true));
    assert_eq!(strings(&contracts[1]["source_modules"]), ["shop", "shop.legacy"]);
    assert_eq!(contracts[1]["as_packages"].as_bool(), Some(false));
    std::fs::write(d.path().join(".importlinter.toml"), &config).unwrap();

    let lint = ["--config", ".importlinter.toml", "--no-cache"];
    let (code, out) = tool(d.path(), "lint-imports", &lint);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Legacy retry modules are replaced by shop.retry (retry-audit plan shop) BROKEN"), "{out}");
    assert!(out.contains("shop.orders is not allowed to import shop.legacy.backoff"), "{out}");
    assert!(out.contains("the packages that contain them KEPT"), "{out}");

    // A package re-exporting its legacy module is caught by the second contract.
    std::fs::write(d.path().join("shop/legacy/__init__.py"), "from shop.legacy.backoff import with_backoff\n").unwrap();
    let (code, out) = tool(d.path(), "lint-imports", &lint);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the packages that contain them BROKEN"), "{out}");
    assert!(out.contains("shop.legacy is not allowed to import shop.legacy.backoff"), "{out}");
    std::fs::write(d.path().join("shop/legacy/__init__.py"), "").unwrap();

    std::fs::write(d.path().join("shop/orders.py"), ORDERS_MIGRATED).unwrap();
    let (code, out) = tool(d.path(), "lint-imports", &lint);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Contracts: 2 kept, 0 broken."), "{out}");

    // Once the legacy module is deleted, no contract names it (import-linter would refuse a missing module).
    std::fs::remove_file(d.path().join("shop/legacy/backoff.py")).unwrap();
    let (config, stderr) = emit(d.path(), "import-linter");
    assert!(
        stderr.contains("already gone from the tree (not forbidden): shop.legacy.backoff, shop.old_retry\n"),
        "{stderr}"
    );
    assert!(stderr.contains("no legacy module of the plan is in the tree; no contract to emit"), "{stderr}");
    let v: toml::Value = toml::from_str(&config).unwrap();
    assert!(v.get("tool").is_none(), "{config}");
}

#[test]
fn ruff_bans_legacy_modules_names_and_config_classes() {
    let d = shop();
    let (banned, _) = emit(d.path(), "ruff");
    let v: toml::Value = toml::from_str(&banned).unwrap();
    let table = v["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"].as_table().unwrap();
    let names: Vec<&str> = table.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "shop.legacy.backoff",
            "shop.legacy.helpers.retry_twice",
            "shop.legacy.settings.RetrySettings",
            "shop.old_retry"
        ]
    );
    // A pyproject.toml as a user would write it: the rule enabled, the emitted table pasted below.
    std::fs::write(d.path().join("pyproject.toml"), format!("[tool.ruff.lint]\nselect = [\"TID251\"]\n\n{banned}"))
        .unwrap();

    std::fs::write(d.path().join("shop/jobs.py"), JOBS_LEGACY).unwrap();
    let check = ["check", "--no-cache", "--output-format", "concise", "shop"];
    let (code, out) = tool(d.path(), "ruff", &check);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("shop/jobs.py:1:34: TID251 `shop.legacy.settings.RetrySettings` is banned: Legacy retry config: use `shop.retry.RetryConfig` instead."),
        "{out}"
    );
    assert!(out.contains("shop/orders.py:1:1: TID251 `shop.legacy.backoff` is banned"), "{out}");

    std::fs::write(d.path().join("shop/jobs.py"), JOBS_MIGRATED).unwrap();
    std::fs::write(d.path().join("shop/orders.py"), ORDERS_MIGRATED).unwrap();
    let (code, out) = tool(d.path(), "ruff", &check);
    assert_eq!(code, 0, "{out}");
}
