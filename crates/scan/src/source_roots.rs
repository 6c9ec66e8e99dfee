//! Source roots a project declares in its `pyproject.toml`: the directories whose files are imported by names
//! that start below them (`package-dir = {"" = "lib"}` makes `lib/pkg/mod.py` the module `pkg.mod`).
//!
//! Read are setuptools' `package-dir` and `packages.find.where`, poetry's `packages` (`from`), hatch's wheel
//! `packages` and `sources`, and pdm's `package-dir`. A pyproject is read once per run (`Pyprojects`), however
//! often the files are named; one that cannot be read or parsed is a diagnostic with its line, and the files
//! are named as if it declared nothing.

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const PYPROJECT: &str = "pyproject.toml";

/// A directory (relative to the pyproject's directory, `/`-separated) whose files are the modules of `package`
/// (dotted; empty: its files and directories are top-level modules and packages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRoot {
    pub dir: String,
    pub package: String,
}

/// What a pyproject declares, and what in it could not be read (1-based line, message).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Declared {
    pub roots: Vec<SourceRoot>,
    pub problems: Vec<(u32, String)>,
}

/// The source roots `text` (a `pyproject.toml`) declares.
pub fn declared(text: &str) -> Declared {
    let mut out = Declared::default();
    let doc: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_at(text, s.start));
            // toml's messages run over lines (`invalid table header` / `expected ...`): one line here.
            let message: Vec<&str> = e.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            out.problems.push((line, message.join(": ")));
            return out;
        }
    };
    let Some(tool) = doc.get("tool").and_then(toml::Value::as_table) else { return out };
    let mut reader = Reader { text, out: &mut out };
    let at = |path: &[&str]| lookup(tool, path);
    if let Some(v) = at(&["setuptools", "package-dir"]) {
        reader.setuptools_package_dir(v);
    }
    if let Some(v) = at(&["setuptools", "packages", "find", "where"]) {
        reader.list("tool.setuptools.packages.find.where", v, |dir| (dir.to_string(), String::new()));
    }
    if let Some(v) = at(&["poetry", "packages"]) {
        reader.poetry_packages(v);
    }
    if let Some(v) = at(&["hatch", "build", "targets", "wheel", "packages"]) {
        // `lib/pkg` is the package `pkg`, found in `lib/`.
        reader.list("tool.hatch.build.targets.wheel.packages", v, |dir| {
            let package = dir.rsplit('/').next().unwrap_or(dir);
            (dir.to_string(), package.to_string())
        });
    }
    if let Some(v) = at(&["hatch", "build", "targets", "wheel", "sources"]) {
        reader.hatch_sources(v);
    }
    if let Some(v) = at(&["pdm", "build", "package-dir"]) {
        match v.as_str() {
            Some(dir) => reader.add("tool.pdm.build.package-dir", dir, ""),
            None => reader.problem("package-dir", "tool.pdm.build.package-dir: expected a directory (a string)"),
        }
    }
    out
}

fn lookup<'a>(table: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (last, parents) = path.split_last()?;
    let mut t = table;
    for p in parents {
        t = t.get(*p)?.as_table()?;
    }
    t.get(*last)
}

fn line_at(text: &str, offset: usize) -> u32 {
    1 + text[..offset.min(text.len())].matches('\n').count() as u32
}

/// Collects the roots of one pyproject; a value of the wrong shape is a problem at the line of its key.
struct Reader<'a> {
    text: &'a str,
    out: &'a mut Declared,
}

