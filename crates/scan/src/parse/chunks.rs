//! Partial parsing: which definitions of a file the parser may skip.
//!
//! The token prefilter (`tokens/mod.rs`) cuts a file into pieces: every top-level statement is one (a `def` or
//! `class` with its decorators, or any other statement), except that a top-level class is cut further into
//! its members: each method (with its decorators) is a piece, and so is every other statement of the class
//! body (the first of them carries the `class` line). For each piece the scanner records the facts of
//! `tokens/mod.rs`, the calls it makes (`f(...)`, `self.m(...)`, `cls.m(...)`) and the functions it defines.
//!
//! A piece whose facts meet a condition of `tokens/mod.rs` (1-3) is a *seed*; a function outside the seeds holds
//! no finding of its own. The rest of the file matters only through what the seeds reach, so the kept pieces
//! are the seeds, closed under these rules:
//!
//! - forward: a kept piece calls a name, so every piece defining a function of that name is kept
//!   (`FileContext::callees` resolves calls by name only: plain calls to functions outside classes, `self.`/
//!   `cls.` calls to methods of any class; this covers helpers up to two calls away, mutual recursion, and a
//!   decorator factory's delegate);
//! - backward: a piece with a nested function that calls a function of a kept piece is kept (a decorator
//!   factory whose wrapper delegates to a same-file retry function is reported through the factory);
//! - classes: a kept method keeps its class's `class` line, its other non-method statements and `__init__`
//!   (`params` resolves `self.x` bounds there). A class whose pieces together meet a class condition of
//!   `tokens/mod.rs` (2., 3.), or whose name lets a retrying method make it a retry class
//!   (`classes::classify`'s `runs_retries`), is kept or skipped whole, so class roles and class shapes
//!   (fingerprints) see every member.
//!
//! Other top-level statements are always kept (module constants for bounds, imports for aliases); the calls
//! they make are followed only when they contain a definition (a function inside `if`/`try`). Skipped pieces
//! are blanked (each line becomes a comment of the same length), so the offsets and line numbers of the rest are
//! unchanged and the parser only passes comment lines. Files where condition 4 holds (library or plan imports)
//! are always parsed whole: the codemods attached to those findings count names over the whole module.

// Fx, not SipHash: only looked up, never iterated.
use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece {
    /// A top-level statement other than a definition: always kept.
    Other,
    /// A top-level `def` (with decorators).
    Def,
    /// A statement of a top-level class body other than a method; the first one carries the `class` line.
    ClassPart,
    /// A method of a top-level class (with decorators).
    Method,
    /// The class's `__init__`.
    Init,
}

/// How a call or a definition is named: `f(...)` reaches functions outside classes, `self.m(...)` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Plain,
    Method,
    /// A call inside an f-string field, whose owner is not tracked: both.
    Either,
}

#[derive(Debug, Clone)]
pub(super) struct Chunk {
    /// Offset of the first physical line.
    pub start: usize,
    pub piece: Piece,
    /// Index of the top-level class this piece belongs to.
    pub class: Option<usize>,
    /// Its own tokens meet a prefilter condition.
    pub seed: bool,
    /// Contains a `def` or `class` at any depth.
    pub has_def: bool,
    /// Contains a `def` inside a `def` (a possible decorator factory).
    pub nested_def: bool,
    /// Calls made in it, as indices into the scanner's call list.
    pub calls: Range<usize>,
    /// Functions defined in it, as indices into the scanner's definition list.
    pub defines: Range<usize>,
}

impl Chunk {
    pub fn new(start: usize, calls: usize, defines: usize) -> Chunk {
        Chunk {
            start,
            piece: Piece::Other,
            class: None,
            seed: false,
            has_def: false,
            nested_def: false,
            calls: calls..calls,
            defines: defines..defines,
        }
    }
}

/// A call's name as byte range in the source, and how it is called.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call {
    pub start: u32,
    pub end: u32,
    pub scope: Scope,
}

