//! The text of a proposed plan: as a plan file (tables at the top), or inline in the configuration under
//! `[plan]` of `retry-audit.toml` or `[tool.retry-audit.plan]` of `pyproject.toml`.

use std::fmt::Write;

/// The categories of a proposed plan, in the order the plan document lists them.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("engines", "1. Retry engines"),
    ("wrappers", "2. Wrappers and decorators on top of them"),
    ("configs", "3. Retry configs and strategy enums"),
    ("presets", "4. Presets"),
    ("breakers", "5. Circuit breakers"),
    ("libraries", "6. Retry library uses"),
];

/// One proposed plan entry: a file holding retry machinery.
pub struct Entry {
    pub path: String,
    pub category: &'static str,
    pub roles: Vec<&'static str>,
    pub uses: usize,
}

/// What a proposal holds.
pub struct Proposal<'a> {
    pub canonical: &'a str,
    pub path: &'a str,
    pub exports: &'a [(String, &'static str)],
    /// How `migrate --shims` calls the canonical manager, read off its source (or why it could not be).
    pub engine: &'a Result<retry_audit_scan::data::CanonicalEngine, String>,
    /// (module, path, uses of its engines).
    pub runner_up: Option<&'a (String, String, usize)>,
    pub entries: &'a [Entry],
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The plan's text. `table`: the table it is written in (`plan`, `tool.retry-audit.plan`), `None` for a plan
/// file. It starts with its comment lines directly above its first table, so the whole plan is one block of
/// the file (`place::without_tables` takes it out again).
pub fn render(p: &Proposal<'_>, table: Option<&str>) -> String {
    let key = |k: &str| table.map_or_else(|| k.to_string(), |t| format!("{t}.{k}"));
    let mut out = String::new();
    let _ = writeln!(out, "# Proposed by `retry-audit init` from the tree's inventory: review it, then commit it.");
    let _ = writeln!(
        out,
        "# Keys: [{}], categories, [{}], [[{}]], [[{}]], [[{}]]",
        table.unwrap_or("plan"),
        key("canonical"),
        key("entries"),
        key("redirects"),
        key("config_migrations")
    );
    let _ = writeln!(out, "# (retry-audit's README, \"The plan\", documents each).");
    let categories = {
        let mut c = String::from("categories = [\n");
        for (id, title) in CATEGORIES {
            let _ = writeln!(c, "  {{ id = {}, title = {} }},", quote(id), quote(title));
        }
        c.push_str("]\n");
        c
    };
    if table.is_none() {
        let _ = writeln!(out, "{categories}");
    }
    let _ = writeln!(out, "[{}]\nname = \"retry consolidation\"", table.unwrap_or("plan"));
    let _ = writeln!(out, "description = \"Consolidate every retry implementation onto {}.\"", p.canonical);
    if table.is_some() {
        out.push_str(&categories);
    }
    out.push('\n');
    if let Some((module, _, uses)) = p.runner_up {
        let _ = writeln!(out, "# Runner-up for canonical: {module} ({uses} uses of its engines).");
    }
    let _ = writeln!(out, "[{}]\nmodule = {}\npath = {}", key("canonical"), quote(p.canonical), quote(p.path));
    let _ = writeln!(out, "exports = [");
    for (name, kind) in p.exports {
        let _ = writeln!(out, "  {},  # {kind}", quote(name));
    }
    let _ = writeln!(out, "]");
    match p.engine {
        Ok(e) => {
            let _ = writeln!(out, "\n# How `migrate --shims` calls the canonical manager (read off its source).");
            let _ = writeln!(out, "[{}]", key("canonical.engine"));
            let _ = writeln!(out, "handler = {}\nrun = {}", quote(&e.handler), quote(&e.run));
            if !e.run_other.is_empty() {
                let _ = writeln!(out, "run_other = {}", quote(&e.run_other));
            }
            let _ = writeln!(out, "config = {}", quote(&e.config));
            if !e.strategy_enum.is_empty() {
                let _ = writeln!(out, "strategy_enum = {}", quote(&e.strategy_enum));
            }
            let fields: Vec<String> = e.fields.iter().map(|(k, v)| format!("{k} = {}", quote(v))).collect();
            let _ = writeln!(out, "fields = {{ {} }}", fields.join(", "));
        }
        Err(reason) => {
            let _ = writeln!(out, "\n# No [{}] (for `migrate --shims`): {reason}", key("canonical.engine"));
        }
    }
    for e in p.entries {
        let id = e.path.trim_end_matches(".py").replace(['/', '.'], "-");
        let _ = writeln!(out, "\n[[{}]]\nid = {}\ncategory = {}", key("entries"), quote(&id), quote(e.category));
        let _ = writeln!(out, "path = {}\ntype = {}", quote(&e.path), quote(&e.roles.join(", ")));
        let usage = if e.uses == 1 { "1 use".to_string() } else { format!("{} uses", e.uses) };
        let _ = writeln!(out, "status = \"to migrate\"\nusage = {}", quote(&usage));
    }
    out
}
