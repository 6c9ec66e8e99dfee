//! The scanned module names closest to one that is not among them, for `--canonical MODULE`'s error.

/// At most `n` of `names`, closest to `wanted` first: those that end with it or it ends with (a name given from
/// a deeper or shallower root), then by edit distance (of the whole names, or of their last segments), then by
/// name.
pub fn closest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>, n: usize) -> Vec<&'a str> {
    let tail = |long: &str, short: &str| {
        long.len() > short.len() && long.ends_with(short) && long.as_bytes()[long.len() - short.len() - 1] == b'.'
    };
    let mut scored: Vec<(usize, &str)> = names
        .into_iter()
        .map(|name| {
            // A misspelt last segment is as near as a misspelt name: `a.b.retry_engin` is near `a.b.c.retry_engine`.
            let near = distance(wanted, name).min(distance(last(wanted), last(name)) + 2);
            let score = if tail(name, wanted) || tail(wanted, name) { 0 } else { 1 + near };
            (score, name)
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(n).map(|(_, name)| name).collect()
}

/// The last segment of a dotted name.
fn last(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_first_then_edit_distance() {
        let names = ["acme.core.retry", "acme.core.retries", "acme.jobs", "other.retry_engine"];
        assert_eq!(closest("core.retry", names, 2), ["acme.core.retry", "acme.core.retries"]);
        assert_eq!(closest("acme.core.retyr", names, 1), ["acme.core.retry"]);
        assert_eq!(closest("acme.retry_engin", names, 1), ["other.retry_engine"]);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
