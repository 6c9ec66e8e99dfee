//! Facts of a parsed file, read off the syntax tree and the local analyses (functions, classes, loops).

use super::*;
use crate::detect::classes::{ClassInfo, ClassRole};
use crate::detect::context::FileContext;
use crate::detect::functions::{FnAnalysis, Role};
use crate::detect::{loops, params, sleeps};
use crate::project::resolve_relative;
use crate::read::LineIndex;
use crate::syntax::*;
use rustc_hash::FxHashMap as HashMap;

/// Context flags of an import statement.
#[derive(Clone, Copy, Default)]
struct Where {
    type_only: bool,
    fallback: bool,
    module_level: bool,
}

/// The facts of one parsed file. `partial`: the prefilter blanked some top-level pieces (the callers also mark
/// blanked methods); `unanalysed` names
/// they bind.
pub fn extract(
    ctx: &FileContext,
    fns: &[FnAnalysis],
    classes: &[ClassInfo],
    is_package: bool,
    unanalysed: &[String],
) -> FileFacts {
    let lines = LineIndex::new(ctx.text);
    let line = |off: u32| lines.line(off);
    let column = |off: u32| lines.column(ctx.text, off);
    let mut f = FileFacts {
        path: ctx.path.to_string(),
        module: ctx.module.clone(),
        is_package,
        parsed: true,
        partial: !unanalysed.is_empty(),
        ..Default::default()
    };

    // Classes, in pre-order, with their qualnames (as `detect::classes` and `FileContext` build them).
    let mut class_of: HashMap<String, ClassIdx> = HashMap::default();
    collect_classes(&ctx.ast.body, "", None, &mut f.classes, &mut class_of, &line);
    for c in &mut f.classes {
        c.column = column(c.span.start);
    }
    for info in classes {
        if let Some(&i) = class_of.get(&info.qualname) {
            f.classes[i as usize].local_role = class_role(info.role).map(str::to_string);
        }
    }

    // Functions: the same order as `ctx.functions` (and `fns`).
    for (i, info) in ctx.functions.iter().enumerate() {
        let class = info.class_path.as_ref().and_then(|q| class_of.get(q).copied());
        if let Some(c) = class {
            f.classes[c as usize].methods.push(i as DefIdx);
        }
        f.defs.push(Def {
            qualname: info.qualname.clone(),
            name: info.def.name.to_string(),
            class,
            parent: info.parent.map(|p| p as DefIdx),
            is_async: info.def.is_async,
            params: info
                .def
                .params
                .iter()
                .map(|p| ParamFact {
                    name: p.name.to_string(),
                    kind: p.kind,
                    has_default: p.default.is_some(),
                    numeric_default: p.default.as_ref().is_some_and(|d| d.as_number().is_some()),
                    default_name: p.default.as_ref().and_then(|d| d.dotted()),
                })
                .collect(),
            decorators: info.def.decorators.iter().map(|d| decorator(d, &line)).collect(),
            span: info.span,
            line: line(info.span.start),
            end_line: line(info.span.end.saturating_sub(1).max(info.span.start)),
            column: column(info.span.start),
            statements: info.def.body.iter().filter(|s| !is_filler(s)).count() as u32,
            returns_nested_def: crate::detect::functions::returns_nested_def(info),
            // Set by `body_facts` below.
            is_generator: false,
            evidence: DefEvidence::default(),
        });
    }
    // Calls, assignments and evidence of every function's own body.
    let def_index: HashMap<Span, DefIdx> =
        ctx.functions.iter().enumerate().map(|(i, d)| (d.span, i as DefIdx)).collect();
    for (i, info) in ctx.functions.iter().enumerate() {
        let di = i as DefIdx;
        let first = f.calls.len();
        collect_calls(&info.def.body, Some(di), false, false, &mut f.calls, &line);
        let class = f.defs[i].class;
        let mut ev = DefEvidence::default();
        let out = BodyOut { reads: &mut f.reads, assigns: &mut f.assigns, ev: &mut ev };
        f.defs[i].is_generator = body_facts(ctx, info.def, di, class, out, &line);
        f.defs[i].evidence = ev;
        let a = &fns[i];
        let ev = &mut f.defs[i].evidence;
        ev.retry_loops = a.retry_loops().map(|l| line(l.stmt.span.start)).collect();
        ev.budget_names = a.retry_loops().flat_map(|l| l.facts.budget.iter().cloned()).collect();
        ev.test_attempts = a.retry_loops().filter_map(|l| l.facts.test_attempt.clone()).collect();
        ev.gives_up_on = a.retry_loops().flat_map(|l| l.facts.gives_up_on.iter().cloned()).collect();
        ev.recursion = a.recursion.is_some();
        ev.recursion_via = a.recursion.as_ref().and_then(|r| r.via.clone());
        ev.local_role = fn_role(a.role).map(str::to_string);
        for l in &a.loops {
            if l.facts.pending_sleep {
                let span = l.stmt.span;
                let calls = (first..f.calls.len())
                    .filter(|&c| {
                        let call_line = f.calls[c].line;
                        call_line >= line(span.start) && call_line <= line(span.end.saturating_sub(1))
                    })
                    .map(|c| c as u32)
                    .collect();
                let bounded = l.facts.bound_expr.is_some()
                    || matches!(&l.stmt.kind, StmtKind::For { iter, .. } if iter.as_call().is_some());
                f.defs[i].evidence.pending_loops.push(PendingLoop { line: line(span.start), calls, bounded });
            }
        }
    }
    for (ci, c) in class_stmts(&ctx.ast.body).into_iter().enumerate() {
        collect_reads(c, None, Some(ci as ClassIdx), &mut f.reads, &line);
    }
    // Module level: calls, imports, bindings, assignments, `__all__`.
    collect_calls(&ctx.ast.body, None, false, false, &mut f.calls, &line);
    let is_pkg = is_package;
    collect_imports(
        &ctx.ast.body,
        &ctx.module,
        is_pkg,
        Where { module_level: true, ..Default::default() },
        &mut f.imports,
        &line,
    );
    collect_module_assigns(&ctx.ast.body, &mut f, &class_of, &line);
    for a in &mut f.assigns {
        a.column = column(a.span.start);
    }
    bindings(&ctx.ast.body, false, &mut f, &class_of, &def_index);
    for name in unanalysed {
        f.bindings.push(Binding { name: name.clone(), kind: BindingKind::Unanalysed, line: 0, type_only: false });
    }
    f.shrink_to_fit();
    f
}

