//! `retry-audit check` / `baseline` / `enforce` end to end on the async-backend fixture tree
//! (`fixtures/check/backend`), copied into a temporary directory for every test.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

const MONITOR: &str = "netra_backend/app/services/health_monitor.py";
const CLICKHOUSE: &str = "netra_backend/app/db/clickhouse.py";
const GATEWAY: &str = "netra_backend/app/llm/gateway.py";
const SUPERVISOR: &str = "netra_backend/app/agents/supervisor.py";

/// A new inline retry loop (RTY003 sleep_loop) inside a cache-warming helper; the `for` is on line 31 of the monitor file.
const NEW_SLEEP_LOOP: &str = r#"

async def warm_cache(cache, keys, metrics):
    keys = sorted(set(keys))
    metrics.gauge("cache.keys", len(keys))
    for attempt in range(5):
        try:
            await cache.load(keys)
            break
        except ConnectionError:
            await asyncio.sleep(1.0)
    metrics.incr("cache.warmed")
    stats = await cache.stats()
    logger.info("cache warmed: %s", stats)
    return stats
"#;

/// The fixture backend with the example plan as its own (`plan = "retry-plan.toml"` in its config).
fn tree() -> TempDir {
    let t = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::copy_dir(&repo.join("fixtures/check/backend"), t.path());
    std::fs::copy(repo.join("rules/plans/examples/netra.toml"), t.path().join("retry-plan.toml")).unwrap();
    edit(t.path(), "pyproject.toml", |s| {
        s.replace("[tool.retry-audit]\n", "[tool.retry-audit]\nplan = \"retry-plan.toml\"\n")
    });
    t
}

fn bin(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("retry-audit").unwrap();
    c.current_dir(dir).env_remove("CI").env("NO_COLOR", "1");
    c
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let o = bin(dir).args(args).output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn check_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(dir, &args);
    let v: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("json: {e}\n{}\n{}", o.stdout, o.stderr));
    (o.code, v)
}

/// (rule, path, line) of the findings with `status`.
fn with_status(v: &Value, status: &str) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn t(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

fn edit(dir: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let p = dir.join(rel);
    let s = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(s)).unwrap();
}

fn append(dir: &Path, rel: &str, text: &str) {
    edit(dir, rel, |s| s + text);
}

fn baseline(dir: &Path) {
    let o = run(dir, &["baseline"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(dir.join(".retry-audit-baseline.toml").exists());
}

// ------------------------------------------------------------------ exit codes

#[test]
fn exit_1_lists_every_new_finding_without_baseline() {
    let d = tree();
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        with_status(&v, "new"),
        vec![t("RTY009", SUPERVISOR, 2), t("RTY002", CLICKHOUSE, 13), t("RTY002", GATEWAY, 7)]
    );
    // The canonical module's own retry code never fails the gate.
    let canonical = with_status(&v, "canonical");
    assert_eq!(canonical.len(), 4); // the config, the handler, its delay calculator, its loop
    assert!(canonical.iter().all(|(_, p, _)| p == "netra_backend/app/core/resilience/unified_retry_handler.py"));
    // policy_drift is reported, not gating.
    assert!(with_status(&v, "not_selected").iter().all(|(r, _, _)| r == "RTY011"));
    // The polling loop in the health monitor is not a finding at all.
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["path"] != MONITOR));
}

#[test]
fn exit_0_on_clean_paths_and_with_baseline() {
    let d = tree();
    let o = run(d.path(), &["check", "netra_backend/app/services", "netra_backend/app/core"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("0 new retry findings"), "{}", o.stdout);
    baseline(d.path());
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("0 new retry findings, 5 baselined"), "{}", o.stdout);
}

#[test]
fn exit_2_on_unknown_config_key_names_file_line_and_key() {
    let d = tree();
    edit(d.path(), "pyproject.toml", |s| s + "bogus-key = 1\n");
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 2);
    let line = std::fs::read_to_string(d.path().join("pyproject.toml")).unwrap().lines().count();
    assert!(o.stderr.contains(&format!("pyproject.toml: line {line}")), "{}", o.stderr);
    assert!(o.stderr.contains("bogus-key"), "{}", o.stderr);
}

