//! Source roots a pyproject declares: files under `package-dir` (and its equivalents) are named by the import
//! names users write, from the project root or a subdirectory; a pyproject that does not parse is a
//! diagnostic with its line, and the scan goes on.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const RETRY: &str = "import time\n\n\ndef fetch_with_retry(op):\n    for attempt in range(3):\n        try:\n            return op()\n        except OSError:\n            time.sleep(2 ** attempt)\n";

/// A checkout whose package lives in `code/` (not a directory name any layout rule knows), declared by
/// `pyproject.toml`; a test file beside it.
fn project(pyproject: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    std::fs::create_dir(t.path().join(".git")).unwrap();
    write("pyproject.toml", pyproject);
    write("code/acme/__init__.py", "");
    write("code/acme/net/__init__.py", "");
    write("code/acme/net/client.py", RETRY);
    write(
        "code/acme/jobs.py",
        "from acme.net.client import fetch_with_retry\n\n\ndef sync(op):\n    return fetch_with_retry(op)\n",
    );
    write("tests/test_client.py", RETRY);
    t
}

fn inventory(cwd: &Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(cwd)
        .args(["inventory", "--quiet", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (path, symbol) of every finding, in report order.
fn sites(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["symbol"].as_str().unwrap().to_string()))
        .collect()
}

fn pairs(want: &[(&str, &str)]) -> Vec<(String, String)> {
    want.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect()
}

#[test]
fn package_dir_names_files_by_their_import_names() {
    let t = project("[project]\nname = \"acme\"\n\n[tool.setuptools]\npackage-dir = {\"\" = \"code\"}\n");
    let want = pairs(&[
        ("code/acme/jobs.py", "acme.jobs.sync"),
        ("code/acme/net/client.py", "acme.net.client.fetch_with_retry"),
        ("tests/test_client.py", "test_client.fetch_with_retry"),
    ]);
    let v = inventory(t.path(), &[]);
    assert_eq!(sites(&v), want);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    // The engine's users are found through the import name.
    let engine = &v["findings"][1];
    assert_eq!(
        engine["used_by"],
        serde_json::json!([
            {"line": 1, "path": "code/acme/jobs.py", "via": "import"},
            {"line": 5, "path": "code/acme/jobs.py", "symbol": "acme.jobs.sync", "via": "call"},
        ])
    );
    // From inside the source root, on the package alone: the same paths and names.
    let v = inventory(&t.path().join("code"), &["acme"]);
    assert_eq!(sites(&v), want[..2]);
}

#[test]
fn without_a_declaration_the_directory_is_part_of_the_name() {
    let t = project("[project]\nname = \"acme\"\n");
    assert_eq!(
        sites(&inventory(t.path(), &[])),
        pairs(&[
            ("code/acme/jobs.py", "code.acme.jobs.sync"),
            ("code/acme/net/client.py", "code.acme.net.client.fetch_with_retry"),
            ("tests/test_client.py", "test_client.fetch_with_retry"),
        ])
    );
}

#[test]
fn a_malformed_pyproject_is_a_diagnostic_with_its_line_and_the_scan_goes_on() {
    // The configuration is elsewhere (a pyproject that does not parse cannot say whether it holds one).
    let t = project("[project]\nname = \"acme\"\n\n[tool.setuptools\npackage-dir = {\"\" = \"code\"}\n");
    std::fs::write(t.path().join("retry-audit.toml"), "exclude = [\"tests/**\"]\n").unwrap();
    let v = inventory(t.path(), &[]);
    assert_eq!(
        v["diagnostics"],
        serde_json::json!([{
            "kind": "pyproject-error",
            "line": 4,
            "message": "invalid table header: expected `.`, `]` (module names ignore its source roots)",
            "path": "pyproject.toml",
        }])
    );
    assert_eq!(
        sites(&v),
        pairs(&[
            ("code/acme/jobs.py", "code.acme.jobs.sync"),
            ("code/acme/net/client.py", "code.acme.net.client.fetch_with_retry"),
        ])
    );
    // It does not fail the gate: every source file was analysed.
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(t.path())
        .args(["check", "--select", "RTY100"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("warning[pyproject-error]: pyproject.toml:4: invalid table header"), "{stdout}");
}

#[test]
fn a_malformed_pyproject_without_our_settings_does_not_stop_the_run() {
    // No retry-audit.toml beside it, and the broken file never names `tool.retry-audit`: a warning, and the run
    // goes on with the scan's own diagnostic.
    let t = project("[project]\nname = \"acme\"\n\n[tool.setuptools\npackage-dir = {\"\" = \"code\"}\n");
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(t.path())
        .args(["inventory", "--format", "json", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("retry-audit: warning: ") && stderr.contains("(no [tool.retry-audit] settings read from it)"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["kind"], "pyproject-error", "{v:#}");
    // A broken pyproject that does configure us stays a configuration error (exit 2, file and line).
    std::fs::write(t.path().join("pyproject.toml"), "[tool.retry-audit]\nexclude = [\n").unwrap();
    let out =
        Command::cargo_bin("retry-audit").unwrap().current_dir(t.path()).args(["inventory", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pyproject.toml"));
}

#[test]
fn enforce_bans_plan_entries_by_their_import_names() {
    let t = project("[project]\nname = \"acme\"\n\n[tool.setuptools]\npackage-dir = {\"\" = \"code\"}\n");
    std::fs::write(
        t.path().join("plan.toml"),
        "[plan]\nname = \"p\"\n\n[canonical]\nmodule = \"acme.retry\"\npath = \"code/acme/retry.py\"\n\n\
         [[entries]]\nid = \"client\"\ncategory = \"core\"\npath = \"code/acme/net/client.py\"\ntype = \"Client\"\n\
         status = \"ACTIVE\"\nusage = \"fetch_with_retry\"\nsymbols = [\"fetch_with_retry\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(t.path())
        .args(["enforce", "--emit", "ruff", "--plan", "plan.toml", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"acme.net.client.fetch_with_retry\".msg = "), "{stdout}");
    assert!(!stdout.contains("code.acme"), "{stdout}");
}
