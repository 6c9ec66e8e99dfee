//! Reading and decoding source files: UTF-8 (with or without BOM) or the PEP 263 coding cookie's encoding.
//!
//! A file is decoded once into a `SourceFile`; everything downstream works on its UTF-8 text, and the
//! codemods use `encoding`/`bom`/`line_ending` to write it back exactly as it was stored.

mod file;
mod line_index;

pub use file::{read_regular, read_text, special_kind, ReadFailure, TEXT_FILE_LIMIT};
pub use line_index::LineIndex;

use encoding_rs::Encoding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Decoded text (without BOM).
    pub text: String,
    /// `None` for UTF-8; otherwise the cookie's encoding, used to encode rewritten text.
    pub encoding: Option<&'static Encoding>,
    pub bom: bool,
    pub line_ending: LineEnding,
    /// Built on first use: most decoded files are never reported on.
    lines: std::sync::OnceLock<LineIndex>,
}

impl SourceFile {
    /// Line starts of `text`.
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }
}

/// Why a file could not be decoded; `line` is 1-based when known.
#[derive(Debug, Clone)]
pub struct DecodeError {
    pub line: u32,
    pub message: String,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Byte order marks of encodings CPython cannot read source in (it only reads ASCII-compatible ones).
const WIDE_BOMS: &[(&[u8], &str)] = &[
    (b"\xFF\xFE\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xFE\xFF", "UTF-32 (big-endian)"),
    (b"\xFF\xFE", "UTF-16 (little-endian)"),
    (b"\xFE\xFF", "UTF-16 (big-endian)"),
];

fn wide_bom(bytes: &[u8]) -> Option<DecodeError> {
    let (_, name) = WIDE_BOMS.iter().find(|(bom, _)| bytes.starts_with(bom))?;
    Some(DecodeError {
        line: 1,
        message: format!(
            "{name} byte order mark: Python source must be UTF-8 or an ASCII-compatible encoding named by a \
             PEP 263 coding cookie"
        ),
    })
}

fn utf8_error(body: &[u8], e: std::str::Utf8Error, bom: bool) -> DecodeError {
    let line = 1 + memchr::memchr_iter(b'\n', &body[..e.valid_up_to()]).count() as u32;
    DecodeError {
        line,
        message: format!(
            "invalid UTF-8 at byte {} and no coding cookie (PEP 263) declares another encoding",
            e.valid_up_to() + if bom { 3 } else { 0 }
        ),
    }
}

/// The first NUL byte's line, if any (CPython refuses source with NUL bytes).
pub fn nul_line(text: &[u8]) -> Option<u32> {
    let at = memchr::memchr(0, text)?;
    Some(1 + memchr::memchr_iter(b'\n', &text[..at]).count() as u32)
}

pub const NUL_MESSAGE: &str = "source contains a NUL byte";

/// What keeps `bytes` from being read as Python source, without building the decoded text where it can be
/// avoided: for files the prefilter skips, which would otherwise pass without a word. `Err((true, ..))` is a
/// decode error, `Err((false, ..))` a NUL byte (a parse error, as for files that are parsed).
pub fn check_source_bytes(bytes: &[u8]) -> Result<(), (bool, DecodeError)> {
    if let Some(e) = wide_bom(bytes) {
        return Err((true, e));
    }
    let (bom, body) = match bytes.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let nul = |text: &[u8]| match nul_line(text) {
        Some(line) => Err((false, DecodeError { line, message: NUL_MESSAGE.into() })),
        None => Ok(()),
    };
    if coding_cookie(body).is_some() {
        let src = decode(bytes).map_err(|e| (true, e))?;
        return nul(src.text.as_bytes());
    }
    std::str::from_utf8(body).map_err(|e| (true, utf8_error(body, e, bom)))?;
    nul(body)
}

/// Decode raw bytes the way CPython does: BOM => UTF-8; else a coding cookie on line 1 or 2; else UTF-8.
pub fn decode(bytes: &[u8]) -> Result<SourceFile, DecodeError> {
    if let Some(e) = wide_bom(bytes) {
        return Err(e);
    }
    let (bom, body) = match bytes.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let cookie = coding_cookie(body);
    let encoding = match &cookie {
        Some(name) => {
            let norm = normalize_encoding_name(name);
            if is_utf8_name(&norm) {
                None
            } else {
                match Encoding::for_label(norm.as_bytes()) {
                    Some(enc) if enc == encoding_rs::UTF_8 => None,
                    Some(enc) => {
                        if bom {
                            return Err(DecodeError { line: 1, message: format!("encoding problem: {name} with BOM") });
                        }
                        Some(enc)
                    }
                    None => {
                        return Err(DecodeError {
                            line: 1,
                            message: format!("unknown encoding in coding cookie: {name}"),
                        })
                    }
                }
            }
        }
        None => None,
    };
    let text = match encoding {
        None => match std::str::from_utf8(body) {
            Ok(s) => s.to_string(),
            Err(e) => return Err(utf8_error(body, e, bom)),
        },
        Some(enc) => {
            let (text, had_errors) = enc.decode_without_bom_handling(body);
            if had_errors {
                return Err(DecodeError {
                    line: 1,
                    message: format!("bytes not valid in declared encoding {}", enc.name()),
                });
            }
            text.into_owned()
        }
    };
    let line_ending = detect_line_ending(&text);
    Ok(SourceFile { text, encoding, bom, line_ending, lines: std::sync::OnceLock::new() })
}

/// `decode` of bytes the caller gives up: UTF-8 without a BOM or a coding cookie (most files) becomes the
/// text without a copy.
pub fn decode_vec(bytes: Vec<u8>) -> Result<SourceFile, DecodeError> {
    if bytes.starts_with(BOM) || wide_bom(&bytes).is_some() || coding_cookie(&bytes).is_some() {
        return decode(&bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let line_ending = detect_line_ending(&text);
            Ok(SourceFile { text, encoding: None, bom: false, line_ending, lines: std::sync::OnceLock::new() })
        }
        Err(e) => Err(utf8_error(e.as_bytes(), e.utf8_error(), false)),
    }
}

/// Encode text back to bytes in the file's original encoding (and BOM).
pub fn encode(file: &SourceFile, text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() + 3);
    if file.bom {
        out.extend_from_slice(BOM);
    }
    match file.encoding {
        None => out.extend_from_slice(text.as_bytes()),
        Some(enc) => {
            let (bytes, _, had_errors) = enc.encode(text);
            if had_errors {
                return Err(format!("text cannot be encoded in {}", enc.name()));
            }
            out.extend_from_slice(&bytes);
        }
    }
    Ok(out)
}

