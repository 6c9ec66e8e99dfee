//! `migrate --shims`: a legacy retry engine the plan lists becomes a delegating shim onto the canonical manager
//! (the plan's "Backward Compatibility Approach"). The function keeps its name, signature, sync/async-ness
//! docstring and whatever it does before its loop; the loop becomes one call of the canonical manager with the
//! loop's own policy,
//! read in the names of its scope (`max_attempts=self.max_retries + 1`, `base_delay=delay`), so callers that
//! pass other values keep getting them:
//!
//! ```python
//! async def execute_with_retry(self, agent, context):
//!     _warn_legacy_retry("RetryManager.execute_with_retry", "UnifiedRetryHandler.execute_with_retry")
//!     _retry_handler = UnifiedRetryHandler(RetryConfig(max_attempts=self.max_retries + 1, ...))
//!     return await _retry_handler.execute_with_retry(lambda: agent.execute(context))
//! ```
//!
//! What the shim cannot carry over is listed in its note and makes it unsafe (log lines on each failure, a
//! different error when attempts run out, jitter); what it cannot express at all (a loop that does more than
//! retry one call, a schedule the dry run cannot read, a sync engine onto an async-only manager) is skipped
//! with the reason. Every name the shim uses is checked against the canonical module's source.

use super::text::*;
use crate::data::{CanonicalEngine, Plan};
use crate::definitions::{CallShape, DefKind};
use crate::detect::context::{FileContext, FnInfo};
use crate::detect::dry_run::{self, Attempts, Term};
use crate::detect::functions::FnAnalysis;
use crate::finding::{Applicability, Edit, Fix};
use crate::syntax::*;

pub const KIND: &str = "shim";
/// Calls that only log (dropped with the loop, and named in the shim's note).
const LOG_CALLS: &[&str] = &["debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"];
/// The module-level helper every shim of a file calls to warn once.
const WARN_HELPER: &str = "_warn_legacy_retry";

/// The shim of `info` (a function whose job is retrying), `None` when the plan asks for none here.
pub fn shim_for(
    file: &FileContext,
    info: &FnInfo,
    a: &FnAnalysis,
    factory: Option<&FunctionDef>,
    plan: &Plan,
) -> Option<Result<Fix, String>> {
    let canonical = plan.canonical.module.as_str();
    if canonical.is_empty() || crate::project::module_eq(&file.module, canonical) {
        return None;
    }
    crate::classify::plan::entry_for(plan, file.path)?;
    // The plan's `[canonical.engine]`, else what the canonical module's source shows.
    let derived;
    let engine = match &plan.canonical.engine {
        Some(e) => e,
        None => match plan.tree.as_ref().map(|t| super::shim_engine::derive(t, canonical)) {
            Some(Ok(e)) => {
                derived = e;
                &derived
            }
            Some(Err(reason)) => return Some(Err(reason)),
            None => return Some(Err("the canonical module's source was not read; nothing to delegate to".into())),
        },
    };
    Some(build(file, info, a, factory, plan, engine))
}

/// The pieces of the legacy body the shim is made of.
struct Legacy {
    /// The attempt: the call the loop's `try` makes (its text, `await` stripped).
    attempt: String,
    /// The attempt is awaited (`return await client.get(url)`).
    attempt_awaited: bool,
    /// The names the attempt reads.
    attempt_names: Vec<String>,
    retryable: Vec<String>,
    non_retryable: Vec<String>,
    /// What the shim does not carry over.
    differences: Vec<String>,
    /// The function's own error when attempts run out, raised after the loop
    /// (`raise RetryExhausted(...) from last_error`): kept by the shim when it reads nothing the loop computed.
    final_raise: Option<FinalRaise>,
}

/// The `raise` after a legacy loop, and the names that hold the caught error in the loop's handlers (`e` of
/// `except X as e`, `last_error` of `last_error = e`).
struct FinalRaise {
    text: String,
    line: u32,
    error_names: Vec<String>,
}

impl FinalRaise {
    fn difference(&self) -> String {
        format!(
            "line {}: raises its own error when attempts run out (the canonical manager re-raises the last one)",
            self.line
        )
    }
}

