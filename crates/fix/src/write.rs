//! Atomic replacement that cannot lose a concurrent write: every file ends up either exactly as the other
//! writer left it or exactly as migrated, never half-written, never silently overwritten.
//!
//! The steps, for one file:
//! 1. the target is the real file (symlinks resolved); a file with several hard links is refused (replacing
//!    it would split the links), as is a file whose identity, size, mtime or bytes are no longer the ones the
//!    fixes were computed on;
//! 2. the new bytes go to a temporary file in the same directory (`.retry-audit-<pid>-XXXXXX.tmp`), which
//!    gets the original's owner and group (when permitted; a note says when not), mode and extended
//!    attributes, and is fsynced;
//! 3. the original is checked again (identity, size, mtime, bytes) immediately before the swap;
//! 4. the swap: on Linux `renameat2(RENAME_EXCHANGE)`, which fails if the target vanished, and leaves the
//!    original at the temporary path, so it can be checked a last time: if it was written in between, the
//!    swap is undone and the other writer's version stays. Where the file system has no exchange, a plain
//!    rename, after which the displaced original is checked through its open descriptor and, if it was
//!    written in between, put back;
//! 5. the directory is fsynced.
//!
//! A writer that keeps the file open and writes after step 4 writes to the displaced original; no
//! rename-based replacement (editors included) can see that, and only the in-place write it would take
//! could, at the cost of atomicity.
//!
//! Interruption: the temporary file of the write in progress is registered, and `interrupt` (called from
//! the binary's SIGINT/SIGTERM handler) waits for the write to finish or not start, removes it, and lets
//! the process exit. `remove_stale_temps` removes the temporary files of runs that were killed outright.

use crate::apply::FileChange;
use std::fs::{File, Metadata};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Identity and version of a file as it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    pub mtime: (i64, i64),
}

impl FileStamp {
    pub fn of(meta: &Metadata) -> FileStamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileStamp { dev: meta.dev(), ino: meta.ino(), len: meta.len(), mtime: (meta.mtime(), meta.mtime_nsec()) }
        }
        #[cfg(not(unix))]
        {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| (d.as_secs() as i64, d.subsec_nanos() as i64))
                .unwrap_or_default();
            FileStamp { dev: 0, ino: 0, len: meta.len(), mtime }
        }
    }
}

/// What a successful write could not keep (owner, group, extended attributes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub notes: Vec<String>,
}

/// Points between the steps, for tests that race another writer against the write deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The temporary file is written and fsynced; the original is about to be checked again.
    TempWritten,
    /// The original was checked again; the swap is next.
    Rechecked,
}

/// The temporary file of the write in progress (see `interrupt`).
static IN_FLIGHT: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The in-flight slot, held for a whole operation (a deletion): an interrupt waits for it to finish.
pub(crate) fn in_flight() -> std::sync::MutexGuard<'static, Option<PathBuf>> {
    IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

pub const TEMP_PREFIX: &str = ".retry-audit-";
pub const TEMP_SUFFIX: &str = ".tmp";

/// Write `c.new_bytes` over `c.path` (see the module documentation).
pub fn write_change(c: &FileChange) -> Result<Written, String> {
    write_change_with(c, &mut |_| {})
}

