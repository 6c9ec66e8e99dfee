//! Which legacy modules of the plan are deleted: absent from a directory the scan covered
//! (`deletion::AbsentEntry`) and known to git as deleted — still in the index (deleted, not committed yet) or
//! deleted by a commit of the history (a rename is not a deletion). Outside a git checkout, or without git,
//! none is known deleted: a plan entry for a file that was never there must not count as consolidated.

use retry_audit_scan::deletion::AbsentEntry;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The entries of `absent` git knows were deleted.
pub fn deleted(absent: &[AbsentEntry]) -> Vec<&AbsentEntry> {
    let Some(first) = absent.first() else { return vec![] };
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some(top) = existing_ancestor(&cwd.join(&first.expected_at)).and_then(|d| toplevel(&d)) else {
        return vec![];
    };
    // Each entry's path relative to the top of the checkout.
    let rel: Vec<Option<String>> = absent
        .iter()
        .map(|e| {
            let at = cwd.join(&e.expected_at);
            let dir = existing_ancestor(&at)?;
            let real = std::fs::canonicalize(&dir).ok()?.join(at.strip_prefix(&dir).ok()?);
            let r = real.strip_prefix(&top).ok()?;
            Some(r.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
        })
        .collect();
    let specs: Vec<&str> = rel.iter().flatten().map(String::as_str).collect();
    if specs.is_empty() {
        return vec![];
    }
    let mut known: BTreeSet<String> = BTreeSet::new();
    known.extend(git(&top, &["ls-files", "-z", "--"], &specs));
    known.extend(git(&top, &["log", "--diff-filter=D", "--name-only", "-z", "--format=", "--"], &specs));
    absent.iter().zip(&rel).filter(|(_, r)| r.as_ref().is_some_and(|r| known.contains(r))).map(|(e, _)| e).collect()
}

/// The nearest directory at or above `path` that exists.
fn existing_ancestor(path: &Path) -> Option<PathBuf> {
    path.ancestors().skip(1).find(|d| d.is_dir()).map(Path::to_path_buf)
}

/// The top of the git checkout holding `dir` (real path).
fn toplevel(dir: &Path) -> Option<PathBuf> {
    let out = Command::new("git").args(["rev-parse", "--show-toplevel"]).current_dir(dir).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let top = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    std::fs::canonicalize(top).ok()
}

/// The NUL- or newline-separated names a git command prints (none when it fails).
fn git(top: &Path, args: &[&str], specs: &[&str]) -> Vec<String> {
    let out = Command::new("git").arg("--literal-pathspecs").args(args).args(specs).current_dir(top).output().ok();
    match out {
        Some(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .split(['\0', '\n'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => vec![],
    }
}
