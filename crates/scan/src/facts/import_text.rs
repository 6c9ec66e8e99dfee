//! Import statements read from their text, for files the token prefilter skips (their imports still say who
//! imports what, and `__init__` re-exports live in files that are nothing but imports).

use super::Import;
use crate::project::resolve_relative;

/// The imports of one `import ...` / `from ... import ...` statement (`text` is the statement, from its
/// keyword to its end; parentheses, continuation lines and comments allowed). Unreadable statements give none.
pub fn parse_import_statement(text: &str, file_module: &str, is_package: bool, line: u32) -> Vec<Import> {
    // The statement on one line: comments, line continuations and parentheses become spaces. Items are then
    // the comma-separated parts after the keywords, each read as its whitespace-separated words. (This runs on
    // every import of every skipped file: one buffer, no word lists.)
    let mut clean = String::with_capacity(text.len() + 1);
    for l in text.split('\n') {
        let l = match memchr::memchr(b'#', l.as_bytes()) {
            Some(k) => &l[..k],
            None => l,
        };
        // Copied a run at a time between brackets (not a char at a time).
        let mut rest = l.trim_end_matches(['\r', '\\']);
        while let Some(k) = memchr::memchr2(b'(', b')', rest.as_bytes()) {
            clean.push_str(&rest[..k]);
            clean.push(' ');
            rest = &rest[k + 1..];
        }
        clean.push_str(rest);
        clean.push(' ');
    }
    let mut words = clean.split_whitespace();
    // What follows a word of `clean`.
    let after = |w: &str| &clean[w.as_ptr() as usize - clean.as_ptr() as usize + w.len()..];
    let import =
        |local: &str, target: String, from: bool, star: bool| Import::module_level(local, target, from, star, line);
    let mut out = Vec::new();
    match words.next() {
        Some(kw @ "import") => {
            for item in after(kw).split(',') {
                match item_words(item) {
                    Some(([module, "", ""], 1)) if is_dotted(module) => {
                        let top = module.split('.').next().unwrap_or(module);
                        out.push(import(top, top.to_string(), false, false));
                    }
                    Some(([module, "as", alias], 3)) if is_dotted(module) && is_ident(alias) => {
                        out.push(import(alias, module.to_string(), false, false));
                    }
                    _ => return vec![],
                }
            }
        }
        Some("from") => {
            let Some(source) = words.next() else { return vec![] };
            let Some(kw @ "import") = words.next() else { return vec![] };
            let level = source.bytes().take_while(|b| *b == b'.').count() as u32;
            let module = &source[level as usize..];
            if !(module.is_empty() || is_dotted(module)) {
                return vec![];
            }
            let module = (!module.is_empty()).then_some(module);
            let Some(base) = resolve_relative(file_module, is_package, module, level) else { return vec![] };
            for item in after(kw).split(',') {
                match item_words(item) {
                    Some((_, 0)) => {}
                    Some((["*", _, _], 1)) => out.push(import("*", base.clone(), true, true)),
                    Some(([name, _, _], 1)) if is_ident(name) => {
                        out.push(import(name, crate::syntax::join_dot(&base, name), true, false))
                    }
                    Some(([name, "as", alias], 3)) if is_ident(name) && is_ident(alias) => {
                        out.push(import(alias, crate::syntax::join_dot(&base, name), true, false))
                    }
                    _ => return vec![],
                }
            }
        }
        _ => {}
    }
    out
}

/// The whitespace-separated words of an import item and how many there are (`None`: more than three, which
/// no item spells). Missing words are "".
fn item_words(item: &str) -> Option<([&str; 3], usize)> {
    let mut out = [""; 3];
    let mut n = 0;
    for w in item.split_whitespace() {
        *out.get_mut(n)? = w;
        n += 1;
    }
    Some((out, n))
}

fn is_ident(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first().is_none_or(|c| c.is_ascii_digit()) {
        return false;
    }
    // ASCII (nearly every name): the bytes, without decoding characters; the characters only past a byte that
    // is no ASCII name byte.
    match b.iter().position(|&c| c != b'_' && !c.is_ascii_alphanumeric()) {
        None => true,
        Some(k) if b[k].is_ascii() => false,
        Some(_) => s.chars().all(|c| c == '_' || c.is_alphanumeric()),
    }
}

/// Names joined by dots (`a.b.c`), each part a name. Split on the byte: a `str` split on a `char` searches with
/// `memchr`, which costs more than these few bytes.
fn is_dotted(s: &str) -> bool {
    let mut rest = s;
    while let Some(k) = rest.bytes().position(|b| b == b'.') {
        if !is_ident(&rest[..k]) {
            return false;
        }
        rest = &rest[k + 1..];
    }
    is_ident(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str, module: &str, is_package: bool) -> Vec<(String, String)> {
        parse_import_statement(text, module, is_package, 1).into_iter().map(|i| (i.local, i.target)).collect()
    }

    #[test]
    fn the_shapes_of_import_statements() {
        assert_eq!(pairs("import a.b.c", "m", false), [("a".into(), "a".into())]);
        assert_eq!(pairs("import a.b as x, os", "m", false), [("x".into(), "a.b".into()), ("os".into(), "os".into())]);
        assert_eq!(
            pairs("from .retry import (\n    Handler as H,  # the handler\n    policy,\n)", "pkg.core", true),
            [("H".into(), "pkg.core.retry.Handler".into()), ("policy".into(), "pkg.core.retry.policy".into())]
        );
        assert_eq!(pairs("from .. import x", "pkg.core.mod", false), [("x".into(), "pkg.x".into())]);
        assert_eq!(pairs("from a import *", "m", false), [("*".into(), "a".into())]);
        assert_eq!(pairs("from a import \\\n    b", "m", false), [("b".into(), "a.b".into())]);
        assert!(pairs("from a import b.c", "m", false).is_empty());
    }
}
