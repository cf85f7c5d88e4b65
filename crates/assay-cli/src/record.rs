//! `--record`: the one way evaluator commands store their inputs and results as signed
//! evidence, through `assay_assess::record` (the same function `assess` records with). All
//! new items of one call are appended in a single batch, so a failure leaves nothing
//! half-written in the ledger; an item already recorded (same kind, subject and bytes) is not
//! recorded twice.

use anyhow::Context as _;
pub use assay_assess::Recorded;
pub use assay_ledger::EvidenceInput;

use crate::context::Ctx;

/// Signs `items` with the workspace's default key and appends the new ones in one batch.
pub fn record(ctx: &Ctx, items: &[EvidenceInput]) -> anyhow::Result<Vec<Recorded>> {
    let ledger = assay_ledger::Ledger::open(&ctx.workspace)
        .with_context(|| format!("cannot record evidence in {}", ctx.workspace.display()))?;
    Ok(assay_assess::record(&ledger, items)?)
}
