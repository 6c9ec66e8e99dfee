//! The import statements of a file, read off its tokens: the tree facts (`project::ModuleInfo::imports`) of a
//! file the scan did not parse whole, without parsing it.
//!
//! Every `import` / `from ... import` statement counts wherever it sits (in a def, a class, a handler, after a
//! compound statement's colon or a `;` on the same line), as the parser's walk over every statement sees it.
//! Strings, f-strings and comments are skipped with the prefilter's lexer. `import` is a hard keyword, so each
//! one begins a statement or follows a `from` the statement began with; `from` begins an import exactly when
//! it begins a statement (elsewhere it is `yield from` / `raise ... from`). A statement begins a file, a
//! logical line, or follows a `;` or a colon outside brackets. Anything else (a non-ASCII identifier, a stray
//! `import`, an unbalanced bracket, an unterminated string, a statement shaped otherwise) answers `None`:
//! the caller parses the file.

use super::*;

/// One import statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportStmt {
    /// `import a.b [as c], d`: the dotted names imported.
    Import(Vec<String>),
    /// `from <level dots><module> import names` (`*` for a star import).
    From { level: u32, module: Option<String>, names: Vec<String> },
}

/// Every import statement of `src`, in order; `None` when the tokens are not understood.
///
/// Every import statement spells `import`: reading stops after the last occurrence of those bytes, and a file
/// without any has no import. Between statement starts only the bytes that change the lexer's state are looked
/// at (`STOPS`: newlines, quotes, comments, brackets, `;`, `:`, backslashes, non-ASCII); a string's prefix is
/// the name right before its quote.
pub fn import_statements(src: &str) -> Option<Vec<ImportStmt>> {
    let b = src.as_bytes();
    // The forward search is vectorised; the reverse one is not.
    let Some(last) = memchr::memmem::find_iter(b, b"import").last() else { return Some(Vec::new()) };
    let mut i = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut depth = 0u32;
    let mut stmt_start = true;
    let mut out = Vec::new();
    while i < b.len() {
        if stmt_start {
            // The first token of a statement: an import, or anything else (then nothing matters up to the next
            // byte that changes the state).
            while matches!(b.get(i), Some(b' ' | b'\t' | b'\x0c')) {
                i += 1;
            }
            match b.get(i) {
                Some(b'i' | b'f') => {
                    let end = word_end(b, i).ok()?;
                    let w = &src[i..end];
                    stmt_start = false;
                    if w == "import" || w == "from" {
                        let (stmt, next) = if w == "import" { plain_import(src, end)? } else { from_import(src, end)? };
                        out.push(stmt);
                        i = next;
                    } else {
                        i = end;
                    }
                    continue;
                }
                Some(b'\n' | b'\r' | b'#' | b'\\') => {}
                None => break,
                _ => stmt_start = false,
            }
        }
        if i > last {
            break; // no `import` further on
        }
        while i < b.len() && !STOPS[b[i] as usize] {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        match c {
            b'\n' | b'\r' => {
                i += 1;
                if depth == 0 {
                    stmt_start = true;
                }
            }
            b'#' => i = line_end(b, i),
            b'\\' => i = continuation(b, i)?,
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
                stmt_start = false;
            }
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                i += 1;
                stmt_start = false;
            }
            b'"' | b'\'' => {
                // The prefix: the name that ends at the quote (`rb"..."`; `if"x"` has none).
                let mut k = i;
                while k > 0 && IDENT_CHAR[b[k - 1] as usize] {
                    k -= 1;
                }
                let prefix = if (1..=2).contains(&(i - k)) && is_string_prefix(&src[k..i]) { &b[k..i] } else { b"" };
                i = string(b, i, prefix, &mut |_| {}, 0).ok()?;
                stmt_start = false;
            }
            b';' if depth == 0 => {
                i += 1;
                stmt_start = true;
            }
            b':' if depth == 0 && b.get(i + 1) != Some(&b'=') => {
                i += 1;
                stmt_start = true;
            }
            0x80.. => return None,
            _ => {
                i += 1;
                stmt_start = false;
            }
        }
    }
    Some(out)
}

/// Bytes that change what `import_statements` reads.
static STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c >= 0x80
            || matches!(
                c as u8,
                b'\n' | b'\r' | b'#' | b'\\' | b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b';' | b':'
            );
        c += 1;
    }
    t
};

/// The offset of the line end at or after `i` (a comment runs to it).
fn line_end(b: &[u8], i: usize) -> usize {
    memchr::memchr2(b'\n', b'\r', &b[i..]).map_or(b.len(), |k| i + k)
}

/// After a backslash at `i` that continues the line.
fn continuation(b: &[u8], i: usize) -> Option<usize> {
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(b'\r'), Some(b'\n')) => Some(i + 3),
        (Some(b'\n' | b'\r'), _) => Some(i + 2),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'s> {
    Name(&'s str),
    Dot,
    Comma,
    Open,
    Close,
    Star,
    /// The statement ends here (a newline outside brackets, `;`, a comment, the end of the file); not consumed.
    End,
}

