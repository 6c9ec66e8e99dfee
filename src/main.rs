//! retry-audit: a thin CLI over the scan, policy and fix libraries.
//!
//! Every subcommand lives in `cmd/` and returns the process exit code; `main` only parses arguments
//! and maps errors to exit code 2 (usage / config errors), as ruff does; a closed output pipe exits
//! quietly with 141.

mod allocator;
mod cmd;
mod config;
mod deleted_modules;
mod gate;
mod output;
mod plan_check;
mod project_scan;
mod report;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "retry-audit", version, about = "Find hand-rolled retries in Python and consolidate them")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report every retry implementation against the consolidation plan.
    Inventory(cmd::inventory::Args),
    /// Propose a plan from the tree's own retry system (canonical module, its exports, one entry per file).
    Init(cmd::init::Args),
    /// CI / pre-commit gate: fail on retry findings that are not canonical, suppressed or baselined.
    Check(cmd::check::Args),
    /// Record the current findings as the baseline (or prune fixed ones).
    Baseline(cmd::baseline::Args),
    /// Print enforcement configs for other tools (ruff banned-api, import-linter).
    Enforce(cmd::enforce::Args),
    /// Codemods that redirect legacy retry code to the canonical manager (dry run by default).
    Migrate(cmd::migrate::Args),
    /// List the rules, or explain one.
    Rules(cmd::rules::Args),
    /// The reference retry-policy engine: presets, schedules, simulation, vectors, translation.
    Policy(cmd::policy::Args),
}

fn main() {
    output::install_panic_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inventory(args) => cmd::inventory::run(args),
        Command::Init(args) => cmd::init::run(args),
        Command::Policy(args) => cmd::policy::run(args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Baseline(args) => cmd::baseline::run(args),
        Command::Enforce(args) => cmd::enforce::run(args),
        Command::Migrate(args) => cmd::migrate::run(args),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            let (code, message) = output::exit_for(&err);
            if let Some(m) = message {
                eprintln!("{m}");
            }
            std::process::exit(code);
        }
    }
}
