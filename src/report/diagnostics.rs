//! `check --format text`: codespan-reporting diagnostics. Each new finding shows its rule code and message,
//! the source with the finding's span underlined, a note naming the canonical replacement from the plan and
//! a help line (the codemod, or how to suppress). Then unused suppressions, input problems, fixed baseline
//! entries and a summary line.

use crate::gate::{help_text, plural, replacement_note, CheckReport};
use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};
use rayon::prelude::*;
use std::collections::HashMap;

/// Spans longer than this many lines are underlined on their first line only.
const MAX_LABEL_LINES: usize = 12;

pub fn render(r: &CheckReport, color: bool) -> String {
    let config = term::Config::default();
    // The sources of the files the diagnostics point into, read in parallel (a gate without a baseline over a
    // dense tree points into thousands).
    let mut paths: Vec<&str> =
        r.new_items().map(|i| i.finding.path.as_str()).chain(r.unused.iter().map(|u| u.path.as_str())).collect();
    paths.sort_unstable();
    paths.dedup();
    let sources: Vec<Option<String>> = retry_audit_scan::pool().install(|| {
        paths
            .par_iter()
            .map(|path| {
                let disk = r.scan.sources.get(*path)?;
                let (bytes, _) =
                    retry_audit_scan::read::read_regular(disk, retry_audit_scan::read::TEXT_FILE_LIMIT).ok()?;
                Some(retry_audit_scan::read::decode(&bytes).ok()?.text)
            })
            .collect()
    });
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (path, text) in paths.iter().zip(sources) {
        if let Some(text) = text {
            ids.insert(path, files.add(path.to_string(), text));
        }
    }
    let file_id =
        |path: &str| ids.get(path).map(|&id| (id, files.get(id).map(|f| f.source().as_str()).unwrap_or_default()));

    let mut diags: Vec<Diagnostic<usize>> = Vec::new();
    for it in r.new_items() {
        let f = it.finding;
        let mut d = Diagnostic::error().with_code(f.rule).with_message(format!("{}: {}", f.kind.as_str(), f.message));
        let params = super::params_text(f);
        let label_msg =
            if params.is_empty() { f.kind.as_str().to_string() } else { format!("{} ({params})", f.kind.as_str()) };
        match file_id(&f.path) {
            Some((id, text)) => {
                d = d.with_labels(vec![Label::primary(
                    id,
                    label_range(text, f.span.start as usize, f.span.end as usize),
                )
                .with_message(label_msg)]);
            }
            None => d = d.with_notes(vec![format!("at {}:{}:{}", f.path, f.line, f.column)]),
        }
        let mut notes = vec![if f.plan.is_no_plan() {
            format!("symbol `{}`, domain {}", f.symbol, f.domain)
        } else {
            format!("symbol `{}`, domain {}, plan status {}", f.symbol, f.domain, f.plan.status.as_str())
        }];
        if let Some(g) = &f.group {
            notes.push(format!("duplicate group {g}: the same structure exists elsewhere"));
        }
        if let Some(note) = replacement_note(f, r.data) {
            notes.push(format!("note: {note}"));
        }
        notes.push(format!("help: {}", help_text(f)));
        d.notes.extend(notes);
        diags.push(d);
    }
    for u in &r.unused {
        let sev = if r.unused_fail { Severity::Error } else { Severity::Warning };
        let mut d = Diagnostic::new(sev).with_code(crate::config::UNUSED_SUPPRESSION).with_message(u.message());
        match file_id(&u.path) {
            Some((id, _)) => {
                d = d.with_labels(vec![
                    Label::primary(id, u.start as usize..u.end as usize).with_message("remove or fix this comment")
                ])
            }
            None => d = d.with_notes(vec![format!("at {}:{}:{}", u.path, u.line, u.column)]),
        }
        diags.push(d);
    }
    // Each diagnostic is rendered on its own (in parallel), then they are joined in order.
    let rendered: Vec<Buffer> = retry_audit_scan::pool().install(|| {
        diags
            .par_iter()
            .map(|d| {
                let mut buf = if color { Buffer::ansi() } else { Buffer::no_color() };
                let _ = term::emit(&mut buf, &config, &files, d);
                buf
            })
            .collect()
    });
    let mut out = String::with_capacity(rendered.iter().map(|b| b.len()).sum());
    for buf in &rendered {
        out.push_str(&String::from_utf8_lossy(buf.as_slice()));
    }
    for d in &r.scan.result.diagnostics {
        let level = r.level_of(d);
        out.push_str(&format!("{level}[{}]: {}:{}: {}\n", d.kind.as_str(), d.path, d.line, d.message));
    }
    if r.input_errors_fail && r.input_errors() > 0 {
        out.push_str("  = help: a file that was not analysed fails the gate (its retry code is unknown); fix it, or pass `--allow-parse-errors`\n");
    }
    if !r.fixed.is_empty() {
        let n: u32 = r.fixed.iter().map(|e| e.count).sum();
        out.push_str(&format!(
            "{n} baselined finding{} no longer exist{} (fixed):\n",
            plural(n as usize),
            if n == 1 { "s" } else { "" }
        ));
        for e in &r.fixed {
            let times = if e.count > 1 { format!(" (x{})", e.count) } else { String::new() };
            out.push_str(&format!("  {} {} {}{times}\n", e.rule, e.path, e.symbol));
        }
        out.push_str("  run `retry-audit baseline --prune` to drop them from the baseline\n");
    }
    out.push_str(&r.summary_line());
    out.push('\n');
    out
}

/// The byte range to underline: the whole span, or its first line when it is long.
fn label_range(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let body = &text[start..end];
    if body.matches('\n').count() < MAX_LABEL_LINES {
        return start..end;
    }
    let first = body.find('\n').map(|n| start + n).unwrap_or(end);
    start..first
}
