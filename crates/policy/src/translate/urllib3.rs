//! urllib3 2.x: `Retry(total=10, ..., backoff_factor=0, backoff_max=120, backoff_jitter=0.0)`.

use super::{CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::Strategy;

/// `Retry.DEFAULT_BACKOFF_MAX`.
const DEFAULT_BACKOFF_MAX: f64 = 120.0;

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
        d.reason(
            "status retries honour Retry-After without an upper bound; canonical hints are capped at retry_after_max",
        );
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
