//! stamina: `retry(on, attempts=10, timeout=45.0, wait_initial=0.1, wait_max=5.0, wait_jitter=1.0,
//! wait_exp_base=2.0)`, built on tenacity `wait_exponential_jitter` and
//! `stop_after_attempt | stop_after_delay`.

use super::{CallExpr, Draft, LiteralValue, Translation};

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    match call.arg("on", None).map(|v| v.as_names()) {
        Some(Some(names)) => d.spec.retryable_exceptions = names,
        Some(None) => {
            d.reason("on= is not a literal class or tuple of classes (a predicate is code: use an error_classifier)")
        }
        None => d.reason("stamina.retry requires on="),
    }
    let present = |k: &str| call.arg(k, None).filter(|v| **v != LiteralValue::None);
    // stamina: `if attempts:` / `if timeout:`, so None and 0 both mean "no limit".
    let attempts = if present("attempts").is_some() || call.arg("attempts", None).is_none() {
        d.number(call, "attempts", None, 10.0)
    } else {
        0.0
    };
    if attempts >= 1.0 {
        d.spec.max_attempts = attempts.min(u32::MAX as f64) as u32;
    } else {
        d.unbounded_attempts("attempts=None/0: stamina retries without an attempt limit");
    }
    let timeout = if present("timeout").is_some() || call.arg("timeout", None).is_none() {
        d.number(call, "timeout", None, 45.0)
    } else {
        0.0
    };
    if timeout > 0.0 {
        d.spec.total_timeout = Some(timeout);
        d.reason(format!(
            "timeout={timeout} is tenacity stop_after_delay: checked after an attempt fails, ignoring the upcoming sleep, so \
             stamina can sleep past {timeout} s and start another attempt; canonical total_timeout stops before a sleep that would reach it"
        ));
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