fn build(
    file: &FileContext,
    info: &FnInfo,
    a: &FnAnalysis,
    factory: Option<&FunctionDef>,
    plan: &Plan,
    engine: &CanonicalEngine,
) -> Result<Fix, String> {
    let def = info.def;
    if a.recursion.is_some() {
        return Err("retries by recursion; a shim replaces a loop only".into());
    }
    let loops: Vec<_> = a.retry_loops().collect();
    let [site] = loops.as_slice() else {
        return Err(format!("{} retry loops in one function; a shim replaces exactly one", loops.len()));
    };
    if def.body.iter().any(|st| {
        let mut y = false;
        walk_exprs(std::slice::from_ref(st), false, &mut |e| y |= matches!(e.kind, ExprKind::Yield(_)));
        y
    }) {
        return Err("a generator; a shim replaces a function that returns".into());
    }
    let legacy = read_body(file, def, site.stmt)?;
    let canonical = plan.canonical.module.as_str();
    let tree = plan.tree.as_ref().ok_or("the canonical module's source was not read; nothing to delegate to")?;
    // The canonical names, checked against the module's source.
    let handler = tree.definition(canonical, &engine.handler).map_err(|e| format!("cannot verify the handler: {e}"))?;
    if handler.kind != DefKind::Class || handler.type_checking_only {
        return Err(format!("`{canonical}.{}` is not a class bound at run time", engine.handler));
    }
    let mut run = engine.run.as_str();
    let mut run_sig = handler.methods.get(run).cloned();
    if run_sig.as_ref().is_some_and(|s| s.is_async != def.is_async) && !engine.run_other.is_empty() {
        run = engine.run_other.as_str();
        run_sig = handler.methods.get(run).cloned();
    }
    let run_sig = run_sig.ok_or_else(|| format!("`{}` defines no method `{run}`", engine.handler))?;
    if run_sig.is_async != def.is_async {
        let (l, c) = if def.is_async { ("async", "sync") } else { ("sync", "async") };
        return Err(format!(
            "the legacy engine is {l} and `{}.{run}` is {c}; the plan names no {l} twin (`run_other`)",
            engine.handler
        ));
    }
    run_sig
        .bind(&CallShape { positional: 1, keywords: vec![], unpacks: false })
        .map_err(|e| format!("`{}.{run}` {e} (a shim passes one callable)", engine.handler))?;
    // The config goes to the constructor's config (or policy) parameter by name; a constructor without one
    // takes it as its one positional argument only when it has no other (`Handler(service_name, ...)` would
    // get the config as its service name).
    let config_param = handler.signature.as_ref().and_then(|s| {
        s.params.iter().find(|p| p.name.contains("config") || p.name.contains("policy")).map(|p| p.name.clone())
    });
    let shape = match &config_param {
        Some(p) => CallShape { positional: 0, keywords: vec![p.clone()], unpacks: false },
        None => CallShape { positional: 1, keywords: vec![], unpacks: false },
    };
    if let Some(sig) = &handler.signature {
        sig.bind(&shape).map_err(|e| format!("`{}(config)`: {e}", engine.handler))?;
        if config_param.is_none() && sig.params.iter().any(|p| p.name != "self" && !p.name.starts_with('*')) {
            if let Some(first) = sig.params.first() {
                return Err(format!(
                    "`{}` takes no config or policy parameter (its first is `{}`); name how it takes one in the plan",
                    engine.handler, first.name
                ));
            }
        }
    }
    // A run method annotated to return a result object: unwrapped through its own fields (success flag,
    // value, final error) when the class shows them, else the plan must name the value's attribute.
    let mut unwrap: Option<(String, String, String)> = None;
    if engine.returns.is_empty() {
        if let Some(r) = run_sig.returns.as_deref().filter(|r| r.ends_with("Result") || r.ends_with("Outcome")) {
            let fields: Vec<String> = tree
                .definition(canonical, r)
                .ok()
                .and_then(|d| d.signature)
                .map(|s| s.params.into_iter().map(|p| p.name).collect())
                .unwrap_or_default();
            let pick = |names: &[&str]| names.iter().find(|n| fields.iter().any(|f| f == *n)).map(|n| n.to_string());
            match (
                pick(&["success", "succeeded", "ok", "is_success"]),
                pick(&["result", "value", "data", "return_value"]),
                pick(&["final_exception", "last_exception", "exception", "error", "last_error"]),
            ) {
                (Some(ok), Some(value), Some(error)) => unwrap = Some((ok, value, error)),
                _ => {
                    return Err(format!(
                        "`{}.{run}` returns a `{r}` object, not the value; name the attribute holding the value in \
                         `[canonical.engine] returns`",
                        engine.handler
                    ))
                }
            }
        }
    }

    // The policy, in the names of the function's scope.
    let host = info.def;
    let symbolic = dry_run::run_symbolic(file, Some(host), factory, site.stmt);
    let mut knobs: Vec<(&str, String)> = Vec::new();
    let mut differences = legacy.differences;
    match &symbolic.attempts {
        Some(Attempts::Known(n)) => knobs.push(("max_attempts", n.to_string())),
        Some(Attempts::Expr(e)) => knobs.push(("max_attempts", e.clone())),
        None => return Err("how many attempts the loop makes could not be read".into()),
    }
    if !symbolic.waits && (site.facts.sleep_via_helper || site.facts.pending_sleep || site.facts.has_sleep) {
        return Err("the loop waits through a helper whose delays the dry run cannot read".into());
    }
    if symbolic.waits {
        let (Some(base), Some(strategy)) = (&symbolic.base, symbolic.strategy) else {
            return Err("the loop's waits could not be read as a fixed, linear or exponential schedule".into());
        };
        knobs.push(("base_delay", term(base)));
        let member = match strategy {
            "fixed" => "FIXED",
            "linear" => "LINEAR",
            _ => "EXPONENTIAL",
        };
        let enum_name = if engine.strategy_enum.is_empty() { "RetryStrategy" } else { &engine.strategy_enum };
        knobs.push(("strategy", format!("{enum_name}.{member}")));
        if strategy == "exponential" {
            let m = symbolic.multiplier.as_ref().ok_or("the growth factor of the waits could not be read")?;
            knobs.push(("multiplier", term(m)));
        }
        knobs.push(("max_delay", symbolic.cap.as_ref().map_or_else(|| "float(\"inf\")".to_string(), term)));
        knobs.push(("jitter", "0.0".into()));
    } else {
        knobs.push(("base_delay", "0.0".into()));
        knobs.push(("max_delay", "0.0".into()));
        knobs.push(("jitter", "0.0".into()));
    }
    if !legacy.retryable.is_empty() {
        knobs.push(("retryable", tuple(&legacy.retryable)));
    }
    if !legacy.non_retryable.is_empty() {
        knobs.push(("non_retryable", tuple(&legacy.non_retryable)));
    }
    // Every knob needs its keyword in the canonical config, and the config must take them all.
    let mut kwargs: Vec<String> = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    for (knob, value) in &knobs {
        match engine.field(knob) {
            Some(kw) => {
                kwargs.push(format!("{kw}={value}"));
                keywords.push(kw.to_string());
            }
            // Values the canonical defaults may already give are differences, not blockers.
            None if matches!(*knob, "jitter" | "max_delay") => {
                differences.push(format!("the canonical config has no `{knob}` knob (its default applies)"))
            }
            None if *knob == "retryable" && legacy.retryable == ["Exception"] => differences.push(
                "the legacy loop retries every `Exception`; the canonical config has no knob for which exceptions \
                 are retried (its default applies)"
                    .into(),
            ),
            None if *knob == "retryable" => {
                return Err(format!(
                    "the legacy loop retries only {}; the canonical config has no knob for which exceptions are \
                     retried (`retryable` in `[canonical.engine] fields`)",
                    tuple(&legacy.retryable)
                ))
            }
            None => return Err(format!("the plan maps no config keyword for `{knob}` (`[canonical.engine] fields`)")),
        }
    }
    let config = tree.definition(canonical, &engine.config).map_err(|e| format!("cannot verify the config: {e}"))?;
    if let Some(sig) = &config.signature {
        sig.bind(&CallShape { positional: 0, keywords, unpacks: false })
            .map_err(|e| format!("`{}(...)` {e}", engine.config))?;
    }
    let mut names = vec![engine.handler.clone(), engine.config.clone()];
    if symbolic.waits {
        let enum_name = if engine.strategy_enum.is_empty() { "RetryStrategy" } else { &engine.strategy_enum };
        let members =
            tree.definition(canonical, enum_name).map_err(|e| format!("cannot verify the strategy Enum: {e}"))?.members;
        let used =
            knobs.iter().find(|(k, _)| *k == "strategy").map(|(_, v)| v.rsplit('.').next().unwrap_or("").to_string());
        if let Some(member) = used.filter(|m| !members.contains(m)) {
            return Err(format!("`{enum_name}` has no member `{member}`"));
        }
        names.push(enum_name.to_string());
    }

    // The shim replaces the loop, what follows it, and the call-free assignments right before it that only
    // the loop reads (`attempt = 0`, `current = delay`); what the function does before that stays. What the
    // shim reads must not be a local the replaced code computed.
    let loop_idx = def.body.iter().position(|x| x.span == site.stmt.span).ok_or("the loop is not in the body")?;
    let mut from = loop_idx;
    while from > 0 {
        let prev = &def.body[from - 1];
        let StmtKind::Assign { targets, value } = &prev.kind else { break };
        let names: Vec<&str> = targets
            .iter()
            .filter_map(|t| match &t.kind {
                ExprKind::Name(n) => Some(n.as_str()),
                _ => None,
            })
            .collect();
        let simple = names.len() == targets.len() && !value.any(&|x| matches!(x.kind, ExprKind::Call { .. }));
        if !simple || names.iter().any(|n| legacy.attempt_names.iter().any(|a| a == n)) {
            break;
        }
        from -= 1;
    }
    let locals = locals_of(&def.body[from..]);
    let mut read: Vec<String> = legacy.attempt_names.clone();
    for (_, value) in &knobs {
        read.extend(value.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).filter_map(|w| {
            let head = w.split('.').next().unwrap_or(w);
            (!head.is_empty() && !head.starts_with(|c: char| c.is_ascii_digit())).then(|| head.to_string())
        }));
    }
    if let Some(local) = read.iter().find(|n| locals.contains(n.as_str())) {
        return Err(format!(
            "the policy or the attempt reads `{local}`, which the function computes itself; a shim cannot keep it"
        ));
    }

    // The function's own error when attempts run out stays when it reads nothing the replaced code computed
    // but the caught error: the shim raises it from the canonical manager's last error.
    let final_raise = legacy.final_raise.and_then(|fr| {
        let kept = (unwrap.is_none()).then(|| keepable_raise(&fr, &locals, &legacy.retryable)).flatten();
        if kept.is_none() {
            differences.push(fr.difference());
        }
        kept.map(|error| (fr, error))
    });

    // The new body.
    let text = file.text;
    let first = &def.body[from];
    let indent = indent_of(text, first.span.start as usize).to_string();
    let e = eol(text);
    // The API callers use: a decorator's wrapper warns under the decorator's name.
    let qual = match factory {
        Some(f) => file
            .functions
            .iter()
            .find(|x| std::ptr::eq(x.def, f))
            .map_or_else(|| info.qualname.clone(), |x| x.qualname.clone()),
        None => info.qualname.clone(),
    };
    let replacement = format!("{}.{run}", engine.handler);
    let mut body = String::new();
    let warning = engine.warning();
    if warning.is_some() {
        body.push_str(&format!("{WARN_HELPER}(\"{qual}\", \"{canonical}.{replacement}\"){e}{indent}"));
    }
    let pass = config_param.as_ref().map_or(String::new(), |p| format!("{p}="));
    let one_line = format!("_retry_handler = {}({pass}{}({}))", engine.handler, engine.config, kwargs.join(", "));
    if indent.len() + one_line.len() <= 100 {
        body.push_str(&format!("{one_line}{e}{indent}"));
    } else {
        body.push_str(&format!("_retry_handler = {}({e}{indent}    {pass}{}({e}", engine.handler, engine.config));
        for kw in &kwargs {
            body.push_str(&format!("{indent}        {kw},{e}"));
        }
        body.push_str(&format!("{indent}    ){e}{indent}){e}{indent}"));
    }
    let awaited = if def.is_async { "await " } else { "" };
    let returns = if engine.returns.is_empty() { String::new() } else { format!(".{}", engine.returns) };
    // An async attempt is a coroutine function (`async def`), so a manager that asks
    // `iscoroutinefunction(func)` before awaiting it sees what it expects; a sync one is a lambda.
    let call = if def.is_async {
        let wait = if legacy.attempt_awaited { "await " } else { "" };
        // A blank line before the nested `def` (the body so far ends with the next line's indentation).
        body.truncate(body.len() - indent.len());
        body.push_str(e);
        body.push_str(&indent);
        body.push_str(&format!("async def _attempt():{e}{indent}    return {wait}{}{e}{e}{indent}", legacy.attempt));
        format!("_retry_handler.{run}(_attempt)")
    } else {
        format!("_retry_handler.{run}(lambda: {})", legacy.attempt)
    };
    let ret = if returns.is_empty() {
        format!("return {awaited}{call}")
    } else if def.is_async {
        format!("return (await {call}){returns}")
    } else {
        format!("return {call}{returns}")
    };
    if let Some((ok, value, error)) = &unwrap {
        body.push_str(&format!(
            "_outcome = {awaited}{call}{e}{indent}if not _outcome.{ok}:{e}{indent}    raise _outcome.{error}{e}{indent}return _outcome.{value}"
        ));
    } else if let Some((fr, error)) = &final_raise {
        // The errors the legacy loop re-raised at once pass through unchanged; the ones it retried, once the
        // manager gives up, become the function's own error, as before.
        body.push_str(&format!("try:{e}{indent}    {ret}{e}"));
        if !legacy.non_retryable.is_empty() {
            body.push_str(&format!("{indent}except {}:{e}{indent}    raise{e}", tuple(&legacy.non_retryable)));
        }
        let bind = error.as_ref().map_or(String::new(), |n| format!(" as {n}"));
        body.push_str(&format!("{indent}except {}{bind}:{e}{indent}    ", tuple(&legacy.retryable)));
        // The statement's own continuation lines move in with it.
        let moved: Vec<&str> = fr.text.lines().collect();
        body.push_str(&moved.join(&format!("{e}    ")));
    } else {
        body.push_str(&ret);
    }
    let last = def.body.last().expect("non-empty");
    let mut edits = vec![Edit { span: Span::new(first.span.start, last.span.end), content: body }];

    // Module-level imports and the warning helper, unless an earlier shim of the file added them.
    let module = file.ast;
    let missing: Vec<&str> =
        names.iter().map(String::as_str).filter(|n| !imported_from(module, canonical, n)).collect();
    for n in &missing {
        // Bound or read as a name here (a word in a docstring or comment is no clash).
        if binds(module, n) || !name_nodes(module, n).is_empty() {
            return Err(format!("`{n}` is already used in this file for something else"));
        }
    }
    let mut header: Vec<String> = Vec::new();
    let needs_warnings = warning.is_some() && !imports_module(module, "warnings");
    if needs_warnings {
        header.push("import warnings".into());
    }
    if !missing.is_empty() {
        header.push(format!("from {canonical} import {}", missing.join(", ")));
    }
    let helper_missing = warning.is_some() && !binds(module, WARN_HELPER);
    let at = import_point(text, module, def_start(info))?;
    let mut insert = String::new();
    for line in &header {
        insert.push_str(e);
        insert.push_str(line);
    }
    if helper_missing {
        let category = warning.unwrap_or("DeprecationWarning");
        insert.push_str(&format!(
            "{e}{e}{e}def {WARN_HELPER}(legacy, replacement, _warned=set()):{e}    \
             \"\"\"Warn once per legacy retry API that it delegates to the canonical one (retry-audit shim).\"\"\"{e}    \
             if legacy not in _warned:{e}        _warned.add(legacy){e}        \
             warnings.warn(f\"{{legacy}} is deprecated: it delegates to {{replacement}}\", {category}, stacklevel=3)"
        ));
    }
    if helper_missing && at > 0 {
        // Two blank lines after the helper, whatever followed the imports.
        let following =
            text[at as usize..].chars().take_while(|c| *c == '\n' || *c == '\r').filter(|c| *c == '\n').count();
        for _ in following..3 {
            insert.push_str(e);
        }
    }
    if at == 0 && !insert.is_empty() {
        // At the top of a file without imports: the lines go first, each ended.
        insert = format!("{}{e}{e}{e}", insert.trim_start_matches(['\r', '\n']));
    }
    // Imports only the loop used (`time`, `asyncio`) go with it: a shim adds no unused import.
    let replaced = Span::new(first.span.start, last.span.end);
    // A test that patches what the loop used through this module (`patch("app.retry.asyncio.sleep")`,
    // `patch("app.retry.sleep")`) would patch a name the shim no longer calls (or no longer imports): the
    // canonical manager makes the waits, and the test would wait for real or fail on its mock.
    if let Some(tree) = &plan.tree {
        let inside = &text[replaced.start as usize..replaced.end as usize];
        for bound in import_bindings(module).into_iter().filter(|b| ident_count(inside, b) > 0) {
            if let Some((target, test)) = tree.patched(&file.module, bound) {
                return Err(format!(
                    "the test module `{test}` patches `{target}`, which the loop uses through this module: after \
                     a shim the canonical manager waits, not this module, and the patch would no longer reach it"
                ));
            }
        }
    }
    let keep: &[&str] = if warning.is_some() { &["warnings"] } else { &[] };
    let mut dropped = unused_after(text, module, replaced, keep)?;
    match dropped.iter_mut().find(|d| d.span.start <= at && at < d.span.end) {
        // The import line the new lines were to follow is dropped: they take its place.
        Some(d) if !insert.is_empty() => d.content = format!("{}{e}", insert.trim_start_matches(['\r', '\n'])),
        _ if !insert.is_empty() => edits.push(Edit { span: Span::new(at, at), content: insert }),
        _ => {}
    }
    edits.extend(dropped);
    edits.sort();
    if let Some((ok, value, error)) = &unwrap {
        differences.push(format!(
            "unwraps the canonical result object by its fields `{ok}`, `{value}`, `{error}` (read off its source, by name)"
        ));
    }
    let applicability = if differences.is_empty() { Applicability::Safe } else { Applicability::Unsafe };
    let mut note = format!("shim: `{qual}` delegates to `{canonical}.{replacement}`");
    if !differences.is_empty() {
        note.push_str(&format!(" (differs: {})", differences.join("; ")));
    }
    Ok(Fix { edits, applicability, note, fix_kind: KIND.into() })
}

