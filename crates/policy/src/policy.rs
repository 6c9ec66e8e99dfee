//! `RetryPolicy`: every knob of the spec, validated once at construction.
//!
//! The knobs live in [`PolicySpec`], a plain data struct that (de)serialises from TOML and JSON.
//! A [`RetryPolicy`] is a `PolicySpec` that passed [`PolicySpec::validate`]; its fields are readable
//! through `Deref` but cannot be mutated, so every engine function can rely on the invariants
//! (`max_attempts >= 1`, finite non-negative delays, `base_delay <= max_delay`, ...). Changing a
//! knob goes through [`RetryPolicy::with`], which re-validates and returns a *new* value: presets
//! stay immutable, which is what stops overrides leaking across domains.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::strategy::Strategy;

/// The knobs, as written in a policy file. Missing fields take the defaults of the plan's
/// `UnifiedRetryConfig` (see [`Default`]). Unknown fields are rejected so a typo (or a legacy
/// spelling such as `max_retries`) cannot silently fall back to a default; legacy spellings go
/// through [`crate::legacy::LegacyConfig`] instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicySpec {
    /// Number of executions including the first (>= 1).
    pub max_attempts: u32,
    /// Delay 1, in seconds, for every strategy.
    pub base_delay: f64,
    /// Cap applied to every computed delay before jitter.
    pub max_delay: f64,
    pub strategy: Strategy,
    /// Growth factor `m` of the exponential strategies (>= 1).
    pub multiplier: f64,
    /// Multiplicative jitter on. Implied by the `exponential_jitter` strategy.
    pub jitter_enabled: bool,
    /// `r` in `d = c * (1 - r*u)`; 1 is full jitter, 0.5 equal jitter.
    pub jitter_range: f64,
    /// Per-attempt budget in seconds; an attempt that runs out is a retryable attempt timeout.
    pub operation_timeout: Option<f64>,
    /// Budget from the start of attempt 1; exhausting it is terminal.
    pub total_timeout: Option<f64>,
    /// Dotted Python class names retried (subclass match).
    pub retryable_exceptions: Vec<String>,
    /// Dotted Python class names that stop the loop (subclass match); beats `retryable_exceptions`.
    pub non_retryable_exceptions: Vec<String>,
    pub circuit_breaker_enabled: bool,
    /// Consecutive retryable failures that open the breaker.
    pub circuit_breaker_threshold: u32,
    /// Seconds the breaker stays OPEN before admitting half-open probes.
    pub circuit_breaker_timeout: f64,
    /// Probes admitted while HALF_OPEN.
    pub half_open_max_calls: u32,
    /// Upper bound on a server's Retry-After hint; `None` means `max_delay`.
    pub retry_after_max: Option<f64>,
    /// Capacity of the adaptive strategy's retry token bucket (gRPC A6 `maxTokens`).
    pub max_tokens: f64,
    /// Tokens returned per success (gRPC A6 `tokenRatio`).
    pub token_ratio: f64,
}

impl Default for PolicySpec {
    fn default() -> Self {
        PolicySpec {
            max_attempts: 3,
            base_delay: 1.0,
            max_delay: 60.0,
            strategy: Strategy::Exponential,
            multiplier: 2.0,
            jitter_enabled: false,
            jitter_range: 0.1,
            operation_timeout: None,
            total_timeout: None,
            retryable_exceptions: vec!["Exception".to_string()],
            non_retryable_exceptions: Vec::new(),
            circuit_breaker_enabled: false,
            circuit_breaker_threshold: 5,
            circuit_breaker_timeout: 30.0,
            half_open_max_calls: 1,
            retry_after_max: None,
            max_tokens: 10.0,
            token_ratio: 0.1,
        }
    }
}

