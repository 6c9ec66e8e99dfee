//! The spec's properties, each checked on 10,000 generated cases.

use proptest::prelude::*;
use retry_audit_policy::jitter::{self, Uniform};
use retry_audit_policy::{
    capped_delay, simulate, simulate_in, BreakerConfig, BreakerState, CircuitBreaker, FinalResult, Hierarchy,
    PolicySpec, RetryPolicy, SimEnv, Step, Strategy as Kind,
};

fn config() -> ProptestConfig {
    ProptestConfig { cases: 10_000, ..ProptestConfig::default() }
}

/// Every strategy except adaptive (its token bucket is a budget that may stop the loop early).
fn kind() -> impl proptest::strategy::Strategy<Value = Kind> {
    prop::sample::select(Kind::ALL.into_iter().filter(|k| *k != Kind::Adaptive).collect::<Vec<_>>())
}

prop_compose! {
    /// Any valid policy without a breaker, total timeout or adaptive throttling.
    fn policy()(
        strategy in kind(),
        n in 1u32..25,
        base in 0.0f64..10.0,
        extra in 0.0f64..1000.0,
        multiplier in prop_oneof![1.0f64..4.0, 1.0f64..1e300],
        jitter in any::<bool>(),
        r in 0.0f64..=1.0,
    ) -> RetryPolicy {
        RetryPolicy::new(PolicySpec {
            strategy, max_attempts: n, base_delay: base, max_delay: base + extra, multiplier,
            jitter_enabled: jitter, jitter_range: r, ..PolicySpec::default()
        }).unwrap()
    }
}

