//! One assessment: run the evaluators, record what was read in one batch, evaluate the rule
//! packs, plan the gaps, and assemble the typed [`Assessment`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use assay_core::{EvidenceKind, Reporter, Sha256Digest};
use assay_ledger::{EvidenceInput, Ledger};
use assay_report::{Assessment, EvidenceRow, InputRow, InputStatus, PackRef, SubjectInfo};
use assay_rules::{Day, EvalContext, SubjectManifest};

use crate::AssessError;
use crate::case::{CaseInputs, limits};
use crate::evaluator::{
    AdvisoryImport, DescriptionEvaluator, EvalCtx, Evaluator, EvaluatorOutput, PadEvaluator,
    Section, VulnEvaluator, failed, file_name, read_ok, record,
};
use crate::reuse::PriorResults;

/// What the caller may set; everything else comes from the case (see [`AssessOptions::resolve`]).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Markets to assess (ISO 3166-1 alpha-2); empty: case.toml's, else the manifest's.
    pub markets: Vec<String>,
    /// The day verdicts are judged on; `None`: the caller's today.
    pub date: Option<Day>,
    /// First day of the delivery plan; `None`: case.toml's `start`, else the date.
    pub start: Option<Day>,
    /// Extra rule pack files, after case.toml's.
    pub packs: Vec<PathBuf>,
    /// Compute every result again instead of reusing this workspace's signed results for
    /// unchanged inputs ([`crate::reuse`]).
    pub recompute: bool,
}

/// The settings of one assessment, resolved from the caller's [`Overrides`], the case's
/// `case.toml` and defaults, in that order (the way uv resolves its settings).
#[derive(Debug, Clone)]
pub struct AssessOptions {
    /// The day verdicts are judged on.
    pub date: Day,
    /// Markets to assess; empty means the manifest's markets.
    pub markets: Vec<String>,
    /// First day of the delivery plan.
    pub start: Day,
    /// Extra rule pack files (case.toml's resolved against the case folder, then the caller's).
    pub packs: Vec<PathBuf>,
    /// Promised delivery dates per market (case.toml's `targets`).
    pub targets: BTreeMap<String, Day>,
    /// What was imported into the advisory index before the run ([`crate::import_advisories`]).
    pub advisories: AdvisoryImport,
    /// Compute every result again (see [`Overrides::recompute`]).
    pub recompute: bool,
}

impl AssessOptions {
    /// Resolves the settings: `overrides` first, then `case.toml`, then defaults (`today` for
    /// the date).
    pub fn resolve(
        overrides: &Overrides,
        case: &CaseInputs,
        today: Day,
    ) -> Result<Self, AssessError> {
        let bad = |problem: String| AssessError::InvalidCase {
            path: case.root.join("case.toml"),
            problem,
        };
        let date = overrides.date.unwrap_or(today);
        let markets = if overrides.markets.is_empty() {
            case.file.markets.clone()
        } else {
            overrides.markets.clone()
        };
        let start = match (overrides.start, &case.file.start) {
            (Some(d), _) => d,
            (None, Some(s)) => Day::parse(s)
                .ok_or_else(|| bad(format!("start = `{s}` is not a date; write YYYY-MM-DD")))?,
            (None, None) => date,
        };
        let mut targets = BTreeMap::new();
        for (market, t) in &case.file.targets {
            let day = Day::parse(t).ok_or_else(|| {
                bad(format!(
                    "targets.{market} = `{t}` is not a date; write YYYY-MM-DD"
                ))
            })?;
            targets.insert(market.clone(), day);
        }
        let packs = case
            .file
            .packs
            .iter()
            .map(|p| case.resolve(p))
            .chain(overrides.packs.iter().cloned())
            .collect();
        Ok(Self {
            date,
            markets,
            start,
            packs,
            targets,
            advisories: AdvisoryImport::default(),
            recompute: overrides.recompute,
        })
    }
}