fn term(t: &Term) -> String {
    match t {
        Term::Number(x) => {
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{x:.1}")
            } else {
                format!("{x}")
            }
        }
        Term::Name(n) => n.clone(),
        Term::Scaled(n, k) => format!("{n} * {}", term(&Term::Number(*k))),
    }
}

fn tuple(items: &[String]) -> String {
    if items.len() == 1 {
        format!("({},)", items[0])
    } else {
        format!("({})", items.join(", "))
    }
}

/// Where the decorators of the function start (the statement's span starts at `def`).
fn def_start(info: &FnInfo) -> u32 {
    info.def.decorators.iter().map(|d| d.span.start).min().unwrap_or(info.stmt.span.start).min(info.stmt.span.start)
}

/// Reads the legacy body: whatever runs before the loop (kept), the loop, and after it at most a `raise` of the
/// last error. The loop's `try` makes one call and returns its value; its handlers
/// either wait and go on (the retryable exceptions) or re-raise at once (the non-retryable ones).
fn read_body(file: &FileContext, def: &FunctionDef, loop_stmt: &Stmt) -> Result<Legacy, String> {
    let text = file.text;
    let line = |s: &Stmt| line_number(text, s.span.start);
    let mut seen_loop = false;
    let mut differences = Vec::new();
    let mut final_raise: Option<FinalRaise> = None;
    for s in &def.body {
        if s.span == loop_stmt.span {
            seen_loop = true;
            continue;
        }
        match &s.kind {
            // What the function does before its loop runs once, as before: the shim keeps it.
            _ if !seen_loop => {}
            StmtKind::Raise { .. } => {
                if !reraises_last(s) {
                    final_raise = Some(FinalRaise {
                        text: slice(text, s.span).to_string(),
                        line: line_number(text, s.span.start),
                        error_names: Vec::new(),
                    });
                }
            }
            _ => return Err(format!("line {}: the function does more than retry one call", line(s))),
        }
    }
    let body = match &loop_stmt.kind {
        StmtKind::For { body, orelse, .. } | StmtKind::While { body, orelse, .. } => {
            if !orelse.is_empty() {
                return Err("the loop has an `else:` block".into());
            }
            body
        }
        _ => return Err("not a loop".into()),
    };
    let loop_var = match &loop_stmt.kind {
        StmtKind::For { target, .. } => target.dotted(),
        _ => None,
    };
    let (mut raised_in_handler, mut retry_handlers) = (false, 0);
    let mut attempt = None;
    let mut attempt_span = Span::new(0, 0);
    let mut attempt_awaited = false;
    let mut attempt_names = Vec::new();
    let mut retryable = Vec::new();
    let mut non_retryable = Vec::new();
    for s in body {
        match &s.kind {
            StmtKind::Try { body: tbody, handlers, orelse, finalbody } if attempt.is_none() => {
                if !orelse.is_empty() || !finalbody.is_empty() {
                    return Err("the attempt's `try` has `else:` or `finally:`".into());
                }
                let (call, span, awaited) = attempt_call(text, tbody)?;
                attempt = Some(call);
                attempt_span = span;
                attempt_awaited = awaited;
                walk_exprs(tbody, false, &mut |e| {
                    if let ExprKind::Name(n) = &e.kind {
                        attempt_names.push(n.to_string());
                    }
                });
                for h in handlers {
                    let types = handler_types(text, h);
                    if h.body.iter().all(|s| matches!(s.kind, StmtKind::Raise { exc: None })) {
                        non_retryable.extend(types);
                        continue;
                    }
                    // `except X as e: if attempt == max_attempts - 1: raise Exhausted(...) from e`: the function's
                    // own error on the last attempt, as a `raise` after the loop would be (one of them at most).
                    let mut own_raise: Option<Span> = None;
                    if let (None, Some(n)) = (final_raise.as_ref(), h.name.as_ref()) {
                        for x in &h.body {
                            if let StmtKind::If { test, body: then, orelse } = &x.kind {
                                // The test compares the attempt count (a decision such as `isinstance(e, Fatal)`
                                // raises at once, not when attempts run out).
                                let counts = matches!(test.kind, ExprKind::Compare { .. })
                                    && test.any(&|y| {
                                        crate::detect::names::is_attempt_ref(y)
                                            || (loop_var.is_some() && y.dotted() == loop_var)
                                    });
                                if let (true, [r @ Stmt { kind: StmtKind::Raise { exc: Some(_) }, .. }], []) =
                                    (counts, then.as_slice(), orelse.as_slice())
                                {
                                    if !reraises_last(r) && own_raise.is_none() {
                                        own_raise = Some(r.span);
                                        raised_in_handler = true;
                                        final_raise = Some(FinalRaise {
                                            text: slice(text, r.span).to_string(),
                                            line: line_number(text, r.span.start),
                                            error_names: vec![n.to_string()],
                                        });
                                    }
                                }
                            }
                        }
                    }
                    // The names that hold the caught error: `as e`, and what is assigned from it.
                    if let (Some(fr), Some(n), None) = (final_raise.as_mut(), h.name.as_ref(), own_raise) {
                        fr.error_names.push(n.to_string());
                        walk_stmts(&h.body, false, &mut |x| {
                            if let StmtKind::Assign { targets, value } = &x.kind {
                                if matches!(&value.kind, ExprKind::Name(v) if v.as_str() == n.as_str()) {
                                    fr.error_names.extend(targets.iter().filter_map(Expr::dotted));
                                }
                            }
                        });
                    }
                    retry_handlers += 1;
                    if types.is_empty() {
                        differences.push("a bare `except:` also retries cancellation and KeyboardInterrupt (the canonical manager never does)".into());
                        retryable.push("Exception".into());
                    } else {
                        retryable.extend(types);
                    }
                    walk_stmts(&h.body, false, &mut |x| {
                        if let StmtKind::Expr(e) = &x.kind {
                            if let Some((func, _, _)) = e.unawait().as_call() {
                                let name = func.last_name().unwrap_or("");
                                if LOG_CALLS.contains(&name) {
                                    differences.push(format!("drops `{}` on each failure", slice(text, func.span)));
                                }
                            }
                        }
                        if let StmtKind::Raise { exc: Some(_) } = &x.kind {
                            if !reraises_last(x) && own_raise != Some(x.span) {
                                differences.push("raises its own error when attempts run out (the canonical manager re-raises the last one)".into());
                            }
                        }
                        if let StmtKind::Return(_) = &x.kind {
                            differences.push("returns instead of raising when attempts run out".into());
                        }
                    });
                }
            }
            // Waits, counters and delay arithmetic around the attempt.
            StmtKind::AugAssign { .. } | StmtKind::Assign { .. } => {}
            StmtKind::Expr(e)
                if e.unawait().as_call().and_then(|(f, _, _)| f.last_name()).is_some_and(|n| n.contains("sleep")) => {}
            _ => return Err(format!("line {}: the loop does more than attempt, wait and count", line(s))),
        }
    }
    // An error one handler raises on its last attempt is that handler's: with other retried errors beside it,
    // the shim, which catches them all at once, cannot tell them apart.
    if raised_in_handler && retry_handlers > 1 {
        if let Some(fr) = final_raise.take() {
            differences.push(fr.difference());
        }
    }
    let attempt = attempt.ok_or("the loop has no `try` around its attempt")?;
    // Every other call the loop makes (its test, its handlers) is dropped by the shim: a decision
    // (`self.should_retry(exc)`), a hook, a metric. Logging is named above; waits and arithmetic are the policy.
    const KEPT: &[&str] = &["min", "max", "float", "int", "len", "range", "isinstance", "pow", "abs", "round"];
    // What a `raise` builds is its error: named above when it is the function's own.
    let mut raises: Vec<Span> = Vec::new();
    walk_stmts(body, false, &mut |x| {
        if matches!(x.kind, StmtKind::Raise { .. }) {
            raises.push(x.span);
        }
    });
    let mut check_call = |func: &Expr, span: Span| {
        let name = func.last_name().unwrap_or("");
        if attempt_span.contains(span) || raises.iter().any(|r| r.contains(span)) {
            return;
        }
        if name.contains("sleep") {
            // A wait through the file's own helper (`self._sleep`) is a seam tests patch and subclasses
            // override; the canonical manager waits its own way.
            let resolved = file.resolve(func).unwrap_or_default();
            let library =
                ["time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep", "eventlet.sleep"];
            if !library.contains(&resolved.as_str()) {
                differences.push(format!(
                    "waits through `{}`, which the canonical manager does not call",
                    slice(text, func.span)
                ));
            }
            return;
        }
        if KEPT.contains(&name) || LOG_CALLS.contains(&name) {
            return;
        }
        differences.push(format!("drops the call `{}` the loop makes", slice(text, func.span)));
    };
    let header: Vec<&Expr> = match &loop_stmt.kind {
        StmtKind::While { test, .. } => vec![test],
        StmtKind::For { iter, .. } => vec![iter],
        _ => vec![],
    };
    for e in header {
        e.walk(&mut |x: &Expr| {
            if let ExprKind::Call { func, .. } = &x.kind {
                check_call(func, x.span);
            }
        });
    }
    walk_exprs(body, false, &mut |x| {
        if let ExprKind::Call { func, .. } = &x.kind {
            check_call(func, x.span);
        }
    });
    differences.sort();
    differences.dedup();
    Ok(Legacy { attempt, attempt_awaited, attempt_names, retryable, non_retryable, differences, final_raise })
}

