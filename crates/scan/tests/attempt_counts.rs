//! Attempt counts and delays read from what retry loops do (fixtures/rules/attempt_counts): the exact params
//! of every loop, and a truth oracle that runs the same loops in Python against an always-failing operation.

use retry_audit_scan::finding::{Finding, Params};
use retry_audit_scan::{scan, RuleData, ScanOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_dir() -> PathBuf {
    repo().join("fixtures/rules/attempt_counts")
}

fn findings() -> Vec<Finding> {
    let result = scan(&[fixture_dir()], &ScanOptions::default(), &RuleData::builtin()).expect("scan");
    result.findings
}

fn retry_function<'a>(findings: &'a [Finding], symbol: &str) -> &'a Finding {
    findings.iter().find(|f| f.rule == "RTY002" && f.symbol == symbol).unwrap_or_else(|| panic!("no RTY002 {symbol}"))
}

/// The attempt count a loop makes, as the scan reports it (`bound` gives the values of names it cannot see).
fn reported_attempts(p: &Params, bound: &serde_json::Map<String, Value>) -> u64 {
    if let Some(n) = p.max_attempts {
        return u64::from(n);
    }
    let expr = p.max_attempts_expr.as_deref().expect("an attempt count or its expression");
    let (name, offset) = match expr.split_once(" + ") {
        Some((name, k)) => (name, k.parse::<i64>().unwrap()),
        None => match expr.split_once(" - ") {
            Some((name, k)) => (name, -k.parse::<i64>().unwrap()),
            None => (expr, 0),
        },
    };
    let value = bound.get(name).and_then(Value::as_i64).unwrap_or_else(|| panic!("oracle gives no value for {name}"));
    (value + offset) as u64
}

/// Delay k (1-based) of the reported params, as policy-semantics.md defines it (jitter off).
fn reported_delay(p: &Params, k: u32) -> f64 {
    let base = p.base_delay.expect("a base delay");
    let raw = match p.strategy.as_deref() {
        Some("fixed") => base,
        Some("linear") => base * f64::from(k),
        Some("exponential") => base * p.multiplier.expect("a multiplier").powi(k as i32 - 1),
        other => panic!("strategy {other:?}"),
    };
    p.max_delay.map_or(raw, |cap| raw.min(cap))
}

