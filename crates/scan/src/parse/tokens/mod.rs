//! Token prefilter: runs after the byte prefilter (`crate::prefilter`) and before the full parse, and rejects a
//! file only when its tokens prove that no rule can report anything in it.
//!
//! Why not ruff's lexer: `ruff_python_parser` 0.0.10 exposes only `lexer::lex(..).next_token() -> TokenKind`
//! (token ranges and values are `pub(crate)`), so identifiers cannot be read through it. This module is a small
//! Python tokenizer of its own (comments, string literals with every prefix, f/t-strings with nested fields,
//! brackets, backslash continuations, logical lines and their indentation). It is built to fail open: anything
//! it does not understand (non-ASCII outside strings and comments, an unterminated string, an unbalanced
//! bracket, a stray backslash, indentation that compares differently with tab size 8 and 1) makes it answer
//! "may hold a finding", so the file is parsed as before. Identifiers inside f-string fields count as
//! identifiers (the lowering keeps f-string field expressions), but never as keywords.
//!
//! Structure comes from indentation: every `for`/`while` (at bracket depth 0, so never a comprehension), `def`,
//! `class` and `except` opens a block at the indentation of its logical line; the block lasts while later
//! logical lines are indented deeper. "Inside a loop" etc. below means "while such a block is open", which is
//! a superset of the AST relation the detectors use (they stop at nested defs/classes; this does not).
//!
//! A file may hold a finding only if one of these holds (each is a necessary condition read off the detector
//! code; the file is parsed when any holds):
//!
//! 1. Function rules (RTY002 retry_function, RTY003 sleep_loop, RTY004 retry_decorator_def, RTY010
//!    readiness_probe, and RTY001 through a retrying method) need a function whose loop has a verdict
//!    (`loops::analyse`) or that retries by recursion (`functions::recursion`). Loops are only collected from
//!    function bodies. `loops::analyse` returns no verdict for a `for` whose iterable is not `range(..)`,
//!    `itertools.count` or attempt-named (`names::is_attempt_name`): a *qualifying* loop is a `while`, or a
//!    `for` whose header names `range`, `count` or an attempt word (attempt, retr, tries, try_count, trial,
//!    _try, backoff_count); when `count` appears on an import line (`itertools.count` may be aliased) every
//!    `for` qualifies. A verdict needs `failure_driven` or `result_driven`:
//!    - `failure_driven` needs `continuing_handler`: an `except` clause in the loop body whose exception types
//!      are not all control-flow names (`is_control_flow_handler`: `StopIteration`, `KeyError`, `*Empty*` ...)
//!      and whose body has no direct `return`/`break`/`raise` statement. Token condition **(1a)**: such an
//!      `except` inside a qualifying loop inside a def. Types are read only when they are plain dotted names or
//!      a parenthesised tuple of them; a direct leave is seen only as the first token of a statement at the
//!      handler body's own indentation (or right after the clause's colon); anything else counts as
//!      continuing.
//!    - `result_driven` needs `has_sleep`: a call in the loop body for which `sleeps::is_sleep` holds, or a
//!      same-file helper up to two calls away that makes one. `is_sleep` resolves the callee through import
//!      aliases; the resolved last segment is an identifier written in the file (in the call or in the
//!      import that binds the alias), and it must be `sleep`, `_sleep`, `async_sleep` or `asleep` (every
//!      entry of `SLEEPS` ends in `sleep`), or `wait` on an attribute whose owner (the dotted chain before
//!      `.wait`, unresolved) contains event/stop/shutdown/closed/exit/cancel. Token condition **(1b)**: a
//!      *sleep identifier* anywhere in the file (a `.wait` after a non-name owner such as `)`/`]`, or any
//!      `wait` inside an f-string, counts too) and a qualifying loop inside a def.
//!    - recursion, first form: a `try` in the body plus `handler_waits` (a sleep call or a helper one call
//!      away). Token condition **(1c)**: a sleep identifier anywhere and a `try` inside a def.
//!    - recursion, second form: inside an `except` handler of function `f`, a call of a same-file helper
//!      whose name contains retry/again/attempt (mutual recursion), or of `f` itself (a name or a `self.`/`cls.`
//!      attribute equal to `f`'s name) that passes a counter (an attempt-named argument or keyword), waits, or
//!      is named retry/attempt/reconnect. Token condition **(1d)**: inside an `except` block inside a def, an
//!      identifier containing retry/again/attempt (ASCII case-insensitively), or one equal to an enclosing def's
//!      name containing `reconnect`, or equal to an enclosing def's name with an attempt word in the same
//!      handler block, or equal to an enclosing def's name and a sleep identifier anywhere.
//!    - delegation: a decorator factory whose nested wrapper calls a callee named retry/with_retries
//!      (`functions::delegates_retry`; a same-file retrying callee meets condition 1 itself). Token condition
//!      **(1e)**: an identifier containing `retr` inside a def nested in a def.
//! 2. Class rules without a retrying method (those with one need condition 1). `classes::classify` reads names
//!    written inside the class block: the class name, method names and fields (class-level assignment and
//!    annotation targets, `self.x = ...` in `__init__`):
//!    - strategy enum (RTY006): fields whose upper-cased name (leading `_` dropped) is a `STRATEGY_MEMBERS`
//!      entry;
//!    - circuit breaker (RTY007): a class name containing `breaker`, or `may_be_breaker` (the class *text*
//!      contains half_open/halfopen/half-open) and `counts_failures` (an identifier containing failure_count,
//!      failures, failure_threshold, consecutive_failures, fail_count or error_count), or a breaker kept per
//!      key (`per_key_breaker`), whose failure-recording method grows a timeout with `**` or `<<` and some
//!      identifier of which names a delay (one containing a `CLASS_SUBWORDS` entry: `dead_node_backoff_factor`);
//!    - retry class (RTY001): decision methods (`names::is_retry_method`), or a class name containing
//!      retry/retrier/backoff with a decision method or delay math, or a wait/strategy/policy name with delay
//!      math and a retry field (`is_attempts_param` / `is_delay_param`);
//!    - backoff class (RTY008): a class name containing backoff/wait/jitter/delay/interval and delay math
//!      (`params::is_backoff_arithmetic`) in a method;
//!    - retry config (RTY006): two retry fields.
//!
//!    Token condition **(2)**: inside a class block, a def name for which `is_retry_method` holds, or a
//!    possible field (an identifier followed by `=` or `:` at depth 0, not `==`/`:=`) for which
//!    `is_attempts_param`/`is_delay_param` holds (with and without leading `_`) or that is a strategy member;
//!    or a class name containing `breaker`; or a class name containing retry/retrier/backoff/wait/jitter/
//!    delay/interval with delay arithmetic (3.) inside the class block; or a class, the half-open text anywhere
//!    and a failure-count identifier; or a binary `**` or `<<` inside a def inside a class and an identifier
//!    containing one of `CLASS_SUBWORDS` inside the class. The detector's names are only asked about identifiers that contain one of
//!    `CLASS_SUBWORDS` (a cheap gate: every name of those lists contains one, as `classes::CLASS_WORDS`
//!    assumes too).
//! 3. Backoff functions (RTY008) need a def whose name contains delay/backoff/jitter/wait/sleep_time/interval/
//!    fib/retry/expo/linear or with a parameter for which `names::is_attempt_name` holds, returning (or
//!    yielding, or assigning and returning) delay arithmetic: `params::is_backoff_arithmetic` needs a `**` or
//!    `<<` operator, a call named pow/uniform/random/randint/expovariate, or a `*` with an attempt-named
//!    operand; or a fibonacci-named delay def. Token condition **(3)**: inside a def with such a name (or
//!    such a word in its header after the name): a binary `**` (after an operand: not `**kwargs`), a `<<`, one
//!    of those call names, or a binary `*` and an attempt word; or a def name containing `fib`.
//! 4. Import-driven rules and metrics. Library uses (RTY005) need an import from the library's top-level module
//!    (`imports_from_any`) and a call resolving exactly to an entry point, whose last name is then an
//!    identifier of the file. Legacy imports (RTY009), legacy config constructions (RTY012, a binding from an
//!    import naming the legacy module's last segment or the class) and the canonical-import metric (counted
//!    only over parsed files) need an import naming a plan word. Token condition **(4)**: a library root on an
//!    import line (a logical line after an `import` or `from` keyword) and that library's entry last name
//!    anywhere (any library's, to keep it simple), or a plan word on an import line (`ImportWords`).
//!
//! 5. Pieces of the project model. The model gives roles to definitions no local rule reports: a decision
//!    or calculator an engine calls or that overrides one, a wrapper that forwards to an engine, a preset
//!    signature (`model::roles`). It can only see definitions that were parsed. Token condition **(5)**: a def
//!    or class whose name is a model piece name (`names::is_model_piece_name`: contains `retr` but not
//!    `retriev`, or `exhausted`), a module-level assignment target with such a name, a def header or a class
//!    field naming a retry budget (`names::is_budget_name`: a schema embedding a policy), or a keyword argument
//!    naming a retry limit (`names::is_budget_limit_name`: `client.with_options(max_retries=0)`, a config
//!    site whatever the callee). A module
//!    whose dotted name says retry, backoff, resilience or breaker (`names::is_resilience_module`) is parsed
//!    whole (`analyse_inner`). Unlike 1-4 this is not a necessary condition of a rule but a budget: pieces
//!    named otherwise are reached by the second pass (`analysis::second_pass_files`).
//!
//! RTY011 policy_drift is derived from the findings above and adds no condition of its own.
//!
//! Conditions 1-3 are read per *piece* of the file (a top-level statement, or a member of a top-level class),
//! so that the parser can skip the pieces no condition needs: see `chunks.rs` for the pieces and for the
//! closure (callees, decorator factories, class members) that keeps every piece a kept piece depends on.
//! Condition 4 makes the whole file parsed. Names are asked about only when `gate.rs`'s trigram gate says the
//! identifier may contain a listed word (`GATE_WORDS`).

