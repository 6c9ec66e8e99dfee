//! Module names: the names code imports a file by.
//!
//! A file inside a regular package (a directory with `__init__.py`) is named from the topmost package of the
//! chain its directory belongs to, with the namespace directories above it whose names can be imported:
//! `openai-3.57.0/openai/_base_client.py` is `openai._base_client`, `src/pkg/mod.py` is `pkg.mod`,
//! `google/api_core/retry.py` is `google.api_core.retry`. A file outside any package (a tree of
//! implicit namespace packages, a script) keeps its path from the last directory that cannot be in an
//! import name, dotted. Lookups in the module table accept both longer and shorter spellings (`module_table`), so an import of `google.api_core.retry`
//! finds `api_core/retry.py` under a `google/` namespace directory, and `app.db` finds `backend/app/db.py` in a
//! tree without `__init__.py` files.
//!
//! A source root the project's `pyproject.toml` declares (`package-dir = {"" = "lib"}`, see `source_roots`)
//! comes first: a file under it is named from below it (`lib/pkg/mod.py` is `pkg.mod`), packages or not.

use crate::source_roots::Pyprojects;
use crate::walk::FileEntry;
use rustc_hash::FxHashSet as HashSet;

/// Name every file (`FileEntry::module`) from the source roots the project declares and the package
/// directories among the files. `pyprojects` reads each pyproject once however often files are named.
pub fn assign(files: &mut [FileEntry], pyprojects: &Pyprojects) {
    let package_dirs: HashSet<&str> = files
        .iter()
        .filter_map(|f| {
            let (dir, name) = f.display.rsplit_once('/').unwrap_or(("", f.display.as_str()));
            matches!(name, "__init__.py" | "__init__.pyi").then_some(dir)
        })
        .collect();
    let project_dirs = project_dirs(files, &package_dirs);
    let source_roots = source_roots(files, &package_dirs, pyprojects);
    let layout = Layout { package_dirs: &package_dirs, project_dirs: &project_dirs, source_roots: &source_roots };
    // One name per file, each found on its own: in parallel (this is in the serial part of every scan).
    let names: Vec<String> = {
        use rayon::prelude::*;
        crate::pool().install(|| files.par_iter().map(|f| module_of(&f.display, &layout)).collect())
    };
    for (f, name) in files.iter_mut().zip(names) {
        f.module = name;
    }
}

/// What names a file: the directories that are regular packages, and the directories above them that hold a
/// project's files (a config, a README, labels: a directory a checkout or fixture tree starts at, never a
/// PEP 420 namespace package such as `google/`, which holds packages only).
pub struct Layout<'a> {
    pub package_dirs: &'a HashSet<&'a str>,
    pub project_dirs: &'a HashSet<String>,
    /// Declared source roots: (display directory, package its files belong to), deepest first.
    pub source_roots: &'a [(String, String)],
}

/// The source roots declared by the pyprojects of the directories that may hold one: the top of the display
/// paths, and the directories above each top package (`proj/` of `proj/lib/pkg/__init__.py`). Each directory
/// is looked at once, walking up the display path and the path on disk together.
fn source_roots(files: &[FileEntry], package_dirs: &HashSet<&str>, pyprojects: &Pyprojects) -> Vec<(String, String)> {
    let mut seen: HashSet<&str> = HashSet::default();
    let mut out: Vec<(String, String)> = Vec::new();
    // Paths as given (`acme/__init__.py` from inside `code/`) reach no directory above the current one: made
    // absolute, once, for the few files the walk up starts from.
    let cwd = std::env::current_dir().unwrap_or_default();
    for f in files {
        let (dir, name) = f.display.rsplit_once('/').unwrap_or(("", f.display.as_str()));
        let start = if matches!(name, "__init__.py" | "__init__.pyi")
            && !dir.is_empty()
            && !package_dirs.contains(parent_of(dir))
        {
            // A top package: from the directory holding it.
            Some((parent_of(dir), 2))
        } else if !seen.contains("") {
            // Any file spelled on disk as displayed reaches the top of the display paths.
            Some((dir, 1))
        } else {
            None
        };
        let Some((mut display, ups)) = start else { continue };
        let path = crate::walk::lexical_absolute(&f.path, &cwd);
        let mut disk = path.ancestors().nth(ups);
        while let Some(d) = disk {
            // The path on disk must spell the display path (a file named from elsewhere does not).
            let last = display.rsplit('/').next().unwrap_or(display);
            let matches = if display.is_empty() { true } else { d.file_name().is_some_and(|n| n == last) };
            if !matches || !seen.insert(display) {
                break;
            }
            for root in pyprojects.roots_in(d, display).iter() {
                let dir = if display.is_empty() { root.dir.clone() } else { format!("{display}/{}", root.dir) };
                out.push((dir, root.package.clone()));
            }
            if display.is_empty() {
                break;
            }
            display = parent_of(display);
            disk = d.parent();
        }
    }
    // The deepest root a file is under names it (a nested project's own roots).
    out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
    out
}

