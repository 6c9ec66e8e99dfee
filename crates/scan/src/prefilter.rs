//! Byte prefilter: files that cannot contain a finding are not parsed.
//!
//! Provably safe because every rule needs at least one of these words (ASCII case-insensitive) somewhere in
//! the file:
//! - loop and recursion retries (RTY002/003/004/010) need an `except` handler or a sleep/wait call;
//! - retry classes (RTY001) need a retry loop (above) or a decision method, whose names all contain
//!   retr / delay / backoff / wait / sleep / increment / exhausted;
//! - config schemas (RTY006) need attempt or delay fields (retr, attempt, tries, delay, backoff, interval,
//!   wait, jitter, multiplier, factor, expon) or strategy enum members (expon, linear, fixed, fib, constant,
//!   jitter, adaptive, immediate);
//! - circuit breakers (RTY007) need `breaker` or a half-open state;
//! - backoff calculators (RTY008) need a delay/backoff/jitter/wait/interval/fib/retry name or an attempt
//!   parameter (attempt, retr, tries, trial, _try);
//! - library uses (RTY005) need the library's top-level module name in an import;
//! - legacy imports (RTY009) need the last segment of a legacy module or symbol from the plan.

use crate::data::RuleData;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

const WORDS: &[&str] = &[
    "except",
    "sleep",
    "wait",
    "retr",
    "attempt",
    "tries",
    "trial",
    "_try",
    "delay",
    "backoff",
    "jitter",
    "interval",
    "fib",
    "increment",
    "exhausted",
    "breaker",
    "half_open",
    "halfopen",
    "half-open",
    "expon",
    "linear",
    "fixed",
    "constant",
    "adaptive",
    "immediate",
    "multiplier",
    "factor",
];

pub struct Prefilter {
    matcher: AhoCorasick,
}

impl Prefilter {
    pub fn new(data: &RuleData) -> Prefilter {
        let mut words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
        for lib in &data.libraries.libraries {
            for e in &lib.entries {
                words.push(e.split('.').next().unwrap_or(e).to_string());
            }
        }
        for r in &data.plan.redirects {
            let (m, n) = r.from_parts();
            words.push(m.rsplit('.').next().unwrap_or(m).to_string());
            if let Some(n) = n {
                words.push(n.to_string());
            }
        }
        words.sort();
        words.dedup();
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&words)
            .expect("prefilter words compile");
        Prefilter { matcher }
    }

    /// False only when the file provably holds no finding.
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        self.matcher.is_match(bytes)
    }
}
