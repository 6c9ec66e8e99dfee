//! Configuration: `[tool.retry-audit]` in `pyproject.toml`, or the top level of a `retry-audit.toml`.
//!
//! Found by walking up from the first scanned path (in each directory `retry-audit.toml` wins over
//! `pyproject.toml`, and a `pyproject.toml` without a `[tool.retry-audit]` table is skipped); `--config FILE`
//! overrides discovery. Relative paths in the file (`plan`, `baseline`) are relative to the file's directory,
//! and that directory is the project root: finding paths, fingerprints and the baseline are relative to it.
//! Every error names the file, the line and the key. `plan` names a plan file or holds the plan inline
//! (`plan_setting`).

mod plan_setting;

pub use plan_setting::PlanSetting;

use anyhow::anyhow;
use retry_audit_scan::detect::rules::REGISTRY;
use retry_audit_scan::finding::{Finding, Kind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub const STANDALONE: &str = "retry-audit.toml";
pub const PYPROJECT: &str = "pyproject.toml";
/// Pseudo rule code of unused / malformed suppression comments (ruff's RUF100).
pub const UNUSED_SUPPRESSION: &str = "RTY100";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    pub plan: Option<PlanSetting>,
    pub baseline: Option<PathBuf>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub domains: BTreeMap<String, String>,
    pub max_file_size: Option<u64>,
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tools>,
}

#[derive(Deserialize)]
struct Tools {
    #[serde(rename = "retry-audit")]
    retry_audit: Option<Settings>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub file: PathBuf,
    /// The file's directory (absolute): the project root.
    pub dir: PathBuf,
    text: String,
    pub settings: Settings,
}

fn toml_error(file: &Path, text: &str, e: toml::de::Error) -> anyhow::Error {
    let Some(span) = e.span() else { return anyhow!("{}: {}", file.display(), e.message().trim_end()) };
    let line = 1 + text[..span.start.min(text.len())].matches('\n').count();
    let key = plan_setting::key_at(text, span.start).map(|k| format!("{k}: ")).unwrap_or_default();
    anyhow!("{}: line {line}: {key}{}", file.display(), e.message().trim_end())
}

/// Where the plan in effect is written, for messages naming its lines and keys.
#[derive(Debug, Clone)]
pub struct PlanSource {
    pub file: PathBuf,
    /// The plan's table when it is inline in the configuration (`plan`, or `tool.retry-audit.plan` in a
    /// pyproject); `None` for a plan file, whose tables are at the top.
    pub table: Option<&'static str>,
}

impl PlanSource {
    /// A key of the plan (`canonical.exports`) as the file spells it (`plan.canonical.exports` inline).
    pub fn key(&self, key: &str) -> String {
        match self.table {
            Some(t) => format!("{t}.{key}"),
            None => key.to_string(),
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| std::env::current_dir().map(|c| c.join(p)).unwrap_or_else(|_| p.to_path_buf()))
}

impl Config {
    /// Load `file`: a `pyproject.toml` (its `[tool.retry-audit]` table; `Ok(None)` when it has none) or a
    /// standalone file (top-level keys).
    pub fn load(file: &Path) -> anyhow::Result<Option<Config>> {
        let text = retry_audit_scan::read::read_text(file)
            .map_err(|e| anyhow!("{}: cannot read config: {e}", file.display()))?;
        Config::from_text(file, text)
    }

    /// `load`, of the text `file` holds (or would hold: `init` checks what it writes before writing it).
    pub fn from_text(file: &Path, text: String) -> anyhow::Result<Option<Config>> {
        let is_pyproject = file.file_name().is_some_and(|n| n == PYPROJECT);
        let settings = if is_pyproject {
            let py: Pyproject = toml::from_str(&text).map_err(|e| toml_error(file, &text, e))?;
            match py.tool.and_then(|t| t.retry_audit) {
                Some(s) => s,
                None => return Ok(None),
            }
        } else {
            toml::from_str(&text).map_err(|e| toml_error(file, &text, e))?
        };
        let abs = absolute(file);
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        let cfg = Config { file: file.to_path_buf(), dir, text, settings };
        cfg.validate()?;
        Ok(Some(cfg))
    }

    /// Whether the file is a pyproject (its settings under `[tool.retry-audit]`).
    pub fn is_pyproject(&self) -> bool {
        self.file.file_name().is_some_and(|n| n == PYPROJECT)
    }

    /// The table an inline plan is written in.
    pub fn plan_table(&self) -> &'static str {
        if self.is_pyproject() {
            "tool.retry-audit.plan"
        } else {
            "plan"
        }
    }

    /// Where the configuration's plan is: its plan file, or this file for an inline plan.
    pub fn plan_source(&self) -> Option<PlanSource> {
        match self.settings.plan.as_ref()? {
            PlanSetting::File(p) => Some(PlanSource { file: self.resolve(p), table: None }),
            PlanSetting::Inline(_) => Some(PlanSource { file: self.file.clone(), table: Some(self.plan_table()) }),
        }
    }

