//! Snapshot tests: every rule's fixture folder, the look-alikes, bad input and the demo tree.
//! Each snapshot line is one finding: `path:line-end_line RULE kind symbol [domain] params (notes)`.

use retry_audit_scan::{scan, RuleData, ScanOptions};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn render(dir: &Path) -> String {
    let data = RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
    let result = scan(&[dir.to_path_buf()], &ScanOptions::default(), &data).expect("scan");
    let mut out = String::new();
    for f in &result.findings {
        let params = serde_json::to_string(&f.params).unwrap();
        let notes = if f.notes.is_empty() { String::new() } else { format!(" ({})", f.notes.join(", ")) };
        let group = f.group.as_deref().map(|g| format!(" {g}")).unwrap_or_default();
        out.push_str(&format!(
            "{}:{}-{} {} {} {} [{}] {} {}{group}{notes}\n",
            f.path,
            f.line,
            f.end_line,
            f.rule,
            f.kind.as_str(),
            f.symbol,
            f.domain,
            f.plan.status.as_str(),
            params
        ));
    }
    for d in &result.diagnostics {
        out.push_str(&format!("diagnostic {d}\n"));
    }
    out
}

macro_rules! fixture_snapshot {
    ($name:ident, $dir:literal) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render(&fixtures().join($dir)));
        }
    };
}

fixture_snapshot!(retry_function, "rules/retry_function");
fixture_snapshot!(sleep_loop, "rules/sleep_loop");
fixture_snapshot!(attempt_counts, "rules/attempt_counts");
fixture_snapshot!(retry_decorator_def, "rules/retry_decorator_def");
fixture_snapshot!(retry_class, "rules/retry_class");
fixture_snapshot!(retry_config, "rules/retry_config");
fixture_snapshot!(circuit_breaker, "rules/circuit_breaker");
fixture_snapshot!(backoff_calc, "rules/backoff_calc");
fixture_snapshot!(library_retry, "rules/library_retry");
fixture_snapshot!(readiness_probe, "rules/readiness_probe");
fixture_snapshot!(legacy_import, "rules/legacy_import");
fixture_snapshot!(bad_input, "bad_input");
fixture_snapshot!(netra_demo, "netra_demo");

/// Look-alikes (monitors, consumers, polls, fallbacks, item loops, re-queueing, sleep-only) produce nothing.
#[test]
fn lookalikes_are_not_reported() {
    assert_eq!(render(&fixtures().join("rules/lookalikes")), "");
}

/// The exact sites the retry_function fixture must report, independent of the snapshot.
#[test]
fn retry_function_sites() {
    let out = render(&fixtures().join("rules/retry_function"));
    let sites: Vec<(String, String)> = out
        .lines()
        .filter(|l| l.contains(" RTY002 "))
        .map(|l| {
            let mut it = l.split(' ');
            let loc = it.next().unwrap().split('-').next().unwrap().to_string();
            let symbol = it.nth(2).unwrap().to_string();
            (loc, symbol)
        })
        .collect();
    let expected = [
        ("indirection.py:18", "indirection.AgentRunner.run_task"),
        ("indirection.py:26", "indirection.AgentRunner.call_tool"),
        ("indirection.py:38", "indirection.Executor.execute"),
        ("indirection.py:44", "indirection.Executor._retry_execution"),
        ("loops.py:16", "loops.fetch_with_retry"),
        ("loops.py:30", "loops.execute_query"),
        ("loops.py:43", "loops.call_with_aliased_sleep"),
        ("loops.py:53", "loops.aliased_asyncio"),
        ("loops.py:65", "loops.trio_retry"),
        ("loops.py:73", "loops.anyio_retry"),
        ("loops.py:81", "loops.retry_forever"),
        ("loops.py:90", "loops.publish_until_acked"),
        ("loops.py:108", "loops.StreamClient.run"),
        ("loops.py:122", "loops.ingest_with_retry"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(sites, expected);
}
