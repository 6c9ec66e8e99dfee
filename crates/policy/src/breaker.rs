//! Circuit breaker: consecutive-failure threshold, fixed open timer, bounded half-open probes.
//!
//! Time is passed in by the caller (seconds on any monotonic clock), so the state machine is
//! deterministic and testable on a fake clock. The breaker is checked before every attempt
//! ([`CircuitBreaker::try_acquire`]) and every admitted attempt reports back exactly once:
//! [`record_success`](CircuitBreaker::record_success), [`record_failure`](CircuitBreaker::record_failure)
//! (retryable failures only) or [`release`](CircuitBreaker::release) (cancellation and
//! non-retryable errors, which the breaker must not count).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::RetryPolicy;

/// The breaker knobs of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BreakerConfig {
    pub threshold: u32,
    pub open_timeout: f64,
    pub half_open_max_calls: u32,
}

impl BreakerConfig {
    /// The policy's breaker, or `None` when `circuit_breaker_enabled` is false.
    pub fn from_policy(p: &RetryPolicy) -> Option<BreakerConfig> {
        p.circuit_breaker_enabled.then_some(BreakerConfig {
            threshold: p.circuit_breaker_threshold,
            open_timeout: p.circuit_breaker_timeout,
            half_open_max_calls: p.half_open_max_calls,
        })
    }
}

/// Breaker state, with the counters that drive its transitions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    Closed { consecutive_failures: u32 },
    Open { since: f64 },
    HalfOpen { admitted: u32, succeeded: u32 },
}

impl BreakerState {
    pub fn name(&self) -> &'static str {
        match self {
            BreakerState::Closed { .. } => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen { .. } => "half_open",
        }
    }
}

/// The call was rejected because the breaker is open (or half-open with all probes in use).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("circuit open")]
pub struct Rejected;

#[derive(Debug, Clone, PartialEq)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        CircuitBreaker { config, state: BreakerState::Closed { consecutive_failures: 0 } }
    }

    pub fn config(&self) -> BreakerConfig {
        self.config
    }

    /// The state as of `now` (an expired OPEN timer reads as HALF_OPEN).
    pub fn state(&self, now: f64) -> BreakerState {
        match self.state {
            BreakerState::Open { since } if now - since >= self.config.open_timeout => {
                BreakerState::HalfOpen { admitted: 0, succeeded: 0 }
            }
            s => s,
        }
    }

    /// Admits or rejects one call at `now`. OPEN admits nothing; HALF_OPEN admits at most
    /// `half_open_max_calls` probes until they report back.
    pub fn try_acquire(&mut self, now: f64) -> Result<(), Rejected> {
        self.state = self.state(now);
        match &mut self.state {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::Open { .. } => Err(Rejected),
            BreakerState::HalfOpen { admitted, .. } => {
                if *admitted < self.config.half_open_max_calls {
                    *admitted += 1;
                    Ok(())
                } else {
                    Err(Rejected)
                }
            }
        }
    }

    /// An admitted call succeeded.
    pub fn record_success(&mut self, _now: f64) {
        match &mut self.state {
            BreakerState::Closed { consecutive_failures } => *consecutive_failures = 0,
            BreakerState::HalfOpen { succeeded, .. } => {
                *succeeded += 1;
                if *succeeded >= self.config.half_open_max_calls {
                    self.state = BreakerState::Closed { consecutive_failures: 0 };
                }
            }
            BreakerState::Open { .. } => {}
        }
    }

    /// An admitted call failed with a retryable error.
    pub fn record_failure(&mut self, now: f64) {
        match &mut self.state {
            BreakerState::Closed { consecutive_failures } => {
                *consecutive_failures += 1;
                if *consecutive_failures >= self.config.threshold {
                    self.state = BreakerState::Open { since: now };
                }
            }
            // Any failed probe re-opens with a fresh timer.
            BreakerState::HalfOpen { .. } => self.state = BreakerState::Open { since: now },
            BreakerState::Open { .. } => {}
        }
    }

    /// An admitted call ended in a way the breaker must not count (cancellation, non-retryable
    /// error): frees its half-open probe slot and changes nothing else.
    pub fn release(&mut self) {
        if let BreakerState::HalfOpen { admitted, .. } = &mut self.state {
            *admitted = admitted.saturating_sub(1);
        }
    }
}

