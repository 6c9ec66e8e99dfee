//! The deterministic simulator: policy + seed + fake clock + scripted outcomes -> full trace.
//!
//! Nothing sleeps and nothing reads a clock: each scripted outcome says how long its attempt
//! takes, sleeps advance the fake clock, and jitter comes from a seeded RNG. The trace is the
//! executable form of the spec: who ran when, how each failure was classified, how long the loop
//! slept, what the breaker and the token bucket did, and why the loop ended.
//!
//! Script grammar (comma separated, whitespace ignored), see [`parse_outcomes`]:
//! `ok`, `ok@D`, `err:Class`, `err:Class@D`, and `hint:S`, which attaches a Retry-After hint of
//! `S` seconds to the `err` just before it. Durations are seconds (default 0).

use serde::{Deserialize, Serialize};

use crate::breaker::{BreakerConfig, CircuitBreaker};
use crate::budget::{retry_after, HintDecision, TokenBucket};
use crate::classify::{classify, Classification, Classifier, Hierarchy, Rule, Verdict};
use crate::jitter::{self, Uniform};
use crate::policy::RetryPolicy;
use crate::strategy::Strategy;

/// One scripted attempt outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// `None` for success, `Some(class)` for a raised exception.
    pub error: Option<String>,
    /// How long the attempt runs before returning or raising (seconds).
    pub duration: f64,
    /// Retry-After hint carried by the failure (seconds).
    pub hint: Option<f64>,
}

impl Step {
    pub fn ok() -> Step {
        Step { error: None, duration: 0.0, hint: None }
    }
    pub fn err(class: &str) -> Step {
        Step { error: Some(class.to_string()), duration: 0.0, hint: None }
    }
}

impl std::fmt::Display for Step {
    /// The script spelling (`err:ConnectionError@0.5`), hint excluded.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            None => f.write_str("ok")?,
            Some(c) => write!(f, "err:{c}")?,
        }
        if self.duration != 0.0 {
            write!(f, "@{}", self.duration)?;
        }
        Ok(())
    }
}

/// A script token that does not parse. `index` is 1-based.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bad outcome #{index} `{token}`: {reason}")]
pub struct ScriptError {
    pub index: usize,
    pub token: String,
    pub reason: String,
}

fn seconds(text: &str, what: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{what} `{text}` is not a finite number of seconds >= 0")),
    }
}

/// Parses `err:ConnectionError,hint:2,err:TimeoutError@0.5,ok`.
pub fn parse_outcomes(script: &str) -> Result<Vec<Step>, ScriptError> {
    let mut steps: Vec<Step> = Vec::new();
    for (i, raw) in script.split(',').enumerate() {
        let token = raw.trim();
        let fail = |reason: String| ScriptError { index: i + 1, token: token.to_string(), reason };
        if let Some(h) = token.strip_prefix("hint:") {
            let h = seconds(h, "hint").map_err(fail)?;
            match steps.last_mut() {
                Some(Step { error: Some(_), hint: hint @ None, .. }) => *hint = Some(h),
                Some(Step { error: Some(_), .. }) => return Err(fail("the failure already has a hint".into())),
                _ => return Err(fail("a hint must follow an `err:` outcome".into())),
            }
            continue;
        }
        let (body, duration) = match token.split_once('@') {
            Some((b, d)) => (b, seconds(d, "duration").map_err(fail)?),
            None => (token, 0.0),
        };
        let error = if body == "ok" {
            None
        } else if let Some(class) = body.strip_prefix("err:") {
            let valid = !class.is_empty()
                && class.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'));
            if !valid {
                return Err(fail(format!("`{class}` is not a dotted Python class name")));
            }
            Some(class.to_string())
        } else if token.is_empty() {
            return Err(fail("empty outcome".into()));
        } else {
            return Err(fail("expected `ok`, `err:Class`, `err:Class@seconds` or `hint:seconds`".into()));
        };
        steps.push(Step { error, duration, hint: None });
    }
    Ok(steps)
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalResult {
    Success,
    /// `max_attempts` attempts all failed with retryable errors.
    Exhausted,
    /// A non-retryable (or unlisted, or classifier-refused) error.
    NonRetryable,
    /// `total_timeout` would be reached by the next sleep, or ran out during an attempt.
    Deadline,
    /// The breaker rejected an attempt.
    CircuitOpen,
    /// The adaptive strategy's token bucket is at or below half.
    Throttled,
    /// Cancellation propagated.
    Cancelled,
}

impl FinalResult {
    pub fn name(self) -> &'static str {
        match self {
            FinalResult::Success => "success",
            FinalResult::Exhausted => "exhausted",
            FinalResult::NonRetryable => "non_retryable",
            FinalResult::Deadline => "deadline",
            FinalResult::CircuitOpen => "circuit_open",
            FinalResult::Throttled => "throttled",
            FinalResult::Cancelled => "cancelled",
        }
    }
}

