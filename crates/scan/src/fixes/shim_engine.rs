//! The canonical manager as a shim calls it, read off the canonical module's source when the plan declares no
//! `[canonical.engine]`: the config class (the one with an attempts field), the manager class (one whose
//! method runs a single callable, sync and/or async), the strategy Enum, and the config's keyword for each
//! canonical knob, by the spellings real retry managers use. Anything ambiguous or missing is a reason, never
//! a guess: the plan can always say it.

use crate::data::CanonicalEngine;
use crate::definitions::{CallShape, DefKind, Definition};
use crate::project::TreeInfo;
use std::collections::BTreeMap;

/// Each canonical knob and the config keywords that spell it, most usual first.
const KNOBS: &[(&str, &[&str])] = &[
    ("max_attempts", &["max_attempts", "attempts", "max_tries", "tries"]),
    ("base_delay", &["base_delay", "initial_delay", "delay", "initial_backoff", "backoff_base", "min_delay"]),
    ("max_delay", &["max_delay", "max_backoff", "max_wait", "delay_cap"]),
    ("strategy", &["strategy", "backoff_strategy", "retry_strategy"]),
    ("multiplier", &["backoff_multiplier", "multiplier", "backoff_factor", "exponential_base", "factor"]),
    ("jitter", &["jitter_range", "jitter_factor", "jitter"]),
    ("retryable", &["retryable_exceptions", "retry_exceptions", "retry_on", "retryable_errors", "exceptions"]),
    (
        "non_retryable",
        &["non_retryable_exceptions", "no_retry_exceptions", "non_retryable_errors", "ignore_exceptions"],
    ),
];

/// The first parameter of a method that runs the callable it is given.
const CALLABLE_PARAMS: &[&str] =
    &["func", "fn", "function", "operation", "op", "coro", "callable", "target", "task", "call"];

pub fn derive(tree: &TreeInfo, canonical: &str) -> Result<CanonicalEngine, String> {
    let (_, info) = tree.module(canonical).ok_or_else(|| format!("`{canonical}` is not in the scanned tree"))?;
    let defs: BTreeMap<&str, &Definition> =
        info.definitions.iter().filter(|(_, d)| !d.type_checking_only).map(|(n, d)| (n.as_str(), d)).collect();
    let without = |what: &str| {
        format!(
            "`{canonical}` shows no {what}; declare the manager in `[canonical.engine]` (see the README's plan schema)"
        )
    };
    // The config: a class with an attempts field, `...Config` before `...Policy` before the rest.
    let has_attempts = |d: &Definition| {
        d.signature.as_ref().is_some_and(|s| s.params.iter().any(|p| KNOBS[0].1.contains(&p.name.as_str())))
    };
    let mut configs: Vec<&str> =
        defs.iter().filter(|(_, d)| d.kind == DefKind::Class && has_attempts(d)).map(|(n, _)| *n).collect();
    configs.sort_by_key(|n| (!n.ends_with("Config"), !n.ends_with("Policy"), n.to_string()));
    let config = *configs.first().ok_or_else(|| without("config class with an attempts field (`max_attempts`)"))?;
    let params: Vec<&str> =
        defs[config].signature.as_ref().map(|s| s.params.iter().map(|p| p.name.as_str()).collect()).unwrap_or_default();
    let mut fields = BTreeMap::new();
    for (knob, spellings) in KNOBS {
        if let Some(kw) = spellings.iter().find(|s| params.contains(s)) {
            fields.insert(knob.to_string(), kw.to_string());
        }
    }
    // The manager: a class with a method taking one callable; sync and async twins when it has both.
    let runs = |d: &Definition| -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = d
            .methods
            .iter()
            .filter(|(m, _)| !m.starts_with('_'))
            .filter(|(_, s)| {
                s.params.first().is_some_and(|p| CALLABLE_PARAMS.contains(&p.name.as_str()))
                    && s.bind(&CallShape { positional: 1, keywords: vec![], unpacks: false }).is_ok()
            })
            .map(|(m, s)| (m.clone(), s.is_async))
            .collect();
        out.sort_by_key(|(m, _)| (!m.contains("retry"), !m.starts_with("execute"), m.clone()));
        out
    };
    let mut handlers: Vec<(&str, Vec<(String, bool)>)> = defs
        .iter()
        .filter(|(n, d)| d.kind == DefKind::Class && **n != config)
        .map(|(n, d)| (*n, runs(d)))
        .filter(|(_, r)| !r.is_empty())
        .collect();
    handlers.sort_by_key(|(n, r)| {
        (!(r.iter().any(|x| x.1) && r.iter().any(|x| !x.1)), !n.contains("Retry"), n.to_string())
    });
    let (handler, methods) =
        handlers.first().ok_or_else(|| without("manager class with a method that runs a callable"))?;
    let sync = methods.iter().find(|(_, a)| !a).map(|(m, _)| m.clone());
    let asynchronous = methods.iter().find(|(_, a)| *a).map(|(m, _)| m.clone());
    let (run, run_other) = match (sync, asynchronous) {
        (Some(s), Some(a)) => (s, a),
        (Some(s), None) => (s, String::new()),
        (None, Some(a)) => (a, String::new()),
        (None, None) => unreachable!("a manager has a run method"),
    };
    let strategy_enum = defs
        .iter()
        .filter(|(_, d)| d.kind == DefKind::Enum && d.members.iter().any(|m| m == "EXPONENTIAL" || m == "FIXED"))
        .map(|(n, _)| n.to_string())
        .next()
        .unwrap_or_default();
    Ok(CanonicalEngine {
        handler: handler.to_string(),
        run,
        run_other,
        returns: String::new(),
        config: config.to_string(),
        fields,
        strategy_enum,
        warning: String::new(),
    })
}
