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
//!      failures, failure_threshold, consecutive_failures, fail_count or error_count);
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
//!    and a failure-count identifier. The detector's names are only asked about identifiers that contain one of
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
//! RTY011 policy_drift is derived from the findings above and adds no condition of its own.
//!
//! Conditions 1-3 are read per *piece* of the file (a top-level statement, or a member of a top-level class),
//! so that the parser can skip the pieces no condition needs: see `chunks.rs` for the pieces and for the
//! closure (callees, decorator factories, class members) that keeps every piece a kept piece depends on.
//! Condition 4 makes the whole file parsed. Names are asked about only when `gate.rs`'s trigram gate says the
//! identifier may contain a listed word (`GATE_WORDS`).

use super::chunks::{Call, Chunk, Piece, Scope};
use super::gate::TrigramGate;

const SLEEP_NAMES: &[&str] = &["sleep", "_sleep", "async_sleep", "asleep"];
const WAIT_OWNER_WORDS: &[&str] = &["event", "stop", "shutdown", "closed", "exit", "cancel"];
const RECURSION_WORDS: &[&str] = &["retry", "again", "attempt"];
/// Sub-words of every class-role name (see 2.).
const CLASS_SUBWORDS: &[&str] = &[
    "retr",
    "delay",
    "backoff",
    "increment",
    "exhausted",
    "wait",
    "sleep",
    "attempt",
    "tries",
    "multiplier",
    "expon",
    "jitter",
    "interval",
    "breaker",
];
const FAILURE_WORDS: &[&str] =
    &["failure_count", "failures", "failure_threshold", "consecutive_failures", "fail_count", "error_count"];
const HALF_OPEN: &[&str] = &["half_open", "halfopen", "half-open"];
/// The def-name hints of `backoff_calc` (3.).
const DEF_NAME_HINTS: &[&str] =
    &["delay", "backoff", "jitter", "wait", "sleep_time", "interval", "fib", "retry", "expo", "linear"];
/// The words of `names::is_attempt_name`.
const ATTEMPT_WORDS: &[&str] = &["attempt", "retr", "tries", "try_count", "trial", "_try", "backoff_count"];
/// Callee last names that `params::is_backoff_arithmetic` accepts.
const RANDOM_CALLS: &[&str] = &["pow", "uniform", "random", "randint", "expovariate"];
/// Class-name words of 2. that matter only with delay arithmetic (retry class, backoff class); `breaker` does
/// on its own.
const CLASS_NAME_WORDS: &[&str] = &["retry", "retrier", "backoff", "wait", "jitter", "delay", "interval"];
/// Class-name words with which a retrying method makes a retry class (`classes::classify`'s `runs_retries`).
const RUNS_RETRIES_WORDS: &[&str] =
    &["retry", "retrier", "backoff", "retrying", "resilien", "reliab", "recover", "executor"];
fn contains_ci(hay: &str, needle: &str) -> bool {
    crate::detect::names::contains_ignore_case(hay, needle)
}

fn any_ci(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| contains_ci(hay, w))
}

// Word groups, as bits of `groups`.
const G_FAILURE: u32 = 1;
const G_ATTEMPT: u32 = 2;
const G_CLASS_SUB: u32 = 4;
const G_RECURSION: u32 = 8;
const G_DEF_HINT: u32 = 16;
const G_CLASS_NAME: u32 = 32;
const G_FIB: u32 = 64;
const G_BREAKER: u32 = 128;

/// One case-insensitive automaton over every group's words (asked only about identifiers the name gate passes).
struct Groups {
    matcher: aho_corasick::AhoCorasick,
    masks: Vec<u32>,
}

fn groups_matcher() -> &'static Groups {
    static G: std::sync::OnceLock<Groups> = std::sync::OnceLock::new();
    G.get_or_init(|| {
        let lists: [(&[&str], u32); 8] = [
            (&["breaker"], G_BREAKER),
            (FAILURE_WORDS, G_FAILURE),
            (ATTEMPT_WORDS, G_ATTEMPT),
            (CLASS_SUBWORDS, G_CLASS_SUB),
            (RECURSION_WORDS, G_RECURSION),
            (DEF_NAME_HINTS, G_DEF_HINT),
            (CLASS_NAME_WORDS, G_CLASS_NAME),
            (&["fib"], G_FIB),
        ];
        let mut words: Vec<String> = Vec::new();
        let mut masks: Vec<u32> = Vec::new();
        for (list, bit) in lists {
            for w in list {
                let w = w.to_ascii_lowercase();
                match words.iter().position(|x| *x == w) {
                    Some(k) => masks[k] |= bit,
                    None => {
                        words.push(w);
                        masks.push(bit);
                    }
                }
            }
        }
        let matcher = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&words)
            .expect("group matcher compiles");
        Groups { matcher, masks }
    })
}

/// The half-open state spelled anywhere in the text (`classes::classify`'s `may_be_breaker` gate).
fn half_open_text(src: &str) -> bool {
    static M: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(HALF_OPEN).expect("compiles")
    })
    .is_match(src)
}

/// The groups whose words occur in `w`, ignoring ASCII case.
fn groups(w: &str) -> u32 {
    if w.len() < 3 {
        return 0;
    }
    let g = groups_matcher();
    g.matcher.find_overlapping_iter(w).fold(0, |acc, m| acc | g.masks[m.pattern().as_usize()])
}

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
    Some(out)
}

/// The verdict, and for a file it skips, `SkippedFacts`.
pub fn token_scan(src: &str, words: &ImportWords) -> (TokenVerdict, SkippedFacts) {
    let mut s = Scanner::new(src, words);
    match s.run() {
        Ok(()) => {
            let verdict = s.verdict();
            let facts = if verdict == TokenVerdict::Skip {
                SkippedFacts {
                    imports: std::mem::take(&mut s.import_spans),
                    top_names: s.top_names.iter().map(|n| n.to_string()).collect(),
                }
            } else {
                SkippedFacts::default()
            };
            (verdict, facts)
        }
        Err(Unsure) => (TokenVerdict::Parse(vec![]), SkippedFacts::default()),
    }
}

#[derive(Clone, Copy)]
enum Arith {
    Strong,
    Star,
    Attempt,
}

/// Words of condition 4, and the name gate built from them.
#[derive(Debug, Clone)]
pub struct ImportWords {
    /// Top-level module of every library entry point (on an import line).
    library_roots: Vec<String>,
    /// Last name of every library entry point (anywhere).
    library_names: Vec<String>,
    /// Legacy module segments and symbols, the canonical module's last segment (on an import line).
    plan: Vec<String>,
    gate: TrigramGate,
}

