//! The call graph (every call site's resolved callee) and the import graph, with their reverses.

use super::{rsplit_dot_once, FileId, Model, Res, Sym};
use crate::facts::DefIdx;
use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// A call site whose callee resolved.
#[derive(Debug, Clone)]
pub struct CallEdge {
    pub file: FileId,
    /// Index into the file's `calls`.
    pub call: u32,
    /// The function called, the class constructed (its `__init__` is not separate), or an external name.
    pub to: Res,
}

/// An import whose target resolved.
#[derive(Debug, Clone)]
pub struct ImportEdge {
    pub file: FileId,
    /// Index into the file's `imports`.
    pub import: u32,
    pub to: Res,
}

pub struct Graph {
    pub calls: Vec<CallEdge>,
    pub imports: Vec<ImportEdge>,
    /// Symbol -> indices into `calls` of the sites that call it.
    callers: HashMap<Sym, Vec<u32>>,
    /// Symbol -> indices into `imports` of the imports that name it.
    importers: HashMap<Sym, Vec<u32>>,
    /// Per file, per def (module level: the slot after the last def) -> indices into `calls` of the calls it
    /// makes.
    outgoing: Vec<Vec<Vec<u32>>>,
    /// Per file, per call site -> index into `calls` (`u32::MAX`: the callee did not resolve).
    sites: Vec<Vec<u32>>,
    /// Assignment -> (file, index into the file's `reads`) of the functions and class bodies that read it.
    readers: HashMap<Sym, Vec<(FileId, u32)>>,
    /// Per file: its range of `calls`, of `imports`, and its resolved reads (for `rebuild`).
    file_calls: Vec<std::ops::Range<usize>>,
    file_imports: Vec<std::ops::Range<usize>>,
    file_reads: Vec<Vec<(Sym, u32)>>,
}

/// What one file's code resolves to: its call edges, import edges and reads of constants.
type FileEdges = (Vec<CallEdge>, Vec<ImportEdge>, Vec<(Sym, u32)>);

impl Graph {
    pub fn build(model: &Model) -> Graph {
        let per_file: Vec<FileEdges> = crate::pool()
            .install(|| (0..model.files.len() as FileId).into_par_iter().map(|file| file_edges(model, file)).collect());
        Graph::assemble(model, per_file)
    }

    /// The graph after `changed` files got new facts: those files, and every file whose edges lead into one of
    /// them (an import of it, a call or read resolved into it), are resolved again; the rest is kept.
    pub fn rebuild(self, model: &Model, changed: &HashSet<FileId>) -> Graph {
        let touches = |file: FileId| -> bool {
            if changed.contains(&file) {
                return true;
            }
            let into = |r: &Res| match r {
                Res::Sym(s) => changed.contains(&s.file()),
                Res::Instance(f, _) => changed.contains(f),
                Res::External(_) => false,
            };
            let f = model.file(file);
            let calls = &self.calls[self.file_calls[file as usize].clone()];
            let imports = &self.imports[self.file_imports[file as usize].clone()];
            calls.iter().any(|e| into(&e.to))
                || imports.iter().any(|e| into(&e.to))
                || self.file_reads[file as usize].iter().any(|(s, _)| changed.contains(&s.file()))
                || f.imports.iter().any(|i| {
                    let module = if i.from { rsplit_dot_once(&i.target).map_or("", |(m, _)| m) } else { &i.target };
                    model.module(module).is_some_and(|m| changed.contains(&m))
                })
        };
        let touched: Vec<bool> =
            crate::pool().install(|| (0..model.files.len() as FileId).into_par_iter().map(touches).collect());
        let kept = self.take_untouched(&touched);
        let per_file: Vec<FileEdges> = crate::pool().install(|| {
            kept.into_par_iter()
                .enumerate()
                .map(|(file, k)| k.unwrap_or_else(|| file_edges(model, file as FileId)))
                .collect()
        });
        Graph::assemble(model, per_file)
    }

