//! Helpers shared by the rules: building a `RawFinding` from a node.

use crate::detect::context::{FileContext, FnInfo};
use crate::detect::dry_run::{self, Attempts};
use crate::detect::functions::FnAnalysis;
use crate::detect::functions::LoopSite;
use crate::detect::{params, shape, RawFinding};
use crate::finding::{Kind, Params};
use crate::syntax::*;

pub fn finding(rule: &'static str, kind: Kind, node: &Stmt, qualname: &str, message: String) -> RawFinding {
    RawFinding {
        rule,
        kind,
        span: node.span,
        qualname: qualname.to_string(),
        params: Params::default(),
        message,
        notes: vec![],
        shape: shape::stmt_shape(node),
        operations: operations(std::slice::from_ref(node)),
        fix: None,
        skipped_fix: None,
    }
}

/// Call names (last segment) inside statements: evidence for domain classification.
pub fn operations(body: &[Stmt]) -> Vec<String> {
    let mut ops = Vec::new();
    walk_exprs(body, true, &mut |e| {
        if let ExprKind::Call { func, .. } = &e.kind {
            if let Some(d) = func.dotted() {
                ops.push(d);
            }
        }
    });
    ops.sort();
    ops.dedup();
    ops
}

/// Parameters of a retrying function: what its loops do, then its signature's defaults for the knobs the loops
/// leave open (a `max_retries=3` default says 3 retries only when no loop shows how it is counted).
pub fn function_params(ctx: &FileContext, f: &FnInfo, a: &FnAnalysis) -> Params {
    let mut p = Params::default();
    for l in a.retry_loops() {
        loop_params(ctx, Some(f.def), l, &mut p);
    }
    if a.recursion.as_ref().is_some_and(|r| r.via.is_none()) {
        let run = dry_run::run_recursion(ctx, f);
        let counter = dry_run::recursion_counter(ctx, f).unwrap_or_default();
        apply_dry_run(run, || format!("recursion on {counter}"), &mut p);
    }
    let mut signature = Params::default();
    params::from_signature(&mut signature, f.def);
    p.merge_missing(&signature);
    p
}

/// Fill `p` from one retry loop: its dry run (attempts, base, growth, cap), then the shape of its delay
/// expression (jitter, a multiplier the run could not show). `def` is where its names are resolved.
pub fn loop_params(ctx: &FileContext, def: Option<&FunctionDef>, site: &LoopSite, p: &mut Params) {
    let host = enclosing_function(ctx, site.stmt);
    let run = dry_run::run(ctx, host, def, site.stmt);
    apply_dry_run(run, || loop_header(ctx, site.stmt), p);
    if let Some(arg) = &site.facts.sleep_arg {
        params::from_delay_expr(p, ctx, def, arg);
        if p.strategy.is_none() {
            if let Some(n) = params::resolve_number(ctx, def, arg) {
                p.strategy = Some("fixed".into());
                p.base_delay.get_or_insert(n);
            }
        }
    }
}

/// Fill the knobs still open from a dry run; `source` spells where the count comes from.
fn apply_dry_run(run: dry_run::DryRun, source: impl FnOnce() -> String, p: &mut Params) {
    if p.max_attempts.is_none() && p.max_attempts_expr.is_none() {
        match run.attempts {
            Some(Attempts::Known(n)) if n >= 1 => p.max_attempts = Some(n),
            Some(Attempts::Expr(e)) => p.max_attempts_expr = Some(e),
            _ => {}
        }
        if p.max_attempts.is_some() || p.max_attempts_expr.is_some() {
            p.spelling.entry("max_attempts".into()).or_insert_with(source);
        }
    }
    if let Some(s) = dry_run::read_schedule(&run.delays) {
        p.base_delay.get_or_insert(s.base);
        if let Some(strategy) = s.strategy {
            p.strategy.get_or_insert(strategy.into());
        }
        if let Some(m) = s.multiplier {
            p.multiplier.get_or_insert(m);
        }
        if let Some(c) = s.cap {
            p.max_delay.get_or_insert(c);
        }
    }
}

/// The innermost function a statement is in.
fn enclosing_function<'a>(ctx: &FileContext<'a>, stmt: &Stmt) -> Option<&'a FunctionDef> {
    ctx.functions.iter().filter(|f| f.span.contains(stmt.span)).min_by_key(|f| f.span.len()).map(|f| f.def)
}

/// The loop's first line as written (`for attempt in range(max_retries)`): where its count comes from.
fn loop_header(ctx: &FileContext, stmt: &Stmt) -> String {
    let text = ctx.text.get(stmt.span.start as usize..stmt.span.end as usize).unwrap_or("");
    let line = text.lines().next().unwrap_or("").trim_end();
    line.strip_suffix(':').unwrap_or(line).to_string()
}

/// Pre-order walk over every statement with the dotted qualname of its enclosing scope ("" at module level).
pub fn walk_scoped<'a>(body: &'a [Stmt], scope: &str, f: &mut dyn FnMut(&'a Stmt, &str)) {
    walk_blocks(body, true, scope, &mut |block, i, _, scope| f(&block[i], scope));
}

/// A finding on an expression (a decorator, a call) rather than a statement.
pub fn expr_finding(rule: &'static str, kind: Kind, e: &Expr, qualname: &str, message: String) -> RawFinding {
    RawFinding {
        rule,
        kind,
        span: e.span,
        qualname: qualname.to_string(),
        params: Params::default(),
        message,
        notes: vec![],
        shape: shape::expr_shape(e),
        operations: vec![],
        fix: None,
        skipped_fix: None,
    }
}

/// The delegating shim of a legacy engine the plan lists (`migrate --shims`), or why there is none.
/// `factory`: the function whose parameters the engine's loop reads by closure (a decorator factory).
pub fn attach_shim(
    cx: &crate::detect::Cx,
    info: &crate::detect::context::FnInfo,
    a: &crate::detect::functions::FnAnalysis,
    factory: Option<&crate::syntax::FunctionDef>,
    f: &mut crate::detect::RawFinding,
) {
    match crate::fixes::shim::shim_for(cx.file, info, a, factory, &cx.data.plan) {
        Some(Ok(fix)) => f.fix = Some(fix),
        Some(Err(reason)) => {
            f.skipped_fix = Some(crate::finding::SkippedFix { fix_kind: crate::fixes::shim::KIND.into(), reason })
        }
        None => {}
    }
}
