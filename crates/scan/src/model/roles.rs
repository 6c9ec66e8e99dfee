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
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

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

/// The finding kind of a delay or decision piece.
fn piece_kind(role: Role) -> Kind {
    if role == Role::Calculator {
        Kind::BackoffCalc
    } else {
        Kind::Decision
    }
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
    /// Roles a later, more specific step may replace (a retry class read as a decision class until its
    /// methods are seen to hand off to an engine elsewhere).
    weak: HashSet<Sym>,
    wants_parse: HashSet<FileId>,
    /// Definitions holding an inline retry loop (statement sites): their callees are that engine's pieces.
    loop_owners: Vec<Sym>,
    /// The same, for lookups (the machinery test asks it of every call it looks at).
    loop_owner_set: HashSet<Sym>,
    /// A method -> the methods of subclasses that override it (virtual dispatch: `self.sleep_async(d)` in a
    /// base runs the subclass's `asyncio.sleep`).
    overrides: HashMap<Sym, Vec<Sym>>,
    /// Retry-named method name -> the functions calling it on a receiver the model could not type (built once:
    /// `wrappers` looks such calls up by name every round).
    untyped_calls: HashMap<&'m str, Vec<(FileId, DefIdx)>>,
    /// Lines holding a library use (`HTTPAdapter(max_retries=3)` is that use, not a config site of our own).
    library_lines: HashSet<(FileId, u32)>,
    /// Retry-named methods, in tree order (built once: `machinery_by_method_name` looks them up every round).
    piece_methods: Vec<(FileId, DefIdx)>,
    index: &'m Index,
    /// The functions calling a symbol with a role, or a loop owner (sorted, each once), and the symbols whose
    /// callers they already hold: `wrapper_candidates` adds only the callers of roles found since its last
    /// call (the roles only grow while wrappers are looked for; every call went through all of them again).
    role_callers: (Vec<(FileId, DefIdx)>, HashSet<Sym>),
}

/// What one file's facts alone say about its names, asked once per file and run: the roles are assigned again
/// after each round of the second pass, on facts few of which a round replaces, and the name tests below were
/// most of what the steps did for the files where nothing is found.
#[derive(Debug, Default)]
pub struct FileIndex {
    /// Methods (not dunders) whose name says they are pieces of the retry model, the ones calls on an untyped
    /// receiver are resolved to by name.
    piece_methods: Vec<DefIdx>,
    /// Calls in a function by a retry-named method name on a receiver (`self._retry.execute_with_retry(...)`):
    /// (call, its function).
    untyped_calls: Vec<(u32, DefIdx)>,
    /// Functions with a call that may apply a retry policy object (`retry(call)`) or hand one to a helper
    /// (`_apply_decorators(self._target, [retry])`): the only ones `retry_applications` can place.
    policy_users: Vec<DefIdx>,
    /// Calls with a retry number written out, and the first keyword holding one (`config_sites`).
    settings: Vec<(u32, u32)>,
    /// Per definition: may a decision or calculator round place it on its name and evidence alone
    /// (`decisions_and_calculators`), and is it a method of a monitor or event record (never placed).
    decision_names: Vec<bool>,
    in_record_class: Vec<bool>,
}

impl FileIndex {
    fn new(f: &crate::facts::FileFacts) -> FileIndex {
        let piece_methods = f
            .defs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.class.is_some() && !is_dunder(&d.name) && names::is_model_piece_name(&d.name))
            .map(|(di, _)| di as DefIdx)
            .collect();
        let mut untyped_calls = Vec::new();
        let mut uses_policy = vec![false; f.defs.len()];
        let mut settings = Vec::new();
        for (ci, c) in f.calls.iter().enumerate() {
            if let Some(owner) = c.owner {
                if attribute_name(&c.callee).is_some_and(names::is_model_piece_name) {
                    untyped_calls.push((ci as u32, owner));
                }
                uses_policy[owner as usize] |=
                    applies_policy_object(c) || handed_policy(c, &f.defs[owner as usize]).is_some();
            }
            if let Some(k) = c.keywords.iter().position(setting) {
                settings.push((ci as u32, k as u32));
            }
        }
        let policy_users = (0..f.defs.len() as DefIdx).filter(|&d| uses_policy[d as usize]).collect();
        let decision_names =
            f.defs.iter().map(|d| may_decide_by_name(d.class.map(|k| &f.classes[k as usize]), d)).collect();
        let in_record_class = f
            .defs
            .iter()
            .map(|d| d.class.is_some_and(|c| names::is_record_class_name(&f.classes[c as usize].name)))
            .collect();
        FileIndex { piece_methods, untyped_calls, policy_users, settings, decision_names, in_record_class }
    }
}

/// Every file's `FileIndex`, in file order.
#[derive(Debug, Default)]
pub struct Index {
    files: Vec<FileIndex>,
}

impl Index {
    pub fn new(model: &Model) -> Index {
        use rayon::prelude::*;
        Index { files: crate::pool().install(|| model.files.par_iter().map(FileIndex::new).collect()) }
    }

    /// After the facts of `changed` files were replaced: index those files again.
    pub fn refresh(&mut self, model: &Model, changed: &HashSet<FileId>) {
        use rayon::prelude::*;
        let changed: Vec<FileId> = changed.iter().copied().collect();
        let fresh: Vec<(FileId, FileIndex)> =
            crate::pool().install(|| changed.par_iter().map(|&f| (f, FileIndex::new(model.file(f)))).collect());
        for (f, index) in fresh {
            self.files[f as usize] = index;
        }
    }

    fn file(&self, file: FileId) -> &FileIndex {
        &self.files[file as usize]
    }
}

/// A call with one argument to a name that holds a retry policy object (`call = retry(call)`).
fn applies_policy_object(c: &Call) -> bool {
    c.args == 1 && c.arg_names.len() == 1 && names_retry_object(&c.callee)
}

/// The retry policy object a call of `def` hands on, when it is `def`'s parameter or its instance's
/// (`self._retry`). The name first: one pass over its bytes turns away almost every argument.
fn handed_policy<'c>(c: &'c Call, def: &crate::facts::Def) -> Option<&'c str> {
    c.arg_names
        .iter()
        .find(|a| names_retry_object(a) && (a.starts_with("self.") || def.params.iter().any(|p| p.name == **a)))
        .map(String::as_str)
}

/// A keyword argument that writes out a retry number (`max_retries=3`, `backoff_factor=0.5`).
fn setting(k: &crate::facts::Kwarg) -> bool {
    // The value first: most keyword arguments pass a variable or a string, and the name tests cost more.
    written_out(&k.value) && (count_key(&k.name) || delay_key(&k.name) || schedule_key(&k.name) || retry_key(&k.name))
}

/// Retry-named methods, in tree order.
fn piece_methods(model: &Model, index: &Index) -> Vec<(FileId, DefIdx)> {
    (0..model.files.len() as FileId)
        .flat_map(|file| index.file(file).piece_methods.iter().map(move |&d| (file, d)))
        .collect()
}

/// Calls on an untyped receiver by a retry-named method name (`self._retry.execute_with_retry(...)`), by that
/// name.
fn untyped_calls<'m>(model: &'m Model, index: &Index) -> HashMap<&'m str, Vec<(FileId, DefIdx)>> {
    let mut out: HashMap<&str, Vec<(FileId, DefIdx)>> = HashMap::default();
    for (fi, f) in model.files.iter().enumerate() {
        for &(ci, owner) in &index.file(fi as FileId).untyped_calls {
            let Some(name) = attribute_name(&f.calls[ci as usize].callee) else { continue };
            out.entry(name).or_default().push((fi as FileId, owner));
        }
    }
    out
}

/// Every method that a subclass in the tree overrides, with its overrides.
fn overrides(model: &Model) -> HashMap<Sym, Vec<Sym>> {
    let pairs = each_file(model, |file, f| {
        let mut out: Vec<(Sym, Sym)> = Vec::new();
        for (ci, c) in f.classes.iter().enumerate() {
            if c.methods.is_empty() {
                continue;
            }
            for (bf, bc) in model.mro(file, ci as u32).into_iter().skip(1) {
                let base = model.file(bf);
                for &bm in &base.classes[bc as usize].methods {
                    let name = &base.defs[bm as usize].name;
                    if name.starts_with("__") && name.ends_with("__") && name != "__call__" {
                        continue;
                    }
                    if let Some(&m) = c.methods.iter().find(|&&m| &f.defs[m as usize].name == name) {
                        out.push((Sym::Def(bf, bm), Sym::Def(file, m)));
                    }
                }
            }
        }
        out
    });
    let mut out: HashMap<Sym, Vec<Sym>> = HashMap::default();
    for (base, m) in pairs {
        out.entry(base).or_default().push(m);
    }
    out
}

/// Give every finding its role and add the sites only the whole tree shows.
pub fn assign(model: &Model, graph: &Graph, index: &Index, findings: &[Finding]) -> Assignment {
    let by_path: HashMap<&str, FileId> =
        model.files.iter().enumerate().map(|(i, f)| (f.path.as_str(), i as FileId)).collect();
    let mut cx = Ctx {
        model,
        graph,
        roles: HashMap::default(),
        weak: HashSet::default(),
        wants_parse: HashSet::default(),
        overrides: overrides(model),
        loop_owners: Vec::new(),
        loop_owner_set: HashSet::default(),
        untyped_calls: untyped_calls(model, index),
        piece_methods: piece_methods(model, index),
        index,
        role_callers: Default::default(),
        library_lines: findings
            .iter()
            .filter(|f| f.kind == Kind::LibraryRetry)
            .filter_map(|f| Some((*by_path.get(f.path.as_str())?, f.line)))
            .collect(),
    };
    let mut seeded: Vec<(Option<Sym>, Option<SiteInfo>)> = Vec::with_capacity(findings.len());
    for f in findings {
        let file = by_path.get(f.path.as_str()).copied();
        let sym = file.and_then(|file| symbol_of(model, file, f));
        let is_enum = matches!(sym, Some(Sym::Class(fi, c)) if model.file(fi).classes[c as usize].is_enum);
        let mut info = role_of_kind(f.kind, is_enum).map(|role| SiteInfo {
            role,
            detail: detail_of_kind(f.kind),
            evidence: sym.map(|s| local_evidence(model, s)).unwrap_or_default(),
            delegates_to: vec![],
        });
        // A retry class none of whose methods retries by itself holds the numbers or the decision of an
        // engine elsewhere (or hands off to one: see `wrappers`).
        if let (Some(Sym::Class(fi, c)), Some(i), Kind::RetryClass) = (sym, info.as_mut(), f.kind) {
            if !class_retries(model, fi, c) {
                let k = &model.file(fi).classes[c as usize];
                let fields = k.fields.iter().filter(|x| retry_key(x)).count();
                // The numbers may also be the constructor's parameters (`Retry(initial, maximum, multiplier,
                // timeout)` stores them as `self._initial`, ...).
                let params = model
                    .method(fi, c, "__init__")
                    .map(|(mf, m)| &model.file(mf).defs[m as usize])
                    .into_iter()
                    .flat_map(|d| d.params.iter())
                    .filter(|p| retry_key(&p.name) || schedule_key(&p.name))
                    .count();
                if fields >= 2 || params >= 2 {
                    i.role = Role::ConfigSchema;
                    i.detail = "attempt_state";
                } else {
                    i.role = Role::Decision;
                    i.detail = "class";
                }
                cx.weak.insert(Sym::Class(fi, c));
            }
        }
        // A breaker class made of fields alone (`CircuitBreakerConfig` with `failure_threshold` and
        // `recovery_timeout`) is the breaker's config schema, not a state machine.
        if let (Some(Sym::Class(fi, c)), Some(i), Kind::CircuitBreaker) = (sym, info.as_mut(), f.kind) {
            let k = &model.file(fi).classes[c as usize];
            let behaviour = k.methods.iter().any(|&m| {
                let name = model.file(fi).defs[m as usize].name.as_str();
                !matches!(name, "__init__" | "__post_init__" | "__repr__" | "__eq__" | "__hash__")
            });
            if !behaviour && !k.fields.is_empty() {
                i.detail = "config";
            }
        }
        // Statement sites (an inline loop, a library call) live inside a definition; the definition is the
        // engine only when the finding is about it.
        if let (Some(s), Some(i)) = (sym, &info) {
            if f.kind != Kind::SleepLoop && f.kind != Kind::LibraryRetry {
                cx.roles.entry(s).or_insert_with(|| i.clone());
            } else if f.kind == Kind::SleepLoop && matches!(s, Sym::Def(..)) {
                cx.loop_owners.push(s);
            }
        }
        seeded.push((sym, info));
    }
    cx.loop_owner_set = cx.loop_owners.iter().copied().collect();
    let mut added: Vec<NewSite> = Vec::new();
    recursion_helpers(&mut cx, &mut added);
    spread_engines(&mut cx, &mut added);
    engine_classes(&mut cx, &mut added);
    breakers(&mut cx, &mut added);
    schemas(&mut cx, &mut added);
    engine_bases(&mut cx, &mut added);
    call_wrappers(&mut cx);
    for _ in 0..MAX_DEPTH {
        if !wrappers(&mut cx, &mut added) {
            break;
        }
    }
    retry_applications(&mut cx, &mut added);
    for _ in 0..MAX_DEPTH {
        if !wrappers(&mut cx, &mut added) {
            break;
        }
    }
    aliases(&mut cx, &mut added);
    presets(&mut cx, &mut added);
    loop_budgets(&mut cx, &mut added);
    config_sites(&mut cx, &mut added);
    decisions_and_calculators(&mut cx, &mut added);
    calculator_numbers(&mut cx, &mut added);
    give_up_sets(&mut cx, &mut added);
    overridden_pieces(&mut cx, &mut added);
    derived_pieces(&mut cx, &mut added);
    handed_predicates(&mut cx, &mut added);
    piece_instances(&mut cx, &mut added);
    preset_lists(&mut cx, &mut added);
    // Assemblers need the decision and delay pieces; what calls them is a wrapper in turn.
    assemblers(&mut cx, &mut added);
    for _ in 0..MAX_DEPTH {
        if !wrappers(&mut cx, &mut added) {
            break;
        }
    }
    delegating_factories(&mut cx);
    // Builders of presets, once every wrapper is known (a wrapper may also fill in the settings it hands on).
    preset_builders(&mut cx, &mut added);
    // Config sites inside a function placed later (an assembler, a wrapper) belong to that function.
    let placed_later = |cx: &Ctx, s: &NewSite| match s.sym {
        Sym::Call(file, ci) => model.file(file).calls[ci as usize].owner.is_some_and(|d| {
            cx.roles.contains_key(&Sym::Def(file, d)) || inside_role(cx, file, model.file(file).defs[d as usize].parent)
        }),
        _ => false,
    };
    let dropped: Vec<Sym> = added.iter().filter(|s| placed_later(&cx, s)).map(|s| s.sym).collect();
    added.retain(|s| !dropped.contains(&s.sym));
    for s in dropped {
        cx.roles.remove(&s);
    }
    // A "library use" whose library is in the tree (scanning the library itself, or a monorepo) constructs
    // that library's config class: a config site of an in-tree engine.
    for (i, f) in findings.iter().enumerate() {
        if f.kind != Kind::LibraryRetry {
            continue;
        }
        let Some(&file) = by_path.get(f.path.as_str()) else { continue };
        let facts = model.file(file);
        let target = facts.calls.iter().enumerate().filter(|(_, c)| c.line == f.line).find_map(|(ci, _)| {
            match graph.callee_of(file, ci as u32) {
                Some(Res::Sym(t)) if cx.roles.contains_key(t) => Some(*t),
                _ => None,
            }
        });
        if let (Some(t), Some(info)) = (target, seeded[i].1.as_mut()) {
            info.role = Role::Preset;
            info.detail = "config_site";
            info.evidence.push(format!("constructs {} ({})", short(model, t), place(model, t)));
            info.delegates_to = vec![t];
        }
    }
    // Definition sites take what the model learned about them (a refined or replaced role).
    for (i, f) in findings.iter().enumerate() {
        if f.kind == Kind::SleepLoop || f.kind == Kind::LibraryRetry {
            continue;
        }
        if let (Some(s), Some(_)) = (seeded[i].0, &seeded[i].1) {
            if let Some(info) = cx.roles.get(&s) {
                seeded[i].1 = Some(info.clone());
            }
        }
    }
    Assignment { findings: seeded, added, wants_parse: cx.wants_parse }
}

