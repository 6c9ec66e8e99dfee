//! RTY009 legacy_import: an import of a module or symbol that the plan marks as legacy.
//!
//! The plan's `[[redirects]]` name legacy modules (`from = "legacy.mod"`) and symbols
//! (`from = "legacy.mod:Name"`). Every `from legacy.mod import Name [as alias]`, `import legacy.mod [as m]`
//! and `from legacy import mod` is reported once per imported name, wherever it sits (module level, inside a
//! function, inside a `try: ... except ImportError:` shim). Relative imports are resolved against the file's
//! package. Star imports are reported but can never be rewritten. `retry-audit migrate` fixes these.
use super::support;
use crate::data::Redirect;
use crate::detect::{Cx, RawFinding};
use crate::finding::Kind;
use crate::syntax::*;

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    if cx.data.plan.redirects.is_empty() {
        return;
    }
    let is_package = cx.file.path.ends_with("__init__.py") || cx.file.path.ends_with("__init__.pyi");
    support::walk_scoped(&cx.file.ast.body, "", &mut |s, scope| match &s.kind {
        StmtKind::ImportFrom { module, level, names } => {
            let Some(base) = resolve_relative(&cx.file.module, is_package, module.as_deref(), *level) else { return };
            for n in names {
                let full_symbol = format!("{base}.{}", n.name);
                let hit = redirect_for(&cx.data.plan.redirects, &base, Some(&n.name))
                    .or_else(|| redirect_for(&cx.data.plan.redirects, &full_symbol, None));
                if let Some(r) = hit {
                    let mut f = support::finding("RTY009", Kind::LegacyImport, s, scope, message(&base, Some(&n.name), r));
                    f.span = n.span;
                    f.shape = crate::detect::shape::Fnv::default().hash_str(&format!("{base}:{}", n.name));
                    if n.name == "*" {
                        f.notes.push("star-import".into());
                    }
                    out.push(f);
                }
            }
        }
        StmtKind::Import { names } => {
            for n in names {
                if let Some(r) = redirect_for(&cx.data.plan.redirects, &n.name, None) {
                    let mut f = support::finding("RTY009", Kind::LegacyImport, s, scope, message(&n.name, None, r));
                    f.span = n.span;
                    f.shape = crate::detect::shape::Fnv::default().hash_str(&n.name);
                    out.push(f);
                }
            }
        }
        _ => {}
    });
}

fn message(module: &str, name: Option<&str>, r: &Redirect) -> String {
    let what = match name {
        Some(n) => format!("`{n}` from legacy module `{module}`"),
        None => format!("legacy module `{module}`"),
    };
    format!("import of {what}; the plan redirects it to `{}`", r.to)
}

/// Absolute module of `from <level dots><module> import ...` in the file's package.
pub fn resolve_relative(file_module: &str, is_package: bool, module: Option<&str>, level: u32) -> Option<String> {
    if level == 0 {
        return module.map(str::to_string);
    }
    let mut parts: Vec<&str> = if file_module.is_empty() { vec![] } else { file_module.split('.').collect() };
    if !is_package {
        parts.pop();
    }
    for _ in 1..level {
        parts.pop()?;
    }
    if let Some(m) = module {
        parts.extend(m.split('.'));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("."))
    }
}

/// Module names match when equal or when the scanned module name carries a prefix (a parent was scanned).
fn module_eq(scanned: &str, plan: &str) -> bool {
    scanned == plan || scanned.ends_with(&format!(".{plan}"))
}

/// The redirect for `module` (and imported `name`), symbol-level first.
pub fn redirect_for<'r>(redirects: &'r [Redirect], module: &str, name: Option<&str>) -> Option<&'r Redirect> {
    redirects
        .iter()
        .find(|r| matches!(r.from_parts(), (m, Some(n)) if module_eq(module, m) && Some(n) == name))
        .or_else(|| redirects.iter().find(|r| matches!(r.from_parts(), (m, None) if module_eq(module, m))))
}
