//! Translation of third-party retry configurations into canonical policies.
//!
//! A codemod may only replace `@tenacity.retry(...)` (or backoff, stamina, urllib3 `Retry`) by the
//! canonical manager when the behaviour is provably the same. [`translate_call`] answers that for
//! arguments already parsed from Python source; [`translate_str`] parses a config as written in
//! code first. The result is [`Translation::Exact`] when attempt count, jitter-off delays, jitter
//! distribution, deadline rule and exception lists all match the library's documented (and, for
//! the pinned versions, source-verified) semantics, and [`Translation::Inexact`] otherwise, with
//! the closest canonical policy and one reason per difference.
//!
//! Library semantics used (tenacity 8-9.2, backoff 2.2, stamina 24-26, urllib3 1.26-2.6, google-api-core 2.x,
//! botocore legacy/standard/adaptive; proven against the pinned versions of `tests/requirements.txt` by
//! `tests/differential`):
//!
//! - tenacity `wait_exponential(multiplier, max, exp_base, min)`: delay after attempt k is
//!   `max(min, min(multiplier * exp_base**(k-1), max))`; `wait_random_exponential` draws
//!   `uniform(min, that)`; `stop_after_attempt(n)` counts the first call; `stop_before_delay` is
//!   the canonical deadline rule, `stop_after_delay` is not (it neither looks at the upcoming sleep
//!   nor clips it).
//! - backoff `expo(base, factor, max_value)` yields `factor * base**n` from n = 0 (so delay 1 is
//!   `factor`) capped at `max_value`; `fibo` yields 1, 1, 2, 3, ...; `jitter=full_jitter`
//!   (default) is `uniform(0, value)` applied after the cap, i.e. canonical full jitter (r = 1);
//!   `max_tries` counts the first call; `max_time` clips the last sleep to the time left and
//!   still runs one more attempt.
//! - stamina `retry(on, attempts=10, timeout=45, wait_initial=0.1, wait_max=5, wait_jitter=1,
//!   wait_exp_base=2)` is tenacity `wait_exponential_jitter` (additive jitter before the cap)
//!   with `stop_after_attempt | stop_after_delay`.
//! - urllib3 `Retry(total, backoff_factor, backoff_max=120, backoff_jitter=0)`: `total` counts
//!   retries; the sleep is 0 after the first error and `backoff_factor * 2**(n-1)` after the n-th
//!   consecutive error, plus `random() * backoff_jitter`, capped at `backoff_max`.

mod backoff;
mod botocore;
mod expr;
mod google;
mod stamina;
mod tenacity;
mod urllib3;
mod versions;

pub use expr::ParseError;
pub use versions::{Version, Versions};

use crate::policy::{PolicySpec, RetryPolicy};

/// A Python argument value as far as it is statically known.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    None,
    /// A (dotted) name: `backoff.expo`, `ConnectionError`.
    Name(String),
    Call(CallExpr),
    /// Tuple or list.
    Tuple(Vec<LiteralValue>),
    /// `{key: value}`.
    Dict(Vec<(LiteralValue, LiteralValue)>),
    /// `a | b`, `a + b` on non-numbers (numbers are folded by the parser).
    BinOp(Box<LiteralValue>, char, Box<LiteralValue>),
    /// Anything the caller could not evaluate (a variable, a lambda...); the text is for messages.
    Unknown(String),
}

/// A call: `wait_exponential(multiplier=0.5, max=30)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallExpr {
    pub func: String,
    pub args: Vec<LiteralValue>,
    pub kwargs: Vec<(String, LiteralValue)>,
}

