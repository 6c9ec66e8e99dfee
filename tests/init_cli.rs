//! `retry-audit init` on a tree that is not the example: the plan it writes names a canonical module and
//! exports that exist, the inventory then reports against it, and a second run reports changes instead of
//! overwriting.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("retry-audit").unwrap().current_dir(dir).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn init_proposes_a_plan_from_the_tree_and_does_not_overwrite_it() {
    let t = tempfile::tempdir().unwrap();
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/backend_demo"), t.path());
    std::fs::create_dir(t.path().join(".git")).unwrap();
    // A repository of its own, not yet configured (the fixture's marker config is ours).
    std::fs::remove_file(t.path().join("retry-audit.toml")).unwrap();
    let dir = t.path();

    let (code, printed) = run(dir, &["init", "--quiet", "--stdout"]);
    assert_eq!(code, 0);
    assert!(!dir.join("retry-audit-plan.toml").exists(), "--stdout writes nothing");
    let plan: toml::Value = toml::from_str(&printed).unwrap();
    assert_eq!(plan["canonical"]["module"].as_str(), Some("acme.core.resilience.retry_engine"));
    assert_eq!(plan["canonical"]["path"].as_str(), Some("acme/core/resilience/retry_engine.py"));
    assert!(printed.contains("# Runner-up for canonical: acme.llm.provider_client"), "{printed}");
    // Every export is defined at the top of the canonical module.
    let source = std::fs::read_to_string(dir.join("acme/core/resilience/retry_engine.py")).unwrap();
    let exports: Vec<&str> =
        plan["canonical"]["exports"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(exports, ["UnifiedRetryHandler", "execute_with_retry", "execute_with_retry_async"]);
    for e in &exports {
        assert!(
            source.contains(&format!("\nclass {e}"))
                || source.contains(&format!("\ndef {e}"))
                || source.contains(&format!("\nasync def {e}")),
            "{e}"
        );
    }
    let entries = plan["entries"].as_array().unwrap();
    let compat = entries.iter().find(|e| e["path"].as_str() == Some("acme/core/resilience/compat.py")).unwrap();
    assert_eq!(compat["category"].as_str(), Some("wrappers"));
    assert!(entries.iter().all(|e| e["path"].as_str() != Some("acme/core/resilience/retry_engine.py")));

    let (code, said) = run(dir, &["init", "--quiet"]);
    assert_eq!(code, 0);
    assert!(said.starts_with("wrote "), "{said}");
    assert_eq!(std::fs::read_to_string(dir.join("retry-audit.toml")).unwrap(), "plan = \"retry-audit-plan.toml\"\n");
    assert_eq!(std::fs::read_to_string(dir.join("retry-audit-plan.toml")).unwrap(), printed);

    // The inventory reports against it, and names nothing of the example backend.
    let (_, json) = run(dir, &["inventory", "--quiet", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["plan"]["canonical"]["module"].as_str(), Some("acme.core.resilience.retry_engine"));
    assert!(v["plan"]["stale"].as_array().unwrap().is_empty());
    assert!(!json.contains("netra"));
    assert!(!printed.contains("netra"), "{printed}");

    // A second run compares instead of overwriting.
    std::fs::write(
        dir.join("acme/new_retry.py"),
        "import time\n\n\ndef poll(op):\n    for attempt in range(3):\n        try:\n            return op()\n        except OSError:\n            time.sleep(2 ** attempt)\n",
    )
    .unwrap();
    let (code, said) = run(dir, &["init", "--quiet"]);
    assert_eq!(code, 0);
    assert!(said.contains("a plan is in place; not overwritten"), "{said}");
    assert!(said.contains("new implementation, not in the plan: acme/new_retry.py"), "{said}");
    assert_eq!(std::fs::read_to_string(dir.join("retry-audit-plan.toml")).unwrap(), printed);
}

/// A plan is checked against the tree it is used on: every claim the tree does not hold is a warning naming
/// the plan file, line and key.
#[test]
fn plan_claims_the_tree_does_not_hold_are_warnings_with_file_line_and_key() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
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
    write(
        "plan.toml",
        r#"[plan]
name = "p"

[canonical]
module = "core.retry"
path = "core/retry.py"
exports = ["Handler", "RetryHint", "Missing"]

[[redirects]]
from = "legacy.errors:RetryStrategy"
to = "core.retry:RetryStrategy"
safety = "safe"

[[config_migrations]]
from = "legacy.errors:RetryConfig"
to = "core.retry:Handler"
"#,
    );
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(dir)
        .args(["inventory", "--quiet", "--plan", "plan.toml", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("retry-audit: warning: plan.toml:")).collect();
    assert_eq!(
        warnings,
        [
            "retry-audit: warning: plan.toml:7: canonical.exports: `core.retry` binds `RetryHint` only under TYPE_CHECKING (an import of it fails)",
            "retry-audit: warning: plan.toml:7: canonical.exports: `core.retry` does not define `Missing` (1 of 3 exports)",
            "retry-audit: warning: plan.toml:10: redirects[0]: `legacy.errors.RetryStrategy` is a class but `core.retry.RetryStrategy` is an enum: a redirect would change what the name is",
            "retry-audit: warning: plan.toml:15: config_migrations[0].from: `legacy.errors` does not define `RetryConfig`",
        ],
        "{stderr}"
    );
}
