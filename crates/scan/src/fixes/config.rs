//! Legacy config construction codemod (RTY012): `RetryPolicy(max_retries=3, retry_delay=0.5)` of a legacy
//! schema -> the canonical config `RetryConfig(max_attempts=4, base_delay=0.5)`, per the plan's
//! `[[config_migrations]]`.
//!
//! Every keyword must have a mapping (`rename`): `"name"` keeps the value, `"name+N"` adds N to an integer
//! literal, `"name*N"` scales a numeric literal. Positional arguments, `**kwargs`, unmapped keywords and
//! non-literal values of a converted keyword mean no fix (the reason is reported).
//!
//! Imports: the canonical class is used under the name the file already imports it as, else under its own
//! name (which must be free, or be the legacy name that this fix replaces). When every use of the legacy
//! name in the file is a construction that converts, one fix rewrites all of them and replaces the legacy
//! import (no unused import left); otherwise each construction gets its own fix that adds the canonical
//! import next to the legacy one and leaves the legacy import for the remaining uses.

use super::imports::{check_export, cycle_warning, delete_stmt, remove_names};
use super::text::*;
use crate::data::{parse_rename, ConfigMigration, Conversion, Plan, Safety};
use crate::detect::context::FileContext;
use crate::finding::{Applicability, Edit, Fix};
use crate::project::{module_eq, resolve_relative};
use crate::syntax::*;
use std::collections::BTreeSet;

pub const KIND: &str = "config";

/// How the legacy class is bound in the file.
pub struct Binding<'a, 'p> {
    pub block: &'a [Stmt],
    pub idx: usize,
    pub top: bool,
    /// `from legacy import Name [as local]`: the local name and the index of the name in the import.
    /// `import legacy.mod [as m]`: the module prefix (`m` or `legacy.mod`), `name_index` unused.
    pub local: String,
    pub via_module: bool,
    pub name_index: usize,
    pub migration: &'p ConfigMigration,
}

pub struct Site<'a> {
    pub call: &'a Expr,
    pub func: &'a Expr,
    pub args: &'a [Expr],
    pub keywords: &'a [Keyword],
    pub binding: usize,
}

/// Span of a keyword's name: `name` `=` value, found backwards from the value.
fn keyword_name_span(text: &str, kw: &Keyword) -> Option<Span> {
    let arg = kw.arg.as_deref()?;
    let before = text[..kw.value.span.start as usize].trim_end_matches([' ', '\t']);
    let before = before.strip_suffix('=')?.trim_end_matches([' ', '\t']);
    let start = before.len().checked_sub(arg.len())?;
    (before.ends_with(arg) && !before[..start].chars().next_back().is_some_and(is_ident_char))
        .then(|| Span::new(start as u32, before.len() as u32))
}

fn fmt_float(x: f64) -> String {
    // Scaling by a decimal factor (`*0.001`) must not print binary noise (2.5000000000000004).
    let x = (x * 1e12).round() / 1e12;
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// The argument edits of one construction and a human summary of what changes, or why there is no fix.
type Converted = Result<(Vec<Edit>, Vec<String>), String>;

/// The argument edits of one construction, and a human summary of what changes.
fn convert_args(text: &str, m: &ConfigMigration, site: &Site) -> Converted {
    let fname = m.from_parts().1;
    if !site.args.is_empty() {
        return Err(format!(
            "`{fname}(...)` has positional arguments; the plan maps keywords only, rewrite it by hand"
        ));
    }
    let mut edits = Vec::new();
    let mut changes = Vec::new();
    let mut targets: BTreeSet<String> = BTreeSet::new();
    for kw in site.keywords {
        let Some(arg) = kw.arg.as_deref() else {
            return Err(format!("`{fname}(**...)` passes keywords dynamically; rewrite it by hand"));
        };
        let Some(spec) = m.rename.get(arg) else {
            return Err(format!(
                "keyword `{arg}` of `{fname}` has no mapping in the plan's config_migrations (`rename`); not rewritten"
            ));
        };
        let (new, conv) = parse_rename(spec).map_err(|e| format!("config_migrations rename.{arg}: {e}"))?;
        if !targets.insert(new.clone()) {
            return Err(format!("two keywords of `{fname}(...)` map to `{new}`; rewrite it by hand"));
        }
        let value_src = slice(text, kw.value.span);
        let new_value = match conv {
            Conversion::Same => None,
            Conversion::Add(n) => match &kw.value.kind {
                ExprKind::Constant(Constant::Int(i)) => Some(
                    i.checked_add(n).ok_or_else(|| format!("`{arg}={value_src}` overflows"))?.to_string(),
                ),
                _ => {
                    return Err(format!(
                        "`{arg}={value_src}` is not an integer literal; `{new}` needs {arg}{n:+} and the value is not known statically"
                    ))
                }
            },
            Conversion::Scale(k) => match &kw.value.kind {
                ExprKind::Constant(Constant::Int(i)) if k.fract() == 0.0 => Some(format!("{}", (*i as f64) * k)),
                ExprKind::Constant(Constant::Int(_) | Constant::Float(_)) => {
                    Some(fmt_float(kw.value.as_number().unwrap_or_default() * k))
                }
                _ => {
                    return Err(format!(
                        "`{arg}={value_src}` is not a numeric literal; `{new}` needs it scaled by {k}"
                    ))
                }
            },
        };
        if new != arg {
            let sp = keyword_name_span(text, kw)
                .ok_or_else(|| format!("could not locate the keyword `{arg}` in the source; rewrite it by hand"))?;
            edits.push(Edit { span: sp, content: new.clone() });
        }
        if let Some(v) = &new_value {
            if v != value_src {
                edits.push(Edit { span: kw.value.span, content: v.clone() });
            }
        }
        if new != arg || new_value.is_some() {
            changes.push(format!("{arg}={value_src} -> {new}={}", new_value.as_deref().unwrap_or(value_src)));
        }
    }
    Ok((edits, changes))
}

/// A module-level `from <tmod> import ...` (no star) ending before `before`: (statement, local name of `tname` if imported).
fn canonical_import<'a>(
    file: &FileContext<'a>,
    tmod: &str,
    tname: &str,
    before: u32,
) -> Option<(&'a Stmt, Option<String>)> {
    file.ast.body.iter().filter(|s| s.span.end <= before).find_map(|s| match &s.kind {
        StmtKind::ImportFrom { module, level, names } => {
            let base =
                resolve_relative(&file.module, crate::facts::is_package_path(file.path), module.as_deref(), *level)?;
            if !module_eq(&base, tmod) || names.iter().any(|n| n.name == "*") {
                return None;
            }
            let local =
                names.iter().find(|n| n.name == tname).map(|n| n.asname.as_ref().unwrap_or(&n.name).to_string());
            Some((s, local))
        }
        _ => None,
    })
}