use crate::parse::chunks::{Call, Chunk, Piece, Scope};
use crate::parse::gate::TrigramGate;

mod blocks;
mod imports;
mod lex;
mod scanner;
mod words;

use blocks::*;
use lex::*;
use scanner::*;
use words::*;

pub use imports::{import_statements, ImportStmt};

/// What the tokens of a file allow the analysis to skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenVerdict {
    /// No rule reports anything in the file (see the module doc).
    Skip,
    /// Parse the file, with these byte ranges blanked (top-level definitions that hold no finding and that no
    /// kept code reaches; see `chunks.rs`); empty: parse it whole.
    Parse(Vec<std::ops::Range<usize>>),
}

/// What the tokens of `src` prove: nothing to find, or which parts the parser may skip (see the module doc).
pub fn token_verdict(src: &str, words: &ImportWords) -> TokenVerdict {
    token_scan(src, words).0
}

/// What the project model still needs of a file the token prefilter skips: who it imports (byte ranges of
/// its import statements) and the names its top-level definitions bind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SkippedFacts {
    pub imports: Vec<std::ops::Range<usize>>,
    pub top_names: Vec<String>,
}

/// Where each top-level statement starts, and whether it is a definition (a `def` or `class` with its
/// decorators); `None` when the tokens are not understood. Read with the prefilter's own scanner, so strings
/// and brackets never cut a statement.
pub fn top_level_pieces(src: &str, words: &ImportWords) -> Option<Vec<(usize, bool)>> {
    let mut s = Scanner::new(src, words);
    s.run().ok()?;
    Some(pieces_of(&s))
}

