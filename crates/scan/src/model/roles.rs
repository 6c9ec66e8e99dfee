//! Roles on the graph: every site of the tree's retry system, with the evidence that gives it its role.
//!
//! Local rules give the engines, decorator factories, config schemas, breakers, calculators and library uses
//! they see in one file. The model then adds what only the whole tree shows (detection-notes, "The inventory
//! is a graph"), always from what the code does and never from a name alone:
//!
//! - engines spread over helpers: a loop that is a retry loop once a callee in another file (or a base
//!   class) is seen to wait;
//! - wrappers: small functions whose job is to call an engine (they return its result or hand it their
//!   callable), classes whose methods hand off to one, aliases of an engine, wrapper, decorator or breaker;
//! - presets and config sites: constructions of a config schema, of an engine or breaker with arguments, of a
//!   retry library's policy object, dicts of retry numbers, factories returning such constructions, and
//!   in-tree retry decorators applied with their numbers at the use;
//! - decorator instances (`db_retry = with_retry(**DB)`);
//! - decisions and calculators that engines call;
//! - breaker registries (classes that construct breakers) and breaker config schemas.
//!
//! Propagation follows resolved calls across modules, at most `MAX_DEPTH` calls deep.

use super::{FileId, Graph, Model, Res, Sym};
use crate::detect::names;
use crate::facts::{Call, DefIdx, Literal, Owner, Value};
pub use crate::finding::Role;
use crate::finding::{Finding, Kind};
use std::collections::{HashMap, HashSet};

/// How many resolved calls evidence travels (a sleep three helpers away still makes a loop a retry loop).
pub const MAX_DEPTH: u32 = 3;

/// The role of a local finding's kind (migration findings have none).
pub fn role_of_kind(kind: Kind, is_enum: bool) -> Option<Role> {
    Some(match kind {
        Kind::RetryClass | Kind::RetryFunction | Kind::SleepLoop | Kind::ReadinessProbe => Role::Engine,
        Kind::RetryDecoratorDef => Role::Decorator,
        Kind::LibraryRetry => Role::LibraryUse,
        Kind::RetryConfig if is_enum => Role::StrategyEnum,
        Kind::RetryConfig => Role::ConfigSchema,
        Kind::CircuitBreaker => Role::Breaker,
        Kind::BackoffCalc => Role::Calculator,
        Kind::Wrapper => Role::Wrapper,
        Kind::Preset => Role::Preset,
        Kind::Decision => Role::Decision,
        Kind::LegacyImport | Kind::PolicyDrift | Kind::LegacyConfig => return None,
    })
}

/// A site the model adds, or what it learns about an existing finding.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub role: Role,
    /// The shape within the role (`alias`, `factory`, `instance`, `registry`, `inline_loop` ...).
    pub detail: &'static str,
    pub evidence: Vec<String>,
    pub delegates_to: Vec<Sym>,
}

/// A site the local rules did not report.
#[derive(Debug, Clone)]
pub struct NewSite {
    pub file: FileId,
    pub sym: Sym,
    pub kind: Kind,
    pub info: SiteInfo,
    pub message: String,
}

pub struct Assignment {
    /// Per input finding: its symbol (when it is a definition) and role.
    pub findings: Vec<(Option<Sym>, Option<SiteInfo>)>,
    pub added: Vec<NewSite>,
    /// Files whose unparsed definitions the evidence reached (a second pass parses them whole).
    pub wants_parse: HashSet<FileId>,
}

struct Ctx<'m> {
    model: &'m Model,
    graph: &'m Graph,
    roles: HashMap<Sym, SiteInfo>,
    wants_parse: HashSet<FileId>,
}

