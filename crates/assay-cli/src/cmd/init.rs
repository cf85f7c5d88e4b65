use clap::Args;
use serde_json::json;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;

#[derive(Debug, Args)]
pub struct InitArgs {}

pub fn run(ctx: &Ctx, _args: InitArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("init", &[Format::Text, Format::Json])?;
    let ledger = assay_ledger::Ledger::init(&ctx.workspace)?;
    let key = ledger.export_key(assay_ledger::DEFAULT_KEY)?;
    match ctx.format {
        Format::Json => print_json(&json!({
            "workspace": ctx.workspace,
            "log_origin": ledger.origin(),
            "default_key": key,
        }))?,
        _ => {
            if !ctx.quiet {
                println!("Created workspace {}", ctx.workspace.display());
                println!("  log origin:  {}", ledger.origin());
                println!("  default key: {key}");
                println!(
                    "Share the default key with whoever verifies your evidence (`assay key export default`)."
                );
            }
        }
    }
    Ok(Outcome::Ok)
}
