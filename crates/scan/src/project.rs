//! Tree-level facts the codemods need and one file alone cannot give: each scanned module's exports
//! (top-level bindings and `__all__`) and the module import graph (for import-cycle warnings).
//!
//! Built by the scan itself from the same read of every file (`scan_files_tree`: a file's imports come from its
//! syntax tree when the scan parses it whole, else from its import statements read off the tokens; the exports
//! of a module a plan target may name come from its syntax tree) and attached to the plan (`Plan::tree`), so
//! the legacy import and config rules can check that a target really exports a symbol before offering a fix.

use crate::syntax::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    /// Names bound at module level (defs, classes, assignments, imports) plus `__all__` entries. Read for the
    /// modules a plan target may name (`TreeKey::exports`); the fixes never ask about any other module's.
    pub exports: BTreeSet<String>,
    /// The module defines `__getattr__` (PEP 562): any name may resolve.
    pub dynamic: bool,
    /// Absolute module names this module imports (anywhere in the file).
    pub imports: BTreeSet<String>,
    /// What each module-level name is (read for the modules a plan target or redirect source may name).
    pub definitions: BTreeMap<String, crate::definitions::Definition>,
    /// Dotted names a test file spells as string literals (`patch("app.retry.asyncio.sleep")`,
    /// `monkeypatch.setattr("app.retry.time.sleep", fake)`): what its tests patch through other modules. Read
    /// for test files only (`deletion::is_test_path`).
    pub patch_targets: BTreeSet<String>,
}