/// Does a method of the class retry by itself: a retry loop or recursion (or a loop pending on a helper)?
fn class_retries(model: &Model, file: FileId, class: u32) -> bool {
    let f = model.file(file);
    f.classes[class as usize].methods.iter().any(|&m| {
        let ev = &f.defs[m as usize].evidence;
        !ev.retry_loops.is_empty() || ev.recursion || !ev.pending_loops.is_empty()
    })
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
        Kind::RetryClass | Kind::RetryConfig | Kind::CircuitBreaker => facts
            .class_by_qualname(q)
            .map(|c| Sym::Class(file, c))
            .or_else(|| facts.def_by_qualname_at(q, f.line).map(|d| Sym::Def(file, d))),
        Kind::BackoffCalc => facts
            .def_by_qualname(q)
            .map(|d| Sym::Def(file, d))
            .or_else(|| facts.class_by_qualname(q).map(|c| Sym::Class(file, c))),
        _ => facts.def_by_qualname_at(q, f.line).map(|d| Sym::Def(file, d)),
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
    name.strip_prefix(module.as_str())
        .map(|q| q.trim_start_matches('.').to_string())
        .filter(|q| !q.is_empty())
        .unwrap_or(name)
}

impl Ctx<'_> {
    fn role(&self, s: Sym) -> Option<Role> {
        self.roles.get(&s).map(|i| i.role)
    }

    /// `add` of a site whose one piece of evidence is also its message.
    #[allow(clippy::too_many_arguments)]
    fn add_site(
        &mut self,
        added: &mut Vec<NewSite>,
        sym: Sym,
        kind: Kind,
        role: Role,
        detail: &'static str,
        delegates_to: Vec<Sym>,
        ev: String,
    ) {
        let info = SiteInfo { role, detail, evidence: vec![ev.clone()], delegates_to };
        self.add(added, sym, kind, info, ev);
    }

    fn add(&mut self, added: &mut Vec<NewSite>, sym: Sym, kind: Kind, info: SiteInfo, message: String) {
        if self.weak.remove(&sym) {
            // An existing finding whose role a more specific step settles: no new site.
            self.roles.insert(sym, info);
            return;
        }
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
                let mut next: Vec<Sym> = self
                    .graph
                    .calls_from(file, d)
                    .filter_map(|e| match e.to {
                        Res::Sym(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                // What a subclass runs in its place (a base's `sleep_async` that raises NotImplementedError).
                if let Some(o) = self.overrides.get(&s) {
                    next.extend(o.iter().copied());
                }
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
            // A function holding a retry loop run with the retry settings it is handed
            // (`_request_with_session(..., retry_handlers)`) serves its callers' retries.
            None => match s {
                Sym::Def(file, d) => {
                    self.loop_owner_set.contains(&s)
                        && self.model.file(file).defs[d as usize].params.iter().any(|p| retry_key(&p.name))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// What a call reaches, when that is a breaker: a method of a breaker class (a state machine, a registry),
    /// or a breaker wrapper or instance.
    fn breaker_machinery(&self, to: &Res) -> Option<Sym> {
        let Res::Sym(s) = to else { return None };
        if self.role(*s) == Some(Role::Breaker) && !matches!(s, Sym::Class(..)) {
            return Some(*s);
        }
        let Sym::Def(file, d) = *s else { return None };
        let c = self.model.file(file).defs[d as usize].class?;
        (self.role(Sym::Class(file, c)) == Some(Role::Breaker)).then_some(*s)
    }

    /// What a call reaches, when that is retry machinery: the symbol and its role.
    fn machinery(&self, to: &Res) -> Option<Sym> {
        match to {
            Res::Sym(s @ Sym::Def(file, d)) => {
                if self.reusable(*s) {
                    return Some(*s);
                }
                // A method of an engine class reached through an instance: any method of a class whose job is
                // retrying (`BaseRetrying.copy`); of a client that is an engine through the retry it runs, one
                // that runs it (a piece, or calling one): `RTMClient.on` registering a callback is other work of
                // a client whose `_connect_and_read` reconnects.
                let c = self.model.file(*file).defs[*d as usize].class?;
                let piece = |t: Sym| self.roles.contains_key(&t) || self.loop_owner_set.contains(&t);
                let name = &self.model.file(*file).classes[c as usize].name;
                let runs = names::has_word(name, &["retr", "backoff", "resilien", "reconnect"])
                    || piece(*s)
                    || self.graph.calls_from(*file, *d).any(|e| {
                        matches!(e.to, Res::Sym(t @ Sym::Def(tf, td))
                            if tf == *file && self.model.file(tf).defs[td as usize].class == Some(c) && piece(t))
                    });
                (runs && self.role(Sym::Class(*file, c)) == Some(Role::Engine)).then_some(*s)
            }
            Res::Sym(s @ Sym::Assign(..)) => match self.role(*s) {
                Some(Role::Wrapper) | Some(Role::Decorator) => Some(*s),
                _ => None,
            },
            // A callable wrapper class (its `__call__` runs the operation through the policy): building one
            // around an operation wraps it (`wrap_method(func, default_retry)` -> `_GapicCallable(func, ...)`).
            Res::Sym(s @ Sym::Class(file, c)) if self.role(*s) == Some(Role::Wrapper) => {
                let f = self.model.file(*file);
                f.classes[*c as usize]
                    .methods
                    .iter()
                    .any(|&m| {
                        f.defs[m as usize].name == "__call__" && self.role(Sym::Def(*file, m)) == Some(Role::Wrapper)
                    })
                    .then_some(*s)
            }
            _ => None,
        }
    }
}

/// `per_file` of every file of the model, run on the scan's pool, what it returns concatenated in file order
/// (the order a serial loop over the files would find it in). A step that only reads the roles found so far
/// while it looks at the files can look at them in parallel: the roles are the longest serial part of a scan.
fn each_file<'m, T: Send>(
    model: &'m Model,
    per_file: impl Fn(FileId, &'m crate::facts::FileFacts) -> Vec<T> + Sync + Send,
) -> Vec<T> {
    use rayon::prelude::*;
    crate::pool()
        .install(|| model.files.par_iter().enumerate().flat_map_iter(|(fi, f)| per_file(fi as FileId, f)).collect())
}

/// The helper a mutual recursion goes through is part of the engine (`_request` -> `_retry_request` ->
/// `_request`).
fn recursion_helpers(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for def in &f.defs {
            let Some(via) = &def.evidence.recursion_via else { continue };
            let helper = match def.class {
                Some(c) => model.method(file, c, via).map(|(hf, h)| Sym::Def(hf, h)),
                None => f.binding(via).and_then(|b| match b.kind {
                    crate::facts::BindingKind::Def(d) => Some(Sym::Def(file, d)),
                    _ => None,
                }),
            };
            let Some(h) = helper else { continue };
            let ev = format!("recursion via {} with {}", via, def.name);
            let info = SiteInfo { role: Role::Engine, detail: "recursion", evidence: vec![ev], delegates_to: vec![] };
            cx.add(added, h, Kind::RetryFunction, info, format!("retries by mutual recursion with `{}`", def.name));
        }
    }
}

/// A class whose method's job is retrying (a retry function, not an inline loop in other work) is an engine
/// class (label the class and the method).
fn engine_classes(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found = Vec::new();
    // Retry functions, and the definitions holding an inline retry loop (those make their class an engine only
    // when the class holds the loop's budget: checked below).
    let owners: Vec<(Sym, bool)> = cx
        .roles
        .iter()
        .filter(|(_, i)| i.role == Role::Engine && matches!(i.detail, "function" | "recursion"))
        .map(|(s, _)| (*s, false))
        .chain(cx.loop_owners.iter().map(|s| (*s, true)))
        .collect();
    for (sym, inline) in owners {
        let Sym::Def(file, d) = sym else { continue };
        let def = &model.file(file).defs[d as usize];
        let Some(c) = def.class else { continue };
        let class = &model.file(file).classes[c as usize];
        if class.is_exception || class.is_enum {
            continue;
        }
        found.push((Sym::Class(file, c), def.name.clone(), inline));
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    for (sym, method, inline) in found {
        // A class the local rules read as a schema (its constructor takes the numbers) whose own method runs
        // the retries is the engine holding them.
        if cx.roles.get(&sym).is_some_and(|i| i.role == Role::ConfigSchema && i.detail == "schema") {
            cx.weak.insert(sym);
        }
        if cx.role(sym).is_some_and(|r| r != Role::Engine) && !cx.weak.contains(&sym) {
            continue;
        }
        // A service with one retrying method (`ClickHouseService.connect`, a JWT handler's retried fetch) is
        // not a retry class: the method is the site. The class is one when retrying is its job: it says so, or
        // most of its methods are pieces of the retry.
        let Sym::Class(file, c) = sym else { continue };
        let class = &model.file(file).classes[c as usize];
        let own: Vec<DefIdx> = class
            .methods
            .iter()
            .copied()
            .filter(|&m| {
                let n = &model.file(file).defs[m as usize].name;
                !(n.starts_with("__") && n.ends_with("__"))
            })
            .collect();
        let pieces = own.iter().filter(|&&m| cx.roles.contains_key(&Sym::Def(file, m))).count();
        let named = names::has_word(&class.name, &["retr", "backoff", "resilien", "reconnect"]);
        // Or the class holds the retry budget its method spends (`Transport(max_retries=3)`,
        // `IMDSFetcher(num_attempts=1)`, `self.retries = RetryState()`): the policy lives there.
        let budget = model.mro(file, c).into_iter().find_map(|(bf, bc)| {
            let k = &model.file(bf).classes[bc as usize];
            let init = model.method(bf, bc, "__init__").map(|(mf, m)| &model.file(mf).defs[m as usize]);
            let params = init.into_iter().flat_map(|d| d.params.iter().map(|p| p.name.as_str()));
            k.fields.iter().map(String::as_str).chain(params).find(|n| names::is_budget_name(n)).map(str::to_string)
        });
        if !named && budget.is_none() && pieces * 2 <= own.len() {
            continue;
        }
        // A service whose one method retries inline among other work (`Transport.perform_request` spending
        // the transport's `max_retries`) is an engine class only through that budget.
        if inline && budget.is_none() && !named {
            continue;
        }
        let mut ev = format!("runs retries in {method}");
        if let Some(b) = budget.filter(|_| !named) {
            ev.push_str(&format!(" with its budget `{b}`"));
        }
        cx.add_site(added, sym, Kind::RetryClass, Role::Engine, "class", vec![], ev);
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
                    if let Some(w) = cx.waits(t, MAX_DEPTH - 1, &mut HashSet::default()) {
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
                // The single attempt it calls: a helper that runs the operation, catches the failure and returns
                // it as a value for the loop to judge (`_try_single_attempt` returning an outcome).
                for &call in &pending.calls {
                    let Some(Res::Sym(t @ Sym::Def(tf, td))) = cx.graph.callee_of(file, call).cloned() else {
                        continue;
                    };
                    let ev = &model.file(tf).defs[td as usize].evidence;
                    if ev.catches.is_some() && ev.catch_returns && !ev.loops && t != sym {
                        let info = SiteInfo {
                            role: Role::Engine,
                            detail: "attempt",
                            evidence: vec![format!("the attempt of {} (loop@L{})", def.qualname, pending.line)],
                            delegates_to: vec![sym],
                        };
                        let msg = format!("one attempt of the retry loop in `{}`", def.name);
                        cx.add(added, t, Kind::RetryFunction, info, msg);
                    }
                }
                if let Some(c) = def.class {
                    let class = &f.classes[c as usize];
                    let named = names::has_word(
                        &class.name,
                        &["retry", "retrier", "backoff", "retrying", "resilien", "reliab", "recover", "executor"],
                    );
                    if named && !class.is_exception {
                        let info = SiteInfo {
                            role: Role::Engine,
                            detail: "class",
                            evidence: vec![format!("runs retries in {}", def.name)],
                            delegates_to: vec![],
                        };
                        cx.add(
                            added,
                            Sym::Class(file, c),
                            Kind::RetryClass,
                            info,
                            format!("runs retries in {}", def.name),
                        );
                    }
                }
                break;
            }
        }
    }
}

/// A `__call__` that decorates with an engine defined outside its class (`Retry.__call__` wrapping the target
/// in `retry_target(...)`) is a wrapper of that engine; one that runs its own class's engine (`self.call`) is
/// the engine class's decorator API and stays a decorator.
fn call_wrappers(cx: &mut Ctx) {
    let model = cx.model;
    let mut found = Vec::new();
    for (sym, info) in &cx.roles {
        let Sym::Def(file, d) = *sym else { continue };
        let f = model.file(file);
        let def = &f.defs[d as usize];
        let Some(c) = def.class else { continue };
        if info.role != Role::Decorator || def.name != "__call__" || cx.role(Sym::Class(file, c)) == Some(Role::Engine)
        {
            continue;
        }
        let own = model.mro(file, c);
        let inner = f.defs.iter().enumerate().filter(|(_, n)| n.parent == Some(d)).map(|(i, _)| i as DefIdx);
        let target = std::iter::once(d).chain(inner).find_map(|n| {
            cx.graph.calls_from(file, n).find_map(|e| {
                let t = cx.machinery(&e.to)?;
                let mine = match t {
                    Sym::Def(tf, td) => {
                        model.file(tf).defs[td as usize].class.is_some_and(|tc| own.contains(&(tf, tc)))
                    }
                    _ => false,
                };
                (!mine).then_some(t)
            })
        });
        if let Some(t) = target {
            found.push((*sym, t));
        }
    }
    for (sym, t) in found {
        let ev = format!("decorates with {} ({})", short(model, t), place(model, t));
        let info = SiteInfo { role: Role::Wrapper, detail: "method", evidence: vec![ev], delegates_to: vec![t] };
        cx.roles.insert(sym, info);
    }
}

/// Is this a call that hands the function's work to the callee: its result is returned, or one of the
/// function's parameters (the operation) is passed on by a function that does little else (one that goes on
/// to work with the result, `rows = runner.run(db.fetch_all)` then a loop over `rows`, uses the engine).
fn hands_off(call: &Call, params: &[String], statements: u32) -> bool {
    call.returned
        || statements <= 3
            && call.arg_names.iter().any(|a| params.iter().any(|p| p == a || a.starts_with(&format!("{p}."))))
}

/// Methods by name, for calls on a receiver the model cannot type (`self._get_http_client().request_with_retries`,
/// `self._retry.execute_with_retry`): a retry-named method name reaches machinery when every method of that
/// name in the tree is machinery (the first one stands for them).
fn machinery_by_method_name<'m>(cx: &Ctx<'m>) -> HashMap<&'m str, Option<Sym>> {
    let model = cx.model;
    let mut out: HashMap<&'m str, Option<Sym>> = HashMap::default();
    // Only retry-named methods are looked up by name.
    for &(fi, di) in &cx.piece_methods {
        let d = &model.file(fi).defs[di as usize];
        let m = cx.machinery(&Res::Sym(Sym::Def(fi, di)));
        match out.entry(d.name.as_str()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(m);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                if m.is_none() {
                    o.insert(None);
                }
            }
        }
    }
    out
}

/// The functions that may call machinery this round, in tree order: the owners of calls resolved to a symbol
/// with a role or to a method of a class with one, and of untyped calls by a machinery method's name. Most
/// functions call none, and every round would otherwise look at all of them.
fn wrapper_candidates(cx: &mut Ctx, by_name: &HashMap<&str, Option<Sym>>) -> Vec<(FileId, DefIdx)> {
    let model = cx.model;
    let graph = cx.graph;
    let (known, expanded) = &mut cx.role_callers;
    let before = known.len();
    let mut callers_of = |s: Sym| {
        if !expanded.insert(s) {
            return;
        }
        for e in graph.callers(s) {
            if let Some(owner) = model.file(e.file).calls[e.call as usize].owner {
                known.push((e.file, owner));
            }
        }
    };
    for &s in cx.roles.keys() {
        match s {
            Sym::Class(file, c) => {
                for &m in &model.file(file).classes[c as usize].methods {
                    callers_of(Sym::Def(file, m));
                }
                // Its constructions (a callable wrapper class built around an operation).
                callers_of(s);
            }
            _ => callers_of(s),
        }
    }
    for &s in &cx.loop_owners {
        callers_of(s);
    }
    if known.len() != before {
        known.sort_unstable();
        known.dedup();
    }
    let mut out = known.clone();
    let before = out.len();
    for (name, t) in by_name {
        if t.is_some() {
            out.extend(cx.untyped_calls.get(name).into_iter().flatten().copied());
        }
    }
    if out.len() != before {
        out.sort_unstable();
        out.dedup();
    }
    out
}

/// Wrappers: one round; true when it added any.
fn wrappers(cx: &mut Ctx, added: &mut Vec<NewSite>) -> bool {
    let model = cx.model;
    let by_name = machinery_by_method_name(cx);
    let candidates = wrapper_candidates(cx, &by_name);
    let cx_ref: &Ctx = cx;
    // Each candidate only reads the roles found so far: in parallel, in tree order.
    let found: Vec<(Sym, Sym, &'static str, String)> = crate::pool().install(|| {
        use rayon::prelude::*;
        candidates.par_iter().filter_map(|&(file, di)| wrapper_at(cx_ref, &by_name, file, di)).collect()
    });
    let any = !found.is_empty();
    for (sym, t, detail, ev) in found {
        let (role, kind, msg) = match detail {
            "factory" => (Role::Decorator, Kind::RetryDecoratorDef, format!("decorator factory: {ev}")),
            "configures" => (Role::Preset, Kind::Preset, format!("preset: builds the policy it hands over; {ev}")),
            "breaker_wrapper" | "breaker_decorator" => {
                (Role::Breaker, Kind::CircuitBreaker, format!("runs calls through a breaker: {ev}"))
            }
            _ => (Role::Wrapper, Kind::Wrapper, format!("wrapper: {ev}")),
        };
        let info = SiteInfo { role, detail, evidence: vec![ev], delegates_to: vec![t] };
        cx.add(added, sym, kind, info, msg);
    }
    // Classes whose methods hand off to machinery defined in another class or module.
    let cx_ref: &Ctx = cx;
    let classes = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut classes: Vec<(Sym, Sym)> = Vec::new();
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if cx.role(sym).is_some_and(|_| !cx.weak.contains(&sym)) || c.is_exception {
                continue;
            }
            // Without a method that hands off there is nothing to report: most classes stop here, before their
            // name and methods are weighed (this runs over every class each round).
            let Some(handoff) = c.methods.iter().find_map(|&m| {
                let info = cx.roles.get(&Sym::Def(file, m))?;
                (info.role == Role::Wrapper).then(|| info.delegates_to.first().copied()).flatten()
            }) else {
                continue;
            };
            // A connection or service with one method that goes through an engine is not a facade (the method
            // is the wrapper): the class is one when handing off is its job — it says so, or most of its
            // methods hand off.
            let own: Vec<DefIdx> = c
                .methods
                .iter()
                .copied()
                .filter(|&m| {
                    let n = &f.defs[m as usize].name;
                    !(n.starts_with("__") && n.ends_with("__")) || n == "__call__"
                })
                .collect();
            let wrapping = own
                .iter()
                .filter(|&&m| cx.roles.get(&Sym::Def(file, m)).is_some_and(|i| i.role == Role::Wrapper))
                .count();
            let named = names::has_word(&c.name, &["retr", "backoff", "resilien", "compat", "legacy", "facade"]);
            // Handing off is the job of a class when most of its methods do, and there are several of them (a
            // download class whose one `consume` goes through the retry helper is a user of it).
            // A subclass of a facade whose own methods all hand off is one too (`_AsyncGapicCallable` with its
            // async `__call__`).
            let extends_facade = wrapping == own.len()
                && wrapping > 0
                && model
                    .mro(file, ci as u32)
                    .into_iter()
                    .skip(1)
                    .any(|(bf, bc)| cx.role(Sym::Class(bf, bc)) == Some(Role::Wrapper));
            if !named && !extends_facade && (wrapping * 2 <= own.len() || wrapping < 2) {
                continue;
            }
            // A retry class holding the numbers (`Retry` with `with_timeout()`, `with_delay()` ... and a
            // `__call__` that hands off) stays their schema unless handing off is most of what it does.
            if cx.role(sym) == Some(Role::ConfigSchema) {
                let inherited: usize = model
                    .mro(file, ci as u32)
                    .into_iter()
                    .skip(1)
                    .map(|(bf, bc)| {
                        let b = model.file(bf);
                        b.classes[bc as usize].methods.iter().filter(|&&m| !is_dunder(&b.defs[m as usize].name)).count()
                    })
                    .sum();
                if wrapping * 2 <= own.len() + inherited {
                    continue;
                }
            }
            classes.push((sym, handoff));
        }
        classes
    });
    for (sym, t) in classes {
        let ev = format!("methods call {} ({})", short(model, t), place(model, t));
        let info = SiteInfo { role: Role::Wrapper, detail: "class", evidence: vec![ev.clone()], delegates_to: vec![t] };
        cx.add(added, sym, Kind::Wrapper, info, format!("facade class: {ev}"));
    }
    any
}

