//! The plan's three phases on a small package with its own pytest tests written against the legacy API
//! (`fixtures/shims`): shims (`--shims`: the safe ones, then the unsafe one), redirects, deletion
//! (`--delete-unused`). The tests pass before and after each phase; each shim comes out as
//! `fixtures/shims_expected` says, byte for byte, and warns once; a last run has nothing left to do; the legacy
//! engines that keep a loop of their own go from four to none.

mod common;
#[path = "common/venv.rs"]
mod venv;

use assert_cmd::Command;
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh copy of the shims package (`fixtures/shims`), removed when dropped.
fn shims_package() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&repo().join("fixtures/shims"), tmp.path());
    tmp
}

/// (exit code, stdout, stderr) of `retry-audit migrate --plan plan.toml ARGS .` in `dir`.
fn migrate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(dir)
        .args(["migrate", "--plan", "plan.toml"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The package's own tests (the fixture's 8), run by the venv's pytest: they must all pass.
fn pytest(dir: &Path, when: &str) {
    pytest_expect(dir, when, 8);
}

/// The package's tests, `passed` of them, run by the venv's pytest: they must all pass.
fn pytest_expect(dir: &Path, when: &str, passed: usize) {
    let out = std::process::Command::new(venv::python(env!("CARGO_MANIFEST_DIR")))
        .current_dir(dir)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .output()
        .expect("pytest runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{when}: the package's tests fail\n{report}{}", String::from_utf8_lossy(&out.stderr));
    // The summary line starts with the count ("9 passed in 0.12s"): 18 passed is not 8.
    assert!(report.lines().any(|l| l.starts_with(&format!("{passed} passed"))), "{when}: {report}");
}

/// `retry-audit inventory --plan plan.toml --format json .` in `dir`.
fn inventory(dir: &Path) -> serde_json::Value {
    let out = Command::cargo_bin("retry-audit")
        .unwrap()
        .current_dir(dir)
        .args(["inventory", "--plan", "plan.toml", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The SSOT metrics `(consolidated_implementations, legacy_engines_with_own_loop)`.
fn consolidation(dir: &Path) -> (u64, u64) {
    let v = inventory(dir);
    let m = &v["metrics"];
    (m["consolidated_implementations"].as_u64().unwrap(), m["legacy_engines_with_own_loop"].as_u64().unwrap())
}

/// Legacy engines (role `engine` outside the canonical module) with a loop of their own.
fn legacy_engines(dir: &Path) -> Vec<String> {
    inventory(dir)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["role"] == "engine" && !f["path"].as_str().unwrap().starts_with("shopapp/resilience/"))
        .map(|f| f["symbol"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shims_then_redirects_then_deletion_keep_the_package_tests_passing() {
    let tmp = shims_package();
    let dir = tmp.path();
    pytest(dir, "before");
    assert_eq!(
        legacy_engines(dir),
        [
            "shopapp.legacy.agent_retry.AgentRetryManager",
            "shopapp.legacy.agent_retry.AgentRetryManager.execute_with_retry",
            "shopapp.legacy.batch.load_with_retry",
            "shopapp.legacy.db_retry.retry_db_call",
        ]
    );
    assert_eq!(consolidation(dir), (0, 4));

    // Without --shims only the redirect is pending (shims are asked for).
    let (code, stdout, stderr) = migrate(dir, &["--check"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(stderr.contains("fixes by applicability: 1 safe, 0 unsafe, 0 skipped"), "{stderr}");

    let unused_before = venv::unused_imports(env!("CARGO_MANIFEST_DIR"), dir);

    // Phase 1, shims.
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("fixes by applicability: 3 safe, 1 unsafe, 0 skipped"), "{stderr}");
    assert!(
        stderr.contains(
            "shopapp/legacy/agent_retry.py:13: RTY002 shim: unsafe fix not applied without --unsafe-fixes: shim: \
             `AgentRetryManager.execute_with_retry` delegates to \
             `shopapp.resilience.manager.UnifiedRetryManager.execute_async` (differs: drops `logger.warning` on each failure)"
        ),
        "{stderr}"
    );
    // The safe shims (the exact ones), then the unsafe one.
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("3 fix(es) applied to 3 file(s) (shim 3)"), "{stderr}");
    pytest(dir, "after the safe shims");
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--unsafe-fixes", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    pytest(dir, "after the unsafe shims");
    let expected = repo().join("fixtures/shims_expected");
    for name in ["db_retry.py", "agent_retry.py", "decorators.py", "batch.py"] {
        let got = std::fs::read_to_string(dir.join("shopapp/legacy").join(name)).unwrap();
        let want = std::fs::read_to_string(expected.join("shopapp/legacy").join(name)).unwrap();
        assert_eq!(got, want, "{name}");
    }
    // No legacy loop is left (the batch loader's report before its loop stays, run once as before).
    assert_eq!(legacy_engines(dir), Vec::<String>::new());
    // All four shims count as consolidated (the decorator's hands off from its nested wrapper).
    assert_eq!(consolidation(dir), (4, 0));

    // Phase 2, redirects: the legacy Enum's callers import the canonical one.
    let (code, _, stderr) = migrate(dir, &["--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 fix(es) applied to 1 file(s) (import_redirect 1)"), "{stderr}");
    let orders = std::fs::read_to_string(dir.join("shopapp/services/orders.py")).unwrap();
    assert!(orders.contains("from shopapp.resilience.manager import RetryStrategy\n"), "{orders}");
    pytest(dir, "after the redirects");

    // Phase 3, deletion: nothing imports the legacy strategy module any more.
    let (code, stdout, stderr) = migrate(dir, &["--delete-unused", "--apply"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!dir.join("shopapp/legacy/strategies.py").exists(), "{stderr}");
    pytest(dir, "after the deletion");

    // No phase left an unused import behind (F401, by the real ruff).
    assert_eq!(venv::unused_imports(env!("CARGO_MANIFEST_DIR"), dir), unused_before);

    // Done: nothing left, a second run changes nothing.
    let (code, stdout, stderr) = migrate(dir, &["--shims", "--unsafe-fixes", "--delete-unused", "--check"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");

    // Each shim warns once, naming the canonical API.
    let out = std::process::Command::new(venv::python(env!("CARGO_MANIFEST_DIR")))
        .current_dir(dir)
        .args([
            "-c",
            "import warnings\nfrom shopapp.legacy.db_retry import retry_db_call\n\
             with warnings.catch_warnings(record=True) as seen:\n    warnings.simplefilter('always')\n\
             \x20   retry_db_call(lambda: 1)\n    retry_db_call(lambda: 2)\n\
             print([(w.category.__name__, str(w.message)) for w in seen])",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "[('DeprecationWarning', 'retry_db_call is deprecated: it delegates to \
         shopapp.resilience.manager.UnifiedRetryManager.execute')]\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Without `[canonical.engine]`, the manager, its run methods, the config and its keywords are read off the
/// canonical module's source: the same shims as the declared engine.
#[test]
fn the_canonical_engine_is_read_off_the_source_when_the_plan_does_not_name_it() {
    let tmp = shims_package();
    let dir = tmp.path();
    let plan = std::fs::read_to_string(dir.join("plan.toml")).unwrap();
    let (start, end) = (plan.find("[canonical.engine]").unwrap(), plan.find("[[entries]]").unwrap());
    std::fs::write(dir.join("plan.toml"), format!("{}{}", &plan[..start], &plan[end..])).unwrap();
    let (code, derived, stderr) = migrate(dir, &["--shims", "--unsafe-fixes", "--diff"]);
    assert_eq!(code, 0, "{stderr}");
    common::copy_dir(&repo().join("fixtures/shims"), dir);
    let (_, declared, _) = migrate(dir, &["--shims", "--unsafe-fixes", "--diff"]);
    assert!(derived.contains("_retry_handler = UnifiedRetryManager("), "{derived}");
    assert_eq!(derived, declared);
}

/// What a shim would drop is named, and makes it unsafe; what it cannot keep at all is skipped with the reason.
#[test]
fn shims_name_what_they_drop_and_skip_what_they_cannot_keep() {
    let tmp = shims_package();
    let dir = tmp.path();
    for f in ["agent_retry.py", "db_retry.py", "decorators.py", "batch.py"] {
        std::fs::remove_file(dir.join("shopapp/legacy").join(f)).unwrap();
    }
    std::fs::remove_dir_all(dir.join("tests")).unwrap();
    let legacy = "import time\n\n\nclass Client:\n    def __init__(self, retries=3):\n        self.retries = retries\n\n    \
                  def should_retry(self, exc):\n        return not isinstance(exc, PermissionError)\n\n    \
                  def call(self, op):\n        for attempt in range(self.retries):\n            try:\n                return op()\n            \
                  except OSError as exc:\n                if not self.should_retry(exc) or attempt == self.retries - 1:\n                    raise\n                \
                  time.sleep(0.5)\n\n    def stream(self, op):\n        for attempt in range(self.retries):\n            try:\n                \
                  yield op()\n                return\n            except OSError:\n                time.sleep(1)\n\n    \
                  def local_url(self, op, path):\n        url = \"/api/\" + path\n        for attempt in range(self.retries):\n            try:\n                \
                  return op(url)\n            except OSError:\n                time.sleep(1)\n";
    std::fs::write(dir.join("shopapp/legacy/client.py"), legacy).unwrap();
    let plan = std::fs::read_to_string(dir.join("plan.toml")).unwrap();
    let plan = plan.replace("shopapp/legacy/db_retry.py", "shopapp/legacy/client.py");
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    let (code, _, stderr) = migrate(dir, &["--shims"]);
    assert_eq!(code, 0, "{stderr}");
    for want in [
        "shopapp/legacy/client.py:11: RTY002 shim: unsafe fix not applied without --unsafe-fixes: shim: `Client.call` \
         delegates to `shopapp.resilience.manager.UnifiedRetryManager.execute` (differs: drops the call \
         `self.should_retry` the loop makes)",
        // Named by its line in the file as it is, though the dry run's later pass saw it moved.
        "shopapp/legacy/client.py:20: RTY002 shim: a generator; a shim replaces a function that returns",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in\n{stderr}");
    }
    // What runs before the loop stays (the attempt reads it); the loop goes.
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    let client = std::fs::read_to_string(dir.join("shopapp/legacy/client.py")).unwrap();
    assert!(
        client.contains("        url = \"/api/\" + path\n        _warn_legacy_retry(\"Client.local_url\"")
            && client.contains("return _retry_handler.execute(lambda: op(url))"),
        "{client}"
    );
}

/// A canonical manager that hands back a result object (`RetryResult(success, result, final_exception)`) and
/// takes a service name before its config: the shims pass the config by name and unwrap the result through its
/// fields (unsafe: the fields are read by name), and the package's tests still pass.
#[test]
fn a_manager_returning_result_objects_is_unwrapped_by_its_fields() {
    let tmp = shims_package();
    let dir = tmp.path();
    std::fs::copy(repo().join("fixtures/shims_result_canonical/manager.py"), dir.join("shopapp/resilience/manager.py"))
        .unwrap();
    let plan = std::fs::read_to_string(dir.join("plan.toml")).unwrap();
    let (start, end) = (plan.find("[canonical.engine]").unwrap(), plan.find("[[entries]]").unwrap());
    std::fs::write(dir.join("plan.toml"), format!("{}{}", &plan[..start], &plan[end..])).unwrap();
    pytest(dir, "before");
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--unsafe-fixes", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("4 fix(es) applied to 4 file(s) (shim 4)"), "{stderr}");
    let db = std::fs::read_to_string(dir.join("shopapp/legacy/db_retry.py")).unwrap();
    assert!(
        db.contains(
            "    _retry_handler = UnifiedRetryHandler(\n        config=RetryConfig(\n            max_attempts=max_attempts,\n"
        ) && db.contains(
            "    _outcome = _retry_handler.execute_with_retry(lambda: func(*args, **kwargs))\n    \
             if not _outcome.success:\n        raise _outcome.final_exception\n    return _outcome.result\n"
        ),
        "{db}"
    );
    pytest(dir, "after the shims");
}

/// `init` writes the `[canonical.engine]` it reads off the canonical module, and the plan it writes drives the
/// shims: from a tree without a plan to the package's tests passing on shims, in three commands.
#[test]
fn init_proposes_the_engine_the_shims_use() {
    let tmp = shims_package();
    let dir = tmp.path();
    std::fs::remove_file(dir.join("plan.toml")).unwrap();
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("retry-audit").unwrap().current_dir(dir).args(args).output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = run(&["init", "--canonical", "shopapp.resilience.manager", "."]);
    assert_eq!(code, 0, "{stderr}");
    let config = std::fs::read_to_string(dir.join("retry-audit.toml")).unwrap();
    assert!(
        config.contains(
            "[plan.canonical.engine]\nhandler = \"UnifiedRetryManager\"\nrun = \"execute\"\nrun_other = \"execute_async\"\n\
             config = \"RetryConfig\"\nstrategy_enum = \"RetryStrategy\"\n"
        ),
        "{config}"
    );
    let (code, stderr) = run(&["migrate", "--shims", "--select", "shim", "--unsafe-fixes", "--apply", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("4 fix(es) applied to 4 file(s) (shim 4)"), "{stderr}");
    pytest(dir, "after the shims of an init plan");
}

/// A test that patches what a legacy loop uses through the legacy module (`patch("...db_retry.time.sleep")`,
/// a mock whose calls it then counts) keeps that loop: after a shim the canonical manager would make the waits
/// and the mock would see none. The shim is skipped with the reason; the others are made and every test passes.
#[test]
fn a_loop_whose_waits_tests_patch_through_its_module_keeps_its_loop() {
    let tmp = shims_package();
    let dir = tmp.path();
    std::fs::write(
        dir.join("tests/test_patched_sleep.py"),
        "from unittest import mock\n\nfrom shopapp.legacy.db_retry import retry_db_call\n\n\n\
         def test_waits_are_patched_through_the_module():\n\
         \x20   calls = []\n\n\
         \x20   def op():\n\
         \x20       calls.append(1)\n\
         \x20       if len(calls) < 3:\n\
         \x20           raise ConnectionError('down')\n\
         \x20       return 'ok'\n\n\
         \x20   with mock.patch(\"shopapp.legacy.db_retry.time.sleep\") as slept:\n\
         \x20       assert retry_db_call(op, max_attempts=3, delay=0.5) == 'ok'\n\
         \x20   assert [c.args for c in slept.call_args_list] == [(0.5,), (1.0,)]\n",
    )
    .unwrap();
    pytest_expect(dir, "before", 9);
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "shopapp/legacy/db_retry.py:5: RTY002 shim: the test module `test_patched_sleep` patches \
             `shopapp.legacy.db_retry.time.sleep`, which the loop uses through this module"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("fixes by applicability: 2 safe, 1 unsafe, 1 skipped"), "{stderr}");
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--unsafe-fixes", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("3 fix(es) applied to 3 file(s) (shim 3)"), "{stderr}");
    let db = std::fs::read_to_string(dir.join("shopapp/legacy/db_retry.py")).unwrap();
    assert!(db.contains("time.sleep(delay * 2 ** attempt)"), "{db}");
    pytest_expect(dir, "after the shims", 9);
}

/// A legacy function that gives up with its own error (`raise GatewayUnavailable(...) from last_error` after
/// its loop) keeps it: the shim raises it from the canonical manager's last error, errors the loop re-raised at
/// once pass through unchanged, and the shim is exact (safe). The package's tests, which check the error and
/// its cause, pass after it.
#[test]
fn a_legacy_error_raised_when_attempts_run_out_is_kept() {
    let tmp = shims_package();
    let dir = tmp.path();
    let legacy =
        "\"\"\"Payment calls, retried until they give up with the gateway's own error.\"\"\"\nimport time\n\n\n\
                  class GatewayUnavailable(Exception):\n    \"\"\"Raised when every attempt failed.\"\"\"\n\n\n\
                  def charge_with_retry(charge, amount, max_attempts=3, delay=0.2):\n\
                  \x20   last_error = None\n\
                  \x20   for attempt in range(max_attempts):\n\
                  \x20       try:\n\
                  \x20           return charge(amount)\n\
                  \x20       except ValueError:\n\
                  \x20           raise\n\
                  \x20       except (ConnectionError, TimeoutError) as e:\n\
                  \x20           last_error = e\n\
                  \x20           if attempt < max_attempts - 1:\n\
                  \x20               time.sleep(delay * 2 ** attempt)\n\
                  \x20   raise GatewayUnavailable(\n\
                  \x20       f\"gave up charging {amount}\"\n\
                  \x20   ) from last_error\n\n\n\
                  def refund_with_retry(refund, amount, max_attempts=3):\n\
                  \x20   for attempt in range(max_attempts):\n\
                  \x20       try:\n\
                  \x20           return refund(amount)\n\
                  \x20       except ConnectionError as e:\n\
                  \x20           if attempt == max_attempts - 1:\n\
                  \x20               raise GatewayUnavailable(f\"gave up refunding {amount}\") from e\n\
                  \x20           time.sleep(1.0)\n";
    std::fs::write(dir.join("shopapp/legacy/payments.py"), legacy).unwrap();
    std::fs::write(
        dir.join("tests/test_payments.py"),
        "import time\n\nimport pytest\n\nfrom shopapp.legacy.payments import GatewayUnavailable, charge_with_retry, \
         refund_with_retry\n\n\n\
         def test_refund_gives_up_with_its_own_error(monkeypatch):\n\
         \x20   waited = []\n\
         \x20   monkeypatch.setattr(time, 'sleep', waited.append)\n\n\
         \x20   def refund(amount):\n\
         \x20       raise ConnectionError('down')\n\n\
         \x20   with pytest.raises(GatewayUnavailable, match='gave up refunding 5') as info:\n\
         \x20       refund_with_retry(refund, 5)\n\
         \x20   assert isinstance(info.value.__cause__, ConnectionError)\n\
         \x20   assert waited == [1.0, 1.0]\n\n\n\
         def test_gives_up_with_its_own_error(monkeypatch):\n\
         \x20   waited = []\n\
         \x20   monkeypatch.setattr(time, 'sleep', waited.append)\n\n\
         \x20   def charge(amount):\n\
         \x20       raise ConnectionError('down')\n\n\
         \x20   with pytest.raises(GatewayUnavailable, match='gave up charging 5') as info:\n\
         \x20       charge_with_retry(charge, 5)\n\
         \x20   assert isinstance(info.value.__cause__, ConnectionError)\n\
         \x20   assert waited == [0.2, 0.4]\n\n\n\
         def test_a_value_error_passes_through():\n\
         \x20   def charge(amount):\n\
         \x20       raise ValueError('bad amount')\n\n\
         \x20   with pytest.raises(ValueError):\n\
         \x20       charge_with_retry(charge, 5)\n",
    )
    .unwrap();
    let mut plan = std::fs::read_to_string(dir.join("plan.toml")).unwrap();
    plan.push_str(
        "\n[[entries]]\nid = \"payments\"\ncategory = \"core\"\npath = \"shopapp/legacy/payments.py\"\n\
         type = \"Payment retry\"\nstatus = \"ACTIVE\"\nusage = \"charge_with_retry\"\n",
    );
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    pytest_expect(dir, "before", 11);
    let (code, _, stderr) = migrate(dir, &["--shims", "--select", "shim", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("5 fix(es) applied to 4 file(s) (shim 5)"), "{stderr}");
    let shim = std::fs::read_to_string(dir.join("shopapp/legacy/payments.py")).unwrap();
    // The error raised in the handler on the last attempt, too.
    let refund = "    try:\n        return _retry_handler.execute(lambda: refund(amount))\n    except (ConnectionError,) as e:\n        \
                  raise GatewayUnavailable(f\"gave up refunding {amount}\") from e\n";
    assert!(shim.ends_with(refund), "{shim}");
    let tail = "    try:\n        return _retry_handler.execute(lambda: charge(amount))\n    except (ValueError,):\n        \
                raise\n    except (ConnectionError, TimeoutError) as last_error:\n        raise GatewayUnavailable(\n            \
                f\"gave up charging {amount}\"\n        ) from last_error\n";
    assert!(shim.contains(&format!("{tail}\n\n")), "{shim}");
    pytest_expect(dir, "after the shims", 11);
}
