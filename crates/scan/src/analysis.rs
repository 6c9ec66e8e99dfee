//! The project pass: every file's facts become one model of the tree, on which every finding gets its role,
//! evidence, the machinery it delegates to and its uses, and the sites only the whole tree shows are added.
//!
//! ```text
//! per-file facts (pass 1) -> model + call graph -> roles -> second pass -> model again -> findings
//! ```
//!
//! The second pass parses, whole, the files the first one only token-scanned or parsed in part, when the roles
//! need them: files that import a module or a name holding a site (their wrappers and presets), and files
//! whose unparsed definitions a retry loop's callees reach. Those files are read again (few of them; the tree
//! is never walked twice).

use crate::classify;
use crate::data::RuleData;
use crate::facts::{self, FileFacts, Literal, Value};
use crate::finding::{Finding, Params, PlanRef, SiteRef, Use};
use crate::model::roles::{self, Assignment, NewSite, SiteInfo};
use crate::model::{FileId, Graph, Model, Res, Sym};
use crate::syntax::{Constant, Expr, ExprKind, Span};
use crate::walk::FileEntry;
use crate::ScanOptions;
use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;

/// The model and call graph of a scan.
pub struct Project {
    pub model: Model,
    pub graph: Graph,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Project({} files)", self.model.files.len())
    }
}

/// What the first pass's token scan found of a file it did not parse whole (its verdict and top-level
/// pieces), kept so that a second look at the file reads its tokens no more: a few of these files are
/// parsed again, after the roles (the scan is a fifth of that pass).
#[derive(Debug, Clone)]
pub struct FirstScan {
    verdict: crate::parse::TokenVerdict,
    /// Start offsets of the top-level pieces, and whether each is a definition (`parse::top_level_pieces`).
    pieces: Option<Vec<(u32, bool)>>,
    /// The file as it was read (`None`: unknown, never reused).
    pub stamp: Option<Stamp>,
}

/// A file's size and modification time: the file read again is the one scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp { len: meta.len(), modified: meta.modified().ok() }
    }
}

impl FirstScan {
    pub fn new(verdict: crate::parse::TokenVerdict, pieces: Option<crate::parse::TopPieces>) -> FirstScan {
        let pieces = pieces.map(|p| p.into_iter().map(|(at, def)| (at as u32, def)).collect());
        FirstScan { verdict, pieces, stamp: None }
    }

    /// The verdict and pieces, when they were taken of this very text (same stamp, and every offset inside
    /// the text on a character boundary, `is_char_boundary` being false past the end: a file rewritten between
    /// the passes is scanned again).
    fn of(&self, stamp: &Stamp, text: &str) -> Option<(crate::parse::TokenVerdict, Option<crate::parse::TopPieces>)> {
        if self.stamp.as_ref() != Some(stamp) {
            return None;
        }
        let fits = |at: usize| text.is_char_boundary(at);
        let ranges_fit = match &self.verdict {
            crate::parse::TokenVerdict::Parse(r) => r.iter().all(|r| r.start <= r.end && fits(r.start) && fits(r.end)),
            crate::parse::TokenVerdict::Skip => true,
        };
        let pieces: Option<crate::parse::TopPieces> =
            self.pieces.as_ref().map(|p| p.iter().map(|&(at, def)| (at as usize, def)).collect());
        let pieces_fit = pieces.as_ref().is_none_or(|p| p.iter().all(|&(at, _)| fits(at)));
        (ranges_fit && pieces_fit).then(|| (self.verdict.clone(), pieces))
    }
}

/// Rounds of reading files again: each can find machinery the next round's files build on. Chains in real
/// trees are short (a factory in one module returning what a factory in another returns).
const SECOND_PASS_ROUNDS: usize = 3;

