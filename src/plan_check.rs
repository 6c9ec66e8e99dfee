//! A plan checked against the tree it is used on: the canonical module exists and defines the exports the
//! plan claims (not only under `TYPE_CHECKING`), a redirect's target is the same kind of object as its source
//! (class, Enum, function), and a config migration names classes that exist. Each problem is a warning with
//! the plan's file, line and key; the scan goes on.

use crate::config::PlanSource;
use crate::project_scan::ProjectScan;
use retry_audit_scan::data::Plan;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use retry_audit_scan::definitions::{DefKind, Definition};

/// The module-level names of a module's source, in order (`None`: it does not parse).
pub fn definitions(text: &str) -> Option<Vec<(String, Definition)>> {
    let ast = retry_audit_scan::parse::parse_module(text).ok()?;
    let lines = retry_audit_scan::read::LineIndex::new(text);
    Some(retry_audit_scan::definitions::of_module(&ast.body, &|at| lines.line(at)))
}

/// The plan's problems with the tree, as `file:line: key: message` lines.
pub fn check(plan: &Plan, source: &PlanSource, scan: &ProjectScan) -> Vec<String> {
    if !plan.has_canonical() && plan.redirects.is_empty() && plan.config_migrations.is_empty() {
        return vec![];
    }
    let text = std::fs::read_to_string(&source.file).unwrap_or_default();
    // The first occurrence after the plan's own section (`exports = [...]` under `[canonical]`), else anywhere.
    let section = format!("\n[{}]", source.key("canonical"));
    let line_of = |needle: &str| {
        let from = text.find(&section).unwrap_or(0);
        let at = text[from..].find(needle).map(|i| from + i).or_else(|| text.find(needle));
        at.map_or(1, |at| 1 + text[..at].matches('\n').count())
    };
    let mut out = Vec::new();
    let mut warn = |needle: &str, key: &str, message: String| {
        out.push(format!("{}:{}: {}: {message}", source.file.display(), line_of(needle), source.key(key)));
    };
    let mut modules = Modules::new(scan, plan);
    let canonical = plan.canonical.module.as_str();
    if plan.has_canonical() {
        match modules.definitions(canonical) {
            None => warn(
                &format!("\"{canonical}\""),
                "canonical.module",
                format!("`{canonical}` is not in the tree (looked for {} and the scanned files)", plan.canonical.path),
            ),
            Some(defs) => {
                let missing: Vec<&str> =
                    plan.canonical.exports.iter().filter(|e| !defs.contains_key(*e)).map(String::as_str).collect();
                let typing_only: Vec<&str> = plan
                    .canonical
                    .exports
                    .iter()
                    .filter(|e| defs.get(*e).is_some_and(|d| d.type_checking_only))
                    .map(String::as_str)
                    .collect();
                let count = plan.canonical.exports.len();
                if let Some(first) = typing_only.first() {
                    warn(
                        &format!("\"{first}\""),
                        "canonical.exports",
                        format!(
                            "`{canonical}` binds {} only under TYPE_CHECKING (an import of it fails)",
                            quoted(&typing_only)
                        ),
                    );
                }
                if let Some(first) = missing.first() {
                    warn(
                        &format!("\"{first}\""),
                        "canonical.exports",
                        format!(
                            "`{canonical}` does not define {} ({} of {count} exports)",
                            quoted(&missing),
                            missing.len()
                        ),
                    );
                }
            }
        }
    }
    for (i, r) in plan.redirects.iter().enumerate() {
        let ((from_m, Some(from_n)), (to_m, to_n)) = (r.from_parts(), r.to_parts()) else { continue };
        let to_n = to_n.unwrap_or(from_n);
        let from = modules.kind_of(from_m, from_n);
        let to = modules.kind_of(to_m, to_n);
        if let (Some(a), Some(b)) = (from, to) {
            if a != b && a != DefKind::Import && b != DefKind::Import {
                warn(
                    &format!("\"{}\"", r.from),
                    &format!("redirects[{i}]"),
                    format!(
                        "`{from_m}.{from_n}` is {} but `{to_m}.{to_n}` is {}: a redirect would change what the name is",
                        a.with_article(),
                        b.with_article()
                    ),
                );
            }
        }
    }
    for (i, m) in plan.config_migrations.iter().enumerate() {
        for (module, class, key) in
            [(m.from_parts().0, m.from_parts().1, "from"), (m.to_parts().0, m.to_parts().1, "to")]
        {
            if modules.definitions(module).is_some() && modules.kind_of(module, class).is_none() {
                let spelled = if key == "from" { &m.from } else { &m.to };
                warn(
                    &format!("\"{spelled}\""),
                    &format!("config_migrations[{i}].{key}"),
                    format!("`{module}` does not define `{class}`"),
                );
            }
        }
    }
    out
}

/// `a`, `b`, `c` as a list of code spans.
fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Module sources found in the scanned files, else on disk under the project root; read and parsed once.
struct Modules<'a> {
    scan: &'a ProjectScan,
    by_module: BTreeMap<&'a str, &'a str>,
    canonical: (&'a str, &'a str),
    parsed: BTreeMap<String, Option<BTreeMap<String, Definition>>>,
}

impl<'a> Modules<'a> {
    fn new(scan: &'a ProjectScan, plan: &'a Plan) -> Self {
        let by_module = scan
            .result
            .model
            .as_ref()
            .map(|p| p.model.files.iter().map(|f| (f.module.as_str(), f.path.as_str())).collect())
            .unwrap_or_default();
        Modules {
            scan,
            by_module,
            canonical: (plan.canonical.module.as_str(), plan.canonical.path.as_str()),
            parsed: BTreeMap::new(),
        }
    }

    fn file_of(&self, module: &str) -> Option<PathBuf> {
        if let Some(path) = self.by_module.get(module).and_then(|display| self.scan.sources.get(*display)) {
            return Some(path.clone());
        }
        let root = &self.scan.root;
        let rel = module.replace('.', "/");
        let mut candidates = vec![root.join(format!("{rel}.py")), root.join(&rel).join("__init__.py")];
        if module == self.canonical.0 && !self.canonical.1.is_empty() {
            candidates.insert(0, root.join(self.canonical.1));
        }
        candidates.into_iter().find(|p| p.is_file())
    }

    fn definitions(&mut self, module: &str) -> Option<&BTreeMap<String, Definition>> {
        if !self.parsed.contains_key(module) {
            let defs = self
                .file_of(module)
                .and_then(|p| retry_audit_scan::read::read_text(&p).ok())
                .and_then(|text| definitions(&text))
                .map(|list| {
                    let mut map = BTreeMap::new();
                    for (name, d) in list {
                        // A name bound both ways is importable when any binding is outside TYPE_CHECKING.
                        let typing_only = d.type_checking_only;
                        let entry = map.entry(name).or_insert(d);
                        entry.type_checking_only &= typing_only;
                    }
                    map
                });
            self.parsed.insert(module.to_string(), defs);
        }
        self.parsed.get(module).and_then(Option::as_ref)
    }

    fn kind_of(&mut self, module: &str, name: &str) -> Option<DefKind> {
        self.definitions(module)?.get(name).map(|d| d.kind)
    }
}