/// A violated invariant. Every variant names the offending field (see [`PolicyError::field`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("{field} must be >= 1 (got 0)")]
    Zero { field: &'static str },
    #[error("{field} must be a finite number >= 0 (got {value})")]
    NegativeOrNonFinite { field: &'static str, value: f64 },
    #[error("{field} must be a finite number > 0 (got {value})")]
    NotPositive { field: &'static str, value: f64 },
    #[error("jitter_range must be in [0, 1] (got {value})")]
    JitterRange { value: f64 },
    #[error("multiplier must be a finite number >= 1 (got {value})")]
    Multiplier { value: f64 },
    #[error("base_delay ({base}) must be <= max_delay ({max})")]
    BaseAboveMax { base: f64, max: f64 },
    #[error("{field} contains an empty exception class name")]
    EmptyClassName { field: &'static str },
    #[error("{field} is given twice with different values ({detail})")]
    Conflict { field: &'static str, detail: String },
    #[error(
        "retry_after_max ({value}) must be <= max_delay ({max}): a server hint never makes a sleep longer than the cap"
    )]
    RetryAfterAboveMax { value: f64, max: f64 },
}

impl PolicyError {
    /// The knob the error is about, as spelled in a policy file.
    pub fn field(&self) -> &'static str {
        match self {
            PolicyError::Zero { field }
            | PolicyError::NegativeOrNonFinite { field, .. }
            | PolicyError::NotPositive { field, .. }
            | PolicyError::EmptyClassName { field }
            | PolicyError::Conflict { field, .. } => field,
            PolicyError::JitterRange { .. } => "jitter_range",
            PolicyError::Multiplier { .. } => "multiplier",
            PolicyError::BaseAboveMax { .. } => "base_delay",
            PolicyError::RetryAfterAboveMax { .. } => "retry_after_max",
        }
    }
}

fn non_negative(field: &'static str, value: f64) -> Result<(), PolicyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PolicyError::NegativeOrNonFinite { field, value })
    }
}

fn positive(field: &'static str, value: f64) -> Result<(), PolicyError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PolicyError::NotPositive { field, value })
    }
}

impl PolicySpec {
    /// Checks every invariant, in field order, and reports the first violation.
    ///
    /// Timeouts must be strictly positive: a zero budget would make "no attempt starts at or after
    /// the deadline" contradict "attempt 1 always runs".
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.max_attempts == 0 {
            return Err(PolicyError::Zero { field: "max_attempts" });
        }
        non_negative("base_delay", self.base_delay)?;
        non_negative("max_delay", self.max_delay)?;
        if self.base_delay > self.max_delay {
            return Err(PolicyError::BaseAboveMax { base: self.base_delay, max: self.max_delay });
        }
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            return Err(PolicyError::Multiplier { value: self.multiplier });
        }
        if !(0.0..=1.0).contains(&self.jitter_range) {
            return Err(PolicyError::JitterRange { value: self.jitter_range });
        }
        if let Some(t) = self.operation_timeout {
            positive("operation_timeout", t)?;
        }
        if let Some(t) = self.total_timeout {
            positive("total_timeout", t)?;
        }
        for (field, names) in [
            ("retryable_exceptions", &self.retryable_exceptions),
            ("non_retryable_exceptions", &self.non_retryable_exceptions),
        ] {
            if names.iter().any(|n| n.trim().is_empty()) {
                return Err(PolicyError::EmptyClassName { field });
            }
        }
        if self.circuit_breaker_threshold == 0 {
            return Err(PolicyError::Zero { field: "circuit_breaker_threshold" });
        }
        non_negative("circuit_breaker_timeout", self.circuit_breaker_timeout)?;
        if self.half_open_max_calls == 0 {
            return Err(PolicyError::Zero { field: "half_open_max_calls" });
        }
        if let Some(m) = self.retry_after_max {
            non_negative("retry_after_max", m)?;
            if m > self.max_delay {
                return Err(PolicyError::RetryAfterAboveMax { value: m, max: self.max_delay });
            }
        }
        positive("max_tokens", self.max_tokens)?;
        positive("token_ratio", self.token_ratio)?;
        Ok(())
    }
}

/// A validated policy. Read the knobs through `Deref` (`policy.max_attempts`). The default is the
/// plan's `UnifiedRetryConfig` defaults, which are valid (tested).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "PolicySpec", into = "PolicySpec")]
pub struct RetryPolicy(PolicySpec);

impl RetryPolicy {
    /// Validates `spec` and wraps it.
    pub fn new(spec: PolicySpec) -> Result<Self, PolicyError> {
        spec.validate()?;
        Ok(RetryPolicy(spec))
    }

