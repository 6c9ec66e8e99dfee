//! `RETRY_AUDIT_TIMINGS=1` prints, to stderr, the wall time at which each phase of a run ends (milliseconds
//! since the first mark): where a slow run spends its time, without a profiler.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<&'static Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    START.get_or_init(|| std::env::var_os("RETRY_AUDIT_TIMINGS").map(|_| Instant::now())).as_ref()
}

/// Whether the marks are printed (a phase's summary can cost a count).
pub fn enabled() -> bool {
    start().is_some()
}

/// Mark the end of a phase.
pub fn mark(phase: &str) {
    if let Some(t) = start() {
        eprintln!("[timing] {:>8.1} ms  {phase}", t.elapsed().as_secs_f64() * 1000.0);
    }
}
