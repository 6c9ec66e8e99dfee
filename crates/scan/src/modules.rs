//! Module names: the names code imports a file by.
//!
//! A file inside a regular package (a directory with `__init__.py`) is named from the topmost package of the
//! chain its directory belongs to: `openai-3.57.0/openai/_base_client.py` is `openai._base_client`, and
//! `src/pkg/mod.py` is `pkg.mod`, whatever directories lie above. A file outside any package (a tree of
//! implicit namespace packages, a script) keeps its path from the project root, dotted. Lookups in the module
//! table accept both longer and shorter spellings (`module_table`), so an import of `google.api_core.retry`
//! finds `api_core/retry.py` under a `google/` namespace directory, and `app.db` finds `backend/app/db.py` in a
//! tree without `__init__.py` files.

use crate::walk::FileEntry;
use std::collections::HashSet;

/// Name every file (`FileEntry::module`) from the package directories among the files.
pub fn assign(files: &mut [FileEntry]) {
    let package_dirs: HashSet<String> = files
        .iter()
        .filter_map(|f| {
            let (dir, name) = f.display.rsplit_once('/').unwrap_or(("", f.display.as_str()));
            matches!(name, "__init__.py" | "__init__.pyi").then(|| dir.to_string())
        })
        .collect();
    for f in files.iter_mut() {
        f.module = module_of(&f.display, &package_dirs);
    }
}

/// The module name of a display path, given the directories that are regular packages.
pub fn module_of(display: &str, package_dirs: &HashSet<String>) -> String {
    let (dir, file) = display.rsplit_once('/').unwrap_or(("", display));
    let stem = file.strip_suffix(".pyi").or_else(|| file.strip_suffix(".py")).unwrap_or(file);
    if dir.is_empty() || !package_dirs.contains(dir) {
        return crate::detect::context::module_name(display);
    }
    // Walk up while the parent is a package too.
    let parts: Vec<&str> = dir.split('/').collect();
    let mut top = parts.len() - 1;
    while top > 0 && package_dirs.contains(&parts[..top].join("/")) {
        top -= 1;
    }
    let mut name: Vec<&str> = parts[top..].to_vec();
    if stem != "__init__" {
        name.push(stem);
    }
    name.join(".")
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
        let mut files: Vec<FileEntry> = paths
            .iter()
            .map(|p| FileEntry { display: p.to_string(), path: p.into(), module: String::new() })
            .collect();
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
                "src/pkg/__init__.py",
                "src/pkg/mod.py",
                "app/core/x.py",
                "setup.py",
            ]),
            ["openai", "openai._base_client", "openai.lib", "openai.lib.x", "pkg", "pkg.mod", "app.core.x", "setup"]
        );
    }

    #[test]
    fn shorter_spellings() {
        assert_eq!(suffixes("a.b.c").collect::<Vec<_>>(), ["b.c", "c"]);
    }
}
