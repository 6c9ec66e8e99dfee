//! Name vocabularies the detectors weigh. Names are hints, never proof: every rule also checks what the
//! body does (detection-notes: "names lie both ways").

/// The name contains one of the (lower-case) words, ignoring ASCII case. Allocation-free: this runs for every
/// name the detectors look at.
pub fn has_word(name: &str, words: &[&str]) -> bool {
    // The bytes the name holds (ASCII case folded): a word with a byte the name lacks is not in it, and that
    // alone turns away most words of a list before any search (the model asks this of most names it meets).
    let mut present = [0u64; 4];
    for &b in name.as_bytes() {
        let c = b.to_ascii_lowercase();
        present[(c >> 6) as usize] |= 1 << (c & 63);
    }
    let holds = |b: u8| {
        let c = b.to_ascii_lowercase();
        present[(c >> 6) as usize] & (1 << (c & 63)) != 0
    };
    words.iter().any(|w| w.bytes().all(holds) && contains_ignore_case(name, w))
}

/// `hay` contains `needle` (lower-case ASCII), ignoring ASCII case.
pub fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else { return true };
    if h.len() < n.len() {
        return false;
    }
    // Jump between the places where the first byte stands (either case); a whole-window comparison at every
    // place cost tens of instructions each (the scanner, the detectors and the model ask this of most names).
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last = h.len() - n.len();
    let mut from = 0;
    while from <= last {
        let candidates = &h[from..=last];
        let found =
            if lower == upper { memchr::memchr(lower, candidates) } else { memchr::memchr2(lower, upper, candidates) };
        let Some(k) = found else { return false };
        let i = from + k;
        if h[i..i + n.len()].eq_ignore_ascii_case(n) {
            return true;
        }
        from = i + 1;
    }
    false
}

/// Attempt counters: `attempt`, `retries`, `tries_left`, `retry_count`, `n_tries` ...
pub fn is_attempt_name(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    has_word(last, &["attempt", "retr", "tries", "try_count", "trial", "_try", "backoff_count"])
}

/// A name or attribute whose last segment is an attempt counter (`attempt`, `self.retries`); allocation-free.
pub fn is_attempt_ref(e: &crate::syntax::Expr) -> bool {
    matches!(e.kind, crate::syntax::ExprKind::Name(_) | crate::syntax::ExprKind::Attribute { .. })
        && e.last_name().is_some_and(is_attempt_name)
}

/// Loop conditions of periodic monitors and consumers: a running flag or a shutdown event.
pub fn is_running_flag(name: &str) -> bool {
    has_word(
        name,
        &[
            "running",
            "_run",
            "is_run",
            "alive",
            "active",
            "stop",
            "shutdown",
            "closed",
            "closing",
            "cancel",
            "enabled",
            "keep_going",
            "should_continue",
            "started",
            "monitoring",
            "exit",
            "quit",
            "terminate",
            "done",
            "finish",
        ],
    )
}

/// Names that say "this is the state a poll waits for".
pub fn is_state_name(name: &str) -> bool {
    has_word(name, &["status", "state", "phase", "ready", "done", "complete", "finished", "available", "healthy"])
}

/// Parameter / field names that carry retry policy.
pub fn is_attempts_param(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "max_retries"
            | "max_attempts"
            | "retries"
            | "retry_count"
            | "max_retry"
            | "attempts"
            | "max_tries"
            | "tries"
            | "retry_attempts"
            | "num_retries"
            | "retry_limit"
            | "max_retry_attempts"
            | "total_retries"
            | "retry_times"
            | "stop_max_attempt_number"
            | "n_retries"
            | "retry_max"
    )
}

