//! Delay strategies: the raw delay `k` and its cap, for any attempt number.
//!
//! Delay `k` is the sleep after failed attempt `k` (k >= 1). Every strategy yields `base_delay`
//! for k = 1 (tenacity#175 is what an off-by-one here looks like). The cap is applied before
//! jitter, and computing it never overflows: a raw value that is not representable is simply
//! "above the cap".

use serde::{Deserialize, Serialize};

use crate::policy::RetryPolicy;

/// How the raw delay grows with the attempt number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `b`
    Fixed,
    /// `b*k`
    Linear,
    /// `b*m^(k-1)`
    #[default]
    Exponential,
    /// exponential with jitter enabled
    ExponentialJitter,
    /// `b*F(k)`, F(1) = F(2) = 1
    Fibonacci,
    /// exponential, plus the retry token bucket and Retry-After hints
    Adaptive,
}

impl Strategy {
    pub const ALL: [Strategy; 6] = [
        Strategy::Fixed,
        Strategy::Linear,
        Strategy::Exponential,
        Strategy::ExponentialJitter,
        Strategy::Fibonacci,
        Strategy::Adaptive,
    ];

    /// The spelling used in policy files.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Fixed => "fixed",
            Strategy::Linear => "linear",
            Strategy::Exponential => "exponential",
            Strategy::ExponentialJitter => "exponential_jitter",
            Strategy::Fibonacci => "fibonacci",
            Strategy::Adaptive => "adaptive",
        }
    }

    /// Parses a policy-file spelling.
    pub fn parse(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `c(k) = min(raw(k), max_delay)` for the policy's strategy. `k` starts at 1; `k = 0` is treated
/// as 1. Never returns inf or NaN: the result is always in `[0, max_delay]`.
pub fn capped_delay(policy: &RetryPolicy, k: u64) -> f64 {
    capped(policy.strategy, policy.base_delay, policy.multiplier, policy.max_delay, k)
}

/// The same computation on bare numbers (inputs assumed valid: finite, `0 <= b <= max`, `m >= 1`).
pub fn capped(strategy: Strategy, base: f64, multiplier: f64, max: f64, k: u64) -> f64 {
    let k = k.max(1);
    if base == 0.0 {
        // 0 * inf would be NaN; a zero base is zero for every strategy.
        return 0.0;
    }
    let raw = match strategy {
        Strategy::Fixed => base,
        Strategy::Linear => base * k as f64,
        Strategy::Exponential | Strategy::ExponentialJitter | Strategy::Adaptive => {
            // powf saturates to +inf, never panics; m >= 1 so no 0 * inf.
            base * multiplier.powf((k - 1) as f64)
        }
        Strategy::Fibonacci => return fibonacci_capped(base, max, k),
    };
    if raw.is_nan() || raw >= max {
        max
    } else {
        raw
    }
}

/// `min(b*F(k), max)` without computing F(k) for huge k: F grows geometrically, so the loop stops
/// after at most ~1500 steps (when `b*F` reaches the cap or f64 saturates).
fn fibonacci_capped(base: f64, max: f64, k: u64) -> f64 {
    let (mut a, mut b) = (1.0_f64, 1.0_f64);
    for _ in 1..k {
        if base * a >= max {
            return max;
        }
        let next = a + b;
        a = b;
        b = next;
    }
    (base * a).min(max)
}

/// The jitter-off schedule: delays 1..N-1 (N = `max_attempts`). Allocates N-1 floats, so for
/// absurd attempt counts use [`schedule_prefix`].
pub fn schedule(policy: &RetryPolicy) -> Vec<f64> {
    schedule_prefix(policy, policy.max_attempts.saturating_sub(1) as usize)
}

/// The first `n` jitter-off delays (at most N-1).
pub fn schedule_prefix(policy: &RetryPolicy, n: usize) -> Vec<f64> {
    let n = n.min(policy.max_attempts.saturating_sub(1) as usize);
    (1..=n as u64).map(|k| capped_delay(policy, k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_delay_is_base_for_every_strategy() {
        for s in Strategy::ALL {
            assert_eq!(capped(s, 0.7, 3.0, 100.0, 1), 0.7, "{s}");
        }
    }

    #[test]
    fn huge_k_gives_max_delay() {
        for s in Strategy::ALL {
            for k in [1_000_000u64, u64::MAX] {
                let d = capped(s, 1.0, 2.0, 30.0, k);
                let want = if s == Strategy::Fixed { 1.0 } else { 30.0 };
                assert_eq!(d, want, "{s} k={k}");
            }
        }
        assert_eq!(capped(Strategy::Exponential, 1e-300, 1e300, 1e308, 1_000_000), 1e308);
        assert_eq!(capped(Strategy::Linear, 1e308, 1.0, 1e308, 1_000_000), 1e308);
    }

    #[test]
    fn zero_base_never_nan() {
        assert_eq!(capped(Strategy::Exponential, 0.0, 10.0, 0.0, 1_000_000), 0.0);
    }

    #[test]
    fn strategy_names_round_trip() {
        for s in Strategy::ALL {
            assert_eq!(Strategy::parse(s.name()), Some(s));
        }
        assert_eq!(Strategy::parse("exp"), None);
    }
}