/// `top_level_pieces` and the verdict from one run of the scanner (a pass that needs both reads the tokens
/// once).
pub fn pieces_and_verdict(src: &str, words: &ImportWords) -> (Option<Vec<(usize, bool)>>, TokenVerdict) {
    let mut s = Scanner::new(src, words);
    match s.run() {
        Ok(()) => {
            let pieces = pieces_of(&s);
            (Some(pieces), s.verdict())
        }
        Err(Unsure) => (None, TokenVerdict::Parse(vec![])),
    }
}

/// The top-level pieces of a finished run (see `top_level_pieces`).
fn pieces_of(s: &Scanner) -> Vec<(usize, bool)> {
    let mut out: Vec<(usize, bool)> = Vec::new();
    let mut last_class = None;
    for (c, _) in &s.chunks {
        match (c.piece, c.class) {
            (_, Some(g)) => {
                if last_class != Some(g) {
                    out.push((c.start, true));
                    last_class = Some(g);
                }
            }
            (Piece::Def, None) => {
                out.push((c.start, true));
                last_class = None;
            }
            _ => {
                out.push((c.start, false));
                last_class = None;
            }
        }
    }
    out.dedup_by_key(|p| p.0);
    out
}

/// The verdict, and for a file it skips, `SkippedFacts`.
pub fn token_scan(src: &str, words: &ImportWords) -> (TokenVerdict, SkippedFacts) {
    let (verdict, facts, _) = token_scan_pieces(src, words, false);
    (verdict, facts)
}

