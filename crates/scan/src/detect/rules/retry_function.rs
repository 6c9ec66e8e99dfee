//! RTY002 retry_function: a function or method whose job is retrying an operation.
//!
//! Its body is a retry loop — re-invoking the same operation after an exception or a falsy result, bounded by
//! `range(n)` or an attempt counter (`while attempt < max_attempts`, `while retries_left`), exiting on success
//! and usually waiting in between (`time.sleep`, `asyncio.sleep`, trio/anyio, through any import alias, or in a
//! same-file helper up to two calls away) — or it retries by recursion (`except E: return await
//! self.op(attempt + 1)`, also through a `_retry_*` helper that calls back).
//!
//! Not reported: periodic monitors (`while self._running`), consumers, polls that wait for a state
//! (`if status == "done": break`), fallback chains (`for model in models`) and item loops. An unbounded retry
//! (`while True` with no counter) is reported with the note `unbounded`.
use super::support;
use super::Needs;
use crate::detect::functions::Role;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: super::LOOP_WORDS, loop_structure: true, data: None, model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for (info, a) in cx.file.functions.iter().zip(cx.functions) {
        if a.role != Role::RetryFunction {
            continue;
        }
        let stmt = info.stmt;
        let how = match &a.recursion {
            Some(r) => match &r.via {
                Some(via) => format!("retries by mutual recursion through `{via}`"),
                None => "retries by recursion".to_string(),
            },
            None => "retry loop".to_string(),
        };
        let mut f = support::finding(
            "RTY002",
            Kind::RetryFunction,
            stmt,
            &info.qualname,
            format!("retry function `{}`: {how}", info.def.name),
        );
        f.params = support::function_params(cx.file, info, a);
        let unbounded = a.recursion.as_ref().is_some_and(|r| !r.bounded) || a.retry_loops().any(|l| !l.facts.bounded);
        if unbounded && f.params.max_attempts.is_none() && f.params.max_attempts_expr.is_none() {
            f.notes.push("unbounded".into());
        }
        if a.retry_loops().any(|l| l.facts.sleep_via_helper) {
            f.notes.push("sleep-in-helper".into());
        }
        // A legacy engine the plan lists: its delegating shim (`migrate --shims`).
        let outermost = std::iter::successors(info.parent, |p| cx.file.functions[*p].parent).last();
        support::attach_shim(cx, info, a, outermost.map(|p| cx.file.functions[p].def), &mut f);
        out.push(f);
    }
}
