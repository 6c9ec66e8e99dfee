//! Legacy modules nothing in the tree imports any more: what `inventory` reports as deletable and
//! `migrate --delete-unused` removes.
//!
//! A *legacy module* is a file a plan entry lists (by path suffix or glob; the canonical module never is one).
//! Without a plan nothing is legacy, so nothing is deletable. A legacy module is deletable when no other file
//! of the scanned tree imports it, on the project model (`model`, `project`), not by text:
//! - an import of the module (`import a.b`, `from a import b`, relative imports, star imports, imports under
//!   `TYPE_CHECKING` or inside functions), of a package it is in (importing `a.b.c` runs `a/__init__` and
//!   `a/b/__init__`), or of a name resolved into it through re-exports (`from a import RetryManager` where
//!   `a/__init__.py` re-exports it: the package's `__init__` imports the module, and so keeps it too);
//! - a string naming it in a call that imports it (`importlib.import_module("a.b")`, `__import__`,
//!   `mock.patch("a.b.f")`, `monkeypatch.setattr("a.b.X", ...)`, `resolve_name`, `import_string`: see
//!   `strings`);
//! - tests are importers like any other file: a module a test imports is not deletable;
//! - a file the scan could not decode or parse imports every module that may be deleted whose name its bytes
//!   hold (its imports cannot be read, and it may be fixed).
//!
//! What to look for is known before the first pass, from the file list and the plan (`Prepared`): the files
//! that may be deleted (legacy modules, and the `__init__.py` of packages that hold nothing but legacy modules
//! among the scanned files) and the names an import of one of them spells (each one's last segment). Only a
//! file whose bytes hold one of those names can import one of them: such a file the byte prefilter left out
//! gets its imports read (`FileInputs::imports_only`, the facts a token-skipped file has; they are resolved on
//! the model, which keeps what the roles saw, so the findings do not change); only such a file is read for
//! string imports, and only imports that spell one of the names are resolved.
//! The bytes of the files that may be deleted are hashed as they are read. A plan whose legacy modules are not
//! among the scanned files costs nothing.
//!
//! Never deletable: entry points (`entry_points`: `pyproject.toml` scripts, gui-scripts and entry points,
//! Poetry scripts and plugins, `setup.cfg` entry points), `__main__.py` modules, test files (`test_*.py`,
//! `*_test.py`, `conftest.py`, files under `tests/` or `test/`: pytest imports them, nothing else does), and
//! an `__init__.py` whose package still holds anything else on disk.
//!
//! Modules imported only by other deletable modules are deletable with them (the largest set closed under
//! "every importer is in the set": two legacy modules importing each other and nothing else go together).
//! The `__init__.py` of a package left with nothing else (on disk: `__pycache__` and `.pyc` files aside) once
//! those are deleted is deletable too, when nothing else imports the package.

pub mod entry_points;
mod strings;

pub use strings::{dynamic_imports, dynamic_imports_in, may_import_dynamically, DynamicImport};

use crate::analysis::Project;
use crate::classify::plan;
use crate::data::Plan;
use crate::facts::{self, Binding, BindingKind, FileFacts, Import};
use crate::finding::PlanStatus;
use crate::model::{FileId, Res};
use crate::walk::FileEntry;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module `migrate --delete-unused` may remove.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deletable {
    /// Display path (root-relative, `/`-separated).
    pub path: String,
    pub module: String,
    /// Why nothing needs it (and the plan entry that makes it legacy).
    pub reason: String,
    /// The file as the walk reached it.
    #[serde(skip)]
    pub file: PathBuf,
    /// SHA-256 (hex) of the bytes the scan read: a file that no longer has them is never deleted.
    #[serde(skip)]
    pub sha256: String,
}

/// A legacy plan entry (an exact path) with no file in the tree, in a directory the scan covered: deleted, or
/// never there (the caller tells which, from version control).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentEntry {
    pub id: String,
    /// The entry's path as the plan writes it.
    pub path: String,
    /// Where the file would be: beside the scanned files of its directory (or of the nearest one above).
    pub expected_at: PathBuf,
}

/// The outcome of the deletion analysis (`ScanOptions::deletion`).
#[derive(Debug, Clone, Default)]
pub struct Deletion {
    /// Sorted by path.
    pub deletable: Vec<Deletable>,
    pub absent_entries: Vec<AbsentEntry>,
}

