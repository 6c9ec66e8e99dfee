//! Where `init` writes its proposal, and how. Into the configuration: `[plan]` tables appended to
//! `retry-audit.toml` (created when missing), or `[tool.retry-audit.plan]` tables appended to `pyproject.toml`
//! (`--pyproject`, or when the project's configuration is there). The file's own text is never re-serialised:
//! the plan is appended after it, byte for byte, and what would be written is loaded as a configuration
//! before anything is written. A plan in place is compared with the proposal instead of overwritten; `--force`
//! rewrites it where it is (its plan file, or its tables in the configuration).

use super::render::{render, Proposal};
use crate::config::{Config, PlanSource, PYPROJECT, STANDALONE};
use crate::output::sayln;
use anyhow::{bail, Context};
use retry_audit_scan::classify::plan::path_matches;
use retry_audit_scan::data::Plan;
use std::path::Path;

/// The inline plan's table in each configuration file.
const STANDALONE_TABLE: &str = "plan";
const PYPROJECT_TABLE: &str = "tool.retry-audit.plan";

/// Whether the proposal goes into `pyproject.toml`: asked for, or where the project's configuration is (a
/// `retry-audit.toml` beside it would hide its settings).
pub fn into_pyproject(pyproject_flag: bool, cfg: Option<&Config>) -> bool {
    pyproject_flag || cfg.is_some_and(Config::is_pyproject)
}

/// The table the proposal is written in.
pub fn table(into_pyproject: bool) -> &'static str {
    if into_pyproject {
        PYPROJECT_TABLE
    } else {
        STANDALONE_TABLE
    }
}

/// What `init` was asked to do with its proposal.
pub struct Request<'a> {
    pub root: &'a Path,
    pub cfg: Option<&'a Config>,
    pub pyproject: bool,
    pub force: bool,
    /// The plan in effect, where it is written.
    pub existing: Option<(PlanSource, Plan)>,
}

pub fn write(req: Request<'_>, proposal: &Proposal<'_>) -> anyhow::Result<i32> {
    if let Some((source, plan)) = &req.existing {
        if !req.force {
            report_changes(&source.file, plan, proposal)?;
            return Ok(0);
        }
        return overwrite(source, proposal);
    }
    let standalone = req.root.join(STANDALONE);
    let pyproject = into_pyproject(req.pyproject, req.cfg);
    let file = match req.cfg {
        Some(c) if c.is_pyproject() == pyproject => c.file.clone(),
        _ if pyproject => req.root.join(PYPROJECT),
        _ => standalone.clone(),
    };
    if pyproject && standalone.is_file() {
        bail!(
            "{}: read before {PYPROJECT}, so a plan in {PYPROJECT} would not be used; run `retry-audit init` without --pyproject to write it there",
            standalone.display()
        );
    }
    let old = read(&file)?;
    if pyproject && !req.force && Config::load(&file).ok().flatten().is_some() {
        bail!(
            "{}: [tool.retry-audit] is there already; nothing written (--force adds the plan's [{PYPROJECT_TABLE}] tables after the rest of the file, which stays as it is)",
            file.display()
        );
    }
    let new = appended(&old, &render(proposal, Some(table(pyproject))));
    write_checked(&file, new, proposal)?;
    sayln!("wrote the proposed plan into {} ([{}])", file.display(), table(pyproject));
    Ok(0)
}

/// `--force` on a tree with a plan: the plan is rewritten where it is.
fn overwrite(source: &PlanSource, proposal: &Proposal<'_>) -> anyhow::Result<i32> {
    let Some(table) = source.table else {
        let text = render(proposal, None);
        retry_audit_fix::write::write_file(&source.file, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", source.file.display()))?;
        sayln!("wrote {} (the plan file in effect, overwritten: --force)", source.file.display());
        return Ok(0);
    };
    let old = read(&source.file)?;
    let text = std::str::from_utf8(&old).with_context(|| format!("{}: not UTF-8", source.file.display()))?;
    let Some(kept) = without_tables(text, table) else {
        bail!(
            "{}: the plan is not written as [{table}] tables; replace it by hand (`retry-audit init --stdout` prints the proposal)",
            source.file.display()
        );
    };
    let new = appended(kept.as_bytes(), &render(proposal, Some(table)));
    write_checked(&source.file, new, proposal)?;
    sayln!("replaced the plan in {} ([{table}], --force)", source.file.display());
    Ok(0)
}

/// The file's bytes; nothing when it does not exist.
fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(file) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", file.display())),
    }
}

