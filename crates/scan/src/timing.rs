//! `RETRY_AUDIT_TIMINGS=1` prints, to stderr, the wall time at which each phase of a run ends (milliseconds
//! since the first mark), the CPU time the process has used by then (all threads) and its peak resident memory
//! so far (Linux): where a slow run spends its time, which phases leave a core idle, and which one sets the
//! peak, without a profiler.

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
        eprintln!(
            "[timing] {:>8.1} ms  cpu {:>8.1} ms  peak {:>5} MB  {phase}",
            t.elapsed().as_secs_f64() * 1000.0,
            cpu_ms(),
            peak_mb().map_or("?".to_string(), |m| m.to_string())
        );
    }
}

/// The process's peak resident set so far, in megabytes (Linux: `VmHWM` of `/proc/self/status`).
fn peak_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// CPU time of the whole process so far, in milliseconds (NaN where the platform has no process clock).
#[cfg(unix)]
fn cpu_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
    } else {
        f64::NAN
    }
}

#[cfg(not(unix))]
fn cpu_ms() -> f64 {
    f64::NAN
}
