//! RTY008 backoff_calc: a standalone delay calculation.
//!
//! A function that computes a retry delay without looping over attempts itself: exponential
//! (`base * 2 ** attempt`, `1 << n`, `math.pow`), linear, fibonacci tables, or jitter (`random.uniform`),
//! usually capped with `min(cap, ...)`. It takes an attempt-like parameter or says "delay/backoff/jitter/wait"
//! in its name, and returns such arithmetic. Methods of retry classes and breakers are part of those and are
//! not reported again; functions that also retry are reported by RTY002. A class whose only job is computing
//! delays (`ExponentialBackoff.compute`, a `wait_exponential` strategy with `__call__`) is reported here as one
//! finding; generators that yield the delay sequence count too (a fibonacci *generator* is a delay table;
//! a recursive `fib(n)` is not).
use super::support;
use super::Needs;
use crate::detect::classes::ClassRole;
use crate::detect::functions::Role;
use crate::detect::{names, params, Cx, RawFinding};
use crate::finding::Kind;
use crate::syntax::*;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs {
    words: &[
        "delay", "backoff", "jitter", "wait", "interval", "fib", "retr", "expo", "linear", "attempt", "tries", "trial",
        "_try",
    ],
    loop_structure: false,
    data: None,
    model: false,
};

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    for c in cx.classes.iter().filter(|c| c.role == ClassRole::BackoffCalc) {
        let mut f = support::finding(
            "RTY008",
            Kind::BackoffCalc,
            c.stmt,
            &c.qualname,
            format!("backoff calculation class `{}`", c.def.name),
        );
        f.params = c.params.clone();
        out.push(f);
    }
    for (info, a) in cx.file.functions.iter().zip(cx.functions) {
        if a.role != Role::None {
            continue;
        }
        if let Some(cp) = &info.class_path {
            let owner = cx.classes.iter().find(|c| &c.qualname == cp);
            if owner.is_some_and(|c| {
                matches!(c.role, ClassRole::RetryClass | ClassRole::CircuitBreaker | ClassRole::BackoffCalc)
            }) {
                continue;
            }
        }
        let def = info.def;
        let hint = names::has_word(
            &def.name,
            &["delay", "backoff", "jitter", "wait", "sleep_time", "interval", "fib", "retry", "expo", "linear"],
        );
        let attempt_param = def.params.iter().any(|p| names::is_attempt_name(&p.name));
        if !(hint || attempt_param) {
            continue;
        }
        let mut returns = Vec::new();
        walk_stmts(&def.body, false, &mut |s| {
            if let StmtKind::Return(Some(e)) = &s.kind {
                returns.push(e);
            }
        });
        let n_returns = returns.len();
        // Generators yield the delay sequence (`backoff.expo`, fibonacci tables).
        walk_exprs(&def.body, false, &mut |e| {
            if let ExprKind::Yield(Some(v)) = &e.kind {
                returns.push(v.as_ref());
            }
        });
        // A boolean (`return random.random() > 0.5`, a stub faking success) is not a delay.
        returns
            .retain(|e| !matches!(e.kind, ExprKind::Compare { .. } | ExprKind::BoolOp { .. } | ExprKind::UnaryNot(_)));
        let math_return = returns.iter().any(|e| params::is_backoff_arithmetic(cx.file, e));
        // Arithmetic assigned to a local and then returned (`delay = base * 2 ** n; ...; return delay`).
        let math_assign = {
            let mut m = false;
            walk_stmts(&def.body, false, &mut |s| match &s.kind {
                StmtKind::Assign { value, .. } | StmtKind::AugAssign { value, .. }
                    if params::is_backoff_arithmetic(cx.file, value) =>
                {
                    m = true
                }
                _ => {}
            });
            m && !returns.is_empty()
        };
        // A fibonacci *delay* table, not any fibonacci function (`def fib(n)` in a test is not a backoff).
        let yields = returns.len() > n_returns;
        let fib = names::has_word(&def.name, &["fib"])
            && (yields || names::has_word(&def.name, &["delay", "backoff", "wait", "sleep", "interval", "retry"]))
            && !returns.is_empty();
        if !(math_return || (math_assign && hint) || fib) {
            continue;
        }
        let stmt = info.stmt;
        let mut f = support::finding(
            "RTY008",
            Kind::BackoffCalc,
            stmt,
            &info.qualname,
            format!("backoff calculation `{}`", def.name),
        );
        params::from_signature(&mut f.params, def);
        for e in &returns {
            params::from_delay_expr(&mut f.params, cx.file, Some(def), e);
        }
        if fib {
            f.params.strategy = Some("fibonacci".into());
        }
        out.push(f);
    }
}
