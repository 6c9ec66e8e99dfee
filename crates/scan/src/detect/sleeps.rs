//! What counts as waiting: `time.sleep`, `asyncio.sleep`, trio/anyio/gevent/eventlet sleeps (through any
//! import alias), an interruptible wait on a stop event, or a same-file helper that does one of those
//! (detection-notes: "the sleep lives in a helper one call away").

use super::context::FileContext;
use crate::syntax::*;

const SLEEPS: &[&str] = &[
    "time.sleep",
    "asyncio.sleep",
    "trio.sleep",
    "anyio.sleep",
    // Sleeping until a computed moment (the end of a retry window) is a wait too.
    "anyio.sleep_until",
    "trio.sleep_until",
    "curio.sleep",
    "gevent.sleep",
    "eventlet.sleep",
    "eventlet.greenthread.sleep",
    "tornado.gen.sleep",
];

/// Every last name `is_sleep` may say yes to: those of `SLEEPS`, the bare sleep names and `wait`
/// (`sleep_last_names_cover_every_sleep` checks the cover).
const SLEEP_LAST_NAMES: &[&str] = &["sleep", "sleep_until", "_sleep", "async_sleep", "asleep", "wait"];

/// Is a call to `func` a sleep?
pub fn is_sleep(ctx: &FileContext, func: &Expr) -> bool {
    // Resolving an attribute keeps its last name (only the head is an import alias): turn away the calls whose
    // last name no answer below ends in before building the resolved name (most calls of a body).
    if let ExprKind::Attribute { attr, .. } = &func.kind {
        if !SLEEP_LAST_NAMES.contains(&attr.as_str()) {
            return false;
        }
    }
    let Some(resolved) = ctx.resolve(func) else { return false };
    if SLEEPS.contains(&resolved.as_str()) {
        return true;
    }
    let last = resolved.rsplit('.').next().unwrap_or("");
    // `self._sleep(d)`, `clock.sleep(d)`, a bare `sleep` from a star import.
    if matches!(last, "sleep" | "_sleep" | "async_sleep" | "asleep") {
        return true;
    }
    // `self._stop_event.wait(delay)` is an interruptible sleep.
    if last == "wait" {
        if let ExprKind::Attribute { value, .. } = &func.kind {
            let owner = value.dotted().unwrap_or_default().to_ascii_lowercase();
            return ["event", "stop", "shutdown", "closed", "exit", "cancel"].iter().any(|w| owner.contains(w));
        }
    }
    false
}

/// Does a same-file function reached by calling `func` sleep, within `depth` calls?
pub fn helper_sleeps(ctx: &FileContext, func: &Expr, class: Option<&str>, depth: u32) -> bool {
    if depth == 0 {
        return false;
    }
    ctx.callees(func, class).into_iter().any(|callee| {
        let mut found = false;
        walk_exprs(&callee.def.body, false, &mut |e| {
            if found {
                return;
            }
            if let Some((f, _, _)) = e.as_call() {
                if is_sleep(ctx, f) || (!std::ptr::eq(f, func) && helper_sleeps(ctx, f, callee.class, depth - 1)) {
                    found = true;
                }
            }
        });
        found
    })
}

#[cfg(test)]
mod tests {
    use super::{SLEEPS, SLEEP_LAST_NAMES};

    #[test]
    fn sleep_last_names_cover_every_sleep() {
        for s in SLEEPS {
            let last = s.rsplit('.').next().unwrap_or(s);
            assert!(SLEEP_LAST_NAMES.contains(&last), "{s}: add {last} to SLEEP_LAST_NAMES");
        }
    }
}
