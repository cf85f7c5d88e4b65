//! `assay vuln ...`: the offline advisory index, SBOM scans, VEX decisions.
//!
//! The index lives in the workspace (`<workspace>/vuln/index.sqlite`); everything here is
//! offline. Exit codes: 0 ok; 1 `--fail-on` threshold reached; 2 usage or input error.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use assay_vuln::finding::{VexDecision, VexStatus};
use assay_vuln::import::ImportLimits;
use assay_vuln::index::{ImportOptions, Index};
use assay_vuln::output::openvex::OpenVexOptions;
use assay_vuln::policy::DeadlinePolicy;
use assay_vuln::scan::{ScanOptions, scan};
use assay_vuln::{Component, ScanResult, SeverityLevel};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;
use crate::progress::Bar;
use crate::record::record;

#[derive(Debug, Subcommand)]
pub enum VulnCommand {
    /// The offline advisory index: import advisory sources, show what is in it.
    #[command(subcommand)]
    Db(DbCommand),
    /// Scan SBOMs or lockfiles against the advisory index.
    ///
    /// Formats: text (table), json, sarif (SARIF 2.1.0), cyclonedx-vex.
    /// A deadline policy (--policy) is a TOML file:
    ///   start = "published"   # or "scan": what the days count from
    ///   [[tier]]
    ///   name = "critical"
    ///   min_severity = "critical"   # optional
    ///   known_exploited = false     # optional
    ///   days = 15
    /// Findings in the CISA KEV catalog always take the catalog's dueDate.
    Scan(ScanArgs),
    /// Write OpenVEX for the VEX decisions on a scan's findings (from --vex files and --set).
    Vex(VexArgs),
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import advisories: OSV JSON/YAML files, directory trees or zip archives, RustSec
    /// database folders, CSAF 2.0 documents, the CISA KEV catalog. Re-importing unchanged
    /// files is nearly free (size, modification time and SHA-256 are remembered).
    ///
    /// Every source is read within limits (a larger or deeper input is refused, exit 2, and
    /// nothing is written). A source that now yields fewer than half the records the index
    /// holds from it (a truncated download, a file that no longer parses) is refused too,
    /// keeping the previous records, unless --allow-shrink.
    Import {
        /// Files or directories to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print every import warning (by default: a count and the first few).
        #[arg(long)]
        all_warnings: bool,
        #[command(flatten)]
        limits: LimitArgs,
        /// Accept sources that now yield fewer than half the records they did.
        #[arg(long)]
        allow_shrink: bool,
    },
    /// Counts of files, advisories, packages and KEV entries in the index.
    Stats,
}

/// Limits on what `vuln db import` reads.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest file, or zip entry once uncompressed, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = assay_vuln::import::DEFAULT_MAX_ENTRY_BYTES)]
    pub max_entry_bytes: u64,
    /// Most bytes one zip archive may expand to (all entries), and its largest file size.
    #[arg(long, value_name = "BYTES", default_value_t = assay_vuln::import::DEFAULT_MAX_TOTAL_BYTES)]
    pub max_total_bytes: u64,
    /// Most entries in one zip archive or files under one imported directory.
    #[arg(long, value_name = "N", default_value_t = assay_vuln::import::DEFAULT_MAX_ENTRIES)]
    pub max_entries: u64,
    /// Deepest nesting of one JSON, YAML or TOML document (JSON stops at 128 whatever this says).
    #[arg(long, value_name = "LEVELS", default_value_t = assay_vuln::import::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
}

