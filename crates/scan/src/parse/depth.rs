//! A nesting bound checked on the token stream *before* a file is parsed.
//!
//! The parser survives any nesting (it grows its stack on the heap), but what comes after it does not: the
//! lowering, every walker of the scanner and the destructor of ruff's tree recurse once per level, and a
//! 5 MB file of `[[[[...` would also make the parser allocate gigabytes of stack segments. So a file whose
//! nesting exceeds what real code ever writes is refused up front with a `too-deep` diagnostic, in linear
//! time and constant memory per nesting level, and the scan goes on.
//!
//! The bound is read off ruff's own tokens (those the parser sees), so strings, comments and f-string fields
//! are tokenized exactly as the parser tokenizes them: for a file that cannot nest deep enough to exhaust
//! memory or a pool thread's stack before the check runs (`may_nest_deep`, almost every file), from the tokens
//! of its parse (lexing twice would cost a third of a parse); for any other, from a lexing pass before the
//! parse. Three limits:
//!
//! - indentation: 100 levels, CPython's own limit ("too many levels of indentation");
//! - brackets: 200 open brackets, CPython's own limit ("too many nested parentheses");
//! - tree depth: an upper bound on how deep the syntax tree can be at any token, at most `MAX_DEPTH`. Each
//!   open bracket contributes the operators written before it in its own element (comma-separated items
//!   reset the count: `[1, 2, 3]` is flat, `1 + 1 + ... + 1` is as deep as it is long), each indentation
//!   level contributes its block plus the `elif`s chained at that level (they nest as `else: if`).

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::lexer::lex;
use ruff_python_parser::Mode;

/// CPython's tokenizer refuses deeper indentation (`MAXINDENT`).
pub const MAX_INDENT: usize = 100;
/// CPython's tokenizer refuses deeper bracket nesting (`MAXLEVEL`).
pub const MAX_BRACKETS: usize = 200;
/// Upper bound on the syntax tree's depth that the analysis accepts (every thread that analyses a file has
/// a stack that takes this depth many times over; see `crate::pool`).
pub const MAX_DEPTH: u32 = 3000;

/// How much memory the parser may spend on nesting before the check runs. Measured on ruff's parser: about
/// 2 KB per level of brackets, 3.4 KB per nested f-string, under 1 KB per prefix operator, conditional or
/// lambda (its recursion grows on the heap).
pub const PARSE_FIRST_BUDGET: usize = 128 << 20;
const PER_OPENER: usize = 4096;
const PER_WORD: usize = 1024;

/// Can the parser spend more than `PARSE_FIRST_BUDGET` on nesting in `source`? A sound, cheap over-estimate:
/// every level of the parser's recursion consumes a token that opens it — a bracket, an f-string's quote, a
/// unary or star operator (bytes, counted), or `not`, `lambda`, `await`, `yield`, a conditional's `else`
/// (words of at least four bytes with what follows them, bounded by a quarter of the length, and counted only
/// when that bound is not enough); a comprehension level sits in brackets of its own, and statement blocks
/// need lines of growing indentation, which a file of bounded size cannot nest deeply. Strings and comments are
/// counted too: it only over-estimates. A file it clears is parsed first and checked on the parse's tokens.
pub fn may_nest_deep(source: &str) -> bool {
    let b = source.as_bytes();
    if b.len() * PER_OPENER <= PARSE_FIRST_BUDGET {
        return false;
    }
    // A branch-free count over fixed-size chunks vectorises.
    let opens = |c: u8| matches!(c, b'(' | b'[' | b'{' | b'\'' | b'"' | b'*' | b'-' | b'+' | b'~') as u8;
    let mut n = 0usize;
    let mut chunks = b.chunks_exact(255);
    for chunk in &mut chunks {
        n += chunk.iter().fold(0u8, |acc, &c| acc + opens(c)) as usize;
    }
    n += chunks.remainder().iter().map(|&c| opens(c) as usize).sum::<usize>();
    let mut cost = n * PER_OPENER;
    if cost + b.len() / 4 * PER_WORD <= PARSE_FIRST_BUDGET {
        return false;
    }
    for word in ["not", "else", "lambda", "await", "yield"] {
        cost += memchr::memmem::find_iter(b, word.as_bytes()).count() * PER_WORD;
        if cost > PARSE_FIRST_BUDGET {
            return true;
        }
    }
    false
}

