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
use crate::finding::{Finding, Params, SiteRef, Use};
use crate::model::roles::{self, Assignment, NewSite, SiteInfo};
use crate::model::{FileId, Graph, Model, Res, Sym};
use crate::syntax::{Constant, Expr, ExprKind, Span};
use crate::walk::FileEntry;
use crate::ScanOptions;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};

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

/// Place every finding on the model of the tree and add the sites it shows. `facts[i]` belongs to `files[i]`.
pub fn project_pass(
    files: &[FileEntry],
    facts: Vec<Option<FileFacts>>,
    findings: &mut Vec<Finding>,
    opts: &ScanOptions,
    data: &RuleData,
) -> Project {
    let mut all: Vec<FileFacts> =
        files.iter().zip(facts).map(|(e, f)| f.unwrap_or_else(|| FileFacts::empty(&e.display, &e.module))).collect();
    let mut model = Model::new(std::mem::take(&mut all));
    let mut graph = Graph::build(&model);
    let mut assignment = roles::assign(&model, &graph, findings);
    let wanted = second_pass_files(&model, &graph, &assignment);
    if !wanted.is_empty() {
        let reparsed: Vec<(FileId, FileFacts)> = crate::pool().install(|| {
            wanted
                .par_iter()
                .filter_map(|&fid| {
                    let entry = &files[fid as usize];
                    whole_facts(entry, opts, data).map(|f| (fid, f))
                })
                .collect()
        });
        if !reparsed.is_empty() {
            let mut all = model.files;
            for (fid, f) in reparsed {
                all[fid as usize] = f;
            }
            model = Model::new(all);
            graph = Graph::build(&model);
            assignment = roles::assign(&model, &graph, findings);
        }
    }
    annotate(&model, &graph, findings, &assignment);
    let added: Vec<Finding> = assignment.added.iter().map(|s| new_finding(&model, &graph, s, data)).collect();
    findings.extend(added);
    Project { model, graph }
}

/// Files to parse whole: unparsed or partly parsed files that import something holding a site, and files
/// whose unparsed definitions the evidence reached.
fn second_pass_files(model: &Model, graph: &Graph, a: &Assignment) -> BTreeSet<FileId> {
    let mut site_syms: HashSet<Sym> = a.findings.iter().filter(|(_, i)| i.is_some()).filter_map(|(s, _)| *s).collect();
    site_syms.extend(a.added.iter().map(|s| s.sym));
    let site_files: HashSet<FileId> = site_syms.iter().map(|s| s.file()).collect();
    let mut out: BTreeSet<FileId> = a.wants_parse.iter().copied().collect();
    for e in &graph.imports {
        let f = model.file(e.file);
        if f.parsed && !f.partial {
            continue;
        }
        let hit = match &e.to {
            Res::Sym(Sym::Module(m)) => site_files.contains(m),
            Res::Sym(s) => site_syms.contains(s) || site_files.contains(&s.file()),
            _ => false,
        };
        if hit {
            out.insert(e.file);
        }
    }
    out.retain(|&f| {
        let facts = model.file(f);
        !facts.parsed || facts.partial
    });
    out
}

/// Read and parse a file whole (no prefilter), for its facts alone: the first pass already has every finding
/// the file can hold (the prefilters are sound), the model needs what its definitions do.
fn whole_facts(entry: &FileEntry, opts: &ScanOptions, data: &RuleData) -> Option<FileFacts> {
    let (bytes, _) = crate::read::read_regular(&entry.path, opts.max_file_size).ok()?;
    let src = crate::read::decode(&bytes).ok()?;
    let module = crate::parse::parse_module(&src.text).ok()?;
    let ctx = crate::detect::context::FileContext::new(&entry.display, &entry.module, &src.text, &module);
    let d = crate::detect::detect_all(&ctx, data);
    Some(facts::extract(&ctx, &d.functions, &d.classes, facts::is_package_path(&entry.display), &[]))
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
        out.push(Use { path: f.path.clone(), line: f.imports[e.import as usize].line, via: "import", symbol: String::new() });
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
    f.delegates_to = info.delegates_to.iter().map(|&t| site_ref(model, t)).collect();
    if let Some(s) = sym {
        f.used_by = uses(model, graph, s);
    }
}

fn annotate(model: &Model, graph: &Graph, findings: &mut [Finding], a: &Assignment) {
    for (f, (sym, info)) in findings.iter_mut().zip(&a.findings) {
        if let Some(info) = info {
            apply(model, graph, f, *sym, info);
        }
    }
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
                f.calls
                    .iter()
                    .find(|c| c.owner == Some(d) && c.returned)
                    .and_then(|c| {
                        f.assigns.iter().find(|a| a.line == c.line).and_then(|a| match &a.value {
                            Value::Call { keywords, .. } => Some(keywords.clone()),
                            _ => None,
                        })
                    })
                    .unwrap_or_default()
            })
        }
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

fn new_finding(model: &Model, graph: &Graph, s: &NewSite, data: &RuleData) -> Finding {
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
        Sym::Module(_) | Sym::Unanalysed(_) => (1, 1, 1, Span::default(), String::new()),
    };
    let rule = crate::detect::rules::code_of(s.kind);
    let symbol = model.symbol_name(s.sym);
    let operations: Vec<String> = match s.sym {
        Sym::Def(_, d) => f.calls.iter().filter(|c| c.owner == Some(d)).map(|c| c.callee.clone()).collect(),
        Sym::Assign(_, a) => match &f.assigns[a as usize].value {
            Value::Call { callee, .. } => vec![callee.clone()],
            _ => vec![],
        },
        _ => vec![],
    };
    let domain = classify::domain::classify(&data.domains, &f.path, &qualname, &operations);
    let plan = classify::plan::status(&data.plan, &f.path, &f.module);
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
