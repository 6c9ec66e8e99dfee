//! RTY007 circuit_breaker: a circuit-breaker implementation.
//!
//! A class named `*Breaker*` with breaker state or fields (failure threshold, recovery timeout, half-open
//! handling), or any class running a CLOSED / OPEN / HALF_OPEN state machine that counts failures, or a class
//! keeping failed keys out by its shape (a pool of nodes marked dead): it counts each key's consecutive failures,
//! keeps the key out for a timeout growing with that count, deletes the count on success and lets the key back
//! once its time is past (the class and those methods are reported). State enums
//! (`class CircuitState(Enum)`) and exceptions (`CircuitOpenError`) are not implementations and are not reported.
//!
//! Why it matters: the plan centralises breaker state; each local breaker keeps its own, inconsistent state.
use super::support;
use super::Needs;
use crate::detect::classes::ClassRole;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs {
    words: &["breaker", "half_open", "halfopen", "half-open", "backoff", "delay"],
    loop_structure: false,
    data: None,
    model: false,
};

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for c in cx.classes.iter().filter(|c| c.role == ClassRole::CircuitBreaker) {
        out.push(support::finding(
            "RTY007",
            Kind::CircuitBreaker,
            c.stmt,
            &c.qualname,
            format!("circuit breaker `{}`", c.def.name),
        ));
        // A breaker found by its shape: the methods that count, reset and readmit are its pieces.
        for (stmt, name) in &c.pieces {
            out.push(support::finding(
                "RTY007",
                Kind::CircuitBreaker,
                stmt,
                &format!("{}.{name}", c.qualname),
                format!("`{name}`, a piece of the breaker `{}`", c.def.name),
            ));
        }
    }
}