/// An edit adding `stmt_text` on its own line after statement `s` (or `; stmt` on the same line).
fn insert_after(text: &str, s: &Stmt, stmt_text: &str) -> Edit {
    let end = s.span.end as usize;
    if alone_before(text, s.span.start as usize) && rest_is_blank_or_comment(text, end) {
        let at = line_end(text, end) as u32;
        Edit {
            span: Span::new(at, at),
            content: format!("{}{}{stmt_text}", eol(text), indent_of(text, s.span.start as usize)),
        }
    } else {
        Edit { span: Span::new(s.span.end, s.span.end), content: format!("; {stmt_text}") }
    }
}

/// Fixes (or skip reasons) for every construction site of binding `bi`, in order.
pub fn fixes_for(
    file: &FileContext,
    plan: &Plan,
    binds: &[Binding],
    bi: usize,
    sites: &[&Site],
) -> Vec<Result<Fix, String>> {
    let b = &binds[bi];
    let m = b.migration;
    let text = file.text;
    let (tmod, tname) = m.to_parts();
    let all_err = |reason: String| sites.iter().map(|_| Err(reason.clone())).collect();
    if module_eq(&file.module, tmod) {
        return all_err(format!("this file is the canonical module `{tmod}`"));
    }
    // A name rebound in the file (`except ImportError: P = None`, a def ...) may not be the legacy class.
    let head = b.local.split('.').next().unwrap_or(&b.local);
    if stored_names(file.ast, head) > 0 {
        return all_err(format!("`{head}` is also assigned in this file; rewrite the construction by hand"));
    }
    if let Err(reason) = check_export(plan, tmod, tname) {
        return all_err(reason);
    }
    // What the two classes are in the tree: the consumers and the defaults are checked against them.
    let (fmod, fname) = m.from_parts();
    let defs = plan.tree.as_ref().map(|t| (t.definition(fmod, fname), t.definition(tmod, tname)));
    let (legacy_def, target_def) = match defs {
        Some((Ok(l), Ok(t))) => (l, t),
        Some((Err(e), _)) | Some((_, Err(e))) => return all_err(format!("cannot verify the conversion: {e}")),
        None => return all_err("the tree's definitions were not read; the conversion cannot be verified".into()),
    };
    let converted: Vec<Converted> = sites
        .iter()
        .map(|s| {
            let (mut edits, mut changes) = convert_args(text, m, s)?;
            if let Some(problem) = super::config_checks::consumer_problem(file, plan, s.call, tmod, &target_def) {
                return Err(problem);
            }
            let passed: Vec<&str> = s.keywords.iter().filter_map(|k| k.arg.as_deref()).collect();
            let added = super::config_checks::defaults_to_write(m, &legacy_def, &target_def, &passed)?;
            if !added.is_empty() {
                let list: Vec<String> = added.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let (at, content) = match s.keywords.last() {
                    Some(k) => (k.value.span.end, format!(", {}", list.join(", "))),
                    None => (s.call.span.end - 1, list.join(", ")),
                };
                edits.push(Edit { span: Span::new(at, at), content });
                changes.push(format!("legacy defaults written out: {}", list.join(", ")));
            }
            Ok((edits, changes))
        })
        .collect();
    let first_site = sites.iter().map(|s| s.call.span.start).min().unwrap_or(0);
    let existing = canonical_import(file, tmod, tname, first_site.min(b.block[b.idx].span.start));
    let mut applicability = if m.safety == Safety::Safe { Applicability::Safe } else { Applicability::Unsafe };
    let mut warning = None;
    if let Some(w) = cycle_warning(plan, &file.module, tmod) {
        applicability = Applicability::Unsafe;
        warning = Some(format!("warning: {w}"));
    }
    let note = |changes: &[String]| {
        let mut parts = vec![format!("{} -> {}", m.from, m.to)];
        if !changes.is_empty() {
            parts.push(changes.join(", "));
        }
        let mut n = parts.join(": ");
        if !m.note.is_empty() {
            n.push_str(&format!(" ({})", m.note));
        }
        if let Some(w) = &warning {
            n.push_str(&format!("; {w}"));
        }
        n
    };
    let stmt = &b.block[b.idx];
    let same_binding = binds.iter().filter(|o| o.local == b.local && !o.via_module).count() == 1;

    // Every use of the legacy name is a construction that converts: one fix, legacy import replaced.
    if !b.via_module
        && same_binding
        && converted.iter().all(|c| c.is_ok())
        && ident_count(text, &b.local) == sites.len() + 1
        && name_nodes(file.ast, &b.local).len() == sites.len()
    {
        let StmtKind::ImportFrom { names, .. } = &stmt.kind else { unreachable!() };
        let mut edits: Vec<Edit> = Vec::new();
        let mut changes: Vec<String> = Vec::new();
        let local: Option<String> = match &existing {
            Some((_, Some(l))) => Some(l.clone()),
            _ if tname == b.local || ident_count(text, tname) == 0 => Some(tname.to_string()),
            _ => None,
        };
        if let Some(local) = local {
            let only = names.len() == 1;
            let drop_legacy = || -> Result<Vec<Edit>, String> {
                if only {
                    Ok(vec![delete_stmt(text, b.block, b.idx, b.top)])
                } else {
                    remove_names(text, names, &BTreeSet::from([b.name_index]))
                }
            };
            let import_edits: Result<Vec<Edit>, String> = match &existing {
                Some((_, Some(_))) => drop_legacy(),
                Some((s2, None)) => {
                    let StmtKind::ImportFrom { names: onames, .. } = &s2.kind else { unreachable!() };
                    let last = onames.last().expect("import has names").span.end;
                    drop_legacy().map(|mut e| {
                        e.push(Edit { span: Span::new(last, last), content: format!(", {tname}") });
                        e
                    })
                }
                None if only => match from_module_span(text, stmt.span) {
                    Some(msp) => Ok(vec![
                        Edit { span: msp, content: tmod.to_string() },
                        Edit { span: names[0].span, content: tname.to_string() },
                    ]),
                    None => Err("could not locate the module name of the legacy import".into()),
                },
                None => drop_legacy().map(|mut e| {
                    e.push(insert_after(text, stmt, &format!("from {tmod} import {tname}")));
                    e
                }),
            };
            match import_edits {
                Ok(e) => edits.extend(e),
                Err(r) => return all_err(r),
            }
            for (s, c) in sites.iter().zip(&converted) {
                let (e, ch) = c.as_ref().expect("all converted");
                edits.extend(e.iter().cloned());
                changes.extend(ch.iter().cloned());
                if slice(text, s.func.span) != local {
                    edits.push(Edit { span: s.func.span, content: local.clone() });
                }
            }
            edits.sort();
            edits.dedup();
            changes.dedup();
            let fix = Fix { edits, applicability, note: note(&changes), fix_kind: KIND.into() };
            return sites.iter().map(|_| Ok(fix.clone())).collect();
        }
    }

    // One fix per construction; the legacy import stays for the other uses.
    let local: Result<(String, Option<Edit>), String> = match &existing {
        Some((_, Some(l))) => Ok((l.clone(), None)),
        _ if ident_count(text, tname) > 0 => Err(format!(
            "`{tname}` is already bound in this file (the legacy class or another name) and other uses of the legacy name remain; import the canonical `{tname}` under another name by hand"
        )),
        Some((s2, None)) => {
            let StmtKind::ImportFrom { names: onames, .. } = &s2.kind else { unreachable!() };
            let last = onames.last().expect("import has names").span.end;
            Ok((tname.to_string(), Some(Edit { span: Span::new(last, last), content: format!(", {tname}") })))
        }
        _ => Ok((tname.to_string(), Some(insert_after(text, stmt, &format!("from {tmod} import {tname}"))))),
    };
    sites
        .iter()
        .zip(converted)
        .map(|(s, c)| {
            let (mut edits, changes) = c?;
            let (local, import) = local.clone()?;
            edits.extend(import);
            if slice(text, s.func.span) != local {
                edits.push(Edit { span: s.func.span, content: local });
            }
            edits.sort();
            edits.dedup();
            Ok(Fix { edits, applicability, note: note(&changes), fix_kind: KIND.into() })
        })
        .collect()
}