pub fn is_delay_param(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "base_delay"
            | "initial_delay"
            | "retry_delay"
            | "delay"
            | "backoff"
            | "backoff_base"
            | "initial_backoff"
            | "min_delay"
            | "retry_interval"
            | "retry_backoff"
            | "wait"
            | "wait_time"
            | "retry_wait"
            | "base_backoff"
            | "backoff_factor"
            | "backoff_multiplier"
            | "multiplier"
            | "exponential_base"
            | "max_delay"
            | "max_backoff"
            | "backoff_max"
            | "max_wait"
            | "jitter"
            | "jitter_range"
            | "jitter_enabled"
            | "use_jitter"
            | "retry_backoff_max"
            | "delay_seconds"
            | "retry_delay_seconds"
            | "base_delay_seconds"
            | "max_delay_seconds"
            | "initial_interval"
            | "max_interval"
            | "backoff_seconds"
            | "exponential_backoff"
            | "retry_strategy"
            | "backoff_strategy"
    )
}

/// Methods that make retry decisions or run retries.
pub fn is_retry_method(name: &str) -> bool {
    let l = name.trim_start_matches('_').to_ascii_lowercase();
    matches!(
        l.as_str(),
        "should_retry"
            | "calculate_delay"
            | "get_delay"
            | "compute_delay"
            | "next_delay"
            | "get_retry_delay"
            | "get_backoff_time"
            | "get_backoff"
            | "calculate_backoff"
            | "compute_backoff"
            | "execute_with_retry"
            | "call_with_retry"
            | "retry"
            | "retry_call"
            | "run_with_retry"
            | "with_retry"
            | "is_retryable"
            | "sleep_for_retry"
            | "increment"
            | "is_exhausted"
            | "get_wait_time"
            | "next_backoff"
            | "delay_for"
            | "retry_async"
            | "execute_with_retries"
            | "retry_operation"
            | "get_retry_after"
            | "sleep"
    )
}

/// Members of a retry-strategy `Enum` (RTY006), compared upper-case. Shared by the class detector and the
/// token prefilter, so the prefilter can never miss a member the detector counts.
pub const STRATEGY_MEMBERS: &[&str] = &[
    "EXPONENTIAL",
    "LINEAR",
    "FIXED",
    "FIBONACCI",
    "CONSTANT",
    "EXPONENTIAL_JITTER",
    "JITTER",
    "ADAPTIVE",
    "IMMEDIATE",
    "EXPONENTIAL_BACKOFF",
    "LINEAR_BACKOFF",
    "FIXED_DELAY",
    "NO_RETRY",
    "DECORRELATED_JITTER",
    "FULL_JITTER",
];

/// Exceptions whose handler is control flow, not failure recovery (any name containing `Empty` too: "no data
/// yet" makes a loop a poll). Shared by the loop analysis and the token prefilter.
pub const CONTROL_FLOW_EXCEPTIONS: &[&str] = &[
    "StopIteration",
    "StopAsyncIteration",
    "KeyError",
    "IndexError",
    "QueueEmpty",
    "Empty",
    "CancelledError",
    "KeyboardInterrupt",
    "GeneratorExit",
    "WouldBlock",
    "BlockingIOError",
];

/// The words of a decision name (`is_decision_name`).
const DECISION_WORDS: &[&str] = &[
    "should_retry",
    "is_retryable",
    "is_retriable",
    "retryable",
    "retriable",
    "can_retry",
    "needs_retry",
    "is_retry",
    "is_transient",
    "if_exception_type",
    "if_transient",
    "is_exhausted",
];

/// A name that says "this decides whether to retry".
pub fn is_decision_name(name: &str) -> bool {
    let n = name.trim_start_matches('_');
    // Every word below contains `retr`, `transient`, `exhausted` or `if_exception_type`: one pass turns the
    // other names away before twelve searches (the model asks this of most names it meets).
    if !has_decision_root(n.as_bytes()) {
        return false;
    }
    has_word(n, DECISION_WORDS)
}

