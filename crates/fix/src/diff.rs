//! Unified diffs that `git apply` and `patch -p1` accept, in the file's own bytes (encoding, BOM, CRLF).
//!
//! Lines are split where `git` and `patch` split them, at `\n` only: a file with lone-CR line endings (which
//! Python reads as line breaks) is one long line to them, and its patch says so. Paths that `git` would quote
//! (control characters, quotes, backslashes, bytes that are not UTF-8) are written C-quoted, as `git diff`
//! writes them, which both tools read.

use crate::apply::FileChange;
use retry_audit_scan::read::SourceFile;
use similar::{capture_diff_slices, group_diff_ops, Algorithm, ChangeTag};

pub(crate) const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
pub(crate) const CYAN: &str = "\x1b[36m";
pub(crate) const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Append `text`, in the terminal colour `code` when `color`.
pub(crate) fn paint(out: &mut Vec<u8>, color: bool, code: &str, text: &[u8]) {
    if color {
        out.extend_from_slice(code.as_bytes());
    }
    out.extend_from_slice(text);
    if color {
        out.extend_from_slice(RESET.as_bytes());
    }
}

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

/// `prefix` + `path` as `git diff` writes a name: bare when it can be, else in double quotes with C escapes
/// (`\t`, `\n`, `\"`, `\\`, octal for other control bytes and for bytes that are not UTF-8).
pub fn quote_path(prefix: &str, path: &[u8]) -> Vec<u8> {
    let needs =
        path.iter().any(|&b| b < 0x20 || b == 0x7f || b == b'"' || b == b'\\') || std::str::from_utf8(path).is_err();
    let mut out = Vec::with_capacity(path.len() + prefix.len() + 2);
    if !needs {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(path);
        return out;
    }
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    for chunk in path.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b if b < 0x20 || b == 0x7f => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
                b => out.push(b),
            }
        }
        for &b in chunk.invalid() {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        }
    }
    out.push(b'"');
    out
}

/// The patch for one file: `# ` comment lines naming each fix (outside the diff proper, ignored by
/// `git apply` and `patch`), then a `diff --git` header and the hunks.
pub fn render_patch(c: &FileChange, color: bool) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let paint = |out: &mut Vec<u8>, code: &str, text: &[u8]| paint(out, color, code, text);
    let shown = String::from_utf8_lossy(&quote_path("", &c.patch_path)).replace(['\n', '\r'], " ");
    for f in &c.fixes {
        let applicability = match f.applicability {
            retry_audit_scan::finding::Applicability::Safe => "safe",
            retry_audit_scan::finding::Applicability::Unsafe => "unsafe",
            retry_audit_scan::finding::Applicability::DisplayOnly => "display-only",
        };
        let note = f.note.replace(['\n', '\r'], " ");
        let line = format!("# {shown}:{}: {} {} ({applicability}): {note}\n", f.line, f.rule, f.fix_kind);
        paint(&mut out, BOLD, line.as_bytes());
    }
    let (a, b) = (quote_path("a/", &c.patch_path), quote_path("b/", &c.patch_path));
    let mut header = b"diff --git ".to_vec();
    for part in [&a[..], b" ", &b[..], b"\n--- ", &a[..], b"\n+++ ", &b[..], b"\n"] {
        header.extend_from_slice(part);
    }
    paint(&mut out, BOLD, &header);
    let old: Vec<&str> = c.source.text.split_inclusive('\n').collect();
    let new: Vec<&str> = c.new_text.split_inclusive('\n').collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old, &new);
    for group in group_diff_ops(ops, 3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_start = first.old_range().start;
        let old_len = last.old_range().end - old_start;
        let new_start = first.new_range().start;
        let new_len = last.new_range().end - new_start;
        let header = format!("@@ -{} +{} @@\n", range(old_start, old_len), range(new_start, new_len));
        paint(&mut out, CYAN, header.as_bytes());
        for op in &group {
            for change in op.iter_changes(&old, &new) {
                let (sign, code, first) = match change.tag() {
                    ChangeTag::Equal => (b' ', "", change.old_index() == Some(0)),
                    ChangeTag::Delete => (b'-', RED, change.old_index() == Some(0)),
                    ChangeTag::Insert => (b'+', GREEN, change.new_index() == Some(0)),
                };
                let value = change.value();
                let mut line = vec![sign];
                line.extend(line_bytes(&c.source, value, first));
                let terminated = value.ends_with('\n');
                if !terminated {
                    line.push(b'\n');
                }
                if code.is_empty() || !color {
                    out.extend_from_slice(&line);
                } else {
                    // Keep the line break outside the color codes.
                    paint(&mut out, code, &line[..line.len() - 1]);
                    out.push(b'\n');
                }
                if !terminated {
                    out.extend_from_slice(b"\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_as_git_quotes_them() {
        assert_eq!(quote_path("a/", b"app/x.py"), b"a/app/x.py");
        assert_eq!(quote_path("a/", "app/é y.py".as_bytes()), "a/app/é y.py".as_bytes());
        assert_eq!(quote_path("a/", b"app/x\ty.py"), br#""a/app/x\ty.py""#);
        assert_eq!(quote_path("b/", b"app/x\ny\"z\\.py"), br#""b/app/x\ny\"z\\.py""#);
        assert_eq!(quote_path("a/", b"app/x\xffy.py"), br#""a/app/x\377y.py""#);
    }
}
