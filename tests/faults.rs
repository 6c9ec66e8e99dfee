//! The fault battery: inputs and conditions that once lost data, hung or aborted a run. Every case asserts
//! the outcome a user relies on: no hang, no abort, no lost or outside-root write, owner kept, no silent
//! pass, a non-zero exit on failed writes, no temporary-file litter, and a diagnostic naming each file
//! that was not read.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::cargo_bin("retry-audit").unwrap();
    c.timeout(Duration::from_secs(60));
    c
}

/// A legacy import the example plan redirects safely (the canonical module is in the tree).
const LEGACY: &str = "from netra_backend.app.core.error_recovery import RetryStrategy\n\nprint(RetryStrategy)\n";
const MIGRATED: &str =
    "from netra_backend.app.core.resilience.unified_retry_handler import RetryStrategy\n\nprint(RetryStrategy)\n";
/// A retry loop: what the inventory must find in a file.
const RETRY: &str = "import time\n\n\ndef fetch(op):\n    for attempt in range(3):\n        try:\n            return op()\n        except OSError:\n            time.sleep(2 ** attempt)\n    raise RuntimeError('gave up')\n";

/// A tree holding the canonical module and `files` (relative path -> content).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write_tree(&common::read_tree(&common::migrate_fixtures().join("shared")), dir.path());
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Stderr without the warnings about what the example plan claims of these small trees (plan_check): the
/// faults are about errors.
fn errors_only(stderr: &str) -> String {
    stderr.lines().filter(|l| !l.starts_with("retry-audit: warning: ")).map(|l| format!("{l}\n")).collect()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().current_dir(dir).args(common::with_example_plan(args)).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        errors_only(&String::from_utf8_lossy(&out.stderr)),
    )
}

fn inventory_json(dir: &Path, paths: &[&str]) -> Value {
    let (code, stdout, stderr) = run(dir, &[&["inventory", "--quiet", "--format", "json"][..], paths].concat());
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn diagnostics(v: &Value) -> Vec<(String, String, u64)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn symbols(v: &Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["symbol"].as_str().unwrap().to_string()).collect()
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo {}", p.display());
}

fn temp_litter(dir: &Path) -> Vec<PathBuf> {
    common::read_tree(dir).keys().filter(|k| k.contains(".retry-audit-")).map(PathBuf::from).collect()
}

#[test]
fn fifos_and_devices_given_as_paths_are_diagnosed_without_blocking() {
    let dir = tree(&[("app/ok.py", RETRY)]);
    mkfifo(&dir.path().join("pipe.py"));
    mkfifo(&dir.path().join("app/inner_pipe.py"));
    let v = inventory_json(dir.path(), &["pipe.py", "/dev/zero", "app"]);
    assert_eq!(
        diagnostics(&v),
        [
            ("/dev/zero".to_string(), "special-file".to_string(), 0),
            ("app/inner_pipe.py".to_string(), "special-file".to_string(), 0),
            ("pipe.py".to_string(), "special-file".to_string(), 0),
        ]
    );
    assert_eq!(symbols(&v), ["app.ok.fetch"], "the scan goes on");
    let (code, _, stderr) = run(dir.path(), &["migrate", "--check", "pipe.py"]);
    assert_eq!(code, 1, "a gate never passes what it could not read: {stderr}");
    assert!(stderr.contains("pipe.py: special-file: a FIFO (named pipe), not a regular file; skipped"), "{stderr}");
}

