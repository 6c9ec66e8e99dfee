//! Per-rule conditions: the words each rule's token condition looks for, grouped for one pass (see the
//! conditions in `mod.rs`), the name gate built from them, and what a scanned file or block shows of them.

pub(super) const SLEEP_NAMES: &[&str] = &["sleep", "_sleep", "async_sleep", "asleep"];
pub(super) const WAIT_OWNER_WORDS: &[&str] = &["event", "stop", "shutdown", "closed", "exit", "cancel"];
pub(super) const RECURSION_WORDS: &[&str] = &["retry", "again", "attempt"];
/// Sub-words of every class-role name (see 2.).
pub(super) const CLASS_SUBWORDS: &[&str] = &[
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
pub(super) const FAILURE_WORDS: &[&str] =
    &["failure_count", "failures", "failure_threshold", "consecutive_failures", "fail_count", "error_count"];
pub(super) const HALF_OPEN: &[&str] = &["half_open", "halfopen", "half-open"];
/// The def-name hints of `backoff_calc` (3.).
pub(super) const DEF_NAME_HINTS: &[&str] =
    &["delay", "backoff", "jitter", "wait", "sleep_time", "interval", "fib", "retry", "expo", "linear"];
/// The words of `names::is_attempt_name`.
pub(super) const ATTEMPT_WORDS: &[&str] = &["attempt", "retr", "tries", "try_count", "trial", "_try", "backoff_count"];
/// Callee last names that `params::is_backoff_arithmetic` accepts.
pub(super) const RANDOM_CALLS: &[&str] = &["pow", "uniform", "random", "randint", "expovariate"];
/// Class-name words of 2. that matter only with delay arithmetic (retry class, backoff class); `breaker` does
/// on its own.
pub(super) const CLASS_NAME_WORDS: &[&str] = &["retry", "retrier", "backoff", "wait", "jitter", "delay", "interval"];
/// Class-name words with which a retrying method makes a retry class (`classes::classify`'s `runs_retries`).
pub(super) const RUNS_RETRIES_WORDS: &[&str] =
    &["retry", "retrier", "backoff", "retrying", "resilien", "reliab", "recover", "executor"];
pub(super) fn contains_ci(hay: &str, needle: &str) -> bool {
    crate::detect::names::contains_ignore_case(hay, needle)
}

pub(super) fn any_ci(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| contains_ci(hay, w))
}

// Word groups, as bits of `groups`.
pub(super) const G_FAILURE: u32 = 1;
pub(super) const G_ATTEMPT: u32 = 2;
pub(super) const G_CLASS_SUB: u32 = 4;
pub(super) const G_RECURSION: u32 = 8;
pub(super) const G_DEF_HINT: u32 = 16;
pub(super) const G_CLASS_NAME: u32 = 32;
pub(super) const G_FIB: u32 = 64;
pub(super) const G_BREAKER: u32 = 128;

/// One case-insensitive automaton over every group's words (asked only about identifiers the name gate passes).
pub(super) struct Groups {
    pub(super) matcher: aho_corasick::AhoCorasick,
    pub(super) masks: Vec<u32>,
}

pub(super) fn groups_matcher() -> &'static Groups {
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
pub(super) fn half_open_text(src: &str) -> bool {
    static M: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(HALF_OPEN).expect("compiles")
    })
    .is_match(src)
}

/// The groups whose words occur in `w`, ignoring ASCII case.
pub(super) fn groups(w: &str) -> u32 {
    if w.len() < 3 {
        return 0;
    }
    let g = groups_matcher();
    g.matcher.find_overlapping_iter(w).fold(0, |acc, m| acc | g.masks[m.pattern().as_usize()])
}

