//! Drift: how a retry site's statically known parameters differ from its domain preset.
//!
//! The scanner rarely knows every knob of a hand-rolled loop, so [`PartialParams`] holds only
//! what it could read; unknown fields are never reported as drift. `exponential_jitter` is
//! compared as "exponential + jitter" so that a loop written as `base * 2**n * random()` is not
//! flagged for its strategy name.

use serde::{Deserialize, Serialize};

use crate::policy::{PolicyError, RetryPolicy};
use crate::strategy::Strategy;

/// What the scanner found at a retry site. `None` means "not statically known".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartialParams {
    pub max_attempts: Option<u32>,
    pub base_delay: Option<f64>,
    pub max_delay: Option<f64>,
    pub multiplier: Option<f64>,
    pub strategy: Option<Strategy>,
    /// Whether the delays are randomised at all.
    pub jitter: Option<bool>,
    pub total_timeout: Option<f64>,
}

/// A value on either side of a drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Count(u32),
    Seconds(f64),
    Strategy(Strategy),
    Flag(bool),
    /// No total timeout.
    None,
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Count(n) => write!(f, "{n}"),
            ParamValue::Seconds(s) => write!(f, "{s}"),
            ParamValue::Strategy(s) => write!(f, "{s}"),
            ParamValue::Flag(b) => write!(f, "{}", if *b { "on" } else { "off" }),
            ParamValue::None => f.write_str("none"),
        }
    }
}

/// One differing field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDrift {
    /// Knob name, as in [`PartialParams`].
    pub field: String,
    pub preset: ParamValue,
    pub found: ParamValue,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Strategy with the jitter flavour folded away (`exponential_jitter` is `exponential`).
fn shape(s: Strategy) -> Strategy {
    if s == Strategy::ExponentialJitter {
        Strategy::Exponential
    } else {
        s
    }
}

/// Every known field of `found` that differs from `preset`, in [`PartialParams`] field order.
pub fn drift(preset: &RetryPolicy, found: &PartialParams) -> Vec<FieldDrift> {
    let mut out = Vec::new();
    let mut push = |field: &str, preset: ParamValue, found: ParamValue| {
        out.push(FieldDrift { field: field.to_string(), preset, found })
    };
    if let Some(n) = found.max_attempts.filter(|n| *n != preset.max_attempts) {
        push("max_attempts", ParamValue::Count(preset.max_attempts), ParamValue::Count(n));
    }
    for (field, want, got) in
        [("base_delay", preset.base_delay, found.base_delay), ("max_delay", preset.max_delay, found.max_delay)]
    {
        if let Some(g) = got.filter(|g| !close(*g, want)) {
            push(field, ParamValue::Seconds(want), ParamValue::Seconds(g));
        }
    }
    // The multiplier only means something for the exponential family.
    let exponential =
        matches!(shape(found.strategy.unwrap_or(preset.strategy)), Strategy::Exponential | Strategy::Adaptive);
    if let Some(m) = found.multiplier.filter(|m| exponential && !close(*m, preset.multiplier)) {
        push("multiplier", ParamValue::Seconds(preset.multiplier), ParamValue::Seconds(m));
    }
    if let Some(s) = found.strategy.filter(|s| shape(*s) != shape(preset.strategy)) {
        push("strategy", ParamValue::Strategy(preset.strategy), ParamValue::Strategy(s));
    }
    let found_jitter = found.jitter.or((found.strategy == Some(Strategy::ExponentialJitter)).then_some(true));
    let preset_jitter = preset.effective_jitter_range() > 0.0;
    if let Some(j) = found_jitter.filter(|j| *j != preset_jitter) {
        push("jitter", ParamValue::Flag(preset_jitter), ParamValue::Flag(j));
    }
    if let Some(t) = found.total_timeout.filter(|t| preset.total_timeout.is_none_or(|p| !close(p, *t))) {
        push(
            "total_timeout",
            preset.total_timeout.map_or(ParamValue::None, ParamValue::Seconds),
            ParamValue::Seconds(t),
        );
    }
    out
}

impl PartialParams {
    /// The preset with every known field replaced, i.e. the policy the site actually runs as far
    /// as we know, so its [`crate::schedule`] can be printed beside the preset's. A found
    /// `jitter = Some(false)` turns jitter off; `Some(true)` on a preset without jitter enables it
    /// with the preset's `jitter_range`.
    pub fn apply(&self, preset: &RetryPolicy) -> Result<RetryPolicy, PolicyError> {
        preset.with(|s| {
            if let Some(v) = self.max_attempts {
                s.max_attempts = v;
            }
            if let Some(v) = self.base_delay {
                s.base_delay = v;
            }
            if let Some(v) = self.max_delay {
                s.max_delay = v;
            }
            if let Some(v) = self.multiplier {
                s.multiplier = v;
            }
            if let Some(v) = self.strategy {
                s.strategy = v;
            }
            if let Some(j) = self.jitter {
                s.jitter_enabled = j;
                if !j && s.strategy == Strategy::ExponentialJitter {
                    s.strategy = Strategy::Exponential;
                }
            }
            if let Some(v) = self.total_timeout {
                s.total_timeout = Some(v);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use crate::strategy::schedule;

    #[test]
    fn database_loop_with_three_attempts_and_no_jitter() {
        let db = preset("database").unwrap();
        let found =
            PartialParams { max_attempts: Some(3), jitter: Some(false), base_delay: Some(0.5), ..Default::default() };
        let d = drift(db, &found);
        assert_eq!(
            d,
            [
                FieldDrift { field: "max_attempts".into(), preset: ParamValue::Count(5), found: ParamValue::Count(3) },
                FieldDrift { field: "jitter".into(), preset: ParamValue::Flag(true), found: ParamValue::Flag(false) },
            ]
        );
        let site = found.apply(db).unwrap();
        assert_eq!(schedule(&site), [0.5, 1.0]);
        assert!(!site.jitter_active());
    }

    #[test]
    fn nothing_known_means_no_drift() {
        assert!(drift(preset("llm").unwrap(), &PartialParams::default()).is_empty());
    }

    #[test]
    fn jitter_strategy_is_not_a_strategy_drift() {
        let http = preset("http").unwrap();
        let found = PartialParams { strategy: Some(Strategy::Exponential), jitter: Some(true), ..Default::default() };
        assert!(drift(http, &found).is_empty());
        let found = PartialParams { strategy: Some(Strategy::Linear), total_timeout: Some(5.0), ..Default::default() };
        let fields: Vec<_> = drift(http, &found).into_iter().map(|d| d.field).collect();
        assert_eq!(fields, ["strategy", "total_timeout"]);
    }

    #[test]
    fn serde_field_names() {
        let p = PartialParams { max_attempts: Some(3), jitter: Some(true), ..Default::default() };
        let v = serde_json::to_value(&p).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 7);
        for k in ["max_attempts", "base_delay", "max_delay", "multiplier", "strategy", "jitter", "total_timeout"] {
            assert!(keys.iter().any(|x| x == k), "{k}");
        }
        let d = drift(preset("generic").unwrap(), &p);
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"[{"field":"jitter","preset":false,"found":true}]"#);
    }
}
