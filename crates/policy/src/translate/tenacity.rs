//! tenacity 9.x: `retry(stop=..., wait=..., retry=...)`.

use super::{last, CallExpr, Draft, LiteralValue, Translation};
use crate::strategy::Strategy;

/// `tenacity._utils.MAX_WAIT` (`sys.maxsize / 2`), the default `max` of every wait.
pub const MAX_WAIT: f64 = 4_611_686_018_427_387_904.0;

/// `stop`, `wait` or `retry` for a bare component, by its leftmost call name.
pub(super) fn component_kind(v: &LiteralValue) -> Option<&'static str> {
    match v {
        LiteralValue::Call(c) => kind_of(&c.func),
        LiteralValue::Name(n) => kind_of(n),
        LiteralValue::BinOp(a, _, _) => component_kind(a),
        _ => None,
    }
}

fn kind_of(func: &str) -> Option<&'static str> {
    let f = last(func);
    if f.starts_with("stop_") {
        Some("stop")
    } else if f.starts_with("wait_") {
        Some("wait")
    } else if f.starts_with("retry_") {
        Some("retry")
    } else {
        None
    }
}

pub(super) fn translate(call: &CallExpr) -> Translation {
    let mut d = Draft::new();
    d.spec.retryable_exceptions = vec!["Exception".into()];
    if !call.args.is_empty() {
        // `Retrying(sleep, stop, wait, ...)` positionally, or `retry(func)`: not a configuration we can read.
        d.reason(format!("{} takes its configuration by keyword; positional arguments are not read", call.func));
    }
    for (k, v) in &call.kwargs {
        match k.as_str() {
            "stop" | "wait" | "retry" | "reraise" => {}
            "before" | "after" | "before_sleep" if is_no_hook(v) => {}
            "before" | "after" | "before_sleep" => d.reason(format!(
                "{k}={} runs code around every attempt; the canonical config has no hook, so it would be dropped",
                v.source()
            )),
            "retry_error_callback" if *v == LiteralValue::None => {}
            "retry_error_callback" => d.reason(format!(
                "retry_error_callback={} returns its own value when attempts run out; the canonical manager raises",
                v.source()
            )),
            "retry_error_cls" => d.reason(format!(
                "retry_error_cls={} is raised when attempts run out; the canonical manager raises the last error",
                v.source()
            )),
            "sleep" => d.reason(format!(
                "sleep={} replaces the sleep function; the canonical engine owns sleeping{}",
                v.source(),
                sleep_mismatch(&v.source())
            )),
            other => d.reason(format!("unknown tenacity argument `{other}`")),
        }
    }
    match call.arg("reraise", None) {
        Some(LiteralValue::Bool(true)) => {}
        Some(v @ LiteralValue::Bool(false)) | Some(v @ LiteralValue::None) => d.reason(format!(
            "reraise={} raises tenacity.RetryError when attempts run out; the canonical manager raises the last error \
             (exact only with reraise=True)",
            v.source()
        )),
        None => d.reason(
            "without reraise=True tenacity raises tenacity.RetryError when attempts run out; the canonical manager raises \
             the last error",
        ),
        Some(v) => d.reason(format!("reraise={} is not a literal bool", v.source())),
    }
    stop(&mut d, call.arg("stop", None));
    wait(&mut d, call.arg("wait", None));
    retry(&mut d, call.arg("retry", None));
    d.finish()
}

/// `None` or tenacity's own do-nothing hooks.
fn is_no_hook(v: &LiteralValue) -> bool {
    match v {
        LiteralValue::None => true,
        LiteralValue::Name(n) => matches!(last(n), "before_nothing" | "after_nothing" | "before_sleep_nothing"),
        _ => false,
    }
}

fn flatten<'a>(v: &'a LiteralValue, op: char, any_fn: &str, out: &mut Vec<&'a LiteralValue>) {
    match v {
        LiteralValue::BinOp(a, o, b) if *o == op => {
            flatten(a, op, any_fn, out);
            flatten(b, op, any_fn, out);
        }
        LiteralValue::Call(c) if last(&c.func) == any_fn => c.args.iter().for_each(|a| flatten(a, op, any_fn, out)),
        other => out.push(other),
    }
}

