//! Per-function analysis shared by the function-level rules: which loops retry, whether the function retries
//! by recursion, and what role the function plays (retry function, host of an inline retry loop, decorator
//! factory, or the inner wrapper of one).

use super::context::{FileContext, FnInfo};
use super::loops::{self, LoopFacts, LoopVerdict};
use super::names;
use crate::syntax::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    None,
    /// The function's main job is retrying.
    RetryFunction,
    /// The function hosts one or more inline retry loops.
    HostsRetryLoops,
    /// A decorator or decorator factory wrapping functions in retry logic.
    DecoratorDef,
    /// The wrapper inside a decorator factory (reported through the factory).
    InsideDecorator,
}

pub struct LoopSite<'a> {
    pub stmt: &'a Stmt,
    pub facts: LoopFacts,
}

pub struct Recursion {
    /// Name of the function the retry recurses through (itself, or the helper of a mutual recursion).
    pub via: Option<String>,
    pub bounded: bool,
}

pub struct FnAnalysis<'a> {
    pub loops: Vec<LoopSite<'a>>,
    pub recursion: Option<Recursion>,
    pub role: Role,
}

impl FnAnalysis<'_> {
    pub fn retry_loops(&self) -> impl Iterator<Item = &LoopSite<'_>> {
        self.loops.iter().filter(|l| l.facts.verdict == Some(LoopVerdict::Retry))
    }
    pub fn has_retry(&self) -> bool {
        self.retry_loops().next().is_some() || self.recursion.is_some()
    }
}

/// Analyse every function of the file (same order as `ctx.functions`).
pub fn analyse_all<'a>(ctx: &FileContext<'a>) -> Vec<FnAnalysis<'a>> {
    let mut out: Vec<FnAnalysis<'a>> = ctx
        .functions
        .iter()
        .map(|f| FnAnalysis { loops: loop_sites(ctx, f), recursion: recursion(ctx, f), role: Role::None })
        .collect();

    // Decorator factories: an outer function that returns a nested function which (transitively) retries.
    let n = ctx.functions.len();
    let mut retries_within = vec![false; n];
    for i in (0..n).rev() {
        if out[i].has_retry() || (ctx.functions[i].parent.is_some() && delegates_retry(ctx, &ctx.functions[i], &out)) {
            retries_within[i] = true;
        }
        if retries_within[i] {
            if let Some(p) = ctx.functions[i].parent {
                retries_within[p] = true;
            }
        }
    }
    for i in 0..n {
        let f = &ctx.functions[i];
        if ctx.functions[i].parent.is_some() {
            continue; // only outermost functions can be factories; nested ones are handled through them
        }
        if retries_within[i] && !out[i].has_retry() && returns_nested_def(f) {
            out[i].role = Role::DecoratorDef;
        }
    }
    for i in 0..n {
        if out[i].role != Role::None {
            continue;
        }
        // Inside a decorator factory?
        let mut p = ctx.functions[i].parent;
        let mut inside = false;
        while let Some(pi) = p {
            if out[pi].role == Role::DecoratorDef {
                inside = true;
                break;
            }
            p = ctx.functions[pi].parent;
        }
        if inside {
            out[i].role = Role::InsideDecorator;
            continue;
        }
        if !out[i].has_retry() {
            continue;
        }
        out[i].role = if out[i].recursion.is_some() || is_main_job(&ctx.functions[i], &out[i]) {
            Role::RetryFunction
        } else {
            Role::HostsRetryLoops
        };
    }
    out
}

/// A wrapper that hands the call to retry machinery: a same-file function that retries, or a callee whose name
/// says retry (`retry_exception(target, ...)`, `Retrying(...).call(f)`, `task.retry(exc=exc)`). Only asked of
/// nested functions, to recognise decorator factories whose loop lives elsewhere.
fn delegates_retry(ctx: &FileContext, f: &FnInfo, analysed: &[FnAnalysis]) -> bool {
    let mut found = false;
    // `raise self.retry(countdown=...)` asks a task queue to schedule the task again: a use, not machinery.
    let mut exprs: Vec<&Expr> = Vec::new();
    walk_stmts(&f.def.body, false, &mut |s| {
        if !matches!(s.kind, StmtKind::Raise { .. }) {
            exprs.extend(s.exprs());
        }
    });
    let mut visit = |e: &Expr| {
        if found {
            return;
        }
        if let ExprKind::Call { func, .. } = &e.kind {
            if func.last_name().is_some_and(|n| {
                names::has_word(n, &["retry", "with_retries"]) && !names::has_word(n, &["should_retry", "retryable"])
            }) {
                found = true;
                return;
            }
            found = ctx.callees(func, f.class).iter().any(|c| {
                ctx.functions.iter().position(|g| std::ptr::eq(g.def, c.def)).is_some_and(|i| analysed[i].has_retry())
            });
        }
    };
    for e in exprs {
        e.walk(&mut visit);
    }
    found
}

