//! Policy drift (RTY011): a retry site's statically known params against its domain's preset
//! (`rules/presets.toml`, through the policy engine). Runs after classification because it needs the domain.

use crate::finding::{Finding, Kind, Params, PlanStatus};
use retry_audit_policy::{drift, preset, schedule, FieldDrift, PartialParams, RetryPolicy, Strategy};

/// Kinds whose params describe a retry policy.
fn carries_policy(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::RetryFunction | Kind::SleepLoop | Kind::RetryDecoratorDef | Kind::LibraryRetry | Kind::RetryConfig
    )
}

/// Domains without a preset of their own (auth, mcp) are compared against `generic`; tests are not compared.
fn preset_for(domain: &str) -> Option<&'static RetryPolicy> {
    match domain {
        "test" => None,
        "auth" | "mcp" => preset("generic"),
        d => preset(d).or_else(|| preset("generic")),
    }
}

pub fn partial(p: &Params) -> PartialParams {
    PartialParams {
        max_attempts: p.max_attempts,
        base_delay: p.base_delay,
        max_delay: p.max_delay,
        multiplier: p.multiplier,
        strategy: p.strategy.as_deref().and_then(Strategy::parse),
        jitter: p.jitter,
        total_timeout: p.total_timeout,
    }
}

/// A site is compared when it knows at least two knobs (one number alone says little about a policy).
fn comparable(f: &Finding) -> Option<&'static RetryPolicy> {
    if !carries_policy(f.kind) || f.plan.status == PlanStatus::Canonical {
        return None;
    }
    let p = &f.params;
    let known = [
        p.max_attempts.is_some(),
        p.base_delay.is_some(),
        p.max_delay.is_some(),
        p.multiplier.is_some(),
        p.strategy.is_some(),
        p.jitter.is_some(),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if known < 2 {
        return None;
    }
    preset_for(&f.domain)
}

/// `Some(true)` when the site runs as its domain preset does, `Some(false)` when it does not,
/// `None` when the site is not compared.
pub fn conforms(f: &Finding) -> Option<bool> {
    comparable(f).map(|pre| drift_in_behaviour(pre, &partial(&f.params)).is_empty())
}

/// The knobs the site sets differently, when they change what it does: none when the site runs the preset's
/// schedule (the same attempts and waits, the same jitter and deadline), whatever it spells differently (a cap
/// its waits never reach, a multiplier with a single wait to apply it to).
fn drift_in_behaviour(pre: &RetryPolicy, found: &PartialParams) -> Vec<FieldDrift> {
    let diffs = drift(pre, found);
    match found.apply(pre) {
        Ok(site) if !diffs.is_empty() && runs_alike(&site, pre) => vec![],
        _ => diffs,
    }
}

fn runs_alike(a: &RetryPolicy, b: &RetryPolicy) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    let (sa, sb) = (schedule(a), schedule(b));
    a.spec().max_attempts == b.spec().max_attempts
        && sa.len() == sb.len()
        && sa.iter().zip(&sb).all(|(x, y)| close(*x, *y))
        && close(a.effective_jitter_range(), b.effective_jitter_range())
        && a.spec().total_timeout == b.spec().total_timeout
}

fn fmt_schedule(s: &[f64]) -> String {
    let items: Vec<String> = s.iter().take(8).map(|d| format!("{}", (d * 1000.0).round() / 1000.0)).collect();
    let more = if s.len() > 8 { ", ..." } else { "" };
    format!("[{}{more}]", items.join(", "))
}

/// The RTY011 findings derived from a file's classified findings.
pub fn derive(findings: &[Finding]) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in findings {
        let Some(pre) = comparable(f) else { continue };
        let found = partial(&f.params);
        let diffs = drift_in_behaviour(pre, &found);
        if diffs.is_empty() {
            continue;
        }
        let fields: Vec<String> =
            diffs.iter().map(|d| format!("{} {} (preset {})", d.field, d.found, d.preset)).collect();
        let site_schedule =
            found.apply(pre).map(|p| fmt_schedule(&schedule(&p))).unwrap_or_else(|e| format!("invalid: {e}"));
        let mut d = f.clone();
        d.rule = "RTY011";
        d.kind = Kind::PolicyDrift;
        d.group = None;
        d.fix = None;
        d.skipped_fix = None;
        d.fingerprint = crate::classify::fingerprint("RTY011", &f.path, &f.symbol, f.shape);
        d.message = format!("{} drifts from the {} preset: {}", f.kind.as_str(), f.domain, fields.join(", "));
        d.notes = vec![
            format!("site schedule {site_schedule}"),
            format!("{} preset schedule {}", f.domain, fmt_schedule(&schedule(pre))),
        ];
        out.push(d);
    }
    out
}
