//! Conformance vectors: policy + seed + outcome script -> expected trace, as JSON.
//!
//! A Python implementation loads these and proves it behaves like the reference engine. Jittered
//! vectors carry the uniform draws (`jitter_u`) the engine used, so a conforming implementation
//! replays them instead of reimplementing ChaCha8. Schema: README.md, section `policy vectors`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::legacy::from_legacy_json;
use crate::policy::RetryPolicy;
use crate::presets::preset;
use crate::simulate::{parse_outcomes, simulate, AttemptRecord, FinalResult};
use crate::strategy::{schedule, Strategy};

pub const SCHEMA: &str = "retry-audit/policy-vectors/v1";

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VectorFile {
    pub schema: String,
    /// How to compare floats and replay jitter.
    pub notes: Vec<String>,
    pub vectors: Vec<Vector>,
}

/// One vector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vector {
    pub name: String,
    pub description: String,
    /// `true` for the spec's 12 deterministic vectors.
    pub from_spec: bool,
    /// Fully expanded canonical policy.
    pub policy: RetryPolicy,
    /// For legacy-conversion vectors: the input config that produced `policy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_input: Option<Value>,
    pub seed: u64,
    /// Outcome script (`ok`, `err:Class`, `err:Class@seconds`, `hint:seconds`).
    pub outcomes: String,
    pub expected: Expected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expected {
    /// Jitter-off delays 1..N-1.
    pub schedule: Vec<f64>,
    pub result: FinalResult,
    pub attempts_made: u32,
    /// Start time of each executed attempt.
    pub starts: Vec<f64>,
    /// Sleeps actually taken.
    pub sleeps: Vec<f64>,
    /// Uniform draws in [0, 1) used for jitter, in order.
    pub jitter_u: Vec<f64>,
    pub elapsed: f64,
    pub trace: Vec<AttemptRecord>,
}

struct Case {
    name: &'static str,
    description: &'static str,
    from_spec: bool,
    policy: RetryPolicy,
    legacy_input: Option<Value>,
    seed: u64,
    outcomes: String,
}

fn failures(n: u32, class: &str) -> String {
    vec![format!("err:{class}"); n as usize].join(",")
}

fn custom(edit: impl FnOnce(&mut crate::policy::PolicySpec)) -> RetryPolicy {
    RetryPolicy::default().with(edit).expect("vector policy is valid")
}

fn no_jitter(domain: &str) -> RetryPolicy {
    preset(domain).expect("known domain").with(|s| s.jitter_range = 0.0).expect("valid")
}

