//! `retry-audit policy ...` end to end: exact outputs and exit codes.

use assert_cmd::Command;
use predicates::prelude::*;

fn policy(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("retry-audit").unwrap().arg("policy").args(args).assert()
}

fn stdout_of(args: &[&str]) -> String {
    String::from_utf8(policy(args).success().get_output().stdout.clone()).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn show_prints_the_preset_table() {
    policy(&["show"]).success().stdout(
        "\
domain     attempts  base  max  strategy            multiplier  jitter r  total timeout  breaker
database   5         0.5   30   exponential_jitter  2           0.1       60 s           5 failures / 60 s
llm        4         2     120  exponential_jitter  2.5         0.15      300 s          3 failures / 180 s
agent      3         1     60   exponential         2           -         120 s          off
websocket  2         0.5   5    exponential         2           -         10 s           off
file       3         0.2   2    exponential         1.5         -         30 s           off
http       3         1     30   exponential_jitter  2           0.1       30 s           3 failures / 30 s
generic    3         1     60   exponential         2           -         none           off
",
    );
}

#[test]
fn show_one_domain_by_alias() {
    policy(&["show", "--domain", "network"]).success().stdout(
        "\
domain  attempts  base  max  strategy            multiplier  jitter r  total timeout  breaker
http    3         1     30   exponential_jitter  2           0.1       30 s           3 failures / 30 s
",
    );
}

#[test]
fn show_json_and_toml_are_loadable_policies() {
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["show", "--domain", "llm", "--format", "json"])).unwrap();
    assert_eq!(json["max_attempts"], 4);
    assert_eq!(json["multiplier"], 2.5);
    assert_eq!(json["strategy"], "exponential_jitter");
    let all: serde_json::Value = serde_json::from_str(&stdout_of(&["show", "--format", "json"])).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 7);
    assert_eq!(all[5]["aliases"][0], "network");

    let dir = tempfile::tempdir().unwrap();
    let toml = stdout_of(&["show", "--domain", "file", "--format", "toml"]);
    let path = write(&dir, "file.toml", &toml);
    let from_file = stdout_of(&["schedule", "--policy", &path]);
    let from_domain = stdout_of(&["schedule", "--domain", "file"]);
    assert_eq!(from_file.lines().skip(1).collect::<Vec<_>>(), from_domain.lines().skip(1).collect::<Vec<_>>());
}

#[test]
fn show_unknown_domain_exits_2() {
    policy(&["show", "--domain", "mainframe"]).code(2).stderr(
        "retry-audit: error: unknown domain `mainframe` (known: database, llm, agent, websocket, file, http, generic, network)\n",
    );
}

#[test]
fn schedule_of_a_preset() {
    policy(&["schedule", "--domain", "agent"]).success().stdout(
        "\
policy: agent: 3 attempts, exponential b=1 max=60 m=2, no jitter, total_timeout=120
attempt  starts at  capped delay  sleep  cumulative
1        0          1             1      1
2        1          2             2      3
3        3          -             -      3
stops: after attempt 3 (max_attempts); elapsed 3 s of total_timeout 120 s
",
    );
}

#[test]
fn schedule_shows_where_the_deadline_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "t.toml", "max_attempts = 10\nbase_delay = 1.0\nmultiplier = 2.0\ntotal_timeout = 10.0\n");
    let out = stdout_of(&["schedule", "--policy", &path]);
    assert_eq!(
        out.lines().skip(1).collect::<Vec<_>>().join("\n"),
        "\
attempt  starts at  capped delay  sleep  cumulative
1        0          1             1      1
2        1          2             2      3
3        3          4             4      7
4        7          8             -      7
stops: deadline after attempt 4: next attempt would start at 15 >= total_timeout 10; elapsed 7 s of total_timeout 10 s"
    );
}

#[test]
fn schedule_attempts_until_and_seed() {
    let out = stdout_of(&["schedule", "--domain", "generic", "--attempts-until", "8"]);
    assert!(out.contains("\n7        63         60            60     123\n"), "{out}");
    assert!(out.ends_with("stops: after attempt 8 (max_attempts); elapsed 123 s\n"), "{out}");
    let a = stdout_of(&["schedule", "--domain", "database", "--seed", "5"]);
    let b = stdout_of(&["schedule", "--domain", "database", "--seed", "5"]);
    let c = stdout_of(&["schedule", "--domain", "database", "--seed", "6"]);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains("seed: 5\n"));
}

#[test]
fn schedule_needs_exactly_one_source() {
    policy(&["schedule"]).code(2);
    policy(&["schedule", "--domain", "agent", "--policy", "x.toml"])
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn bad_policy_files_exit_2_and_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let zero = write(&dir, "zero.toml", "max_attempts = 0\n");
    policy(&["schedule", "--policy", &zero])
        .code(2)
        .stderr(format!("retry-audit: error: policy file {zero}: max_attempts must be >= 1 (got 0)\n"));
    let jitter = write(&dir, "j.json", r#"{"jitter_range": 1.5}"#);
    policy(&["schedule", "--policy", &jitter])
        .code(2)
        .stderr(predicate::str::contains("jitter_range must be in [0, 1] (got 1.5)"));
    let unknown = write(&dir, "u.toml", "max_attemps = 3\n");
    policy(&["schedule", "--policy", &unknown]).code(2).stderr(predicate::str::contains("unknown field `max_attemps`"));
    policy(&["schedule", "--policy", "/nonexistent/p.toml"])
        .code(2)
        .stderr(predicate::str::contains("cannot read policy file"));
}

#[test]
fn legacy_policy_files_are_converted_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "legacy.toml", "max_retries = 3\nbase_delay = 1.0\n");
    policy(&["schedule", "--policy", &path])
        .success()
        .stderr("note: legacy spelling max_retries=3 -> max_attempts=4\n")
        .stdout(predicate::str::contains("stops: after attempt 4 (max_attempts); elapsed 7 s\n"));
}