/// `raise`, `raise err` (the caught error), `raise last_exception`: the last error, as the canonical manager.
fn reraises_last(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Raise { exc: None } => true,
        StmtKind::Raise { exc: Some(e) } => matches!(e.kind, ExprKind::Name(_)),
        _ => false,
    }
}

fn handler_types(text: &str, h: &Handler) -> Vec<String> {
    match &h.type_ {
        None => vec![],
        Some(Expr { kind: ExprKind::Tuple(items), .. }) => {
            items.iter().map(|i| slice(text, i.span).to_string()).collect()
        }
        Some(t) => vec![slice(text, t.span).to_string()],
    }
}

/// The one call the `try` attempts: `return [await] CALL`, or `x = [await] CALL` then `return x`.
fn attempt_call(text: &str, body: &[Stmt]) -> Result<(String, Span, bool), String> {
    let call_text = |e: &Expr| -> Result<(String, Span, bool), String> {
        let inner = e.unawait();
        inner.as_call().ok_or("the attempt is not a call")?;
        Ok((slice(text, inner.span).to_string(), inner.span, matches!(e.kind, ExprKind::Await(_))))
    };
    match body {
        [Stmt { kind: StmtKind::Return(Some(v)), .. }] => call_text(v),
        [Stmt { kind: StmtKind::Assign { targets, value }, .. }, Stmt { kind: StmtKind::Return(Some(r)), .. }]
            if targets.len() == 1 && slice(text, targets[0].span) == slice(text, r.span) =>
        {
            call_text(value)
        }
        _ => Err("the `try` does more than make one call and return its value".into()),
    }
}