/// The token at `i` of an import statement and the offset after it. Inside brackets (`paren`), newlines and
/// comments are whitespace.
fn tok(src: &str, mut i: usize, paren: bool) -> Option<(Tok<'_>, usize)> {
    let b = src.as_bytes();
    loop {
        let t = match b.get(i) {
            None => return Some((Tok::End, i)),
            Some(b' ' | b'\t' | b'\x0c') => {
                i += 1;
                continue;
            }
            Some(b'\\') => {
                i = continuation(b, i)?;
                continue;
            }
            Some(b'\n' | b'\r') if paren => {
                i += 1;
                continue;
            }
            Some(b'#') if paren => {
                i = line_end(b, i);
                continue;
            }
            Some(b'\n' | b'\r' | b';' | b'#') => return Some((Tok::End, i)),
            Some(b'.') => Tok::Dot,
            Some(b',') => Tok::Comma,
            Some(b'(') => Tok::Open,
            Some(b')') => Tok::Close,
            Some(b'*') => Tok::Star,
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'_') => {
                let end = word_end(b, i).ok()?;
                return Some((Tok::Name(&src[i..end]), end));
            }
            _ => return None,
        };
        return Some((t, i + 1));
    }
}

/// `NAME (. NAME)*` starting with `first`; the offset after it.
fn dotted(src: &str, first: &str, mut i: usize, paren: bool) -> Option<(String, usize)> {
    let mut name = first.to_string();
    loop {
        match tok(src, i, paren)? {
            (Tok::Dot, next) => match tok(src, next, paren)? {
                (Tok::Name(w), after) => {
                    name.push('.');
                    name.push_str(w);
                    i = after;
                }
                _ => return None,
            },
            _ => return Some((name, i)),
        }
    }
}

/// After an imported name: an optional `as NAME`.
fn alias(src: &str, i: usize, paren: bool) -> Option<usize> {
    match tok(src, i, paren)? {
        (Tok::Name("as"), next) => match tok(src, next, paren)? {
            (Tok::Name(_), after) => Some(after),
            _ => None,
        },
        _ => Some(i),
    }
}

/// `import a.b [as c], d` after the keyword.
fn plain_import(src: &str, mut i: usize) -> Option<(ImportStmt, usize)> {
    let mut names = Vec::new();
    loop {
        let (Tok::Name(first), next) = tok(src, i, false)? else { return None };
        let (name, next) = dotted(src, first, next, false)?;
        names.push(name);
        i = alias(src, next, false)?;
        match tok(src, i, false)? {
            (Tok::Comma, next) => i = next,
            (Tok::End, _) => return Some((ImportStmt::Import(names), i)),
            _ => return None,
        }
    }
}

/// `from .. a.b import (c as d, e)` after the keyword.
fn from_import(src: &str, mut i: usize) -> Option<(ImportStmt, usize)> {
    let mut level = 0u32;
    let mut module = None;
    loop {
        match tok(src, i, false)? {
            (Tok::Dot, next) => {
                level += 1;
                i = next;
            }
            (Tok::Name("import"), next) => {
                i = next;
                break;
            }
            (Tok::Name(first), next) if module.is_none() => {
                let (name, next) = dotted(src, first, next, false)?;
                module = Some(name);
                i = next;
            }
            _ => return None,
        }
    }
    if level == 0 && module.is_none() {
        return None;
    }
    let stmt = |names| ImportStmt::From { level, module: module.clone(), names };
    let paren = match tok(src, i, false)? {
        (Tok::Star, next) => return Some((stmt(vec!["*".to_string()]), next)),
        (Tok::Open, next) => {
            i = next;
            true
        }
        _ => false,
    };
    let mut names = Vec::new();
    loop {
        match tok(src, i, paren)? {
            (Tok::Name(w), next) => {
                names.push(w.to_string());
                i = alias(src, next, paren)?;
            }
            (Tok::Close, next) if paren && !names.is_empty() => return Some((stmt(names), next)),
            _ => return None,
        }
        match tok(src, i, paren)? {
            (Tok::Comma, next) => i = next,
            (Tok::Close, next) if paren => return Some((stmt(names), next)),
            (Tok::End, _) if !paren => return Some((stmt(names), i)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImportStmt::{self, *};

    fn from(level: u32, module: Option<&str>, names: &[&str]) -> ImportStmt {
        From { level, module: module.map(str::to_string), names: names.iter().map(|n| n.to_string()).collect() }
    }

    fn import(names: &[&str]) -> ImportStmt {
        Import(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn statements_wherever_they_sit() {
        let src = "\
import os, a.b as c
from . import x
from ..pkg.mod import (y as z,
    # comment
    w,
)
def f():
    import json; from q import *
try: import simplejson as js
except ImportError: from json \\
    import loads
s = 'import no'
t = f\"{'from x import y'}\"
x = (yield
from y)
raise E from None
# import nothing
";
        assert_eq!(
            super::import_statements(src).unwrap(),
            vec![
                import(&["os", "a.b"]),
                from(1, None, &["x"]),
                from(2, Some("pkg.mod"), &["y", "w"]),
                import(&["json"]),
                from(0, Some("q"), &["*"]),
                import(&["simplejson"]),
                from(0, Some("json"), &["loads"]),
            ]
        );
    }

    #[test]
    fn unsure_answers_none() {
        assert!(super::import_statements("x = 'unterminated\nimport os\n").is_none());
        assert!(super::import_statements("import caf\u{e9}\n").is_none());
        assert!(super::import_statements("caf\u{e9} = 1\nimport os\n").is_none());
        assert!(super::import_statements("from x import\n").is_none());
        // Without the bytes `import` there is nothing to read.
        assert_eq!(super::import_statements("x = 'unterminated\n"), Some(vec![]));
        // Reading stops after the last `import`.
        assert_eq!(super::import_statements("import os\nx = 'unterminated\n"), Some(vec![import(&["os"])]));
    }
}
