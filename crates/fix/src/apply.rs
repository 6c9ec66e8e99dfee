//! Selecting fixes, resolving overlaps and the fixpoint loop.

use retry_audit_scan::finding::{Applicability, Edit, Finding, Fix, Kind};
use retry_audit_scan::fixes::decorator;
use retry_audit_scan::read::{decode, encode, SourceFile};
use retry_audit_scan::walk::FileEntry;
use retry_audit_scan::{analyse_bytes, parse, RuleData, ScanResult};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Options {
    /// Apply unsafe fixes too.
    pub unsafe_fixes: bool,
    /// Only fixes whose kind, rule code or finding kind is listed (empty: all).
    pub select: Vec<String>,
    /// Never fixes whose kind, rule code or finding kind is listed.
    pub ignore: Vec<String>,
    /// Cap on re-scan/re-fix passes per file.
    pub max_passes: usize,
    /// Files over this many bytes are not read (as in the scan).
    pub max_file_size: u64,
    /// Canonical directories the files must really be in (symlinks resolved) to be changed; empty: anywhere.
    /// A symlink that leads out of the scanned root is reported, never followed for a write.
    pub write_roots: Vec<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            unsafe_fixes: false,
            select: vec![],
            ignore: vec![],
            max_passes: 10,
            max_file_size: retry_audit_scan::DEFAULT_MAX_FILE_SIZE,
            write_roots: vec![],
        }
    }
}

impl Options {
    fn matches(list: &[String], f: &Finding, fix_kind: &str) -> bool {
        list.iter().any(|s| {
            s.eq_ignore_ascii_case(fix_kind)
                || s.eq_ignore_ascii_case(f.rule)
                || s.eq_ignore_ascii_case(f.kind.as_str())
        })
    }
    /// Is this fix kind selected (ignoring applicability)?
    pub fn selected(&self, f: &Finding, fix_kind: &str) -> bool {
        (self.select.is_empty() || Self::matches(&self.select, f, fix_kind))
            && !Self::matches(&self.ignore, f, fix_kind)
    }
    fn allowed(&self, fix: &Fix) -> bool {
        match fix.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// One edit as applied: offsets are byte offsets into the decoded (UTF-8, BOM-less) text of that pass.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedEdit {
    pub pass: usize,
    pub start: u32,
    pub end: u32,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppliedFix {
    pub rule: String,
    pub fix_kind: String,
    pub applicability: Applicability,
    pub note: String,
    pub message: String,
    /// Line of the finding in the text of the pass that applied the fix.
    pub line: u32,
    pub edits: Vec<AppliedEdit>,
}

/// A file the fixes change.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub display: String,
    pub path: PathBuf,
    /// Path used in the patch (`a/<patch_path>`): relative to the current directory, the name's own bytes
    /// (quoted as `git` quotes names when the patch is rendered).
    pub patch_path: Vec<u8>,
    pub original: Vec<u8>,
    /// Identity, size and mtime of the file when `original` was read (checked again before writing).
    pub stamp: Option<crate::write::FileStamp>,
    pub source: SourceFile,
    pub new_text: String,
    pub new_bytes: Vec<u8>,
    pub fixes: Vec<AppliedFix>,
}

/// A fix the codemod could not offer, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub line: u32,
    pub rule: String,
    pub fix_kind: String,
    pub reason: String,
}

/// A file that could not be fixed or written.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// A file migrate could not consider at all (so a fix it needs may be missing): unreadable, too large, a
/// special file, not decodable, not parsable, too deep, or a symlink out of the scanned root.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct NotConsidered {
    pub path: String,
    /// The diagnostic kind (`parse-error`, `too-large`, ...) or `outside-root`.
    pub kind: String,
    /// 1-based; 0 for the whole file.
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: Vec<FileChange>,
    pub skipped: Vec<Skipped>,
    /// Unsafe fixes left out because `--unsafe-fixes` was not given.
    pub unsafe_withheld: usize,
    /// The same, one line per finding with the fix's note (what would change), so every legacy import left
    /// in place after `--apply` is accounted for with a reason.
    pub withheld: Vec<Skipped>,
    pub problems: Vec<Problem>,
    /// Files left alone because they could not be read, decoded or parsed (syntax errors are never touched),
    /// or lead out of the scanned root.
    pub not_considered: Vec<NotConsidered>,
    /// For the record: files reached by more than one path (edited once) and the like.
    pub notes: Vec<Problem>,
}