/// What the analysis needs of one file, taken from the bytes the first pass read (no file is read twice).
#[derive(Debug, Clone, Default)]
pub struct FileInputs {
    pub dynamic: Vec<DynamicImport>,
    /// The imports (and module-level names) of a file the byte prefilter left out: it has no facts otherwise.
    pub imports_only: Option<FileFacts>,
    /// `content_hash` of the bytes, for a file that may be deleted (a plan file, an `__init__.py`).
    pub sha256: Option<String>,
    /// A file the scan could not analyse (it does not decode or parse): the names of modules that may be
    /// deleted its bytes hold. It is taken to import each of them (its imports cannot be known, and it may
    /// be fixed).
    pub mentions: Vec<String>,
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Does the plan make any module legacy (an entry other than the canonical module's)?
pub fn wanted(plan: &Plan) -> bool {
    plan.entries.iter().any(|e| e.path != plan.canonical.path)
}

/// What the analysis looks for, known from the file list and the plan before any file is read.
pub struct Prepared {
    /// Per file: the plan entry that makes it a legacy module.
    legacy: Vec<Option<String>>,
    /// Per file: it may be deleted (a legacy module, or the `__init__.py` of a package holding legacy modules and
    /// no other scanned module): its bytes are hashed as they are read.
    may_delete: Vec<bool>,
    /// The last segment of each of those modules: an import of one spells it.
    words: aho_corasick::AhoCorasick,
    /// The words, in the matcher's pattern order.
    word_list: Vec<String>,
}

impl Prepared {
    /// `None` when no scanned file is legacy (nothing to do).
    pub fn new(files: &[FileEntry], plan: &Plan) -> Option<Prepared> {
        use rayon::prelude::*;
        if !wanted(plan) {
            return None;
        }
        // Test files and `__main__` modules are never deleted (nor are their packages left empty): not legacy here.
        let legacy: Vec<Option<String>> = crate::pool().install(|| {
            files
                .par_iter()
                .map(|f| {
                    if is_test_path(&f.display) || f.display.ends_with("__main__.py") {
                        return None;
                    }
                    let status = plan::status(plan, &f.display, &f.module);
                    (status.status == PlanStatus::Planned).then(|| status.entry.unwrap_or_default())
                })
                .collect()
        });
        if legacy.iter().all(Option::is_none) {
            return None;
        }
        // Directories holding (at any depth) a scanned module that is neither legacy nor an `__init__.py`: never
        // left empty. And those holding a legacy module.
        let (mut kept, mut holding): (HashSet<&str>, HashSet<&str>) = Default::default();
        for (f, l) in files.iter().zip(&legacy) {
            let set = match (l, f.display.ends_with("__init__.py")) {
                (Some(_), _) => &mut holding,
                (None, false) => &mut kept,
                (None, true) => continue,
            };
            let mut d = dir_of(&f.display);
            while set.insert(d) && !d.is_empty() {
                d = dir_of(d);
            }
        }
        let may_delete: Vec<bool> = files
            .iter()
            .zip(&legacy)
            .map(|(f, l)| {
                let d = dir_of(&f.display);
                l.is_some() || (f.display.ends_with("__init__.py") && holding.contains(d) && !kept.contains(d))
            })
            .collect();
        let mut words: Vec<&str> = files
            .iter()
            .zip(&may_delete)
            .filter(|(_, m)| **m)
            .filter_map(|(f, _)| f.module.rsplit('.').next().filter(|w| !w.is_empty()))
            .collect();
        words.sort_unstable();
        words.dedup();
        let word_list: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let words = aho_corasick::AhoCorasick::new(&words).ok()?;
        Some(Prepared { legacy, may_delete, words, word_list })
    }

    /// The words the bytes hold (sorted, each once).
    fn mentioned(&self, bytes: &[u8]) -> Vec<String> {
        let mut ids: Vec<usize> = self.words.find_overlapping_iter(bytes).map(|m| m.pattern().as_usize()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().map(|i| self.word_list[i].clone()).collect()
    }

    /// The bytes name a module that may be deleted (so the file may import it).
    pub fn mentions(&self, bytes: &[u8]) -> bool {
        self.words.is_match(bytes)
    }

    /// File `i` may be deleted.
    pub fn may_delete(&self, i: usize) -> bool {
        self.may_delete.get(i).copied().unwrap_or(false)
    }
}

/// How the first pass left a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Analysed {
    /// Parsed or token-scanned: the model has its imports.
    Yes,
    /// Left out by the byte prefilter: no facts.
    ByteFiltered,
    /// Not decodable or parsable (a diagnostic): no facts.
    Not,
}

/// The inputs of file `i`, which names a module that may be deleted (`Prepared::mentions`).
pub(crate) fn file_inputs(
    entry: &FileEntry,
    i: usize,
    bytes: &[u8],
    analysed: Analysed,
    prepared: &Prepared,
    prefilter: &crate::prefilter::Prefilter,
) -> FileInputs {
    let sha256 = prepared.may_delete(i).then(|| content_hash(bytes));
    if analysed == Analysed::Not {
        return FileInputs { sha256, mentions: prepared.mentioned(bytes), ..Default::default() };
    }
    let byte_filtered = analysed == Analysed::ByteFiltered;
    let dynamic_wanted = may_import_dynamically(bytes);
    if !byte_filtered && !dynamic_wanted {
        return FileInputs { sha256, ..Default::default() };
    }
    let Ok(src) = crate::read::decode(bytes) else { return FileInputs { sha256, ..Default::default() } };
    let text = &src.text;
    let is_package = facts::is_package_path(&entry.display);
    let mut parsed: Option<crate::syntax::Module> = None;
    let imports_only = byte_filtered.then(|| match prefilter.tokens_facts_pieces(text) {
        (crate::parse::TokenVerdict::Skip, skipped, _) => {
            FileFacts::from_skipped(&entry.display, &entry.module, text, &skipped)
        }
        // The token scan would parse the file (or does not understand it): read its imports off the tree.
        _ => {
            parsed = crate::parse::parse_module(text).ok();
            let mut f = FileFacts::empty(&entry.display, &entry.module);
            if let Some(ast) = &parsed {
                imports_of_tree(ast, text, is_package, &mut f);
            }
            f
        }
    });
    let dynamic = if !dynamic_wanted {
        vec![]
    } else {
        match parsed.or_else(|| crate::parse::parse_module(text).ok()) {
            Some(ast) => dynamic_imports_in(&ast, text, &entry.module, is_package),
            None => vec![],
        }
    };
    FileInputs { dynamic, imports_only, sha256, mentions: vec![] }
}

/// Every import statement of a parsed file as facts, each binding its name (the names a re-export needs).
fn imports_of_tree(ast: &crate::syntax::Module, text: &str, is_package: bool, f: &mut FileFacts) {
    use crate::syntax::*;
    let lines = crate::read::LineIndex::new(text);
    let module = f.module.clone();
    let mut imports: Vec<Import> = Vec::new();
    walk_stmts(&ast.body, true, &mut |s| {
        let line = lines.line(s.span.start);
        let import =
            |local: &str, target: String, from: bool, star: bool| Import::module_level(local, target, from, star, line);
        match &s.kind {
            StmtKind::Import { names } => {
                for n in names {
                    let local = n.asname.as_deref().unwrap_or_else(|| n.name.split('.').next().unwrap_or(&n.name));
                    imports.push(import(local, n.name.to_string(), false, false));
                }
            }
            StmtKind::ImportFrom { module: m, level, names } => {
                let Some(base) = crate::project::resolve_relative(&module, is_package, m.as_deref(), *level) else {
                    return;
                };
                for n in names {
                    if n.name == "*" {
                        imports.push(import("*", base.clone(), true, true));
                    } else {
                        let local = n.asname.as_deref().unwrap_or(&n.name);
                        imports.push(import(local, join_dot(&base, &n.name), true, false));
                    }
                }
            }
            _ => {}
        }
    });
    for imp in imports {
        if !imp.star {
            let kind = BindingKind::Import(f.imports.len() as u32);
            f.bindings.push(Binding { name: imp.local.clone(), kind, line: imp.line, type_only: false });
        }
        f.imports.push(imp);
    }
}

/// A test file: pytest imports it, nothing else does.
pub fn is_test_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix(".py").or_else(|| name.strip_suffix(".pyi")).unwrap_or(name);
    stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem == "conftest"
        || path.split('/').rev().skip(1).any(|d| d == "tests" || d == "test")
}

/// The directory part of a display path (`""` at the root).
fn dir_of(display: &str) -> &str {
    display.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `a`, `a.b`, `a.b.c` of `a.b.c`.
fn prefixes(dotted: &str) -> impl Iterator<Item = &str> {
    dotted.match_indices('.').map(move |(i, _)| &dotted[..i]).chain(std::iter::once(dotted))
}

/// Work out the deletable modules on the model of a scan (see the module documentation). `inputs[i]` belongs
/// to `files[i]` (the model's file `i`).
pub(crate) fn analyse(
    project: &Project,
    files: &[FileEntry],
    inputs: Vec<FileInputs>,
    plan: &Plan,
    prepared: &Prepared,
) -> Deletion {
    let mut dynamic: Vec<Vec<DynamicImport>> = Vec::with_capacity(inputs.len());
    let mut hashes: Vec<Option<String>> = Vec::with_capacity(inputs.len());
    let mut imports_only: Vec<Option<FileFacts>> = Vec::with_capacity(inputs.len());
    let mut mentions: Vec<Vec<String>> = Vec::with_capacity(inputs.len());
    for input in inputs {
        dynamic.push(input.dynamic);
        hashes.push(input.sha256);
        imports_only.push(input.imports_only);
        mentions.push(input.mentions);
    }
    let inputs = Inputs { dynamic: &dynamic, imports_only: &imports_only, mentions: &mentions };
    let deletion = Analysis::new(project, files, inputs, &hashes, plan, prepared).run();
    crate::timing::mark("deletion: deletable modules");
    deletion
}

/// Per file: its string imports, the imports of a file the byte prefilter left out, the names an unreadable
/// file holds (`FileInputs`).
struct Inputs<'i> {
    dynamic: &'i [Vec<DynamicImport>],
    imports_only: &'i [Option<FileFacts>],
    mentions: &'i [Vec<String>],
}

struct Analysis<'a> {
    project: &'a Project,
    files: &'a [FileEntry],
    plan: &'a Plan,
    prepared: &'a Prepared,
    hashes: &'a [Option<String>],
    /// Per file: the other files that import it.
    importers: Vec<BTreeSet<FileId>>,
}

