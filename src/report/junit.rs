//! `check --format junit`: one `<testsuite>` per checked file that has new findings (a `<testcase>` with a
//! `<failure>` per finding), plus a passing testcase when nothing failed, so CI test reports show the gate.

use crate::gate::{replacement_note, CheckReport};
use std::collections::BTreeMap;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(r: &CheckReport) -> String {
    let mut suites: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for it in r.new_items() {
        let f = it.finding;
        let case = format!(
            "    <testcase name=\"{} {}:{}:{} {}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}:{}:{}: {} {}: {}\n{}</failure>\n    </testcase>\n",
            f.rule,
            escape(&f.path),
            f.line,
            f.column,
            escape(&f.symbol),
            escape(&f.path),
            escape(&f.path),
            f.line,
            f.rule,
            escape(&f.message),
            escape(&f.path),
            f.line,
            f.column,
            f.rule,
            f.kind.as_str(),
            escape(&f.message),
            escape(&replacement_note(f, r.data).unwrap_or_default()),
        );
        suites.entry(f.path.as_str()).or_default().push(case);
    }
    if r.unused_fail {
        for u in &r.unused {
            let case = format!(
                "    <testcase name=\"{} {}:{}:{}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <failure type=\"{}\" message=\"{}\"/>\n    </testcase>\n",
                crate::config::UNUSED_SUPPRESSION,
                escape(&u.path),
                u.line,
                u.column,
                escape(&u.path),
                escape(&u.path),
                u.line,
                crate::config::UNUSED_SUPPRESSION,
                escape(&u.message()),
            );
            suites.entry(u.path.as_str()).or_default().push(case);
        }
    }
    if r.input_errors_fail {
        for d in r.scan.result.diagnostics.iter().filter(|d| d.kind.is_input_error()) {
            let case = format!(
                "    <testcase name=\"{} {}:{}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <failure type=\"{}\" message=\"{}\"/>\n    </testcase>\n",
                d.kind.as_str(),
                escape(&d.path),
                d.line,
                escape(&d.path),
                escape(&d.path),
                d.line,
                d.kind.as_str(),
                escape(&d.message),
            );
            suites.entry(d.path.as_str()).or_default().push(case);
        }
    }
    let failures: usize = suites.values().map(Vec::len).sum();
    let tests = failures.max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"retry-audit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n"
    ));
    if suites.is_empty() {
        out.push_str("  <testsuite name=\"retry-audit\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n");
        out.push_str(&format!("    <testcase name=\"{}\" classname=\"retry-audit\"/>\n", escape(&r.summary_line())));
        out.push_str("  </testsuite>\n");
    }
    for (path, cases) in &suites {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
            escape(path),
            cases.len(),
            cases.len()
        ));
        for c in cases {
            out.push_str(c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
