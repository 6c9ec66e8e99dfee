//! What a config conversion must hold before it is offered (issue: a `RetryConfig(max_retries=N)` handed to a
//! consumer that still reads `.max_retries` breaks at run time; an empty `RetryConfig()` silently takes the
//! canonical defaults):
//! - every consumer the new object flows into in the file accepts the canonical class: a call into the
//!   canonical module, or attribute reads the canonical class defines. A value passed to other code, returned,
//!   or bound at module level where other modules can import it, is refused, naming the consumer;
//! - every legacy default the construction relies on, once converted, equals the canonical default, or is
//!   written out (`RetryPolicy()` -> `RetryConfig(max_attempts=4)`).

use crate::data::{parse_rename, ConfigMigration, Conversion, Plan};
use crate::definitions::{DefaultValue, Definition};
use crate::detect::context::FileContext;
use crate::syntax::*;

/// Why the value built at `call` may reach code that expects the legacy class, if it may.
pub fn consumer_problem(
    file: &FileContext,
    plan: &Plan,
    call: &Expr,
    tmod: &str,
    target: &Definition,
) -> Option<String> {
    let line = |at: u32| super::text::line_number(file.text, at);
    let accepts = |func: &Expr| file.resolve(func).is_some_and(|q| q.starts_with(&format!("{tmod}.")));
    let callee_of = |span: Span| -> Option<(&Expr, u32)> {
        let mut found = None;
        walk_exprs(&file.ast.body, true, &mut |e| {
            if let ExprKind::Call { func, args, keywords } = &e.kind {
                if args.iter().any(|a| a.span == span) || keywords.iter().any(|k| k.value.span == span) {
                    found = Some((func.as_ref(), e.span.start));
                }
            }
        });
        found
    };
    let passed = |span: Span| -> Option<Option<String>> {
        let (func, at) = callee_of(span)?;
        Some((!accepts(func)).then(|| {
            format!(
                "line {}: the config is passed to `{}`, which is not the canonical API and may read the legacy fields",
                line(at),
                func.dotted().unwrap_or_else(|| "a call".into())
            )
        }))
    };
    if let Some(problem) = passed(call.span) {
        return problem;
    }
    // Assigned to a name, returned, or used some other way.
    let mut target_name = None;
    let mut returned = None;
    walk_stmts(&file.ast.body, true, &mut |s| match &s.kind {
        StmtKind::Assign { targets, value } if value.span == call.span => {
            if let [Expr { kind: ExprKind::Name(n), .. }] = targets.as_slice() {
                target_name = Some((n.to_string(), s.span));
            }
        }
        StmtKind::Return(Some(v)) => {
            let direct = v.span == call.span;
            let in_tuple = matches!(&v.kind, ExprKind::Tuple(items) if items.iter().any(|i| i.span == call.span));
            if direct || in_tuple {
                returned = Some(s.span.start);
            }
        }
        _ => {}
    });
    if let Some(at) = returned {
        return Some(format!("line {}: the config is returned; what its callers read of it was not checked", line(at)));
    }
    let Some((name, assign)) = target_name else {
        return Some(format!("line {}: the config is used where its readers cannot be checked", line(call.span.start)));
    };
    let scope = file.functions.iter().filter(|f| f.span.contains(assign)).min_by_key(|f| f.span.len());
    if scope.is_none() {
        // Module level: importable by any module of the tree that imports this one.
        let importers = plan.tree.as_ref().map_or(0, |t| {
            t.modules.values().filter(|m| m.imports.iter().any(|i| crate::project::module_eq(i, &file.module))).count()
        });
        if importers > 0 {
            return Some(format!(
                "module-level `{name}` can be imported by the {importers} module(s) that import `{}`; their reads were not checked",
                file.module
            ));
        }
    }
    let body: &[Stmt] = match scope {
        Some(f) => &f.def.body,
        None => &file.ast.body,
    };
    let mut attribute_of: std::collections::BTreeMap<Span, String> = Default::default();
    walk_exprs(body, true, &mut |e| {
        if let ExprKind::Attribute { value, attr } = &e.kind {
            attribute_of.insert(value.span, attr.to_string());
        }
    });
    let known = |attr: &str| {
        target.signature.as_ref().is_some_and(|s| s.params.iter().any(|p| p.name == attr))
            || target.methods.contains_key(attr)
    };
    let mut problem = None;
    walk_exprs(body, true, &mut |e| {
        if problem.is_some()
            || !matches!(&e.kind, ExprKind::Name(n) if *n == name)
            || assign.contains(e.span) && e.span.start < call.span.start
        {
            return;
        }
        if let Some(attr) = attribute_of.get(&e.span) {
            if !known(attr) {
                problem = Some(format!(
                    "line {}: `{name}.{attr}` is read, which the canonical class does not define",
                    line(e.span.start)
                ));
            }
            return;
        }
        if let Some(p) = passed(e.span) {
            problem = p;
            return;
        }
        problem = Some(format!("line {}: `{name}` is used where its readers cannot be checked", line(e.span.start)));
    });
    problem
}

