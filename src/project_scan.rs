//! A scan of the tree with the paths every command reports (see `cmd::common::ScanArgs::scan_project`).

use retry_audit_scan::ScanResult;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// A scan whose paths are relative to the project root (the config file's directory, else the current
/// directory), whatever paths were given: `check` and `baseline` need the same path for the same file
/// whether the whole tree, a subdirectory or pre-commit's file list is checked.
pub struct ProjectScan {
    /// Absolute project root.
    pub root: PathBuf,
    pub result: ScanResult,
    /// Display path -> path on disk.
    pub sources: BTreeMap<String, PathBuf>,
    /// The pyprojects the files were named with (naming them again reads none twice).
    pub pyprojects: retry_audit_scan::source_roots::Pyprojects,
}

impl ProjectScan {
    /// Display paths that were read and analysed without a diagnostic (so their findings are complete).
    pub fn complete_paths(&self) -> HashSet<String> {
        let bad: HashSet<&str> =
            self.result.diagnostics.iter().filter(|d| d.kind.is_input_error()).map(|d| d.path.as_str()).collect();
        self.sources.keys().filter(|p| !bad.contains(p.as_str())).cloned().collect()
    }
}
