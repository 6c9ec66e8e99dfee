//! RTY004 retry_decorator_def: a decorator or decorator factory that wraps a function in retry logic.
//!
//! `def with_retry(max_attempts=3, ...): def deco(fn): @wraps(fn) async def wrapper(...): for attempt in ...`
//! and ready decorators `def database_retry(fn): def wrapper(...): ...; return wrapper`. The outermost function
//! is reported once (the inner wrapper is part of it); its parameters' defaults are the policy. Use sites of
//! the decorator are not implementations and are not reported as such.
use super::support;
use super::Needs;
use crate::detect::functions::Role;
use crate::detect::{params, Cx, RawFinding};
use crate::finding::{Kind, Params};

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: super::LOOP_WORDS, loop_structure: true, data: None, model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for (i, (info, a)) in cx.file.functions.iter().zip(cx.functions).enumerate() {
        if a.role != Role::DecoratorDef {
            continue;
        }
        let stmt = info.stmt;
        let mut f = support::finding(
            "RTY004",
            Kind::RetryDecoratorDef,
            stmt,
            &info.qualname,
            format!("retry decorator `{}`", info.def.name),
        );
        // What the nested wrappers' loops do, then the defaults of the factory's and the wrappers' parameters
        // for the knobs the loops leave open.
        let mut signatures = Params::default();
        params::from_signature(&mut signatures, info.def);
        for (j, (inner, ia)) in cx.file.functions.iter().zip(cx.functions).enumerate() {
            if j != i && is_descendant(cx, j, i) {
                params::from_signature(&mut signatures, inner.def);
                for l in ia.retry_loops() {
                    support::loop_params(cx.file, Some(info.def), l, &mut f.params);
                }
            }
        }
        f.params.merge_missing(&signatures);
        // A legacy decorator the plan lists: its wrapper's loop becomes a delegating shim (`migrate --shims`),
        // reading the factory's parameters by name.
        let wrapper = cx
            .file
            .functions
            .iter()
            .zip(cx.functions)
            .enumerate()
            .find(|(j, (_, ia))| *j != i && is_descendant(cx, *j, i) && ia.retry_loops().next().is_some());
        if let Some((_, (inner, ia))) = wrapper {
            support::attach_shim(cx, inner, ia, Some(info.def), &mut f);
        }
        out.push(f);
    }
}

fn is_descendant(cx: &Cx, mut j: usize, ancestor: usize) -> bool {
    while let Some(p) = cx.file.functions[j].parent {
        if p == ancestor {
            return true;
        }
        j = p;
    }
    false
}