/// Substrings that every name some name list of this module asks about contains (lower-cased): the group
/// words (`groups`; `count` covers `try_count`, `fail_count`, `error_count`, `backoff_count`), the sleep
/// names, `wait`, `range`/`count` of `for` headers, the random calls (`rand`, `pow`, `uniform`, `expo`) and the
/// strategy members (`names::STRATEGY_MEMBERS`).
/// Library entry names are added from the data. `class_gate_covers_detector_names` and
/// `gate_covers_every_word` check the cover.
const GATE_WORDS: &[&str] = &[
    "fail",
    "count",
    "attempt",
    "retr",
    "tries",
    "trial",
    "_try",
    "delay",
    "backoff",
    "increment",
    "exhausted",
    "wait",
    "sleep",
    "multiplier",
    "expo",
    "jitter",
    "interval",
    "again",
    "fib",
    "linear",
    "breaker",
    "range",
    "pow",
    "uniform",
    "rand",
    "fixed",
    "constant",
    "adaptive",
    "immediate",
];

impl ImportWords {
    pub fn new(library_roots: Vec<String>, library_names: Vec<String>, plan: Vec<String>) -> ImportWords {
        let mut words: Vec<String> = GATE_WORDS.iter().map(|w| w.to_string()).collect();
        words.extend(library_names.iter().cloned());
        let gate = TrigramGate::new(&words);
        ImportWords { library_roots, library_names, plan, gate }
    }
}

/// The tokenizer met something it does not model: the file is parsed.
struct Unsure;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Indent {
    /// Column with tabs to the next multiple of 8 (Python's rule).
    col8: u32,
    /// Column with tabs counting 1 (Python rejects files where the two orders disagree).
    col1: u32,
}

impl Indent {
    /// `self` closes a block opened at `open`: the line is not indented deeper.
    fn closes(self, open: Indent) -> Result<bool, Unsure> {
        let a = self.col8 <= open.col8;
        let b = self.col1 <= open.col1;
        if a == b {
            Ok(a)
        } else {
            Err(Unsure)
        }
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum BlockKind {
    Loop,
    Def,
    Class,
    Handler,
}

struct Block<'s> {
    kind: BlockKind,
    indent: Indent,
    /// Def name.
    name: &'s str,
    /// Loop: a `while`, or a `for` whose header names `range`, `count` or an attempt word (see 1.).
    qualifying: bool,
    // Handler state: inside a qualifying loop inside a def / inside any loop inside a def.
    in_qloop_in_def: bool,
    in_loop_in_def: bool,
    /// Handler: an identifier equal to an enclosing def's name / an attempt word.
    self_call: bool,
    attempt: bool,
    /// Def or class whose name (or a parameter) makes delay arithmetic in it a finding (3., 2.).
    hinted: bool,
    /// Hinted block: a binary `*` seen inside.
    star: bool,
    control_flow: bool,
    leaves: bool,
    /// A `continue` somewhere inside the handler: it re-attempts even if it also leaves on another path.
    continues: bool,
    body_indent: Option<Indent>,
}

/// What the current `except` clause header has shown so far (between `except` and its colon).
#[derive(Default)]
struct Clause {
    active: bool,
    /// Tokens simplified: identifiers, `.`, `,`, `(`, `)`, `*`, `as`; anything else makes `plain` false.
    plain: bool,
    tokens: Vec<u8>,
    names: Vec<(usize, usize)>,
}

#[derive(Default, Clone, Copy)]
pub(super) struct Facts {
    /// A continuing handler inside a qualifying loop / any loop, inside a def.
    loop_except_q: bool,
    loop_except_any: bool,
    recursion: bool,
    sleep_ident: bool,
    /// A qualifying loop / any loop inside a def.
    loop_in_def_q: bool,
    loop_in_def_any: bool,
    /// `count` on an import line: `itertools.count` may go by another name, so every `for` qualifies.
    count_imported: bool,
    try_in_def: bool,
    class_word: bool,
    any_class: bool,
    failure_ident: bool,
    /// Delay arithmetic inside a hinted def or class (3., 2.).
    backoff: bool,
    /// A handler of a def calls the def by name (1d); a finding needs a counter, a wait or a retry name.
    recursion_if_sleep: bool,
    /// A library root on an import line / a library entry's last name anywhere (4.).
    library_root: bool,
    library_name: bool,
    /// A plan word (legacy segment, canonical module) on an import line (4.).
    import_word: bool,
    /// A retry-named identifier inside a def nested in a def: a wrapper delegating to retry machinery (1e).
    nested_retry: bool,
}

impl Facts {
    fn or(mut self, o: &Facts) -> Facts {
        self.loop_except_q |= o.loop_except_q;
        self.loop_except_any |= o.loop_except_any;
        self.recursion |= o.recursion;
        self.sleep_ident |= o.sleep_ident;
        self.loop_in_def_q |= o.loop_in_def_q;
        self.loop_in_def_any |= o.loop_in_def_any;
        self.count_imported |= o.count_imported;
        self.try_in_def |= o.try_in_def;
        self.class_word |= o.class_word;
        self.any_class |= o.any_class;
        self.failure_ident |= o.failure_ident;
        self.backoff |= o.backoff;
        self.recursion_if_sleep |= o.recursion_if_sleep;
        self.library_root |= o.library_root;
        self.library_name |= o.library_name;
        self.import_word |= o.import_word;
        self.nested_retry |= o.nested_retry;
        self
    }

    /// Condition 4 holds: findings with fixes (RTY005, RTY009, RTY012) read the whole module, so the file is
    /// parsed whole.
    fn whole_file(&self) -> bool {
        self.import_word || (self.library_root && self.library_name)
    }

    /// Conditions 1-3 hold for the part of the file these facts were read from (`file`: the whole file's facts,
    /// for the conditions that combine a local structure with a word anywhere).
    fn local_finding(&self, file: &Facts, half_open: &mut impl FnMut() -> bool) -> bool {
        let loop_except = self.loop_except_q || (file.count_imported && self.loop_except_any);
        let loop_in_def = self.loop_in_def_q || (file.count_imported && self.loop_in_def_any);
        let functions = loop_except
            || self.recursion
            || self.nested_retry
            || (file.sleep_ident && (loop_in_def || self.try_in_def || self.recursion_if_sleep));
        functions || self.class_finding(half_open)
    }