/// The wrapper site one candidate of `wrappers` makes, if any: (site, what it calls, detail, evidence).
fn wrapper_at(
    cx: &Ctx,
    by_name: &HashMap<&str, Option<Sym>>,
    file: FileId,
    di: DefIdx,
) -> Option<(Sym, Sym, &'static str, String)> {
    let model = cx.model;
    let f = model.file(file);
    let di = di as usize;
    let def = &f.defs[di];
    let sym = Sym::Def(file, di as DefIdx);
    // A longer function is a wrapper only when it routes its own retry budget into the engine
    // (`request_raw(..., max_network_retries)` -> `request_with_retries(..., max_network_retries=...)`).
    let long = def.statements > 6;
    let budget = |n: &str| names::is_budget_name(n.rsplit('.').next().unwrap_or(n));
    let routes = |call: &Call| call.arg_names.iter().any(|a| budget(a));
    // Its budget is a parameter, or one it works out and hands on (`max_network_retries =
    // options.get(...)` then `request_with_retries(..., max_network_retries=max_network_retries)`).
    // Most functions call no machinery at all: find that out before anything else.
    let di32 = di as DefIdx;
    if cx.roles.contains_key(&sym) {
        return None;
    }
    let reaches =
        cx.graph.calls_from(file, di32).any(|e| cx.machinery(&e.to).is_some() || cx.breaker_machinery(&e.to).is_some())
            || model.call_indices_of(file, di32).any(|ci| {
                let callee = &f.calls[ci as usize].callee;
                callee.rsplit_once('.').is_some_and(|(_, n)| by_name.get(n).is_some_and(|t| t.is_some()))
            });
    if !reaches
        || (long && !def.params.iter().any(|p| budget(&p.name)) && !model.calls_of(file, di as DefIdx).any(&routes))
        || inside_role(cx, file, def.parent)
    {
        return None;
    }
    // Methods of an engine (or breaker, config) class are its own API, not wrappers of it.
    if def.class.is_some_and(|c| {
        let cs = Sym::Class(file, c);
        cx.role(cs).is_some() && !cx.weak.contains(&cs)
    }) {
        return None;
    }
    let is_cm = def.decorators.iter().any(|d| d.name.ends_with("contextmanager"));
    // Constructors and protocol methods set up or tear down; `__call__` is the one that runs. A decision
    // that consults machinery (`_needs_retry_for_credentials` asking a fetcher's predicate) decides.
    if def.name.starts_with("__") && def.name.ends_with("__") && def.name != "__call__"
        || names::is_decision_name(&def.name)
    {
        return None;
    }
    // A closure is part of the function it is defined in (`api_request` handed to a page iterator),
    // unless that function returns it: then it is a decorator factory's wrapper.
    let factory = match def.parent {
        None => None,
        Some(p) => {
            let mut outer = p;
            while let Some(q) = f.defs[outer as usize].parent {
                outer = q;
            }
            let o = &f.defs[outer as usize];
            let yields_it = o.decorators.iter().any(|d| d.name.ends_with("contextmanager"));
            if !(o.returns_nested_def || yields_it) || cx.roles.contains_key(&Sym::Def(file, outer)) {
                return None;
            }
            Some((outer, yields_it))
        }
    };
    let own: Vec<(FileId, u32)> = match def.class {
        Some(c) => model.mro(file, c),
        None => vec![],
    };
    // What the function hands on includes what its enclosing functions were handed (a decorator's
    // `func`, a factory's `name`).
    let mut params: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
    let mut up = def.parent;
    while let Some(p) = up {
        params.extend(f.defs[p as usize].params.iter().map(|x| x.name.clone()));
        up = f.defs[p as usize].parent;
    }
    let mut target = None;
    let mut returns_decorator = false;
    for e in cx.graph.calls_from(file, di as DefIdx) {
        let call = &f.calls[e.call as usize];
        if let Some(t) = cx.machinery(&e.to) {
            // A method calling machinery of its own class (or a base) is that class's API.
            let same_class = match t {
                Sym::Def(tf, td) => model.file(tf).defs[td as usize].class.is_some_and(|tc| own.contains(&(tf, tc))),
                _ => false,
            };
            // Unless it is a pure delegation: a public entry point that only forwards to the class's
            // retrying method (`request_with_retries` -> `self._request_with_retries_internal`), after
            // one statement at most that builds its arguments (`log_type = ...; yield from
            // self._stream_sse_events(url=...)`).
            // The machinery call is what the function ends with (the statements before it only build
            // its arguments: `kwargs = {...}; standard.register_retry_handler(**kwargs)`).
            let last = !call.in_loop && def.span.end.saturating_sub(call.span.end) <= 1;
            // Or the class's step that applies the policy hands back the wrapped callable, and this is
            // the method that runs it (`wrapped = self._prepare_call(retry, ...)`; `return wrapped(*args)`).
            let runs_applied = cx.roles.get(&t).is_some_and(|i| i.detail == "applies_policy")
                && runs_result_of(model, file, di as DefIdx, t);
            if same_class && !runs_applied && !(call.returned && (def.statements <= 1 || def.statements <= 2 && last)) {
                continue;
            }
            let delegates = if long {
                routes(call)
            } else {
                hands_off(call, &params, def.statements) || def.statements <= 2 || is_cm || last || runs_applied
            };
            if t != sym && delegates {
                target = Some(t);
                returns_decorator = call.returned && cx.role(t) == Some(Role::Decorator);
                break;
            }
        }
    }
    // A call on a receiver the model could not type, by the method's name.
    if target.is_none() {
        target = model.call_indices_of(file, di as DefIdx).find_map(|ci| {
            let call = &f.calls[ci as usize];
            if matches!(cx.graph.callee_of(file, ci), Some(Res::Sym(_))) {
                return None;
            }
            let (recv, name) = call.callee.rsplit_once('.')?;
            // Only a name that says retry: `send`, `post` or `run` on an untyped receiver is anyone's.
            if recv == "self" || recv == "cls" || !names::is_model_piece_name(name) {
                return None;
            }
            let t = (*by_name.get(name)?)?;
            let delegates =
                if long { routes(call) } else { hands_off(call, &params, def.statements) || def.statements <= 2 };
            (t != sym && delegates).then_some(t)
        });
    }
    // A function that runs its call through a breaker (or a registry's breaker) is a breaker wrapper.
    let mut breaker = false;
    if target.is_none() {
        target = cx.graph.calls_from(file, di as DefIdx).find_map(|e| {
            let call = &f.calls[e.call as usize];
            let t = cx.breaker_machinery(&e.to)?;
            let mine = match t {
                Sym::Def(tf, td) => model.file(tf).defs[td as usize].class.is_some_and(|tc| own.contains(&(tf, tc))),
                _ => false,
            };
            // It hands the breaker its operation or the breaker's name: reading a registry's stats
            // (`registry.snapshot()`) is not running a call through it.
            let passes = call.arg_names.iter().any(|a| params.iter().any(|p| p == a));
            (t != sym && !mine && passes).then_some(t)
        });
        breaker = target.is_some();
    }
    let t = target?;
    // The inner wrapper of a decorator factory makes the factory the site (`circuit_protected(name)`
    // whose `wrapper` runs `func` through the breaker; `with_db_retry(fn)` whose `inner` hands `fn` to
    // the engine).
    // A decorator's wrapper uses what the factory was given (the decorated function, the breaker's name);
    // a closure that only calls machinery (`fetch_creds` built by `_create_fetcher`) is not one. A
    // context manager yields its callable whatever it closes over.
    if let Some((_, false)) = factory {
        let mut outer_params: Vec<&str> = Vec::new();
        let mut up = def.parent;
        while let Some(p) = up {
            outer_params.extend(f.defs[p as usize].params.iter().map(|x| x.name.as_str()));
            up = f.defs[p as usize].parent;
        }
        let uses = model.calls_of(file, di as DefIdx).any(|c| {
            outer_params.contains(&c.callee.split('.').next().unwrap_or(""))
                || c.arg_names.iter().any(|a| outer_params.contains(&a.split('.').next().unwrap_or("")))
        });
        if !uses {
            return None;
        }
    }
    if let Some((outer, yields_it)) = factory {
        let ev = format!("its wrapper {} calls {} ({})", def.name, short(model, t), place(model, t));
        let detail = match (breaker, yields_it) {
            (true, _) => "breaker_decorator",
            // A context manager yielding a retrying callable.
            (false, true) => "context_manager",
            (false, false) => "factory",
        };
        return Some((Sym::Def(file, outer), t, detail, ev));
    }
    if breaker {
        return Some((sym, t, "breaker_wrapper", format!("calls {} ({})", short(model, t), place(model, t))));
    }
    let warns = model.calls_of(file, di as DefIdx).any(|c| c.callee == "warn" || c.callee.ends_with("warnings.warn"));
    let legacy = warns
        || names::has_word(&def.name, &["legacy", "compat", "deprecated"])
        || names::has_word(&f.module, &["compat", "legacy", "deprecated", "shim"]);
    // It builds the policy it hands over with the numbers written out (`wrap_method(self.list_operations,
    // default_retry=Retry(initial=0.5, maximum=10.0, multiplier=2.0))` per method): that is where the
    // numbers live, a preset. (Numbers written on the machinery call itself keep it a wrapper.)
    let builds_policy = model.call_indices_of(file, di as DefIdx).any(|ci| {
        let c = &f.calls[ci as usize];
        let numbers = c
            .keywords
            .iter()
            .filter(|k| matches!(k.value, Literal::Number(_)) && (retry_key(&k.name) || schedule_key(&k.name)))
            .count();
        numbers >= 2 && !matches!(cx.graph.callee_of(file, ci), Some(r) if cx.machinery(r) == Some(t))
    });
    let detail = if builds_policy {
        "configures"
    } else if is_cm {
        "context_manager"
    } else if returns_decorator && def.name != "__call__" {
        // `database_retry(**overrides)` returning `_build_retry_decorator(...)`: calling it gives a
        // decorator, so it is a decorator factory.
        "factory"
    } else if legacy {
        "shim"
    } else if def.class.is_some() {
        "method"
    } else {
        "facade"
    };
    Some((sym, t, detail, format!("calls {} ({})", short(model, t), place(model, t))))
}

/// A name that holds a retry policy object (`retry`, `self._retry`, `retry_policy`, `DEFAULT_RETRY`,
/// `job_retry`, `retry_strategy`), not a function that decides or builds one (`should_retry`,
/// `get_retry_policy`).
fn names_retry_object(dotted: &str) -> bool {
    // Allocation-free, the noun first: it runs on every call with one argument and most callees end in another
    // word (this was a tenth of the roles step when it lower-cased the name and formatted each verb prefix).
    let last = after_last(dotted, b'.').trim_start_matches('_');
    let tail = after_last(last, b'_');
    let object_noun =
        ["retry", "policy", "strategy", "retrying", "retrier", "retryer"].iter().any(|n| tail.eq_ignore_ascii_case(n));
    if !object_noun {
        return false;
    }
    let b = last.as_bytes();
    let verb = ["should", "is", "can", "needs", "get", "make", "create", "build", "with", "do", "on", "set"]
        .iter()
        .any(|v| b.len() > v.len() && b[..v.len()].eq_ignore_ascii_case(v.as_bytes()) && b[v.len()] == b'_');
    names::contains_ignore_case(last, "retr") && !names::contains_ignore_case(last, "retriev") && !verb
}

