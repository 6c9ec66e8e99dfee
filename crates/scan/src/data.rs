//! The data in `rules/`: the plan manifest, known retry libraries and domain classification words.
//! Library and domain defaults are embedded in the binary; users override them with their own files. There is
//! no built-in plan: without one, findings carry roles and groups and no plan status or advice (the example
//! backend's plan is `rules/plans/examples/netra.toml`, used by `fixtures/netra_demo` through its config). Every load error names
//! the file, line and key (toml's errors carry the span).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const DEFAULT_LIBRARIES: &str = include_str!("../../../rules/libraries.toml");
pub const DEFAULT_DOMAINS: &str = include_str!("../../../rules/domains.toml");

#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct DataError {
    pub file: String,
    pub message: String,
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, DataError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count());
        DataError {
            file: file.to_string(),
            message: match line {
                Some(l) => format!("line {l}: {}", e.message()),
                None => e.message().to_string(),
            },
        }
    })
}

fn read(path: &Path) -> Result<String, DataError> {
    crate::read::read_text(path).map_err(|message| DataError { file: path.display().to_string(), message })
}

// ---------------------------------------------------------------- plan

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PlanInfo {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Canonical {
    pub module: String,
    pub path: String,
    #[serde(default)]
    pub exports: Vec<String>,
    /// The unified decorator's name (`@with_retry(...)`), used by the decorator codemod. Default `with_retry`.
    #[serde(default)]
    pub decorator: String,
    /// The config class the decorator takes (`UnifiedRetryConfig(...)`). Default `UnifiedRetryConfig`.
    #[serde(default)]
    pub config_class: String,
    /// How a legacy engine delegates to the canonical manager (`migrate --shims`); no shims without it.
    #[serde(default)]
    pub engine: Option<CanonicalEngine>,
}

/// The canonical manager as a shim calls it:
/// `<handler>(<config>(<fields>...)).<run>(lambda: <the legacy attempt>)[.<returns>]`.
/// Every name is checked against the canonical module's source before a shim is written.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CanonicalEngine {
    /// The manager class, constructed with the config as its one positional argument.
    pub handler: String,
    /// Its method that runs a zero-argument callable with retries (sync or async, as the source says).
    pub run: String,
    /// A sync twin of `run` for sync legacy engines when `run` is async (or the reverse).
    #[serde(default)]
    pub run_other: String,
    /// The attribute holding the callable's value when `run` returns a result object (`""`: the value).
    #[serde(default)]
    pub returns: String,
    /// The config class.
    pub config: String,
    /// The config's keyword for each canonical knob: `max_attempts`, `base_delay`, `max_delay`, `strategy`,
    /// `multiplier`, `retryable`, `non_retryable`, `jitter`. A knob without a keyword cannot be expressed.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The strategy Enum (`RetryStrategy`), whose members are FIXED, LINEAR, EXPONENTIAL.
    #[serde(default)]
    pub strategy_enum: String,
    /// The warning each shim gives once (`DeprecationWarning` by default; `"none"`: no warning).
    #[serde(default)]
    pub warning: String,
}

impl CanonicalEngine {
    /// The config keyword of a canonical knob (`None`: the plan gives none, the knob cannot be expressed).
    pub fn field(&self, knob: &str) -> Option<&str> {
        self.fields.get(knob).map(String::as_str).filter(|f| !f.is_empty())
    }

    /// The warning category, `None` when shims do not warn.
    pub fn warning(&self) -> Option<&str> {
        match self.warning.as_str() {
            "" => Some("DeprecationWarning"),
            "none" => None,
            w => Some(w),
        }
    }
}

