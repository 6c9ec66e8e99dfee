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

pub struct Rule {
    pub code: &'static str,
    pub kind: Kind,
    pub name: &'static str,
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

/// The code of the rule that reports a kind.
pub fn code_of(kind: Kind) -> &'static str {
    REGISTRY.iter().find(|r| r.kind == kind).map(|r| r.code).unwrap_or("RTY000")
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    REGISTRY.iter().find(|r| r.code.eq_ignore_ascii_case(code) || r.kind.as_str() == code)
}