fn cases() -> Vec<Case> {
    let spec = |name, description, policy: RetryPolicy| {
        let n = policy.max_attempts;
        Case {
            name,
            description,
            from_spec: true,
            outcomes: failures(n, "ConnectionError"),
            policy,
            legacy_input: None,
            seed: 0,
        }
    };
    let preset_of = |d: &str| preset(d).expect("known domain").clone();
    let legacy =
        json!({"max_retries": 3, "strategy": "exponential", "base_delay": 1.0, "multiplier": 2.0, "max_delay": 60.0});
    let (legacy_policy, _) = from_legacy_json(&legacy.to_string()).expect("valid legacy vector");
    let mut v = vec![
        spec("agent-preset", "agent preset, every attempt fails: delays [1, 2]", preset_of("agent")),
        spec("websocket-preset", "websocket preset: delays [0.5]", preset_of("websocket")),
        spec("file-preset", "file preset: delays [0.2, 0.3]", preset_of("file")),
        spec("database-preset-r0", "database preset with jitter_range 0: delays [0.5, 1, 2, 4]", no_jitter("database")),
        spec(
            "llm-preset-r0",
            "llm preset with jitter_range 0: delays [2, 5, 12.5]; the breaker (3 failures) rejects attempt 4",
            no_jitter("llm"),
        ),
        spec("fixed", "fixed, N=4, b=1.5: delays [1.5, 1.5, 1.5]", custom(|s| {
            s.strategy = Strategy::Fixed;
            s.max_attempts = 4;
            s.base_delay = 1.5;
        })),
        spec("linear-capped", "linear, N=5, b=1, max=3: delays [1, 2, 3, 3]", custom(|s| {
            s.strategy = Strategy::Linear;
            s.max_attempts = 5;
            s.max_delay = 3.0;
        })),
        spec("fibonacci-capped", "fibonacci, N=7, b=1, max=6: delays [1, 1, 2, 3, 5, 6]", custom(|s| {
            s.strategy = Strategy::Fibonacci;
            s.max_attempts = 7;
            s.max_delay = 6.0;
        })),
        spec("exponential-capped", "exponential, N=8, b=1, m=2, max=10: delays [1, 2, 4, 8, 10, 10, 10]", custom(|s| {
            s.max_attempts = 8;
            s.max_delay = 10.0;
        })),
        spec(
            "total-timeout",
            "exponential, N=10, b=1, m=2, total 10 s, failures take no time: attempts start at 0, 1, 3, 7, then stop (next would start at 15)",
            custom(|s| {
                s.max_attempts = 10;
                s.total_timeout = Some(10.0);
            }),
        ),
        spec("single-attempt", "N=1: no delays", custom(|s| s.max_attempts = 1)),
        Case {
            name: "legacy-max-retries",
            description: "legacy max_retries=3, exponential b=1 m=2: 4 attempts, delays [1, 2, 4]",
            from_spec: true,
            outcomes: failures(4, "ConnectionError"),
            policy: legacy_policy,
            legacy_input: Some(legacy),
            seed: 0,
        },
    ];
    let jittered = |name, description, seed, policy: RetryPolicy| {
        let n = policy.max_attempts;
        Case {
            name,
            description,
            from_spec: false,
            outcomes: failures(n, "TimeoutError"),
            policy,
            legacy_input: None,
            seed,
        }
    };
    v.extend([
        jittered("database-preset-seed-42", "database preset (r = 0.1), seed 42", 42, preset_of("database")),
        jittered("llm-preset-seed-7", "llm preset (r = 0.15), seed 7; breaker rejects attempt 4", 7, preset_of("llm")),
        jittered("http-preset-seed-3", "http preset (r = 0.1), seed 3", 3, preset_of("http")),
        jittered(
            "full-jitter-seed-1",
            "exponential, N=6, b=1, max=8, full jitter r = 1, seed 1",
            1,
            custom(|s| {
                s.max_attempts = 6;
                s.max_delay = 8.0;
                s.jitter_enabled = true;
                s.jitter_range = 1.0;
            }),
        ),
        jittered(
            "equal-jitter-at-cap-seed-2",
            "exponential, N=10, b=1, max=4, equal jitter r = 0.5: keeps varying at the cap, seed 2",
            2,
            custom(|s| {
                s.max_attempts = 10;
                s.max_delay = 4.0;
                s.jitter_enabled = true;
                s.jitter_range = 0.5;
            }),
        ),
    ]);
    let behaviour = |name, description, policy: RetryPolicy, outcomes: &str| Case {
        name,
        description,
        from_spec: false,
        policy,
        legacy_input: None,
        seed: 0,
        outcomes: outcomes.to_string(),
    };
    v.extend([
        behaviour(
            "non-retryable-subclass",
            "ConnectionResetError is a subclass of non-retryable ConnectionError: exactly 1 attempt, even though OSError is retryable",
            custom(|s| {
                s.retryable_exceptions = vec!["OSError".into()];
                s.non_retryable_exceptions = vec!["ConnectionError".into()];
            }),
            "err:ConnectionResetError",
        ),
        behaviour("unlisted-error-stops", "ValueError is not in retryable_exceptions [OSError]: stop", custom(|s| {
            s.retryable_exceptions = vec!["OSError".into()];
        }), "err:ValueError"),
        behaviour(
            "cancellation-propagates",
            "asyncio.CancelledError is never retried, even with BaseException retryable",
            custom(|s| s.retryable_exceptions = vec!["BaseException".into()]),
            "err:TimeoutError,err:asyncio.CancelledError",
        ),
        behaviour(
            "success-after-retries",
            "agent preset: two failures then success",
            preset_of("agent"),
            "err:ConnectionError@0.5,err:TimeoutError@0.25,ok@0.1",
        ),
        behaviour(
            "operation-timeout",
            "operation_timeout 2 s: an attempt scripted to take 5 s is cut at 2 s and retried",
            custom(|s| s.operation_timeout = Some(2.0)),
            "ok@5,ok",
        ),
        behaviour(
            "adaptive-retry-after-and-throttle",
            "adaptive, max_tokens 4: a Retry-After of 30 s is capped at retry_after_max 7; the bucket throttles the third retry",
            custom(|s| {
                s.strategy = Strategy::Adaptive;
                s.max_attempts = 10;
                s.max_tokens = 4.0;
                s.retry_after_max = Some(7.0);
            }),
            "err:OSError,hint:30,err:OSError,err:OSError",
        ),
    ]);
    v
}

