//! Domain of a finding (`database`, `llm`, `agent`, `websocket`, `file`, `http`, `auth`, `mcp`, `generic`,
//! `test`) from the words of `rules/domains.toml`: symbol (weight 3), path (2), operations called (1).

use crate::data::Domains;

pub fn classify(d: &Domains, path: &str, qualname: &str, operations: &[String]) -> String {
    for (glob, domain) in &d.path_overrides {
        if glob.is_match(path) {
            return domain.clone();
        }
    }
    let lpath = format!("/{}", path.to_ascii_lowercase());
    if d.test_paths.iter().any(|t| lpath.contains(t.as_str())) {
        return "test".into();
    }
    let lsym = qualname.to_ascii_lowercase();
    let ops: Vec<String> = operations.iter().map(|o| o.to_ascii_lowercase()).collect();
    // Split once, not once per word (this runs for every finding, over every word of every domain).
    let segments: Vec<&str> = lpath.split('/').collect();
    let ops_joined = ops.join("\0");
    let mut best: Option<(&str, u32)> = None;
    for dom in &d.domains {
        let mut score = 0;
        for w in &dom.words {
            // The words are mostly lower-case already: copy only the others.
            let w: std::borrow::Cow<str> = if w.bytes().any(|b| b.is_ascii_uppercase()) {
                std::borrow::Cow::Owned(w.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(w)
            };
            let w = w.as_ref();
            if identifier_has(&lsym, w) {
                score += 3;
            }
            let (in_path, in_ops) = in_path_and_ops(w, (&lpath, &segments), (&ops_joined, &ops));
            if in_path {
                score += 2;
            }
            if in_ops {
                score += 1;
            }
        }
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((&dom.name, score));
        }
    }
    best.map(|(n, _)| n.to_string()).unwrap_or_else(|| "generic".into())
}

/// Is `w` in a segment of the path, in an operation? Searched in the joined texts, one search each instead of
/// one per segment and operation: a word without `/` or `\0` is in the joined text where it is in one of the
/// parts, and the tokens of the joined text (split at the separators, which are not alphanumeric) are theirs.
/// A word whose trimmed form is empty (an empty token) or that holds a separator is searched part by part.
/// `path`: the path joined by `/` and its segments; `ops`: the operations joined by `\0` and the operations.
fn in_path_and_ops(w: &str, path: (&str, &[&str]), ops: (&str, &[String])) -> (bool, bool) {
    if w.trim_matches('_').is_empty() || w.contains(['/', '\0']) {
        (path.1.iter().any(|seg| identifier_has(seg, w)), ops.1.iter().any(|o| identifier_has(o, w)))
    } else {
        (identifier_has(path.0, w), identifier_has(ops.0, w))
    }
}

/// Word match inside an identifier or path segment: short words (<= 3 chars, like `db`, `api`, `ws_`) must
/// sit on `_`, `.`, `/` or case boundaries so `db` does not match `feedback`.
fn identifier_has(hay: &str, word: &str) -> bool {
    if word.len() > 3 {
        return hay.contains(word);
    }
    hay.split(|c: char| !c.is_ascii_alphanumeric()).any(|tok| tok == word.trim_matches('_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_path_and_operations() {
        let d = Domains::load(None).unwrap();
        assert_eq!(classify(&d, "app/db/postgres_core.py", "connect", &[]), "database");
        assert_eq!(classify(&d, "app/services/x.py", "call_llm_with_retry", &[]), "llm");
        assert_eq!(classify(&d, "tests/helpers.py", "retry_db", &[]), "test");
        assert_eq!(classify(&d, "app/feedback.py", "go", &[]), "generic");
        assert_eq!(classify(&d, "app/x.py", "go", &["session.execute".into()]), "database");
    }

    /// Searching the joined path and operations finds a word where searching each segment and operation does.
    #[test]
    fn joined_search_as_per_part() {
        let d = Domains::load(None).unwrap();
        let mut words: Vec<String> =
            d.domains.iter().flat_map(|dom| dom.words.iter().map(|w| w.to_ascii_lowercase())).collect();
        words.extend(["_", "a/b", "db", "el", "mod", "model"].map(String::from));
        let paths = ["/app/db/x.py", "/sql/agent/chat.py", "/a/b_db/c.py", "/x.py", "/a//b.py", "/mod/el.py"];
        let ops: [&[&str]; 5] =
            [&[], &["session.execute", "requests.get"], &["db", "x.sql"], &["chat", "", "http"], &["mod", "el"]];
        for path in paths {
            let segments: Vec<&str> = path.split('/').collect();
            for o in ops {
                let o: Vec<String> = o.iter().map(|s| s.to_string()).collect();
                let joined = o.join("\0");
                for w in &words {
                    let per_part =
                        (segments.iter().any(|s| identifier_has(s, w)), o.iter().any(|x| identifier_has(x, w)));
                    assert_eq!(in_path_and_ops(w, (path, &segments), (&joined, &o)), per_part, "{w} {path} {o:?}");
                }
            }
        }
    }
}
