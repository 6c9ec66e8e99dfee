//! google-api-core 2.x: `Retry(predicate=if_transient_error, initial=1.0, maximum=60.0, multiplier=2.0,
//! timeout=120.0, on_error=None, deadline=None)` (and `AsyncRetry`, the same knobs).
//!
//! Sleep k is `uniform(0, min(initial * multiplier**(k-1), maximum))` (canonical full jitter); there is no
//! attempt limit: the loop stops when `now + next sleep > deadline` and then raises
//! `google.api_core.exceptions.RetryError`, never interrupting a running attempt.

use super::tenacity::{cancellation_reason, catches_cancellation};
use super::{last, CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::Strategy;

/// `if_transient_error`: what the default predicate retries.
const TRANSIENT: &[&str] = &[
    "google.api_core.exceptions.InternalServerError",
    "google.api_core.exceptions.TooManyRequests",
    "google.api_core.exceptions.ServiceUnavailable",
];

const KEYWORDS: &[&str] = &["predicate", "initial", "maximum", "multiplier", "timeout", "deadline", "on_error"];

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    for (k, v) in &call.kwargs {
        match k.as_str() {
            "on_error" if *v == LiteralValue::None => {}
            "on_error" => d.reason(format!(
                "on_error={} runs code on every retryable error; the canonical config has no hook, so it would be dropped",
                v.source()
            )),
            k if KEYWORDS.contains(&k) => {}
            other => d.reason(format!("unknown google-api-core Retry argument `{other}`")),
        }
    }
    predicate(&mut d, call.arg("predicate", Some(0)));
    let initial = d.number(call, "initial", Some(1), 1.0);
    let maximum = d.number(call, "maximum", Some(2), 60.0);
    let multiplier = d.number(call, "multiplier", Some(3), 2.0);
    super::tenacity::exponential(&mut d, initial, multiplier, maximum, &call.func);
    d.spec.strategy = Strategy::ExponentialJitter;
    d.spec.jitter_enabled = true;
    d.spec.jitter_range = 1.0;
    // `deadline` (deprecated) wins over `timeout` when given.
    let timeout = match call.arg("deadline", None).filter(|v| **v != LiteralValue::None) {
        Some(_) => Some(d.number(call, "deadline", None, 120.0)),
        None if call.arg("timeout", Some(4)) == Some(&LiteralValue::None) => None,
        None => Some(d.number(call, "timeout", Some(4), 120.0)),
    };
    d.unbounded_attempts("google-api-core Retry has no attempt limit: it retries until the timeout");
    match timeout {
        Some(t) if t > 0.0 => {
            d.spec.total_timeout = Some(t);
            d.reason(format!(
                "at the {t} s timeout it raises google.api_core.exceptions.RetryError (canonical: the last error); it stops \
                 when now + next sleep > timeout (canonical: >=) and never interrupts a running attempt (canonical: cut at \
                 the deadline)"
            ));
        }
        _ => d.reason("timeout=None: google-api-core retries forever"),
    }
    d.finish()
}

fn predicate(d: &mut Draft, v: Option<&LiteralValue>) {
    match v {
        None => {
            d.spec.retryable_exceptions = TRANSIENT.iter().map(|s| s.to_string()).collect();
            d.reason(
                "the default predicate if_transient_error retries only the API's InternalServerError, TooManyRequests and \
                 ServiceUnavailable (closest lists them)",
            );
        }
        Some(LiteralValue::Call(c)) if last(&c.func) == "if_exception_type" => {
            match LiteralValue::Tuple(c.args.clone()).as_names() {
                Some(names) if !names.is_empty() => {
                    if catches_cancellation(&names) {
                        d.reason(cancellation_reason(&format!("predicate={}", c.source())));
                    }
                    d.spec.retryable_exceptions = names;
                }
                _ => d.reason(format!("predicate={} does not name literal exception classes", c.source())),
            }
        }
        Some(LiteralValue::Name(n)) if last(n) == "if_transient_error" => predicate(d, None),
        Some(other) => d.reason(format!("predicate={} is code; express it as an error_classifier", other.source())),
    }
}
