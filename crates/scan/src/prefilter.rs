//! Byte prefilter: files that cannot contain a finding are not parsed.
//!
//! Provably safe because every rule declares what it needs in its own file (`NEEDS`, a
//! `detect::rules::Needs`), and the prefilter is the union of the declarations (a test runs every rule's
//! fixtures against its own declaration, so a rule whose trigger is not declared fails there instead of being
//! skipped in the field). Today that union is: at least one of these words (ASCII case-insensitive) somewhere in
//! the file (an occurrence inside `await` does not count for `wait`: `await` is a keyword, never a name), or
//! the keyword `except` together with `while`, `range` or `count` (case-sensitive, as Python spells them):
//! - loop retries (RTY002/003/004/010) need a sleep/wait call, or a continuing `except` handler inside a
//!   loop that is a `while`, or a `for` over `range(..)`, `count()` (an import of `count` makes every `for`
//!   qualify) or an attempt-named iterable (attempt, retr, tries, trial, _try; see condition 1a of
//!   `parse/tokens/mod.rs`);
//! - recursion retries need a sleep/wait call, an attempt word, or a callee named retry/again/attempt or
//!   reconnect;
//! - a wrapper delegating to retry machinery is reported through its factory when it calls a retr- name;
//! - retry classes (RTY001) need a retry loop (above) or a decision method, whose names all contain
//!   retr / delay / backoff / wait / sleep / increment / exhausted;
//! - config schemas (RTY006) need attempt or delay fields (retr, attempt, tries, delay, backoff, interval,
//!   wait, jitter, multiplier, factor, expo) or strategy enum members (expo, linear, fixed, fib, constant,
//!   jitter, adaptive, immediate);
//! - circuit breakers (RTY007) need `breaker` or a half-open state;
//! - backoff calculators (RTY008) need a delay/backoff/jitter/wait/interval/fib/retry/expo/linear name or an
//!   attempt parameter (attempt, retr, tries, trial, _try);
//! - library uses (RTY005) need the library's top-level module name in an import: a root counts only after
//!   `import`, `from` or `,` (`import_context`);
//! - legacy imports (RTY009) and legacy config constructions (RTY012) need the last segment of a legacy
//!   module or symbol from the plan (`[[redirects]]`, `[[config_migrations]]`).
//!
//! Files that pass go through a second, token-level prefilter after decoding (`crate::parse::token_verdict`,
//! documented rule by rule in `parse/tokens/mod.rs`): it ignores comments and strings and checks where the words
//! occur (an `except` inside a loop inside a def, a name inside a class block, an import word on an import
//! line). Its import words are `import_words` below; the canonical module's last segment is among them so that
//! the canonical-import metric, counted only over parsed files, does not change.

use crate::data::RuleData;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The words of every rule's declaration (`detect::rules::Needs`), the plan's legacy names and the libraries'
/// top modules are the byte prefilter; the structural condition is on when a rule declares it.
fn declared() -> (Vec<&'static str>, bool, bool, bool) {
    use crate::detect::rules::{DataWords, REGISTRY};
    let words = crate::detect::rules::needed_words();
    let structure = REGISTRY.iter().any(|r| r.needs.loop_structure);
    let libraries = REGISTRY.iter().any(|r| r.needs.data == Some(DataWords::Libraries));
    let plan = REGISTRY.iter().any(|r| r.needs.data == Some(DataWords::Plan));
    (words, structure, libraries, plan)
}

/// Case-insensitive word matcher with decoys: a decoy is a longer word that contains a wanted word but does not
/// count (`await` contains `wait`), so `matches` is true only for a wanted word outside any decoy.
pub struct WordMatcher {
    matcher: AhoCorasick,
    wanted: usize,
    /// Words count only as the module an import statement names (`import_context`).
    import_only: bool,
}

/// Words that contain a prefilter word but never mean it.
pub const DECOYS: &[&str] = &["await"];