impl Reader<'_> {
    /// A problem at the first line that mentions `needle` (the values carry no position once parsed).
    fn problem(&mut self, needle: &str, message: impl Into<String>) {
        let line = self.text.find(needle).map_or(1, |at| line_at(self.text, at));
        self.out.problems.push((line, message.into()));
    }

    /// `dir` holds the modules of `package`; a path outside the project, or the project's own directory for
    /// top-level modules (which changes no name), is not a source root.
    fn add(&mut self, key: &str, dir: &str, package: &str) {
        let dir = dir.trim().trim_start_matches("./").trim_end_matches('/');
        if dir.starts_with('/') || dir.split('/').any(|p| p == "..") {
            self.problem(dir, format!("{key}: `{dir}` is outside the project; ignored"));
            return;
        }
        let bad_package = !package.is_empty() && package.split('.').any(str::is_empty);
        if matches!(dir, "" | ".") || bad_package {
            return;
        }
        self.out.roots.push(SourceRoot { dir: dir.to_string(), package: package.to_string() });
    }

    /// A list of directories, each a root as `root_of` says.
    fn list(&mut self, key: &str, v: &toml::Value, root_of: impl Fn(&str) -> (String, String)) {
        let Some(items) = v.as_array() else {
            let needle = key.rsplit('.').next().unwrap_or(key);
            return self.problem(needle, format!("{key}: expected a list of directories"));
        };
        for item in items {
            match item.as_str() {
                Some(dir) => {
                    let dir = dir.trim().trim_start_matches("./").trim_end_matches('/');
                    let (dir, package) = root_of(dir);
                    self.add(key, &dir, &package);
                }
                None => {
                    let needle = key.rsplit('.').next().unwrap_or(key);
                    self.problem(needle, format!("{key}: expected a directory (a string), found {}", item.type_str()));
                }
            }
        }
    }

    /// `package-dir = {"" = "lib", "pkg.sub" = "path/to/sub"}`.
    fn setuptools_package_dir(&mut self, v: &toml::Value) {
        let key = "tool.setuptools.package-dir";
        let Some(table) = v.as_table() else {
            return self.problem("package-dir", format!("{key}: expected a table of package names to directories"));
        };
        for (package, dir) in table {
            match dir.as_str() {
                Some(dir) => self.add(&format!("{key}.\"{package}\""), dir, package),
                None => self.problem("package-dir", format!("{key}.\"{package}\": expected a directory (a string)")),
            }
        }
    }

    /// `packages = [{include = "pkg", from = "lib"}]`: `lib/pkg` holds `pkg`. Without `from` the package is
    /// where its name says; a glob names no one package.
    fn poetry_packages(&mut self, v: &toml::Value) {
        let key = "tool.poetry.packages";
        let Some(items) = v.as_array() else {
            return self.problem("packages", format!("{key}: expected a list of tables"));
        };
        for (i, item) in items.iter().enumerate() {
            let (Some(include), from) = (item.get("include").and_then(toml::Value::as_str), item.get("from")) else {
                self.problem("include", format!("{key}[{i}]: expected a table with `include`"));
                continue;
            };
            let Some(from) = from else { continue };
            let Some(from) = from.as_str() else {
                self.problem("from", format!("{key}[{i}].from: expected a directory (a string)"));
                continue;
            };
            let include = include.trim().trim_end_matches('/');
            if include.contains(['*', '?', '[']) || include.ends_with(".py") {
                continue;
            }
            let from = from.trim().trim_start_matches("./").trim_end_matches('/');
            let dir = if matches!(from, "" | ".") { include.to_string() } else { format!("{from}/{include}") };
            self.add(&format!("{key}[{i}].from"), &dir, &include.replace('/', "."));
        }
    }

    /// `sources = ["lib"]` strips `lib/` from the paths in the wheel; `sources = {"lib/pkg" = "pkg"}` rewrites
    /// the prefix.
    fn hatch_sources(&mut self, v: &toml::Value) {
        let key = "tool.hatch.build.targets.wheel.sources";
        if let Some(table) = v.as_table() {
            for (dir, to) in table {
                match to.as_str() {
                    Some(to) => self.add(&format!("{key}.\"{dir}\""), dir, &to.trim_matches('/').replace('/', ".")),
                    None => self.problem("sources", format!("{key}.\"{dir}\": expected a path (a string)")),
                }
            }
            return;
        }
        self.list(key, v, |dir| (dir.to_string(), String::new()));
    }
}

/// The pyprojects of one run, each read at most once: files are named more than once a run (from the paths
/// given, then from the project root), and each naming asks for the pyprojects above its packages.
#[derive(Debug, Default)]
pub struct Pyprojects {
    read: Mutex<HashMap<PathBuf, Arc<[SourceRoot]>>>,
    diagnostics: Mutex<Vec<Diagnostic>>,
}

