//! The reference retry-policy engine: the executable definition of
//! `shared/spec/policy-semantics.md`.
//!
//! No I/O, no clock, no global state except the embedded domain presets (parsed once). Every
//! random draw comes from an injected seeded RNG, every time from the caller (or the simulator's
//! fake clock), so every result is reproducible.
//!
//! # Map
//!
//! | module | holds |
//! |---|---|
//! | [`policy`] | [`RetryPolicy`] (validated), [`PolicySpec`] (the knobs), [`PolicyError`] |
//! | [`legacy`] | `max_retries`, `retry_delay`, ... -> canonical, with a [`Mapping`] per key |
//! | [`strategy`] | [`Strategy`], capped delay `c(k)`, jitter-off [`schedule`] |
//! | [`jitter`] | `d = c * (1 - r*u)`, seeded [`jitter::rng`] |
//! | [`classify`] | [`Hierarchy`] of Python exception classes, [`classify()`] in spec order |
//! | [`breaker`] | [`CircuitBreaker`] state machine, [`BreakerRegistry`] |
//! | [`budget`] | [`TokenBucket`] (adaptive), Retry-After hints |
//! | [`simulate`] | outcome-script parser, deterministic [`simulate()`] -> [`Trace`] |
//! | [`presets`] | the domain presets ([`preset`]), overrides |
//! | [`drift`] | [`PartialParams`] found by the scanner vs a preset: [`drift()`] |
//! | [`vectors`] | conformance vectors (JSON) |
//! | [`translate`] | tenacity / backoff / stamina / urllib3 configs -> [`Translation`] |
//!
//! # For the scanner
//!
//! ```
//! use retry_audit_policy::{drift, preset, schedule, PartialParams};
//!
//! let db = preset("database").unwrap();
//! let found = PartialParams { max_attempts: Some(3), jitter: Some(false), ..Default::default() };
//! let diffs = drift(db, &found); // max_attempts 5 -> 3, jitter on -> off
//! assert_eq!(diffs.len(), 2);
//! let site = found.apply(db).unwrap();
//! assert_eq!(schedule(db), [0.5, 1.0, 2.0, 4.0]);
//! assert_eq!(schedule(&site), [0.5, 1.0]);
//! ```
//!
//! # Translating library configurations
//!
//! ```
//! use retry_audit_policy::translate::{translate_call, translate_str, LiteralValue, Translation};
//!
//! // From source text, as written in code:
//! let t = translate_str("stop_after_attempt(5), wait_exponential(multiplier=0.5, max=30), reraise=True").unwrap().translation;
//! let Translation::Exact(p) = t else { panic!() };
//! assert_eq!(retry_audit_policy::schedule(&p), [0.5, 1.0, 2.0, 4.0]);
//!
//! // From arguments the scanner already parsed (library, function, positional, keyword):
//! let t = translate_call(
//!     "backoff",
//!     "on_exception",
//!     &[LiteralValue::Name("backoff.expo".into()), LiteralValue::Name("OSError".into())],
//!     &[("max_tries".into(), LiteralValue::Int(4)), ("jitter".into(), LiteralValue::None)],
//! );
//! assert!(matches!(t, Translation::Exact(_)));
//! ```
//!
//! "Exact" means the same attempt count, the same jitter-off delays, the same jitter
//! distribution (not the same random stream), the same deadline rule and the same exception
//! lists. Anything else is [`Translation::Inexact`] with the closest policy and the reasons.

pub mod breaker;
pub mod budget;
pub mod classify;
pub mod drift;
pub mod jitter;
pub mod legacy;
pub mod policy;
pub mod presets;
pub mod simulate;
pub mod strategy;
pub mod translate;
pub mod vectors;

pub use breaker::{BreakerConfig, BreakerRegistry, BreakerState, CircuitBreaker, RegistryConflict, Rejected};
pub use budget::{retry_after, HintDecision, TokenBucket};
pub use classify::{classify, Classification, Classifier, Hierarchy, Rule, Verdict};
pub use drift::{drift, FieldDrift, ParamValue, PartialParams};
pub use jitter::jittered_schedule;
pub use legacy::{from_legacy_json, from_legacy_map, from_legacy_toml, ConfigError, Mapping};
pub use policy::{PolicyError, PolicySpec, RetryPolicy};
pub use presets::{domains, override_preset, preset, preset_entry, presets, Preset};
pub use simulate::{
    parse_outcomes, simulate, simulate_in, AttemptRecord, FinalResult, ScriptError, ScriptExhausted, SimEnv,
    Simulation, Step, Trace,
};
pub use strategy::{capped_delay, schedule, schedule_prefix, Strategy};
pub use translate::Translation;
pub use vectors::{vectors, VectorFile};
