//! urllib3 1.26 and 2.x: `Retry(total=10, ..., backoff_factor=0, backoff_max=120, backoff_jitter=0.0,
//! retry_after_max=21600)` (`backoff_max` and `backoff_jitter` from 2.0, `retry_after_max` from 2.6; before
//! that a Retry-After is honoured without an upper bound), `Retry.from_int(n)`, and requests'
//! `HTTPAdapter(max_retries=n | Retry(...))`.

use super::{CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::Strategy;

/// `Retry.DEFAULT_BACKOFF_MAX`.
const DEFAULT_BACKOFF_MAX: f64 = 120.0;

/// `Retry.DEFAULT_RETRY_AFTER_MAX` (urllib3 >= 2.6).
const DEFAULT_RETRY_AFTER_MAX: f64 = 21600.0;

/// `Retry.from_int(n)`: `Retry(total=n)`.
pub(super) fn translate_total(total: Option<&LiteralValue>) -> Translation {
    let kwargs = total.map(|t| vec![("total".to_string(), t.clone())]).unwrap_or_default();
    translate(&CallExpr { func: "Retry".into(), args: vec![], kwargs })
}

/// requests `HTTPAdapter(max_retries=...)`: a `Retry(...)` is used as given, a number `n` becomes
/// `Retry.from_int(n)`; without it (or 0) requests makes one attempt (`Retry(0, read=False)`).
pub(super) fn translate_adapter(call: &CallExpr) -> Translation {
    match call.arg("max_retries", Some(2)) {
        Some(LiteralValue::Call(retry)) if super::last(&retry.func) == "Retry" => translate(retry),
        Some(LiteralValue::Call(retry)) if super::last(&retry.func) == "from_int" => {
            translate_total(retry.args.first().or(retry.arg("retries", None)))
        }
        Some(v) => translate_total(Some(v)),
        None => translate_total(Some(&LiteralValue::Int(0))),
    }
}

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    match call.arg("total", Some(0)) {
        Some(LiteralValue::Bool(false)) => d.spec.max_attempts = 1,
        Some(LiteralValue::None) => {
            d.unbounded_attempts("total=None: urllib3 counts connect/read/status retries separately")
        }
        _ => {
            let total = d.number(call, "total", Some(0), 10.0);
            // `total` counts retries: attempts = total + 1.
            d.spec.max_attempts = (total.max(0.0) + 1.0).min(u32::MAX as f64) as u32;
        }
    }
    let per_kind: Vec<&str> = ["connect", "read", "redirect", "status", "other"]
        .into_iter()
        .filter(|k| call.arg(k, None).is_some_and(|v| *v != LiteralValue::None))
        .collect();
    if !per_kind.is_empty() {
        d.reason(format!(
            "per-error-kind limits ({}) have no canonical equivalent; closest uses total",
            per_kind.join(", ")
        ));
    }
    d.reason(
        "urllib3 decides per error kind (connect/read/status/redirect) and per HTTP method whether to retry; the canonical \
         policy retries by exception class (closest retries every Exception)",
    );
    if call.arg("status_forcelist", None).is_some() {
        let cap = d.number(call, "retry_after_max", None, DEFAULT_RETRY_AFTER_MAX);
        d.reason(format!(
            "status retries sleep a server's Retry-After up to {cap} s (urllib3 >= 2.6 `retry_after_max`; unbounded \
             before), whatever backoff_max says; canonical hints are capped at retry_after_max <= max_delay"
        ));
    }
    let factor = d.number(call, "backoff_factor", None, 0.0);
    let max = d.number(call, "backoff_max", None, DEFAULT_BACKOFF_MAX);
    let jitter = d.number(call, "backoff_jitter", None, 0.0);
    if factor == 0.0 || d.spec.max_attempts <= 2 {
        // Every sleep (or the only one) is 0 (plus jitter).
        d.spec.strategy = Strategy::Fixed;
        d.spec.base_delay = 0.0;
        d.spec.max_delay = 0.0;
    } else {
        d.spec.strategy = Strategy::Exponential;
        d.spec.base_delay = factor;
        d.spec.multiplier = 2.0;
        d.spec.max_delay = max.max(0.0);
        d.reason(format!(
            "urllib3 sleeps 0 after the first error and backoff_factor * 2**(n-1) after the n-th consecutive error \
             ({factor} * 2**(n-1)); canonical delay 1 is base_delay, so only delay 1 differs (closest base_delay={factor})"
        ));
    }
    if jitter != 0.0 {
        d.reason(format!(
            "backoff_jitter={jitter} adds random() * {jitter} before the backoff_max cap; canonical jitter is multiplicative \
             after the cap (closest has no jitter)"
        ));
    }
    d.finish()
}