pub fn write_change_with(c: &FileChange, hook: &mut dyn FnMut(Step)) -> Result<Written, String> {
    let target = std::fs::canonicalize(&c.path).map_err(|e| format!("cannot resolve path: {e}"))?;
    let original = File::open(&target).map_err(|e| format!("cannot re-open: {e}"))?;
    let meta = original.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err("no longer a regular file; not written".into());
    }
    let links = link_count(&meta);
    if links > 1 {
        return Err(format!(
            "has {links} hard links; replacing it would split them, so it was not written (break the link or \
             edit it by hand)"
        ));
    }
    let stamp = c.stamp.unwrap_or_else(|| FileStamp::of(&meta));
    let unchanged = || same_file(&target, &original, &stamp, &c.original);
    unchanged().map_err(|why| format!("changed since it was read ({why}); not written (re-run migrate)"))?;

    let dir = target.parent().unwrap_or(Path::new("."));
    // Held until the swap is complete, so an interrupt never removes a file that is half swapped.
    let mut in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    let mut tmp = temp_in(dir)?;
    *in_flight = Some(tmp.path().to_path_buf());
    let result = (|| {
        tmp.write_all(&c.new_bytes).map_err(|e| format!("write failed: {e}"))?;
        let notes = copy_metadata(tmp.as_file(), &original, &meta)?;
        tmp.as_file().sync_all().map_err(|e| format!("fsync failed: {e}"))?;
        hook(Step::TempWritten);
        unchanged().map_err(|why| format!("changed while it was being written ({why}); not written"))?;
        hook(Step::Rechecked);
        swap(tmp, &target, &original, &stamp, &c.original)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Written { notes })
    })();
    *in_flight = None;
    result
}

/// A temporary file beside the target, named so `remove_stale_temps` recognises it.
pub(crate) fn temp_in(dir: &Path) -> Result<tempfile::NamedTempFile, String> {
    tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))
}

/// Write a whole file atomically (reports, baselines, vectors): a temporary file in the same directory,
/// fsynced and renamed over `path`, so a reader sees the old file or the new one, never part of one. An
/// existing file keeps its owner, group, mode and extended attributes (a symlink is written through); a new
/// one is created `0644`. A device or FIFO (`/dev/stdout`, a pipe) is written directly.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(_) => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let existing = File::open(&target).ok().and_then(|f| f.metadata().ok().map(|m| (f, m)));
    if existing.as_ref().is_some_and(|(_, meta)| !meta.is_file()) {
        let mut out = std::fs::OpenOptions::new().write(true).open(&target).map_err(|e| e.to_string())?;
        return out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| e.to_string());
    }
    let mut in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    let mut tmp = temp_in(dir)?;
    *in_flight = Some(tmp.path().to_path_buf());
    let result = (|| {
        tmp.write_all(bytes).map_err(|e| format!("write failed: {e}"))?;
        match &existing {
            Some((file, meta)) => {
                copy_metadata(tmp.as_file(), file, meta)?;
            }
            None => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    tmp.as_file()
                        .set_permissions(std::fs::Permissions::from_mode(0o644))
                        .map_err(|e| format!("cannot set permissions: {e}"))?;
                }
            }
        }
        tmp.as_file().sync_all().map_err(|e| format!("fsync failed: {e}"))?;
        tmp.persist(&target).map_err(|e| format!("rename failed: {}", e.error))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    *in_flight = None;
    result
}

/// Remove the temporary file of the write in progress, if any; waits for a swap in progress to finish.
/// For the binary's signal handler: the process exits right after.
pub fn interrupt() {
    let mut in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = in_flight.take() {
        let _ = std::fs::remove_file(p);
    }
    // Keep the lock: no write starts after an interrupt.
    std::mem::forget(in_flight);
}

/// Remove the temporary files that killed runs left in `dirs`: those whose run (the pid in the name) is no
/// longer alive, or that are older than ten minutes (a write holds one for milliseconds). Returns them.
pub fn remove_stale_temps<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(rest) = name.strip_prefix(TEMP_PREFIX).and_then(|r| r.strip_suffix(TEMP_SUFFIX)) else {
                continue;
            };
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let owner_alive = rest
                .split_once('-')
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
                .is_some_and(|pid| pid == std::process::id() || process_alive(pid));
            let old = meta.modified().ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age.as_secs() > 600);
            if (!owner_alive || old) && std::fs::remove_file(e.path()).is_ok() {
                removed.push(e.path());
            }
        }
    }
    removed.sort();
    removed
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    // Signal 0 checks existence; EPERM means it exists under another user.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

