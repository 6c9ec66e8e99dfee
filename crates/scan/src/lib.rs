//! retry-audit's scanner: walk -> read (decode) -> parse -> detect -> classify.
//!
//! `scan` runs the whole pipeline over paths in parallel and returns findings sorted by path and line,
//! diagnostics for every input problem, duplicate groups and plan metrics. `analyse_source` is the
//! per-file core, also used by `migrate` to re-analyse rewritten text.

pub mod analysis;
pub mod baseline;
pub mod classify;
pub mod data;
pub mod definitions;
pub mod deletion;
pub mod detect;
pub mod diagnostic;
pub mod drift;
pub mod facts;
pub mod finding;
pub mod fixes;
pub mod metrics;
pub mod model;
pub mod modules;
pub mod parse;
pub mod prefilter;
pub mod project;
pub mod read;
pub mod source_roots;
pub mod suppress;
pub mod syntax;
pub mod system;
pub mod timing;
pub mod walk;

use diagnostic::{Diagnostic, DiagnosticKind};
use finding::Finding;
use rayon::prelude::*;
use std::path::PathBuf;

pub use data::RuleData;

pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub walk: walk::WalkOptions,
    pub max_file_size: u64,
    /// Counts the files whose analysis has finished, for a progress display (none by default).
    pub files_done: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
    /// Work out which legacy modules nothing imports any more (`ScanResult::deletion`; `deletion`), when the
    /// plan lists any: every file's imports are kept for it, those of files the byte prefilter leaves out
    /// included. Off by default (`inventory` and `migrate --delete-unused` turn it on).
    pub deletion: bool,
    /// The prefilter of the rule data the scan is given, built beforehand (while the tree is walked, on the
    /// other core: it is a few milliseconds of automaton); `None`: built by the scan.
    pub prefilter: Option<std::sync::Arc<prefilter::Prefilter>>,
    /// Called once the per-file pass is over, before the project pass: the binary tells its allocator to give
    /// the workers' freed parse trees back to the system (the scan does not know which allocator it runs on).
    pub after_first_pass: Option<fn()>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            walk: walk::WalkOptions::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            files_done: None,
            deletion: false,
            prefilter: None,
            after_first_pass: None,
        }
    }
}

/// The outcome of analysing one file.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub parsed: bool,
    /// Imports that already point at the canonical module (for the SSOT import metric).
    pub canonical_imports: usize,
    /// `# retry-audit: ignore[...]` comments in the file (see `suppress`).
    pub suppressions: Vec<suppress::Suppression>,
    /// What the project model needs of the file (`None`: nothing in it was read as code).
    pub facts: Option<facts::FileFacts>,
    /// The token scan of a file that was not parsed whole, for the project pass's second look at it.
    pub first_scan: Option<analysis::FirstScan>,
    /// The file's tree facts, when the scan builds the tree (`scan_files_tree`); `None`: not in the tree.
    pub tree: Option<project::ModuleInfo>,
    /// What the deletion analysis needs of the file (`ScanOptions::deletion`).
    pub deletion: Option<deletion::FileInputs>,
    /// The decoded file, kept when its fixes depend on the tree (`scan_files_tree` detects them again once the
    /// tree is known).
    kept: Option<read::SourceFile>,
}

/// What a scan that builds the tree facts (`project::TreeInfo`, for `migrate`) asks of one file.
#[derive(Debug, Clone)]
pub struct TreeKey {
    /// The module the tree names the file by.
    pub module: String,
    pub is_package: bool,
    /// A plan target may name the module: its exports are read too (the file is parsed whole for them when
    /// the scan does not parse it whole).
    pub exports: bool,
    /// A test file: the names its string literals spell are read (`ModuleInfo::patch_targets`).
    pub test: bool,
}

#[derive(Debug, Default)]
pub struct ScanResult {
    pub files_scanned: usize,
    pub files_parsed: usize,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub groups: Vec<classify::groups::Group>,
    pub canonical_imports: usize,
    /// Suppression comments of every parsed file, sorted by path and line.
    pub suppressions: Vec<suppress::Suppression>,
    /// The project model the findings were placed on (for the commands that need what a name is).
    pub model: Option<std::sync::Arc<analysis::Project>>,
    /// The tree facts the fixes were computed with (`scan_files_tree`).
    pub tree: Option<std::sync::Arc<project::TreeInfo>>,
    /// Legacy modules nothing imports any more (`ScanOptions::deletion` with a plan that lists any).
    pub deletion: Option<deletion::Deletion>,
}