/// The result of [`assess`]: the typed assessment plus what the output package needs to let
/// `check` recompute the verdicts without the case folder.
#[derive(Debug)]
pub struct Assessed {
    pub assessment: Assessment,
    /// The subject manifest as read.
    pub subject_manifest: Vec<u8>,
    /// The evidence records the rules engine judged.
    pub records: Vec<assay_rules::EvidenceRecord>,
    /// The rule packs applied.
    pub packs: Vec<assay_rules::RulePack>,
    /// The description documents read (path relative to the case folder, text).
    pub docs: Vec<(String, String)>,
    /// Ledger entries of the case's evidence (recorded by this run or before), in order.
    pub case_evidence: Vec<u64>,
    /// How many of them this run appended.
    pub newly_recorded: usize,
    /// The bytes of the case's evidence as this run read them, by digest (what the filing
    /// package ships, without reading the store's copy back).
    pub held: BTreeMap<Sha256Digest, Vec<u8>>,
}

/// The evaluators of the main job, in order: PAD, vulnerability scan, description consistency.
pub fn default_evaluators(ledger: &Ledger, advisories: AdvisoryImport) -> Vec<Box<dyn Evaluator>> {
    vec![
        Box::new(PadEvaluator),
        Box::new(VulnEvaluator {
            index: crate::evaluator::index_path(ledger),
            advisories,
            pending: None,
        }),
        Box::new(DescriptionEvaluator),
        Box::new(crate::evaluator::EvalEvaluator::default()),
    ]
}

/// [`import_advisories`](crate::import_advisories) and [`assess`] at the same time: the
/// import (its own step, its own report) runs on a thread of its own while the evaluators that
/// need no advisories (PAD, descriptions) work; the scan waits for the import's result. Same
/// results as importing first, in less time on a cold workspace. Returns what the import did
/// and the assessment.
pub fn import_and_assess(
    case: &CaseInputs,
    options: &AssessOptions,
    ledger: &Ledger,
    reporter: &dyn Reporter,
) -> Result<(AdvisoryImport, Assessed), AssessError> {
    let index = crate::evaluator::index_path(ledger);
    let (send, receive) = std::sync::mpsc::channel();
    let mut evaluators = default_evaluators(ledger, AdvisoryImport::default());
    for evaluator in &mut evaluators {
        if evaluator.name() == "vuln" {
            *evaluator = Box::new(VulnEvaluator::after_import(index.clone(), receive));
            break;
        }
    }
    std::thread::scope(|scope| {
        let importing = scope.spawn(|| {
            let import = crate::evaluator::import_advisories_into(case, &index, reporter);
            // The scan may have nothing to wait for (no SBOM): a closed channel is fine.
            let _ = send.send(import.clone());
            import
        });
        let assessed = assess_with(case, options, ledger, &evaluators, reporter);
        let import = importing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((import, assessed?))
    })
}

/// The main job with the default evaluators. See [`assess_with`].
pub fn assess(
    case: &CaseInputs,
    options: &AssessOptions,
    ledger: &Ledger,
    reporter: &dyn Reporter,
) -> Result<Assessed, AssessError> {
    let evaluators = default_evaluators(ledger, options.advisories.clone());
    assess_with(case, options, ledger, &evaluators, reporter)
}

