//! Edits, fixpoint application, atomic writes and diff rendering for `retry-audit migrate`.
//!
//! The scanner attaches fixes (lists of byte-range edits) to findings; this crate only *applies* them:
//!
//! 1. [`compute`]: per file, re-analyse the bytes read now, pick the selected fixes, resolve overlaps
//!    deterministically (sorted by position; a fix whose edits overlap an accepted one waits for the next
//!    pass; identical edits are shared), apply, check the result parses (else the file is left untouched and
//!    the error reported), and repeat on the new text until no fix applies or the pass cap is hit
//!    ("did not converge"). Files that do not parse never get fixes.
//! 2. [`render_patch`]: a `git apply` / `patch -p1` compatible unified diff (similar), in the file's own
//!    encoding, BOM and line endings.
//! 3. [`write_change`]: an atomic replace that cannot lose a concurrent write (see `write`): owner, group,
//!    mode and extended attributes kept, hard links never split, a file changed since it was read refused.
//! 4. [`delete`]: the deletion of a file the scan found unused (`migrate --delete-unused`): its `git apply`
//!    patch, and a deletion refused outside the write roots or when the file changed since it was scanned.

pub mod apply;
pub mod delete;
pub mod diff;
pub mod write;

pub use apply::{
    apply_edits, compute, conflicts, AppliedEdit, AppliedFix, FileChange, NotConsidered, Options, Outcome, Problem,
    Skipped,
};
pub use diff::render_patch;
pub use write::{write_change, Written};
