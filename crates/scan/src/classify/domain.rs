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
            if segments.iter().any(|seg| identifier_has(seg, w)) {
                score += 2;
            }
            if ops.iter().any(|o| identifier_has(o, w)) {
                score += 1;
            }
        }
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((&dom.name, score));
        }
    }
    best.map(|(n, _)| n.to_string()).unwrap_or_else(|| "generic".into())
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
}