#[test]
fn simulate_table() {
    policy(&["simulate", "--domain", "agent", "--outcomes", "err:ConnectionError,err:TimeoutError,ok"])
        .success()
        .stdout(
            "\
policy: agent: 3 attempts, exponential b=1 max=60 m=2, no jitter, total_timeout=120
attempt  start  duration  outcome              verdict  rule       breaker  sleep
1        0      0         err:ConnectionError  retry    retryable  -        1
2        1      0         err:TimeoutError     retry    retryable  -        2
3        3      0         ok                   success  -          -        -
result: success after 3 attempt(s), elapsed 3 s (attempt 3 succeeded)
",
        );
}

#[test]
fn simulate_breaker_and_cancellation() {
    let out = stdout_of(&["simulate", "--domain", "llm", "--outcomes", "err:OSError,err:OSError,err:OSError,ok"]);
    assert!(out.contains("rejected"), "{out}");
    assert!(out.ends_with("(breaker rejected attempt 4)\n"), "{out}");
    let out = stdout_of(&["simulate", "--domain", "database", "--outcomes", "err:asyncio.CancelledError"]);
    assert!(out.contains("propagate  cancellation  closed"), "{out}");
    assert!(out.contains("result: cancelled after 1 attempt(s)"), "{out}");
}

#[test]
fn simulate_json_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "p.json", r#"{"retryable_exceptions": ["OSError"], "max_attempts": 4}"#);
    let out = stdout_of(&[
        "simulate",
        "--policy",
        &path,
        "--outcomes",
        "err:ConnectionResetError@0.5,err:ValueError",
        "--format",
        "json",
    ]);
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(t["result"], "non_retryable");
    assert_eq!(t["attempts_made"], 2);
    assert_eq!(t["elapsed"], 1.5);
    assert_eq!(t["attempts"][0]["classification"]["matched"], "OSError");
    assert_eq!(t["attempts"][0]["sleep"], 1.0);
    assert_eq!(t["attempts"][1]["start"], 1.5);
    assert_eq!(t["attempts"][1]["classification"]["rule"], "unlisted");
}

#[test]
fn simulate_bad_scripts_exit_2() {
    policy(&["simulate", "--domain", "agent", "--outcomes", "err:ConnectionError,boom"]).code(2).stderr(
        "retry-audit: error: bad outcome #2 `boom`: expected `ok`, `err:Class`, `err:Class@seconds` or `hint:seconds`\n",
    );
    policy(&["simulate", "--domain", "agent", "--outcomes", "err:OSError"])
        .code(2)
        .stderr("retry-audit: error: the outcome script has 1 outcome(s) but attempt 2 needs one; add more outcomes\n");
    policy(&["simulate", "--domain", "agent"]).code(2);
}

#[test]
fn vectors_to_stdout_and_file() {
    let out: serde_json::Value = serde_json::from_str(&stdout_of(&["vectors"])).unwrap();
    assert_eq!(out["schema"], "retry-audit/policy-vectors/v1");
    let vectors = out["vectors"].as_array().unwrap();
    assert_eq!(vectors.iter().filter(|v| v["from_spec"] == true).count(), 12);
    assert!(vectors.iter().any(|v| !v["expected"]["jitter_u"].as_array().unwrap().is_empty()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.json");
    policy(&["vectors", "--out", path.to_str().unwrap()]).success().stdout("").stderr(format!(
        "wrote {} vectors to {}\n",
        vectors.len(),
        path.display()
    ));
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file, out);
}

#[test]
fn translate_exact_exits_0() {
    policy(&["translate", "stop_after_attempt(5), wait_exponential(multiplier=0.5, max=30), reraise=True"])
        .success()
        .stdout(
            "\
exact (tenacity): 5 attempts, exponential b=0.5 max=30 m=2, no jitter, no total_timeout
schedule (jitter off): [0.5, 1, 2, 4]
",
        );
}

#[test]
fn translate_inexact_exits_1_with_reasons() {
    policy(&["translate", "backoff.on_exception(backoff.expo, OSError, max_tries=4, max_time=30)"]).code(1).stdout(
        "\
inexact (backoff): no canonical policy has exactly this behaviour
  - max_time=30: backoff clips the last sleep to the time left and still makes one more attempt at about 30 s; canonical total_timeout stops before a sleep that would reach it
closest: 4 attempts, exponential_jitter b=1 max=4 m=2, jitter r=1, total_timeout=30, retry on [OSError]
schedule (jitter off): [1, 2, 4]
",
    );
}

#[test]
fn translate_json() {
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .args(["policy", "translate", "stamina.retry(on=OSError)", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let t: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(t["library"], "stamina");
    assert_eq!(t["exact"], false);
    assert_eq!(t["policy"]["max_attempts"], 10);
    assert_eq!(t["reasons"].as_array().unwrap().len(), 2);
    assert_eq!(t["schedule"][0], 0.1);
}

#[test]
fn translate_unparsable_exits_2() {
    policy(&["translate", "wait_fixed("])
        .code(2)
        .stderr("retry-audit: error: cannot parse the configuration at offset 11: expected `)` (end of input)\n");
}