/// Place every finding on the model of the tree and add the sites it shows. `facts[i]` and `scans[i]` belong
/// to `files[i]`.
pub fn project_pass(
    files: &[FileEntry],
    facts: Vec<Option<FileFacts>>,
    scans: Vec<Option<FirstScan>>,
    findings: &mut Vec<Finding>,
    opts: &ScanOptions,
    data: &RuleData,
    prefilter: &crate::prefilter::Prefilter,
) -> Project {
    let mut all: Vec<FileFacts> =
        files.iter().zip(facts).map(|(e, f)| f.unwrap_or_else(|| FileFacts::empty(&e.display, &e.module))).collect();
    let mut model = Model::new(std::mem::take(&mut all));
    crate::timing::mark("model");
    // The roles' index of the files asks only their facts: built while the calls are resolved.
    let (mut graph, mut index) =
        crate::pool().install(|| rayon::join(|| Graph::build(&model), || roles::Index::new(&model)));
    crate::timing::mark("graph");
    let mut assignment = roles::assign(&model, &graph, &index, findings);
    crate::timing::mark("roles");
    // What each file was read again for, over the rounds (`None`: whole). A round reads a file again only for
    // names it was not read for yet: machinery the last round found in a file it read again (a wrapper class
    // whose constructor a factory beside it calls, a preset factory another module's factory returns) is what
    // the next round's files use.
    let mut requested: BTreeMap<FileId, Option<Vec<String>>> = BTreeMap::new();
    for _ in 0..SECOND_PASS_ROUNDS {
        let mut wanted: Vec<(FileId, Option<Vec<String>>)> = Vec::new();
        for (fid, names) in second_pass_files(&model, &graph, &assignment) {
            let before = requested.get(&fid);
            let merged = match (before, names) {
                (Some(None), _) => continue,
                (_, None) => None,
                (None, Some(n)) => Some(n),
                (Some(Some(old)), Some(n)) => {
                    let mut all = old.clone();
                    all.extend(n);
                    all.sort();
                    all.dedup();
                    if all.len() == old.len() {
                        continue;
                    }
                    Some(all)
                }
            };
            requested.insert(fid, merged.clone());
            wanted.push((fid, merged));
        }
        if wanted.is_empty() {
            break;
        }
        crate::timing::mark("second pass: files wanted");
        let words = prefilter.import_words();
        let reparsed: Vec<(FileId, FileFacts)> = crate::pool().install(|| {
            wanted
                .par_iter()
                .filter_map(|(fid, names)| {
                    let entry = &files[*fid as usize];
                    let names: Option<Vec<&str>> = names.as_ref().map(|n| n.iter().map(String::as_str).collect());
                    let first = scans.get(*fid as usize).and_then(Option::as_ref);
                    let facts = model.file(*fid);
                    let first_parsed_partly = facts.parsed && facts.partial;
                    again_facts(entry, names.as_deref(), words, opts, first, first_parsed_partly)
                        // Facts a round already has (its new names reach nothing a round before left out) change
                        // nothing: no rebuild of the graph and roles for them.
                        .filter(|f| f != facts)
                        .map(|f| (*fid, f))
                })
                .collect()
        });
        crate::timing::mark(&format!(
            "second pass: {} of {} files read again with new facts",
            reparsed.len(),
            wanted.len()
        ));
        if reparsed.is_empty() {
            break;
        }
        let changed: HashSet<FileId> = reparsed.iter().map(|(f, _)| *f).collect();
        model.replace(reparsed);
        crate::timing::mark("second pass: model");
        graph = graph.rebuild(&model, &changed);
        index.refresh(&model, &changed);
        crate::timing::mark("second pass: graph");
        assignment = roles::assign(&model, &graph, &index, findings);
        crate::timing::mark("second pass: roles");
    }
    debug_dump_facts(&model);
    annotate(&model, &graph, findings, &assignment);
    // Each added site is built from the model alone (its domain, plan, uses): in parallel, in order.
    let plans = plans_of(&model, &assignment.added, data);
    let added: Vec<Finding> = crate::pool()
        .install(|| assignment.added.par_iter().map(|s| new_finding(&model, &graph, s, data, &plans)).collect());
    findings.extend(added);
    crate::timing::mark("annotate and added sites");
    Project { model, graph }
}

/// `RETRY_AUDIT_DEBUG_FACTS=SUBSTRING` prints the facts of the files whose path contains it (to stderr, as
/// JSON): what the model saw of a file when a site is missed.
fn debug_dump_facts(model: &Model) {
    let Some(want) = std::env::var_os("RETRY_AUDIT_DEBUG_FACTS") else { return };
    let want = want.to_string_lossy();
    for f in model.files.iter().filter(|f| f.path.contains(want.as_ref())) {
        eprintln!("{}", serde_json::to_string_pretty(f).unwrap_or_default());
    }
}