/// Give every finding its role and add the sites only the whole tree shows.
pub fn assign(model: &Model, graph: &Graph, findings: &[Finding]) -> Assignment {
    let by_path: HashMap<&str, FileId> =
        model.files.iter().enumerate().map(|(i, f)| (f.path.as_str(), i as FileId)).collect();
    let mut cx = Ctx { model, graph, roles: HashMap::new(), wants_parse: HashSet::new() };
    let mut seeded: Vec<(Option<Sym>, Option<SiteInfo>)> = Vec::with_capacity(findings.len());
    for f in findings {
        let file = by_path.get(f.path.as_str()).copied();
        let sym = file.and_then(|file| symbol_of(model, file, f));
        let is_enum = matches!(sym, Some(Sym::Class(fi, c)) if model.file(fi).classes[c as usize].is_enum);
        let info = role_of_kind(f.kind, is_enum).map(|role| SiteInfo {
            role,
            detail: detail_of_kind(f.kind),
            evidence: sym.map(|s| local_evidence(model, s)).unwrap_or_default(),
            delegates_to: vec![],
        });
        // Statement sites (an inline loop, a library call) live inside a definition; the definition is the
        // engine only when the finding is about it.
        if let (Some(s), Some(i)) = (sym, &info) {
            if f.kind != Kind::SleepLoop && f.kind != Kind::LibraryRetry {
                cx.roles.entry(s).or_insert_with(|| i.clone());
            }
        }
        seeded.push((sym, info));
    }
    let mut added: Vec<NewSite> = Vec::new();
    spread_engines(&mut cx, &mut added);
    for _ in 0..MAX_DEPTH {
        if !wrappers(&mut cx, &mut added) {
            break;
        }
    }
    aliases(&mut cx, &mut added);
    presets(&mut cx, &mut added);
    decisions_and_calculators(&mut cx, &mut added);
    breakers(&mut cx, &mut added);
    // A library use that is the value of a module constant defines concrete numbers: a preset.
    for (i, f) in findings.iter().enumerate() {
        if f.kind != Kind::LibraryRetry {
            continue;
        }
        let Some(&file) = by_path.get(f.path.as_str()) else { continue };
        if let Some((a, _)) = model.file(file).assigns.iter().enumerate().find(|(_, a)| {
            matches!(a.owner, Owner::Module | Owner::Class(_)) && a.span.contains(f.span) && a.line == f.line
        }) {
            if let Some(info) = seeded[i].1.as_mut() {
                info.role = Role::Preset;
                info.detail = "library_config";
                info.evidence.push(format!("module constant {}", model.file(file).assigns[a].target));
            }
            seeded[i].0 = Some(Sym::Assign(file, a as u32));
        }
    }
    Assignment { findings: seeded, added, wants_parse: cx.wants_parse }
}

fn detail_of_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::RetryClass => "class",
        Kind::RetryFunction => "function",
        Kind::SleepLoop => "inline_loop",
        Kind::ReadinessProbe => "readiness_probe",
        Kind::RetryDecoratorDef => "factory",
        Kind::LibraryRetry => "library",
        Kind::RetryConfig => "schema",
        Kind::CircuitBreaker => "state_machine",
        Kind::BackoffCalc => "delay",
        _ => "",
    }
}

/// The definition a finding is about.
fn symbol_of(model: &Model, file: FileId, f: &Finding) -> Option<Sym> {
    let facts = model.file(file);
    let q = f.symbol.strip_prefix(&facts.module).map(|q| q.trim_start_matches('.')).unwrap_or(&f.symbol);
    if q.is_empty() {
        return None;
    }
    match f.kind {
        Kind::RetryClass | Kind::RetryConfig | Kind::CircuitBreaker => {
            facts.class_by_qualname(q).map(|c| Sym::Class(file, c)).or_else(|| facts.def_by_qualname(q).map(|d| Sym::Def(file, d)))
        }
        Kind::BackoffCalc => {
            facts.def_by_qualname(q).map(|d| Sym::Def(file, d)).or_else(|| facts.class_by_qualname(q).map(|c| Sym::Class(file, c)))
        }
        _ => facts.def_by_qualname(q).map(|d| Sym::Def(file, d)),
    }
}

