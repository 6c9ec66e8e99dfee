//! RTY009 fixes: legacy imports -> the canonical module.
//!
//! One fix per import statement and applicability class (safe / unsafe redirects), shared by the findings
//! of the names it moves. Guarantees:
//! - the target symbol exists (the target module's exports parsed from the scanned tree, else the plan's
//!   declared `[canonical] exports`); otherwise no fix, and the skip reason names the symbol;
//! - no name is left unbound: a renamed symbol keeps its local name (`New as Old`) unless every textual
//!   occurrence of the old name in the file is a name expression the rename can rewrite consistently and the
//!   new name is free (an alpha-rename), in which case the use sites are renamed;
//! - names move into an existing import from the target module in the same block when there is one
//!   (merging), and an import left with no names is dropped (`pass` when it was alone in its block);
//! - a redirect that would create an import cycle in the scanned tree carries a warning and is unsafe.

use super::text::*;
use crate::data::{Plan, Redirect, Safety};
use crate::detect::context::FileContext;
use crate::finding::{Applicability, Edit, Fix, SkippedFix};
use crate::project::{module_eq, resolve_relative};
use crate::syntax::*;
use std::collections::{BTreeMap, BTreeSet};

pub const KIND_REDIRECT: &str = "import_redirect";
pub const KIND_RENAME: &str = "rename";

/// The redirect for `module` (and imported `name`), symbol-level first.
pub fn redirect_for<'r>(redirects: &'r [Redirect], module: &str, name: Option<&str>) -> Option<&'r Redirect> {
    redirects
        .iter()
        .find(|r| matches!(r.from_parts(), (m, Some(n)) if module_eq(module, m) && Some(n) == name))
        .or_else(|| redirects.iter().find(|r| matches!(r.from_parts(), (m, None) if module_eq(module, m))))
}

pub use crate::syntax::{walk_blocks, BlockVisitor};

/// What happens to one imported name of a legacy import.
pub struct NameOutcome<'r> {
    pub index: usize,
    pub redirect: &'r Redirect,
    pub fix: Option<Fix>,
    pub skipped: Option<SkippedFix>,
}

fn skipped(reason: String) -> Option<SkippedFix> {
    Some(SkippedFix { fix_kind: KIND_REDIRECT.into(), reason })
}

fn is_package(file: &FileContext) -> bool {
    file.path.ends_with("__init__.py") || file.path.ends_with("__init__.pyi")
}

/// Does `module` (as written in code, absolute) export `name`? Err is the skip reason.
pub fn check_export(plan: &Plan, module: &str, name: &str) -> Result<(), String> {
    if let Some(tree) = &plan.tree {
        if let Some((_, info)) = tree.module(module) {
            return if info.dynamic || info.exports.contains(name) {
                Ok(())
            } else {
                Err(format!(
                    "`{module}` does not define or re-export `{name}`; not rewritten (it would leave the name unbound)"
                ))
            };
        }
    }
    // The plan's declared exports are a claim, not a fact: a name the module does not define would be an
    // ImportError at import time, so nothing is redirected to a module that could not be read.
    Err(format!(
        "target module `{module}` is neither in the scanned tree nor found under the project root; cannot verify `{name}`"
    ))
}

/// A warning when importing `target` from the file's module closes an import cycle in the scanned tree.
pub fn cycle_warning(plan: &Plan, file_module: &str, target: &str) -> Option<String> {
    let tree = plan.tree.as_ref()?;
    let (file_key, info) = tree.module(file_module)?;
    if info.imports.iter().any(|i| module_eq(i, target) || module_eq(target, i)) {
        return None; // the file already imports the target: no new edge
    }
    let path = tree.import_path(target, file_key)?;
    Some(format!(
        "import cycle: `{file_key}` would import `{}`, which imports it back ({})",
        path[0],
        path.join(" -> ")
    ))
}

/// Can every occurrence of `old` be renamed to `new` (an alpha-rename)? Only when each textual occurrence of
/// `old` is the import itself or a name expression, and `new` is free or only bound by an import of the same
/// symbol from `target`.
fn can_alpha_rename(file: &FileContext, old: &str, new: &str, target: &str) -> bool {
    let names = name_nodes(file.ast, old);
    if ident_count(file.text, old) != names.len() + 1 {
        return false;
    }
    let new_tokens = ident_count(file.text, new);
    if new_tokens == 0 {
        return true;
    }
    // `new` already imported from the target (no alias) at module level, used only as a name.
    let mut import_occurrences = 0;
    for s in &file.ast.body {
        if let StmtKind::ImportFrom { module, level, names } = &s.kind {
            let base = resolve_relative(&file.module, is_package(file), module.as_deref(), *level);
            if base.as_deref().is_some_and(|b| module_eq(b, target)) {
                import_occurrences += names.iter().filter(|n| n.name == new && n.asname.is_none()).count();
            }
        }
    }
    import_occurrences >= 1
        && new_tokens == import_occurrences + name_nodes(file.ast, new).len()
        && stored_names(file.ast, new) == 0
}