/// Analyse one file's bytes. Never panics outward: a panic in the analysis becomes an internal-error diagnostic.
pub fn analyse_bytes(
    display: &str,
    module: &str,
    bytes: &[u8],
    data: &RuleData,
    prefilter: Option<&prefilter::Prefilter>,
) -> FileOutcome {
    analyse_cow(display, module, std::borrow::Cow::Borrowed(bytes), data, prefilter, None)
}

/// `analyse_bytes` of bytes that may be handed over (the scan reads each file into a buffer it gives up, so the
/// decoded text needs no copy).
fn analyse_cow(
    display: &str,
    module: &str,
    bytes: std::borrow::Cow<'_, [u8]>,
    data: &RuleData,
    prefilter: Option<&prefilter::Prefilter>,
    tree: Option<&TreeKey>,
) -> FileOutcome {
    if let Some(p) = prefilter {
        if !p.may_match(&bytes) {
            // No finding is possible, but a file that is not readable source must still say so (a gate never
            // passes what it could not read), and its suppression comments are all unused, so still report them.
            if let Err((decode, e)) = read::check_source_bytes(&bytes) {
                let kind = if decode { DiagnosticKind::DecodeError } else { DiagnosticKind::ParseError };
                let diagnostic = Diagnostic { path: display.to_string(), line: e.line, kind, message: e.message };
                return FileOutcome { diagnostics: vec![diagnostic], ..Default::default() };
            }
            let suppressions = match memchr::memmem::find(&bytes, suppress::MARKER.as_bytes())
                .and_then(|_| read::decode(&bytes).ok())
            {
                Some(src) => suppress::collect(display, &src.text),
                None => vec![],
            };
            let tree = tree.and_then(|key| tree_facts(&read::decode(&bytes).ok()?.text, key, None));
            return FileOutcome { parsed: false, suppressions, tree, ..Default::default() };
        }
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyse_inner(display, module, bytes, data, prefilter, tree)
    }));
    match result {
        Ok(o) => o,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            FileOutcome {
                diagnostics: vec![Diagnostic {
                    path: display.to_string(),
                    line: 0,
                    kind: DiagnosticKind::InternalError,
                    message: format!("analysis panicked (please report): {msg}"),
                }],
                ..Default::default()
            }
        }
    }
}

/// The tree facts of a file: read off the syntax tree when the scan parsed the file whole, else its imports
/// read off the tokens (and the file parsed whole when they are not understood or its exports are wanted).
/// `None`: the file does not parse.
fn tree_facts(text: &str, key: &TreeKey, parsed_whole: Option<&syntax::Module>) -> Option<project::ModuleInfo> {
    let mut info = tree_facts_of_code(text, key, parsed_whole)?;
    if key.test {
        info.patch_targets = project::dotted_strings(text);
        info.patch_targets.extend(project::object_patches(text));
    }
    Some(info)
}

/// `tree_facts` but the patch targets.
fn tree_facts_of_code(text: &str, key: &TreeKey, parsed_whole: Option<&syntax::Module>) -> Option<project::ModuleInfo> {
    let with_definitions = |mut info: project::ModuleInfo, module: &syntax::Module| {
        if key.exports {
            info.definitions = project::definitions_of(&key.module, key.is_package, text, module);
        }
        info
    };
    if let Some(module) = parsed_whole {
        return Some(with_definitions(project::module_info(&key.module, key.is_package, module), module));
    }
    if !key.exports {
        if let Some(statements) = parse::import_statements(text) {
            let imports = project::imports_of(&key.module, key.is_package, &statements);
            return Some(project::ModuleInfo { imports, ..Default::default() });
        }
    }
    let module = parse::parse_module(text).ok()?;
    Some(with_definitions(project::module_info(&key.module, key.is_package, &module), &module))
}

/// Findings whose fix (or the reason there is none) depends on the tree facts.
fn fix_needs_tree(f: &Finding) -> bool {
    f.fix.is_some()
        || f.skipped_fix.is_some()
        || matches!(f.kind, finding::Kind::LegacyImport | finding::Kind::LegacyConfig)
}

