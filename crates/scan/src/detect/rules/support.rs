//! Helpers shared by the rules: building a `RawFinding` from a node.

use crate::detect::context::{FileContext, FnInfo};
use crate::detect::functions::FnAnalysis;
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

/// Parameters of a retrying function: signature defaults, loop bounds, delay arithmetic.
pub fn function_params(ctx: &FileContext, f: &FnInfo, a: &FnAnalysis) -> Params {
    let mut p = Params::default();
    params::from_signature(&mut p, f.def);
    for l in a.retry_loops() {
        loop_params(ctx, Some(f.def), &l.facts, &mut p);
    }
    p
}

pub fn loop_params(
    ctx: &FileContext,
    def: Option<&FunctionDef>,
    facts: &crate::detect::loops::LoopFacts,
    p: &mut Params,
) {
    if let Some(b) = &facts.bound_expr {
        if let Some(n) = params::resolve_number(ctx, def, b) {
            if n >= 1.0 && n.fract() == 0.0 && p.max_attempts.is_none() {
                p.max_attempts = Some(n as u32);
                p.spelling.entry("max_attempts".into()).or_insert_with(|| format!("range({n})"));
            }
        }
    }
    if let Some(arg) = &facts.sleep_arg {
        params::from_delay_expr(p, ctx, def, arg);
        if p.strategy.is_none() {
            if let Some(n) = params::resolve_number(ctx, def, arg) {
                p.strategy = Some("fixed".into());
                p.base_delay.get_or_insert(n);
            }
        }
    }
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