/// What follows the last `sep` (an ASCII byte) in `s`, or all of `s`: `rsplit(sep).next()` without a char
/// searcher, which costs more than the short names the roles split (most of `names_retry_object`'s time).
fn after_last(s: &str, sep: u8) -> &str {
    match s.as_bytes().iter().rposition(|&b| b == sep) {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

/// The attribute a dotted callee ends in (`execute` of `self._retry.execute`): `rsplit_once('.')`'s second
/// part, as `after_last` finds it.
fn attribute_name(dotted: &str) -> Option<&str> {
    let i = dotted.as_bytes().iter().rposition(|&b| b == b'.')?;
    Some(&dotted[i + 1..])
}

/// Functions that apply a retry policy object to a callable and run it (`call = retry(call)`,
/// `await retry_policy(_do_open)()`, `func = retry_strategy(func); return func()`): the engine is the policy's
/// (a library's or one handed in), the function hands it the operation.
fn retry_applications(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let cx_ref: &Ctx = cx;
    let found = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        // A function none of whose calls names a policy object can be placed neither way.
        for &di in &cx.index.file(file).policy_users {
            let def = &f.defs[di as usize];
            let sym = Sym::Def(file, di);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            let applied = model.call_indices_of(file, di).find_map(|ci| {
                let c = &f.calls[ci as usize];
                if !applies_policy_object(c) {
                    return None;
                }
                // A definition in the tree is judged by what it does (the wrappers step), not by its name.
                let class = model.enclosing_class(file, di);
                let to = model.resolve_in(file, Some(di), class, &c.callee).map(|r| model.value(r));
                match to {
                    Some(Res::Sym(Sym::Def(..) | Sym::Class(..) | Sym::Module(_))) => None,
                    Some(Res::Sym(t @ Sym::Assign(..))) => Some((c, Some(t))),
                    _ => Some((c, None)),
                }
            });
            if let Some((c, t)) = applied {
                found.push((sym, t, format!("applies {} to {}", c.callee, c.arg_names[0])));
            } else if let Some((c, policy)) = handed_to_applier(cx, file, di) {
                found.push((sym, None, format!("applies {policy} through {}", c.callee)));
            }
        }
        found
    });
    for (sym, t, ev) in found {
        let info = SiteInfo {
            role: Role::Wrapper,
            detail: "applies_policy",
            evidence: vec![ev.clone()],
            delegates_to: t.into_iter().collect(),
        };
        cx.add(added, sym, Kind::Wrapper, info, format!("wrapper: {ev}"));
    }
}

/// A call that hands the function's own retry policy (a parameter, or the instance's policy) to a helper of
/// the tree that applies what it is handed to a callable (`_apply_decorators(self._target, [retry, timeout])`
/// with `for decorator in decorators: func = decorator(func)`): the policy is applied all the same.
fn handed_to_applier<'m>(cx: &Ctx<'m>, file: FileId, def: DefIdx) -> Option<(&'m Call, &'m str)> {
    let model = cx.model;
    let f = model.file(file);
    let own = &f.defs[def as usize];
    let class = model.enclosing_class(file, def);
    model.call_indices_of(file, def).find_map(|ci| {
        let c = &f.calls[ci as usize];
        let policy = handed_policy(c, own)?;
        let Some(Res::Sym(Sym::Def(tf, td))) =
            model.resolve_in(file, Some(def), class, &c.callee).map(|r| model.value(r))
        else {
            return None;
        };
        // Machinery (an engine handed the policy) is the wrappers step's to judge.
        let callee = Sym::Def(tf, td);
        let machinery = cx.role(callee).is_some() || cx.loop_owner_set.contains(&callee);
        (!machinery && applies_handed_callables(model, tf, td)).then_some((c, policy))
    })
}

/// A helper whose body calls what it was handed (a parameter, or a name it does not define: a loop variable
/// over one) on one of its parameters (`func = decorator(func)`, `return wrap(fn)`).
fn applies_handed_callables(model: &Model, file: FileId, def: DefIdx) -> bool {
    let f = model.file(file);
    let params = &f.defs[def as usize].params;
    let class = model.enclosing_class(file, def);
    model.call_indices_of(file, def).any(|ci| {
        let c = &f.calls[ci as usize];
        // A helper that applies a retry policy by name is a wrapper itself (`wait_and_retry(func, retry_strategy)`).
        !c.callee.contains('.')
            && !names_retry_object(&c.callee)
            && c.arg_names.iter().any(|a| params.iter().any(|p| p.name == *a))
            && (params.iter().any(|p| p.name == c.callee)
                || model.resolve_in(file, Some(def), class, &c.callee).is_none())
    })
}

/// The function calls what `target` handed back to it (`wrapped_func = self._prepare_call(...)`; `return
/// wrapped_func(*args, **kwargs)`).
fn runs_result_of(model: &Model, file: FileId, def: DefIdx, target: Sym) -> bool {
    let f = model.file(file);
    let class = model.enclosing_class(file, def);
    let resolve = |name: &str| model.resolve_in(file, Some(def), class, name);
    model.calls_of(file, def).any(|c| {
        !c.callee.contains('.')
            && matches!(resolve(&c.callee), Some(Res::Sym(Sym::Assign(af, ai))) if af == file && {
                let a = &f.assigns[ai as usize];
                a.owner == Owner::Local(def)
                    && matches!(&a.value, Value::Call { callee, .. } if resolve(callee) == Some(Res::Sym(target)))
            })
    })
}

/// Functions built on preset factories, to a fixed point: one that returns what a factory returns
/// (`parse_method_configs(cfg)` -> `return config.parse_method_configs(cfg, retry_impl=AsyncRetry)`), and a
/// configuration builder that hands its own input to a factory (`parse_method_configs(interface_config,
/// retry_impl)` calling `_retry_from_retry_config(retry_params, codes, retry_impl)` per method and returning
/// the table). A builder says what it builds: its name is about configuration or retrying.
fn preset_builders(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    // Retry configuration plumbing: it writes the budget into the settings it is handed
    // (`_compute_retry_max_attempts(config_kwargs)`, `_merge_client_retry_config(retry_config, ...)`), and says
    // so. (A record of what happened, `record_attempts(stats, n)`, writes by key too.)
    let mut plumbing: Vec<Sym> = Vec::new();
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if def.evidence.sets_retry_setting
                && !cx.roles.contains_key(&sym)
                && !inside_role(cx, file, def.parent)
                && names::has_word(&def.name, &["retr", "retries", "attempt", "attempts"])
                && !names::has_word(&def.name, &["record", "stats", "metric", "metrics", "log", "report", "history"])
                && def.class.is_none_or(|c| cx.role(Sym::Class(file, c)).is_none())
            {
                plumbing.push(sym);
            }
        }
    }
    for &sym in &plumbing {
        let ev = "writes a retry setting into the configuration it is handed".to_string();
        cx.add_site(added, sym, Kind::Preset, Role::Preset, "factory", vec![], ev);
    }
    let is_factory =
        |cx: &Ctx, t: Sym| cx.roles.get(&t).is_some_and(|i| i.role == Role::Preset && i.detail == "factory");
    // Each round looks only at the callers of the factories the last one found (the first: of every factory).
    let mut fresh: Vec<Sym> =
        cx.roles.keys().copied().filter(|&t| matches!(t, Sym::Def(..)) && is_factory(cx, t)).collect();
    for _ in 0..MAX_DEPTH {
        let mut callers: Vec<(FileId, DefIdx)> = fresh
            .iter()
            .flat_map(|&t| cx.graph.callers(t))
            .filter_map(|e| Some((e.file, model.file(e.file).calls[e.call as usize].owner?)))
            .collect();
        callers.sort_unstable();
        callers.dedup();
        let mut found: Vec<(Sym, Sym, String)> = Vec::new();
        for (file, di) in callers {
            let f = model.file(file);
            let def = &f.defs[di as usize];
            let sym = Sym::Def(file, di);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            let builder = names::has_word(&def.name, &["config", "configs", "retr", "policy", "preset", "settings"]);
            if !def.evidence.returns_value && !builder {
                continue;
            }
            let hit = cx.graph.calls_from(file, di).find_map(|e| {
                let Res::Sym(t @ Sym::Def(..)) = e.to else { return None };
                if !is_factory(cx, t) {
                    return None;
                }
                let c = &f.calls[e.call as usize];
                let handed = c.arg_names.iter().any(|a| def.params.iter().any(|p| p.name == *a));
                let returns = c.returned && (c.args > 0 || !c.keywords.is_empty());
                // A builder returns what it built, or fills in the configuration it was handed.
                (returns || builder && handed).then_some((t, c.returned))
            });
            if let Some((t, returned)) = hit {
                let how = if returned { "returns" } else { "builds with" };
                found.push((sym, t, format!("{how} {} ({})", short(model, t), place(model, t))));
            }
        }
        if found.is_empty() {
            break;
        }
        fresh = found.iter().map(|x| x.0).collect();
        for (sym, t, ev) in found {
            let info =
                SiteInfo { role: Role::Preset, detail: "factory", evidence: vec![ev.clone()], delegates_to: vec![t] };
            cx.add(added, sym, Kind::Preset, info, format!("preset factory: {ev}"));
        }
    }
}

/// Functions that make a piece out of pieces, whatever their names:
/// - one returning a piece with some arguments fixed (`create_exponential_delay_function(base, growth)`
///   returning `functools.partial(delay_exponential, base=base, growth_factor=growth)`): a delay function of a
///   calculator is a calculator, of a decision a decision;
/// - an engine's step made of one kind of piece (`RetryPolicy.sleep(settings, transport, response)`, called by
///   the engine's loop, sleeping the Retry-After value (`_sleep_for_retry`) or else the backoff
///   (`_sleep_backoff`), both delay pieces): the engine's delay step; one made of decisions decides.
fn derived_pieces(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let cx_ref: &Ctx = cx;
    // Each file only reads the roles found so far: in parallel, in file order.
    let found: Vec<(Sym, Role, Sym, &'static str)> = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            if let Some((role, t)) = partial_of_piece(cx, file, di as DefIdx) {
                found.push((sym, role, t, "partial"));
            } else if let Some((role, t)) =
                (!def.evidence.loops).then(|| step_of_pieces(cx, file, di as DefIdx)).flatten()
            {
                found.push((sym, role, t, "composed"));
            }
        }
        found
    });
    for (sym, role, t, detail) in found {
        let ev = match detail {
            "partial" => format!("returns a partial of {} ({})", short(model, t), place(model, t)),
            _ => format!("the engine's step made of {} ({})", short(model, t), place(model, t)),
        };
        cx.add_site(added, sym, piece_kind(role), role, detail, vec![t], ev);
    }
}

/// `return functools.partial(piece, ...)`: the piece and its role.
fn partial_of_piece(cx: &Ctx, file: FileId, def: DefIdx) -> Option<(Role, Sym)> {
    let model = cx.model;
    let class = model.enclosing_class(file, def);
    model.calls_of(file, def).find_map(|c| {
        if !c.returned || !(c.callee == "partial" || c.callee.ends_with(".partial")) {
            return None;
        }
        let Res::Sym(t @ Sym::Def(..)) = model.resolve_in(file, Some(def), class, c.arg_names.first()?)? else {
            return None;
        };
        match cx.role(t) {
            Some(r @ (Role::Calculator | Role::Decision)) => Some((r, t)),
            _ => None,
        }
    })
}

/// Every piece the function calls has one role, delay or decision, and an engine calls the function.
fn step_of_pieces(cx: &Ctx, file: FileId, def: DefIdx) -> Option<(Role, Sym)> {
    let model = cx.model;
    // What it is made of first (most functions call no piece at all), then who calls it.
    let mut roles = cx.graph.calls_from(file, def).filter_map(|e| match e.to {
        Res::Sym(t @ (Sym::Def(..) | Sym::Class(..))) => Some((cx.role(t), t)),
        _ => None,
    });
    let Some((Some(first @ (Role::Calculator | Role::Decision)), t)) = roles.next() else { return None };
    if !roles.all(|(r, _)| r == Some(first)) {
        return None;
    }
    let by_engine = cx.graph.callers(Sym::Def(file, def)).any(|e| {
        let owner = model.file(e.file).calls[e.call as usize].owner;
        owner.is_some_and(|o| {
            let s = Sym::Def(e.file, o);
            cx.role(s) == Some(Role::Engine) || cx.loop_owner_set.contains(&s)
        })
    });
    by_engine.then_some((first, t))
}

/// It returns a value that is no verdict, without looping or sleeping (what a delay step does).
fn returns_plain_value(ev: &crate::facts::DefEvidence) -> bool {
    ev.returns_value && !ev.returns_bool && !ev.loops && ev.sleeps.is_none()
}

/// Functions that put a retry system together from its pieces (`register_retry_handler` building a
/// `RetryHandler(RetryPolicy(StandardRetryConditions(...), ExponentialBackoff(...)), RetryQuotaChecker(...))`,
/// `create_retry_handler` joining a checker and a delay action): two or more distinct pieces built or obtained
/// in one function that is not itself a piece. They hand the engine its configuration: wrappers.
fn assemblers(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let piece =
        |r: Option<Role>| matches!(r, Some(Role::Engine | Role::Decision | Role::Calculator | Role::ConfigSchema));
    let mut found = Vec::new();
    let cx_ref: &Ctx = cx;
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym)
                || inside_role(cx, file, def.parent)
                || def.class.is_some_and(|c| cx.roles.contains_key(&Sym::Class(file, c)))
            {
                continue;
            }
            let mut pieces: Vec<Sym> = cx
                .graph
                .calls_from(file, di as DefIdx)
                .filter_map(|e| match e.to {
                    // Constructing a piece class, or calling a factory of pieces found so far.
                    Res::Sym(t @ Sym::Class(..)) if piece(cx.role(t)) => Some(t),
                    Res::Sym(t @ Sym::Def(..)) if cx.roles.get(&t).is_some_and(|i| i.detail == "assembles") => Some(t),
                    _ => None,
                })
                .collect();
            pieces.sort();
            pieces.dedup();
            if pieces.len() >= 2 {
                let names: Vec<String> = pieces.iter().take(3).map(|&t| short(model, t)).collect();
                found.push((sym, pieces[0], format!("assembles {}", names.join(", "))));
            }
        }
        found
    }));
    for (sym, t, ev) in found {
        let info =
            SiteInfo { role: Role::Wrapper, detail: "assembles", evidence: vec![ev.clone()], delegates_to: vec![t] };
        cx.add(added, sym, Kind::Wrapper, info, format!("wrapper: {ev}"));
    }
}

/// The site a definition is, or the site of the class it is a method of (or nested in).
fn site_or_its_class(cx: &Ctx, s: Sym) -> Option<Sym> {
    if cx.roles.contains_key(&s) {
        return Some(s);
    }
    let model = cx.model;
    match s {
        Sym::Def(f, d) => {
            let mut cur = Some(d);
            while let Some(i) = cur {
                if cx.roles.contains_key(&Sym::Def(f, i)) {
                    return Some(Sym::Def(f, i));
                }
                if let Some(c) = model.file(f).defs[i as usize].class {
                    if cx.roles.contains_key(&Sym::Class(f, c)) {
                        return Some(Sym::Class(f, c));
                    }
                }
                cur = model.file(f).defs[i as usize].parent;
            }
            None
        }
        _ => None,
    }
}

/// A decorator factory found in its file (RTY004) none of whose nested functions loops or recurses hands each
/// call to machinery (a legacy decorator rewritten into a shim: its `wrapper` calls the canonical manager):
/// what its wrappers call is what it delegates to.
fn delegating_factories(cx: &mut Ctx) {
    let model = cx.model;
    let mut settled: Vec<(Sym, Sym, String)> = Vec::new();
    for (&sym, info) in &cx.roles {
        let Sym::Def(file, d) = sym else { continue };
        if info.role != Role::Decorator || info.detail != "factory" || !info.delegates_to.is_empty() {
            continue;
        }
        let f = model.file(file);
        let within = |mut p: Option<DefIdx>| {
            while let Some(q) = p {
                if q == d {
                    return true;
                }
                p = f.defs[q as usize].parent;
            }
            false
        };
        let nested: Vec<DefIdx> = (0..f.defs.len() as DefIdx).filter(|&n| within(f.defs[n as usize].parent)).collect();
        let own =
            |n: DefIdx| !f.defs[n as usize].evidence.retry_loops.is_empty() || f.defs[n as usize].evidence.recursion;
        if nested.is_empty() || nested.iter().any(|&n| own(n)) || own(d) {
            continue;
        }
        let target = nested.iter().find_map(|&n| {
            cx.graph.calls_from(file, n).find_map(|e| Some((n, cx.machinery(&e.to).filter(|&t| t != sym)?)))
        });
        if let Some((n, t)) = target {
            let ev = format!("its wrapper {} calls {} ({})", f.defs[n as usize].name, short(model, t), place(model, t));
            settled.push((sym, t, ev));
        }
    }
    for (sym, t, ev) in settled {
        if let Some(info) = cx.roles.get_mut(&sym) {
            info.delegates_to.push(t);
            info.evidence.push(ev);
        }
    }
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

fn is_dunder(name: &str) -> bool {
    name.starts_with("__") && name.ends_with("__")
}

/// A function nested in `d` (a decorator factory's inner wrapper) is a site.
fn holds_role(cx: &Ctx, file: FileId, d: DefIdx) -> bool {
    let f = cx.model.file(file);
    f.defs.iter().enumerate().any(|(i, n)| {
        let mut p = n.parent;
        while let Some(x) = p {
            if x == d {
                return cx.roles.contains_key(&Sym::Def(file, i as DefIdx));
            }
            p = f.defs[x as usize].parent;
        }
        false
    })
}

/// Module-level aliases of machinery (`exponential_backoff = retry_with_exponential_backoff`).
fn aliases(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found = Vec::new();
    let cx_ref: &Ctx = cx;
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
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
        found
    }));
    for (sym, t) in found {
        let ev = format!("alias of {} ({})", short(model, t), place(model, t));
        cx.add_site(added, sym, Kind::Wrapper, Role::Wrapper, "alias", vec![t], ev);
    }
}