impl<'a> Analysis<'a> {
    fn new(
        project: &'a Project,
        files: &'a [FileEntry],
        inputs: Inputs<'_>,
        hashes: &'a [Option<String>],
        plan: &'a Plan,
        prepared: &'a Prepared,
    ) -> Analysis<'a> {
        let model = &project.model;
        let n = model.files.len();
        // A module two files give (a `.py` and its `.pyi`, a package and a same-named module) is imported when
        // either is.
        let mut by_module: HashMap<&str, Vec<FileId>> = HashMap::default();
        for (i, f) in model.files.iter().enumerate() {
            by_module.entry(f.module.as_str()).or_default().push(i as FileId);
        }
        let mut importers: Vec<BTreeSet<FileId>> = vec![BTreeSet::new(); n];
        let mut edge = |from: FileId, to: FileId| {
            for &t in by_module.get(model.file(to).module.as_str()).into_iter().flatten() {
                if t != from {
                    importers[t as usize].insert(from);
                }
            }
        };
        for g in 0..n as FileId {
            // A file the byte prefilter left out has its imports here, not in the model.
            let f = inputs.imports_only.get(g as usize).and_then(Option::as_ref).unwrap_or_else(|| model.file(g));
            let mut targets: Vec<FileId> = Vec::new();
            // An import of a module that may be deleted spells its last segment (relative imports are resolved
            // to absolute targets): the others need no resolving. (`from pkg import name` re-exported from a
            // legacy module spells only `pkg`; then `pkg/__init__.py` imports the module and keeps it.)
            for imp in f.imports.iter().filter(|i| prepared.words.is_match(&i.target)) {
                let named = if imp.from && !imp.star {
                    crate::model::rsplit_dot_once(&imp.target).map_or(imp.target.as_str(), |(m, _)| m)
                } else {
                    imp.target.as_str()
                };
                // The module named, and every package above it (importing `a.b.c` runs `a` and `a.b`).
                targets.extend(prefixes(named).filter_map(|p| model.module(p)));
                if imp.from && !imp.star {
                    // `from a import name`: the submodule `a.name`, or the module the name resolves into through
                    // re-exports.
                    if let Some((m, name)) = crate::model::rsplit_dot_once(&imp.target) {
                        match model.export(m, name) {
                            Some(Res::Sym(s)) => targets.push(s.file()),
                            Some(Res::Instance(file, _)) => targets.push(file),
                            _ => {}
                        }
                    }
                }
            }
            for d in inputs.dynamic[g as usize].iter().filter(|d| prepared.words.is_match(&d.target)) {
                targets.extend(prefixes(&d.target).filter_map(|p| model.module(p)));
            }
            // A file that could not be analysed imports every module that may be deleted it names.
            for word in &inputs.mentions[g as usize] {
                targets.extend(
                    (0..n)
                        .filter(|&t| prepared.may_delete(t) && model.files[t].module.rsplit('.').next() == Some(word))
                        .map(|t| t as FileId),
                );
            }
            for t in targets {
                edge(g, t);
            }
        }
        Analysis { project, files, plan, prepared, hashes, importers }
    }

    fn run(&self) -> Deletion {
        let model = &self.project.model;
        let n = model.files.len();
        // Entry points, by file.
        let root = display_root(self.files);
        let shown = |p: &Path| match root.as_deref().and_then(|r| p.strip_prefix(r).ok()) {
            Some(rel) => crate::walk::display_path(rel, Path::new("")),
            None => p.display().to_string(),
        };
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut entry_point: BTreeMap<FileId, String> = BTreeMap::new();
        for ep in entry_points::find(self.files.iter().map(|f| f.path.as_path()), &shown) {
            match &ep.target {
                entry_points::Target::Module(m) => {
                    if let Some(f) = model.module(m) {
                        for (i, other) in model.files.iter().enumerate() {
                            if other.module == model.file(f).module {
                                entry_point.entry(i as FileId).or_insert_with(|| ep.declared_in.clone());
                            }
                        }
                    }
                }
                entry_points::Target::File(p) => {
                    if let Some(i) = self.files.iter().position(|f| cwd.join(&f.path) == *p) {
                        entry_point.entry(i as FileId).or_insert_with(|| ep.declared_in.clone());
                    }
                }
            }
        }
        // Legacy modules (with their plan entry), and the `__init__.py` of packages that may be left empty.
        let legacy: BTreeMap<FileId, &str> =
            (0..n).filter_map(|i| Some((i as FileId, self.prepared.legacy.get(i)?.as_deref()?))).collect();
        let is_init = |f: FileId| self.files[f as usize].display.ends_with("__init__.py");
        let keep = |f: FileId| -> bool {
            let path = &self.files[f as usize].display;
            is_test_path(path)
                || path.ends_with("__main__.py")
                || entry_point.contains_key(&f)
                || self.hashes.get(f as usize).is_none_or(Option::is_none)
        };
        let mut set: BTreeSet<FileId> =
            (0..n as FileId).filter(|&f| self.prepared.may_delete(f as usize) && !keep(f)).collect();
        // The largest set in which every importer of a member is a member, and every `__init__.py` member's
        // package holds nothing but members.
        let mut listings: HashMap<PathBuf, Vec<(PathBuf, bool)>> = HashMap::default();
        loop {
            let on_disk: HashSet<&Path> = set.iter().map(|&f| self.files[f as usize].path.as_path()).collect();
            let out: Vec<FileId> = set
                .iter()
                .copied()
                .filter(|&f| {
                    self.importers[f as usize].iter().any(|g| !set.contains(g))
                        || (is_init(f) && !left_empty(self.package_dir(f), &on_disk, &mut listings))
                })
                .collect();
            if out.is_empty() {
                break;
            }
            for f in out {
                set.remove(&f);
            }
        }
        let mut deletable: Vec<Deletable> = set
            .iter()
            .map(|&f| {
                let facts = model.file(f);
                let mut by: Vec<&str> =
                    self.importers[f as usize].iter().map(|&g| model.file(g).module.as_str()).collect();
                by.sort_unstable();
                by.dedup();
                let mut reason = if by.is_empty() {
                    "nothing in the tree imports it".to_string()
                } else {
                    format!("imported only by modules deleted with it: {}", by.join(", "))
                };
                if is_init(f) {
                    reason = format!("its package holds nothing else once the legacy modules are deleted; {reason}");
                }
                if let Some(entry) = legacy.get(&f) {
                    reason.push_str(&format!(" (legacy: plan entry `{entry}`)"));
                }
                Deletable {
                    path: facts.path.clone(),
                    module: facts.module.clone(),
                    reason,
                    file: self.files[f as usize].path.clone(),
                    sha256: self.hashes[f as usize].clone().unwrap_or_default(),
                }
            })
            .collect();
        deletable.sort_by(|a, b| a.path.cmp(&b.path));
        Deletion { deletable, absent_entries: self.absent_entries() }
    }

    /// The package directory of an `__init__.py`, on disk.
    fn package_dir(&self, init: FileId) -> &Path {
        self.files[init as usize].path.parent().unwrap_or(Path::new("."))
    }

    /// Legacy plan entries (exact paths) no scanned file matches, whose directory (or one above it) holds
    /// scanned files, and whose file is not on disk there.
    fn absent_entries(&self) -> Vec<AbsentEntry> {
        let model = &self.project.model;
        let mut dirs: BTreeMap<&str, FileId> = BTreeMap::new();
        for (i, f) in self.files.iter().enumerate() {
            dirs.entry(dir_of(&f.display)).or_insert(i as FileId);
        }
        let mut out = Vec::new();
        for e in &self.plan.entries {
            if e.path.contains('*') || e.path == self.plan.canonical.path {
                continue;
            }
            if model.files.iter().any(|f| plan::path_matches(&e.path, &f.path)) {
                continue;
            }
            let mut expected = None;
            let mut dir = e.path.rsplit_once('/').map(|(d, _)| d);
            'up: while let Some(a) = dir {
                for (d, &f) in &dirs {
                    if plan::path_matches(a, d) {
                        let rest = &e.path[a.len() + 1..];
                        expected = self.files[f as usize].path.parent().map(|p| p.join(rest));
                        break 'up;
                    }
                }
                dir = a.rsplit_once('/').map(|(d, _)| d);
            }
            if let Some(at) = expected.filter(|p| !p.exists()) {
                out.push(AbsentEntry { id: e.id.clone(), path: e.path.clone(), expected_at: at });
            }
        }
        out
    }
}