#[test]
fn exit_2_on_unknown_rule_in_config_and_cli() {
    let d = tree();
    std::fs::write(
        d.path().join("retry-audit.toml"),
        "# standalone config wins over pyproject\nselect = [\"RTY003\", \"RTY999\"]\n",
    )
    .unwrap();
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("retry-audit.toml: line 2: select: unknown rule \"RTY999\""), "{}", o.stderr);
    std::fs::remove_file(d.path().join("retry-audit.toml")).unwrap();
    let o = run(d.path(), &["check", "--ignore", "nope"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--ignore: unknown rule \"nope\""), "{}", o.stderr);
}

#[test]
fn exit_2_on_unreadable_or_missing_baseline() {
    let d = tree();
    std::fs::write(
        d.path().join(".retry-audit-baseline.toml"),
        "version = 1\n[[finding]]\npath = 'a.py'\nrule = 'RTY003'\nsymbol = 'a'\nfingerprint = 'x'\ncolour = 1\n",
    )
    .unwrap();
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains(".retry-audit-baseline.toml: line 7") && o.stderr.contains("colour"), "{}", o.stderr);
    let o = run(d.path(), &["check", "--baseline", "missing.toml"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("missing.toml: baseline file not found"), "{}", o.stderr);
}

#[test]
fn select_and_ignore_change_what_fails() {
    let d = tree();
    let (code, v) = check_json(d.path(), &["--select", "RTY009"]);
    assert_eq!(code, 1);
    assert_eq!(with_status(&v, "new"), vec![t("RTY009", SUPERVISOR, 2)]);
    let (code, _) = check_json(d.path(), &["--ignore", "RTY002,legacy_import"]);
    assert_eq!(code, 0);
    // per-file-ignores from the config.
    edit(d.path(), "pyproject.toml", |s| {
        s.replace("\"netra_backend/tests/**\" = [\"ALL\"]", "\"netra_backend/app/llm/*\" = [\"RTY002\"]")
    });
    let (_, v) = check_json(d.path(), &[]);
    assert_eq!(with_status(&v, "ignored"), vec![t("RTY002", GATEWAY, 7)]);
}

/// A new retry loop in a file with a syntax error (the `def` line lacks its colon, on line 4).
const BROKEN_RETRY: &str = "import asyncio\n\n\nasync def warm_cache(cache, keys)\n    for attempt in range(5):\n        try:\n            await cache.load(keys)\n            break\n        except ConnectionError:\n            await asyncio.sleep(1.0)\n";
const BROKEN: &str = "netra_backend/app/services/cache_warm.py";

