//! Detection: per-file analysis (`context`, `loops`, `sleeps`, `functions`) and the rule catalogue
//! (`rules/`, one file per rule; each file's `//!` doc comment is the rule's documentation).

pub mod classes;
pub mod context;
pub mod dry_run;
pub mod functions;
pub mod loops;
pub mod names;
pub mod params;
pub mod rules;
pub mod shape;
pub mod sleeps;

use crate::data::RuleData;
use crate::finding::{Fix, Kind, Params, SkippedFix};
use crate::syntax::Span;
use context::FileContext;
use functions::FnAnalysis;

/// What a rule reports before classification adds path, lines, domain, plan status and fingerprint.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub rule: &'static str,
    pub kind: Kind,
    pub span: Span,
    /// Dotted name relative to the module (`Class.method`); empty for module level.
    pub qualname: String,
    pub params: Params,
    pub message: String,
    pub notes: Vec<String>,
    /// Structural hash of the reported node (names, literals and positions erased).
    pub shape: u64,
    /// Call names inside the span (evidence for domain classification).
    pub operations: Vec<String>,
    pub fix: Option<Fix>,
    pub skipped_fix: Option<SkippedFix>,
}

/// Everything a rule may read.
pub struct Cx<'a, 'b> {
    pub file: &'b FileContext<'a>,
    pub functions: &'b [FnAnalysis<'a>],
    pub classes: &'b [classes::ClassInfo<'a>],
    pub data: &'b RuleData,
}

/// Run every rule over one parsed file.
pub fn detect(file: &FileContext, data: &RuleData) -> Vec<RawFinding> {
    detect_all(file, data).raws
}

/// The findings of every rule, with the per-function and per-class analyses they came from (the file's
/// facts are read off those too).
pub struct Detected<'a> {
    pub raws: Vec<RawFinding>,
    pub functions: Vec<FnAnalysis<'a>>,
    pub classes: Vec<classes::ClassInfo<'a>>,
}

pub fn detect_all<'a>(file: &FileContext<'a>, data: &RuleData) -> Detected<'a> {
    let functions = functions::analyse_all(file);
    let classes = classes::analyse_all(file, &functions);
    let cx = Cx { file, functions: &functions, classes: &classes, data };
    let mut raws = Vec::new();
    for rule in rules::REGISTRY {
        (rule.check)(&cx, &mut raws);
    }
    Detected { raws, functions, classes }
}
