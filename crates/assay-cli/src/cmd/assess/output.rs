//! The output folder and the delivery plan.
//!
//! ```text
//! OUT/assessment.json           the machine-readable result
//! OUT/dossier.html              the self-contained dossier
//! OUT/plan.json, OUT/plan.svg   the delivery plan
//! OUT/attestation/              the signed dossier attestation, as a bundle (verify-bundle)
//! OUT/inputs/                   what the verdicts were computed from, for `assess --check`
//! OUT/filing/                   the CAC filing package (report, evidence, signatures, keys,
//!                               MANIFEST.sha256)
//! ```
//! The folder is written under a temporary name and renamed into place, so a reader never sees
//! half an output; an existing folder is replaced only after the new one is complete.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use assay_core::{EvidenceKind, Sha256Digest};
use assay_ledger::{EvidenceInput, Ledger};
use assay_report::{Assessment, MarketSummary, PlanSection};
use chrono::NaiveDate;

use super::inputs::Run;

pub struct Written {
    pub attestation_index: u64,
}

fn day(d: &assay_rules::Day) -> anyhow::Result<assay_core::Day> {
    Ok(*d)
}

/// Plans the gaps of an evaluation; sets each market's earliest date.
pub fn plan(
    run: &Run<'_>,
    evaluation: &assay_rules::Evaluation,
    args: &super::AssessArgs,
    markets: &mut [MarketSummary],
) -> anyhow::Result<Option<PlanSection>> {
    let start_text = args.start.clone().or_else(|| run.case.file.start.clone());
    let start = match start_text {
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(assay_core::Day)
            .with_context(|| format!("start date `{s}` is not YYYY-MM-DD"))?,
        None => day(&run.today)?,
    };
    let mut builder = assay_plan::PlanBuilder::new(start);
    for m in markets.iter() {
        // The promised date: case.toml's target, else the manifest's planned export.
        let target = match run.case.file.targets.get(&m.market) {
            Some(t) => Some(
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(assay_core::Day)
                    .with_context(|| {
                        format!("case.toml: targets.{} = `{t}` is not YYYY-MM-DD", m.market)
                    })?,
            ),
            None => run
                .manifest
                .markets
                .iter()
                .find(|mm| mm.country == m.market)
                .and_then(|mm| mm.planned_export)
                .and_then(|d| day(&d).ok()),
        };
        builder.market(&m.market, target);
    }
    let mut any = false;
    for r in &evaluation.results {
        for o in &r.obligations {
            if !o.is_open() {
                continue;
            }
            any = true;
            // "Before export" is checked per market against its target by the plan itself; a
            // dated deadline (release minus 30 days, a KEV due date) is a fixed end constraint.
            let must_end = o.deadline.as_ref().and_then(|d| match d.kind {
                assay_rules::DeadlineKind::BeforeExport => Some(assay_plan::EndConstraint {
                    days_before: 0,
                    before: assay_plan::Before::Export,
                    source: Some(format!("{} / {}", r.pack_id, o.id)),
                }),
                _ => d
                    .due
                    .and_then(|due| day(&due).ok())
                    .map(|due| assay_plan::EndConstraint {
                        days_before: 0,
                        before: assay_plan::Before::Date(due),
                        source: Some(format!("{} / {}", r.pack_id, o.id)),
                    }),
            });
            let options = assay_plan::ObligationOptions {
                must_end,
                ..Default::default()
            };
            if !builder.obligation(&r.market, &r.pack_id, &o.id, &options)? {
                let days = o.lead_time.as_ref().map(|l| l.max_days).unwrap_or(30);
                builder.gap(
                    &r.market,
                    assay_plan::single_step_gap(
                        &r.market,
                        &r.pack_id,
                        &o.id,
                        &o.title,
                        assay_plan::Duration::estimate(
                            days,
                            "lead time from the rule pack, or 30 days when it gives none",
                        ),
                    ),
                );
            }
        }
    }
    if !any {
        return Ok(None);
    }
    let input = builder.build();
    let plan = assay_plan::plan(&input).context("the delivery plan could not be made")?;
    for m in markets.iter_mut() {
        if let Some(p) = plan.markets.iter().find(|p| p.market == m.market) {
            m.earliest_date = Some(p.earliest.to_string());
            m.delivery = Some(p.explanation.clone());
        }
    }
    Ok(Some(PlanSection {
        plan: serde_json::to_value(&plan)?,
        svg: assay_plan::render_svg(&plan),
    }))
}

/// Writes the output folder and records the dossier attestation.
pub fn write(
    out: &Path,
    a: &Assessment,
    run: &Run<'_>,
    ledger: &Ledger,
) -> anyhow::Result<Written> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp)?;
    let written = write_into(&tmp, a, run, ledger);
    if written.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    let written = written?;
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("cannot replace {}", out.display()))?;
    }
    fs::rename(&tmp, out)
        .with_context(|| format!("cannot move the output into {}", out.display()))?;
    Ok(written)
}