impl LiteralValue {
    /// A number, including `datetime.timedelta(...)` in seconds.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            LiteralValue::Int(i) => Some(*i as f64),
            LiteralValue::Float(f) => Some(*f),
            LiteralValue::Call(c) if last(&c.func) == "timedelta" => {
                let unit = |k: &str| match k {
                    "days" => Some(86400.0),
                    "hours" => Some(3600.0),
                    "minutes" => Some(60.0),
                    "seconds" => Some(1.0),
                    "milliseconds" => Some(0.001),
                    "microseconds" => Some(0.000001),
                    _ => None,
                };
                let mut total = match c.args.first() {
                    Some(v) => v.as_number()? * 86400.0,
                    None => 0.0,
                };
                for (k, v) in &c.kwargs {
                    total += unit(k)? * v.as_number()?;
                }
                Some(total)
            }
            _ => None,
        }
    }

    /// Exception class names: a class name or a (nested) tuple of them. A name that is not spelled as a
    /// class (`should_retry`, a predicate; `RETRYABLE`, a constant holding a tuple) is not one.
    pub fn as_names(&self) -> Option<Vec<String>> {
        match self {
            LiteralValue::Name(n) if is_class_name(n) => Some(vec![n.clone()]),
            LiteralValue::Tuple(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(item.as_names()?);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// Python-ish source text, for messages.
    pub fn source(&self) -> String {
        match self {
            LiteralValue::Int(i) => i.to_string(),
            LiteralValue::Float(f) => f.to_string(),
            LiteralValue::Str(s) => format!("{s:?}"),
            LiteralValue::Bool(b) => if *b { "True" } else { "False" }.into(),
            LiteralValue::None => "None".into(),
            LiteralValue::Name(n) | LiteralValue::Unknown(n) => n.clone(),
            LiteralValue::Call(c) => c.source(),
            LiteralValue::Tuple(items) => {
                format!("({})", items.iter().map(|i| i.source()).collect::<Vec<_>>().join(", "))
            }
            LiteralValue::BinOp(a, op, b) => format!("{} {op} {}", a.source(), b.source()),
            LiteralValue::Dict(entries) => format!(
                "{{{}}}",
                entries.iter().map(|(k, v)| format!("{}: {}", k.source(), v.source())).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

impl CallExpr {
    /// Argument by keyword, or by position when the function takes it positionally.
    pub fn arg(&self, name: &str, position: Option<usize>) -> Option<&LiteralValue> {
        self.kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v).or_else(|| position.and_then(|p| self.args.get(p)))
    }

    pub fn source(&self) -> String {
        let mut parts: Vec<String> = self.args.iter().map(|a| a.source()).collect();
        parts.extend(self.kwargs.iter().map(|(k, v)| format!("{k}={}", v.source())));
        format!("{}({})", self.func, parts.join(", "))
    }
}

/// A class as Python code names one: CapWords (`ConnectionError`, `httpx.HTTPError`, `OSError`).
fn is_class_name(name: &str) -> bool {
    let last = last(name);
    last.starts_with(|c: char| c.is_ascii_uppercase()) && last.chars().any(|c| c.is_ascii_lowercase())
}

/// tenacity's and stamina's `attempt_number >= n`: the number of attempts a limit `n` allows (at least 1).
pub(crate) fn attempt_limit(n: f64) -> u32 {
    n.ceil().clamp(1.0, u32::MAX as f64) as u32
}

/// The last component of a dotted name.
pub(crate) fn last(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Translation {
    /// This canonical policy behaves exactly like the library config.
    Exact(RetryPolicy),
    /// No canonical policy does; `closest` (when one can be built) and why it differs.
    Inexact { closest: Option<RetryPolicy>, reasons: Vec<String> },
}

impl Translation {
    pub fn is_exact(&self) -> bool {
        matches!(self, Translation::Exact(_))
    }
    /// The exact policy or the closest one.
    pub fn policy(&self) -> Option<&RetryPolicy> {
        match self {
            Translation::Exact(p) => Some(p),
            Translation::Inexact { closest, .. } => closest.as_ref(),
        }
    }
    pub fn reasons(&self) -> &[String] {
        match self {
            Translation::Exact(_) => &[],
            Translation::Inexact { reasons, .. } => reasons,
        }
    }
}

/// A translation plus the library it was recognised as.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub library: &'static str,
    pub translation: Translation,
}

/// A policy under construction plus the differences found so far.
pub(crate) struct Draft {
    pub spec: PolicySpec,
    pub reasons: Vec<String>,
}

impl Draft {
    pub fn new() -> Self {
        Draft { spec: PolicySpec { total_timeout: None, ..PolicySpec::default() }, reasons: Vec::new() }
    }

    pub fn reason(&mut self, r: impl Into<String>) {
        self.reasons.push(r.into());
    }

    /// A number argument, or a reason when it is present but not a number.
    pub fn number(&mut self, call: &CallExpr, name: &str, position: Option<usize>, default: f64) -> f64 {
        match call.arg(name, position) {
            None => default,
            Some(v) => v.as_number().unwrap_or_else(|| {
                self.reason(format!(
                    "{name}={} in {} is not a literal number; used the default {default}",
                    v.source(),
                    call.func
                ));
                default
            }),
        }
    }

    /// Unbounded attempts: represented by the largest count, and never exact.
    pub fn unbounded_attempts(&mut self, why: &str) {
        self.spec.max_attempts = u32::MAX;
        self.reason(format!("{why}; a canonical policy has a finite max_attempts (closest uses {})", u32::MAX));
    }

    pub fn finish(mut self) -> Translation {
        if self.spec.base_delay > self.spec.max_delay {
            // The library clamps every delay to the cap; the canonical spelling of that is fixed.
            self.spec.base_delay = self.spec.max_delay;
            self.spec.strategy = crate::strategy::Strategy::Fixed;
        }
        match RetryPolicy::new(self.spec) {
            Ok(p) if self.reasons.is_empty() => Translation::Exact(p),
            Ok(p) => Translation::Inexact { closest: Some(p), reasons: self.reasons },
            Err(e) => {
                self.reasons.push(format!("no valid canonical policy: {e}"));
                Translation::Inexact { closest: None, reasons: self.reasons }
            }
        }
    }
}

fn unknown(reason: String) -> Translation {
    Translation::Inexact { closest: None, reasons: vec![reason] }
}

/// Translates a decorator / constructor call whose arguments were parsed from source.
///
/// `library` is one of [`LIBRARIES`]; `func` the called name (dotted or not): tenacity
/// `retry`/`Retrying`/`AsyncRetrying`, backoff `on_exception`/`on_predicate`, stamina `retry`/`retry_context`,
/// urllib3 `Retry`/`Retry.from_int`, google-api-core `Retry`/`AsyncRetry`, requests `HTTPAdapter`, botocore
/// `Config`.
///
/// The library's version is not known: where versions differ the translation names it. [`translate_call_in`]
/// takes known versions.
pub fn translate_call(
    library: &str,
    func: &str,
    args: &[LiteralValue],
    kwargs: &[(String, LiteralValue)],
) -> Translation {
    translate_call_in(library, func, args, kwargs, &Versions::default())
}

/// [`translate_call`] for known library versions.
pub fn translate_call_in(
    library: &str,
    func: &str,
    args: &[LiteralValue],
    kwargs: &[(String, LiteralValue)],
    versions: &Versions,
) -> Translation {
    let call = CallExpr { func: func.to_string(), args: args.to_vec(), kwargs: kwargs.to_vec() };
    let urllib3 = versions.urllib3;
    match (library, last(func)) {
        ("tenacity", "retry" | "Retrying" | "AsyncRetrying") => tenacity::translate(&call),
        ("backoff", "on_exception" | "on_predicate") => backoff::translate(&call),
        ("stamina", "retry" | "retry_context") => stamina::translate(&call),
        ("urllib3", "Retry") => urllib3::translate(&call, urllib3),
        ("urllib3", "from_int") => urllib3::translate_total(call.args.first().or(call.arg("retries", None)), urllib3),
        ("google-api-core", "Retry" | "AsyncRetry") => google::translate(&call),
        ("requests", "HTTPAdapter") => urllib3::translate_adapter(&call, urllib3),
        ("botocore", "Config") => botocore::translate(&call),
        _ => unknown(format!("`{library}.{}` is not a retry configuration this engine knows", last(func))),
    }
}

pub(crate) const STAMINA_KWARGS: &[&str] =
    &["on", "attempts", "timeout", "wait_initial", "wait_max", "wait_jitter", "wait_exp_base"];

/// Which library a call belongs to, from its name and keywords.
fn detect(call: &CallExpr) -> Option<&'static str> {
    let f = call.func.as_str();
    let kw = |names: &[&str]| call.kwargs.iter().any(|(k, _)| names.contains(&k.as_str()));
    match last(f) {
        "on_exception" | "on_predicate" => Some("backoff"),
        "retry_context" => Some("stamina"),
        "Retry" if kw(&["initial", "maximum", "predicate", "deadline", "on_error"]) => Some("google-api-core"),
        "AsyncRetry" => Some("google-api-core"),
        "Retry" | "from_int" => Some("urllib3"),
        "HTTPAdapter" => Some("requests"),
        "Config" if kw(&["retries"]) => Some("botocore"),
        "Retrying" | "AsyncRetrying" => Some("tenacity"),
        "retry" if f.starts_with("stamina") || kw(STAMINA_KWARGS) => Some("stamina"),
        "retry" => Some("tenacity"),
        _ => None,
    }
}

/// The libraries [`translate_call`] knows, by the names callers give them.
pub const LIBRARIES: &[&str] =
    &["tenacity", "backoff", "stamina", "urllib3", "google-api-core", "requests", "botocore"];

/// `translate_str` for a config whose library is known (the scan resolved its import): `Retry(...)` is
/// urllib3's in one file and google-api-core's in another, and only the import says which.
pub fn translate_str_as(library: &str, src: &str) -> Result<Translated, ParseError> {
    translate_str_in(library, src, &Versions::default())
}

/// [`translate_str_as`] for known library versions (`urllib3` 1.26 or 2.x under `Retry` and `HTTPAdapter`).
pub fn translate_str_in(library: &str, src: &str, versions: &Versions) -> Result<Translated, ParseError> {
    let Some(&library) = LIBRARIES.iter().find(|l| **l == library) else {
        let reason = format!("no translation of `{library}` configurations onto the canonical policy");
        return Ok(Translated { library: "unknown", translation: unknown(reason) });
    };
    let text = src.trim().trim_start_matches('@');
    let items = expr::parse_items(text)?;
    match items.as_slice() {
        [expr::Item::Positional(LiteralValue::Call(call))] => Ok(Translated {
            library,
            translation: translate_call_in(library, &call.func, &call.args, &call.kwargs, versions),
        }),
        _ => translate_str(src),
    }
}

/// Parses and translates a config as written in code: a decorator call
/// (`@retry(stop=..., wait=...)`, `backoff.on_exception(backoff.expo, OSError, max_tries=5)`,
/// `stamina.retry(on=OSError)`, `Retry(total=3, backoff_factor=0.5)`), or a bare list of tenacity
/// components, with keywords (`stop_after_attempt(5), wait_exponential(multiplier=0.5, max=30), reraise=True`).
pub fn translate_str(src: &str) -> Result<Translated, ParseError> {
    let text = src.trim().trim_start_matches('@');
    let items = expr::parse_items(text)?;
    if let [expr::Item::Positional(LiteralValue::Call(call))] = items.as_slice() {
        if let Some(library) = detect(call) {
            let translation = translate_call(library, &call.func, &call.args, &call.kwargs);
            return Ok(Translated { library, translation });
        }
    }
    // A list of tenacity components and/or keyword arguments of tenacity.retry.
    let mut kwargs: Vec<(String, LiteralValue)> = Vec::new();
    for item in items {
        let (key, value) = match item {
            expr::Item::Keyword(k, v) => (k, v),
            expr::Item::Positional(v) => {
                let Some(key) = tenacity::component_kind(&v) else {
                    return Ok(Translated {
                        library: "unknown",
                        translation: unknown(format!(
                            "`{}` is not a tenacity stop_/wait_/retry_ component or a known decorator",
                            v.source()
                        )),
                    });
                };
                (key.to_string(), v)
            }
        };
        match kwargs.iter_mut().find(|(k, _)| *k == key) {
            // Two stops in a list mean "stop at whichever comes first", as `|` does.
            Some((_, existing)) if key == "stop" => {
                *existing = LiteralValue::BinOp(Box::new(existing.clone()), '|', Box::new(value))
            }
            Some(_) => {
                return Ok(Translated { library: "tenacity", translation: unknown(format!("`{key}` is given twice")) });
            }
            None => kwargs.push((key, value)),
        }
    }
    Ok(Translated { library: "tenacity", translation: translate_call("tenacity", "retry", &[], &kwargs) })
}