/// A class named for a record (`CircuitBreakerStats`, `RetryMetrics`, `ReconnectingEvent`,
/// `CircuitBreakerAlert`, `MonitorEventAdapter`): the record noun ends the name, or it monitors.
pub fn is_record_class_name(name: &str) -> bool {
    const RECORDS: &[&str] = &[
        "stats",
        "statistics",
        "metrics",
        "metric",
        "event",
        "alert",
        "status",
        "record",
        "history",
        "snapshot",
        "telemetry",
        "report",
        "monitor",
    ];
    let l = name.to_ascii_lowercase();
    RECORDS.iter().any(|r| l.ends_with(r)) || l.starts_with("monitor")
}

/// A module whose dotted name says it is about retrying (`google.api_core.retry.retry_base`,
/// `botocore.retries.standard`, `acme.core.resilience.backoff`): all of it is pieces of the retry system, and
/// its numbers are presets.
pub fn is_retry_module(module: &str) -> bool {
    module.split('.').any(|m| {
        (contains_ignore_case(m, "retr") && !contains_ignore_case(m, "retriev"))
            || has_word(m, &["backoff", "resilien"])
    })
}

/// A retry module or a breaker module (`resilience.circuit_breaker`, `sdk.breakers`): the prefilter parses
/// it whole, since every definition in it may be a piece of the system (a registry accessor named otherwise).
pub fn is_resilience_module(module: &str) -> bool {
    is_retry_module(module) || module.split('.').any(|m| has_word(m, &["breaker"]))
}

/// A name that holds an attempt budget (`max_retries`, `num_attempts`, `retries`; not `retry_policy`).
pub fn is_budget_name(name: &str) -> bool {
    // Every name below contains `retr`, `attempt` or `tries`: one pass over the bytes turns the others away
    // before the splits (the model asks this of most names it meets).
    if !has_budget_word(name.as_bytes()) {
        return false;
    }
    // `_RETRIES_EXCEEDED_ERROR_CLS`, `max_retries_message` name what happens when it runs out, not the budget.
    let about_it = name.split('_').any(|w| {
        ["error", "exceeded", "cls", "exception", "msg", "message", "exc"].iter().any(|x| w.eq_ignore_ascii_case(x))
    });
    !about_it
        && (is_attempts_param(name.trim_start_matches('_'))
            || name.split('_').any(|w| {
                w.eq_ignore_ascii_case("retries")
                    || w.eq_ignore_ascii_case("attempts")
                    || w.eq_ignore_ascii_case("tries")
            }))
}

/// A retry budget that is a limit (`max_retries`, `retries`, `num_tries`, `total_attempts`), not a counter
/// (`attempts=0` reset on a job record): what a call site writes to configure the retry behind it.
pub fn is_budget_limit_name(name: &str) -> bool {
    is_budget_name(name)
        && name
            .split('_')
            .any(|w| ["max", "retries", "tries", "num", "total", "limit"].iter().any(|x| w.eq_ignore_ascii_case(x)))
}

/// A definition the project model may give a role although no local rule reports it (token prefilter condition
/// 5): a def or class named for retrying (`RetryHandler`, `_can_retry`, `_request_with_retries_internal`;
/// not `retrieve_user`), for a decision (`is_exhausted`) or for a breaker (`get_breaker`).
pub fn is_model_piece_name(name: &str) -> bool {
    // One pass over the bytes, each word tried only where its first letter stands (the scanner and the model
    // ask this of every def and class name).
    let b = name.as_bytes();
    let (mut retr, mut retriev) = (false, false);
    for i in 0..b.len() {
        // `| 0x20` lower-cases a letter; only `R`/`r`, `E`/`e`, `B`/`b` map to these.
        match b[i] | 0x20 {
            b'r' if at_ignore_case(b, i, b"retr") => {
                retr = true;
                retriev |= at_ignore_case(b, i, b"retriev");
            }
            b'e' if at_ignore_case(b, i, b"exhausted") => return true,
            b'b' if at_ignore_case(b, i, b"breaker") => return true,
            _ => {}
        }
    }
    retr && !retriev
}