/// One row of the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// 1-based attempt number.
    pub attempt: u32,
    /// Fake-clock time the attempt started (relative to the start of attempt 1).
    pub start: f64,
    /// How long it ran (cut to the per-attempt budget).
    pub duration: f64,
    /// The scripted outcome, or `rejected` when the breaker refused to run it.
    pub outcome: String,
    /// `None` for success.
    pub classification: Option<Classification>,
    /// Breaker state after recording this attempt (`None`: no breaker).
    pub breaker: Option<String>,
    /// Token bucket level after this attempt (adaptive only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<f64>,
    /// The uniform draw used for this sleep's jitter, if one was drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_u: Option<f64>,
    /// Sleep taken after this attempt; `None` when the loop ended here.
    pub sleep: Option<f64>,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub result: FinalResult,
    /// Attempts actually executed (rejected ones excluded).
    pub attempts_made: u32,
    /// Fake-clock time from the start of attempt 1 to the end.
    pub elapsed: f64,
    /// Human-readable reason for the final result.
    pub reason: String,
    pub attempts: Vec<AttemptRecord>,
}

impl Trace {
    /// The sleeps actually taken, in order.
    pub fn sleeps(&self) -> Vec<f64> {
        self.attempts.iter().filter_map(|a| a.sleep).collect()
    }
    /// Start times of executed attempts.
    pub fn starts(&self) -> Vec<f64> {
        self.attempts.iter().filter(|a| a.outcome != "rejected").map(|a| a.start).collect()
    }
}

/// The script ran out before the loop ended.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the outcome script has {given} outcome(s) but attempt {attempt} needs one; add more outcomes")]
pub struct ScriptExhausted {
    pub attempt: u32,
    pub given: usize,
}

/// Everything around the policy that a run needs. The breaker and bucket are taken by value and
/// handed back in [`Simulation`], so several calls can be chained through one breaker.
pub struct SimEnv<'a> {
    pub seed: u64,
    pub hierarchy: &'a Hierarchy,
    pub classifier: Option<Classifier<'a>>,
    /// `None`: a fresh breaker from the policy (if enabled).
    pub breaker: Option<CircuitBreaker>,
    /// `None`: a full bucket from the policy (adaptive only).
    pub bucket: Option<TokenBucket>,
    /// Fake-clock time of the start of attempt 1 (breaker timers use this clock).
    pub clock: f64,
    /// Every jitter draw is this value instead of the seeded RNG's: replays a library run whose random source
    /// was pinned (the differential tests against the retry libraries).
    pub fixed_uniform: Option<f64>,
}

impl<'a> SimEnv<'a> {
    pub fn new(seed: u64, hierarchy: &'a Hierarchy) -> Self {
        SimEnv { seed, hierarchy, classifier: None, breaker: None, bucket: None, clock: 0.0, fixed_uniform: None }
    }
}

/// A trace plus the state a following call would inherit.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub trace: Trace,
    pub breaker: Option<CircuitBreaker>,
    pub bucket: Option<TokenBucket>,
    pub clock: f64,
}

/// Simulates one call with the built-in hierarchy, a fresh breaker and bucket, clock at 0.
pub fn simulate(policy: &RetryPolicy, steps: &[Step], seed: u64) -> Result<Trace, ScriptExhausted> {
    let h = Hierarchy::builtin();
    simulate_in(policy, steps, SimEnv::new(seed, &h)).map(|s| s.trace)
}