/// `token_scan`, and with `want_pieces` the top-level pieces too (`top_level_pieces`) when the file is not
/// parsed whole: a later pass that parses the pieces mentioning some names then needs no second read of the
/// tokens.
pub fn token_scan_pieces(
    src: &str,
    words: &ImportWords,
    want_pieces: bool,
) -> (TokenVerdict, SkippedFacts, Option<Vec<(usize, bool)>>) {
    let mut s = Scanner::new(src, words);
    match s.run() {
        Ok(()) => {
            let pieces = (want_pieces && !s.file_facts.whole_file()).then(|| pieces_of(&s));
            let verdict = s.verdict();
            let pieces = pieces.filter(|_| verdict != TokenVerdict::Parse(vec![]));
            let facts = if verdict == TokenVerdict::Skip {
                SkippedFacts {
                    imports: std::mem::take(&mut s.import_spans),
                    top_names: s.top_names.iter().map(|n| n.to_string()).collect(),
                }
            } else {
                SkippedFacts::default()
            };
            (verdict, facts, pieces)
        }
        Err(Unsure) => (TokenVerdict::Parse(vec![]), SkippedFacts::default(), None),
    }
}

#[derive(Clone, Copy)]
pub(super) enum Arith {
    Strong,
    Star,
    Attempt,
}

/// Words of condition 4, and the name gate built from them.
#[derive(Debug, Clone)]
pub struct ImportWords {
    /// Top-level module of every library entry point (on an import line).
    pub(super) library_roots: Vec<String>,
    /// Last name of every library entry point (anywhere).
    pub(super) library_names: Vec<String>,
    /// Legacy module segments and symbols, the canonical module's last segment (on an import line).
    pub(super) plan: Vec<String>,
    pub(super) gate: TrigramGate,
}

impl ImportWords {
    pub fn new(library_roots: Vec<String>, library_names: Vec<String>, plan: Vec<String>) -> ImportWords {
        let mut words: Vec<String> = GATE_WORDS.iter().map(|w| w.to_string()).collect();
        words.extend(library_names.iter().cloned());
        let gate = TrigramGate::new(&words);
        ImportWords { library_roots, library_names, plan, gate }
    }
}

#[cfg(test)]
mod tests {

    fn m(src: &str) -> bool {
        let words = super::ImportWords::new(vec!["tenacity".into()], vec!["retry".into()], vec!["legacy_retry".into()]);
        super::token_verdict(src, &words) != super::TokenVerdict::Skip
    }

    #[test]
    fn comments_and_strings_do_not_count() {
        assert!(!m("# def f():\n#   for x in range(3):\n#     try: pass\n#     except E: pass\nx = 'retry sleep'\n"));
        assert!(!m("def f():\n    '''\n    for x in range(3):\n        try:\n            g()\n        except E:\n            pass\n    '''\n"));
    }

    #[test]
    fn except_in_loop() {
        let src =
            "def f():\n    for x in range(3):\n        try:\n            g()\n        except OSError:\n            pass\n";
        assert!(m(src));
        // A handler that leaves, or catches control flow only, cannot make the loop failure-driven.
        assert!(!m(
            "def f():\n    for x in range(3):\n        try:\n            g()\n        except OSError:\n            raise\n"
        ));
        assert!(!m("def f():\n    for x in range(3):\n        try:\n            g()\n        except (KeyError, q.Empty):\n            pass\n"));
        assert!(!m("def f():\n    for x in range(3):\n        try: g()\n        except OSError: return None\n"));
        // The loop is closed before the try.
        assert!(!m(
            "def f():\n    for x in range(3):\n        g()\n    try:\n        g()\n    except OSError:\n        pass\n"
        ));
        // An item loop is never a retry (`loops::analyse` returns early), unless `count` may be aliased.
        let items =
            "def f():\n    for x in y:\n        try:\n            g()\n        except OSError:\n            pass\n";
        assert!(!m(items));
        assert!(m(&format!("from itertools import count as c\n{items}")));
        assert!(m("def f():\n    for attempt in attempts:\n        try:\n            g()\n        except OSError:\n            pass\n"));
        // Not in a def.
        assert!(!m("for x in range(3):\n    try:\n        g()\n    except OSError:\n        pass\n"));
    }

