//! The tree facts `migrate` builds inside the scan (`project::TreeInfo`) match what parsing every file whole
//! gives: a file's imports read off its tokens (`parse::import_statements`, for the files the scan does not
//! parse whole) are the imports of its syntax tree, file by file, and the tree of a scan is the tree of every
//! file parsed whole (a file that does not parse is in the scan's tree only when the scan did not parse it),
//! over every fixture tree.
//!
//! `cargo test -p retry-audit-scan --release --test tree_info_sound -- --ignored` runs the same comparisons over
//! large trees (`TREE_INFO_SOUND_DIRS`, `:`-separated, default `/work/bench:/work/corpus:/work/corpus2`).

use rayon::prelude::*;
use retry_audit_scan::walk::{walk, WalkOptions};
use retry_audit_scan::{parse, project, read, RuleData, ScanOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Default)]
struct Report {
    /// Files that parse.
    parsed: usize,
    /// Files that parse whose tokens the import reader did not understand (they are parsed instead).
    unsure: usize,
    diffs: Vec<String>,
}

fn compare(root: &Path) -> Report {
    let opts = WalkOptions { no_gitignore: true, ..Default::default() };
    let files = walk(&[root.to_path_buf()], &opts).expect("walk").files;
    let per_file: Vec<(bool, bool, Option<String>)> = files
        .par_iter()
        .map(|f| {
            let Ok(bytes) = std::fs::read(&f.path) else { return (false, false, None) };
            let Ok(src) = read::decode(&bytes) else { return (false, false, None) };
            let Ok(module) = parse::parse_module(&src.text) else { return (false, false, None) };
            let is_package = f.display.ends_with("__init__.py") || f.display.ends_with("__init__.pyi");
            let want = project::module_info(&f.module, is_package, &module).imports;
            let Some(statements) = parse::import_statements(&src.text) else { return (true, true, None) };
            let got = project::imports_of(&f.module, is_package, &statements);
            let diff = (got != want).then(|| format!("{}:\n  tokens: {got:?}\n  parsed: {want:?}", f.display));
            (true, false, diff)
        })
        .collect();
    let mut r = Report::default();
    for (parsed, unsure, diff) in per_file {
        r.parsed += parsed as usize;
        r.unsure += unsure as usize;
        r.diffs.extend(diff);
    }
    r
}

/// Differences between the tree a scan builds and the tree of every file of `root` parsed whole; and how many
/// modules only the scan's tree has (files that do not parse).
fn compare_trees(root: &Path) -> (Vec<String>, usize) {
    let data = RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
    let opts = ScanOptions { walk: WalkOptions { no_gitignore: true, ..Default::default() }, ..Default::default() };
    let walked = walk(&[root.to_path_buf()], &opts.walk).expect("walk");
    let modules: Vec<String> = walked.files.iter().map(|f| f.module.clone()).collect();
    let scanned = retry_audit_scan::scan_files_tree(&walked.files, &modules, vec![], &opts, &data);
    let tree = scanned.tree.expect("a tree");
    let parsed: Vec<Option<(String, project::ModuleInfo)>> = walked
        .files
        .par_iter()
        .map(|f| {
            let bytes = std::fs::read(&f.path).ok()?;
            let src = read::decode(&bytes).ok()?;
            let module = parse::parse_module(&src.text).ok()?;
            let is_package = f.display.ends_with("__init__.py") || f.display.ends_with("__init__.pyi");
            Some((f.module.clone(), project::module_info(&f.module, is_package, &module)))
        })
        .collect();
    let whole: BTreeMap<String, project::ModuleInfo> = parsed.into_iter().flatten().collect();
    let plan = &data.plan;
    let targets: Vec<&str> = plan.target_modules();
    let mut diffs = Vec::new();
    for (name, want) in &whole {
        let Some(got) = tree.modules.get(name) else {
            diffs.push(format!("{name}: missing from the scan's tree"));
            continue;
        };
        if got.imports != want.imports {
            diffs.push(format!("{name}: imports {:?} vs {:?}", got.imports, want.imports));
        }
        let exports = targets.iter().any(|t| project::module_eq(name, t));
        if exports && (got.exports != want.exports || got.dynamic != want.dynamic) {
            diffs.push(format!("{name}: exports {:?} vs {:?}", got.exports, want.exports));
        }
    }
    let extra = tree.modules.keys().filter(|k| !whole.contains_key(*k)).count();
    (diffs, extra)
}

#[test]
fn the_scan_builds_the_tree_of_every_file_parsed_whole() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for root in
        [fixtures.join("netra_demo"), fixtures.join("migrate/shared"), fixtures.join("migrate/import_cycle/before")]
    {
        let (diffs, extra) = compare_trees(&root);
        assert!(diffs.is_empty(), "{}: {}", root.display(), diffs.join("\n"));
        assert_eq!(extra, 0, "{}", root.display());
    }
}

#[test]
fn imports_read_off_the_tokens_match_the_syntax_tree_on_every_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let r = compare(&root);
    assert!(r.parsed > 50, "fixtures missing: {} parsed", r.parsed);
    assert!(r.diffs.is_empty(), "{}", r.diffs.join("\n"));
}

#[test]
#[ignore = "large trees; run with --ignored (TREE_INFO_SOUND_DIRS)"]
fn imports_read_off_the_tokens_match_the_syntax_tree_on_large_trees() {
    let dirs =
        std::env::var("TREE_INFO_SOUND_DIRS").unwrap_or_else(|_| "/work/bench:/work/corpus:/work/corpus2".to_string());
    for dir in dirs.split(':').map(PathBuf::from).filter(|d| d.is_dir()) {
        let r = compare(&dir);
        eprintln!("{}: {} files parse, {} read by parsing (tokens unsure)", dir.display(), r.parsed, r.unsure);
        assert!(r.diffs.is_empty(), "{}: {} files differ\n{}", dir.display(), r.diffs.len(), r.diffs.join("\n"));
        let (diffs, extra) = compare_trees(&dir);
        eprintln!("{}: the scan's tree has {extra} modules that do not parse", dir.display());
        assert!(diffs.is_empty(), "{}: {} modules differ\n{}", dir.display(), diffs.len(), diffs.join("\n"));
    }
}