fn imported_from(module: &Module, canonical: &str, name: &str) -> bool {
    module.body.iter().any(|s| match &s.kind {
        StmtKind::ImportFrom { module: Some(m), level: 0, names } => {
            m == canonical && names.iter().any(|n| n.name == name && n.asname.is_none())
        }
        _ => false,
    })
}

fn imports_module(module: &Module, name: &str) -> bool {
    module.body.iter().any(|s| match &s.kind {
        StmtKind::Import { names } => names.iter().any(|n| n.name == name && n.asname.is_none()),
        _ => false,
    })
}

/// After the module's leading imports (and its docstring), before `limit`.
fn import_point(text: &str, module: &Module, limit: u32) -> Result<u32, String> {
    let mut at = None;
    for (i, s) in module.body.iter().enumerate() {
        if s.span.end > limit {
            break;
        }
        match &s.kind {
            StmtKind::Import { .. } | StmtKind::ImportFrom { .. } => at = Some(s.span.end),
            StmtKind::Expr(Expr { kind: ExprKind::Constant(Constant::Str(_)), .. }) if i == 0 => at = Some(s.span.end),
            _ => break,
        }
    }
    match at {
        Some(end) if rest_is_blank_or_comment(text, end as usize) => Ok(line_end(text, end as usize) as u32),
        Some(_) => Err("could not find a line to add the canonical import on".into()),
        None => Ok(0),
    }
}

