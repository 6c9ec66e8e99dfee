//! RTY003 sleep_loop: an inline retry loop inside a function whose main job is something else.
//!
//! Same detection as RTY002 (a bounded loop that re-attempts one operation after a failure and waits), but the
//! enclosing function does other work too (a `connect()` that also configures the session, a handler that
//! retries one step). The finding spans the loop itself; its symbol is the enclosing function.
//!
//! Not reported: monitors, consumers, polls for a state, fallback chains and item loops (see RTY002).
use super::support;
use super::Needs;
use crate::detect::functions::Role;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: super::LOOP_WORDS, loop_structure: true, data: None, model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for (info, a) in cx.file.functions.iter().zip(cx.functions) {
        if a.role != Role::HostsRetryLoops {
            continue;
        }
        for l in a.retry_loops() {
            let mut f = support::finding(
                "RTY003",
                Kind::SleepLoop,
                l.stmt,
                &info.qualname,
                format!("inline retry loop in `{}`", info.def.name),
            );
            support::loop_params(cx.file, Some(info.def), l, &mut f.params);
            if !l.facts.bounded {
                f.notes.push("unbounded".into());
            }
            if l.facts.sleep_via_helper {
                f.notes.push("sleep-in-helper".into());
            }
            out.push(f);
        }
    }
}
