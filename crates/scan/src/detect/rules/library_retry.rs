//! RTY005 library_retry: use of a retry library.
//!
//! tenacity (`@retry`, `Retrying`, `AsyncRetrying`), backoff (`on_exception`, `on_predicate`), retrying,
//! stamina, `urllib3.util.Retry`, requests `HTTPAdapter(max_retries=...)`, `google.api_core.retry.Retry`,
//! botocore `Config(retries=...)`, redis `retry_on_timeout=` / `Retry(...)`. The table of entry points and
//! how each library's arguments map to canonical knobs is data: `rules/libraries.toml`. A name only counts
//! when it resolves through the file's imports to the library (a local function called `retry` is not
//! tenacity's). Params come from the library's arguments (`stop_after_attempt(5)` -> `max_attempts = 5`).
use super::support;
use super::Needs;
use crate::data::Library;
use crate::detect::{Cx, RawFinding};
use crate::finding::{Kind, Params};
use crate::syntax::*;

/// What a file needs before this rule can report in it (the byte prefilter is built from these).
pub const NEEDS: Needs =
    Needs { words: &[], loop_structure: false, data: Some(super::DataWords::Libraries), model: false };

pub fn check(cx: &Cx, out: &mut Vec<RawFinding>) {
    // Every entry point resolves through an import of its library: no such import, nothing to find.
    let roots: Vec<&str> = cx
        .data
        .libraries
        .libraries
        .iter()
        .flat_map(|l| l.entries.iter().map(|e| e.split('.').next().unwrap_or(e)))
        .collect();
    if !cx.file.imports_from_any(&roots) {
        return;
    }
    support::walk_scoped(&cx.file.ast.body, "", &mut |s, scope| {
        // Decorators (bare `@retry` included) are reported at the decorated function's symbol.
        if let StmtKind::FunctionDef(def) = &s.kind {
            let q = if scope.is_empty() { def.name.to_string() } else { format!("{scope}.{}", def.name) };
            for d in &def.decorators {
                let callee = d.as_call().map(|c| c.0).unwrap_or(d);
                if let Some(lib) = cx.file.resolve(callee).and_then(|r| cx.data.libraries.find(&r)) {
                    report(cx, lib, d, &q, out);
                }
            }
        }
        for e in s.exprs() {
            if matches!(s.kind, StmtKind::FunctionDef(_)) {
                continue; // decorators handled above; defaults are not uses
            }
            e.walk(&mut |x| {
                if let Some((func, _, _)) = x.as_call() {
                    if let Some(lib) = cx.file.resolve(func).and_then(|r| cx.data.libraries.find(&r)) {
                        report(cx, lib, x, scope, out);
                    }
                }
            });
        }
    });
}

fn report(cx: &Cx, lib: &Library, e: &Expr, scope: &str, out: &mut Vec<RawFinding>) {
    // A library's use of itself (tenacity's own `retry()` building a `Retrying`) is its implementation, not a use.
    // The library is its entries' common package (`google.api_core`, not every `google.*` namespace
    // package such as `google.cloud.storage`), found anywhere in the module's name (a vendored
    // `pip._vendor.tenacity`).
    let package = library_package(lib);
    if !package.is_empty() && format!(".{}.", cx.file.module).contains(&format!(".{package}.")) {
        return;
    }
    let kws: &[Keyword] = e.as_call().map(|c| c.2).unwrap_or(&[]);
    if !lib.require_any_kwarg.is_empty()
        && !kws.iter().any(|k| {
            k.arg.as_ref().is_some_and(|a| lib.require_any_kwarg.iter().any(|r| r == a))
                && !matches!(k.value.kind, ExprKind::Constant(Constant::Bool(false) | Constant::None))
                && k.value.as_number() != Some(0.0)
        })
    {
        return;
    }
    let name = cx.file.resolve(e.as_call().map(|c| c.0).unwrap_or(e)).unwrap_or_default();
    let mut f = support::expr_finding("RTY005", Kind::LibraryRetry, e, scope, format!("{} retry: `{name}`", lib.name));
    f.params = library_params(lib, e);
    f.notes.push(format!("library={}", lib.name));
    out.push(f);
}

