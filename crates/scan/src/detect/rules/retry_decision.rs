//! RTY015 retry_decision: a function that decides whether to retry.
//!
//! Found on the project model: a function or method named as a retry decision (`should_retry`,
//! `is_retryable`, `is_retriable`, `can_retry`, `is_exhausted`, `increment`, `if_exception_type` ...) that
//! returns a boolean, returns a predicate, or is called by an engine. These are the decision pieces of
//! engines spread over a class design (a handler plus checker classes, an attempt-state object).
//!
//! Why it matters: the canonical manager classifies failures in one place; each decision is a rule to carry
//! over or delete.
//!
//! Not reported: functions with such a name that return something else and are not called by an engine.
use super::Needs;
use crate::detect::{Cx, RawFinding};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs::MODEL;

/// Found by the project model (`crate::model::roles`), not by one file alone.
pub fn check(_cx: &Cx, _out: &mut Vec<RawFinding>) {}
