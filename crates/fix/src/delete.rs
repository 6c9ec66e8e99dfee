//! Deleting files the scan found unused (`migrate --delete-unused`): the `git apply` patch of a deletion, and
//! a deletion that cannot lose a concurrent write.
//!
//! A file is deleted only when it is inside the write roots (symlinks resolved, as `apply` checks before a
//! write) and still holds exactly the bytes the scan read (their SHA-256 is compared): a file edited since the
//! scan is refused, never deleted. The deletion itself (`delete`) takes the steps of `write`: the file is
//! opened and checked (identity, size, mtime, bytes), unlinked, and checked once more through its open
//! descriptor; if it was written between the check and the unlink, that version is put back.

use crate::apply::outside_roots;
use crate::write::{copy_metadata, in_flight, link_count, read_all_at, same_file, same_version, temp_in, FileStamp};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file to delete, as read now and checked against the scan.
#[derive(Debug, Clone)]
pub struct FileDeletion {
    pub display: String,
    pub path: PathBuf,
    /// Path used in the patch (`a/<patch_path>`), as for edits (`apply::patch_path`).
    pub patch_path: Vec<u8>,
    /// The bytes read (the whole file).
    pub original: Vec<u8>,
    pub stamp: FileStamp,
    /// `100644` or `100755`, as git records the mode.
    pub mode: u32,
    /// Why it is deleted (the patch's comment line).
    pub reason: String,
}

/// Read a file the scan found deletable and check it: inside `roots` (empty: anywhere), a regular file, and
/// holding the bytes whose SHA-256 the scan recorded (`sha256`). The reason when it may not be deleted.
pub fn prepare(
    display: &str,
    path: &Path,
    sha256: &str,
    roots: &[PathBuf],
    reason: &str,
) -> Result<FileDeletion, String> {
    if let Err(real) = outside_roots(path, roots) {
        return Err(format!(
            "reached through a symlink: its real path {real} is outside the scanned root; not deleted"
        ));
    }
    let (original, meta) = retry_audit_scan::read::read_regular(path, u64::MAX).map_err(|e| e.message())?;
    if sha256.is_empty() || retry_audit_scan::deletion::content_hash(&original) != sha256 {
        return Err("changed since it was scanned; not deleted (re-run migrate)".into());
    }
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 != 0 {
            0o100755
        } else {
            0o100644
        }
    };
    #[cfg(not(unix))]
    let mode = 0o100644;
    Ok(FileDeletion {
        display: display.to_string(),
        path: path.to_path_buf(),
        patch_path: crate::apply::patch_path(path),
        original,
        stamp: FileStamp::of(&meta),
        mode,
        reason: reason.to_string(),
    })
}

/// The patch deleting the file: a `# path: delete: reason` comment line (ignored by `git apply`), then
/// `diff --git`, `deleted file mode`, and one hunk removing every line (none for an empty file).
pub fn render_deletion_patch(d: &FileDeletion, color: bool) -> Vec<u8> {
    use crate::diff::{BOLD, CYAN, RED};
    let mut out = Vec::new();
    let paint = |out: &mut Vec<u8>, code: &str, text: &[u8]| crate::diff::paint(out, color, code, text);
    let shown = String::from_utf8_lossy(&crate::diff::quote_path("", &d.patch_path)).replace(['\n', '\r'], " ");
    let comment = format!("# {shown}: delete: {}\n", d.reason.replace(['\n', '\r'], " "));
    paint(&mut out, BOLD, comment.as_bytes());
    let (a, b) = (crate::diff::quote_path("a/", &d.patch_path), crate::diff::quote_path("b/", &d.patch_path));
    let mut header = b"diff --git ".to_vec();
    for part in [&a[..], b" ", &b[..], format!("\ndeleted file mode {:o}\n", d.mode).as_bytes()] {
        header.extend_from_slice(part);
    }
    if !d.original.is_empty() {
        for part in [&b"--- "[..], &a[..], b"\n+++ /dev/null\n"] {
            header.extend_from_slice(part);
        }
    }
    paint(&mut out, BOLD, &header);
    if d.original.is_empty() {
        return out;
    }
    // Lines split at `\n` only, as `git apply` splits them (see `diff`).
    let lines: Vec<&[u8]> = d.original.split_inclusive(|b| *b == b'\n').collect();
    let range = if lines.len() == 1 { "1".to_string() } else { format!("1,{}", lines.len()) };
    paint(&mut out, CYAN, format!("@@ -{range} +0,0 @@\n").as_bytes());
    for line in lines {
        let terminated = line.ends_with(b"\n");
        let body = if terminated { &line[..line.len() - 1] } else { line };
        let mut l = vec![b'-'];
        l.extend_from_slice(body);
        paint(&mut out, RED, &l);
        out.push(b'\n');
        if !terminated {
            out.extend_from_slice(b"\\ No newline at end of file\n");
        }
    }
    out
}

/// Delete the file if it still holds exactly what was read (see the module documentation).
pub fn delete(d: &FileDeletion) -> Result<(), String> {
    delete_with(d, &mut || {})
}

