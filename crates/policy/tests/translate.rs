//! Translation pinned to the real libraries. The expected delays below were produced by running
//! the pinned library versions (tenacity 9.2.1, backoff 2.2.1, stamina 26.1.0, urllib3 2.6.3: tests/requirements.txt; see
//! README.md, `retry-audit policy`) and are typed in, not computed by this crate.

use retry_audit_policy::translate::{translate_call, translate_str, LiteralValue, Translation};
use retry_audit_policy::{schedule, RetryPolicy, Strategy};

fn exact(src: &str) -> RetryPolicy {
    match translate_str(src).unwrap().translation {
        Translation::Exact(p) => p,
        other => panic!("{src}: expected exact, got {other:?}"),
    }
}

fn inexact(src: &str) -> (Option<RetryPolicy>, Vec<String>) {
    match translate_str(src).unwrap().translation {
        Translation::Inexact { closest, reasons } => (closest, reasons),
        other => panic!("{src}: expected inexact, got {other:?}"),
    }
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{a:?} vs {b:?}");
    }
}

// ---- tenacity ----

#[test]
fn tenacity_wait_exponential_matches_the_library() {
    // tenacity: [wait_exponential(multiplier=0.5, max=30)(attempt n) for n in 1..9]
    let p = exact("stop_after_attempt(9), wait_exponential(multiplier=0.5, max=30), reraise=True");
    close(&schedule(&p), &[0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]);
    assert_eq!(p.max_attempts, 9);
    assert!(!p.jitter_active());
}

#[test]
fn tenacity_wait_exponential_default_cap_is_max_wait() {
    // tenacity wait_exponential()(attempt 2000) == 4.611686018427388e18 (sys.maxsize / 2)
    let p = exact("@retry(stop=stop_after_attempt(3), wait=wait_exponential(), reraise=True)");
    assert_eq!(p.max_delay, 4.611686018427388e18);
    assert_eq!(retry_audit_policy::capped_delay(&p, 2000), 4.611686018427388e18);
}

#[test]
fn tenacity_min_above_multiplier_is_explained() {
    // tenacity: wait_exponential(multiplier=1, min=4, max=10) -> [4, 4, 4, 8, 10]
    let (closest, reasons) =
        inexact("stop_after_attempt(6), wait_exponential(multiplier=1, min=4, max=10), reraise=True");
    assert_eq!(
        reasons,
        ["min=4 raises the first delays to 4 (tenacity clamps to [min, max]); canonical delay 1 is base_delay"]
    );
    assert_eq!(closest.unwrap().base_delay, 4.0);
}

#[test]
fn tenacity_wait_random_exponential_is_full_jitter() {
    // uniform(0, min(multiplier * 2**(n-1), max)) == c * (1 - 1*u)
    let p = exact("stop_after_attempt(4), wait_random_exponential(multiplier=0.5, max=60), reraise=True");
    assert_eq!((p.strategy, p.effective_jitter_range()), (Strategy::ExponentialJitter, 1.0));
    close(&schedule(&p), &[0.5, 1.0, 2.0]);
    let (_, reasons) =
        inexact("stop_after_attempt(4), wait_random_exponential(multiplier=0.5, max=60, min=0.2), reraise=True");
    assert!(reasons[0].starts_with("wait_random_exponential(min=0.2) draws uniform(min, c)"), "{reasons:?}");
}

#[test]
fn tenacity_stop_after_attempt_counts_the_first_call() {
    // A function raising under stop_after_attempt(5) is called 5 times.
    assert_eq!(exact("stop=stop_after_attempt(5), reraise=True").max_attempts, 5);
    let p = exact("tenacity.retry(stop=tenacity.stop_after_attempt(2), wait=tenacity.wait_fixed(3), reraise=True)");
    assert_eq!((p.max_attempts, p.strategy, p.base_delay), (2, Strategy::Fixed, 3.0));
}

#[test]
fn tenacity_no_stop_retries_forever() {
    let (closest, reasons) = inexact("wait_fixed(1), reraise=True");
    assert_eq!(closest.unwrap().max_attempts, u32::MAX);
    assert!(reasons[0].starts_with("no stop_after_attempt: tenacity retries without an attempt limit"));
}