/// The main job: every evaluator over the case (a file that fails is a named problem, never
/// an abort); everything read recorded as signed evidence in one batch (nothing from a file
/// that failed; nothing twice); the rule packs evaluated against the ledger; the gaps planned.
pub fn assess_with(
    case: &CaseInputs,
    options: &AssessOptions,
    ledger: &Ledger,
    evaluators: &[Box<dyn Evaluator>],
    reporter: &dyn Reporter,
) -> Result<Assessed, AssessError> {
    let subject_manifest = case
        .read(&case.subject, limits::SMALL_TEXT)
        .map_err(|problem| AssessError::InvalidCase {
            path: case.path(&case.subject),
            problem,
        })?;
    let manifest = parse_manifest(case, &subject_manifest)?;
    let prior = if options.recompute {
        PriorResults::none()
    } else {
        PriorResults::load(ledger, &manifest.id)?
    };
    let ctx = EvalCtx {
        manifest: &manifest,
        date: options.date,
        prior: &prior,
    };

    let mut inputs = vec![read_ok(
        case.subject.clone(),
        "subject manifest",
        &Sha256Digest::of(&subject_manifest),
    )];
    let mut items: Vec<EvidenceInput> = Vec::new();
    let mut pad = Vec::new();
    let mut vuln = None;
    let mut consistency = None;
    // The evaluators read different inputs and share nothing but the case: they run at the
    // same time (the PAD metrics and the vulnerability scan take about as long as each other,
    // and the scan is single-threaded), and their outputs are taken in the evaluators' order,
    // so the result does not depend on which finished first.
    let outputs: Vec<EvaluatorOutput> = std::thread::scope(|scope| {
        let running: Vec<_> = evaluators
            .iter()
            .map(|evaluator| {
                let ctx = &ctx;
                scope.spawn(move || evaluator.evaluate(case, ctx, reporter))
            })
            .collect();
        running
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for out in outputs {
        inputs.extend(out.inputs);
        items.extend(out.evidence);
        match out.section {
            Some(Section::Pad(p)) => pad.extend(p),
            Some(Section::Vuln(v)) => vuln = Some(*v),
            Some(Section::Consistency(c)) => consistency = Some(*c),
            None => {}
        }
    }
    let docs = collect_docs(case, &items);
    read_evidence_files(case, &manifest, options.date, &mut inputs, &mut items);
    let imported = import_bundles(case, ledger, &mut inputs);
    for p in &case.unrecognised {
        inputs.push(InputRow {
            path: p.clone(),
            role: "unrecognised".into(),
            digest: None,
            status: InputStatus::Skipped,
            problem: Some(
                "matches no case convention (pad/, sbom/, vex/, docs/, evidence/); not used".into(),
            ),
        });
    }
    for r in &case.refused {
        inputs.push(failed(r.path.clone(), "refused", &r.problem));
    }

    reporter.start("recording evidence", Some(items.len() as u64));
    let recorded = record(ledger, &items)?;
    reporter.finish();
    let newly_recorded = recorded.iter().filter(|r| r.new).count();
    let new: HashSet<u64> = recorded.iter().filter(|r| r.new).map(|r| r.index).collect();
    let mut case_evidence: Vec<u64> = recorded.iter().map(|r| r.index).collect();
    case_evidence.extend(imported);
    // The case's evidence bytes, read and hashed by this run: the entry checks and the filing
    // package use them instead of reading each blob back from the store and hashing it again.
    let held: BTreeMap<Sha256Digest, Vec<u8>> = recorded
        .iter()
        .zip(items)
        .map(|(r, item)| (r.blob_digest, item.bytes))
        .collect();

    reporter.start("evaluating obligations", None);
    // The evidence the rules judge, through the ledger's subject index (see `evidence_for`).
    let summaries = evidence_for(ledger, &manifest)?;
    let records: Vec<assay_rules::EvidenceRecord> = summaries
        .iter()
        .map(|s| {
            serde_json::from_value(serde_json::to_value(s).expect("summaries serialise"))
                .expect("an evidence summary is an evidence record")
        })
        .collect();
    let extra_refs: Vec<&Path> = options.packs.iter().map(|p| p.as_path()).collect();
    let packs = assay_rules::load_packs(true, &extra_refs)?;
    let eval_ctx = EvalContext {
        today: options.date,
        markets: options.markets.clone(),
        consistency: consistency.as_ref(),
    };
    let evaluation = assay_rules::evaluate(&manifest, &packs, &records, &eval_ctx);
    reporter.finish();
    // The PAD report that decides the verdicts is shown first (issue #11 point 12).
    crate::pad_standing::decide(ledger, &evaluation, &summaries, &mut pad);

    let gaps = assay_report::gaps(&evaluation);
    let mut markets = assay_report::market_summaries(&evaluation);
    reporter.start("planning", None);
    let retest = crate::retest::section(&records, &manifest, &evaluation, options.date);
    let slots = crate::retest::booked_slots(retest.as_ref());
    let plan = crate::plan::plan(&manifest, options, &evaluation, &mut markets, &slots)?;
    reporter.finish();

    // Evidence shown: the case's own (whether recorded now or by an earlier run), plus what
    // the verdicts considered.
    let mut shown: BTreeSet<u64> = case_evidence.iter().copied().collect();
    for r in &evaluation.results {
        for o in &r.obligations {
            shown.extend(o.evidence.iter().map(|e| e.ledger_index));
        }
    }
    let shown: Vec<u64> = shown.into_iter().collect();
    let held_digests: HashSet<Sha256Digest> = held.keys().copied().collect();
    let checks: BTreeMap<u64, Vec<assay_ledger::Problem>> = ledger
        .check_entries_holding(&shown, &held_digests)?
        .into_iter()
        .collect();
    let others = case_evidence_about_others(ledger, &summaries, &case_evidence)?;
    let mut listed: Vec<&assay_ledger::EvidenceSummary> = summaries.iter().chain(&others).collect();
    listed.sort_by_key(|s| s.index);
    let evidence = listed
        .into_iter()
        .filter(|s| checks.contains_key(&s.index))
        .map(|s| {
            let problems = &checks[&s.index];
            EvidenceRow {
                index: s.index,
                kind: s.kind,
                file_name: s.file_name.clone(),
                digest: s.blob_digest,
                signer: s
                    .signer_name
                    .clone()
                    .unwrap_or_else(|| format!("unknown key {}", s.signer_key_id)),
                signer_key_id: s.signer_key_id.clone(),
                role: match (s.signer_role, s.signer_is_own) {
                    (Some(r), true) => Some(format!("{r}, this workspace's own key")),
                    (Some(r), false) => Some(r.to_string()),
                    (None, true) => Some("own key".to_string()),
                    (None, false) => None,
                },
                signature: if problems.is_empty() {
                    "verified".into()
                } else {
                    format!("NOT verified: {}", problems[0].detail)
                },
                recorded_at: s.recorded_at.clone(),
                new: new.contains(&s.index),
            }
        })
        .collect();
    let pack_refs = packs
        .iter()
        .map(|p| PackRef {
            id: p.id.clone(),
            title: p.title.clone(),
            digest: p.digest,
            origin: p.origin.clone(),
            sources: p.sources.clone(),
        })
        .collect();
    let m = &manifest;
    let name_of = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    let assessment = Assessment {
        format: "assay-assessment/1".into(),
        generator: format!("assay {}", env!("CARGO_PKG_VERSION")),
        date: options.date,
        subject: SubjectInfo {
            id: m.id.clone(),
            name: m.name.clone(),
            vendor: m.vendor.clone(),
            kind: name_of(serde_json::to_value(m.kind)),
            category: name_of(serde_json::to_value(m.category)),
            functions: m
                .functions
                .iter()
                .map(|f| name_of(serde_json::to_value(f)))
                .collect(),
            artefact_digest: m.firmware_digest.or(m.model_digest),
        },
        markets,
        gaps,
        evaluation,
        pad,
        vuln,
        evidence,
        inputs,
        packs: pack_refs,
        plan,
        retest,
    };
    Ok(Assessed {
        held,
        assessment,
        subject_manifest,
        records,
        packs,
        docs,
        case_evidence,
        newly_recorded,
    })
}

/// The evidence the rules judge for `manifest`, in log order, without dossier attestations
/// (assay's own output about earlier runs, not evidence an obligation rests on: leaving them
/// out keeps a re-run's verdicts identical).
///
/// The rules match evidence three ways (`assay_rules::EvidenceIndex::for_subject`): recorded
/// under the subject's id, under one of its `evidence_subjects`, or carrying its firmware/model
/// digest in the `firmware_digest` meta under any subject. The first two are index lookups
/// (`Ledger::evidence_for_subject`), decoding only those entries. The ledger has no index on
/// meta values, so the third reads the rest of the log, and only when the subject has an
/// artefact digest and the log holds entries about other subjects (a workspace shared by
/// several products); nothing the rules matched before is lost.
fn evidence_for(
    ledger: &Ledger,
    manifest: &SubjectManifest,
) -> Result<Vec<assay_ledger::EvidenceSummary>, AssessError> {
    let mut names: Vec<&str> = std::iter::once(manifest.id.as_str())
        .chain(manifest.evidence_subjects.iter().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut found: BTreeMap<u64, assay_ledger::EvidenceSummary> = BTreeMap::new();
    for name in names {
        for s in ledger.evidence_for_subject(name)? {
            found.insert(s.index, s);
        }
    }
    // Evidence about this product under another subject name: carrying its firmware/model
    // digest, or naming its product model (a lab's report on other firmware, which the rules
    // then show as such instead of losing it).
    let digest = manifest.artefact_digest().map(|d| d.to_hex());
    let by_product = manifest.product_model.is_some() || !manifest.skus.is_empty();
    if (digest.is_some() || by_product) && (found.len() as u64) < ledger.len()? {
        for s in ledger.summaries()? {
            let same_artefact =
                digest.is_some() && s.meta.get("firmware_digest") == digest.as_ref();
            let same_product = s
                .meta
                .get("product_model")
                .is_some_and(|m| manifest.is_product(m));
            if same_artefact || same_product {
                found.entry(s.index).or_insert(s);
            }
        }
    }
    Ok(found
        .into_values()
        .filter(|s| s.kind != EvidenceKind::Dossier)
        .collect())
}

/// The case's own evidence recorded under other subject names (a bundle a lab issued under
/// its own name for the product, say), for the evidence table: the rules did not judge it,
/// but the dossier lists every item the case brought, as it did when the whole log was read.
fn case_evidence_about_others(
    ledger: &Ledger,
    judged: &[assay_ledger::EvidenceSummary],
    case_evidence: &[u64],
) -> Result<Vec<assay_ledger::EvidenceSummary>, AssessError> {
    let known: HashSet<u64> = judged.iter().map(|s| s.index).collect();
    let mut subjects = BTreeSet::new();
    for &i in case_evidence {
        if !known.contains(&i) {
            subjects.insert(ledger.entry(i)?.subject);
        }
    }
    let wanted: HashSet<u64> = case_evidence.iter().copied().collect();
    let mut out = Vec::new();
    for subject in subjects {
        out.extend(
            ledger
                .evidence_for_subject(&subject)?
                .into_iter()
                .filter(|s| wanted.contains(&s.index) && !known.contains(&s.index)),
        );
    }
    out.sort_by_key(|s| s.index);
    Ok(out)
}

fn parse_manifest(case: &CaseInputs, bytes: &[u8]) -> Result<SubjectManifest, AssessError> {
    // The manifest loader reads a path; hand it the bytes already read (and checked) instead.
    let text = std::str::from_utf8(bytes).map_err(|_| AssessError::InvalidCase {
        path: case.path(&case.subject),
        problem: "not UTF-8 text; save it as UTF-8".into(),
    })?;
    Ok(SubjectManifest::from_toml(text, &case.subject)?)
}

/// The description documents read by the evaluators (their evidence items), for `check`.
fn collect_docs(case: &CaseInputs, items: &[EvidenceInput]) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for rel in &case.docs {
        let name = file_name(rel);
        if let Some(item) = items.iter().find(|i| {
            i.file_name == name
                && matches!(
                    i.kind,
                    EvidenceKind::TechnicalFile | EvidenceKind::ProductDescription
                )
                && i.meta.contains_key("role")
        }) && let Ok(text) = String::from_utf8(item.bytes.clone())
        {
            docs.push((rel.clone(), text));
        }
    }
    docs
}

fn read_evidence_files(
    case: &CaseInputs,
    manifest: &SubjectManifest,
    today: Day,
    inputs: &mut Vec<InputRow>,
    items: &mut Vec<EvidenceInput>,
) {
    let names: BTreeSet<&str> = case
        .evidence_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    for f in &case.evidence_files {
        let rel = f.path.clone();
        // `<file>.meta.toml` describes `<file>` (crate::sidecar): read with it, never recorded.
        if let Some(described) = rel.strip_suffix(crate::sidecar::SUFFIX)
            && names.contains(described)
        {
            continue;
        }
        if rel.ends_with(crate::sidecar::SUFFIX) {
            inputs.push(failed(
                rel,
                "evidence metadata",
                "a metadata sidecar without the file it describes (name it `<file>.meta.toml` beside `<file>`)",
            ));
            continue;
        }
        let kind: EvidenceKind = match f.kind.parse() {
            Ok(k) => k,
            Err(e) => {
                inputs.push(failed(
                    rel,
                    "evidence",
                    format!("folder evidence/{}: {e}", f.kind),
                ));
                continue;
            }
        };
        let sidecar = format!("{rel}{}", crate::sidecar::SUFFIX);
        let meta = if names.contains(sidecar.as_str()) {
            let read = case
                .read(&sidecar, limits::SMALL_TEXT)
                .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()))
                .map_err(|e| format!("{sidecar}: {e}"))
                .and_then(|text| crate::sidecar::read(kind, &sidecar, &text));
            match read {
                Ok(meta) => meta,
                Err(e) => {
                    // Neither the file nor its sidecar is recorded: facts that do not parse
                    // are not signed.
                    inputs.push(failed(sidecar, "evidence metadata", &e));
                    inputs.push(failed(
                        rel,
                        kind.as_str(),
                        "not recorded: its metadata sidecar has a problem (see the row above)",
                    ));
                    continue;
                }
            }
        } else {
            BTreeMap::new()
        };
        match case.read(&rel, limits::DOCUMENT_LARGE) {
            Ok(bytes) => {
                let mut meta = meta;
                if kind == EvidenceKind::EvalReport
                    && let Some(d) = eval_report_model_digest(&bytes)
                {
                    meta.insert("firmware_digest".to_string(), d);
                }
                // Retest records state their own facts (crate::retest); a bad one is named
                // and not recorded.
                match crate::retest::record_meta(kind, &rel, &bytes, today) {
                    None => {}
                    Some(Ok(facts)) => meta.extend(facts),
                    Some(Err(e)) => {
                        inputs.push(failed(rel, kind.as_str(), e));
                        continue;
                    }
                }
                inputs.push(read_ok(
                    rel.clone(),
                    kind.as_str(),
                    &Sha256Digest::of(&bytes),
                ));
                items.push(EvidenceInput {
                    kind,
                    subject: manifest.id.clone(),
                    file_name: file_name(&rel),
                    bytes,
                    meta,
                });
            }
            Err(e) => inputs.push(failed(rel, kind.as_str(), e)),
        }
    }
}

