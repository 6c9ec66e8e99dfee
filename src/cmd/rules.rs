//! `retry-audit rules`: the rule catalogue; `--explain CODE` prints a rule's documentation.
use crate::output::sayln;
use retry_audit_scan::detect::rules::{by_code, REGISTRY};

#[derive(clap::Args)]
pub struct Args {
    /// Print the documentation of one rule (code like RTY002, or kind like sleep_loop).
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    match args.explain {
        Some(code) => match by_code(&code) {
            Some(rule) => {
                sayln!("{} ({})\n\n{}", rule.code, rule.kind.as_str(), rule.doc());
                Ok(0)
            }
            None => anyhow::bail!("unknown rule {code:?}; `retry-audit rules` lists them"),
        },
        None => {
            for rule in REGISTRY {
                let summary = rule.summary();
                let text = summary.split_once(": ").map(|(_, t)| t).unwrap_or(&summary);
                sayln!("{}  {:<20} {}", rule.code, rule.kind.as_str(), text);
            }
            Ok(0)
        }
    }
}
