//! `ScanOptions::after_first_pass` runs once per scan, when every file's analysis is over and before the
//! project pass (the binary returns the workers' freed memory there; called earlier, the parse trees would
//! still be live, later, they would have stayed resident under the whole project pass).

use retry_audit_scan::{scan, RuleData, ScanOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static CALLS: AtomicUsize = AtomicUsize::new(0);
/// The files analysed when the hook ran.
static DONE_AT_CALL: AtomicUsize = AtomicUsize::new(usize::MAX);
static DONE: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();

fn hook() {
    CALLS.fetch_add(1, Ordering::SeqCst);
    DONE_AT_CALL.store(DONE.get().expect("counter").load(Ordering::SeqCst), Ordering::SeqCst);
}

#[test]
fn the_hook_runs_once_after_every_file_is_analysed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/backend_demo");
    let done = DONE.get_or_init(Arc::default).clone();
    let opts = ScanOptions { files_done: Some(done.clone()), after_first_pass: Some(hook), ..Default::default() };
    let result = scan(&[dir], &opts, &RuleData::builtin()).expect("scan");
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    let files = done.load(Ordering::SeqCst);
    assert!(files > 50, "{files}");
    assert_eq!(DONE_AT_CALL.load(Ordering::SeqCst), files);
    // And the scan goes on to its project pass: the sites only the model finds (wrappers) are there.
    assert!(result.findings.iter().any(|f| f.role == Some(retry_audit_scan::finding::Role::Wrapper)));
}
