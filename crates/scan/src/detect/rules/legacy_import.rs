//! RTY009 legacy_import: an import of a module or symbol that the plan marks as legacy.
//!
//! The plan's `[[redirects]]` name legacy modules (`from = "legacy.mod"`) and symbols
//! (`from = "legacy.mod:Name"`). Every `from legacy.mod import Name [as alias]`, `import legacy.mod [as m]`
//! and `from legacy import mod` is reported once per imported name, wherever it sits (module level, inside a
//! function, inside a `try: ... except ImportError:` shim). Relative imports are resolved against the file's
//! package. Star imports are reported but can never be rewritten. `retry-audit migrate` fixes these.
//!
//! Fix: the import is redirected to the plan's target (`from = "legacy.mod"` -> `to = "canonical.mod"`, or
//! symbol-level `legacy.mod:Name` -> `canonical.mod:NewName`), renaming use sites when the name changes, merging
//! into an existing import of the target and dropping an import left empty. No fix when the target module does
//! not export the symbol (the reason names it); star imports are never rewritten. Safe or unsafe per redirect;
//! a redirect that would close an import cycle carries a warning.
use super::support;
use super::Needs;
use crate::data::Redirect;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;
use crate::fixes::imports;
use crate::syntax::*;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs = Needs { words: &[], loop_structure: false, data: Some(super::DataWords::Plan), model: false };

pub use crate::fixes::imports::redirect_for;
pub use crate::project::resolve_relative;

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    if cx.data.plan.redirects.is_empty() {
        return;
    }
    // Every legacy import names the legacy module's last segment (or the symbol) in the import table.
    let segments: Vec<&str> = cx
        .data
        .plan
        .redirects
        .iter()
        .flat_map(|r| {
            let (m, n) = r.from_parts();
            [m.rsplit('.').next(), n]
        })
        .flatten()
        .collect();
    if !cx.file.imports_mention_any(&segments) {
        return;
    }
    let is_package = cx.file.path.ends_with("__init__.py") || cx.file.path.ends_with("__init__.pyi");
    imports::walk_blocks(&cx.file.ast.body, true, "", &mut |block, idx, top, scope| {
        let s = &block[idx];
        match &s.kind {
            StmtKind::ImportFrom { module, level, names } => {
                let Some(base) = resolve_relative(&cx.file.module, is_package, module.as_deref(), *level) else {
                    return;
                };
                for o in imports::from_import(cx.file, &cx.data.plan, block, idx, top) {
                    let n = &names[o.index];
                    let mut f = support::finding(
                        "RTY009",
                        Kind::LegacyImport,
                        s,
                        scope,
                        message(&base, Some(&n.name), o.redirect),
                    );
                    f.span = n.span;
                    f.shape = crate::detect::shape::Fnv::default().hash_str(&format!("{base}:{}", n.name));
                    if n.name == "*" {
                        f.notes.push("star-import".into());
                    }
                    f.fix = o.fix;
                    f.skipped_fix = o.skipped;
                    out.push(f);
                }
            }
            StmtKind::Import { names } => {
                for n in names {
                    if let Some(r) = redirect_for(&cx.data.plan.redirects, &n.name, None) {
                        let mut f = support::finding("RTY009", Kind::LegacyImport, s, scope, message(&n.name, None, r));
                        f.span = n.span;
                        f.shape = crate::detect::shape::Fnv::default().hash_str(&n.name);
                        let (fix, skipped) = imports::plain_import(cx.file, &cx.data.plan, n, r);
                        f.fix = fix;
                        f.skipped_fix = skipped;
                        out.push(f);
                    }
                }
            }
            _ => {}
        }
    });
}

fn message(module: &str, name: Option<&str>, r: &Redirect) -> String {
    let what = match name {
        Some(n) => format!("`{n}` from legacy module `{module}`"),
        None => format!("legacy module `{module}`"),
    };
    format!("import of {what}; the plan redirects it to `{}`", r.to)
}