impl Canonical {
    /// The unified decorator's name (`decorator`, default `with_retry`).
    pub fn decorator_name(&self) -> &str {
        if self.decorator.is_empty() {
            "with_retry"
        } else {
            &self.decorator
        }
    }
    /// The decorator's config class (`config_class`, default `UnifiedRetryConfig`).
    pub fn config_class_name(&self) -> &str {
        if self.config_class.is_empty() {
            "UnifiedRetryConfig"
        } else {
            &self.config_class
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEntry {
    pub id: String,
    pub category: String,
    pub path: String,
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub usage: String,
    #[serde(default)]
    pub symbols: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    Safe,
    Unsafe,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    pub from: String,
    pub to: String,
    pub safety: Safety,
    #[serde(default)]
    pub note: String,
}

impl Redirect {
    /// (`legacy.mod`, Some(`Name`)) for `legacy.mod:Name`; (`legacy.mod`, None) for a module redirect.
    pub fn from_parts(&self) -> (&str, Option<&str>) {
        split_target(&self.from)
    }
    pub fn to_parts(&self) -> (&str, Option<&str>) {
        split_target(&self.to)
    }
}

fn split_target(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((m, n)) => (m, Some(n)),
        None => (s, None),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub title: String,
}

/// The plan manifest; `Plan::default()` is "no plan" (no canonical module, no entries, no edits).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub plan: PlanInfo,
    /// Display order and titles of the entry categories (the plan document's section headings).
    #[serde(default)]
    pub categories: Vec<Category>,
    pub canonical: Canonical,
    #[serde(default)]
    pub entries: Vec<PlanEntry>,
    #[serde(default)]
    pub redirects: Vec<Redirect>,
    /// Legacy config constructions to rewrite (`RetryConfig(max_retries=3)` -> canonical config).
    #[serde(default)]
    pub config_migrations: Vec<ConfigMigration>,
    /// Tree-level facts (exports, import graph) the fixes are computed with: built by the scan `migrate` runs
    /// (`scan_files_tree`), from the same read of every file.
    #[serde(skip)]
    pub tree: Option<std::sync::Arc<crate::project::TreeInfo>>,
}

/// `[[config_migrations]]`: calls of a legacy config class (`from = "legacy.mod:RetryConfig"`) become calls of
/// the canonical config (`to = "canonical.mod:UnifiedRetryConfig"`); keyword arguments are renamed through
/// `rename` (`max_retries = "max_attempts+1"`: the value is converted, attempts count the first call).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigMigration {
    pub from: String,
    pub to: String,
    #[serde(default = "unsafe_default")]
    pub safety: Safety,
    #[serde(default)]
    pub note: String,
    /// Legacy keyword -> canonical keyword, optionally with `+1` (value incremented) or `*N` (scaled).
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
}

impl ConfigMigration {
    /// (`legacy.mod`, `Name`) of `from`; the name is empty when `from` names no symbol.
    pub fn from_parts(&self) -> (&str, &str) {
        let (m, n) = split_target(&self.from);
        (m, n.unwrap_or(""))
    }
    /// (`canonical.mod`, `Name`) of `to`; the name is empty when `to` names no symbol.
    pub fn to_parts(&self) -> (&str, &str) {
        let (m, n) = split_target(&self.to);
        (m, n.unwrap_or(""))
    }
}

/// How a legacy keyword's value becomes the canonical one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conversion {
    /// Same value (`"base_delay"`).
    Same,
    /// Integer literal plus N (`"max_attempts+1"`: attempts count the first call, retries do not).
    Add(i64),
    /// Numeric literal times N (`"timeout_ms*0.001"`).
    Scale(f64),
}

/// A plan value TOML accepts but the plan cannot use: its key (relative to the plan's tables), the text to
/// find its line by, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    pub key: String,
    pub needle: String,
    pub message: String,
}

/// Parse a `rename` value: `name`, `name+N` or `name*N`.
pub fn parse_rename(spec: &str) -> Result<(String, Conversion), String> {
    let valid = |n: &str| !n.is_empty() && n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    let (name, conv) = if let Some((n, k)) = spec.split_once('+') {
        (n.trim(), Conversion::Add(k.trim().parse().map_err(|_| format!("`{spec}`: `+{k}` is not an integer"))?))
    } else if let Some((n, k)) = spec.split_once('*') {
        (n.trim(), Conversion::Scale(k.trim().parse().map_err(|_| format!("`{spec}`: `*{k}` is not a number"))?))
    } else {
        (spec.trim(), Conversion::Same)
    };
    if !valid(name) {
        return Err(format!("`{spec}`: `{name}` is not a keyword name"));
    }
    Ok((name.to_string(), conv))
}