    /// Conditions 2 and 3 (class roles, delay arithmetic).
    fn class_finding(&self, half_open: &mut impl FnMut() -> bool) -> bool {
        self.class_word || self.backoff || (self.any_class && self.failure_ident && half_open())
    }
}

struct Scanner<'s, 'w> {
    src: &'s str,
    b: &'s [u8],
    i: usize,
    library_roots: &'w [String],
    library_names: &'w [String],
    /// Bit `n` set when some library name is `n` bytes long.
    library_name_lens: u64,
    plan_words: &'w [String],
    depth: u32,
    blocks: Vec<Block<'s>>,
    /// Open blocks per `BlockKind` (indexed by `kind as usize`).
    open: [u32; 4],
    line_indent: Indent,
    /// Next code token starts a statement.
    stmt_start: bool,
    /// The current logical line is at the body indentation of the innermost (handler) block.
    handler_body_line: bool,
    in_import: bool,
    /// Byte ranges of import statements (keyword to end of statement), for the facts of skipped files.
    import_spans: Vec<std::ops::Range<usize>>,
    /// Names of top-level `def`s and `class`es, for the facts of skipped files.
    top_names: Vec<&'s str>,
    /// In a def header (`def` .. colon at depth 0).
    in_header: bool,
    /// The next identifier is a def's / class's name.
    want_def_name: bool,
    want_class_name: bool,
    /// In a `for` header (`for` .. colon at depth 0), and whether it qualifies so far.
    in_for_header: bool,
    for_header_qualifies: bool,
    clause: Clause,
    /// Previous code token: 0 none, b'.' dot, b'i' identifier, b')' closing bracket, b'o' other.
    prev: u8,
    /// Start of the current dotted chain `a.b.c` (byte offset), when the previous tokens form one.
    chain_start: Option<usize>,
    /// Facts of the current top-level chunk, and of the file's finished chunks together.
    facts: Facts,
    file_facts: Facts,
    /// Identifiers without a gate word skip every name list.
    gate: &'w TrigramGate,
    /// Finished pieces with their facts, the current piece, and what they index into (see `chunks.rs`).
    chunks: Vec<(Chunk, Facts)>,
    chunk: Chunk,
    calls: Vec<Call>,
    defines: Vec<(&'s str, Scope)>,
    /// Per top-level class: its name lets a retrying method make it a retry class (kept whole).
    class_named: Vec<bool>,
    /// The current top-level statement is a class; the indentation of its body once seen.
    in_top_class: bool,
    class_body: Option<Indent>,
    /// The last top-level line / class member line was a decorator: the next one continues its piece.
    decorator_pending: bool,
    member_decorator_pending: bool,
}

impl<'s, 'w> Scanner<'s, 'w> {
    fn new(src: &'s str, words: &'w ImportWords) -> Self {
        Scanner {
            gate: &words.gate,
            src,
            b: src.as_bytes(),
            i: 0,
            library_roots: &words.library_roots,
            library_names: &words.library_names,
            library_name_lens: words.library_names.iter().filter(|n| n.len() < 64).fold(0, |m, n| m | 1 << n.len()),
            plan_words: &words.plan,
            depth: 0,
            blocks: Vec::new(),
            open: [0; 4],
            line_indent: Indent { col8: 0, col1: 0 },
            stmt_start: true,
            handler_body_line: false,
            in_import: false,
            import_spans: Vec::new(),
            top_names: Vec::new(),
            in_header: false,
            want_def_name: false,
            want_class_name: false,
            in_for_header: false,
            for_header_qualifies: false,
            clause: Clause::default(),
            prev: 0,
            chain_start: None,
            facts: Facts::default(),
            file_facts: Facts::default(),
            chunks: Vec::new(),
            chunk: Chunk::new(0, 0, 0),
            calls: Vec::new(),
            defines: Vec::new(),
            class_named: Vec::new(),
            in_top_class: false,
            class_body: None,
            decorator_pending: false,
            member_decorator_pending: false,
        }
    }

    /// After `run`: skip the file, or parse it whole, or parse it with the pieces no condition needs blanked.
    fn verdict(&mut self) -> TokenVerdict {
        let file = self.file_facts;
        if file.whole_file() {
            return TokenVerdict::Parse(vec![]);
        }
        let src = self.src;
        let mut half_open_memo = None;
        let mut half_open = || *half_open_memo.get_or_insert_with(|| half_open_text(src));
        // Class conditions over each top-level class's pieces together.
        let mut class_facts = vec![Facts::default(); self.class_named.len()];
        for (c, f) in &self.chunks {
            if let Some(g) = c.class {
                class_facts[g] = class_facts[g].or(f);
            }
        }
        let class_seed: Vec<bool> = class_facts.iter().map(|f| f.class_finding(&mut half_open)).collect();
        let mut any = class_seed.iter().any(|&b| b);
        for (c, f) in &mut self.chunks {
            c.seed = f.local_finding(&file, &mut half_open) || c.class.is_some_and(|g| class_seed[g]);
            any |= c.seed;
        }
        if !any {
            return TokenVerdict::Skip;
        }
        let whole: Vec<bool> = class_seed.iter().zip(&self.class_named).map(|(a, b)| *a || *b).collect();
        let chunks: Vec<Chunk> = self.chunks.iter().map(|(c, _)| c.clone()).collect();
        TokenVerdict::Parse(super::chunks::skippable(self.src, &chunks, &self.calls, &self.defines, &whole))
    }

    /// The whole file will be parsed whatever follows (every fact only ever turns true): stop reading.
    fn certain(&self) -> bool {
        let (a, b) = (&self.facts, &self.file_facts);
        a.import_word || b.import_word || ((a.library_root || b.library_root) && (a.library_name || b.library_name))
    }

    /// The first token of the logical line at `self.i`: a decorator, or `def`/`async` (a function), or `class`.
    fn line_head(&self) -> (bool, bool, bool) {
        if self.peek(0) == b'@' {
            return (true, false, false);
        }
        let end = word_end(self.b, self.i).unwrap_or(self.i);
        let w = &self.src[self.i..end];
        (false, matches!(w, "def" | "async"), w == "class")
    }

    /// A logical line at indentation 0 starting at `start`: a new top-level piece, unless decorators precede.
    fn top_level_line(&mut self, start: usize) {
        let (decorator, def, class) = self.line_head();
        if !self.decorator_pending {
            self.finish_chunk(start);
            self.in_top_class = false;
            self.class_body = None;
        }
        if decorator {
            self.chunk.piece = Piece::Def;
        } else if class {
            self.chunk.piece = Piece::ClassPart;
            self.chunk.class = Some(self.class_named.len());
            self.class_named.push(false);
            self.in_top_class = true;
        } else if def {
            self.chunk.piece = Piece::Def;
        } else {
            self.chunk.piece = Piece::Other;
        }
        self.decorator_pending = decorator;
    }