/// One file per shape that once overflowed a stack: each is a `too-deep` diagnostic with its line, and the
/// file beside it is still analysed, in every command.
#[test]
fn files_nested_too_deep_are_diagnosed_in_every_command() {
    let retry_then = |tail: String| format!("{RETRY}\n{tail}\n");
    let mut ifs = String::new();
    for i in 0..3000 {
        ifs.push_str(&" ".repeat(i));
        ifs.push_str("if x:\n");
    }
    ifs.push_str(&" ".repeat(3000));
    ifs.push_str("pass");
    let shapes = [
        ("deep/brackets.py", retry_then(format!("x = {}1{}", "(".repeat(5600), ",)".repeat(5600)))),
        ("deep/lists.py", retry_then(format!("x = {}{}", "[".repeat(200_000), "]".repeat(200_000)))),
        ("deep/chain.py", retry_then(format!("x = {}", vec!["1"; 9400].join("+")))),
        ("deep/calls.py", retry_then(format!("x = f{}", "()".repeat(6000)))),
        ("deep/ifs.py", retry_then(ifs)),
    ];
    let mut files: Vec<(&str, &str)> = shapes.iter().map(|(p, t)| (*p, t.as_str())).collect();
    files.push(("deep/legacy.py", LEGACY));
    files.push(("deep/ok.py", RETRY));
    let dir = tree(&files);
    let v = inventory_json(dir.path(), &["deep"]);
    let deep: Vec<(String, String, u64)> = diagnostics(&v);
    assert_eq!(
        deep,
        [
            ("brackets.py".to_string(), "too-deep".to_string(), 12),
            ("calls.py".to_string(), "too-deep".to_string(), 12),
            ("chain.py".to_string(), "too-deep".to_string(), 12),
            ("ifs.py".to_string(), "too-deep".to_string(), 113),
            ("lists.py".to_string(), "too-deep".to_string(), 12),
        ]
    );
    assert!(symbols(&v).contains(&"ok.fetch".to_string()), "{:?}", symbols(&v));
    let (code, stdout, stderr) = run(dir.path(), &["check", "--quiet", "--format", "json", "deep"]);
    assert_eq!(code, 1, "the retry loop in ok.py fails the gate: {stderr}");
    let check: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(check["diagnostics"].as_array().unwrap().len(), 5, "{check:#}");
    let (code, _, stderr) = run(dir.path(), &["migrate", "--apply", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("could not consider 5 file(s)"), "{stderr}");
    assert!(stderr.contains("deep/lists.py:12: too-deep: more than 200 nested brackets"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("deep/legacy.py")).unwrap(), MIGRATED);
}

#[test]
fn a_file_of_many_functions_is_analysed_in_one_pass() {
    // Once quadratic (every function looked up by a walk of the whole module).
    let mut text = String::from("import time\n\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "def fetch_{i}(op):\n    for attempt in range(3):\n        try:\n            return op()\n        except OSError:\n            time.sleep(2 ** attempt)\n\n"
        ));
    }
    let dir = tree(&[("big.py", &text)]);
    let v = inventory_json(dir.path(), &["big.py"]);
    assert_eq!(symbols(&v).len(), 3000);
    assert_eq!(symbols(&v)[2999], "big.fetch_2999");
}

#[test]
fn output_errors_end_the_run_cleanly() {
    let full = std::process::Command::new(assert_cmd::cargo::cargo_bin("retry-audit"))
        .args(["inventory", "fixtures/backend_demo"])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&full.stderr),
        "retry-audit: error: cannot write output: No space left on device (os error 28)\n"
    );
    // A closed pipe (`| head`): quiet (no panic, no message), with the shell's SIGPIPE status, for every
    // command that writes to stdout.
    for args in [
        &["rules", "--explain", "RTY003"][..],
        &["rules", "--explain", "RTY100"],
        &["rules"],
        &["policy", "vectors"],
        &["policy", "show"],
        &["inventory", "--format", "json", "fixtures/backend_demo"],
        &["inventory", "--format", "markdown", "fixtures/netra_demo"],
        &["check", "fixtures/netra_demo"],
        &["enforce", "--emit", "ruff"],
        &["enforce", "--emit", "import-linter", "fixtures/netra_demo"],
    ] {
        // The read end is closed before the child starts: a child that wrote its output before the test
        // dropped a piped stdout would exit 0 (the pipe buffer holds it), so the test raced a fast child.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("retry-audit"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(141), "{args:?}");
        assert_eq!(errors_only(&String::from_utf8_lossy(&out.stderr)), "", "{args:?}");
    }
}

