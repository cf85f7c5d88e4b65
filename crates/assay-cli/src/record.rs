//! `--record`: the one way evaluator commands store their inputs and results as signed
//! evidence. All items of one call are appended in a single batch, so a failure leaves nothing
//! half-written in the ledger.

use anyhow::Context as _;
pub use assay_ledger::{Appended, EvidenceInput};

use crate::context::Ctx;

/// Signs `items` with the workspace's default key and appends them in one batch.
pub fn record(ctx: &Ctx, items: &[EvidenceInput]) -> anyhow::Result<Vec<Appended>> {
    let ledger = assay_ledger::Ledger::open(&ctx.workspace)
        .with_context(|| format!("cannot record evidence in {}", ctx.workspace.display()))?;
    Ok(ledger.add(items, assay_ledger::DEFAULT_KEY)?)
}