impl Outcome {
    pub fn fix_count(&self) -> usize {
        self.changes.iter().map(|c| c.fixes.len()).sum()
    }
    /// Applied fixes by kind.
    pub fn by_kind(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for f in self.changes.iter().flat_map(|c| &c.fixes) {
            *m.entry(f.fix_kind.clone()).or_insert(0) += 1;
        }
        m
    }
}

/// Two edits conflict when their ranges overlap or they start at the same offset (ordering would be
/// ambiguous). Identical edits never conflict: they are applied once.
pub fn conflicts(a: &Edit, b: &Edit) -> bool {
    if a == b {
        return false;
    }
    (a.span.start < b.span.end && b.span.start < a.span.end) || a.span.start == b.span.start
}

/// Apply non-conflicting edits (sorted, identical ones once).
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    for e in sorted {
        let (s, en) = (e.span.start as usize, e.span.end as usize);
        if s < pos {
            continue; // overlapping edit: callers filter these out; never corrupt the text
        }
        out.push_str(&text[pos..s]);
        out.push_str(&e.content);
        pos = en;
    }
    out.push_str(&text[pos..]);
    out
}

fn line_of(text: &str, off: u32) -> u32 {
    1 + text.as_bytes()[..off as usize].iter().filter(|b| **b == b'\n').count() as u32
}

/// Path relative to the current directory, `/`-separated, in its own bytes (for `a/` / `b/` patch headers).
pub fn patch_path(path: &std::path::Path) -> Vec<u8> {
    let p = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(|p| p.to_path_buf()))
            .unwrap_or_else(|| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    let comps: Vec<&[u8]> = p
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().as_encoded_bytes())
        .collect();
    comps.join(&b'/')
}

/// Compute every file's change (nothing is written). Runs on the scanner's deep-stack pool, like the scan.
pub fn compute(result: &ScanResult, files: &[FileEntry], data: &RuleData, opts: &Options) -> Outcome {
    retry_audit_scan::pool().install(|| compute_here(result, files, data, opts))
}

fn compute_here(result: &ScanResult, files: &[FileEntry], data: &RuleData, opts: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    // Every diagnostic of the scan is a file (or directory) whose fixes cannot be known.
    for d in &result.diagnostics {
        outcome.not_considered.push(NotConsidered {
            path: d.path.clone(),
            kind: d.kind.as_str().to_string(),
            line: d.line,
            message: d.message.clone(),
        });
    }
    let mut seen = BTreeMap::new();
    let by_display: BTreeMap<&str, &FileEntry> = files.iter().map(|f| (f.display.as_str(), f)).collect();
    let mut per_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &result.findings {
        per_file.entry(f.path.as_str()).or_default().push(f);
    }
    for (display, findings) in per_file {
        let wants = findings.iter().any(|f| {
            f.fix.as_ref().is_some_and(|x| opts.selected(f, &x.fix_kind))
                || (f.kind == Kind::LibraryRetry && opts.selected(f, decorator::KIND))
        });
        let entry = by_display.get(display);
        if !wants || entry.is_none() {
            outcome.skipped.extend(skipped_of(&findings, opts));
            continue;
        }
        let entry = entry.expect("checked");
        fix_file(entry, data, opts, &mut seen, &mut outcome);
    }
    outcome.skipped.sort();
    outcome.skipped.dedup();
    outcome.problems.sort();
    outcome.not_considered.sort();
    outcome.not_considered.dedup_by(|a, b| a.path == b.path);
    outcome.notes.sort();
    outcome
}