/// Builds every vector by running the reference engine.
pub fn vectors() -> VectorFile {
    let vectors = cases()
        .into_iter()
        .map(|c| {
            let steps = parse_outcomes(&c.outcomes).expect("vector scripts parse");
            let trace = simulate(&c.policy, &steps, c.seed).expect("vector scripts are long enough");
            Vector {
                name: c.name.to_string(),
                description: c.description.to_string(),
                from_spec: c.from_spec,
                legacy_input: c.legacy_input,
                seed: c.seed,
                outcomes: c.outcomes,
                expected: Expected {
                    schedule: schedule(&c.policy),
                    result: trace.result,
                    attempts_made: trace.attempts_made,
                    starts: trace.starts(),
                    sleeps: trace.sleeps(),
                    jitter_u: trace.attempts.iter().filter_map(|a| a.jitter_u).collect(),
                    elapsed: trace.elapsed,
                    trace: trace.attempts,
                },
                policy: c.policy,
            }
        })
        .collect();
    VectorFile {
        schema: SCHEMA.to_string(),
        notes: vec![
            "Compare floats with a relative tolerance of 1e-9 (0.2 * 1.5 is 0.30000000000000004).".into(),
            "Jitter: d = c * (1 - jitter_range * u) with u taken, in order, from expected.jitter_u; one u per computed (non-hint) sleep while jitter is active with jitter_range > 0.".into(),
            "The engine draws u from ChaCha8Rng::seed_from_u64(seed) (rand 0.8 Standard f64); replaying jitter_u makes the RNG irrelevant.".into(),
            "Breaker, token bucket and clock start fresh for every vector; failures take no time unless the script says err:Class@seconds.".into(),
        ],
        vectors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(1.0))
    }

    fn get(file: &VectorFile, name: &str) -> Vector {
        file.vectors.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("{name}")).clone()
    }

    /// The spec's table, typed in by hand: name -> delays.
    const SPEC_DELAYS: &[(&str, &[f64])] = &[
        ("agent-preset", &[1.0, 2.0]),
        ("websocket-preset", &[0.5]),
        ("file-preset", &[0.2, 0.3]),
        ("database-preset-r0", &[0.5, 1.0, 2.0, 4.0]),
        ("llm-preset-r0", &[2.0, 5.0, 12.5]),
        ("fixed", &[1.5, 1.5, 1.5]),
        ("linear-capped", &[1.0, 2.0, 3.0, 3.0]),
        ("fibonacci-capped", &[1.0, 1.0, 2.0, 3.0, 5.0, 6.0]),
        ("exponential-capped", &[1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]),
        ("single-attempt", &[]),
        ("legacy-max-retries", &[1.0, 2.0, 4.0]),
    ];

    #[test]
    fn spec_schedule_vectors() {
        let file = vectors();
        for (name, delays) in SPEC_DELAYS {
            let v = get(&file, name);
            assert!(v.from_spec);
            assert!(close(&v.expected.schedule, delays), "{name}: schedule {:?}", v.expected.schedule);
            assert!(close(&v.expected.sleeps, delays), "{name}: sleeps {:?}", v.expected.sleeps);
            assert!(v.expected.jitter_u.is_empty(), "{name}");
        }
    }

    #[test]
    fn spec_attempt_counts() {
        let file = vectors();
        assert_eq!(get(&file, "legacy-max-retries").expected.attempts_made, 4);
        assert_eq!(get(&file, "single-attempt").expected.attempts_made, 1);
        assert_eq!(get(&file, "exponential-capped").expected.result, FinalResult::Exhausted);
        assert_eq!(get(&file, "llm-preset-r0").expected.result, FinalResult::CircuitOpen);
    }

    #[test]
    fn spec_total_timeout_vector() {
        let v = get(&vectors(), "total-timeout");
        assert_eq!(v.expected.starts, [0.0, 1.0, 3.0, 7.0]);
        assert_eq!(v.expected.result, FinalResult::Deadline);
        assert_eq!(v.expected.elapsed, 7.0);
    }

    #[test]
    fn twelve_spec_vectors() {
        assert_eq!(vectors().vectors.iter().filter(|v| v.from_spec).count(), 12);
    }

    #[test]
    fn jittered_vectors_replay_from_their_draws() {
        for v in vectors().vectors.iter().filter(|v| !v.expected.jitter_u.is_empty()) {
            let r = v.policy.effective_jitter_range();
            let replayed: Vec<f64> =
                v.expected.schedule.iter().zip(&v.expected.jitter_u).map(|(c, u)| c * (1.0 - r * u)).collect();
            assert!(close(&v.expected.sleeps, &replayed[..v.expected.sleeps.len()]), "{}", v.name);
            assert!(v.expected.sleeps.iter().zip(&v.expected.schedule).all(|(d, c)| *d <= *c && *d >= c * (1.0 - r)));
        }
    }

    #[test]
    fn behaviour_vectors() {
        let file = vectors();
        let v = get(&file, "non-retryable-subclass");
        assert_eq!((v.expected.result, v.expected.attempts_made), (FinalResult::NonRetryable, 1));
        assert_eq!(get(&file, "cancellation-propagates").expected.result, FinalResult::Cancelled);
        assert_eq!(get(&file, "adaptive-retry-after-and-throttle").expected.sleeps, [7.0]);
        assert_eq!(get(&file, "success-after-retries").expected.starts, [0.0, 1.5, 3.75]);
    }

    #[test]
    fn json_round_trip() {
        let file = vectors();
        let text = serde_json::to_string(&file).unwrap();
        let back: VectorFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back.vectors.len(), file.vectors.len());
        assert_eq!(back.schema, SCHEMA);
    }
}
