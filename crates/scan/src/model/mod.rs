//! The project model: what every name of the tree *is*, built once per run from every file's facts.
//!
//! - the module table (a package shadows a same-named module);
//! - symbol resolution through imports, re-exports (`__init__`, `__all__`, star imports, `try/except
//!   ImportError` fallbacks; `TYPE_CHECKING` imports never bind at run time), aliases and attributes
//!   (`module.f`, `Class.attr`, `instance.method` for instances built at module level, in `__init__` or as
//!   locals);
//! - methods through bases and mixins (depth-first, left to right);
//! - the call graph (resolved callees where resolvable) and its reverse (callers), and importers.
//!
//! Lookups are hash maps (the anchor is ruff's `SemanticModel`: bindings by name per scope).

mod graph;
pub mod roles;

pub use graph::{CallEdge, Graph, ImportEdge};

use crate::facts::{Binding, BindingKind, ClassIdx, DefIdx, FileFacts, Import, Owner, Value};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

pub type FileId = u32;

/// Hash maps keyed by (index, name), looked up by borrowed names (no allocation per lookup).
type NameMap<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// `(class or def, name)` borrowed: hashes and compares as the owned key.
#[derive(Hash)]
struct Key2<'a>(u32, &'a str);

impl hashbrown::Equivalent<(u32, String)> for Key2<'_> {
    fn equivalent(&self, k: &(u32, String)) -> bool {
        self.0 == k.0 && self.1 == k.1
    }
}

/// A definition somewhere in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sym {
    Def(FileId, DefIdx),
    Class(FileId, ClassIdx),
    /// A module-level or class-level assignment (index into the file's `assigns`).
    Assign(FileId, u32),
    Module(FileId),
    /// Bound by a top-level piece the prefilter did not parse.
    Unanalysed(FileId),
    /// A call site (index into the file's `calls`): a config site that hands machinery its numbers.
    Call(FileId, u32),
}

impl Sym {
    pub fn file(self) -> FileId {
        match self {
            Sym::Def(f, _)
            | Sym::Class(f, _)
            | Sym::Assign(f, _)
            | Sym::Call(f, _)
            | Sym::Module(f)
            | Sym::Unanalysed(f) => f,
        }
    }
}

/// What an expression evaluates to, as far as the model can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Res {
    Sym(Sym),
    /// An instance of this class (`handler = RetryHandler(...)`, `self` in a method).
    Instance(FileId, ClassIdx),
    /// Outside the tree: the absolute dotted name (`time.sleep`, `tenacity.retry`).
    External(String),
}

