//! The rule catalogue. Codes are stable; each rule is one file whose `//!` comment is its documentation
//! (`retry-audit rules --explain CODE`). Registering a rule is one line in `REGISTRY`.

mod backoff_calc;
mod circuit_breaker;
mod legacy_config;
mod legacy_import;
mod library_retry;
mod policy_drift;
mod readiness_probe;
mod retry_class;
mod retry_config;
mod retry_decision;
mod retry_decorator_def;
mod retry_function;
mod retry_preset;
mod retry_wrapper;
mod sleep_loop;
mod support;

use super::{Cx, RawFinding};
use crate::finding::Kind;

/// What a rule needs in a file's bytes before it can report anything there: the byte prefilter
/// (`crate::prefilter`) is the union of these declarations, so a rule whose trigger is not declared cannot be
/// silently skipped — its own fixtures fail (`declared_needs_cover_every_fixture_finding`).
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// Any one of these words (ASCII case-insensitive, outside `await`).
    pub words: &'static [&'static str],
    /// Or the structure of a loop retry: `except` with `while`, `range` or `count`.
    pub loop_structure: bool,
    /// Or a name from the rule data: the top module of a retry library (`libraries`) or a legacy module or
    /// symbol of the plan (`plan`).
    pub data: Option<DataWords>,
    /// Found on the project model from other findings (wrappers, presets, decisions, drift): nothing of its
    /// own to look for in a file.
    pub model: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataWords {
    Libraries,
    Plan,
}

impl Needs {
    pub const MODEL: Needs = Needs { words: &[], loop_structure: false, data: None, model: true };
}

/// Words of a retry loop (a sleep or wait call, an attempt counter, a retry-named callee for recursion).
const LOOP_WORDS: &[&str] = &["sleep", "wait", "retr", "attempt", "tries", "trial", "_try", "again", "reconnect"];

pub struct Rule {
    pub code: &'static str,
    pub kind: Kind,
    pub name: &'static str,
    pub needs: Needs,
    /// The rule file's source; its leading `//!` lines are the documentation.
    source: &'static str,
    pub check: fn(&Cx, &mut Vec<RawFinding>),
}

impl Rule {
    /// The rule's documentation: its file's module doc comment.
    pub fn doc(&self) -> String {
        self.source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(l.trim_start_matches("//!")))
            .collect::<Vec<_>>()
            .join("\n")
    }
    /// First line of the documentation.
    pub fn summary(&self) -> String {
        self.doc().lines().next().unwrap_or_default().to_string()
    }
}

macro_rules! rule {
    ($code:literal, $kind:expr, $module:ident) => {
        Rule {
            code: $code,
            kind: $kind,
            name: stringify!($module),
            needs: $module::NEEDS,
            source: include_str!(concat!(stringify!($module), ".rs")),
            check: $module::check,
        }
    };
}

pub static REGISTRY: &[Rule] = &[
    rule!("RTY001", Kind::RetryClass, retry_class),
    rule!("RTY002", Kind::RetryFunction, retry_function),
    rule!("RTY003", Kind::SleepLoop, sleep_loop),
    rule!("RTY004", Kind::RetryDecoratorDef, retry_decorator_def),
    rule!("RTY005", Kind::LibraryRetry, library_retry),
    rule!("RTY006", Kind::RetryConfig, retry_config),
    rule!("RTY007", Kind::CircuitBreaker, circuit_breaker),
    rule!("RTY008", Kind::BackoffCalc, backoff_calc),
    rule!("RTY009", Kind::LegacyImport, legacy_import),
    rule!("RTY010", Kind::ReadinessProbe, readiness_probe),
    rule!("RTY011", Kind::PolicyDrift, policy_drift),
    rule!("RTY012", Kind::LegacyConfig, legacy_config),
    rule!("RTY013", Kind::Wrapper, retry_wrapper),
    rule!("RTY014", Kind::Preset, retry_preset),
    rule!("RTY015", Kind::Decision, retry_decision),
];

/// Every word some rule needs (the byte prefilter's words), each once.
pub fn needed_words() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in REGISTRY {
        for w in r.needs.words {
            if !out.contains(w) {
                out.push(w);
            }
        }
    }
    out
}

/// The code of the rule that reports a kind.
pub fn code_of(kind: Kind) -> &'static str {
    REGISTRY.iter().find(|r| r.kind == kind).map(|r| r.code).unwrap_or("RTY000")
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    REGISTRY.iter().find(|r| r.code.eq_ignore_ascii_case(code) || r.kind.as_str() == code)
}
