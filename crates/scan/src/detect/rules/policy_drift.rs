//! RTY011 policy_drift: a retry site whose statically known params differ from its domain's preset.
//!
//! Retry functions, inline loops, decorator factories, library uses and config classes that reveal at least
//! two policy knobs are compared with the preset of their domain (`rules/presets.toml`: database 5 attempts
//! 0.5 s..30 s exponential with jitter, llm 4 attempts 2 s..120 s, ...). Unknown knobs never count as drift;
//! a loop's attempts are what it makes (`range(max_retries)` is `max_retries` attempts), a config's
//! `max_retries = R` is compared as `R + 1` attempts. A site that runs its preset's schedule (the same attempts
//! and waits, jitter and deadline) does not drift, whatever it spells differently (a cap its waits never
//! reach). The finding shows both schedules side by side (jitter off), e.g. `site schedule [1, 1, 1]` against
//! `database preset schedule [0.5, 1, 2, 4]`. Sites in the canonical module and test helpers are not compared.
//! The inventory metric "share of sites whose params equal their domain preset" counts the same comparisons.
//!
//! This rule runs after classification (it needs the finding's domain); see `crate::drift`.
use super::Needs;
use crate::detect::{Cx, RawFinding};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs::MODEL;

pub fn check(_cx: &Cx, _out: &mut Vec<RawFinding>) {}
