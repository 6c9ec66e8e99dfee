//! Statically visible policy parameters: literal defaults of parameters and fields, `range(N)` bounds,
//! and the shape of the delay arithmetic (`base * 2 ** attempt`, `min(cap, ...)`, `random.uniform`).

use super::context::FileContext;
use crate::finding::Params;
use crate::syntax::*;

/// Apply one `name = literal` binding (a parameter default, a dataclass field, a keyword argument).
pub fn apply_binding(p: &mut Params, name: &str, value: &Expr) {
    let lower = name.to_ascii_lowercase();
    let num = value.as_number().or_else(|| field_default(value));
    let spelled = |v: &Expr| format!("{name}={}", literal_text(v));
    match lower.as_str() {
        "max_attempts"
        | "attempts"
        | "max_tries"
        | "tries"
        | "retry_attempts"
        | "stop_max_attempt_number"
        | "max_retry_attempts" => {
            if let Some(n) = num.filter(|n| *n >= 1.0 && n.fract() == 0.0) {
                p.max_attempts.get_or_insert(n as u32);
                p.spelling.entry("max_attempts".into()).or_insert_with(|| spelled(value));
            }
        }
        "max_retries" | "retries" | "retry_count" | "num_retries" | "max_retry" | "retry_limit" | "total_retries"
        | "n_retries" | "retry_times" | "retry_max" => {
            if let Some(n) = num.filter(|n| *n >= 0.0 && n.fract() == 0.0) {
                p.max_attempts.get_or_insert(n as u32 + 1);
                p.spelling.entry("max_attempts".into()).or_insert_with(|| spelled(value));
            }
        }
        "base_delay"
        | "initial_delay"
        | "retry_delay"
        | "delay"
        | "backoff"
        | "initial_backoff"
        | "base_backoff"
        | "min_delay"
        | "retry_interval"
        | "wait"
        | "initial_interval"
        | "base_delay_seconds"
        | "retry_delay_seconds"
        | "delay_seconds"
        | "backoff_seconds"
        | "wait_initial"
        | "backoff_base" => {
            if let Some(n) = num {
                p.base_delay.get_or_insert(n);
                p.spelling.entry("base_delay".into()).or_insert_with(|| spelled(value));
            }
        }
        "max_delay" | "max_backoff" | "backoff_max" | "max_wait" | "max_interval" | "max_delay_seconds"
        | "retry_backoff_max" | "wait_max" | "cap" => {
            if let Some(n) = num {
                p.max_delay.get_or_insert(n);
                p.spelling.entry("max_delay".into()).or_insert_with(|| spelled(value));
            }
        }
        "backoff_factor" | "multiplier" | "backoff_multiplier" | "exponential_base" | "exp_base" | "factor"
        | "wait_exp_base" => {
            if let Some(n) = num {
                p.multiplier.get_or_insert(n);
                p.spelling.entry("multiplier".into()).or_insert_with(|| spelled(value));
            }
        }
        "jitter" | "jitter_enabled" | "use_jitter" | "enable_jitter" => match &value.kind {
            ExprKind::Constant(Constant::Bool(b)) => {
                p.jitter.get_or_insert(*b);
            }
            _ if num.is_some() => {
                p.jitter.get_or_insert(num.unwrap_or(0.0) > 0.0);
            }
            _ => {}
        },
        "total_timeout" | "timeout" | "max_time" | "deadline" | "max_elapsed_time" => {
            if let Some(n) = num {
                p.total_timeout.get_or_insert(n);
            }
        }
        "strategy" | "retry_strategy" | "backoff_strategy" => {
            if let Some(s) =
                strategy_of_name(&value.dotted().or_else(|| value.as_str().map(str::to_string)).unwrap_or_default())
            {
                p.strategy.get_or_insert(s.to_string());
            }
        }
        _ => {}
    }
}

/// `Field(default=3)` / `field(default=3)` / `Field(3, ...)`.
fn field_default(value: &Expr) -> Option<f64> {
    let (func, args, kws) = value.as_call()?;
    let name = func.last_name()?;
    if !matches!(name, "Field" | "field" | "attrib" | "attr.ib") {
        return None;
    }
    kws.iter()
        .find(|k| k.arg.as_deref() == Some("default"))
        .map(|k| &k.value)
        .or(args.first())
        .and_then(Expr::as_number)
}