    /// A copy of the knobs, e.g. to edit and re-validate.
    pub fn spec(&self) -> &PolicySpec {
        &self.0
    }

    /// Returns a new policy with `edit` applied; `self` is untouched (presets are immutable).
    pub fn with(&self, edit: impl FnOnce(&mut PolicySpec)) -> Result<RetryPolicy, PolicyError> {
        let mut spec = self.0.clone();
        edit(&mut spec);
        RetryPolicy::new(spec)
    }

    /// Whether delays are jittered: `jitter_enabled`, or implied by `exponential_jitter`.
    pub fn jitter_active(&self) -> bool {
        self.0.jitter_enabled || self.0.strategy == Strategy::ExponentialJitter
    }

    /// The jitter range actually applied (0 when jitter is off).
    pub fn effective_jitter_range(&self) -> f64 {
        if self.jitter_active() {
            self.0.jitter_range
        } else {
            0.0
        }
    }

    /// The cap on a Retry-After hint: `retry_after_max`, or `max_delay` when unset.
    pub fn retry_after_cap(&self) -> f64 {
        self.0.retry_after_max.unwrap_or(self.0.max_delay)
    }

    /// Parses a TOML policy document (canonical spellings only).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Parses a JSON policy document (canonical spellings only).
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// One line, knob by knob, for reports: `5 attempts, exponential_jitter b=0.5 m=2 max=30, ...`.
impl std::fmt::Display for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.0;
        write!(f, "{} attempts, {} b={} max={}", s.max_attempts, s.strategy, s.base_delay, s.max_delay)?;
        if matches!(s.strategy, Strategy::Exponential | Strategy::ExponentialJitter | Strategy::Adaptive) {
            write!(f, " m={}", s.multiplier)?;
        }
        match self.effective_jitter_range() {
            r if r > 0.0 => write!(f, ", jitter r={r}")?,
            _ => f.write_str(", no jitter")?,
        }
        if let Some(t) = s.operation_timeout {
            write!(f, ", operation_timeout={t}")?;
        }
        match s.total_timeout {
            Some(t) => write!(f, ", total_timeout={t}")?,
            None => f.write_str(", no total_timeout")?,
        }
        if s.circuit_breaker_enabled {
            write!(f, ", breaker {}/{}s", s.circuit_breaker_threshold, s.circuit_breaker_timeout)?;
        }
        if s.strategy == Strategy::Adaptive {
            write!(f, ", tokens {}/{}", s.max_tokens, s.token_ratio)?;
        }
        if s.retryable_exceptions != ["Exception"] {
            write!(f, ", retry on [{}]", s.retryable_exceptions.join(", "))?;
        }
        if !s.non_retryable_exceptions.is_empty() {
            write!(f, ", never on [{}]", s.non_retryable_exceptions.join(", "))?;
        }
        Ok(())
    }
}

impl Deref for RetryPolicy {
    type Target = PolicySpec;
    fn deref(&self) -> &PolicySpec {
        &self.0
    }
}

impl TryFrom<PolicySpec> for RetryPolicy {
    type Error = PolicyError;
    fn try_from(spec: PolicySpec) -> Result<Self, PolicyError> {
        RetryPolicy::new(spec)
    }
}

