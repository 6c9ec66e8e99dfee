//! Runs configs through their libraries: `tests/differential/run_library.py` in the venv's Python, once per set
//! of version pins (urllib3 1.26 is put first on `PYTHONPATH`; the harness checks the imported version).

use super::config::Config;
use retry_audit_policy::simulate::Step;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[path = "../../../../tests/common/venv.rs"]
mod venv;

/// Libraries whose decorators also take coroutines: their configs run a second, `async`, pass.
pub const ASYNC_LIBRARIES: &[&str] = &["tenacity", "backoff", "stamina", "google-api-core"];

pub fn passes(library: &str) -> &'static [&'static str] {
    if ASYNC_LIBRARIES.contains(&library) {
        &["sync", "async"]
    } else {
        &["sync"]
    }
}

/// Where each pinned package lives: the venv holds tests/requirements.txt's (urllib3 2.6.3); older ones are
/// installed beside it. The harness checks that the pinned version is the one imported.
fn pythonpath(pins: &str) -> Option<PathBuf> {
    match pins {
        "" | "urllib3==2.6.3" => None,
        "urllib3==1.26.20" => Some(venv::urllib3_1_26(env!("CARGO_MANIFEST_DIR"))),
        other => panic!("no install of `{other}` for the differential (tests/common/venv.rs)"),
    }
}

pub fn library_runs(repo: &Path, configs: &[Config], scripts: &[(String, Vec<Step>)], probes: &[f64]) -> Vec<Value> {
    let mut groups: Vec<&str> = configs.iter().map(|c| c.pins.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut out = Vec::new();
    for pins in groups {
        let mine: Vec<&Config> = configs.iter().filter(|c| c.pins == pins).collect();
        out.extend(run(repo, &mine, scripts, probes, pythonpath(pins)));
    }
    out
}

fn run(
    repo: &Path,
    configs: &[&Config],
    scripts: &[(String, Vec<Step>)],
    probes: &[f64],
    pythonpath: Option<PathBuf>,
) -> Vec<Value> {
    let pins = |c: &Config| -> Value {
        c.pins.split_whitespace().filter_map(|p| p.split_once("==")).map(|(k, v)| (k.to_string(), json!(v))).collect()
    };
    let request = json!({
        "configs": configs.iter().map(|c| json!({
            "id": c.id, "library": c.library, "source": c.source, "pins": pins(c), "passes": passes(&c.library),
        })).collect::<Vec<_>>(),
        "scripts": scripts.iter().map(|(name, steps)| json!({
            "name": name,
            "steps": steps.iter().map(|s| json!({"error": s.error, "duration": s.duration, "hint": s.hint})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "probes": probes,
    });
    let mut cmd = std::process::Command::new(venv::python(env!("CARGO_MANIFEST_DIR")));
    cmd.arg(repo.join("tests/differential/run_library.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    if let Some(path) = pythonpath {
        assert!(path.is_dir(), "{} is missing (tests/common/venv.rs installs it)", path.display());
        cmd.env("PYTHONPATH", path);
    }
    let mut child = cmd.spawn().expect("run the library harness");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(request.to_string().as_bytes()).expect("write the request");
    }
    let out = child.wait_with_output().expect("harness output");
    assert!(out.status.success(), "the library harness failed (are the pinned libraries installed?)");
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("harness JSON")
}
