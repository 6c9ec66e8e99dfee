//! RTY012 legacy_config: a construction of a legacy retry config class that the plan migrates.
//!
//! The plan's `[[config_migrations]]` name legacy config classes (`from = "legacy.mod:RetryPolicy"`) and the
//! canonical config they become (`to = "canonical.mod:RetryConfig"`), with a keyword mapping
//! (`rename = { max_retries = "max_attempts+1", retry_delay = "base_delay" }`). Every call of such a class is
//! reported, whether the class is imported by name (`from legacy.mod import RetryPolicy [as P]`, relative
//! imports resolved against the file's package, function-local imports and `try/except ImportError` shims
//! included) or reached through a module import (`import legacy.mod as m; m.RetryPolicy(...)`).
//!
//! Fix (`config`): `RetryPolicy(max_retries=3, retry_delay=0.5)` -> `RetryConfig(max_attempts=4,
//! base_delay=0.5)`, importing the canonical class and dropping the legacy import once every use of it was
//! rewritten. Unsafe unless the migration says `safety = "safe"`. Not offered (the reason is reported) when
//! an argument is positional or `**kwargs`, a keyword has no mapping, a converted value (`+1`, `*N`) is not a
//! literal, the canonical module does not export the class, or the canonical name is taken in the file.
use super::Needs;
use crate::detect::fixes::config;
use crate::detect::{Cx, RawFinding};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: &[], loop_structure: false, data: Some(super::DataWords::Plan), model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    if cx.data.plan.config_migrations.is_empty() {
        return;
    }
    out.extend(config::findings(cx.file, &cx.data.plan));
}
