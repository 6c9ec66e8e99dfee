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
//!    function bodies. A verdict needs `failure_driven` or `result_driven`:
//!    - `failure_driven` needs `continuing_handler`: an `except` clause in the loop body whose exception types
//!      are not all control-flow names (`is_control_flow_handler`: `StopIteration`, `KeyError`, `*Empty*` ...)
//!      and whose body has no direct `return`/`break`/`raise` statement. Token condition **(1a)**: such an
//!      `except` inside a loop inside a def. Types are read only when they are plain dotted names or a
//!      parenthesised tuple of them; a direct leave is seen only as the first token of a statement at the
//!      handler body's own indentation (or right after the clause's colon); anything else counts as
//!      continuing.
//!    - `result_driven` needs `has_sleep`: a call in the loop body for which `sleeps::is_sleep` holds, or a
//!      same-file helper up to two calls away that makes one. `is_sleep` resolves the callee through import
//!      aliases; the resolved last segment is an identifier written in the file (in the call or in the
//!      import that binds the alias), and it must be `sleep`, `_sleep`, `async_sleep` or `asleep` (every
//!      entry of `SLEEPS` ends in `sleep`), or `wait` on an attribute whose owner (the dotted chain before
//!      `.wait`, unresolved) contains event/stop/shutdown/closed/exit/cancel. Token condition **(1b)**: a
//!      sleep identifier anywhere in the file (a `.wait` after `)`/`]`, or any `wait` inside an f-string,
//!      counts too), and a loop inside a def.
//!    - recursion, first form: a `try` in the body plus `handler_waits` (a sleep call or a helper one call
//!      away). Token condition **(1c)**: a sleep identifier anywhere and a `try` inside a def.
//!    - recursion, second form: inside an `except` handler of function `f`, a call whose same-file callee is
//!      `f` itself (a name or `self.`/`cls.` attribute equal to `f`'s name), or a helper whose name contains
//!      retry/again/attempt. Token condition **(1d)**: inside an `except` block inside a def, an identifier
//!      equal to the name of an enclosing def or containing (ASCII case-insensitively) retry/again/attempt.
//! 2. Class rules without a retrying method (`classes::classify` returns early unless a method retries, which
//!    is condition 1, or the class text has a `CLASS_WORDS` word). Per role, the names involved are
//!    identifiers written inside the class block (class name, method names, field targets, `self.` attributes):
//!    - strategy enum (RTY006): two fields whose upper-cased name (leading `_` dropped) is a
//!      `STRATEGY_MEMBERS` entry: an identifier equal to one, ignoring case;
//!    - circuit breaker (RTY007): a class name containing `breaker`, or `may_be_breaker` (the class *text*
//!      contains half_open/halfopen/half-open) and `counts_failures` (an identifier containing failure_count,
//!      failures, failure_threshold, consecutive_failures, fail_count or error_count);
//!    - backoff class (RTY008): a class name containing backoff/wait/jitter/delay/interval;
//!    - retry class (RTY001): decision methods (`names::is_retry_method`: every name contains retr, delay,
//!      backoff, increment, exhausted, wait or sleep), a class name containing retry/retrier/backoff, or a
//!      retry field (`is_attempts_param` / `is_delay_param`);
//!    - retry config (RTY006): retry fields; every `is_attempts_param` name contains retr/attempt/tries and
//!      every `is_delay_param` name contains delay/backoff/retr/wait/multiplier/expon/jitter/interval.
//!
//!    Token condition **(2)**: inside a class block, an identifier containing (ASCII case-insensitively) one of
//!    `CLASS_SUBWORDS` or equal to a strategy member; or a class, the half-open text anywhere in the file, and a
//!    failure-count identifier.
//! 3. Backoff functions (RTY008) need a def whose name contains delay/backoff/jitter/wait/sleep_time/interval/
//!    fib/retry/expo/linear or with a parameter for which `names::is_attempt_name` holds (attempt, retr, tries,
//!    try_count, trial, _try, backoff_count). Token condition **(3)**: such an identifier in a def header
//!    (from `def` to the header's colon; annotations and defaults included).
//! 4. Import-driven rules and metrics: library uses (RTY005, `imports_from_any` over the library roots),
//!    legacy imports (RTY009, `imports_mention_any` over the redirect segments), legacy config constructions
//!    (RTY012, a binding from an import naming the legacy module's last segment or the class) and the
//!    canonical-import metric (an import of the canonical module) all need an import statement naming one of
//!    the words of `Prefilter` (`crate::prefilter`). Token condition **(4)**: one of those words, exactly, as an
//!    identifier on a logical line after an `import` or `from` keyword.
//!
//! RTY011 policy_drift is derived from the findings above and adds no condition of its own.

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
/// `classes::STRATEGY_MEMBERS`, lower-cased.
const STRATEGY_MEMBERS: &[&str] = &[
    "exponential",
    "linear",
    "fixed",
    "fibonacci",
    "constant",
    "exponential_jitter",
    "jitter",
    "adaptive",
    "immediate",
    "exponential_backoff",
    "linear_backoff",
    "fixed_delay",
    "no_retry",
    "decorrelated_jitter",
    "full_jitter",
];
const FAILURE_WORDS: &[&str] =
    &["failure_count", "failures", "failure_threshold", "consecutive_failures", "fail_count", "error_count"];