    /// A logical line at the body indentation of a top-level class: a new member piece, unless decorators precede.
    fn member_line(&mut self, start: usize) {
        let (decorator, def, _) = self.line_head();
        if !self.member_decorator_pending {
            let class = self.chunk.class;
            self.finish_chunk(start);
            self.chunk.class = class;
        }
        self.chunk.piece = if decorator || def { Piece::Method } else { Piece::ClassPart };
        self.member_decorator_pending = decorator;
    }

    /// Close the current piece; the next starts at `next_start`.
    fn finish_chunk(&mut self, next_start: usize) {
        let facts = std::mem::take(&mut self.facts);
        self.file_facts = self.file_facts.or(&facts);
        let mut chunk =
            std::mem::replace(&mut self.chunk, Chunk::new(next_start, self.calls.len(), self.defines.len()));
        chunk.calls.end = self.calls.len();
        chunk.defines.end = self.defines.len();
        self.chunks.push((chunk, facts));
    }

    /// The previous token ends an operand (identifier or keyword, number, string, closing bracket).
    fn after_operand(&self) -> bool {
        matches!(self.prev, b'i' | b'n' | b's' | b')')
    }

    /// After an identifier that ends at `self.i`: it may be an assignment or annotation target (`x = `,
    /// `self.x: int`), i.e. followed by `=` (not `==`) or `:` (not `:=`) at depth 0, or by a continuation.
    fn may_be_target(&self) -> bool {
        if self.depth != 0 {
            return false;
        }
        let mut k = self.i;
        while matches!(self.b.get(k), Some(b' ' | b'\t' | b'\x0c')) {
            k += 1;
        }
        match (self.b.get(k), self.b.get(k + 1)) {
            (Some(b'='), Some(b'=')) | (Some(b':'), Some(b'=')) => false,
            (Some(b'=' | b':' | b'\\'), _) => true,
            _ => false,
        }
    }

    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn run(&mut self) -> Result<(), Unsure> {
        if self.src.starts_with('\u{feff}') {
            self.i = 3;
        }
        let mut at_line_start = true;
        while self.i < self.b.len() {
            if at_line_start {
                if self.certain() {
                    self.finish_chunk(self.b.len());
                    return Ok(());
                }
                let line_start = self.i;
                // Indentation of a physical line; blank and comment-only lines do not start a logical line.
                let (mut col8, mut col1) = (0u32, 0u32);
                while self.i < self.b.len() {
                    match self.b[self.i] {
                        b' ' => {
                            col8 += 1;
                            col1 += 1;
                        }
                        b'\t' => {
                            col8 = (col8 / 8 + 1) * 8;
                            col1 += 1;
                        }
                        b'\x0c' => {
                            col8 = 0;
                            col1 = 0;
                        }
                        _ => break,
                    }
                    self.i += 1;
                }
                match self.peek(0) {
                    0 => break,
                    b'#' => {
                        self.skip_comment();
                        continue;
                    }
                    b'\n' | b'\r' => {
                        self.skip_newline();
                        continue;
                    }
                    b'\\' => return Err(Unsure),
                    _ => {
                        at_line_start = false;
                        self.start_logical_line(Indent { col8, col1 }, line_start)?;
                    }
                }
            }
            let c = self.b[self.i];
            // Identifiers and single spaces are most tokens: test them before the table dispatch.
            if c == b' ' && self.peek(1) != b' ' {
                self.i += 1;
                continue;
            }
            match c {
                b' ' | b'\t' | b'\x0c' => {
                    self.i += 1;
                    while matches!(self.b.get(self.i), Some(b' ')) {
                        self.i += 1;
                    }
                }
                b'#' => self.skip_comment(),
                b'\n' | b'\r' => {
                    self.skip_newline();
                    if self.depth == 0 {
                        self.end_statement();
                        at_line_start = true;
                    }
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek(0) {
                        b'\n' | b'\r' => self.skip_newline(),
                        _ => return Err(Unsure),
                    }
                }
                b'(' | b'[' | b'{' => {
                    self.depth += 1;
                    self.i += 1;
                    self.punct(b'(');
                }
                b')' | b']' | b'}' => {
                    if self.depth == 0 {
                        return Err(Unsure);
                    }
                    self.depth -= 1;
                    self.i += 1;
                    self.punct(b')');
                }
                b'"' | b'\'' => {
                    self.i = string(self.b, self.i, b"", &mut |_| {}, 0)?;
                    self.punct(b's');
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let start = self.i;
                    let (end, gated) = self.gate.scan(self.b, start);
                    if self.b.get(end).is_some_and(|&c| c >= 0x80) {
                        return Err(Unsure); // non-ASCII identifier (NFKC-normalised by the parser)
                    }
                    let w = &self.src[start..end];
                    if matches!(self.b.get(end), Some(b'"' | b'\'')) && is_string_prefix(w) {
                        let mut words: Vec<(usize, usize)> = Vec::new();
                        self.i = string(self.b, end, w.as_bytes(), &mut |r| words.push(r), 0)?;
                        for (s, e) in words {
                            if s == e {
                                self.fstring_op(s);
                            } else {
                                if next_non_space(self.b, e) == b'(' {
                                    self.calls.push(Call { start: s as u32, end: e as u32, scope: Scope::Either });
                                }
                                self.fstring_word(s, e);
                            }
                        }
                        self.punct(b's');
                    } else {
                        self.i = end;
                        // `await` holds `wait` but is a keyword: no name list asks about it.
                        self.word(start, w, gated && w != "await");
                    }
                }
                b'0'..=b'9' => {
                    self.i = number_end(self.b, self.i);
                    self.punct(b'n');
                }
                b'.' if self.peek(1).is_ascii_digit() => {
                    self.i = number_end(self.b, self.i);
                    self.punct(b'n');
                }
                b'.' => {
                    self.i += 1;
                    self.punct(b'.');
                }
                b':' if self.depth == 0 && self.peek(1) != b'=' => {
                    self.i += 1;
                    self.colon();
                }
                b';' if self.depth == 0 => {
                    self.i += 1;
                    self.end_statement();
                    self.stmt_start = true;
                }
                b',' => {
                    self.i += 1;
                    self.punct(b',');
                }
                // Binary `**` / `*` follow an operand; `f(*args, **kwargs)`, `{**d}`, `def f(*, k)` do not.
                b'*' if self.peek(1) == b'*' => {
                    if self.after_operand() {
                        self.arith(Arith::Strong);
                    }
                    self.i += 2;
                    self.punct(b'o');
                }
                b'*' => {
                    if self.after_operand() {
                        self.arith(Arith::Star);
                    }
                    self.i += 1;
                    self.punct(b'*');
                }
                b'<' if self.peek(1) == b'<' => {
                    self.arith(Arith::Strong);
                    self.i += 2;
                    self.punct(b'o');
                }
                0x80.. => return Err(Unsure),
                _ => {
                    self.i += 1;
                    self.punct(b'o');
                }
            }
        }
        if self.depth != 0 {
            return Err(Unsure);
        }
        self.end_statement();
        while let Some(b) = self.pop() {
            self.close(b);
        }
        self.finish_chunk(self.b.len());
        Ok(())
    }