    #[test]
    fn sleeps() {
        assert!(m("import time\ndef f():\n    while True:\n        time.sleep(1)\n"));
        assert!(m("def f():\n    while ok():\n        self._stop_event.wait(1)\n"));
        assert!(!m("def f():\n    while ok():\n        proc.wait()\n"));
        assert!(m("def f():\n    while ok():\n        (self.stop).wait(1)\n"));
        assert!(m("def f():\n    while ok():\n        print(f\"{ev.wait(1)}\")\n"));
    }

    #[test]
    fn recursion_and_classes_and_imports() {
        assert!(m("def fetch(n):\n    try:\n        g()\n    except E:\n        return fetch(attempt + 1)\n"));
        assert!(!m("def fetch(n):\n    try:\n        g()\n    except E:\n        return other(n)\n"));
        // Calling itself from a handler without a counter, a wait or a retry name is a fallback.
        assert!(!m("def fetch(n):\n    try:\n        g()\n    except E:\n        return fetch(n)\n"));
        assert!(m("def fetch(n):\n    try:\n        g()\n    except E:\n        return fetch(attempt=n)\n"));
        assert!(m("class P:\n    max_retries = 3\n"));
        assert!(m("class S(Enum):\n    LINEAR = 1\n"));
        assert!(!m("class S(Enum):\n    LINEARITY = 1\n"));
        assert!(m("from tenacity import retry\n"));
        assert!(!m("from tenacity import stop_after_attempt\n"));
        assert!(!m("x = tenacity\n"));
        assert!(m("from legacy_retry import x\n"));
        assert!(m("def compute_delay(n):\n    return 2 ** n\n"));
        assert!(m("def compute_delay(n):\n    return f\"{2 ** n}\"\n"));
        assert!(!m("def compute_delay(n):\n    return n + 1\n"));
        assert!(m("class ExponentialBackoff:\n    def compute(self, n):\n        return 2 ** n\n"));
        assert!(!m("class ExponentialBackoff:\n    def compute(self, **kw):\n        return f(*kw)\n"));
        assert!(m("class CircuitBreaker:\n    pass\n"));
        assert!(!m("class C:\n    def run(self):\n        self.wait()\n        time.sleep(1)\n"));
        assert!(m("class C:\n    def __init__(self):\n        self._max_retries = 3\n"));
        assert!(!m("class IncrementalEncoder:\n    def encode(self): pass\n"));
        assert!(m("class C:\n    def increment(self): pass\n"));
    }

    #[test]
    fn fstrings_nested_quotes() {
        assert!(!m("x = f\"{a['k']:>{w}} {b!r}\"\ny = rf'\\d{{x}}'\n"));
        assert!(m("def f():\n    for i in range(3):\n        s = f\"{d[\"k\"]}\"\n        try:\n            g()\n        except E:\n            pass\n"));
    }

