//! `assay pad ...`: ISO/IEC 30107-3 PAD metrics, scheme verdicts, sample planning and the
//! firmware coverage check. The engine is `assay_pad`; this module reads files, draws progress,
//! renders and records.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use assay_pad::{
    BootstrapOptions, Criterion, Manifest, PadOptions, PadReport, Polarity, Scheme, Tie,
};
use clap::{Args, Subcommand, ValueEnum};

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;
use crate::progress::Bar;
use crate::record::record;

#[derive(Debug, Subcommand)]
pub enum PadCommand {
    /// Compute ISO/IEC 30107-3 metrics of a campaign and judge it against schemes.
    ///
    /// CAMPAIGN is a campaign CSV or JSON Lines file, a bob.pad.base score CSV or a
    /// bob.measure `label score` file (detected from the content). Exit 1 when a requested
    /// scheme does not pass (fail or indeterminate). Formats: text, json, html.
    Report(ReportArgs),
    /// List the known schemes (shipped, workspace `schemes/pad/*.toml`, --scheme-file).
    Schemes(SchemesArgs),
    /// How many attack presentations per species are needed to claim a rate bound.
    Plan(PlanArgs),
    /// Check whether a report (JSON) covers a shipping SKU's firmware. Exit 1 when it does not.
    Covers(CoversArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolarityArg {
    /// Higher scores are more bona fide (default).
    HigherIsBonaFide,
    /// Lower scores are more bona fide.
    LowerIsBonaFide,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TieArg {
    /// A score equal to the threshold is classified bona fide (default).
    BonaFide,
    /// A score equal to the threshold is classified as an attack.
    Attack,
}

#[derive(Debug, Args)]
pub struct SchemeSource {
    /// Load a scheme from a TOML file (repeatable).
    #[arg(long = "scheme-file", value_name = "PATH")]
    pub scheme_files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The campaign file.
    pub campaign: PathBuf,
    /// Campaign manifest (TOML): device, firmware digest, lab, dates. Needed for --record.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Scheme to judge (repeatable); default: the manifest's `scoring.schemes`.
    #[arg(long = "scheme", value_name = "NAME")]
    pub schemes: Vec<String>,
    #[command(flatten)]
    pub source: SchemeSource,
    /// Operating point verdicts use on scored campaigns: bpcerN, far[:RATE], eer, min-hter,
    /// fixed:THRESHOLD. Default: the manifest's, else bpcer20.
    #[arg(long, value_name = "CRITERION")]
    pub criterion: Option<String>,
    /// Extra operating point to report (repeatable; bpcer20, bpcer100, far:0.1, eer and
    /// min-hter are always reported).
    #[arg(long = "operating-point", value_name = "CRITERION")]
    pub operating_points: Vec<String>,
    /// Confidence level of intervals and bounds.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Score polarity (default: the manifest's, else higher-is-bona-fide).
    #[arg(long, value_enum)]
    pub polarity: Option<PolarityArg>,
    /// Class of a score exactly at the threshold (default: the manifest's, else bona-fide).
    #[arg(long, value_enum)]
    pub tie: Option<TieArg>,
    /// Bootstrap resamples (0 to skip).
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: u32,
    /// Bootstrap seed (results are reproducible from it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The lab file (TOML, docs/pad.md): test organisation, accreditation, environment,
    /// procedure, deviations, signatory. Makes the report a test report the lab signs.
    #[arg(long, value_name = "FILE")]
    pub lab: Option<PathBuf>,
    /// A sample record (TOML, `test-sample`, docs/retest.md): the units tested (repeatable).
    #[arg(long = "sample", value_name = "FILE")]
    pub samples: Vec<PathBuf>,
    /// The report's issue date in the signature block (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_name = "DATE")]
    pub issued: Option<String>,
    /// Store the campaign and the report in the ledger as signed evidence (one batch); the
    /// report's signature block names the workspace's default key.
    #[arg(long)]
    pub record: bool,
}

#[derive(Debug, Args)]
pub struct SchemesArgs {
    #[command(flatten)]
    pub source: SchemeSource,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The rate bound to claim, e.g. 0.01 for APCER <= 1%.
    #[arg(long)]
    pub target: f64,
    /// Confidence of the claim.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Also plan for up to this many errors.
    #[arg(long, default_value_t = 3)]
    pub max_errors: u64,
}

#[derive(Debug, Args)]
pub struct CoversArgs {
    /// A report written by `assay --format json pad report`.
    pub report: PathBuf,
    /// sha256 of the shipping SKU's firmware image.
    #[arg(long, value_name = "HEX")]
    pub firmware_digest: String,
    /// The units the lab tested (a `test-sample` record, docs/retest.md): the shipped
    /// configuration is then compared on every dimension they record, each difference named.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// The hardware revision that ships (compared with the samples').
    #[arg(long, value_name = "REV", requires = "samples")]
    pub hardware_revision: Option<String>,
    /// sha256 of the build or component list that ships (compared with the samples').
    #[arg(long, value_name = "HEX", requires = "samples")]
    pub components_digest: Option<String>,
}

pub fn run(ctx: &Ctx, command: PadCommand) -> anyhow::Result<Outcome> {
    match command {
        PadCommand::Report(args) => report(ctx, args),
        PadCommand::Schemes(args) => schemes(ctx, args),
        PadCommand::Plan(args) => plan(ctx, args),
        PadCommand::Covers(args) => covers(ctx, args),
    }
}

/// Shipped schemes, then the workspace's `schemes/pad/*.toml`, then `--scheme-file`s; a later
/// scheme with the same id replaces an earlier one.
fn load_schemes(ctx: &Ctx, source: &SchemeSource) -> anyhow::Result<Vec<Scheme>> {
    let mut schemes = Scheme::builtin();
    let mut files: Vec<PathBuf> = Vec::new();
    let dir = ctx.workspace.join("schemes").join("pad");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files.extend(source.scheme_files.iter().cloned());
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read scheme file {}", path.display()))?;
        let scheme = Scheme::parse(&text, &path.display().to_string())?;
        schemes.retain(|s| s.id != scheme.id);
        schemes.push(scheme);
    }
    Ok(schemes)
}

fn report(ctx: &Ctx, args: ReportArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("pad report", &[Format::Text, Format::Json, Format::Html])?;
    let manifest = match &args.manifest {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read manifest {}", path.display()))?;
            Some(Manifest::parse(&text, &path.display().to_string())?)
        }
        None => None,
    };
    if args.record && manifest.is_none() {
        anyhow::bail!(
            "--record needs --manifest: the recorded report must bind the tested firmware digest, the lab and the test date"
        );
    }
    let lab = match &args.lab {
        Some(path) => {
            let text = read_small(path, assay_pad::lab::MAX_LAB_FILE_BYTES, "lab file")?;
            Some(assay_pad::LabInfo::parse(
                &text,
                &path.display().to_string(),
            )?)
        }
        None => None,
    };
    let mut samples = Vec::new();
    // The one sample record the report is about, by digest: the rules then judge the report
    // against that record only (docs/retest.md). Several records: linked by the signer's key.
    let mut sample_digest = None;
    for path in &args.samples {
        let text = read_small(path, assay_core::sample::MAX_RECORD_BYTES, "sample record")?;
        sample_digest = (args.samples.len() == 1)
            .then(|| assay_core::Sha256Digest::of(text.as_bytes()).to_hex());
        let record = assay_core::TestSample::from_toml(&text, &path.display().to_string())?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        samples.extend(assay_pad::testreport::TestedSample::from_record(
            &record, &name,
        ));
    }
    let available = load_schemes(ctx, &args.source)?;
    let names = if args.schemes.is_empty() {
        manifest
            .as_ref()
            .map(|m| m.scoring.schemes.clone())
            .unwrap_or_default()
    } else {
        args.schemes.clone()
    };
    let schemes = assay_pad::scheme::select(&available, &names)?;

    let mut options = PadOptions {
        confidence: args.confidence,
        polarity: args.polarity.map(|p| match p {
            PolarityArg::HigherIsBonaFide => Polarity::HigherIsBonaFide,
            PolarityArg::LowerIsBonaFide => Polarity::LowerIsBonaFide,
        }),
        tie: args.tie.map(|t| match t {
            TieArg::BonaFide => Tie::BonaFideAtThreshold,
            TieArg::Attack => Tie::AttackAtThreshold,
        }),
        bootstrap: (args.bootstrap > 0).then(|| BootstrapOptions {
            resamples: args.bootstrap,
            seed: args.seed.unwrap_or(BootstrapOptions::default().seed),
        }),
        ..PadOptions::default()
    };
    if let Some(c) = &args.criterion {
        options.verdict_criterion = Some(c.parse::<Criterion>()?);
    }
    for c in &args.operating_points {
        let c: Criterion = c.parse()?;
        if !options.criteria.contains(&c) {
            options.criteria.push(c);
        }
    }

    // One bar for the whole command: a counted step while the campaign is read, then a spinner
    // naming each step of the engine.
    let progress = Bar::new(ctx);
    let campaign = assay_pad::read::read_path_with(&args.campaign, &progress)?;
    // With --record the report binds the campaign blob's digest (also the recorded blob's).
    // Without, hashing a multi-gigabyte log would cost more than the metrics themselves.
    let digest = if args.record {
        let digest = assay_pad::read::file_digest(&args.campaign)?;
        options.campaign_digest = Some(digest.clone());
        digest
    } else {
        String::new()
    };
    let mut report =
        assay_pad::pad_report(&campaign, manifest.as_ref(), &schemes, &options, &progress)?;
    drop(campaign);
    report.lab = lab;
    assay_pad::testreport::attach_samples(&mut report, samples);
    if args.record {
        report.signature = Some(signature_block(ctx, args.issued.as_deref())?);
    } else if args.issued.is_some() {
        anyhow::bail!(
            "--issued dates the signature block, which only a recorded report has: add --record"
        );
    }

    if args.record {
        let manifest = manifest.as_ref().context("--record needs --manifest")?;
        record_report(
            ctx,
            &args.campaign,
            manifest,
            &report,
            &digest,
            sample_digest.as_deref(),
        )?;
    }

    match format {
        Format::Json => print_json(&report)?,
        Format::Html => print!("{}", assay_pad::render::html(&report)),
        _ => {
            if ctx.quiet {
                for v in &report.verdicts {
                    println!("{} {}", v.outcome.name(), v.scheme);
                }
            } else {
                print!("{}", assay_pad::render::text(&report));
            }
        }
    }
    Ok(if assay_pad::render::all_passed(&report) {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// Reads a short text file, refusing one over `limit` bytes.
fn read_small(path: &Path, limit: usize, what: &str) -> anyhow::Result<String> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?
        .len();
    if len > limit as u64 {
        anyhow::bail!(
            "{what} {} is {len} bytes, more than the {limit}-byte limit: is this the right file?",
            path.display()
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// The signature block of a recorded report: the workspace's default key, its fingerprint
/// (the ledger's key id) and the issue date.
fn signature_block(
    ctx: &Ctx,
    issued: Option<&str>,
) -> anyhow::Result<assay_pad::testreport::SignatureBlock> {
    let date = match issued {
        Some(text) => assay_core::Day::parse(text).with_context(|| {
            format!(
                "--issued `{}` is not a date YYYY-MM-DD",
                assay_core::text::quote_short(text)
            )
        })?,
        None => assay_core::Day(chrono::Utc::now().date_naive()),
    };
    let ledger = assay_ledger::Ledger::open(&ctx.workspace)
        .with_context(|| format!("cannot open the ledger in {}", ctx.workspace.display()))?;
    let key = ledger
        .keys()?
        .into_iter()
        .find(|k| k.own && k.name == assay_ledger::DEFAULT_KEY)
        .with_context(|| {
            format!(
                "the workspace has no own key `{}` to sign the report with; run `assay init`",
                assay_ledger::DEFAULT_KEY
            )
        })?;
    Ok(assay_pad::testreport::SignatureBlock {
        key_name: key.name,
        key_fingerprint: key.key_id,
        date: date.to_string(),
    })
}

/// Stores the campaign and the report in one signed batch, with the meta keys rule packs judge.
fn record_report(
    ctx: &Ctx,
    campaign_path: &Path,
    manifest: &Manifest,
    report: &PadReport,
    campaign_digest: &str,
    sample_digest: Option<&str>,
) -> anyhow::Result<()> {
    let campaign_bytes = std::fs::read(campaign_path)
        .with_context(|| format!("cannot read {}", campaign_path.display()))?;
    let actual = assay_core::Sha256Digest::of(&campaign_bytes);
    if actual.to_hex() != campaign_digest {
        anyhow::bail!(
            "{} changed while the report was computed; nothing was recorded",
            campaign_path.display()
        );
    }
    let file_name = campaign_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "campaign".into());
    let subject = match &manifest.device.model {
        Some(model) => format!("{} {}", manifest.device.name, model),
        None => manifest.device.name.clone(),
    };
    // The same evidence builder and recording function as `assay assess`.
    let mut items = assay_assess::pad_evidence(
        &subject,
        &file_name,
        campaign_bytes,
        &actual,
        report,
        Some(manifest),
    );
    if let Some(d) = sample_digest {
        items[1]
            .meta
            .insert("test_sample_digest".into(), d.to_string());
    }
    let recorded = record(ctx, &items)?;
    if !ctx.quiet {
        for r in &recorded {
            let how = if r.new {
                "recorded"
            } else {
                "already recorded"
            };
            eprintln!("{how} #{} sha256:{}", r.index, r.blob_digest.to_hex());
        }
        if let [campaign, report] = &recorded[..] {
            eprintln!(
                "hand the report over with its campaign, as one bundle: assay evidence export {} {} --out DIR",
                campaign.index, report.index
            );
        }
    }
    Ok(())
}

fn schemes(ctx: &Ctx, args: SchemesArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("pad schemes", &[Format::Text, Format::Json])?;
    let schemes = load_schemes(ctx, &args.source)?;
    if format == Format::Json {
        print_json(&schemes)?;
        return Ok(Outcome::Ok);
    }
    for s in &schemes {
        println!(
            "{:<18} {}{}",
            s.id,
            s.name,
            s.level.map(|l| format!(" (level {l})")).unwrap_or_default()
        );
        if ctx.quiet {
            continue;
        }
        println!("    {}", s.summary);
        for c in &s.criteria {
            let limit = match c.measure {
                assay_pad::scheme::Measure::SpeciesGroups => c.groups.join(", "),
                _ => format!("{} {}", c.compare.symbol(), c.value),
            };
            println!(
                "    - {:<22} {:?} {} [{}: {}]",
                c.id,
                c.measure,
                limit,
                c.status.name(),
                s.sources
                    .iter()
                    .find(|x| x.id == c.source)
                    .map_or("", |x| x.title.as_str())
            );
        }
        println!(
            "    origin {} sha256:{}",
            s.origin,
            &s.digest[..12.min(s.digest.len())]
        );
    }
    Ok(Outcome::Ok)
}

fn plan(ctx: &Ctx, args: PlanArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("pad plan", &[Format::Text, Format::Json])?;
    let rows = assay_pad::confidence::plan(args.target, args.confidence, args.max_errors)?;
    if format == Format::Json {
        print_json(&serde_json::json!({
            "target": args.target,
            "confidence": args.confidence,
            "method": "one-sided Clopper-Pearson",
            "rows": rows,
        }))?;
        return Ok(Outcome::Ok);
    }
    let pct = assay_pad::confidence::percent(args.target);
    println!(
        "Attack presentations per species needed to claim a rate <= {pct} at {}% confidence (one-sided Clopper-Pearson):",
        (args.confidence * 100.0).round()
    );
    for r in &rows {
        println!(
            "  {:>3} errors allowed: {:>8} presentations",
            r.allowed_errors, r.presentations
        );
    }
    Ok(Outcome::Ok)
}

fn covers(ctx: &Ctx, args: CoversArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format("pad covers", &[Format::Text, Format::Json])?;
    let text = std::fs::read_to_string(&args.report)
        .with_context(|| format!("cannot read report {}", args.report.display()))?;
    let report: PadReport = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a PAD report (write one with `assay --format json pad report`)",
            args.report.display()
        )
    })?;
    let mut coverage = assay_pad::covers(&report, &args.firmware_digest)?;
    // The tested units, on every dimension their record holds (hardware revision, firmware,
    // component list): "tested on hardware rev C; rev D ships".
    let differences = match &args.samples {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read sample record {}", path.display()))?;
            let sample = assay_core::TestSample::from_toml(&text, &path.display().to_string())?;
            let components = match &args.components_digest {
                None => None,
                Some(d) => Some(
                    d.parse::<assay_core::Sha256Digest>()
                        .map_err(|e| anyhow::anyhow!("--components-digest: {e}"))?
                        .to_hex(),
                ),
            };
            let shipped = assay_core::ShippedConfig {
                hardware_revision: args.hardware_revision.clone(),
                firmware_digest: Some(coverage.shipped.clone()),
                components_digest: components,
            };
            let gaps = assay_core::coverage_gaps(&(&sample).into(), &shipped);
            if !gaps.is_empty() {
                coverage.covered = false;
                coverage.explanation = format!(
                    "{}; the tested samples do not cover what ships: {}",
                    coverage.explanation,
                    gaps.join("; ")
                );
            }
            Some(gaps)
        }
    };
    if format == Format::Json {
        let mut v = serde_json::to_value(&coverage)?;
        if let (Some(gaps), Some(obj)) = (differences, v.as_object_mut()) {
            obj.insert("sample_differences".into(), serde_json::json!(gaps));
        }
        print_json(&v)?;
    } else {
        println!(
            "{}: {}",
            if coverage.covered {
                "covered"
            } else {
                "NOT covered"
            },
            coverage.explanation
        );
    }
    Ok(if coverage.covered {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}