/// Edits dropping the module-level imports whose names only `replaced` used.
/// Can the shim raise the legacy function's own error (`FinalRaise`)? `Some(name)`: yes, binding the caught
/// error to `name` when the `raise` reads it. No when it reads a name the replaced code computes (an attempt
/// count), when the loop names no exceptions to catch, or when the statement holds a multi-line string (moving
/// it in would change the string).
fn keepable_raise(
    fr: &FinalRaise,
    locals: &std::collections::BTreeSet<String>,
    retryable: &[String],
) -> Option<Option<String>> {
    if retryable.is_empty() || (fr.text.contains('\n') && (fr.text.contains("\"\"\"") || fr.text.contains("'''"))) {
        return None;
    }
    let words: Vec<&str> = fr
        .text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        .collect();
    let error = words.iter().find(|w| fr.error_names.iter().any(|n| n == *w)).map(|w| w.to_string());
    if words.iter().any(|w| locals.contains(*w) && error.as_deref() != Some(*w)) {
        return None;
    }
    Some(error)
}

/// The name an imported alias binds: `import a.b` binds `a`, `from m import x as y` binds `y`.
fn bound_name(n: &ImportName, is_from: bool) -> &str {
    match &n.asname {
        Some(a) => a.as_str(),
        None if is_from => n.name.as_str(),
        None => n.name.split('.').next().unwrap_or(&n.name),
    }
}