fn class_role(r: ClassRole) -> Option<&'static str> {
    match r {
        ClassRole::None => None,
        ClassRole::RetryClass => Some("retry_class"),
        ClassRole::RetryConfig => Some("retry_config"),
        ClassRole::StrategyEnum => Some("strategy_enum"),
        ClassRole::CircuitBreaker => Some("circuit_breaker"),
        ClassRole::BackoffCalc => Some("backoff_calc"),
    }
}

fn fn_role(r: Role) -> Option<&'static str> {
    match r {
        Role::None => None,
        Role::RetryFunction => Some("retry_function"),
        Role::HostsRetryLoops => Some("hosts_retry_loops"),
        Role::DecoratorDef => Some("decorator_def"),
        Role::InsideDecorator => Some("inside_decorator"),
    }
}

/// A docstring, `pass` or `...` (no work).
fn is_filler(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Pass => true,
        StmtKind::Expr(e) => e.as_str().is_some() || matches!(e.kind, ExprKind::Constant(Constant::Ellipsis)),
        _ => false,
    }
}

pub(crate) fn literal(e: &Expr) -> Literal {
    if let Some(n) = e.as_number() {
        return Literal::Number(n);
    }
    match &e.kind {
        ExprKind::Constant(Constant::Str(s)) => Literal::Str(s.clone()),
        ExprKind::Constant(Constant::Bool(b)) => Literal::Bool(*b),
        ExprKind::Constant(Constant::None) => Literal::None,
        _ => match e.dotted() {
            Some(d) => Literal::Name(d),
            None => Literal::Other,
        },
    }
}

fn kwargs(keywords: &[Keyword]) -> Vec<Kwarg> {
    keywords
        .iter()
        .filter_map(|k| Some(Kwarg { name: k.arg.as_deref()?.to_string(), value: literal(&k.value) }))
        .collect()
}

/// The dotted callee of a call, with `super().m` spelled `super.m` and a call in the chain marked `()`
/// (`Handler(policy).execute(op)` -> `Handler().execute`).
pub(crate) fn callee(func: &Expr) -> Option<String> {
    if let Some(d) = func.dotted() {
        return Some(d);
    }
    match &func.kind {
        ExprKind::Attribute { value, attr } => {
            if let Some((inner, _, _)) = value.as_call() {
                if inner.dotted().as_deref() == Some("super") {
                    return Some(format!("super.{attr}"));
                }
                return callee(inner).map(|c| format!("{c}().{attr}"));
            }
            callee(value).map(|c| crate::syntax::join_dot(&c, attr))
        }
        _ => None,
    }
}

fn decorator(d: &Expr, line: &dyn Fn(u32) -> u32) -> Decorator {
    match d.as_call() {
        Some((func, _, kws)) => Decorator {
            name: callee(func).unwrap_or_default(),
            called: true,
            keywords: kwargs(kws),
            line: line(d.span.start),
        },
        None => Decorator {
            name: d.dotted().unwrap_or_default(),
            called: false,
            keywords: vec![],
            line: line(d.span.start),
        },
    }
}