/// The model an eval report is about, when it says so itself: a JSON object with a top-level
/// `model_digest` (SHA-256, 64 hex digits), as `assay eval` summaries and the examples write.
/// Anything else (another format, a bad digest, a file over 4 MiB) carries no digest, and a
/// requirement about "this exact model" then says so.
fn eval_report_model_digest(bytes: &[u8]) -> Option<String> {
    if bytes.len() > limits::SMALL_TEXT as usize {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let d = v.get("model_digest")?.as_str()?.trim();
    (d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())).then(|| d.to_ascii_lowercase())
}

fn import_bundles(case: &CaseInputs, ledger: &Ledger, inputs: &mut Vec<InputRow>) -> Vec<u64> {
    let mut imported = Vec::new();
    for rel in &case.bundles {
        match import_bundle(case, ledger, rel) {
            Ok((appended, issuer)) => {
                let mut row = read_ok(rel.clone(), "evidence bundle", &appended.blob_digest);
                row.role = format!("evidence bundle from `{issuer}`");
                inputs.push(row);
                imported.push(appended.index);
            }
            Err(e) => inputs.push(failed(rel.clone(), "evidence bundle", e)),
        }
    }
    imported
}

/// Imports one bundle: from the case folder, or (an upload) from a scratch folder of ours
/// holding the upload's files of the bundle, since the ledger's importer reads a folder.
fn import_bundle(
    case: &CaseInputs,
    ledger: &Ledger,
    rel: &str,
) -> Result<(assay_ledger::Appended, String), String> {
    let Some(files) = case.upload_files_under(rel) else {
        return ledger
            .import_bundle(&case.path(rel))
            .map_err(|e| e.to_string());
    };
    let scratch = crate::package::Scratch::new(&ledger.dir().join("tmp"), "bundle")
        .map_err(|e| e.to_string())?;
    for (name, bytes) in files {
        // Names were validated by `from_files`: plain relative paths.
        let path = scratch.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot unpack the bundle: {e}"))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("cannot unpack the bundle: {e}"))?;
    }
    ledger.import_bundle(&scratch.0).map_err(|e| e.to_string())
}
