//! The one module that touches `ruff_python_parser` / `ruff_python_ast` / `ruff_text_size`.
//!
//! Their API is unstable (0.0.x internal crates of ruff), so everything else in the scanner works on
//! `crate::syntax`, and a parser upgrade only has to keep `lower.rs` compiling.

mod chunks;
pub mod depth;
mod gate;
mod lower;
mod tokens;

use crate::syntax::Module;

/// Why a module was not parsed: byte offset into the source and the message.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub offset: u32,
    pub message: String,
    /// The nesting passed a limit of `depth` (the file was never handed to the parser).
    pub too_deep: bool,
}

/// Parse a module. Any syntax error fails the whole file: a partially recovered tree could invent or hide
/// retry sites, and codemods must never touch a file that does not parse. Nesting beyond `depth`'s limits is
/// refused before parsing, so nothing downstream can exhaust its stack.
pub fn parse_module(source: &str) -> Result<Module, SyntaxError> {
    let too_deep = |deep: depth::TooDeep| SyntaxError { offset: deep.offset, message: deep.message, too_deep: true };
    let parse_first = !depth::may_nest_deep(source);
    if !parse_first {
        depth::check(source).map_err(too_deep)?;
    }
    match ruff_python_parser::parse_module(source) {
        Ok(parsed) => {
            if parse_first {
                depth::check_parsed(parsed.tokens()).map_err(too_deep)?;
            }
            Ok(lower::module(parsed.syntax()))
        }
        Err(err) => {
            Err(SyntaxError { offset: err.location.start().to_u32(), message: err.error.to_string(), too_deep: false })
        }
    }
}

/// True when `source` parses (what `phases` times as the parser's own share).
pub fn parses(source: &str) -> bool {
    if depth::may_nest_deep(source) && depth::check(source).is_err() {
        return false;
    }
    ruff_python_parser::parse_module(source).is_ok_and(|p| depth::check_parsed(p.tokens()).is_ok())
}

pub use chunks::blank;

/// The top-level definitions of `source` that mention none of `names` (see `chunks::pieces_without`), cut
/// where the token scanner says statements start.
pub fn pieces_without(source: &str, names: &[&str], words: &ImportWords) -> Vec<std::ops::Range<usize>> {
    chunks::pieces_without(source, names, tokens::top_level_pieces(source, words))
}

/// `pieces_without` and `token_verdict` together, from one read of the tokens.
pub fn pieces_without_and_verdict(
    source: &str,
    names: &[&str],
    words: &ImportWords,
) -> (Vec<std::ops::Range<usize>>, TokenVerdict) {
    let (pieces, verdict) = tokens::pieces_and_verdict(source, words);
    (chunks::pieces_without(source, names, pieces), verdict)
}
pub use tokens::{import_statements, ImportStmt, ImportWords, SkippedFacts, TokenVerdict};

/// Token prefilter (see `tokens`): skip the file when its tokens prove that no rule reports anything in it,
/// else the top-level definitions the parser may skip (`chunks`). `words`: the library and plan names that
/// make an import relevant.
pub fn token_verdict(source: &str, words: &ImportWords) -> TokenVerdict {
    tokens::token_verdict(source, words)
}

/// Start offsets of a file's top-level pieces, each with whether it is a definition (`tokens::top_level_pieces`).
pub type TopPieces = Vec<(usize, bool)>;

/// `pieces_without` over pieces a token scan already found (`tokens::token_scan_pieces`).
pub fn pieces_without_in(source: &str, names: &[&str], pieces: Option<TopPieces>) -> Vec<std::ops::Range<usize>> {
    chunks::pieces_without(source, names, pieces)
}

/// The verdict, what the model needs of a skipped file and, when it is not parsed whole, its top-level pieces
/// (see `tokens::token_scan_pieces`).
pub fn token_scan_pieces(source: &str, words: &ImportWords) -> (TokenVerdict, SkippedFacts, Option<TopPieces>) {
    tokens::token_scan_pieces(source, words, true)
}

/// The verdict, and what the model needs of a skipped file (see `tokens::token_scan`).
pub fn token_scan(source: &str, words: &ImportWords) -> (TokenVerdict, SkippedFacts) {
    tokens::token_scan(source, words)
}

/// Names that top-level definitions inside `skipped` bind (`def f`, `async def f`, `class C`): the prefilter
/// left them out of the parse, but the module still binds them.
pub fn skipped_names(source: &str, skipped: &[std::ops::Range<usize>]) -> Vec<String> {
    let mut out = Vec::new();
    for r in skipped {
        let text = &source[r.clone()];
        // Only a line's first bytes are read: visit line starts (after each `\n`) without splitting the text
        // into lines (the skipped pieces are half of the parsed files' bytes). A `\r` that `lines()` would
        // strip ends a name anyway.
        let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|k| k + 1));
        for at in starts {
            let Some(line) = text.get(at..).filter(|l| matches!(l.as_bytes().first(), Some(b'a' | b'd' | b'c'))) else {
                continue;
            };
            out.extend(defined_name(line));
        }
    }
    out
}

/// The name a line starting with `def`, `async def` or `class` binds.
fn defined_name(line: &str) -> Option<String> {
    let rest = line.strip_prefix("async ").unwrap_or(line);
    let rest = rest.strip_prefix("def ").or_else(|| rest.strip_prefix("class "))?;
    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod skipped_names_tests {
    /// The line-start walk finds the names a walk over `lines()` finds.
    #[test]
    #[allow(clippy::single_range_in_vec_init)] // lists of skipped ranges, some of one range
    fn skipped_names_as_lines_read_them() {
        let plain = |source: &str, skipped: &[std::ops::Range<usize>]| -> Vec<String> {
            let mut out = Vec::new();
            for r in skipped {
                // The reference reads every line (the walk under test visits line starts only).
                out.extend(source[r.clone()].lines().filter_map(super::defined_name));
            }
            out
        };
        let src = "def f():\r\n    def g(): pass\r\nasync def h(x):\n  pass\nclass Caf\u{e9}:\n    x = 1\nasync \ndef k\ndef \nclass\tZ:\ndef last";
        let ranges: [&[std::ops::Range<usize>]; 4] = [&[0..src.len()], &[0..10, 10..src.len()], &[3..40], &[]];
        for r in ranges {
            assert_eq!(super::skipped_names(src, r), plain(src, r), "{r:?}");
        }
    }
}
