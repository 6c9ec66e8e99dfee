//! The lexer: identifiers, numbers, strings and f-strings (with their nested fields), byte by byte.

use super::*;

/// `except KeyError:`, `except (queue.Empty, StopIteration) as e:` — every type a control-flow name.
pub(super) fn is_control_flow_clause(src: &str, clause: &Clause) -> bool {
    let mut t: &[u8] = &clause.tokens;
    if t.first() == Some(&b'*') {
        t = &t[1..];
    }
    // Drop `as NAME`.
    if t.len() >= 2 && t[t.len() - 2] == b'a' && t[t.len() - 1] == b'i' {
        t = &t[..t.len() - 2];
    }
    if t.contains(&b'a') {
        return false;
    }
    if t.first() == Some(&b'(') && t.last() == Some(&b')') {
        t = &t[1..t.len() - 1];
    }
    if t.is_empty() || t.contains(&b'(') || t.contains(&b')') || t.contains(&b'*') {
        return false;
    }
    // Items: ident (. ident)*, separated by commas; check each item's last name.
    let mut names = clause.names.iter();
    let mut items = 0;
    for item in t.split(|&c| c == b',') {
        if item.is_empty() {
            continue; // trailing comma
        }
        let well_formed = item.iter().enumerate().all(|(k, &c)| if k % 2 == 0 { c == b'i' } else { c == b'.' })
            && item.len() % 2 == 1;
        if !well_formed {
            return false;
        }
        let n_names = item.len() / 2 + 1;
        let mut last = None;
        for _ in 0..n_names {
            last = names.next();
        }
        let Some(&(s, e)) = last else { return false };
        let name = &src[s..e];
        if !(name.contains("Empty") || crate::detect::names::CONTROL_FLOW_EXCEPTIONS.contains(&name)) {
            return false;
        }
        items += 1;
    }
    items > 0
}

/// Keywords `Scanner::word` reads (block openers, handler leaves, import lines, `as` in except clauses).
#[inline]
pub(super) fn is_keyword_read(w: &str) -> bool {
    match w.len() {
        2 => w == "as",
        3 => matches!(w, "for" | "def" | "try"),
        4 => w == "from",
        5 => matches!(w, "while" | "class" | "raise" | "break"),
        6 => matches!(w, "except" | "return" | "import"),
        8 => w == "continue",
        _ => false,
    }
}

/// The first byte at or after `i` that is not a space or tab (0 at the end).
pub(super) fn next_non_space(b: &[u8], mut i: usize) -> u8 {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    b.get(i).copied().unwrap_or(0)
}

pub(super) fn word_end(b: &[u8], mut i: usize) -> Result<usize, Unsure> {
    while let Some(&c) = b.get(i) {
        if !IDENT_CHAR[c as usize] {
            break;
        }
        i += 1;
    }
    if i < b.len() && b[i] >= 0x80 {
        return Err(Unsure); // non-ASCII identifier (NFKC-normalised by the parser)
    }
    Ok(i)
}

pub(super) static IDENT_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c as u8 == b'_';
        c += 1;
    }
    t
};

pub(super) fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
        // `1e-5` / `1E+5`: the sign belongs to the number.
        if matches!(b[i], b'e' | b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) && !is_hex_prefix(b, i) {
            i += 2;
            continue;
        }
        i += 1;
    }
    i
}

pub(super) fn is_hex_prefix(b: &[u8], i: usize) -> bool {
    // Walk back over the number to see whether it is `0x...`.
    let mut k = i;
    while k > 0 && (b[k - 1].is_ascii_alphanumeric() || b[k - 1] == b'_') {
        k -= 1;
    }
    b.get(k) == Some(&b'0') && matches!(b.get(k + 1), Some(b'x' | b'X'))
}

pub(super) fn is_string_prefix(w: &str) -> bool {
    w.len() <= 2
        && matches!(
            w.to_ascii_lowercase().as_str(),
            "r" | "u" | "b" | "f" | "t" | "br" | "rb" | "fr" | "rf" | "tr" | "rt"
        )
}