    fn skip_comment(&mut self) {
        self.i = memchr::memchr2(b'\n', b'\r', &self.b[self.i..]).map_or(self.b.len(), |k| self.i + k);
    }

    fn skip_newline(&mut self) {
        if self.peek(0) == b'\r' && self.peek(1) == b'\n' {
            self.i += 2;
        } else {
            self.i += 1;
        }
    }

    fn start_logical_line(&mut self, indent: Indent, line_start: usize) -> Result<(), Unsure> {
        while let Some(top) = self.blocks.last() {
            if indent.closes(top.indent)? {
                let b = self.pop().expect("top");
                self.close(b);
            } else {
                break;
            }
        }
        if indent.col8 == 0 && indent.col1 == 0 {
            self.top_level_line(line_start);
        } else if self.in_top_class && *self.class_body.get_or_insert(indent) == indent {
            self.member_line(line_start);
        }
        self.line_indent = indent;
        self.handler_body_line = false;
        if let Some(top) = self.blocks.last_mut() {
            if top.kind == BlockKind::Handler {
                let body = *top.body_indent.get_or_insert(indent);
                self.handler_body_line = body == indent;
            }
        }
        self.stmt_start = true;
        self.prev = 0;
        self.chain_start = None;
        Ok(())
    }

    fn close(&mut self, b: Block) {
        if b.kind == BlockKind::Handler && !b.control_flow && (!b.leaves || b.continues) {
            self.facts.loop_except_q |= b.in_qloop_in_def;
            self.facts.loop_except_any |= b.in_loop_in_def;
        }
        if b.kind == BlockKind::Handler && b.self_call {
            self.facts.recursion |= b.attempt;
            self.facts.recursion_if_sleep = true;
        }
    }

    /// End of a simple statement (newline at depth 0, `;`, end of file).
    fn end_statement(&mut self) {
        if let Some(last) = self.import_spans.last_mut() {
            if last.end == usize::MAX {
                last.end = self.i.min(self.b.len());
            }
        }
        self.in_import = false;
        self.in_header = false;
        self.want_def_name = false;
        self.want_class_name = false;
        self.in_for_header = false;
        if self.clause.active {
            // A clause without its colon: be safe.
            self.finish_clause(false);
        }
    }

    fn has(&self, kind: BlockKind) -> bool {
        self.open[kind as usize] > 0
    }

    fn pop(&mut self) -> Option<Block<'s>> {
        let b = self.blocks.pop()?;
        self.open[b.kind as usize] -= 1;
        Some(b)
    }

    fn push(&mut self, kind: BlockKind, name: &'s str) {
        let in_def = self.has(BlockKind::Def);
        let in_loop_in_def = in_def && self.has(BlockKind::Loop);
        let in_qloop_in_def = in_def && self.blocks.iter().any(|b| b.kind == BlockKind::Loop && b.qualifying);
        self.open[kind as usize] += 1;
        self.blocks.push(Block {
            kind,
            indent: self.line_indent,
            name,
            qualifying: false,
            in_qloop_in_def,
            in_loop_in_def,
            self_call: false,
            attempt: false,
            hinted: false,
            star: false,
            control_flow: false,
            leaves: false,
            continues: false,
            body_indent: None,
        });
    }

    fn punct(&mut self, p: u8) {
        self.stmt_start = false;
        if self.clause.active {
            match p {
                b'.' | b',' | b'(' | b')' | b'*' => self.clause.tokens.push(p),
                _ => self.clause.plain = false,
            }
        }
        if p == b'.' {
            if self.prev != b'i' && self.prev != b')' {
                self.chain_start = None;
            }
        } else {
            self.chain_start = None;
        }
        self.prev = p;
    }

    fn colon(&mut self) {
        self.stmt_start = false;
        self.prev = b'o';
        self.chain_start = None;
        self.in_header = false;
        if self.in_for_header {
            self.in_for_header = false;
            let q = self.for_header_qualifies;
            let in_def = self.has(BlockKind::Def);
            if let Some(top) = self.blocks.last_mut() {
                if top.kind == BlockKind::Loop {
                    top.qualifying = q;
                }
            }
            self.facts.loop_in_def_any |= in_def;
            self.facts.loop_in_def_q |= in_def && q;
        }
        if self.clause.active {
            self.finish_clause(true);
            // A same-line handler body: `except E: return x`.
            self.stmt_start = true;
            self.handler_body_line = true;
        }
    }

    fn finish_clause(&mut self, complete: bool) {
        let clause = std::mem::take(&mut self.clause);
        let control_flow = complete && clause.plain && is_control_flow_clause(self.src, &clause);
        if let Some(top) = self.blocks.last_mut() {
            if top.kind == BlockKind::Handler {
                top.control_flow = control_flow;
            }
        }
    }