fn literal_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Constant(Constant::Int(i)) => i.to_string(),
        ExprKind::Constant(Constant::Float(f)) => format!("{f}"),
        ExprKind::Constant(Constant::Bool(b)) => {
            if *b {
                "True".into()
            } else {
                "False".into()
            }
        }
        _ => e.dotted().or_else(|| field_default(e).map(|v| v.to_string())).unwrap_or_else(|| "...".into()),
    }
}

pub fn strategy_of_name(name: &str) -> Option<&'static str> {
    let l = name.to_ascii_lowercase();
    if l.contains("fibonacci") || l.contains("fibo") {
        Some("fibonacci")
    } else if l.contains("adaptive") {
        Some("adaptive")
    } else if l.contains("exponential") && l.contains("jitter") {
        Some("exponential_jitter")
    } else if l.contains("expo") {
        Some("exponential")
    } else if l.contains("linear") || l.contains("incremental") {
        Some("linear")
    } else if l.contains("fixed") || l.contains("constant") {
        Some("fixed")
    } else {
        None
    }
}

/// Parameters of a function's signature (literal defaults only).
pub fn from_signature(p: &mut Params, def: &FunctionDef) {
    for param in &def.params {
        if let Some(d) = &param.default {
            apply_binding(p, &param.name, d);
        }
    }
}

/// Resolve a name to a literal number: function parameter defaults, then module-level constants.
pub fn resolve_number(ctx: &FileContext, def: Option<&FunctionDef>, e: &Expr) -> Option<f64> {
    if let Some(n) = e.as_number() {
        return Some(n);
    }
    if let ExprKind::BinOp { left, op: op @ (BinOp::Add | BinOp::Sub), right } = &e.kind {
        let (l, r) = (resolve_number(ctx, def, left)?, resolve_number(ctx, def, right)?);
        return Some(if *op == BinOp::Add { l + r } else { l - r });
    }
    let name = e.dotted()?;
    if let Some(def) = def {
        if let Some(d) = def.params.iter().find(|p| p.name == name).and_then(|p| p.default.as_ref()) {
            // `tries=MAX_RETRIES`: a default may name a module constant.
            return resolve_number(ctx, None, d);
        }
        if let Some(attr) = name.strip_prefix("self.") {
            return resolve_self_attr(ctx, def, attr);
        }
    }
    for s in &ctx.ast.body {
        match &s.kind {
            StmtKind::Assign { targets, value } if targets.iter().any(|t| t.dotted().as_deref() == Some(&name)) => {
                return value.as_number()
            }
            StmtKind::AnnAssign { target, value: Some(v), .. } if target.dotted().as_deref() == Some(&name) => {
                return v.as_number()
            }
            _ => {}
        }
    }
    None
}

/// `self.max_retries` in a method: the literal the class's `__init__` assigns (`self.max_retries = 3`), or the
/// default of the `__init__` parameter it is assigned from (`def __init__(self, max_retries=3)`), or else the
/// class attribute (`RETRY_ATTEMPTS = 3` in the class body).
fn resolve_self_attr(ctx: &FileContext, method: &FunctionDef, attr: &str) -> Option<f64> {
    let info = ctx.functions.iter().find(|f| std::ptr::eq(f.def, method))?;
    let class_path = info.class_path.as_deref()?;
    let init = ctx.functions.iter().find(|f| f.def.name == "__init__" && f.class_path.as_deref() == Some(class_path));
    init.and_then(|init| assigned_in_init(init.def, attr)).or_else(|| class_attribute(ctx, info.span, attr))
}

fn assigned_in_init(init: &FunctionDef, attr: &str) -> Option<f64> {
    let mut found = None;
    walk_stmts(&init.body, false, &mut |s| {
        let (targets, value): (Vec<&Expr>, &Expr) = match &s.kind {
            StmtKind::Assign { targets, value } => (targets.iter().collect(), value),
            StmtKind::AnnAssign { target, value: Some(value), .. } => (vec![target], value),
            _ => return,
        };
        let assigns_attr = targets.iter().any(|t| t.dotted().is_some_and(|d| d.strip_prefix("self.") == Some(attr)));
        if found.is_none() && assigns_attr {
            found = value.as_number().or_else(|| {
                let param = value.dotted()?;
                init.params.iter().find(|p| p.name == param)?.default.as_ref()?.as_number()
            });
        }
    });
    found
}

