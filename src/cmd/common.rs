//! Arguments every scanning command shares, and turning them into a scan.

use crate::config::{Config, PlanSource};
use anyhow::Context;
use retry_audit_scan::{data, walk::FileEntry, walk::WalkOptions, RuleData, ScanOptions};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use crate::project_scan::ProjectScan;

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
    /// Plan manifest (TOML); default: the `plan` of the configuration, else no plan.
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
    /// Configuration file (`pyproject.toml` with `[tool.retry-audit]`, or `retry-audit.toml`); default: found
    /// by walking up from the first path.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
    #[arg(skip)]
    loaded: OnceLock<Option<Config>>,
    /// The scan works out which legacy modules nothing imports (`ScanOptions::deletion`): set by the commands
    /// that report or delete them.
    #[arg(skip)]
    pub deletion: bool,
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

    /// The configuration in effect (`--config`, else discovered from the first path), loaded once.
    pub fn config(&self) -> anyhow::Result<Option<&Config>> {
        if let Some(c) = self.loaded.get() {
            return Ok(c.as_ref());
        }
        let cfg = if self.isolated {
            None
        } else if let Some(file) = &self.config {
            match Config::load(file)? {
                Some(c) => Some(c),
                None => anyhow::bail!("{}: no [tool.retry-audit] table", file.display()),
            }
        } else {
            Config::discover(&self.roots()[0])?
        };
        Ok(self.loaded.get_or_init(|| cfg).as_ref())
    }

    /// The config if it was already loaded (by `config`, `rule_data` or a scan).
    fn loaded_config(&self) -> Option<&Config> {
        self.loaded.get().and_then(|c| c.as_ref())
    }

    /// Project root: the config file's directory, else the root of the version-control checkout holding the
    /// first path, else the current directory (absolute). Run from any subdirectory, a gate names files and
    /// finds the baseline the same way.
    pub fn project_root(&self) -> anyhow::Result<PathBuf> {
        self.root_else(|_, cwd| cwd)
    }

    /// The root the reports name files from: the project root, except that outside any configured project or
    /// checkout it is the single directory given (an unpacked package names its files from its own top).
    fn report_root(&self) -> anyhow::Result<PathBuf> {
        let single = self.paths.len() == 1;
        self.root_else(|start, cwd| if single && start.is_dir() { start } else { cwd })
    }

    /// Whether the paths given cover the root the reports name files from (`report_root`): what a module
    /// nothing in the scan imports may still be imported by is outside the scan otherwise. `Err`: that root.
    pub fn covers_report_root(&self) -> anyhow::Result<Result<(), PathBuf>> {
        let root = self.report_root()?;
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        let covered = self.roots().iter().any(|r| std::fs::canonicalize(r).is_ok_and(|r| root.starts_with(r)));
        Ok(if covered { Ok(()) } else { Err(root) })
    }

    /// The config's directory, else the checkout's root, else `fallback(first path, current directory)`.
    fn root_else(&self, fallback: impl FnOnce(PathBuf, PathBuf) -> PathBuf) -> anyhow::Result<PathBuf> {
        if let Some(c) = self.config()? {
            return Ok(c.dir.clone());
        }
        let cwd = std::env::current_dir().context("current directory")?;
        let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
        let first = self.roots()[0].clone();
        let start = std::fs::canonicalize(cwd.join(&first)).unwrap_or_else(|_| cwd.join(first));
        Ok(vcs_root(&start).unwrap_or_else(|| fallback(start, cwd)))
    }

    /// Where the plan in effect is: `--plan`, else the config's `plan` (a plan file, or the config itself for
    /// an inline plan); `None`: no plan.
    pub fn plan_source(&self) -> anyhow::Result<Option<PlanSource>> {
        if let Some(file) = &self.plan {
            return Ok(Some(PlanSource { file: file.clone(), table: None }));
        }
        Ok(self.config()?.and_then(Config::plan_source))
    }

    /// Warn (stderr) about what the plan in effect claims of the tree that the tree does not hold.
    pub fn warn_about_plan(&self, data: &RuleData, scan: &ProjectScan) -> anyhow::Result<()> {
        if let Some(source) = self.plan_source()? {
            for w in crate::plan_check::check(&data.plan, &source, scan) {
                eprintln!("retry-audit: warning: {w}");
            }
        }
        Ok(())
    }

    /// Plan, libraries and domains: command line first, then the config (`plan`, `domains` overrides).
    pub fn rule_data(&self) -> anyhow::Result<RuleData> {
        let cfg = self.config()?;
        let plan = match (&self.plan, cfg) {
            (Some(file), _) => data::Plan::load(Some(file))?,
            (None, Some(c)) => c.plan()?,
            (None, None) => data::Plan::default(),
        };
        let mut domains = data::Domains::load(self.domains.as_deref())?;
        if let Some(c) = cfg {
            if !c.settings.domains.is_empty() {
                domains = domains.with_overrides(&c.settings.domains).map_err(|e| {
                    let needle = e.split('"').nth(1).unwrap_or("domains").to_string();
                    anyhow::anyhow!("{}: line {}: {e}", c.file.display(), c.line_of(&needle))
                })?;
            }
        }
        Ok(RuleData { plan, libraries: data::Libraries::load(self.libraries.as_deref())?, domains })
    }

    /// Walk and size options: `--include` replaces the config's, `--exclude` adds to it.
    pub fn scan_options(&self) -> ScanOptions {
        let cfg = self.loaded_config().map(|c| &c.settings);
        let mut exclude = cfg.map(|s| s.exclude.clone()).unwrap_or_default();
        exclude.extend(self.exclude.iter().cloned());
        let include = if self.include.is_empty() {
            cfg.map(|s| s.include.clone()).unwrap_or_default()
        } else {
            self.include.clone()
        };
        let max = self.max_file_size.or(cfg.and_then(|s| s.max_file_size));
        ScanOptions {
            walk: WalkOptions { exclude, include, no_gitignore: self.no_gitignore },
            max_file_size: max.unwrap_or(retry_audit_scan::DEFAULT_MAX_FILE_SIZE),
            files_done: None,
            deletion: self.deletion,
            prefilter: None,
            after_first_pass: Some(crate::allocator::return_freed_memory_sooner),
        }
    }

    /// Scan with paths relative to the project root. `only`: absolute paths of the files to keep (the
    /// changed files of `--diff-base`); the walk still applies .gitignore, include and exclude.
    pub fn scan_project(&self, data: &RuleData, only: Option<&HashSet<PathBuf>>) -> anyhow::Result<ProjectScan> {
        self.config()?;
        let root = self.project_root()?;
        self.scan_tree(data, only, Some(root), false)
    }

    /// The scan `inventory` and `migrate` report: relative to the config file's directory when there is one
    /// (so a site has the path, symbol and fingerprint `check` gives it, from any directory and whichever
    /// paths are given), else to the single root given.
    pub fn scan_reported(&self, data: &RuleData) -> anyhow::Result<ProjectScan> {
        let root = self.report_root()?;
        self.scan_tree(data, None, Some(root), false)
    }

    /// `scan_reported`, with the tree facts the fixes need built from the same read of every file and the fixes
    /// computed with them (`ScanResult::tree`, for `migrate`). The tree names each file by its module as the
    /// walk of the given paths names it.
    pub fn scan_reported_tree(&self, data: &RuleData) -> anyhow::Result<ProjectScan> {
        let root = self.report_root()?;
        self.scan_tree(data, None, Some(root), true)
    }

    fn scan_tree(
        &self,
        data: &RuleData,
        only: Option<&HashSet<PathBuf>>,
        root: Option<PathBuf>,
        tree: bool,
    ) -> anyhow::Result<ProjectScan> {
        let mut opts = self.scan_options();
        retry_audit_scan::timing::mark("start");
        // The walk is one thread: the prefilter's automaton is built beside it.
        let (walked, prefilter) = std::thread::scope(|s| {
            let prefilter = s.spawn(|| retry_audit_scan::prefilter::Prefilter::new(data));
            let walked = retry_audit_scan::walk::walk(&self.roots(), &opts.walk);
            (walked, prefilter.join())
        });
        let walked = walked.map_err(anyhow::Error::msg)?;
        opts.prefilter = prefilter.ok().map(std::sync::Arc::new);
        retry_audit_scan::timing::mark("walk");
        let exclude = globs(&opts.walk.exclude)?;
        let mut walk_diagnostics = walked.diagnostics;
        let pyprojects = walked.pyprojects;
        if only.is_some() {
            // The walk's own diagnostics name directories, special files and broken links: never one of the
            // changed files (`changed_files` keeps only paths that resolve), so not among the files checked.
            // A pyproject that could not be read still changes every name: said.
            walk_diagnostics.retain(|d| !d.kind.is_input_error());
        }
        // display -> (path, module as the walk names it)
        let mut entries: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
        let cwd = std::env::current_dir().context("current directory")?;
        if let Some(root) = &root {
            // The walk names what it reports relative to the one directory given, else as given: rebase those
            // names on the project root, as the files are.
            let roots = self.roots();
            let base = match roots.as_slice() {
                [one] if one.is_dir() => Some(one.clone()),
                _ => None,
            };
            for d in &mut walk_diagnostics {
                let given = base.as_ref().map_or_else(|| PathBuf::from(&d.path), |b| b.join(&d.path));
                if let Ok(rel) = retry_audit_scan::walk::lexical_absolute(&given, &cwd).strip_prefix(root) {
                    d.path = retry_audit_scan::walk::display_path(rel, Path::new(""));
                }
            }
        }
        for e in walked.files {
            let display = match &root {
                Some(root) => {
                    // The real path costs a system call per path component: resolved only when it is asked
                    // for (the changed files are real paths; a file reached from outside the root).
                    let real = || std::fs::canonicalize(&e.path).unwrap_or_else(|_| e.path.clone());
                    if only.is_some_and(|o| !o.contains(&real())) {
                        continue;
                    }
                    // Named by the path it was reached by (a symlinked alias keeps its own name, so the fixes
                    // see two paths to one file), else by its real path.
                    let reached = retry_audit_scan::walk::lexical_absolute(&e.path, &cwd);
                    let rel = match reached.strip_prefix(root) {
                        Ok(rel) => Some(retry_audit_scan::walk::display_path(rel, Path::new(""))),
                        Err(_) => real()
                            .strip_prefix(root)
                            .ok()
                            .map(|rel| retry_audit_scan::walk::display_path(rel, Path::new(""))),
                    };
                    rel.unwrap_or_else(|| e.display.clone())
                }
                None => e.display.clone(),
            };
            if root.is_some() && exclude.is_match(&display) {
                continue;
            }
            entries.entry(display).or_insert((e.path, e.module));
        }
        retry_audit_scan::timing::mark("files named");
        let progress = progress::Progress::start(entries.len(), self.quiet);
        opts.files_done = Some(progress.counter());
        // Displayed as the walk displays them, the files are named as the walk named them (the same files, so
        // the same package directories); displayed from a project root, they are named again.
        let walk_names = root.is_none();
        let mut files: Vec<FileEntry> = entries
            .iter()
            .map(|(display, (path, module))| FileEntry {
                display: display.clone(),
                path: path.clone(),
                module: if walk_names { module.clone() } else { String::new() },
            })
            .collect();
        if !walk_names {
            retry_audit_scan::modules::assign(&mut files, &pyprojects);
            // Pyprojects above the paths given are read from the project root only.
            walk_diagnostics.extend(pyprojects.take_diagnostics());
            walk_diagnostics.sort();
        }
        retry_audit_scan::timing::mark("modules assigned");
        let result = if tree {
            let walk_modules: Vec<String> = entries.values().map(|(_, m)| m.clone()).collect();
            retry_audit_scan::scan_files_tree(&files, &walk_modules, walk_diagnostics, &opts, data)
        } else {
            retry_audit_scan::scan_files(&files, walk_diagnostics, &opts, data)
        };
        let sources = entries.into_iter().map(|(display, (path, _))| (display, path)).collect();
        progress.finish();
        let root = match root {
            Some(r) => r,
            None => std::env::current_dir().context("current directory")?,
        };
        Ok(ProjectScan { root, result, sources, pyprojects })
    }

    /// The files of a scan, named as the analysis named them.
    pub fn entries(scan: &ProjectScan) -> Vec<FileEntry> {
        let mut files: Vec<FileEntry> = scan
            .sources
            .iter()
            .map(|(display, path)| FileEntry { display: display.clone(), path: path.clone(), module: String::new() })
            .collect();
        retry_audit_scan::modules::assign(&mut files, &scan.pyprojects);
        files
    }
}