fn unsafe_default() -> Safety {
    Safety::Unsafe
}

impl Plan {
    /// Whether there is a plan with a canonical module (without one there is nothing to advise or rewrite to).
    pub fn has_canonical(&self) -> bool {
        !self.canonical.module.is_empty()
    }

    /// The modules a plan's edits may name: redirect and config-migration targets, and the canonical module.
    pub fn target_modules(&self) -> Vec<&str> {
        self.redirects
            .iter()
            .map(|r| r.to_parts().0)
            .chain(self.config_migrations.iter().map(|m| m.to_parts().0))
            .chain(std::iter::once(self.canonical.module.as_str()).filter(|m| !m.is_empty()))
            .collect()
    }

    /// The legacy modules redirects and config migrations move names out of.
    pub fn source_modules(&self) -> Vec<&str> {
        self.redirects
            .iter()
            .map(|r| r.from_parts().0)
            .chain(self.config_migrations.iter().map(|m| m.from_parts().0))
            .collect()
    }

    pub fn load(path: Option<&Path>) -> Result<Plan, DataError> {
        let Some(path) = path else { return Ok(Plan::default()) };
        let file = path.display().to_string();
        let text = read(path)?;
        let plan: Plan = parse(&file, &text)?;
        plan.validate().map_err(|p| {
            let line = text.find(&p.needle).map_or(1, |at| 1 + text[..at].matches('\n').count());
            DataError { file, message: format!("line {line}: {}: {}", p.key, p.message) }
        })?;
        Ok(plan)
    }

    /// What TOML types cannot say: entry paths are globs, config migrations name classes, renames parse.
    pub fn validate(&self) -> Result<(), PlanProblem> {
        for e in &self.entries {
            globset::Glob::new(&e.path).map_err(|err| PlanProblem {
                key: format!("entries.{}.path", e.id),
                needle: e.path.clone(),
                message: format!("invalid glob: {err}"),
            })?;
        }
        for (i, m) in self.config_migrations.iter().enumerate() {
            let err = |message: String| PlanProblem {
                key: format!("config_migrations[{i}]"),
                needle: m.from.clone(),
                message: format!("({}) {message}", m.from),
            };
            if m.from_parts().1.is_empty() || m.to_parts().1.is_empty() {
                return Err(err("`from` and `to` must name a class: \"module:Class\"".into()));
            }
            for (k, v) in &m.rename {
                parse_rename(v).map_err(|e| err(format!("rename.{k}: {e}")))?;
            }
        }
        Ok(())
    }

    /// Category ids in report order: the declared `categories`, then any other category an entry names.
    pub fn category_order(&self) -> Vec<&str> {
        let mut order: Vec<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        for e in &self.entries {
            if !order.contains(&e.category.as_str()) {
                order.push(&e.category);
            }
        }
        order
    }

    /// Title of a category id (the id itself when the plan declares none).
    pub fn category_title<'a>(&'a self, id: &'a str) -> &'a str {
        self.categories.iter().find(|c| c.id == id).map(|c| c.title.as_str()).unwrap_or(id)
    }

    /// Legacy module names (from `[[redirects]]`).
    pub fn legacy_modules(&self) -> impl Iterator<Item = &str> {
        self.redirects.iter().map(|r| r.from_parts().0)
    }
}