/// A literal assigned to `attr` in the body of the innermost class around `method_span`.
fn class_attribute(ctx: &FileContext, method_span: Span, attr: &str) -> Option<f64> {
    let mut class_body: Option<(&[Stmt], Span)> = None;
    walk_stmts(&ctx.ast.body, true, &mut |s| {
        if let StmtKind::ClassDef(c) = &s.kind {
            let inner = class_body.is_none_or(|(_, outer)| outer.contains(s.span));
            if s.span.contains(method_span) && inner {
                class_body = Some((&c.body, s.span));
            }
        }
    });
    class_body?.0.iter().find_map(|s| match &s.kind {
        StmtKind::Assign { targets, value } if targets.iter().any(|t| t.dotted().as_deref() == Some(attr)) => {
            value.as_number()
        }
        StmtKind::AnnAssign { target, value: Some(v), .. } if target.dotted().as_deref() == Some(attr) => v.as_number(),
        _ => None,
    })
}

/// Shape of a delay expression: strategy, multiplier, cap, jitter.
pub fn from_delay_expr(p: &mut Params, ctx: &FileContext, def: Option<&FunctionDef>, e: &Expr) {
    let mut pow_base = None;
    let mut has_shift = false;
    let mut has_mult_by_var = false;
    let mut jitter = false;
    let mut cap = None;
    e.walk(&mut |x| match &x.kind {
        ExprKind::BinOp { op: BinOp::Pow, left, .. } => {
            pow_base = pow_base.or(resolve_number(ctx, def, left)).or(Some(f64::NAN))
        }
        ExprKind::BinOp { op: BinOp::LShift, .. } => has_shift = true,
        ExprKind::BinOp { op: BinOp::Mult, left, right }
            if super::names::is_attempt_ref(left) || super::names::is_attempt_ref(right) =>
        {
            has_mult_by_var = true;
        }
        ExprKind::Call { func, args, .. } => {
            let r = ctx.resolve(func).unwrap_or_default();
            if r.starts_with("random.") || r.ends_with(".uniform") || r.ends_with("random") || r.ends_with("jitter") {
                jitter = true;
            }
            if r == "min" && args.len() == 2 {
                cap = cap.or_else(|| args.iter().find_map(|a| resolve_number(ctx, def, a)));
            }
            if r == "math.pow" || r == "pow" {
                pow_base = pow_base.or(args.first().and_then(|a| resolve_number(ctx, def, a))).or(Some(f64::NAN));
            }
        }
        _ => {}
    });
    if let Some(b) = pow_base {
        if b.is_finite() {
            p.multiplier.get_or_insert(b);
        }
        p.strategy.get_or_insert(if jitter { "exponential_jitter" } else { "exponential" }.into());
    } else if has_shift {
        p.multiplier.get_or_insert(2.0);
        p.strategy.get_or_insert(if jitter { "exponential_jitter" } else { "exponential" }.into());
    } else if has_mult_by_var {
        p.strategy.get_or_insert("linear".into());
    }
    if jitter {
        p.jitter.get_or_insert(true);
    }
    if let Some(c) = cap {
        p.max_delay.get_or_insert(c);
    }
}

/// True when an expression does backoff arithmetic (exponentiation, shifts, or random jitter).
pub fn is_backoff_arithmetic(ctx: &FileContext, e: &Expr) -> bool {
    e.any(&|x| match &x.kind {
        ExprKind::BinOp { op: BinOp::Pow | BinOp::LShift, .. } => true,
        // Linear: `step * attempt`, `self.increment * (attempt_number - 1)`.
        ExprKind::BinOp { op: BinOp::Mult, left, right } => {
            [left, right].iter().any(|side| side.any(&|n| super::names::is_attempt_ref(n)))
        }
        ExprKind::Call { func, .. } => {
            // Check the last name before resolving imports (resolution allocates; this runs on every call).
            matches!(func.last_name(), Some("pow" | "uniform" | "random" | "randint" | "expovariate")) && {
                let r = ctx.resolve(func).unwrap_or_default();
                matches!(
                    r.as_str(),
                    "math.pow" | "pow" | "random.uniform" | "random.random" | "random.randint" | "random.expovariate"
                ) || r.ends_with(".uniform")
            }
        }
        _ => false,
    })
}