/// Every name the module-level imports bind.
fn import_bindings(module: &Module) -> Vec<&str> {
    let mut out = Vec::new();
    for s in &module.body {
        let (StmtKind::Import { names } | StmtKind::ImportFrom { names, .. }) = &s.kind else { continue };
        let is_from = matches!(s.kind, StmtKind::ImportFrom { .. });
        out.extend(names.iter().filter(|n| n.name != "*").map(|n| bound_name(n, is_from)));
    }
    out
}

fn unused_after(text: &str, module: &Module, replaced: Span, keep: &[&str]) -> Result<Vec<Edit>, String> {
    let mut edits = Vec::new();
    for (idx, s) in module.body.iter().enumerate() {
        let (StmtKind::Import { names } | StmtKind::ImportFrom { names, .. }) = &s.kind else { continue };
        let is_from = matches!(s.kind, StmtKind::ImportFrom { .. });
        // The text with the replaced body and this import blanked: what still names each binding.
        let mut rest = String::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            let at = i as u32;
            let blank = (replaced.start <= at && at < replaced.end) || (s.span.start <= at && at < s.span.end);
            rest.push(if blank && c != '\n' { ' ' } else { c });
        }
        let inside = &text[replaced.start as usize..replaced.end as usize];
        let dead: std::collections::BTreeSet<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.name != "*")
            .filter(|(_, n)| {
                let bound = bound_name(n, is_from);
                !keep.contains(&bound) && ident_count(inside, bound) > 0 && ident_count(&rest, bound) == 0
            })
            .map(|(i, _)| i)
            .collect();
        if dead.len() == names.len() {
            edits.push(super::imports::delete_stmt(text, &module.body, idx, true));
        } else if !dead.is_empty() {
            edits.extend(super::imports::remove_names(text, names, &dead)?);
        }
    }
    Ok(edits)
}