/// Map a library call's literal arguments to canonical knobs through the library table.
/// The dotted package every entry point of a library lives in (`tenacity`, `google.api_core`).
fn library_package(lib: &Library) -> String {
    let mut common: Option<Vec<&str>> = None;
    for e in &lib.entries {
        let parts: Vec<&str> = e.split('.').collect();
        let module = &parts[..parts.len().saturating_sub(1).max(1)];
        common = Some(match common {
            None => module.to_vec(),
            Some(c) => c.iter().zip(module).take_while(|(a, b)| a == b).map(|(a, _)| *a).collect(),
        });
    }
    common.unwrap_or_default().join(".")
}

pub fn library_params(lib: &Library, e: &Expr) -> Params {
    let mut p = Params::default();
    if let Some((_, args, kws)) = e.as_call() {
        apply_args(&mut p, &lib.args, args);
        apply_kwargs(&mut p, &lib.kwargs, kws);
        // Nested helpers (`stop=stop_after_attempt(5)`, `backoff.expo`), anywhere in the arguments.
        for a in args.iter().chain(kws.iter().map(|k| &k.value)) {
            a.walk(&mut |x| {
                let (callee, hargs, hkws): (&Expr, &[Expr], &[Keyword]) = match x.as_call() {
                    Some(c) => c,
                    None if x.dotted().is_some() => (x, &[], &[]),
                    None => return,
                };
                let Some(last) = callee.last_name() else { return };
                if let Some(h) = lib.helpers.iter().find(|h| h.call == last) {
                    apply_args(&mut p, &h.args, hargs);
                    apply_kwargs(&mut p, &h.kwargs, hkws);
                    if let Some(s) = &h.strategy {
                        p.strategy.get_or_insert(s.clone());
                    }
                    if let Some(j) = h.jitter {
                        p.jitter.get_or_insert(j);
                    }
                }
                // botocore: `retries={"max_attempts": 10}`.
                if let ExprKind::Dict { keys, values } = &x.kind {
                    for (k, v) in keys.iter().zip(values) {
                        if let (Some(k), Some(n)) = (k.as_ref().and_then(|k| k.as_str()), v.as_number()) {
                            if let Some(knob) = lib.kwargs.get(k) {
                                set_knob(&mut p, knob, n, &format!("{k}={n}"));
                            }
                        }
                    }
                }
            });
        }
    }
    for (k, v) in &lib.defaults {
        match (k.as_str(), v) {
            ("strategy", toml::Value::String(s)) => {
                p.strategy.get_or_insert(s.clone());
            }
            ("jitter", toml::Value::Boolean(b)) => {
                p.jitter.get_or_insert(*b);
            }
            (knob, toml::Value::Integer(i)) => set_knob_if_unset(&mut p, knob, *i as f64),
            (knob, toml::Value::Float(x)) => set_knob_if_unset(&mut p, knob, *x),
            _ => {}
        }
    }
    p
}

fn apply_args(p: &mut Params, map: &[String], args: &[Expr]) {
    for (knob, a) in map.iter().zip(args) {
        if let (false, Some(n)) = (knob.is_empty(), a.as_number()) {
            set_knob(p, knob, n, &format!("{n}"));
        }
    }
}

fn apply_kwargs(p: &mut Params, map: &std::collections::BTreeMap<String, String>, kws: &[Keyword]) {
    for k in kws {
        let Some(arg) = &k.arg else { continue };
        if let (Some(knob), Some(n)) = (map.get(arg.as_str()), k.value.as_number()) {
            set_knob(p, knob, n, &format!("{arg}={n}"));
        }
    }
}

/// `knob`, `knob*scale` or `knob+1` (attempt counts that exclude the first call).
fn set_knob(p: &mut Params, spec: &str, n: f64, spelling: &str) {
    let (knob, value) = if let Some((k, scale)) = spec.split_once('*') {
        (k, n * scale.parse::<f64>().unwrap_or(1.0))
    } else if let Some(k) = spec.strip_suffix("+1") {
        (k, n + 1.0)
    } else {
        (spec, n)
    };
    set_knob_if_unset(p, knob, value);
    p.spelling.entry(knob.to_string()).or_insert_with(|| spelling.to_string());
}

fn set_knob_if_unset(p: &mut Params, knob: &str, v: f64) {
    match knob {
        "max_attempts" if v >= 1.0 => {
            p.max_attempts.get_or_insert(v as u32);
        }
        "base_delay" => {
            p.base_delay.get_or_insert(v);
        }
        "max_delay" => {
            p.max_delay.get_or_insert(v);
        }
        "multiplier" => {
            p.multiplier.get_or_insert(v);
        }
        "total_timeout" => {
            p.total_timeout.get_or_insert(v);
        }
        _ => {}
    }
}
