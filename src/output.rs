//! Standard output for every command. A write that fails (a closed pipe, a full disk) becomes an
//! `OutputError`, which `main` turns into a quiet exit for a closed pipe and a clear message otherwise,
//! always with a non-zero exit code; printing never panics.

use std::io::Write;

/// Writing standard output failed.
#[derive(Debug)]
pub struct OutputError(pub std::io::Error);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write output: {}", self.0)
    }
}

impl std::error::Error for OutputError {}

/// Write bytes to standard output and flush them.
pub fn emit(bytes: &[u8]) -> Result<(), OutputError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(OutputError)
}

pub fn emit_fmt(args: std::fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.flush()).map_err(OutputError)
}

/// Write to standard output through a buffer, then flush: for output written in pieces (a long JSON
/// document is never held whole).
pub fn emit_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), OutputError> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write(&mut out).and_then(|()| out.flush()).map_err(OutputError)
}

/// `print!` that returns an `OutputError` instead of panicking (use with `?`).
macro_rules! say {
    ($($t:tt)*) => { $crate::output::emit_fmt(format_args!($($t)*))? };
}

/// `println!` that returns an `OutputError` instead of panicking (use with `?`).
macro_rules! sayln {
    () => { $crate::output::emit(b"\n")? };
    ($($t:tt)*) => { $crate::output::emit_fmt(format_args!("{}\n", format_args!($($t)*)))? };
}

pub(crate) use {say, sayln};

/// The exit code and message for an error that ends the run: a closed pipe exits quietly with the shell's
/// SIGPIPE status (141), as `head` expects of the command before it; any other output error says so.
pub fn exit_for(err: &anyhow::Error) -> (i32, Option<String>) {
    if let Some(OutputError(io)) = err.downcast_ref::<OutputError>() {
        if io.kind() == std::io::ErrorKind::BrokenPipe {
            return (141, None);
        }
        return (2, Some(format!("retry-audit: error: cannot write output: {io}")));
    }
    (2, Some(format!("retry-audit: error: {err:#}")))
}

/// Standard error is the last resort for messages: when even it cannot be written (closed, or on a full
/// disk), the standard library panics inside `eprintln!`. This hook turns that panic into a quiet exit.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to std") {
            std::process::exit(if msg.contains("Broken pipe") { 141 } else { 2 });
        }
        default(info);
    }));
}