/// Files to parse again: unparsed or partly parsed files that import machinery a wrapper or preset could be
/// built on (an engine, wrapper, decorator, config schema or breaker, or a module holding one), with the local
/// names those imports bind (the definitions that mention none of them are left out), and files whose
/// unparsed definitions the evidence reached (parsed whole: no names).
fn second_pass_files(model: &Model, graph: &Graph, a: &Assignment) -> BTreeMap<FileId, Option<Vec<String>>> {
    use crate::finding::Role;
    let builds_on =
        |r: Role| matches!(r, Role::Engine | Role::Wrapper | Role::Decorator | Role::ConfigSchema | Role::Breaker);
    let mut machinery: HashSet<Sym> = a
        .findings
        .iter()
        .filter_map(|(s, i)| Some((s.as_ref()?, i.as_ref()?)))
        .filter(|(_, i)| builds_on(i.role))
        .map(|(s, _)| *s)
        .collect();
    machinery.extend(a.added.iter().filter(|s| builds_on(s.info.role)).map(|s| s.sym));
    // Module-level instances of machinery (`RUNNER = Runner(max_attempts=4)`, `registry = BreakerRegistry()`):
    // code that imports one calls through it.
    let instance =
        |i: &SiteInfo| i.detail == "instance" && matches!(i.role, Role::Preset | Role::Breaker | Role::Decorator);
    machinery.extend(a.added.iter().filter(|s| matches!(s.sym, Sym::Assign(..)) && instance(&s.info)).map(|s| s.sym));
    // Delay and decision functions (not methods: a class is used where its methods are named): a function
    // returning one with arguments fixed is one too.
    let piece = |s: &Sym, i: &SiteInfo| {
        matches!(i.role, Role::Calculator | Role::Decision)
            && matches!(*s, Sym::Def(f, d) if model.file(f).defs[d as usize].class.is_none())
    };
    machinery.extend(a.added.iter().filter(|s| piece(&s.sym, &s.info)).map(|s| s.sym));
    machinery.extend(
        a.findings
            .iter()
            .filter_map(|(s, i)| Some((s.as_ref()?, i.as_ref()?)))
            .filter(|(s, i)| piece(s, i))
            .map(|(s, _)| *s),
    );
    // Preset factories: code that returns what one builds is a factory in turn.
    let factory = |i: &SiteInfo| i.detail == "factory" && i.role == Role::Preset;
    machinery.extend(a.added.iter().filter(|s| matches!(s.sym, Sym::Def(..)) && factory(&s.info)).map(|s| s.sym));
    // A class that holds retry methods among others (`JWTHandler` with one retrying fetch) is used as
    // machinery only where one of those methods is named: code that merely builds the class is not a wrapper.
    let mut methods: HashMap<Sym, Vec<String>> = HashMap::default();
    for s in &machinery {
        if let Sym::Def(file, d) = *s {
            let def = &model.file(file).defs[d as usize];
            if let Some(c) = def.class {
                methods.entry(Sym::Class(file, c)).or_default().push(def.name.clone());
            }
        }
    }
    // Per module holding machinery: what code that imports the module spells when it uses it.
    // (name, whether code spells it after the module: `module.name`, or alone: a method name).
    let mut machinery_names: HashMap<FileId, Vec<(String, bool)>> = HashMap::default();
    for s in &machinery {
        if matches!(s, Sym::Def(f, d) if model.file(*f).defs[*d as usize].class.is_some()) {
            continue; // reached through its class
        }
        let q = model.symbol_name(*s);
        let module = &model.file(s.file()).module;
        let rel = q.strip_prefix(module.as_str()).map(|r| r.trim_start_matches('.')).unwrap_or(&q);
        if let Some(top) = rel.split('.').next().filter(|t| !t.is_empty()) {
            let list = machinery_names.entry(s.file()).or_default();
            match methods.get(s) {
                Some(ms) => list.extend(ms.iter().map(|m| (m.clone(), false))),
                None => list.push((top.to_string(), true)),
            }
        }
    }
    for list in machinery_names.values_mut() {
        list.sort();
        list.dedup();
    }
    let mut out: BTreeMap<FileId, Option<Vec<String>>> = a.wants_parse.iter().map(|&f| (f, None)).collect();
    for e in &graph.imports {
        let f = model.file(e.file);
        if f.parsed && !f.partial {
            continue;
        }
        let local = &f.imports[e.import as usize].local;
        // What the file's code spells when it uses the machinery: the bound name, or `module.<name>`.
        let spelled: Vec<String> = match &e.to {
            Res::Sym(Sym::Module(m)) => machinery_names
                .get(m)
                .into_iter()
                .flatten()
                .map(|(n, dotted)| if *dotted { format!("{local}.{n}") } else { n.clone() })
                .collect(),
            Res::Sym(s) if machinery.contains(s) => match methods.get(s) {
                Some(ms) => ms.clone(),
                None => vec![local.clone()],
            },
            // A class holding machinery methods (`HTTPClient.request_with_retries`): its users name the method.
            Res::Sym(s) if methods.contains_key(s) => methods[s].clone(),
            _ => vec![],
        };
        if !spelled.is_empty() {
            // `None`: the file is wanted whole already.
            if let Some(names) = out.entry(e.file).or_insert_with(|| Some(vec![])) {
                names.extend(spelled);
            }
        }
    }
    // A partly parsed file holding machinery: its own other definitions may call it (`ApiClient._request`
    // returning `request_with_session(...)` beside it), or hand out its instances (`return [handler]`) or
    // build its decision and delay classes (`return [ConnectionErrorHandler()]`).
    let piece_classes = a
        .findings
        .iter()
        .filter_map(|(s, i)| Some((s.as_ref()?, i.as_ref()?)))
        .chain(a.added.iter().map(|s| (&s.sym, &s.info)))
        .filter(|(s, i)| matches!(s, Sym::Class(..)) && matches!(i.role, Role::Calculator | Role::Decision))
        .map(|(s, _)| s);
    for s in machinery.iter().chain(piece_classes) {
        let f = model.file(s.file());
        if !f.partial {
            continue;
        }
        let name = match *s {
            Sym::Def(file, d) => model.file(file).defs[d as usize].name.clone(),
            Sym::Class(file, c) => model.file(file).classes[c as usize].name.clone(),
            Sym::Assign(file, a) => model.file(file).assigns[a as usize].target.clone(),
            _ => continue,
        };
        if let Some(names) = out.entry(s.file()).or_insert_with(|| Some(vec![])) {
            names.push(name);
        }
    }
    out.retain(|&f, _| {
        let facts = model.file(f);
        !facts.parsed || facts.partial
    });
    out
}

