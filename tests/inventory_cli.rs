//! CLI tests for `retry-audit inventory`: exit codes, the JSON interface, bad input that must not abort a run.

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("retry-audit").unwrap()
}

fn json(args: &[&str]) -> Value {
    let out = bin()
        .arg("inventory")
        .args(args)
        .args(["--format", "json", "--quiet"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn json_interface_on_the_demo_tree() {
    let v = json(&["fixtures/netra_demo"]);
    assert_eq!(v["version"], 3);
    // The legacy modules of the demo nothing imports (its retry manager is imported by a service).
    let deletable: Vec<&str> = v["deletable"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(
        deletable,
        [
            "netra_backend/app/clients/circuit_breaker.py",
            "netra_backend/app/core/async_retry_logic.py",
            "netra_backend/app/core/reliability_retry.py",
            "netra_backend/app/db/clickhouse.py",
            "netra_backend/app/db/postgres_core.py",
            "netra_backend/app/llm/enhanced_retry.py",
            "netra_backend/app/websocket_core/manager.py",
        ]
    );
    assert_eq!(v["root"], "fixtures/netra_demo");
    assert_eq!(v["files_scanned"], 12);
    let findings = v["findings"].as_array().unwrap();
    let clickhouse = findings
        .iter()
        .find(|f| f["symbol"] == "netra_backend.app.db.clickhouse.execute_clickhouse_query" && f["rule"] == "RTY002")
        .expect("clickhouse retry function");
    assert_eq!(clickhouse["kind"], "retry_function");
    assert_eq!(clickhouse["path"], "netra_backend/app/db/clickhouse.py");
    assert_eq!(clickhouse["line"], 5);
    assert_eq!(clickhouse["end_line"], 12);
    assert_eq!(clickhouse["column"], 1);
    assert_eq!(clickhouse["domain"], "database");
    assert_eq!(clickhouse["plan"]["status"], "planned");
    assert_eq!(clickhouse["plan"]["entry"], "db-clickhouse");
    // `for attempt in range(max_retries)` makes max_retries attempts, whatever the name says.
    assert_eq!(clickhouse["params"]["max_attempts"], 3);
    assert_eq!(clickhouse["params"]["spelling"]["max_attempts"], "for attempt in range(max_retries)");
    assert_eq!(clickhouse["group"], "G1");
    assert_eq!(clickhouse["fingerprint"].as_str().unwrap().len(), 16);
    // The unplanned copy of the same loop is in the same group.
    let copy = findings
        .iter()
        .find(|f| {
            f["symbol"] == "netra_backend.app.services.notification_service.send_notification_with_retry"
                && f["rule"] == "RTY002"
        })
        .unwrap();
    assert_eq!(copy["plan"]["status"], "unplanned");
    assert_eq!(copy["group"], "G1");
    // Canonical module findings.
    assert!(findings.iter().any(|f| f["plan"]["status"] == "canonical"
        && f["symbol"] == "netra_backend.app.core.resilience.unified_retry_handler.UnifiedRetryHandler"));
    // The monitor and the websocket receive loop are not reported.
    assert!(!findings.iter().any(|f| f["symbol"].as_str().unwrap().contains("HealthMonitor")
        || f["symbol"].as_str().unwrap().contains("receive_loop")));
    let stale: Vec<&str> = v["plan"]["stale"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(stale.contains(&"db-transaction-core"));
    assert!(!stale.contains(&"llm-enhanced-retry"));
    assert_eq!(v["metrics"]["legacy_imports"], 1);
    assert_eq!(v["metrics"]["canonical_imports"], 1);
    assert_eq!(v["metrics"]["canonical_import_share"], 0.5);
}

#[test]
fn bad_input_is_diagnosed_and_the_scan_goes_on() {
    let v = json(&["fixtures/bad_input"]);
    let diags: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        diags,
        vec![
            ("not_utf8.py".to_string(), 2, "decode-error".to_string()),
            ("nul_byte.py".to_string(), 9, "parse-error".to_string()),
            ("syntax_error.py".to_string(), 5, "parse-error".to_string()),
        ]
    );
    let symbols: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "RTY002")
        .map(|f| f["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, vec!["bom_crlf.bom_crlf_retry", "fstring_312.notify_with_retry", "latin1_cookie.réessayer"]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_broken_links_and_large_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("pkg")).unwrap();
    std::fs::copy("fixtures/rules/retry_function/loops.py", root.join("pkg/loops.py")).unwrap();
    std::os::unix::fs::symlink("..", root.join("pkg/loop")).unwrap();
    std::os::unix::fs::symlink("missing.py", root.join("pkg/broken.py")).unwrap();
    std::fs::write(root.join("pkg/big.py"), "x = 1\n".repeat(1500)).unwrap();
    let out = bin()
        .args(["inventory", "--format", "json", "--quiet", "--max-file-size", "5000"])
        .arg(root)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let kinds: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap().to_string(), d["kind"].as_str().unwrap().to_string()))
        .collect();
    assert!(kinds.contains(&("pkg/big.py".into(), "too-large".into())), "{kinds:?}");
    assert!(kinds.contains(&("pkg/broken.py".into(), "unreadable".into())), "{kinds:?}");
    assert!(kinds.iter().any(|(p, k)| p == "pkg/loop" && k == "unreadable"), "{kinds:?}");
    let loop_diag = v["diagnostics"].as_array().unwrap().iter().find(|d| d["path"] == "pkg/loop").unwrap();
    assert!(loop_diag["message"].as_str().unwrap().contains("symlink loop"));
    // Findings of the readable file are all there.
    assert_eq!(v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "RTY002").count(), 10);
}

#[test]
fn paths_are_relative_to_cwd_with_several_roots() {
    let v = json(&["fixtures/rules/sleep_loop", "fixtures/rules/readiness_probe"]);
    let paths: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"fixtures/rules/sleep_loop/inline.py"));
    assert!(paths.contains(&"fixtures/rules/readiness_probe/probes.py"));
}