/// `DECOYS` and the common English and Python words that hold a rule's word without meaning it: `retrieve`
/// (`retr`), `entries` (`tries`), `incremental` (`increment`), `against` (`again`), `export` (`expo`),
/// `factory` (`factor`), `industrial` (`trial`), `immediately` (`immediate`). On a tree of SDKs and the standard
/// library they were the only word of a third of the files the byte prefilter let through. Only for the rules'
/// own words: a plan's legacy names are matched as written.
pub const WORD_DECOYS: &[&str] = &[
    "await",
    "retriev",
    "entries",
    "countries",
    "registries",
    "incremental",
    "against",
    "export",
    "expose",
    "factory",
    "refactor",
    "industrial",
    "immediately",
];

impl WordMatcher {
    pub fn new<S: AsRef<str>>(words: &[S], decoys: &[&str]) -> WordMatcher {
        let mut all: Vec<String> = words.iter().map(|w| w.as_ref().to_string()).collect();
        let wanted = all.len();
        all.extend(decoys.iter().map(|d| d.to_string()));
        // Case-sensitive search over lower-cased text: aho-corasick's SIMD prefilter (Teddy) does not run with
        // `ascii_case_insensitive`, and lower-casing a buffer is cheaper than the slow path.
        let all: Vec<String> = all.iter().map(|w| w.to_ascii_lowercase()).collect();
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&all)
            .expect("word matcher compiles");
        WordMatcher { matcher, wanted, import_only: false }
    }

    /// The words count only as the module an import statement names (`import_context`).
    fn import_only(mut self) -> WordMatcher {
        self.import_only = true;
        self
    }

    /// Start offset and pattern index (in `words` order) of every wanted match, decoys left out.
    pub fn wanted_matches(&self, hay: &[u8]) -> Vec<(u32, usize)> {
        with_lowercase(hay, |lower| {
            self.matcher
                .find_iter(lower)
                .filter(|m| m.pattern().as_usize() < self.wanted)
                .map(|m| (m.start() as u32, m.pattern().as_usize()))
                .collect()
        })
    }

    pub fn matches(&self, hay: &[u8]) -> bool {
        with_lowercase(hay, |lower| self.matches_lower(lower))
    }

    /// `matches` over text already ASCII-lower-cased.
    fn matches_lower(&self, lower: &[u8]) -> bool {
        self.matcher.find_iter(lower).any(|m| {
            let k = m.pattern().as_usize();
            k < self.wanted && (!self.import_only || import_context(lower, m.start(), m.end()))
        })
    }
}

/// Run `f` on an ASCII-lower-cased copy of `hay`, reusing a per-thread buffer.
fn with_lowercase<R>(hay: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        buf.extend(hay.iter().map(u8::to_ascii_lowercase));
        f(&buf)
    })
}

pub struct Prefilter {
    matcher: WordMatcher,
    /// Library top-level modules, counted only where an import names them.
    roots: WordMatcher,
    /// Library and plan names for the token prefilter.
    import_words: crate::parse::ImportWords,
    /// Some rule finds loop retries by structure (`except` inside `while`/`for range`).
    loop_structure: bool,
}

impl std::fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prefilter")
    }
}

impl Prefilter {
    /// Byte and token prefilter.
    pub fn new(data: &RuleData) -> Prefilter {
        let (declared, loop_structure, libraries, plan) = declared();
        let mut words: Vec<String> = declared.iter().map(|w| w.to_string()).collect();
        if plan {
            words.extend(legacy_words(data));
        }
        let mut roots: Vec<String> = if libraries {
            data.libraries
                .libraries
                .iter()
                .flat_map(|l| l.entries.iter().map(|e| e.split('.').next().unwrap_or(e).to_ascii_lowercase()))
                .collect()
        } else {
            vec![]
        };
        roots.sort();
        roots.dedup();
        words.sort();
        words.dedup();
        // A separate matcher: a root that fails its import context must not hide a word inside it (`retr` in
        // `retrying`).
        Prefilter {
            matcher: WordMatcher::new(&words, WORD_DECOYS),
            roots: WordMatcher::new(&roots, &[]).import_only(),
            import_words: import_words(data),
            loop_structure,
        }
    }

