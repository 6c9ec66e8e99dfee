//! `retry-audit migrate` against the fixture pairs in `fixtures/migrate/<case>/{before,expected}`.
//!
//! For every case: `--apply` on a copy of its tree (`common::case_tree`: `fixtures/migrate/shared/` overlaid
//! with `before/`) must produce `expected/` byte for byte (`expected/` holds
//! only the files the migration changes; every other file must come out identical to `before/`), every changed
//! file must compile (`python3 -m py_compile`), a second `--apply` must change nothing and say so, and the
//! dry-run patch applied with `git apply` (or `patch -p1`) must reproduce `--apply` exactly.
//! A case's optional `args` file holds extra flags (e.g. `--unsafe-fixes`).

mod common;
#[path = "common/venv.rs"]
mod venv;

use assert_cmd::Command;
use common::{case_tree, migrate_fixtures, read_tree, write_tree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn cases() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(migrate_fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("before").is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    assert!(v.len() >= 15, "fixture cases missing");
    v
}

/// The whole tree a case must end as: its starting tree overlaid with the changed files of `expected/`.
fn expected_tree(case: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree = case_tree(case);
    // A case whose files must all stay unchanged has no `expected/` at all.
    if case.join("expected").is_dir() {
        tree.extend(read_tree(&case.join("expected")));
    }
    tree
}

fn extra_args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("args"))
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn migrate(dir: &Path, args: &[&str], extra: &[String]) -> std::process::Output {
    Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(dir)
        .args(["migrate", "--plan"])
        .arg(common::example_plan())
        .args(args)
        .args(extra)
        .output()
        .unwrap()
}

fn assert_same(case: &str, got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>) {
    let names_got: Vec<&String> = got.keys().collect();
    let names_want: Vec<&String> = want.keys().collect();
    assert_eq!(names_got, names_want, "{case}: file sets differ");
    for (k, v) in want {
        assert!(
            got[k] == *v,
            "{case}: {k} differs\n--- got ---\n{}\n--- expected ---\n{}",
            String::from_utf8_lossy(&got[k]),
            String::from_utf8_lossy(v)
        );
    }
}

fn py_compile(path: &Path) {
    // Byte code goes to a scratch prefix so the fixture tree stays comparable.
    let cache = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("python3")
        .env("PYTHONPYCACHEPREFIX", cache.path())
        .args(["-m", "py_compile"])
        .arg(path)
        .output();
    match out {
        Ok(o) => {
            assert!(o.status.success(), "{} does not compile: {}", path.display(), String::from_utf8_lossy(&o.stderr))
        }
        Err(e) => panic!("python3 is needed to compile {} ({e})", path.display()),
    }
}

#[test]
fn apply_matches_expected_compiles_and_is_idempotent() {
    // The unused-import probe sees one when there is one.
    let probe = tempfile::tempdir().unwrap();
    std::fs::write(probe.path().join("m.py"), "import os\n").unwrap();
    assert_eq!(venv::unused_imports(env!("CARGO_MANIFEST_DIR"), probe.path()), ["m.py: os"]);
    for (name, case) in cases() {
        let extra = extra_args(&case);
        let tmp = tempfile::tempdir().unwrap();
        write_tree(&case_tree(&case), tmp.path());
        let before = read_tree(tmp.path());
        let unused_before = venv::unused_imports(env!("CARGO_MANIFEST_DIR"), tmp.path());
        let out = migrate(tmp.path(), &["--apply"], &extra);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        // Never a new unused import (F401, by the real ruff), in any file the fixes touched.
        let new_unused: Vec<String> = venv::unused_imports(env!("CARGO_MANIFEST_DIR"), tmp.path())
            .into_iter()
            .filter(|u| !unused_before.contains(u))
            .collect();
        assert!(new_unused.is_empty(), "{name}: the migration leaves unused imports: {new_unused:?}");
        let after = read_tree(tmp.path());
        assert_same(&name, &after, &expected_tree(&case));
        for (rel, bytes) in &after {
            if before.get(rel) != Some(bytes) {
                py_compile(&tmp.path().join(rel));
            }
        }
        // Second run: nothing changes, and the tool says so.
        let again = migrate(tmp.path(), &["--apply"], &extra);
        assert_eq!(again.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(stderr.contains("nothing to change"), "{name}: second run: {stderr}");
        assert_same(&name, &read_tree(tmp.path()), &after);
        // And --check agrees: nothing pending, unless an unsafe fix was withheld (the migration is not
        // finished) or a file could not be considered (a syntax error fixture), which a gate never passes.
        let check = migrate(tmp.path(), &["--check"], &extra);
        let unread = stderr.contains("could not consider");
        let unsafe_left = stderr.contains("unsafe fix(es) not applied");
        assert_eq!(check.status.code(), Some((unread || unsafe_left) as i32), "{name}: --check after --apply");
    }
}

fn apply_patch(dir: &Path, patch: &[u8]) -> bool {
    let path = dir.join("..").join(format!("{}.patch", dir.file_name().unwrap().to_string_lossy()));
    std::fs::write(&path, patch).unwrap();
    let git = std::process::Command::new("git").current_dir(dir).args(["apply", "--unsafe-paths"]).arg(&path).output();
    let ok = match git {
        Ok(o) if o.status.success() => true,
        Ok(o) => panic!("git apply failed: {}\n{}", String::from_utf8_lossy(&o.stderr), String::from_utf8_lossy(patch)),
        Err(_) => {
            let o = std::process::Command::new("patch")
                .current_dir(dir)
                .args(["-p1", "-i"])
                .arg(&path)
                .output()
                .expect("git or patch");
            o.status.success()
        }
    };
    let _ = std::fs::remove_file(&path);
    ok
}

#[test]
fn diff_output_is_a_patch_that_reproduces_apply() {
    for (name, case) in cases() {
        let extra = extra_args(&case);
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        std::fs::create_dir(&work).unwrap();
        write_tree(&case_tree(&case), &work);
        let out = migrate(&work, &["--diff"], &extra);
        assert_eq!(out.status.code(), Some(0), "{name}");
        // No summary: stderr holds only what the plan claims of the tree that the tree does not hold (the
        // example plan names exports the cases' canonical module does not define), never on stdout.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let plan = common::example_plan().display().to_string();
        assert!(
            stderr.lines().all(|l| l.starts_with(&format!("retry-audit: warning: {plan}:"))),
            "{name}: --diff prints only the patch: {stderr}"
        );
        if !out.stdout.is_empty() {
            assert!(apply_patch(&work, &out.stdout), "{name}: patch failed");
        }
        assert_same(&name, &read_tree(&work), &expected_tree(&case));
    }
}

#[test]
fn check_exit_codes() {
    let case = migrate_fixtures().join("multi_name");
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&case_tree(&case), tmp.path());
    let before = read_tree(tmp.path());
    let out = migrate(tmp.path(), &["--check"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("app/service.py"));
    assert_eq!(read_tree(tmp.path()), before, "--check never writes");
    // Unsafe-only fixes are pending too, with or without --unsafe-fixes: the migration is not finished.
    let case = migrate_fixtures().join("import_cycle");
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&case_tree(&case), tmp.path());
    for extra in [&[][..], &["--unsafe-fixes"]] {
        let out = migrate(tmp.path(), &[&["--check"][..], extra].concat(), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("retry-audit migrate: fixes by applicability: 0 safe, 1 unsafe, 1 skipped\n"),
            "{stderr}"
        );
    }
    // Usage errors exit 2.
    assert_eq!(migrate(tmp.path(), &["--select", "bogus"], &[]).status.code(), Some(2));
    assert_eq!(migrate(tmp.path(), &["--apply", "--check"], &[]).status.code(), Some(2));
}