pub(crate) fn link_count(meta: &Metadata) -> u64 {
    #[cfg(unix)]
    {
        std::os::unix::fs::MetadataExt::nlink(meta)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// Is the file at `path` still the one read (same identity, size and mtime), and does `file` (the open
/// original) still hold exactly `bytes`? The reason when not.
pub(crate) fn same_file(path: &Path, file: &File, stamp: &FileStamp, bytes: &[u8]) -> Result<(), String> {
    let now = std::fs::symlink_metadata(path).map_err(|e| format!("cannot stat it now: {e}"))?;
    let now = FileStamp::of(&now);
    if (now.dev, now.ino) != (stamp.dev, stamp.ino) {
        return Err("replaced by another file".into());
    }
    same_version(file, stamp, bytes)
}

/// Does the open file still have the size, mtime and bytes it was read with?
pub(crate) fn same_version(file: &File, stamp: &FileStamp, bytes: &[u8]) -> Result<(), String> {
    let now = FileStamp::of(&file.metadata().map_err(|e| format!("cannot stat it now: {e}"))?);
    if now.len != stamp.len {
        return Err(format!("size {} bytes, was {}", now.len, stamp.len));
    }
    if now.mtime != stamp.mtime {
        return Err("modified".into());
    }
    if read_all_at(file)? != bytes {
        return Err("content differs".into());
    }
    Ok(())
}

pub(crate) fn read_all_at(file: &File) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read_at(&mut buf, out.len() as u64).map_err(|e| format!("cannot re-read: {e}"))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek};
        let mut f = file.try_clone().map_err(|e| e.to_string())?;
        f.rewind().map_err(|e| e.to_string())?;
        f.read_to_end(&mut out).map_err(|e| format!("cannot re-read: {e}"))?;
    }
    Ok(out)
}

/// Owner and group (when permitted), then mode (after chown, which may clear set-id bits), then extended
/// attributes. Returns what could not be kept.
pub(crate) fn copy_metadata(tmp: &File, original: &File, meta: &Metadata) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mine = tmp.metadata().map_err(|e| format!("cannot stat the temporary file: {e}"))?;
        if (mine.uid(), mine.gid()) != (meta.uid(), meta.gid()) {
            if let Err(e) = std::os::unix::fs::fchown(tmp, Some(meta.uid()), Some(meta.gid())) {
                // Not permitted for another user's file without privileges: keep at least the group if we may.
                let group = std::os::unix::fs::fchown(tmp, None, Some(meta.gid())).is_ok();
                let kept = if group { "the group was kept" } else { "neither was kept" };
                notes.push(format!(
                    "owner {}:{} could not be kept ({e}); {kept}, it is now {}:{}",
                    meta.uid(),
                    meta.gid(),
                    mine.uid(),
                    if group { meta.gid() } else { mine.gid() }
                ));
            }
        }
    }
    tmp.set_permissions(meta.permissions()).map_err(|e| format!("cannot set permissions: {e}"))?;
    notes.extend(xattr::copy(original, tmp));
    Ok(notes)
}