/// Byte ranges of the pieces the parser may skip, in order. `whole[c]`: class `c` is kept or skipped whole.
pub(super) fn skippable(
    src: &str,
    chunks: &[Chunk],
    calls: &[Call],
    defines: &[(&str, Scope)],
    whole: &[bool],
) -> Vec<Range<usize>> {
    let mut kept: Vec<bool> = chunks.iter().map(|c| c.piece == Piece::Other).collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); whole.len()];
    for (k, c) in chunks.iter().enumerate() {
        if let Some(g) = c.class {
            members[g].push(k);
        }
    }
    let mut plain: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut methods: HashMap<&str, Vec<usize>> = HashMap::default();
    for (k, c) in chunks.iter().enumerate() {
        for &(name, scope) in &defines[c.defines.clone()] {
            let map = if scope == Scope::Method { &mut methods } else { &mut plain };
            map.entry(name).or_default().push(k);
        }
    }
    let definers = |call: &Call| {
        let name = &src[call.start as usize..call.end as usize];
        let get = |m: &HashMap<&str, Vec<usize>>| m.get(name).map(Vec::as_slice).unwrap_or(&[]).to_vec();
        match call.scope {
            Scope::Plain => get(&plain),
            Scope::Method => get(&methods),
            Scope::Either => [get(&plain), get(&methods)].concat(),
        }
    };
    let mut work: Vec<usize> = (0..chunks.len()).filter(|&k| kept[k] && chunks[k].has_def).collect();
    let keep = |k: usize, kept: &mut Vec<bool>, work: &mut Vec<usize>| {
        if !kept[k] {
            kept[k] = true;
            work.push(k);
        }
    };
    for k in (0..chunks.len()).filter(|&k| chunks[k].seed) {
        keep(k, &mut kept, &mut work);
    }
    loop {
        while let Some(k) = work.pop() {
            if let Some(g) = chunks[k].class {
                for &m in &members[g] {
                    if whole[g] || matches!(chunks[m].piece, Piece::ClassPart | Piece::Init) {
                        keep(m, &mut kept, &mut work);
                    }
                }
            }
            for call in &calls[chunks[k].calls.clone()] {
                for d in definers(call) {
                    keep(d, &mut kept, &mut work);
                }
            }
        }
        for k in 0..chunks.len() {
            let c = &chunks[k];
            if !kept[k]
                && c.nested_def
                && calls[c.calls.clone()].iter().any(|call| definers(call).iter().any(|&d| kept[d]))
            {
                keep(k, &mut kept, &mut work);
            }
        }
        if work.is_empty() {
            break;
        }
    }
    // A kept class needs a body: when none of its members beyond the `class` line is kept, keep them all.
    for m in &members {
        if m.first().is_some_and(|&f| kept[f]) && m[1..].iter().all(|&k| !kept[k]) {
            for &k in m {
                kept[k] = true;
            }
        }
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    for (k, c) in chunks.iter().enumerate() {
        if kept[k] {
            continue;
        }
        let end = chunks.get(k + 1).map_or(src.len(), |n| n.start);
        match out.last_mut() {
            Some(last) if last.end == c.start => last.end = end,
            _ => out.push(c.start..end),
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// `src` with the lines of `skipped` blanked: each becomes a comment of the same length (`#` and spaces; line
/// ends kept), which the lexer passes with one `memchr`. Ranges start at line starts and end at line starts or
/// the end, so no character is cut and the result is valid UTF-8.
pub fn blank(src: &str, skipped: &[Range<usize>]) -> String {
    let mut bytes = src.as_bytes().to_vec();
    for r in skipped {
        // Line by line: `#`, then spaces up to the line end (a fill, not a test per byte).
        let mut at = r.start;
        while at < r.end {
            let end = memchr::memchr2(b'\n', b'\r', &bytes[at..r.end]).map_or(r.end, |k| at + k);
            if end > at {
                bytes[at] = b'#';
                bytes[at + 1..end].fill(b' ');
            }
            at = end + 1;
        }
    }
    String::from_utf8(bytes).expect("blanking whole lines keeps UTF-8 valid")
}

/// Top-level statement starts read off lines (when the token scanner did not understand the file).
fn line_starts(src: &str) -> Vec<(usize, bool)> {
    let b = src.as_bytes();
    let mut starts: Vec<(usize, bool)> = Vec::new();
    let mut at = 0usize;
    while at < b.len() {
        let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i + 1);
        match b[at] {
            b' ' | b'\t' | b'\n' | b'\r' | b'#' | b')' | b']' | b'}' | b'\x0c' => {}
            _ => {
                let line = &src[at..end];
                let def = line.starts_with("def ") || line.starts_with("async def ") || line.starts_with("class ");
                let deco = line.starts_with('@');
                // A decorator starts the piece of the definition it decorates.
                if !(starts.last().is_some_and(|&(s, d)| d && src[s..].starts_with('@'))) || !(def || deco) {
                    starts.push((at, def || deco));
                }
            }
        }
        at = end;
    }
    starts
}

/// Functions longer than this are left out of `pieces_without`'s pass.
const MAX_WRAPPER_LINES: usize = 60;

/// Byte ranges of the top-level definitions (a `def`, `async def` or `class` at column 0, with its decorators,
/// to the next statement at column 0) whose text mentions none of `names` (as whole identifiers or dotted
/// spellings; a module-level assignment that mentions one adds its target): what a pass that only needs the
/// definitions using those names may blank. Read off lines, not tokens: a range that
/// cuts a string makes the blanked text fail to parse, and the caller then parses the file whole.
pub fn pieces_without(src: &str, names: &[&str], starts: Option<Vec<(usize, bool)>>) -> Vec<Range<usize>> {
    let b = src.as_bytes();
    let starts = starts.unwrap_or_else(|| line_starts(src));
    // One searcher per name, built once: every piece is searched for every name, and building the searcher
    // for each (`memmem::find_iter`) cost more than the searches.
    let mentions_any = |text: &str, finders: &[memchr::memmem::Finder<'static>]| {
        finders.iter().any(|f| {
            let n = f.needle().len();
            f.find_iter(text.as_bytes()).any(|i| {
                let before = text.as_bytes()[..i].last().copied();
                let after = text.as_bytes().get(i + n).copied();
                let ident = |c: Option<u8>| c.is_some_and(|c| c == b'_' || c.is_ascii_alphanumeric());
                !ident(before) && !ident(after)
            })
        })
    };
    let finder = |n: &str| memchr::memmem::Finder::new(n.as_bytes()).into_owned();
    // Module-level names bound from a mention (`_h = Handler(...)`) are mentions too.
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut finders: Vec<memchr::memmem::Finder<'static>> = names.iter().map(|n| finder(n)).collect();
    for (k, &(start, is_def)) in starts.iter().enumerate() {
        if is_def {
            continue;
        }
        let end = starts.get(k + 1).map_or(b.len(), |&(s, _)| s);
        let text = &src[start..end];
        let target: String = text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let rest = text[target.len()..].trim_start();
        let assigns = !target.is_empty() && (rest.starts_with('=') && !rest.starts_with("==") || rest.starts_with(':'));
        if assigns && mentions_any(text, &finders) && !names.contains(&target) {
            finders.push(finder(&target));
            names.push(target);
        }
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    for (k, &(start, is_def)) in starts.iter().enumerate() {
        if !is_def {
            continue;
        }
        let end = starts.get(k + 1).map_or(b.len(), |&(s, _)| s);
        let text = &src[start..end];
        // A long function is not a wrapper, factory or preset (those are a few statements): what the pass
        // looks for is never in it, whatever it mentions.
        let class = text.starts_with("class ") || text.contains("\nclass ");
        let long = !class && memchr::memchr_iter(b'\n', text.as_bytes()).count() > MAX_WRAPPER_LINES;
        if long || !mentions_any(text, &finders) {
            match out.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => out.push(start..end),
            }
        }
    }
    out
}