#[test]
fn exclude_and_include_globs() {
    let v = json(&["fixtures/rules", "--exclude", "library_retry", "--exclude", "legacy_import/*.py"]);
    let paths: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(!paths.iter().any(|p| p.starts_with("library_retry/") || p.starts_with("legacy_import/")));
    let v = json(&["fixtures/rules", "--include", "calcs.py"]);
    assert_eq!(v["files_scanned"], 1);
}

#[test]
fn gitignore_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("fixtures/rules/sleep_loop/inline.py", dir.path().join("kept.py")).unwrap();
    std::fs::copy("fixtures/rules/sleep_loop/inline.py", dir.path().join("ignored.py")).unwrap();
    std::fs::create_dir(dir.path().join(".venv")).unwrap();
    std::fs::copy("fixtures/rules/sleep_loop/inline.py", dir.path().join(".venv/dep.py")).unwrap();
    std::fs::write(dir.path().join(".gitignore"), "ignored.py\n").unwrap();
    let v = json(&[dir.path().to_str().unwrap()]);
    assert_eq!(v["files_scanned"], 1);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["path"] == "kept.py"));
}

#[test]
fn usage_and_config_errors_exit_2() {
    bin().args(["inventory", "does/not/exist"]).assert().code(2);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, "[plan]\nname = 'x'\nunknown_key = 1\n").unwrap();
    let out =
        bin().args(["inventory", "fixtures/rules", "--plan"]).arg(&plan).assert().code(2).get_output().stderr.clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("plan.toml") && err.contains("line 3") && err.contains("unknown_key"), "{err}");
}