#[derive(Default, Clone, Copy)]
pub(super) struct Facts {
    /// A continuing handler inside a qualifying loop / any loop, inside a def.
    pub(super) loop_except_q: bool,
    pub(super) loop_except_any: bool,
    pub(super) recursion: bool,
    pub(super) sleep_ident: bool,
    /// A qualifying loop / any loop inside a def.
    pub(super) loop_in_def_q: bool,
    pub(super) loop_in_def_any: bool,
    /// `count` on an import line: `itertools.count` may go by another name, so every `for` qualifies.
    pub(super) count_imported: bool,
    pub(super) try_in_def: bool,
    pub(super) class_word: bool,
    pub(super) any_class: bool,
    pub(super) failure_ident: bool,
    /// Delay arithmetic inside a hinted def or class (3., 2.).
    pub(super) backoff: bool,
    /// A binary `**` or `<<` inside a method (2.): a per-key breaker's growing timeout.
    pub(super) method_power: bool,
    /// An identifier inside a class containing one of `CLASS_SUBWORDS` (2.): a per-key breaker's backoff name.
    pub(super) class_sub_ident: bool,
    /// A handler of a def calls the def by name (1d); a finding needs a counter, a wait or a retry name.
    pub(super) recursion_if_sleep: bool,
    /// A library root on an import line / a library entry's last name anywhere (4.).
    pub(super) library_root: bool,
    pub(super) library_name: bool,
    /// A plan word (legacy segment, canonical module) on an import line (4.).
    pub(super) import_word: bool,
    /// A retry-named identifier inside a def nested in a def: a wrapper delegating to retry machinery (1e).
    pub(super) nested_retry: bool,
    /// A def or class named as a piece of a retry system (5.): the model may give it a role.
    pub(super) model_piece: bool,
}

impl Facts {
    pub(super) fn or(mut self, o: &Facts) -> Facts {
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
        self.method_power |= o.method_power;
        self.class_sub_ident |= o.class_sub_ident;
        self.recursion_if_sleep |= o.recursion_if_sleep;
        self.library_root |= o.library_root;
        self.library_name |= o.library_name;
        self.import_word |= o.import_word;
        self.nested_retry |= o.nested_retry;
        self.model_piece |= o.model_piece;
        self
    }

    /// Condition 4 holds: findings with fixes (RTY005, RTY009, RTY012) read the whole module, so the file is
    /// parsed whole.
    pub(super) fn whole_file(&self) -> bool {
        self.import_word || (self.library_root && self.library_name)
    }

    /// Conditions 1-3 hold for the part of the file these facts were read from (`file`: the whole file's facts,
    /// for the conditions that combine a local structure with a word anywhere).
    pub(super) fn local_finding(&self, file: &Facts, half_open: &mut impl FnMut() -> bool) -> bool {
        let loop_except = self.loop_except_q || (file.count_imported && self.loop_except_any);
        let loop_in_def = self.loop_in_def_q || (file.count_imported && self.loop_in_def_any);
        let functions = loop_except
            || self.recursion
            || self.nested_retry
            || (file.sleep_ident && (loop_in_def || self.try_in_def || self.recursion_if_sleep));
        functions || self.model_piece || self.class_finding(half_open)
    }

    /// Conditions 2 and 3 (class roles, delay arithmetic).
    pub(super) fn class_finding(&self, half_open: &mut impl FnMut() -> bool) -> bool {
        self.class_word
            || self.backoff
            || (self.method_power && self.class_sub_ident)
            || (self.any_class && self.failure_ident && half_open())
    }
}

/// Substrings that every name some name list of this module asks about contains (lower-cased): the group
/// words (`groups`; `count` covers `try_count`, `fail_count`, `error_count`, `backoff_count`), the sleep
/// names, `wait`, `range`/`count` of `for` headers, the random calls (`rand`, `pow`, `uniform`, `expo`) and the
/// strategy members (`names::STRATEGY_MEMBERS`).
/// Library entry names are added from the data. `class_gate_covers_detector_names` and
/// `gate_covers_every_word` check the cover.
pub(super) const GATE_WORDS: &[&str] = &[
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