fn loop_sites<'a>(ctx: &FileContext<'a>, f: &FnInfo<'a>) -> Vec<LoopSite<'a>> {
    let mut sites = Vec::new();
    collect_loops(ctx, &f.def.body, f.class, &mut sites);
    sites
}

/// Loops of a body, outermost first; loops nested inside a retry loop are part of it.
fn collect_loops<'a>(ctx: &FileContext<'a>, body: &'a [Stmt], class: Option<&str>, out: &mut Vec<LoopSite<'a>>) {
    for s in body {
        match &s.kind {
            StmtKind::For { .. } | StmtKind::While { .. } => {
                let facts = loops::analyse(ctx, s, class);
                let is_retry = facts.verdict.is_some();
                out.push(LoopSite { stmt: s, facts });
                if !is_retry {
                    s.for_each_block(false, |b| collect_loops(ctx, b, class, out));
                }
            }
            StmtKind::FunctionDef(_) | StmtKind::ClassDef(_) => {}
            _ => {
                s.for_each_block(false, |b| collect_loops(ctx, b, class, out));
            }
        }
    }
}

/// `except X: return await self.op(..., attempt + 1)` — retry by recursion, directly or through one helper.
fn recursion(ctx: &FileContext, f: &FnInfo) -> Option<Recursion> {
    let mut result: Option<Recursion> = None;
    let me = f.def.name.as_str();
    // `retries = retries.increment(); retries.sleep(); ... return self.urlopen(..., retries=retries)`: a self-call
    // anywhere in the body that hands on an attempt counter, in a function that catches and waits.
    let mut has_try = false;
    walk_stmts(&f.def.body, false, &mut |s| has_try |= matches!(s.kind, StmtKind::Try { .. }));
    if has_try && handler_waits(ctx, &f.def.body, f.class) {
        walk_exprs(&f.def.body, false, &mut |e| {
            if result.is_some() {
                return;
            }
            let Some((func, args, kws)) = e.as_call() else { return };
            let passes_counter = args.iter().any(names::is_attempt_ref)
                || kws.iter().any(|k| k.arg.as_deref().is_some_and(names::is_attempt_name));
            if passes_counter && ctx.callees(func, f.class).iter().any(|c| std::ptr::eq(c.def, f.def)) {
                result = Some(Recursion { via: None, bounded: true });
            }
        });
        if result.is_some() {
            return result;
        }
    }
    walk_stmts(&f.def.body, false, &mut |s| {
        let StmtKind::Try { handlers, .. } = &s.kind else { return };
        for h in handlers {
            walk_exprs(&h.body, false, &mut |e| {
                if result.is_some() {
                    return;
                }
                let Some((func, args, kws)) = e.as_call() else { return };
                let callees = ctx.callees(func, f.class);
                let counter_arg = args.iter().chain(kws.iter().map(|k| &k.value)).any(|a| {
                    matches!(a.kind, ExprKind::BinOp { op: BinOp::Add | BinOp::Sub, .. })
                        && a.any(&|x| names::is_attempt_ref(x))
                }) || kws.iter().any(|k| k.arg.as_deref().is_some_and(names::is_attempt_name));
                if callees.iter().any(|c| c.def.name == me && std::ptr::eq(c.def, f.def)) {
                    // Recursing from a handler is a retry only with a counter, a wait, or a name that says so;
                    // otherwise it is a fallback (re-query after refreshing a schema, switch decoder and recurse).
                    let waits = handler_waits(ctx, &h.body, f.class);
                    if counter_arg || waits || names::has_word(me, &["retry", "attempt", "reconnect"]) {
                        result = Some(Recursion { via: None, bounded: counter_arg });
                    }
                    return;
                }
                // Mutual recursion: the handler calls a same-file helper that calls us back.
                for c in callees {
                    if std::ptr::eq(c.def, f.def) {
                        continue;
                    }
                    let mut calls_back = false;
                    walk_exprs(&c.def.body, false, &mut |x| {
                        if let Some((g, _, _)) = x.as_call() {
                            if ctx.callees(g, c.class).iter().any(|cc| std::ptr::eq(cc.def, f.def)) {
                                calls_back = true;
                            }
                        }
                    });
                    if calls_back && names::has_word(&c.def.name, &["retry", "again", "attempt"]) {
                        result = Some(Recursion {
                            via: Some(c.def.name.to_string()),
                            bounded: counter_arg || has_counter_param(c.def),
                        });
                        return;
                    }
                }
            });
        }
    });
    result
}