impl LimitArgs {
    fn limits(&self) -> ImportLimits {
        ImportLimits {
            max_entry_bytes: self.max_entry_bytes,
            max_total_bytes: self.max_total_bytes,
            max_entries: self.max_entries,
            max_depth: self.max_depth,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// SBOMs or lockfiles: CycloneDX, SPDX 2.x/3.0, Cargo.lock, package-lock.json,
    /// requirements.txt, poetry.lock, go.mod, go.sum.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
    /// VEX documents (OpenVEX, CSAF VEX, CycloneDX VEX) to apply; repeatable.
    #[arg(long = "vex", value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Deadline policy (TOML); default: critical 15, high 30, medium 90, low 180 days from
    /// publication.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exit 1 when an open finding has at least this severity
    /// (none|unknown|low|medium|high|critical). A finding of unknown severity (no CVSS score or
    /// rating in any loaded advisory) fails any threshold when it is in the CISA KEV catalog;
    /// otherwise it fails only `none` and `unknown`, and is listed as unjudged on stderr.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityLevel>,
    /// Store the SBOMs and the scan result as signed evidence in the workspace ledger.
    #[arg(long)]
    pub record: bool,
    /// Subject (product, model) the recorded evidence is about; default: the first target's
    /// file name.
    #[arg(long)]
    pub subject: Option<String>,
    /// Scan date (YYYY-MM-DD) that due dates are judged against; default: today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub struct VexArgs {
    /// SBOMs or lockfiles to scan.
    #[arg(required = true)]
    pub targets: Vec<PathBuf>,
    /// VEX documents whose decisions to carry over; repeatable.
    #[arg(long = "vex", value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// A decision: `ID=STATUS[:JUSTIFICATION]`, e.g.
    /// `CVE-2021-44228=not_affected:vulnerable_code_not_in_execute_path`; repeatable.
    /// STATUS: not_affected, affected, fixed, under_investigation.
    #[arg(long = "set", value_name = "ID=STATUS[:JUSTIFICATION]")]
    pub set: Vec<String>,
    /// Author named in the OpenVEX document.
    #[arg(long)]
    pub author: Option<String>,
    /// Write the document here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Scan date (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
}

pub fn run(ctx: &Ctx, command: VulnCommand) -> anyhow::Result<Outcome> {
    match command {
        VulnCommand::Db(DbCommand::Import {
            paths,
            all_warnings,
            limits,
            allow_shrink,
        }) => {
            let options = ImportOptions {
                limits: limits.limits(),
                allow_shrink,
            };
            import(ctx, &paths, &options, all_warnings)
        }
        VulnCommand::Db(DbCommand::Stats) => stats(ctx),
        VulnCommand::Scan(args) => scan_command(ctx, args),
        VulnCommand::Vex(args) => vex_command(ctx, args),
    }
}

fn index_path(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    if !ctx.workspace.is_dir() {
        bail!(
            "workspace {} does not exist; create it with `assay init --workspace {}`",
            ctx.workspace.display(),
            ctx.workspace.display()
        );
    }
    Ok(ctx.workspace.join("vuln").join("index.sqlite"))
}

fn open_index(ctx: &Ctx, must_exist: bool) -> anyhow::Result<Index> {
    let path = index_path(ctx)?;
    if must_exist && !path.exists() {
        bail!(
            "no advisory index in {}; import advisories first with `assay vuln db import PATH...`",
            ctx.workspace.display()
        );
    }
    Ok(Index::open(&path)?)
}

fn import(
    ctx: &Ctx,
    paths: &[PathBuf],
    options: &ImportOptions,
    all_warnings: bool,
) -> anyhow::Result<Outcome> {
    ctx.require_format("vuln db import", &[Format::Text, Format::Json])?;
    let mut index = open_index(ctx, false)?;
    let started = std::time::Instant::now();
    let bar = Bar::new(ctx);
    let report = index.import_with(paths, options, &bar)?;
    for shrink in &report.shrunk {
        eprintln!("warning: accepted with --allow-shrink: {shrink}");
    }
    let elapsed = started.elapsed();
    if ctx.format == Format::Json {
        print_json(&report)?;
        return Ok(Outcome::Ok);
    }
    if !ctx.quiet {
        println!(
            "{} files: {} parsed, {} unchanged, {} same content, {} removed; {} advisories, {} KEV entries imported in {:.2} s",
            report.files_seen,
            report.files_parsed,
            report.files_unchanged,
            report.files_same_digest,
            report.files_removed,
            report.advisories_imported,
            report.kev_entries_imported,
            elapsed.as_secs_f64()
        );
    }
    let shown = if all_warnings || ctx.verbose > 0 {
        report.warnings.len()
    } else {
        10
    };
    for warning in report.warnings.iter().take(shown) {
        eprintln!("warning: {warning}");
    }
    if report.warnings.len() > shown {
        eprintln!(
            "warning: {} more warnings (use --all-warnings to see them all)",
            report.warnings.len() - shown
        );
    }
    Ok(Outcome::Ok)
}

fn stats(ctx: &Ctx) -> anyhow::Result<Outcome> {
    ctx.require_format("vuln db stats", &[Format::Text, Format::Json])?;
    let index = open_index(ctx, true)?;
    let stats = index.stats()?;
    if ctx.format == Format::Json {
        print_json(&stats)?;
        return Ok(Outcome::Ok);
    }
    println!("index       {}", stats.path);
    println!(
        "size        {:.1} MiB",
        stats.size_bytes as f64 / (1024.0 * 1024.0)
    );
    println!("files       {}", stats.files);
    for (format, n) in &stats.files_by_format {
        println!("  {format:<10} {n}");
    }
    println!(
        "advisories  {} ({} withdrawn, {} informational)",
        stats.advisories, stats.withdrawn, stats.informational
    );
    for (ecosystem, n) in &stats.packages_by_ecosystem {
        println!("  {ecosystem:<10} {n}");
    }
    println!("KEV entries {}", stats.kev_entries);
    println!("warnings    {}", stats.warnings);
    Ok(Outcome::Ok)
}

/// Components of every target, with each target's bytes and format for `--record`.
struct Target {
    path: PathBuf,
    bytes: Vec<u8>,
    format: &'static str,
    components: usize,
}

fn read_targets(
    ctx: &Ctx,
    targets: &[PathBuf],
) -> anyhow::Result<(Vec<Component>, Vec<Target>, Vec<String>)> {
    let mut components = Vec::new();
    let mut read = Vec::new();
    let mut warnings = Vec::new();
    for path in targets {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let sbom = assay_vuln::sbom::read_bytes(path, &bytes)?;
        warnings.extend(sbom.warnings.iter().map(ToString::to_string));
        read.push(Target {
            path: path.clone(),
            bytes,
            format: sbom.format.meta_name(),
            components: sbom.components.len(),
        });
        components.extend(sbom.components);
    }
    if ctx.verbose > 0 {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok((components, read, warnings))
}

fn run_scan(
    ctx: &Ctx,
    targets: &[PathBuf],
    vex: &[PathBuf],
    policy: Option<&Path>,
    date: Option<NaiveDate>,
) -> anyhow::Result<(ScanResult, Vec<Target>)> {
    let index = open_index(ctx, true)?;
    let (components, read, sbom_warnings) = read_targets(ctx, targets)?;
    let policy = match policy {
        Some(path) => DeadlinePolicy::load(path)?,
        None => DeadlinePolicy::default(),
    };
    let scan_date = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let options = ScanOptions { scan_date, policy };
    let bar = Bar::new(ctx);
    let mut result = scan(&index, &components, &options, &bar)?;
    result.warnings.extend(sbom_warnings);
    let mut statements = Vec::new();
    for path in vex {
        let document = assay_vuln::vex::read_vex(path)?;
        result
            .warnings
            .extend(document.warnings.iter().map(ToString::to_string));
        statements.extend(document.statements);
    }
    if !statements.is_empty() {
        assay_vuln::vex::apply_vex(&mut result.findings, &statements);
    }
    result.recompute_summary();
    Ok((result, read))
}

fn scan_command(ctx: &Ctx, args: ScanArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(
        "vuln scan",
        &[
            Format::Text,
            Format::Json,
            Format::Sarif,
            Format::CyclonedxVex,
        ],
    )?;
    let (result, targets) = run_scan(
        ctx,
        &args.targets,
        &args.vex,
        args.policy.as_deref(),
        args.date,
    )?;
    match format {
        Format::Json => write_json(&result)?,
        Format::Sarif => print_json(&assay_vuln::output::sarif::to_sarif(&result))?,
        Format::CyclonedxVex => print_json(&assay_vuln::output::cyclonedx_vex::to_cyclonedx_vex(
            &result,
        ))?,
        _ => print_text(ctx, &result),
    }
    if args.record {
        record_scan(ctx, &args, &result, &targets)?;
    }
    let failed = args.fail_on.is_some_and(|threshold| {
        let unjudged = result
            .findings
            .iter()
            .filter(|f| {
                f.is_open() && !f.severity.level.is_known() && !f.fails_threshold(threshold)
            })
            .count();
        if unjudged > 0 {
            eprintln!(
                "--fail-on {threshold}: {unjudged} open finding(s) have unknown severity (no CVSS score or rating in any loaded advisory, none known exploited) and were not judged; use --fail-on unknown to fail on them"
            );
        }
        result.findings.iter().any(|f| f.fails_threshold(threshold))
    });
    Ok(if failed { Outcome::Failed } else { Outcome::Ok })
}

/// Streams JSON to stdout: a 10,000-component scan can be tens of MB, not worth a String.
fn write_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn print_text(ctx: &Ctx, result: &ScanResult) {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let s = &result.summary;
    if !ctx.quiet && !result.findings.is_empty() {
        // Ids, names, versions and summaries come from SBOMs and advisories: quoted
        // (bounded, control characters escaped) before they reach the terminal.
        let q = assay_core::text::quote_short;
        let header = [
            "SEVERITY",
            "ID",
            "COMPONENT",
            "FIX",
            "KEV DUE",
            "DUE",
            "VEX",
        ];
        let rows: Vec<[String; 7]> = result
            .findings
            .iter()
            .map(|f| {
                let vex = f
                    .vex
                    .as_ref()
                    .map(|v| {
                        let mut text = v.status.as_str().replace('_', " ");
                        if let Some(j) = &v.justification {
                            text.push_str(&format!(" ({})", q(&j.replace('_', " "))));
                        }
                        text
                    })
                    .unwrap_or_else(|| "-".into());
                let due = match (&f.due_date, f.overdue) {
                    (Some(d), true) => format!("{d} OVERDUE"),
                    (Some(d), false) => d.clone(),
                    (None, _) => "-".into(),
                };
                let fixed = if f.fixed_versions.is_empty() {
                    "no fix listed".to_string()
                } else {
                    q(&f.fixed_versions.join(", "))
                };
                let kev = match &f.kev_entry {
                    Some(entry) => format!("KEV {}", q(&entry.due_date)),
                    None if f.kev => "KEV".into(),
                    None => "-".into(),
                };
                [
                    f.severity.describe(),
                    q(&f.advisory_id),
                    format!("{}@{}", q(&f.component.name), q(&f.component.version)),
                    fixed,
                    kev,
                    due,
                    vex,
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count()).min(48);
            }
        }
        let line = |cells: &[&str]| {
            let mut text = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    text.push_str(cell);
                } else {
                    text.push_str(&format!("{cell:<w$}  "));
                }
            }
            text.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&header));
        for (row, f) in rows.iter().zip(&result.findings) {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{}", line(&cells));
            if ctx.verbose > 0 {
                let _ = writeln!(
                    out,
                    "    severity: {}",
                    assay_core::quote(&f.severity.source.describe(), 200)
                );
                if !f.summary.is_empty() {
                    let _ = writeln!(out, "    {}", assay_core::quote(&f.summary, 400));
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{} components, {} findings open ({} excluded by VEX), max severity {}, {} of unknown severity; KEV open {} (overdue {}{}); {} overdue",
        s.components,
        s.findings,
        s.excluded_by_vex,
        s.max_severity,
        s.unknown_severity,
        s.kev_open,
        s.kev_overdue,
        s.kev_earliest_due
            .as_deref()
            .map(|d| format!(", earliest due {d}"))
            .unwrap_or_default(),
        s.overdue
    );
    if !result.warnings.is_empty() && !ctx.quiet {
        drop(out);
        eprintln!(
            "{} warnings (use --format json to see them)",
            result.warnings.len()
        );
    }
}

fn record_scan(
    ctx: &Ctx,
    args: &ScanArgs,
    result: &ScanResult,
    targets: &[Target],
) -> anyhow::Result<()> {
    let subject = args.subject.clone().unwrap_or_else(|| {
        targets
            .first()
            .and_then(|t| t.path.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sbom".into())
    });
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sbom".into())
    };
    // The same evidence builders and recording function as `assay assess`.
    let sboms: Vec<assay_assess::ScannedSbom<'_>> = targets
        .iter()
        .map(|t| assay_assess::ScannedSbom {
            file_name: file_name(&t.path),
            bytes: &t.bytes,
            format: t.format.to_string(),
            components: t.components,
        })
        .collect();
    // One target: its digest; several: their digests joined by commas, in argument order.
    let digests: Vec<String> = targets
        .iter()
        .map(|t| assay_core::Sha256Digest::of(&t.bytes).to_hex())
        .collect();
    let mut items = assay_assess::sbom_evidence(&subject, &sboms);
    items.push(assay_assess::scan_evidence(&subject, &digests, result));
    let recorded = record(ctx, &items)?;
    if !ctx.quiet {
        for r in &recorded {
            let how = if r.new {
                "recorded"
            } else {
                "already recorded"
            };
            eprintln!("{how} evidence #{} ({})", r.index, r.blob_digest.short());
        }
    }
    Ok(())
}

/// Parses `ID=STATUS[:JUSTIFICATION]`.
fn parse_decision(text: &str) -> anyhow::Result<(String, VexStatus, Option<String>)> {
    let shown = assay_core::text::quote_short(text);
    let Some((id, rest)) = text.split_once('=') else {
        bail!("--set `{shown}`: expected ID=STATUS[:JUSTIFICATION]");
    };
    let (status, justification) = match rest.split_once(':') {
        Some((s, j)) => (s, Some(j.to_string())),
        None => (rest, None),
    };
    let status = match status {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        other => bail!(
            "--set `{shown}`: unknown status `{}`; use not_affected, affected, fixed or under_investigation",
            assay_core::text::quote_short(other)
        ),
    };
    if status == VexStatus::NotAffected && justification.is_none() {
        bail!(
            "--set `{shown}`: not_affected needs a justification, e.g. {}=not_affected:vulnerable_code_not_in_execute_path",
            assay_core::text::quote_short(id)
        );
    }
    Ok((id.to_string(), status, justification))
}

fn vex_command(ctx: &Ctx, args: VexArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("vuln vex", &[Format::Text, Format::Json])?;
    let decisions: Vec<_> = args
        .set
        .iter()
        .map(|s| parse_decision(s))
        .collect::<anyhow::Result<_>>()?;
    let (mut result, _) = run_scan(ctx, &args.targets, &args.vex, None, args.date)?;
    let mut unused: Vec<&str> = decisions.iter().map(|d| d.0.as_str()).collect();
    for finding in &mut result.findings {
        for (id, status, justification) in &decisions {
            if finding.ids().any(|fid| fid.eq_ignore_ascii_case(id)) {
                finding.vex = Some(VexDecision {
                    status: *status,
                    justification: justification.clone(),
                    impact_statement: None,
                    action_statement: None,
                    source: "assay vuln vex --set".into(),
                });
                unused.retain(|u| !u.eq_ignore_ascii_case(id));
            }
        }
    }
    for id in unused {
        eprintln!(
            "warning: --set {}: no finding of this scan has that id",
            assay_core::text::quote_short(id)
        );
    }
    result.recompute_summary();
    let options = OpenVexOptions {
        author: args.author.clone(),
        ..OpenVexOptions::default()
    };
    let document = assay_vuln::output::openvex::to_openvex(&result, &options);
    let text = serde_json::to_string_pretty(&document)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !ctx.quiet {
                eprintln!("wrote {}", path.display());
            }
        }
        None => println!("{text}"),
    }
    Ok(Outcome::Ok)
}
