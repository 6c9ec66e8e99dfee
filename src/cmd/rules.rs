//! `retry-audit rules`: the rule catalogue; `--explain CODE` prints a rule's documentation. The catalogue ends
//! with RTY100 (unused suppressions), which `check` reports about comments rather than code.
use crate::config::UNUSED_SUPPRESSION;
use crate::gate::{UNUSED_SUPPRESSION_DOC, UNUSED_SUPPRESSION_KIND, UNUSED_SUPPRESSION_SUMMARY};
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
        Some(code) => explain(&code),
        None => {
            for rule in REGISTRY {
                let summary = rule.summary();
                let text = summary.split_once(": ").map(|(_, t)| t).unwrap_or(&summary);
                sayln!("{}  {:<20} {}", rule.code, rule.kind.as_str(), text);
            }
            sayln!("{UNUSED_SUPPRESSION}  {UNUSED_SUPPRESSION_KIND:<20} {UNUSED_SUPPRESSION_SUMMARY}");
            Ok(0)
        }
    }
}

fn explain(code: &str) -> anyhow::Result<i32> {
    if code.eq_ignore_ascii_case(UNUSED_SUPPRESSION) || code == UNUSED_SUPPRESSION_KIND {
        sayln!("{UNUSED_SUPPRESSION} ({UNUSED_SUPPRESSION_KIND})\n\n{UNUSED_SUPPRESSION_DOC}");
        return Ok(0);
    }
    match by_code(code) {
        Some(rule) => {
            sayln!("{} ({})\n\n{}", rule.code, rule.kind.as_str(), rule.doc());
            Ok(0)
        }
        None => anyhow::bail!("unknown rule {code:?}; `retry-audit rules` lists them"),
    }
}