/// Is `path`, symlinks resolved, inside one of `roots`? The real path when it is not.
pub(crate) fn outside_roots(path: &std::path::Path, roots: &[PathBuf]) -> Result<(), String> {
    if roots.is_empty() {
        return Ok(());
    }
    let real = std::fs::canonicalize(path).map_err(|e| format!("cannot resolve: {e}"))?;
    if roots.iter().any(|r| real.starts_with(r)) {
        Ok(())
    } else {
        Err(real.display().to_string())
    }
}

/// RTY005 library decorators get their fix here (the codemod lives in `fixes::decorator`).
fn attach_decorator_fixes(findings: &mut [Finding], text: &str, file_module: &str, data: &RuleData) {
    if !findings.iter().any(|f| f.kind == Kind::LibraryRetry && f.fix.is_none()) {
        return;
    }
    let Ok(module) = parse::parse_module(text) else {
        return;
    };
    for f in findings.iter_mut().filter(|f| f.kind == Kind::LibraryRetry && f.fix.is_none() && f.skipped_fix.is_none())
    {
        let library = f.notes.iter().find_map(|n| n.strip_prefix("library="));
        match decorator::decorator_fix(text, &module, &data.plan, file_module, f.span, library) {
            Some(Ok(fix)) => f.fix = Some(fix),
            Some(Err(skipped)) => f.skipped_fix = Some(skipped),
            None => {}
        }
    }
}

fn skipped_of(findings: &[&Finding], opts: &Options) -> Vec<Skipped> {
    findings
        .iter()
        .filter_map(|f| {
            let s = f.skipped_fix.as_ref()?;
            opts.selected(f, &s.fix_kind).then(|| Skipped {
                path: f.path.clone(),
                line: f.line,
                rule: f.rule.to_string(),
                fix_kind: s.fix_kind.clone(),
                reason: s.reason.clone(),
            })
        })
        .collect()
}

/// Files already fixed, by identity (device, inode): a file reached by two paths is edited once.
type Seen = BTreeMap<(u64, u64), String>;

fn fix_file(entry: &FileEntry, data: &RuleData, opts: &Options, seen: &mut Seen, outcome: &mut Outcome) {
    fix_file_with(entry, data, opts, seen, outcome, &|_, _| {});
}

/// Called on each pass's findings after the fixes are attached (tests inject fake fixes through it).
type FindingsHook<'h> = dyn Fn(usize, &mut Vec<Finding>) + 'h;