#[test]
fn a_baseline_with_a_duplicated_entry_is_refused() {
    let dir = tree(&[("app/a.py", RETRY)]);
    let (code, _, stderr) = run(dir.path(), &["baseline", "--write", "--quiet", "app"]);
    assert_eq!(code, 0, "{stderr}");
    let file = dir.path().join(".retry-audit-baseline.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let entry = &text[text.find("[[finding]]").unwrap()..];
    std::fs::write(&file, format!("{text}\n{entry}")).unwrap();
    std::fs::write(dir.path().join("app/b.py"), RETRY.replace("fetch", "fetch_again")).unwrap();
    let (code, _, stderr) = run(dir.path(), &["check", "--quiet", "app"]);
    assert_eq!(code, 2, "{stderr}");
    let headers: Vec<usize> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("[[finding]]"))
        .map(|(i, _)| i + 1)
        .collect();
    assert!(
        stderr.contains(&format!(".retry-audit-baseline.toml: line {}: finding: duplicate entry", headers[1])),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("first at line {}", headers[0])), "{stderr}");
}

#[test]
fn migrate_names_every_file_it_could_not_consider_and_the_gate_fails() {
    let dir = tree(&[("app/ok.py", LEGACY), ("app/big.py", &format!("{LEGACY}# {}\n", "x".repeat(2000)))]);
    let app = dir.path().join("app");
    std::os::unix::fs::symlink("loop_b.py", app.join("loop_a.py")).unwrap();
    std::os::unix::fs::symlink("loop_a.py", app.join("loop_b.py")).unwrap();
    std::os::unix::fs::symlink("missing.py", app.join("broken.py")).unwrap();
    let (code, _, stderr) = run(dir.path(), &["migrate", "--check", "--max-file-size", "1000", "app"]);
    assert_eq!(code, 1, "{stderr}");
    for (path, kind) in
        [("big.py", "too-large"), ("broken.py", "unreadable"), ("loop_a.py", "unreadable"), ("loop_b.py", "unreadable")]
    {
        assert!(stderr.contains(&format!("  {path}: {kind}: ")), "{path}: {stderr}");
    }
    // Every file is accounted for: one fix pending (ok.py), four files not considered.
    assert!(stderr.contains("could not consider 4 file(s)"), "{stderr}");
}

#[test]
fn failed_writes_exit_non_zero_and_say_so() {
    let dir = tree(&[("app/service.py", LEGACY)]);
    let app = dir.path().join("app");
    // A directory nothing may be created in: immutable for root (who ignores permissions), read-only otherwise.
    let root = unsafe { libc::geteuid() } == 0;
    struct Immutable(PathBuf, bool);
    impl Drop for Immutable {
        fn drop(&mut self) {
            if self.1 {
                let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
            } else {
                let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
            }
        }
    }
    let guard = Immutable(app.clone(), root);
    if root {
        let ok =
            std::process::Command::new("chattr").arg("+i").arg(&app).status().expect("chattr (e2fsprogs) is needed");
        assert!(ok.success(), "chattr +i failed");
    } else {
        std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let (code, _, stderr) = run(dir.path(), &["migrate", "--apply", "."]);
    drop(guard);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("nothing to change"), "{stderr}");
    assert!(stderr.contains("0 fix(es) applied to 0 file(s)"), "{stderr}");
    assert!(
        stderr.contains("error: 1 fix(es) in 1 file(s) could not be written; those files are unchanged:"),
        "{stderr}"
    );
    assert!(stderr.contains("app/service.py: cannot create a temporary file"), "{stderr}");
    assert_eq!(std::fs::read_to_string(app.join("service.py")).unwrap(), LEGACY);
}

