//! The Python the tests run: `$RETRY_AUDIT_PYTHON`, else `<repo>/.venv/bin/python` with the pinned packages of
//! `tests/requirements.txt` (the retry libraries, pytest, import-linter, ruff, pre-commit). A missing venv is
//! made on first use (`python3 -m venv .venv` + `pip install -r tests/requirements.txt`, what `.ci/run` does),
//! so `cargo test --workspace` needs nothing else; when it cannot be made the test fails, never skips.
//!
//! urllib3 1.26 cannot share the venv with urllib3 2.x: `tests/requirements-urllib3-1.26.txt` is installed into
//! `.venv/urllib3-1.26` (`pip install --target`), which the differential puts first on `PYTHONPATH` for 1.26
//! configurations. The venv's stamp, `.venv/requirements.txt`, is both files concatenated.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository root, from a crate's manifest directory anywhere under it.
fn repo(manifest_dir: &str) -> PathBuf {
    let mut dir = Path::new(manifest_dir).to_path_buf();
    while !dir.join("tests/requirements.txt").exists() {
        assert!(dir.pop(), "tests/requirements.txt not found above {manifest_dir}");
    }
    dir
}

/// The venv's `bin` directory (its `python`, `pre-commit`, `lint-imports`, `ruff`), made when missing.
pub fn venv_bin(manifest_dir: &str) -> PathBuf {
    static MAKING: Mutex<()> = Mutex::new(());
    let root = repo(manifest_dir);
    let venv = root.join(".venv");
    let bin = venv.join("bin");
    let _guard = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let stamp = venv.join("requirements.txt");
    let mut wanted = std::fs::read(root.join("tests/requirements.txt")).expect("tests/requirements.txt");
    wanted.extend(std::fs::read(root.join(URLLIB3_1_26)).expect(URLLIB3_1_26));
    if std::fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) && bin.join("python").exists() {
        return bin;
    }
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(out.status.success(), "{what} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    };
    if !bin.join("python").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv .venv");
    }
    run(
        Command::new(bin.join("python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root.join("tests/requirements.txt")),
        "pip install -r tests/requirements.txt",
    );
    run(
        Command::new(bin.join("python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "--target"])
            .arg(venv.join("urllib3-1.26"))
            .arg("-r")
            .arg(root.join(URLLIB3_1_26)),
        "pip install --target .venv/urllib3-1.26 -r tests/requirements-urllib3-1.26.txt",
    );
    std::fs::write(&stamp, wanted).expect("write the venv stamp");
    bin
}

/// The pins of the urllib3 1.26 installed beside the venv.
const URLLIB3_1_26: &str = "tests/requirements-urllib3-1.26.txt";

/// The directory holding urllib3 1.26 (to put first on `PYTHONPATH`): `$RETRY_AUDIT_URLLIB3_1_26`, else
/// `.venv/urllib3-1.26`, made with the venv.
pub fn urllib3_1_26(manifest_dir: &str) -> PathBuf {
    match std::env::var_os("RETRY_AUDIT_URLLIB3_1_26") {
        Some(p) => PathBuf::from(p),
        None => venv_bin(manifest_dir).parent().expect("the venv").join("urllib3-1.26"),
    }
}

/// The Python with the pinned packages.
pub fn python(manifest_dir: &str) -> PathBuf {
    match std::env::var_os("RETRY_AUDIT_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => venv_bin(manifest_dir).join("python"),
    }
}

/// `path: name` of each unused import ruff (the test venv's, pinned) reports in the tree.
pub fn unused_imports(manifest_dir: &str, dir: &Path) -> Vec<String> {
    let ruff = venv_bin(manifest_dir).join("ruff");
    let out = std::process::Command::new(&ruff)
        .current_dir(dir)
        .args(["check", "--no-cache", "--isolated", "--select", "F401", "--output-format", "json", "--exit-zero", "."])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", ruff.display()));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("ruff output: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["filename"].as_str().unwrap();
            let rel = Path::new(file)
                .strip_prefix(dir.canonicalize().unwrap())
                .map_or(file.into(), |p| p.display().to_string());
            let message = d["message"].as_str().unwrap();
            // The name only: line numbers move with the edits.
            format!("{rel}: {}", message.split('`').nth(1).unwrap_or(message))
        })
        .collect()
}
