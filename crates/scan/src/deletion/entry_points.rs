//! Entry points: modules a packaging file names as a command or a plugin, which the installed package imports
//! by name though no module of the tree does. Read from `pyproject.toml` (`[project.scripts]`,
//! `[project.gui-scripts]`, `[project.entry-points.<group>]`, `[tool.poetry.scripts]`,
//! `[tool.poetry.plugins.<group>]`) and `setup.cfg` (`[options.entry_points]`, every group: `console_scripts`,
//! `gui_scripts`, plugins).
//!
//! The packaging files looked at are those in the directories holding scanned files and in the directories
//! above them, up to the checkout's root (a directory with `.git`, `.hg` or `.svn`): a scan of `src/` still
//! sees the project's `pyproject.toml`. No directory is walked for them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What an entry point names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A dotted module (`pkg.cli` of `pkg.cli:main`).
    Module(String),
    /// A script file (`[tool.poetry.scripts] x = { reference = "bin/x.py", type = "file" }`).
    File(PathBuf),
}

/// One entry point and where it is declared (`pyproject.toml [project.scripts] acme-retry`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EntryPoint {
    pub target: Target,
    pub declared_in: String,
}

/// The module of an entry point's value: `pkg.mod:func`, `pkg.mod:Class.method [extra1, extra2]`, `pkg.mod`.
fn module_of(value: &str) -> Option<String> {
    let value = value.split('[').next().unwrap_or(value);
    let module = value.split(':').next().unwrap_or(value).trim();
    let ok = !module.is_empty()
        && module.split('.').all(|p| {
            let mut c = p.chars();
            c.next().is_some_and(|c| c == '_' || c.is_alphabetic()) && c.all(|c| c == '_' || c.is_alphanumeric())
        });
    ok.then(|| module.to_string())
}

/// The entry points of a `pyproject.toml`'s text (`dir`: its directory, for file scripts). Unparsable TOML
/// declares none.
pub fn from_pyproject(text: &str, dir: &Path, shown: &str) -> Vec<EntryPoint> {
    let Ok(doc) = text.parse::<toml::Table>() else { return vec![] };
    let mut out = Vec::new();
    let table = |v: Option<&toml::Value>| v.and_then(toml::Value::as_table).cloned().unwrap_or_default();
    let project = table(doc.get("project"));
    let poetry = table(table(doc.get("tool")).get("poetry"));
    let mut add = |section: &str, name: &str, value: &toml::Value| {
        let declared_in = format!("{shown} [{section}] {name}");
        let target = match value {
            toml::Value::String(s) => module_of(s).map(Target::Module),
            // Poetry: `{ callable = "pkg.mod:f", extras = [...] }` or `{ reference = "bin/x.py", type = "file" }`.
            toml::Value::Table(t) => match (t.get("callable"), t.get("reference"), t.get("type")) {
                (Some(toml::Value::String(c)), _, _) => module_of(c).map(Target::Module),
                (_, Some(toml::Value::String(r)), Some(toml::Value::String(k))) if k == "file" => {
                    Some(Target::File(dir.join(r)))
                }
                (_, Some(toml::Value::String(r)), _) => module_of(r).map(Target::Module),
                _ => None,
            },
            _ => None,
        };
        if let Some(target) = target {
            out.push(EntryPoint { target, declared_in });
        }
    };
    for key in ["scripts", "gui-scripts"] {
        for (name, v) in table(project.get(key)) {
            add(&format!("project.{key}"), &name, &v);
        }
    }
    for (group, entries) in table(project.get("entry-points")) {
        for (name, v) in table(Some(&entries)) {
            add(&format!("project.entry-points.{group}"), &name, &v);
        }
    }
    for (name, v) in table(poetry.get("scripts")) {
        add("tool.poetry.scripts", &name, &v);
    }
    for (group, entries) in table(poetry.get("plugins")) {
        for (name, v) in table(Some(&entries)) {
            add(&format!("tool.poetry.plugins.{group}"), &name, &v);
        }
    }
    out
}

/// The entry points of a `setup.cfg`'s text: every `name = pkg.mod:func` line of every group of
/// `[options.entry_points]` (continuation lines, or a group's one value on its own line).
pub fn from_setup_cfg(text: &str, shown: &str) -> Vec<EntryPoint> {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut group = String::new();
    for line in text.lines() {
        let content = line.split(['#', ';']).next().unwrap_or("");
        if content.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let trimmed = content.trim();
        if !indented && trimmed.starts_with('[') {
            in_section = trimmed.trim_start_matches('[').trim_end_matches(']').trim() == "options.entry_points";
            continue;
        }
        if !in_section {
            continue;
        }
        // `group =` starts a group; its entries follow on indented lines (or after the `=` on the same line).
        let entry = if indented {
            Some(trimmed)
        } else {
            let (g, rest) = trimmed.split_once('=').unwrap_or((trimmed, ""));
            group = g.trim().to_string();
            (!rest.trim().is_empty()).then_some(rest.trim())
        };
        if let Some((name, value)) = entry.and_then(|e| e.split_once('=')) {
            if let Some(module) = module_of(value) {
                out.push(EntryPoint {
                    target: Target::Module(module),
                    declared_in: format!("{shown} [options.entry_points] {group}: {}", name.trim()),
                });
            }
        }
    }
    out
}