impl Pyprojects {
    /// The source roots `dir/pyproject.toml` declares (none without one). A problem with the file becomes a
    /// diagnostic naming it `display_dir/pyproject.toml`, the first time it is read.
    pub fn roots_in(&self, dir: &Path, display_dir: &str) -> Arc<[SourceRoot]> {
        let file = dir.join(PYPROJECT);
        let key = std::path::absolute(&file).unwrap_or_else(|_| file.clone());
        if let Some(known) = self.read.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return known.clone();
        }
        let display = if display_dir.is_empty() { PYPROJECT.to_string() } else { format!("{display_dir}/{PYPROJECT}") };
        let mut problems = Vec::new();
        let roots: Arc<[SourceRoot]> = if !file.is_file() {
            Arc::from([])
        } else {
            match crate::read::read_text(&file) {
                Ok(text) => {
                    let d = declared(&text);
                    problems = d.problems;
                    d.roots.into()
                }
                Err(message) => {
                    problems.push((0, message));
                    Arc::from([])
                }
            }
        };
        if !problems.is_empty() {
            let mut diags = self.diagnostics.lock().unwrap_or_else(|e| e.into_inner());
            for (line, message) in problems {
                diags.push(Diagnostic {
                    path: display.clone(),
                    line,
                    kind: DiagnosticKind::PyprojectError,
                    message: format!("{message} (module names ignore its source roots)"),
                });
            }
        }
        self.read.lock().unwrap_or_else(|e| e.into_inner()).insert(key, roots.clone());
        roots
    }

    /// The diagnostics of the pyprojects read since the last call.
    pub fn take_diagnostics(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.diagnostics.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The roots `text` declares, as `dir => package`; it must have no problems.
    fn roots(text: &str) -> Vec<String> {
        let d = declared(text);
        assert!(d.problems.is_empty(), "{text}: {:?}", d.problems);
        d.roots.into_iter().map(|r| format!("{} => {}", r.dir, r.package)).collect()
    }

    #[test]
    fn setuptools_package_dir() {
        assert_eq!(
            roots("[tool.setuptools]\npackage-dir = {\"\" = \"lib\", \"pkg.sub\" = \"./vendor/sub/\"}\n"),
            ["lib => ", "vendor/sub => pkg.sub"]
        );
        assert_eq!(roots("[tool.setuptools.package-dir]\n\"\" = \".\"\n"), Vec::<String>::new());
    }

    #[test]
    fn setuptools_packages_find_where() {
        assert_eq!(roots("[tool.setuptools.packages.find]\nwhere = [\"lib\", \".\"]\n"), ["lib => "]);
    }

    #[test]
    fn poetry_packages_from() {
        assert_eq!(
            roots(
                "[tool.poetry]\nname = \"x\"\npackages = [{include = \"pkg\", from = \"lib\"}, {include = \"flat\"}, {include = \"*.py\", from = \"scripts\"}]\n"
            ),
            ["lib/pkg => pkg"]
        );
    }

    #[test]
    fn hatch_wheel_packages_and_sources() {
        assert_eq!(
            roots("[tool.hatch.build.targets.wheel]\npackages = [\"lib/pkg\", \"other\"]\n"),
            ["lib/pkg => pkg", "other => other"]
        );
        assert_eq!(roots("[tool.hatch.build.targets.wheel]\nsources = [\"code\"]\n"), ["code => "]);
        assert_eq!(
            roots("[tool.hatch.build.targets.wheel.sources]\n\"code/pkg\" = \"acme/pkg\"\n"),
            ["code/pkg => acme.pkg"]
        );
    }

    #[test]
    fn pdm_build_package_dir() {
        assert_eq!(roots("[tool.pdm.build]\npackage-dir = \"lib\"\n"), ["lib => "]);
    }

    #[test]
    fn no_tool_tables_declare_nothing() {
        assert_eq!(roots("[project]\nname = \"x\"\n"), Vec::<String>::new());
    }

    #[test]
    fn malformed_files_and_values_are_problems_at_their_line() {
        let d = declared("[project]\nname = \"x\"\n[tool.setuptools\npackage-dir = {}\n");
        assert!(d.roots.is_empty(), "{:?}", d.roots);
        assert_eq!(d.problems.len(), 1);
        assert_eq!(d.problems[0].0, 3, "{:?}", d.problems);
        let d = declared("[project]\nname = \"x\"\n\n[tool.setuptools]\npackage-dir = \"lib\"\n");
        assert_eq!(
            d.problems,
            [(5, "tool.setuptools.package-dir: expected a table of package names to directories".into())]
        );
        let d = declared("[tool.pdm.build]\npackage-dir = \"../elsewhere\"\n");
        assert_eq!(
            d.problems,
            [(2, "tool.pdm.build.package-dir: `../elsewhere` is outside the project; ignored".into())]
        );
    }
}