/// Where and why a file is too deep to analyse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// Byte offset of the token where the limit was passed.
    pub offset: u32,
    pub message: String,
}

/// Per open bracket: operators and brackets written so far in the current comma-separated element.
struct Group {
    ops: u32,
}

/// Refuse `source` when its nesting passes one of the limits (lexes it; for files not parsed yet).
pub fn check(source: &str) -> Result<(), TooDeep> {
    let mut lexer = lex(source, Mode::Module);
    let tokens = std::iter::from_fn(|| Some(lexer.next_token())).take_while(|k| *k != TokenKind::EndOfFile);
    bound(tokens.map(|k| (k, None)))
        .map_err(|(index, message)| TooDeep { offset: offset_of_token(source, index), message })
}

/// The same on the tokens of a parsed file (no second lexing).
pub fn check_parsed(tokens: &ruff_python_ast::token::Tokens) -> Result<(), TooDeep> {
    use ruff_text_size::Ranged;
    let tokens = tokens.iter().map(|t| (t.kind(), Some(t.start().to_u32())));
    bound(tokens).map_err(|(offset, message)| TooDeep { offset: offset as u32, message })
}

/// The limits over a token stream. On failure: the failing token's offset when the stream has offsets, else
/// the number of significant tokens before it (see `offset_of_token`), and the message.
fn bound(tokens: impl Iterator<Item = (TokenKind, Option<u32>)>) -> Result<(), (usize, String)> {
    // Statement nesting: per indentation level (the module is the first), the elifs chained at that level so far.
    let mut levels: Vec<u32> = vec![0];
    let mut stmt_depth: u32 = 0;
    // Open brackets (and f/t-strings); the bottom entry is the statement's own top-level element.
    let mut groups: Vec<Group> = vec![Group { ops: 0 }];
    let mut expr_depth: u32 = 1;
    let mut line_start = true;
    // Significant tokens seen (as `significant` counts them), to find the failing token's offset.
    let mut index = 0usize;
    for (kind, offset) in tokens {
        let fail = |message: String| Err((offset.map_or(index, |o| o as usize), message));
        match kind {
            TokenKind::EndOfFile => return Ok(()),
            TokenKind::Indent => {
                levels.push(0);
                stmt_depth += 2;
                if levels.len() - 1 > MAX_INDENT {
                    return fail(format!("more than {MAX_INDENT} levels of indentation"));
                }
            }
            TokenKind::Dedent => {
                if levels.len() > 1 {
                    let elifs = levels.pop().expect("checked");
                    stmt_depth = stmt_depth.saturating_sub(2 + elifs);
                }
            }
            TokenKind::Newline => {
                groups.truncate(1);
                groups[0].ops = 0;
                expr_depth = 1;
                line_start = true;
            }
            TokenKind::Comment | TokenKind::NonLogicalNewline => {}
            _ => {
                if std::mem::take(&mut line_start) {
                    // A statement at this level ends the elif chain of the one before, unless it continues it.
                    let elifs = levels.last_mut().expect("module level");
                    match kind {
                        TokenKind::Elif => {
                            *elifs += 1;
                            stmt_depth += 1;
                        }
                        TokenKind::Else => {}
                        _ => {
                            stmt_depth -= *elifs;
                            *elifs = 0;
                        }
                    }
                }
                match kind {
                    TokenKind::Lpar
                    | TokenKind::Lsqb
                    | TokenKind::Lbrace
                    | TokenKind::FStringStart
                    | TokenKind::TStringStart => {
                        groups.last_mut().expect("bottom group").ops += 1;
                        groups.push(Group { ops: 0 });
                        expr_depth += 2;
                        if groups.len() - 1 > MAX_BRACKETS {
                            return fail(format!("more than {MAX_BRACKETS} nested brackets"));
                        }
                    }
                    TokenKind::Rpar
                    | TokenKind::Rsqb
                    | TokenKind::Rbrace
                    | TokenKind::FStringEnd
                    | TokenKind::TStringEnd
                        if groups.len() > 1 =>
                    {
                        let g = groups.pop().expect("checked");
                        expr_depth = expr_depth.saturating_sub(g.ops + 1);
                    }
                    TokenKind::Comma | TokenKind::Semi => {
                        let top = groups.last_mut().expect("bottom group");
                        expr_depth = expr_depth.saturating_sub(top.ops);
                        top.ops = 0;
                    }
                    k if is_operator(k) => {
                        groups.last_mut().expect("bottom group").ops += 1;
                        expr_depth += 1;
                    }
                    _ => {}
                }
            }
        }
        if stmt_depth + expr_depth > MAX_DEPTH {
            return fail(format!("syntax tree deeper than {MAX_DEPTH} levels (nested blocks, brackets or operators)"));
        }
        index += significant(kind) as usize;
    }
    Ok(())
}