// ---------------------------------------------------------------- libraries

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helper {
    pub call: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub kwargs: BTreeMap<String, String>,
    #[serde(default)]
    pub strategy: Option<String>,
    #[serde(default)]
    pub jitter: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    pub name: String,
    pub entries: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub kwargs: BTreeMap<String, String>,
    #[serde(default)]
    pub helpers: Vec<Helper>,
    #[serde(default)]
    pub require_any_kwarg: Vec<String>,
    #[serde(default)]
    pub defaults: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Libraries {
    #[serde(rename = "library")]
    pub libraries: Vec<Library>,
}

impl Libraries {
    pub fn load(path: Option<&Path>) -> Result<Libraries, DataError> {
        match path {
            Some(p) => parse(&p.display().to_string(), &read(p)?),
            None => parse("rules/libraries.toml (built in)", DEFAULT_LIBRARIES),
        }
    }

    /// The library whose entry point is `qualified` (a resolved dotted name).
    pub fn find(&self, qualified: &str) -> Option<&Library> {
        self.libraries.iter().find(|l| l.entries.iter().any(|e| e == qualified))
    }
}

// ---------------------------------------------------------------- domains

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainWords {
    pub name: String,
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domains {
    pub test_paths: Vec<String>,
    #[serde(rename = "domain")]
    pub domains: Vec<DomainWords>,
    /// User path globs -> domain (from configuration `domains = { "app/db/**" = "database" }`), checked first.
    #[serde(skip)]
    pub path_overrides: Vec<(globset::GlobMatcher, String)>,
    /// The words prepared for search, built on first use.
    #[serde(skip)]
    word_index: std::sync::OnceLock<crate::classify::domain::WordIndex>,
}

pub const DOMAIN_NAMES: &[&str] =
    &["database", "llm", "agent", "websocket", "file", "http", "auth", "mcp", "generic", "test"];

impl Domains {
    pub fn load(path: Option<&Path>) -> Result<Domains, DataError> {
        match path {
            Some(p) => parse(&p.display().to_string(), &read(p)?),
            None => parse("rules/domains.toml (built in)", DEFAULT_DOMAINS),
        }
    }

    /// The words of every domain, prepared for search.
    pub fn word_index(&self) -> &crate::classify::domain::WordIndex {
        self.word_index.get_or_init(|| crate::classify::domain::WordIndex::new(self))
    }

    /// Add `glob -> domain` overrides; unknown domains and bad globs are errors naming the key.
    pub fn with_overrides(mut self, overrides: &BTreeMap<String, String>) -> Result<Domains, String> {
        for (glob, domain) in overrides {
            if !DOMAIN_NAMES.contains(&domain.as_str()) {
                return Err(format!(
                    "domains.\"{glob}\": unknown domain {domain:?} (expected one of {})",
                    DOMAIN_NAMES.join(", ")
                ));
            }
            let m = globset::Glob::new(glob)
                .map_err(|e| format!("domains.\"{glob}\": invalid glob: {e}"))?
                .compile_matcher();
            self.path_overrides.push((m, domain.clone()));
        }
        Ok(self)
    }
}

/// All rule data, loaded once and shared read-only by every file's analysis.
#[derive(Debug, Clone)]
pub struct RuleData {
    pub plan: Plan,
    pub libraries: Libraries,
    pub domains: Domains,
}

/// The example backend's plan (`rules/plans/examples/netra.toml`), for tests and examples.
pub fn example_plan_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/plans/examples/netra.toml")
}

impl RuleData {
    /// The built-in libraries and domains with the plan in `plan`.
    pub fn with_plan_file(plan: &Path) -> Result<RuleData, DataError> {
        Ok(RuleData { plan: Plan::load(Some(plan))?, ..RuleData::builtin() })
    }

    /// No plan, the built-in libraries and domains.
    pub fn builtin() -> RuleData {
        RuleData {
            plan: Plan::load(None).expect("built-in plan parses"),
            libraries: Libraries::load(None).expect("built-in libraries parse"),
            domains: Domains::load(None).expect("built-in domains parse"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_loads_without_a_plan() {
        let d = RuleData::builtin();
        assert!(!d.plan.has_canonical() && d.plan.entries.is_empty() && d.plan.redirects.is_empty());
        let example = Plan::load(Some(&example_plan_path())).unwrap();
        assert_eq!(example.canonical.module, "netra_backend.app.core.resilience.unified_retry_handler");
        assert_eq!(example.entries.len(), 25);
        assert!(d.libraries.find("tenacity.retry").is_some());
        assert!(d.domains.domains.iter().any(|x| x.name == "database"));
    }

    #[test]
    fn unknown_plan_key_names_line_and_key() {
        let err =
            parse::<Plan>("p.toml", "[plan]\nname = 'x'\nbogus = 1\n[canonical]\nmodule='m'\npath='p'\n").unwrap_err();
        assert!(err.to_string().contains("p.toml: line 3"), "{err}");
        assert!(err.to_string().contains("bogus"), "{err}");
    }
}
