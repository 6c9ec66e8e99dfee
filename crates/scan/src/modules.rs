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

use crate::walk::FileEntry;
use rustc_hash::FxHashSet as HashSet;

/// Name every file (`FileEntry::module`) from the package directories among the files.
pub fn assign(files: &mut [FileEntry]) {
    let package_dirs: HashSet<&str> = files
        .iter()
        .filter_map(|f| {
            let (dir, name) = f.display.rsplit_once('/').unwrap_or(("", f.display.as_str()));
            matches!(name, "__init__.py" | "__init__.pyi").then_some(dir)
        })
        .collect();
    let project_dirs = project_dirs(files, &package_dirs);
    let layout = Layout { package_dirs: &package_dirs, project_dirs: &project_dirs };
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
        assign(&mut files);
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
        assign(&mut entries);
        let names: Vec<&str> = entries.iter().map(|f| f.module.as_str()).collect();
        assert_eq!(names, ["acme", "acme.core", "google.api_core", "google.api_core.retry"]);
    }

    #[test]
    fn shorter_spellings() {
        assert_eq!(suffixes("a.b.c").collect::<Vec<_>>(), ["b.c", "c"]);
    }
}
