//! `check --format github`: GitHub Actions workflow commands, one annotation per new finding (error), unused
//! suppression (warning, or error when RTY100 is selected) and input problem (error, or warning with
//! `--allow-parse-errors`).

use crate::gate::{replacement_note, CheckReport};

/// Escape a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a workflow command property value.
fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(r: &CheckReport) -> String {
    let mut out = String::new();
    for it in r.new_items() {
        let f = it.finding;
        out.push_str(&format!(
            "::error file={},line={},endLine={},col={},title={}::{}\n",
            prop(&f.path),
            f.line,
            f.end_line,
            f.column,
            prop(&format!("{} {}", f.rule, f.kind.as_str())),
            data(&match replacement_note(f, r.data) {
                Some(note) => format!("{} ({})\n{note}", f.message, f.symbol),
                None => format!("{} ({})", f.message, f.symbol),
            })
        ));
    }
    let level = if r.unused_fail { "error" } else { "warning" };
    for u in &r.unused {
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            prop(&u.path),
            u.line,
            u.column,
            prop(&format!("{} unused-suppression", crate::config::UNUSED_SUPPRESSION)),
            data(&u.message())
        ));
    }
    for d in &r.scan.result.diagnostics {
        let line = if d.line > 0 { format!(",line={}", d.line) } else { String::new() };
        out.push_str(&format!(
            "::{} file={}{line},title={}::{}\n",
            r.level_of(d),
            prop(&d.path),
            prop(d.kind.as_str()),
            data(&d.message)
        ));
    }
    for e in &r.fixed {
        out.push_str(&format!(
            "::notice file={},title=fixed::{}\n",
            prop(&e.path),
            data(&format!("baselined {} in {} no longer exists; run `retry-audit baseline --prune`", e.rule, e.symbol))
        ));
    }
    out.push_str(&format!("{}\n", r.summary_line()));
    out
}