/// `seg` is an ASCII identifier (module and attribute names as mock targets spell them).
fn is_ascii_identifier(seg: &str) -> bool {
    seg.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && seg.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// What a test file patches through a module object: `monkeypatch.setattr(retry_utils.time, "sleep", f)` and
/// `patch.object(retry_utils, "sleep")` give `retry_utils.time.sleep` and `retry_utils.sleep`, the object spelled
/// as the test spells it (a module imported under its own last name; an alias is not followed). A byte scan.
pub fn object_patches(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for call in ["setattr(", ".object("] {
        for at in memchr::memmem::find_iter(text.as_bytes(), call.as_bytes()) {
            let args = &text[at + call.len()..];
            let Some((object, rest)) = args.split_once(',') else { continue };
            let object = object.trim();
            let rest = rest.trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
            let Some(attr) = rest[1..].split(quote).next() else { continue };
            if object.split('.').all(is_ascii_identifier) && is_ascii_identifier(attr) {
                out.insert(format!("{object}.{attr}"));
            }
        }
    }
    out
}

/// The string literals of `text` that spell a dotted name (`"a.b"`, `'a.b.c'`: identifiers joined by dots), as
/// mock targets are written. A byte scan, no parse: quotes in comments or inside other strings may add a
/// name, which only makes the question "is this patched?" answer yes more often.
pub fn dotted_strings(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while let Some(k) = memchr::memchr2(b'"', b'\'', &b[i..]) {
        let start = i + k + 1;
        let quote = b[i + k];
        let end = b[start..].iter().position(|&c| c == quote || c == b'\n').map_or(b.len(), |n| start + n);
        let inner = &text[start..end];
        if inner.contains('.') && inner.split('.').all(is_ascii_identifier) {
            out.insert(inner.to_string());
        }
        i = end.min(b.len() - 1) + 1;
        if i >= b.len() {
            break;
        }
    }
    out
}

/// The module-level definitions of a module, imports resolved to absolute modules.
pub fn definitions_of(
    name: &str,
    is_package: bool,
    text: &str,
    module: &Module,
) -> BTreeMap<String, crate::definitions::Definition> {
    let lines = crate::read::LineIndex::new(text);
    let mut defs: BTreeMap<String, crate::definitions::Definition> = BTreeMap::new();
    for (n, d) in crate::definitions::of_module(&module.body, &|at| lines.line(at)) {
        defs.insert(n, d);
    }
    // Where each imported name comes from.
    for s in &module.body {
        imported_sources(name, is_package, s, &mut defs);
    }
    defs
}

fn imported_sources(
    name: &str,
    is_package: bool,
    s: &Stmt,
    defs: &mut BTreeMap<String, crate::definitions::Definition>,
) {
    match &s.kind {
        StmtKind::Import { names } => {
            for a in names {
                let bound = a.asname.as_deref().unwrap_or_else(|| a.name.split('.').next().unwrap_or(&a.name));
                let module = if a.asname.is_some() { a.name.to_string() } else { bound.to_string() };
                if let Some(d) = defs.get_mut(bound).filter(|d| d.imported.is_none()) {
                    d.imported = Some((module, None));
                }
            }
        }
        StmtKind::ImportFrom { module, level, names } => {
            let Some(base) = resolve_relative(name, is_package, module.as_deref(), *level) else { return };
            for a in names.iter().filter(|a| a.name != "*") {
                let bound = a.asname.as_ref().unwrap_or(&a.name);
                if let Some(d) = defs.get_mut(bound.as_str()).filter(|d| d.imported.is_none()) {
                    d.imported = Some((base.clone(), Some(a.name.to_string())));
                }
            }
        }
        StmtKind::If { body, orelse, .. } => {
            for s in body.iter().chain(orelse) {
                imported_sources(name, is_package, s, defs);
            }
        }
        StmtKind::Try { body, handlers, orelse, finalbody } => {
            for s in body.iter().chain(handlers.iter().flat_map(|h| &h.body)).chain(orelse).chain(finalbody) {
                imported_sources(name, is_package, s, defs);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone, Default)]
pub struct TreeInfo {
    /// Dotted module name (as derived from the display path) -> facts.
    pub modules: BTreeMap<String, ModuleInfo>,
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

/// Module names match when equal or when the scanned name carries a prefix (a parent directory was scanned).
pub fn module_eq(scanned: &str, wanted: &str) -> bool {
    scanned == wanted || scanned.ends_with(&format!(".{wanted}"))
}

impl TreeInfo {
    /// A test of the tree patches `name` as an attribute of `module` (`"{module}.{name}"`, or a target through
    /// it, `"{module}.{name}.sleep"`): the target and the test module that spells it.
    pub fn patched(&self, module: &str, name: &str) -> Option<(&str, &str)> {
        // A patch through the module object spells it by its last name (`retry_utils.time.sleep`).
        let last = module.rsplit('.').next().unwrap_or(module);
        let spellings = [format!("{module}.{name}"), format!("{last}.{name}")];
        let through = |t: &str| {
            spellings.iter().any(|own| t.strip_prefix(own.as_str()).is_some_and(|r| r.is_empty() || r.starts_with('.')))
        };
        self.modules.iter().find_map(|(test, info)| {
            let t = info.patch_targets.iter().find(|t| through(t))?;
            Some((t.as_str(), test.as_str()))
        })
    }

    /// Facts about `module` (a dotted name as written in code), if it is in the scanned tree.
    pub fn module(&self, module: &str) -> Option<(&str, &ModuleInfo)> {
        if let Some((k, v)) = self.modules.get_key_value(module) {
            return Some((k.as_str(), v));
        }
        self.modules.iter().find(|(k, _)| module_eq(k, module)).map(|(k, v)| (k.as_str(), v))
    }

    /// What `module.name` is, followed through re-exports (`from .impl import Name` in a package), or why it
    /// is not known: the module is not in the tree, its definitions were not read, it does not bind the name,
    /// or a re-export leads out of the tree. A link bound only under `TYPE_CHECKING` is returned as it is
    /// (`type_checking_only` set).
    pub fn definition(&self, module: &str, name: &str) -> Result<crate::definitions::Definition, String> {
        let (mut module, mut name) = (module.to_string(), name.to_string());
        for _ in 0..8 {
            let Some((key, info)) = self.module(&module) else {
                return Err(format!("`{module}` is not in the scanned tree"));
            };
            if let Some(d) = info.definitions.get(&name) {
                if d.type_checking_only {
                    // Not bound at run time: what it would be does not matter.
                    return Ok(d.clone());
                }
                match (&d.kind, &d.imported) {
                    (crate::definitions::DefKind::Import, Some((from, Some(n)))) => {
                        if self.module(from).is_none() {
                            // `from pkg import submodule`: the submodule itself.
                            let sub = format!("{from}.{n}");
                            if self.module(&sub).is_some() {
                                return Err(format!("`{module}.{name}` is the module `{sub}`"));
                            }
                        }
                        (module, name) = (from.clone(), n.clone());
                        continue;
                    }
                    (crate::definitions::DefKind::Import, _) => {
                        return Err(format!("`{module}.{name}` is an imported module"));
                    }
                    _ => return Ok(d.clone()),
                }
            }
            if info.definitions.is_empty() && !info.exports.is_empty() {
                return Err(format!("what `{key}` binds was not read"));
            }
            return Err(format!("`{key}` does not define `{name}`"));
        }
        Err(format!("`{module}.{name}`: re-exports too deep to follow"))
    }

    /// The scanned-tree key of a module named in code.
    fn key(&self, module: &str) -> Option<&str> {
        self.module(module).map(|(k, _)| k)
    }

    /// A path of imports `from -> ... -> to` through the scanned tree, if one exists.
    pub fn import_path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let start = self.key(from)?.to_string();
        let goal = self.key(to)?.to_string();
        let mut prev: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = VecDeque::from([start.clone()]);
        let mut seen = BTreeSet::from([start.clone()]);
        while let Some(m) = queue.pop_front() {
            if m == goal {
                let mut path = vec![m.clone()];
                let mut cur = m;
                while let Some(p) = prev.get(&cur) {
                    path.push(p.clone());
                    cur = p.clone();
                }
                path.reverse();
                return Some(path);
            }
            let Some(info) = self.modules.get(&m) else {
                continue;
            };
            for imp in &info.imports {
                if let Some(k) = self.key(imp) {
                    if seen.insert(k.to_string()) {
                        prev.insert(k.to_string(), m.clone());
                        queue.push_back(k.to_string());
                    }
                }
            }
        }
        None
    }
}

/// Exports and imports of one parsed module.
pub fn module_info(name: &str, is_package: bool, module: &Module) -> ModuleInfo {
    let mut info = ModuleInfo::default();
    top_level_bindings(&module.body, &mut info);
    walk_stmts(&module.body, true, &mut |s| match &s.kind {
        StmtKind::Import { names } => {
            for n in names {
                info.imports.insert(n.name.to_string());
            }
        }
        StmtKind::ImportFrom { module: m, level, names } => add_from_import(
            &mut info.imports,
            name,
            is_package,
            m.as_deref(),
            *level,
            names.iter().map(|n| n.name.as_str()),
        ),
        _ => {}
    });
    info
}

/// The modules `from <level dots><module> import names` imports.
fn add_from_import<'n>(
    imports: &mut BTreeSet<String>,
    name: &str,
    is_package: bool,
    module: Option<&str>,
    level: u32,
    names: impl Iterator<Item = &'n str>,
) {
    if let Some(base) = resolve_relative(name, is_package, module, level) {
        for n in names {
            if n != "*" {
                // `from pkg import mod` imports the submodule when there is one.
                imports.insert(format!("{base}.{n}"));
            }
        }
        imports.insert(base);
    }
}

/// The modules a file imports, from its import statements read off the tokens (`parse::import_statements`):
/// what `module_info` gives as `imports` for the parsed file.
pub fn imports_of(name: &str, is_package: bool, statements: &[crate::parse::ImportStmt]) -> BTreeSet<String> {
    let mut imports = BTreeSet::new();
    for s in statements {
        match s {
            crate::parse::ImportStmt::Import(names) => imports.extend(names.iter().cloned()),
            crate::parse::ImportStmt::From { level, module, names } => add_from_import(
                &mut imports,
                name,
                is_package,
                module.as_deref(),
                *level,
                names.iter().map(String::as_str),
            ),
        }
    }
    imports
}

fn bind_target(e: &Expr, info: &mut ModuleInfo) {
    match &e.kind {
        ExprKind::Name(n) => {
            info.exports.insert(n.to_string());
        }
        ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().for_each(|i| bind_target(i, info)),
        ExprKind::Starred(inner) => bind_target(inner, info),
        _ => {}
    }
}

/// Module-level bindings, including those inside top-level `if` / `try` blocks (shims).
fn top_level_bindings(body: &[Stmt], info: &mut ModuleInfo) {
    for s in body {
        match &s.kind {
            StmtKind::FunctionDef(f) => {
                if f.name == "__getattr__" {
                    info.dynamic = true;
                }
                info.exports.insert(f.name.to_string());
            }
            StmtKind::ClassDef(c) => {
                info.exports.insert(c.name.to_string());
            }
            StmtKind::Assign { targets, value } => {
                for t in targets {
                    bind_target(t, info);
                    if matches!(&t.kind, ExprKind::Name(n) if n == "__all__") {
                        if let ExprKind::List(items) | ExprKind::Tuple(items) = &value.kind {
                            info.exports.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)));
                        }
                    }
                }
            }
            StmtKind::AnnAssign { target, .. } | StmtKind::AugAssign { target, .. } => bind_target(target, info),
            StmtKind::Import { names } => {
                for n in names {
                    let local = n
                        .asname
                        .as_ref()
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| n.name.split('.').next().unwrap_or(&n.name).to_string());
                    info.exports.insert(local);
                }
            }
            StmtKind::ImportFrom { names, .. } => {
                for n in names {
                    if n.name == "*" {
                        // Unknown names: be permissive only through `dynamic`, never guess.
                        continue;
                    }
                    info.exports.insert(n.asname.as_ref().unwrap_or(&n.name).to_string());
                }
            }
            StmtKind::If { .. }
            | StmtKind::Try { .. }
            | StmtKind::With { .. }
            | StmtKind::For { .. }
            | StmtKind::While { .. } => {
                for b in s.blocks(false) {
                    top_level_bindings(b, info);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What tests patch, as strings or through module objects, and which legacy names that reaches.
    #[test]
    fn patch_targets_of_a_test_file() {
        let text = "from app.legacy import db_retry\nfrom unittest import mock\n\n\
                    def test_a(monkeypatch):\n    monkeypatch.setattr(db_retry.time, \"sleep\", lambda s: None)\n\n\
                    def test_b():\n    with mock.patch.object(db_retry, 'sleep'), mock.patch(\"app.legacy.agent.asyncio.sleep\"):\n\
                    \x20       setattr(self, \"x\", 1)\n    log = 'not a target'\n";
        let mut targets = dotted_strings(text);
        targets.extend(object_patches(text));
        let want = ["app.legacy.agent.asyncio.sleep", "db_retry.sleep", "db_retry.time.sleep", "self.x"];
        assert_eq!(targets.iter().map(String::as_str).collect::<Vec<_>>(), want);
        let mut tree = TreeInfo::default();
        tree.modules.insert("tests.test_retry".into(), ModuleInfo { patch_targets: targets, ..Default::default() });
        assert_eq!(tree.patched("app.legacy.db_retry", "time"), Some(("db_retry.time.sleep", "tests.test_retry")));
        assert_eq!(tree.patched("app.legacy.db_retry", "sleep"), Some(("db_retry.sleep", "tests.test_retry")));
        assert!(tree.patched("app.legacy.agent", "asyncio").is_some());
        assert_eq!(tree.patched("app.legacy.agent", "time"), None);
        assert_eq!(tree.patched("app.legacy.db_retry", "timeout"), None);
    }

    #[test]
    fn exports_and_imports() {
        let m = crate::parse::parse_module(
            "import os\nfrom .x import y as z\ntry:\n    from a import B\nexcept ImportError:\n    B = None\nclass C: pass\ndef f(): pass\nV, W = 1, 2\n__all__ = ['Extra']\n",
        )
        .unwrap();
        let info = module_info("pkg.mod", false, &m);
        for n in ["os", "z", "B", "C", "f", "V", "W", "Extra", "__all__"] {
            assert!(info.exports.contains(n), "{n}");
        }
        assert!(info.imports.contains("pkg.x"));
        assert!(info.imports.contains("a"));
    }

    #[test]
    fn import_path_finds_cycles() {
        let mut t = TreeInfo::default();
        t.modules.insert("a".into(), ModuleInfo { imports: ["b".to_string()].into(), ..Default::default() });
        t.modules.insert("b".into(), ModuleInfo { imports: ["c".to_string()].into(), ..Default::default() });
        t.modules.insert("c".into(), ModuleInfo::default());
        assert_eq!(t.import_path("a", "c").unwrap(), ["a", "b", "c"]);
        assert!(t.import_path("c", "a").is_none());
    }
}