/// What a definition's own facts show: its loops, waits, handlers, recursion.
fn local_evidence(model: &Model, s: Sym) -> Vec<String> {
    let mut out = Vec::new();
    if let Sym::Def(file, d) = s {
        let ev = &model.file(file).defs[d as usize].evidence;
        out.extend(ev.retry_loops.iter().map(|l| format!("loop@L{l}")));
        if ev.recursion {
            out.push("recursion".into());
        }
        if let Some(l) = ev.catches {
            out.push(format!("try@L{l}"));
        }
        if let Some(l) = ev.sleeps {
            out.push(format!("sleep@L{l}"));
        }
    }
    if let Sym::Class(file, c) = s {
        let f = model.file(file);
        for &m in &f.classes[c as usize].methods {
            let ev = &f.defs[m as usize].evidence;
            if let Some(&l) = ev.retry_loops.first() {
                out.push(format!("loop@L{l} in {}", f.defs[m as usize].name));
            }
        }
    }
    out
}

fn place(model: &Model, s: Sym) -> String {
    format!("{}:{}", model.file(s.file()).path, model.line(s))
}

fn short(model: &Model, s: Sym) -> String {
    let name = model.symbol_name(s);
    let module = &model.file(s.file()).module;
    name.strip_prefix(module.as_str()).map(|q| q.trim_start_matches('.').to_string()).filter(|q| !q.is_empty()).unwrap_or(name)
}