/// Tokens that stand for source text (a prefix of the source lexes to the same ones, plus layout tokens
/// synthesized at its end).
fn significant(k: TokenKind) -> bool {
    !matches!(
        k,
        TokenKind::Newline
            | TokenKind::NonLogicalNewline
            | TokenKind::Indent
            | TokenKind::Dedent
            | TokenKind::Comment
            | TokenKind::EndOfFile
    )
}

/// Tokens that add a level to the tree above the operands around them.
fn is_operator(k: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        k,
        Plus | Minus
            | Star
            | Slash
            | DoubleSlash
            | Percent
            | DoubleStar
            | At
            | Vbar
            | Amper
            | CircumFlex
            | Tilde
            | LeftShift
            | RightShift
            | Less
            | Greater
            | EqEqual
            | NotEqual
            | LessEqual
            | GreaterEqual
            | Dot
            | Colon
            | ColonEqual
            | Rarrow
            | And
            | Or
            | Not
            | Is
            | In
            | If
            | Else
            | For
            | Lambda
            | Await
            | Yield
    )
}

/// Byte offset of the `index`th token (0-based, as the lexer counts them), for the diagnostic's line. Only
/// called on the failure path: the lexer gives no offsets, so this finds the shortest prefix of the source
/// that already lexes to more than `index` tokens (binary search, one lex per step).
fn offset_of_token(source: &str, index: usize) -> u32 {
    let tokens_in = |end: usize| -> usize {
        let mut lexer = lex(&source[..end], Mode::Module);
        let mut n = 0usize;
        loop {
            let kind = lexer.next_token();
            if kind == TokenKind::EndOfFile || n > index {
                return n;
            }
            n += significant(kind) as usize;
        }
    };
    let (mut lo, mut hi) = (0usize, source.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mid = (mid..=hi).find(|&m| source.is_char_boundary(m)).unwrap_or(hi);
        if mid >= hi {
            break;
        }
        if tokens_in(mid) > index {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    hi.min(source.len()) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(src: &str, off: u32) -> usize {
        1 + src[..off as usize].matches('\n').count()
    }

    #[test]
    fn ordinary_code_passes() {
        let src = "def f(x):\n    if x:\n        return [1, 2, 3] + [a.b.c(d) for d in e if d]\n    elif y:\n        pass\n    else:\n        pass\n";
        assert_eq!(check(src), Ok(()));
        // Long flat literals and long elif chains that end are fine.
        let flat = format!("x = [{}]\n", vec!["-1"; 50_000].join(", "));
        assert_eq!(check(&flat), Ok(()));
        let mut chain = String::from("if a:\n    pass\n");
        for _ in 0..1000 {
            chain.push_str("elif a:\n    pass\n");
        }
        for _ in 0..3000 {
            chain.push_str("x = 1\n");
        }
        assert_eq!(check(&chain), Ok(()));
    }

    #[test]
    fn deep_brackets_are_refused_with_their_line() {
        let src = format!("x = 1\n\"\"\"doc\nstring\"\"\"\ny = {}1{}\n", "[".repeat(300), "]".repeat(300));
        let err = check(&src).unwrap_err();
        assert!(err.message.contains("200 nested brackets"), "{err:?}");
        assert_eq!(line_of(&src, err.offset), 4, "{err:?}");
    }

    #[test]
    fn deep_indentation_is_refused() {
        let mut src = String::from("import time\n");
        for i in 0..150 {
            src.push_str(&" ".repeat(i));
            src.push_str("if x:\n");
        }
        src.push_str(&" ".repeat(150));
        src.push_str("pass\n");
        let err = check(&src).unwrap_err();
        assert!(err.message.contains("indentation"), "{err:?}");
        // Line 1 is the import; line `k + 2` is indented `k` levels: the 101st level is line 103.
        assert_eq!(line_of(&src, err.offset), 103, "{err:?}");
    }

    #[test]
    fn long_operator_chains_are_refused() {
        let src = format!("x = {}\n", vec!["1"; 9400].join("+"));
        let err = check(&src).unwrap_err();
        assert!(err.message.contains("deeper than"), "{err:?}");
        assert_eq!(line_of(&src, err.offset), 1);
        let calls = format!("x = {}1{}\n", "f(".repeat(150), ")".repeat(150));
        assert_eq!(check(&calls), Ok(()));
        let chained = format!("x = f{}\n", "()".repeat(5000));
        assert!(check(&chained).is_err(), "a call chain nests as deep as it is long");
    }

    #[test]
    fn the_parsed_tokens_give_the_same_verdict_and_place() {
        let mut ifs = String::from("import time\n");
        for i in 0..150 {
            ifs.push_str(&" ".repeat(i));
            ifs.push_str("if x:\n");
        }
        ifs.push_str(&" ".repeat(150));
        ifs.push_str("pass\n");
        let sources = [
            format!("x = 1\n\"\"\"doc\nstring\"\"\"\ny = {}1{}\n", "[".repeat(300), "]".repeat(300)),
            ifs,
            format!("x = 1\ny = {}\n", vec!["1"; 4000].join("+")),
            "def f(x):\n    return [1, 2, (3, 4)]\n".to_string(),
        ];
        for src in sources {
            let parsed = ruff_python_parser::parse_module(&src).unwrap();
            let line = |r: Result<(), TooDeep>| r.map_err(|e| (line_of(&src, e.offset), e.message));
            assert_eq!(line(check_parsed(parsed.tokens())), line(check(&src)), "{}", &src[..40]);
        }
    }

    #[test]
    fn only_files_that_could_nest_past_the_budget_are_lexed_first() {
        let ordinary = "def f(x):\n    return [x, (x + 1), {'a': -x}] if not x else None\n".repeat(3000);
        assert!(!may_nest_deep(&ordinary), "{} bytes of ordinary code", ordinary.len());
        assert!(may_nest_deep(&format!("x = {}{}\n", "[".repeat(40_000), "]".repeat(40_000))));
        assert!(may_nest_deep(&format!("x = {}1\n", "f'{".repeat(40_000))));
        assert!(may_nest_deep(&format!("x = {}1\n", "not ".repeat(140_000))));
        assert!(may_nest_deep(&format!("x = {}1\n", "1 if a else ".repeat(140_000))));
    }

    #[test]
    fn long_elif_chains_are_refused() {
        let mut src = String::from("def f(a):\n    if a:\n        pass\n");
        for _ in 0..4000 {
            src.push_str("    elif a:\n        pass\n");
        }
        assert!(check(&src).is_err());
    }
}
