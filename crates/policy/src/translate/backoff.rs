//! backoff 2.2: `on_exception(wait_gen, exception, *, max_tries, max_time, jitter, giveup, **wait_gen_kwargs)`.

use super::{last, CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::{capped, Strategy};

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    if last(&call.func) == "on_predicate" {
        d.reason("on_predicate retries on return values, not exceptions; the canonical policy retries exceptions");
    }
    keywords(&mut d, call);
    match call.arg("exception", Some(1)).map(|v| v.as_names()) {
        Some(Some(names)) => {
            if super::tenacity::catches_cancellation(&names) {
                d.reason(super::tenacity::cancellation_reason(&format!("exception={}", names.join(", "))));
            }
            d.spec.retryable_exceptions = names
        }
        Some(None) => d.reason("the exception argument is not a literal class or tuple of classes"),
        None if last(&call.func) == "on_exception" => d.reason("on_exception without an exception argument"),
        None => {}
    }
    match call.arg("max_tries", None) {
        None | Some(LiteralValue::None) => {
            d.unbounded_attempts("no max_tries: backoff retries without an attempt limit")
        }
        Some(v) => match v.as_number() {
            // `tries == max_tries`: a fraction is never reached.
            Some(n) if n >= 1.0 && n.fract() == 0.0 => d.spec.max_attempts = n.min(u32::MAX as f64) as u32,
            _ => d.unbounded_attempts(&format!("max_tries={} never equals the try count", v.source())),
        },
    }
    if let Some(v) = call.arg("max_time", None).filter(|v| **v != LiteralValue::None) {
        match v.as_number() {
            Some(t) => {
                d.spec.total_timeout = Some(t);
                d.reason(format!(
                    "max_time={t}: backoff clips the last sleep to the time left and still makes one more attempt at about \
                     {t} s; canonical total_timeout stops before a sleep that would reach it"
                ));
            }
            None => d.reason(format!("max_time={} is not a literal number", v.source())),
        }
    }
    if let Some(g) = call.arg("giveup", None) {
        d.reason(format!("giveup={} is code; express it as an error_classifier", g.source()));
    }
    let wait_gen = call.arg("wait_gen", Some(0));
    let gen_name = match wait_gen {
        Some(LiteralValue::Name(n)) => last(n).to_string(),
        Some(other) => {
            d.reason(format!("wait_gen={} is not backoff.expo, backoff.fibo or backoff.constant", other.source()));
            return d.finish();
        }
        None => {
            d.reason("no wait generator");
            return d.finish();
        }
    };
    let max_value = call.arg("max_value", None).filter(|v| **v != LiteralValue::None);
    let cap = max_value.and_then(|v| v.as_number());
    match gen_name.as_str() {
        "expo" => {
            let base = d.number(call, "base", None, 2.0);
            let factor = d.number(call, "factor", None, 1.0);
            // expo yields factor * base**n from n = 0: delay 1 is `factor`.
            super::tenacity::exponential(&mut d, factor, base, f64::MAX, "backoff.expo");
        }
        "fibo" => {
            d.spec.strategy = Strategy::Fibonacci;
            d.spec.base_delay = 1.0;
        }
        "constant" => match call.arg("interval", None) {
            None => fixed(&mut d, 1.0),
            Some(v) => match v.as_number() {
                Some(i) => fixed(&mut d, i),
                None => d.reason(format!("constant(interval={}) is not one number", v.source())),
            },
        },
        other => d.reason(format!("wait_gen `{other}` is not backoff.expo, backoff.fibo or backoff.constant")),
    }
    match cap {
        Some(c) => d.spec.max_delay = c,
        None if max_value.is_some() => d.reason("max_value is not a literal number"),
        None if d.spec.strategy != Strategy::Fixed => {
            // No cap: the largest delay the (finite) schedule reaches is an exact cap.
            let s = &d.spec;
            let last_k = s.max_attempts.saturating_sub(1).max(1) as u64;
            let reach = if s.max_attempts == u32::MAX {
                f64::MAX
            } else {
                capped(s.strategy, s.base_delay, s.multiplier, f64::MAX, last_k)
            };
            d.spec.max_delay = reach;
        }
        None => {}
    }
    jitter(&mut d, call.arg("jitter", None));
    d.finish()
}

/// The keywords of `on_exception`/`on_predicate` (backoff 2.x) and of each wait generator; anything else is
/// a difference to name (a keyword the generator does not take is a TypeError at the first retry).
fn keywords(d: &mut Draft, call: &CallExpr) {
    let generator = call.arg("wait_gen", Some(0)).map(|v| match v {
        LiteralValue::Name(n) => last(n).to_string(),
        other => other.source(),
    });
    let generator_keywords: &[&str] = match generator.as_deref() {
        Some("expo") => &["base", "factor", "max_value"],
        Some("fibo") => &["max_value"],
        Some("constant") => &["interval"],
        _ => &[],
    };
    for (k, v) in &call.kwargs {
        match k.as_str() {
            "wait_gen" | "exception" | "max_tries" | "max_time" | "jitter" | "giveup" => {}
            // backoff's own logging: the canonical manager logs its retries too.
            "logger" | "backoff_log_level" | "giveup_log_level" => {}
            "on_success" | "on_backoff" | "on_giveup" if is_no_handler(v) => {}
            "on_success" | "on_backoff" | "on_giveup" => d.reason(format!(
                "{k}={} runs code on every retry event; the canonical config has no hook, so it would be dropped",
                v.source()
            )),
            "raise_on_giveup" if *v == LiteralValue::Bool(true) => {}
            "raise_on_giveup" => d.reason(format!(
                "raise_on_giveup={} returns None when attempts run out; the canonical manager raises the last error",
                v.source()
            )),
            k if generator_keywords.contains(&k) => {}
            other => d.reason(format!(
                "unknown backoff argument `{other}` (passed to the wait generator, which does not take it)"
            )),
        }
    }
}

fn is_no_handler(v: &LiteralValue) -> bool {
    matches!(v, LiteralValue::None) || matches!(v, LiteralValue::Tuple(items) if items.is_empty())
}

fn fixed(d: &mut Draft, w: f64) {
    d.spec.strategy = Strategy::Fixed;
    d.spec.base_delay = w;
    d.spec.max_delay = w;
}

fn jitter(d: &mut Draft, v: Option<&LiteralValue>) {
    let name = match v {
        None => "full_jitter".to_string(),
        Some(LiteralValue::None) => return,
        Some(LiteralValue::Name(n)) => last(n).to_string(),
        Some(other) => {
            d.reason(format!("jitter={} is code; canonical jitter is c * (1 - r*u)", other.source()));
            return;
        }
    };
    match name.as_str() {
        // uniform(0, value) after the cap == canonical full jitter (r = 1).
        "full_jitter" => {
            d.spec.jitter_enabled = true;
            d.spec.jitter_range = 1.0;
            if d.spec.strategy == Strategy::Exponential {
                d.spec.strategy = Strategy::ExponentialJitter;
            }
        }
        "random_jitter" => d.reason(
            "jitter=random_jitter adds up to 1 s to every delay (and can exceed max_value); canonical jitter is \
             multiplicative and never exceeds the cap (closest has no jitter)",
        ),
        other => d.reason(format!("jitter={other} is code; canonical jitter is c * (1 - r*u)")),
    }
}