    /// The cheap gate before the detector's name lists lets every listed name through (copied from
    /// `detect::names`; extend when those lists grow).
    #[test]
    fn class_gate_covers_detector_names() {
        use crate::detect::names::{is_attempts_param, is_delay_param, is_retry_method};
        let methods = "should_retry calculate_delay get_delay compute_delay next_delay get_retry_delay \
            get_backoff_time get_backoff calculate_backoff compute_backoff execute_with_retry call_with_retry retry \
            retry_call run_with_retry with_retry is_retryable sleep_for_retry increment is_exhausted get_wait_time \
            next_backoff delay_for retry_async execute_with_retries retry_operation get_retry_after sleep";
        let attempts = "max_retries max_attempts retries retry_count max_retry attempts max_tries tries \
            retry_attempts num_retries retry_limit max_retry_attempts total_retries retry_times \
            stop_max_attempt_number n_retries retry_max";
        let delays = "base_delay initial_delay retry_delay delay backoff backoff_base initial_backoff min_delay \
            retry_interval retry_backoff wait wait_time retry_wait base_backoff backoff_factor backoff_multiplier \
            multiplier exponential_base max_delay max_backoff backoff_max max_wait jitter jitter_range \
            jitter_enabled use_jitter retry_backoff_max delay_seconds retry_delay_seconds base_delay_seconds \
            max_delay_seconds initial_interval max_interval backoff_seconds exponential_backoff retry_strategy \
            backoff_strategy";
        for (list, f) in
            [(methods, is_retry_method as fn(&str) -> bool), (attempts, is_attempts_param), (delays, is_delay_param)]
        {
            for name in list.split_whitespace() {
                assert!(f(name), "{name} left the detector's list");
                assert!(super::groups(name) & super::G_CLASS_SUB != 0, "{name} does not pass the gate");
                assert!(gated(name), "{name} has no gate word");
            }
        }
    }

    fn gated(name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        super::GATE_WORDS.iter().any(|g| lower.contains(g))
    }

    /// Every word the name lists of the scanner look for contains a gate word.
    #[test]
    fn gate_covers_every_word() {
        let lists: &[&[&str]] = &[
            super::FAILURE_WORDS,
            super::ATTEMPT_WORDS,
            super::CLASS_SUBWORDS,
            super::RECURSION_WORDS,
            super::DEF_NAME_HINTS,
            super::CLASS_NAME_WORDS,
            super::SLEEP_NAMES,
            super::RANDOM_CALLS,
            &["fib", "breaker", "wait", "range", "count"],
        ];
        for w in lists.iter().flat_map(|l| l.iter()) {
            assert!(gated(w), "{w} has no gate word");
        }
        // Library entry names come from the data and join the gate there.
        let words = super::ImportWords::new(vec![], vec!["HTTPAdapter".into()], vec![]);
        let s = super::Scanner::new("x = HTTPAdapter(1)\n", &words);
        assert!(s.gate_hit(4, 15));
        assert!(!s.gate_hit(0, 1));
    }

    /// The lines of the pieces the parser skips, 1-based and inclusive.
    fn skipped_lines(src: &str) -> Vec<(usize, usize)> {
        let words = super::ImportWords::new(vec!["tenacity".into()], vec!["retry".into()], vec![]);
        let super::TokenVerdict::Parse(ranges) = super::token_verdict(src, &words) else { panic!("skipped file") };
        let line = |at: usize| src[..at].matches('\n').count() + 1;
        ranges.iter().map(|r| (line(r.start), line(r.end - 1))).collect()
    }

    #[test]
    fn only_reachable_pieces_are_parsed() {
        let src = "\
import time

def unrelated():
    return 1

def _pause():
    time.sleep(1)

def fetch(n):
    for attempt in range(n):
        try:
            return get()
        except OSError:
            _pause()

class Service:
    def __init__(self):
        self.n = 3

    def status(self):
        return 'ok'

    def call(self):
        while True:
            try:
                return go()
            except OSError:
                pass

class Unused:
    def run(self):
        return 2

def with_fetch(fn):
    def wrapper(*a):
        return fetch(3)
    return wrapper
";
        // `unrelated`, `Service.status` and `Unused` go; the helper `_pause`, the class header and `__init__`
        // of `Service`, and the factory `with_fetch` that calls the retrying `fetch` stay.
        assert_eq!(skipped_lines(src), vec![(3, 5), (20, 22), (30, 33)]);
        // A library import makes the file parsed whole.
        assert_eq!(skipped_lines(&format!("from tenacity import retry\n{src}")), vec![]);
    }

    #[test]
    fn space_runs() {
        for text in ["", " ", "x", "   x", "        ", "         x", "                 \t", " \t ", "ab   "] {
            for i in 0..=text.len() {
                let plain = text.as_bytes()[i..].iter().take_while(|&&c| c == b' ').count();
                assert_eq!(super::space_run(text.as_bytes(), i), plain, "{text:?} at {i}");
            }
        }
    }

    #[test]
    fn fails_open() {
        assert!(m("x = 'unterminated\n"));
        assert!(m("x = (1\n"));
        assert!(m("caf\u{e9} = 1\n"));
    }
}