fn analyse_inner(
    display: &str,
    module_name: &str,
    bytes: std::borrow::Cow<'_, [u8]>,
    data: &RuleData,
    prefilter: Option<&prefilter::Prefilter>,
    tree: Option<&TreeKey>,
) -> FileOutcome {
    match read::decode_vec(bytes.into_owned()) {
        Ok(src) => analyse_decoded(display, module_name, src, data, prefilter, tree),
        Err(e) => FileOutcome {
            diagnostics: vec![Diagnostic {
                path: display.into(),
                line: e.line,
                kind: DiagnosticKind::DecodeError,
                message: e.message,
            }],
            ..Default::default()
        },
    }
}

/// Analyse a decoded file (see `analyse_bytes`).
fn analyse_decoded(
    display: &str,
    module_name: &str,
    src: read::SourceFile,
    data: &RuleData,
    prefilter: Option<&prefilter::Prefilter>,
    tree: Option<&TreeKey>,
) -> FileOutcome {
    let mut out = FileOutcome::default();
    if let Some(line) = read::nul_line(src.text.as_bytes()) {
        out.diagnostics.push(Diagnostic {
            path: display.into(),
            line,
            kind: DiagnosticKind::ParseError,
            message: read::NUL_MESSAGE.into(),
        });
        return out;
    }
    // A module named for retrying or breaking circuits (`retryhandler`, `http_retry.state`,
    // `resilience.backoff`, `breakers`) is all pieces of the system: the model reads every definition of it
    // (token prefilter condition 5).
    let retry_module = detect::names::is_resilience_module(module_name);
    let skipped = match prefilter.filter(|_| !retry_module).map(|p| p.tokens_facts_pieces(&src.text)) {
        Some((parse::TokenVerdict::Skip, skipped_facts, pieces)) => {
            out.facts = Some(facts::FileFacts::from_skipped(display, module_name, &src.text, &skipped_facts));
            out.first_scan = Some(analysis::FirstScan::new(parse::TokenVerdict::Skip, pieces));
            out.tree = tree.and_then(|key| tree_facts(&src.text, key, None));
            return out;
        }
        Some((parse::TokenVerdict::Parse(skipped), _, pieces)) => {
            if !skipped.is_empty() {
                out.first_scan = Some(analysis::FirstScan::new(parse::TokenVerdict::Parse(skipped.clone()), pieces));
            }
            skipped
        }
        None => vec![],
    };
    // Blanked definitions keep every offset, so spans index `src.text` as they would the parsed text.
    let blanked = (!skipped.is_empty()).then(|| parse::blank(&src.text, &skipped));
    let module = match parse::parse_module(blanked.as_deref().unwrap_or(&src.text)) {
        Ok(m) => m,
        Err(e) => {
            out.diagnostics.push(Diagnostic {
                path: display.into(),
                line: src.lines().line(e.offset),
                kind: if e.too_deep { DiagnosticKind::TooDeep } else { DiagnosticKind::ParseError },
                message: e.message,
            });
            return out;
        }
    };
    out.parsed = true;
    out.tree = tree.and_then(|key| tree_facts(&src.text, key, skipped.is_empty().then_some(&module)));
    out.suppressions = suppress::collect(display, &src.text);
    let ctx = detect::context::FileContext::new(display, module_name, &src.text, &module);
    out.canonical_imports = metrics::count_canonical_imports(&ctx, &data.plan);
    let detected = detect::detect_all(&ctx, data);
    let unanalysed = parse::skipped_names(&src.text, &skipped);
    let mut facts =
        facts::extract(&ctx, &detected.functions, &detected.classes, facts::is_package_path(display), &unanalysed);
    // Blanked methods of a class leave the file partial too: the second pass reads what the model needs of them.
    facts.partial |= !skipped.is_empty();
    out.facts = Some(facts);
    out.findings = detected.raws.into_iter().map(|r| classify::classify(r, display, &ctx.module, &src, data)).collect();
    let drifts = drift::derive(&out.findings);
    out.findings.extend(drifts);
    out.findings.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
    if tree.is_none() && data.plan.tree.is_none() {
        // Fixes are checked against what the tree's modules define, which a run without tree facts (inventory,
        // check) does not read: it offers none, rather than reasons that only say it did not look.
        for f in &mut out.findings {
            f.fix = None;
            f.skipped_fix = None;
        }
    }
    if tree.is_some() && out.findings.iter().any(fix_needs_tree) {
        out.kept = Some(src);
    }
    out
}

/// Run the whole pipeline over `paths`.
pub fn scan(paths: &[PathBuf], opts: &ScanOptions, data: &RuleData) -> Result<ScanResult, String> {
    let walked = walk::walk(paths, &opts.walk)?;
    Ok(scan_files(&walked.files, walked.diagnostics, opts, data))
}