const HALF_OPEN: &[&str] = &["half_open", "halfopen", "half-open"];
/// Def-header words of 3.: the name hints of `backoff_calc` and the words of `names::is_attempt_name`.
const HEADER_WORDS: &[&str] = &[
    "delay",
    "backoff",
    "jitter",
    "wait",
    "sleep_time",
    "interval",
    "fib",
    "retry",
    "expo",
    "linear",
    "attempt",
    "retr",
    "tries",
    "try_count",
    "trial",
    "_try",
    "backoff_count",
];
/// `loops::is_control_flow_handler`'s exact names (names containing `Empty` count too).
const CONTROL_FLOW_EXCEPTIONS: &[&str] = &[
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

fn contains_ci(hay: &str, needle: &str) -> bool {
    crate::detect::names::contains_ignore_case(hay, needle)
}

fn any_ci(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| contains_ci(hay, w))
}

/// True unless the tokens of `src` prove that no rule reports anything in it (see the module doc).
/// `import_words`: identifiers that make any import statement relevant (condition 4).
pub fn may_hold_finding(src: &str, import_words: &[String]) -> bool {
    let mut s = Scanner::new(src, import_words);
    match s.run() {
        Ok(()) => s.verdict(),
        Err(Unsure) => true,
    }
}

#[doc(hidden)]
pub fn debug_facts(src: &str, import_words: &[String]) -> String {
    let mut s = Scanner::new(src, import_words);
    if s.run().is_err() {
        return "unsure".into();
    }
    let f = &s.facts;
    format!(
        "loop_except={} recursion={} sleep={} loop_in_def={} try_in_def={} class_word={} failure={} header={} import={} verdict={}",
        f.loop_except, f.recursion, f.sleep_ident, f.loop_in_def, f.try_in_def, f.class_word, f.failure_ident && f.any_class, f.header_word, f.import_word, s.verdict()
    )
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
    // Handler state.
    in_loop_in_def: bool,
    control_flow: bool,
    leaves: bool,
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

#[derive(Default)]
struct Facts {
    loop_except: bool,
    recursion: bool,
    sleep_ident: bool,
    loop_in_def: bool,
    try_in_def: bool,
    class_word: bool,
    any_class: bool,
    failure_ident: bool,
    header_word: bool,
    import_word: bool,
}

struct Scanner<'s, 'w> {
    src: &'s str,
    b: &'s [u8],
    i: usize,
    import_words: &'w [String],
    depth: u32,
    blocks: Vec<Block<'s>>,
    line_indent: Indent,
    /// Next code token starts a statement.
    stmt_start: bool,
    /// The current logical line is at the body indentation of the innermost (handler) block.
    handler_body_line: bool,
    in_import: bool,
    /// In a def header (`def` .. colon at depth 0).
    in_header: bool,
    /// The next identifier is a def's name.
    want_def_name: bool,
    clause: Clause,
    /// Previous code token: 0 none, b'.' dot, b'i' identifier, b')' closing bracket, b'o' other.
    prev: u8,
    /// Start of the current dotted chain `a.b.c` (byte offset), when the previous tokens form one.
    chain_start: Option<usize>,
    facts: Facts,
}

impl<'s, 'w> Scanner<'s, 'w> {
    fn new(src: &'s str, import_words: &'w [String]) -> Self {
        Scanner {
            src,
            b: src.as_bytes(),
            i: 0,
            import_words,
            depth: 0,
            blocks: Vec::new(),
            line_indent: Indent { col8: 0, col1: 0 },
            stmt_start: true,
            handler_body_line: false,
            in_import: false,
            in_header: false,
            want_def_name: false,
            clause: Clause::default(),
            prev: 0,
            chain_start: None,
            facts: Facts::default(),
        }
    }

    fn verdict(&self) -> bool {
        let f = &self.facts;
        let functions = f.loop_except || f.recursion || (f.sleep_ident && (f.loop_in_def || f.try_in_def));
        let classes =
            f.class_word || (f.any_class && f.failure_ident && HALF_OPEN.iter().any(|w| contains_ci(self.src, w)));
        functions || classes || f.header_word || f.import_word
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
                        self.start_logical_line(Indent { col8, col1 })?;
                    }
                }
            }
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\x0c' => self.i += 1,
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
                    self.i = string(self.b, self.i, b"", &mut |_| {})?;
                    self.punct(b's');
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let start = self.i;
                    let end = word_end(self.b, start)?;
                    let w = &self.src[start..end];
                    if matches!(self.b.get(end), Some(b'"' | b'\'')) && is_string_prefix(w) {
                        let mut words: Vec<(usize, usize)> = Vec::new();
                        self.i = string(self.b, end, w.as_bytes(), &mut |r| words.push(r))?;
                        for (s, e) in words {
                            self.fstring_word(&self.src[s..e]);
                        }
                        self.punct(b's');
                    } else {
                        self.i = end;
                        self.word(start, w);
                    }
                }
                b'0'..=b'9' => {
                    self.i = number_end(self.b, self.i);
                    self.punct(b'o');
                }
                b'.' if self.peek(1).is_ascii_digit() => {
                    self.i = number_end(self.b, self.i);
                    self.punct(b'o');
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
                b'*' if self.peek(1) != b'*' && self.peek(1) != b'=' => {
                    self.i += 1;
                    self.punct(b'*');
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
        while let Some(b) = self.blocks.pop() {
            self.close(b);
        }
        Ok(())
    }

    fn skip_comment(&mut self) {
        while self.i < self.b.len() && !matches!(self.b[self.i], b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn skip_newline(&mut self) {
        if self.peek(0) == b'\r' && self.peek(1) == b'\n' {
            self.i += 2;
        } else {
            self.i += 1;
        }
    }

    fn start_logical_line(&mut self, indent: Indent) -> Result<(), Unsure> {
        while let Some(top) = self.blocks.last() {
            if indent.closes(top.indent)? {
                let b = self.blocks.pop().expect("top");
                self.close(b);
            } else {
                break;
            }
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
        if b.kind == BlockKind::Handler && b.in_loop_in_def && !b.control_flow && !b.leaves {
            self.facts.loop_except = true;
        }
    }

    /// End of a simple statement (newline at depth 0, `;`, end of file).
    fn end_statement(&mut self) {
        self.in_import = false;
        self.in_header = false;
        self.want_def_name = false;
        if self.clause.active {
            // A clause without its colon: be safe.
            self.finish_clause(false);
        }
    }

    fn has(&self, kind: BlockKind) -> bool {
        self.blocks.iter().any(|b| b.kind == kind)
    }

    fn push(&mut self, kind: BlockKind, name: &'s str) {
        let in_loop_in_def = self.has(BlockKind::Loop) && self.has(BlockKind::Def);
        self.blocks.push(Block {
            kind,
            indent: self.line_indent,
            name,
            in_loop_in_def,
            control_flow: false,
            leaves: false,
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
        if self.in_header {
            self.in_header = false;
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

    fn word(&mut self, start: usize, w: &'s str) {
        let first = self.stmt_start;
        self.stmt_start = false;
        if self.depth == 0 {
            match w {
                "for" | "while" => {
                    if self.has(BlockKind::Def) {
                        self.facts.loop_in_def = true;
                    }
                    self.push(BlockKind::Loop, "");
                }
                "def" => {
                    self.push(BlockKind::Def, "");
                    self.in_header = true;
                    self.want_def_name = true;
                }
                "class" => {
                    self.facts.any_class = true;
                    self.push(BlockKind::Class, "");
                }
                "try" => {
                    if self.has(BlockKind::Def) {
                        self.facts.try_in_def = true;
                    }
                }
                "except" => {
                    self.push(BlockKind::Handler, "");
                    self.clause = Clause { active: true, plain: true, ..Default::default() };
                    self.handler_body_line = false;
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
        if self.want_def_name && w != "def" {
            self.want_def_name = false;
            if let Some(top) = self.blocks.last_mut() {
                if top.kind == BlockKind::Def {
                    top.name = w;
                }
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
        self.ident(w);
        if self.prev != b'.' || self.chain_start.is_none() {
            self.chain_start = if self.prev == b'.' { None } else { Some(start) };
        }
        self.prev = b'i';
    }

    /// An identifier inside an f-string field: conditions on names, never structure.
    fn fstring_word(&mut self, w: &'s str) {
        if w == "wait" {
            self.facts.sleep_ident = true;
        }
        self.ident(w);
    }

    /// Name conditions shared by code and f-string identifiers.
    fn ident(&mut self, w: &str) {
        let f = &mut self.facts;
        if SLEEP_NAMES.contains(&w) {
            f.sleep_ident = true;
        }
        if self.in_import && !f.import_word && self.import_words.iter().any(|x| x == w) {
            f.import_word = true;
        }
        if self.in_header && !f.header_word && any_ci(w, HEADER_WORDS) {
            f.header_word = true;
        }
        if !f.failure_ident && any_ci(w, FAILURE_WORDS) {
            f.failure_ident = true;
        }
        let (mut in_class, mut in_handler, mut in_def) = (false, false, false);
        for b in &self.blocks {
            match b.kind {
                BlockKind::Class => in_class = true,
                BlockKind::Handler => in_handler = true,
                BlockKind::Def => in_def = true,
                BlockKind::Loop => {}
            }
        }
        if in_class && !f.class_word {
            let trimmed = w.trim_start_matches('_');
            if any_ci(w, CLASS_SUBWORDS) || STRATEGY_MEMBERS.iter().any(|m| trimmed.eq_ignore_ascii_case(m)) {
                f.class_word = true;
            }
        }
        if in_handler && in_def && !f.recursion {
            let def_name = self.blocks.iter().any(|b| b.kind == BlockKind::Def && b.name == w);
            if def_name || any_ci(w, RECURSION_WORDS) {
                f.recursion = true;
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
        if !(name.contains("Empty") || CONTROL_FLOW_EXCEPTIONS.contains(&name)) {
            return false;
        }
        items += 1;
    }
    items > 0
}

fn word_end(b: &[u8], mut i: usize) -> Result<usize, Unsure> {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    if i < b.len() && b[i] >= 0x80 {
        return Err(Unsure); // non-ASCII identifier (NFKC-normalised by the parser)
    }
    Ok(i)
}

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
/// it. Identifiers of f/t-string fields are reported through `words` (byte ranges).
fn string(b: &[u8], mut i: usize, prefix: &[u8], words: &mut dyn FnMut((usize, usize))) -> Result<usize, Unsure> {
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    i += if triple { 3 } else { 1 };
    let raw = prefix.iter().any(|c| matches!(c, b'r' | b'R'));
    let interpolated = prefix.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
    loop {
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
                    i = field(b, i + 1, words)?;
                }
            }
            _ => i += 1,
        }
    }
}

/// Lex an f-string replacement field starting after its `{`; return the offset after its `}`.
fn field(b: &[u8], mut i: usize, words: &mut dyn FnMut((usize, usize))) -> Result<usize, Unsure> {
    let mut depth = 0u32;
    loop {
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'"' | b'\'' => i = string(b, i, b"", words)?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = word_end(b, i)?;
                if matches!(b.get(end), Some(b'"' | b'\''))
                    && is_string_prefix(std::str::from_utf8(&b[i..end]).unwrap_or(""))
                {
                    i = string(b, end, &b[i..end], words)?;
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
            b':' if depth == 0 && b.get(i + 1) != Some(&b'=') => return spec(b, i + 1, words),
            b'#' | b'\\' => return Err(Unsure),
            0x80.. => return Err(Unsure),
            _ => i += 1,
        }
    }
}

/// Lex a format spec (after the field's `:`), with nested fields; return the offset after the field's `}`.
fn spec(b: &[u8], mut i: usize, words: &mut dyn FnMut((usize, usize))) -> Result<usize, Unsure> {
    loop {
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'{' => i = field(b, i + 1, words)?,
            b'}' => return Ok(i + 1),
            b'"' | b'\'' | b'\n' | b'\r' | b'\\' => return Err(Unsure),
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::may_hold_finding;

    fn m(src: &str) -> bool {
        may_hold_finding(src, &["tenacity".to_string()])
    }

    #[test]
    fn comments_and_strings_do_not_count() {
        assert!(!m("# def f():\n#   for x in y:\n#     try: pass\n#     except E: pass\nx = 'retry sleep'\n"));
        assert!(!m("def f():\n    '''\n    for x in y:\n        try:\n            g()\n        except E:\n            pass\n    '''\n"));
    }

    #[test]
    fn except_in_loop() {
        let src =
            "def f():\n    for x in y:\n        try:\n            g()\n        except OSError:\n            pass\n";
        assert!(m(src));
        // A handler that leaves, or catches control flow only, cannot make the loop failure-driven.
        assert!(!m(
            "def f():\n    for x in y:\n        try:\n            g()\n        except OSError:\n            raise\n"
        ));
        assert!(!m("def f():\n    for x in y:\n        try:\n            g()\n        except (KeyError, q.Empty):\n            pass\n"));
        assert!(!m("def f():\n    for x in y:\n        try: g()\n        except OSError: return None\n"));
        // The loop is closed before the try.
        assert!(!m(
            "def f():\n    for x in y:\n        g()\n    try:\n        g()\n    except OSError:\n        pass\n"
        ));
        // Not in a def.
        assert!(!m("for x in y:\n    try:\n        g()\n    except OSError:\n        pass\n"));
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
        assert!(m("def fetch(n):\n    try:\n        g()\n    except E:\n        return fetch(n + 1)\n"));
        assert!(!m("def fetch(n):\n    try:\n        g()\n    except E:\n        return other(n)\n"));
        assert!(m("class P:\n    max_retries = 3\n"));
        assert!(m("class S(Enum):\n    LINEAR = 1\n"));
        assert!(!m("class S(Enum):\n    LINEARITY = 1\n"));
        assert!(m("from tenacity import retry\n"));
        assert!(!m("x = tenacity\n"));
        assert!(m("def compute_delay(n):\n    return 2 ** n\n"));
    }

    #[test]
    fn fstrings_nested_quotes() {
        assert!(!m("x = f\"{a['k']:>{w}} {b!r}\"\ny = rf'\\d{{x}}'\n"));
        assert!(m("def f():\n    for i in y:\n        s = f\"{d[\"k\"]}\"\n        try:\n            g()\n        except E:\n            pass\n"));
    }

    #[test]
    fn fails_open() {
        assert!(m("x = 'unterminated\n"));
        assert!(m("x = (1\n"));
        assert!(m("caf\u{e9} = 1\n"));
    }
}
