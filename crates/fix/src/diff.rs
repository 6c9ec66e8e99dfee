//! Unified diffs that `git apply` and `patch -p1` accept, in the file's own bytes (encoding, BOM, CRLF).

use crate::apply::FileChange;
use retry_audit_scan::read::SourceFile;
use similar::{ChangeTag, TextDiff};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Bytes of one line as stored in the file (the BOM goes before line 0).
fn line_bytes(src: &SourceFile, line: &str, first: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if first && src.bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    match src.encoding {
        None => out.extend_from_slice(line.as_bytes()),
        Some(enc) => out.extend_from_slice(&enc.encode(line).0),
    }
    out
}

fn range(start: usize, len: usize) -> String {
    // Unified diff convention: an empty range names the line before it.
    if len == 0 {
        format!("{start},0")
    } else if len == 1 {
        format!("{}", start + 1)
    } else {
        format!("{},{len}", start + 1)
    }
}

/// The patch for one file: `# ` comment lines naming each fix (outside the diff proper, ignored by
/// `git apply` and `patch`), then a `diff --git` header and the hunks.
pub fn render_patch(c: &FileChange, color: bool) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let paint = |out: &mut Vec<u8>, code: &str, text: &[u8]| {
        if color {
            out.extend_from_slice(code.as_bytes());
        }
        out.extend_from_slice(text);
        if color {
            out.extend_from_slice(RESET.as_bytes());
        }
    };
    for f in &c.fixes {
        let applicability = match f.applicability {
            retry_audit_scan::finding::Applicability::Safe => "safe",
            retry_audit_scan::finding::Applicability::Unsafe => "unsafe",
            retry_audit_scan::finding::Applicability::DisplayOnly => "display-only",
        };
        let note = f.note.replace(['\n', '\r'], " ");
        let line = format!("# {}:{}: {} {} ({applicability}): {note}\n", c.patch_path, f.line, f.rule, f.fix_kind);
        paint(&mut out, BOLD, line.as_bytes());
    }
    let p = &c.patch_path;
    paint(&mut out, BOLD, format!("diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n").as_bytes());
    let diff = TextDiff::from_lines(c.source.text.as_str(), c.new_text.as_str());
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_start = first.old_range().start;
        let old_len = last.old_range().end - old_start;
        let new_start = first.new_range().start;
        let new_len = last.new_range().end - new_start;
        let header = format!("@@ -{} +{} @@\n", range(old_start, old_len), range(new_start, new_len));
        paint(&mut out, CYAN, header.as_bytes());
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, code, first) = match change.tag() {
                    ChangeTag::Equal => (b' ', "", change.old_index() == Some(0)),
                    ChangeTag::Delete => (b'-', RED, change.old_index() == Some(0)),
                    ChangeTag::Insert => (b'+', GREEN, change.new_index() == Some(0)),
                };
                let value = change.value();
                let mut line = vec![sign];
                line.extend(line_bytes(&c.source, value, first));
                if !value.ends_with('\n') {
                    line.extend_from_slice(b"\n\\ No newline at end of file");
                    line.push(b'\n');
                    if code.is_empty() {
                        out.extend_from_slice(&line);
                    } else {
                        paint(&mut out, code, &line);
                    }
                    continue;
                }
                if code.is_empty() || !color {
                    out.extend_from_slice(&line);
                } else {
                    // Keep the line break outside the color codes.
                    let body = &line[..line.len() - 1];
                    paint(&mut out, code, body);
                    out.push(b'\n');
                }
            }
        }
    }
    out
}