#[test]
fn a_checked_file_that_does_not_parse_or_decode_fails_the_gate() {
    let d = tree();
    baseline(d.path());
    std::fs::write(d.path().join(BROKEN), BROKEN_RETRY).unwrap();
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "error[parse-error]: netra_backend/app/services/cache_warm.py:4: Expected `:`, found newline",
            "  = help: a file that was not analysed fails the gate (its retry code is unknown); fix it, or pass `--allow-parse-errors`",
            "retry-audit: 7 files checked, 0 new retry findings, 5 baselined, 1 file not analysed (see the diagnostics)",
        ]
    );
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(
        (code, &v["summary"]["input_errors"], &v["summary"]["failed"]),
        (1, &Value::from(1), &Value::from(true))
    );
    assert_eq!(v["diagnostics"][0]["path"], BROKEN);
    let o = run(d.path(), &["check", "--format", "github"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.contains(&format!("::error file={BROKEN},line=4,title=parse-error::Expected `:`, found newline\n")),
        "{}",
        o.stdout
    );

    let o = run(d.path(), &["check", "--format", "junit"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.contains(&format!(
            "<testcase name=\"parse-error {BROKEN}:4\" classname=\"{BROKEN}\" file=\"{BROKEN}\" line=\"4\">\n      <failure type=\"parse-error\" message=\"Expected `:`, found newline\"/>"
        )),
        "{}",
        o.stdout
    );

    // Opted out: reported as a warning, and the gate passes as before.
    let o = run(d.path(), &["check", "--allow-parse-errors"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(
        o.stdout.starts_with(
            "warning[parse-error]: netra_backend/app/services/cache_warm.py:4: Expected `:`, found newline\n"
        ),
        "{}",
        o.stdout
    );

    // Bytes invalid in the file's encoding fail it the same way.
    std::fs::write(d.path().join(BROKEN), b"x = '\xe9'\n").unwrap();
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        (v["diagnostics"][0]["kind"].as_str(), v["diagnostics"][0]["line"].as_u64()),
        (Some("decode-error"), Some(1))
    );

    // Only the files asked for count: checking another file (as pre-commit does) passes,
    let (code, v) = check_json(d.path(), &[GATEWAY]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0);
    // and so does a change elsewhere under --diff-base, until the broken file itself is changed.
    git_repo(d.path());
    git(d.path(), &["checkout", "-q", "-b", "feature"]);
    edit(d.path(), GATEWAY, |s| s.replace("import asyncio\n", "import asyncio\nimport json\n"));
    git(d.path(), &["commit", "-q", "-am", "gateway"]);
    let (code, v) = check_json(d.path(), &["--diff-base", "main"]);
    assert_eq!((code, v["diagnostics"].as_array().unwrap().len()), (0, 0), "{v}");
    std::fs::write(d.path().join(BROKEN), BROKEN_RETRY).unwrap();
    git(d.path(), &["commit", "-q", "-am", "cache warm-up"]);
    let (code, v) = check_json(d.path(), &["--diff-base", "main"]);
    assert_eq!((code, v["diagnostics"][0]["path"].as_str()), (1, Some(BROKEN)), "{v}");
}

// ------------------------------------------------------------------ baseline survival

#[test]
fn baseline_survives_lines_inserted_above() {
    let d = tree();
    baseline(d.path());
    edit(d.path(), CLICKHOUSE, |s| {
        s.replace(
            "import logging\n",
            "import logging\nimport os\nimport sys\n\nPOOL_SIZE = int(os.environ.get(\"POOL\", \"4\"))\n",
        )
    });
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert!(with_status(&v, "baselined").contains(&t("RTY002", CLICKHOUSE, 17)));
}

#[test]
fn baseline_survives_function_moved_within_file() {
    let d = tree();
    baseline(d.path());
    edit(d.path(), GATEWAY, |s| {
        let start = s.find("async def complete_with_retry").unwrap();
        let end = s.find("async def stream_tokens").unwrap();
        let func = s[start..end].to_string();
        let rest = format!("{}{}", &s[..start], &s[end..]);
        format!("{}\n\n{}", rest.trim_end(), func.trim_end()) + "\n"
    });
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    let moved = with_status(&v, "baselined").into_iter().find(|(r, p, _)| r == "RTY002" && p == GATEWAY).unwrap();
    assert!(moved.2 > 7, "function moved down: {moved:?}");
}

#[test]
fn baseline_survives_reindent() {
    let d = tree();
    baseline(d.path());
    // 4-space indentation -> 2-space, and the long call reflowed over several lines.
    edit(d.path(), CLICKHOUSE, |s| {
        s.lines()
            .map(|l| {
                let n = l.len() - l.trim_start().len();
                format!("{}{}", " ".repeat(n / 2), l.trim_start())
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace(
                "self._open_pool(self.dsn, settings)",
                "self._open_pool(\n          self.dsn,\n          settings,\n        )",
            )
            + "\n"
    });
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert!(with_status(&v, "baselined").contains(&t("RTY002", CLICKHOUSE, 13)));
}

#[test]
fn second_identical_finding_fails() {
    let d = tree();
    append(d.path(), MONITOR, NEW_SLEEP_LOOP);
    baseline(d.path());
    // The same loop pasted again into the same function: same fingerprint, count 1 in the baseline.
    edit(d.path(), MONITOR, |s| {
        let block = "    for attempt in range(5):\n        try:\n            await cache.load(keys)\n            break\n        except ConnectionError:\n            await asyncio.sleep(1.0)\n";
        s.replacen(block, &format!("{block}{block}"), 1)
    });
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(with_status(&v, "new"), vec![t("RTY003", MONITOR, 37)]);
    assert_eq!(with_status(&v, "baselined").iter().filter(|(r, p, _)| p == MONITOR && r == "RTY003").count(), 1);
}

#[test]
fn new_sleep_loop_fails_with_snippet_and_suppression_passes() {
    let d = tree();
    baseline(d.path());
    append(d.path(), MONITOR, NEW_SLEEP_LOOP);
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("error[RTY003]: sleep_loop: inline retry loop in `warm_cache`"), "{}", o.stdout);
    assert!(o.stdout.contains(&format!("┌─ {MONITOR}:31:5")), "{}", o.stdout);
    assert!(o.stdout.contains("31 │ ╭     for attempt in range(5):"), "{}", o.stdout);
    assert!(o.stdout.contains("note: canonical replacement: `UnifiedRetryHandler`"), "{}", o.stdout);
    assert!(o.stdout.contains("# retry-audit: ignore[RTY003] -- reason"), "{}", o.stdout);
    assert!(o.stdout.contains("1 new retry finding, 5 baselined"), "{}", o.stdout);

    edit(d.path(), MONITOR, |s| {
        s.replace(
            "    for attempt in range(5):",
            "    # retry-audit: ignore[RTY003] -- cache warm-up is best effort\n    for attempt in range(5):",
        )
    });
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    let sup: Vec<&Value> = v["findings"].as_array().unwrap().iter().filter(|f| f["status"] == "suppressed").collect();
    assert_eq!(sup.len(), 1);
    assert_eq!((sup[0]["rule"].as_str(), sup[0]["line"].as_u64()), (Some("RTY003"), Some(32)));
    assert_eq!(sup[0]["suppression_reason"], "cache warm-up is best effort");
    assert_eq!(v["unused_suppressions"].as_array().unwrap().len(), 0);
}

#[test]
fn trailing_suppression_and_unused_suppressions() {
    let d = tree();
    edit(d.path(), SUPERVISOR, |s| {
        s.replace("import RetryManager\n", "import RetryManager  # retry-audit: ignore[RTY009, RTY001]\n")
    });
    edit(d.path(), MONITOR, |s| {
        s.replace(
            "        while self._running:",
            "        # retry-audit: ignore -- not a retry\n        while self._running:",
        )
    });
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(with_status(&v, "suppressed"), vec![t("RTY009", SUPERVISOR, 2)]);
    let unused: Vec<(String, u64, String)> = v["unused_suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["path"].as_str().unwrap().to_string(),
                u["line"].as_u64().unwrap(),
                u["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        unused,
        vec![
            (SUPERVISOR.to_string(), 2, "unused suppression (unused: RTY001)".to_string()),
            (MONITOR.to_string(), 16, "unused suppression: no finding on this line or the next".to_string()),
        ]
    );
    // Unused suppressions fail the gate only when RTY100 is selected.
    let (code, _) = check_json(d.path(), &["--select", "RTY100"]);
    assert_eq!(code, 1);
    let (code, _) = check_json(d.path(), &["--select", "RTY003"]);
    assert_eq!(code, 0);
}

#[test]
fn fixed_findings_are_reported_and_pruned() {
    let d = tree();
    baseline(d.path());
    std::fs::remove_file(d.path().join(GATEWAY)).unwrap();
    let o = run(d.path(), &["check"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o.stdout.contains("2 baselined findings no longer exist (fixed):"), "{}", o.stdout);
    assert!(
        o.stdout.contains(&format!("RTY002 {GATEWAY} netra_backend.app.llm.gateway.complete_with_retry")),
        "{}",
        o.stdout
    );
    // A new finding is never added without --write.
    append(d.path(), MONITOR, NEW_SLEEP_LOOP);
    let o = run(d.path(), &["baseline", "--prune"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(d.path().join(".retry-audit-baseline.toml")).unwrap();
    assert!(!text.contains(GATEWAY) && !text.contains("warm_cache"), "{text}");
    assert!(text.starts_with("# retry-audit baseline") && text.contains("\nversion = 1\n"), "{text}");
    assert_eq!(text.matches("[[finding]]").count(), 3);
    assert_eq!(run(d.path(), &["check"]).code, 1);
    // --write FILE records everything.
    let o = run(d.path(), &["baseline", "--write", "custom.toml"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(run(d.path(), &["check", "--baseline", "custom.toml"]).code, 0);
}

#[test]
fn baseline_file_is_sorted_and_diff_friendly() {
    let d = tree();
    baseline(d.path());
    let text = std::fs::read_to_string(d.path().join(".retry-audit-baseline.toml")).unwrap();
    let paths: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("path = ")).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(text.contains(&format!("[[finding]]\npath = \"{CLICKHOUSE}\"\nrule = \"RTY002\"\nsymbol = \"netra_backend.app.db.clickhouse.ClickHouseService.connect\"\nfingerprint = \"")));
    // Recording twice gives the same bytes.
    run(d.path(), &["baseline", "--write"]);
    assert_eq!(std::fs::read_to_string(d.path().join(".retry-audit-baseline.toml")).unwrap(), text);
}

// ------------------------------------------------------------------ formats

#[test]
fn sarif_has_required_fields_and_fingerprints() {
    let d = tree();
    let o = run(d.path(), &["check", "--format", "sarif"]);
    assert_eq!(o.code, 1);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "retry-audit");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "RTY003" && r["help"]["text"].as_str().unwrap().contains("retry-audit: ignore[RTY003]")));
    assert!(rules
        .iter()
        .all(|r| r["shortDescription"]["text"].is_string() && r["fullDescription"]["text"].is_string()));
    let results = run0["results"].as_array().unwrap();
    let got: Vec<(String, String, u64)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().into(),
                loc["artifactLocation"]["uri"].as_str().unwrap().into(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![t("RTY009", SUPERVISOR, 2), t("RTY002", CLICKHOUSE, 13), t("RTY002", GATEWAY, 7)]);
    for r in results {
        assert!(r["message"]["text"].as_str().unwrap().contains("canonical replacement"));
        assert_eq!(r["partialFingerprints"]["retryAuditFingerprint/v1"].as_str().unwrap().len(), 16);
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
    // The same fingerprint JSON reports.
    let (_, j) = check_json(d.path(), &[]);
    let fp = j["findings"].as_array().unwrap().iter().find(|f| f["path"] == GATEWAY && f["rule"] == "RTY002").unwrap()
        ["fingerprint"]
        .clone();
    assert_eq!(results[2]["partialFingerprints"]["retryAuditFingerprint/v1"], fp);
}

#[test]
fn github_annotations() {
    let d = tree();
    let o = run(d.path(), &["check", "--format", "github"]);
    assert_eq!(o.code, 1);
    let errors: Vec<&str> = o.stdout.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 3, "{}", o.stdout);
    assert!(
        errors[1].starts_with(&format!(
            "::error file={CLICKHOUSE},line=13,endLine=22,col=5,title=RTY002 retry_function::retry function `connect`"
        )),
        "{}",
        errors[1]
    );
    assert!(
        errors[1].contains("%0Acanonical replacement: `UnifiedRetryHandler` with `DATABASE_RETRY_POLICY`"),
        "{}",
        errors[1]
    );
}

#[test]
fn junit_report() {
    let d = tree();
    let o = run(d.path(), &["check", "--format", "junit"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"retry-audit\" tests=\"3\" failures=\"3\""
        ),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains(&format!("<testsuite name=\"{GATEWAY}\" tests=\"1\" failures=\"1\"")));
    assert!(
        o.stdout.contains(&format!(
            "<failure type=\"RTY002\" message=\"retry function `complete_with_retry`: retry loop\">{GATEWAY}:7:1:"
        )),
        "{}",
        o.stdout
    );
    baseline(d.path());
    let o = run(d.path(), &["check", "--format", "junit", "--output", "report.xml"]);
    assert_eq!(o.code, 0);
    let xml = std::fs::read_to_string(d.path().join("report.xml")).unwrap();
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
}

#[test]
fn json_summary() {
    let d = tree();
    baseline(d.path());
    append(d.path(), MONITOR, NEW_SLEEP_LOOP);
    let (code, v) = check_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["version"], 2);
    assert_eq!(v["summary"]["new"], 1);
    assert_eq!(v["summary"]["baselined"], 5);
    assert_eq!(v["summary"]["failed"], true);
    assert_eq!(with_status(&v, "new"), vec![t("RTY003", MONITOR, 31)]);
}

// ------------------------------------------------------------------ changed files

fn git(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new("git").args(args).current_dir(dir).output().expect("git");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn git_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "dev@example.com"]);
    git(dir, &["config", "user.name", "Dev"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
}

#[test]
fn diff_base_checks_only_changed_files_against_whole_baseline() {
    let d = tree();
    baseline(d.path());
    git_repo(d.path());
    git(d.path(), &["checkout", "-q", "-b", "feature"]);
    // A change to a baselined file (lines above its finding) and a new loop in another file.
    edit(d.path(), GATEWAY, |s| s.replace("import asyncio\n", "import asyncio\nimport json\n"));
    append(d.path(), MONITOR, NEW_SLEEP_LOOP);
    git(d.path(), &["commit", "-q", "-am", "feature"]);
    let (code, v) = check_json(d.path(), &["--diff-base", "main"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["summary"]["files_checked"], 2);
    assert_eq!(with_status(&v, "new"), vec![t("RTY003", MONITOR, 31)]);
    assert_eq!(with_status(&v, "baselined"), vec![t("RTY002", GATEWAY, 8), t("RTY011", GATEWAY, 8)]);
    // Only changed files are in scope for "fixed": the untouched baselined files are not reported fixed.
    assert_eq!(v["fixed"].as_array().unwrap().len(), 0);
    // Nothing changed since main on a fresh branch from the feature tip.
    git(d.path(), &["checkout", "-q", "-b", "empty"]);
    let (code, v) = check_json(d.path(), &["--diff-base", "HEAD"]);
    assert_eq!((code, v["summary"]["files_checked"].as_u64()), (0, Some(0)));
    let o = run(d.path(), &["check", "--diff-base", "no-such-rev"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--diff-base"), "{}", o.stderr);
}

#[test]
fn file_arguments_are_checked_against_the_whole_repo_baseline() {
    let d = tree();
    baseline(d.path());
    append(d.path(), MONITOR, NEW_SLEEP_LOOP);
    // As pre-commit calls it: paths relative to the repository root, one or several.
    let (code, v) = check_json(d.path(), &[GATEWAY]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(with_status(&v, "baselined"), vec![t("RTY002", GATEWAY, 7), t("RTY011", GATEWAY, 7)]);
    let (code, v) = check_json(d.path(), &[GATEWAY, MONITOR]);
    assert_eq!(code, 1);
    assert_eq!(with_status(&v, "new"), vec![t("RTY003", MONITOR, 31)]);
    // From a subdirectory, the config (and so the project root) is found by walking up.
    let sub = d.path().join("netra_backend/app");
    let (code, v) = check_json(&sub, &["llm/gateway.py"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(with_status(&v, "baselined"), vec![t("RTY002", GATEWAY, 7), t("RTY011", GATEWAY, 7)]);
}

// ------------------------------------------------------------------ enforce

#[test]
fn enforce_emits_ruff_banned_api_and_import_linter_contract() {
    let d = tree();
    let o = run(d.path(), &["enforce", "--emit", "ruff"]);
    assert_eq!(o.code, 0);
    let v: toml::Value = toml::from_str(&o.stdout).unwrap();
    let banned = v["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"].as_table().unwrap();
    let msg = banned["netra_backend.app.agents.base.retry_manager.RetryManager"]["msg"].as_str().unwrap();
    assert!(msg.contains("netra_backend.app.core.resilience.unified_retry_handler.UnifiedRetryHandler"), "{msg}");
    assert!(banned.contains_key("netra_backend.app.llm.enhanced_retry"));
    assert!(!banned.keys().any(|k| k.starts_with("netra_backend.app.core.resilience.unified_retry_handler")));

    // The legacy config classes of the plan's [[config_migrations]] too.
    assert!(banned["netra_backend.app.schemas.shared_types.RetryConfig"]["msg"].as_str().unwrap().starts_with(
        "Legacy retry config: use `netra_backend.app.core.resilience.unified_retry_handler.RetryConfig` instead"
    ));

    // None of the plan's legacy modules is in this tree: import-linter would refuse to name them, so no contract
    // is emitted, and the output says which modules are gone (tests/enforce_e2e.rs runs real contracts).
    let o = run(d.path(), &["enforce", "--emit", "import-linter"]);
    assert_eq!(o.code, 0);
    assert!(
        o.stderr.contains("retry-audit enforce: legacy modules already gone from the tree (not forbidden): netra_backend.app.core.enhanced_retry_strategies, netra_backend.app.db.intelligent_retry_system, netra_backend.app.llm.enhanced_retry\n"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("\n#   netra_backend.app.db.intelligent_retry_system\n"), "{}", o.stdout);
    let v: toml::Value = toml::from_str(&o.stdout).unwrap();
    assert!(v.get("tool").is_none(), "{}", o.stdout);
}

#[test]
fn config_applies_to_inventory() {
    let d = tree();
    edit(d.path(), "pyproject.toml", |s| {
        s.replace("exclude = [\"scripts/**\"]", "exclude = [\"netra_backend/app/llm/**\"]")
    });
    let o = run(d.path(), &["inventory", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().all(|f| !f["path"].as_str().unwrap().contains("llm/")));
}

/// Without a configuration file the project root is the checkout's root: `check` run from a subdirectory names
/// files and finds the baseline as it does from the root.
#[test]
fn without_a_config_the_vcs_root_is_the_project_root() {
    let d = tempfile::tempdir().unwrap();
    let loop_at = |name: &str| {
        format!(
            "import time\n\n\ndef {name}(op):\n    for attempt in range(3):\n        try:\n            return op()\n        except OSError:\n            time.sleep(2 ** attempt)\n"
        )
    };
    std::fs::create_dir_all(d.path().join("svc/app")).unwrap();
    std::fs::write(d.path().join("svc/app/old.py"), loop_at("old")).unwrap();
    git_repo(d.path());
    assert_eq!(run(d.path(), &["baseline"]).code, 0);
    std::fs::write(d.path().join("svc/app/new.py"), loop_at("new")).unwrap();
    let from_root = check_json(d.path(), &["svc/app"]);
    let from_sub = check_json(&d.path().join("svc/app"), &["."]);
    assert_eq!((from_root.0, from_sub.0), (1, 1));
    let new = vec![t("RTY002", "svc/app/new.py", 4)];
    assert_eq!(with_status(&from_root.1, "new"), new);
    assert_eq!(with_status(&from_sub.1, "new"), new);
    assert_eq!(with_status(&from_sub.1, "baselined"), vec![t("RTY002", "svc/app/old.py", 4)]);
    // inventory names the sites as check does, from the root and from a subdirectory.
    let sites = |dir: &Path, args: &[&str]| {
        let o = run(dir, &[&["inventory", "--quiet", "--format", "json"], args].concat());
        paths_and_fingerprints(&serde_json::from_str(&o.stdout).unwrap())
    };
    let inventory_root = sites(d.path(), &["svc"]);
    assert_eq!(
        inventory_root.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["svc/app/new.py", "svc/app/old.py"]
    );
    assert_eq!(sites(&d.path().join("svc/app"), &["."]), inventory_root);
    assert_eq!(paths_and_fingerprints(&from_sub.1), inventory_root);
}

/// The findings of a JSON report as sorted (path, fingerprint) pairs.
fn paths_and_fingerprints(v: &Value) -> Vec<(String, String)> {
    let mut s: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["fingerprint"].as_str().unwrap().to_string()))
        .collect();
    s.sort();
    s
}
