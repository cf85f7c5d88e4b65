//! `assay assess CASE`: the main job. One case folder in; verdicts, a signed dossier, a filing
//! package and a delivery plan out.
//!
//! The steps, in order: discover the case (`case.rs`); run every evaluator whose inputs are
//! present, turning a file that fails to parse into a named problem rather than an abort
//! (`inputs.rs`); record what was read as signed evidence in one batch (nothing is recorded
//! from a file that failed); evaluate the rule packs for the target markets against the ledger;
//! plan the gaps; write the output folder (`output.rs`) and record a signed attestation of the
//! dossier naming every input and pack digest. `--check` re-verifies an output folder
//! (`check.rs`).

mod case;
mod check;
mod inputs;
mod output;

use std::path::PathBuf;

use anyhow::Context as _;
use assay_ledger::Ledger;
use clap::Args;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The case folder (or, with --check, an output folder).
    pub case: PathBuf,
    /// Markets to assess, as ISO 3166-1 alpha-2 codes (default: the manifest's markets).
    #[arg(long = "market")]
    pub markets: Vec<String>,
    /// Output folder (default: out/<case folder name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// First day of the delivery plan (YYYY-MM-DD, default: the assessment date).
    #[arg(long)]
    pub start: Option<String>,
    /// The day verdicts are judged on (YYYY-MM-DD, default: today). Fix it for reproducible runs.
    #[arg(long)]
    pub date: Option<String>,
    /// Extra rule pack files.
    #[arg(long = "pack")]
    pub packs: Vec<PathBuf>,
    /// Re-verify an output folder: digests, signatures, and that the verdicts still follow.
    #[arg(long)]
    pub check: bool,
    /// Also write dossier.pdf, printed by the system's headless Chromium (`chromium` on PATH,
    /// or the browser named by ASSAY_CHROMIUM).
    #[arg(long)]
    pub pdf: bool,
}

pub fn run(ctx: &Ctx, args: AssessArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("assess", &[Format::Text, Format::Json])?;
    if args.check {
        return check::run(ctx, &args.case);
    }
    let today = match &args.date {
        Some(d) => assay_rules::Day::parse(d)
            .with_context(|| format!("--date `{d}` is not a date; write YYYY-MM-DD"))?,
        None => assay_rules::Day::parse(&chrono::Utc::now().format("%Y-%m-%d").to_string())
            .context("the system clock gives no valid date")?,
    };
    let case = case::Case::discover(&args.case)?;
    let manifest = assay_rules::load_manifest(&case.subject)?;
    let ledger = open_or_init(ctx)?;
    let progress = Steps::new(ctx);

    let mut run = inputs::Run::new(&case, &manifest, today, &progress);
    run.read_all(&ledger)?;
    let recorded = run.record(&ledger)?;
    let assessment = run.evaluate(&ledger, &args, recorded)?;

    let out = args.out.clone().unwrap_or_else(|| {
        let name = case
            .dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_os_string()))
            .unwrap_or_else(|| "case".into());
        PathBuf::from("out").join(name)
    });
    progress.step("writing the dossier");
    let written = output::write(&out, &assessment, &run, &ledger)?;
    if args.pdf {
        progress.step("printing dossier.pdf");
        output::print_pdf(&out.join("dossier.html"), &out.join("dossier.pdf"))?;
    }
    progress.finish();

    let blocking = assessment.evaluation.has_blocking();
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "out": out,
            "markets": assessment.markets,
            "gaps": assessment.gaps.len(),
            "blocking": assessment.evaluation.summary.blocking,
            "problems": assessment.inputs.iter().filter(|i| i.problem.is_some()).count(),
            "dossier_entry": written.attestation_index,
        }))?;
    } else if !ctx.quiet {
        println!(
            "{} ({}) judged on {}",
            assessment.subject.name, assessment.subject.id, assessment.date
        );
        for m in &assessment.markets {
            println!(
                "  {:<4} {:<12} {}{}",
                m.market,
                m.status.label(),
                m.why,
                m.earliest_date
                    .as_ref()
                    .map(|d| format!(" [earliest {d}]"))
                    .unwrap_or_default()
            );
        }
        let failed: Vec<_> = assessment
            .inputs
            .iter()
            .filter(|i| i.problem.is_some())
            .collect();
        for f in &failed {
            println!(
                "  could not read {}: {}",
                f.path,
                f.problem.as_deref().unwrap_or("")
            );
        }
        println!(
            "{} gaps, {} blocking; dossier {} (signed, entry #{})",
            assessment.gaps.len(),
            assessment.evaluation.summary.blocking,
            out.join("dossier.html").display(),
            written.attestation_index
        );
    }
    Ok(if blocking {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// The workspace, created on first use so that `assay assess` works on a fresh machine.
fn open_or_init(ctx: &Ctx) -> anyhow::Result<Ledger> {
    if ctx.workspace.join("assay.db").exists() {
        return Ok(Ledger::open(&ctx.workspace)?);
    }
    let ledger = Ledger::init(&ctx.workspace)?;
    if !ctx.quiet {
        eprintln!(
            "created workspace {} with a new signing key (share it: `assay key export default`)",
            ctx.workspace.display()
        );
    }
    Ok(ledger)
}

/// A spinner naming the current step, on a terminal only.
pub struct Steps {
    bar: Option<indicatif::ProgressBar>,
}

impl Steps {
    fn new(ctx: &Ctx) -> Self {
        let bar = ctx.progress.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    pub fn step(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl assay_pad::Reporter for Steps {
    fn start(&self, name: &str, _total: Option<u64>) {
        Steps::step(self, name);
    }
}
