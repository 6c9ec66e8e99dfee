//! RTY014 retry_preset: a place that defines concrete retry numbers.
//!
//! Found on the project model: a module constant or class attribute constructing a config schema of the
//! tree (`DATABASE_RETRY_POLICY = RetryPolicy(max_attempts=5, base_delay=0.5)`), an engine or breaker built
//! with arguments (`_db_handler = UnifiedRetryHandler(DATABASE_RETRY_POLICY)`), a retry library's policy
//! object (`DEFAULT_RETRY = Retry(initial=1.0, maximum=60.0)`; reported as this library use with role
//! `preset`), a dict of retry numbers or of such constructions, a function that returns one
//! (`create_postgres_retry_policy()`, `_create_retry_config()`) or a list of presets (`return
//! [connection_error_handler]`), an engine bound to its numbers (`db_retry = functools.partial(retry_call,
//! max_attempts=5)`), and an in-tree retry decorator applied with its numbers at the use
//! (`@retry_builder(tries=6, delay=1, backoff=2)`). The role detail says which;
//! `delegates_to` names the config class, engine or decorator.
//!
//! Why it matters: presets are where the numbers live; a consolidation maps each onto a canonical preset.
//!
//! Not reported: constructions of classes that are not retry configuration, and numbers with no retry
//! machinery behind them.
use super::Needs;
use crate::detect::{Cx, RawFinding};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs::MODEL;

/// Found by the project model (`crate::model::roles`), not by one file alone.
pub fn check(_cx: &Cx, _out: &mut Vec<RawFinding>) {}
