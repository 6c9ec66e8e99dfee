//! botocore: `Config(retries={"mode": "legacy" | "standard" | "adaptive", "max_attempts": N,
//! "total_max_attempts": M})`.
//!
//! `max_attempts` counts retries (attempts = N + 1), `total_max_attempts` counts the first call too and wins.
//! Standard and adaptive sleep `random() * min(2**(k-1), 20)` after failure k (canonical full jitter, base 1,
//! cap 20) and default to 3 attempts; legacy sleeps `random() * 2**(k-1)` uncapped and defaults to 5. Every
//! mode decides by the service's error codes (throttling, transient, 5xx), never by exception class, and
//! standard/adaptive spend a client-wide retry quota.

use super::{CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::{capped, Strategy};

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    let Some(LiteralValue::Dict(entries)) = call.arg("retries", None) else {
        d.reason(match call.arg("retries", None) {
            Some(v) => format!("retries={} is not a literal dict", v.source()),
            None => "no retries= (the retry mode and attempts come from AWS_RETRY_MODE / the config file)".into(),
        });
        return d.finish();
    };
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
    let default_attempts = if mode == "legacy" { 5.0 } else { 3.0 };
    let attempts = total.or(retries.map(|r| r + 1.0)).unwrap_or(default_attempts);
    d.spec.max_attempts = attempts.clamp(1.0, u32::MAX as f64) as u32;
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
        other => d.reason(format!("mode `{other}` is not legacy, standard or adaptive")),
    }
    if mode == "adaptive" {
        d.reason("adaptive mode adds a client-side rate limiter that delays requests after throttling errors");
    }
    d.reason(format!(
        "botocore ({mode} mode) retries by the service's error codes (throttling, transient, 5xx) and connection errors, \
         not by exception class{}",
        if mode == "legacy" { "" } else { ", and spends a client-wide retry quota" }
    ));
    for (k, _) in entries {
        if !matches!(k, LiteralValue::Str(s) if matches!(s.as_str(), "mode" | "max_attempts" | "total_max_attempts")) {
            d.reason(format!("unknown botocore retries key {}", k.source()));
        }
    }
    d.finish()
}
