//! Translations proven against the retry libraries themselves.
//!
//! Every configuration of `tests/differential/configs.txt` runs through its library
//! (`tests/differential/run_library.py`: the pinned library of `tests/requirements.txt`, a fake clock, every
//! random draw pinned to a probe) under every outcome script of `tests/differential/scripts.txt`, and through
//! the canonical engine as `translate` translated it. An **exact** translation must give the same attempts,
//! sleeps and outcome (value returned, exception raised) as the library, for every script and probe. An
//! **inexact** one must name a difference that is real: some script shows it (a config whose only difference
//! no script can show is listed in the config file with `unobservable`).
//!
//! The library probe `v` pins `random.random()`; a library's jitter draws `uniform(lo, c) = lo + (c-lo)*v`,
//! which is canonical `c * (1 - r*u)` with `u = 1 - v`.
//!
//! Needs Python with the pinned libraries: `$RETRY_AUDIT_PYTHON`, else `<repo>/.venv/bin/python`, made on first
//! use (`tests/common/venv.rs`). Without it the test fails.

use retry_audit_policy::classify::Hierarchy;
use retry_audit_policy::simulate::{parse_outcomes, simulate_in, FinalResult, SimEnv, Step};
use retry_audit_policy::translate::{translate_str_as, Translation};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const PROBES: [f64; 2] = [0.25, 0.75];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

#[path = "../../../tests/common/venv.rs"]
mod venv;

fn python() -> PathBuf {
    venv::python(env!("CARGO_MANIFEST_DIR"))
}

struct Config {
    id: String,
    library: String,
    source: String,
    /// The inexact translation's difference cannot be shown by any script (a hook the scripts do not see).
    unobservable: bool,
}

fn configs() -> Vec<Config> {
    let text = std::fs::read_to_string(repo().join("tests/differential/configs.txt")).expect("configs.txt");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (library, rest) =
            line.split_once('|').unwrap_or_else(|| panic!("configs.txt:{}: `library | source`", i + 1));
        let (source, flag) = match rest.rsplit_once("| unobservable") {
            Some((s, _)) => (s, true),
            None => (rest, false),
        };
        out.push(Config {
            id: format!("configs.txt:{}", i + 1),
            library: library.trim().to_string(),
            source: source.trim().to_string(),
            unobservable: flag,
        });
    }
    out
}

fn scripts() -> Vec<(String, Vec<Step>)> {
    let text = std::fs::read_to_string(repo().join("tests/differential/scripts.txt")).expect("scripts.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, script) = l.split_once(':').expect("`name: script`");
            let script = expand(script.trim());
            (name.trim().to_string(), parse_outcomes(&script).unwrap_or_else(|e| panic!("{name}: {e}")))
        })
        .collect()
}

