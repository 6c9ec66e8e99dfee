//! Edits, fixpoint application, atomic writes and diff rendering for `retry-audit migrate`.
