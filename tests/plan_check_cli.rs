//! Plans checked against the tree, in every command that reads one (`inventory`, `check`, `migrate`), whether
//! the plan is a file or inline in the configuration: each claim the tree does not hold is a warning on stderr
//! naming the file, line and key; a plan the loader cannot read is an error naming them (exit 2).

use assert_cmd::Command;
use std::path::Path;

/// A tree whose canonical module binds a name only under TYPE_CHECKING, and a legacy class of the same name as
/// a canonical Enum, imported by `app.py` (so `migrate` has a patch to print).
fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "core/retry.py",
        "from typing import TYPE_CHECKING\nimport enum\n\nif TYPE_CHECKING:\n    from core.types import RetryHint\n\n\nclass RetryStrategy(enum.Enum):\n    FIXED = 1\n\n\nclass Handler:\n    pass\n",
    );
    write(
        "legacy/errors.py",
        "class RetryStrategy:\n    def __init__(self, max_retries=3):\n        self.max_retries = max_retries\n",
    );
    write("app.py", "from legacy.errors import RetryStrategy\n");
    t
}

/// The plan's tables, each under `prefix` (`""` for a plan file, `"plan."` inline).
fn plan_tables(prefix: &str) -> String {
    format!(
        r#"[{top}]
name = "p"

[{prefix}canonical]
module = "core.retry"
path = "core/retry.py"
exports = ["Handler", "RetryHint", "Missing"]

[[{prefix}redirects]]
from = "legacy.errors:RetryStrategy"
to = "core.retry:RetryStrategy"
safety = "safe"

[[{prefix}config_migrations]]
from = "legacy.errors:RetryConfig"
to = "core.retry:Handler"
"#,
        top = if prefix.is_empty() { "plan" } else { prefix.trim_end_matches('.') }
    )
}

/// (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("retry-audit").unwrap().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The plan warnings of a run's stderr.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("retry-audit: warning: ")).collect()
}

/// A plan is checked against the tree it is used on: every claim the tree does not hold is a warning naming
/// the plan file, line and key, the same in inventory, check and migrate.
#[test]
fn plan_claims_the_tree_does_not_hold_are_warnings_with_file_line_and_key() {
    let t = tree();
    let dir = t.path();
    std::fs::write(dir.join("plan.toml"), plan_tables("")).unwrap();
    let want = [
        "retry-audit: warning: plan.toml:7: canonical.exports: `core.retry` binds `RetryHint` only under TYPE_CHECKING (an import of it fails)",
        "retry-audit: warning: plan.toml:7: canonical.exports: `core.retry` does not define `Missing` (1 of 3 exports)",
        "retry-audit: warning: plan.toml:10: redirects[0]: `legacy.errors.RetryStrategy` is a class but `core.retry.RetryStrategy` is an enum: a redirect would change what the name is",
        "retry-audit: warning: plan.toml:15: config_migrations[0].from: `legacy.errors` does not define `RetryConfig`",
    ];
    for command in ["inventory", "check", "migrate"] {
        let (_, _, stderr) = run(dir, &[command, "--quiet", "--plan", "plan.toml", "."]);
        assert_eq!(warnings(&stderr), want, "{command}: {stderr}");
    }
    // migrate's stdout is the patch alone: here empty, since the redirect the plan asks for would turn a
    // class into an Enum (refused, with the reason, on stderr).
    let (code, stdout, stderr) = run(dir, &["migrate", "--quiet", "--plan", "plan.toml", "."]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("app.py:1: RTY009 import_redirect: the legacy `RetryStrategy` is a class and `core.retry.RetryStrategy` is an enum: not the same kind of object"),
        "{stderr}"
    );
}

/// Inline, the warnings name the configuration and the plan's keys as it spells them.
#[test]
fn an_inline_plan_is_checked_with_its_own_keys() {
    let t = tree();
    let dir = t.path();
    std::fs::write(dir.join("retry-audit.toml"), format!("exclude = [\"scripts/**\"]\n\n{}", plan_tables("plan.")))
        .unwrap();
    let (code, _, stderr) = run(dir, &["inventory", "--quiet"]);
    assert_eq!(code, 0, "{stderr}");
    // The configuration is named as it was found (from the directory given, made absolute).
    let config = dir.join("retry-audit.toml");
    let config = config.display();
    assert_eq!(
        warnings(&stderr),
        [
            format!("retry-audit: warning: {config}:9: plan.canonical.exports: `core.retry` binds `RetryHint` only under TYPE_CHECKING (an import of it fails)"),
            format!("retry-audit: warning: {config}:9: plan.canonical.exports: `core.retry` does not define `Missing` (1 of 3 exports)"),
            format!("retry-audit: warning: {config}:12: plan.redirects[0]: `legacy.errors.RetryStrategy` is a class but `core.retry.RetryStrategy` is an enum: a redirect would change what the name is"),
            format!("retry-audit: warning: {config}:17: plan.config_migrations[0].from: `legacy.errors` does not define `RetryConfig`"),
        ]
    );
    std::fs::remove_file(dir.join("retry-audit.toml")).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        format!("[project]\nname = \"x\"\n\n{}", plan_tables("tool.retry-audit.plan.")),
    )
    .unwrap();
    let (code, _, stderr) = run(dir, &["check", "--quiet"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        warnings(&stderr)[0],
        format!(
            "retry-audit: warning: {}:10: tool.retry-audit.plan.canonical.exports: `core.retry` binds `RetryHint` only under TYPE_CHECKING (an import of it fails)",
            dir.join("pyproject.toml").display()
        )
    );
}

/// An inline plan the loader cannot read: the configuration's file, line and key, exit 2.
#[test]
fn an_unreadable_inline_plan_names_file_line_and_key() {
    let t = tree();
    let dir = t.path();
    let config = dir.join("retry-audit.toml");
    let cases = [
        (plan_tables("plan.").replace("module = ", "modul = "), "line 5: plan.canonical.modul: unknown field `modul`, expected one of `module`, `path`, `exports`, `decorator`, `config_class`, `engine`"),
        (plan_tables("plan.").replace("safety = \"safe\"", "safety = 1"), "line 12: plan.redirects[0].safety: wanted string or table"),
        (plan_tables("plan.").replace("to = \"core.retry:Handler\"", "to = \"core.retry\""), "line 15: plan.config_migrations[0]: (legacy.errors:RetryConfig) `from` and `to` must name a class: \"module:Class\""),
    ];
    for (text, error) in cases {
        std::fs::write(&config, &text).unwrap();
        let (code, stdout, stderr) = run(dir, &["inventory", "--quiet"]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        assert_eq!(stderr, format!("retry-audit: error: {}: {error}\n", config.display()));
    }
}
