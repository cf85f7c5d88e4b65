use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use assay_core::EvidenceKind;
use assay_ledger::{EvidenceInput, Ledger, keys::parse_public_key};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;

/// The output format named in an exported bundle folder's `.assay-output` marker.
const BUNDLE_OUTPUT: &str = "assay-evidence-bundle/v1";

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Store files as signed evidence (one batch: all are appended, or none).
    Add(AddArgs),
    /// List the evidence in the log.
    List,
    /// Show one entry: its statement, signer and digests. ID is an index or a digest prefix.
    Show { id: String },
    /// Export entries as a bundle (blobs, envelopes, inclusion proofs, one checkpoint) to check
    /// offline. Several IDs make one bundle of several entries (a lab's campaign and its test
    /// report: the data travels with the report). OUT must be a new or empty folder, or a
    /// bundle exported earlier (which is replaced).
    Export {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a bundle exported by another workspace (a lab's report and its campaign): its
    /// signer must be trusted. Every entry is verified before any is recorded; importing the
    /// same bundle again records nothing.
    Import { dir: PathBuf },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Evidence kind.
    #[arg(long, value_parser = parse_kind)]
    kind: EvidenceKind,
    /// The product, model or SKU the evidence is about.
    #[arg(long)]
    subject: String,
    /// Signing key (default: the workspace's default key).
    #[arg(long, default_value = assay_ledger::DEFAULT_KEY)]
    key: String,
    /// Facts about the evidence, as key=value (repeatable).
    #[arg(long = "meta", value_parser = parse_meta)]
    meta: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct VerifyBundleArgs {
    dir: PathBuf,
    /// Public key file(s) or verifier key lines: the evidence signer's and the log's.
    #[arg(long = "pubkey", required = true)]
    pubkeys: Vec<String>,
}

fn parse_kind(s: &str) -> Result<EvidenceKind, String> {
    s.parse()
        .map_err(|e: assay_core::UnknownName| e.to_string())
}

fn parse_meta(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not key=value")),
    }
}

pub fn run(ctx: &Ctx, cmd: EvidenceCommand) -> anyhow::Result<Outcome> {
    ctx.require_format("evidence", &[Format::Text, Format::Json])?;
    let ledger = Ledger::open(&ctx.workspace)?;
    match cmd {
        EvidenceCommand::Add(args) => add(ctx, &ledger, args),
        EvidenceCommand::List => list(ctx, &ledger),
        EvidenceCommand::Show { id } => show(ctx, &ledger, &id),
        EvidenceCommand::Export { ids, out } => {
            let indices = ids
                .iter()
                .map(|id| ledger.resolve(id))
                .collect::<Result<Vec<u64>, _>>()?;
            // Only a new, empty or earlier bundle folder is (re)placed, never the workspace
            // or a folder assay did not write; the bundle is staged next to it and swapped in.
            let target = assay_fs::OutputTarget::check(&out, BUNDLE_OUTPUT, &[&ctx.workspace])?;
            let staging = target.stage()?;
            let (json, digest) = if let [index] = indices[..] {
                let manifest = ledger.export(index, staging.path())?;
                let digest = manifest.blob_sha256.to_string();
                (serde_json::to_value(&manifest)?, digest)
            } else {
                let manifest = ledger.export_entries(&indices, staging.path())?;
                let digest = manifest
                    .entries
                    .iter()
                    .map(|e| e.blob_sha256.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                (serde_json::to_value(&manifest)?, digest)
            };
            staging.commit(&digest)?;
            if ctx.format == Format::Json {
                print_json(&json)?;
            } else if !ctx.quiet {
                let which = indices
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                println!(
                    "Exported {} {which} to {}",
                    if indices.len() == 1 {
                        "entry"
                    } else {
                        "entries"
                    },
                    out.display()
                );
                println!(
                    "Check it offline: assay verify-bundle {} --pubkey \"$(assay key export {})\"",
                    out.display(),
                    assay_ledger::DEFAULT_KEY
                );
            }
            Ok(Outcome::Ok)
        }
        EvidenceCommand::Import { dir } => {
            let imported = ledger.import_all(&dir)?;
            if ctx.format == Format::Json {
                let rows: Vec<_> = imported
                    .iter()
                    .map(|i| {
                        json!({
                            "index": i.appended.index,
                            "digest": i.appended.blob_digest,
                            "kind": i.signed.kind,
                            "issuer": i.issuer,
                            "new": i.newly_appended,
                            "issuer_log": i.issuer_log,
                        })
                    })
                    .collect();
                // One entry: the object as before; several: one object per entry.
                if let [one] = &rows[..] {
                    print_json(one)?;
                } else {
                    print_json(&rows)?;
                }
            } else {
                for imported in &imported {
                    let a = &imported.appended;
                    let pos = &imported.issuer_log;
                    println!(
                        "{}\t{}\t{} {} from trusted issuer {} (entry {} of {} in its log {}, proof verified)",
                        a.index,
                        a.blob_digest,
                        if imported.newly_appended {
                            "imported"
                        } else {
                            "already in the log, nothing appended:"
                        },
                        imported.signed.kind,
                        assay_core::text::quote_short(&imported.issuer),
                        pos.index,
                        pos.tree_size,
                        assay_core::text::quote_short(&pos.log_origin)
                    );
                }
            }
            Ok(Outcome::Ok)
        }
    }
}

fn add(ctx: &Ctx, ledger: &Ledger, args: AddArgs) -> anyhow::Result<Outcome> {
    let meta: BTreeMap<String, String> = args.meta.into_iter().collect();
    let mut items = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read evidence file {}", path.display()))?;
        items.push(EvidenceInput {
            kind: args.kind,
            subject: args.subject.clone(),
            file_name: path.display().to_string(),
            bytes,
            meta: meta.clone(),
        });
    }
    let appended = ledger.add(&items, &args.key)?;
    if ctx.format == Format::Json {
        let rows: Vec<_> = appended
            .iter()
            .zip(&args.files)
            .map(|(a, f)| json!({"index": a.index, "digest": a.blob_digest, "file": f}))
            .collect();
        print_json(&rows)?;
    } else {
        for (a, f) in appended.iter().zip(&args.files) {
            println!("{}\t{}\t{}", a.index, a.blob_digest, f.display());
        }
    }
    Ok(Outcome::Ok)
}

fn list(ctx: &Ctx, ledger: &Ledger) -> anyhow::Result<Outcome> {
    let rows = ledger.summaries()?;
    if ctx.format == Format::Json {
        print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    if rows.is_empty() {
        println!(
            "(no evidence yet: add some with `assay evidence add FILE --kind KIND --subject NAME`)"
        );
    }
    for r in rows {
        let signer = r
            .signer_name
            .clone()
            .unwrap_or_else(|| format!("unknown key {}", r.signer_key_id));
        println!(
            "{:>6}  {}  {:<26} {:<24} {:<24} {}",
            r.index,
            r.blob_digest.short(),
            r.kind.as_str(),
            assay_core::text::quote_short(&r.subject),
            assay_core::text::quote_short(&r.file_name),
            signer
        );
    }
    Ok(Outcome::Ok)
}

fn show(ctx: &Ctx, ledger: &Ledger, id: &str) -> anyhow::Result<Outcome> {
    let index = ledger.resolve(id)?;
    let e = ledger.entry(index)?;
    if ctx.format == Format::Json {
        print_json(&e)?;
        return Ok(Outcome::Ok);
    }
    let p = &e.statement.predicate;
    println!("entry        {}", e.index);
    println!("kind         {}", e.kind);
    // Signed, but chosen by whoever signed: quoted so control and bidi characters show.
    println!("subject      {}", assay_core::text::quote_short(&e.subject));
    println!(
        "file         {} ({} bytes)",
        assay_core::text::quote_short(&p.file_name),
        p.size
    );
    println!("sha256       {}", e.blob_digest);
    println!("leaf hash    {}", hex::encode(e.leaf_hash));
    println!(
        "signed by    {} (key id {})",
        e.signer_name.as_deref().unwrap_or("unknown key"),
        e.signer_key_id
    );
    println!("recorded at  {}", e.recorded_at);
    println!("predicate    {}", e.statement.predicate_type);
    for (k, v) in &p.meta {
        println!(
            "meta         {} = {}",
            assay_core::text::quote_short(k),
            assay_core::text::quote_short(v)
        );
    }
    Ok(Outcome::Ok)
}

pub fn verify_bundle(ctx: &Ctx, args: VerifyBundleArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("verify-bundle", &[Format::Text, Format::Json])?;
    let mut keys = Vec::new();
    for k in &args.pubkeys {
        // A path to a file holding the key, or the key itself.
        let text = match std::fs::read_to_string(k) {
            Ok(t) => t,
            Err(_) if !std::path::Path::new(k).exists() => k.clone(),
            Err(e) => return Err(e).with_context(|| format!("cannot read public key file {k}")),
        };
        keys.push(parse_public_key(&text).map_err(|e| anyhow::anyhow!("--pubkey {k}: {e}"))?);
    }
    let reports = assay_ledger::verify_bundle_all(&args.dir, &keys)?;
    let valid = reports.iter().all(|r| r.is_valid());
    if ctx.format == Format::Json {
        if let [report] = &reports[..] {
            print_json(&json!({"valid": valid, "report": report}))?;
        } else {
            print_json(&json!({"valid": valid, "entries": reports}))?;
        }
        return Ok(if valid { Outcome::Ok } else { Outcome::Failed });
    }
    for (n, report) in reports.iter().enumerate() {
        if reports.len() > 1 {
            println!("entry {} of {}:", n + 1, reports.len());
        }
        print_bundle_report(report);
    }
    if reports.len() > 1 {
        println!(
            "{}: {} entries checked as one bundle",
            if valid { "VALID" } else { "INVALID" },
            reports.len()
        );
    }
    Ok(if valid { Outcome::Ok } else { Outcome::Failed })
}

/// The checks of one entry and what they prove, signed facts only.
fn print_bundle_report(report: &assay_ledger::BundleReport) {
    {
        for c in &report.checks {
            println!(
                "{} {:<24} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.check,
                c.detail
            );
        }
        // Only signed facts are shown; bundle.json's unsigned copies never are.
        let q = assay_core::text::quote_short;
        match (report.is_valid(), &report.signed) {
            (true, Some(s)) => {
                let log = s.log.as_ref().expect("a valid bundle has a log position");
                println!(
                    "VALID: entry {} of {} in log {}: {} {} {} ({}), signed by {}",
                    log.index,
                    log.tree_size,
                    q(&log.log_origin),
                    s.kind,
                    q(&s.subject),
                    q(&s.file_name),
                    s.blob_digest,
                    s.signer_name
                        .as_deref()
                        .map(q)
                        .unwrap_or_else(|| format!("key id {}", s.signer_key_id))
                );
            }
            _ => {
                let why = report
                    .first_failure()
                    .map(|c| format!("{}: {}", c.check, c.detail))
                    .unwrap_or_else(|| "the bundle proves nothing".into());
                println!("INVALID: {why}");
            }
        }
    }
}