/// Keyword arguments and dict keys that carry retry numbers.
/// Parameters of a backoff schedule that do not say "retry" (`initial`, `maximum`, `multiplier`, `deadline`).
fn schedule_key(name: &str) -> bool {
    let n = name.trim_start_matches('_');
    ["initial", "maximum", "multiplier", "deadline", "max_delay", "min_delay", "base", "cap"]
        .iter()
        .any(|k| n.eq_ignore_ascii_case(k))
}

/// Is one of the `_`-separated words of a name one of `words` (lower-case), ignoring ASCII case (`maxReconnect`
/// stays one word; SDKs write snake_case)? Allocation-free: the roles ask it of most names they weigh.
fn any_word(name: &str, words: &[&str]) -> bool {
    name.split('_').any(|w| !w.is_empty() && words.iter().any(|x| w.eq_ignore_ascii_case(x)))
}

/// A parameter or key that holds an attempt budget (`max_retries`, `max_reconnect_attempts`, `tries`; not
/// `max_entries`).
fn count_key(name: &str) -> bool {
    names::is_budget_name(name) || any_word(name, &["retry", "attempt"]) && !delay_key(name)
}

/// A parameter or key that holds a delay of the retry schedule (`initial_delay`, `backoff_factor`,
/// `retry_interval`); a poll or heartbeat interval is not one.
fn delay_key(name: &str) -> bool {
    names::is_delay_param(name)
        || (any_word(name, &["delay", "backoff", "interval", "jitter", "wait", "sleep"])
            && !any_word(name, &["poll", "heartbeat", "requeue"]))
}

fn retry_key(name: &str) -> bool {
    if names::contains_ignore_case(name, "retriev") {
        return false;
    }
    names::is_attempts_param(name)
        || names::is_delay_param(name)
        || names::has_word(
            name,
            &[
                "retr",
                "attempt",
                "backoff",
                "jitter",
                "delay",
                "multiplier",
                "sleep",
                "deadline",
                "failure_threshold",
                "recovery_timeout",
            ],
        )
}

/// A constant's name that says it is a number of a retry schedule: a retry, attempt, backoff, jitter or
/// reconnect word (not `retrieve`), and not a poll's or a heartbeat's.
fn names_a_retry_number(name: &str) -> bool {
    names::has_word(name, &["retr", "attempt", "backoff", "jitter", "reconnect"])
        && !names::contains_ignore_case(name, "retriev")
        && !any_word(name, PERIODIC_WORDS)
}

/// Words of a periodic job's numbers (a poll's, a heartbeat's, a re-queue's, a token refresh's schedule:
/// `MAX_REFRESH_JITTER_SECONDS`): named for work that repeats whether or not anything failed, not retry numbers.
const PERIODIC_WORDS: &[&str] = &["poll", "heartbeat", "requeue", "refresh"];

/// What constructing `callee` makes, when it is retry configuration: the target symbol (if in the tree), and
/// what kind of site the construction is.
fn construction(
    cx: &Ctx,
    file: FileId,
    scope: Option<DefIdx>,
    callee: &str,
    with_args: bool,
) -> Option<(Option<Sym>, &'static str, Role)> {
    let class = scope.and_then(|d| cx.model.enclosing_class(file, d));
    // A parameter defaulting to a class is that class unless the caller hands in another
    // (`def _retry_from_retry_config(retry_params, retry_codes, retry_impl=retry.Retry)`).
    let default = scope.and_then(|d| {
        let params = &cx.model.file(file).defs[d as usize].params;
        params.iter().find(|p| p.name == callee)?.default_name.as_deref()
    });
    // The default is read where the function is defined.
    let (scope, callee) = match default {
        Some(name) => (cx.model.file(file).defs[scope? as usize].parent, name),
        None => (scope, callee),
    };
    let r = cx.model.resolve_in(file, scope, class, callee).map(|r| cx.model.value(r))?;
    match r {
        Res::Sym(s @ Sym::Class(..)) => match cx.role(s)? {
            Role::ConfigSchema => Some((Some(s), "constant", Role::Preset)),
            Role::Engine if with_args => Some((Some(s), "instance", Role::Preset)),
            // A breaker or its config built with its numbers is a breaker config site.
            Role::Breaker if with_args => Some((Some(s), "config_site", Role::Breaker)),
            Role::Breaker => Some((Some(s), "instance", Role::Breaker)),
            _ => None,
        },
        Res::Sym(s @ Sym::Def(..)) => match cx.role(s)? {
            Role::Decorator => Some((Some(s), "instance", Role::Decorator)),
            Role::Preset => Some((Some(s), "constant", Role::Preset)),
            _ => None,
        },
        // A library's policy object is reported as that library use (RTY005).
        _ => None,
    }
}

/// A module-level `functools.partial` of a retry engine (or a wrapper or decorator of one) with retry numbers
/// fixed (`db_retry = partial(retry_async, max_attempts=5, base_delay=0.5)`): the engine it binds.
fn bound_engine(cx: &Ctx, file: FileId, a: &crate::facts::Assign) -> Option<Sym> {
    let Value::Call { callee, keywords, .. } = &a.value else { return None };
    if a.owner != Owner::Module
        || !(callee == "partial" || callee.ends_with(".partial"))
        || !keywords.iter().any(|k| retry_key(&k.name) || schedule_key(&k.name))
    {
        return None;
    }
    let f = cx.model.file(file);
    // The assigned call: the first module-level call of that callee inside the assignment (two statements may
    // share a line).
    let call = f.calls.iter().find(|c| {
        c.owner.is_none() && &c.callee == callee && a.span.start <= c.span.start && c.span.end <= a.span.end
    })?;
    let Res::Sym(t) = cx.model.resolve_in(file, None, None, call.arg_names.first()?).map(|r| cx.model.value(r))? else {
        return None;
    };
    matches!(cx.role(t), Some(Role::Engine | Role::Wrapper | Role::Decorator)).then_some(t)
}

fn presets(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    // Base classes of machinery classes in the tree -> the machinery class.
    let mut bases: HashMap<(FileId, crate::facts::ClassIdx), Sym> = HashMap::default();
    for s in cx.roles.keys() {
        if let Sym::Class(f, c) = *s {
            for &b in model.mro(f, c).iter().skip(1) {
                bases.entry(b).or_insert(*s);
            }
        }
    }
    type Found = (Sym, Role, &'static str, Vec<Sym>, String);
    let cx_ref: &Ctx = cx;
    // Assignments first, in every file: a factory returning a variant of a preset asks whether the preset was
    // found (in its own file or an earlier one).
    let assigned: Vec<Found> = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found: Vec<Found> = Vec::new();
        for (ai, a) in f.assigns.iter().enumerate() {
            let sym = Sym::Assign(file, ai as u32);
            if let Owner::Local(d) | Owner::Instance { def: d, .. } = a.owner {
                // Inside a function, a policy object built with its numbers written out
                // (`default_retry = Retry(initial=0.1, maximum=60.0, multiplier=1.3)`).
                let Value::Call { callee, keywords, .. } = &a.value else { continue };
                let numbers = keywords
                    .iter()
                    .filter(|k| matches!(k.value, Literal::Number(_)) && (retry_key(&k.name) || schedule_key(&k.name)))
                    .count();
                if numbers == 0 || cx.roles.contains_key(&Sym::Def(file, d)) {
                    continue;
                }
                if let Some((Some(t), _, Role::Preset)) = construction(cx, file, Some(d), callee, true) {
                    let ev = format!("constructs {} ({}) with its numbers", short(model, t), place(model, t));
                    found.push((sym, Role::Preset, "local", vec![t], ev));
                }
                continue;
            }
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
                    } else if let Some(t) = bound_engine(cx, file, a) {
                        let ev = format!("binds {} ({}) with its numbers", short(model, t), place(model, t));
                        found.push((sym, Role::Preset, "partial", vec![t], ev));
                    }
                }
                // A retry number that retry machinery reads, named as one (`MAX_RETRIES`, `RETRY_DELAY`; not
                // `_MAX_STR_VALUE_SIZE` or `DEFAULT_RESP_VERSION`, which a retrying method also reads).
                // In a module named for retrying, its numbers are the retry's whoever reads them (a dead
                // duplicate of the defaults still has to go).
                Value::Number(_)
                    if names::is_retry_module(&f.module)
                        && !matches!(a.owner, Owner::Class(c) if {
                            // An enum's members, an exception's fields, a schema's (or a breaker's) own field defaults.
                            let k = &f.classes[c as usize];
                            k.is_enum
                                || k.is_exception
                                || matches!(cx.role(Sym::Class(file, c)), Some(Role::ConfigSchema | Role::Breaker))
                        })
                        && (retry_key(&a.target)
                            || schedule_key(&a.target)
                            || names::has_word(&a.target, &["timeout", "deadline", "maximum", "initial"]))
                        && !any_word(&a.target, PERIODIC_WORDS) =>
                {
                    found.push((sym, Role::Preset, "constant", vec![], "a number of a retry module".into()));
                }
                Value::Number(_) if retry_key(&a.target) => {
                    let reader = cx.graph.readers(sym).find_map(|&(rf, ri)| {
                        let r = &model.file(rf).reads[ri as usize];
                        let owner = match (r.owner, r.class) {
                            (Some(d), _) => Some(Sym::Def(rf, d)),
                            (None, Some(c)) => Some(Sym::Class(rf, c)),
                            _ => None,
                        }?;
                        site_or_its_class(cx, owner).or_else(|| {
                            // Read in a base class of machinery (`_BaseRetry.__init__` defaults of `Retry`).
                            let class = match owner {
                                Sym::Def(f, d) => model.enclosing_class(f, d).map(|c| (f, c)),
                                Sym::Class(f, c) => Some((f, c)),
                                _ => None,
                            }?;
                            bases.get(&class).copied()
                        })
                    });
                    match reader {
                        Some(reader) if !matches!(cx.role(reader), Some(Role::Preset) | None) => {
                            let ev = format!("read by {} ({})", short(model, reader), place(model, reader));
                            found.push((sym, Role::Preset, "constant", vec![], ev));
                        }
                        // A module constant whose name says which retry number it is (`DEFAULT_MAX_RETRIES = 2`,
                        // `STREAM_BACKOFF_CAP = 10.0`, `RECONNECT_MIN_DELAY = 1.0`): a number of the retry
                        // system whoever reads it (an unread one is a dead duplicate, still to be removed).
                        _ if a.owner == Owner::Module && names_a_retry_number(&a.target) => {
                            found.push((sym, Role::Preset, "constant", vec![], "a retry number, named as one".into()));
                        }
                        _ => {}
                    }
                }
                Value::Dict { keys, calls } => {
                    // Most of its keys are retry numbers (not a 600-entry import map with two "attempt"s), or
                    // its name says which numbers it holds per key (`_SERVICE_MAX_ATTEMPTS = {"dynamodb": 4}`,
                    // `_DEFAULT_BACKOFF_CONFIG = {...}`; not a tally such as `retry_counts`).
                    let retry_keys = keys.iter().filter(|k| retry_key(k)).count();
                    let named = !keys.is_empty()
                        && names_a_retry_number(&a.target)
                        && !any_word(
                            &a.target,
                            &["count", "counts", "stats", "metrics", "history", "state", "cache", "log"],
                        );
                    let numbers = retry_keys >= 2 && retry_keys * 2 >= keys.len() || named;
                    let configs: Vec<Sym> = calls
                        .iter()
                        .filter(|c| !c.is_empty())
                        .filter_map(|c| {
                            construction(cx, file, None, c, true)
                                .and_then(|(t, _, r)| (r == Role::Preset).then_some(t).flatten())
                        })
                        .collect();
                    if numbers || !configs.is_empty() {
                        let ev =
                            if numbers { "dict of retry numbers".to_string() } else { "dict of presets".to_string() };
                        found.push((sym, Role::Preset, "dict", configs, ev));
                    }
                }
                _ => {}
            }
        }
        found
    });
    let preset_assigns: HashSet<Sym> = assigned.iter().filter(|x| x.1 == Role::Preset).map(|x| x.0).collect();
    let defined: Vec<Found> = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found: Vec<Found> = Vec::new();
        // Factories: a function that returns a construction of retry configuration.
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            let returned = model.calls_of(file, di as DefIdx).filter(|c| c.returned);
            for c in returned {
                let with_args = c.args > 0 || !c.keywords.is_empty();
                if let Some((t, _, Role::Preset)) = construction(cx, file, Some(di as DefIdx), &c.callee, with_args) {
                    // `RetryState.from_policy()` building its own class is part of that class.
                    if t.is_some_and(|t| matches!(t, Sym::Class(tf, tc) if tf == file && Some(tc) == def.class)) {
                        continue;
                    }
                    let ev = match t {
                        Some(t) => format!("returns {} ({})", short(model, t), place(model, t)),
                        None => format!("returns {}", c.callee),
                    };
                    found.push((sym, Role::Preset, "factory", t.into_iter().collect(), ev));
                    break;
                }
                // A variant of a preset (`DATABASE_RETRY_POLICY.with_overrides(max_attempts=3)`,
                // `DEFAULT_RETRY.with_deadline(30)`).
                let Some((receiver, _)) = c.callee.rsplit_once('.') else { continue };
                let class = model.enclosing_class(file, di as DefIdx);
                if let Some(Res::Sym(r @ Sym::Assign(..))) = model.resolve_in(file, Some(di as DefIdx), class, receiver)
                {
                    // Found in this file or an earlier one (what a loop over the files in order has found).
                    let preset = cx.role(r) == Some(Role::Preset) || preset_assigns.contains(&r) && r.file() <= file;
                    if preset && (c.args > 0 || !c.keywords.is_empty()) {
                        let ev = format!("returns a variant of {} ({})", short(model, r), place(model, r));
                        found.push((sym, Role::Preset, "factory", vec![r], ev));
                        break;
                    }
                }
            }
        }
        // Signatures that carry the numbers: an attempt budget and a delay defaulted to numbers
        // (`connect(..., max_retries=5, initial_delay=0.5, max_delay=8.0)`), which every caller inherits.
        for (di, def) in f.defs.iter().enumerate() {
            let numbered = || def.params.iter().filter(|p| p.numeric_default).map(|p| p.name.as_str());
            let budget = numbered().find(|n| count_key(n));
            let delay = numbered().find(|n| !count_key(n) && (delay_key(n) || schedule_key(n)));
            let (Some(b), Some(d)) = (budget, delay) else { continue };
            // The signature of a site (an engine's, a decorator factory's, a method of a retry class), or of a
            // loop the local analysis turned down (a poll), is not a separate preset.
            let sym = Sym::Def(file, di as DefIdx);
            if def.evidence.loops
                || cx.roles.contains_key(&sym)
                || inside_role(cx, file, def.parent)
                // A policy subclass's constructor defaults are the numbers of a default policy
                // (`ExponentialRetry(StorageRetryPolicy).__init__(initial_backoff=15, retry_total=3)`); a schema's
                // or an engine's are their own, and the other methods of a site class are its API.
                || def.class.is_some_and(|c| {
                    let class_role = cx.role(Sym::Class(file, c));
                    // A specialisation handing its numbers to the machinery it extends.
                    let specialises = || {
                        model.mro(file, c).into_iter().skip(1).any(|(bf, bc)| cx.roles.contains_key(&Sym::Class(bf, bc)))
                    };
                    class_role.is_some()
                        && (def.name != "__init__"
                            || matches!(class_role, Some(Role::Engine | Role::Wrapper))
                            || !specialises())
                })
                || holds_role(cx, file, di as DefIdx)
            {
                continue;
            }
            found.push((sym, Role::Preset, "defaults", vec![], format!("defaults {b} and {d}")));
        }
        // In-tree retry decorators applied with their numbers at the use.
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) {
                continue;
            }
            for d in &def.decorators {
                if !d.called || !d.keywords.iter().any(|k| retry_key(&k.name) || matches!(k.value, Literal::Number(_)))
                {
                    continue;
                }
                let class = def.class;
                let Some(Res::Sym(t)) = model.resolve_in(file, def.parent, class, &d.name).map(|r| model.value(r))
                else {
                    continue;
                };
                if cx.role(t) == Some(Role::Decorator) {
                    let ev = format!("@{} with its numbers ({})", short(model, t), place(model, t));
                    found.push((sym, Role::Preset, "decorator_use", vec![t], ev));
                    break;
                }
            }
        }
        found
    });
    // File by file, its assignments before its definitions (both lists are in file order).
    let mut found: Vec<Found> = Vec::with_capacity(assigned.len() + defined.len());
    let mut defined = defined.into_iter().peekable();
    for a in assigned {
        while let Some(d) = defined.next_if(|d| d.0.file() < a.0.file()) {
            found.push(d);
        }
        found.push(a);
    }
    found.extend(defined);
    for (sym, role, detail, targets, ev) in found {
        let kind = match role {
            Role::Decorator => Kind::RetryDecoratorDef,
            Role::Breaker => Kind::CircuitBreaker,
            _ => Kind::Preset,
        };
        cx.add_site(added, sym, kind, role, detail, targets, ev);
    }
}