fn collect_classes(
    body: &[Stmt],
    prefix: &str,
    parent: Option<ClassIdx>,
    out: &mut Vec<Class>,
    index: &mut HashMap<String, ClassIdx>,
    line: &dyn Fn(u32) -> u32,
) {
    for s in body {
        match &s.kind {
            StmtKind::ClassDef(c) => {
                let qualname = crate::syntax::qualify(prefix, &c.name);
                let idx = out.len() as ClassIdx;
                let bases: Vec<String> = c
                    .bases
                    .iter()
                    .filter_map(|b| match &b.kind {
                        ExprKind::Subscript { value, .. } => value.dotted(),
                        _ => b.dotted(),
                    })
                    .collect();
                let is_exception = ["Error", "Exception", "Exhausted", "Warning"].iter().any(|s| c.name.ends_with(s))
                    || bases.iter().any(|b| b.ends_with("Error") || b.ends_with("Exception") || b == "Warning");
                let is_enum = bases.iter().any(|b| b.ends_with("Enum") || b.ends_with("Flag"));
                out.push(Class {
                    qualname: qualname.clone(),
                    name: c.name.to_string(),
                    bases,
                    decorators: c.decorators.iter().map(|d| decorator(d, line)).collect(),
                    methods: vec![],
                    fields: class_fields(c),
                    span: s.span,
                    line: line(s.span.start),
                    end_line: line(s.span.end.saturating_sub(1).max(s.span.start)),
                    column: 1,
                    parent,
                    local_role: None,
                    is_exception,
                    is_enum,
                });
                index.insert(qualname.clone(), idx);
                collect_classes(&c.body, &qualname, Some(idx), out, index, line);
            }
            StmtKind::FunctionDef(d) => {
                let q = crate::syntax::qualify(prefix, &d.name);
                collect_classes(&d.body, &q, parent, out, index, line);
            }
            _ => {
                s.for_each_block(false, |b| collect_classes(b, prefix, parent, out, index, line));
            }
        }
    }
}