/// Read and parse a file again (no prefilter; with `names`, only the top-level definitions that mention one
/// of them), for its facts alone: the first pass already has every finding the file can hold (the prefilters
/// are sound), the model needs what its definitions do. `first_parsed_partly`: the first pass parsed the
/// file with pieces blanked and has its facts. `None`: no new facts (unreadable, or nothing new to parse).
fn again_facts(
    entry: &FileEntry,
    names: Option<&[&str]>,
    words: &crate::parse::ImportWords,
    opts: &ScanOptions,
    first: Option<&FirstScan>,
    first_parsed_partly: bool,
) -> Option<FileFacts> {
    let (bytes, meta) = crate::read::read_regular(&entry.path, opts.max_file_size).ok()?;
    let src = crate::read::decode_vec(bytes).ok()?;
    let skipped = match names {
        Some(n) => {
            let reused = first.and_then(|f| f.of(&Stamp::of(&meta), &src.text));
            let same_file = reused.is_some();
            let (without, verdict) = match reused {
                Some((verdict, pieces)) => (crate::parse::pieces_without_in(&src.text, n, pieces), verdict),
                None => crate::parse::pieces_without_and_verdict(&src.text, n, words),
            };
            // A partly parsed file keeps what the first pass parsed: blank only what both passes leave out.
            match verdict {
                crate::parse::TokenVerdict::Parse(first) => {
                    let skipped = intersect(&first, &without);
                    // The names reach no piece the first pass left out: parsing the same text of the same file
                    // again would give the facts the first pass has (a third of the files of this pass).
                    if same_file && first_parsed_partly && skipped == first {
                        return None;
                    }
                    skipped
                }
                crate::parse::TokenVerdict::Skip => without,
            }
        }
        None => vec![],
    };
    let blanked = (!skipped.is_empty()).then(|| crate::parse::blank(&src.text, &skipped));
    let (module, skipped) = match blanked.as_deref().map(crate::parse::parse_module) {
        Some(Ok(m)) => (m, skipped),
        // The blanking cut a string or a bracket: parse the file whole.
        _ => (crate::parse::parse_module(&src.text).ok()?, vec![]),
    };
    let unanalysed = crate::parse::skipped_names(&src.text, &skipped);
    let ctx = crate::detect::context::FileContext::new(&entry.display, &entry.module, &src.text, &module);
    // The analyses the facts are read off, without the rules: the first pass has the file's findings.
    let functions = crate::detect::functions::analyse_all(&ctx);
    let classes = crate::detect::classes::analyse_all(&ctx, &functions);
    let mut facts = facts::extract(&ctx, &functions, &classes, facts::is_package_path(&entry.display), &unanalysed);
    // Blanked methods of a class leave the file partial too (a later pass may need them).
    facts.partial |= !skipped.is_empty();
    Some(facts)
}