/// The directory the display paths are relative to (from the first file whose path ends with its display).
fn display_root(files: &[FileEntry]) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    files.iter().find_map(|f| {
        let abs = cwd.join(&f.path);
        let depth = f.display.split('/').count();
        let root = abs.ancestors().nth(depth)?;
        (abs.strip_prefix(root).ok()? == Path::new(&f.display)).then(|| root.to_path_buf())
    })
}

/// Is `dir` left with nothing once the files in `deleted` are gone (`__pycache__` and `.pyc` files aside;
/// subdirectories must be left empty too)? Listings are read once.
fn left_empty(dir: &Path, deleted: &HashSet<&Path>, listings: &mut HashMap<PathBuf, Vec<(PathBuf, bool)>>) -> bool {
    if !listings.contains_key(dir) {
        let list = match std::fs::read_dir(dir) {
            Ok(entries) => {
                entries.flatten().map(|e| (dir.join(e.file_name()), e.file_type().is_ok_and(|t| t.is_dir()))).collect()
            }
            // Unreadable: never left empty.
            Err(_) => vec![(dir.to_path_buf(), false)],
        };
        listings.insert(dir.to_path_buf(), list);
    }
    let list = listings[dir].clone();
    list.iter().all(|(p, is_dir)| {
        let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if *is_dir {
            name == "__pycache__" || left_empty(p, deleted, listings)
        } else {
            name.ends_with(".pyc") || deleted.contains(p.as_path())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_are_recognised() {
        for p in ["tests/test_x.py", "pkg/tests/helpers.py", "a/test/b.py", "conftest.py", "x_test.py", "a/test_b.py"] {
            assert!(is_test_path(p), "{p}");
        }
        for p in ["pkg/testing.py", "pkg/contest.py", "tests.py", "pkg/attest/x.py"] {
            assert!(!is_test_path(p), "{p}");
        }
    }

    #[test]
    fn prefixes_of_a_dotted_name() {
        assert_eq!(prefixes("a.b.c").collect::<Vec<_>>(), ["a", "a.b", "a.b.c"]);
        assert_eq!(prefixes("a").collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn a_directory_is_left_empty_only_when_everything_in_it_goes() {
        let t = tempfile::tempdir().unwrap();
        let pkg = t.path().join("pkg");
        std::fs::create_dir_all(pkg.join("__pycache__")).unwrap();
        std::fs::create_dir_all(pkg.join("sub")).unwrap();
        for f in ["__init__.py", "a.py", "sub/__init__.py", "__pycache__/a.cpython-311.pyc"] {
            std::fs::write(pkg.join(f), "").unwrap();
        }
        let paths = [pkg.join("__init__.py"), pkg.join("a.py"), pkg.join("sub/__init__.py")];
        let all: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
        assert!(left_empty(&pkg, &all, &mut HashMap::default()));
        let some: HashSet<&Path> = paths[..2].iter().map(PathBuf::as_path).collect();
        assert!(!left_empty(&pkg, &some, &mut HashMap::default()));
        std::fs::write(pkg.join("py.typed"), "").unwrap();
        assert!(!left_empty(&pkg, &all, &mut HashMap::default()));
    }
}
