//! Library decorators -> the unified decorator.
//!
//! `@retry(stop=stop_after_attempt(5), wait=wait_exponential(multiplier=0.5, max=30))` (tenacity) or
//! `@backoff.on_exception(backoff.expo, OSError, max_tries=4, jitter=None)` becomes
//! `@with_retry(UnifiedRetryConfig(max_attempts=5, base_delay=0.5, max_delay=30.0, ...))`, importing
//! `with_retry` / `UnifiedRetryConfig` (and `RetryStrategy` when needed) from the canonical module. The
//! spelling comes from the plan (`[canonical] decorator`, `config_class`; defaults `with_retry`,
//! `UnifiedRetryConfig`), and the fix is offered only when the canonical module exports every name it uses
//! (parsed from the scanned tree, else the plan's `[canonical] exports`); otherwise the reason names the symbol.
//!
//! The policy engine's translation (`retry_audit_policy::translate::translate_str`) decides: an exact
//! translation (same attempts, delays, jitter distribution, deadline rule and exception classification) is a
//! *safe* fix; an inexact one with a closest policy is *unsafe*, its note lists every difference; no policy at
//! all means no fix (skipped, with the reasons). Only knobs that differ from `UnifiedRetryConfig`'s defaults
//! are spelled out. The library import is left alone (remove it once unused).

use super::text::*;
use crate::data::Plan;
use crate::finding::{Applicability, Edit, Fix, SkippedFix};
use crate::syntax::*;
use retry_audit_policy::strategy::Strategy;
use retry_audit_policy::translate::{translate_str, translate_str_as, Translation};
use retry_audit_policy::PolicySpec;

pub const KIND: &str = "decorator";

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// `<config_class>(...)` (e.g. `UnifiedRetryConfig(...)`) with keyword arguments for the knobs that differ from
/// the defaults; true when `RetryStrategy` is needed.
pub fn config_call(config_class: &str, spec: &PolicySpec) -> (String, bool) {
    let d = PolicySpec::default();
    let mut kw: Vec<String> = Vec::new();
    let mut needs_strategy = false;
    if spec.max_attempts != d.max_attempts {
        kw.push(format!("max_attempts={}", spec.max_attempts));
    }
    if spec.base_delay != d.base_delay {
        kw.push(format!("base_delay={}", num(spec.base_delay)));
    }
    if spec.max_delay != d.max_delay {
        kw.push(format!("max_delay={}", num(spec.max_delay)));
    }
    if spec.strategy != d.strategy {
        needs_strategy = true;
        let s = match spec.strategy {
            Strategy::Fixed => "FIXED",
            Strategy::Linear => "LINEAR",
            Strategy::Exponential => "EXPONENTIAL",
            Strategy::ExponentialJitter => "EXPONENTIAL_JITTER",
            Strategy::Fibonacci => "FIBONACCI",
            Strategy::Adaptive => "ADAPTIVE",
        };
        kw.push(format!("strategy=RetryStrategy.{s}"));
    }
    if spec.multiplier != d.multiplier {
        kw.push(format!("backoff_multiplier={}", num(spec.multiplier)));
    }
    if spec.jitter_enabled != d.jitter_enabled {
        kw.push(format!("jitter_enabled={}", if spec.jitter_enabled { "True" } else { "False" }));
    }
    if spec.jitter_enabled && spec.jitter_range != d.jitter_range {
        kw.push(format!("jitter_range={}", num(spec.jitter_range)));
    }
    if let Some(t) = spec.operation_timeout {
        kw.push(format!("operation_timeout={}", num(t)));
    }
    if let Some(t) = spec.total_timeout {
        kw.push(format!("total_timeout={}", num(t)));
    }
    let tuple = |v: &[String]| {
        if v.len() == 1 {
            format!("({},)", v[0])
        } else {
            format!("({})", v.join(", "))
        }
    };
    if spec.retryable_exceptions != d.retryable_exceptions {
        kw.push(format!("retryable_exceptions={}", tuple(&spec.retryable_exceptions)));
    }
    if !spec.non_retryable_exceptions.is_empty() {
        kw.push(format!("non_retryable_exceptions={}", tuple(&spec.non_retryable_exceptions)));
    }
    (format!("{config_class}({})", kw.join(", ")), needs_strategy)
}

/// Edits removing module-level imports from retry libraries whose only use is the decorator being replaced.
fn drop_library_imports(text: &str, module: &Module, decorator_src: &str) -> Vec<Edit> {
    const LIBS: &[&str] = &["tenacity", "backoff", "stamina"];
    let unused = |local: &str| ident_count(text, local) == ident_count(decorator_src, local) + 1;
    let mut edits = Vec::new();
    for (i, s) in module.body.iter().enumerate() {
        let (names, lib) = match &s.kind {
            StmtKind::Import { names } => {
                (names, names.iter().all(|n| LIBS.contains(&n.name.split('.').next().unwrap_or(""))))
            }
            StmtKind::ImportFrom { module: Some(m), level: 0, names } => {
                (names, LIBS.contains(&m.split('.').next().unwrap_or("")))
            }
            _ => continue,
        };
        if !lib || names.iter().any(|n| n.name == "*") {
            continue;
        }
        let drop: std::collections::BTreeSet<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| unused(n.asname.as_deref().unwrap_or_else(|| n.name.split('.').next().unwrap_or(&n.name))))
            .map(|(j, _)| j)
            .collect();
        if drop.len() == names.len() {
            edits.push(super::imports::delete_stmt(text, &module.body, i, true));
        } else if !drop.is_empty() {
            match super::imports::remove_names(text, names, &drop) {
                Ok(e) => edits.extend(e),
                Err(_) => continue,
            }
        }
    }
    edits
}

