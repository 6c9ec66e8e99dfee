//! Fixture trees shared by the migrate tests.
//!
//! A case's tree is `fixtures/migrate/shared/` (the canonical module most cases need) overlaid with the case's
//! `before/`; a case with a `no_shared` file scans `before/` alone.

#![allow(dead_code)] // each test crate uses its own subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The example backend's plan: the migrate fixtures are that backend's code (there is no built-in plan).
pub fn example_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/plans/examples/netra.toml")
}

/// `args` of a scanning command with the example plan inserted after the subcommand.
pub fn with_example_plan(args: &[&str]) -> Vec<std::ffi::OsString> {
    let mut out: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    let scans = matches!(args.first(), Some(&("migrate" | "inventory" | "check" | "baseline" | "enforce")));
    if scans && !args.iter().any(|a| matches!(*a, "--plan" | "--isolated")) {
        out.insert(1, "--plan".into());
        out.insert(2, example_plan().into());
    }
    out
}

pub fn migrate_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/migrate")
}

/// Every file under `root`, by `/`-separated relative path.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn go(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, root, &mut out);
    out
}

/// The tree a migrate case starts from: `shared/` (unless the case opts out) overlaid with `before/`.
pub fn case_tree(case: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree =
        if case.join("no_shared").exists() { BTreeMap::new() } else { read_tree(&migrate_fixtures().join("shared")) };
    tree.extend(read_tree(&case.join("before")));
    tree
}

/// Copy the directory `from` to `to`, whole.
pub fn copy_dir(from: &Path, to: &Path) {
    write_tree(&read_tree(from), to);
}

pub fn write_tree(tree: &BTreeMap<String, Vec<u8>>, to: &Path) {
    for (rel, bytes) in tree {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}
