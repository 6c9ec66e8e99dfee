//! Source-text helpers for codemods. Offsets are byte offsets into the decoded text.

use crate::syntax::*;

pub fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Occurrences of `word` as a whole identifier anywhere in `text` (code, strings and comments alike).
pub fn ident_count(text: &str, word: &str) -> usize {
    if word.is_empty() {
        return 0;
    }
    let mut n = 0;
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let start = from + i;
        let end = start + word.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char) {
            n += 1;
        }
        from = end;
    }
    n
}

pub fn line_start(text: &str, off: usize) -> usize {
    text[..off].rfind('\n').map(|i| i + 1).unwrap_or(0)
}

/// Offset of the line break ending the line that contains `off` (before `\r\n` / `\n`), or the text length.
pub fn line_end(text: &str, off: usize) -> usize {
    let end = text[off..].find('\n').map(|i| off + i).unwrap_or(text.len());
    if end > 0 && end < text.len() && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// Offset just after the line break ending the line that contains `off`.
pub fn next_line_start(text: &str, off: usize) -> usize {
    text[off..].find('\n').map(|i| off + i + 1).unwrap_or(text.len())
}

/// Only whitespace between the start of the line and `off`.
pub fn alone_before(text: &str, off: usize) -> bool {
    text[line_start(text, off)..off].chars().all(|c| c == ' ' || c == '\t' || c == '\x0c')
}

/// Only whitespace (and possibly a comment) between `off` and the end of its line.
pub fn rest_is_blank_or_comment(text: &str, off: usize) -> bool {
    let rest = text[off..line_end(text, off)].trim_start_matches([' ', '\t', '\x0c']);
    rest.is_empty() || rest.starts_with('#')
}

pub fn indent_of(text: &str, off: usize) -> &str {
    let ls = line_start(text, off);
    let line = &text[ls..];
    let n = line.len() - line.trim_start_matches([' ', '\t', '\x0c']).len();
    &line[..n]
}

/// The file's line ending, from its first line break.
pub fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

pub fn slice(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

/// Spans of every `Name(word)` expression in the module (all scopes).
pub fn name_nodes(module: &Module, word: &str) -> Vec<Span> {
    let mut out = Vec::new();
    walk_exprs(&module.body, true, &mut |e| {
        if matches!(&e.kind, ExprKind::Name(n) if n == word) {
            out.push(e.span);
        }
    });
    out.sort();
    out.dedup();
    out
}

/// Spans of `Name(word)` used as assignment targets (`word = ...`, `for word in`, `word += ...`).
pub fn stored_names(module: &Module, word: &str) -> usize {
    let mut n = 0;
    walk_stmts(&module.body, true, &mut |s| {
        let targets: Vec<&Expr> = match &s.kind {
            StmtKind::Assign { targets, .. } => targets.iter().collect(),
            StmtKind::AnnAssign { target, .. } | StmtKind::AugAssign { target, .. } | StmtKind::For { target, .. } => {
                vec![target]
            }
            StmtKind::FunctionDef(f) if f.name == word => {
                n += 1;
                vec![]
            }
            StmtKind::ClassDef(c) if c.name == word => {
                n += 1;
                vec![]
            }
            _ => vec![],
        };
        for t in targets {
            t.walk(&mut |e| {
                if matches!(&e.kind, ExprKind::Name(x) if x == word) {
                    n += 1;
                }
            });
        }
    });
    n
}

/// Span of the module part of `from <module> import ...` (dots included), found in the statement text.
pub fn from_module_span(text: &str, stmt: Span) -> Option<Span> {
    let s = slice(text, stmt);
    let rest = s.strip_prefix("from")?;
    let mut i = 4usize;
    let bytes = s.as_bytes();
    let skip_ws = |mut i: usize| loop {
        match bytes.get(i) {
            Some(b' ' | b'\t' | b'\x0c') => i += 1,
            Some(b'\\') if matches!(bytes.get(i + 1), Some(b'\n')) => i += 2,
            Some(b'\\') if matches!(bytes.get(i + 1), Some(b'\r')) => i += 3,
            _ => break i,
        }
    };
    let _ = rest;
    i = skip_ws(i);
    let start = i;
    let mut end = i;
    loop {
        let tok_start = i;
        while let Some(c) = s[i..].chars().next() {
            if c == '.' || is_ident_char(c) {
                i += c.len_utf8();
            } else {
                break;
            }
        }
        if i == tok_start {
            break;
        }
        let tok = &s[tok_start..i];
        if tok == "import" {
            break;
        }
        end = i;
        i = skip_ws(i);
    }
    (end > start).then(|| Span::new(stmt.start + start as u32, stmt.start + end as u32))
}

/// 1-based line of byte offset `at` (for the reasons a fix gives).
pub fn line_number(text: &str, at: u32) -> u32 {
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..at as usize]).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_whole_identifiers() {
        assert_eq!(ident_count("RetryManager(x); MyRetryManager; RetryManager2 # RetryManager", "RetryManager"), 2);
    }

    #[test]
    fn module_span() {
        let t = "from ..a.b import (c)";
        let sp = from_module_span(t, Span::new(0, t.len() as u32)).unwrap();
        assert_eq!(slice(t, sp), "..a.b");
        let t = "from . import c";
        let sp = from_module_span(t, Span::new(0, t.len() as u32)).unwrap();
        assert_eq!(slice(t, sp), ".");
    }
}