/// Registering one name with two different configs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("circuit breaker `{name}` is already registered with a different config ({existing:?} vs {requested:?})")]
pub struct RegistryConflict {
    pub name: String,
    pub existing: BreakerConfig,
    pub requested: BreakerConfig,
}

/// Named breakers shared by every caller that uses the same name. A value the caller owns (no
/// process-wide singleton): hold one per process in the application if you want sharing.
#[derive(Debug, Default, Clone)]
pub struct BreakerRegistry {
    breakers: BTreeMap<String, CircuitBreaker>,
}

impl BreakerRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the breaker for `name`, creating it with `config` on first use. The same name
    /// with a different config is an error, not a silent second breaker.
    pub fn get_or_register(
        &mut self,
        name: &str,
        config: BreakerConfig,
    ) -> Result<&mut CircuitBreaker, RegistryConflict> {
        let b = self.breakers.entry(name.to_string()).or_insert_with(|| CircuitBreaker::new(config));
        if b.config != config {
            return Err(RegistryConflict { name: name.to_string(), existing: b.config, requested: config });
        }
        Ok(b)
    }

    pub fn get(&self, name: &str) -> Option<&CircuitBreaker> {
        self.breakers.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: BreakerConfig = BreakerConfig { threshold: 3, open_timeout: 10.0, half_open_max_calls: 2 };

    fn opened() -> CircuitBreaker {
        let mut b = CircuitBreaker::new(CFG);
        for _ in 0..3 {
            b.try_acquire(0.0).unwrap();
            b.record_failure(0.0);
        }
        b
    }

    #[test]
    fn opens_after_threshold_consecutive_failures() {
        let mut b = CircuitBreaker::new(CFG);
        b.record_failure(0.0);
        b.record_failure(0.0);
        b.record_success(0.0);
        b.record_failure(0.0);
        assert_eq!(b.state(0.0), BreakerState::Closed { consecutive_failures: 1 });
        assert_eq!(opened().state(0.0), BreakerState::Open { since: 0.0 });
    }

    #[test]
    fn open_timer_is_exact() {
        let mut b = opened();
        assert_eq!(b.try_acquire(9.999), Err(Rejected));
        assert!(b.try_acquire(10.0).is_ok());
        assert_eq!(b.state(10.0).name(), "half_open");
    }

    #[test]
    fn half_open_bounds_probes_and_closes_when_all_succeed() {
        let mut b = opened();
        assert!(b.try_acquire(10.0).is_ok());
        assert!(b.try_acquire(10.0).is_ok());
        assert_eq!(b.try_acquire(10.0), Err(Rejected));
        b.record_success(10.0);
        assert_eq!(b.state(10.0).name(), "half_open");
        b.record_success(10.0);
        assert_eq!(b.state(10.0), BreakerState::Closed { consecutive_failures: 0 });
    }

    #[test]
    fn failed_probe_reopens_with_fresh_timer() {
        let mut b = opened();
        b.try_acquire(12.0).unwrap();
        b.record_failure(12.0);
        assert_eq!(b.state(12.0), BreakerState::Open { since: 12.0 });
        assert_eq!(b.try_acquire(21.0), Err(Rejected));
        assert!(b.try_acquire(22.0).is_ok());
    }

    #[test]
    fn release_frees_a_probe_slot() {
        let mut b = opened();
        b.try_acquire(10.0).unwrap();
        b.try_acquire(10.0).unwrap();
        b.release();
        assert!(b.try_acquire(10.0).is_ok());
    }

    #[test]
    fn registry_rejects_a_second_config() {
        let mut r = BreakerRegistry::new();
        r.get_or_register("db", CFG).unwrap().record_failure(0.0);
        assert_eq!(r.get_or_register("db", CFG).unwrap().state(0.0), BreakerState::Closed { consecutive_failures: 1 });
        let other = BreakerConfig { threshold: 5, ..CFG };
        let e = r.get_or_register("db", other).unwrap_err();
        assert_eq!(e.name, "db");
        assert!(r.get_or_register("cache", other).is_ok());
    }
}
