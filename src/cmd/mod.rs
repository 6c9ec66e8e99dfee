//! One module per subcommand. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<i32>`.
pub mod baseline;
pub mod check;
pub mod common;
pub mod delete_unused;
pub mod enforce;
pub mod init;
pub mod inventory;
pub mod migrate;
pub mod policy;
pub mod rules;