fn fix_file_with(
    entry: &FileEntry,
    data: &RuleData,
    opts: &Options,
    seen: &mut Seen,
    outcome: &mut Outcome,
    hook: &FindingsHook,
) {
    let display = entry.display.clone();
    let problem = |m: String| Problem { path: display.clone(), message: m };
    let not_considered = |kind: &str, line: u32, message: String| NotConsidered {
        path: display.clone(),
        kind: kind.to_string(),
        line,
        message,
    };
    if let Err(real) = outside_roots(&entry.path, &opts.write_roots) {
        let message =
            format!("reached through a symlink: its real path {real} is outside the scanned root; not changed");
        return outcome.not_considered.push(not_considered("outside-root", 0, message));
    }
    let (original, stamp) = match retry_audit_scan::read::read_regular(&entry.path, opts.max_file_size) {
        Ok((bytes, meta)) => (bytes, crate::write::FileStamp::of(&meta)),
        Err(e) => return outcome.not_considered.push(not_considered(e.kind().as_str(), 0, e.message())),
    };
    if let Some(first) = seen.get(&(stamp.dev, stamp.ino)) {
        let message = format!("the same file as {first} (reached by two paths); edited once, as {first}");
        return outcome.notes.push(problem(message));
    }
    seen.insert((stamp.dev, stamp.ino), display.clone());
    let source = match decode(&original) {
        Ok(s) => s,
        Err(e) => return outcome.not_considered.push(not_considered("decode-error", e.line, e.message)),
    };
    let mut text = source.text.clone();
    let mut applied: Vec<AppliedFix> = Vec::new();
    let mut last: Vec<Finding> = Vec::new();
    // Where each skipped fix sits in the file as it was read: a later pass sees lines moved by the fixes it
    // applied, and the report names the lines the user has.
    let mut first_lines: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for pass in 1..=opts.max_passes + 1 {
        let bytes = if pass == 1 {
            original.clone()
        } else {
            match encode(&source, &text) {
                Ok(b) => b,
                Err(e) => {
                    outcome.problems.push(problem(format!("rewritten text cannot be encoded ({e}); left untouched")));
                    return;
                }
            }
        };
        let analysis = analyse_bytes(&display, &entry.module, &bytes, data, None);
        if !analysis.parsed {
            if pass > 1 {
                outcome.problems.push(problem("rewritten file no longer analyses; left untouched".into()));
            } else {
                let (kind, line, message) = analysis
                    .diagnostics
                    .first()
                    .map(|d| (d.kind.as_str(), d.line, d.message.clone()))
                    .unwrap_or(("parse-error", 0, "does not parse".into()));
                outcome.not_considered.push(not_considered(kind, line, message));
            }
            return;
        }
        last = analysis.findings;
        attach_decorator_fixes(&mut last, &text, &entry.module, data);
        hook(pass, &mut last);
        let mut candidates: Vec<&Finding> = last
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|x| opts.selected(f, &x.fix_kind) && !x.edits.is_empty()))
            .collect();
        let withheld: BTreeSet<Vec<Edit>> = candidates
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .filter(|x| !opts.allowed(x))
            .map(|x| x.edits.clone())
            .collect();
        if pass == 1 {
            for f in &last {
                if let Some(sk) = &f.skipped_fix {
                    first_lines.entry((f.rule.to_string(), f.symbol.clone(), sk.fix_kind.clone())).or_insert(f.line);
                }
            }
            outcome.withheld.extend(candidates.iter().filter_map(|f| {
                let x = f.fix.as_ref().filter(|x| !opts.allowed(x))?;
                Some(Skipped {
                    path: f.path.clone(),
                    line: f.line,
                    rule: f.rule.to_string(),
                    fix_kind: x.fix_kind.clone(),
                    reason: format!("unsafe fix not applied without --unsafe-fixes: {}", x.note),
                })
            }));
        }
        candidates.retain(|f| f.fix.as_ref().is_some_and(|x| opts.allowed(x)));
        if candidates.is_empty() {
            if pass == 1 {
                outcome.unsafe_withheld += withheld.len();
            }
            break;
        }
        if pass > opts.max_passes {
            outcome.problems.push(problem(format!(
                "fixes did not converge after {} passes; later fixes not applied",
                opts.max_passes
            )));
            break;
        }
        if pass == 1 {
            outcome.unsafe_withheld += withheld.len();
        }
        candidates.sort_by(|a, b| {
            let ka = a.fix.as_ref().map(|x| (x.edits.first().map(|e| e.span).unwrap_or_default(), x.fix_kind.clone()));
            let kb = b.fix.as_ref().map(|x| (x.edits.first().map(|e| e.span).unwrap_or_default(), x.fix_kind.clone()));
            (ka, a.rule, a.span).cmp(&(kb, b.rule, b.span))
        });
        let mut accepted: Vec<Edit> = Vec::new();
        let mut fixes_this_pass: Vec<AppliedFix> = Vec::new();
        let mut seen_fixes: Vec<&Fix> = Vec::new();
        for f in candidates {
            let fix = f.fix.as_ref().expect("candidate has a fix");
            if seen_fixes.iter().any(|s| s.edits == fix.edits) {
                continue; // the same statement-level fix shared by several findings
            }
            let self_overlap =
                fix.edits.iter().enumerate().any(|(i, a)| fix.edits[i + 1..].iter().any(|b| conflicts(a, b)));
            if self_overlap || fix.edits.iter().any(|e| accepted.iter().any(|a| conflicts(a, e))) {
                continue; // retried on the next pass
            }
            seen_fixes.push(fix);
            for e in &fix.edits {
                if !accepted.contains(e) {
                    accepted.push(e.clone());
                }
            }
            fixes_this_pass.push(AppliedFix {
                rule: f.rule.to_string(),
                fix_kind: fix.fix_kind.clone(),
                applicability: fix.applicability,
                note: fix.note.clone(),
                message: f.message.clone(),
                line: line_of(&text, f.span.start),
                edits: fix
                    .edits
                    .iter()
                    .map(|e| AppliedEdit {
                        pass,
                        start: e.span.start,
                        end: e.span.end,
                        old: text[e.span.start as usize..e.span.end as usize].to_string(),
                        new: e.content.clone(),
                    })
                    .collect(),
            });
        }
        let new_text = apply_edits(&text, &accepted);
        if let Err(e) = parse::parse_module(&new_text) {
            outcome.problems.push(problem(format!(
                "rewrite does not parse (pass {pass}, line {}: {}); file left untouched",
                line_of(&new_text, e.offset.min(new_text.len() as u32)),
                e.message
            )));
            return;
        }
        if new_text == text {
            break;
        }
        text = new_text;
        applied.extend(fixes_this_pass);
    }
    let refs: Vec<&Finding> = last.iter().collect();
    outcome.skipped.extend(skipped_of(&refs, opts).into_iter().map(|mut sk| {
        let symbol = last.iter().find(|f| f.line == sk.line && f.rule == sk.rule).map(|f| f.symbol.clone());
        if let Some(line) = symbol.and_then(|s| first_lines.get(&(sk.rule.clone(), s, sk.fix_kind.clone()))) {
            sk.line = *line;
        }
        sk
    }));
    if text == source.text {
        return;
    }
    let new_bytes = match encode(&source, &text) {
        Ok(b) => b,
        Err(e) => {
            return outcome.problems.push(problem(format!("rewritten text cannot be encoded ({e}); left untouched")))
        }
    };
    outcome.changes.push(FileChange {
        display: entry.display.clone(),
        patch_path: patch_path(&entry.path),
        path: entry.path.clone(),
        original,
        stamp: Some(stamp),
        source,
        new_text: text,
        new_bytes,
        fixes: applied,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use retry_audit_scan::syntax::Span;

    fn e(s: u32, en: u32, c: &str) -> Edit {
        Edit { span: Span::new(s, en), content: c.into() }
    }

    #[test]
    fn overlap_rules() {
        assert!(conflicts(&e(0, 5, "a"), &e(3, 8, "b")));
        assert!(conflicts(&e(4, 4, "a"), &e(4, 4, "b")));
        assert!(!conflicts(&e(4, 4, "a"), &e(4, 4, "a")));
        assert!(!conflicts(&e(0, 4, "a"), &e(4, 6, "b")));
        assert!(conflicts(&e(2, 2, "x"), &e(0, 4, "b")));
    }

    #[test]
    fn a_rewrite_that_does_not_parse_leaves_the_file_untouched_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.py");
        let original = "from netra_backend.app.core.error_recovery import RetryStrategy\nprint(RetryStrategy)\n";
        std::fs::write(&path, original).unwrap();
        let entry = FileEntry { display: "app/x.py".into(), path: path.clone(), module: "app.x".into() };
        let data = RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
        let mut outcome = Outcome::default();
        // A fake fix whose edit breaks the syntax, attached to every finding of the first pass.
        let broken = |pass: usize, findings: &mut Vec<Finding>| {
            assert!(!findings.is_empty(), "the legacy import is reported");
            if pass == 1 {
                for f in findings.iter_mut() {
                    f.fix = Some(Fix {
                        edits: vec![e(0, 0, "def (:\n")],
                        applicability: Applicability::Safe,
                        note: "fake".into(),
                        fix_kind: "import_redirect".into(),
                    });
                }
            }
        };
        fix_file_with(&entry, &data, &Options::default(), &mut Seen::new(), &mut outcome, &broken);
        assert!(outcome.changes.is_empty(), "no change is offered");
        assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
        assert!(outcome.problems[0].message.contains("does not parse"), "{:?}", outcome.problems);
        assert!(outcome.problems[0].message.contains("left untouched"), "{:?}", outcome.problems);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    }

    #[test]
    fn applies_sorted_and_deduped() {
        let t = "from a import b\n";
        let out = apply_edits(t, &[e(14, 15, "c"), e(5, 6, "z"), e(5, 6, "z")]);
        assert_eq!(out, "from z import c\n");
    }
}