#[test]
fn tenacity_deadlines() {
    // tenacity never interrupts an attempt; the canonical deadline cuts one that runs into it.
    let (closest, reasons) = inexact("stop_after_attempt(5) | stop_before_delay(10), wait_fixed(1), reraise=True");
    let p = closest.unwrap();
    assert_eq!((p.max_attempts, p.total_timeout), (5, Some(10.0)));
    assert!(reasons[0].starts_with("stop_before_delay(10) never interrupts an attempt"), "{reasons:?}");
    let (closest, reasons) = inexact("stop_after_attempt(5) | stop_after_delay(10), reraise=True");
    assert_eq!(closest.unwrap().total_timeout, Some(10.0));
    assert!(reasons[0].starts_with("stop_after_delay(10) is checked after an attempt fails"));
}

#[test]
fn tenacity_wait_random_is_fixed_with_partial_jitter() {
    // uniform(1, 3) == 3 * (1 - (2/3) * u)
    let p = exact("stop_after_attempt(3), wait_random(1, 3), reraise=True");
    assert_eq!((p.strategy, p.base_delay), (Strategy::Fixed, 3.0));
    assert!((p.jitter_range - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn tenacity_wait_incrementing_default_is_not_linear() {
    // tenacity wait_incrementing() -> [0, 100, 200]: start 0, not b, 2b, ...
    let (_, reasons) = inexact("stop_after_attempt(4), wait_incrementing(), reraise=True");
    assert!(reasons[0].starts_with("wait_incrementing(start=0, increment=100) waits 0, 100, ..."), "{reasons:?}");
    let p = exact("stop_after_attempt(4), wait_incrementing(start=2, increment=2, max=5), reraise=True");
    close(&schedule(&p), &[2.0, 4.0, 5.0]);
}

#[test]
fn tenacity_exception_types() {
    let p = exact("stop_after_attempt(3), retry_if_exception_type((ConnectionError, TimeoutError)), reraise=True");
    assert_eq!(p.retryable_exceptions, ["ConnectionError", "TimeoutError"]);
    // Not ValueError: every other BaseException, cancellation included.
    let (_, reasons) = inexact("stop_after_attempt(3), retry=retry_if_not_exception_type(ValueError), reraise=True");
    assert!(reasons[0].contains("retries cancellation"), "{reasons:?}");
    // A and not B: retry A except B.
    let p = exact(
        "stop_after_attempt(3), retry=retry_if_exception_type(OSError) & retry_if_not_exception_type(BrokenPipeError), \
         reraise=True",
    );
    assert_eq!(
        (p.retryable_exceptions.clone(), p.non_retryable_exceptions.clone()),
        (vec!["OSError".to_string()], vec!["BrokenPipeError".to_string()])
    );
    // A or not B retries B when B is a subclass of A: not "never B".
    let (_, reasons) = inexact(
        "stop_after_attempt(3), retry=retry_if_exception_type(OSError) | retry_if_not_exception_type(ConnectionError), \
         reraise=True",
    );
    assert!(reasons.iter().any(|r| r.contains("retries cancellation")), "{reasons:?}");
    let (_, reasons) = inexact("stop_after_attempt(3), retry_if_result(is_none), reraise=True");
    assert!(reasons[0].contains("express it as an error_classifier"));
}

#[test]
fn tenacity_summed_waits_are_explained() {
    let (_, reasons) = inexact("stop_after_attempt(3), wait_fixed(1) + wait_random(0, 1), reraise=True");
    assert_eq!(
        reasons,
        ["wait=wait_fixed(1) + wait_random(0, 1) sums several waits; canonical delays come from one strategy"]
    );
}

// ---- backoff ----

#[test]
fn backoff_expo_is_zero_based_and_full_jitter_after_the_cap_is_canonical() {
    // backoff.expo() yields [1, 2, 4, 8, 16]: factor * base**n from n = 0, so delay 1 = factor,
    // which is the canonical "delay 1 is base_delay". full_jitter is uniform(0, value) applied to
    // the capped value: canonical full jitter (r = 1). Hence exact.
    let p = exact("backoff.on_exception(backoff.expo, Exception, max_tries=6)");
    close(&schedule(&p), &[1.0, 2.0, 4.0, 8.0, 16.0]);
    assert_eq!((p.max_attempts, p.effective_jitter_range()), (6, 1.0));
    // backoff.expo(base=3, factor=0.5, max_value=10) yields [0.5, 1.5, 4.5, 10, 10]
    let p = exact(
        "backoff.on_exception(backoff.expo, OSError, max_tries=6, base=3, factor=0.5, max_value=10, jitter=None)",
    );
    close(&schedule(&p), &[0.5, 1.5, 4.5, 10.0, 10.0]);
    assert!(!p.jitter_active());
    assert_eq!(p.retryable_exceptions, ["OSError"]);
}

#[test]
fn backoff_fibo_matches_the_library() {
    // backoff.fibo(max_value=6) yields [1, 1, 2, 3, 5, 6, 6]
    let p = exact("on_exception(backoff.fibo, Exception, max_tries=8, max_value=6, jitter=None)");
    close(&schedule(&p), &[1.0, 1.0, 2.0, 3.0, 5.0, 6.0, 6.0]);
    assert_eq!(p.strategy, Strategy::Fibonacci);
}

#[test]
fn backoff_max_tries_counts_the_first_call_and_none_is_unbounded() {
    // on_exception(constant, OSError, max_tries=5) calls the function 5 times.
    assert_eq!(exact("backoff.on_exception(backoff.constant, OSError, max_tries=5, interval=0)").max_attempts, 5);
    let (closest, reasons) = inexact("backoff.on_exception(backoff.expo, OSError)");
    assert_eq!(closest.unwrap().max_attempts, u32::MAX);
    assert!(reasons[0].starts_with("no max_tries: backoff retries without an attempt limit"));
}

#[test]
fn backoff_max_time_clips_the_last_sleep() {
    let (closest, reasons) = inexact("backoff.on_exception(backoff.expo, OSError, max_tries=5, max_time=30)");
    assert_eq!(closest.unwrap().total_timeout, Some(30.0));
    assert_eq!(
        reasons,
        ["max_time=30: backoff clips the last sleep to the time left and still makes one more attempt at about 30 s; \
          canonical total_timeout stops before a sleep that would reach it"]
    );
}

#[test]
fn backoff_random_jitter_is_explained() {
    let (closest, reasons) =
        inexact("backoff.on_exception(backoff.constant, OSError, max_tries=3, jitter=backoff.random_jitter)");
    assert!(reasons[0].starts_with("jitter=random_jitter adds up to 1 s to every delay"));
    assert!(!closest.unwrap().jitter_active());
}

#[test]
fn backoff_structured_entry_point() {
    let t = translate_call(
        "backoff",
        "backoff.on_exception",
        &[LiteralValue::Name("backoff.expo".into()), LiteralValue::Tuple(vec![LiteralValue::Name("OSError".into())])],
        &[("max_tries".into(), LiteralValue::Int(3)), ("giveup".into(), LiteralValue::Unknown("is_fatal".into()))],
    );
    assert_eq!(t.reasons(), ["giveup=is_fatal is code; express it as an error_classifier"]);
    let t = translate_call(
        "backoff",
        "on_exception",
        &[LiteralValue::Name("backoff.expo".into())],
        &[("max_tries".into(), LiteralValue::Unknown("N".into()))],
    );
    assert!(!t.is_exact());
}

// ---- stamina ----

#[test]
fn stamina_defaults() {
    // stamina.retry(on=...) defaults: attempts=10, timeout=45, wait_initial=0.1, wait_max=5,
    // wait_jitter=1, wait_exp_base=2 -> tenacity wait_exponential_jitter + stop_after_delay.
    let (closest, reasons) = inexact("@stamina.retry(on=httpx.HTTPError)");
    let p = closest.unwrap();
    assert_eq!(
        (p.max_attempts, p.total_timeout, p.base_delay, p.max_delay, p.multiplier),
        (10, Some(45.0), 0.1, 5.0, 2.0)
    );
    close(&schedule(&p), &[0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]);
    assert_eq!(p.retryable_exceptions, ["httpx.HTTPError"]);
    assert_eq!(reasons.len(), 2);
    assert!(reasons[0].starts_with("timeout=45 is tenacity stop_after_delay"));
    assert!(reasons[1]
        .starts_with("wait_jitter=1 (tenacity wait_exponential_jitter) adds uniform(0, 1) seconds before the cap"));
}

#[test]
fn stamina_without_jitter_or_timeout_is_exact() {
    let p = exact("stamina.retry(on=OSError, attempts=3, timeout=None, wait_jitter=0)");
    assert_eq!(p.max_attempts, 3);
    close(&schedule(&p), &[0.1, 0.2]);
}

// ---- urllib3 ----

#[test]
fn urllib3_first_retry_sleeps_zero() {
    // urllib3 2.3: Retry(total=5, backoff_factor=0.5).increment(...) x5 -> get_backoff_time()
    // == [0, 1.0, 2.0, 4.0, 8.0]; the canonical closest differs only in delay 1.
    let (closest, reasons) = inexact("Retry(total=5, backoff_factor=0.5)");
    let p = closest.unwrap();
    assert_eq!(p.max_attempts, 6);
    let s = schedule(&p);
    close(&s[1..], &[1.0, 2.0, 4.0, 8.0]);
    assert!(reasons.iter().any(|r| r.contains("so only delay 1 differs")));
}

#[test]
fn urllib3_zero_backoff_schedule() {
    let (closest, reasons) = inexact("urllib3.util.Retry(3)");
    close(&schedule(&closest.unwrap()), &[0.0, 0.0, 0.0]);
    assert_eq!(reasons.len(), 1, "{reasons:?}"); // only the classification caveat
}

// ---- parsing ----

#[test]
fn parse_errors_and_unknown_configs() {
    assert!(translate_str("wait_fixed(").is_err());
    let t = translate_str("print(1)").unwrap();
    assert_eq!(t.library, "unknown");
    assert!(t.translation.policy().is_none());
}

// ---- what the caller sees, hooks, versions ----

#[test]
fn tenacity_without_reraise_raises_retry_error() {
    let (closest, reasons) = inexact("@retry(stop=stop_after_attempt(3))");
    assert_eq!(closest.unwrap().max_attempts, 3);
    assert!(reasons[0].contains("raises tenacity.RetryError"), "{reasons:?}");
    for hook in ["before_sleep=log", "before=log", "after=log", "retry_error_callback=fallback", "retry_error_cls=E"] {
        let (_, reasons) = inexact(&format!("@retry(stop=stop_after_attempt(3), reraise=True, {hook})"));
        assert_eq!(reasons.len(), 1, "{hook}: {reasons:?}");
    }
    assert!(
        inexact("@retry(stop=stop_after_attempt(3), reraise=True, typo=1)").1[0].contains("unknown tenacity argument")
    );
    exact("@retry(stop=stop_after_attempt(3), reraise=True, before=before_nothing, before_sleep=None)");
}

#[test]
fn tenacity_9_2_wait_exponential_jitter_multiplier_and_min() {
    // tenacity 9.2: wait_exponential_jitter(multiplier=2, max=30, jitter=0) -> [2, 4, 8, 16]
    let p = exact("stop_after_attempt(5), wait_exponential_jitter(multiplier=2, max=30, jitter=0), reraise=True");
    close(&schedule(&p), &[2.0, 4.0, 8.0, 16.0]);
    // with min=3: [3, 4, 8, 16]
    let (_, reasons) =
        inexact("stop_after_attempt(5), wait_exponential_jitter(multiplier=2, max=30, jitter=0, min=3), reraise=True");
    assert!(reasons[0].starts_with("min=3 raises the first delays"), "{reasons:?}");
}

#[test]
fn backoff_hooks_and_giveup_value_are_differences() {
    for extra in ["on_backoff=log", "on_giveup=log", "on_success=log", "raise_on_giveup=False", "typo=3"] {
        let (_, reasons) = inexact(&format!("backoff.on_exception(backoff.expo, OSError, max_tries=3, {extra})"));
        assert_eq!(reasons.len(), 1, "{extra}: {reasons:?}");
    }
    let (_, reasons) = inexact("backoff.on_exception(backoff.expo, BaseException, max_tries=3, jitter=None)");
    assert!(reasons[0].contains("retries cancellation"));
    exact("backoff.on_exception(backoff.expo, OSError, max_tries=3, logger=None, on_backoff=None)");
}

#[test]
fn stamina_zero_limits_depend_on_the_version() {
    // stamina 26: `attempts is not None` -> one attempt; 24-25: `if attempts:` -> no limit.
    let (closest, reasons) = inexact("stamina.retry(on=OSError, attempts=5, timeout=0, wait_jitter=0)");
    assert_eq!(closest.unwrap().max_attempts, 5);
    assert!(reasons[0].contains("single attempt from 26"), "{reasons:?}");
    let (_, reasons) = inexact("stamina.retry(on=OSError, attempts=0, timeout=None, wait_jitter=0)");
    assert!(reasons[0].contains("no attempt limit in stamina 24-25"), "{reasons:?}");
    let (_, reasons) = inexact("stamina.retry(on=BaseException, attempts=3, timeout=None, wait_jitter=0)");
    assert!(reasons[0].contains("retries cancellation"), "{reasons:?}");
}

#[test]
fn google_api_core_retry_is_not_urllib3() {
    let t = translate_str(
        "Retry(initial=1.0, maximum=10.0, multiplier=2.0, timeout=30.0, predicate=if_exception_type(OSError))",
    )
    .unwrap();
    assert_eq!(t.library, "google-api-core");
    let Translation::Inexact { closest: Some(p), reasons } = t.translation else { panic!("inexact") };
    assert_eq!((p.base_delay, p.max_delay, p.multiplier, p.total_timeout), (1.0, 10.0, 2.0, Some(30.0)));
    assert_eq!(p.retryable_exceptions, ["OSError"]);
    assert!(reasons.iter().any(|r| r.contains("RetryError")), "{reasons:?}");
    // The scan knows the import: the same spelling is translated as the library it resolved to.
    let t = retry_audit_policy::translate::translate_str_as("google-api-core", "Retry(timeout=30.0)").unwrap();
    assert_eq!(t.library, "google-api-core");
    let t = retry_audit_policy::translate::translate_str_as("redis", "Retry(ExponentialBackoff(), 3)").unwrap();
    assert_eq!((t.library, t.translation.policy()), ("unknown", None));
}

#[test]
fn botocore_config_and_requests_adapter_are_read() {
    let t = translate_str("Config(retries={'max_attempts': 4, 'mode': 'standard'})").unwrap();
    assert_eq!(t.library, "botocore");
    let p = t.translation.policy().unwrap().clone();
    // max_attempts counts retries in botocore: 5 attempts, sleeps random() * min(2**(k-1), 20).
    assert_eq!((p.max_attempts, p.base_delay, p.max_delay, p.jitter_range), (5, 1.0, 20.0, 1.0));
    let t = translate_str("Config(retries={'total_max_attempts': 3, 'mode': 'adaptive'})").unwrap();
    assert_eq!(t.translation.policy().unwrap().max_attempts, 3);
    let t = translate_str("HTTPAdapter(max_retries=3)").unwrap();
    assert_eq!((t.library, t.translation.policy().unwrap().max_attempts), ("requests", 4));
    let t = translate_str("HTTPAdapter(max_retries=Retry(total=2, backoff_factor=1))").unwrap();
    assert_eq!(t.translation.policy().unwrap().max_attempts, 3);
}

#[test]
fn urllib3_retry_after_cap_is_read() {
    let (_, reasons) = inexact("Retry(total=5, backoff_factor=0.5, status_forcelist=[503], retry_after_max=10)");
    assert!(reasons.iter().any(|r| r.contains("Retry-After up to 10 s")), "{reasons:?}");
    let (_, reasons) = inexact("Retry(total=5, status_forcelist=[503])");
    assert!(reasons.iter().any(|r| r.contains("Retry-After up to 21600 s")), "{reasons:?}");
}

#[test]
fn a_hint_cap_above_max_delay_is_rejected() {
    let spec = retry_audit_policy::PolicySpec { max_delay: 5.0, retry_after_max: Some(30.0), ..Default::default() };
    let err = RetryPolicy::new(spec).unwrap_err();
    assert_eq!(err.field(), "retry_after_max");
}
