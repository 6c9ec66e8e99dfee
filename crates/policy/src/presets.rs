//! The domain presets of the spec's table, embedded from `rules/presets.toml` and parsed once.
//!
//! The parsed values are immutable (`&'static RetryPolicy`); an override is
//! [`RetryPolicy::with`] (or [`override_preset`]) and returns a new value, so one domain's
//! overrides can never leak into another's preset.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::policy::{PolicyError, PolicySpec, RetryPolicy};

const PRESETS_TOML: &str = include_str!("../../../rules/presets.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    preset: Vec<PresetEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetEntry {
    domain: String,
    #[serde(default)]
    aliases: Vec<String>,
    policy: PolicySpec,
}

/// One domain preset.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub domain: String,
    pub aliases: Vec<String>,
    pub policy: RetryPolicy,
}

fn parse(text: &str) -> Result<Vec<Preset>, String> {
    let file: PresetFile = toml::from_str(text).map_err(|e| e.to_string())?;
    file.preset
        .into_iter()
        .map(|e| {
            let policy = RetryPolicy::new(e.policy).map_err(|err| format!("preset {}: {err}", e.domain))?;
            Ok(Preset { domain: e.domain, aliases: e.aliases, policy })
        })
        .collect()
}

/// All presets, in table order.
pub fn presets() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    // The file is part of the build; a broken file is a build defect that the unit test below
    // catches, so panicking here is unreachable in a tested build.
    PRESETS.get_or_init(|| parse(PRESETS_TOML).expect("rules/presets.toml is invalid"))
}

/// The preset for a domain name or alias (`network` is `http`), case-insensitive.
pub fn preset(domain: &str) -> Option<&'static RetryPolicy> {
    preset_entry(domain).map(|p| &p.policy)
}

/// The preset entry (with its canonical domain name) for a domain name or alias.
pub fn preset_entry(domain: &str) -> Option<&'static Preset> {
    let d = domain.trim().to_ascii_lowercase();
    presets().iter().find(|p| p.domain == d || p.aliases.contains(&d))
}

/// Canonical domain names, in table order.
pub fn domains() -> Vec<&'static str> {
    presets().iter().map(|p| p.domain.as_str()).collect()
}

/// A new policy: the domain's preset with `edit` applied and re-validated. `None` for an unknown
/// domain.
pub fn override_preset(domain: &str, edit: impl FnOnce(&mut PolicySpec)) -> Option<Result<RetryPolicy, PolicyError>> {
    preset(domain).map(|p| p.with(edit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Strategy;

    #[test]
    fn embedded_file_parses_and_has_every_domain() {
        assert_eq!(parse(PRESETS_TOML).unwrap().len(), 7);
        assert_eq!(domains(), ["database", "llm", "agent", "websocket", "file", "http", "generic"]);
    }

    #[test]
    fn table_values() {
        let db = preset("database").unwrap();
        assert_eq!((db.max_attempts, db.base_delay, db.max_delay), (5, 0.5, 30.0));
        assert_eq!((db.strategy, db.multiplier, db.jitter_range), (Strategy::ExponentialJitter, 2.0, 0.1));
        assert_eq!((db.total_timeout, db.circuit_breaker_threshold, db.circuit_breaker_timeout), (Some(60.0), 5, 60.0));
        let llm = preset("llm").unwrap();
        assert_eq!((llm.multiplier, llm.jitter_range, llm.circuit_breaker_threshold), (2.5, 0.15, 3));
        assert!(!preset("agent").unwrap().circuit_breaker_enabled);
        assert_eq!(preset("generic").unwrap().total_timeout, None);
        assert_eq!(preset("file").unwrap().multiplier, 1.5);
    }

    #[test]
    fn network_is_http() {
        assert!(std::ptr::eq(preset("network").unwrap(), preset("http").unwrap()));
        assert!(preset("HTTP").is_some());
        assert!(preset("nope").is_none());
    }

    #[test]
    fn overrides_do_not_leak() {
        let changed = override_preset("database", |s| s.max_attempts = 9).unwrap().unwrap();
        assert_eq!(changed.max_attempts, 9);
        assert_eq!(preset("database").unwrap().max_attempts, 5);
        let err = override_preset("database", |s| s.jitter_range = 3.0).unwrap().unwrap_err();
        assert_eq!(err.field(), "jitter_range");
    }

    #[test]
    fn broken_preset_data_names_the_domain() {
        let e = parse("[[preset]]\ndomain = \"x\"\n[preset.policy]\nmax_attempts = 0\n").unwrap_err();
        assert_eq!(e, "preset x: max_attempts must be >= 1 (got 0)");
    }
}