    /// False only when the file provably holds no finding.
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        // One lower-cased copy for both matchers (a file that fails the first is copied no second time).
        with_lowercase(bytes, |lower| {
            self.matcher.matches_lower(lower)
                || (self.loop_structure && loop_except(bytes))
                || self.roots.matches_lower(lower)
        })
    }

    /// Token prefilter over decoded text of a file that passed `may_match`: skip the file when it provably holds
    /// no finding, else the byte ranges the parser may blank (see `parse/tokens/mod.rs`, `parse/chunks.rs`).
    pub fn tokens(&self, text: &str) -> crate::parse::TokenVerdict {
        crate::parse::token_verdict(text, &self.import_words)
    }

    /// The words of the token prefilter (for other scans of the same tokens).
    pub fn import_words(&self) -> &crate::parse::ImportWords {
        &self.import_words
    }

    /// The token verdict with what the model needs of a skipped file.
    pub fn tokens_and_facts(&self, text: &str) -> (crate::parse::TokenVerdict, crate::parse::SkippedFacts) {
        crate::parse::token_scan(text, &self.import_words)
    }

    /// `tokens_and_facts`, with the file's top-level pieces when it is not parsed whole.
    pub fn tokens_facts_pieces(
        &self,
        text: &str,
    ) -> (crate::parse::TokenVerdict, crate::parse::SkippedFacts, Option<crate::parse::TopPieces>) {
        crate::parse::token_scan_pieces(text, &self.import_words)
    }
}

/// Does a file's bytes meet one rule's declaration (`detect::rules::Needs`)? The byte prefilter admits the
/// union of what every rule admits; this is what the declarations are tested against (builds its matchers per
/// call: for tests, not for the scan) (a finding in a file
/// its own rule's declaration would not admit means the declaration misses a trigger).
pub fn rule_admits(rule: &crate::detect::rules::Rule, bytes: &[u8], data: &RuleData) -> bool {
    use crate::detect::rules::DataWords;
    let n = rule.needs;
    if n.model {
        return true;
    }
    let words = !n.words.is_empty() && WordMatcher::new(n.words, WORD_DECOYS).matches(bytes);
    let structure = n.loop_structure && loop_except(bytes);
    let data_words = match n.data {
        Some(DataWords::Plan) => WordMatcher::new(&legacy_words(data), DECOYS).matches(bytes),
        Some(DataWords::Libraries) => {
            let roots: Vec<String> = data
                .libraries
                .libraries
                .iter()
                .flat_map(|l| l.entries.iter().map(|e| e.split('.').next().unwrap_or(e).to_ascii_lowercase()))
                .collect();
            WordMatcher::new(&roots, &[]).import_only().matches(bytes)
        }
        None => false,
    };
    words || structure || data_words
}

/// The (lower-cased) word at `start..end` is a module an import statement names: `import requests`,
/// `from google.api_core import retry`, `import os, redis` (also across backslash continuations), and not the
/// head of a longer name. Library uses (RTY005) need such an import of the library's top-level module.
fn import_context(text: &[u8], start: usize, end: usize) -> bool {
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if text.get(end).is_some_and(|&c| ident(c)) || (start > 0 && ident(text[start - 1])) {
        return false;
    }
    let mut i = start;
    loop {
        while i > 0 && matches!(text[i - 1], b' ' | b'\t' | b'\x0c') {
            i -= 1;
        }
        // A backslash continuation: `import os, \` / newline / `requests`.
        let nl = match (i.checked_sub(1).map(|k| text[k]), i.checked_sub(2).map(|k| text[k])) {
            (Some(b'\n'), Some(b'\r')) => 2,
            (Some(b'\n' | b'\r'), _) => 1,
            _ => 0,
        };
        if nl > 0 && i > nl && text[i - nl - 1] == b'\\' {
            i -= nl + 1;
            continue;
        }
        break;
    }
    let before = &text[..i];
    let keyword =
        |k: &[u8]| before.ends_with(k) && (before.len() == k.len() || !ident(before[before.len() - k.len() - 1]));
    before.ends_with(b",") || keyword(b"import") || keyword(b"from")
}

