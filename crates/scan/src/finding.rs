//! `Finding`: the one currency of retry-audit. `inventory` prints findings, `check` filters them against a
//! baseline, `migrate` applies their fixes.

use crate::syntax::Span;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fixed vocabulary of what a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RetryClass,
    RetryFunction,
    SleepLoop,
    RetryDecoratorDef,
    LibraryRetry,
    RetryConfig,
    CircuitBreaker,
    BackoffCalc,
    LegacyImport,
    /// Retry-until-ready loops (`while time.time() < deadline: try: connect() ...`): reported on their own,
    /// never as duplicates of the canonical manager.
    ReadinessProbe,
    PolicyDrift,
    /// A construction of a legacy config class the plan migrates (`RetryConfig(max_retries=3)`).
    LegacyConfig,
    /// A function, class or alias whose job is to call retry machinery (found on the project model).
    Wrapper,
    /// A definition of concrete retry numbers: a config construction, a dict of presets, a factory, a
    /// decorator applied with its numbers (found on the project model).
    Preset,
    /// A function that decides whether to retry (found on the project model).
    Decision,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RetryClass => "retry_class",
            Kind::RetryFunction => "retry_function",
            Kind::SleepLoop => "sleep_loop",
            Kind::RetryDecoratorDef => "retry_decorator_def",
            Kind::LibraryRetry => "library_retry",
            Kind::RetryConfig => "retry_config",
            Kind::CircuitBreaker => "circuit_breaker",
            Kind::BackoffCalc => "backoff_calc",
            Kind::LegacyImport => "legacy_import",
            Kind::ReadinessProbe => "readiness_probe",
            Kind::PolicyDrift => "policy_drift",
            Kind::LegacyConfig => "legacy_config",
            Kind::Wrapper => "retry_wrapper",
            Kind::Preset => "retry_preset",
            Kind::Decision => "retry_decision",
        }
    }

    /// Kinds that are retry *implementations* (counted as distinct implementations in the SSOT metrics).
    pub fn is_implementation(self) -> bool {
        matches!(
            self,
            Kind::RetryClass
                | Kind::RetryFunction
                | Kind::SleepLoop
                | Kind::RetryDecoratorDef
                | Kind::RetryConfig
                | Kind::CircuitBreaker
                | Kind::BackoffCalc
                | Kind::Wrapper
                | Kind::Preset
                | Kind::Decision
        )
    }
}

/// What a site is in the tree's retry system (detection-notes, "The inventory is a graph").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Engine,
    Wrapper,
    Decorator,
    Preset,
    ConfigSchema,
    StrategyEnum,
    Decision,
    Calculator,
    Breaker,
    LibraryUse,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Engine => "engine",
            Role::Wrapper => "wrapper",
            Role::Decorator => "decorator",
            Role::Preset => "preset",
            Role::ConfigSchema => "config_schema",
            Role::StrategyEnum => "strategy_enum",
            Role::Decision => "decision",
            Role::Calculator => "calculator",
            Role::Breaker => "breaker",
            Role::LibraryUse => "library_use",
        }
    }

    pub const ALL: [Role; 10] = [
        Role::Engine,
        Role::Wrapper,
        Role::Decorator,
        Role::Preset,
        Role::ConfigSchema,
        Role::StrategyEnum,
        Role::Decision,
        Role::Calculator,
        Role::Breaker,
        Role::LibraryUse,
    ];
}

/// Statically visible policy parameters. `max_attempts` counts the first call; a legacy `max_retries = R`
/// is stored as `R + 1` with the source spelling kept in `spelling`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// The attempt count as the code computes it, when it reads a value the scan cannot see
    /// (`range(self.config.max_retries)` -> `self.config.max_retries`); `max_attempts` is then unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts_expr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_delay: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_timeout: Option<f64>,
    /// Source spellings of the values above, e.g. `{"max_attempts": "max_retries=3"}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub spelling: BTreeMap<String, String>,
}

impl Params {
    pub fn is_empty(&self) -> bool {
        self.max_attempts.is_none()
            && self.max_attempts_expr.is_none()
            && self.base_delay.is_none()
            && self.max_delay.is_none()
            && self.multiplier.is_none()
            && self.strategy.is_none()
            && self.jitter.is_none()
            && self.total_timeout.is_none()
    }

    /// Fill every unset field from `other`.
    pub fn merge_missing(&mut self, other: &Params) {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = other.$f.clone(); } )* };
        }
        // One knob, two spellings: a count the code computes from an unseen value is not replaced by a number.
        if self.max_attempts.is_none() && self.max_attempts_expr.is_none() {
            self.max_attempts = other.max_attempts;
            self.max_attempts_expr = other.max_attempts_expr.clone();
        }
        fill!(base_delay, max_delay, multiplier, strategy, jitter, total_timeout);
        for (k, v) in &other.spelling {
            self.spelling.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Inside the plan's canonical module.
    Canonical,
    /// In a file the plan lists (to be consolidated).
    Planned,
    /// A duplicate nobody listed.
    Unplanned,
    /// There is no plan (nothing to be planned or unplanned against).
    NoPlan,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Canonical => "canonical",
            PlanStatus::Planned => "planned",
            PlanStatus::Unplanned => "unplanned",
            PlanStatus::NoPlan => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRef {
    pub status: PlanStatus,
    /// The plan entry id this finding matched, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

impl PlanRef {
    /// Without a plan a finding has no plan status, and its JSON has no `plan` key.
    pub fn is_no_plan(&self) -> bool {
        self.status == PlanStatus::NoPlan
    }
}

/// How safe a fix is to apply without review (ruff's model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applicability {
    Safe,
    Unsafe,
    DisplayOnly,
}

/// Replace the bytes `span` of the decoded text with `content`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edit {
    pub span: Span,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    /// What the fix does (shown in the diff header).
    pub note: String,
    /// The fix category (`import_redirect`, `rename`, `decorator`, `config`).
    pub fix_kind: String,
}

/// A fix the codemod would like to offer but cannot, and why (reported by `migrate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedFix {
    pub fix_kind: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub kind: Kind,
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub column: u32,
    #[serde(skip)]
    pub span: Span,
    pub symbol: String,
    pub domain: String,
    pub params: Params,
    #[serde(skip_serializing_if = "PlanRef::is_no_plan")]
    pub plan: PlanRef,
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub message: String,
    /// Low-confidence or noteworthy facts (`unbounded`, `helper-indirection` ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_fix: Option<SkippedFix>,
    /// Normalized structure hash input (names, literals and positions erased); used for grouping.
    #[serde(skip)]
    pub shape: u64,
    /// Its role in the retry system (none for migration findings: legacy imports, legacy configs, drift).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The shape within the role (`alias`, `factory`, `instance`, `registry`, `inline_loop` ...).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub role_detail: String,
    /// Why it has the role: `loop@L152`, `sleep via _wait_before_retry (retry_helpers.py:40)`, `recursion`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The machinery a wrapper, alias, preset or decorator instance hands off to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delegates_to: Vec<SiteRef>,
    /// Call sites and importers in the tree (the "Usage" column of a plan's tables).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<Use>,
}

/// A definition in the tree, by symbol and place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SiteRef {
    pub symbol: String,
    pub path: String,
    pub line: u32,
}

/// One use of a site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Use {
    pub path: String,
    pub line: u32,
    /// `call` or `import`.
    pub via: &'static str,
    /// The function the call is in (empty at module level, and for imports).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub symbol: String,
}
