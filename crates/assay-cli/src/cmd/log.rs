use std::collections::BTreeMap;

use assay_core::EvidenceKind;
use assay_ledger::{EvidenceInput, Ledger};
use clap::Subcommand;
use serde_json::json;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;
use crate::progress::Bar;

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Recompute every blob hash, signature, the Merkle tree and every checkpoint.
    /// Exit 0 when intact, 1 naming the first bad entry.
    Verify,
    /// Print the latest signed checkpoint (C2SP tlog-checkpoint).
    Checkpoint,
    /// Inclusion proof of one entry against the latest checkpoint.
    Prove { id: String },
    /// Consistency proof from an earlier log size to the latest checkpoint.
    Consistency { old_size: u64 },
    /// (testing) Append COUNT small synthetic entries in batches of BATCH, printing each
    /// acknowledged index. Used by the crash-safety test.
    #[command(hide = true)]
    AppendSynthetic {
        #[arg(long)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        batch: u64,
    },
}

pub fn run(ctx: &Ctx, cmd: LogCommand) -> anyhow::Result<Outcome> {
    ctx.require_format("log", &[Format::Text, Format::Json])?;
    let ledger = Ledger::open(&ctx.workspace)?;
    match cmd {
        LogCommand::Verify => {
            let report = ledger.verify(&Bar::new(ctx))?;
            if ctx.format == Format::Json {
                print_json(&json!({"intact": report.is_intact(), "report": report}))?;
            } else if report.is_intact() {
                if !ctx.quiet {
                    println!(
                        "log intact: {} entries, {} signatures, {} blobs, {} checkpoints verified; root {}",
                        report.entries,
                        report.signatures_checked,
                        report.blobs_checked,
                        report.checkpoints_checked,
                        report.root
                    );
                }
            } else {
                let first = &report.problems[0];
                match first.index {
                    Some(i) => eprintln!(
                        "log NOT intact: entry {i}: {}: {}",
                        first.kind.label(),
                        first.detail
                    ),
                    None => eprintln!("log NOT intact: {}: {}", first.kind.label(), first.detail),
                }
                let shown = if ctx.verbose > 0 {
                    report.problems.len()
                } else {
                    10
                };
                for p in report.problems.iter().skip(1).take(shown) {
                    let at = p.index.map(|i| format!("entry {i}: ")).unwrap_or_default();
                    eprintln!("  also: {at}{}: {}", p.kind.label(), p.detail);
                }
                if report.problems.len() > shown + 1 {
                    eprintln!(
                        "  ... {} more (-v to list all)",
                        report.problems.len() - shown - 1
                    );
                }
            }
            Ok(if report.is_intact() {
                Outcome::Ok
            } else {
                Outcome::Failed
            })
        }
        LogCommand::Checkpoint => {
            let cp = ledger.checkpoint()?;
            if ctx.format == Format::Json {
                print_json(
                    &json!({"size": cp.size, "root": hex::encode(cp.root), "note": cp.note}),
                )?;
            } else {
                print!("{}", cp.note);
            }
            Ok(Outcome::Ok)
        }
        LogCommand::Prove { id } => {
            let index = ledger.resolve(&id)?;
            let proof = ledger.prove(index)?;
            if ctx.format == Format::Json {
                print_json(&proof)?;
            } else {
                println!("entry {} in tree of size {}", proof.index, proof.tree_size);
                println!("leaf  {}", hex::encode(proof.leaf_hash));
                println!("root  {}", hex::encode(proof.root));
                for h in &proof.hashes {
                    println!("path  {}", hex::encode(h));
                }
                println!("verified: {}", proof.verify());
            }
            Ok(Outcome::Ok)
        }
        LogCommand::Consistency { old_size } => {
            let proof = ledger.consistency(old_size)?;
            if ctx.format == Format::Json {
                print_json(&proof)?;
            } else {
                println!(
                    "from size {} (root {})",
                    proof.old_size,
                    hex::encode(proof.old_root)
                );
                println!(
                    "to   size {} (root {})",
                    proof.new_size,
                    hex::encode(proof.new_root)
                );
                for h in &proof.hashes {
                    println!("proof {}", hex::encode(h));
                }
                println!("verified: {}", proof.verify());
            }
            Ok(Outcome::Ok)
        }
        LogCommand::AppendSynthetic { count, batch } => {
            use std::io::Write;
            let batch = batch.max(1);
            let mut done = 0;
            let mut out = std::io::stdout().lock();
            while done < count {
                let n = batch.min(count - done);
                let items: Vec<EvidenceInput> = (done..done + n)
                    .map(|i| EvidenceInput {
                        kind: EvidenceKind::EvalRun,
                        subject: "synthetic".into(),
                        file_name: format!("synthetic-{i}.txt"),
                        bytes: format!("synthetic evidence {i} {}", std::process::id())
                            .into_bytes(),
                        meta: BTreeMap::new(),
                    })
                    .collect();
                for a in ledger.add(&items, assay_ledger::DEFAULT_KEY)? {
                    writeln!(out, "{}", a.index)?;
                }
                out.flush()?;
                done += n;
            }
            Ok(Outcome::Ok)
        }
    }
}
