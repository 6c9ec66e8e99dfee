//! RTY001 retry_class: a class implementing retry machinery.
//!
//! A manager / handler / executor / strategy class that runs an operation repeatedly (one of its methods is a
//! retry loop or retries by recursion) or computes retry decisions (`should_retry`, `calculate_delay`,
//! `get_delay`, `execute_with_retry` ...). The name alone is never enough: `class RetryExhaustedError(Exception)`
//! is an exception, `class RetryStrategy(Enum)` is a config (RTY006), a class with a `retry` field and no
//! retry behaviour is not machinery.
//!
//! Why it matters: every such class is a competing implementation of the canonical retry manager; the plan
//! wants exactly one.
use super::support;
use super::Needs;
use crate::detect::classes::ClassRole;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs {
    words: &[
        "sleep",
        "wait",
        "retr",
        "attempt",
        "tries",
        "trial",
        "_try",
        "again",
        "reconnect",
        "delay",
        "backoff",
        "increment",
        "exhausted",
    ],
    loop_structure: true,
    data: None,
    model: false,
};

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for c in cx.classes.iter().filter(|c| c.role == ClassRole::RetryClass) {
        let mut f = support::finding(
            "RTY001",
            Kind::RetryClass,
            c.stmt,
            &c.qualname,
            format!("retry class `{}`: {}", c.def.name, c.why),
        );
        f.params = c.params.clone();
        out.push(f);
    }
}