/// `word` (lower-case ASCII) stands at `b[i..]`, ignoring ASCII case.
fn at_ignore_case(b: &[u8], i: usize, word: &[u8]) -> bool {
    b.get(i..i + word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word))
}

/// `retr`, `transient`, `exhausted` or `if_exception_type` somewhere in `b`, ignoring ASCII case (see
/// `is_decision_name`).
fn has_decision_root(b: &[u8]) -> bool {
    (0..b.len()).any(|i| match b[i] | 0x20 {
        b'r' => at_ignore_case(b, i, b"retr"),
        b't' => at_ignore_case(b, i, b"transient"),
        b'e' => at_ignore_case(b, i, b"exhausted"),
        b'i' => at_ignore_case(b, i, b"if_exception_type"),
        _ => false,
    })
}

/// `retr`, `attempt` or `tries` somewhere in `b`, ignoring ASCII case (see `is_budget_name`).
fn has_budget_word(b: &[u8]) -> bool {
    (0..b.len()).any(|i| match b[i] | 0x20 {
        b'r' => at_ignore_case(b, i, b"retr"),
        b'a' => at_ignore_case(b, i, b"attempt"),
        b't' => at_ignore_case(b, i, b"tries"),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass forms answer as the plain ones they replaced.
    #[test]
    fn one_pass_name_tests_match_their_plain_forms() {
        let model_piece = |n: &str| {
            (contains_ignore_case(n, "retr") && !contains_ignore_case(n, "retriev"))
                || contains_ignore_case(n, "exhausted")
                || contains_ignore_case(n, "breaker")
        };
        let budget_word = |n: &str| ["retr", "attempt", "tries"].iter().any(|w| contains_ignore_case(n, w));
        let names = [
            "",
            "r",
            "retr",
            "RETR",
            "Retry",
            "retrieve",
            "retrieve_and_retry",
            "RetrieverRetry",
            "is_exhausted",
            "EXHAUSTED",
            "get_breaker",
            "CircuitBreaker",
            "max_retries",
            "MAX_ATTEMPTS",
            "n_tries",
            "Tries",
            "countries",
            "attempt",
            "attemp",
            "tri",
            "self",
            "_RETRIES_EXCEEDED_ERROR_CLS",
            "max_retries_message",
            "stop_max_attempt_number",
            "entries",
            "breake",
            "exhauste",
            "rétry",
            "r\u{e9}tr",
        ];
        let plain_contains = |h: &str, n: &str| {
            n.is_empty()
                || (h.len() >= n.len() && h.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n.as_bytes())))
        };
        for n in names {
            for w in ["", "r", "retr", "_try", "tries", "exhausted", "\u{e9}"] {
                assert_eq!(contains_ignore_case(n, w), plain_contains(n, w), "{n} {w}");
            }
            assert_eq!(is_model_piece_name(n), model_piece(n), "{n}");
            let lists: [&[&str]; 3] = [&["retr", "Tries", "_try"], &["", "x"], &["\u{e9}", "breaker"]];
            for words in lists {
                assert_eq!(has_word(n, words), words.iter().any(|w| plain_contains(n, w)), "{n} {words:?}");
            }
            assert_eq!(has_budget_word(n.as_bytes()), budget_word(n), "{n}");
        }
        let decision_words = super::DECISION_WORDS;
        for w in decision_words {
            assert!(has_decision_root(w.as_bytes()), "{w} has no decision root");
            assert!(is_decision_name(w) && is_decision_name(&format!("_{}", w.to_ascii_uppercase())), "{w}");
        }
        assert!(!is_decision_name("retrieve") && !is_decision_name("transient_error_count"));
        assert!(is_budget_name("max_retries") && is_budget_name("_NUM_ATTEMPTS") && !is_budget_name("retry_policy"));
        assert!(!is_budget_name("max_retries_message") && !is_budget_name("timeout"));
    }
}
