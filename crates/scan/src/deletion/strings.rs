//! Modules a file imports by naming them in a string literal: `importlib.import_module("pkg.mod")`,
//! `__import__("pkg.mod")`, and the dotted targets of `mock.patch("pkg.mod.time.sleep")`,
//! `monkeypatch.setattr("pkg.mod.CONST", 1)`, `pkgutil.resolve_name("pkg.mod:obj")` and Django's
//! `import_string("pkg.mod.Class")`, which import the module they name when they run. No import statement
//! shows these: a module a test only patches by name is still imported by the test.
//!
//! Read off the syntax tree, only for files whose bytes mention one of the callees (`NEEDLES`): a file that
//! does not is never parsed for this.

use crate::project::resolve_relative;
use crate::syntax::*;

/// A module named in a string literal of a call that imports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicImport {
    /// Absolute dotted name as written (relative names resolved): the module itself (`exact`), or a dotted
    /// path whose longest prefix that is a module is imported (`patch("pkg.mod.Class.attr")`).
    pub target: String,
    /// The string names a module (`import_module`, `__import__`), not a path into one.
    pub exact: bool,
    /// The callee's last name (`import_module`, `patch`, ...).
    pub via: String,
    pub line: u32,
}

/// Callees whose first argument, a string, names a module (`dynamic_imports`).
const NEEDLES: &[&[u8]] = &[b"import_module", b"__import__", b"patch", b"setattr", b"resolve_name", b"import_string"];

/// Could the bytes hold a dynamic import: one of `NEEDLES` called with a string literal first
/// (`patch(\n    "a.b"`, `import_module('a')`)? Most files that mention `patch` or `setattr` call them with
/// other arguments (`client.patch(url)`, `setattr(obj, ...)`) and are not parsed for this.
pub fn may_import_dynamically(bytes: &[u8]) -> bool {
    NEEDLES.iter().any(|n| {
        memchr::memmem::find_iter(bytes, n).any(|at| {
            let mut rest = bytes[at + n.len()..].iter().skip_while(|b| matches!(b, b' ' | b'\t'));
            rest.next() == Some(&b'(')
                && rest.find(|b| !b.is_ascii_whitespace() && **b != b'\\').is_some_and(|b| matches!(b, b'"' | b'\''))
        })
    })
}

/// The dynamic imports of a file's text (`module`: the file's module; `is_package`: it is an `__init__`).
/// Empty when the bytes mention no callee or the text does not parse.
pub fn dynamic_imports(text: &str, module: &str, is_package: bool) -> Vec<DynamicImport> {
    if !may_import_dynamically(text.as_bytes()) {
        return vec![];
    }
    match crate::parse::parse_module(text) {
        Ok(ast) => dynamic_imports_in(&ast, text, module, is_package),
        Err(_) => vec![],
    }
}

/// `dynamic_imports` of a parsed module.
pub fn dynamic_imports_in(ast: &Module, text: &str, module: &str, is_package: bool) -> Vec<DynamicImport> {
    let lines = crate::read::LineIndex::new(text);
    let mut out = Vec::new();
    walk_exprs(&ast.body, true, &mut |e| {
        let ExprKind::Call { func, args, keywords } = &e.kind else { return };
        let Some(via) = func.last_name() else { return };
        let keyword = |name: &str| keywords.iter().find(|k| k.arg.as_deref() == Some(name)).map(|k| &k.value);
        let found = match via {
            "import_module" | "__import__" => {
                let Some(name) = args.first().or_else(|| keyword("name")).and_then(Expr::as_str) else { return };
                // `import_module(".sub", package=__package__)` is relative to the package named.
                let package = args.get(1).or_else(|| keyword("package"));
                let target = match name.strip_prefix('.') {
                    None => Some(name.to_string()),
                    Some(_) => relative(name, package, module, is_package),
                };
                target.filter(|t| dotted(t)).map(|t| (t, true))
            }
            "patch" | "setattr" | "resolve_name" | "import_string" => {
                let Some(name) = args.first().and_then(Expr::as_str) else { return };
                // `resolve_name("pkg.mod:obj")` names the module before the colon.
                let name = name.split(':').next().unwrap_or(name);
                (name.contains('.') && dotted(name)).then(|| (name.to_string(), false))
            }
            _ => None,
        };
        if let Some((target, exact)) = found {
            out.push(DynamicImport { target, exact, via: via.to_string(), line: lines.line(e.span.start) });
        }
    });
    out
}