struct Moving<'s, 'r> {
    index: usize,
    name: &'s ImportName,
    new_name: String,
    spec: String,
    rename_uses: bool,
    redirect: &'r Redirect,
    /// Shown in the diff header after the redirect's note.
    extra_note: Option<String>,
}

/// Outcomes for every redirected name of the `from ... import ...` statement `block[idx]`.
pub fn from_import<'r>(
    file: &FileContext,
    plan: &'r Plan,
    block: &[Stmt],
    idx: usize,
    top: bool,
) -> Vec<NameOutcome<'r>> {
    let s = &block[idx];
    let StmtKind::ImportFrom { module, level, names } = &s.kind else {
        return vec![];
    };
    let Some(base) = resolve_relative(&file.module, is_package(file), module.as_deref(), *level) else {
        return vec![];
    };
    let mut out = Vec::new();
    // (target module, applicability) -> moving names
    let mut groups: BTreeMap<(String, bool), Vec<Moving>> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        let full = format!("{base}.{}", n.name);
        let direct = redirect_for(&plan.redirects, &base, Some(&n.name));
        let Some(r) = direct.or_else(|| redirect_for(&plan.redirects, &full, None)) else {
            continue;
        };
        let mut outcome = NameOutcome { index: i, redirect: r, fix: None, skipped: None };
        let (tmod, tname) = r.to_parts();
        if n.name == "*" {
            outcome.skipped = skipped(format!(
                "star import from `{base}` is not rewritten: list the names you use, then re-run (target `{tmod}`)"
            ));
        } else if direct.is_none() && module_eq(&file.module, tmod) {
            outcome.skipped = skipped(format!("this file is the redirect target `{tmod}`"));
        } else if direct.is_none() && tname.is_none() && r.safety == Safety::Safe && tmod.contains('.') {
            // `from pkg import legacy_module [as m]` -> `from canonical_parent import canonical_module as m`.
            let local = n.asname.clone().unwrap_or_else(|| n.name.clone());
            let (tparent, tleaf) = tmod.rsplit_once('.').expect("dotted");
            match module_name_fix(file, plan, &full, tmod, &local) {
                Err(reason) => outcome.skipped = skipped(reason),
                Ok(direct_use) => {
                    let spec = if tleaf == local { tleaf.to_string() } else { format!("{tleaf} as {local}") };
                    groups.entry((tparent.to_string(), !direct_use)).or_default().push(Moving {
                        index: i,
                        name: n,
                        new_name: tleaf.to_string(),
                        spec,
                        rename_uses: false,
                        redirect: r,
                        extra_note: direct_use
                            .then(|| format!("the module object `{local}` is used directly and becomes `{tmod}`")),
                    });
                }
            }
        } else if direct.is_none() {
            let why = if tname.is_some() {
                "the redirect targets a symbol, not a module"
            } else if r.safety == Safety::Unsafe {
                "the redirect is unsafe"
            } else {
                "the target has no parent package"
            };
            outcome.skipped = skipped(format!(
                "`from {base} import {}` imports the legacy module itself ({why}); rewrite it as `import {} as {}` by hand",
                n.name,
                r.to.replace(':', "."),
                n.asname.as_deref().unwrap_or(&n.name)
            ));
        } else if module_eq(&file.module, tmod) {
            outcome.skipped = skipped(format!("this file is the redirect target `{tmod}`"));
        } else {
            let new_name = tname.unwrap_or(&n.name).to_string();
            let local = n.asname.as_deref().unwrap_or(&n.name);
            let checked = check_export(plan, tmod, &new_name)
                .and_then(|()| super::compat::check_redirect(plan, file, &base, &n.name, tmod, &new_name, local));
            match checked {
                Err(reason) => outcome.skipped = skipped(reason),
                Ok(()) => {
                    let (spec, rename_uses) = match &n.asname {
                        Some(a) if *a == new_name => (new_name.clone(), false),
                        Some(a) => (format!("{new_name} as {a}"), false),
                        None if n.name == new_name => (new_name.clone(), false),
                        None if can_alpha_rename(file, &n.name, &new_name, tmod) => (new_name.clone(), true),
                        None => (format!("{new_name} as {}", n.name), false),
                    };
                    let safe = r.safety == Safety::Safe;
                    groups.entry((tmod.to_string(), safe)).or_default().push(Moving {
                        index: i,
                        name: n,
                        new_name,
                        spec,
                        rename_uses,
                        redirect: r,
                        extra_note: None,
                    });
                }
            }
        }
        out.push(outcome);
    }
    for ((tmod, safe), moving) in &groups {
        let result = group_fix(file, plan, block, idx, top, &base, tmod, *safe, moving);
        for m in moving {
            let o = out.iter_mut().find(|o| o.index == m.index).expect("outcome exists");
            match &result {
                Ok(fix) => o.fix = Some(fix.clone()),
                Err(reason) => o.skipped = skipped(reason.clone()),
            }
        }
    }
    out
}