fn put(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn write_into(
    dir: &Path,
    a: &Assessment,
    run: &Run<'_>,
    ledger: &Ledger,
) -> anyhow::Result<Written> {
    let assessment_json = serde_json::to_vec_pretty(a)?;
    put(&dir.join("assessment.json"), &assessment_json)?;
    let dossier = assay_report::dossier_html(a);
    put(&dir.join("dossier.html"), dossier.as_bytes())?;
    if let Some(p) = &a.plan {
        put(&dir.join("plan.json"), &serde_json::to_vec_pretty(&p.plan)?)?;
        put(&dir.join("plan.svg"), p.svg.as_bytes())?;
    }

    // What `--check` needs to recompute the verdicts without the case folder.
    let inputs = dir.join("inputs");
    put(&inputs.join("subject.toml"), &fs::read(&run.case.subject)?)?;
    put(
        &inputs.join("evidence-records.json"),
        &serde_json::to_vec_pretty(&run.records)?,
    )?;
    let mut extra_packs = Vec::new();
    for p in &run.packs {
        if !p.origin.starts_with("shipped:") {
            let file = format!("{}.toml", p.id);
            put(&inputs.join("packs").join(&file), &fs::read(&p.origin)?)?;
            extra_packs.push(file);
        }
    }
    let context = serde_json::json!({
        "date": a.date,
        "markets": a.markets.iter().map(|m| m.market.clone()).collect::<Vec<_>>(),
        "extra_packs": extra_packs,
        "consistency": a.evaluation.consistency.is_some(),
    });
    put(
        &inputs.join("context.json"),
        &serde_json::to_vec_pretty(&context)?,
    )?;
    for doc in &run.case.docs {
        if let Ok(text) = fs::read(doc) {
            put(&inputs.join("docs").join(run.case.rel(doc)), &text)?;
        }
    }

    write_filing(&dir.join("filing"), a, ledger)?;

    // The dossier attestation: an in-toto statement about dossier.html naming every input
    // and pack digest, signed and logged.
    let input_digests: BTreeSet<String> =
        a.inputs.iter().filter_map(|i| i.digest.clone()).collect();
    let meta = BTreeMap::from([
        (
            "assessment_digest".to_string(),
            Sha256Digest::of(&assessment_json).to_hex(),
        ),
        (
            "inputs".to_string(),
            input_digests.into_iter().collect::<Vec<_>>().join(","),
        ),
        (
            "packs".to_string(),
            a.packs
                .iter()
                .map(|p| format!("{}@{}", p.id, p.digest))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "evidence".to_string(),
            a.evidence
                .iter()
                .map(|e| e.digest.clone())
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("date".to_string(), a.date.clone()),
        (
            "blocking".to_string(),
            a.evaluation.summary.blocking.to_string(),
        ),
    ]);
    let appended = ledger.add(
        &[EvidenceInput {
            kind: EvidenceKind::Dossier,
            subject: a.subject.id.clone(),
            file_name: "dossier.html".into(),
            bytes: dossier.into_bytes(),
            meta,
        }],
        assay_ledger::DEFAULT_KEY,
    )?;
    let index = appended[0].index;
    ledger.export(index, &dir.join("attestation"))?;
    put(
        &dir.join("attestation").join("signer.pub"),
        format!("{}\n", ledger.export_key(assay_ledger::DEFAULT_KEY)?).as_bytes(),
    )?;
    Ok(Written {
        attestation_index: index,
    })
}

/// The filing package: the security assessment report, every evidence file with its signed
/// statement, the signers' public keys, and a manifest of digests.
fn write_filing(dir: &Path, a: &Assessment, ledger: &Ledger) -> anyhow::Result<()> {
    put(
        &dir.join("security-assessment-report.html"),
        assay_report::filing_report_html(a).as_bytes(),
    )?;
    let mut signers = BTreeSet::new();
    for e in &a.evidence {
        let entry = ledger.entry(e.index)?;
        let blob = ledger.blob(&entry.blob_digest)?;
        let name = format!("{:06}-{}", e.index, sanitize(&e.file_name));
        put(&dir.join("evidence").join(&name), &blob)?;
        put(
            &dir.join("signatures").join(format!("{name}.dsse.json")),
            &entry.envelope_bytes,
        )?;
        if let Some(n) = entry.signer_name {
            signers.insert(n);
        }
    }
    for s in signers {
        put(
            &dir.join("keys").join(format!("{s}.pub")),
            format!("{}\n", ledger.export_key(&s)?).as_bytes(),
        )?;
    }
    put(
        &dir.join("README.txt"),
        b"Security assessment filing package generated by assay.\n\
security-assessment-report.html  the report\n\
evidence/                        the evidence files, named <ledger index>-<file name>\n\
signatures/                      each file's signed in-toto statement (DSSE envelope, Ed25519)\n\
keys/                            the signers' public keys (signed-note verifier keys)\n\
MANIFEST.sha256                  SHA-256 of every file above (sha256sum -c MANIFEST.sha256)\n",
    )?;
    let mut lines = Vec::new();
    for path in walk(dir)? {
        let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
        if rel == "MANIFEST.sha256" {
            continue;
        }
        lines.push(format!(
            "{}  {rel}",
            Sha256Digest::of(&fs::read(&path)?).to_hex()
        ));
    }
    lines.sort_by(|x, y| x[66..].cmp(&y[66..]));
    put(
        &dir.join("MANIFEST.sha256"),
        (lines.join("\n") + "\n").as_bytes(),
    )
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Prints the dossier to PDF with headless Chromium. The PDF is a rendering of the attested
/// HTML (the attestation covers dossier.html); Chromium is the PDF engine, so assay carries no
/// PDF library.
pub fn print_pdf(html: &Path, pdf: &Path) -> anyhow::Result<()> {
    let browser = std::env::var("ASSAY_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let profile = tempfile_dir()?;
    let html = html.canonicalize()?;
    let pdf_abs = std::env::current_dir()?.join(pdf);
    let output = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf_abs.display()))
        .arg(format!("file://{}", html.display()))
        .output();
    let _ = fs::remove_dir_all(&profile);
    let output = output.with_context(|| {
        format!("--pdf needs a headless Chromium: `{browser}` could not be started (install Debian's `chromium`, or set ASSAY_CHROMIUM)")
    })?;
    if !output.status.success() || !pdf_abs.is_file() {
        anyhow::bail!(
            "{browser} could not print {}: {}",
            html.display(),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("assay-chromium-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}