/// The keywords to add so the legacy defaults the call relies on survive the conversion (`Err`: a default that
/// cannot be carried over, named).
pub fn defaults_to_write(
    m: &ConfigMigration,
    legacy: &Definition,
    target: &Definition,
    passed: &[&str],
) -> Result<Vec<(String, String)>, String> {
    let fname = m.from_parts().1;
    let (Some(ls), Some(ts)) = (&legacy.signature, &target.signature) else {
        return Err(format!(
            "the constructor of `{fname}` or of the canonical class is not known; its defaults cannot be compared"
        ));
    };
    // Canonical keywords the call already sets (through any legacy spelling that maps onto them).
    let mut covered: Vec<String> = passed
        .iter()
        .filter_map(|k| m.rename.get(*k).and_then(|spec| parse_rename(spec).ok()).map(|(new, _)| new))
        .collect();
    let mut out = Vec::new();
    for p in ls.params.iter().filter(|p| p.has_default && !passed.contains(&p.name.as_str())) {
        // A legacy alias defaulting to None (`retry_delay=None` beside `base_delay`) sets nothing.
        if p.default == Some(DefaultValue::None)
            && m.rename.get(&p.name).and_then(|spec| parse_rename(spec).ok()).is_some_and(|(new, _)| {
                ls.params.iter().any(|o| {
                    o.name != p.name
                        && m.rename.get(&o.name).and_then(|s| parse_rename(s).ok()).is_some_and(|(n2, _)| n2 == new)
                })
            })
        {
            continue;
        }
        let Some(spec) = m.rename.get(&p.name) else {
            return Err(format!(
                "`{fname}` defaults `{}` and the plan maps it to nothing (`rename`); the canonical default would replace it",
                p.name
            ));
        };
        let (new, conv) = parse_rename(spec).map_err(|e| format!("config_migrations rename.{}: {e}", p.name))?;
        let Some(d) = &p.default else {
            return Err(format!("the legacy default of `{}` is not a literal; it cannot be carried over", p.name));
        };
        let converted = match (conv, d) {
            (Conversion::Same, d) => d.clone(),
            (Conversion::Add(n), DefaultValue::Number(x)) => DefaultValue::Number(x + n as f64),
            (Conversion::Scale(k), DefaultValue::Number(x)) => DefaultValue::Number(x * k),
            (_, DefaultValue::None) => DefaultValue::None,
            _ => return Err(format!("the legacy default of `{}` cannot be converted", p.name)),
        };
        let Some(tp) = ts.params.iter().find(|t| t.name == new) else {
            return Err(format!("the canonical class has no `{new}` for the legacy default of `{}`", p.name));
        };
        if covered.contains(&new) {
            continue;
        }
        if tp.default.as_ref() != Some(&converted) {
            covered.push(new.clone());
            out.push((new, converted.python()));
        }
    }
    Ok(out)
}
