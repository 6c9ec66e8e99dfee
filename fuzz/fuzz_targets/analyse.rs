//! The per-file analysis on arbitrary bytes: decode, prefilters, depth bound, parse, detection. It must never
//! panic, abort or overflow its stack; every input is either analysed or turned into a diagnostic.
//!
//! `cargo fuzz run analyse -- -max_total_time=60` (from the repository root; `RUSTC_BOOTSTRAP=1` on a stable
//! toolchain). The analysis runs on a thread with the stack size the scanner's pool gives its threads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retry_audit_scan::{analyse_bytes, prefilter::Prefilter, RuleData};
use std::sync::OnceLock;

fn data() -> &'static (RuleData, Prefilter) {
    static DATA: OnceLock<(RuleData, Prefilter)> = OnceLock::new();
    DATA.get_or_init(|| {
        let data = RuleData::builtin();
        let prefilter = Prefilter::new(&data);
        (data, prefilter)
    })
}

fuzz_target!(|bytes: &[u8]| {
    let (data, prefilter) = data();
    retry_audit_scan::pool().install(|| {
        // With and without the prefilters: the whole-file path must hold up too (migrate takes it).
        let _ = analyse_bytes("fuzz/input.py", bytes, data, Some(prefilter));
        let _ = analyse_bytes("fuzz/input.py", bytes, data, None);
    });
});