/// `s.split('.')`, by bytes: the char searcher `split` runs costs more than the short dotted names resolution
/// splits (a fifth of resolving a call went to it).
fn dot_parts(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_dot_once(r) {
            Some((part, after)) => {
                rest = Some(after);
                Some(part)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `s.split_once('.')`, by bytes (see `dot_parts`).
fn split_dot_once(s: &str) -> Option<(&str, &str)> {
    let i = s.as_bytes().iter().position(|&b| b == b'.')?;
    Some((&s[..i], &s[i + 1..]))
}

/// `s.rsplit_once('.')`, by bytes (see `dot_parts`).
pub(crate) fn rsplit_dot_once(s: &str) -> Option<(&str, &str)> {
    let i = s.as_bytes().iter().rposition(|&b| b == b'.')?;
    Some((&s[..i], &s[i + 1..]))
}

/// How deep resolution follows imports and aliases before giving up (a cycle, or an absurd chain).
const MAX_HOPS: u32 = 16;

/// One file's name tables, built from its facts alone (so files are tabled in parallel, and a file parsed
/// again replaces its own table).
#[derive(Default)]
struct FileTable {
    /// name -> index of the binding that wins at run time.
    bindings: NameMap<String, u32>,
    /// (class, name) -> assignments to `self.name` in the class's methods.
    instance_attrs: NameMap<(ClassIdx, String), Vec<u32>>,
    /// (def, name) -> local assignments of a function.
    locals: NameMap<(DefIdx, String), Vec<u32>>,
    /// (class, name) -> method or class-level member.
    members: NameMap<(ClassIdx, String), Member>,
    /// local name -> function-local imports (any function of the file).
    local_imports: NameMap<String, u32>,
    /// Per function: the indices of the calls its own body makes.
    calls_by_owner: Vec<Vec<u32>>,
}

impl FileTable {
    fn new(f: &FileFacts) -> FileTable {
        let mut t = FileTable::default();
        for (bi, b) in f.bindings.iter().enumerate() {
            let replace = match t.bindings.get(b.name.as_str()) {
                Some(&old) => !b.type_only || f.bindings[old as usize].type_only,
                None => true,
            };
            if replace {
                t.bindings.insert(b.name.clone(), bi as u32);
            }
        }
        for (ai, a) in f.assigns.iter().enumerate() {
            let ai = ai as u32;
            match a.owner {
                Owner::Instance { class, .. } => {
                    t.instance_attrs.entry((class, a.target.clone())).or_default().push(ai)
                }
                Owner::Local(d) => t.locals.entry((d, a.target.clone())).or_default().push(ai),
                Owner::Class(c) => {
                    t.members.insert((c, a.target.clone()), Member::Assign(ai));
                }
                Owner::Module => {}
            }
        }
        for (ci, c) in f.classes.iter().enumerate() {
            for &m in &c.methods {
                t.members.insert((ci as ClassIdx, f.defs[m as usize].name.clone()), Member::Def(m));
            }
            if let Some(p) = c.parent {
                t.members.entry((p, c.name.clone())).or_insert(Member::Class(ci as ClassIdx));
            }
        }
        for (ii, imp) in f.imports.iter().enumerate() {
            if !imp.module_level && !imp.star {
                t.local_imports.entry(imp.local.clone()).or_insert(ii as u32);
            }
        }
        t.calls_by_owner = vec![Vec::new(); f.defs.len()];
        for (i, c) in f.calls.iter().enumerate() {
            if let Some(d) = c.owner {
                t.calls_by_owner[d as usize].push(i as u32);
            }
        }
        t
    }
}

pub struct Model {
    pub files: Vec<FileFacts>,
    modules: HashMap<String, FileId>,
    /// Every module name, and its shorter spellings (`b.c` for `a.b.c`; `None` when two modules share one): a
    /// module's own name wins over a spelling of another's, so `module` asks one map where it asked two.
    module_names: HashMap<String, Option<FileId>>,
    tables: Vec<FileTable>,
    /// Per file, per class: the class and its bases in the tree, depth first, left to right.
    mros: Vec<Vec<Vec<(FileId, ClassIdx)>>>,
}

#[derive(Debug, Clone, Copy)]
enum Member {
    Def(DefIdx),
    Class(ClassIdx),
    Assign(u32),
}

impl Model {
    pub fn new(files: Vec<FileFacts>) -> Model {
        // The module tables are built while the pool tables the files (both only read the facts).
        let ((modules, module_names), tables) = crate::pool().install(|| {
            rayon::join(|| Model::module_tables(&files), || files.par_iter().map(FileTable::new).collect())
        });
        let mut model = Model { files, modules, module_names, tables, mros: vec![] };
        model.mros = model.linearize();
        model
    }

    /// Module name -> file, and every module name or dotted suffix of one -> its file (`None`: a suffix of more
    /// than one, and no module's own name).
    fn module_tables(files: &[FileFacts]) -> (HashMap<String, FileId>, HashMap<String, Option<FileId>>) {
        let mut modules: HashMap<String, FileId> = HashMap::default();
        for (i, f) in files.iter().enumerate() {
            let i = i as FileId;
            match modules.get(&f.module) {
                // A package (`x/__init__.py`) shadows a module of the same name (`x.py`).
                Some(&other) if files[other as usize].is_package && !f.is_package => {}
                _ => {
                    modules.insert(f.module.clone(), i);
                }
            }
        }
        let mut module_names: HashMap<String, Option<FileId>> = HashMap::default();
        for (name, &f) in &modules {
            for suffix in crate::modules::suffixes(name) {
                module_names
                    .entry(suffix.to_string())
                    .and_modify(|v| {
                        if *v != Some(f) {
                            *v = None
                        }
                    })
                    .or_insert(Some(f));
            }
        }
        for (name, &f) in &modules {
            module_names.insert(name.clone(), Some(f));
        }
        (modules, module_names)
    }

    /// Replace the facts of some files (parsed again, same modules), re-tabling only those files.
    pub fn replace(&mut self, changed: Vec<(FileId, FileFacts)>) {
        // The files parsed again are the large ones: table them in parallel.
        let tabled: Vec<(FileId, FileTable, FileFacts)> =
            crate::pool().install(|| changed.into_par_iter().map(|(fid, f)| (fid, FileTable::new(&f), f)).collect());
        let mut replaced = Vec::with_capacity(tabled.len());
        for (fid, table, f) in tabled {
            let table = std::mem::replace(&mut self.tables[fid as usize], table);
            replaced.push((table, std::mem::replace(&mut self.files[fid as usize], f)));
        }
        // Freeing what was replaced was most of this serial step: the pool's threads, idle while the model is
        // rebuilt, free it.
        crate::pool().spawn(move || drop(replaced));
        self.mros = self.linearize();
    }

    /// Every class's bases resolved (names of the class's own scope: module bindings, imports, nested classes
    /// by their direct members), then linearized depth first with a cycle guard.
    fn linearize(&self) -> Vec<Vec<Vec<(FileId, ClassIdx)>>> {
        let direct: Vec<Vec<Vec<(FileId, ClassIdx)>>> = crate::pool().install(|| {
            self.files
                .par_iter()
                .enumerate()
                .map(|(fi, f)| {
                    f.classes
                        .iter()
                        .map(|k| k.bases.iter().filter_map(|b| self.resolve_base(fi as FileId, b)).collect())
                        .collect()
                })
                .collect()
        });
        direct
            .iter()
            .enumerate()
            .map(|(fi, classes)| {
                (0..classes.len())
                    .map(|ci| {
                        let mut out = vec![(fi as FileId, ci as ClassIdx)];
                        let mut i = 0;
                        while i < out.len() && out.len() < 64 {
                            let (f, c) = out[i];
                            for &b in &direct[f as usize][c as usize] {
                                if !out.contains(&b) {
                                    out.push(b);
                                }
                            }
                            i += 1;
                        }
                        out
                    })
                    .collect()
            })
            .collect()
    }

    /// A base class name: a module binding or import, then attributes of modules and direct members of
    /// classes (no bases are consulted, so resolving bases cannot recurse into itself).
    fn resolve_base(&self, file: FileId, dotted: &str) -> Option<(FileId, ClassIdx)> {
        let mut parts = dot_parts(dotted);
        let mut cur = match self.binding(file, parts.next()?) {
            Some(b) => self.binding_res(file, b, 0)?,
            None => return None,
        };
        for attr in parts {
            cur = match self.value_shallow(cur) {
                Res::Sym(Sym::Module(f)) => self.export(&self.file(f).module, attr)?,
                Res::Sym(Sym::Class(f, c)) => match self.tables[f as usize].members.get(&Key2(c, attr))? {
                    Member::Class(k) => Res::Sym(Sym::Class(f, *k)),
                    _ => return None,
                },
                _ => return None,
            };
        }
        match self.value_shallow(cur) {
            Res::Sym(Sym::Class(f, c)) => Some((f, c)),
            _ => None,
        }
    }

    /// Follow module-level aliases only (`Base = OtherBase`), for base resolution.
    fn value_shallow(&self, r: Res) -> Res {
        let mut r = r;
        for _ in 0..MAX_HOPS {
            let Res::Sym(Sym::Assign(file, a)) = r else { return r };
            let assign = &self.file(file).assigns[a as usize];
            match (&assign.value, assign.owner) {
                (Value::Alias(d), Owner::Module) => match self.resolve_base_name(file, d) {
                    Some(n) => r = n,
                    None => return r,
                },
                _ => return r,
            }
        }
        r
    }

    fn resolve_base_name(&self, file: FileId, dotted: &str) -> Option<Res> {
        let mut parts = dot_parts(dotted);
        let b = self.binding(file, parts.next()?)?;
        let mut cur = self.binding_res(file, b, 0)?;
        for attr in parts {
            cur = match cur {
                Res::Sym(Sym::Module(f)) => self.export(&self.file(f).module, attr)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The calls a function's own body makes (indices into the file's `calls`).
    pub fn calls_of(&self, file: FileId, def: DefIdx) -> impl Iterator<Item = &crate::facts::Call> {
        let f = &self.files[file as usize];
        self.tables[file as usize].calls_by_owner[def as usize].iter().map(move |&i| &f.calls[i as usize])
    }

    /// The indices (into the file's `calls`) of the calls a function's own body makes.
    pub fn call_indices_of(&self, file: FileId, def: DefIdx) -> impl Iterator<Item = u32> + '_ {
        self.tables[file as usize].calls_by_owner[def as usize].iter().copied()
    }

    pub fn file(&self, id: FileId) -> &FileFacts {
        &self.files[id as usize]
    }

    /// The file of a module in the tree. An import may spell it longer than the tree names it (a namespace
    /// directory above its top package: `google.api_core.retry`) or shorter (a tree named from a deeper root:
    /// `app.db` for `backend.app.db`).
    pub fn module(&self, name: &str) -> Option<FileId> {
        if let Some(&Some(f)) = self.module_names.get(name) {
            return Some(f);
        }
        let mut rest = name;
        for _ in 0..2 {
            rest = split_dot_once(rest)?.1;
            if let Some(&f) = self.modules.get(rest) {
                return Some(f);
            }
        }
        None
    }

    fn binding(&self, file: FileId, name: &str) -> Option<&Binding> {
        let i = *self.tables[file as usize].bindings.get(name)?;
        Some(&self.files[file as usize].bindings[i as usize])
    }

    /// What `from module import name` binds.
    pub fn export(&self, module: &str, name: &str) -> Option<Res> {
        self.export_hops(module, name, 0)
    }

    fn export_hops(&self, module: &str, name: &str, hops: u32) -> Option<Res> {
        if hops > MAX_HOPS {
            return None;
        }
        let Some(file) = self.module(module) else {
            return Some(Res::External(crate::syntax::join_dot(module, name)));
        };
        if let Some(b) = self.binding(file, name) {
            // A package importing its own submodule (`from google.api_core.gapic_v1 import config` in that
            // package's `__init__`) binds the submodule: following the import would come back here.
            let own_submodule = matches!(b.kind, BindingKind::Import(i) if {
                let target = &self.file(file).imports[i as usize].target;
                target.strip_prefix(module).and_then(|r| r.strip_prefix('.')) == Some(name)
            });
            if !b.type_only && !own_submodule {
                return self.binding_res(file, b, hops + 1);
            }
        }
        if let Some(sub) = self.module(&crate::syntax::join_dot(module, name)) {
            return Some(Res::Sym(Sym::Module(sub)));
        }
        let f = self.file(file);
        for imp in f.imports.iter().filter(|i| i.star && i.module_level && !i.type_only) {
            if let Some(r) = self.export_hops(&imp.target, name, hops + 1) {
                if !matches!(r, Res::External(_)) || self.module(&imp.target).is_none() {
                    return Some(r);
                }
            }
        }
        // A module the scan did not read binds what it binds: unknown until a pass parses it.
        (!f.parsed).then_some(Res::Sym(Sym::Unanalysed(file)))
    }

    fn binding_res(&self, file: FileId, b: &Binding, hops: u32) -> Option<Res> {
        match b.kind {
            BindingKind::Def(d) => Some(Res::Sym(Sym::Def(file, d))),
            BindingKind::Class(c) => Some(Res::Sym(Sym::Class(file, c))),
            BindingKind::Assign(a) => self.assign_res(file, a, hops),
            BindingKind::Import(i) => self.import_res(&self.file(file).imports[i as usize], hops),
            BindingKind::Unanalysed => Some(Res::Sym(Sym::Unanalysed(file))),
        }
    }

    /// A module-level assignment is itself a symbol (a preset, an alias site); what it evaluates to is
    /// `value_of`.
    fn assign_res(&self, file: FileId, a: u32, _hops: u32) -> Option<Res> {
        Some(Res::Sym(Sym::Assign(file, a)))
    }

    fn import_res(&self, imp: &Import, hops: u32) -> Option<Res> {
        if hops > MAX_HOPS {
            return None;
        }
        if imp.from {
            let (module, name) = rsplit_dot_once(&imp.target)?;
            return self.export_hops(module, name, hops + 1);
        }
        match self.module(&imp.target) {
            Some(f) => Some(Res::Sym(Sym::Module(f))),
            None => Some(Res::External(imp.target.clone())),
        }
    }

    /// Follow aliases and constructions: what a symbol evaluates to when used (an assignment of an alias is
    /// its target, an assignment of a call to a class is an instance of it).
    pub fn value(&self, r: Res) -> Res {
        self.value_d(r, 0)
    }

    fn value_d(&self, r: Res, depth: u32) -> Res {
        if depth > MAX_HOPS {
            return r;
        }
        let mut r = r;
        for _ in 0..MAX_HOPS {
            let Res::Sym(Sym::Assign(file, a)) = r else { return r };
            let assign = &self.file(file).assigns[a as usize];
            let scope = match assign.owner {
                Owner::Local(d) | Owner::Instance { def: d, .. } => Some(d),
                _ => None,
            };
            let class = match assign.owner {
                Owner::Class(c) | Owner::Instance { class: c, .. } => Some(c),
                _ => None,
            };
            let next = match &assign.value {
                Value::Alias(d) => self.resolve_in_d(file, scope, class, d, depth + 1),
                Value::Call { callee, .. } => {
                    match self.resolve_in_d(file, scope, class, callee, depth + 1).map(|c| self.value_d(c, depth + 1)) {
                        Some(Res::Sym(Sym::Class(f, c))) => Some(Res::Instance(f, c)),
                        _ => None,
                    }
                }
                _ => None,
            };
            match next {
                Some(n) => r = n,
                None => return r,
            }
        }
        r
    }

    /// Resolve a dotted name as written in `file`, inside function `scope` of class `class` (`self` is an
    /// instance of `class`).
    pub fn resolve_in(
        &self,
        file: FileId,
        scope: Option<DefIdx>,
        class: Option<ClassIdx>,
        dotted: &str,
    ) -> Option<Res> {
        self.resolve_in_d(file, scope, class, dotted, 0)
    }

    fn resolve_in_d(
        &self,
        file: FileId,
        scope: Option<DefIdx>,
        class: Option<ClassIdx>,
        dotted: &str,
        depth: u32,
    ) -> Option<Res> {
        if depth > MAX_HOPS {
            return None;
        }
        let mut parts = dot_parts(dotted);
        let head = parts.next()?;
        let (head, called) = match head.strip_suffix("()") {
            Some(h) => (h, true),
            None => (head, false),
        };
        let mut cur = self.resolve_head(file, scope, class, head)?;
        if called {
            cur = self.called(self.value_d(cur, depth + 1))?;
        }
        for attr in parts {
            let (attr, called) = match attr.strip_suffix("()") {
                Some(a) => (a, true),
                None => (attr, false),
            };
            cur = self.attr(self.value_d(cur, depth + 1), attr)?;
            if called {
                cur = self.called(self.value_d(cur, depth + 1))?;
            }
        }
        Some(cur)
    }

    /// What calling `r` gives, as far as the model tracks it: constructing a class gives an instance.
    fn called(&self, r: Res) -> Option<Res> {
        match r {
            Res::Sym(Sym::Class(f, c)) => Some(Res::Instance(f, c)),
            Res::External(d) => Some(Res::External(format!("{d}()"))),
            _ => None,
        }
    }

    fn resolve_head(&self, file: FileId, scope: Option<DefIdx>, class: Option<ClassIdx>, head: &str) -> Option<Res> {
        let f = self.file(file);
        if head == "self" || head == "cls" {
            if let Some(c) = class {
                return Some(if head == "self" { Res::Instance(file, c) } else { Res::Sym(Sym::Class(file, c)) });
            }
        }
        if head == "super" {
            return class.map(|c| Res::Sym(Sym::Class(file, c)));
        }
        // Locals of the function and of the functions it is nested in.
        let mut s = scope;
        while let Some(d) = s {
            if let Some(list) = self.tables[file as usize].locals.get(&Key2(d, head)) {
                if let Some(&a) = list.last() {
                    return Some(Res::Sym(Sym::Assign(file, a)));
                }
            }
            if f.defs[d as usize].params.iter().any(|p| p.name == head) {
                return None; // a parameter: unknown
            }
            s = f.defs[d as usize].parent;
        }
        if let Some(&ii) = self.tables[file as usize].local_imports.get(head) {
            if scope.is_some() {
                return self.import_res(&f.imports[ii as usize], 0);
            }
        }
        if let Some(b) = self.binding(file, head) {
            return self.binding_res(file, b, 0);
        }
        None
    }

    /// `base.attr`.
    pub fn attr(&self, base: Res, attr: &str) -> Option<Res> {
        match base {
            Res::Sym(Sym::Module(f)) => self.export(&self.file(f).module, attr),
            Res::Sym(Sym::Class(f, c)) | Res::Instance(f, c) => {
                if let Some((mf, m)) = self.member(f, c, attr) {
                    return Some(match m {
                        Member::Def(d) => Res::Sym(Sym::Def(mf, d)),
                        Member::Class(k) => Res::Sym(Sym::Class(mf, k)),
                        Member::Assign(a) => Res::Sym(Sym::Assign(mf, a)),
                    });
                }
                if matches!(base, Res::Instance(..)) {
                    // An attribute set on `self` in a method of the class or a base.
                    for &(bf, bc) in &self.mros[f as usize][c as usize] {
                        if let Some(list) = self.tables[bf as usize].instance_attrs.get(&Key2(bc, attr)) {
                            if let Some(&a) = list.first() {
                                return Some(Res::Sym(Sym::Assign(bf, a)));
                            }
                        }
                    }
                }
                None
            }
            Res::External(d) => {
                let full = crate::syntax::join_dot(&d, attr);
                // `import google.api_core.retry` binds `google`, a namespace package the tree has no file
                // for; `google.api_core.retry` is a module of the tree again.
                match self.modules.get(full.as_str()) {
                    Some(&f) => Some(Res::Sym(Sym::Module(f))),
                    None => Some(Res::External(full)),
                }
            }
            _ => None,
        }
    }

    fn member(&self, file: FileId, class: ClassIdx, name: &str) -> Option<(FileId, Member)> {
        for &(f, c) in &self.mros[file as usize][class as usize] {
            if let Some(m) = self.tables[f as usize].members.get(&Key2(c, name)) {
                return Some((f, *m));
            }
        }
        None
    }

    /// The method `name` of a class, through its bases.
    pub fn method(&self, file: FileId, class: ClassIdx, name: &str) -> Option<(FileId, DefIdx)> {
        match self.member(file, class, name)? {
            (f, Member::Def(d)) => Some((f, d)),
            _ => None,
        }
    }

    /// The class and its bases in the tree, depth first, left to right (each once).
    pub fn mro(&self, file: FileId, class: ClassIdx) -> Vec<(FileId, ClassIdx)> {
        self.mros[file as usize][class as usize].clone()
    }

    /// The bases of a class that are outside the tree (absolute names).
    pub fn external_bases(&self, file: FileId, class: ClassIdx) -> Vec<String> {
        let k = &self.file(file).classes[class as usize];
        k.bases
            .iter()
            .filter_map(|b| match self.resolve_in(file, None, k.parent, b).map(|r| self.value(r)) {
                Some(Res::External(d)) => Some(d),
                None => Some(b.clone()),
                _ => None,
            })
            .collect()
    }

    /// The class a def is a method of.
    pub fn class_of(&self, file: FileId, def: DefIdx) -> Option<ClassIdx> {
        self.file(file).defs[def as usize].class
    }

    /// Resolve the callee of a call site to what it calls: a function, a method (through the receiver's
    /// class), or a class (its construction).
    pub fn callee(&self, file: FileId, call: u32) -> Option<Res> {
        let f = self.file(file);
        let c = &f.calls[call as usize];
        let class = c.owner.and_then(|d| self.enclosing_class(file, d));
        if let Some(rest) = c.callee.strip_prefix("super.") {
            let cls = class?;
            for &(bf, bc) in self.mros[file as usize][cls as usize].iter().skip(1) {
                if let Some(Member::Def(d)) = self.tables[bf as usize].members.get(&Key2(bc, rest)) {
                    return Some(Res::Sym(Sym::Def(bf, *d)));
                }
            }
            return None;
        }
        let r = self.resolve_in(file, c.owner, class, &c.callee)?;
        Some(self.value(r))
    }

    /// The class whose method (or a function nested in one) `def` is.
    pub fn enclosing_class(&self, file: FileId, def: DefIdx) -> Option<ClassIdx> {
        let f = self.file(file);
        let mut d = Some(def);
        while let Some(i) = d {
            if let Some(c) = f.defs[i as usize].class {
                return Some(c);
            }
            d = f.defs[i as usize].parent;
        }
        None
    }

    /// Dotted symbol of a definition (`pkg.mod.Class.method`).
    pub fn symbol_name(&self, s: Sym) -> String {
        let f = self.file(s.file());
        let q = match s {
            Sym::Def(_, d) => f.defs[d as usize].qualname.clone(),
            Sym::Class(_, c) => f.classes[c as usize].qualname.clone(),
            Sym::Assign(_, a) => {
                let a = &f.assigns[a as usize];
                match a.owner {
                    Owner::Class(c) | Owner::Instance { class: c, .. } => {
                        format!("{}.{}", f.classes[c as usize].qualname, a.target)
                    }
                    Owner::Local(d) => format!("{}.{}", f.defs[d as usize].qualname, a.target),
                    Owner::Module => a.target.clone(),
                }
            }
            // A call site is named by the function it is in (as a statement site is).
            Sym::Call(_, c) => match f.calls[c as usize].owner {
                Some(d) => f.defs[d as usize].qualname.clone(),
                None => String::new(),
            },
            Sym::Module(_) | Sym::Unanalysed(_) => String::new(),
        };
        match (f.module.is_empty(), q.is_empty()) {
            (_, true) => f.module.clone(),
            (true, false) => q,
            (false, false) => format!("{}.{q}", f.module),
        }
    }

    /// 1-based line of a definition.
    pub fn line(&self, s: Sym) -> u32 {
        let f = self.file(s.file());
        match s {
            Sym::Def(_, d) => f.defs[d as usize].line,
            Sym::Class(_, c) => f.classes[c as usize].line,
            Sym::Assign(_, a) => f.assigns[a as usize].line,
            Sym::Call(_, c) => f.calls[c as usize].line,
            Sym::Module(_) | Sym::Unanalysed(_) => 1,
        }
    }
}

#[cfg(test)]
mod tests;