/// Can `from pkg import legacy_module [as local]` import the canonical module instead? Every `local.attr` use
/// must name a symbol the canonical module exports, under the same name. Ok(true) when the module object
/// itself is used (passed around, not only through attributes): the fix is then unsafe.
fn module_name_fix(file: &FileContext, plan: &Plan, legacy: &str, tmod: &str, local: &str) -> Result<bool, String> {
    let known = plan.tree.as_ref().is_some_and(|t| t.module(tmod).is_some()) || tmod == plan.canonical.module;
    if !known {
        return Err(format!(
            "target module `{tmod}` is not in the scanned tree and is not the plan's canonical module; rewrite `{local}` by hand"
        ));
    }
    let mut attrs: Vec<(Span, String)> = Vec::new();
    walk_exprs(&file.ast.body, true, &mut |e| {
        if let ExprKind::Attribute { value, attr } = &e.kind {
            if matches!(&value.kind, ExprKind::Name(n) if n == local) {
                attrs.push((value.span, attr.to_string()));
            }
        }
    });
    for (_, attr) in &attrs {
        if let Some(sr) = redirect_for(&plan.redirects, legacy, Some(attr)).filter(|sr| sr.from_parts().1.is_some()) {
            if sr.to_parts() != (tmod, Some(attr.as_str())) {
                return Err(format!("`{local}.{attr}` is redirected to `{}`; rewrite it by hand", sr.to));
            }
        }
        check_export(plan, tmod, attr)?;
    }
    let prefixes: BTreeSet<Span> = attrs.iter().map(|a| a.0).collect();
    Ok(name_nodes(file.ast, local).iter().any(|sp| !prefixes.contains(sp)))
}