/// The byte ranges inside both sorted lists of disjoint ranges.
fn intersect(a: &[std::ops::Range<usize>], b: &[std::ops::Range<usize>]) -> Vec<std::ops::Range<usize>> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if start < end {
            out.push(start..end);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn site_ref(model: &Model, s: Sym) -> SiteRef {
    SiteRef { symbol: model.symbol_name(s), path: model.file(s.file()).path.clone(), line: model.line(s) }
}

/// Call sites and importers of a definition.
fn uses(model: &Model, graph: &Graph, s: Sym) -> Vec<Use> {
    let mut out: Vec<Use> = Vec::new();
    for e in graph.callers(s) {
        let f = model.file(e.file);
        let call = &f.calls[e.call as usize];
        let symbol = call.owner.map(|d| model.symbol_name(Sym::Def(e.file, d))).unwrap_or_default();
        out.push(Use { path: f.path.clone(), line: call.line, via: "call", symbol });
    }
    for e in graph.importers(s) {
        let f = model.file(e.file);
        out.push(Use {
            path: f.path.clone(),
            line: f.imports[e.import as usize].line,
            via: "import",
            symbol: String::new(),
        });
    }
    out.sort();
    out.dedup();
    out
}

fn apply(model: &Model, graph: &Graph, f: &mut Finding, sym: Option<Sym>, info: &SiteInfo) {
    f.role = Some(info.role);
    f.role_detail = info.detail.to_string();
    for e in &info.evidence {
        if !f.evidence.contains(e) {
            f.evidence.push(e.clone());
        }
    }
    f.delegates_to.clear();
    for &t in &info.delegates_to {
        let r = site_ref(model, t);
        if !f.delegates_to.contains(&r) {
            f.delegates_to.push(r);
        }
    }
    if let Some(s) = sym {
        f.used_by = uses(model, graph, s);
    }
}

/// Each finding's role, evidence and uses (findings are independent of each other: in parallel).
fn annotate(model: &Model, graph: &Graph, findings: &mut [Finding], a: &Assignment) {
    crate::pool().install(|| {
        findings.par_iter_mut().zip(&a.findings).for_each(|(f, (sym, info))| {
            if let Some(info) = info {
                apply(model, graph, f, *sym, info);
            }
        })
    });
}

/// Params of a construction's keyword arguments (`RetryPolicy(max_attempts=5, base_delay=0.5)`).
fn params_of(model: &Model, s: Sym) -> Params {
    let mut p = Params::default();
    let keywords = match s {
        Sym::Assign(file, a) => match &model.file(file).assigns[a as usize].value {
            Value::Call { keywords, .. } => keywords.clone(),
            _ => vec![],
        },
        Sym::Def(file, d) => {
            let f = model.file(file);
            let def = &f.defs[d as usize];
            let deco = def.decorators.iter().find(|x| x.called && !x.keywords.is_empty()).map(|x| x.keywords.clone());
            deco.unwrap_or_else(|| {
                model
                    .calls_of(file, d)
                    .find(|c| c.returned)
                    .and_then(|c| {
                        f.assigns.iter().find(|a| a.line == c.line).and_then(|a| match &a.value {
                            Value::Call { keywords, .. } => Some(keywords.clone()),
                            _ => None,
                        })
                    })
                    .unwrap_or_default()
            })
        }
        Sym::Call(file, c) => model.file(file).calls[c as usize].keywords.clone(),
        _ => vec![],
    };
    for k in keywords {
        if let Literal::Number(n) = k.value {
            let kind = if n.fract() == 0.0 && n.abs() < 1e15 {
                ExprKind::Constant(Constant::Int(n as i64))
            } else {
                ExprKind::Constant(Constant::Float(n))
            };
            crate::detect::params::apply_binding(&mut p, &k.name, &Expr { span: Span::default(), kind });
        }
    }
    p
}

/// The plan status of each file holding an added site: the sites of a file share it, and matching a path
/// against the plan's entries was a third of building the sites.
fn plans_of(model: &Model, added: &[NewSite], data: &RuleData) -> HashMap<FileId, PlanRef> {
    let mut files: Vec<FileId> = added.iter().map(|s| s.file).collect();
    files.sort_unstable();
    files.dedup();
    crate::pool().install(|| {
        files
            .par_iter()
            .map(|&file| {
                let f = model.file(file);
                (file, classify::plan::status(&data.plan, &f.path, &f.module))
            })
            .collect()
    })
}

fn new_finding(
    model: &Model,
    graph: &Graph,
    s: &NewSite,
    data: &RuleData,
    plans: &HashMap<FileId, PlanRef>,
) -> Finding {
    let f = model.file(s.file);
    let (line, end_line, column, span, qualname) = match s.sym {
        Sym::Def(_, d) => {
            let def = &f.defs[d as usize];
            (def.line, def.end_line, def.column, def.span, def.qualname.clone())
        }
        Sym::Class(_, c) => {
            let c = &f.classes[c as usize];
            (c.line, c.end_line, c.column, c.span, c.qualname.clone())
        }
        Sym::Assign(_, a) => {
            let a = &f.assigns[a as usize];
            let symbol = model.symbol_name(s.sym);
            let q = symbol.strip_prefix(&f.module).map(|q| q.trim_start_matches('.').to_string()).unwrap_or(symbol);
            (a.line, a.end_line, a.column, a.span, q)
        }
        Sym::Call(_, c) => {
            let call = &f.calls[c as usize];
            let q = match call.owner {
                Some(d) => f.defs[d as usize].qualname.clone(),
                None => String::new(),
            };
            (call.line, call.line, 1, call.span, q)
        }
        Sym::Module(_) | Sym::Unanalysed(_) => (1, 1, 1, Span::default(), String::new()),
    };
    let rule = crate::detect::rules::code_of(s.kind);
    let symbol = model.symbol_name(s.sym);
    let operations: Vec<String> = match s.sym {
        Sym::Def(file, d) => model.calls_of(file, d).map(|c| c.callee.clone()).collect(),
        Sym::Assign(_, a) => match &f.assigns[a as usize].value {
            Value::Call { callee, .. } => vec![callee.clone()],
            _ => vec![],
        },
        Sym::Call(_, c) => vec![f.calls[c as usize].callee.clone()],
        _ => vec![],
    };
    let domain = classify::domain::classify(&data.domains, &f.path, &qualname, &operations);
    let plan = plans[&s.file].clone();
    // Sites of one kind and detail onto the same machinery are duplicates of each other.
    let mut shape: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [s.kind.as_str(), s.info.detail].into_iter().chain(s.info.delegates_to.iter().map(|_| "")) {
        for b in part.bytes() {
            shape = (shape ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    for t in &s.info.delegates_to {
        for b in model.symbol_name(*t).bytes() {
            shape = (shape ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    let mut out = Finding {
        rule,
        kind: s.kind,
        path: f.path.clone(),
        line,
        end_line,
        column,
        span,
        fingerprint: classify::fingerprint(rule, &f.path, &symbol, shape),
        symbol,
        domain,
        params: params_of(model, s.sym),
        plan,
        group: None,
        message: s.message.clone(),
        notes: s.info.evidence.iter().filter(|e| *e == "unbounded").cloned().collect(),
        fix: None,
        skipped_fix: None,
        shape,
        role: None,
        role_detail: String::new(),
        evidence: vec![],
        delegates_to: vec![],
        used_by: vec![],
    };
    apply(model, graph, &mut out, Some(s.sym), &s.info);
    out
}

#[cfg(test)]
mod tests {
    use super::{FirstScan, Stamp};
    use crate::parse::TokenVerdict;

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // a verdict is a list of blanked ranges, here one
    fn a_first_scan_is_reused_only_on_the_text_it_was_taken_of() {
        let stamp = Stamp { len: 12, modified: None };
        let mut scan = FirstScan::new(TokenVerdict::Parse(vec![4..12]), Some(vec![(0, false), (4, true)]));
        // Never stamped: never reused.
        assert!(scan.of(&stamp, "x = 1\ndef f(): pass\n").is_none());
        scan.stamp = Some(stamp.clone());
        let (verdict, pieces) = scan.of(&stamp, "x = 1\ndef f(): pass\n").expect("same file");
        assert_eq!(verdict, TokenVerdict::Parse(vec![4..12]));
        assert_eq!(pieces, Some(vec![(0, false), (4, true)]));
        // Another size or time, or offsets the text no longer has: scanned again.
        assert!(scan.of(&Stamp { len: 13, modified: None }, "x = 1\ndef f(): pass\n").is_none());
        assert!(scan.of(&stamp, "x = 1\n").is_none());
        assert!(scan.of(&stamp, "x =\u{e9}1\ndef f(): pass\n").is_none());
    }
}