/// Calls that hand retry machinery its numbers at the use (`handler.execute_with_retry(op, max_attempts=5)`,
/// `http_stream_backoff(..., retry_on_status_codes=())`, `Transport(max_retries=0)` in a function): config sites
/// of the engine. A keyword that passes a variable through (`max_retries=max_retries`) is a wrapper's
/// forwarding, not a setting.
/// A value written out at a call: a literal, or a named constant (`STOP_RETRIES`, `sys.maxsize`), not a
/// variable handed through.
fn written_out(value: &Literal) -> bool {
    match value {
        Literal::Number(_) | Literal::Bool(_) => true,
        Literal::Name(n) => {
            let last = n.rsplit('.').next().unwrap_or(n);
            matches!(n.as_str(), "sys.maxsize" | "math.inf") || last.chars().all(|ch| !ch.is_ascii_lowercase())
        }
        _ => false,
    }
}

fn config_sites(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let by_name = machinery_by_method_name(cx);
    let cx_ref: &Ctx = cx;
    let found = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        // Calls without retry numbers written out, looked at below for constructions of a policy.
        let mut constructions: Vec<u32> = Vec::new();
        let mut settings = cx.index.file(file).settings.iter().peekable();
        for (ci, c) in f.calls.iter().enumerate() {
            let Some(&(_, k)) = settings.next_if(|&&(sc, _)| sc == ci as u32) else {
                constructions.push(ci as u32);
                continue;
            };
            let setting = &c.keywords[k as usize];
            // A decorator with its numbers on a function already placed (`@with_retry(max_attempts=4)`: that
            // function is the decorator's use).
            let decorates_a_site = f.defs.iter().enumerate().any(|(di, d)| {
                d.decorators.iter().any(|x| x.line == c.line) && cx.roles.contains_key(&Sym::Def(file, di as DefIdx))
            });
            if decorates_a_site {
                continue;
            }
            // Sites inside a site belong to it; an assignment already placed (a local policy object) is that site.
            if let Some(d) = c.owner {
                if cx.roles.contains_key(&Sym::Def(file, d)) || inside_role(cx, file, Some(d)) {
                    continue;
                }
            }
            if f.assigns
                .iter()
                .enumerate()
                .any(|(ai, a)| a.line == c.line && cx.roles.contains_key(&Sym::Assign(file, ai as u32)))
            {
                continue;
            }
            let target = match cx.graph.callee_of(file, ci as u32) {
                Some(Res::Sym(t)) => {
                    let t = *t;
                    let machinery = cx.machinery(&Res::Sym(t)).is_some()
                        || matches!(t, Sym::Class(..)) && matches!(cx.role(t), Some(Role::Engine | Role::ConfigSchema));
                    machinery.then_some(t)
                }
                // A retry-named method on a receiver the model cannot type, when every method of that name is
                // machinery.
                None | Some(Res::External(_)) | Some(Res::Instance(..)) => {
                    c.callee.rsplit_once('.').and_then(|(_, n)| by_name.get(n).copied().flatten())
                }
            };
            if let Some(t) = target {
                found.push((
                    Sym::Call(file, ci as u32),
                    Some(t),
                    format!("calls {} with {}", short(model, t), setting.name),
                ));
            } else if !cx.library_lines.contains(&(file, c.line)) {
                // Whatever it calls, a retry budget written at the call is a setting of the retry behind it
                // (`client.with_options(max_retries=0)`, `rejecting_non_json(work, max_retries=STOP_RETRIES)`),
                // and so is a retry switch (`_send_commit(..., retry_on_error=True)`).
                let budget = c.keywords.iter().find(|k| {
                    written_out(&k.value)
                        && (names::is_budget_limit_name(&k.name)
                            // A retry switch (`retry_on_error=True`); a bare `retry=` is anyone's parameter.
                            || matches!(k.value, Literal::Bool(_))
                                && k.name != "retry"
                                && any_word(&k.name, &["retry", "retries"]))
                });
                if let Some(k) = budget {
                    found.push((Sym::Call(file, ci as u32), None, format!("calls {} with {}", c.callee, k.name)));
                }
            }
        }
        // A retry policy built inside a function (`kwargs["retry_policy"] = ... or ExponentialRetry(**kwargs)`):
        // the policy its caller runs with, to be redirected with the rest.
        for ci in constructions {
            let c = &f.calls[ci as usize];
            let Some(d) = c.owner else { continue };
            let Some(Res::Sym(t @ Sym::Class(tf, tc))) = cx.graph.callee_of(file, ci).cloned() else { continue };
            if !matches!(cx.role(t), Some(Role::Engine | Role::ConfigSchema))
                || cx.roles.contains_key(&Sym::Def(file, d))
                || inside_role(cx, file, Some(d))
                // The class's own code (`from_int` building its own class), or a subclass's.
                || f.defs[d as usize].class.is_some_and(|k| model.mro(file, k).contains(&(tf, tc)))
                || f.assigns.iter().any(|a| a.line == c.line)
                || cx.library_lines.contains(&(file, c.line))
                // A default policy built to be run at once (`Retrying().call(f)`) is the engine at work.
                || c.args == 0 && c.keywords.is_empty() && c.arg_names.is_empty()
            {
                continue;
            }
            found.push((Sym::Call(file, ci), Some(t), format!("constructs {} ({})", short(model, t), place(model, t))));
        }
        found
    });
    for (sym, t, ev) in found {
        cx.add_site(added, sym, Kind::Preset, Role::Preset, "config_site", t.into_iter().collect(), ev);
    }
}

/// Module numbers a retry loop gives up by, whatever they are called (`if unhealthy >= MAX_UNHEALTHY_SESSIONS:
/// return`, `if rounds > _MAX_PACK_ROUNDS: raise`): the engine's budget.
fn loop_budgets(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    numbers_read_by(
        cx,
        added,
        |_| true,
        "bounds the retry loop of",
        |cx, r, s| {
            let runs = cx.role(s) == Some(Role::Engine) || cx.loop_owner_set.contains(&s);
            let Sym::Def(file, d) = s else { return false };
            runs && cx.model.file(file).defs[d as usize].evidence.budget_names.contains(&r.name)
        },
    );
}

/// Retry numbers read by the calculators the model has just found (`_POLL_BACKOFF_CAP` read by
/// `PollDelays.after_failure`): `presets` ran before those had their role.
fn calculator_numbers(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    numbers_read_by(cx, added, retry_key, "read by", |cx, _, s| cx.role(s) == Some(Role::Calculator));
}

/// Module collections whose members make a function raise what a retry loop of the same file gives up on (`if
/// response.status_code in _UNFOLLOWABLE_STATUS_CODES: raise BucketEventsUnavailable(...)`, and `except
/// BucketEventsUnavailable: return` in the follower's reconnect loop): the failures not to retry.
fn give_up_sets(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let cx_ref: &Ctx = cx;
    // Each file only reads the roles found so far: in parallel, in file order.
    let found: Vec<(Sym, Sym, String)> = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        // The exceptions this file's retry loops give up on, with the loop's function.
        let given_up: Vec<(&str, Sym)> = f
            .defs
            .iter()
            .enumerate()
            .flat_map(|(di, d)| d.evidence.gives_up_on.iter().map(move |x| (x.as_str(), Sym::Def(file, di as DefIdx))))
            .filter(|(_, s)| cx.role(*s) == Some(Role::Engine) || cx.loop_owner_set.contains(s))
            .collect();
        if given_up.is_empty() {
            return found;
        }
        for (ai, a) in f.assigns.iter().enumerate() {
            let sym = Sym::Assign(file, ai as u32);
            if a.owner != Owner::Module || a.value != Value::Collection || cx.roles.contains_key(&sym) {
                continue;
            }
            let hit = cx.graph.readers(sym).find_map(|&(rf, ri)| {
                let r = &model.file(rf).reads[ri as usize];
                let def = &model.file(rf).defs[r.owner? as usize];
                def.evidence.raises_when_in.iter().filter(|(set, _)| *set == r.name).find_map(|(_, x)| {
                    given_up.iter().find(|(g, _)| rf == file && *g == x.as_str()).map(|(_, e)| (*e, x.clone()))
                })
            });
            if let Some((e, x)) = hit {
                found.push((sym, e, x));
            }
        }
        found
    });
    for (sym, e, x) in found {
        let ev = format!("its members raise {x}, which {} ({}) gives up on", short(model, e), place(model, e));
        cx.add_site(added, sym, Kind::Decision, Role::Decision, "give_up_set", vec![], ev);
    }
}

/// Module-level numbers not placed yet, whose name `named` accepts, read by a function `reader` accepts (given
/// the read and the function): presets, with the evidence `{what} {function} ({place})`.
fn numbers_read_by(
    cx: &mut Ctx,
    added: &mut Vec<NewSite>,
    named: impl Fn(&str) -> bool + Sync + Send,
    what: &str,
    reader: impl Fn(&Ctx, &crate::facts::Read, Sym) -> bool + Sync + Send,
) {
    let model = cx.model;
    let cx_ref: &Ctx = cx;
    // Each file only reads the roles found so far: in parallel, in file order.
    let found: Vec<(Sym, Sym)> = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (ai, a) in f.assigns.iter().enumerate() {
            let sym = Sym::Assign(file, ai as u32);
            if a.owner != Owner::Module
                || !matches!(a.value, Value::Number(_))
                || !named(&a.target)
                || cx.roles.contains_key(&sym)
            {
                continue;
            }
            let by = cx.graph.readers(sym).find_map(|&(rf, ri)| {
                let r = &model.file(rf).reads[ri as usize];
                let s = Sym::Def(rf, r.owner?);
                reader(cx, r, s).then_some(s)
            });
            found.extend(by.map(|r| (sym, r)));
        }
        found
    });
    for (sym, r) in found {
        let ev = format!("{what} {} ({})", short(model, r), place(model, r));
        cx.add_site(added, sym, Kind::Preset, Role::Preset, "constant", vec![], ev);
    }
}