fn stop(d: &mut Draft, v: Option<&LiteralValue>) {
    let mut conditions = Vec::new();
    if let Some(v) = v {
        flatten(v, '|', "stop_any", &mut conditions);
    }
    let mut attempts: Option<u32> = None;
    for c in conditions {
        let call = match c {
            LiteralValue::Call(call) => call,
            LiteralValue::Name(n) if last(n) == "stop_never" => continue,
            other => {
                d.reason(format!("stop={} is not a tenacity stop condition this engine can read", other.source()));
                continue;
            }
        };
        match last(&call.func) {
            "stop_after_attempt" => {
                let n = d.number(call, "max_attempt_number", Some(0), 3.0);
                // attempt_number >= n: n = 0 stops after the first attempt too, 2.5 after the third.
                let n = super::attempt_limit(n);
                attempts = Some(attempts.map_or(n, |a| a.min(n)));
            }
            "stop_before_delay" => {
                let t = d.number(call, "max_delay", Some(0), 0.0);
                d.spec.total_timeout = Some(d.spec.total_timeout.map_or(t, |x| x.min(t)));
                d.reason(format!(
                    "stop_before_delay({t}) never interrupts an attempt: one still running at {t} s finishes (and may \
                     succeed); canonical total_timeout cuts the attempt at the deadline"
                ));
            }
            "stop_after_delay" => {
                let t = d.number(call, "max_delay", Some(0), 0.0);
                d.spec.total_timeout = Some(d.spec.total_timeout.map_or(t, |x| x.min(t)));
                d.reason(format!(
                    "stop_after_delay({t}) is checked after an attempt fails and ignores the upcoming sleep, so tenacity can \
                     sleep past {t} s and start another attempt; canonical total_timeout stops before a sleep that would \
                     reach it (tenacity's stop_before_delay)"
                ));
            }
            "stop_all" => d.reason("stop_all (stop when every condition holds) has no canonical equivalent"),
            other => d.reason(format!("{other} is not a stop condition the canonical policy has")),
        }
    }
    match attempts {
        Some(n) => d.spec.max_attempts = n,
        None => d.unbounded_attempts("no stop_after_attempt: tenacity retries without an attempt limit"),
    }
}

