//! stamina: `retry(on, attempts=10, timeout=45.0, wait_initial=0.1, wait_max=5.0, wait_jitter=1.0,
//! wait_exp_base=2.0)`, built on tenacity `wait_exponential_jitter` and
//! `stop_after_attempt | stop_after_delay`.

use super::{CallExpr, Draft, LiteralValue, Translation};

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    for (k, _) in &call.kwargs {
        if !super::STAMINA_KWARGS.contains(&k.as_str()) {
            d.reason(format!("unknown stamina argument `{k}`"));
        }
    }
    match call.arg("on", None).map(|v| v.as_names()) {
        Some(Some(names)) => {
            if super::tenacity::catches_cancellation(&names) {
                d.reason(super::tenacity::cancellation_reason(&format!("on={}", names.join(", "))));
            }
            d.spec.retryable_exceptions = names
        }
        Some(None) => {
            d.reason("on= is not a literal class or tuple of classes (a predicate is code: use an error_classifier)")
        }
        None => d.reason("stamina.retry requires on="),
    }
    // `attempts` and `timeout`: None means "no limit" in every supported version; 0 means "no limit" up to
    // stamina 25 (`if attempts:`) and "stop at once" from 26 (`if attempts is not None:`).
    match call.arg("attempts", None) {
        Some(LiteralValue::None) => d.unbounded_attempts("attempts=None: stamina retries without an attempt limit"),
        v => {
            let n = d.number(call, "attempts", None, 10.0);
            if n < 1.0 {
                d.reason(format!(
                    "attempts={} means no attempt limit in stamina 24-25 and a single attempt from 26",
                    v.map(|v| v.source()).unwrap_or_default()
                ));
            }
            d.spec.max_attempts = super::attempt_limit(n);
        }
    }
    match call.arg("timeout", None) {
        Some(LiteralValue::None) => {}
        v => {
            let timeout = d.number(call, "timeout", None, 45.0);
            if timeout <= 0.0 {
                d.reason(format!(
                    "timeout={} means no time limit in stamina 24-25 and a single attempt from 26",
                    v.map(|v| v.source()).unwrap_or_default()
                ));
            } else {
                d.spec.total_timeout = Some(timeout);
                d.reason(format!(
                    "timeout={timeout} is tenacity stop_after_delay: checked after an attempt fails, ignoring the upcoming \
                     sleep, so stamina can sleep past {timeout} s and start another attempt, and never interrupts one; \
                     canonical total_timeout stops before a sleep that would reach it and cuts an attempt at the deadline"
                ));
            }
        }
    }
    let initial = d.number(call, "wait_initial", None, 0.1);
    let max = d.number(call, "wait_max", None, 5.0);
    let exp_base = d.number(call, "wait_exp_base", None, 2.0);
    let jitter = d.number(call, "wait_jitter", None, 1.0);
    super::tenacity::exponential(&mut d, initial, exp_base, max, "stamina.retry");
    if jitter != 0.0 {
        d.reason(super::tenacity::additive_jitter(
            &format!("wait_jitter={jitter} (tenacity wait_exponential_jitter)"),
            jitter,
        ));
    }
    d.finish()
}