fn class_fields(c: &ClassDef) -> Vec<String> {
    let mut out = Vec::new();
    for s in &c.body {
        match &s.kind {
            StmtKind::AnnAssign { target, .. } => out.extend(target.dotted()),
            StmtKind::Assign { targets, .. } => out.extend(targets.iter().filter_map(|t| t.dotted())),
            StmtKind::FunctionDef(f) if f.name == "__init__" => walk_stmts(&f.body, false, &mut |st| {
                let targets: Vec<&Expr> = match &st.kind {
                    StmtKind::Assign { targets, .. } => targets.iter().collect(),
                    StmtKind::AnnAssign { target, .. } => vec![target],
                    _ => return,
                };
                for t in targets {
                    if let ExprKind::Attribute { value, attr } = &t.kind {
                        if value.dotted().as_deref() == Some("self") {
                            out.push(attr.to_string());
                        }
                    }
                }
            }),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Calls of a body (not entering nested defs and classes), with their context.
fn collect_calls(
    body: &[Stmt],
    owner: Option<DefIdx>,
    in_loop: bool,
    in_handler: bool,
    out: &mut Vec<Call>,
    line: &dyn Fn(u32) -> u32,
) {
    for s in body {
        // The returned value, and the alternatives it may be (`return self._retry or Retry(...)`,
        // `return a if c else b`).
        let returned_call: Vec<Span> = match &s.kind {
            StmtKind::Return(Some(e)) => {
                let e = e.unawait();
                match &e.kind {
                    ExprKind::BoolOp { values, .. } => values.iter().map(|v| v.unawait().span).collect(),
                    ExprKind::IfExp { body, orelse, .. } => vec![body.unawait().span, orelse.unawait().span],
                    // `return functools.wraps(func)(_GapicCallable(func, ...))`: the wrapped object is returned.
                    ExprKind::Call { func, args, .. }
                        if args.len() == 1
                            && matches!(&func.kind, ExprKind::Call { func: w, .. } if w.last_name() == Some("wraps")) =>
                    {
                        vec![e.span, args[0].unawait().span]
                    }
                    _ => vec![e.span],
                }
            }
            // A generator handing on another's items (`yield from self._stream_sse_events(...)`).
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Yield(Some(v)) if v.as_call().is_some() => vec![v.span],
                _ => vec![],
            },
            _ => vec![],
        };
        match &s.kind {
            StmtKind::FunctionDef(_) | StmtKind::ClassDef(_) => {
                // Decorators and defaults run in this scope.
                for e in s.exprs() {
                    calls_in_expr(e, owner, in_loop, in_handler, &[], out, line);
                }
                continue;
            }
            _ => {
                for e in s.exprs() {
                    calls_in_expr(e, owner, in_loop, in_handler, &returned_call, out, line);
                }
            }
        }
        match &s.kind {
            StmtKind::For { body, orelse, .. } | StmtKind::While { body, orelse, .. } => {
                collect_calls(body, owner, true, in_handler, out, line);
                collect_calls(orelse, owner, in_loop, in_handler, out, line);
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                collect_calls(body, owner, in_loop, in_handler, out, line);
                for h in handlers {
                    collect_calls(&h.body, owner, in_loop, true, out, line);
                }
                collect_calls(orelse, owner, in_loop, in_handler, out, line);
                collect_calls(finalbody, owner, in_loop, in_handler, out, line);
            }
            _ => {
                s.for_each_block(false, |b| collect_calls(b, owner, in_loop, in_handler, out, line));
            }
        }
    }
}

fn calls_in_expr(
    e: &Expr,
    owner: Option<DefIdx>,
    in_loop: bool,
    in_handler: bool,
    returned: &[Span],
    out: &mut Vec<Call>,
    line: &dyn Fn(u32) -> u32,
) {
    let mut awaited: Vec<Span> = Vec::new();
    e.walk(&mut |x| {
        if let ExprKind::Await(inner) = &x.kind {
            awaited.push(inner.span);
        }
        let ExprKind::Call { func, args, keywords } = &x.kind else { return };
        if is_noise_call(func) {
            return;
        }
        let Some(name) = callee(func) else { return };
        let mut arg_names = Vec::new();
        for a in args.iter().chain(keywords.iter().map(|k| &k.value)) {
            match &a.kind {
                ExprKind::Name(_) | ExprKind::Attribute { .. } => arg_names.extend(a.dotted()),
                // `functools.partial(f, ...)`: the callable is its first argument.
                ExprKind::Call { func: pf, args: pargs, .. }
                    if pf.last_name() == Some("partial") && !pargs.is_empty() =>
                {
                    arg_names.extend(pargs[0].dotted())
                }
                // `_apply_decorators(target, [retry, timeout])`: the names a literal list hands on.
                ExprKind::List(items) | ExprKind::Tuple(items) => {
                    for item in items {
                        if matches!(item.kind, ExprKind::Name(_) | ExprKind::Attribute { .. }) {
                            arg_names.extend(item.dotted())
                        }
                    }
                }
                _ => {}
            }
        }
        out.push(Call {
            owner,
            callee: name,
            arg_names,
            keywords: kwargs(keywords),
            args: args.len() as u32,
            awaited: awaited.contains(&x.span),
            in_loop,
            in_handler,
            returned: returned.contains(&x.span),
            line: line(x.span.start),
            span: x.span,
        });
    });
}

/// Calls the model never needs: builtins that cannot be retry machinery (`len`, `isinstance`, `str`) and
/// logging (`logger.info`, `self._log.warning`). Most calls of a file are these; recording them costs memory
/// and resolution time for nothing. (`warnings.warn` is kept: a shim is known by it.)
fn is_noise_call(func: &Expr) -> bool {
    const BUILTINS: &[&str] = &[
        "abs",
        "aiter",
        "all",
        "anext",
        "any",
        "ascii",
        "bin",
        "bool",
        "breakpoint",
        "bytearray",
        "bytes",
        "callable",
        "chr",
        "compile",
        "complex",
        "delattr",
        "dir",
        "divmod",
        "enumerate",
        "eval",
        "exec",
        "filter",
        "float",
        "format",
        "frozenset",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "hex",
        "id",
        "input",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "list",
        "locals",
        "map",
        "max",
        "memoryview",
        "min",
        "next",
        "object",
        "oct",
        "open",
        "ord",
        "pow",
        "print",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "setattr",
        "slice",
        "sorted",
        "str",
        "sum",
        "tuple",
        "type",
        "vars",
        "zip",
    ];
    const LOG_METHODS: &[&str] = &["debug", "info", "warning", "error", "exception", "critical", "log"];
    match &func.kind {
        ExprKind::Name(n) => BUILTINS.contains(&n.as_str()),
        ExprKind::Attribute { value, attr } => {
            LOG_METHODS.contains(&attr.as_str())
                && value.last_name().is_some_and(|v| {
                    let v = v.trim_start_matches('_').to_ascii_lowercase();
                    v == "log" || v == "logger" || v == "logging" || v == "_logger" || v.ends_with("logger")
                })
        }
        _ => false,
    }
}

/// A name segment that reads as a constant: an upper-case letter and no lower-case one (`MAX_RETRIES`,
/// `_BACKOFF_MAX`). Bytes, one pass: asked of every name a function reads.
fn constant_like(segment: &str) -> bool {
    let mut upper = false;
    for &b in segment.as_bytes() {
        if b.is_ascii_lowercase() {
            return false;
        }
        upper |= b.is_ascii_uppercase();
    }
    upper
}

/// Constant-like names read by a function (its body and parameter defaults, not nested definitions) or a
/// class body (not its methods).
fn collect_reads(
    s: &Stmt,
    owner: Option<DefIdx>,
    class: Option<ClassIdx>,
    out: &mut Vec<Read>,
    line: &dyn Fn(u32) -> u32,
) {
    let mut visit = |x: &Expr| read_of(x, owner, class, out, line);
    match &s.kind {
        StmtKind::FunctionDef(d) => {
            for p in &d.params {
                if let Some(v) = &p.default {
                    v.walk(&mut visit);
                }
            }
            walk_exprs(&d.body, false, &mut visit);
        }
        StmtKind::ClassDef(c) => {
            for st in &c.body {
                if !matches!(st.kind, StmtKind::FunctionDef(_) | StmtKind::ClassDef(_)) {
                    for e in st.exprs() {
                        e.walk(&mut visit);
                    }
                }
            }
        }
        _ => {}
    }
}

/// `x` when it reads a constant-like name.
fn read_of(x: &Expr, owner: Option<DefIdx>, class: Option<ClassIdx>, out: &mut Vec<Read>, line: &dyn Fn(u32) -> u32) {
    // Whether a name reads as a constant depends on its last segment alone: ask that before building the dotted
    // name (most names are not constants).
    let last = match &x.kind {
        ExprKind::Name(n) => n.as_str(),
        ExprKind::Attribute { attr, .. } => attr.as_str(),
        _ => return,
    };
    if constant_like(last) {
        if let Some(d) = x.dotted() {
            out.push(Read { owner, class, name: d, line: line(x.span.start) });
        }
    }
}

/// Where `body_facts` puts what it reads.
struct BodyOut<'o> {
    reads: &'o mut Vec<Read>,
    assigns: &'o mut Vec<Assign>,
    ev: &'o mut DefEvidence,
}

/// What a function's own body (nested definitions excluded) gives the facts, in one walk (each piece in the
/// order its own walk would give it): reads of constant-like names (parameter defaults first), local and
/// `self.` assignments, the evidence; true when the body yields (a generator).
fn body_facts(
    ctx: &FileContext,
    def: &FunctionDef,
    di: DefIdx,
    class: Option<ClassIdx>,
    out: BodyOut,
    line: &dyn Fn(u32) -> u32,
) -> bool {
    let BodyOut { reads, assigns, ev } = out;
    for p in &def.params {
        if let Some(v) = &p.default {
            v.walk(&mut |x| read_of(x, Some(di), None, reads, line));
        }
    }
    let mut generator = false;
    walk_stmts(&def.body, false, &mut |s| {
        local_assign(s, di, class, assigns, line);
        evidence_stmt(ctx, s, ev, line);
        s.for_each_expr(|e| {
            e.walk(&mut |x| {
                read_of(x, Some(di), None, reads, line);
                evidence_expr(ctx, x, ev, line);
                generator |= matches!(x.kind, ExprKind::Yield(_));
            })
        });
    });
    ev.delay_math &= ev.returns_value;
    let mut own = def.body.iter().filter(|s| !is_filler(s));
    ev.waits_as_handed = match (own.next(), own.next()) {
        (Some(Stmt { kind: StmtKind::Expr(e), .. }), None) => e.as_call().is_some_and(|(func, args, kws)| {
            let handed = |a: &Expr| a.dotted().is_some_and(|n| def.params.iter().any(|p| p.name == n));
            sleeps::is_sleep(ctx, func) && args.iter().chain(kws.iter().map(|k| &k.value)).all(handed)
        }),
        _ => false,
    };
    generator
}

/// Class statements in the order `collect_classes` numbers them.
fn class_stmts(body: &[Stmt]) -> Vec<&Stmt> {
    let mut out = Vec::new();
    fn go<'a>(body: &'a [Stmt], out: &mut Vec<&'a Stmt>) {
        for s in body {
            match &s.kind {
                StmtKind::ClassDef(c) => {
                    out.push(s);
                    go(&c.body, out);
                }
                StmtKind::FunctionDef(d) => go(&d.body, out),
                _ => {
                    s.for_each_block(false, |b| go(b, out));
                }
            }
        }
    }
    go(body, &mut out);
    out
}

