//! `migrate --delete-unused`: the legacy modules nothing in the tree imports any more (the ones `inventory`
//! lists as deletable, from the same analysis) are deleted. A dry run prints each deletion as a `git apply`
//! patch (`diff --git a/x b/x`, `deleted file mode 100644`, every line removed); `--apply` deletes the files
//! (never one outside the write roots, never one changed since it was scanned: `retry_audit_fix::delete`) and
//! then the directories left empty; `--check` counts every deletable module still there as pending.

use retry_audit_fix::delete::{self, FileDeletion};
use retry_audit_fix::Problem;
use retry_audit_scan::deletion::Deletable;
use retry_audit_scan::ScanResult;
use std::path::PathBuf;

/// The deletions of one run.
#[derive(Default)]
pub struct Deletions {
    /// What the scan found deletable (path, module, reason).
    pub deletable: Vec<Deletable>,
    /// Checked now and to delete.
    pub files: Vec<FileDeletion>,
    /// Deletable, but refused (outside the write roots, changed since the scan).
    pub refused: Vec<Problem>,
    /// Deleted (`--apply`), by display path.
    pub deleted: Vec<String>,
    /// Could not be deleted (`--apply`).
    pub failed: Vec<Problem>,
    /// Directories removed because the deletions left them empty (display paths).
    pub dirs_removed: Vec<String>,
}

impl Deletions {
    /// The scan's deletable modules, each read and checked now (`roots`: the write roots).
    pub fn prepare(result: &ScanResult, roots: &[PathBuf]) -> Deletions {
        let deletable = result.deletion.as_ref().map(|d| d.deletable.clone()).unwrap_or_default();
        let mut out = Deletions { deletable, ..Default::default() };
        for d in &out.deletable {
            match delete::prepare(&d.path, &d.file, &d.sha256, roots, &d.reason) {
                Ok(f) => out.files.push(f),
                Err(message) => out.refused.push(Problem { path: d.path.clone(), message }),
            }
        }
        out
    }

    /// Is the file at this display path deleted by this run?
    pub fn deletes(&self, display: &str) -> bool {
        self.files.iter().any(|f| f.display == display)
    }

    /// Deletable modules still there: what `--check` counts as pending.
    pub fn pending(&self) -> usize {
        self.files.len() + self.refused.len()
    }

    /// Delete the files, then the directories they leave empty (up to the write roots).
    pub fn apply(&mut self, roots: &[PathBuf]) {
        for f in &self.files {
            match delete::delete(f) {
                Ok(()) => self.deleted.push(f.display.clone()),
                Err(message) => self.failed.push(Problem { path: f.display.clone(), message }),
            }
        }
        // (directory on disk, its display path), deepest first, so a directory emptied by its subdirectory's
        // removal goes too.
        let mut dirs: Vec<(PathBuf, String)> = self
            .files
            .iter()
            .filter(|f| self.deleted.contains(&f.display))
            .filter_map(|f| {
                let dir = std::fs::canonicalize(f.path.parent()?).ok()?;
                Some((dir, f.display.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string())))
            })
            .collect();
        dirs.sort_by(|(a, _), (b, _)| (b.components().count(), a).cmp(&(a.components().count(), b)));
        dirs.dedup();
        for (dir, display) in dirs {
            for removed in delete::remove_empty_dirs(&dir, roots) {
                // `display` names `dir`; a directory above it drops as many trailing parts.
                let up = dir.components().count() - removed.components().count();
                let parts: Vec<&str> = display.split('/').collect();
                let shown = parts[..parts.len().saturating_sub(up)].join("/");
                if !shown.is_empty() && !self.dirs_removed.contains(&shown) {
                    self.dirs_removed.push(shown);
                }
            }
        }
    }

    /// The deletion patches (after the edits' patches in a dry run).
    pub fn patch(&self, color: bool) -> Vec<u8> {
        self.files.iter().flat_map(|f| delete::render_deletion_patch(f, color)).collect()
    }

    pub fn json(&self, applied: bool) -> serde_json::Value {
        let status = |path: &str| -> (&'static str, Option<String>) {
            if let Some(p) = self.refused.iter().chain(&self.failed).find(|p| p.path == path) {
                let s = if self.refused.iter().any(|r| r.path == path) { "refused" } else { "failed" };
                return (s, Some(p.message.clone()));
            }
            if self.deleted.iter().any(|d| d == path) {
                ("deleted", None)
            } else if applied {
                ("failed", None)
            } else {
                ("pending", None)
            }
        };
        self.deletable
            .iter()
            .map(|d| {
                let (status, message) = status(&d.path);
                let mut v =
                    serde_json::json!({"path": d.path, "module": d.module, "reason": d.reason, "status": status});
                if let Some(m) = message {
                    v["message"] = m.into();
                }
                v
            })
            .collect()
    }

    /// The summary's lines about deletions (stderr). `listed`: name each pending deletion (`--check`).
    pub fn summary(&self, applied: bool, listed: bool) -> String {
        let mut s = String::new();
        if self.deletable.is_empty() {
            s.push_str("retry-audit migrate: no unused legacy module to delete\n");
        } else if applied {
            s.push_str(&format!("retry-audit migrate: {} unused legacy module(s) deleted\n", self.deleted.len()));
            for d in &self.deleted {
                s.push_str(&format!("  {d} (deleted)\n"));
            }
            for d in &self.dirs_removed {
                s.push_str(&format!("  {d}/ (empty directory removed)\n"));
            }
        } else {
            s.push_str(&format!(
                "retry-audit migrate: {} unused legacy module(s) to delete (nothing imports them)\n",
                self.pending()
            ));
            if listed {
                for f in &self.files {
                    s.push_str(&format!("  {}: delete: {}\n", f.display, f.reason));
                }
            } else {
                s.push_str("  review the deletion patch, then run with --apply --delete-unused\n");
            }
        }
        for p in &self.refused {
            s.push_str(&format!("not deleted: {}: {}\n", p.path, p.message));
        }
        if !self.failed.is_empty() {
            s.push_str(&format!("error: {} module(s) could not be deleted:\n", self.failed.len()));
            for p in &self.failed {
                s.push_str(&format!("  {}: {}\n", p.path, p.message));
            }
        }
        s
    }
}