#[test]
fn symlinks_out_of_the_root_are_never_written_and_two_paths_to_one_file_are_edited_once() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("theirs.py"), LEGACY).unwrap();
    let dir = tree(&[("app/real.py", LEGACY)]);
    let app = dir.path().join("app");
    std::os::unix::fs::symlink(outside.path().join("theirs.py"), app.join("link_out.py")).unwrap();
    std::os::unix::fs::symlink("real.py", app.join("alias.py")).unwrap();
    let (code, _, stderr) = run(dir.path(), &["migrate", "--apply", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(outside.path().join("theirs.py")).unwrap(), LEGACY, "outside the root");
    let real_out = std::fs::canonicalize(outside.path().join("theirs.py")).unwrap();
    assert!(
        stderr.contains(&format!(
            "app/link_out.py: outside-root: reached through a symlink: its real path {} is outside the scanned root",
            real_out.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(app.join("real.py")).unwrap(), MIGRATED);
    assert!(std::fs::symlink_metadata(app.join("alias.py")).unwrap().file_type().is_symlink(), "the link stays a link");
    assert!(stderr.contains("1 fix(es) applied to 1 file(s)"), "{stderr}");
    assert!(
        stderr.contains("note: app/real.py: the same file as app/alias.py (reached by two paths); edited once")
            || stderr.contains("note: app/alias.py: the same file as app/real.py"),
        "{stderr}"
    );
}

#[test]
fn hard_links_are_not_split_and_the_run_says_so() {
    let outside = tempfile::tempdir().unwrap();
    let dir = tree(&[("app/service.py", LEGACY)]);
    std::fs::hard_link(dir.path().join("app/service.py"), outside.path().join("copy.py")).unwrap();
    let (code, _, stderr) = run(dir.path(), &["migrate", "--apply", "."]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("app/service.py: has 2 hard links; replacing it would split them"), "{stderr}");
    assert_eq!(std::fs::read_to_string(outside.path().join("copy.py")).unwrap(), LEGACY);
    assert_eq!(std::fs::metadata(outside.path().join("copy.py")).unwrap().nlink(), 2);
}

#[test]
fn owner_group_and_mode_are_kept() {
    let dir = tree(&[("app/service.py", LEGACY)]);
    let f = dir.path().join("app/service.py");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::chown(&f, Some(65534), Some(65534)).unwrap();
    }
    let before = std::fs::metadata(&f).unwrap();
    let (code, _, stderr) = run(dir.path(), &["migrate", "--apply", "."]);
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::metadata(&f).unwrap();
    assert_eq!(std::fs::read_to_string(&f).unwrap(), MIGRATED);
    assert_eq!((after.uid(), after.gid(), after.mode() & 0o7777), (before.uid(), before.gid(), 0o640));
    assert!(!stderr.contains("could not be kept"), "{stderr}");
    if root {
        assert_eq!((after.uid(), after.gid()), (65534, 65534));
    }
}

#[test]
fn stale_temporary_files_are_removed() {
    let dir = tree(&[("app/service.py", LEGACY)]);
    let stale = dir.path().join("app/.retry-audit-999999999-AbCdEf.tmp");
    std::fs::write(&stale, "half a file").unwrap();
    let (code, _, stderr) = run(dir.path(), &["migrate", "--apply", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stale.exists());
    assert!(
        stderr
            .contains("app/.retry-audit-999999999-AbCdEf.tmp: removed a temporary file an interrupted run left behind"),
        "{stderr}"
    );
    assert!(temp_litter(dir.path()).is_empty());
}

/// SIGINT and SIGTERM at any moment of `--apply`: no temporary file is left, and every file is either as it
/// was or fully migrated.
#[test]
fn interrupting_apply_leaves_no_litter_and_no_half_file() {
    let files: Vec<(String, &str)> = (0..400).map(|i| (format!("app/m{i:03}.py"), LEGACY)).collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    let apply = |dir: &Path| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("retry-audit"))
            .current_dir(dir)
            .args(common::with_example_plan(&["migrate", "--apply", "--quiet", "."]))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // How long an uninterrupted run takes here, so the signals land while files are being written.
    let dir = tree(&refs);
    let start = std::time::Instant::now();
    assert!(apply(dir.path()).wait().unwrap().success());
    let whole = start.elapsed();
    let mut interrupted = 0;
    // Later fractions land while files are written on an idle machine; the early ones still interrupt the run
    // when a loaded machine made the measured run slower than the ones that follow.
    let rounds = [
        (libc::SIGINT, 0.5),
        (libc::SIGTERM, 0.7),
        (libc::SIGINT, 0.85),
        (libc::SIGTERM, 0.95),
        (libc::SIGINT, 0.3),
        (libc::SIGTERM, 0.15),
    ];
    for (round, (signal, fraction)) in rounds.into_iter().enumerate() {
        let dir = tree(&refs);
        let child = apply(dir.path());
        std::thread::sleep(whole.mul_f64(fraction));
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        assert!(
            code == Some(130) || code == Some(0),
            "round {round}: {code:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        interrupted += (code == Some(130)) as usize;
        assert!(temp_litter(dir.path()).is_empty(), "round {round}: {:?}", temp_litter(dir.path()));
        for (rel, _) in &files {
            let text = std::fs::read_to_string(dir.path().join(rel)).unwrap();
            assert!(text == LEGACY || text == MIGRATED, "round {round}: {rel}: {text:?}");
        }
    }
    assert!(interrupted > 0, "no round was interrupted: the run took {whole:?}");
}

#[test]
fn odd_file_names_stay_distinct_and_their_patches_apply() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[]);
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    let names: [&[u8]; 4] = [b"caf\xff.py", b"caf\xfe.py", b"tab\there.py", b"new\nline.py"];
    for n in names {
        std::fs::write(app.join(std::ffi::OsStr::from_bytes(n)), LEGACY).unwrap();
    }
    std::fs::write(app.join("lone_cr.py"), LEGACY.replace('\n', "\r")).unwrap();
    let v = inventory_json(dir.path(), &["app"]);
    let mut paths: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, ["caf\\xfe.py", "caf\\xff.py", "lone_cr.py", "new\nline.py", "tab\there.py"]);
    let (code, patch, stderr) = run(dir.path(), &["migrate", "--diff", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(patch.contains("diff --git \"a/app/caf\\377.py\" \"b/app/caf\\377.py\""), "{patch}");
    assert!(patch.contains("--- \"a/app/tab\\there.py\""), "{patch}");
    let git = |args: &[&str]| {
        std::process::Command::new("git").current_dir(dir.path()).args(args).output().expect("git is needed")
    };
    assert!(git(&["init", "-q"]).status.success());
    std::fs::write(dir.path().join("../fix.patch"), &patch).unwrap();
    let applied = git(&["apply", "../fix.patch"]);
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    for n in names {
        assert_eq!(std::fs::read_to_string(app.join(std::ffi::OsStr::from_bytes(n))).unwrap(), MIGRATED, "{n:?}");
    }
    let cr = std::fs::read_to_string(app.join("lone_cr.py")).unwrap();
    assert!(cr.contains("unified_retry_handler import RetryStrategy") && !cr.contains('\n'), "{cr:?}");
}

#[test]
fn files_that_are_not_source_get_a_diagnostic_even_without_a_retry_word() {
    let dir = tree(&[("app/ok.py", "x = 1\n")]);
    let app = dir.path().join("app");
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("x = 1\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    std::fs::write(app.join("utf16.py"), utf16).unwrap();
    std::fs::write(app.join("nul.py"), b"x = 1\ny = '\0'\n").unwrap();
    std::fs::write(app.join("latin.py"), b"x = '\xe9'\n").unwrap();
    let v = inventory_json(dir.path(), &["app"]);
    assert_eq!(
        diagnostics(&v),
        [
            ("latin.py".to_string(), "decode-error".to_string(), 1),
            ("nul.py".to_string(), "parse-error".to_string(), 2),
            ("utf16.py".to_string(), "decode-error".to_string(), 1),
        ]
    );
    let msg = v["diagnostics"][2]["message"].as_str().unwrap();
    assert!(msg.starts_with("UTF-16 (little-endian) byte order mark"), "{msg}");
}

#[test]
fn plans_baselines_configs_and_reports_that_are_not_regular_files_never_block() {
    let dir = tree(&[("app/a.py", RETRY)]);
    mkfifo(&dir.path().join("fifo"));
    for (args, message) in [
        (
            &["inventory", "--plan", "fifo", "app"][..],
            "retry-audit: error: fifo: a FIFO (named pipe), not a regular file\n",
        ),
        (
            &["check", "--baseline", "fifo", "app"],
            "retry-audit: error: fifo: cannot read baseline: a FIFO (named pipe), not a regular file\n",
        ),
        (
            &["check", "--config", "fifo", "app"],
            "retry-audit: error: fifo: cannot read config: a FIFO (named pipe), not a regular file\n",
        ),
        (
            &["check", "--quiet", "--output", "/dev/full", "app"],
            "retry-audit: error: /dev/full: cannot write report: No space left on device (os error 28)\n",
        ),
    ] {
        let (code, _, stderr) = run(dir.path(), args);
        assert_eq!((code, stderr.as_str()), (2, message), "{args:?}");
    }
    // A report to a device that takes it is written there.
    let (code, stdout, _) =
        run(dir.path(), &["check", "--quiet", "--format", "json", "--output", "/dev/stdout", "app"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("\"rule\": \"RTY002\""), "{stdout}");
}