fn wait(d: &mut Draft, v: Option<&LiteralValue>) {
    let call = match v {
        None => return zero(d),
        Some(LiteralValue::Name(n)) if last(n) == "wait_none" => return zero(d),
        Some(LiteralValue::Call(c)) => c,
        Some(LiteralValue::BinOp(_, '+', _)) => {
            d.reason(format!(
                "wait={} sums several waits; canonical delays come from one strategy",
                v.map(|v| v.source()).unwrap_or_default()
            ));
            return;
        }
        Some(other) => {
            d.reason(format!("wait={} is not a tenacity wait this engine can read", other.source()));
            return;
        }
    };
    match last(&call.func) {
        "wait_none" => zero(d),
        "wait_fixed" => {
            let w = d.number(call, "wait", Some(0), 0.0);
            fixed(d, w);
        }
        "wait_random" => {
            let lo = d.number(call, "min", Some(0), 0.0);
            let hi = d.number(call, "max", Some(1), 1.0);
            // uniform(lo, hi) = hi * (1 - r*u) with r = (hi - lo) / hi.
            fixed(d, hi);
            if hi > 0.0 && lo < hi {
                d.spec.jitter_enabled = true;
                d.spec.jitter_range = (hi - lo) / hi;
            }
            if lo > hi {
                d.reason(format!("wait_random(min={lo}, max={hi}) has min > max"));
            }
        }
        "wait_exponential" | "wait_random_exponential" => {
            let random = last(&call.func) == "wait_random_exponential";
            let multiplier = d.number(call, "multiplier", Some(0), 1.0);
            let max = d.number(call, "max", Some(1), MAX_WAIT);
            let exp_base = d.number(call, "exp_base", Some(2), 2.0);
            let min = d.number(call, "min", Some(3), 0.0);
            exponential(d, multiplier, exp_base, max, &call.func);
            floor(d, min, multiplier, max);
            if random {
                if min > 0.0 {
                    d.reason(format!(
                        "wait_random_exponential(min={min}) draws uniform(min, c): its spread is not a fixed fraction of c, \
                         canonical jitter is c * (1 - r*u)"
                    ));
                }
                d.spec.strategy = Strategy::ExponentialJitter;
                d.spec.jitter_enabled = true;
                d.spec.jitter_range = 1.0;
            }
        }
        "wait_exponential_jitter" => {
            // tenacity >= 9.2: `multiplier` (default 1) with `initial` a deprecated alias that wins when it is not 1,
            // and a `min` floor; before 9.2 only `initial, max, exp_base, jitter` (the others are a TypeError there,
            // so code that passes them runs 9.2 or later).
            let initial = d.number(call, "initial", Some(0), 1.0);
            let max = d.number(call, "max", Some(1), MAX_WAIT);
            let exp_base = d.number(call, "exp_base", Some(2), 2.0);
            let jitter = d.number(call, "jitter", Some(3), 1.0);
            let min = d.number(call, "min", Some(4), 0.0);
            let multiplier = d.number(call, "multiplier", Some(5), 1.0);
            if initial != 1.0 && multiplier != 1.0 {
                d.reason("wait_exponential_jitter rejects initial= and multiplier= together (ValueError)");
            }
            let base = if initial != 1.0 { initial } else { multiplier };
            exponential(d, base, exp_base, max, &call.func);
            floor(d, min, base, max);
            if jitter != 0.0 {
                d.reason(additive_jitter(&format!("wait_exponential_jitter(jitter={jitter})"), jitter));
            }
        }
        "wait_incrementing" => {
            let start = d.number(call, "start", Some(0), 0.0);
            let inc = d.number(call, "increment", Some(1), 100.0);
            let max = d.number(call, "max", Some(2), MAX_WAIT);
            d.spec.max_delay = max.max(0.0);
            if inc == 0.0 {
                fixed(d, start.clamp(0.0, max));
                d.spec.max_delay = max.max(0.0);
            } else {
                d.spec.strategy = Strategy::Linear;
                d.spec.base_delay = inc;
                if start != inc {
                    d.reason(format!(
                        "wait_incrementing(start={start}, increment={inc}) waits {start}, {}, ...; canonical linear waits b, 2b, ... \
                         (equal only when start == increment)",
                        start + inc
                    ));
                }
            }
        }
        "wait_chain" => d.reason("wait_chain switches strategies per attempt; canonical delays come from one strategy"),
        "wait_combine" => d.reason("wait_combine sums several waits; canonical delays come from one strategy"),
        other => d.reason(format!("{other} is not a wait the canonical policy has")),
    }
}

/// tenacity's `min` floor on an exponential wait: no effect while it is below delay 1 (delays only grow).
fn floor(d: &mut Draft, min: f64, base: f64, max: f64) {
    if min > base.min(max) {
        d.reason(format!(
            "min={min} raises the first delays to {min} (tenacity clamps to [min, max]); canonical delay 1 is base_delay"
        ));
        d.spec.base_delay = min.min(max);
    }
}

/// The "full jitter vs additive jitter" explanation shared by tenacity and stamina.
pub(super) fn additive_jitter(what: &str, jitter: f64) -> String {
    format!(
        "{what} adds uniform(0, {jitter}) seconds before the cap, so delays exceed the exponential value and pile up at max; \
         canonical jitter is multiplicative and applied after the cap (closest drops the additive jitter)"
    )
}

fn zero(d: &mut Draft) {
    fixed(d, 0.0)
}

fn fixed(d: &mut Draft, w: f64) {
    d.spec.strategy = Strategy::Fixed;
    d.spec.base_delay = w;
    d.spec.max_delay = w;
}

/// `max(0, min(b * m**(k-1), max))` with `m >= 1`.
pub(super) fn exponential(d: &mut Draft, base: f64, exp_base: f64, max: f64, func: &str) {
    d.spec.strategy = Strategy::Exponential;
    d.spec.base_delay = base;
    d.spec.multiplier = exp_base;
    d.spec.max_delay = max;
    if exp_base < 1.0 {
        d.reason(format!(
            "{func}(exp_base={exp_base}) shrinks delays; the canonical multiplier is >= 1 (closest uses 1)"
        ));
        d.spec.multiplier = 1.0;
    }
}

