//! botocore: `Config(retries={"mode": "legacy" | "standard" | "adaptive", "max_attempts": N,
//! "total_max_attempts": M})`.
//!
//! `max_attempts` counts retries (attempts = N + 1), `total_max_attempts` counts the first call too and wins;
//! a fraction rounds up (`attempt < total` in standard mode, `attempt >= max_attempts + 1` to stop in legacy).
//! Standard and adaptive sleep `random() * min(2**(k-1), 20)` after failure k (canonical full jitter, base 1,
//! cap 20) and default to 3 attempts; legacy sleeps `random() * 2**(k-1)` uncapped and defaults to 5. Every
//! mode decides by the service's error codes (throttling, transient, 5xx), never by exception class, and
//! ignores Retry-After; standard/adaptive spend a client-wide retry quota. `Config` refuses a retries key
//! other than those three, an unknown mode, `max_attempts < 0` and `total_max_attempts < 1`.
//! Proven against botocore 1.37.38's own client, endpoint loop and retry handlers by `tests/differential`.

use super::{CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::{capped, Strategy};

/// What `Config(retries=...)` refuses (it raises): no policy.
fn refused(why: String) -> Translation {
    Translation::Inexact { closest: None, reasons: vec![format!("botocore's Config raises: {why}")] }
}

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    let entries: &[(LiteralValue, LiteralValue)] = match call.arg("retries", None) {
        Some(LiteralValue::Dict(entries)) => entries,
        Some(v) => {
            d.reason(format!("retries={} is not a literal dict", v.source()));
            return d.finish();
        }
        // Every setting then comes from the defaults (or AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, the config file).
        None => {
            d.reason(
                "no retries=: the mode and attempts come from AWS_RETRY_MODE / AWS_MAX_ATTEMPTS / the config file",
            );
            &[]
        }
    };
    for (k, _) in entries {
        match k {
            LiteralValue::Str(s) if matches!(s.as_str(), "mode" | "max_attempts" | "total_max_attempts") => {}
            LiteralValue::Str(s) => {
                return refused(format!("\"{s}\" is not a retries key (mode, max_attempts, total_max_attempts)"))
            }
            other => d.reason(format!("retries key {} is not a literal string", other.source())),
        }
    }
    let get = |key: &str| entries.iter().find(|(k, _)| *k == LiteralValue::Str(key.into())).map(|(_, v)| v);
    let mode = match get("mode") {
        Some(LiteralValue::Str(m)) => m.clone(),
        Some(other) => {
            d.reason(format!("mode={} is not a literal string", other.source()));
            "legacy".into()
        }
        None => {
            d.reason("no mode: legacy unless AWS_RETRY_MODE or the config file says otherwise");
            "legacy".into()
        }
    };
    let number = |d: &mut Draft, key: &str| match get(key).map(|v| (v, v.as_number())) {
        Some((_, Some(n))) => Some(n),
        Some((v, None)) => {
            d.reason(format!("{key}={} is not a literal number", v.source()));
            None
        }
        None => None,
    };
    let total = number(&mut d, "total_max_attempts");
    let retries = number(&mut d, "max_attempts");
    if let Some(t) = total.filter(|t| *t < 1.0) {
        return refused(format!("total_max_attempts={t} is below 1"));
    }
    if let Some(r) = retries.filter(|r| *r < 0.0) {
        return refused(format!("max_attempts={r} is below 0"));
    }
    if !matches!(mode.as_str(), "legacy" | "standard" | "adaptive") {
        return refused(format!("mode `{mode}` is not legacy, standard or adaptive"));
    }
    let default_attempts = if mode == "legacy" { 5.0 } else { 3.0 };
    let attempts = total.or(retries.map(|r| r + 1.0)).unwrap_or(default_attempts);
    d.spec.max_attempts = super::attempt_limit(attempts);
    d.spec.strategy = Strategy::ExponentialJitter;
    d.spec.base_delay = 1.0;
    d.spec.multiplier = 2.0;
    d.spec.jitter_enabled = true;
    d.spec.jitter_range = 1.0;
    match mode.as_str() {
        "standard" | "adaptive" => d.spec.max_delay = 20.0,
        "legacy" => {
            // Uncapped: the largest delay the schedule reaches is an exact cap.
            let last_k = d.spec.max_attempts.saturating_sub(1).max(1) as u64;
            d.spec.max_delay = capped(Strategy::Exponential, 1.0, 2.0, f64::MAX, last_k);
        }
        _ => unreachable!("modes are checked above"),
    }
    if mode == "adaptive" {
        d.reason("adaptive mode adds a client-side rate limiter that delays requests after throttling errors");
    }
    d.reason(format!(
        "botocore ({mode} mode) retries by the service's error codes (throttling, transient, 5xx) and connection errors, \
         not by exception class, and ignores Retry-After{}",
        if mode == "legacy" { "" } else { "; it spends a client-wide retry quota" }
    ));
    if mode == "legacy" {
        d.reason("legacy mode reads per-service defaults: DynamoDB sleeps from a 0.05 s base and makes 10 attempts by default");
    }
    for timeout in ["connect_timeout", "read_timeout"] {
        if let Some(v) = call.arg(timeout, None) {
            d.reason(format!(
                "{timeout}={} bounds each socket wait of an attempt (canonical operation_timeout bounds a whole attempt; \
                 closest has none)",
                v.source()
            ));
        }
    }
    d.finish()
}
