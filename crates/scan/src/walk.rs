//! Walking the scanned paths: .gitignore-aware, default excludes, `--include`/`--exclude` globs, symlink-loop
//! safe, deterministic (sorted) output.

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// Directory names never entered (virtualenvs, caches, build output, VCS metadata).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    "site-packages",
    "build",
    "dist",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".eggs",
];

#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Extra globs to exclude (matched against the path relative to its root and against each file name).
    pub exclude: Vec<String>,
    /// When non-empty, only files matching one of these globs are scanned (default: `*.py`, `*.pyi`).
    pub include: Vec<String>,
    /// Honour `.gitignore` / `.ignore` files (default true).
    pub no_gitignore: bool,
}

/// A file to scan: its absolute-or-given path, the display path (relative to its root, `/`-separated) and
/// the module name code imports it by (`crate::modules`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileEntry {
    pub display: String,
    pub path: PathBuf,
    pub module: String,
}

pub struct Walked {
    pub files: Vec<FileEntry>,
    pub diagnostics: Vec<Diagnostic>,
    /// The pyprojects read to name the files: name them again (from another root) with these, so each is read
    /// once a run.
    pub pyprojects: crate::source_roots::Pyprojects,
}

fn globset(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| format!("invalid glob {g:?}: {e}"))?;
        b.add(glob);
        // A glob without a slash also matches at any depth, like .gitignore patterns.
        if !g.contains('/') && !g.starts_with("**") {
            b.add(Glob::new(&format!("**/{g}")).map_err(|e| format!("invalid glob {g:?}: {e}"))?);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// Display path of `path` relative to `base` with `/` separators.
pub fn display_path(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let s = path_text(rel);
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A path as text, one-to-one: names that differ only in bytes that are not UTF-8 stay different. A byte
/// that is not UTF-8 is written `\xNN` and a backslash in a name `\\` (on Windows, `\` is the separator and
/// becomes `/`).
pub fn path_text(path: &Path) -> String {
    if cfg!(windows) {
        return path.to_string_lossy().replace('\\', "/");
    }
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Walk `roots`. Paths are displayed relative to the root when there is exactly one directory root,
/// relative to the current directory otherwise.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Result<Walked, String> {
    let exclude = globset(&opts.exclude)?;
    let include_globs: Vec<String> =
        if opts.include.is_empty() { vec!["*.py".into(), "*.pyi".into()] } else { opts.include.clone() };
    let include = globset(&include_globs)?;
    let single_root = roots.len() == 1;
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();

    for root in roots {
        let rel_of = |p: &Path| -> String {
            if single_root && root.is_dir() {
                display_path(p, root)
            } else {
                display_path(p, Path::new("."))
            }
        };
        if !root.exists() && root.symlink_metadata().is_err() {
            return Err(format!("{}: no such file or directory", root.display()));
        }
        if !root.is_dir() {
            // An explicit file is scanned whatever its extension, unless excluded.
            let display = if single_root {
                root.file_name().map(|n| path_text(Path::new(n))).unwrap_or_default()
            } else {
                rel_of(root)
            };
            if !exclude.is_match(&display) {
                files.push(FileEntry { display, path: root.clone(), module: String::new() });
            }
            continue;
        }
        let excl = exclude.clone();
        let root_for_filter = root.clone();
        // A file's display path is its path relative to this root (the root is a directory, found above):
        // computed once per file, and for excludes only when there are any (each is a walk of components).
        let relative_to_root = single_root;
        let walker = ignore::WalkBuilder::new(root)
            .follow_links(true)
            .hidden(false)
            .git_ignore(!opts.no_gitignore)
            .git_global(false)
            .git_exclude(!opts.no_gitignore)
            .ignore(!opts.no_gitignore)
            .require_git(false)
            .parents(true)
            .filter_entry(move |e| {
                let name = e.file_name().to_string_lossy();
                if e.depth() > 0
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && DEFAULT_EXCLUDES.contains(&name.as_ref())
                {
                    return false;
                }
                if e.depth() == 0 || excl.is_empty() {
                    return true;
                }
                let rel = display_path(e.path(), &root_for_filter);
                !excl.is_match(&rel)
            })
            .build_parallel();
        // Directory reads are system calls: two walker threads halve the serial part of a scan.
        let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
        walker.run(|| {
            Box::new(|entry| {
                let item = match entry {
                    Ok(e) => {
                        let kind = e.file_type();
                        if kind.is_some_and(|t| t.is_dir()) {
                            return ignore::WalkState::Continue;
                        }
                        let rel = display_path(e.path(), root);
                        if !include.is_match(&rel) {
                            return ignore::WalkState::Continue;
                        }
                        if kind.is_some_and(|t| t.is_file()) {
                            let display = if relative_to_root { rel } else { rel_of(e.path()) };
                            Ok(FileEntry { display, path: e.into_path(), module: String::new() })
                        } else {
                            // A FIFO, socket or device named like a source file: say so instead of passing it over.
                            let what = e.metadata().ok().and_then(|m| crate::read::special_kind(&m));
                            Err(Diagnostic {
                                path: rel_of(e.path()),
                                line: 0,
                                kind: DiagnosticKind::SpecialFile,
                                message: format!("{}, not a regular file; skipped", what.unwrap_or("a special file")),
                            })
                        }
                    }
                    Err(err) => Err(walk_error(&err, root)),
                };
                let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                match item {
                    Ok(f) => found.0.push(f),
                    Err(d) => found.1.push(d),
                }
                ignore::WalkState::Continue
            })
        });
        let (f, d) = found.into_inner().unwrap_or_else(|e| e.into_inner());
        files.extend(f);
        diagnostics.extend(d);
    }
    // Thousands of entries, before any file is read: sorted on the pool's threads.
    crate::pool().install(|| {
        use rayon::slice::ParallelSliceMut;
        files.par_sort()
    });
    files.dedup_by(|a, b| a.path == b.path);
    let pyprojects = crate::source_roots::Pyprojects::default();
    crate::modules::assign(&mut files, &pyprojects);
    diagnostics.extend(pyprojects.take_diagnostics());
    diagnostics.sort();
    Ok(Walked { files, diagnostics, pyprojects })
}

/// `path` made absolute against `cwd` with `.` and `..` folded, symlinks left as they are.
pub fn lexical_absolute(path: &Path, cwd: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn walk_error(err: &ignore::Error, root: &Path) -> Diagnostic {
    let mut path = String::new();
    let mut message = err.to_string();
    let mut e = err;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err: inner } => {
                path = display_path(p, root);
                e = inner;
            }
            ignore::Error::WithDepth { err: inner, .. } | ignore::Error::WithLineNumber { err: inner, .. } => e = inner,
            ignore::Error::Loop { ancestor, child } => {
                path = display_path(child, root);
                message = format!("symlink loop: {} points back to {}", path, display_path(ancestor, root));
                break;
            }
            ignore::Error::Io(io) => {
                message = io.to_string();
                break;
            }
            _ => break,
        }
    }
    Diagnostic { path, line: 0, kind: DiagnosticKind::Unreadable, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn path_text_is_one_to_one() {
        use std::os::unix::ffi::OsStrExt;
        let text = |b: &[u8]| path_text(Path::new(std::ffi::OsStr::from_bytes(b)));
        assert_eq!(text(b"app/caf\xc3\xa9.py"), "app/café.py");
        assert_eq!(text(b"app/caf\xff.py"), "app/caf\\xff.py");
        assert_eq!(text(b"app/caf\xfe.py"), "app/caf\\xfe.py");
        // A name that spells the escape itself stays apart from the byte it spells.
        assert_eq!(text(b"app/caf\\xff.py"), "app/caf\\\\xff.py");
        assert_eq!(text(b"tab\there.py"), "tab\there.py");
    }
}