/// Decision and delay functions that engines call, and decision methods of engine pieces.
fn decisions_and_calculators(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut engines: Vec<Sym> = cx.roles.iter().filter(|(_, i)| i.role == Role::Engine).map(|(s, _)| *s).collect();
    engines.extend(cx.loop_owners.iter().copied());
    let mut called_by_engine: HashMap<Sym, Sym> = HashMap::default();
    // Called from an engine's `except` handler: what the engine does with a failure.
    let mut handles_for_engine: HashMap<Sym, Sym> = HashMap::default();
    // Called in an engine loop's test, answering from its own `except` handler whether to go on.
    let mut answers_for_engine: HashMap<Sym, Sym> = HashMap::default();
    for e in engines {
        // An engine class's retrying methods (not its other work: a metadata fetcher's `_is_loopback_address`).
        let defs: Vec<(FileId, DefIdx)> = match e {
            Sym::Def(f, d) => vec![(f, d)],
            Sym::Class(f, c) => model.file(f).classes[c as usize]
                .methods
                .iter()
                .filter(|&&m| {
                    let ms = Sym::Def(f, m);
                    cx.role(ms) == Some(Role::Engine) || cx.loop_owner_set.contains(&ms)
                })
                .map(|&m| (f, m))
                .collect(),
            _ => vec![],
        };
        for (f, d) in defs {
            for edge in cx.graph.calls_from(f, d) {
                // A piece in a file the scan did not read (`is_pending_call_race` imported from `_tools`): the
                // second pass reads it.
                if let Res::Sym(Sym::Unanalysed(u)) = edge.to {
                    cx.wants_parse.insert(u);
                }
                if let Res::Sym(t @ Sym::Def(tf, td)) = edge.to {
                    called_by_engine.entry(t).or_insert(e);
                    if model.file(f).calls[edge.call as usize].in_handler {
                        handles_for_engine.entry(t).or_insert(e);
                    }
                    if model.file(f).defs[d as usize]
                        .evidence
                        .test_attempts
                        .contains(&model.file(tf).defs[td as usize].name)
                    {
                        answers_for_engine.entry(t).or_insert(Sym::Def(f, d));
                    }
                }
            }
        }
    }
    let mut found: Vec<(Sym, Role, &'static str, String)> = Vec::new();
    // Checker classes: a class whose few methods are retry decisions is one decision site (composed into a
    // handler), not one per method.
    let cx_ref: &Ctx = cx;
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if c.is_exception || c.is_enum || (cx.roles.contains_key(&sym) && !cx.weak.contains(&sym)) {
                continue;
            }
            let methods: Vec<&crate::facts::Def> = c
                .methods
                .iter()
                .map(|&m| &f.defs[m as usize])
                .filter(|d| !(d.name.starts_with("__") && d.name.ends_with("__")))
                .collect();
            let deciding = methods.iter().filter(|d| decides(Some(c), d)).count();
            // Or it is named as a retry checker (`HTTPStatusCodeChecker` in `retryhandler`,
            // `ModeledRetryErrorDetector`, `StandardRetryConditions`): the links of a decision chain.
            let checker_named = names::has_word(&c.name, &["checker", "classifier", "detector", "conditions"])
                && (names::has_word(&c.name, &["retr", "throttl", "transient"])
                    || f.module.rsplit('.').next().is_some_and(|m| names::has_word(m, &["retr"])));
            if ((deciding >= 1 && methods.len() <= 3) || checker_named) && !names::is_record_class_name(&c.name) {
                found.push((sym, Role::Decision, "checker", {
                    let deciders: Vec<&str> =
                        methods.iter().filter(|d| decides(Some(c), d)).map(|d| d.name.as_str()).collect();
                    if deciders.is_empty() {
                        "named as a retry checker".to_string()
                    } else {
                        format!("decides in {}", deciders.join(", "))
                    }
                }));
            }
        }
        found
    }));
    let checkers: HashSet<Sym> = found.iter().map(|x| x.0).collect();
    let mut found_syms: HashMap<Sym, Role> = found.iter().map(|x| (x.0, x.1)).collect();
    // A method of a site class (an engine, its config, a checker) is a piece of that site.
    let in_site = |file: FileId, def: &crate::facts::Def| {
        def.class.is_some_and(|c| {
            let cs = Sym::Class(file, c);
            cx.roles.contains_key(&cs) || checkers.contains(&cs)
        })
    };
    // The definitions a round may place, in tree order. The roles do not change during the rounds (only what
    // the rounds find does), so what a round weighs that they alone decide (the role around a definition, its
    // name, its evidence) is asked once here, not of every definition in every round.
    let candidates = each_file(model, |file, f| {
        let mut candidates: Vec<(FileId, DefIdx)> = Vec::new();
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            // A monitor or event record that asks whether a failure was retryable only reports it.
            // A breaker's own `is_open` / `retry_after` belong to the breaker site.
            let index = cx.index.file(file);
            if index.in_record_class[di]
                || def.class.is_some_and(|c| cx.role(Sym::Class(file, c)) == Some(Role::Breaker))
            {
                continue;
            }
            // One of the conditions below may hold (each branch needs one of these).
            let may_place = index.decision_names[di]
                || handles_for_engine.contains_key(&sym)
                || answers_for_engine.contains_key(&sym)
                || in_site(file, def);
            if may_place {
                candidates.push((file, di as DefIdx));
            }
        }
        candidates
    });
    for _ in 0..MAX_DEPTH {
        let mut round: Vec<(Sym, Role, &'static str, String)> = Vec::new();
        for &(file, di) in &candidates {
            let f = model.file(file);
            let def = &f.defs[di as usize];
            let di = di as usize;
            let sym = Sym::Def(file, di as DefIdx);
            if found_syms.contains_key(&sym) {
                continue;
            }
            let by_engine = called_by_engine.get(&sym).copied();
            let in_site = in_site(file, def);
            let n = def.name.trim_start_matches('_');
            let ev = &def.evidence;
            let piece = by_engine.is_some() || in_site;
            let predicate_name = PREDICATE_PREFIXES.iter().any(|p| n.starts_with(p));
            let delay_name = names::has_word(n, &DELAY_WORDS);
            let sleep_name = names::has_word(n, &SLEEP_WORDS);
            // Delegating to a calculator (`calculate_delay` -> `compute_delay`), or dispatching over several
            // (`compute_delay` picking `linear_backoff` or `fibonacci_backoff` by strategy) and returning
            // what they give.
            let is_calc = |to: &Res| matches!(to, Res::Sym(t) if cx.role(*t) == Some(Role::Calculator) || found_syms.get(t) == Some(&Role::Calculator));
            let delegates_calc = delay_name
                && cx
                    .graph
                    .calls_from(file, di as DefIdx)
                    .any(|e| (f.calls[e.call as usize].returned || ev.returns_value) && is_calc(&e.to));
            // Whatever its name, a function returning what a calculator computes from the failures it counts
            // (`self._failures += 1; return backoff(self._failures, cap=60) + jitter(0, 1)`), or for the
            // failure it is handed (`after_failed_poll(error)` -> `self.after_failure()`), computes a delay.
            let computes_for_failures = returns_plain_value(ev)
                && cx.graph.calls_from(file, di as DefIdx).any(|e| {
                    is_calc(&e.to)
                        && (handed_error(def)
                            || f.calls[e.call as usize].arg_names.iter().any(|a| ev.counts_up.contains(a)))
                });
            // A predicate's evidence: the engine calling it, else what else makes it one.
            let why = |otherwise: &str| match by_engine {
                Some(e) => format!("called by {} ({})", short(model, e), place(model, e)),
                None => otherwise.to_string(),
            };
            if decides(def.class.map(|k| &f.classes[k as usize]), def)
                && (ev.returns_bool || by_engine.is_some() || def.returns_nested_def || in_site)
            {
                round.push((sym, Role::Decision, "predicate", why("returns whether to retry")));
            } else if let Some(e) = answers_for_engine.get(&sym).filter(|_| ev.catch_returns && ev.sleeps.is_none()) {
                // `while await self._read_connection(conn) == "reconnect"`: one attempt whose handler answers
                // whether the engine goes on (`"reconnect"`, or `"stop"` on a fatal error).
                let ev = format!("answers the loop test of {} ({})", short(model, *e), place(model, *e));
                round.push((sym, Role::Decision, "answer", ev));
            } else if ev.verdict && !ev.loops && ev.sleeps.is_none() {
                // `should_retry = isinstance(e, Timeout)` in the branches of an error handler: the function
                // reaches the retry verdict for its caller (`_handle_request_error` raising it with the error).
                round.push((sym, Role::Decision, "verdict", "sets the retry verdict".into()));
            } else if let Some(e) = handles_for_engine
                .get(&sym)
                .filter(|_| ev.raises && judges_failure(def) && ev.sleeps.is_none() && !ev.loops)
            {
                // `delay = self._on_error(exc, deadline, sleeps)  # raises when exhausted`: the engine's
                // judgement of a failure, giving up by raising.
                let ev =
                    format!("judges the failures of {} ({}): raises to give up", short(model, *e), place(model, *e));
                round.push((sym, Role::Decision, "on_error", ev));
            } else if predicate_name
                && ev.returns_bool
                && judges_failure(def)
                && (by_engine.is_some()
                    || in_site && def.class.and_then(|c| cx.role(Sym::Class(file, c))) != Some(Role::Engine))
            {
                // A predicate of an engine class that its retry loop does not call (`_is_loopback_address`
                // of a metadata fetcher) is other work of that class.
                round.push((sym, Role::Decision, "predicate", why("a predicate of a retry site")));
            } else if delay_name
                && (ev.delay_math
                    || delegates_calc
                    || (ev.returns_value
                        && names::has_word(n, &["retry_after"])
                        && (piece || called_by_site(cx, &found_syms, sym))))
            {
                round.push((sym, Role::Calculator, "delay", "computes the delay".into()));
            } else if computes_for_failures {
                round.push((sym, Role::Calculator, "delay", "computes the delay after failures".into()));
            } else if sleep_name
                && ev.sleeps.is_some()
                && !ev.waits_as_handed
                && piece
                && def.statements <= 12
                && (!ev.loops || names::has_word(n, &["sleep"]))
            {
                round.push((sym, Role::Calculator, "sleep", "computes and sleeps the delay".into()));
            } else if let Some(class_role) = def.class.and_then(|c| {
                let cs = Sym::Class(file, c);
                cx.role(cs).or_else(|| checkers.contains(&cs).then_some(Role::Decision))
            }) {
                // The methods of a delay class that return a value compute the delay; a method of a
                // decision or calculator class that sleeps is the wait step (`prepare_for_next_attempt`).
                let public = !(def.name.starts_with("__") && def.name.ends_with("__"));
                // `reset(self): self._attempt = 0`: sets back the state the delays are computed from.
                let sets_state = || {
                    def.statements <= 2
                        && f.assigns
                            .iter()
                            .any(|a| matches!(a.owner, Owner::Instance { def: m, .. } if m == di as DefIdx))
                };
                if class_role == Role::Calculator && public && ev.returns_value {
                    round.push((sym, Role::Calculator, "delay", "a delay method of a delay class".into()));
                } else if class_role == Role::Calculator && public && !ev.loops && ev.sleeps.is_none() && sets_state() {
                    round.push((sym, Role::Calculator, "state", "sets the state of a delay class".into()));
                } else if matches!(class_role, Role::Decision | Role::Calculator)
                    && public
                    && ev.sleeps.is_some()
                    && !ev.loops
                    && def.statements <= 12
                {
                    round.push((sym, Role::Calculator, "sleep", "computes and sleeps the delay".into()));
                }
            }
        }
        if round.is_empty() {
            break;
        }
        for x in &round {
            found_syms.insert(x.0, x.1);
        }
        found.extend(round);
    }
    // A class named for its delays whose methods compute them after failures (`PollDelays.after_failure`)
    // is a delay class; added once the methods are settled, each of which has its own evidence.
    for (fi, f) in model.files.iter().enumerate() {
        let file = fi as FileId;
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if cx.roles.contains_key(&sym) || !names::has_word(&c.name, &["backoff", "delay", "wait", "jitter"]) {
                continue;
            }
            let computing: Vec<&str> = c
                .methods
                .iter()
                .filter(|&&m| found.iter().any(|x| x.0 == Sym::Def(file, m) && x.1 == Role::Calculator))
                .map(|&m| f.defs[m as usize].name.as_str())
                .collect();
            if !computing.is_empty() {
                let ev = format!("computes delays in {}", computing.join(", "));
                found.push((sym, Role::Calculator, "class", ev));
            }
        }
    }
    for (sym, role, detail, ev) in found {
        let kind = piece_kind(role);
        cx.add_site(added, sym, kind, role, detail, vec![], ev);
    }
}

/// Is `s` called by a site of the retry system (or a piece found this round): a Retry-After parser that the
/// delay calculator calls (`_calculate_retry_timeout` -> `_parse_retry_after_header`).
fn called_by_site(cx: &Ctx, found: &HashMap<Sym, Role>, s: Sym) -> bool {
    cx.graph.callers(s).any(|e| {
        let caller = cx.model.file(e.file).calls[e.call as usize].owner;
        caller.is_some_and(|d| {
            let c = Sym::Def(e.file, d);
            found.contains_key(&c) || site_or_its_class(cx, c).is_some()
        })
    })
}

/// Is a function handed the error of a failure (`after_failed_poll(self, error)`)?
fn handed_error(def: &crate::facts::Def) -> bool {
    // Without lower-casing a copy of each name (the index asks this of every function).
    def.params.iter().any(|p| {
        let n = p.name.trim_start_matches('_');
        ["e", "exc", "err"].iter().any(|w| n.eq_ignore_ascii_case(w))
            || names::contains_ignore_case(n, "error")
            || names::contains_ignore_case(n, "exception")
    })
}

/// Does a predicate judge a failure or an attempt: a parameter for the error, the response or status, or the
/// attempt count (`_should_stream_response_body(request)` decides something else)?
fn judges_failure(def: &crate::facts::Def) -> bool {
    def.params.iter().any(|p| {
        let n = p.name.trim_start_matches('_');
        ["e", "exc", "err", "error", "exception", "response", "resp", "status", "code"]
            .iter()
            .any(|w| n.eq_ignore_ascii_case(w))
            || ["error", "exc", "response", "status", "attempt", "retries", "tries"]
                .iter()
                .any(|w| names::contains_ignore_case(n, w))
    })
}

const PREDICATE_PREFIXES: [&str; 4] = ["is_", "can_", "should_", "needs_"];
const DELAY_WORDS: [&str; 8] =
    ["delay", "backoff", "jitter", "interval", "sleep_time", "retry_after", "wait_time", "retry_timeout"];
/// The wait step an engine calls (`_wait_before_retry`, `_sleep_with_backoff`, `pause`).
const SLEEP_WORDS: [&str; 5] = ["sleep", "wait", "backoff", "delay", "pause"];

/// May a round of `decisions_and_calculators` place a definition on its own name and evidence (each of its
/// branches needs one of these, or a caller or class the rounds find)?
fn may_decide_by_name(class: Option<&crate::facts::Class>, def: &crate::facts::Def) -> bool {
    let n = def.name.trim_start_matches('_');
    let ev = &def.evidence;
    decides(class, def)
        || ev.verdict && !ev.loops && ev.sleeps.is_none()
        || returns_plain_value(ev) && (handed_error(def) || !ev.counts_up.is_empty())
        || ev.returns_bool && PREDICATE_PREFIXES.iter().any(|p| n.starts_with(p))
        || names::has_word(n, &DELAY_WORDS)
        || ev.sleeps.is_some() && names::has_word(n, &SLEEP_WORDS)
}

/// Does the name of a method say it decides whether to retry? `increment` does on an attempt state
/// (`Retry.increment` raising when exhausted), not on a redirect policy or an API resource.
fn decides(class: Option<&crate::facts::Class>, def: &crate::facts::Def) -> bool {
    names::is_decision_name(&def.name)
        || def.name == "increment" && class.is_some_and(|c| names::has_word(&c.name, &["retr"]))
}

/// Predicates handed to a retry policy as it is built (`ConditionalRetryPolicy(DEFAULT_RETRY,
/// is_generation_specified, ["query_params"])`, `Retry(predicate=is_transient)`): the policy's decisions.
fn handed_predicates(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found: Vec<(Sym, Sym)> = Vec::new();
    let cx_ref: &Ctx = cx;
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (ci, c) in f.calls.iter().enumerate() {
            let Some(Res::Sym(t @ Sym::Class(..))) = cx.graph.callee_of(file, ci as u32).cloned() else { continue };
            if !matches!(cx.role(t), Some(Role::Engine | Role::ConfigSchema)) {
                continue;
            }
            let class = c.owner.and_then(|d| model.enclosing_class(file, d));
            for a in &c.arg_names {
                let Some(Res::Sym(p @ Sym::Def(pf, pd))) = model.resolve_in(file, c.owner, class, a) else { continue };
                let def = &model.file(pf).defs[pd as usize];
                let n = def.name.trim_start_matches('_');
                let predicate = ["is_", "can_", "should_", "needs_", "has_"].iter().any(|x| n.starts_with(x));
                if (def.evidence.returns_bool || def.evidence.returns_value) && predicate && !cx.roles.contains_key(&p)
                {
                    found.push((p, t));
                }
            }
        }
        found
    }));
    for (p, t) in found {
        let ev = format!("the predicate of {} ({})", short(model, t), place(model, t));
        cx.add_site(added, p, Kind::Decision, Role::Decision, "predicate", vec![], ev);
    }
}

/// Pieces through class hierarchies: a method that overrides a decision or calculator (or is overridden by
/// one: the abstract `_can_retry` of a handler base) is that piece too, and so is a base class in the tree of
/// a decision or calculator class that declares such a method (`RetryIntervalCalculator` under
/// `BackoffRetryIntervalCalculator`).
fn overridden_pieces(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let piece = |r: Option<Role>| matches!(r, Some(Role::Decision) | Some(Role::Calculator));
    let mut found: Vec<(Sym, Role, String)> = Vec::new();
    let mut families: Vec<(&Sym, &Vec<Sym>)> = cx.overrides.iter().collect();
    families.sort();
    for (base, subs) in families {
        let members = std::iter::once(base).chain(subs.iter());
        let Some((seed, role)) = members.clone().find_map(|m| cx.role(*m).filter(|r| piece(Some(*r))).map(|r| (*m, r)))
        else {
            continue;
        };
        for m in members {
            if cx.roles.contains_key(m) || found.iter().any(|f| f.0 == *m) {
                continue;
            }
            let ev = if m == base {
                format!("overridden by {} ({})", short(model, seed), place(model, seed))
            } else if seed == *base {
                format!("overrides {} ({})", short(model, seed), place(model, seed))
            } else {
                format!("overrides {} ({}), as {} does", short(model, *base), place(model, *base), short(model, seed))
            };
            found.push((*m, role, ev));
        }
    }
    // Base classes of piece classes that declare a piece method.
    let mut classes: Vec<(Sym, Role, String)> = Vec::new();
    for (sym, info) in &cx.roles {
        let Sym::Class(file, c) = *sym else { continue };
        if !piece(Some(info.role)) {
            continue;
        }
        for (bf, bc) in model.mro(file, c).into_iter().skip(1) {
            let b = Sym::Class(bf, bc);
            if cx.roles.contains_key(&b) || classes.iter().any(|x| x.0 == b) {
                continue;
            }
            let k = &model.file(bf).classes[bc as usize];
            let declares = k.methods.iter().any(|&m| {
                let ms = Sym::Def(bf, m);
                cx.role(ms) == Some(info.role) || found.iter().any(|f| f.0 == ms && f.1 == info.role)
            });
            if declares && !k.is_exception {
                classes.push((b, info.role, format!("base of {} ({})", short(model, *sym), place(model, *sym))));
            }
        }
    }
    // Subclasses of piece classes that declare a piece method (`FixedValueRetryIntervalCalculator`).
    let is_piece_class = |s: Sym, r: Role| cx.role(s) == Some(r) || classes.iter().any(|x| x.0 == s && x.1 == r);
    let mut down: Vec<(Sym, Role, String)> = Vec::new();
    let cx_ref: &Ctx = cx;
    down.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut down = Vec::new();
        for (ci, k) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if k.is_exception || cx.roles.contains_key(&sym) || classes.iter().any(|x| x.0 == sym) {
                continue;
            }
            let method_role = k.methods.iter().find_map(|&m| {
                let ms = Sym::Def(file, m);
                cx.role(ms).or_else(|| found.iter().find(|x| x.0 == ms).map(|x| x.1)).filter(|r| piece(Some(*r)))
            });
            // Every subclass of a checker is a link of the same decision chain.
            let checker_base = model.mro(file, ci as u32).into_iter().skip(1).any(|(bf, bc)| {
                cx.roles.get(&Sym::Class(bf, bc)).is_some_and(|i| i.role == Role::Decision && i.detail == "checker")
            });
            let Some(r) = method_role.or(checker_base.then_some(Role::Decision)) else { continue };
            if let Some(&(bf, bc)) =
                model.mro(file, ci as u32).iter().skip(1).find(|&&(bf, bc)| is_piece_class(Sym::Class(bf, bc), r))
            {
                let b = Sym::Class(bf, bc);
                down.push((sym, r, format!("subclass of {} ({})", short(model, b), place(model, b))));
            }
        }
        down
    }));
    classes.extend(down);
    classes.sort_by_key(|a| a.0);
    for (sym, role, ev) in found.into_iter().chain(classes) {
        let (kind, detail) = match (role, sym) {
            (Role::Calculator, _) => (Kind::BackoffCalc, "override"),
            (_, Sym::Class(..)) => (Kind::Decision, "class"),
            _ => (Kind::Decision, "override"),
        };
        cx.add_site(added, sym, kind, role, detail, vec![], ev);
    }
}

