//! Translations proven against the retry libraries themselves.
//!
//! Every configuration of `tests/differential/configs.txt` runs through its library
//! (`tests/differential/run_library.py`: the pinned library of `tests/requirements.txt`, a fake clock, every
//! random draw pinned to a probe) under every outcome script of `tests/differential/scripts.txt`, and through
//! the canonical engine as `translate` translated it. An **exact** translation must give the same attempts,
//! sleeps and outcome (value returned, exception raised) as the library, for every script and probe. An
//! **inexact** one must name a difference that is real: some script shows it (a config whose only difference
//! no script can show is listed in the config file with `unobservable`; one whose differences show on known
//! scripts only, such as botocore's classification by error code, lists them with `differs on`, and must agree
//! everywhere else, which proves its attempt counting and delays). A config the library refuses is `rejected`:
//! the translation must then build no policy.
//!
//! Configs of libraries that also decorate coroutines (tenacity, backoff, stamina, google-api-core) run twice:
//! on a plain function and on an `async def` under asyncio with `asyncio.sleep` on the fake clock; an exact
//! translation must match both. A config line may pin versions (`urllib3 urllib3==1.26.20 | ...`): it runs against
//! that version (installed beside the venv by `tests/common/venv.rs`) and is translated for it.
//!
//! The library probe `v` pins `random.random()`; a library's jitter draws `uniform(lo, c) = lo + (c-lo)*v`,
//! which is canonical `c * (1 - r*u)` with `u = 1 - v`.
//!
//! Needs Python with the pinned libraries: `$RETRY_AUDIT_PYTHON`, else `<repo>/.venv/bin/python`, made on first
//! use (`tests/common/venv.rs`). Without it the test fails.

mod config;
mod harness;

use config::{Claim, Config};
use retry_audit_policy::classify::Hierarchy;
use retry_audit_policy::simulate::{simulate_in, FinalResult, SimEnv, Step};
use retry_audit_policy::translate::{translate_str_in, Translation};
use serde_json::Value;
use std::path::{Path, PathBuf};

const PROBES: [f64; 2] = [0.25, 0.75];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
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

/// Where one config's library runs and the canonical engine disagree: `(pass, script, description)`.
fn differences(
    config: &Config,
    runs: &[&Value],
    scripts: &[(String, Vec<Step>)],
    policy: &retry_audit_policy::RetryPolicy,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for pass in harness::passes(&config.library) {
        for (name, steps) in scripts {
            for probe in PROBES {
                let lib = runs
                    .iter()
                    .find(|r| r["pass"] == *pass && r["script"] == name.as_str() && r["probe"].as_f64() == Some(probe))
                    .map(|r| observed(r))
                    .expect("a library run per pass, script and probe");
                let ours = canonical(policy, steps, 1.0 - probe);
                if !lib.same(&ours) {
                    let what = format!("{pass} script {name} probe {probe}: library {lib:?}, canonical {ours:?}");
                    out.push((pass.to_string(), name.clone(), what));
                }
            }
        }
    }
    out
}

/// Counts per verdict.
#[derive(Default)]
struct Tally {
    exact: usize,
    inexact: usize,
    exact_but_different: usize,
    /// Inexact ones the library refuses (no policy).
    rejected: usize,
    async_runs: usize,
}

/// Checks one config against its library runs: `Some(why)` when it fails.
fn check(config: &Config, runs: &[&Value], scripts: &[(String, Vec<Step>)], tally: &mut Tally) -> Option<String> {
    let translated = translate_str_in(&config.library, &config.source, &config.versions)
        .unwrap_or_else(|e| panic!("{}: `{}` does not parse: {e:?}", config.id, config.source));
    let head = format!("{}: `{}` ({} {})", config.id, config.source, config.library, config.pins);
    let refused = runs.iter().find(|r| r["outcome"].as_str().is_some_and(|o| o.starts_with("error:")));
    if config.claim == Claim::Rejected {
        // The library must refuse it, and the translation must not offer a policy for it.
        return match (refused, translated.translation.policy()) {
            (Some(_), None) => {
                tally.inexact += 1;
                tally.rejected += 1;
                None
            }
            (None, _) => Some(format!("{head} is marked rejected but the library runs it")),
            (Some(_), Some(_)) => Some(format!("{head} is refused by the library but translated to a policy")),
        };
    }
    if let Some(bad) = refused {
        return Some(format!("{head} does not run: {}", bad["outcome"]));
    }
    tally.async_runs += usize::from(harness::passes(&config.library).len() > 1);
    let diffs = translated.translation.policy().map(|p| differences(config, runs, scripts, p)).unwrap_or_default();
    let listed = |d: &[(String, String, String)]| d.iter().map(|(.., w)| w.as_str()).collect::<Vec<_>>().join("\n    ");
    match (&translated.translation, &config.claim) {
        (Translation::Exact(_), Claim::Plain) => {
            tally.exact += 1;
            if diffs.is_empty() {
                return None;
            }
            tally.exact_but_different += 1;
            Some(format!("{head} is called exact but behaves differently:\n    {}", listed(&diffs)))
        }
        (Translation::Exact(_), claim) => Some(format!("{head} is exact but configs.txt claims {claim:?}")),
        (Translation::Inexact { closest, reasons }, claim) => {
            tally.inexact += 1;
            let reasons = reasons.join("; ");
            match claim {
                _ if closest.is_none() => None,
                Claim::Plain if diffs.is_empty() => {
                    Some(format!("{head} is called inexact ({reasons}) but no script shows a difference"))
                }
                Claim::DiffersOn(named) => {
                    let shown: Vec<&String> = named.iter().filter(|n| diffs.iter().any(|(_, s, _)| s == *n)).collect();
                    let unnamed: Vec<_> = diffs.iter().filter(|(_, s, _)| !named.contains(s)).cloned().collect();
                    if shown.len() == named.len() && unnamed.is_empty() {
                        None
                    } else {
                        Some(format!(
                            "{head} ({reasons}) should differ on exactly {named:?}; differs on those: {shown:?}{}",
                            if unnamed.is_empty() {
                                String::new()
                            } else {
                                format!("; also:\n    {}", listed(&unnamed))
                            }
                        ))
                    }
                }
                Claim::Unobservable if !diffs.is_empty() => {
                    Some(format!("{head} is marked unobservable but differs:\n    {}", listed(&diffs)))
                }
                _ => None,
            }
        }
    }
}

#[test]
fn translations_agree_with_the_libraries() {
    let repo = repo();
    let configs = config::configs(&repo);
    let scripts = config::scripts(&repo);
    assert!(configs.len() >= 150, "at least 150 configurations ({} listed)", configs.len());
    let runs = harness::library_runs(&repo, &configs, &scripts, &PROBES);
    let mut tally = Tally::default();
    let failures: Vec<String> = configs
        .iter()
        .filter_map(|c| {
            let mine: Vec<&Value> = runs.iter().filter(|r| r["config"] == c.id.as_str()).collect();
            check(c, &mine, &scripts, &mut tally)
        })
        .collect();
    eprintln!(
        "{} exact, {} inexact ({} refused by the library), {} exact but different, of {} configurations ({} also run \
         on a coroutine)",
        tally.exact,
        tally.inexact,
        tally.rejected,
        tally.exact_but_different,
        configs.len(),
        tally.async_runs
    );
    assert!(failures.is_empty(), "{} configurations disagree:\n{}", failures.len(), failures.join("\n"));
}
