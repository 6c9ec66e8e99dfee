//! Atomic writes: every file ends up either old or new, never half-written.

use crate::apply::FileChange;
use std::io::Write;
use std::path::Path;

/// Write `c.new_bytes` over `c.path`: temp file in the same directory, fsync, same permissions, rename,
/// fsync of the directory. Refuses when the file's bytes are no longer the ones the fixes were computed on.
pub fn write_change(c: &FileChange) -> Result<(), String> {
    let target = std::fs::canonicalize(&c.path).map_err(|e| format!("cannot resolve path: {e}"))?;
    let current = std::fs::read(&target).map_err(|e| format!("cannot re-read: {e}"))?;
    if current != c.original {
        return Err("changed since it was read; skipped (re-run migrate)".into());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let perms = std::fs::metadata(&target).map_err(|e| format!("cannot stat: {e}"))?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".retry-audit-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    tmp.write_all(&c.new_bytes).map_err(|e| format!("write failed: {e}"))?;
    tmp.as_file().sync_all().map_err(|e| format!("fsync failed: {e}"))?;
    tmp.as_file().set_permissions(perms).map_err(|e| format!("cannot set permissions: {e}"))?;
    tmp.persist(&target).map_err(|e| format!("rename failed: {}", e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
