//! Reading a source file from disk: regular files only, never more than the size limit, one open.
//!
//! Every pass that reads a file comes through `read_regular`, so a FIFO given as an explicit path cannot
//! block the run (it is opened non-blocking and refused on its type), a device such as `/dev/zero` cannot
//! grow memory without bound (its type is refused, and no read goes past the limit even for a file that
//! grows while it is read), and every refusal is a diagnostic with the reason.

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadFailure {
    /// Not a regular file: what it is instead.
    Special(&'static str),
    /// Over the limit (`size` is what was seen: the size on disk, or the limit plus one for a growing file).
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(std::io::Error),
}

impl ReadFailure {
    pub fn kind(&self) -> DiagnosticKind {
        match self {
            ReadFailure::Special(_) => DiagnosticKind::SpecialFile,
            ReadFailure::TooLarge { .. } => DiagnosticKind::TooLarge,
            ReadFailure::Io(_) => DiagnosticKind::Unreadable,
        }
    }

    /// The reason, as a scan diagnostic says it (the file is skipped and the scan goes on).
    pub fn message(&self) -> String {
        match self {
            ReadFailure::Io(e) => e.to_string(),
            other => format!("{}; skipped", other.reason()),
        }
    }

    /// The reason alone.
    pub fn reason(&self) -> String {
        match self {
            ReadFailure::Special(what) => format!("{what}, not a regular file"),
            ReadFailure::TooLarge { size, limit } => {
                format!("{size} bytes is over the {limit} byte limit (max-file-size)")
            }
            ReadFailure::Io(e) => e.to_string(),
        }
    }

    pub fn diagnostic(&self, display: &str) -> Diagnostic {
        Diagnostic { path: display.to_string(), line: 0, kind: self.kind(), message: self.message() }
    }
}

/// What a file is, when it is not a regular file.
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

fn open(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        // Non-blocking, so opening a FIFO with no writer returns at once (and its type is refused below);
        // no controlling terminal from a tty device. Regular files ignore both flags.
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// Read a regular file of at most `limit` bytes, with its metadata (taken from the open file, so both
/// describe the same file even if the path is replaced meanwhile).
pub fn read_regular(path: &Path, limit: u64) -> Result<(Vec<u8>, Metadata), ReadFailure> {
    let file = open(path).map_err(ReadFailure::Io)?;
    let meta = file.metadata().map_err(ReadFailure::Io)?;
    if let Some(what) = special_kind(&meta) {
        return Err(ReadFailure::Special(what));
    }
    if meta.len() > limit {
        return Err(ReadFailure::TooLarge { size: meta.len(), limit });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    // One byte past the limit tells a file that grew past it since the size was taken.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadFailure::TooLarge { size: bytes.len() as u64, limit });
    }
    Ok((bytes, meta))
}

/// Largest configuration, plan, baseline or policy file read (they are small; the limit only keeps a device
/// or a runaway file from exhausting memory).
pub const TEXT_FILE_LIMIT: u64 = 64 << 20;

/// Read a UTF-8 text file (configuration, plan, baseline, policy) under the same rules as source files: a
/// regular file, within `TEXT_FILE_LIMIT`. The error is the reason, for the caller to prefix with the path.
pub fn read_text(path: &Path) -> Result<String, String> {
    let (bytes, _) = read_regular(path, TEXT_FILE_LIMIT).map_err(|e| e.reason())?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.py");
        std::fs::write(&f, "x = 1\n").unwrap();
        let (bytes, meta) = read_regular(&f, 100).unwrap();
        assert_eq!(bytes, b"x = 1\n");
        assert_eq!(meta.len(), 6);
        let err = read_regular(&f, 5).unwrap_err();
        assert_eq!(err.message(), "6 bytes is over the 5 byte limit (max-file-size); skipped");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_blocking() {
        let err = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(err.kind(), DiagnosticKind::SpecialFile);
        assert_eq!(err.message(), "a character device, not a regular file; skipped");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.py");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = read_regular(&fifo, 1 << 20).unwrap_err();
        assert_eq!(err.message(), "a FIFO (named pipe), not a regular file; skipped");
        let err = read_regular(dir.path(), 1 << 20).unwrap_err();
        assert_eq!(err.message(), "a directory, not a regular file; skipped");
    }
}