/// Put `tmp` in place of `target` and check the displaced original a last time.
fn swap(
    tmp: tempfile::NamedTempFile,
    target: &Path,
    original: &File,
    stamp: &FileStamp,
    bytes: &[u8],
) -> Result<(), String> {
    match exchange(tmp.path(), target) {
        Ok(()) => {
            // The original is now at the temporary path; dropping `tmp` removes it once it is checked.
            let displaced = std::fs::symlink_metadata(tmp.path()).map(|m| FileStamp::of(&m));
            let intact = displaced.is_ok_and(|d| (d.dev, d.ino) == (stamp.dev, stamp.ino))
                && same_version(original, stamp, bytes).is_ok();
            if !intact {
                exchange(tmp.path(), target).map_err(|e| {
                    format!(
                        "changed during the swap, and the swap could not be undone ({e}): the other version is at {}",
                        tmp.path().display()
                    )
                })?;
                return Err("changed during the swap; the other writer's version was kept".into());
            }
            Ok(())
        }
        Err(e) if exchange_unsupported(&e) => {
            tmp.persist(target).map_err(|e| format!("rename failed: {}", e.error))?;
            if same_version(original, stamp, bytes).is_err() {
                // Written through an open descriptor between the check and the rename: put that version back.
                let theirs = read_all_at(original)?;
                let dir = target.parent().unwrap_or(Path::new("."));
                let mut back = tempfile::Builder::new()
                    .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
                    .suffix(TEMP_SUFFIX)
                    .tempfile_in(dir)
                    .map_err(|e| format!("changed during the rename and could not be restored: {e}"))?;
                back.write_all(&theirs).map_err(|e| format!("changed during the rename; restore failed: {e}"))?;
                back.as_file().sync_all().map_err(|e| format!("changed during the rename; restore failed: {e}"))?;
                let meta = original.metadata().map_err(|e| e.to_string())?;
                copy_metadata(back.as_file(), original, &meta)?;
                back.persist(target).map_err(|e| format!("changed during the rename; restore failed: {}", e.error))?;
                return Err("changed during the rename; the other writer's version was put back".into());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("deleted while it was being written; not written".into())
        }
        Err(e) => Err(format!("rename failed: {e}")),
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

fn exchange_unsupported(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)) {
        return true;
    }
    e.kind() == std::io::ErrorKind::Unsupported
}

#[cfg(target_os = "linux")]
mod xattr {
    use std::fs::File;
    use std::os::fd::AsRawFd;

    /// Copy every extended attribute (ACLs and SELinux labels included) where permitted; returns notes for
    /// those that could not be copied.
    pub fn copy(from: &File, to: &File) -> Vec<String> {
        let (src, dst) = (from.as_raw_fd(), to.as_raw_fd());
        let size = unsafe { libc::flistxattr(src, std::ptr::null_mut(), 0) };
        if size <= 0 {
            return vec![];
        }
        let mut names = vec![0u8; size as usize];
        let size = unsafe { libc::flistxattr(src, names.as_mut_ptr().cast(), names.len()) };
        if size <= 0 {
            return vec![];
        }
        names.truncate(size as usize);
        let mut failed = Vec::new();
        for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
            let Ok(cname) = std::ffi::CString::new(name) else { continue };
            let len = unsafe { libc::fgetxattr(src, cname.as_ptr(), std::ptr::null_mut(), 0) };
            if len < 0 {
                continue;
            }
            let mut value = vec![0u8; len as usize];
            let len = unsafe { libc::fgetxattr(src, cname.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
            if len < 0 {
                continue;
            }
            value.truncate(len as usize);
            let rc = unsafe { libc::fsetxattr(dst, cname.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
            if rc != 0 {
                failed.push(String::from_utf8_lossy(name).into_owned());
            }
        }
        if failed.is_empty() {
            vec![]
        } else {
            vec![format!("extended attributes not kept: {}", failed.join(", "))]
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod xattr {
    pub fn copy(_from: &std::fs::File, _to: &std::fs::File) -> Vec<String> {
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retry_audit_scan::read::decode;

    fn change(path: &Path, original: &[u8], new: &str) -> FileChange {
        let meta = std::fs::metadata(path).unwrap();
        FileChange {
            display: "app/x.py".into(),
            path: path.to_path_buf(),
            patch_path: b"app/x.py".to_vec(),
            original: original.to_vec(),
            stamp: Some(FileStamp::of(&meta)),
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

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
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
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a = 1  # edited meanwhile\n");
        assert_eq!(entries(dir.path()), ["x.py"], "no temporary file left behind");
    }

    #[test]
    fn writes_when_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        assert_eq!(write_change(&change(&f, b"a = 1\n", "a = 2\n")).unwrap(), Written::default());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a = 2\n");
        assert_eq!(entries(dir.path()), ["x.py"]);
    }

    /// The lost update of the fault audit: another process appends while the temporary file is written.
    #[test]
    fn a_write_while_the_temporary_file_is_written_is_never_lost() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        let c = change(&f, b"a = 1\n", "a = 2\n");
        let err = write_change_with(&c, &mut |step| {
            if step == Step::TempWritten {
                append(&f, "b = 1\n");
            }
        })
        .unwrap_err();
        assert!(err.contains("changed while it was being written"), "{err}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a = 1\nb = 1\n");
        assert_eq!(entries(dir.path()), ["x.py"]);
    }

    /// The narrowest window: after the last check, before the swap. The swap is undone.
    #[test]
    fn a_write_between_the_check_and_the_swap_is_never_lost() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        let c = change(&f, b"a = 1\n", "a = 2\n");
        let err = write_change_with(&c, &mut |step| {
            if step == Step::Rechecked {
                append(&f, "b = 1\n");
            }
        })
        .unwrap_err();
        assert!(err.contains("other writer's version"), "{err}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a = 1\nb = 1\n");
        assert_eq!(entries(dir.path()), ["x.py"]);
    }

    #[test]
    fn a_file_deleted_meanwhile_does_not_come_back() {
        for step in [Step::TempWritten, Step::Rechecked] {
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("x.py");
            std::fs::write(&f, "a = 1\n").unwrap();
            let c = change(&f, b"a = 1\n", "a = 2\n");
            let err = write_change_with(&c, &mut |s| {
                if s == step {
                    std::fs::remove_file(&f).unwrap();
                }
            })
            .unwrap_err();
            assert!(err.contains("deleted") || err.contains("cannot stat it now"), "{step:?}: {err}");
            assert!(!f.exists(), "{step:?}");
            assert!(entries(dir.path()).is_empty(), "{step:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn hard_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        std::fs::hard_link(&f, dir.path().join("y.py")).unwrap();
        let err = write_change(&change(&f, b"a = 1\n", "a = 2\n")).unwrap_err();
        assert!(err.contains("2 hard links"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.path().join("y.py")).unwrap(), "a = 1\n");
    }

    #[cfg(unix)]
    #[test]
    fn mode_owner_group_and_xattrs_are_kept() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.py");
        std::fs::write(&f, "a = 1\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            std::os::unix::fs::chown(&f, Some(65534), Some(65534)).unwrap();
        }
        let cf = std::ffi::CString::new(f.as_os_str().as_encoded_bytes()).unwrap();
        let xattr_ok =
            unsafe { libc::setxattr(cf.as_ptr(), c"user.retry_audit_test".as_ptr(), b"kept".as_ptr().cast(), 4, 0) }
                == 0;
        let before = std::fs::metadata(&f).unwrap();
        let written = write_change(&change(&f, b"a = 1\n", "a = 2\n")).unwrap();
        let after = std::fs::metadata(&f).unwrap();
        assert_eq!(after.mode() & 0o7777, 0o640);
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()), "{written:?}");
        assert!(written.notes.is_empty(), "{written:?}");
        if root {
            assert_eq!(after.uid(), 65534);
        }
        if xattr_ok {
            let mut buf = [0u8; 16];
            let n = unsafe {
                libc::getxattr(cf.as_ptr(), c"user.retry_audit_test".as_ptr(), buf.as_mut_ptr().cast(), buf.len())
            };
            assert_eq!(&buf[..n.max(0) as usize], b"kept");
        }
    }

    #[test]
    fn whole_files_are_written_atomically_keeping_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("report.json");
        write_file(&f, b"one").unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o644);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_file(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(entries(dir.path()), ["report.json"]);
        write_file(Path::new("/dev/null"), b"x").unwrap();
        assert!(write_file(Path::new("/dev/full"), b"x").unwrap_err().contains("No space left"));
    }

    #[test]
    fn stale_temporary_files_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".retry-audit-999999999-abc.tmp");
        let live = dir.path().join(format!(".retry-audit-{}-abc.tmp", std::process::id()));
        let other = dir.path().join("keep.tmp");
        for p in [&dead, &live, &other] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(remove_stale_temps([dir.path()]), [dead]);
        assert_eq!(entries(dir.path()), [live.file_name().unwrap().to_str().unwrap(), "keep.tmp"]);
    }
}
