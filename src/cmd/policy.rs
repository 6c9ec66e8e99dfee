//! `retry-audit policy`: the reference engine on the command line.
//!
//! Exit codes: 0 on success; 1 when `translate` finds no exact canonical policy; 2 for bad
//! arguments, an unknown domain, a bad policy file or a bad outcome script (via `main`).
use crate::output::{say, sayln};

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use retry_audit_policy::translate::{translate_str, Translation};
use retry_audit_policy::{
    from_legacy_json, from_legacy_toml, parse_outcomes, preset_entry, presets, schedule, simulate, vectors,
    FinalResult, RetryPolicy, Trace,
};
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print the domain presets (all, or one).
    Show {
        #[arg(long)]
        domain: Option<String>,
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
    },
    /// Attempts, delays and cumulative time when every attempt fails instantly.
    Schedule {
        #[command(flatten)]
        source: PolicySource,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Compute the schedule as if max_attempts were N.
        #[arg(long, value_name = "N")]
        attempts_until: Option<u32>,
    },
    /// Run a scripted sequence of outcomes through the policy on a fake clock.
    Simulate {
        #[command(flatten)]
        source: PolicySource,
        /// Comma-separated: ok, ok@SECS, err:Class, err:Class@SECS, hint:SECS.
        #[arg(long)]
        outcomes: String,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = TraceFormat::Table)]
        format: TraceFormat,
    },
    /// Write the conformance vectors (JSON).
    Vectors {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Translate a tenacity / backoff / stamina / urllib3 configuration into a canonical policy.
    Translate {
        /// The configuration as written in code.
        config: String,
        #[arg(long, value_enum, default_value_t = TraceFormat::Table)]
        format: TraceFormat,
    },
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct PolicySource {
    /// A domain preset (database, llm, agent, websocket, file, http/network, generic).
    #[arg(long)]
    domain: Option<String>,
    /// A policy file, TOML or JSON (legacy spellings are converted and reported).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowFormat {
    Table,
    Json,
    Toml,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum TraceFormat {
    Table,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    match args.command {
        PolicyCommand::Show { domain, format } => show(domain.as_deref(), format),
        PolicyCommand::Schedule { source, seed, attempts_until } => {
            let (name, policy) = load(&source)?;
            print_schedule(&name, &policy, seed, attempts_until)
        }
        PolicyCommand::Simulate { source, outcomes, seed, format } => {
            let (name, policy) = load(&source)?;
            let steps = parse_outcomes(&outcomes)?;
            let trace = simulate(&policy, &steps, seed)?;
            match format {
                TraceFormat::Json => sayln!("{}", serde_json::to_string_pretty(&trace)?),
                TraceFormat::Table => print_trace(&name, &policy, &trace)?,
            }
            Ok(0)
        }
        PolicyCommand::Vectors { out } => {
            let file = vectors();
            let text = serde_json::to_string_pretty(&file)? + "\n";
            match out {
                Some(path) => {
                    retry_audit_fix::write::write_file(&path, text.as_bytes())
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    eprintln!("wrote {} vectors to {}", file.vectors.len(), path.display());
                }
                None => say!("{text}"),
            }
            Ok(0)
        }
        PolicyCommand::Translate { config, format } => translate(&config, format),
    }
}

/// Seconds for humans: at most 6 decimals, trailing zeros dropped (0.30000000000000004 -> 0.3).
fn secs(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn unknown_domain(d: &str) -> anyhow::Error {
    let known: Vec<&str> = presets().iter().map(|p| p.domain.as_str()).collect();
    anyhow::anyhow!("unknown domain `{d}` (known: {}, network)", known.join(", "))
}

fn load(source: &PolicySource) -> anyhow::Result<(String, RetryPolicy)> {
    if let Some(d) = &source.domain {
        let p = preset_entry(d).ok_or_else(|| unknown_domain(d))?;
        return Ok((p.domain.clone(), p.policy.clone()));
    }
    let Some(path) = &source.policy else { bail!("give --domain or --policy") };
    Ok((path.display().to_string(), load_file(path)?))
}

fn load_file(path: &Path) -> anyhow::Result<RetryPolicy> {
    let text = retry_audit_scan::read::read_text(path)
        .map_err(|e| anyhow::anyhow!("cannot read policy file {}: {e}", path.display()))?;
    let is_json =
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || text.trim_start().starts_with('{');
    let parsed = if is_json { from_legacy_json(&text) } else { from_legacy_toml(&text) };
    let (policy, mappings) = parsed.with_context(|| format!("policy file {}", path.display()))?;
    for m in mappings {
        eprintln!("note: legacy spelling {m}");
    }
    Ok(policy)
}

fn table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn preset_row(domain: &str, p: &RetryPolicy) -> Vec<String> {
    let jitter = match p.effective_jitter_range() {
        r if r > 0.0 => secs(r),
        _ => "-".into(),
    };
    let breaker = if p.circuit_breaker_enabled {
        format!("{} failures / {} s", p.circuit_breaker_threshold, secs(p.circuit_breaker_timeout))
    } else {
        "off".into()
    };
    vec![
        domain.to_string(),
        p.max_attempts.to_string(),
        secs(p.base_delay),
        secs(p.max_delay),
        p.strategy.to_string(),
        secs(p.multiplier),
        jitter,
        p.total_timeout.map_or("none".into(), |t| format!("{} s", secs(t))),
        breaker,
    ]
}

fn show(domain: Option<&str>, format: ShowFormat) -> anyhow::Result<i32> {
    let selected: Vec<_> = match domain {
        Some(d) => vec![preset_entry(d).ok_or_else(|| unknown_domain(d))?],
        None => presets().iter().collect(),
    };
    match (format, domain) {
        (ShowFormat::Table, _) => {
            let mut rows = vec![[
                "domain",
                "attempts",
                "base",
                "max",
                "strategy",
                "multiplier",
                "jitter r",
                "total timeout",
                "breaker",
            ]
            .map(String::from)
            .to_vec()];
            rows.extend(selected.iter().map(|p| preset_row(&p.domain, &p.policy)));
            say!("{}", table(&rows));
        }
        (ShowFormat::Json, Some(_)) => {
            sayln!("{}", serde_json::to_string_pretty(&selected[0].policy)?)
        }
        (ShowFormat::Json, None) => {
            let all: Vec<_> = selected
                .iter()
                .map(|p| json!({"domain": p.domain, "aliases": p.aliases, "policy": p.policy}))
                .collect();
            sayln!("{}", serde_json::to_string_pretty(&all)?);
        }
        (ShowFormat::Toml, Some(_)) => say!("{}", toml::to_string(&selected[0].policy)?),
        (ShowFormat::Toml, None) => {
            for p in selected {
                sayln!("[{}]", p.domain);
                say!("{}", toml::to_string(&p.policy)?);
                sayln!();
            }
        }
    }
    Ok(0)
}

fn print_schedule(name: &str, policy: &RetryPolicy, seed: u64, attempts_until: Option<u32>) -> anyhow::Result<i32> {
    // Every attempt fails instantly with a retryable error; the breaker and token bucket are
    // shared, cross-call state, so they are left out of a single call's schedule.
    let policy = policy.with(|s| {
        if let Some(n) = attempts_until {
            s.max_attempts = n;
        }
        s.circuit_breaker_enabled = false;
        if s.strategy == retry_audit_policy::Strategy::Adaptive {
            s.strategy = retry_audit_policy::Strategy::Exponential;
        }
        s.retryable_exceptions = vec!["Exception".into()];
        s.non_retryable_exceptions.clear();
    })?;
    let steps = vec![retry_audit_policy::Step::err("Exception"); policy.max_attempts as usize];
    let trace = simulate(&policy, &steps, seed)?;
    let capped = schedule(&policy);
    sayln!("policy: {name}: {policy}");
    if policy.effective_jitter_range() > 0.0 {
        sayln!("seed: {seed}");
    }
    let mut rows = vec![["attempt", "starts at", "capped delay", "sleep", "cumulative"].map(String::from).to_vec()];
    for a in &trace.attempts {
        let k = a.attempt as usize;
        rows.push(vec![
            a.attempt.to_string(),
            secs(a.start),
            capped.get(k - 1).map_or("-".into(), |c| secs(*c)),
            a.sleep.map_or("-".into(), secs),
            secs(a.start + a.duration + a.sleep.unwrap_or(0.0)),
        ]);
    }
    say!("{}", table(&rows));
    let stop = match trace.result {
        FinalResult::Exhausted => format!("stops: after attempt {} (max_attempts)", trace.attempts_made),
        FinalResult::Deadline => format!("stops: deadline after attempt {}: {}", trace.attempts_made, trace.reason),
        other => format!("stops: {} ({})", other.name(), trace.reason),
    };
    let budget = policy.total_timeout.map_or(String::new(), |t| format!(" of total_timeout {} s", secs(t)));
    sayln!("{stop}; elapsed {} s{budget}", secs(trace.elapsed));
    Ok(0)
}

fn print_trace(name: &str, policy: &RetryPolicy, trace: &Trace) -> anyhow::Result<()> {
    sayln!("policy: {name}: {policy}");
    let mut rows = vec![["attempt", "start", "duration", "outcome", "verdict", "rule", "breaker", "sleep"]
        .map(String::from)
        .to_vec()];
    for a in &trace.attempts {
        let (verdict, rule) = match &a.classification {
            None => ("success".to_string(), "-".to_string()),
            Some(c) => (
                format!("{:?}", c.verdict).to_lowercase(),
                serde_json::to_value(c.rule).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            ),
        };
        rows.push(vec![
            a.attempt.to_string(),
            secs(a.start),
            secs(a.duration),
            a.outcome.clone(),
            verdict,
            rule,
            a.breaker.clone().unwrap_or_else(|| "-".into()),
            a.sleep.map_or("-".into(), secs),
        ]);
    }
    say!("{}", table(&rows));
    sayln!(
        "result: {} after {} attempt(s), elapsed {} s ({})",
        trace.result.name(),
        trace.attempts_made,
        secs(trace.elapsed),
        trace.reason
    );
    Ok(())
}

fn translate(config: &str, format: TraceFormat) -> anyhow::Result<i32> {
    let t = translate_str(config)?;
    let exact = t.translation.is_exact();
    let policy = t.translation.policy();
    if format == TraceFormat::Json {
        let out = json!({
            "library": t.library,
            "exact": exact,
            "policy": policy,
            "schedule": policy.map(schedule_preview),
            "reasons": t.translation.reasons(),
        });
        sayln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        match &t.translation {
            Translation::Exact(p) => {
                sayln!("exact ({}): {p}", t.library);
            }
            Translation::Inexact { closest, reasons } => {
                sayln!("inexact ({}): no canonical policy has exactly this behaviour", t.library);
                for r in reasons {
                    sayln!("  - {r}");
                }
                match closest {
                    Some(p) => sayln!("closest: {p}"),
                    None => sayln!("closest: none"),
                }
            }
        }
        if let Some(p) = policy {
            let preview: Vec<String> = schedule_preview(p).iter().map(|d| secs(*d)).collect();
            let more = if p.max_attempts as usize > PREVIEW + 1 { ", ..." } else { "" };
            sayln!("schedule (jitter off): [{}{more}]", preview.join(", "));
        }
    }
    Ok(if exact { 0 } else { 1 })
}

const PREVIEW: usize = 10;

fn schedule_preview(p: &RetryPolicy) -> Vec<f64> {
    retry_audit_policy::schedule_prefix(p, PREVIEW)
}