/// Simulates one call in `env`.
pub fn simulate_in(policy: &RetryPolicy, steps: &[Step], env: SimEnv<'_>) -> Result<Simulation, ScriptExhausted> {
    let mut rng = Draws { rng: jitter::rng(env.seed), fixed: env.fixed_uniform };
    let adaptive = policy.strategy == Strategy::Adaptive;
    let mut breaker = env.breaker.or_else(|| BreakerConfig::from_policy(policy).map(CircuitBreaker::new));
    let mut bucket =
        if adaptive { Some(env.bucket.unwrap_or_else(|| TokenBucket::for_policy(policy))) } else { env.bucket };
    let origin = env.clock;
    let mut now = origin;
    let mut records = Vec::new();
    let mut script = steps.iter();
    let mut made = 0u32;

    let finish = |result: FinalResult, reason: String, records: Vec<AttemptRecord>, made: u32, now: f64| Trace {
        result,
        attempts_made: made,
        elapsed: now - origin,
        reason,
        attempts: records,
    };
    let state_name = |b: &Option<CircuitBreaker>, now: f64| b.as_ref().map(|b| b.state(now).name().to_string());

    let mut n = 1u32;
    let (result, reason) = loop {
        let elapsed = now - origin;
        if let Some(b) = breaker.as_mut() {
            if b.try_acquire(now).is_err() {
                records.push(AttemptRecord {
                    attempt: n,
                    start: elapsed,
                    duration: 0.0,
                    outcome: "rejected".into(),
                    classification: Some(Classification {
                        verdict: Verdict::Stop,
                        rule: Rule::CircuitOpen,
                        matched: None,
                    }),
                    breaker: Some(b.state(now).name().to_string()),
                    tokens: bucket.map(|b| b.tokens),
                    jitter_u: None,
                    sleep: None,
                });
                break (FinalResult::CircuitOpen, format!("breaker rejected attempt {n}"));
            }
        }
        let step = script.next().ok_or(ScriptExhausted { attempt: n, given: steps.len() })?;
        made += 1;
        // Per-attempt budget: min(operation_timeout, time left).
        let left = policy.total_timeout.map(|t| t - elapsed);
        let budget = match (policy.operation_timeout, left) {
            (Some(o), Some(l)) => Some(o.min(l)),
            (o, l) => o.or(l),
        };
        let timed_out = budget.is_some_and(|b| step.duration > b);
        let duration = if timed_out { budget.unwrap_or(step.duration) } else { step.duration };
        let deadline_hit = timed_out && left.is_some_and(|l| duration >= l);
        let start = elapsed;
        now += duration;
        if let Some(total) = policy.total_timeout {
            // (total - elapsed) + elapsed can round one ulp past total: the deadline is exact.
            if deadline_hit || now - origin > total {
                now = origin + total;
            }
        }
        let mut record = AttemptRecord {
            attempt: n,
            start,
            duration,
            outcome: step.to_string(),
            classification: None,
            breaker: None,
            tokens: None,
            jitter_u: None,
            sleep: None,
        };

        let classification = if deadline_hit {
            None
        } else if timed_out {
            Some(Classification { verdict: Verdict::Retry, rule: Rule::AttemptTimeout, matched: None })
        } else {
            step.error.as_ref().map(|class| classify(policy, env.hierarchy, class, env.classifier))
        };
        if deadline_hit {
            // The attempt was cut at the deadline: terminal, never itself retried.
            if let Some(b) = breaker.as_mut() {
                b.release();
            }
            record.breaker = state_name(&breaker, now);
            record.tokens = bucket.map(|b| b.tokens);
            records.push(record);
            break (FinalResult::Deadline, format!("attempt {n} ran into total_timeout"));
        }
        let Some(classification) = classification else {
            if let Some(b) = breaker.as_mut() {
                b.record_success(now);
            }
            if let Some(b) = bucket.as_mut() {
                b.record_success();
            }
            record.breaker = state_name(&breaker, now);
            record.tokens = bucket.map(|b| b.tokens);
            records.push(record);
            break (FinalResult::Success, format!("attempt {n} succeeded"));
        };
        record.classification = Some(classification.clone());
        match classification.verdict {
            Verdict::Propagate | Verdict::Stop => {
                if let Some(b) = breaker.as_mut() {
                    b.release();
                }
                record.breaker = state_name(&breaker, now);
                record.tokens = bucket.map(|b| b.tokens);
                records.push(record);
                let class = step.error.clone().unwrap_or_default();
                break if classification.verdict == Verdict::Propagate {
                    (FinalResult::Cancelled, format!("{class} is cancellation: propagated, not retried"))
                } else {
                    (FinalResult::NonRetryable, format!("{class} is not retryable ({:?})", classification.rule))
                };
            }
            Verdict::Retry => {}
        }
        if let Some(b) = breaker.as_mut() {
            b.record_failure(now);
        }
        if let Some(b) = bucket.as_mut() {
            b.record_failure();
        }
        record.breaker = state_name(&breaker, now);
        record.tokens = bucket.map(|b| b.tokens);
        if n >= policy.max_attempts {
            records.push(record);
            break (FinalResult::Exhausted, format!("all {n} attempts failed"));
        }
        if adaptive && !bucket.is_some_and(|b| b.retry_allowed()) {
            records.push(record);
            break (FinalResult::Throttled, "retry token bucket at or below half".to_string());
        }
        let elapsed = now - origin;
        let delay = match step.hint.filter(|_| adaptive) {
            Some(h) => match retry_after(policy, h, elapsed) {
                HintDecision::Sleep(d) => d,
                HintDecision::Stop => {
                    records.push(record);
                    break (FinalResult::Deadline, format!("Retry-After {h}s does not fit in total_timeout"));
                }
            },
            None => {
                let mut recorder = Recording { inner: &mut rng, last: None };
                let d = jitter::delay(policy, n as u64, &mut recorder);
                record.jitter_u = recorder.last;
                d
            }
        };
        if let Some(total) = policy.total_timeout {
            if elapsed + delay >= total {
                records.push(record);
                break (
                    FinalResult::Deadline,
                    format!("next attempt would start at {} >= total_timeout {total}", elapsed + delay),
                );
            }
        }
        record.sleep = Some(delay);
        records.push(record);
        now += delay;
        n += 1;
    };
    let trace = finish(result, reason, records, made, now);
    Ok(Simulation { trace, breaker, bucket, clock: now })
}