/// Module-level instances of decision and delay classes (`connect_error_retry_handler =
/// ConnectionErrorRetryHandler()`, `default_interval_calculator = BackoffRetryIntervalCalculator()`): the
/// ready-made pieces callers configure engines with. And the data and instances of decisions: retry-named
/// sets of statuses or exception types, predicates a decision factory builds.
/// Factories of preset lists: a function every item of whose returned list is a preset, or machinery built
/// without arguments (`def default_retry_handlers(): return [connect_error_retry_handler]`, `return
/// [AsyncConnectionErrorRetryHandler()]`). After the instances of pieces, which are such presets.
fn preset_lists(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let cx_ref: &Ctx = cx;
    let found: Vec<(Sym, Vec<Sym>)> = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            let items = &def.evidence.returns_items;
            if items.is_empty() || cx.roles.contains_key(&sym) || inside_role(cx, file, def.parent) {
                continue;
            }
            let class = model.enclosing_class(file, di as DefIdx);
            let preset = |item: &String| -> Option<Sym> {
                if let Some(callee) = item.strip_suffix("()") {
                    if let Some((Some(t), _, Role::Preset)) = construction(cx, file, Some(di as DefIdx), callee, false)
                    {
                        return Some(t);
                    }
                    // An instance of a decision or delay class, as `piece_instances` counts one.
                    return match model.resolve_in(file, Some(di as DefIdx), class, callee).map(|r| model.value(r)) {
                        Some(Res::Sym(t @ Sym::Class(..)))
                            if matches!(cx.role(t), Some(Role::Decision | Role::Calculator)) =>
                        {
                            Some(t)
                        }
                        _ => None,
                    };
                }
                match model.resolve_in(file, Some(di as DefIdx), class, item)? {
                    Res::Sym(r @ Sym::Assign(..)) if cx.role(r) == Some(Role::Preset) => Some(r),
                    _ => None,
                }
            };
            if let Some(presets) = items.iter().map(preset).collect::<Option<Vec<Sym>>>() {
                found.push((sym, presets));
            }
        }
        found
    });
    for (sym, presets) in found {
        let names: Vec<String> = presets.iter().map(|&p| short(model, p)).collect();
        let ev = format!("returns a list of {}", names.join(", "));
        cx.add_site(added, sym, Kind::Preset, Role::Preset, "factory", presets, ev);
    }
}

fn piece_instances(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    enum Piece {
        Instance(Sym, Sym),
        Decision(Sym, &'static str, Option<Sym>),
        Schedule(Sym),
    }
    let cx_ref: &Ctx = cx;
    let pieces = each_file(model, |file, f| {
        let cx = cx_ref;
        let mut pieces = Vec::new();
        for (ai, a) in f.assigns.iter().enumerate() {
            let sym = Sym::Assign(file, ai as u32);
            // A field of a site class (a schema's `retryable_exceptions`) is part of that site.
            let own_site = matches!(a.owner, Owner::Class(c) if cx.roles.contains_key(&Sym::Class(file, c)));
            if !matches!(a.owner, Owner::Module | Owner::Class(_)) || own_site || cx.roles.contains_key(&sym) {
                continue;
            }
            // The set of what is retried (`RETRYABLE_STATUS_CODES = frozenset({429, 503})`, `_RETRY_CODES`,
            // `RETRYABLE_HTTP_ERRORS = (ConnectionError, ...)`): the data of a decision.
            // Or a module-level collection an engine reads (`except TRANSIENT_ERRORS:`, `if status in
            // _UNFOLLOWABLE_STATUS_CODES`), or one named for transient failures.
            let engine_reads = || {
                a.owner == Owner::Module
                    && cx.graph.readers(sym).any(|&(rf, ri)| {
                        // An attempt that answers an engine's loop test makes the call itself: what it reads
                        // is the operation's (`types=HISTORY_EVENT_TYPES`).
                        model.file(rf).reads[ri as usize].owner.is_some_and(|d| {
                            cx.roles.get(&Sym::Def(rf, d)).is_some_and(|i| {
                                matches!(i.role, Role::Engine | Role::Decision) && i.detail != "answer"
                            })
                        })
                    })
            };
            let transient = names::has_word(&a.target, &["transient", "recoverable"]);
            if a.value == Value::Collection && (names::is_model_piece_name(&a.target) || transient || engine_reads()) {
                // A tuple of delays (`_RETRY_DELAYS_SECONDS = (1, 2, 5)`) is a schedule: a preset.
                if any_word(
                    &a.target,
                    &["delay", "delays", "backoff", "backoffs", "intervals", "interval", "waits", "sleeps", "seconds"],
                ) {
                    pieces.push(Piece::Schedule(sym));
                } else {
                    pieces.push(Piece::Decision(sym, "retryable_set", None));
                }
                continue;
            }
            let Value::Call { callee, .. } = &a.value else { continue };
            let Some(Res::Sym(t)) = model.resolve_in(file, None, None, callee).map(|r| model.value(r)) else {
                continue;
            };
            match (t, cx.role(t)) {
                (Sym::Class(..), Some(Role::Decision) | Some(Role::Calculator)) if a.owner == Owner::Module => {
                    pieces.push(Piece::Instance(sym, t))
                }
                // A predicate built by a decision factory (`if_transient_error = if_exception_type(...)`).
                (Sym::Def(..), Some(Role::Decision)) => pieces.push(Piece::Decision(sym, "predicate", Some(t))),
                _ => {}
            }
        }
        pieces
    });
    // Added by kind: the decisions, then the schedules, then the instances, each in tree order.
    let mut found = Vec::new();
    let mut decisions: Vec<(Sym, &'static str, Option<Sym>)> = Vec::new();
    let mut schedules: Vec<Sym> = Vec::new();
    for p in pieces {
        match p {
            Piece::Instance(sym, t) => found.push((sym, t)),
            Piece::Decision(sym, detail, t) => decisions.push((sym, detail, t)),
            Piece::Schedule(sym) => schedules.push(sym),
        }
    }
    for (sym, detail, t) in decisions {
        let ev = match t {
            Some(t) => format!("built by {} ({})", short(model, t), place(model, t)),
            None => "the set of what is retried".to_string(),
        };
        cx.add_site(added, sym, Kind::Decision, Role::Decision, detail, t.into_iter().collect(), ev);
    }
    for sym in schedules {
        let ev = "a schedule of retry delays".to_string();
        cx.add_site(added, sym, Kind::Preset, Role::Preset, "schedule", vec![], ev);
    }
    for (sym, t) in found {
        let ev = format!("instance of {} ({})", short(model, t), place(model, t));
        cx.add_site(added, sym, Kind::Preset, Role::Preset, "instance", vec![t], ev);
    }
}

/// Base classes of engine classes or config schemas that hold the numbers their subclasses run with
/// (`_BaseRetry.__init__(self, predicate, initial, maximum, multiplier, timeout)` under `Retry` and
/// `AsyncRetry`): the schema of those numbers. The base's own constructor takes two of them or more; a base
/// with a role already (a calculator's base, an engine) keeps it.
fn engine_bases(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found: Vec<(Sym, Sym)> = Vec::new();
    let mut holders: Vec<Sym> = cx
        .roles
        .iter()
        .filter(|(s, i)| matches!(s, Sym::Class(..)) && matches!(i.role, Role::Engine | Role::ConfigSchema))
        .map(|(s, _)| *s)
        .collect();
    // In symbol order: which subclass a base names in its evidence does not depend on the map's order.
    holders.sort();
    for e in holders {
        let Sym::Class(f, c) = e else { continue };
        for (bf, bc) in model.mro(f, c).into_iter().skip(1) {
            let base = Sym::Class(bf, bc);
            if cx.roles.contains_key(&base) || found.iter().any(|(b, _)| *b == base) {
                continue;
            }
            // The base's own constructor, not one it inherits.
            let Some((mf, m)) = model
                .method(bf, bc, "__init__")
                .filter(|&(mf, m)| mf == bf && model.file(mf).defs[m as usize].class == Some(bc))
            else {
                continue;
            };
            let numbers = model.file(mf).defs[m as usize]
                .params
                .iter()
                .filter(|p| retry_key(&p.name) || schedule_key(&p.name))
                .count();
            if numbers >= 2 {
                found.push((base, e));
            }
        }
    }
    for (base, e) in found {
        let ev = format!("holds the numbers of its subclass {} ({})", short(model, e), place(model, e));
        cx.add_site(added, base, Kind::RetryConfig, Role::ConfigSchema, "base", vec![e], ev);
    }
}

/// Schemas that embed a retry policy among other settings (`DatabaseSettings` with `connect_retries` and
/// `connect_retry_delay`, `ReconnectSettings` with `max_reconnect_attempts` and `reconnect_interval`), and
/// subclasses of a schema or an engine class that only override its numbers (presets).
fn schemas(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found: Vec<(Sym, Role, &'static str, Vec<Sym>, String)> = Vec::new();
    let cx_ref: &Ctx = cx;
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if c.is_exception || c.is_enum || names::is_record_class_name(&c.name) {
                continue;
            }
            let own_methods = c.methods.iter().filter(|&&m| !is_dunder(&f.defs[m as usize].name)).count();
            // Class-level numbers of the class's own body.
            let numbers: Vec<&str> = f
                .assigns
                .iter()
                .filter(|a| a.owner == Owner::Class(ci as u32) && matches!(a.value, Value::Number(_)))
                .map(|a| a.target.as_str())
                .collect();
            let local_schema = cx.roles.get(&sym).is_some_and(|i| i.role == Role::ConfigSchema && i.detail == "schema");
            // A subclass that only sets numbers of the machinery it extends.
            if (local_schema || !cx.roles.contains_key(&sym)) && c.methods.is_empty() && !numbers.is_empty() {
                let base = model.mro(file, ci as u32).into_iter().skip(1).find_map(|(bf, bc)| {
                    let b = Sym::Class(bf, bc);
                    matches!(cx.role(b), Some(Role::ConfigSchema | Role::Engine)).then_some(b)
                });
                if let Some(b) =
                    base.filter(|_| numbers.iter().all(|n| retry_key(n) || schedule_key(n) || count_key(n)))
                {
                    let ev = format!("overrides the numbers of {} ({})", short(model, b), place(model, b));
                    found.push((sym, Role::Preset, "subclass", vec![b], ev));
                    continue;
                }
            }
            // A retry-named class built around a retry policy object it is handed (`ConditionalRetryPolicy(
            // retry_policy, conditional_predicate, required_kwargs)`), with no loop of its own: a policy's
            // configuration, which its instances (presets) fill in.
            let holds_policy = !cx.roles.contains_key(&sym)
                && names::contains_ignore_case(&c.name, "retr")
                && !names::contains_ignore_case(&c.name, "retriev")
                && !class_retries(model, file, ci as u32)
                // A handler deciding with the policy (`RetryHandler.needs_retry`) is a decision.
                && !c.methods.iter().any(|&m| decides(Some(c), &f.defs[m as usize]))
                && c.methods
                    .iter()
                    .map(|&m| &f.defs[m as usize])
                    .find(|d| d.name == "__init__")
                    .is_some_and(|d| d.params.iter().any(|p| names_retry_object(&p.name)));
            if holds_policy {
                found.push((
                    sym,
                    Role::ConfigSchema,
                    "holds_policy",
                    vec![],
                    "configures the retry policy it is handed".into(),
                ));
                continue;
            }
            // A schema holds data: neither it nor a base in the tree does anything but set up (a connection
            // whose constructor defaults its reconnect numbers is not a schema; its constructor is the preset).
            let behaves = own_methods > 0
                || model.mro(file, ci as u32).into_iter().skip(1).any(|(bf, bc)| {
                    let b = model.file(bf);
                    b.classes[bc as usize].methods.iter().any(|&m| !is_dunder(&b.defs[m as usize].name))
                });
            if cx.roles.contains_key(&sym) || behaves {
                continue;
            }
            // The numbers themselves: class-level defaults, or constructor parameters defaulted to numbers (a
            // handler holding a `retry_policy` object and a `sleep` function is not a schema).
            let init = c.methods.iter().map(|&m| &f.defs[m as usize]).find(|d| d.name == "__init__");
            let numbered: Vec<&str> = numbers
                .iter()
                .copied()
                .chain(
                    init.into_iter()
                        .flat_map(|d| d.params.iter().filter(|p| p.numeric_default).map(|p| p.name.as_str())),
                )
                .collect();
            let budget = numbered.iter().find(|n| count_key(n) && !delay_key(n));
            let delay = numbered.iter().find(|n| !count_key(n) && (delay_key(n) || schedule_key(n)));
            if let (Some(b), Some(d)) = (budget, delay) {
                found.push((
                    sym,
                    Role::ConfigSchema,
                    "embedded",
                    vec![],
                    format!("embeds a retry policy: {b} and {d}"),
                ));
            }
        }
        found
    }));
    for (sym, role, detail, targets, ev) in found {
        let kind = if role == Role::Preset { Kind::Preset } else { Kind::RetryConfig };
        if cx.roles.get(&sym).is_some_and(|i| i.role == Role::ConfigSchema && i.detail == "schema") {
            cx.weak.insert(sym);
        }
        cx.add_site(added, sym, kind, role, detail, targets, ev);
    }
}

/// Registries that construct breakers, and breaker config schemas.
fn breakers(cx: &mut Ctx, added: &mut Vec<NewSite>) {
    let model = cx.model;
    let mut found: Vec<(Sym, &'static str, Vec<Sym>, String)> = Vec::new();
    let cx_ref: &Ctx = cx;
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (ci, c) in f.classes.iter().enumerate() {
            let sym = Sym::Class(file, ci as u32);
            if cx.roles.contains_key(&sym) || c.is_exception {
                continue;
            }
            // A registry creates breakers on demand (`get_or_create`); a client that builds its one breaker in
            // `__init__` only holds it (unless it says it manages them).
            let manages = names::has_word(&c.name, &["registry", "manager", "factory", "provider", "pool"]);
            let mut built = None;
            for &m in &c.methods {
                if f.defs[m as usize].name == "__init__" && !manages {
                    continue;
                }
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
            let recovery =
                ["recovery_timeout", "reset_timeout", "open_timeout", "half_open_max_calls", "timeout", "cooldown"]
                    .iter()
                    .any(|w| has(w));
            if threshold && recovery && !c.is_enum {
                found.push((sym, "config", vec![], "failure threshold and recovery timeout fields".into()));
            }
        }
        found
    }));
    // Module functions that create breakers on demand (`get_breaker(name)` filling a dict of breakers).
    found.extend(each_file(model, |file, f| {
        let cx = cx_ref;
        let mut found = Vec::new();
        for (di, def) in f.defs.iter().enumerate() {
            let sym = Sym::Def(file, di as DefIdx);
            if def.class.is_some() || def.parent.is_some() || cx.roles.contains_key(&sym) {
                continue;
            }
            let built = cx.graph.calls_from(file, di as DefIdx).find_map(|e| match e.to {
                Res::Sym(t @ Sym::Class(..)) if cx.role(t) == Some(Role::Breaker) => Some(t),
                _ => None,
            });
            if let Some(t) = built {
                let ev = format!("creates {} ({})", short(model, t), place(model, t));
                found.push((sym, "registry", vec![t], ev));
            }
        }
        found
    }));
    for (sym, detail, targets, ev) in found {
        cx.add_site(added, sym, Kind::CircuitBreaker, Role::Breaker, detail, targets, ev);
    }
}

#[cfg(test)]
mod name_tests {
    /// The allocation-free `names_retry_object` answers as the lower-casing one it replaced.
    #[test]
    fn names_retry_object_as_before() {
        fn before(dotted: &str) -> bool {
            let last = dotted.rsplit('.').next().unwrap_or(dotted).trim_start_matches('_').to_ascii_lowercase();
            let tail = last.rsplit('_').next().unwrap_or(&last);
            let object_noun = matches!(tail, "retry" | "policy" | "strategy" | "retrying" | "retrier" | "retryer");
            let verb = ["should", "is", "can", "needs", "get", "make", "create", "build", "with", "do", "on", "set"]
                .iter()
                .any(|v| last.starts_with(&format!("{v}_")));
            crate::detect::names::contains_ignore_case(&last, "retr")
                && !last.contains("retriev")
                && object_noun
                && !verb
        }
        let names = [
            "retry",
            "self._retry",
            "retry_policy",
            "DEFAULT_RETRY",
            "job_retry",
            "retry_strategy",
            "should_retry",
            "get_retry_policy",
            "Retry",
            "x.Retrying",
            "retriever_policy",
            "RETRIEVE_retry",
            "is_retry",
            "IS_RETRY",
            "on_retry",
            "onretry",
            "do_retry_policy",
            "set_policy",
            "policy",
            "_",
            "",
            ".",
            "a.",
            "é_retry",
            "retry_é",
            "ÉS_retry",
            "Get_Retry",
            "getretry",
            "with_",
            "with__retry",
            "make_retrier",
            "__retryer",
            "strategy",
            "retr_strategy",
            "foo.bar_retrying",
        ];
        for n in names {
            assert_eq!(super::names_retry_object(n), before(n), "{n}");
        }
    }
}