/// The directory above a display directory (`""` above a top-level one).
fn parent_of(dir: &str) -> &str {
    dir.rsplit_once('/').map_or("", |(up, _)| up)
}

/// The name of a file under a declared source root: the root's package, then the path below the root.
fn in_source_root(display: &str, stem: &str, roots: &[(String, String)]) -> Option<String> {
    let (root, package) = roots.iter().find(|(root, _)| {
        display.len() > root.len() && display.starts_with(root.as_str()) && display.as_bytes()[root.len()] == b'/'
    })?;
    let below = &display[root.len() + 1..];
    let dirs = below.rsplit_once('/').map_or("", |(d, _)| d);
    let mut name: Vec<&str> = if package.is_empty() { vec![] } else { package.split('.').collect() };
    name.extend(dirs.split('/').filter(|p| !p.is_empty()));
    if stem != "__init__" {
        name.push(stem);
    }
    // `lib/__init__.py` under `{"" = "lib"}` is no module of its own: named as if no root were declared.
    (!name.is_empty()).then(|| name.join("."))
}

/// The directories above the top packages that could be namespace packages by name but hold files other than
/// Python modules on disk (`fixtures/backend_demo/` beside `acme/`): names start below them.
fn project_dirs(files: &[FileEntry], package_dirs: &HashSet<&str>) -> HashSet<String> {
    let mut candidates: rustc_hash::FxHashMap<&str, std::path::PathBuf> = Default::default();
    for f in files {
        let Some((dir, _)) = f.display.rsplit_once('/') else { continue };
        if !package_dirs.contains(dir) {
            continue;
        }
        // Up from a package's directory: the display directory and its place on disk, together.
        let (mut display, mut disk) = (dir, f.path.parent().map(std::path::Path::to_path_buf));
        while let Some((up, _)) = display.rsplit_once('/') {
            disk = disk.and_then(|d| d.parent().map(std::path::Path::to_path_buf));
            if package_dirs.contains(up) || !is_namespace_part(up.rsplit('/').next().unwrap_or(up)) {
                break;
            }
            match &disk {
                Some(d) if !candidates.contains_key(up) => {
                    candidates.insert(up, d.clone());
                }
                _ => {}
            }
            display = up;
        }
    }
    candidates.into_iter().filter(|(_, disk)| holds_project_files(disk)).map(|(d, _)| d.to_string()).collect()
}

/// A directory holding a regular file that is not Python code (hidden files aside).
fn holds_project_files(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let python = [".py", ".pyi", ".pyc", ".pyd", ".so"].iter().any(|x| name.ends_with(x));
        !name.starts_with('.') && !python && e.file_type().is_ok_and(|t| t.is_file())
    })
}

/// The module name of a display path, given the tree's layout.
pub fn module_of(display: &str, layout: &Layout<'_>) -> String {
    let package_dirs = layout.package_dirs;
    let (dir, file) = display.rsplit_once('/').unwrap_or(("", display));
    let stem = file.strip_suffix(".pyi").or_else(|| file.strip_suffix(".py")).unwrap_or(file);
    if let Some(name) = in_source_root(display, stem, layout.source_roots) {
        return name;
    }
    let parts: Vec<&str> = if dir.is_empty() { vec![] } else { dir.split('/').collect() };
    // Where the first `n` parts of `dir` end (`parts[..n].join("/")` is `dir[..ends[n - 1]]`).
    let mut ends = Vec::with_capacity(parts.len());
    let mut at = 0;
    for (i, p) in parts.iter().enumerate() {
        at += p.len() + usize::from(i > 0);
        ends.push(at);
    }
    // The nearest package at or above the file's directory: directories between it and the file are namespace
    // packages inside it (`pkg/integrations/generic_api/` without an `__init__.py` is `pkg.integrations.
    // generic_api`).
    let is_package = |n: usize| package_dirs.contains(if n == 0 { "" } else { &dir[..ends[n - 1]] });
    let Some(mut n) = (1..=parts.len()).rev().find(|&n| is_package(n)) else {
        // Outside any package: the path from the last directory that cannot be part of an import name
        // (`retrying-1.3.4/retrying.py` is `retrying`, `app/core/x.py` is `app.core.x`).
        let start = (0..parts.len())
            .rposition(|i| !is_namespace_part(parts[i]) || layout.project_dirs.contains(&dir[..ends[i]]))
            .map_or(0, |i| i + 1);
        let mut name: Vec<&str> = parts[start..].to_vec();
        if stem != "__init__" {
            name.push(stem);
        }
        return if name.is_empty() { crate::detect::context::module_name(display) } else { name.join(".") };
    };
    // Walk up while the parent is a package too.
    while n > 1 && is_package(n - 1) {
        n -= 1;
    }
    let mut top = n - 1;
    // Namespace directories above the top package belong to the name when they can be imported by it
    // (`google/api_core/` is `google.api_core`, `netra_backend/app/` is `netra_backend.app`); a directory named
    // like a source root or not an identifier (`src`, `openai-3.57.0`) is where names start.
    while top > 0 && is_namespace_part(parts[top - 1]) && !layout.project_dirs.contains(&dir[..ends[top - 1]]) {
        top -= 1;
    }
    let mut name: Vec<&str> = parts[top..].to_vec();
    if stem != "__init__" {
        name.push(stem);
    }
    name.join(".")
}