/// An `except` keyword and a qualifying loop word (`while`, `range`, `count`): condition 1a without an attempt
/// word.
fn loop_except(bytes: &[u8]) -> bool {
    use memchr::memmem::Finder;
    static FINDERS: std::sync::OnceLock<[Finder<'static>; 4]> = std::sync::OnceLock::new();
    let [except, rest @ ..] = FINDERS
        .get_or_init(|| [Finder::new("except"), Finder::new("while"), Finder::new("range"), Finder::new("count")]);
    except.find(bytes).is_some() && rest.iter().any(|f| f.find(bytes).is_some())
}

/// The last segment and the symbol of every legacy redirect (RTY009) and config migration (RTY012): legacy
/// code is always reached through an import that names one of them.
fn legacy_words(data: &RuleData) -> Vec<String> {
    let config_sources = data.plan.config_migrations.iter().map(|c| c.from.as_str());
    let mut words = Vec::new();
    for from in data.plan.redirects.iter().map(|r| r.from.as_str()).chain(config_sources) {
        let (m, n) = from.split_once(':').map_or((from, None), |(m, n)| (m, Some(n)));
        words.push(m.rsplit('.').next().unwrap_or(m).to_string());
        words.extend(n.map(str::to_string));
    }
    words
}

/// Names that make imports relevant to the token prefilter: every library entry point's top-level module and
/// last name (RTY005: a use resolves to the entry exactly), the last segment and the symbol of every legacy
/// redirect (RTY009) and config migration (RTY012), and the canonical module's last segment (canonical-import
/// metric).
fn import_words(data: &RuleData) -> crate::parse::ImportWords {
    let tidy = |mut v: Vec<String>| {
        v.retain(|w| !w.is_empty());
        v.sort();
        v.dedup();
        v
    };
    let entries = data.libraries.libraries.iter().flat_map(|l| l.entries.iter());
    let library_roots = entries.clone().map(|e| e.split('.').next().unwrap_or(e).to_string()).collect();
    let library_names = entries.map(|e| e.rsplit('.').next().unwrap_or(e).to_string()).collect();
    let mut words = legacy_words(data);
    let canon = data.plan.canonical.module.as_str();
    words.push(canon.rsplit('.').next().unwrap_or(canon).to_string());
    crate::parse::ImportWords::new(tidy(library_roots), tidy(library_names), tidy(words))
}

#[cfg(test)]
mod tests {
    use super::import_context;

    fn ctx(text: &str, word: &str) -> bool {
        let at = text.find(word).expect("word in text");
        import_context(text.as_bytes(), at, at + word.len())
    }

    #[test]
    fn roots_count_only_as_imported_modules() {
        assert!(ctx("import requests\n", "requests"));
        assert!(ctx("from requests.adapters import HTTPAdapter\n", "requests"));
        assert!(ctx("import os, requests\n", "requests"));
        assert!(ctx("import os, \\\n    requests\n", "requests"));
        assert!(!ctx("# send the requests again\n", "requests"));
        assert!(!ctx("import requests_toolbelt\n", "requests"));
        assert!(!ctx("reimport requests\n", "requests"));
        assert!(!ctx("self.requests = []\n", "requests"));
    }

    /// A rule word inside a decoy does not count; the same word elsewhere in the text still does.
    #[test]
    fn words_inside_decoys_do_not_count() {
        let m = super::WordMatcher::new(&["retr", "tries", "again", "increment", "factor", "wait"], super::WORD_DECOYS);
        assert!(!m.matches(b"def retrieve(entries): await against(IncrementalEncoder(), factory)"));
        assert!(m.matches(b"def retrieve(entries, max_retries=3): pass"));
        assert!(m.matches(b"x = Entries(tries=2)"));
        assert!(m.matches(b"backoff_factor = 0.5"));
        assert!(m.matches(b"try_again = True"));
        assert!(m.matches(b"self.increment()"));
    }
}
