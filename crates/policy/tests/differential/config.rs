//! `tests/differential/configs.txt` and `scripts.txt`.

use retry_audit_policy::simulate::{parse_outcomes, Step};
use retry_audit_policy::translate::Versions;
use std::path::Path;

/// What a config line claims beyond "exact or not".
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Nothing more: an exact translation agrees everywhere, an inexact one differs somewhere.
    Plain,
    /// The inexact translation's difference cannot be shown by any script (a hook the scripts do not see).
    Unobservable,
    /// The inexact translation differs on exactly these scripts and agrees on every other: its named
    /// differences are the only ones (so attempt counting and delays are proven too).
    DiffersOn(Vec<String>),
    /// The library refuses the config (its constructor raises), and the translation builds no policy.
    Rejected,
}

pub struct Config {
    pub id: String,
    pub library: String,
    /// `package==version` pins the library runs under (urllib3 1.26 beside the venv's 2.x), space separated.
    pub pins: String,
    pub versions: Versions,
    pub source: String,
    pub claim: Claim,
}

/// `library [pin...] | source [| unobservable | differs on a, b | rejected]`. The source may hold ` | ` itself
/// (tenacity's `stop_a | stop_b`), so only a last segment that is a claim is read as one.
pub fn configs(repo: &Path) -> Vec<Config> {
    let text = std::fs::read_to_string(repo.join("tests/differential/configs.txt")).expect("configs.txt");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = format!("configs.txt:{}", i + 1);
        let (head, rest) = line.split_once('|').unwrap_or_else(|| panic!("{id}: `library | source`"));
        let (source, claim) = match rest.rsplit_once('|').map(|(s, c)| (s, claim(c.trim()))) {
            Some((s, Some(c))) => (s, c),
            _ => (rest, Claim::Plain),
        };
        let mut words = head.split_whitespace();
        let library = words.next().unwrap_or_else(|| panic!("{id}: no library")).to_string();
        let pins = words.collect::<Vec<_>>().join(" ");
        let versions = Versions::from_pins(&pins).unwrap_or_else(|e| panic!("{id}: {e}"));
        out.push(Config { id, library, pins, versions, source: source.trim().to_string(), claim });
    }
    out
}

fn claim(text: &str) -> Option<Claim> {
    match text {
        "unobservable" => Some(Claim::Unobservable),
        "rejected" => Some(Claim::Rejected),
        _ => text
            .strip_prefix("differs on ")
            .map(|names| Claim::DiffersOn(names.split(',').map(|n| n.trim().to_string()).collect())),
    }
}

pub fn scripts(repo: &Path) -> Vec<(String, Vec<Step>)> {
    let text = std::fs::read_to_string(repo.join("tests/differential/scripts.txt")).expect("scripts.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, script) = l.split_once(':').expect("`name: script`");
            let script = expand(script.trim());
            (name.trim().to_string(), parse_outcomes(&script).unwrap_or_else(|e| panic!("{name}: {e}")))
        })
        .collect()
}

/// `err:X*40` repeats an outcome.
fn expand(script: &str) -> String {
    script
        .split(',')
        .map(|t| match t.trim().rsplit_once('*') {
            Some((body, n)) => vec![body; n.parse().expect("repeat count")].join(","),
            None => t.trim().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}
