//! Multiplicative jitter, applied after the cap: `d = c * (1 - r*u)`.
//!
//! With `u` in `[0, 1)` this keeps `c*(1-r) <= d <= c <= max_delay` exactly, even in floating
//! point (each operation is monotone), and the delay still varies once the cap is reached, which
//! neither "add jitter after the cap" (overshoots) nor "clamp after jitter" (freezes) achieves.
//!
//! The uniform draws come from an injected, seeded [`ChaCha8Rng`]: same seed, same schedule.
//! Conformance vectors also record the draws themselves, so another language can replay them
//! without reimplementing ChaCha.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::policy::RetryPolicy;
use crate::strategy::capped_delay;

/// `c * (1 - r*u)`.
pub fn apply(capped: f64, range: f64, u: f64) -> f64 {
    capped * (1.0 - range * u)
}

/// A source of uniform draws in `[0, 1)`. Implemented for any `rand::Rng` and for a replayed list.
pub trait Uniform {
    fn next_uniform(&mut self) -> f64;
}

impl<R: Rng> Uniform for R {
    fn next_uniform(&mut self) -> f64 {
        self.gen::<f64>()
    }
}

/// The engine's RNG for a seed.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Delay `k` for `policy`: capped, then jittered. Draws exactly one uniform when jitter is active
/// with `r > 0`, none otherwise (r = 0 is "no jitter"), so draws line up across implementations.
pub fn delay(policy: &RetryPolicy, k: u64, uniforms: &mut impl Uniform) -> f64 {
    let c = capped_delay(policy, k);
    let r = policy.effective_jitter_range();
    if r > 0.0 {
        apply(c, r, uniforms.next_uniform())
    } else {
        c
    }
}

/// The jittered schedule for a seed: delays 1..N-1.
pub fn jittered_schedule(policy: &RetryPolicy, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (1..policy.max_attempts as u64).map(|k| delay(policy, k, &mut r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_equal_jitter_bounds() {
        assert_eq!(apply(10.0, 1.0, 0.0), 10.0);
        assert_eq!(apply(10.0, 0.5, 0.5), 7.5);
        assert_eq!(apply(10.0, 0.0, 0.9), 10.0);
    }

    #[test]
    fn same_seed_same_schedule() {
        let p = crate::presets::preset("database").unwrap();
        assert_eq!(jittered_schedule(p, 7), jittered_schedule(p, 7));
        assert_ne!(jittered_schedule(p, 7), jittered_schedule(p, 8));
    }
}