fn detect_line_ending(text: &str) -> LineEnding {
    match memchr::memchr(b'\n', text.as_bytes()) {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => LineEnding::CrLf,
        _ => LineEnding::Lf,
    }
}

/// PEP 263: `^[ \t\f]*#.*?coding[:=][ \t]*([-_.a-zA-Z0-9]+)` on line 1, or line 2 if line 1 is a comment/blank.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split(|&b| b == b'\n');
    let first = lines.next()?;
    if let Some(c) = cookie_in_line(first) {
        return Some(c);
    }
    let first_trim: Vec<u8> = first.iter().copied().filter(|b| !b" \t\x0c\r".contains(b)).collect();
    if !(first_trim.is_empty() || first_trim[0] == b'#') {
        return None;
    }
    lines.next().and_then(cookie_in_line)
}

fn cookie_in_line(line: &[u8]) -> Option<String> {
    let trimmed = line.iter().position(|b| !b" \t\x0c".contains(b)).map(|i| &line[i..])?;
    if trimmed.first() != Some(&b'#') {
        return None;
    }
    let pos = memchr::memmem::find(trimmed, b"coding")?;
    let rest = &trimmed[pos + 6..];
    let rest = match rest.first() {
        Some(b':') | Some(b'=') => &rest[1..],
        _ => return None,
    };
    let start = rest.iter().position(|b| *b != b' ' && *b != b'\t')?;
    let name: Vec<u8> =
        rest[start..].iter().take_while(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b)).copied().collect();
    if name.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&name).into_owned())
    }
}

fn normalize_encoding_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    // Python aliases that the WHATWG label table spells differently.
    match lower.as_str() {
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => "iso-8859-1".into(),
        "cp1252" | "windows-1252" => "windows-1252".into(),
        "cp1251" => "windows-1251".into(),
        "koi8-r" | "koi8r" => "koi8-r".into(),
        "ascii" | "us-ascii" => "utf-8".into(),
        l if l.starts_with("utf-8-") => "utf-8".into(),
        "utf8" => "utf-8".into(),
        other => other.to_string(),
    }
}

fn is_utf8_name(norm: &str) -> bool {
    norm == "utf-8"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_crlf() {
        let f = decode(b"\xEF\xBB\xBFx = 1\r\ny = 2\r\n").unwrap();
        assert!(f.bom);
        assert_eq!(f.line_ending, LineEnding::CrLf);
        assert_eq!(f.text, "x = 1\r\ny = 2\r\n");
        assert_eq!(encode(&f, &f.text).unwrap(), b"\xEF\xBB\xBFx = 1\r\ny = 2\r\n");
    }

    #[test]
    fn latin1_cookie_on_line_two() {
        let f = decode(b"#!/usr/bin/python\n# -*- coding: latin-1 -*-\ns = '\xe9'\n").unwrap();
        assert_eq!(f.encoding.unwrap().name(), "windows-1252");
        assert!(f.text.contains("'é'"));
        assert_eq!(encode(&f, &f.text).unwrap(), b"#!/usr/bin/python\n# -*- coding: latin-1 -*-\ns = '\xe9'\n");
    }

    #[test]
    fn koi8r_cookie() {
        let f = decode(b"# coding=koi8-r\ns = '\xc1'\n").unwrap();
        assert!(f.text.contains('а'));
    }

    #[test]
    fn cookie_on_line_three_is_ignored() {
        let err = decode(b"x = 1\n# coding: latin-1\ns = '\xe9'\n").unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn decode_vec_is_decode() {
        let cases: &[&[u8]] = &[
            b"x = 1\r\ny = 2\r\n",
            b"\xEF\xBB\xBFx = 1\n",
            b"# coding: latin-1\ns = '\xe9'\n",
            b"x = '\xe9'\n",
            b"\xFF\xFEx",
            b"",
        ];
        for &c in cases {
            match (decode(c), decode_vec(c.to_vec())) {
                (Ok(a), Ok(b)) => {
                    assert_eq!((a.text, a.encoding, a.bom, a.line_ending), (b.text, b.encoding, b.bom, b.line_ending))
                }
                (Err(a), Err(b)) => assert_eq!((a.line, a.message), (b.line, b.message)),
                _ => panic!("decode and decode_vec disagree on {c:?}"),
            }
        }
    }

    #[test]
    fn unknown_cookie_is_an_error() {
        let err = decode(b"# coding: klingon\n").unwrap_err();
        assert!(err.message.contains("klingon"), "{}", err.message);
    }
}