/// The fix (or the reason there is none) for a library retry finding at `span`, when it is a decorator.
/// `library`: the library the call's import resolved to (`None`: told from the call's spelling).
pub fn decorator_fix(
    text: &str,
    module: &Module,
    plan: &Plan,
    file_module: &str,
    span: Span,
    library: Option<&str>,
) -> Option<Result<Fix, SkippedFix>> {
    let before = text[..span.start as usize].trim_end_matches([' ', '\t']);
    if !before.ends_with('@') {
        return None; // not a decorator (a `Retrying(...)` call, an adapter argument ...)
    }
    let skip = |reason: String| Some(Err(SkippedFix { fix_kind: KIND.into(), reason }));
    let canonical = plan.canonical.module.as_str();
    if crate::project::module_eq(file_module, canonical) {
        return skip("this file is the canonical module".into());
    }
    let src = slice(text, span);
    let translated = match library.map_or_else(|| translate_str(src), |l| translate_str_as(l, src)) {
        Ok(t) => t,
        Err(e) => return skip(format!("the policy engine cannot read `{src}`: {e:?}")),
    };
    let (spec, applicability, mut notes) = match &translated.translation {
        Translation::Exact(p) => (
            p.spec().clone(),
            Applicability::Safe,
            vec![format!("{} decorator translated exactly", translated.library)],
        ),
        Translation::Inexact { closest: Some(p), reasons } => (
            p.spec().clone(),
            Applicability::Unsafe,
            vec![format!("{} decorator changes behaviour: {}", translated.library, reasons.join("; "))],
        ),
        Translation::Inexact { closest: None, reasons } => {
            return skip(format!("no canonical policy matches: {}", reasons.join("; ")))
        }
    };
    let decorator = plan.canonical.decorator_name();
    let (call, needs_strategy) = config_call(plan.canonical.config_class_name(), &spec);
    let mut names = vec![decorator, plan.canonical.config_class_name()];
    if needs_strategy {
        names.push("RetryStrategy");
    }
    // The canonical module must export every name the rewrite uses (tree exports, else the plan's list).
    for n in &names {
        if let Err(reason) = super::imports::check_export(plan, canonical, n) {
            return skip(reason);
        }
    }
    // The names we introduce must be free, or already imported from the canonical module.
    let mut imported: Vec<&str> = Vec::new();
    for s in &module.body {
        if let StmtKind::ImportFrom { module: Some(m), level: 0, names: ns } = &s.kind {
            if m == canonical {
                imported.extend(ns.iter().filter(|n| n.asname.is_none()).map(|n| n.name.as_str()));
            }
        }
    }
    let missing: Vec<&str> = names.iter().copied().filter(|n| !imported.contains(n)).collect();
    for n in &missing {
        if ident_count(text, n) > 0 {
            return skip(format!("`{n}` is already used in this file for something else"));
        }
    }
    let mut edits = vec![Edit { span, content: format!("{decorator}({call})") }];
    edits.extend(drop_library_imports(text, module, src));
    let existing = module.body.iter().find_map(|s| match &s.kind {
        StmtKind::ImportFrom { module: Some(m), level: 0, names: ns }
            if m == canonical && ns.iter().all(|n| n.name != "*") =>
        {
            ns.last()
        }
        _ => None,
    });
    if let (false, Some(last)) = (missing.is_empty(), existing) {
        edits
            .push(Edit { span: Span::new(last.span.end, last.span.end), content: format!(", {}", missing.join(", ")) });
    } else if !missing.is_empty() {
        // After the last module-level import that precedes the decorated code (or at the top).
        let last_import = module
            .body
            .iter()
            .take_while(|s| s.span.end <= span.start)
            .filter(|s| matches!(s.kind, StmtKind::Import { .. } | StmtKind::ImportFrom { .. }))
            .last();
        let line = format!("from {canonical} import {}", missing.join(", "));
        let e = eol(text);
        match last_import {
            Some(s) if rest_is_blank_or_comment(text, s.span.end as usize) => {
                let at = line_end(text, s.span.end as usize) as u32;
                edits.push(Edit { span: Span::new(at, at), content: format!("{e}{line}") });
            }
            Some(_) => return skip("could not find a line to add the canonical import on".into()),
            None => match module.body.first() {
                // After a module docstring, which must stay first.
                Some(Stmt {
                    kind: StmtKind::Expr(Expr { kind: ExprKind::Constant(Constant::Str(_)), .. }),
                    span: ds,
                }) if ds.end <= span.start && rest_is_blank_or_comment(text, ds.end as usize) => {
                    let at = line_end(text, ds.end as usize) as u32;
                    edits.push(Edit { span: Span::new(at, at), content: format!("{e}{line}") });
                }
                first => {
                    let at = line_start(text, first.map(|s| s.span.start).unwrap_or(0) as usize) as u32;
                    edits.push(Edit { span: Span::new(at, at), content: format!("{line}{e}") });
                }
            },
        }
    }
    // An insertion inside a dropped import line becomes that line's replacement.
    if let Some(ins) =
        edits.iter().position(|x| x.span.is_empty() && x.content.contains(" import ") && x.span.start != span.start)
    {
        let at = edits[ins].span.start;
        if let Some(d) = edits.iter().position(|x| x.content.is_empty() && x.span.start <= at && at < x.span.end) {
            let line = edits[ins].content.trim_start_matches(['\r', '\n']).trim_end_matches(['\r', '\n']).to_string();
            edits[d].content = format!("{line}{}", eol(text));
            edits.remove(ins);
        }
    }
    notes.push(format!("-> @{decorator}({call})"));
    edits.sort();
    Some(Ok(Fix { edits, applicability, note: notes.join("; "), fix_kind: KIND.into() }))
}