/// The absolute module of a relative `import_module` name: against the `package` argument when it is a string,
/// `__package__` or `__name__` (the file's own package), else `None`.
fn relative(name: &str, package: Option<&Expr>, module: &str, is_package: bool) -> Option<String> {
    let level = name.bytes().take_while(|b| *b == b'.').count() as u32;
    let rest = &name[level as usize..];
    let rest = (!rest.is_empty()).then_some(rest);
    match package.map(|p| &p.kind) {
        Some(ExprKind::Constant(Constant::Str(p))) => resolve_relative(p, true, rest, level),
        Some(ExprKind::Name(n)) if n.as_str() == "__package__" => resolve_relative(module, is_package, rest, level),
        Some(ExprKind::Name(n)) if n.as_str() == "__name__" => resolve_relative(module, is_package, rest, level),
        _ => None,
    }
}

/// `a.b.c` with every part an identifier.
fn dotted(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            let mut chars = p.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(src: &str, module: &str, is_package: bool) -> Vec<(String, bool, u32)> {
        dynamic_imports(src, module, is_package).into_iter().map(|d| (d.target, d.exact, d.line)).collect()
    }

    #[test]
    fn string_imports_are_read_with_their_line() {
        let src = "import importlib\nfrom unittest import mock\n\
                   def load():\n    return importlib.import_module('acme.app.db.intelligent_retry_system')\n\
                   m = __import__(\"acme.legacy\")\n\
                   @mock.patch('acme.app.core.enhanced_retry_strategies.time.sleep')\n\
                   def test_x(sleep):\n    pass\n\
                   def test_y(monkeypatch):\n    monkeypatch.setattr('acme.app.core.retry_cli.MAX', 1)\n    \
                   setattr(obj, 'name', 1)\n    mock.patch.object(obj, 'x')\n\
                   f = resolve_name('acme.app.plugins:entry')\n";
        assert_eq!(
            targets(src, "tests.test_x", false),
            [
                ("acme.app.db.intelligent_retry_system".to_string(), true, 4),
                ("acme.legacy".to_string(), true, 5),
                ("acme.app.core.enhanced_retry_strategies.time.sleep".to_string(), false, 6),
                ("acme.app.core.retry_cli.MAX".to_string(), false, 10),
                ("acme.app.plugins".to_string(), false, 13),
            ]
        );
    }

    #[test]
    fn relative_names_resolve_against_the_package_given() {
        let src = "import importlib\n\
                   a = importlib.import_module('.retry_manager', package='acme.agents')\n\
                   b = importlib.import_module('..db.pool', __package__)\n\
                   c = importlib.import_module('.x', package=unknown)\n\
                   d = importlib.import_module(name_in_a_variable)\n";
        assert_eq!(
            targets(src, "acme.app.loader", false),
            [("acme.agents.retry_manager".to_string(), true, 2), ("acme.db.pool".to_string(), true, 3)]
        );
    }

    #[test]
    fn files_without_a_needle_are_not_parsed() {
        assert!(!may_import_dynamically(b"import os\nx = 1\n"));
        assert!(!may_import_dynamically(b"client.patch(url, json=body)\nsetattr(obj, 'x', 1)\n"));
        assert!(may_import_dynamically(b"@mock.patch(\n    \"a.b.c\"\n)\n"));
        assert!(may_import_dynamically(b"importlib.import_module ('a')\n"));
        assert!(targets("this is not python (", "m", false).is_empty());
    }
}