impl Ctx<'_> {
    fn role(&self, s: Sym) -> Option<Role> {
        self.roles.get(&s).map(|i| i.role)
    }

    fn add(&mut self, added: &mut Vec<NewSite>, sym: Sym, kind: Kind, info: SiteInfo, message: String) {
        if self.roles.contains_key(&sym) {
            return;
        }
        self.roles.insert(sym, info.clone());
        added.push(NewSite { file: sym.file(), sym, kind, info, message });
    }

    /// Does calling `s` wait (itself, or through resolved calls within `depth`)? The place of the wait.
    fn waits(&mut self, s: Sym, depth: u32, seen: &mut HashSet<Sym>) -> Option<String> {
        if !seen.insert(s) {
            return None;
        }
        match s {
            Sym::Def(file, d) => {
                let def = &self.model.file(file).defs[d as usize];
                if let Some(l) = def.evidence.sleeps {
                    return Some(format!("{} ({}:{l})", def.qualname, self.model.file(file).path));
                }
                if depth == 0 {
                    return None;
                }
                let next: Vec<Sym> = self
                    .graph
                    .calls_from(file, d)
                    .filter_map(|e| match e.to {
                        Res::Sym(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                for t in next {
                    if let Some(w) = self.waits(t, depth - 1, seen) {
                        return Some(w);
                    }
                }
                None
            }
            Sym::Unanalysed(file) => {
                self.wants_parse.insert(file);
                None
            }
            _ => None,
        }
    }

    /// A reusable engine: a function whose job is retrying something handed to it, a method of an engine
    /// class, a decorator factory, or a wrapper of those.
    fn reusable(&self, s: Sym) -> bool {
        match self.role(s) {
            Some(Role::Engine) => match s {
                Sym::Def(file, d) => {
                    let f = self.model.file(file);
                    let def = &f.defs[d as usize];
                    def.evidence.local_role.as_deref() == Some("retry_function")
                        || def.class.is_some_and(|c| self.role(Sym::Class(file, c)) == Some(Role::Engine))
                        || self.roles.get(&s).is_some_and(|i| i.detail == "function")
                }
                Sym::Class(..) => true,
                _ => false,
            },
            Some(Role::Wrapper) | Some(Role::Decorator) => true,
            _ => false,
        }
    }

    /// What a call reaches, when that is retry machinery: the symbol and its role.
    fn machinery(&self, to: &Res) -> Option<Sym> {
        match to {
            Res::Sym(s @ Sym::Def(file, d)) => {
                if self.reusable(*s) {
                    return Some(*s);
                }
                // A method of an engine class reached through an instance.
                let c = self.model.file(*file).defs[*d as usize].class?;
                (self.role(Sym::Class(*file, c)) == Some(Role::Engine)).then_some(*s)
            }
            Res::Sym(s @ Sym::Assign(..)) => match self.role(*s) {
                Some(Role::Wrapper) | Some(Role::Decorator) => Some(*s),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Loops that retry once a callee elsewhere is seen to wait.
fn spread_engines(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if def.evidence.pending_loops.is_empty() || cx.roles.contains_key(&sym) {
                continue;
            }
            for pending in &def.evidence.pending_loops {
                let mut found = None;
                for &call in &pending.calls {
                    let Some(Res::Sym(t)) = cx.graph.callee_of(file, call).cloned() else { continue };
                    if let Some(w) = cx.waits(t, MAX_DEPTH - 1, &mut HashSet::new()) {
                        found = Some(w);
                        break;
                    }
                }
                let Some(wait) = found else { continue };
                let mut evidence = vec![format!("loop@L{}", pending.line), format!("sleep via {wait}")];
                if !pending.bounded {
                    evidence.push("unbounded".into());
                }
                let info = SiteInfo { role: Role::Engine, detail: "function", evidence, delegates_to: vec![] };
                let msg = format!("retry loop whose wait is in a helper ({wait})");
                cx.add(added, sym, Kind::RetryFunction, info, msg);
                if let Some(c) = def.class {
                    let class = &f.classes[c as usize];
                    let named = names::has_word(&class.name, &["retry", "retrier", "backoff", "retrying", "resilien", "reliab", "recover", "executor"]);
                    if named && !class.is_exception {
                        let info = SiteInfo {
                            role: Role::Engine,
                            detail: "class",
                            evidence: vec![format!("runs retries in {}", def.name)],
                            delegates_to: vec![],
                        };
                        cx.add(added, Sym::Class(file, c), Kind::RetryClass, info, format!("runs retries in {}", def.name));
                    }
                }
                break;
            }
        }
    }
}

/// Is this a call that hands the function's work to the callee: its result is returned, or one of the
/// function's parameters (the operation) is passed on?
fn hands_off(call: &Call, params: &[String]) -> bool {
    call.returned || call.arg_names.iter().any(|a| params.iter().any(|p| p == a || a.starts_with(&format!("{p}."))))
}

/// Wrappers: one round; true when it added any.
fn wrappers(cx: &mut Ctx, added: &mut Vec<NewSite>) -> bool {
    let model = cx.model;
    let mut found: Vec<(Sym, Sym, &'static str, String)> = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) || def.statements > 6 || inside_role(cx, file, def.parent) {
                continue;
            }
            // Methods of an engine class are the engine's own API, not wrappers of it.
            if def.class.is_some_and(|c| cx.role(Sym::Class(file, c)).is_some()) {
                continue;
            }
            let params: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
            let mut target = None;
            for e in cx.graph.calls_from(file, di as DefIdx) {
                let call = &f.calls[e.call as usize];
                if let Some(t) = cx.machinery(&e.to) {
                    if t != sym && (hands_off(call, &params) || def.statements <= 2) {
                        target = Some(t);
                        break;
                    }
                }
            }
            let Some(t) = target else { continue };
            let is_cm = def.decorators.iter().any(|d| d.name.ends_with("contextmanager"));
            let warns = f
                .calls
                .iter()
                .any(|c| c.owner == Some(di as DefIdx) && (c.callee == "warn" || c.callee.ends_with("warnings.warn")));
            let legacy = warns
                || names::has_word(&def.name, &["legacy", "compat", "deprecated"])
                || names::has_word(&f.module, &["compat", "legacy", "deprecated", "shim"]);
            let detail = if is_cm {
                "context_manager"
            } else if legacy {
                "shim"
            } else if def.class.is_some() {
                "method"
            } else {
                "facade"
            };
            found.push((sym, t, detail, format!("calls {} ({})", short(model, t), place(model, t))));
        }
    }
    let any = !found.is_empty();
    for (sym, t, detail, ev) in found {
        let info = SiteInfo { role: Role::Wrapper, detail, evidence: vec![ev.clone()], delegates_to: vec![t] };
        cx.add(added, sym, Kind::Wrapper, info, format!("wrapper: {ev}"));
    }
    // Classes whose methods hand off to machinery defined in another class or module.
    let mut classes: Vec<(Sym, Sym)> = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if cx.roles.contains_key(&sym) || c.is_exception {
                continue;
            }
            let handoff = c.methods.iter().find_map(|&m| {
                let info = cx.roles.get(&Sym::Def(file, m))?;
                (info.role == Role::Wrapper).then(|| info.delegates_to.first().copied()).flatten()
            });
            if let Some(t) = handoff {
                classes.push((sym, t));
            }
        }
    }
    for (sym, t) in classes {
        let ev = format!("methods call {} ({})", short(model, t), place(model, t));
        let info = SiteInfo { role: Role::Wrapper, detail: "class", evidence: vec![ev.clone()], delegates_to: vec![t] };
        cx.add(added, sym, Kind::Wrapper, info, format!("facade class: {ev}"));
    }
    any
}

