//! Fix generation for `retry-audit migrate`: byte-range edits attached to findings (ruff's Edit/Fix model).
//! Detection lives in `detect` (the rule files); this module only builds the edits for what was detected.
//!
//! - `imports`: RTY009 legacy imports -> the canonical module (redirects, renames, merges, drops).
//! - `decorator`: RTY005 tenacity / backoff decorators -> the unified decorator, via the policy engine's
//!   translation (safe only when the schedule and exception classification are proven identical).
//! - `config`: legacy config constructions (`RetryConfig(max_retries=3)`) -> the canonical config.
//! - `compat`: is a redirect target a replacement for the legacy name, as the file uses it (kind, signature).
//! - `shim`: a legacy retry engine the plan lists -> a delegating shim onto the canonical manager.
//! - `text`: small source-text helpers shared by the above (identifier counting, line bounds).

pub mod compat;
pub mod config;
pub mod config_checks;
pub mod decorator;
pub mod imports;
pub mod shim;
pub mod shim_engine;
pub mod text;