/// A directory name that can be part of a module name above the top package.
fn is_namespace_part(dir: &str) -> bool {
    const SOURCE_ROOTS: &[&str] = &["src", "lib", "lib64", "site-packages", "dist-packages", "python", "tests", "test"];
    let mut chars = dir.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !SOURCE_ROOTS.contains(&dir)
}

/// Lookup keys of a module name besides itself: every shorter name that ends it at a segment boundary
/// (`a.b.c` -> `b.c`, `c`), for imports written from a deeper root than the tree's names.
pub fn suffixes(module: &str) -> impl Iterator<Item = &str> {
    module.match_indices('.').map(move |(i, _)| &module[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[&str]) -> Vec<String> {
        let mut files: Vec<FileEntry> =
            paths.iter().map(|p| FileEntry { display: p.to_string(), path: p.into(), module: String::new() }).collect();
        assign(&mut files, &Pyprojects::default());
        files.into_iter().map(|f| f.module).collect()
    }

    #[test]
    fn named_from_the_top_package() {
        assert_eq!(
            names(&[
                "openai-3.57.0/openai/__init__.py",
                "openai-3.57.0/openai/_base_client.py",
                "openai-3.57.0/openai/lib/__init__.py",
                "openai-3.57.0/openai/lib/x.py",
                "openai-3.57.0/openai/lib/ns/y.py",
                "google/api_core/__init__.py",
                "google/api_core/retry.py",
                "src/pkg/__init__.py",
                "src/pkg/mod.py",
                "app/core/x.py",
                "retrying-1.3.4/retrying.py",
                "setup.py",
            ]),
            [
                "openai",
                "openai._base_client",
                "openai.lib",
                "openai.lib.x",
                "openai.lib.ns.y",
                "google.api_core",
                "google.api_core.retry",
                "pkg",
                "pkg.mod",
                "app.core.x",
                "retrying",
                "setup"
            ]
        );
    }

    /// Names start below a directory holding a project's files (a checkout or fixture tree), and run through
    /// one holding only packages (a PEP 420 namespace package).
    #[test]
    fn project_directories_end_names_namespace_packages_do_not() {
        let t = tempfile::tempdir().unwrap();
        let files = [
            "fixtures/demo/acme/__init__.py",
            "fixtures/demo/acme/core.py",
            "vendor/google/api_core/__init__.py",
            "vendor/google/api_core/retry.py",
        ];
        for f in files {
            let p = t.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::write(t.path().join("fixtures/demo/LABELS.txt"), "").unwrap();
        std::fs::write(t.path().join("vendor/README.md"), "").unwrap();
        let mut entries: Vec<FileEntry> = files
            .iter()
            .map(|f| FileEntry { display: f.to_string(), path: t.path().join(f), module: String::new() })
            .collect();
        assign(&mut entries, &Pyprojects::default());
        let names: Vec<&str> = entries.iter().map(|f| f.module.as_str()).collect();
        assert_eq!(names, ["acme", "acme.core", "google.api_core", "google.api_core.retry"]);
    }

    /// A pyproject's declared source roots name the files below them, the deepest first; a directory it does
    /// not declare keeps the names the layout gives it.
    #[test]
    fn declared_source_roots_name_from_below_them() {
        let t = tempfile::tempdir().unwrap();
        let files = [
            "svc/code/acme/__init__.py",
            "svc/code/acme/core.py",
            "svc/scripts/run.py",
            "svc/vendor/api/__init__.py",
            "svc/vendor/api/v1.py",
        ];
        for f in files {
            let p = t.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::write(
            t.path().join("svc/pyproject.toml"),
            "[tool.setuptools.package-dir]\n\"\" = \"code\"\n\"acme.api\" = \"vendor/api\"\n",
        )
        .unwrap();
        let mut entries: Vec<FileEntry> = files
            .iter()
            .map(|f| FileEntry { display: f.to_string(), path: t.path().join(f), module: String::new() })
            .collect();
        let pyprojects = Pyprojects::default();
        assign(&mut entries, &pyprojects);
        let names: Vec<&str> = entries.iter().map(|f| f.module.as_str()).collect();
        assert_eq!(names, ["acme", "acme.core", "scripts.run", "acme.api", "acme.api.v1"]);
        assert!(pyprojects.take_diagnostics().is_empty());
    }

    #[test]
    fn shorter_spellings() {
        assert_eq!(suffixes("a.b.c").collect::<Vec<_>>(), ["b.c", "c"]);
    }
}
