//! RTY010 readiness_probe: a retry-until-ready loop bounded by a deadline.
//!
//! `while time.time() < deadline: try: connect(); return True except: sleep(0.5)` — it re-attempts an operation
//! after failures, but the bound is wall-clock time rather than an attempt count and the purpose is waiting for
//! a dependency to come up. Reported on its own (low confidence), never grouped with or counted as a duplicate
//! of the canonical retry manager.
use super::support;
use super::Needs;
use crate::detect::functions::Role;
use crate::detect::loops::LoopVerdict;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: super::LOOP_WORDS, loop_structure: true, data: None, model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for (info, a) in cx.file.functions.iter().zip(cx.functions) {
        if a.role == Role::InsideDecorator {
            continue;
        }
        for l in a.loops.iter().filter(|l| l.facts.verdict == Some(LoopVerdict::ReadinessProbe)) {
            let mut f = support::finding(
                "RTY010",
                Kind::ReadinessProbe,
                l.stmt,
                &info.qualname,
                format!("retry-until-ready loop in `{}`", info.def.name),
            );
            f.notes.push("low-confidence".into());
            out.push(f);
        }
    }
}