    /// The configuration's plan (`Plan::default()` without one): its plan file loaded, or its inline plan
    /// checked as a plan file is, each problem naming this file, the line and the key.
    pub fn plan(&self) -> anyhow::Result<retry_audit_scan::data::Plan> {
        match &self.settings.plan {
            None => Ok(Default::default()),
            Some(PlanSetting::File(p)) => Ok(retry_audit_scan::data::Plan::load(Some(&self.resolve(p)))?),
            Some(PlanSetting::Inline(inline)) => {
                let plan = inline.to_plan();
                plan.validate()
                    .map_err(|p| self.error(&p.needle, &format!("{}.{}", self.plan_table(), p.key), p.message))?;
                Ok(plan)
            }
        }
    }

    /// Walk up from `start` (a file or directory) to the first directory holding a config.
    pub fn discover(start: &Path) -> anyhow::Result<Option<Config>> {
        let abs = absolute(start);
        let mut dir = if abs.is_dir() { Some(abs.as_path()) } else { abs.parent() };
        while let Some(d) = dir {
            for name in [STANDALONE, PYPROJECT] {
                let f = d.join(name);
                if f.is_file() {
                    match Config::load(&f) {
                        Ok(Some(c)) => return Ok(Some(c)),
                        Ok(None) => {}
                        // A pyproject that does not parse and never names `tool.retry-audit` cannot hold our
                        // settings: said, and passed over (the scan's own diagnostic names its line).
                        Err(e)
                            if name == PYPROJECT
                                && !retry_audit_scan::read::read_text(&f)
                                    .is_ok_and(|t| t.contains("tool.retry-audit")) =>
                        {
                            eprintln!("retry-audit: warning: {e} (no [tool.retry-audit] settings read from it)");
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            dir = d.parent();
        }
        Ok(None)
    }

    /// 1-based line of the first occurrence of `needle` in the file (for error messages), else 1.
    pub fn line_of(&self, needle: &str) -> usize {
        self.text.find(needle).map(|o| 1 + self.text[..o].matches('\n').count()).unwrap_or(1)
    }

    /// An error naming this file, the line where `needle` appears and the key.
    pub fn error(&self, needle: &str, key: &str, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("{}: line {}: {key}: {msg}", self.file.display(), self.line_of(needle))
    }

    /// A path from the file, relative to its directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        let s = &self.settings;
        for (key, list) in [("select", s.select.clone().unwrap_or_default()), ("ignore", s.ignore.clone())] {
            for code in &list {
                if parse_code(code).is_none() {
                    return Err(self.error(&format!("\"{code}\""), key, unknown_code(code)));
                }
            }
        }
        for (glob, codes) in &s.per_file_ignores {
            let key = format!("per-file-ignores.\"{glob}\"");
            globset::Glob::new(glob).map_err(|e| self.error(glob, &key, format!("invalid glob: {e}")))?;
            for code in codes {
                if parse_code(code).is_none() {
                    return Err(self.error(glob, &key, unknown_code(code)));
                }
            }
        }
        for (key, globs) in [("include", &s.include), ("exclude", &s.exclude)] {
            for g in globs {
                globset::Glob::new(g)
                    .map_err(|e| self.error(&format!("\"{g}\""), key, format!("invalid glob: {e}")))?;
            }
        }
        Ok(())
    }
}

fn unknown_code(code: &str) -> String {
    let known: Vec<&str> = REGISTRY.iter().map(|r| r.code).chain([UNUSED_SUPPRESSION, "ALL"]).collect();
    format!("unknown rule {code:?} (expected a rule code, a kind name or a code prefix: {})", known.join(", "))
}

/// What a selector token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// Every rule and RTY100.
    All,
    /// A set of finding kinds (a rule code, a kind name or a code prefix like `RTY00`).
    Kinds(Vec<Kind>),
    /// Unused / malformed suppressions.
    UnusedSuppression,
}

/// Every kind a finding can have, with the rule code that reports it.
fn all_kinds() -> Vec<(&'static str, Kind)> {
    REGISTRY.iter().map(|r| (r.code, r.kind)).chain([("", Kind::PolicyDrift)]).collect()
}

pub fn parse_code(token: &str) -> Option<Code> {
    let t = token.trim();
    if t.eq_ignore_ascii_case("ALL") {
        return Some(Code::All);
    }
    if t.eq_ignore_ascii_case(UNUSED_SUPPRESSION) || t == "unused_suppression" {
        return Some(Code::UnusedSuppression);
    }
    let kinds: Vec<Kind> = all_kinds()
        .into_iter()
        .filter(|(code, kind)| {
            kind.as_str() == t
                || (!code.is_empty()
                    && code.len() >= t.len()
                    && t.len() >= 3
                    && code[..t.len()].eq_ignore_ascii_case(t))
        })
        .map(|(_, k)| k)
        .collect();
    let covers_rty100 =
        (3..UNUSED_SUPPRESSION.len()).contains(&t.len()) && UNUSED_SUPPRESSION[..t.len()].eq_ignore_ascii_case(t);
    match (kinds.is_empty(), covers_rty100) {
        (true, true) => Some(Code::UnusedSuppression),
        (true, false) => None,
        (false, _) => Some(Code::Kinds(kinds)),
    }
}

/// Which findings fail the gate.
///
/// Default: every kind except `readiness_probe` (retry-until-ready loops are reported with low confidence and
/// are often legitimate start-up code) and `policy_drift` (parameter drift is advice for `migrate`, not a new
/// duplicate). Unused suppressions (RTY100) are reported but fail only when selected.
#[derive(Debug, Clone)]
pub struct Selection {
    kinds: HashSet<Kind>,
    pub unused_suppressions: bool,
    per_file: Vec<(globset::GlobMatcher, Vec<Code>)>,
}

impl Selection {
    pub fn default_kinds() -> HashSet<Kind> {
        all_kinds()
            .into_iter()
            .map(|(_, k)| k)
            .filter(|k| !matches!(k, Kind::ReadinessProbe | Kind::PolicyDrift))
            .collect()
    }

    /// From the config's `select`/`ignore`/`per-file-ignores`, then `--select` (replaces) and `--ignore` (adds).
    pub fn new(cfg: Option<&Config>, cli_select: &[String], cli_ignore: &[String]) -> anyhow::Result<Selection> {
        let parse_cli = |flag: &str, list: &[String]| -> anyhow::Result<Vec<Code>> {
            list.iter()
                .filter(|c| !c.trim().is_empty())
                .map(|c| parse_code(c).ok_or_else(|| anyhow!("--{flag}: {}", unknown_code(c))))
                .collect()
        };
        let parse_cfg = |list: &[String]| -> Vec<Code> { list.iter().filter_map(|c| parse_code(c)).collect() };
        let settings = cfg.map(|c| &c.settings);
        let select: Option<Vec<Code>> = if !cli_select.is_empty() {
            Some(parse_cli("select", cli_select)?)
        } else {
            settings.and_then(|s| s.select.as_deref()).map(parse_cfg)
        };
        let mut ignore = settings.map(|s| parse_cfg(&s.ignore)).unwrap_or_default();
        ignore.extend(parse_cli("ignore", cli_ignore)?);

        let (mut kinds, mut unused) = match select {
            None => (Selection::default_kinds(), false),
            Some(codes) => {
                let mut k = HashSet::new();
                let mut u = false;
                for c in codes {
                    match c {
                        Code::All => {
                            k.extend(all_kinds().into_iter().map(|(_, k)| k));
                            u = true;
                        }
                        Code::Kinds(ks) => k.extend(ks),
                        Code::UnusedSuppression => u = true,
                    }
                }
                (k, u)
            }
        };
        for c in ignore {
            match c {
                Code::All => {
                    kinds.clear();
                    unused = false;
                }
                Code::Kinds(ks) => ks.iter().for_each(|k| {
                    kinds.remove(k);
                }),
                Code::UnusedSuppression => unused = false,
            }
        }
        let mut per_file = Vec::new();
        if let Some(c) = cfg {
            for (glob, codes) in &c.settings.per_file_ignores {
                let m = globset::Glob::new(glob)
                    .map_err(|e| c.error(glob, &format!("per-file-ignores.\"{glob}\""), format!("invalid glob: {e}")))?
                    .compile_matcher();
                per_file.push((m, parse_cfg(codes)));
                if !glob.contains('/') && !glob.starts_with("**") {
                    let any = globset::Glob::new(&format!("**/{glob}")).map(|g| g.compile_matcher());
                    if let Ok(any) = any {
                        per_file.push((any, parse_cfg(codes)));
                    }
                }
            }
        }
        Ok(Selection { kinds, unused_suppressions: unused, per_file })
    }

    pub fn selects(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Is `f` ignored for its file by `per-file-ignores`?
    pub fn per_file_ignored(&self, f: &Finding) -> bool {
        self.per_file.iter().any(|(m, codes)| {
            m.is_match(&f.path)
                && codes.iter().any(|c| match c {
                    Code::All => true,
                    Code::Kinds(ks) => ks.contains(&f.kind),
                    Code::UnusedSuppression => false,
                })
        })
    }

    /// Are unused suppressions in `path` ignored by `per-file-ignores`?
    pub fn per_file_ignores_unused(&self, path: &str) -> bool {
        self.per_file.iter().any(|(m, codes)| {
            m.is_match(path) && codes.iter().any(|c| matches!(c, Code::All | Code::UnusedSuppression))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(parse_code("RTY003"), Some(Code::Kinds(vec![Kind::SleepLoop])));
        assert_eq!(parse_code("sleep_loop"), Some(Code::Kinds(vec![Kind::SleepLoop])));
        assert_eq!(parse_code("rty100"), Some(Code::UnusedSuppression));
        assert_eq!(parse_code("ALL"), Some(Code::All));
        assert!(matches!(parse_code("RTY00"), Some(Code::Kinds(k)) if k.len() == 9));
        assert_eq!(parse_code("RTY999"), None);
        assert_eq!(parse_code("bogus"), None);
    }
}
