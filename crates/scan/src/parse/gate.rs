//! The token scanner's name gate: a cheap test that an identifier may contain one of a set of words.
//!
//! For every word one of its trigrams is chosen (the one made of the least common letter pairs); an identifier
//! that contains the word contains that trigram, so an identifier without any chosen trigram contains no word.
//! Trigrams are ASCII case-insensitive; words shorter than three bytes make the gate pass everything.

/// Letter pairs too common in identifiers to make a selective trigram (`self`, `return`, `name` ...).
const COMMON_BIGRAMS: &[&str] = &[
    "se", "el", "lf", "re", "et", "tu", "ur", "rn", "in", "on", "er", "te", "at", "en", "st", "ti", "es", "nt", "ar",
    "le", "ed", "or", "de", "al", "an", "ra", "ne", "ng", "is", "it", "ta", "to", "ou", "ro", "ri", "_s", "s_", "e_",
    "_c", "_t", "t_", "_p", "co", "ge",
];

/// Identifier bytes folded to 1..=37 (letters ignoring case, digits, `_`); anything else 0.
static FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'a'..=b'z' => b - b'a' + 1,
            b'A'..=b'Z' => b - b'A' + 1,
            b'0'..=b'9' => b - b'0' + 27,
            b'_' => 37,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// A trigram's index: six bits per folded byte.
const BITS: usize = 18;
const MASK: usize = (1 << BITS) - 1;

fn index(a: u8, b: u8, c: u8) -> usize {
    (FOLD[a as usize] as usize) << 12 | (FOLD[b as usize] as usize) << 6 | FOLD[c as usize] as usize
}

/// `u64` words of the bit set.
const WORDS: usize = (1 << BITS) / 64;

#[derive(Debug, Clone)]
pub(super) struct TrigramGate {
    bits: Box<[u64; WORDS]>,
    /// A word too short for a trigram: every identifier passes.
    open: bool,
}

impl TrigramGate {
    pub fn new<S: AsRef<str>>(words: &[S]) -> TrigramGate {
        let mut gate = TrigramGate { bits: Box::new([0; WORDS]), open: false };
        for w in words {
            let w = w.as_ref().to_ascii_lowercase();
            let b = w.as_bytes();
            if b.len() < 3 {
                gate.open |= !b.is_empty();
                continue;
            }
            let common = |p: &[u8]| COMMON_BIGRAMS.iter().any(|c| c.as_bytes() == p) as u8;
            let best = b
                .windows(3)
                .min_by_key(|t| common(&t[..2]) + common(&t[1..]))
                .expect("three bytes or more have a trigram");
            let k = index(best[0], best[1], best[2]);
            gate.bits[k / 64] |= 1 << (k % 64);
        }
        gate
    }

    /// The end of the identifier starting at `start` (the first byte that is not a letter, digit or `_`), and
    /// whether it may contain a word of the gate: one pass for the scanner's hottest loop.
    pub fn scan(&self, b: &[u8], start: usize) -> (usize, bool) {
        // The first two indices hold a folded 0 (no word byte folds to 0), so their bits are never set and need
        // no test of their own.
        let bits: &[u64; WORDS] = &self.bits;
        let mut tri = 0usize;
        let mut hit = self.open as u64;
        for (k, &c) in b[start..].iter().enumerate() {
            let f = FOLD[c as usize] as usize;
            if f == 0 {
                return (start + k, hit != 0);
            }
            tri = (tri << 6 | f) & MASK;
            hit |= bits[tri >> 6] >> (tri & 63) & 1;
        }
        (b.len(), hit != 0)
    }

    /// The identifier `w` may contain a word of the gate.
    pub fn hit(&self, w: &[u8]) -> bool {
        self.open
            || w.windows(3).any(|t| {
                let k = index(t[0], t[1], t[2]);
                self.bits[k / 64] & (1 << (k % 64)) != 0
            })
    }
}

#[cfg(test)]
mod tests {
    use super::TrigramGate;

    #[test]
    fn passes_every_identifier_holding_a_word() {
        let g = TrigramGate::new(&["retr", "wait", "HTTPAdapter", "fib"]);
        for w in ["max_retries", "RETRY", "await", "self._waiter", "HttpAdapter", "fibonacci", "FIB"] {
            assert!(g.hit(w.as_bytes()), "{w}");
        }
        for w in ["self", "result", "x", "name", "os"] {
            assert!(!g.hit(w.as_bytes()), "{w}");
        }
        assert!(TrigramGate::new(&["ab"]).hit(b"zz"));
        assert_eq!(g.scan(b"x = self.max_retries(1)", 9), (20, true));
        assert_eq!(g.scan(b"x = self.max_retries(1)", 4), (8, false));
        assert_eq!(g.scan(b"await", 0), (5, true));
    }
}
