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

#[cfg(test)]
mod tests {
    use super::*;
    use retry_audit_scan::read::decode;

    fn change(path: &Path, original: &[u8], new: &str) -> FileChange {
        FileChange {
            display: "app/x.py".into(),
            path: path.to_path_buf(),
            patch_path: "app/x.py".into(),
            original: original.to_vec(),
            source: decode(original).expect("decodes"),
            new_text: new.into(),
            new_bytes: new.as_bytes().to_vec(),
            fixes: vec![],
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn refuses_a_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        let c = change(&f, b"a = 1\n", "a = 2\n");
        // Someone edits the file between the read and the write.
        std::fs::write(&f, "a = 1  # edited meanwhile\n").unwrap();
        let err = write_change(&c).unwrap_err();
        assert!(err.contains("changed since it was read"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "a = 1  # edited meanwhile\n",
            "left as the other writer left it"
        );
        assert_eq!(entries(dir.path()), ["x.py"], "no temporary file left behind");
    }

    #[test]
    fn writes_when_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        write_change(&change(&f, b"a = 1\n", "a = 2\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a = 2\n");
        assert_eq!(entries(dir.path()), ["x.py"]);
    }
}
