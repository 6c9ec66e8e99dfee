//! RTY006 retry_config: a config or schema class whose fields are retry parameters.
//!
//! Dataclasses, pydantic models (`Field(default=3)`), NamedTuples, TypedDicts and plain classes whose fields
//! (class-level or assigned in `__init__`) are retry knobs: `max_retries` / `max_attempts`, `base_delay` /
//! `initial_delay`, `backoff_factor` / `multiplier`, `max_delay`, `jitter` ... At least an attempt count
//! and a delay (or two delays), and retry fields making up a real share of the class: a metrics record with
//! `retry_count` and `total_retries` counts retries, it does not configure them.
//! An `Enum` of retry strategies (`EXPONENTIAL`, `LINEAR`, `FIXED` ...) is reported here too. A settings class
//! with one `timeout` among fifty fields is not.
//!
//! Params: literal defaults of the fields; `max_retries = R` is reported as `max_attempts = R + 1`.
use super::support;
use super::Needs;
use crate::detect::classes::ClassRole;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs {
    words: &[
        "retr",
        "attempt",
        "tries",
        "delay",
        "backoff",
        "interval",
        "wait",
        "jitter",
        "multiplier",
        "factor",
        "expo",
        "linear",
        "fixed",
        "fib",
        "constant",
        "adaptive",
        "immediate",
    ],
    loop_structure: false,
    data: None,
    model: false,
};

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for c in cx.classes.iter().filter(|c| matches!(c.role, ClassRole::RetryConfig | ClassRole::StrategyEnum)) {
        let mut f = support::finding(
            "RTY006",
            Kind::RetryConfig,
            c.stmt,
            &c.qualname,
            format!("retry config `{}`: {}", c.def.name, c.why),
        );
        f.params = c.params.clone();
        // Duplicate configs share field names (RetryConfig defined six times), whatever their layout.
        f.shape = crate::detect::shape::Fnv::default().hash_str(&c.field_names.join(","));
        if c.role == ClassRole::StrategyEnum {
            f.notes.push("strategy-enum".into());
        }
        out.push(f);
    }
}
