//! `plan` in the configuration: a plan file (`plan = "tools/retry-plan.toml"`), or the plan itself, written
//! inline as tables (`[plan]` with `name` and `description`, `[plan.canonical]`, `[[plan.entries]]`,
//! `[[plan.redirects]]`, `[[plan.config_migrations]]`; under `tool.retry-audit.` in `pyproject.toml`).
//! `retry-audit init` writes the inline form, so a project's configuration and plan are one file.

use retry_audit_scan::data::{Canonical, Category, ConfigMigration, Plan, PlanEntry, PlanInfo, Redirect};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub enum PlanSetting {
    /// A plan file, relative to the configuration's directory.
    File(PathBuf),
    Inline(Box<InlinePlan>),
}

/// The plan's tables inline: a plan file's `[plan]` keys at the top of the table, its other tables below it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlinePlan {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: Vec<Category>,
    pub canonical: Canonical,
    #[serde(default)]
    pub entries: Vec<PlanEntry>,
    #[serde(default)]
    pub redirects: Vec<Redirect>,
    #[serde(default)]
    pub config_migrations: Vec<ConfigMigration>,
}

impl InlinePlan {
    pub fn to_plan(&self) -> Plan {
        Plan {
            plan: PlanInfo { name: self.name.clone(), description: self.description.clone() },
            categories: self.categories.clone(),
            canonical: self.canonical.clone(),
            entries: self.entries.clone(),
            redirects: self.redirects.clone(),
            config_migrations: self.config_migrations.clone(),
            tree: None,
        }
    }
}

impl<'de> Deserialize<'de> for PlanSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Not an untagged enum: that would replace every error inside an inline plan (a missing key, an
        // unknown one) with "did not match any variant", and lose its line.
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PlanSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a plan file (a path) or the plan's tables ([plan], [plan.canonical], [[plan.entries]], ...)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PlanSetting, E> {
                Ok(PlanSetting::File(PathBuf::from(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PlanSetting, A::Error> {
                InlinePlan::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|p| PlanSetting::Inline(Box::new(p)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The dotted key of the TOML value at `offset` of `text`: the enclosing table (an array of tables with its
/// index, `plan.entries[2]`), then the key on that line, if the line is not the header itself.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut table: Option<String> = None;
    let mut arrays: std::collections::HashMap<String, usize> = Default::default();
    let mut at = 0;
    for line in text.split('\n') {
        if at > line_start {
            break;
        }
        let this_line = at == line_start;
        at += line.len() + 1;
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = arrays.entry(name.clone()).and_modify(|n| *n += 1).or_insert(0);
            table = Some(format!("{name}[{n}]"));
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = Some(name.trim().to_string());
        } else if this_line {
            if let Some((key, _)) = t.split_once('=') {
                let key = key.trim();
                return Some(match table {
                    Some(t) => format!("{t}.{key}"),
                    None => key.to_string(),
                });
            }
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_offsets() {
        let text = "top = 1\n[plan]\nname = 'x'\n[[plan.entries]]\nid = 'a'\n[[plan.entries]]\nid = 2\n";
        let key = |needle: &str| key_at(text, text.find(needle).unwrap());
        assert_eq!(key("top").as_deref(), Some("top"));
        assert_eq!(key("name").as_deref(), Some("plan.name"));
        assert_eq!(key("[[plan.entries]]\nid = 'a'").as_deref(), Some("plan.entries[0]"));
        assert_eq!(key("id = 2").as_deref(), Some("plan.entries[1].id"));
    }
}
