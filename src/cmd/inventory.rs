//! `retry-audit inventory`: every retry implementation, reported against the plan.
use super::common::ScanArgs;
use crate::output::say;
use crate::report;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

pub fn run(mut args: Args) -> anyhow::Result<i32> {
    // The inventory reports the legacy modules nothing imports any more, when it scans the whole project.
    let data = args.scan.rule_data()?;
    match args.scan.covers_report_root()? {
        Ok(()) => args.scan.deletion = true,
        Err(root) if retry_audit_scan::deletion::wanted(&data.plan) => eprintln!(
            "retry-audit: note: deletable legacy modules are not listed: the paths given do not cover the project \
             root {} (a module may be imported from outside them)",
            root.display()
        ),
        Err(_) => {}
    }
    retry_audit_scan::timing::mark("rule data");
    let scan = args.scan.scan_reported(&data)?;
    args.scan.warn_about_plan(&data, &scan)?;
    let result = scan.result;
    let absent = result.deletion.as_ref().map(|d| d.absent_entries.as_slice()).unwrap_or_default();
    let deleted = crate::deleted_modules::deleted(absent).into_iter().cloned().collect();
    let inv = report::Inventory::new(&args.scan.root_display(), &result, &data, deleted);
    match args.format {
        Format::Table => say!("{}", report::table::render(&inv)),
        Format::Json => crate::output::emit_with(|out| {
            inv.write_json(out)?;
            out.write_all(b"\n")
        })?,
        Format::Markdown => say!("{}", report::markdown::render(&inv)),
    }
    retry_audit_scan::timing::mark("report");
    // The process ends here: freeing the model's many small allocations one by one would only cost time.
    std::mem::forget(inv);
    std::mem::forget(result);
    Ok(0)
}
