//! Is a redirect target a replacement for the legacy name, as this file uses it? Checked against what the two
//! names *are* in the tree (`project::TreeInfo::definition`, through re-exports), never against the plan's
//! claims: the same kind of object (class, Enum, function, constant), not bound only under `TYPE_CHECKING`,
//! sync where the legacy one is sync, and a signature that takes every call the file makes the way the legacy
//! one takes it (each argument lands on a parameter of the same name). For a class: its constructor calls, and
//! every legacy method the file names (`.execute(...)`), which the target must define with the same
//! async-ness and a signature that takes the file's calls of it.

use crate::data::Plan;
use crate::definitions::{CallShape, DefKind, Definition, Signature};
use crate::detect::context::FileContext;
use crate::syntax::*;

/// One call in the file: its line, shape, and whether it is awaited.
struct CallSite {
    line: u32,
    shape: CallShape,
}

/// `Ok` when `tmod.tname` can replace `smod.sname`, bound as `local` in `file`; else the reason.
pub fn check_redirect(
    plan: &Plan,
    file: &FileContext,
    smod: &str,
    sname: &str,
    tmod: &str,
    tname: &str,
    local: &str,
) -> Result<(), String> {
    let Some(tree) = plan.tree.as_ref() else {
        return Err("the tree's definitions were not read; the target cannot be verified".into());
    };
    let target = tree.definition(tmod, tname).map_err(|e| format!("cannot verify `{tmod}.{tname}`: {e}"))?;
    if target.type_checking_only {
        return Err(format!(
            "`{tmod}.{tname}` is bound only under `if TYPE_CHECKING:`; importing it would fail at run time"
        ));
    }
    let source = tree
        .definition(smod, sname)
        .map_err(|e| format!("cannot see what the legacy `{sname}` is ({e}), so not redirected"))?;
    if source.kind != target.kind {
        return Err(format!(
            "the legacy `{sname}` is {} and `{tmod}.{tname}` is {}: not the same kind of object",
            source.kind.with_article(),
            target.kind.with_article()
        ));
    }
    // The object itself handed on (returned, stored, passed): its calls elsewhere cannot be checked here.
    if source.signature != target.signature || (source.kind == DefKind::Class && source.methods != target.methods) {
        if let Some(line) = escapes(file, local) {
            return Err(format!(
                "line {line}: `{local}` itself is handed on, and `{tname}` is not called the same way; its uses \
                 elsewhere cannot be checked"
            ));
        }
    }
    match source.kind {
        DefKind::Function => compatible_callable(
            &format!("`{tname}`"),
            source.signature.as_ref(),
            target.signature.as_ref(),
            &calls_of_name(file, local),
        ),
        DefKind::Class => compatible_class(file, local, tname, &source, &target),
        _ => Ok(()),
    }
}

fn compatible_class(
    file: &FileContext,
    local: &str,
    tname: &str,
    source: &Definition,
    target: &Definition,
) -> Result<(), String> {
    let ctor = calls_of_name(file, local);
    if !ctor.is_empty() {
        let (Some(s), Some(t)) = (source.signature.as_ref(), target.signature.as_ref()) else {
            return Err(format!(
                "the constructor of `{tname}` or of the legacy class is not known; its calls here cannot be checked"
            ));
        };
        compatible_callable(&format!("`{tname}(...)`"), Some(s), Some(t), &ctor)?;
    }
    for (method, legacy) in source.methods.iter().filter(|(m, _)| !m.starts_with("__") || m.as_str() == "__call__") {
        let uses = method_calls(file, method);
        if uses.is_empty() && !names_attribute(file, method) {
            continue;
        }
        let Some(new) = target.methods.get(method) else {
            return Err(format!("this file uses the legacy method `.{method}`, which `{tname}` does not define"));
        };
        compatible_callable(&format!("`{tname}.{method}`"), Some(legacy), Some(new), &uses)?;
    }
    Ok(())
}

fn compatible_callable(
    what: &str,
    source: Option<&Signature>,
    target: Option<&Signature>,
    calls: &[CallSite],
) -> Result<(), String> {
    let Some(target) = target else {
        return if calls.is_empty() { Ok(()) } else { Err(format!("the signature of {what} is not known")) };
    };
    if let Some(source) = source {
        if source.is_async != target.is_async {
            let (s, t) = if source.is_async { ("async", "sync") } else { ("sync", "async") };
            return Err(format!("the legacy one is {s} and {what} is {t}: every call and `await` would change"));
        }
    }
    for call in calls {
        let new = target.bind(&call.shape).map_err(|e| format!("{what} {e} (line {})", call.line))?;
        if let Some(source) = source {
            if let Ok(old) = source.bind(&call.shape) {
                if let Some((o, n)) = old.iter().zip(&new).find(|(o, n)| o != n) {
                    return Err(format!(
                        "line {}: an argument the legacy one takes as `{o}` would be passed to {what} as `{n}`",
                        call.line
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Calls of the name `local` itself (`local(...)`, `await local(...)`).
fn calls_of_name(file: &FileContext, local: &str) -> Vec<CallSite> {
    let mut out = Vec::new();
    walk_exprs(&file.ast.body, true, &mut |e| {
        if let ExprKind::Call { func, args, keywords } = &e.kind {
            if matches!(&func.kind, ExprKind::Name(n) if n == local) {
                out.push(CallSite { line: line_of(file, e.span.start), shape: CallShape::of(args, keywords) });
            }
        }
    });
    out
}

/// Calls of a method of that name on any object (`x.method(...)`): the file's objects are not typed, so any
/// of them may be an instance of the class.
fn method_calls(file: &FileContext, method: &str) -> Vec<CallSite> {
    let mut out = Vec::new();
    walk_exprs(&file.ast.body, true, &mut |e| {
        if let ExprKind::Call { func, args, keywords } = &e.kind {
            if matches!(&func.kind, ExprKind::Attribute { attr, .. } if attr == method) {
                out.push(CallSite { line: line_of(file, e.span.start), shape: CallShape::of(args, keywords) });
            }
        }
    });
    out
}

fn names_attribute(file: &FileContext, method: &str) -> bool {
    let mut found = false;
    walk_exprs(&file.ast.body, true, &mut |e| {
        found |= matches!(&e.kind, ExprKind::Attribute { attr, .. } if attr == method);
    });
    found
}

fn line_of(file: &FileContext, at: u32) -> u32 {
    super::text::line_number(file.text, at)
}

/// The line of a use of `local` as a value (not called, not an attribute's object, not a base class list).
fn escapes(file: &FileContext, local: &str) -> Option<u32> {
    let mut ok: std::collections::BTreeSet<Span> = std::collections::BTreeSet::new();
    walk_exprs(&file.ast.body, true, &mut |e| match &e.kind {
        ExprKind::Call { func, .. } => {
            ok.insert(func.span);
        }
        ExprKind::Attribute { value, .. } => {
            ok.insert(value.span);
        }
        _ => {}
    });
    let mut bases: std::collections::BTreeSet<Span> = std::collections::BTreeSet::new();
    walk_stmts(&file.ast.body, true, &mut |s| {
        if let StmtKind::ClassDef(c) = &s.kind {
            bases.extend(c.bases.iter().map(|b| b.span));
        }
    });
    let mut found = None;
    walk_exprs(&file.ast.body, true, &mut |e| {
        let is_use = matches!(&e.kind, ExprKind::Name(n) if n == local);
        if found.is_none() && is_use && !ok.contains(&e.span) && !bases.contains(&e.span) {
            found = Some(line_of(file, e.span.start));
        }
    });
    found
}