/// Lex a string literal whose opening quote is at `i` (`prefix` already consumed); return the offset after
/// it. Identifiers of f/t-string fields are reported through `words` (byte ranges). `nest`: the f-strings this
/// one is nested in; past the parser's bracket limit the answer is "unsure" (the recursion stays bounded, and
/// the parse that follows refuses the file as too deep).
pub(super) fn string(
    b: &[u8],
    mut i: usize,
    prefix: &[u8],
    words: &mut dyn FnMut((usize, usize)),
    nest: usize,
) -> Result<usize, Unsure> {
    if nest > crate::parse::depth::MAX_BRACKETS {
        return Err(Unsure);
    }
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    i += if triple { 3 } else { 1 };
    let raw = prefix.iter().any(|c| matches!(c, b'r' | b'R'));
    let interpolated = prefix.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
    loop {
        if !interpolated {
            // Plain strings: jump to the next quote, backslash or line end.
            let rest = b.get(i..).unwrap_or(&[]);
            let k = if triple { memchr::memchr2(q, b'\\', rest) } else { memchr::memchr3(q, b'\\', b'\n', rest) };
            let k = match k {
                Some(k) => k,
                None if triple => return Err(Unsure),
                // `\r` alone ends a line too.
                None => return Err(Unsure),
            };
            if !triple && memchr::memchr(b'\r', &rest[..k]).is_some() {
                return Err(Unsure);
            }
            i += k;
        }
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'\\' => {
                if interpolated && !raw && b.get(i + 1) == Some(&b'N') && b.get(i + 2) == Some(&b'{') {
                    // `\N{NAME}`.
                    i += 3;
                    while b.get(i).is_some_and(|&c| c != b'}' && c != q && c != b'\n') {
                        i += 1;
                    }
                    i += 1;
                } else if interpolated && matches!(b.get(i + 1), Some(b'{' | b'}')) {
                    i += 1;
                } else {
                    i += 2;
                }
            }
            _ if c == q => {
                if !triple {
                    return Ok(i + 1);
                }
                if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                    return Ok(i + 3);
                }
                i += 1;
            }
            b'\n' | b'\r' if !triple => return Err(Unsure),
            b'{' if interpolated => {
                if b.get(i + 1) == Some(&b'{') {
                    i += 2;
                } else {
                    i = field(b, i + 1, words, nest + 1)?;
                }
            }
            _ => i += 1,
        }
    }
}

/// Lex an f-string replacement field starting after its `{`; return the offset after its `}`.
pub(super) fn field(
    b: &[u8],
    mut i: usize,
    words: &mut dyn FnMut((usize, usize)),
    nest: usize,
) -> Result<usize, Unsure> {
    let mut depth = 0u32;
    loop {
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'"' | b'\'' => i = string(b, i, b"", words, nest)?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = word_end(b, i)?;
                if matches!(b.get(end), Some(b'"' | b'\''))
                    && is_string_prefix(std::str::from_utf8(&b[i..end]).unwrap_or(""))
                {
                    i = string(b, end, &b[i..end], words, nest)?;
                } else {
                    words((i, end));
                    i = end;
                }
            }
            b'0'..=b'9' => i = number_end(b, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' => {
                if depth == 0 {
                    return Err(Unsure);
                }
                depth -= 1;
                i += 1;
            }
            b'}' => {
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
                depth -= 1;
            }
            b':' if depth == 0 && b.get(i + 1) != Some(&b'=') => return spec(b, i + 1, words, nest),
            b'#' | b'\\' => return Err(Unsure),
            0x80.. => return Err(Unsure),
            b'*' | b'<' => {
                words((i, i));
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// Lex a format spec (after the field's `:`), with nested fields; return the offset after the field's `}`.
pub(super) fn spec(
    b: &[u8],
    mut i: usize,
    words: &mut dyn FnMut((usize, usize)),
    nest: usize,
) -> Result<usize, Unsure> {
    loop {
        let Some(&c) = b.get(i) else { return Err(Unsure) };
        match c {
            b'{' => i = field(b, i + 1, words, nest + 1)?,
            b'}' => return Ok(i + 1),
            b'"' | b'\'' | b'\n' | b'\r' | b'\\' => return Err(Unsure),
            _ => i += 1,
        }
    }
}