    /// `gated`: the identifier may contain a gate word (`TrigramGate`).
    fn word(&mut self, start: usize, w: &'s str, gated: bool) {
        if !gated && !is_keyword_read(w) && self.plain_state() {
            // Fast path (most identifiers): no keyword, no listed name, no state that reads names.
            self.stmt_start = false;
            self.call(start, start + w.len());
            if self.has(BlockKind::Handler) && self.has(BlockKind::Def) {
                self.handler_ident(w, 0);
            }
            self.after_ident(start);
            return;
        }
        let first = self.stmt_start;
        self.stmt_start = false;
        if self.depth == 0 {
            match w {
                "for" => {
                    self.push(BlockKind::Loop, "");
                    self.in_for_header = true;
                    self.for_header_qualifies = false;
                }
                "while" => {
                    let in_def = self.has(BlockKind::Def);
                    self.facts.loop_in_def_any |= in_def;
                    self.facts.loop_in_def_q |= in_def;
                    self.push(BlockKind::Loop, "");
                    if let Some(top) = self.blocks.last_mut() {
                        top.qualifying = true;
                    }
                }
                "def" => {
                    self.chunk.has_def = true;
                    self.chunk.nested_def |= self.has(BlockKind::Def);
                    self.push(BlockKind::Def, "");
                    self.in_header = true;
                    self.want_def_name = true;
                }
                "class" => {
                    self.chunk.has_def = true;
                    self.facts.any_class = true;
                    self.push(BlockKind::Class, "");
                    self.want_class_name = true;
                }
                "try" => self.facts.try_in_def |= self.has(BlockKind::Def),
                "except" => {
                    self.push(BlockKind::Handler, "");
                    self.clause = Clause { active: true, plain: true, ..Default::default() };
                    self.handler_body_line = false;
                }
                "continue" if first => {
                    if let Some(h) = self.blocks.iter_mut().rev().find(|b| b.kind == BlockKind::Handler) {
                        h.continues = true;
                    }
                }
                "return" | "raise" | "break" if first && self.handler_body_line => {
                    if let Some(top) = self.blocks.last_mut() {
                        if top.kind == BlockKind::Handler {
                            top.leaves = true;
                        }
                    }
                }
                _ => {}
            }
        }
        if matches!(w, "import" | "from") {
            if first && self.depth == 0 && !self.in_import {
                self.import_spans.push(start..usize::MAX);
            }
            self.in_import = true;
        }
        if self.clause.active {
            if w == "as" {
                self.clause.tokens.push(b'a');
            } else if !matches!(w, "except") {
                self.clause.tokens.push(b'i');
                self.clause.names.push((start, start + w.len()));
            }
        }
        let mut is_def_name = false;
        if self.want_def_name && w != "def" {
            self.want_def_name = false;
            is_def_name = true;
            self.define(w);
            if let Some(top) = self.blocks.last_mut() {
                if top.kind == BlockKind::Def {
                    top.name = w;
                }
            }
            let g = groups(w);
            if g & G_DEF_HINT != 0 {
                self.hint_top();
            }
            // A decision method (`names::is_retry_method`) of a class.
            let in_class = self.has(BlockKind::Class);
            if in_class && g & G_CLASS_SUB != 0 && crate::detect::names::is_retry_method(w) {
                self.facts.class_word = true;
            }
            if g & G_FIB != 0 {
                // `backoff_calc`'s fibonacci table: a `fib` name with a delay hint and a return.
                self.facts.backoff = true;
            }
        }
        if self.want_class_name && w != "class" {
            self.want_class_name = false;
            if self.blocks.len() == 1 {
                self.top_names.push(w);
            }
            if self.blocks.len() == 1 && self.in_top_class && any_ci(w, RUNS_RETRIES_WORDS) {
                if let Some(named) = self.chunk.class.and_then(|g| self.class_named.get_mut(g)) {
                    *named = true;
                }
            }
            let g = groups(w);
            if g & G_BREAKER != 0 {
                self.facts.class_word = true;
            } else if g & G_CLASS_NAME != 0 {
                self.hint_top();
            }
        }
        // `.wait` on an owner whose dotted chain names a stop/shutdown event.
        if w == "wait" && self.prev == b'.' {
            // No chain: the owner is not a plain dotted name (`(self.stop).wait`, `evs[0].wait`): count it.
            let owner_ok = match self.chain_start {
                Some(cs) => any_ci(&self.src[cs..start], WAIT_OWNER_WORDS),
                None => true,
            };
            if owner_ok {
                self.facts.sleep_ident = true;
            }
        }
        self.call(start, start + w.len());
        let target = self.has(BlockKind::Class) && self.may_be_target();
        // The def name is no parameter: its hints were weighed above.
        let in_header = self.in_header;
        self.in_header = in_header && !is_def_name;
        self.ident(w, target, gated);
        self.in_header = in_header;
        self.after_ident(start);
    }

    /// No state that reads identifiers' names is open (import line, except clause, def/class name, `for` or
    /// def header); blocks are read only through `handler_ident`.
    fn plain_state(&self) -> bool {
        !(self.in_import
            || self.clause.active
            || self.want_def_name
            || self.want_class_name
            || self.in_for_header
            || self.in_header)
    }

    /// Chain bookkeeping after an identifier that starts at `start`.
    fn after_ident(&mut self, start: usize) {
        if self.prev != b'.' || self.chain_start.is_none() {
            self.chain_start = if self.prev == b'.' { None } else { Some(start) };
        }
        self.prev = b'i';
    }

    /// A function defined under `name` (the def block is already open): a method when the nearest enclosing
    /// def or class is a class (`context::collect_functions`).
    fn define(&mut self, name: &'s str) {
        let n = self.blocks.len();
        if n == 1 {
            self.top_names.push(name);
        }
        let owner = self.blocks[..n.saturating_sub(1)]
            .iter()
            .rev()
            .find(|b| matches!(b.kind, BlockKind::Def | BlockKind::Class));
        let scope = if owner.is_some_and(|b| b.kind == BlockKind::Class) { Scope::Method } else { Scope::Plain };
        self.defines.push((name, scope));
        if name == "__init__" && self.chunk.piece == Piece::Method && n == 2 && self.blocks[0].kind == BlockKind::Class
        {
            self.chunk.piece = Piece::Init;
        }
    }

    /// The identifier at `start..end` (the scanner stands at `end`): record it when it is called by a name
    /// `FileContext::callees` resolves (`f(...)`, `self.f(...)`, `cls.f(...)`).
    fn call(&mut self, start: usize, end: usize) {
        if next_non_space(self.b, end) != b'(' {
            return;
        }
        let scope = if self.prev != b'.' {
            Scope::Plain
        } else {
            match self.chain_start.map(|cs| self.src[cs..start].trim_end_matches([' ', '\t', '.'])) {
                Some("self" | "cls") => Scope::Method,
                _ => return,
            }
        };
        self.calls.push(Call { start: start as u32, end: end as u32, scope });
    }

    /// May the identifier at `start..end` contain a gate word?
    fn gate_hit(&self, start: usize, end: usize) -> bool {
        self.gate.hit(&self.b[start..end])
    }

