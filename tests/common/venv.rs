//! The Python the tests run: `$RETRY_AUDIT_PYTHON`, else `<repo>/.venv/bin/python` with the pinned packages of
//! `tests/requirements.txt` (the retry libraries, pytest, import-linter, ruff, pre-commit). A missing venv is
//! made on first use (`python3 -m venv .venv` + `pip install -r tests/requirements.txt`, what `.ci/run` does),
//! so `cargo test --workspace` needs nothing else; when it cannot be made the test fails, never skips.

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
    let wanted = std::fs::read(root.join("tests/requirements.txt")).expect("tests/requirements.txt");
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
    std::fs::write(&stamp, wanted).expect("write the venv stamp");
    bin
}

/// The Python with the pinned packages.
pub fn python(manifest_dir: &str) -> PathBuf {
    match std::env::var_os("RETRY_AUDIT_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => venv_bin(manifest_dir).join("python"),
    }
}
