//! One module per subcommand. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<i32>`.
pub mod common;
pub mod inventory;
pub mod policy;
pub mod rules;