fn value_of(e: &Expr) -> Value {
    let e = e.unawait();
    // `A(...) if c else b`, `policy or DEFAULT_POLICY`: what it is when the site's own value is taken.
    match &e.kind {
        ExprKind::IfExp { body, orelse, .. } => {
            let v = value_of(body);
            return if v == Value::Other { value_of(orelse) } else { v };
        }
        ExprKind::BoolOp { and: false, values } => {
            return values.iter().rev().map(value_of).find(|v| *v != Value::Other).unwrap_or(Value::Other);
        }
        _ => {}
    }
    if let Some((func, args, keywords)) = e.as_call() {
        if let Some(callee) = callee(func) {
            if matches!(callee.as_str(), "frozenset" | "set" | "tuple" | "list") {
                return Value::Collection;
            }
            let splat = keywords.iter().find(|k| k.arg.is_none()).and_then(|k| k.value.dotted());
            return Value::Call { callee, args: args.len() as u32, keywords: kwargs(keywords), splat };
        }
        return Value::Other;
    }
    if let Some(d) = e.dotted() {
        return Value::Alias(d);
    }
    if let Some(n) = e.as_number() {
        return Value::Number(n);
    }
    // `10.0 * 60.0`, `2 * (2 * _DEFAULT_RETRY_DEADLINE)`, `_DEFAULT_RETRY_DEADLINE / 3`: still a number (NaN
    // when it reads other constants).
    if matches!(e.kind, ExprKind::BinOp { .. }) {
        if let Some(n) = arithmetic(e) {
            return Value::Number(n);
        }
    }
    if matches!(e.kind, ExprKind::Tuple(_) | ExprKind::List(_)) {
        return Value::Collection;
    }
    // `frozenset([...]) | set(range(500, 600))`, `set(range(999)) - _SAFE_CODES`: still a collection.
    if let ExprKind::BinOp { left, op: BinOp::BitOr | BinOp::Add | BinOp::Sub, right } = &e.kind {
        if value_of(left) == Value::Collection || value_of(right) == Value::Collection {
            return Value::Collection;
        }
    }
    if let ExprKind::Dict { keys, values } = &e.kind {
        return Value::Dict {
            keys: keys.iter().flatten().filter_map(|k| k.as_str().map(str::to_string)).collect(),
            calls: values.iter().map(|v| v.as_call().and_then(|(f, _, _)| callee(f)).unwrap_or_default()).collect(),
        };
    }
    Value::Other
}

