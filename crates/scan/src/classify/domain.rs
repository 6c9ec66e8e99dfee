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
    let ops_joined = ops.join("\0");
    let index = d.word_index();
    let n = index.words.len();
    let (mut in_sym, mut in_path, mut in_ops) = (vec![false; n], vec![false; n], vec![false; n]);
    index.mark(&lsym, &mut in_sym);
    index.mark(&lpath, &mut in_path);
    index.mark(&ops_joined, &mut in_ops);
    if !index.by_part.is_empty() {
        // Split once, not once per word.
        let segments: Vec<&str> = lpath.split('/').collect();
        for &w in &index.by_part {
            (in_path[w], in_ops[w]) = in_path_and_ops(&index.words[w], (&lpath, &segments), (&ops_joined, &ops));
        }
    }
    let mut best: Option<(&str, u32)> = None;
    for (dom, words) in d.domains.iter().zip(&index.domain_words) {
        let score: u32 = words.iter().map(|&w| 3 * in_sym[w] as u32 + 2 * in_path[w] as u32 + in_ops[w] as u32).sum();
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((&dom.name, score));
        }
    }
    best.map(|(n, _)| n.to_string()).unwrap_or_else(|| "generic".into())
}

/// The domains' words, ready for one search of each text instead of one search per word (this runs for
/// every finding and site, over every word of every domain: on a dense tree it was a tenth of the first
/// pass). `identifier_has` for every word at once: the words longer than three bytes in one automaton (a
/// substring anywhere counts), the shorter ones compared with the text's tokens.
#[derive(Debug, Clone)]
pub struct WordIndex {
    /// The distinct words, lower-cased.
    words: Vec<String>,
    long: Option<aho_corasick::AhoCorasick>,
    /// Pattern of `long` -> its word.
    long_words: Vec<usize>,
    /// (word trimmed of `_`, word) for the words of three bytes or fewer.
    short: Vec<(String, usize)>,
    /// Words searched in the path and operations part by part (`in_path_and_ops`).
    by_part: Vec<usize>,
    /// Per domain, the word of each of its words (a word listed twice counts twice).
    domain_words: Vec<Vec<usize>>,
}

impl WordIndex {
    pub fn new(d: &Domains) -> WordIndex {
        let mut words: Vec<String> = Vec::new();
        let domain_words = d
            .domains
            .iter()
            .map(|dom| {
                dom.words
                    .iter()
                    .map(|w| {
                        let w = w.to_ascii_lowercase();
                        words.iter().position(|x| *x == w).unwrap_or_else(|| {
                            words.push(w);
                            words.len() - 1
                        })
                    })
                    .collect()
            })
            .collect();
        let long_words: Vec<usize> = (0..words.len()).filter(|&i| words[i].len() > 3).collect();
        let long = (!long_words.is_empty()).then(|| {
            aho_corasick::AhoCorasick::new(long_words.iter().map(|&i| &words[i])).expect("domain words compile")
        });
        let short = (0..words.len())
            .filter(|&i| words[i].len() <= 3)
            .map(|i| (words[i].trim_matches('_').to_string(), i))
            .collect();
        let by_part = (0..words.len())
            .filter(|&i| words[i].trim_matches('_').is_empty() || words[i].contains(['/', '\0']))
            .collect();
        WordIndex { words, long, long_words, short, by_part, domain_words }
    }

    /// Mark the words `identifier_has` finds in `hay`.
    fn mark(&self, hay: &str, found: &mut [bool]) {
        if let Some(long) = &self.long {
            for m in long.find_overlapping_iter(hay) {
                found[self.long_words[m.pattern().as_usize()]] = true;
            }
        }
        if !self.short.is_empty() {
            for tok in hay.split(|c: char| !c.is_ascii_alphanumeric()) {
                for (w, i) in &self.short {
                    if tok == w {
                        found[*i] = true;
                    }
                }
            }
        }
    }
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

    /// The word index finds what `identifier_has` finds, word by word.
    #[test]
    fn word_index_as_word_by_word() {
        let mut d = Domains::load(None).unwrap();
        d.domains[0].words.extend(["_", "a/b", "el", "Mod", "model", "db"].map(String::from));
        let index = WordIndex::new(&d);
        let texts =
            ["/app/db/x.py", "feedback_loop", "sql\0agent.chat", "/a//b_db/c.py", "", "__", "mod.el", "retry_llm_call"];
        for t in texts {
            let mut found = vec![false; index.words.len()];
            index.mark(t, &mut found);
            for (i, w) in index.words.iter().enumerate() {
                assert_eq!(found[i], identifier_has(t, w), "{w:?} in {t:?}");
            }
        }
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