/// What a blocking or awaitable `sleep=` does on the other kind of function: AsyncRetrying awaits what sleep
/// returns, Retrying calls it and drops the result (both seen in the differential's async pass).
fn sleep_mismatch(sleep: &str) -> &'static str {
    match sleep {
        "time.sleep" => " (on an async def, tenacity awaits time.sleep's None: TypeError after the first failure)",
        "asyncio.sleep" | "trio.sleep" | "anyio.sleep" => {
            " (on a plain def, tenacity calls it and drops the coroutine: it never sleeps)"
        }
        _ => "",
    }
}

/// Exception classes a predicate may name that are cancellation (or would catch it): the canonical engine
/// never retries those.
const CANCELLATION: &[&str] =
    &["BaseException", "KeyboardInterrupt", "SystemExit", "GeneratorExit", "CancelledError", "asyncio.CancelledError"];

/// Whether a list of exception classes reaches cancellation.
pub(super) fn catches_cancellation(names: &[String]) -> bool {
    names.iter().any(|n| CANCELLATION.contains(&n.as_str()) || CANCELLATION.contains(&last(n)))
}

pub(super) fn cancellation_reason(what: &str) -> String {
    format!(
        "{what} retries cancellation (asyncio.CancelledError, KeyboardInterrupt: BaseException subclasses); the canonical \
         engine never retries them"
    )
}

fn retry(d: &mut Draft, v: Option<&LiteralValue>) {
    let Some(v) = v else { return };
    let mut parts = Vec::new();
    flatten(v, '|', "retry_any", &mut parts);
    let combined = parts.len() > 1;
    let mut retryable = Vec::new();
    for p in parts {
        match exception_condition(p) {
            Some(Condition { retry, except }) if catches_cancellation(&retry) && !catches_cancellation(&except) => {
                d.spec.non_retryable_exceptions.extend(except);
                d.reason(cancellation_reason(&format!("retry={}", p.source())));
                retryable.extend(retry);
            }
            Some(Condition { retry, except }) => {
                retryable.extend(retry);
                d.spec.non_retryable_exceptions.extend(except);
            }
            None => d.reason(format!(
                "retry={} decides by predicate, message or result; express it as an error_classifier",
                p.source()
            )),
        }
    }
    if !retryable.is_empty() {
        retryable.dedup();
        d.spec.retryable_exceptions = retryable;
    }
    // `A | not B` retries B when A covers it: an exclusion inside a union is not "never B".
    if combined && !d.spec.non_retryable_exceptions.is_empty() {
        d.reason(format!(
            "retry={} combines conditions with `|`; an excluded class is still retried when another condition covers it",
            v.source()
        ));
    }
}

/// An exception-class condition: retry these classes, except those.
struct Condition {
    retry: Vec<String>,
    except: Vec<String>,
}

/// `retry_if_exception_type(A)`, or `retry_if_exception_type(A) & retry_if_not_exception_type(B)` (and
/// `retry_all` of the same): retry A except B. `retry_if_not_exception_type(B)` alone retries every
/// `BaseException` but B, cancellation included.
fn exception_condition(v: &LiteralValue) -> Option<Condition> {
    let mut all = Vec::new();
    flatten(v, '&', "retry_all", &mut all);
    let mut cond = Condition { retry: vec![], except: vec![] };
    let mut positive = false;
    for part in all {
        let LiteralValue::Call(c) = part else { return None };
        let types = c.arg("exception_types", Some(0)).map(|v| v.as_names()).unwrap_or(Some(vec!["Exception".into()]));
        match (last(&c.func), types) {
            ("retry_if_exception_type", Some(names)) if !positive => {
                positive = true;
                cond.retry = names;
            }
            ("retry_if_not_exception_type", Some(names)) => cond.except.extend(names),
            _ => return None,
        }
    }
    if !positive {
        cond.retry = vec!["BaseException".into()];
    }
    Some(cond)
}