/// A replayed uniform draw.
struct Fixed(f64);
impl Uniform for Fixed {
    fn next_uniform(&mut self) -> f64 {
        self.0
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn attempts_and_sleeps_when_every_failure_is_retryable(p in policy(), seed in any::<u64>()) {
        let steps = vec![Step::err("ConnectionError"); p.max_attempts as usize];
        let t = simulate(&p, &steps, seed).unwrap();
        prop_assert_eq!(t.attempts_made, p.max_attempts);
        prop_assert_eq!(t.sleeps().len() as u32, p.max_attempts - 1);
        prop_assert_eq!(t.result, FinalResult::Exhausted);
    }

    #[test]
    fn attempts_never_exceed_n(p in policy(), ok_at in 0usize..30, seed in any::<u64>()) {
        let mut steps = vec![Step::err("OSError"); 30];
        steps[ok_at] = Step::ok();
        let t = simulate(&p, &steps, seed).unwrap();
        prop_assert!(t.attempts_made <= p.max_attempts);
    }

    #[test]
    fn delay_within_zero_and_max_delay(p in policy(), k in 1u64..=10_000, u in 0.0f64..1.0) {
        let d = jitter::delay(&p, k, &mut Fixed(u));
        prop_assert!(d.is_finite() && d >= 0.0 && d <= p.max_delay, "d={} max={}", d, p.max_delay);
    }

    #[test]
    fn huge_attempt_numbers_never_overflow(p in policy(), k in 1_000_000u64..=u64::MAX) {
        let c = capped_delay(&p, k);
        prop_assert!(c.is_finite() && c >= 0.0 && c <= p.max_delay);
    }

    #[test]
    fn jitter_stays_between_c_times_one_minus_r_and_c(p in policy(), k in 1u64..=10_000, u in 0.0f64..1.0) {
        let c = capped_delay(&p, k);
        let r = p.effective_jitter_range();
        let d = jitter::delay(&p, k, &mut Fixed(u));
        prop_assert!(c * (1.0 - r) <= d && d <= c, "c={} r={} d={}", c, r, d);
    }

    #[test]
    fn without_jitter_growing_strategies_never_decrease(
        p in policy(),
        kind in prop::sample::select(vec![Kind::Linear, Kind::Exponential, Kind::Fibonacci]),
        k in 1u64..=10_000,
    ) {
        let p = p.with(|s| { s.jitter_range = 0.0; s.strategy = kind; }).unwrap();
        prop_assert!(jitter::delay(&p, k, &mut Fixed(0.5)) <= jitter::delay(&p, k + 1, &mut Fixed(0.5)));
    }

    #[test]
    fn same_seed_same_schedule_different_seed_different(
        p in policy(),
        r in 0.01f64..=1.0,
        base in 0.01f64..10.0,
        seed in any::<u64>(),
        other in any::<u64>(),
    ) {
        prop_assert_eq!(jitter::jittered_schedule(&p, seed), jitter::jittered_schedule(&p, seed));
        let p = p.with(|s| {
            s.jitter_enabled = true;
            s.jitter_range = r;
            s.base_delay = base;
            s.max_delay = s.max_delay.max(base);
            s.max_attempts = s.max_attempts.max(2);
        }).unwrap();
        prop_assume!(seed != other);
        prop_assert_ne!(jitter::jittered_schedule(&p, seed), jitter::jittered_schedule(&p, other));
    }

    #[test]
    fn deadline_is_never_crossed(
        p in policy(),
        total in 0.1f64..50.0,
        op in prop::option::of(0.1f64..10.0),
        durations in prop::collection::vec(0.0f64..20.0, 25),
        ok_at in 0usize..25,
        seed in any::<u64>(),
    ) {
        let p = p.with(|s| { s.total_timeout = Some(total); s.operation_timeout = op; }).unwrap();
        let steps: Vec<Step> = durations.iter().enumerate().map(|(i, d)| Step {
            error: (i != ok_at).then(|| "TimeoutError".to_string()), duration: *d, hint: None,
        }).collect();
        let t = simulate(&p, &steps, seed).unwrap();
        prop_assert!(t.elapsed <= total, "elapsed {} > {}", t.elapsed, total);
        for s in t.starts() {
            prop_assert!(s < total, "attempt starts at {} >= {}", s, total);
        }
    }

    #[test]
    fn non_retryable_subclass_gets_one_attempt(
        p in policy(),
        raised in prop::sample::select(vec!["ConnectionResetError", "BrokenPipeError", "ConnectionError", "app.Custom"]),
        seed in any::<u64>(),
    ) {
        let mut h = Hierarchy::builtin();
        h.insert("app.Custom", "ConnectionRefusedError");
        // Retryable lists a superclass too: non-retryable must still win.
        let p = p.with(|s| {
            s.retryable_exceptions = vec!["OSError".into()];
            s.non_retryable_exceptions = vec!["ConnectionError".into()];
        }).unwrap();
        let steps = vec![Step::err(raised); p.max_attempts as usize];
        let run = simulate_in(&p, &steps, SimEnv::new(seed, &h)).unwrap();
        prop_assert_eq!(run.trace.attempts_made, 1);
        prop_assert_eq!(run.trace.result, FinalResult::NonRetryable);
    }

    #[test]
    fn cancellation_is_never_retried_nor_recorded(
        p in policy(),
        failures_before in 0usize..4,
        class in prop::sample::select(vec!["asyncio.CancelledError", "CancelledError", "KeyboardInterrupt", "SystemExit"]),
    ) {
        let p = p.with(|s| {
            s.max_attempts = 10;
            s.retryable_exceptions = vec!["BaseException".into()];
            s.circuit_breaker_enabled = true;
            s.circuit_breaker_threshold = 100;
        }).unwrap();
        let mut steps = vec![Step::err("OSError"); failures_before];
        steps.push(Step::err(class));
        let run = simulate_in(&p, &steps, SimEnv::new(0, &Hierarchy::builtin())).unwrap();
        prop_assert_eq!(run.trace.result, FinalResult::Cancelled);
        prop_assert_eq!(run.trace.attempts_made as usize, failures_before + 1);
        let breaker = run.breaker.unwrap().state(run.clock);
        prop_assert_eq!(breaker, BreakerState::Closed { consecutive_failures: failures_before as u32 });
    }

    #[test]
    fn breaker_open_half_open_and_reopen(
        threshold in 1u32..10,
        timeout in 0.0f64..100.0,
        probes in 1u32..10,
        early in 0.0f64..1.0,
        extra_calls in 1u32..10,
    ) {
        let mut b = CircuitBreaker::new(BreakerConfig { threshold, open_timeout: timeout, half_open_max_calls: probes });
        for _ in 0..threshold {
            b.try_acquire(0.0).unwrap();
            b.record_failure(0.0);
        }
        // OPEN admits nothing before the timer expires.
        if timeout > 0.0 {
            prop_assert!(b.try_acquire(early * timeout * 0.999).is_err());
        }
        // HALF_OPEN admits exactly `probes`.
        let admitted = (0..probes + extra_calls).filter(|_| b.try_acquire(timeout).is_ok()).count();
        prop_assert_eq!(admitted as u32, probes);
        // A failed probe re-opens with a fresh timer.
        b.record_failure(timeout + 1.0);
        prop_assert_eq!(b.state(timeout + 1.0), BreakerState::Open { since: timeout + 1.0 });
        if timeout > 0.0 {
            prop_assert!(b.try_acquire(timeout + 1.0 + early * timeout * 0.999).is_err());
        }
    }
}