    /// The edges of each file not `touched`, moved out of the graph (copying them, with the names outside the
    /// tree they hold, was the most of a rebuild after a round that changed few files); `None` for the others.
    fn take_untouched(self, touched: &[bool]) -> Vec<Option<FileEdges>> {
        let Graph {
            calls,
            imports,
            file_calls,
            file_imports,
            file_reads,
            callers,
            importers,
            outgoing,
            sites,
            readers,
        } = self;
        let (mut calls, mut imports) = (calls.into_iter(), imports.into_iter());
        let (mut kept, mut stale) = (Vec::with_capacity(touched.len()), Vec::new());
        for (((&touched, call_range), import_range), reads) in
            touched.iter().zip(file_calls).zip(file_imports).zip(file_reads)
        {
            let file_calls: Vec<CallEdge> = calls.by_ref().take(call_range.len()).collect();
            let file_imports: Vec<ImportEdge> = imports.by_ref().take(import_range.len()).collect();
            let edges = (file_calls, file_imports, reads);
            if touched {
                stale.push(edges);
                kept.push(None);
            } else {
                kept.push(Some(edges));
            }
        }
        // What is resolved again, and the indexes, are freed by the pool's threads, idle while the roles are
        // assigned again.
        crate::pool().spawn(move || drop((stale, callers, importers, outgoing, sites, readers)));
        kept
    }

    fn assemble(model: &Model, per_file: Vec<FileEdges>) -> Graph {
        // Each file's own tables (its sites, and the calls of each of its functions) in parallel: a file's call
        // edges get the indices after every earlier file's.
        let mut first_call = Vec::with_capacity(per_file.len());
        let mut n = 0usize;
        for (calls, _, _) in &per_file {
            first_call.push(n);
            n += calls.len();
        }
        let (outgoing, sites): (Vec<Vec<Vec<u32>>>, Vec<Vec<u32>>) = crate::pool().install(|| {
            per_file
                .par_iter()
                .zip(&first_call)
                .enumerate()
                .map(|(file, ((calls, _, _), &first))| {
                    let f = model.file(file as FileId);
                    let mut outgoing = vec![Vec::new(); f.defs.len() + 1];
                    let mut sites = vec![u32::MAX; f.calls.len()];
                    for (k, e) in calls.iter().enumerate() {
                        let i = (first + k) as u32;
                        let owner = f.calls[e.call as usize].owner.map_or(f.defs.len(), |d| d as usize);
                        if let Some(o) = outgoing.get_mut(owner) {
                            o.push(i);
                        }
                        sites[e.call as usize] = i;
                    }
                    (outgoing, sites)
                })
                .unzip()
        });
        let mut g = Graph {
            calls: Vec::with_capacity(n),
            imports: Vec::new(),
            callers: HashMap::default(),
            importers: HashMap::default(),
            outgoing,
            sites,
            readers: HashMap::default(),
            file_calls: Vec::with_capacity(per_file.len()),
            file_imports: Vec::with_capacity(per_file.len()),
            file_reads: Vec::with_capacity(per_file.len()),
        };
        for (calls, imports, reads) in per_file {
            g.file_reads.push(reads);
            let first = g.calls.len();
            g.calls.extend(calls);
            g.file_calls.push(first..g.calls.len());
            let first = g.imports.len();
            g.imports.extend(imports);
            g.file_imports.push(first..g.imports.len());
        }
        // The three indexes are built at once, each from its own list in the order of that list (this is in the
        // serial part of a scan, twice).
        let by_target = |targets: &mut dyn Iterator<Item = &Res>| {
            let mut map: HashMap<Sym, Vec<u32>> = HashMap::default();
            for (i, to) in targets.enumerate() {
                if let Res::Sym(s) = to {
                    map.entry(*s).or_default().push(i as u32);
                }
            }
            map
        };
        let ((callers, importers), readers) = crate::pool().install(|| {
            rayon::join(
                || {
                    rayon::join(
                        || by_target(&mut g.calls.iter().map(|e| &e.to)),
                        || by_target(&mut g.imports.iter().map(|e| &e.to)),
                    )
                },
                || {
                    let mut readers: HashMap<Sym, Vec<(FileId, u32)>> = HashMap::default();
                    for (file, reads) in g.file_reads.iter().enumerate() {
                        for &(s, ri) in reads {
                            readers.entry(s).or_default().push((file as FileId, ri));
                        }
                    }
                    readers
                },
            )
        });
        (g.callers, g.importers, g.readers) = (callers, importers, readers);
        g
    }