fn handler_waits(ctx: &FileContext, body: &[Stmt], class: Option<&str>) -> bool {
    let mut waits = false;
    walk_exprs(body, false, &mut |e| {
        if let Some((func, _, _)) = e.as_call() {
            if super::sleeps::is_sleep(ctx, func) || super::sleeps::helper_sleeps(ctx, func, class, 1) {
                waits = true;
            }
        }
    });
    waits
}

fn has_counter_param(def: &FunctionDef) -> bool {
    def.params.iter().any(|p| names::is_attempt_name(&p.name))
}

pub(crate) fn returns_nested_def(f: &FnInfo) -> bool {
    let nested: Vec<&str> = f
        .def
        .body
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::FunctionDef(d) => Some(d.name.as_str()),
            _ => None,
        })
        .collect();
    let params: Vec<&str> = f.def.params.iter().map(|p| p.name.as_str()).collect();
    let mut found = false;
    walk_stmts(&f.def.body, false, &mut |s| {
        if let StmtKind::Return(Some(e)) = &s.kind {
            if gives_nested(e, &nested, &params) {
                found = true;
            }
        }
    });
    found
}

/// Does a returned expression give one of the nested functions itself: `return wrapper`, `return decorator`,
/// `return decorator(func) if func else decorator`, `return functools.wraps(f)(wrapper)`? Not the result of
/// running it (`return do_query()`, `return job_retry(do_query)()`).
fn gives_nested(e: &Expr, nested: &[&str], params: &[&str]) -> bool {
    let is_nested = |x: &Expr| x.dotted().is_some_and(|n| nested.contains(&n.as_str()));
    match &e.kind {
        ExprKind::Name(_) => is_nested(e),
        ExprKind::IfExp { body, orelse, .. } => {
            gives_nested(body, nested, params) || gives_nested(orelse, nested, params)
        }
        ExprKind::BoolOp { values, .. } => values.iter().any(|v| gives_nested(v, nested, params)),
        ExprKind::Call { func, args, .. } => {
            // `decorator(func)`: the nested decorator applied to the function handed in.
            let applied =
                is_nested(func) && args.iter().any(|a| a.dotted().is_some_and(|n| params.contains(&n.as_str())));
            // `wraps(f)(wrapper)`, `update_wrapper(wrapper, f)`: the nested function passed through a helper that
            // gives it back.
            let helper = func.last_name().is_some_and(|n| matches!(n, "update_wrapper" | "partial" | "cast"))
                || matches!(&func.kind, ExprKind::Call { func: inner, .. } if inner.last_name() == Some("wraps"));
            let passed_through = helper && args.iter().any(is_nested);
            applied || passed_through
        }
        _ => false,
    }
}

/// The loop is the function's main job: apart from it there is only setup (assignments, docstring, logging)
/// and the final raise/return. A name that says "retry" settles it too.
fn is_main_job(f: &FnInfo, a: &FnAnalysis) -> bool {
    if names::has_word(
        &f.def.name,
        &["retry", "retries", "attempt", "backoff", "reconnect", "with_retries", "resilient", "persist"],
    ) {
        return true;
    }
    let loop_spans: Vec<Span> = a.retry_loops().map(|l| l.stmt.span).collect();
    let mut other = 0;
    for s in &f.def.body {
        if loop_spans.iter().any(|l| s.span.contains(*l)) {
            // A `with`/`try` wrapping the loop: count what else it holds.
            if !loop_spans.contains(&s.span) {
                for b in s.blocks(false) {
                    other += b
                        .iter()
                        .filter(|x| !loop_spans.iter().any(|l| x.span.contains(*l)) && is_significant(x))
                        .count();
                }
            }
            continue;
        }
        if is_significant(s) {
            other += 1;
        }
    }
    other <= 1
}

fn is_significant(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Pass | StmtKind::Raise { .. } | StmtKind::Return(_) | StmtKind::Break | StmtKind::Continue => false,
        StmtKind::Assign { value, .. } | StmtKind::AnnAssign { value: Some(value), .. } => {
            value.as_call().is_some_and(|(f, _, _)| {
                !f.last_name().is_some_and(|n| {
                    matches!(n, "time" | "monotonic" | "perf_counter" | "getLogger" | "get_logger" | "now")
                })
            })
        }
        StmtKind::AnnAssign { value: None, .. } | StmtKind::AugAssign { .. } => false,
        StmtKind::Expr(e) => {
            if e.as_str().is_some() {
                return false; // docstring
            }
            let callee = e.as_call().and_then(|(f, _, _)| f.dotted()).unwrap_or_default();
            !(callee.contains("log") || callee.starts_with("print"))
        }
        _ => true,
    }
}