/// `.venv/bin/python` of the repository when there is one, else `python3`; a missing Python fails the test.
fn python() -> PathBuf {
    let venv = repo().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

#[test]
fn attempt_counts_and_delays_match_what_python_observes() {
    let out = Command::new(python())
        .arg(repo().join("tests/oracle/attempt_oracle.py"))
        .arg(fixture_dir().join("loops.py"))
        .output()
        .expect("python3 runs (the oracle needs it)");
    assert!(out.status.success(), "oracle failed: {}", String::from_utf8_lossy(&out.stderr));
    let observed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let observed = observed.as_object().unwrap();
    assert_eq!(observed.len(), 12);
    let findings = findings();
    for (symbol, run) in observed {
        let p = &retry_function(&findings, symbol).params;
        let attempts = run["attempts"].as_u64().unwrap();
        assert_eq!(reported_attempts(p, run["bound"].as_object().unwrap()), attempts, "{symbol}: attempts");
        // The canonical schedule has a wait after every failed attempt but the last; a loop that also sleeps
        // after its last attempt wastes that wait, it does not add an attempt.
        let sleeps: Vec<f64> = run["sleeps"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap()).collect();
        assert!(sleeps.len() as u64 >= attempts - 1, "{symbol}: {sleeps:?}");
        for (k, seen) in (1..attempts as u32).zip(&sleeps) {
            let want = reported_delay(p, k);
            assert!((want - seen).abs() < 1e-9, "{symbol}: delay {k} reported {want}, Python slept {seen}");
        }
    }
}

#[test]
fn every_loop_form_has_its_exact_params() {
    let findings = findings();
    // symbol, line, max_attempts (or its expression), base_delay, multiplier, max_delay, strategy
    type Row = (&'static str, u32, &'static str, f64, Option<f64>, Option<f64>, &'static str);
    let rows: [Row; 12] = [
        ("loops.fetch_with_retries", 14, "3", 0.5, Some(2.0), None, "exponential"),
        ("loops.upload_part", 25, "4", 0.3, None, None, "linear"),
        ("loops.WebhookSender.send", 43, "3", 0.5, Some(3.0), None, "exponential"),
        ("loops.poll_lease", 53, "4", 4.0, Some(2.0), None, "exponential"),
        ("loops.query_with_cap", 63, "6", 0.5, Some(2.0), Some(4.0), "exponential"),
        ("loops.publish_event", 76, "4", 1.0, Some(2.0), None, "exponential"),
        ("loops.acquire_lock", 91, "3", 5.0, None, None, "fixed"),
        ("loops.ReplicaClient.read", 110, "4", 1.5, None, None, "fixed"),
        ("loops.ConfiguredClient.call", 128, "self.config.max_retries + 1", 2.0, None, None, "fixed"),
        ("loops.sync_inventory", 138, "3", 1.0, Some(2.0), Some(30.0), "exponential"),
        ("loops.PaymentsClient.request", 155, "3", 0.5, Some(2.0), None, "exponential"),
        ("loops.MetadataFetcher.fetch", 170, "3", 0.4, Some(2.0), None, "exponential"),
    ];
    for (symbol, line, attempts, base, multiplier, cap, strategy) in rows {
        let f = retry_function(&findings, symbol);
        assert_eq!((f.path.as_str(), f.line), ("loops.py", line), "{symbol}");
        let p = &f.params;
        let count = p.max_attempts.map(|n| n.to_string()).or(p.max_attempts_expr.clone());
        assert_eq!(count.as_deref(), Some(attempts), "{symbol}: attempts");
        assert_eq!(p.base_delay, Some(base), "{symbol}: base_delay");
        assert_eq!(p.multiplier, multiplier, "{symbol}: multiplier");
        assert_eq!(p.max_delay, cap, "{symbol}: max_delay");
        assert_eq!(p.strategy.as_deref(), Some(strategy), "{symbol}: strategy");
    }
}

/// A loop that runs the generic preset's schedule (3 attempts, waits [1, 2]) with a cap it never reaches and a
/// `max_retries` name that once made it 4 attempts: no drift.
#[test]
fn a_loop_running_its_preset_schedule_does_not_drift() {
    let findings = findings();
    assert_eq!(retry_function(&findings, "loops.sync_inventory").domain, "generic");
    assert!(!findings.iter().any(|f| f.rule == "RTY011" && f.symbol == "loops.sync_inventory"));
    // Its neighbours with other schedules still do.
    assert!(findings.iter().any(|f| f.rule == "RTY011" && f.symbol == "loops.fetch_with_retries"));
}

/// A `while` loop whose failed rounds leave every name as the round before gives up only on success: no
/// count (the dry run stops counting at the repeated round instead of running to its limit), and its waits
/// are still read. A loop whose counter moves every round is counted to the end.
#[test]
fn a_loop_that_repeats_itself_has_no_count_and_its_waits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("forever.py"),
        "import time\n\n\n\
         def follow_forever(op):\n    while True:\n        try:\n            return op()\n        \
         except ConnectionError:\n            time.sleep(2)\n\n\n\
         def reconnect(op):\n    failures = 0\n    while True:\n        try:\n            return op()\n        \
         except OSError:\n            failures += 1\n            if failures > 5:\n                raise\n            \
         time.sleep(1)\n",
    )
    .unwrap();
    let result = scan(&[dir.path().to_path_buf()], &ScanOptions::default(), &RuleData::builtin()).expect("scan");
    let forever = &retry_function(&result.findings, "forever.follow_forever").params;
    assert_eq!((forever.max_attempts, forever.max_attempts_expr.as_deref()), (None, None));
    assert_eq!((forever.base_delay, forever.strategy.as_deref()), (Some(2.0), Some("fixed")));
    let reconnect = &retry_function(&result.findings, "forever.reconnect").params;
    assert_eq!(reconnect.max_attempts, Some(6));
    assert_eq!((reconnect.base_delay, reconnect.strategy.as_deref()), (Some(1.0), Some("fixed")));
}
