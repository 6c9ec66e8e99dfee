//! `retry-audit init` on a tree that is not the example: the plan it writes into the configuration names a
//! canonical module and exports that exist, the inventory then reports against it, a second run reports
//! changes instead of overwriting, `--pyproject` appends to pyproject.toml and keeps the rest of it byte for
//! byte, and `--canonical` must name a module of the tree.

mod common;

use assert_cmd::Command;
use std::path::Path;

/// (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("retry-audit").unwrap().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The example backend's tree as a repository of its own, not yet configured (the fixture's marker config is
/// ours).
fn fresh_repository() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/backend_demo"), t.path());
    std::fs::create_dir(t.path().join(".git")).unwrap();
    std::fs::remove_file(t.path().join("retry-audit.toml")).unwrap();
    t
}

const NEW_RETRY: &str = "import time\n\n\ndef poll(op):\n    for attempt in range(3):\n        try:\n            return op()\n        except OSError:\n            time.sleep(2 ** attempt)\n";

#[test]
fn init_writes_the_plan_into_retry_audit_toml_and_does_not_overwrite_it() {
    let t = fresh_repository();
    let dir = t.path();

    let (code, printed, _) = run(dir, &["init", "--quiet", "--stdout"]);
    assert_eq!(code, 0);
    assert!(!dir.join("retry-audit.toml").exists(), "--stdout writes nothing");
    let config: toml::Value = toml::from_str(&printed).unwrap();
    let plan = &config["plan"];
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

    // Written where the configuration is read: the plan's tables in retry-audit.toml, as printed.
    let (code, said, _) = run(dir, &["init", "--quiet"]);
    assert_eq!(code, 0);
    assert_eq!(said, format!("wrote the proposed plan into {} ([plan])\n", dir.join("retry-audit.toml").display()));
    assert_eq!(std::fs::read_to_string(dir.join("retry-audit.toml")).unwrap(), printed);
    assert!(!dir.join("retry-audit-plan.toml").exists());

    // The inventory reports against it, and names nothing of the example backend.
    let (_, json, _) = run(dir, &["inventory", "--quiet", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["plan"]["canonical"]["module"].as_str(), Some("acme.core.resilience.retry_engine"));
    assert!(v["plan"]["stale"].as_array().unwrap().is_empty());
    assert!(!json.contains("netra"));
    assert!(!printed.contains("netra"), "{printed}");

    // A second run compares instead of overwriting.
    std::fs::write(dir.join("acme/new_retry.py"), NEW_RETRY).unwrap();
    std::fs::remove_file(dir.join("acme/core/resilience/compat.py")).unwrap();
    let (code, said, _) = run(dir, &["init", "--quiet"]);
    assert_eq!(code, 0);
    assert_eq!(
        said,
        format!(
            "{}: a plan is in place; not overwritten (--force overwrites it)\n  new implementation, not in the plan: acme/new_retry.py\n  stale plan entry, nothing found there: acme/core/resilience/compat.py\n",
            dir.join("retry-audit.toml").display()
        )
    );
    assert_eq!(std::fs::read_to_string(dir.join("retry-audit.toml")).unwrap(), printed);

    // --force replaces the plan's tables, and only them.
    let config = std::fs::read_to_string(dir.join("retry-audit.toml")).unwrap();
    std::fs::write(dir.join("retry-audit.toml"), format!("exclude = [\"scripts/**\"]\n\n{config}")).unwrap();
    let (code, said, stderr) = run(dir, &["init", "--quiet", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(said, format!("replaced the plan in {} ([plan], --force)\n", dir.join("retry-audit.toml").display()));
    let (_, reprinted, _) = run(dir, &["init", "--quiet", "--stdout"]);
    assert!(reprinted.contains("path = \"acme/new_retry.py\"") && !reprinted.contains("compat.py"), "{reprinted}");
    assert_eq!(
        std::fs::read_to_string(dir.join("retry-audit.toml")).unwrap(),
        format!("exclude = [\"scripts/**\"]\n\n{reprinted}")
    );
}

#[test]
fn init_pyproject_appends_and_keeps_the_rest_of_the_file_byte_for_byte() {
    let t = fresh_repository();
    let dir = t.path();
    // CRLF line endings, no newline at the end, a comment: all kept.
    let original = "[project]\r\nname = \"acme\"  # the service\r\n\r\n[tool.ruff]\r\nline-length = 100";
    std::fs::write(dir.join("pyproject.toml"), original).unwrap();
    let (_, printed, _) = run(dir, &["init", "--quiet", "--stdout", "--pyproject"]);
    assert!(
        printed.contains("\n[tool.retry-audit.plan]\n") && printed.contains("\n[tool.retry-audit.plan.canonical]\n")
    );

    let (code, said, stderr) = run(dir, &["init", "--quiet", "--pyproject"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        said,
        format!("wrote the proposed plan into {} ([tool.retry-audit.plan])\n", dir.join("pyproject.toml").display())
    );
    let written = std::fs::read_to_string(dir.join("pyproject.toml")).unwrap();
    assert_eq!(written, format!("{original}\r\n\r\n{}", printed.replace('\n', "\r\n")));
    assert!(!dir.join("retry-audit.toml").exists());
    let (_, json, _) = run(dir, &["inventory", "--quiet", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["plan"]["canonical"]["module"].as_str(), Some("acme.core.resilience.retry_engine"));

    // A second run, with or without the flag, compares.
    for args in [&["init", "--quiet"][..], &["init", "--quiet", "--pyproject"]] {
        let (code, said, _) = run(dir, args);
        assert_eq!(code, 0);
        assert!(said.contains("a plan is in place; not overwritten"), "{said}");
        assert_eq!(std::fs::read_to_string(dir.join("pyproject.toml")).unwrap(), written);
    }
}

#[test]
fn init_pyproject_refuses_an_existing_section_unless_forced() {
    let t = fresh_repository();
    let dir = t.path();
    let original = "[project]\nname = \"acme\"\n\n[tool.retry-audit]\nexclude = [\"scripts/**\"]\n\n[tool.ruff]\nline-length = 100\n";
    std::fs::write(dir.join("pyproject.toml"), original).unwrap();
    let pyproject = dir.join("pyproject.toml");
    let refused = format!(
        "retry-audit: error: {}: [tool.retry-audit] is there already; nothing written (--force adds the plan's [tool.retry-audit.plan] tables after the rest of the file, which stays as it is)\n",
        pyproject.display()
    );
    // The configuration is there: `init` writes there too, and refuses the same way.
    for args in [&["init", "--quiet", "--pyproject"][..], &["init", "--quiet"]] {
        let (code, said, stderr) = run(dir, args);
        assert_eq!((code, said.as_str(), stderr.as_str()), (2, "", refused.as_str()));
        assert_eq!(std::fs::read_to_string(&pyproject).unwrap(), original);
    }
    let (code, _, stderr) = run(dir, &["init", "--quiet", "--pyproject", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    let (_, printed, _) = run(dir, &["init", "--quiet", "--stdout", "--pyproject"]);
    assert_eq!(std::fs::read_to_string(&pyproject).unwrap(), format!("{original}\n{printed}"));
    // The settings beside the plan still apply.
    let (_, json, _) = run(dir, &["inventory", "--quiet", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["plan"]["canonical"]["module"].as_str(), Some("acme.core.resilience.retry_engine"));

    // A retry-audit.toml is read first: a plan in pyproject.toml would not be used.
    let t = fresh_repository();
    std::fs::write(t.path().join("retry-audit.toml"), "exclude = []\n").unwrap();
    let (code, _, stderr) = run(t.path(), &["init", "--quiet", "--pyproject"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "retry-audit: error: {}: read before pyproject.toml, so a plan in pyproject.toml would not be used; run `retry-audit init` without --pyproject to write it there\n",
            t.path().join("retry-audit.toml").display()
        )
    );
    assert!(!t.path().join("pyproject.toml").exists());
}

#[test]
fn canonical_must_name_a_module_of_the_tree() {
    let t = fresh_repository();
    let (code, said, stderr) = run(t.path(), &["init", "--quiet", "--stdout", "--canonical", "acme.core.retry_engin"]);
    assert_eq!((code, said.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "retry-audit: error: --canonical acme.core.retry_engin: not a module of the scanned tree; the closest: acme.core.resilience.retry_engine, acme.core.resilience, acme.core.resilience.retry_manager\n"
    );
    // A module of the tree is taken, whatever the uses of its engines.
    let (code, printed, _) = run(t.path(), &["init", "--quiet", "--stdout", "--canonical", "acme.llm.provider_client"]);
    assert_eq!(code, 0);
    let config: toml::Value = toml::from_str(&printed).unwrap();
    assert_eq!(config["plan"]["canonical"]["path"].as_str(), Some("acme/llm/provider_client.py"));
    assert!(!t.path().join("retry-audit.toml").exists());
}