#[test]
fn markdown_regenerates_the_plan_tables() {
    let out = bin()
        .args(["inventory", "fixtures/netra_demo", "--format", "markdown", "--quiet"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    assert!(md.contains("### 2. Database Retry Systems (5 implementations)"));
    assert!(md.contains("| `netra_backend/app/db/clickhouse.py` | DB-specific | **ACTIVE** | ClickHouse operations | 1 policy_drift, 1 retry_function |"), "{md}");
    assert!(md.contains("| `netra_backend/app/db/transaction_core.py` | Transaction layer | **STALE** (not found) |"));
    assert!(md.contains("| `netra_backend/app/services/notification_service.py:8` | retry_function | **UNPLANNED** |"));
}

#[test]
fn rules_explain_prints_the_rule_doc_comment() {
    let out = bin().args(["rules", "--explain", "RTY003"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("RTY003 (sleep_loop)\n\nRTY003 sleep_loop: an inline retry loop"));
    bin().args(["rules", "--explain", "RTY999"]).assert().code(2);
    // The listing names every rule once, in code order.
    let out = bin().arg("rules").assert().success().get_output().stdout.clone();
    let codes: Vec<String> =
        String::from_utf8(out).unwrap().lines().map(|l| l.split_whitespace().next().unwrap().to_string()).collect();
    let mut expected: Vec<String> = (1..=15).map(|n| format!("RTY{n:03}")).collect();
    expected.push("RTY100".into());
    assert_eq!(codes, expected);
}

#[test]
fn rty100_is_listed_and_explained() {
    let out = bin().arg("rules").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.lines().last(),
        Some("RTY100  unused_suppression   A `# retry-audit: ignore` comment that suppresses nothing.")
    );
    for code in ["RTY100", "rty100", "unused_suppression"] {
        let out = bin().args(["rules", "--explain", code]).assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("RTY100 (unused_suppression)\n\nA `# retry-audit: ignore[...]` comment"), "{text}");
        assert!(text.contains("They fail the gate only when RTY100 is selected"), "{text}");
    }
}

/// The model's graph: a wrapper names what it delegates to and who uses it, and the reports hang it beneath
/// its engine.
#[test]
fn graph_roles_delegation_and_usage() {
    let v = json(&["fixtures/backend_demo"]);
    let findings = v["findings"].as_array().unwrap();
    let by = |symbol: &str| findings.iter().find(|f| f["symbol"] == symbol && f["role"].is_string()).unwrap();
    let w = by("acme.db.retry_helpers.retry_database_operation");
    assert_eq!(
        (w["rule"].as_str(), w["role"].as_str(), w["line"].as_u64()),
        (Some("RTY013"), Some("wrapper"), Some(15))
    );
    assert_eq!(
        w["delegates_to"],
        serde_json::json!([{
            "symbol": "acme.core.resilience.retry_engine.UnifiedRetryHandler.execute_with_retry",
            "path": "acme/core/resilience/retry_engine.py",
            "line": 43
        }])
    );
    let engine = by("acme.core.resilience.retry_engine.UnifiedRetryHandler.execute_with_retry");
    assert_eq!(engine["role"], "engine");
    assert!(engine["evidence"].as_array().unwrap().iter().any(|e| e.as_str().unwrap().starts_with("loop@L")));
    assert!(!engine["used_by"].as_array().unwrap().is_empty());
    // The system: counts per role, and the wrapper beneath the engine method beneath its class.
    assert_eq!(v["system"]["counts"]["engine"], findings.iter().filter(|f| f["role"] == "engine").count());
    let roots = v["system"]["roots"].as_array().unwrap();
    let handler =
        roots.iter().find(|r| r["symbol"] == "acme.core.resilience.retry_engine.UnifiedRetryHandler").unwrap();
    let method = handler["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["symbol"] == "acme.core.resilience.retry_engine.UnifiedRetryHandler.execute_with_retry")
        .unwrap();
    assert!(method["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["symbol"] == "acme.db.retry_helpers.retry_database_operation" && c["role"] == "wrapper"));
    // The table shows the same tree, indented.
    let out = bin().args(["inventory", "--quiet", "fixtures/backend_demo"]).assert().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("engine") && l.contains("UnifiedRetryHandler.execute_with_retry "))
        .unwrap();
    let below = lines[at + 1..].iter().take_while(|l| l.len() - l.trim_start().len() > 4).any(|l| {
        l.trim_start().starts_with("wrapper") && l.contains("acme.db.retry_helpers.retry_database_operation ")
    });
    assert!(below, "{text}");
    assert!(text.contains("\nRetry system: "), "{text}");
}

/// One identity: with a config file, a site has the same root-relative path and fingerprint in `inventory`,
/// `check` and `migrate`, run from the project root or from a subdirectory on a subdirectory.
#[test]
fn same_site_same_identity_in_every_command_and_directory() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check/backend");
    let run = |cwd: &std::path::Path, args: &[&str]| -> Value {
        let out = bin().current_dir(cwd).args(args).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
    };
    let sites = |v: &Value| -> Vec<(String, String)> {
        let mut s: Vec<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().starts_with("netra_backend/app/db/"))
            .map(|f| (f["path"].as_str().unwrap().to_string(), f["fingerprint"].as_str().unwrap().to_string()))
            .collect();
        s.sort();
        s
    };
    let sub = fixture.join("netra_backend/app");
    let from_root = sites(&run(&fixture, &["inventory", "--quiet", "--format", "json", "."]));
    assert!(!from_root.is_empty());
    assert!(from_root.iter().all(|(p, _)| p.starts_with("netra_backend/app/db/")));
    let from_sub = sites(&run(&sub, &["inventory", "--quiet", "--format", "json", "db"]));
    assert_eq!(from_sub, from_root);
    let check_sub = sites(&run(&sub, &["check", "--format", "json", "db"]));
    assert_eq!(check_sub, from_root);
    let check_elsewhere = sites(&run(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        &["check", "--format", "json", "fixtures/check/backend/netra_backend/app/db"],
    ));
    assert_eq!(check_elsewhere, from_root);
    // migrate names files the same way (the example plan gives it edits to name).
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/plans/examples/netra.toml");
    let m = run(&sub, &["migrate", "--plan", plan.to_str().unwrap(), "--format", "json", "."]);
    let paths: Vec<&str> = ["skipped", "withheld", "files"]
        .iter()
        .flat_map(|k| m[k].as_array().unwrap().iter())
        .filter_map(|x| x["path"].as_str())
        .collect();
    assert!(!paths.is_empty(), "{m}");
    assert!(paths.iter().all(|p| p.starts_with("netra_backend/")), "{m}");
}

/// An SDK-shaped retry system (fixtures/roles_sdk/README.md): every piece with its exact role, and none of the
/// look-alikes beside them (`RetryStats`, `MonitorEventAdapter`, `wait_for_job`, `requeue`, `list_breakers`).
type RoleRow = (String, u64, String, String, String);

/// (path, line, role, role_detail, symbol) of every finding with a role, sorted.
fn role_rows(v: &Value) -> Vec<RoleRow> {
    let mut got: Vec<RoleRow> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["role"].is_string())
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["role"].as_str().unwrap().to_string(),
                f["role_detail"].as_str().unwrap().to_string(),
                f["symbol"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    got
}

fn rows(want: &[(&str, u64, &str, &str, &str)]) -> Vec<RoleRow> {
    let mut out: Vec<RoleRow> =
        want.iter().map(|(p, l, r, d, s)| (p.to_string(), *l, r.to_string(), d.to_string(), s.to_string())).collect();
    out.sort();
    out
}

#[test]
fn sdk_shaped_pieces_get_their_roles_and_look_alikes_none() {
    let v = json(&["fixtures/roles_sdk"]);
    let got = role_rows(&v);
    let want = rows(&[
        ("google/cloud/thing/retries.py", 5, "decision", "predicate", "google.cloud.thing.retries._should_retry"),
        ("google/cloud/thing/retries.py", 9, "library_use", "library", "google.cloud.thing.retries"),
        ("sdkdemo/breakers.py", 5, "breaker", "state_machine", "sdkdemo.breakers.CircuitBreaker"),
        ("sdkdemo/breakers.py", 26, "breaker", "registry", "sdkdemo.breakers.CircuitBreakerRegistry"),
        ("sdkdemo/breakers.py", 41, "breaker", "instance", "sdkdemo.breakers.registry"),
        ("sdkdemo/breakers.py", 44, "breaker", "breaker_wrapper", "sdkdemo.breakers.get_breaker"),
        ("sdkdemo/breakers.py", 48, "breaker", "breaker_wrapper", "sdkdemo.breakers.call_through"),
        ("sdkdemo/client.py", 8, "wrapper", "method", "sdkdemo.client.HTTPClient.request_with_retries"),
        ("sdkdemo/client.py", 11, "engine", "function", "sdkdemo.client.HTTPClient._request_with_retries_internal"),
        ("sdkdemo/client.py", 37, "preset", "factory", "sdkdemo.client.connect"),
        ("sdkdemo/client.py", 56, "preset", "defaults", "sdkdemo.client.open_stream"),
        ("sdkdemo/connection.py", 1, "config_schema", "schema", "sdkdemo.connection.Connection"),
        ("sdkdemo/http_retry/__init__.py", 3, "preset", "instance", "sdkdemo.http_retry.connect_error_retry_handler"),
        (
            "sdkdemo/http_retry/handler.py",
            6,
            "preset",
            "instance",
            "sdkdemo.http_retry.handler.default_interval_calculator",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            8,
            "decision",
            "retryable_set",
            "sdkdemo.http_retry.handler.RETRYABLE_STATUS_CODES",
        ),
        ("sdkdemo/http_retry/handler.py", 16, "decision", "checker", "sdkdemo.http_retry.handler.RetryHandler"),
        (
            "sdkdemo/http_retry/handler.py",
            21,
            "decision",
            "predicate",
            "sdkdemo.http_retry.handler.RetryHandler.can_retry",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            26,
            "decision",
            "predicate",
            "sdkdemo.http_retry.handler.RetryHandler._can_retry",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            29,
            "calculator",
            "sleep",
            "sdkdemo.http_retry.handler.RetryHandler.prepare_for_next_attempt",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            35,
            "decision",
            "checker",
            "sdkdemo.http_retry.handler.ConnectionErrorRetryHandler",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            36,
            "decision",
            "predicate",
            "sdkdemo.http_retry.handler.ConnectionErrorRetryHandler._can_retry",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            40,
            "decision",
            "checker",
            "sdkdemo.http_retry.handler.ServerErrorRetryHandler",
        ),
        (
            "sdkdemo/http_retry/handler.py",
            41,
            "decision",
            "predicate",
            "sdkdemo.http_retry.handler.ServerErrorRetryHandler._can_retry",
        ),
        (
            "sdkdemo/http_retry/interval.py",
            4,
            "calculator",
            "override",
            "sdkdemo.http_retry.interval.IntervalCalculator",
        ),
        (
            "sdkdemo/http_retry/interval.py",
            5,
            "calculator",
            "override",
            "sdkdemo.http_retry.interval.IntervalCalculator.calculate_sleep_duration",
        ),
        (
            "sdkdemo/http_retry/interval.py",
            9,
            "calculator",
            "delay",
            "sdkdemo.http_retry.interval.BackoffIntervalCalculator",
        ),
        (
            "sdkdemo/http_retry/interval.py",
            13,
            "calculator",
            "delay",
            "sdkdemo.http_retry.interval.BackoffIntervalCalculator.calculate_sleep_duration",
        ),
        (
            "sdkdemo/http_retry/interval.py",
            17,
            "calculator",
            "override",
            "sdkdemo.http_retry.interval.FixedIntervalCalculator",
        ),
        (
            "sdkdemo/http_retry/interval.py",
            21,
            "calculator",
            "override",
            "sdkdemo.http_retry.interval.FixedIntervalCalculator.calculate_sleep_duration",
        ),
    ]);
    assert_eq!(got, want);
    // Evidence names what gave each model-made role.
    let evidence = |symbol: &str| -> Vec<String> {
        let f =
            v["findings"].as_array().unwrap().iter().find(|f| f["symbol"] == symbol && f["role"].is_string()).unwrap();
        f["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(evidence("sdkdemo.client.open_stream"), ["defaults max_reconnect_attempts and reconnect_interval"]);
    assert!(evidence("sdkdemo.http_retry.interval.FixedIntervalCalculator.calculate_sleep_duration")[0]
        .starts_with("overrides IntervalCalculator.calculate_sleep_duration"));
    assert!(evidence("sdkdemo.breakers.call_through")[0].starts_with("calls get_breaker"));
}

/// Pieces only the whole-tree model places (fixtures/roles_model/README.md), one per shape of the project-model
/// issue, each beside a look-alike that stays off the inventory: `Outcome`, `format_wait`, `POLL_BACKOFF`,
/// `MAX_RETRIES_EXCEEDED_MSG`, the token refresh numbers of `svc/resilience/deadline.py`, the `Tracked` base in
/// `svc/resilience/shared.py`, `apply_transform`, the closure in `sync_all`, `HeartbeatSettings`,
/// `load_with`'s pass-through keyword (a wrapper, not a config site), `export_rows`, the lists of formatters
/// in `svc/clients/handlers.py` (`default_formatters`, and `handlers_and_formatters` with one), the partial
/// of a formatting function in `svc/resilience/bound.py` (also on the line of an engine's partial), and in `svc/rpc`
/// `_apply_transforms`/`instrument` (a decorator list with no retry), `_format_from_config`,
/// `_compute_cache_settings`, `record_attempts`, `create_formatter` and `describe`.
#[test]
fn model_shapes_get_their_roles_and_look_alikes_none() {
    let v = json(&["fixtures/roles_model"]);
    let want = rows(&[
        ("ext/retrylib/policy.py", 5, "config_schema", "attempt_state", "ext.retrylib.policy.Retry"),
        ("ext/retrylib/policy.py", 12, "decorator", "factory", "ext.retrylib.policy.Retry.__call__"),
        ("svc/clients/downloader.py", 11, "engine", "function", "svc.clients.downloader.download_chunk"),
        ("svc/clients/downloader.py", 26, "engine", "function", "svc.clients.downloader.fetch_page"),
        ("svc/clients/downloader.py", 40, "preset", "config_site", "svc.clients.downloader.refresh_dashboard"),
        ("svc/clients/downloader.py", 47, "wrapper", "facade", "svc.clients.downloader.load_with"),
        ("svc/clients/handlers.py", 4, "decision", "checker", "svc.clients.handlers.RetryHandler"),
        ("svc/clients/handlers.py", 5, "decision", "predicate", "svc.clients.handlers.RetryHandler.can_retry"),
        ("svc/clients/handlers.py", 9, "decision", "checker", "svc.clients.handlers.ConnectionErrorHandler"),
        (
            "svc/clients/handlers.py",
            10,
            "decision",
            "predicate",
            "svc.clients.handlers.ConnectionErrorHandler.can_retry",
        ),
        ("svc/clients/handlers.py", 19, "preset", "instance", "svc.clients.handlers.connection_error_handler"),
        ("svc/clients/handlers.py", 23, "preset", "factory", "svc.clients.handlers.default_handlers"),
        ("svc/clients/handlers.py", 27, "preset", "factory", "svc.clients.handlers.async_default_handlers"),
        ("svc/clients/metadata.py", 7, "decision", "retryable_set", "svc.clients.metadata.RETRYABLE_ERRORS"),
        ("svc/clients/metadata.py", 10, "engine", "class", "svc.clients.metadata.MetadataFetcher"),
        ("svc/clients/metadata.py", 15, "engine", "function", "svc.clients.metadata.MetadataFetcher.fetch_token"),
        ("svc/clients/metadata.py", 28, "engine", "function", "svc.clients.metadata.MetadataFetcher.submit"),
        ("svc/clients/metadata.py", 48, "preset", "factory", "svc.clients.metadata.MetadataFetcher._get_retry"),
        ("svc/clients/metadata.py", 54, "decision", "predicate", "svc.clients.metadata.MetadataFetcher._is_transient"),
        ("svc/clients/metadata.py", 60, "preset", "config_site", "svc.clients.metadata.one_shot"),
        ("svc/clients/races.py", 4, "decision", "predicate", "svc.clients.races.is_registration_race"),
        ("svc/clients/live.py", 10, "preset", "constant", "svc.clients.live.MAX_UNHEALTHY_SESSIONS"),
        ("svc/clients/live.py", 11, "preset", "constant", "svc.clients.live.FOLLOW_BASE_DELAY"),
        ("svc/clients/live.py", 12, "preset", "constant", "svc.clients.live.FOLLOW_MAX_DELAY"),
        ("svc/clients/live.py", 15, "decision", "give_up_set", "svc.clients.live.UNFOLLOWABLE_STATUS_CODES"),
        ("svc/clients/live.py", 39, "engine", "function", "svc.clients.live.SocketClient.connect"),
        ("svc/clients/live.py", 78, "engine", "class", "svc.clients.live.StreamClient"),
        ("svc/clients/live.py", 85, "engine", "function", "svc.clients.live.StreamClient._connect_and_read"),
        ("svc/clients/live.py", 99, "calculator", "sleep", "svc.clients.live.StreamClient._wait_exponentially"),
        ("svc/clients/live.py", 118, "calculator", "delay", "svc.clients.live._Backoff"),
        ("svc/clients/live.py", 124, "calculator", "delay", "svc.clients.live._Backoff.next"),
        ("svc/clients/live.py", 129, "calculator", "state", "svc.clients.live._Backoff.reset"),
        ("svc/clients/live.py", 140, "engine", "function", "svc.clients.live.Follower.run"),
        ("svc/clients/live.py", 187, "engine", "function", "svc.clients.live.SessionReader.read_until_stop"),
        ("svc/clients/live.py", 193, "decision", "answer", "svc.clients.live.SessionReader._read_connection"),
        ("svc/clients/pool.py", 8, "breaker", "state_machine", "svc.clients.pool.HostPool"),
        ("svc/clients/pool.py", 9, "breaker", "state_machine", "svc.clients.pool.HostPool.__init__"),
        ("svc/clients/pool.py", 16, "breaker", "state_machine", "svc.clients.pool.HostPool.mark_dead"),
        ("svc/clients/pool.py", 24, "breaker", "state_machine", "svc.clients.pool.HostPool.mark_live"),
        ("svc/clients/pool.py", 31, "breaker", "state_machine", "svc.clients.pool.HostPool.resurrect"),
        ("svc/clients/poller.py", 8, "preset", "constant", "svc.clients.poller.POLL_BACKOFF_CAP"),
        ("svc/clients/poller.py", 15, "calculator", "class", "svc.clients.poller.PollDelays"),
        ("svc/clients/poller.py", 21, "calculator", "delay", "svc.clients.poller.PollDelays.after_failed_poll"),
        ("svc/clients/poller.py", 28, "calculator", "delay", "svc.clients.poller.PollDelays.after_failure"),
        ("svc/clients/sessions.py", 11, "engine", "inline_loop", "svc.clients.sessions.request_with_session"),
        ("svc/clients/sessions.py", 34, "wrapper", "method", "svc.clients.sessions.ApiClient._request"),
        ("svc/clients/streams.py", 9, "engine", "function", "svc.clients.streams.EventClient._stream_events"),
        ("svc/clients/streams.py", 21, "wrapper", "method", "svc.clients.streams.EventClient.space_logs"),
        ("svc/clients/streams.py", 38, "engine", "function", "svc.clients.streams.wait_for_reload"),
        ("svc/rpc/config.py", 8, "preset", "factory", "svc.rpc.config._retry_from_retry_config"),
        ("svc/rpc/config.py", 22, "preset", "factory", "svc.rpc.config.parse_method_configs"),
        ("svc/rpc/config_async.py", 5, "preset", "factory", "svc.rpc.config_async.parse_method_configs"),
        ("svc/rpc/method.py", 24, "wrapper", "class", "svc.rpc.method._WrappedCall"),
        ("svc/rpc/method.py", 32, "wrapper", "applies_policy", "svc.rpc.method._WrappedCall._prepare_call"),
        ("svc/rpc/method.py", 39, "wrapper", "method", "svc.rpc.method._WrappedCall.__call__"),
        ("svc/rpc/method.py", 44, "wrapper", "class", "svc.rpc.method._AsyncWrappedCall"),
        ("svc/rpc/method.py", 47, "wrapper", "method", "svc.rpc.method._AsyncWrappedCall.__call__"),
        ("svc/rpc/method.py", 55, "wrapper", "facade", "svc.rpc.method.wrap_method"),
        ("svc/rpc/method.py", 62, "wrapper", "facade", "svc.rpc.method.wrap_async_method"),
        ("svc/rpc/pipeline.py", 9, "engine", "class", "svc.rpc.pipeline.PipelineRetryPolicy"),
        ("svc/rpc/pipeline.py", 16, "calculator", "delay", "svc.rpc.pipeline.PipelineRetryPolicy.get_backoff_time"),
        ("svc/rpc/pipeline.py", 19, "calculator", "delay", "svc.rpc.pipeline.PipelineRetryPolicy.get_retry_after"),
        ("svc/rpc/pipeline.py", 23, "calculator", "sleep", "svc.rpc.pipeline.PipelineRetryPolicy._sleep_for_retry"),
        ("svc/rpc/pipeline.py", 30, "calculator", "sleep", "svc.rpc.pipeline.PipelineRetryPolicy._sleep_backoff"),
        ("svc/rpc/pipeline.py", 33, "calculator", "composed", "svc.rpc.pipeline.PipelineRetryPolicy.sleep"),
        ("svc/rpc/pipeline.py", 45, "engine", "function", "svc.rpc.pipeline.PipelineRetryPolicy.send"),
        ("svc/rpc/plumbing.py", 16, "preset", "factory", "svc.rpc.plumbing.ClientArgsCreator._compute_retry_config"),
        (
            "svc/rpc/plumbing.py",
            20,
            "preset",
            "factory",
            "svc.rpc.plumbing.ClientArgsCreator._compute_retry_max_attempts",
        ),
        ("svc/rpc/plumbing.py", 30, "preset", "factory", "svc.rpc.plumbing.ClientArgsCreator._compute_retry_mode"),
        ("svc/rpc/plumbing.py", 48, "calculator", "partial", "svc.rpc.plumbing.create_exponential_delay_function"),
        (
            "svc/rpc/transport.py",
            12,
            "preset",
            "configures",
            "svc.rpc.transport.OperationsTransport._prep_wrapped_messages",
        ),
        ("svc/resilience/apply.py", 8, "wrapper", "applies_policy", "svc.resilience.apply.call_with_policy"),
        ("svc/resilience/apply.py", 17, "decorator", "factory", "svc.resilience.apply.with_db_retry"),
        ("svc/resilience/apply.py", 25, "breaker", "state_machine", "svc.resilience.apply.Breaker"),
        ("svc/resilience/apply.py", 49, "breaker", "registry", "svc.resilience.apply.get_breaker"),
        ("svc/resilience/apply.py", 55, "breaker", "breaker_decorator", "svc.resilience.apply.breaker_protected"),
        ("svc/resilience/apply.py", 66, "wrapper", "context_manager", "svc.resilience.apply.retrying"),
        ("svc/resilience/bound.py", 7, "engine", "function", "svc.resilience.bound.retry_call"),
        ("svc/resilience/bound.py", 21, "preset", "partial", "svc.resilience.bound.db_retry"),
        ("svc/resilience/bound.py", 22, "preset", "partial", "svc.resilience.bound.quick_retry"),
        ("svc/resilience/bound.py", 27, "preset", "partial", "svc.resilience.bound.slow_retry"),
        (
            "svc/resilience/conditional.py",
            5,
            "config_schema",
            "holds_policy",
            "svc.resilience.conditional.ConditionalRetryPolicy",
        ),
        (
            "svc/resilience/conditional.py",
            17,
            "decision",
            "predicate",
            "svc.resilience.conditional.is_generation_specified",
        ),
        (
            "svc/resilience/conditional.py",
            26,
            "preset",
            "constant",
            "svc.resilience.conditional.RETRY_IF_GENERATION_SPECIFIED",
        ),
        ("svc/resilience/conditional.py", 28, "preset", "dict", "svc.resilience.conditional._SERVICE_MAX_ATTEMPTS"),
        ("svc/resilience/conditional.py", 36, "preset", "config_site", "svc.resilience.conditional.client_options"),
        ("svc/resilience/deadline.py", 4, "preset", "constant", "svc.resilience.deadline.DEFAULT_MAX_RETRIES"),
        ("svc/resilience/deadline.py", 5, "preset", "constant", "svc.resilience.deadline.RECONNECT_BACKOFF_CAP"),
        ("svc/resilience/deadline.py", 6, "preset", "constant", "svc.resilience.deadline.RETRY_DEADLINE"),
        ("svc/resilience/deadline.py", 10, "decision", "retryable_set", "svc.resilience.deadline.TRANSIENT_ERRORS"),
        ("svc/resilience/deadline.py", 13, "engine", "class", "svc.resilience.deadline.DeadlineRetrier"),
        ("svc/resilience/deadline.py", 17, "engine", "function", "svc.resilience.deadline.DeadlineRetrier.call"),
        ("svc/resilience/deadline.py", 27, "decision", "on_error", "svc.resilience.deadline.DeadlineRetrier._on_error"),
        ("svc/resilience/policy.py", 5, "config_schema", "schema", "svc.resilience.policy.Policy"),
        ("svc/resilience/policy.py", 14, "preset", "constant", "svc.resilience.policy.DATABASE_POLICY"),
        ("svc/resilience/policy.py", 17, "preset", "factory", "svc.resilience.policy.clickhouse_policy"),
        ("svc/resilience/runner.py", 14, "engine", "class", "svc.resilience.runner.Runner"),
        ("svc/resilience/shared.py", 5, "config_schema", "base", "svc.resilience.shared._BaseRetry"),
        ("svc/resilience/shared.py", 19, "engine", "class", "svc.resilience.shared.Retry"),
        ("svc/resilience/shared.py", 20, "engine", "function", "svc.resilience.shared.Retry.__call__"),
        ("svc/resilience/runner.py", 18, "engine", "function", "svc.resilience.runner.Runner.run"),
        ("svc/resilience/runner.py", 29, "engine", "attempt", "svc.resilience.runner.Runner._attempt"),
        ("svc/resilience/runner.py", 35, "decision", "predicate", "svc.resilience.runner.Runner.should_retry"),
        ("svc/resilience/runner.py", 38, "engine", "function", "svc.resilience.runner.Runner.send"),
        ("svc/resilience/runner.py", 49, "decision", "predicate", "svc.resilience.runner.Runner._needs_retry"),
        ("svc/resilience/runner.py", 56, "decision", "verdict", "svc.resilience.runner.classify_failure"),
        ("svc/resilience/runner.py", 66, "preset", "instance", "svc.resilience.runner.RUNNER"),
        ("svc/resilience/waits.py", 7, "calculator", "delay", "svc.resilience.waits.exponential_delay"),
        ("svc/resilience/waits.py", 11, "calculator", "delay", "svc.resilience.waits.linear_delay"),
        ("svc/resilience/waits.py", 15, "calculator", "delay", "svc.resilience.waits.parse_retry_after"),
        ("svc/resilience/waits.py", 22, "calculator", "delay", "svc.resilience.waits.next_delay"),
        ("svc/resilience/waits.py", 42, "calculator", "sleep", "svc.resilience.waits.PauseMixin._pause"),
        ("svc/resilience/waits.py", 50, "calculator", "delay", "svc.resilience.waits.jitter"),
        ("svc/settings.py", 7, "config_schema", "embedded", "svc.settings.ReconnectSettings"),
        ("svc/settings.py", 14, "preset", "constant", "svc.settings.DEFAULT_RECONNECT"),
        ("svc/settings.py", 15, "preset", "constant", "svc.settings.MOBILE_RECONNECT"),
        ("svc/settings.py", 24, "preset", "subclass", "svc.settings.ReportRunner"),
    ]);
    assert_eq!(role_rows(&v), want);
    let evidence = |symbol: &str| -> Vec<String> {
        let f =
            v["findings"].as_array().unwrap().iter().find(|f| f["symbol"] == symbol && f["role"].is_string()).unwrap();
        f["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        evidence("svc.resilience.runner.Runner.run"),
        ["loop@L20", "sleep via PauseMixin._pause (svc/resilience/waits.py:44)", "unbounded"]
    );
    assert_eq!(evidence("svc.resilience.runner.Runner._attempt"), ["the attempt of Runner.run (loop@L20)"]);
    assert_eq!(evidence("svc.clients.downloader.refresh_dashboard"), ["calls Runner.run with max_attempts"]);
    assert_eq!(evidence("svc.resilience.apply.call_with_policy"), ["applies retry_policy to func"]);
    assert_eq!(evidence("svc.clients.metadata.one_shot"), ["calls client.with_options with max_retries"]);
    assert_eq!(evidence("svc.clients.metadata.MetadataFetcher.submit"), ["loop@L30", "try@L31", "sleep@L37"]);
    assert_eq!(
        evidence("svc.clients.live.MAX_UNHEALTHY_SESSIONS"),
        ["bounds the retry loop of Follower.run (svc/clients/live.py:140)"]
    );
    assert_eq!(
        evidence("svc.clients.live.UNFOLLOWABLE_STATUS_CODES"),
        ["its members raise FeedUnavailable, which Follower.run (svc/clients/live.py:140) gives up on"]
    );
    assert_eq!(
        evidence("svc.clients.live.SessionReader._read_connection"),
        ["answers the loop test of SessionReader.read_until_stop (svc/clients/live.py:187)"]
    );
}

/// A breaker class of fields alone is the breaker's config schema; one with behaviour is a state machine.
#[test]
fn breaker_configs_are_told_from_state_machines() {
    let v = json(&["fixtures/rules/circuit_breaker"]);
    let want = rows(&[
        (
            "fixtures/rules/circuit_breaker/breakers.py",
            13,
            "breaker",
            "state_machine",
            "fixtures.rules.circuit_breaker.breakers.CircuitBreaker",
        ),
        (
            "fixtures/rules/circuit_breaker/breakers.py",
            37,
            "breaker",
            "state_machine",
            "fixtures.rules.circuit_breaker.breakers.ServiceGuard",
        ),
        (
            "fixtures/rules/circuit_breaker/breakers.py",
            54,
            "breaker",
            "config",
            "fixtures.rules.circuit_breaker.breakers.CircuitBreakerConfig",
        ),
    ]);
    assert_eq!(role_rows(&v), want);
}