/// Does the file bind `name` anywhere: an import, a `def` or `class`, an assignment?
fn binds(module: &Module, name: &str) -> bool {
    let mut found = stored_names(module, name) > 0;
    walk_stmts(&module.body, true, &mut |s| {
        found |= match &s.kind {
            StmtKind::Import { names } | StmtKind::ImportFrom { names, .. } => names
                .iter()
                .any(|a| a.asname.as_deref().unwrap_or_else(|| a.name.split('.').next().unwrap_or(&a.name)) == name),
            StmtKind::FunctionDef(f) => f.name == name,
            StmtKind::ClassDef(c) => c.name == name,
            _ => false,
        }
    });
    found
}

/// The names statements assign (not in nested functions): the locals of the code a shim replaces.
fn locals_of(stmts: &[Stmt]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let add_target = |t: &Expr, out: &mut std::collections::BTreeSet<String>| {
        t.walk(&mut |e: &Expr| {
            if let ExprKind::Name(n) = &e.kind {
                out.insert(n.to_string());
            }
        });
    };
    walk_stmts(stmts, false, &mut |s| match &s.kind {
        StmtKind::Assign { targets, .. } => targets.iter().for_each(|t| add_target(t, &mut out)),
        StmtKind::AugAssign { target, .. } | StmtKind::AnnAssign { target, .. } => add_target(target, &mut out),
        StmtKind::For { target, .. } => add_target(target, &mut out),
        StmtKind::Try { handlers, .. } => {
            out.extend(handlers.iter().filter_map(|h| h.name.as_ref().map(|n| n.to_string())));
        }
        _ => {}
    });
    out
}