/// `delete`, with `between` run after the last check and before the unlink (tests race a writer there).
pub fn delete_with(d: &FileDeletion, between: &mut dyn FnMut()) -> Result<(), String> {
    let target = std::fs::canonicalize(&d.path).map_err(|e| format!("cannot resolve path: {e}"))?;
    let file = File::open(&target).map_err(|e| format!("cannot re-open: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err("no longer a regular file; not deleted".into());
    }
    let links = link_count(&meta);
    if links > 1 {
        return Err(format!("has {links} hard links; not deleted (remove the other links or delete it by hand)"));
    }
    // Held until the deletion is complete (or undone): an interrupt waits for it.
    let mut slot = in_flight();
    same_file(&target, &file, &d.stamp, &d.original)
        .map_err(|why| format!("changed since it was scanned ({why}); not deleted (re-run migrate)"))?;
    between();
    std::fs::remove_file(&target).map_err(|e| format!("cannot delete: {e}"))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    if same_version(&file, &d.stamp, &d.original).is_err() {
        // Written through an open descriptor between the check and the unlink: put that version back.
        let theirs = read_all_at(&file)?;
        let mut back =
            temp_in(dir).map_err(|e| format!("changed while it was deleted and could not be restored: {e}"))?;
        *slot = Some(back.path().to_path_buf());
        let restored = (|| {
            back.write_all(&theirs).map_err(|e| e.to_string())?;
            let meta = file.metadata().map_err(|e| e.to_string())?;
            copy_metadata(back.as_file(), &file, &meta)?;
            back.as_file().sync_all().map_err(|e| e.to_string())?;
            back.persist(&target).map_err(|e| e.error.to_string())
        })();
        *slot = None;
        return match restored {
            Ok(_) => Err("changed while it was being deleted; the other writer's version was put back".into()),
            Err(e) => Err(format!("changed while it was being deleted, and could not be restored: {e}")),
        };
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Remove `dir` and the directories above it up to (not including) `stop` while they are empty (a
/// `__pycache__` left behind keeps a directory). Returns the directories removed.
pub fn remove_empty_dirs(dir: &Path, stop: &[PathBuf]) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let mut cur = std::fs::canonicalize(dir).ok();
    while let Some(d) = cur {
        if stop.contains(&d) || !stop.iter().any(|s| d.starts_with(s)) || std::fs::remove_dir(&d).is_err() {
            break;
        }
        removed.push(d.clone());
        cur = d.parent().map(Path::to_path_buf);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use retry_audit_scan::deletion::content_hash;

    fn prepared(dir: &Path, name: &str, bytes: &[u8]) -> FileDeletion {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        let root = std::fs::canonicalize(dir).unwrap();
        prepare(name, &f, &content_hash(bytes), &[root], "nothing imports it").unwrap()
    }

    #[test]
    fn the_patch_removes_every_line() {
        let t = tempfile::tempdir().unwrap();
        let mut d = prepared(t.path(), "x.py", b"a = 1\nb = 2");
        d.patch_path = b"app/x.py".to_vec();
        assert_eq!(
            String::from_utf8(render_deletion_patch(&d, false)).unwrap(),
            "# app/x.py: delete: nothing imports it\ndiff --git a/app/x.py b/app/x.py\ndeleted file mode 100644\n\
             --- a/app/x.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a = 1\n-b = 2\n\\ No newline at end of file\n"
        );
        let mut empty = prepared(t.path(), "__init__.py", b"");
        empty.patch_path = b"app/__init__.py".to_vec();
        assert_eq!(
            String::from_utf8(render_deletion_patch(&empty, false)).unwrap(),
            "# app/__init__.py: delete: nothing imports it\ndiff --git a/app/__init__.py b/app/__init__.py\n\
             deleted file mode 100644\n"
        );
    }

    #[test]
    fn a_file_changed_since_the_scan_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        let scanned = content_hash(b"a = 0\n");
        let err = prepare("x.py", &f, &scanned, &[], "r").unwrap_err();
        assert!(err.contains("changed since it was scanned"), "{err}");
        // Checked again at the deletion: edited after `prepare`.
        let d = prepare("x.py", &f, &content_hash(b"a = 1\n"), &[], "r").unwrap();
        std::fs::write(&f, "a = 2  # edited\n").unwrap();
        let err = delete(&d).unwrap_err();
        assert!(err.contains("changed since it was scanned"), "{err}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a = 2  # edited\n");
    }

    #[test]
    fn a_write_between_the_check_and_the_unlink_is_put_back() {
        let t = tempfile::tempdir().unwrap();
        let d = prepared(t.path(), "x.py", b"a = 1\n");
        let err = delete_with(&d, &mut || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&d.path).unwrap();
            f.write_all(b"b = 1\n").unwrap();
        })
        .unwrap_err();
        assert!(err.contains("put back"), "{err}");
        assert_eq!(std::fs::read_to_string(&d.path).unwrap(), "a = 1\nb = 1\n");
    }

    #[test]
    fn outside_the_roots_is_refused_and_inside_is_deleted() {
        let t = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let f = t.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        let roots = [std::fs::canonicalize(other.path()).unwrap()];
        let err = prepare("x.py", &f, &content_hash(b"a = 1\n"), &roots, "r").unwrap_err();
        assert!(err.contains("outside the scanned root"), "{err}");
        let d = prepare("x.py", &f, &content_hash(b"a = 1\n"), &[], "r").unwrap();
        delete(&d).unwrap();
        assert!(!f.exists());
    }

    #[test]
    fn empty_directories_are_removed_up_to_the_root() {
        let t = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(t.path()).unwrap();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::write(root.join("a/keep.py"), "").unwrap();
        assert_eq!(
            remove_empty_dirs(&root.join("a/b/c"), std::slice::from_ref(&root)),
            [root.join("a/b/c"), root.join("a/b")]
        );
        assert!(root.join("a/keep.py").exists());
    }
}
