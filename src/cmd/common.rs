//! Arguments every scanning command shares, and turning them into a scan.

use anyhow::Context;
use retry_audit_scan::{data, walk::WalkOptions, RuleData, ScanOptions};
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Exclude paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Only scan files matching this glob (repeatable; default `*.py`, `*.pyi`).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not honour .gitignore / .ignore files.
    #[arg(long)]
    pub no_gitignore: bool,
    /// Plan manifest (TOML); default: the built-in netra plan.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Known retry libraries table (TOML); default: built in.
    #[arg(long, value_name = "FILE")]
    pub libraries: Option<PathBuf>,
    /// Domain classification words (TOML); default: built in.
    #[arg(long, value_name = "FILE")]
    pub domains: Option<PathBuf>,
    /// Skip files larger than this many bytes (reported as too-large).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

impl ScanArgs {
    pub fn roots(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }

    /// The `root` reported in JSON: the single root given, or `.`.
    pub fn root_display(&self) -> String {
        match self.paths.as_slice() {
            [one] => one.display().to_string(),
            _ => ".".into(),
        }
    }

    pub fn rule_data(&self) -> anyhow::Result<RuleData> {
        Ok(RuleData {
            plan: data::Plan::load(self.plan.as_deref())?,
            libraries: data::Libraries::load(self.libraries.as_deref())?,
            domains: data::Domains::load(self.domains.as_deref())?,
        })
    }

    pub fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            walk: WalkOptions { exclude: self.exclude.clone(), include: self.include.clone(), no_gitignore: self.no_gitignore },
            max_file_size: self.max_file_size.unwrap_or(retry_audit_scan::DEFAULT_MAX_FILE_SIZE),
        }
    }

    /// Run the scan, with a progress line on stderr for scans over a second when stderr is a terminal.
    pub fn run_scan(&self, data: &RuleData) -> anyhow::Result<retry_audit_scan::ScanResult> {
        let progress = (!self.quiet).then(progress::start);
        let result = retry_audit_scan::scan(&self.roots(), &self.scan_options(), data).map_err(anyhow::Error::msg).context("scan failed");
        if let Some(p) = progress {
            p.finish();
        }
        result
    }
}

mod progress {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    pub struct Progress {
        done: Arc<AtomicBool>,
        shown: Arc<AtomicBool>,
    }

    pub fn start() -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let shown = Arc::new(AtomicBool::new(false));
        if std::io::stderr().is_terminal() {
            let (d, s) = (done.clone(), shown.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                if !d.load(Ordering::SeqCst) {
                    s.store(true, Ordering::SeqCst);
                    eprint!("retry-audit: scanning...");
                }
            });
        }
        Progress { done, shown }
    }

    impl Progress {
        pub fn finish(self) {
            self.done.store(true, Ordering::SeqCst);
            if self.shown.load(Ordering::SeqCst) {
                eprint!("\r\x1b[K");
            }
        }
    }
}