    /// An identifier inside an f-string field: conditions on names, never structure.
    fn fstring_word(&mut self, start: usize, end: usize) {
        let w = &self.src[start..end];
        if w == "wait" {
            self.facts.sleep_ident = true;
        }
        let gated = self.gate_hit(start, end);
        self.ident(w, false, gated);
    }

    /// The innermost block (the def or class being declared) is hinted.
    fn hint_top(&mut self) {
        if let Some(top) = self.blocks.last_mut() {
            if matches!(top.kind, BlockKind::Def | BlockKind::Class) {
                top.hinted = true;
            }
        }
    }

    /// Arithmetic material inside hinted blocks: `**`, `<<`, pow/uniform/random/... are delay arithmetic on
    /// their own; `*` needs an attempt word too (`params::is_backoff_arithmetic`).
    fn arith(&mut self, a: Arith) {
        if self.facts.backoff {
            return;
        }
        for b in self.blocks.iter_mut().filter(|b| b.hinted) {
            match a {
                Arith::Strong => self.facts.backoff = true,
                Arith::Star => b.star = true,
                Arith::Attempt => b.attempt = true,
            }
            if b.star && b.attempt {
                self.facts.backoff = true;
            }
        }
    }

    /// An operator inside an f-string field (reported as an empty range at its offset).
    fn fstring_op(&mut self, at: usize) {
        match (self.b[at], self.b.get(at + 1)) {
            (b'*', Some(b'*')) | (b'<', Some(b'<')) => self.arith(Arith::Strong),
            (b'*', _) => self.arith(Arith::Star),
            _ => {}
        }
    }

    /// Name conditions shared by code and f-string identifiers.
    /// `target`: the identifier may be an assignment or annotation target (a class field).
    /// `gated`: the identifier contains a gate word; without one, no name list below can hold it.
    fn ident(&mut self, w: &str, target: bool, gated: bool) {
        let f = &mut self.facts;
        let first = w.as_bytes().first().copied().unwrap_or(0);
        if !f.sleep_ident && gated && SLEEP_NAMES.contains(&w) {
            f.sleep_ident = true;
        }
        if self.in_import {
            f.import_word |= self.plan_words.iter().any(|x| x == w);
            f.library_root |= self.library_roots.iter().any(|x| x == w);
            f.count_imported |= w == "count";
        }
        // A length mask first: most identifiers have no library name's length, and this runs on every one.
        if !f.library_name
            && gated
            && w.len() < 64
            && self.library_name_lens & (1 << w.len()) != 0
            && self.library_names.iter().any(|x| x == w)
        {
            f.library_name = true;
        }
        let g = if gated { groups(w) } else { 0 };
        let attempt_word = g & G_ATTEMPT != 0;
        f.failure_ident |= g & G_FAILURE != 0;
        // 1e: `functions::delegates_retry` (a nested wrapper calling a retry-named callee) needs "retr".
        f.nested_retry |= attempt_word && self.open[BlockKind::Def as usize] >= 2 && contains_ci(w, "retr");
        if self.in_for_header && (attempt_word || w == "range" || w == "count") {
            self.for_header_qualifies = true;
        }
        if self.in_header && attempt_word {
            self.hint_top();
        }
        if attempt_word {
            self.arith(Arith::Attempt);
        }
        if gated && matches!(first, b'p' | b'u' | b'r' | b'e') && RANDOM_CALLS.contains(&w) {
            self.arith(Arith::Strong);
        }
        if target && gated && !self.facts.class_word && self.has(BlockKind::Class) {
            let trimmed = w.trim_start_matches('_');
            let named = g & G_CLASS_SUB != 0 && {
                use crate::detect::names::{is_attempts_param, is_delay_param, is_retry_method};
                is_retry_method(w)
                    || is_attempts_param(w)
                    || is_attempts_param(trimmed)
                    || is_delay_param(w)
                    || is_delay_param(trimmed)
            };
            if named || crate::detect::names::STRATEGY_MEMBERS.iter().any(|m| trimmed.eq_ignore_ascii_case(m)) {
                self.facts.class_word = true;
            }
        }
        if self.has(BlockKind::Handler) && self.has(BlockKind::Def) {
            self.handler_ident(w, g);
        }
    }

    /// An identifier (with word groups `g`) inside an `except` block inside a def (1d).
    fn handler_ident(&mut self, w: &str, g: u32) {
        if self.facts.recursion {
            return;
        }
        // A helper named for retrying (mutual recursion through `_retry_*`), or a call of the enclosing def,
        // which is a retry with a counter argument, a wait, or a retry/attempt/reconnect name.
        if g & G_RECURSION != 0 {
            self.facts.recursion = true;
        }
        let self_call = self.blocks.iter().any(|b| b.kind == BlockKind::Def && b.name == w);
        if self_call && contains_ci(w, "reconnect") {
            self.facts.recursion = true;
        }
        let attempt_word = g & G_ATTEMPT != 0;
        if self_call || attempt_word {
            for b in self.blocks.iter_mut().filter(|b| b.kind == BlockKind::Handler) {
                b.self_call |= self_call;
                b.attempt |= attempt_word;
            }
        }
    }
}

/// `except KeyError:`, `except (queue.Empty, StopIteration) as e:` — every type a control-flow name.
fn is_control_flow_clause(src: &str, clause: &Clause) -> bool {
    let mut t: &[u8] = &clause.tokens;
    if t.first() == Some(&b'*') {
        t = &t[1..];
    }
    // Drop `as NAME`.
    if t.len() >= 2 && t[t.len() - 2] == b'a' && t[t.len() - 1] == b'i' {
        t = &t[..t.len() - 2];
    }
    if t.contains(&b'a') {
        return false;
    }
    if t.first() == Some(&b'(') && t.last() == Some(&b')') {
        t = &t[1..t.len() - 1];
    }
    if t.is_empty() || t.contains(&b'(') || t.contains(&b')') || t.contains(&b'*') {
        return false;
    }
    // Items: ident (. ident)*, separated by commas; check each item's last name.
    let mut names = clause.names.iter();
    let mut items = 0;
    for item in t.split(|&c| c == b',') {
        if item.is_empty() {
            continue; // trailing comma
        }
        let well_formed = item.iter().enumerate().all(|(k, &c)| if k % 2 == 0 { c == b'i' } else { c == b'.' })
            && item.len() % 2 == 1;
        if !well_formed {
            return false;
        }
        let n_names = item.len() / 2 + 1;
        let mut last = None;
        for _ in 0..n_names {
            last = names.next();
        }
        let Some(&(s, e)) = last else { return false };
        let name = &src[s..e];
        if !(name.contains("Empty") || crate::detect::names::CONTROL_FLOW_EXCEPTIONS.contains(&name)) {
            return false;
        }
        items += 1;
    }
    items > 0
}

/// Keywords `Scanner::word` reads (block openers, handler leaves, import lines, `as` in except clauses).
fn is_keyword_read(w: &str) -> bool {
    match w.len() {
        2 => w == "as",
        3 => matches!(w, "for" | "def" | "try"),
        4 => w == "from",
        5 => matches!(w, "while" | "class" | "raise" | "break"),
        6 => matches!(w, "except" | "return" | "import"),
        8 => w == "continue",
        _ => false,
    }
}

/// The first byte at or after `i` that is not a space or tab (0 at the end).
fn next_non_space(b: &[u8], mut i: usize) -> u8 {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    b.get(i).copied().unwrap_or(0)
}

fn word_end(b: &[u8], mut i: usize) -> Result<usize, Unsure> {
    while let Some(&c) = b.get(i) {
        if !IDENT_CHAR[c as usize] {
            break;
        }
        i += 1;
    }
    if i < b.len() && b[i] >= 0x80 {
        return Err(Unsure); // non-ASCII identifier (NFKC-normalised by the parser)
    }
    Ok(i)
}

static IDENT_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c as u8 == b'_';
        c += 1;
    }
    t
};

fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
        // `1e-5` / `1E+5`: the sign belongs to the number.
        if matches!(b[i], b'e' | b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) && !is_hex_prefix(b, i) {
            i += 2;
            continue;
        }
        i += 1;
    }
    i
}

fn is_hex_prefix(b: &[u8], i: usize) -> bool {
    // Walk back over the number to see whether it is `0x...`.
    let mut k = i;
    while k > 0 && (b[k - 1].is_ascii_alphanumeric() || b[k - 1] == b'_') {
        k -= 1;
    }
    b.get(k) == Some(&b'0') && matches!(b.get(k + 1), Some(b'x' | b'X'))
}

fn is_string_prefix(w: &str) -> bool {
    w.len() <= 2
        && matches!(
            w.to_ascii_lowercase().as_str(),
            "r" | "u" | "b" | "f" | "t" | "br" | "rb" | "fr" | "rf" | "tr" | "rt"
        )
}

/// Lex a string literal whose opening quote is at `i` (`prefix` already consumed); return the offset after
/// it. Identifiers of f/t-string fields are reported through `words` (byte ranges). `nest`: the f-strings this
/// one is nested in; past the parser's bracket limit the answer is "unsure" (the recursion stays bounded, and
/// the parse that follows refuses the file as too deep).
fn string(
    b: &[u8],
    mut i: usize,
    prefix: &[u8],
    words: &mut dyn FnMut((usize, usize)),
    nest: usize,
) -> Result<usize, Unsure> {
    if nest > super::depth::MAX_BRACKETS {
        return Err(Unsure);
    }
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    i += if triple { 3 } else { 1 };
    let raw = prefix.iter().any(|c| matches!(c, b'r' | b'R'));
    let interpolated = prefix.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
    loop {
        if !interpolated {
            // Plain strings: jump to the next quote, backslash or line end.
            let rest = b.get(i..).unwrap_or(&[]);
            let k = if triple { memchr::memchr2(q, b'\\', rest) } else { memchr::memchr3(q, b'\\', b'\n', rest) };
            let k = match k {
                Some(k) => k,
                None if triple => return Err(Unsure),
                // `\r` alone ends a line too.
                None => return Err(Unsure),
            };
            if !triple && memchr::memchr(b'\r', &rest[..k]).is_some() {
                return Err(Unsure);
            }
            i += k;
        }
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'\\' => {
                if interpolated && !raw && b.get(i + 1) == Some(&b'N') && b.get(i + 2) == Some(&b'{') {
                    // `\N{NAME}`.
                    i += 3;
                    while b.get(i).is_some_and(|&c| c != b'}' && c != q && c != b'\n') {
                        i += 1;
                    }
                    i += 1;
                } else if interpolated && matches!(b.get(i + 1), Some(b'{' | b'}')) {
                    i += 1;
                } else {
                    i += 2;
                }
            }
            _ if c == q => {
                if !triple {
                    return Ok(i + 1);
                }
                if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                    return Ok(i + 3);
                }
                i += 1;
            }
            b'\n' | b'\r' if !triple => return Err(Unsure),
            b'{' if interpolated => {
                if b.get(i + 1) == Some(&b'{') {
                    i += 2;
                } else {
                    i = field(b, i + 1, words, nest + 1)?;
                }
            }
            _ => i += 1,
        }
    }
}

/// Lex an f-string replacement field starting after its `{`; return the offset after its `}`.
fn field(b: &[u8], mut i: usize, words: &mut dyn FnMut((usize, usize)), nest: usize) -> Result<usize, Unsure> {
    let mut depth = 0u32;
    loop {
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'"' | b'\'' => i = string(b, i, b"", words, nest)?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = word_end(b, i)?;
                if matches!(b.get(end), Some(b'"' | b'\''))
                    && is_string_prefix(std::str::from_utf8(&b[i..end]).unwrap_or(""))
                {
                    i = string(b, end, &b[i..end], words, nest)?;
                } else {
                    words((i, end));
                    i = end;
                }
            }
            b'0'..=b'9' => i = number_end(b, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' => {
                if depth == 0 {
                    return Err(Unsure);
                }
                depth -= 1;
                i += 1;
            }
            b'}' => {
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
                depth -= 1;
            }
            b':' if depth == 0 && b.get(i + 1) != Some(&b'=') => return spec(b, i + 1, words, nest),
            b'#' | b'\\' => return Err(Unsure),
            0x80.. => return Err(Unsure),
            b'*' | b'<' => {
                words((i, i));
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// Lex a format spec (after the field's `:`), with nested fields; return the offset after the field's `}`.
fn spec(b: &[u8], mut i: usize, words: &mut dyn FnMut((usize, usize)), nest: usize) -> Result<usize, Unsure> {
    loop {
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'{' => i = field(b, i + 1, words, nest + 1)?,
            b'}' => return Ok(i + 1),
            b'"' | b'\'' | b'\n' | b'\r' | b'\\' => return Err(Unsure),
            _ => i += 1,
        }
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
    fn fails_open() {
        assert!(m("x = 'unterminated\n"));
        assert!(m("x = (1\n"));
        assert!(m("caf\u{e9} = 1\n"));
    }
}