/// The value of arithmetic on numbers and named constants, with at least one number written out (NaN when a
/// name is read).
fn arithmetic(e: &Expr) -> Option<f64> {
    fn go(e: &Expr, literal: &mut bool) -> Option<f64> {
        if let Some(n) = e.as_number() {
            *literal = true;
            return Some(n);
        }
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } => Some(f64::NAN),
            ExprKind::BinOp { left, op, right } => {
                let (l, r) = (go(left, literal)?, go(right, literal)?);
                Some(match op {
                    BinOp::Add => l + r,
                    BinOp::Sub => l - r,
                    BinOp::Mult => l * r,
                    BinOp::Div | BinOp::FloorDiv => l / r,
                    BinOp::Pow => l.powf(r),
                    _ => return None,
                })
            }
            _ => None,
        }
    }
    let mut literal = false;
    let n = go(e, &mut literal)?;
    literal.then_some(n)
}

fn assign_targets(s: &Stmt) -> Option<(Vec<&Expr>, &Expr)> {
    match &s.kind {
        StmtKind::Assign { targets, value } => Some((targets.iter().collect(), value)),
        StmtKind::AnnAssign { target, value: Some(value), .. } => Some((vec![target], value)),
        _ => None,
    }
}

/// Module-level and class-level assignments (inside top-level `if`/`try` blocks too).
fn collect_module_assigns(
    body: &[Stmt],
    f: &mut FileFacts,
    class_of: &HashMap<String, ClassIdx>,
    line: &dyn Fn(u32) -> u32,
) {
    fn go(
        body: &[Stmt],
        owner: Owner,
        prefix: &str,
        f: &mut FileFacts,
        class_of: &HashMap<String, ClassIdx>,
        line: &dyn Fn(u32) -> u32,
    ) {
        for s in body {
            if let Some((targets, value)) = assign_targets(s) {
                for t in targets {
                    if let ExprKind::Name(n) = &t.kind {
                        f.assigns.push(Assign {
                            target: n.to_string(),
                            owner,
                            value: value_of(value),
                            span: s.span,
                            line: line(s.span.start),
                            end_line: line(s.span.end.saturating_sub(1).max(s.span.start)),
                            column: 1,
                        });
                    }
                    if n_is_all(t) {
                        if let ExprKind::List(items) | ExprKind::Tuple(items) = &value.kind {
                            f.all = Some(items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect());
                        }
                    }
                }
                continue;
            }
            match &s.kind {
                StmtKind::ClassDef(c) => {
                    let q = crate::syntax::qualify(prefix, &c.name);
                    if let Some(&ci) = class_of.get(&q) {
                        go(&c.body, Owner::Class(ci), &q, f, class_of, line);
                    }
                }
                StmtKind::FunctionDef(_) => {}
                _ => {
                    if owner == Owner::Module {
                        s.for_each_block(false, |b| go(b, owner, prefix, f, class_of, line));
                    }
                }
            }
        }
    }
    go(body, Owner::Module, "", f, class_of, line);
}

fn n_is_all(t: &Expr) -> bool {
    matches!(&t.kind, ExprKind::Name(n) if n == "__all__")
}

/// An assignment inside a function: `self.x = ...` of a method, and locals bound to a call or a name.
fn local_assign(s: &Stmt, def: DefIdx, class: Option<ClassIdx>, out: &mut Vec<Assign>, line: &dyn Fn(u32) -> u32) {
    let Some((targets, value)) = assign_targets(s) else { return };
    let v = value_of(value);
    if v == Value::Other {
        return;
    }
    for t in targets {
        let (target, owner) = match &t.kind {
            ExprKind::Name(n) => (n.to_string(), Owner::Local(def)),
            ExprKind::Attribute { value: obj, attr } if obj.dotted().as_deref() == Some("self") => match class {
                Some(c) => (attr.to_string(), Owner::Instance { class: c, def }),
                None => continue,
            },
            _ => continue,
        };
        out.push(Assign {
            target,
            owner,
            value: v.clone(),
            span: s.span,
            line: line(s.span.start),
            end_line: line(s.span.end.saturating_sub(1).max(s.span.start)),
            column: 1,
        });
    }
}

fn is_type_checking(test: &Expr) -> bool {
    test.dotted().is_some_and(|d| d == "TYPE_CHECKING" || d.ends_with(".TYPE_CHECKING"))
}

fn catches_import_error(handlers: &[Handler]) -> bool {
    handlers.iter().any(|h| {
        h.type_.as_ref().is_some_and(|t| {
            t.any(&|x| x.last_name().is_some_and(|n| n == "ImportError" || n == "ModuleNotFoundError"))
        })
    })
}

