//! `assay rules ...`: rule packs and the obligations that apply to a product or model per
//! market. The engine (assay-rules) is pure; this module reads files and the ledger, picks the
//! date, and renders the result.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use assay_rules::consistency::{self, Document};
use assay_rules::{Day, EvalContext, Evaluation, EvidenceRecord, RulePack, SubjectManifest};
use clap::{Args, Subcommand};

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Which obligations apply to a product or model in each market, and are they met?
    ///
    /// Exit 1 when a mandatory obligation that applies is unmet or failing. Voluntary
    /// obligations are advice and possibly-applicable ones (scope unknown) are shown but never
    /// fail the check.
    Check(CheckArgs),
    /// List the rule packs (shipped ones plus any --pack), with digests and sources.
    Packs(PacksArgs),
    /// Write the packs as OSCAL 1.1 catalogs and, with --manifest, the result as OSCAL
    /// assessment-results plus a POA&M for the gaps.
    ExportOscal(ExportArgs),
}

/// Where packs and evidence come from, shared by `check` and `export-oscal`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// An extra rule pack file (TOML); replaces a shipped pack with the same id. Repeatable.
    #[arg(long = "pack", value_name = "PATH")]
    pub packs: Vec<PathBuf>,
    /// Use only the --pack files, not the shipped packs.
    #[arg(long)]
    pub no_shipped: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Evaluate only these markets (ISO 3166-1 alpha-2); default: the manifest's. Repeatable.
    #[arg(long = "market", value_name = "CC")]
    pub markets: Vec<String>,
    /// Product descriptions (text or Markdown) to check against the manifest and each other.
    #[arg(long = "docs", value_name = "FILE")]
    pub docs: Vec<PathBuf>,
    /// The day to evaluate on (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Read evidence records from this JSON file (an array of ledger summaries) instead of
    /// the workspace ledger.
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
    /// Your own policy file (TOML, `enforce = ["pack-id/obligation-id", ...]`): makes those
    /// obligations' assay-policy and interpretation rules mandatory (by default they never
    /// block on their own).
    #[arg(long, value_name = "FILE")]
    pub enforce: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The subject manifest (TOML; see docs/rules.md).
    pub manifest: PathBuf,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub packs: PackArgs,
}

#[derive(Debug, Args)]
pub struct PacksArgs {
    #[command(flatten)]
    pub packs: PackArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory to write the OSCAL JSON files into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also evaluate this manifest and write assessment-results and a POA&M.
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub packs: PackArgs,
}

pub fn run(ctx: &Ctx, command: RulesCommand) -> anyhow::Result<Outcome> {
    match command {
        RulesCommand::Check(args) => check(ctx, args),
        RulesCommand::Packs(args) => packs(ctx, args),
        RulesCommand::ExportOscal(args) => export_oscal(ctx, args),
    }
}

fn load_packs(args: &PackArgs) -> anyhow::Result<Vec<RulePack>> {
    let extra: Vec<&Path> = args.packs.iter().map(PathBuf::as_path).collect();
    let packs = assay_rules::load_packs(!args.no_shipped, &extra)?;
    if packs.is_empty() {
        anyhow::bail!("no rule packs: --no-shipped was given without any --pack");
    }
    Ok(packs)
}

fn evaluation_day(date: Option<&str>) -> anyhow::Result<Day> {
    match date {
        Some(text) => Day::parse(text).with_context(|| {
            format!(
                "--date `{}` is not a date YYYY-MM-DD",
                assay_core::text::quote_short(text)
            )
        }),
        None => Ok(Day(chrono::Utc::now().date_naive())),
    }
}

/// Evidence from `--evidence FILE`, else from the workspace ledger, else none (with a note).
fn load_evidence(
    ctx: &Ctx,
    file: Option<&Path>,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<EvidenceRecord>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read evidence file {}", path.display()))?;
        return serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a JSON array of evidence records (see docs/rules.md)",
                path.display()
            )
        });
    }
    if !ctx.workspace.exists() {
        notes.push(format!("no workspace at {}: evaluated without evidence (run `assay init` or pass --evidence FILE)", ctx.workspace.display()));
        return Ok(Vec::new());
    }
    let ledger = assay_ledger::Ledger::open(&ctx.workspace)
        .with_context(|| format!("cannot open the ledger in {}", ctx.workspace.display()))?;
    let summaries = ledger
        .summaries()
        .context("cannot read the ledger's evidence")?;
    Ok(summaries
        .into_iter()
        .map(|s| EvidenceRecord {
            index: s.index,
            kind: s.kind,
            subject: s.subject,
            blob_digest: s.blob_digest,
            signer_name: s.signer_name,
            signer_key_id: s.signer_key_id,
            signer_role: s.signer_role,
            signer_is_own: s.signer_is_own,
            recorded_at: s.recorded_at,
            meta: s.meta,
        })
        .collect())
}

