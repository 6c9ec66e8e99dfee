//! Problems with the input (never with the code's retry logic): every one names a path, a line and a reason,
//! and none of them stops the scan.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticKind {
    ParseError,
    DecodeError,
    /// Nesting past the limits of `parse::depth` (never handed to the parser).
    TooDeep,
    TooLarge,
    /// A FIFO, device, socket or directory where a source file was expected.
    SpecialFile,
    Unreadable,
    InternalError,
    /// A `pyproject.toml` whose source roots could not be read (`source_roots`): files are named without them.
    PyprojectError,
}

impl DiagnosticKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticKind::ParseError => "parse-error",
            DiagnosticKind::DecodeError => "decode-error",
            DiagnosticKind::TooDeep => "too-deep",
            DiagnosticKind::TooLarge => "too-large",
            DiagnosticKind::SpecialFile => "special-file",
            DiagnosticKind::Unreadable => "unreadable",
            DiagnosticKind::InternalError => "internal-error",
            DiagnosticKind::PyprojectError => "pyproject-error",
        }
    }

    /// Whether the diagnostic is about a source file that could not be analysed (its findings are not known),
    /// not about the project's metadata.
    pub fn is_input_error(self) -> bool {
        self != DiagnosticKind::PyprojectError
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: u32,
    pub kind: DiagnosticKind,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.path, self.line, self.kind.as_str(), self.message)
    }
}