/// The seeded RNG, or one pinned value.
struct Draws {
    rng: rand_chacha::ChaCha8Rng,
    fixed: Option<f64>,
}

impl Uniform for Draws {
    fn next_uniform(&mut self) -> f64 {
        match self.fixed {
            Some(u) => u,
            None => self.rng.next_uniform(),
        }
    }
}

/// Remembers the draw so the trace can show it (and vectors can replay it).
struct Recording<'r, R: Uniform> {
    inner: &'r mut R,
    last: Option<f64>,
}

impl<R: Uniform> Uniform for Recording<'_, R> {
    fn next_uniform(&mut self) -> f64 {
        let u = self.inner.next_uniform();
        self.last = Some(u);
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::BreakerState;
    use crate::presets::preset;

    #[test]
    fn parses_every_token_kind() {
        let s = parse_outcomes(" ok@0.25, err:ConnectionError , hint:3, err:asyncio.CancelledError@1").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0], Step { error: None, duration: 0.25, hint: None });
        assert_eq!(s[1], Step { error: Some("ConnectionError".into()), duration: 0.0, hint: Some(3.0) });
        assert_eq!(s[2].to_string(), "err:asyncio.CancelledError@1");
    }

    #[test]
    fn script_errors_name_the_token() {
        let e = parse_outcomes("ok,err:,ok").unwrap_err();
        assert_eq!(e.to_string(), "bad outcome #2 `err:`: `` is not a dotted Python class name");
        let e = parse_outcomes("hint:2").unwrap_err();
        assert_eq!(e.to_string(), "bad outcome #1 `hint:2`: a hint must follow an `err:` outcome");
        let e = parse_outcomes("err:X@-1").unwrap_err();
        assert_eq!((e.index, e.token.as_str()), (1, "err:X@-1"));
        let e = parse_outcomes("ok,,ok").unwrap_err();
        assert_eq!(e.reason, "empty outcome");
        let e = parse_outcomes("fail").unwrap_err();
        assert!(e.reason.starts_with("expected `ok`"));
    }

    #[test]
    fn script_running_out_is_an_error() {
        let p = preset("agent").unwrap();
        let e = simulate(p, &[Step::err("OSError")], 0).unwrap_err();
        assert_eq!(e, ScriptExhausted { attempt: 2, given: 1 });
    }

    #[test]
    fn success_after_retries() {
        let p = preset("agent").unwrap();
        let t = simulate(p, &parse_outcomes("err:ConnectionError,err:TimeoutError,ok").unwrap(), 0).unwrap();
        assert_eq!(t.result, FinalResult::Success);
        assert_eq!(t.starts(), [0.0, 1.0, 3.0]);
        assert_eq!(t.sleeps(), [1.0, 2.0]);
    }

    #[test]
    fn llm_breaker_opens_before_the_last_attempt() {
        let p = preset("llm").unwrap().with(|s| s.jitter_range = 0.0).unwrap();
        let t = simulate(&p, &parse_outcomes("err:OSError,err:OSError,err:OSError,ok").unwrap(), 0).unwrap();
        assert_eq!(t.result, FinalResult::CircuitOpen);
        assert_eq!(t.attempts_made, 3);
        assert_eq!(t.attempts[2].breaker.as_deref(), Some("open"));
        assert_eq!(t.attempts[3].outcome, "rejected");
    }

    #[test]
    fn operation_timeout_is_a_retryable_attempt_timeout() {
        let p = preset("agent").unwrap().with(|s| s.operation_timeout = Some(2.0)).unwrap();
        let t = simulate(&p, &parse_outcomes("ok@5,ok").unwrap(), 0).unwrap();
        assert_eq!(t.attempts[0].duration, 2.0);
        assert_eq!(t.attempts[0].classification.as_ref().unwrap().rule, Rule::AttemptTimeout);
        assert_eq!(t.starts(), [0.0, 3.0]);
        assert_eq!(t.result, FinalResult::Success);
    }

    #[test]
    fn attempt_cut_at_the_deadline_is_terminal() {
        let p = preset("websocket").unwrap(); // total 10 s
        let t = simulate(p, &parse_outcomes("err:OSError@9.9,ok@3").unwrap(), 0).unwrap();
        assert_eq!(t.result, FinalResult::Deadline);
        assert_eq!(t.attempts_made, 1);
        let t = simulate(p, &parse_outcomes("ok@30").unwrap(), 0).unwrap();
        assert_eq!((t.result, t.elapsed), (FinalResult::Deadline, 10.0));
    }

    #[test]
    fn adaptive_hints_and_throttling() {
        let p = RetryPolicy::default()
            .with(|s| {
                s.strategy = Strategy::Adaptive;
                s.max_attempts = 10;
                s.max_tokens = 4.0;
                s.retry_after_max = Some(7.0);
            })
            .unwrap();
        let t = simulate(&p, &parse_outcomes("err:OSError,hint:30,err:OSError,err:OSError").unwrap(), 0).unwrap();
        assert_eq!(t.sleeps(), [7.0]);
        assert_eq!(t.result, FinalResult::Throttled);
        assert_eq!(t.attempts[1].tokens, Some(2.0));
        // Non-adaptive strategies ignore the hint.
        let t = simulate(preset("agent").unwrap(), &parse_outcomes("err:OSError,hint:30,ok").unwrap(), 0).unwrap();
        assert_eq!(t.sleeps(), [1.0]);
    }

    #[test]
    fn cancellation_propagates_without_touching_the_breaker() {
        let p = preset("database").unwrap();
        let s =
            simulate_in(p, &parse_outcomes("err:KeyboardInterrupt").unwrap(), SimEnv::new(1, &Hierarchy::builtin()))
                .unwrap();
        assert_eq!(s.trace.result, FinalResult::Cancelled);
        assert_eq!(s.breaker.unwrap().state(0.0), BreakerState::Closed { consecutive_failures: 0 });
    }
}