#[test]
fn cycle_warning_in_diff_header() {
    let case = migrate_fixtures().join("import_cycle");
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&case_tree(&case), tmp.path());
    let out = migrate(tmp.path(), &["--unsafe-fixes"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("(unsafe)") && stdout.contains("import cycle"), "{stdout}");
    let out = migrate(tmp.path(), &[], &[]);
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 unsafe fix(es) not applied"));
}

#[test]
fn json_lists_every_edit() {
    let case = migrate_fixtures().join("rename_use_sites");
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&case_tree(&case), tmp.path());
    let out = migrate(tmp.path(), &["--format", "json", "--unsafe-fixes"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "dry-run");
    assert_eq!(v["files_changed"], 1);
    let edits = v["edits"].as_array().unwrap();
    assert!(edits.len() >= 2, "{v:#}");
    for e in edits {
        for key in ["path", "start", "end", "old", "new", "fix_kind", "applicability", "rule"] {
            assert!(!e[key].is_null(), "{key} missing in {e}");
        }
        assert_eq!(e["path"], "app/agent.py");
        assert_eq!(e["applicability"], "unsafe");
    }
    // `RetryManager(config)` would hand the config to the handler's `domain`: refused, with the reason.
    assert!(!edits.iter().any(|e| e["old"] == "RetryManager"), "{v:#}");
    assert!(
        v["skipped"].as_array().unwrap().iter().any(|s| s["reason"].as_str().unwrap().contains(
            "an argument the legacy one takes as `config` would be passed to `UnifiedRetryHandler(...)` as `domain`"
        )),
        "{v:#}"
    );
    // Edit offsets refer to the text they were applied to (pass 1 here: the original file).
    let src = std::fs::read_to_string(tmp.path().join("app/agent.py")).unwrap();
    for e in edits.iter().filter(|e| e["pass"] == 1) {
        let (s, en) = (e["start"].as_u64().unwrap() as usize, e["end"].as_u64().unwrap() as usize);
        assert_eq!(&src[s..en], e["old"].as_str().unwrap());
    }
    // Without --unsafe-fixes nothing applies and the unsafe ones are counted.
    let out = migrate(tmp.path(), &["--format", "json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files_changed"], 0);
    assert_eq!(v["unsafe_withheld"], 1);
    // ... and each one is listed with its place and what it would change.
    let withheld = v["withheld"].as_array().unwrap();
    assert!(!withheld.is_empty());
    for w in withheld {
        assert_eq!(w["path"], "app/agent.py");
        assert_eq!(w["rule"], "RTY009");
        assert!(w["reason"].as_str().unwrap().starts_with("unsafe fix not applied without --unsafe-fixes: "), "{w}");
    }
}

#[test]
fn select_and_ignore_filter_fix_kinds() {
    let case = migrate_fixtures().join("rename_use_sites");
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&case_tree(&case), tmp.path());
    let out = migrate(tmp.path(), &["--check", "--unsafe-fixes", "--ignore", "rename"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let out = migrate(tmp.path(), &["--check", "--unsafe-fixes", "--select", "RTY009"], &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn file_changed_since_read_is_not_written_and_mode_is_kept() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let case = migrate_fixtures().join("alias");
        let tmp = tempfile::tempdir().unwrap();
        write_tree(&case_tree(&case), tmp.path());
        let f = tmp.path().join("app/service.py");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let out = migrate(tmp.path(), &["--apply"], &[]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
        let leftovers: Vec<_> =
            std::fs::read_dir(tmp.path().join("app")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "no temp files left: {leftovers:?}");
    }
}