fn evaluate(
    ctx: &Ctx,
    manifest_path: &Path,
    eval: &EvalArgs,
    packs: &[RulePack],
) -> anyhow::Result<Evaluation> {
    let manifest = SubjectManifest::from_path(manifest_path)?;
    let today = evaluation_day(eval.date.as_deref())?;
    let mut markets = Vec::new();
    for m in &eval.markets {
        let code = m.trim().to_ascii_uppercase();
        if let Some((message, hint)) = assay_rules::country::problem(&code) {
            anyhow::bail!("--market {message}\n  hint: {hint}");
        }
        if !markets.contains(&code) {
            markets.push(code);
        }
    }
    let mut notes = Vec::new();
    let evidence = load_evidence(ctx, eval.evidence.as_deref(), &mut notes)?;
    let report = if eval.docs.is_empty() {
        None
    } else {
        let mut docs = Vec::new();
        for path in &eval.docs {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --docs {}", path.display()))?;
            docs.push(Document {
                name: path.display().to_string(),
                text,
            });
        }
        Some(consistency::check(Some(&manifest), &docs))
    };
    let ectx = EvalContext {
        today,
        markets,
        consistency: report.as_ref(),
    };
    let mut evaluation = assay_rules::evaluate(&manifest, packs, &evidence, &ectx);
    if let Some(path) = &eval.enforce {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --enforce {}", path.display()))?;
        let name = path.display().to_string();
        let policy = assay_rules::UserPolicy::from_toml(&text, &name)?;
        policy.check(packs)?;
        assay_rules::enforce(&mut evaluation, &policy);
        notes.push(format!(
            "your policy {name} enforces {} obligation(s)",
            policy.enforce.len()
        ));
    }
    evaluation.notes.extend(notes);
    Ok(evaluation)
}

fn check(ctx: &Ctx, args: CheckArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("rules check", &[Format::Text, Format::Json])?;
    let packs = load_packs(&args.packs)?;
    let evaluation = evaluate(ctx, &args.manifest, &args.eval, &packs)?;
    match format {
        Format::Json => print_json(&evaluation)?,
        _ => {
            let text = assay_rules::explain::render_text(&evaluation, ctx.verbose > 0);
            if ctx.quiet {
                if let Some(last) = text.lines().last() {
                    println!("{last}");
                }
            } else {
                print!("{text}");
            }
        }
    }
    Ok(if evaluation.has_blocking() {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

fn packs(ctx: &Ctx, args: PacksArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("rules packs", &[Format::Text, Format::Json])?;
    let packs = load_packs(&args.packs)?;
    if format == Format::Json {
        print_json(&packs)?;
        return Ok(Outcome::Ok);
    }
    for p in &packs {
        let mandatory = p
            .obligations
            .iter()
            .filter(|o| o.force == assay_rules::Force::Mandatory)
            .count();
        println!(
            "{}  ({}, sha256:{})",
            p.id,
            p.jurisdiction,
            p.digest.short()
        );
        println!("  {}", p.title);
        println!(
            "  from {}; {} obligation(s): {} mandatory, {} voluntary",
            p.origin,
            p.obligations.len(),
            mandatory,
            p.obligations.len() - mandatory
        );
        if !ctx.quiet {
            for s in &p.sources {
                let at = s.document.as_deref().or(s.link.as_deref()).unwrap_or("");
                println!(
                    "  source {} [{}] {} ({}) {at}",
                    s.id, s.status, s.title, s.date
                );
            }
            if ctx.verbose > 0 {
                for o in &p.obligations {
                    println!("  obligation {} ({}): {}", o.id, o.force, o.title);
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

fn export_oscal(ctx: &Ctx, args: ExportArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("rules export-oscal", &[Format::Text, Format::Json])?;
    let packs = load_packs(&args.packs)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let today = evaluation_day(args.eval.date.as_deref())?;
    let mut written = Vec::new();
    let mut write = |name: String, value: &serde_json::Value| -> anyhow::Result<()> {
        let path = args.out.join(name);
        let text = serde_json::to_string_pretty(value)?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path.display().to_string());
        Ok(())
    };
    for p in &packs {
        write(
            format!("{}.catalog.json", p.id),
            &assay_rules::oscal::catalog(p, today),
        )?;
    }
    let mut outcome = Outcome::Ok;
    if let Some(manifest) = &args.manifest {
        let evaluation = evaluate(ctx, manifest, &args.eval, &packs)?;
        write(
            format!("{}.assessment-results.json", evaluation.subject),
            &assay_rules::oscal::assessment_results(&evaluation),
        )?;
        write(
            format!("{}.poam.json", evaluation.subject),
            &assay_rules::oscal::poam(&evaluation),
        )?;
        if evaluation.has_blocking() {
            outcome = Outcome::Failed;
        }
    }
    if format == Format::Json {
        print_json(&written)?;
    } else if !ctx.quiet {
        for w in &written {
            println!("wrote {w}");
        }
    }
    Ok(outcome)
}