    /// Reads of a constant: (file, index into the file's `reads`).
    pub fn readers(&self, s: Sym) -> impl Iterator<Item = &(FileId, u32)> {
        self.readers.get(&s).into_iter().flatten()
    }

    /// Call sites that call `s`.
    pub fn callers(&self, s: Sym) -> impl Iterator<Item = &CallEdge> {
        self.callers.get(&s).into_iter().flatten().map(|&i| &self.calls[i as usize])
    }

    /// Imports that name `s`.
    pub fn importers(&self, s: Sym) -> impl Iterator<Item = &ImportEdge> {
        self.importers.get(&s).into_iter().flatten().map(|&i| &self.imports[i as usize])
    }

    /// Resolved calls made by a function's own body.
    pub fn calls_from(&self, file: FileId, def: DefIdx) -> impl Iterator<Item = &CallEdge> {
        let per_def = self.outgoing.get(file as usize);
        // Module level is the slot after the last def; a def index past it has no calls.
        let slot = per_def.and_then(|p| if def == u32::MAX { p.last() } else { p[..p.len() - 1].get(def as usize) });
        slot.into_iter().flatten().map(|&i| &self.calls[i as usize])
    }

    /// Resolved calls made at module or class level of a file.
    pub fn module_calls(&self, file: FileId) -> impl Iterator<Item = &CallEdge> {
        self.calls_from(file, u32::MAX)
    }

    /// The resolved callee of one call site.
    pub fn callee_of(&self, file: FileId, call: u32) -> Option<&Res> {
        let i = *self.sites.get(file as usize)?.get(call as usize)?;
        (i != u32::MAX).then(|| &self.calls[i as usize].to)
    }
}

/// Resolve one file's calls, imports and reads.
fn file_edges(model: &Model, file: FileId) -> FileEdges {
    let f = model.file(file);
    let calls = (0..f.calls.len() as u32)
        .filter_map(|call| {
            let to = model.callee(file, call)?;
            // Calling an instance runs its `__call__`.
            let to = match to {
                Res::Instance(cf, cc) => match model.method(cf, cc, "__call__") {
                    Some((mf, m)) => Res::Sym(Sym::Def(mf, m)),
                    None => return None,
                },
                other => other,
            };
            Some(CallEdge { file, call, to })
        })
        .collect();
    let imports = f
        .imports
        .iter()
        .enumerate()
        .filter(|(_, i)| !i.star)
        .filter_map(|(ii, imp)| {
            let to = if imp.from {
                let (m, n) = rsplit_dot_once(&imp.target)?;
                model.export(m, n)?
            } else {
                match model.module(&imp.target) {
                    Some(mf) => Res::Sym(Sym::Module(mf)),
                    None => Res::External(imp.target.clone()),
                }
            };
            Some(ImportEdge { file, import: ii as u32, to })
        })
        .collect();
    let reads = f
        .reads
        .iter()
        .enumerate()
        .filter_map(|(ri, r)| {
            let class = r.class.or_else(|| r.owner.and_then(|d| model.enclosing_class(file, d)));
            match model.resolve_in(file, r.owner, class, &r.name)? {
                Res::Sym(s @ Sym::Assign(..)) => Some((s, ri as u32)),
                _ => None,
            }
        })
        .collect();
    (calls, imports, reads)
}