/// Analyse already-walked files in parallel and merge their outcomes (sorted findings, diagnostics,
/// suppressions; duplicate groups). `diagnostics` are the walk's own. Commands that choose their own file
/// list or display paths (`check --diff-base`, paths relative to a project root) call this directly, so
/// there is one analysis loop.
pub fn scan_files(
    files: &[walk::FileEntry],
    diagnostics: Vec<Diagnostic>,
    opts: &ScanOptions,
    data: &RuleData,
) -> ScanResult {
    scan_files_with(files, diagnostics, opts, data, None)
}

/// `scan_files`, building the tree facts the fixes need (`project::TreeInfo`: each module's imports, and the
/// exports of the modules a plan target may name) from the same read of every file, and computing the fixes
/// with them (`ScanResult::tree`). `tree_modules[i]`: the module the tree names `files[i]` by. The fixes of
/// the few files that have any are detected again once the tree is known (from the text the scan kept).
pub fn scan_files_tree(
    files: &[walk::FileEntry],
    tree_modules: &[String],
    diagnostics: Vec<Diagnostic>,
    opts: &ScanOptions,
    data: &RuleData,
) -> ScanResult {
    assert_eq!(files.len(), tree_modules.len(), "one tree module per file");
    let plan = &data.plan;
    // Targets and the legacy modules redirected from: a redirect compares what the two names are.
    let targets: Vec<&str> = plan.target_modules().into_iter().chain(plan.source_modules()).collect();
    let keys: Vec<TreeKey> = files
        .iter()
        .zip(tree_modules)
        .map(|(f, m)| TreeKey {
            module: m.clone(),
            is_package: facts::is_package_path(&f.display),
            exports: targets.iter().any(|t| project::module_eq(m, t)),
            test: deletion::is_test_path(&f.display),
        })
        .collect();
    scan_files_with(files, diagnostics, opts, data, Some(&keys))
}

fn scan_files_with(
    files: &[walk::FileEntry],
    diagnostics: Vec<Diagnostic>,
    opts: &ScanOptions,
    data: &RuleData,
    tree_keys: Option<&[TreeKey]>,
) -> ScanResult {
    let prefilter = opts.prefilter.clone().unwrap_or_else(|| std::sync::Arc::new(prefilter::Prefilter::new(data)));
    // What the deletion analysis looks for, from the file list and the plan (`None`: nothing is legacy).
    let deleting = if opts.deletion { deletion::Prepared::new(files, &data.plan) } else { None };
    if opts.deletion {
        timing::mark("deletion: legacy modules among the files");
    }
    let mut outcomes: Vec<FileOutcome> = pool().install(|| {
        files
            .par_iter()
            .enumerate()
            .map(|(i, entry)| {
                let deleting = deleting.as_ref().map(|d| (d, i));
                let outcome = analyse_file(entry, opts, data, &prefilter, tree_keys.map(|k| &k[i]), deleting);
                if let Some(done) = &opts.files_done {
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                outcome
            })
            .collect()
    });
    if let Some(hook) = opts.after_first_pass {
        hook();
    }
    if timing::enabled() {
        let parsed = outcomes.iter().filter(|o| o.parsed).count();
        let token_scanned = outcomes.iter().filter(|o| !o.parsed && o.facts.is_some()).count();
        timing::mark(&format!(
            "first pass (read, prefilter, parse, detect, facts): {parsed} parsed, {token_scanned} token-scanned, {} \
             byte-filtered of {}",
            files.len() - parsed - token_scanned,
            files.len()
        ));
    }
    let tree = tree_keys.map(|keys| with_tree(files, keys, &mut outcomes, data, &prefilter));
    let mut result = ScanResult { files_scanned: files.len(), diagnostics, tree, ..Default::default() };
    let mut facts = Vec::with_capacity(files.len());
    let mut scans = Vec::with_capacity(files.len());
    let mut deletion_inputs: Option<Vec<deletion::FileInputs>> = deleting.as_ref().map(|_| Vec::new());
    for o in outcomes {
        if let Some(inputs) = &mut deletion_inputs {
            inputs.push(o.deletion.unwrap_or_default());
        }
        result.files_parsed += o.parsed as usize;
        result.canonical_imports += o.canonical_imports;
        result.findings.extend(o.findings);
        result.diagnostics.extend(o.diagnostics);
        result.suppressions.extend(o.suppressions);
        facts.push(o.facts);
        scans.push(o.first_scan);
    }
    let first = result.findings.len();
    let project = analysis::project_pass(files, facts, scans, &mut result.findings, opts, data, &prefilter);
    timing::mark("project pass");
    if let (Some(inputs), Some(deleting)) = (deletion_inputs, &deleting) {
        result.deletion = Some(deletion::analyse(&project, files, inputs, &data.plan, deleting));
    }
    let drifts = drift::derive(&result.findings[first..]);
    result.findings.extend(drifts);
    result.findings.sort_by(|a, b| (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule)));
    result.diagnostics.sort();
    result.suppressions.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    result.groups = classify::groups::assign(&mut result.findings);
    result.model = Some(std::sync::Arc::new(project));
    timing::mark("drift, sort, groups");
    result
}