impl From<RetryPolicy> for PolicySpec {
    fn from(p: RetryPolicy) -> PolicySpec {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(edit: impl FnOnce(&mut PolicySpec)) -> PolicyError {
        RetryPolicy::default().with(edit).unwrap_err()
    }

    #[test]
    fn default_is_valid() {
        assert!(PolicySpec::default().validate().is_ok());
    }

    #[test]
    fn zero_attempts_is_an_error() {
        let e = err(|s| s.max_attempts = 0);
        assert_eq!(e, PolicyError::Zero { field: "max_attempts" });
        assert_eq!(e.to_string(), "max_attempts must be >= 1 (got 0)");
    }

    #[test]
    fn negative_base_delay() {
        let e = err(|s| s.base_delay = -1.0);
        assert_eq!(e.field(), "base_delay");
        assert_eq!(e.to_string(), "base_delay must be a finite number >= 0 (got -1)");
    }

    #[test]
    fn nan_base_delay() {
        assert_eq!(err(|s| s.base_delay = f64::NAN).field(), "base_delay");
    }

    #[test]
    fn infinite_max_delay() {
        let e = err(|s| s.max_delay = f64::INFINITY);
        assert_eq!(e, PolicyError::NegativeOrNonFinite { field: "max_delay", value: f64::INFINITY });
    }

    #[test]
    fn base_above_max() {
        let e = err(|s| {
            s.base_delay = 5.0;
            s.max_delay = 2.0
        });
        assert_eq!(e, PolicyError::BaseAboveMax { base: 5.0, max: 2.0 });
        assert_eq!(e.field(), "base_delay");
    }

    #[test]
    fn multiplier_below_one() {
        let e = err(|s| s.multiplier = 0.5);
        assert_eq!(e.field(), "multiplier");
        assert_eq!(err(|s| s.multiplier = f64::INFINITY).field(), "multiplier");
    }

    #[test]
    fn jitter_range_out_of_bounds() {
        assert_eq!(err(|s| s.jitter_range = 1.5), PolicyError::JitterRange { value: 1.5 });
        assert_eq!(err(|s| s.jitter_range = -0.1).field(), "jitter_range");
        assert_eq!(err(|s| s.jitter_range = f64::NAN).field(), "jitter_range");
    }

    #[test]
    fn timeouts_must_be_positive() {
        assert_eq!(err(|s| s.operation_timeout = Some(0.0)).field(), "operation_timeout");
        assert_eq!(err(|s| s.total_timeout = Some(-3.0)).field(), "total_timeout");
    }

    #[test]
    fn empty_exception_names() {
        assert_eq!(
            err(|s| s.retryable_exceptions = vec![" ".into()]),
            PolicyError::EmptyClassName { field: "retryable_exceptions" }
        );
        assert_eq!(err(|s| s.non_retryable_exceptions = vec!["".into()]).field(), "non_retryable_exceptions");
    }

    #[test]
    fn breaker_knobs() {
        assert_eq!(err(|s| s.circuit_breaker_threshold = 0).field(), "circuit_breaker_threshold");
        assert_eq!(err(|s| s.circuit_breaker_timeout = -1.0).field(), "circuit_breaker_timeout");
        assert_eq!(err(|s| s.half_open_max_calls = 0).field(), "half_open_max_calls");
    }

    #[test]
    fn budget_and_hint_knobs() {
        assert_eq!(err(|s| s.retry_after_max = Some(f64::NAN)).field(), "retry_after_max");
        assert_eq!(err(|s| s.max_tokens = 0.0).field(), "max_tokens");
        assert_eq!(err(|s| s.token_ratio = -1.0).field(), "token_ratio");
    }

    #[test]
    fn serde_validates_and_names_the_field() {
        let e = RetryPolicy::from_toml("max_attempts = 0").unwrap_err();
        assert!(e.contains("max_attempts must be >= 1"), "{e}");
        let e = RetryPolicy::from_json(r#"{"jitter_range": 2}"#).unwrap_err();
        assert!(e.contains("jitter_range must be in [0, 1]"), "{e}");
        let e = RetryPolicy::from_toml("max_retries = 3").unwrap_err();
        assert!(e.contains("unknown field `max_retries`"), "{e}");
    }

    #[test]
    fn toml_and_json_round_trip() {
        let p = RetryPolicy::default().with(|s| s.total_timeout = Some(12.5)).unwrap();
        let t = toml::to_string(&p).unwrap();
        assert_eq!(RetryPolicy::from_toml(&t).unwrap(), p);
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(RetryPolicy::from_json(&j).unwrap(), p);
    }

    #[test]
    fn display_is_one_line() {
        let p = RetryPolicy::default().with(|s| s.retryable_exceptions = vec!["OSError".into()]).unwrap();
        assert_eq!(
            p.to_string(),
            "3 attempts, exponential b=1 max=60 m=2, no jitter, no total_timeout, retry on [OSError]"
        );
    }

    #[test]
    fn with_leaves_the_original_untouched() {
        let p = RetryPolicy::default();
        let q = p.with(|s| s.max_attempts = 9).unwrap();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(q.max_attempts, 9);
    }
}