/// The entry points declared by the packaging files of the directories holding `files` (paths as the walk
/// reached them) and of the directories above, up to the checkout's root. `shown(path)`: how a packaging file
/// is named in a reason.
pub fn find<'a>(files: impl IntoIterator<Item = &'a Path>, shown: &dyn Fn(&Path) -> String) -> Vec<EntryPoint> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for f in files {
        let mut dir = f.parent().map(|d| cwd.join(d));
        while let Some(d) = dir {
            if !dirs.insert(d.clone()) {
                break; // this directory and those above it were seen
            }
            if [".git", ".hg", ".svn"].iter().any(|m| d.join(m).exists()) {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }
    let mut out = Vec::new();
    for d in &dirs {
        let pyproject = d.join("pyproject.toml");
        if let Ok(text) = std::fs::read_to_string(&pyproject) {
            out.extend(from_pyproject(&text, d, &shown(&pyproject)));
        }
        let setup_cfg = d.join("setup.cfg");
        if let Ok(text) = std::fs::read_to_string(&setup_cfg) {
            out.extend(from_setup_cfg(&text, &shown(&setup_cfg)));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(eps: &[EntryPoint]) -> Vec<(String, String)> {
        eps.iter()
            .map(|e| match &e.target {
                Target::Module(m) => (m.clone(), e.declared_in.clone()),
                Target::File(p) => (p.display().to_string(), e.declared_in.clone()),
            })
            .collect()
    }

    #[test]
    fn pyproject_scripts_gui_scripts_entry_points_and_poetry() {
        let text = r#"
[project]
name = "acme"
[project.scripts]
acme-retry = "acme.app.core.retry_cli:main"
[project.gui-scripts]
acme-gui = "acme.gui:run [gui]"
[project.entry-points."acme.plugins"]
backoff = "acme.plugins.backoff:Plugin.create"
[tool.poetry.scripts]
old = "acme.old_cli:main"
new = { callable = "acme.new_cli:main", extras = ["x"] }
file = { reference = "bin/tool.py", type = "file" }
[tool.poetry.plugins."acme.hooks"]
h = "acme.hooks.h"
"#;
        assert_eq!(
            modules(&from_pyproject(text, Path::new("/p"), "pyproject.toml")),
            [
                ("acme.app.core.retry_cli".into(), "pyproject.toml [project.scripts] acme-retry".into()),
                ("acme.gui".into(), "pyproject.toml [project.gui-scripts] acme-gui".into()),
                ("acme.plugins.backoff".into(), "pyproject.toml [project.entry-points.acme.plugins] backoff".into()),
                ("/p/bin/tool.py".into(), "pyproject.toml [tool.poetry.scripts] file".into()),
                ("acme.new_cli".into(), "pyproject.toml [tool.poetry.scripts] new".into()),
                ("acme.old_cli".into(), "pyproject.toml [tool.poetry.scripts] old".into()),
                ("acme.hooks.h".into(), "pyproject.toml [tool.poetry.plugins.acme.hooks] h".into()),
            ]
        );
        assert!(from_pyproject("not = [toml", Path::new("/p"), "x").is_empty());
    }

    #[test]
    fn setup_cfg_entry_point_groups() {
        let text = "[metadata]\nname = acme\n\n[options.entry_points]\nconsole_scripts =\n    \
                    acme-retry = acme.app.core.retry_cli:main\n    acme-x = acme.x:main  # comment\n\
                    acme.plugins = p = acme.plugins.p:P\n\n[options]\nzip_safe = False\n";
        assert_eq!(
            modules(&from_setup_cfg(text, "setup.cfg")),
            [
                (
                    "acme.app.core.retry_cli".into(),
                    "setup.cfg [options.entry_points] console_scripts: acme-retry".into()
                ),
                ("acme.x".into(), "setup.cfg [options.entry_points] console_scripts: acme-x".into()),
                ("acme.plugins.p".into(), "setup.cfg [options.entry_points] acme.plugins: p".into()),
            ]
        );
    }

    #[test]
    fn packaging_files_above_the_scanned_files_are_found() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join(".git")).unwrap();
        std::fs::create_dir_all(t.path().join("src/acme")).unwrap();
        std::fs::write(t.path().join("pyproject.toml"), "[project.scripts]\na = \"acme.cli:main\"\n").unwrap();
        std::fs::write(t.path().join("src/setup.cfg"), "[options.entry_points]\nconsole_scripts =\n  b = acme.b:m\n")
            .unwrap();
        let file = t.path().join("src/acme/cli.py");
        let found = find([file.as_path()], &|p| p.file_name().unwrap().to_string_lossy().into_owned());
        assert_eq!(
            modules(&found),
            [
                ("acme.b".into(), "setup.cfg [options.entry_points] console_scripts: b".into()),
                ("acme.cli".into(), "pyproject.toml [project.scripts] a".into()),
            ]
        );
    }
}
