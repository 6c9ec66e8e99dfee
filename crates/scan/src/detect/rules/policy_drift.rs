//! RTY011 policy_drift: a retry site whose statically known params differ from its domain's preset.
//!
//! Retry functions, inline loops, decorator factories, library uses and config classes that reveal at least
//! two policy knobs are compared with the preset of their domain (`rules/presets.toml`: database 5 attempts
//! 0.5 s..30 s exponential with jitter, llm 4 attempts 2 s..120 s, ...). Unknown knobs never count as drift;
//! `max_retries = R` is compared as `R + 1` attempts. The finding shows both schedules side by side (jitter
//! off), e.g. `site schedule [1, 1, 1]` against `database preset schedule [0.5, 1, 2, 4]`. Sites in the
//! canonical module and test helpers are not compared. The inventory metric "share of sites whose params
//! equal their domain preset" counts the same comparisons.
//!
//! This rule runs after classification (it needs the finding's domain); see `crate::drift`.
use super::Needs;
use crate::detect::{Cx, RawFinding};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs::MODEL;

pub fn check(_cx: &Cx, _out: &mut Vec<RawFinding>) {}