/// A nested function inside a site (a decorator's inner wrapper) belongs to that site.
fn inside_role(cx: &Ctx, file: FileId, parent: Option<DefIdx>) -> bool {
    let f = cx.model.file(file);
    let mut p = parent;
    while let Some(d) = p {
        if cx.roles.contains_key(&Sym::Def(file, d)) {
            return true;
        }
        p = f.defs[d as usize].parent;
    }
    false
}

/// Module-level aliases of machinery (`exponential_backoff = retry_with_exponential_backoff`).
fn aliases(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (ai, a) in f.assigns.iter().enumerate() {
            let (Owner::Module, Value::Alias(target)) = (a.owner, &a.value) else { continue };
            let Some(Res::Sym(t)) = model.resolve_in(file, None, None, target) else { continue };
            let t = match t {
                Sym::Assign(..) => match model.value(Res::Sym(t)) {
                    Res::Sym(s) => s,
                    _ => t,
                },
                other => other,
            };
            if cx.role(t).is_some_and(|r| r != Role::Preset && r != Role::LibraryUse) {
                found.push((Sym::Assign(file, ai as u32), t));
            }
        }
    }
    for (sym, t) in found {
        let ev = format!("alias of {} ({})", short(model, t), place(model, t));
        let info = SiteInfo { role: Role::Wrapper, detail: "alias", evidence: vec![ev.clone()], delegates_to: vec![t] };
        cx.add(added, sym, Kind::Wrapper, info, ev);
    }
}

/// Keyword arguments and dict keys that carry retry numbers.
fn retry_key(name: &str) -> bool {
    names::is_attempts_param(name)
        || names::is_delay_param(name)
        || names::has_word(name, &["retr", "attempt", "backoff", "jitter", "failure_threshold", "recovery_timeout"])
}

/// Retry library classes whose construction is a policy object (`urllib3.Retry(total=3)`).
const LIBRARY_POLICIES: &[&str] = &[
    "urllib3.util.retry.Retry",
    "urllib3.util.Retry",
    "urllib3.Retry",
    "requests.packages.urllib3.util.retry.Retry",
    "google.api_core.retry.Retry",
    "google.api_core.retry.AsyncRetry",
    "google.api_core.retry_async.AsyncRetry",
    "tenacity.Retrying",
    "tenacity.AsyncRetrying",
    "botocore.config.Config",
    "requests.adapters.HTTPAdapter",
];

/// What constructing `callee` makes, when it is retry configuration: the target symbol (if in the tree), and
/// what kind of site the construction is.
fn construction(cx: &Ctx, file: FileId, scope: Option<DefIdx>, callee: &str, with_args: bool) -> Option<(Option<Sym>, &'static str, Role)> {
    let class = scope.and_then(|d| cx.model.enclosing_class(file, d));
    let r = cx.model.resolve_in(file, scope, class, callee).map(|r| cx.model.value(r))?;
    match r {
        Res::Sym(s @ Sym::Class(..)) => match cx.role(s)? {
            Role::ConfigSchema => Some((Some(s), "constant", Role::Preset)),
            Role::Engine | Role::Breaker if with_args => Some((Some(s), "instance", Role::Preset)),
            Role::Breaker => Some((Some(s), "instance", Role::Breaker)),
            _ => None,
        },
        Res::Sym(s @ Sym::Def(..)) => match cx.role(s)? {
            Role::Decorator => Some((Some(s), "instance", Role::Decorator)),
            Role::Preset => Some((Some(s), "constant", Role::Preset)),
            _ => None,
        },
        Res::External(name) => {
            let hit = LIBRARY_POLICIES.iter().any(|p| *p == name || name.ends_with(&format!(".{}", p.rsplit('.').next().unwrap_or(p))) && p.starts_with(name.split('.').next().unwrap_or("")));
            (hit && with_args).then_some((None, "library_config", Role::Preset))
        }
        _ => None,
    }
}

