//! `assay assess CASE`: the main job. One case folder in; verdicts, a signed dossier, a filing
//! package and a delivery plan out.
//!
//! The work is `assay-assess`'s; this command parses the arguments, imports the advisories the
//! case names (reported on its own), calls the library, writes the package to the output
//! folder, prints the dossier to PDF on request (`pdf.rs`) and prints the result. `--check`
//! reads an output folder back and re-verifies it.

mod pdf;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use assay_assess::{AssessOptions, CaseInputs, Overrides, Package};
use assay_ledger::Ledger;
use clap::Args;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;
use crate::progress::Bar;

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
    /// Compute the PAD metrics and the vulnerability scan again even when this workspace
    /// signed a result for exactly the same inputs before (by default such a result is
    /// verified and reused).
    #[arg(long)]
    pub recompute: bool,
}

fn parse_day(text: &str, flag: &str) -> anyhow::Result<assay_rules::Day> {
    assay_rules::Day::parse(text)
        .with_context(|| format!("{flag} `{text}` is not a date; write YYYY-MM-DD"))
}

pub fn run(ctx: &Ctx, args: AssessArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("assess", &[Format::Text, Format::Json])?;
    if args.check {
        return check(ctx, &args.case);
    }
    let today = assay_rules::Day::parse(&chrono::Utc::now().format("%Y-%m-%d").to_string())
        .context("the system clock gives no valid date")?;
    let overrides = Overrides {
        markets: args.markets.clone(),
        date: args
            .date
            .as_deref()
            .map(|d| parse_day(d, "--date"))
            .transpose()?,
        start: args
            .start
            .as_deref()
            .map(|d| parse_day(d, "--start"))
            .transpose()?,
        packs: args.packs.clone(),
        recompute: args.recompute,
    };
    let case = CaseInputs::discover(&args.case)?;
    let options = AssessOptions::resolve(&overrides, &case, today)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = case
            .root
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "case".into());
        PathBuf::from("out").join(name)
    });
    // Refused before anything is recorded: the workspace, the case, the current folder, `/`,
    // the home folder and any non-empty folder assay did not write.
    let target = assay_fs::OutputTarget::check(
        &out,
        OUTPUT_FORMAT,
        &[ctx.workspace.as_path(), case.root.as_path()],
    )?;
    let ledger = open_or_init(ctx)?;
    let progress = Bar::new(ctx);

    // Advisory import: its own step, reported on its own, run beside the evaluators that need
    // no advisories (the scan waits for it).
    assay_core::Reporter::start(&progress, "assessing", None);
    let (import, assessed) = assay_assess::import_and_assess(&case, &options, &ledger, &progress)?;
    assay_core::Reporter::finish(&progress);
    if !import.sources.is_empty() && !ctx.quiet && ctx.format == Format::Text {
        eprintln!(
            "advisories: {} imported from {}",
            import.advisories,
            import.sources.join(", ")
        );
    }
    assay_core::Reporter::start(&progress, "building the package", None);
    let package = assay_assess::build_package(&assessed, &ledger)?;
    assay_core::Reporter::finish(&progress);
    let assessment = &assessed.assessment;

    assay_core::Reporter::start(
        &progress,
        if args.pdf {
            "writing the dossier and dossier.pdf"
        } else {
            "writing the dossier"
        },
        None,
    );
    write_folder(&target, &package, args.pdf)?;
    assay_core::Reporter::finish(&progress);

    let blocking = assessment.evaluation.has_blocking();
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "out": out,
            "markets": assessment.markets,
            "gaps": assessment.gaps.len(),
            "blocking": assessment.evaluation.summary.blocking,
            "problems": assessment.inputs.iter().filter(|i| i.problem.is_some()).count(),
            "dossier_entry": package.attestation_index,
            "recorded_new": assessed.newly_recorded,
        }))?;
    } else if !ctx.quiet {
        println!(
            "{} ({}) judged on {}",
            assessment.subject.name, assessment.subject.id, assessment.date
        );
        for m in &assessment.markets {
            println!(
                "  {:<4} {}{}{}",
                m.market,
                m.headline(),
                m.basis
                    .map(|b| format!(" [rests on: {b}]"))
                    .unwrap_or_default(),
                m.earliest_date
                    .as_ref()
                    .map(|d| format!(" [earliest {d}]"))
                    .unwrap_or_default()
            );
            for b in &m.blockers {
                println!("         blocker ({}): {}: {}", b.basis, b.title, b.reason);
            }
            for r in m.risks.iter().filter(|r| !r.basis.is_sourced()) {
                println!(
                    "         not blocking ({}): {}: {}",
                    r.basis, r.title, r.reason
                );
            }
            if !m.possibly.is_empty() {
                println!(
                    "         {} possibly applicable (unverified scope, never blocking): see the dossier",
                    m.possibly.len()
                );
            }
        }
        let failed: Vec<_> = assessment
            .inputs
            .iter()
            .filter(|i| i.problem.is_some())
            .collect();
        for f in &failed {
            println!(
                "  could not read {}: {}",
                assay_core::quote(&f.path, 200),
                f.problem.as_deref().unwrap_or("")
            );
        }
        println!(
            "{} gaps, {} blocking; dossier {} (signed, entry #{})",
            assessment.gaps.len(),
            assessment.evaluation.summary.blocking,
            out.join("dossier.html").display(),
            package.attestation_index
        );
    }
    Ok(if blocking {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// The format named in the output folder's `.assay-output` marker: only a folder carrying it
/// is ever replaced by `assess`.
const OUTPUT_FORMAT: &str = "assay-assess/v1";

/// Writes the package (and the PDF, when asked) into a staging folder next to `out`, then
/// swaps it in (`assay-fs`): a kill leaves the old output or the new one, never half, and a
/// folder assay did not write is never replaced.
fn write_folder(
    target: &assay_fs::OutputTarget,
    package: &Package,
    pdf: bool,
) -> anyhow::Result<()> {
    let staging = target.stage()?;
    for (rel, bytes) in &package.files {
        staging.write(Path::new(rel), bytes)?;
    }
    if pdf {
        pdf::print_pdf(
            &staging.path().join("dossier.html"),
            &staging.path().join("dossier.pdf"),
        )?;
    }
    let digest = package
        .get("assessment.json")
        .map(|b| assay_core::Sha256Digest::of(b).to_hex())
        .unwrap_or_default();
    staging.commit(&digest)?;
    Ok(())
}

/// `--check OUT`: reads the output folder back and re-verifies it.
fn check(ctx: &Ctx, out: &Path) -> anyhow::Result<Outcome> {
    // A run killed between the two renames of its swap leaves the previous complete output
    // aside; checking the target puts it back (assay-fs), so `--check` sees the old or the new
    // output. A refusal here (the folder is not assay's) is reported by the read below.
    let _ = assay_fs::OutputTarget::check(out, OUTPUT_FORMAT, &[]);
    let package = Package::read_dir(out)?;
    let report = assay_assess::check(&package)?;
    let ok = report.is_valid();
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({"valid": ok, "checks": report.checks}))?;
    } else {
        for c in &report.checks {
            if !c.ok || !ctx.quiet {
                println!(
                    "{} {:<34} {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.what,
                    c.detail
                );
            }
        }
        println!(
            "{}: {}",
            if ok { "VALID" } else { "INVALID" },
            out.display()
        );
    }
    Ok(if ok { Outcome::Ok } else { Outcome::Failed })
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