/// Write `bytes` to `file` atomically, once they load as a configuration whose plan is the proposal's: a file
/// `init` would break (a table already defined, a key the loader refuses) is left as it is.
fn write_checked(file: &Path, bytes: Vec<u8>, proposal: &Proposal<'_>) -> anyhow::Result<()> {
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not UTF-8; nothing written", file.display()))?;
    let loaded = Config::from_text(file, text.clone())
        .and_then(|c| c.map(|c| c.plan()).transpose())
        .with_context(|| format!("{}: the file with the plan added does not load; nothing written", file.display()))?;
    if loaded.map(|p| p.canonical.module) != Some(proposal.canonical.to_string()) {
        bail!("{}: the file with the plan added does not hold it; nothing written", file.display());
    }
    retry_audit_fix::write::write_file(file, text.as_bytes()).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// `old` as it is, then a blank line and `plan`, in the file's line endings.
pub fn appended(old: &[u8], plan: &str) -> Vec<u8> {
    let crlf = old.windows(2).any(|w| w == b"\r\n");
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = old.to_vec();
    if !out.is_empty() {
        if !out.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
        let blank = out.ends_with(b"\n\n") || out.ends_with(b"\r\n\r\n") || out == eol;
        if !blank {
            out.extend_from_slice(eol);
        }
    }
    if crlf {
        out.extend_from_slice(plan.replace('\n', "\r\n").as_bytes());
    } else {
        out.extend_from_slice(plan.as_bytes());
    }
    out
}

/// The name of a table header line (`[a.b]`, `[[a.b]]`, a comment after it allowed); `None` for any other line
/// (an array value's line such as `[1, 2],` is not a header: its name is not a key).
fn header_name(line: &str) -> Option<&str> {
    let t = line.trim();
    let (inner, rest) =
        if let Some(r) = t.strip_prefix("[[") { r.split_once("]]")? } else { t.strip_prefix('[')?.split_once(']')? };
    let rest = rest.trim();
    let key = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'' | ' ');
    (!inner.trim().is_empty() && inner.chars().all(key) && (rest.is_empty() || rest.starts_with('#')))
        .then(|| inner.trim())
}

/// `text` without the tables of `table` (`[plan]`, `[plan.canonical]`, `[[plan.entries]]`, ...) and the
/// comment lines directly above each; every other line as it is. `None` when it has none of them.
pub fn without_tables(text: &str, table: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut keep = vec![true; lines.len()];
    let mut inside = false;
    let mut removed_any = false;
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = header_name(line) {
            let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
            inside = name == table || name.starts_with(&format!("{table}."));
            if inside {
                removed_any = true;
                // Its comment lines (`init`'s header) go with it.
                let mut j = i;
                while j > 0 && keep[j - 1] && lines[j - 1].trim_start().starts_with('#') {
                    keep[j - 1] = false;
                    j -= 1;
                }
            }
        }
        if inside {
            keep[i] = false;
        }
    }
    removed_any.then(|| lines.iter().zip(&keep).filter(|(_, k)| **k).map(|(l, _)| *l).collect())
}

/// A plan in place: what the proposal would change (new implementations, stale entries, another canonical
/// module), said instead of written.
fn report_changes(file: &Path, plan: &Plan, proposal: &Proposal<'_>) -> anyhow::Result<()> {
    let proposed: Vec<&str> = proposal.entries.iter().map(|e| e.path.as_str()).collect();
    let listed = |p: &str| plan.entries.iter().any(|e| path_matches(&e.path, p));
    let new: Vec<&str> = proposed.iter().copied().filter(|p| !listed(p)).collect();
    let stale: Vec<&str> = plan
        .entries
        .iter()
        .filter(|e| !proposed.iter().any(|p| path_matches(&e.path, p)) && e.path != proposal.path)
        .map(|e| e.path.as_str())
        .collect();
    sayln!("{}: a plan is in place; not overwritten (--force overwrites it)", file.display());
    if plan.canonical.module != proposal.canonical {
        sayln!("  canonical: the plan names {}; the tree's proposal is {}", plan.canonical.module, proposal.canonical);
    }
    for p in &new {
        sayln!("  new implementation, not in the plan: {p}");
    }
    for p in &stale {
        sayln!("  stale plan entry, nothing found there: {p}");
    }
    if new.is_empty() && stale.is_empty() {
        sayln!("  the plan lists every file holding retry machinery");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_after_a_blank_line_in_the_file_s_line_endings() {
        assert_eq!(appended(b"", "[plan]\n"), b"[plan]\n");
        assert_eq!(appended(b"a = 1", "[plan]\n"), b"a = 1\n\n[plan]\n");
        assert_eq!(appended(b"a = 1\n", "[plan]\n"), b"a = 1\n\n[plan]\n");
        assert_eq!(appended(b"a = 1\n\n", "[plan]\n"), b"a = 1\n\n[plan]\n");
        assert_eq!(appended(b"a = 1\r\n", "[plan]\nx = 2\n"), b"a = 1\r\n\r\n[plan]\r\nx = 2\r\n");
    }

    #[test]
    fn the_plan_s_tables_and_their_comments_are_taken_out_the_rest_kept() {
        let text = "[tool.ruff]\nline-length = 100\n\n# Proposed\n[tool.retry-audit.plan]\nname = \"x\"\ncategories = [\n  [1, 2],\n]\n\n[tool.retry-audit.plan.canonical]\nmodule = \"m\"\n\n[[tool.retry-audit.plan.entries]]\nid = \"a\"\n\n[tool.other]  # kept\nk = 1\n";
        assert_eq!(
            without_tables(text, "tool.retry-audit.plan").as_deref(),
            Some("[tool.ruff]\nline-length = 100\n\n[tool.other]  # kept\nk = 1\n")
        );
        assert_eq!(without_tables("[tool.ruff]\n", "plan"), None);
        assert_eq!(without_tables("[planet]\nx = 1\n", "plan"), None);
    }
}