fn presets(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found: Vec<(Sym, Role, &'static str, Vec<Sym>, String)> = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (ai, a) in f.assigns.iter().enumerate() {
            if !matches!(a.owner, Owner::Module | Owner::Class(_)) {
                continue;
            }
            let sym = Sym::Assign(file, ai as u32);
            match &a.value {
                Value::Call { callee, args, keywords, splat } => {
                    let with_args = *args > 0 || !keywords.is_empty() || splat.is_some();
                    if let Some((t, detail, role)) = construction(cx, file, None, callee, with_args) {
                        let ev = match t {
                            Some(t) => format!("constructs {} ({})", short(model, t), place(model, t)),
                            None => format!("constructs {callee}"),
                        };
                        found.push((sym, role, detail, t.into_iter().collect(), ev));
                    } else if callee == "dict" && keywords.iter().filter(|k| retry_key(&k.name)).count() >= 2 {
                        found.push((sym, Role::Preset, "dict", vec![], "dict of retry numbers".into()));
                    }
                }
                Value::Dict { keys, calls } => {
                    let numbers = keys.iter().filter(|k| retry_key(k)).count() >= 2;
                    let configs: Vec<Sym> = calls
                        .iter()
                        .filter(|c| !c.is_empty())
                        .filter_map(|c| construction(cx, file, None, c, true).and_then(|(t, _, r)| (r == Role::Preset).then_some(t).flatten()))
                        .collect();
                    if numbers || !configs.is_empty() {
                        let ev = if numbers { "dict of retry numbers".to_string() } else { "dict of presets".to_string() };
                        found.push((sym, Role::Preset, "dict", configs, ev));
                    }
                }
                _ => {}
            }
        }
        // Factories: a function that returns a construction of retry configuration.
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            let returned = f.calls.iter().filter(|c| c.owner == Some(di as DefIdx) && c.returned);
            for c in returned {
                let with_args = c.args > 0 || !c.keywords.is_empty();
                if let Some((t, _, Role::Preset)) = construction(cx, file, Some(di as DefIdx), &c.callee, with_args) {
                    let ev = match t {
                        Some(t) => format!("returns {} ({})", short(model, t), place(model, t)),
                        None => format!("returns {}", c.callee),
                    };
                    found.push((sym, Role::Preset, "factory", t.into_iter().collect(), ev));
                    break;
                }
            }
        }
        // In-tree retry decorators applied with their numbers at the use.
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) {
                continue;
            }
            for d in &def.decorators {
                if !d.called || !d.keywords.iter().any(|k| retry_key(&k.name) || matches!(k.value, Literal::Number(_))) {
                    continue;
                }
                let class = def.class;
                let Some(Res::Sym(t)) = model.resolve_in(file, def.parent, class, &d.name).map(|r| model.value(r)) else { continue };
                if cx.role(t) == Some(Role::Decorator) {
                    let ev = format!("@{} with its numbers ({})", short(model, t), place(model, t));
                    found.push((sym, Role::Preset, "decorator_use", vec![t], ev));
                    break;
                }
            }
        }
    }
    for (sym, role, detail, targets, ev) in found {
        let kind = match role {
            Role::Decorator => Kind::RetryDecoratorDef,
            Role::Breaker => Kind::CircuitBreaker,
            _ => Kind::Preset,
        };
        let info = SiteInfo { role, detail, evidence: vec![ev.clone()], delegates_to: targets };
        cx.add(added, sym, kind, info, ev);
    }
}