/// The tree facts of the scanned files (a module named twice: the later file) over those the plan already
/// holds (modules read from outside the scanned paths, like the canonical module of `migrate SUBPATH`), and
/// the fixes of the files that have any detected again with them.
fn with_tree(
    files: &[walk::FileEntry],
    keys: &[TreeKey],
    outcomes: &mut [FileOutcome],
    data: &RuleData,
    prefilter: &prefilter::Prefilter,
) -> std::sync::Arc<project::TreeInfo> {
    let mut tree = data.plan.tree.as_deref().cloned().unwrap_or_default();
    for (key, o) in keys.iter().zip(outcomes.iter_mut()) {
        if let Some(info) = o.tree.take() {
            tree.modules.insert(key.module.clone(), info);
        }
    }
    let tree = std::sync::Arc::new(tree);
    let mut data = data.clone();
    data.plan.tree = Some(tree.clone());
    pool().install(|| {
        outcomes.par_iter_mut().zip(files).filter(|(o, _)| o.kept.is_some()).for_each(|(o, entry)| {
            let src = o.kept.take().expect("kept");
            let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                analyse_decoded(&entry.display, &entry.module, src, &data, Some(prefilter), None)
            }));
            // The same text, analysed the same way: only the fixes differ.
            if let Ok(again) = again {
                o.findings = again.findings;
            }
        })
    });
    tree
}

/// Read one file (regular files only, size limit first) and analyse it.
fn analyse_file(
    entry: &walk::FileEntry,
    opts: &ScanOptions,
    data: &RuleData,
    prefilter: &prefilter::Prefilter,
    tree: Option<&TreeKey>,
    deleting: Option<(&deletion::Prepared, usize)>,
) -> FileOutcome {
    match read::read_regular(&entry.path, opts.max_file_size) {
        Ok((bytes, meta)) => {
            let mut o = match deleting {
                // A file that may import a legacy module (it names one): its bytes are still needed after the
                // analysis, so they are lent, not handed over.
                Some((d, i)) if d.mentions(&bytes) => {
                    let mut o = analyse_cow(
                        &entry.display,
                        &entry.module,
                        std::borrow::Cow::Borrowed(&bytes),
                        data,
                        Some(prefilter),
                        tree,
                    );
                    let analysed = match (&o.facts, o.diagnostics.is_empty()) {
                        (Some(_), _) => deletion::Analysed::Yes,
                        (None, true) => deletion::Analysed::ByteFiltered,
                        (None, false) => deletion::Analysed::Not,
                    };
                    o.deletion = Some(deletion::file_inputs(entry, i, &bytes, analysed, d, prefilter));
                    o
                }
                _ => {
                    let sha256 = deleting.filter(|(d, i)| d.may_delete(*i)).map(|_| deletion::content_hash(&bytes));
                    let mut o = analyse_cow(
                        &entry.display,
                        &entry.module,
                        std::borrow::Cow::Owned(bytes),
                        data,
                        Some(prefilter),
                        tree,
                    );
                    if deleting.is_some() {
                        o.deletion = Some(deletion::FileInputs { sha256, ..Default::default() });
                    }
                    o
                }
            };
            if let Some(scan) = &mut o.first_scan {
                scan.stamp = Some(analysis::Stamp::of(&meta));
            }
            o
        }
        Err(failure) => FileOutcome { diagnostics: vec![failure.diagnostic(&entry.display)], ..Default::default() },
    }
}

/// The pool every pass analyses files on: its threads have deep stacks, because the lowering and every
/// walker recurse once per nesting level (up to `parse::depth::MAX_DEPTH`).
pub fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().stack_size(64 * 1024 * 1024).build().expect("thread pool"))
}