fn collect_imports(
    body: &[Stmt],
    module: &str,
    is_package: bool,
    at: Where,
    out: &mut Vec<Import>,
    line: &dyn Fn(u32) -> u32,
) {
    for s in body {
        let push = |out: &mut Vec<Import>, local: &str, target: String, from: bool, star: bool| {
            out.push(Import {
                local: local.to_string(),
                target,
                from,
                star,
                type_only: at.type_only,
                fallback: at.fallback,
                module_level: at.module_level,
                line: line(s.span.start),
            })
        };
        match &s.kind {
            StmtKind::Import { names } => {
                for n in names {
                    match &n.asname {
                        Some(a) => push(out, a, n.name.to_string(), false, false),
                        None => {
                            let top = n.name.split('.').next().unwrap_or(&n.name);
                            push(out, top, top.to_string(), false, false);
                        }
                    }
                }
            }
            StmtKind::ImportFrom { module: m, level, names } => {
                let Some(base) = resolve_relative(module, is_package, m.as_deref(), *level) else { continue };
                for n in names {
                    if n.name == "*" {
                        push(out, "*", base.clone(), true, true);
                    } else {
                        let local = n.asname.as_ref().unwrap_or(&n.name);
                        push(out, local, crate::syntax::join_dot(&base, &n.name), true, false);
                    }
                }
            }
            StmtKind::If { test, body: then, orelse } if is_type_checking(test) => {
                collect_imports(then, module, is_package, Where { type_only: true, ..at }, out, line);
                collect_imports(orelse, module, is_package, at, out, line);
            }
            StmtKind::Try { body: tbody, handlers, orelse, finalbody } if catches_import_error(handlers) => {
                let fb = Where { fallback: true, ..at };
                collect_imports(tbody, module, is_package, fb, out, line);
                for h in handlers {
                    collect_imports(&h.body, module, is_package, fb, out, line);
                }
                collect_imports(orelse, module, is_package, at, out, line);
                collect_imports(finalbody, module, is_package, at, out, line);
            }
            StmtKind::FunctionDef(d) => {
                collect_imports(&d.body, module, is_package, Where { module_level: false, ..at }, out, line)
            }
            StmtKind::ClassDef(c) => {
                collect_imports(&c.body, module, is_package, Where { module_level: false, ..at }, out, line)
            }
            _ => {
                s.for_each_block(false, |b| collect_imports(b, module, is_package, at, out, line));
            }
        }
    }
}

/// Module-level bindings in source order (inside top-level `if`/`try`/`with`/loops too).
fn bindings(
    body: &[Stmt],
    type_only: bool,
    f: &mut FileFacts,
    class_of: &HashMap<String, ClassIdx>,
    def_index: &HashMap<Span, DefIdx>,
) {
    for s in body {
        match &s.kind {
            StmtKind::FunctionDef(d) => {
                if d.name == "__getattr__" {
                    f.dynamic = true;
                }
                if let Some(&i) = def_index.get(&s.span) {
                    f.bindings.push(Binding {
                        name: d.name.to_string(),
                        kind: BindingKind::Def(i),
                        line: f.defs[i as usize].line,
                        type_only,
                    });
                }
            }
            StmtKind::ClassDef(c) => {
                if let Some(&i) = class_of.get(c.name.as_str()) {
                    f.bindings.push(Binding {
                        name: c.name.to_string(),
                        kind: BindingKind::Class(i),
                        line: f.classes[i as usize].line,
                        type_only,
                    });
                }
            }
            StmtKind::Assign { .. } | StmtKind::AnnAssign { value: Some(_), .. } => {
                let start = s.span;
                for (ai, a) in f.assigns.iter().enumerate() {
                    if a.span == start && a.owner == Owner::Module {
                        f.bindings.push(Binding {
                            name: a.target.clone(),
                            kind: BindingKind::Assign(ai as u32),
                            line: a.line,
                            type_only,
                        });
                    }
                }
            }
            StmtKind::Import { .. } | StmtKind::ImportFrom { .. } => {
                let names: Vec<String> = match &s.kind {
                    StmtKind::Import { names } => names
                        .iter()
                        .map(|n| {
                            n.asname
                                .as_ref()
                                .map(|a| a.to_string())
                                .unwrap_or_else(|| n.name.split('.').next().unwrap_or(&n.name).to_string())
                        })
                        .collect(),
                    StmtKind::ImportFrom { names, .. } => names
                        .iter()
                        .filter(|n| n.name != "*")
                        .map(|n| n.asname.as_ref().unwrap_or(&n.name).to_string())
                        .collect(),
                    _ => vec![],
                };
                for name in names {
                    if let Some(ii) = f.imports.iter().rposition(|i| i.module_level && i.local == name) {
                        let line = f.imports[ii].line;
                        f.bindings.push(Binding {
                            name,
                            kind: BindingKind::Import(ii as u32),
                            line,
                            type_only: type_only || f.imports[ii].type_only,
                        });
                    }
                }
            }
            StmtKind::If { test, body: then, orelse } if is_type_checking(test) => {
                bindings(then, true, f, class_of, def_index);
                bindings(orelse, type_only, f, class_of, def_index);
            }
            _ => {
                s.for_each_block(false, |b| bindings(b, type_only, f, class_of, def_index));
            }
        }
    }
}