#[allow(clippy::too_many_arguments)]
fn group_fix(
    file: &FileContext,
    plan: &Plan,
    block: &[Stmt],
    idx: usize,
    top: bool,
    base: &str,
    tmod: &str,
    safe: bool,
    moving: &[Moving],
) -> Result<Fix, String> {
    let text = file.text;
    let s = &block[idx];
    let StmtKind::ImportFrom { names, .. } = &s.kind else { unreachable!() };
    let mut edits: Vec<Edit> = Vec::new();
    let moving_idx: BTreeSet<usize> = moving.iter().map(|m| m.index).collect();
    let all_move = moving_idx.len() == names.len();

    // An existing import from the target module in the same block, before this one (or with only imports
    // in between, so no use can see the binding move).
    let merge = block.iter().enumerate().find(|(j, other)| {
        if *j == idx {
            return false;
        }
        let StmtKind::ImportFrom { module, level, names: onames } = &other.kind else {
            return false;
        };
        let Some(b) = resolve_relative(&file.module, is_package(file), module.as_deref(), *level) else {
            return false;
        };
        if !module_eq(&b, tmod) || onames.iter().any(|n| n.name == "*") {
            return false;
        }
        let (lo, hi) = if *j < idx { (*j, idx) } else { (idx, *j) };
        *j < idx
            || block[lo + 1..hi].iter().all(|x| matches!(x.kind, StmtKind::Import { .. } | StmtKind::ImportFrom { .. }))
    });

    if let Some((_, s2)) = merge {
        let StmtKind::ImportFrom { names: onames, .. } = &s2.kind else { unreachable!() };
        let existing: BTreeSet<String> =
            onames.iter().map(|n| slice(text, n.span).split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        let mut added: Vec<&str> = Vec::new();
        for m in moving {
            if !existing.contains(&m.spec) && !added.contains(&m.spec.as_str()) {
                added.push(&m.spec);
            }
        }
        if !added.is_empty() {
            let last = onames.last().expect("import has names").span.end;
            edits.push(Edit { span: Span::new(last, last), content: format!(", {}", added.join(", ")) });
        }
        if all_move {
            edits.push(delete_stmt(text, block, idx, top));
        } else {
            edits.extend(remove_names(text, names, &moving_idx)?);
        }
    } else if all_move {
        let msp = from_module_span(text, s.span)
            .ok_or_else(|| format!("could not locate the module name of `from {base} import`"))?;
        edits.push(Edit { span: msp, content: tmod.to_string() });
        for m in moving {
            if slice(text, m.name.span) != m.spec {
                edits.push(Edit { span: m.name.span, content: m.spec.clone() });
            }
        }
    } else {
        edits.extend(remove_names(text, names, &moving_idx)?);
        let specs: Vec<&str> = moving.iter().map(|m| m.spec.as_str()).collect();
        let stmt_text = format!("from {tmod} import {}", specs.join(", "));
        let end = s.span.end as usize;
        if alone_before(text, s.span.start as usize) && rest_is_blank_or_comment(text, end) {
            let at = line_end(text, end) as u32;
            edits.push(Edit {
                span: Span::new(at, at),
                content: format!("{}{}{stmt_text}", eol(text), indent_of(text, s.span.start as usize)),
            });
        } else {
            edits.push(Edit { span: Span::new(s.span.end, s.span.end), content: format!("; {stmt_text}") });
        }
    }
    let mut kind = KIND_REDIRECT;
    for m in moving.iter().filter(|m| m.rename_uses) {
        kind = KIND_RENAME;
        for sp in name_nodes(file.ast, &m.name.name) {
            edits.push(Edit { span: sp, content: m.new_name.clone() });
        }
    }
    if moving.iter().any(|m| m.new_name != m.name.name) {
        kind = KIND_RENAME;
    }
    let mut notes: Vec<String> = Vec::new();
    for m in moving {
        let what = if m.new_name == m.name.name {
            format!("{} -> {tmod}", m.name.name)
        } else {
            format!("{} -> {tmod}:{}", m.name.name, m.new_name)
        };
        let mut n = if m.redirect.note.is_empty() { what } else { format!("{what} ({})", m.redirect.note) };
        if let Some(x) = &m.extra_note {
            n.push_str(&format!(": {x}"));
        }
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    let mut applicability = if safe { Applicability::Safe } else { Applicability::Unsafe };
    if let Some(w) = cycle_warning(plan, &file.module, tmod) {
        // Function-local imports run late; a module-level cycle can fail at import time.
        if top || !is_in_function(file, s.span) {
            applicability = Applicability::Unsafe;
        }
        notes.push(format!("warning: {w}"));
    }
    edits.sort();
    edits.dedup();
    Ok(Fix { edits, applicability, note: notes.join("; "), fix_kind: kind.into() })
}

fn is_in_function(file: &FileContext, span: Span) -> bool {
    file.functions.iter().any(|f| f.span.contains(span))
}

/// Delete statement `block[idx]`: its whole line when it stands alone there, `pass` when it was the only
/// statement of a nested block (or shares its line with others).
pub(crate) fn delete_stmt(text: &str, block: &[Stmt], idx: usize, top: bool) -> Edit {
    let s = block[idx].span;
    let (start, end) = (s.start as usize, s.end as usize);
    if (top || block.len() > 1) && alone_before(text, start) && rest_is_blank_or_comment(text, end) {
        Edit {
            span: Span::new(line_start(text, start) as u32, next_line_start(text, end) as u32),
            content: String::new(),
        }
    } else {
        Edit { span: s, content: "pass".into() }
    }
}

/// Edits removing the names `remove` (not all of them) from an import's name list.
pub(crate) fn remove_names(text: &str, names: &[ImportName], remove: &BTreeSet<usize>) -> Result<Vec<Edit>, String> {
    let own_line = |n: &ImportName| {
        let (st, en) = (n.span.start as usize, n.span.end as usize);
        alone_before(text, st) && {
            let rest = text[en..line_end(text, en)].trim_start_matches([' ', '\t']);
            let rest = rest.strip_prefix(',').unwrap_or(rest).trim_start_matches([' ', '\t']);
            rest.is_empty() || rest.starts_with('#')
        }
    };
    let mut edits = Vec::new();
    if remove.iter().all(|&i| own_line(&names[i])) {
        for &i in remove {
            let st = names[i].span.start as usize;
            edits.push(Edit {
                span: Span::new(line_start(text, st) as u32, next_line_start(text, st) as u32),
                content: String::new(),
            });
        }
        return Ok(edits);
    }
    let first_kept = (0..names.len()).find(|i| !remove.contains(i)).expect("a name is kept");
    for &i in remove {
        let span = if i < first_kept {
            Span::new(names[i].span.start, names[i + 1].span.start)
        } else {
            Span::new(names[i - 1].span.end, names[i].span.end)
        };
        if slice(text, span).contains('#') {
            return Err(format!(
                "removing `{}` from its import would move a comment; rewrite it by hand",
                names[i].name
            ));
        }
        edits.push(Edit { span, content: String::new() });
    }
    Ok(edits)
}

/// Outcome for one `import legacy.mod [as m]` name.
pub fn plain_import(
    file: &FileContext,
    plan: &Plan,
    name: &ImportName,
    r: &Redirect,
) -> (Option<Fix>, Option<SkippedFix>) {
    match plain_import_fix(file, plan, name, r) {
        Ok(f) => (Some(f), None),
        Err(reason) => (None, skipped(reason)),
    }
}

fn plain_import_fix(file: &FileContext, plan: &Plan, name: &ImportName, r: &Redirect) -> Result<Fix, String> {
    let (tmod, tname) = r.to_parts();
    let legacy = name.name.as_str();
    if tname.is_some() {
        return Err(format!("`import {legacy}` is redirected to a symbol (`{}`); rewrite it by hand", r.to));
    }
    if module_eq(&file.module, tmod) {
        return Err(format!("this file is the redirect target `{tmod}`"));
    }
    let text = file.text;
    let mut edits = vec![Edit { span: name.name_span, content: tmod.to_string() }];
    let mut notes = vec![if r.note.is_empty() {
        format!("{legacy} -> {tmod}")
    } else {
        format!("{legacy} -> {tmod} ({})", r.note)
    }];
    let mut unsafe_ = r.safety == Safety::Unsafe;
    // Attribute uses: (span of the module prefix expression, attribute, span of the whole attribute expression).
    let mut uses: Vec<(Span, String, Span)> = Vec::new();
    let prefix: String = match &name.asname {
        Some(a) => a.to_string(),
        None => legacy.to_string(),
    };
    walk_exprs(&file.ast.body, true, &mut |e| {
        if let ExprKind::Attribute { value, attr } = &e.kind {
            if value.dotted().as_deref() == Some(prefix.as_str()) {
                uses.push((value.span, attr.to_string(), e.span));
            }
        }
    });
    match &name.asname {
        Some(a) => {
            let names = name_nodes(file.ast, a);
            if ident_count(text, a) != names.len() + 1 {
                return Err(format!(
                    "`{a}` (alias of `{legacy}`) also appears outside name expressions; rewrite it by hand"
                ));
            }
            let as_attr: BTreeSet<Span> = uses.iter().map(|u| u.0).collect();
            if names.iter().any(|sp| !as_attr.contains(sp)) {
                unsafe_ = true;
                notes.push(format!("the module object `{a}` is used directly and becomes `{tmod}`"));
            }
        }
        None => {
            let top_old = legacy.split('.').next().unwrap_or(legacy);
            let top_new = tmod.split('.').next().unwrap_or(tmod);
            if top_old != top_new {
                return Err(format!(
                    "`import {legacy}` binds `{top_old}`, which `import {tmod}` would not; rewrite it by hand"
                ));
            }
            for (sp, _, _) in &uses {
                edits.push(Edit { span: *sp, content: tmod.to_string() });
            }
        }
    }
    for (_, attr, whole) in &uses {
        let new_attr = match redirect_for(&plan.redirects, legacy, Some(attr)) {
            Some(sr) if sr.from_parts().1.is_some() => {
                let (m2, n2) = sr.to_parts();
                if m2 != tmod {
                    return Err(format!(
                        "`{prefix}.{attr}` is redirected to `{}`, another module; rewrite it by hand",
                        sr.to
                    ));
                }
                unsafe_ |= sr.safety == Safety::Unsafe;
                n2.unwrap_or(attr).to_string()
            }
            _ => attr.clone(),
        };
        check_export(plan, tmod, &new_attr)?;
        if new_attr != *attr {
            let end = whole.end;
            let start = end - attr.len() as u32;
            if slice(text, Span::new(start, end)) == attr {
                edits.push(Edit { span: Span::new(start, end), content: new_attr.clone() });
            } else {
                return Err(format!("could not locate `.{attr}` to rename it to `{new_attr}`"));
            }
        }
    }
    if let Some(w) = cycle_warning(plan, &file.module, tmod) {
        unsafe_ = true;
        notes.push(format!("warning: {w}"));
    }
    edits.sort();
    edits.dedup();
    Ok(Fix {
        edits,
        applicability: if unsafe_ { Applicability::Unsafe } else { Applicability::Safe },
        note: notes.join("; "),
        fix_kind: KIND_REDIRECT.into(),
    })
}