/// Decision and delay functions that engines call, and decision methods of engine pieces.
fn decisions_and_calculators(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let engines: Vec<Sym> = cx.roles.iter().filter(|(_, i)| i.role == Role::Engine).map(|(s, _)| *s).collect();
    let mut called_by_engine: HashMap<Sym, Sym> = HashMap::new();
    for e in engines {
        let defs: Vec<(FileId, DefIdx)> = match e {
            Sym::Def(f, d) => vec![(f, d)],
            Sym::Class(f, c) => model.file(f).classes[c as usize].methods.iter().map(|&m| (f, m)).collect(),
            _ => vec![],
        };
        for (f, d) in defs {
            for edge in cx.graph.calls_from(f, d) {
                if let Res::Sym(t @ Sym::Def(..)) = edge.to {
                    called_by_engine.entry(t).or_insert(e);
                }
            }
        }
    }
    let mut found: Vec<(Sym, Role, &'static str, String)> = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            let by_engine = called_by_engine.get(&sym).copied();
            let n = def.name.trim_start_matches('_');
            let decision_name = names::is_retry_method(&def.name)
                && names::has_word(n, &["should_retry", "retryable", "is_retry", "is_exhausted", "can_retry", "increment"])
                || names::has_word(n, &["should_retry", "is_retryable", "is_retriable", "retriable", "can_retry", "needs_retry", "is_transient", "if_exception_type", "if_transient"]);
            let delay_name = names::has_word(n, &["delay", "backoff", "jitter", "interval", "sleep_time", "retry_after", "wait_time", "retry_timeout"]);
            if decision_name && (def.evidence.returns_bool || by_engine.is_some() || def.returns_nested_def) {
                let ev = match by_engine {
                    Some(e) => format!("called by {} ({})", short(model, e), place(model, e)),
                    None => "returns whether to retry".into(),
                };
                found.push((sym, Role::Decision, "predicate", ev));
            } else if delay_name && def.evidence.delay_math {
                found.push((sym, Role::Calculator, "delay", "returns delay arithmetic".into()));
            }
        }
    }
    for (sym, role, detail, ev) in found {
        let kind = if role == Role::Calculator { Kind::BackoffCalc } else { Kind::Decision };
        let info = SiteInfo { role, detail, evidence: vec![ev.clone()], delegates_to: vec![] };
        cx.add(added, sym, kind, info, ev);
    }
}

/// Registries that construct breakers, and breaker config schemas.
fn breakers(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found: Vec<(Sym, &'static str, Vec<Sym>, String)> = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if cx.roles.contains_key(&sym) || c.is_exception {
                continue;
            }
            let mut built = None;
            for &m in &c.methods {
                for e in cx.graph.calls_from(file, m) {
                    if let Res::Sym(t @ Sym::Class(..)) = e.to {
                        if cx.role(t) == Some(Role::Breaker) && t != sym {
                            built = Some(t);
                        }
                    }
                }
            }
            if let Some(t) = built {
                let ev = format!("constructs {} ({})", short(model, t), place(model, t));
                found.push((sym, "registry", vec![t], ev));
                continue;
            }
            let has = |w: &str| c.fields.iter().any(|x| x.trim_start_matches('_').eq_ignore_ascii_case(w));
            let threshold = has("failure_threshold") || has("failure_count_threshold") || has("max_failures");
            let recovery = ["recovery_timeout", "reset_timeout", "open_timeout", "half_open_max_calls", "timeout", "cooldown"].iter().any(|w| has(w));
            if threshold && recovery && !c.is_enum {
                found.push((sym, "config", vec![], "failure threshold and recovery timeout fields".into()));
            }
        }
    }
    for (sym, detail, targets, ev) in found {
        let info = SiteInfo { role: Role::Breaker, detail, evidence: vec![ev.clone()], delegates_to: targets };
        cx.add(added, sym, Kind::CircuitBreaker, info, ev);
    }
}