/// What one statement of a function's own body shows of it (see `body_facts`).
fn evidence_stmt(ctx: &FileContext, s: &Stmt, ev: &mut DefEvidence, line: &dyn Fn(u32) -> u32) {
    match &s.kind {
        StmtKind::Try { handlers, .. } => {
            let real: Vec<&Handler> = handlers.iter().filter(|h| !loops::is_control_flow_handler(h)).collect();
            if !real.is_empty() && ev.catches.is_none() {
                ev.catches = Some(line(s.span.start));
            }
            for h in real {
                walk_stmts(&h.body, false, &mut |x| {
                    if matches!(x.kind, StmtKind::Return(_)) {
                        ev.catch_returns = true;
                    }
                });
            }
        }
        StmtKind::Raise { .. } => ev.raises = true,
        StmtKind::For { .. } | StmtKind::While { .. } => ev.loops = true,
        // `retries['total_max_attempts'] = value + 1`, `config['__default__']['max_attempts'] = n`: it writes a
        // retry setting into a configuration.
        StmtKind::Assign { targets, .. } if targets.iter().any(sets_retry_key) => ev.sets_retry_setting = true,
        // `if response.status_code in _UNFOLLOWABLE_STATUS_CODES: raise BucketEventsUnavailable(...)`.
        StmtKind::If { test, body, .. } => {
            let raised = body.iter().find_map(|b| match &b.kind {
                StmtKind::Raise { exc: Some(e) } => e.last_name().map(str::to_string),
                _ => None,
            });
            if let (Some(raised), ExprKind::Compare { ops, comparators, .. }) = (raised, &test.kind) {
                if let ([CmpOp::In], [set]) = (ops.as_slice(), comparators.as_slice()) {
                    ev.raises_when_in.extend(set.dotted().map(|d| (d, raised)));
                }
            }
        }
        StmtKind::AugAssign { target, op: BinOp::Add, value }
            if matches!(value.kind, ExprKind::Constant(Constant::Int(1))) =>
        {
            ev.counts_up.extend(target.dotted());
        }
        // `should_retry = True` / `retryable = False`: the function reaches a retry verdict.
        StmtKind::Assign { targets, value }
            if matches!(value.kind, ExprKind::Constant(Constant::Bool(_)))
                && targets.iter().any(|t| t.last_name().is_some_and(crate::detect::names::is_decision_name)) =>
        {
            ev.verdict = true;
        }
        StmtKind::Return(Some(e)) => {
            ev.returns_value = true;
            let e = e.unawait();
            if matches!(
                e.kind,
                ExprKind::Constant(Constant::Bool(_))
                    | ExprKind::Compare { .. }
                    | ExprKind::BoolOp { .. }
                    | ExprKind::UnaryNot(_)
            ) || e.as_call().is_some_and(|(f, _, _)| {
                matches!(f.dotted().as_deref(), Some("isinstance") | Some("bool") | Some("any") | Some("all"))
            }) {
                ev.returns_bool = true;
            }
            if params::is_backoff_arithmetic(ctx, e) {
                ev.delay_math = true;
            }
            if let ExprKind::List(items) | ExprKind::Tuple(items) = &e.kind {
                // A construction without arguments counts as its callee with `()` (`[ConnectionErrorHandler()]`).
                let item = |x: &Expr| match x.as_call() {
                    Some((f, [], [])) => f.dotted().map(|d| format!("{d}()")),
                    Some(_) => None,
                    None => x.dotted(),
                };
                let names: Option<Vec<String>> = items.iter().map(item).collect();
                if let Some(names) = names.filter(|n| !n.is_empty()) {
                    ev.returns_items.extend(names);
                }
            }
        }
        _ => {}
    }
}

/// `x['max_attempts']` as an assignment target: a string key naming a retry budget or delay.
fn sets_retry_key(target: &Expr) -> bool {
    let ExprKind::Subscript { slice, .. } = &target.kind else { return false };
    matches!(&slice.kind, ExprKind::Constant(Constant::Str(k))
        if crate::detect::names::is_budget_name(k) || crate::detect::names::is_delay_param(k))
}

/// What one expression of a function's own body shows of it (see `body_facts`).
fn evidence_expr(ctx: &FileContext, e: &Expr, ev: &mut DefEvidence, line: &dyn Fn(u32) -> u32) {
    // Delay arithmetic anywhere in the body (`backoff = base * 2 ** (n - 1)` then `return min(backoff, cap)`).
    if !ev.delay_math
        && matches!(e.kind, ExprKind::BinOp { .. } | ExprKind::Call { .. })
        && params::is_backoff_arithmetic(ctx, e)
    {
        ev.delay_math = true;
    }
    if ev.sleeps.is_none() {
        if let Some((func, _, _)) = e.as_call() {
            if sleeps::is_sleep(ctx, func) {
                ev.sleeps = Some(line(e.span.start));
            }
        }
    }
}
