//! End to end with the real `pre-commit` client: a temporary git repository (the async-backend fixture tree,
//! baselined) whose `.pre-commit-config.yaml` runs the built binary as a `repo: local` hook. A commit that adds
//! a new retry loop is rejected with the diagnostic shown; a commit that only touches baselined code passes.
//!
//! Runs the pinned `pre-commit` of the test venv (`tests/common/venv.rs`, made on first use); without it the
//! test fails.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn cmd(dir: &Path, home: &Path, prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .args(args)
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .env("PRE_COMMIT_COLOR", "never")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .unwrap_or_else(|e| panic!("{prog} {args:?}: {e}"))
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[path = "common/venv.rs"]
mod venv;

#[test]
fn pre_commit_hook_rejects_new_retry_loop_and_passes_baselined_edits() {
    let pre_commit = venv::venv_bin(env!("CARGO_MANIFEST_DIR")).join("pre-commit");
    let pre_commit = pre_commit.to_str().expect("UTF-8 venv path");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let home = tmp.path().join("pre-commit-home");
    common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check/backend"), &repo);
    let bin = env!("CARGO_BIN_EXE_retry-audit");
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: retry-audit\n        name: retry-audit\n        language: system\n        entry: {bin} check\n        types_or: [python, pyi]\n        require_serial: true\n"
        ),
    )
    .unwrap();
    let git = |args: &[&str]| cmd(&repo, &home, "git", args);
    ok(&git(&["init", "-q", "-b", "main"]), "git init");
    ok(&git(&["config", "commit.gpgsign", "false"]), "git config");
    ok(&cmd(&repo, &home, bin, &["baseline"]), "retry-audit baseline");
    ok(&git(&["add", "-A"]), "git add");
    ok(&git(&["commit", "-q", "--no-verify", "-m", "initial, baselined"]), "initial commit");
    ok(&cmd(&repo, &home, pre_commit, &["install"]), "pre-commit install");

    // 1. A commit that adds a new retry loop is rejected, with the diagnostic in the output.
    let monitor = repo.join("netra_backend/app/services/health_monitor.py");
    let mut text = std::fs::read_to_string(&monitor).unwrap();
    text.push_str(
        "\n\nasync def warm_cache(cache, keys, metrics):\n    keys = sorted(set(keys))\n    metrics.gauge(\"cache.keys\", len(keys))\n    for attempt in range(5):\n        try:\n            await cache.load(keys)\n            break\n        except ConnectionError:\n            await asyncio.sleep(1.0)\n    metrics.incr(\"cache.warmed\")\n    stats = await cache.stats()\n    logger.info(\"cache warmed: %s\", stats)\n    return stats\n",
    );
    std::fs::write(&monitor, text).unwrap();
    ok(&git(&["add", "-A"]), "git add");
    let o = git(&["commit", "-m", "warm the cache"]);
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success(), "commit with a new retry loop must be rejected:\n{out}");
    assert!(out.contains("retry-audit") && out.contains("Failed"), "{out}");
    assert!(out.contains("error[RTY003]: sleep_loop: inline retry loop in `warm_cache`"), "{out}");
    assert!(out.contains("netra_backend/app/services/health_monitor.py:31:5"), "{out}");
    assert!(out.contains("for attempt in range(5):"), "{out}");

    // 2. Undo it; a commit that only touches baselined code (lines inserted above a baselined loop) passes.
    ok(&git(&["reset", "-q", "--hard", "HEAD"]), "git reset");
    let gateway = repo.join("netra_backend/app/llm/gateway.py");
    let text = std::fs::read_to_string(&gateway)
        .unwrap()
        .replace("import asyncio\n", "import asyncio\nimport logging\n\nlogger = logging.getLogger(__name__)\n");
    std::fs::write(&gateway, text).unwrap();
    ok(&git(&["add", "-A"]), "git add");
    let o = git(&["commit", "-m", "add a logger to the gateway"]);
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "a commit touching only baselined code must pass:\n{out}");
    assert!(out.contains("retry-audit") && out.contains("Passed"), "{out}");
}

#[test]
fn hook_manifest_matches_the_documented_hook() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")).unwrap();
    for line in [
        "- id: retry-audit",
        "  language: rust",
        "  entry: retry-audit check",
        "  types_or: [python, pyi]",
        "  require_serial: true",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in .pre-commit-hooks.yaml");
    }
}
