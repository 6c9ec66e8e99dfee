//! Soundness of the prefilters (`prefilter.rs`, `parse/tokens/mod.rs`): the analysis with them finds exactly what
//! the analysis of every file without any prefilter finds, file by file, over every fixture tree.
//!
//! `cargo test -p retry-audit-scan --release --test prefilter_sound -- --ignored` runs the same comparison
//! over a large tree (`PREFILTER_SOUND_DIR`, default `/work/bench`).

use rayon::prelude::*;
use retry_audit_scan::prefilter::Prefilter;
use retry_audit_scan::walk::{walk, WalkOptions};
use retry_audit_scan::{analyse_bytes, RuleData};
use std::path::{Path, PathBuf};

struct Report {
    files: usize,
    parsed_unfiltered: usize,
    parsed_tokens: usize,
    finding_diffs: Vec<String>,
    /// Files whose diagnostics differ (a syntax error in a file a prefilter skips is not reported).
    diagnostic_diffs: Vec<String>,
}

fn compare(root: &Path) -> Report {
    let data = RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
    let tokens = Prefilter::new(&data);
    let opts = WalkOptions { no_gitignore: true, ..Default::default() };
    let files = walk(&[root.to_path_buf()], &opts).expect("walk").files;
    let per_file: Vec<(bool, bool, Option<String>, Option<String>)> = files
        .par_iter()
        .map(|f| {
            let Ok(bytes) = std::fs::read(&f.path) else { return (false, false, None, None) };
            let a = analyse_bytes(&f.display, &f.module, &bytes, &data, None);
            let b = analyse_bytes(&f.display, &f.module, &bytes, &data, Some(&tokens));
            let fa = serde_json::to_string(&a.findings).expect("json");
            let fb = serde_json::to_string(&b.findings).expect("json");
            let finding_diff = (fa != fb).then(|| format!("{}:\n  unfiltered: {fa}\n  filtered:   {fb}", f.display));
            let da: Vec<String> = a.diagnostics.iter().map(|d| d.to_string()).collect();
            let db: Vec<String> = b.diagnostics.iter().map(|d| d.to_string()).collect();
            let diag_diff = (da != db).then(|| format!("{}: {da:?} vs {db:?}", f.display));
            (a.parsed, b.parsed, finding_diff, diag_diff)
        })
        .collect();
    let mut r = Report {
        files: files.len(),
        parsed_unfiltered: 0,
        parsed_tokens: 0,
        finding_diffs: vec![],
        diagnostic_diffs: vec![],
    };
    for (pa, pb, fd, dd) in per_file {
        r.parsed_unfiltered += pa as usize;
        r.parsed_tokens += pb as usize;
        r.finding_diffs.extend(fd);
        r.diagnostic_diffs.extend(dd);
    }
    r
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

#[test]
fn token_prefilter_keeps_every_fixture_finding() {
    let r = compare(&fixtures());
    assert!(r.files > 50, "fixtures found: {}", r.files);
    assert!(r.finding_diffs.is_empty(), "findings differ:\n{}", r.finding_diffs.join("\n"));
    assert!(r.diagnostic_diffs.is_empty(), "diagnostics differ:\n{}", r.diagnostic_diffs.join("\n"));
}

#[test]
#[ignore = "large tree; run with --ignored (PREFILTER_SOUND_DIR, default /work/bench)"]
fn token_prefilter_keeps_every_finding_on_a_large_tree() {
    let dir = std::env::var("PREFILTER_SOUND_DIR").unwrap_or_else(|_| "/work/bench".into());
    let r = compare(Path::new(&dir));
    eprintln!(
        "{dir}: {} files, parsed {} without prefilters, {} with them; {} finding \
         differences, {} diagnostic differences",
        r.files,
        r.parsed_unfiltered,
        r.parsed_tokens,
        r.finding_diffs.len(),
        r.diagnostic_diffs.len()
    );
    for d in &r.diagnostic_diffs {
        eprintln!("diagnostic difference: {d}");
    }
    assert!(r.finding_diffs.is_empty(), "findings differ:\n{}", r.finding_diffs.join("\n"));
}

/// Every finding of every fixture is in a file its own rule's declaration (`NEEDS`) admits: the byte
/// prefilter is built from the declarations, so a trigger a rule uses but does not declare shows here.
#[test]
fn declared_needs_cover_every_fixture_finding() {
    let data = RuleData::with_plan_file(&retry_audit_scan::data::example_plan_path()).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let opts = WalkOptions { no_gitignore: true, ..Default::default() };
    let files = walk(&[fixtures], &opts).expect("walk").files;
    let mut checked = std::collections::BTreeSet::new();
    let mut missing = Vec::new();
    for f in &files {
        let Ok(bytes) = std::fs::read(&f.path) else { continue };
        let out = analyse_bytes(&f.display, &f.module, &bytes, &data, None);
        for finding in &out.findings {
            let rule = retry_audit_scan::detect::rules::REGISTRY.iter().find(|r| r.code == finding.rule).unwrap();
            checked.insert(rule.code);
            if !retry_audit_scan::prefilter::rule_admits(rule, &bytes, &data) {
                missing.push(format!("{}:{} {} ({})", f.display, finding.line, rule.code, rule.name));
            }
        }
    }
    assert!(missing.is_empty(), "findings whose rule does not declare their trigger:\n{}", missing.join("\n"));
    // Every rule that finds something by itself has fixtures exercising its declaration.
    for r in retry_audit_scan::detect::rules::REGISTRY.iter().filter(|r| !r.needs.model) {
        assert!(checked.contains(r.code), "{} has no fixture finding", r.code);
    }
}