/// The nearest directory at or above `start` holding a `.git` (a directory, or a file in a worktree or
/// submodule), `.hg` or `.svn`.
fn vcs_root(start: &Path) -> Option<PathBuf> {
    let mut dir = if start.is_dir() { Some(start) } else { start.parent() };
    while let Some(d) = dir {
        if [".git", ".hg", ".svn"].iter().any(|m| d.join(m).exists()) {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// Globs as the walker builds them: a glob without `/` also matches at any depth.
fn globs(list: &[String]) -> anyhow::Result<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for g in list {
        b.add(globset::Glob::new(g).with_context(|| format!("invalid glob {g:?}"))?);
        if !g.contains('/') && !g.starts_with("**") {
            b.add(globset::Glob::new(&format!("**/{g}")).with_context(|| format!("invalid glob {g:?}"))?);
        }
    }
    Ok(b.build()?)
}

/// A progress line on stderr (`retry-audit: scanning 120/4000 files`) for scans that last over a second, when
/// both stderr and stdout are a terminal and `--quiet` is not given: never in a pipe or a log file.
mod progress {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// How long a scan runs before the line appears, and how often it is redrawn.
    const DELAY: Duration = Duration::from_secs(1);
    const TICK: Duration = Duration::from_millis(100);

    /// What the drawing thread and `finish` share: drawing and erasing never interleave.
    #[derive(Default)]
    struct Line {
        finished: bool,
        drawn: bool,
    }

    pub struct Progress {
        files_done: Arc<AtomicUsize>,
        line: Arc<Mutex<Line>>,
    }

    /// Whether a run shows progress at all.
    pub fn enabled(quiet: bool, stderr_is_terminal: bool, stdout_is_terminal: bool) -> bool {
        !quiet && stderr_is_terminal && stdout_is_terminal
    }

    /// The progress line.
    pub fn line(done: usize, total: usize) -> String {
        format!("retry-audit: scanning {done}/{total} files")
    }

    impl Progress {
        pub fn start(total: usize, quiet: bool) -> Progress {
            let progress = Progress { files_done: Arc::default(), line: Arc::default() };
            if enabled(quiet, std::io::stderr().is_terminal(), std::io::stdout().is_terminal()) {
                let (done, shared) = (progress.files_done.clone(), progress.line.clone());
                std::thread::spawn(move || draw(&done, &shared, total));
            }
            progress
        }

        /// The counter the scan advances (`ScanOptions::files_done`).
        pub fn counter(&self) -> Arc<AtomicUsize> {
            self.files_done.clone()
        }

        /// Stop drawing and erase the line, so the report starts on a clean line.
        pub fn finish(self) {
            let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
            line.finished = true;
            if line.drawn {
                eprint!("\r\x1b[K");
            }
        }
    }

    /// Redraw the line every tick once the delay has passed, until the scan finishes.
    fn draw(done: &AtomicUsize, shared: &Mutex<Line>, total: usize) {
        std::thread::sleep(DELAY);
        loop {
            {
                let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
                if state.finished {
                    return;
                }
                eprint!("\r{}", line(done.load(Ordering::Relaxed), total));
                state.drawn = true;
            }
            std::thread::sleep(TICK);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn shown_only_on_a_terminal_and_never_when_quiet() {
            assert!(enabled(false, true, true));
            assert!(!enabled(true, true, true));
            assert!(!enabled(false, false, true));
            assert!(!enabled(false, true, false));
        }

        #[test]
        fn the_line_counts_files_done_of_total() {
            assert_eq!(line(120, 4000), "retry-audit: scanning 120/4000 files");
        }
    }
}
