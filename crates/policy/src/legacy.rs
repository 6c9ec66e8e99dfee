//! Legacy spellings, accepted only through an explicit conversion that reports what it mapped.
//!
//! The backend's config classes disagree on names *and* on meaning (one maps `max_retries = 3` to
//! 3 attempts, another to 4). The canonical schema rejects these spellings outright; this module
//! is the one place that translates them, with the canonical meaning (`retries = attempts - 1`),
//! and returns a [`Mapping`] per key so a migration can print exactly what changed.

use serde_json::{Map, Value};

use crate::policy::{PolicyError, PolicySpec, RetryPolicy};

/// One translated key: `max_retries=3 -> max_attempts=4`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mapping {
    pub legacy: String,
    pub canonical: String,
}

impl std::fmt::Display for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.legacy, self.canonical)
    }
}

/// A legacy config that cannot become a policy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML/JSON, wrong type, or an unknown key.
    #[error("{0}")]
    Syntax(String),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// How a legacy key becomes a canonical one.
enum Rule {
    /// retries -> attempts (+1)
    RetriesToAttempts,
    /// same value, new name
    Rename(&'static str),
}

const LEGACY: &[(&str, Rule)] = &[
    ("max_retries", Rule::RetriesToAttempts),
    ("retry_count", Rule::RetriesToAttempts),
    ("retry_delay", Rule::Rename("base_delay")),
    ("initial_delay", Rule::Rename("base_delay")),
    ("backoff_factor", Rule::Rename("multiplier")),
    ("exponential_base", Rule::Rename("multiplier")),
    ("backoff_multiplier", Rule::Rename("multiplier")),
];

/// Converts a key/value map that may use legacy spellings. Canonical keys pass through; two keys
/// that land on the same knob with different values are a [`PolicyError::Conflict`].
pub fn from_legacy_map(mut map: Map<String, Value>) -> Result<(RetryPolicy, Vec<Mapping>), ConfigError> {
    let mut mappings = Vec::new();
    for (legacy, rule) in LEGACY {
        let Some(value) = map.remove(*legacy) else {
            continue;
        };
        let (field, new_value): (&'static str, Value) = match rule {
            Rule::RetriesToAttempts => {
                let r = value.as_u64().and_then(|r| u32::try_from(r).ok()).ok_or_else(|| {
                    ConfigError::Syntax(format!("{legacy} must be a non-negative integer (got {value})"))
                })?;
                let attempts = r.checked_add(1).ok_or_else(|| ConfigError::Syntax(format!("{legacy} is too large")))?;
                ("max_attempts", Value::from(attempts))
            }
            Rule::Rename(to) => (*to, value.clone()),
        };
        if let Some(existing) = map.get(field) {
            if !same_number(existing, &new_value) {
                return Err(
                    PolicyError::Conflict { field, detail: format!("{field}={existing} vs {legacy}={value}") }.into()
                );
            }
        }
        mappings.push(Mapping { legacy: format!("{legacy}={value}"), canonical: format!("{field}={new_value}") });
        map.insert(field.to_string(), new_value);
    }
    let spec: PolicySpec =
        serde_json::from_value(Value::Object(map)).map_err(|e| ConfigError::Syntax(e.to_string()))?;
    Ok((RetryPolicy::new(spec)?, mappings))
}

fn same_number(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// [`from_legacy_map`] on a JSON object.
pub fn from_legacy_json(text: &str) -> Result<(RetryPolicy, Vec<Mapping>), ConfigError> {
    match serde_json::from_str::<Value>(text).map_err(|e| ConfigError::Syntax(e.to_string()))? {
        Value::Object(map) => from_legacy_map(map),
        other => Err(ConfigError::Syntax(format!("expected a JSON object, got {other}"))),
    }
}

/// [`from_legacy_map`] on a TOML document.
pub fn from_legacy_toml(text: &str) -> Result<(RetryPolicy, Vec<Mapping>), ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
    match serde_json::to_value(table).map_err(|e| ConfigError::Syntax(e.to_string()))? {
        Value::Object(map) => from_legacy_map(map),
        _ => Err(ConfigError::Syntax("expected a TOML table".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_retries_means_one_more_attempt() {
        let (p, m) = from_legacy_toml("max_retries = 3\nretry_delay = 0.5\nbackoff_factor = 3").unwrap();
        assert_eq!((p.max_attempts, p.base_delay, p.multiplier), (4, 0.5, 3.0));
        let shown: Vec<String> = m.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            shown,
            [
                "max_retries=3 -> max_attempts=4",
                "retry_delay=0.5 -> base_delay=0.5",
                "backoff_factor=3 -> multiplier=3"
            ]
        );
    }

    #[test]
    fn every_legacy_spelling_maps() {
        let (p, m) =
            from_legacy_json(r#"{"retry_count": 0, "initial_delay": 2, "max_delay": 9, "exponential_base": 1.5}"#)
                .unwrap();
        assert_eq!((p.max_attempts, p.base_delay, p.multiplier), (1, 2.0, 1.5));
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn canonical_only_maps_nothing() {
        let (p, m) = from_legacy_toml("max_attempts = 2").unwrap();
        assert_eq!(p.max_attempts, 2);
        assert!(m.is_empty());
    }

    #[test]
    fn conflicting_spellings_are_an_error() {
        let e = from_legacy_toml("max_attempts = 3\nmax_retries = 3").unwrap_err();
        assert_eq!(
            e.to_string(),
            "max_attempts is given twice with different values (max_attempts=3 vs max_retries=3)"
        );
        assert!(from_legacy_toml("max_attempts = 4\nmax_retries = 3").is_ok());
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(matches!(from_legacy_toml("max_retries = -1"), Err(ConfigError::Syntax(_))));
        assert!(
            matches!(from_legacy_toml("retry_delay = -1"), Err(ConfigError::Policy(e)) if e.field() == "base_delay")
        );
        assert!(
            matches!(from_legacy_toml("colour = 1"), Err(ConfigError::Syntax(s)) if s.contains("unknown field `colour`"))
        );
    }
}