/// `err:X*40` repeats an outcome.
fn expand(script: &str) -> String {
    script
        .split(',')
        .map(|t| match t.trim().rsplit_once('*') {
            Some((body, n)) => vec![body; n.parse().expect("repeat count")].join(","),
            None => t.trim().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// What one run did: attempts made, sleeps, outcome, hook calls.
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    attempts: u64,
    sleeps: Vec<f64>,
    outcome: String,
    hooks: u64,
}

impl Observed {
    fn same(&self, other: &Observed) -> bool {
        self.attempts == other.attempts
            && self.outcome == other.outcome
            && self.hooks == other.hooks
            && self.sleeps.len() == other.sleeps.len()
            && self.sleeps.iter().zip(&other.sleeps).all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(1.0))
    }
}

fn library_runs(configs: &[Config], scripts: &[(String, Vec<Step>)]) -> Vec<Value> {
    let request = json!({
        "configs": configs.iter().map(|c| json!({"id": c.id, "library": c.library, "source": c.source})).collect::<Vec<_>>(),
        "scripts": scripts.iter().map(|(name, steps)| json!({
            "name": name,
            "steps": steps.iter().map(|s| json!({"error": s.error, "duration": s.duration, "hint": s.hint})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "probes": PROBES,
    });
    let mut child = std::process::Command::new(python())
        .arg(repo().join("tests/differential/run_library.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run the library harness");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(request.to_string().as_bytes()).expect("write the request");
    }
    let out = child.wait_with_output().expect("harness output");
    assert!(out.status.success(), "the library harness failed (are the pinned libraries installed?)");
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("harness JSON")
}

fn observed(v: &Value) -> Observed {
    Observed {
        attempts: v["attempts"].as_u64().expect("attempts"),
        sleeps: v["sleeps"].as_array().expect("sleeps").iter().map(|s| s.as_f64().expect("sleep")).collect(),
        outcome: v["outcome"].as_str().expect("outcome").to_string(),
        hooks: v["hooks"].as_u64().unwrap_or(0),
    }
}

/// The canonical engine's run of `steps` with every jitter draw `u`.
fn canonical(policy: &retry_audit_policy::RetryPolicy, steps: &[Step], u: f64) -> Observed {
    let h = Hierarchy::builtin();
    let mut env = SimEnv::new(0, &h);
    env.fixed_uniform = Some(u);
    let Ok(sim) = simulate_in(policy, steps, env) else {
        return Observed { attempts: steps.len() as u64, sleeps: vec![], outcome: "script_exhausted".into(), hooks: 0 };
    };
    let trace = sim.trace;
    let last_error =
        trace.attempts.last().and_then(|a| steps.get(a.attempt as usize - 1)).and_then(|s| s.error.clone());
    let outcome = match trace.result {
        FinalResult::Success => "returned".to_string(),
        // An attempt cut at the deadline raises the engine's timeout.
        FinalResult::Deadline if trace.reason.contains("ran into") => "raised:TimeoutError".to_string(),
        _ => format!("raised:{}", last_error.unwrap_or_default()),
    };
    Observed { attempts: trace.attempts_made as u64, sleeps: trace.sleeps(), outcome, hooks: 0 }
}

#[test]
fn translations_agree_with_the_libraries() {
    let configs = configs();
    let scripts = scripts();
    assert!(configs.len() >= 150, "at least 150 configurations ({} listed)", configs.len());
    let runs = library_runs(&configs, &scripts);
    let mut failures: Vec<String> = Vec::new();
    let (mut exact, mut inexact) = (0, 0);
    for config in &configs {
        let translated = translate_str_as(&config.library, &config.source)
            .unwrap_or_else(|e| panic!("{}: `{}` does not parse: {e:?}", config.id, config.source));
        let mine: Vec<&Value> = runs.iter().filter(|r| r["config"] == config.id.as_str()).collect();
        if let Some(bad) = mine.iter().find(|r| r["outcome"].as_str().is_some_and(|o| o.starts_with("error:"))) {
            failures.push(format!(
                "{}: `{}` does not run in {}: {}",
                config.id, config.source, config.library, bad["outcome"]
            ));
            continue;
        }
        let mut differences: Vec<String> = Vec::new();
        if let Some(policy) = translated.translation.policy() {
            for (name, steps) in &scripts {
                for probe in PROBES {
                    let lib = mine
                        .iter()
                        .find(|r| r["script"] == name.as_str() && r["probe"].as_f64() == Some(probe))
                        .map(|r| observed(r))
                        .expect("a library run per script and probe");
                    let ours = canonical(policy, steps, 1.0 - probe);
                    if !lib.same(&ours) {
                        differences.push(format!("script {name} probe {probe}: library {lib:?}, canonical {ours:?}"));
                    }
                }
            }
        }
        match &translated.translation {
            Translation::Exact(_) => {
                exact += 1;
                if !differences.is_empty() {
                    failures.push(format!(
                        "{}: `{}` is called exact but behaves differently:\n    {}",
                        config.id,
                        config.source,
                        differences.join("\n    ")
                    ));
                }
            }
            Translation::Inexact { closest, reasons } => {
                inexact += 1;
                if closest.is_some() && differences.is_empty() && !config.unobservable {
                    failures.push(format!(
                        "{}: `{}` is called inexact ({}) but no script shows a difference",
                        config.id,
                        config.source,
                        reasons.join("; ")
                    ));
                }
            }
        }
    }
    eprintln!("{exact} exact, {inexact} inexact of {} configurations", configs.len());
    assert!(failures.is_empty(), "{} configurations disagree:\n{}", failures.len(), failures.join("\n"));
}
