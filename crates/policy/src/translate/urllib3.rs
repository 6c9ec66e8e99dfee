//! urllib3 1.26 and 2.x: `Retry(total=10, ..., backoff_factor=0, backoff_max=120, backoff_jitter=0.0,
//! retry_after_max=21600)`, `Retry.from_int(n)`, and requests' `HTTPAdapter(max_retries=n | Retry(...))`.
//!
//! Where the versions differ (proven against 1.26.20 and 2.6.3 by `tests/differential`):
//! - keywords: `method_whitelist` until 1.26 (2.0 removed it); `backoff_max` and `backoff_jitter` from 2.0;
//!   `retry_after_max` from 2.6. A keyword the version lacks makes `Retry()` raise `TypeError`, and 1.26 raises
//!   `ValueError` for `method_whitelist` together with `allowed_methods`: no policy exists then.
//! - the backoff cap: 1.26 caps at the class attribute `Retry.DEFAULT_BACKOFF_MAX` (120), 2.x at `backoff_max`.
//! - a server's Retry-After: slept without an upper bound before 2.6, up to `retry_after_max` (21600) from 2.6.

use super::{CallExpr, Draft, LiteralValue, Translation, Version};
use crate::strategy::Strategy;

/// `Retry.DEFAULT_BACKOFF_MAX`.
const DEFAULT_BACKOFF_MAX: f64 = 120.0;

/// `Retry.DEFAULT_RETRY_AFTER_MAX` (urllib3 >= 2.6).
const DEFAULT_RETRY_AFTER_MAX: f64 = 21600.0;

/// Keywords of `Retry.__init__` in 1.26 and every 2.x.
const KEYWORDS: &[&str] = &[
    "total",
    "connect",
    "read",
    "redirect",
    "status",
    "other",
    "allowed_methods",
    "status_forcelist",
    "backoff_factor",
    "raise_on_redirect",
    "raise_on_status",
    "history",
    "respect_retry_after_header",
    "remove_headers_on_redirect",
];

/// Keywords some versions lack: (keyword, first version with it, first version without it).
const VERSIONED: &[(&str, Version, Option<Version>)] = &[
    ("method_whitelist", (1, 0), Some((2, 0))),
    ("backoff_max", (2, 0), None),
    ("backoff_jitter", (2, 0), None),
    ("retry_after_max", (2, 6), None),
];

fn version_name(v: Version) -> String {
    format!("{}.{}", v.0, v.1)
}

/// `Retry.from_int(n)`: `Retry(total=n)`.
pub(super) fn translate_total(total: Option<&LiteralValue>, version: Option<Version>) -> Translation {
    let kwargs = total.map(|t| vec![("total".to_string(), t.clone())]).unwrap_or_default();
    translate(&CallExpr { func: "Retry".into(), args: vec![], kwargs }, version)
}

/// Keywords the version does not take (`Retry()` raises: no policy), or that only some versions take (named when
/// the version is not known).
fn keywords(call: &CallExpr, version: Option<Version>, d: &mut Draft) -> Result<(), String> {
    for (k, _) in &call.kwargs {
        if KEYWORDS.contains(&k.as_str()) {
            continue;
        }
        let Some(&(_, from, until)) = VERSIONED.iter().find(|(name, ..)| name == k) else {
            return Err(format!("`{k}` is not an argument of urllib3's Retry: Retry() raises TypeError"));
        };
        let range = match until {
            Some(u) => format!("urllib3 < {}", version_name(u)),
            None => format!("urllib3 >= {}", version_name(from)),
        };
        match version {
            Some(v) if v < from || until.is_some_and(|u| v >= u) => {
                return Err(format!(
                    "`{k}` is an argument of {range} only: urllib3 {}'s Retry() raises TypeError",
                    version_name(v)
                ))
            }
            Some(_) => {}
            None => d.reason(format!("`{k}` is an argument of {range} only (the others raise TypeError)")),
        }
    }
    let both = call.arg("method_whitelist", None).is_some() && call.arg("allowed_methods", None).is_some();
    if both && version.is_none_or(|v| v < (2, 0)) {
        return Err("method_whitelist and allowed_methods together: urllib3 1.26's Retry() raises ValueError".into());
    }
    Ok(())
}

/// What a server's Retry-After is bounded by, in this version.
fn retry_after_bound(call: &CallExpr, version: Option<Version>, d: &mut Draft) -> String {
    let cap = d.number(call, "retry_after_max", None, DEFAULT_RETRY_AFTER_MAX);
    match version {
        Some(v) if v >= (2, 6) => format!("up to {cap} s (retry_after_max)"),
        Some(v) => format!("without an upper bound (urllib3 {})", version_name(v)),
        None => format!("up to {cap} s in urllib3 >= 2.6 (retry_after_max), without an upper bound before"),
    }
}

/// requests `HTTPAdapter(max_retries=...)`: a `Retry(...)` is used as given, a number `n` becomes
/// `Retry.from_int(n)`; without it (or 0) requests makes one attempt (`Retry(0, read=False)`).
pub(super) fn translate_adapter(call: &CallExpr, version: Option<Version>) -> Translation {
    match call.arg("max_retries", Some(2)) {
        Some(LiteralValue::Call(retry)) if super::last(&retry.func) == "Retry" => translate(retry, version),
        Some(LiteralValue::Call(retry)) if super::last(&retry.func) == "from_int" => {
            translate_total(retry.args.first().or(retry.arg("retries", None)), version)
        }
        Some(v) => translate_total(Some(v), version),
        None => translate_total(Some(&LiteralValue::Int(0)), version),
    }
}

pub(super) fn translate(call: &CallExpr, version: Option<Version>) -> Translation {
    let mut d = Draft::new();
    if let Err(why) = keywords(call, version, &mut d) {
        return Translation::Inexact { closest: None, reasons: vec![why] };
    }
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
        let bound = retry_after_bound(call, version, &mut d);
        d.reason(format!(
            "status retries sleep a server's Retry-After {bound}, whatever the backoff cap says; canonical hints are \
             capped at retry_after_max <= max_delay"
        ));
    }
    let factor = d.number(call, "backoff_factor", None, 0.0);
    // 1.26 has no backoff_max keyword: its cap is the class attribute.
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
