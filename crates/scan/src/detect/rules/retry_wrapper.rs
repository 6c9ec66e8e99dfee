//! RTY013 retry_wrapper: a function, method, class or alias whose job is to call retry machinery.
//!
//! Found on the project model, across files: a small function (a few statements) whose resolved call reaches
//! a reusable engine (a retry function that takes the operation, a method of an engine class, a decorator
//! factory) or another wrapper, and that returns its result or hands it its own callable:
//! `def retry_database_operation(op): return _handler.execute_with_retry(op)`. Calls are resolved through
//! imports, `__init__` re-exports, aliases, module-level and `self.` instances and base classes. The role
//! detail says which shape: `facade`, `method`, `shim` (a legacy name or module, or a `DeprecationWarning`),
//! `context_manager` (a `@contextmanager` that yields the retrying callable), `class` (a class whose methods
//! hand off to machinery elsewhere) or `alias` (`exponential_backoff = retry_with_exponential_backoff`).
//! `delegates_to` names the machinery.
//!
//! Why it matters: consolidation has to redirect or delete every wrapper; counting them as separate
//! implementations overstates the duplication, missing them understates the migration.
//!
//! Not reported: callers that do other work around the call (more than a handful of statements), methods of
//! an engine class (they are the engine's API), and anything whose call does not resolve to machinery.
use super::Needs;
use crate::detect::{Cx, RawFinding};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs::MODEL;

/// Found by the project model (`crate::model::roles`), not by one file alone.
pub fn check(_cx: &Cx, _out: &mut Vec<RawFinding>) {}
