//! The evaluator seam: every engine that turns case inputs into evidence has the same shape.
//!
//! An [`Evaluator`] reads its inputs from the case (only through [`CaseInputs::read`]), and
//! returns an [`EvaluatorOutput`]: the evidence items to record, a dossier section, and one
//! [`InputRow`] per input it looked at (read, or failed with a named problem). It never
//! records: recording happens in one place, [`record`], for `assess` and for the evaluator
//! commands' `--record` alike. A new evaluator (the model-evaluation harness, say) is one more
//! implementation handed to [`crate::assess_with`]; the others do not change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assay_core::{EvidenceInput, EvidenceKind, Reporter, Sha256Digest};
use assay_ledger::Ledger;
use assay_report::{InputRow, InputStatus, PadSection, VulnSection};
use assay_rules::{Day, SubjectManifest};

use crate::case::{CaseInputs, doc_role, limits};
use crate::reuse::{INPUTS_META, PriorResults, inputs_digest};

/// What every evaluator gets besides the case.
pub struct EvalCtx<'a> {
    /// The subject manifest; evidence is recorded about `manifest.id`.
    pub manifest: &'a SubjectManifest,
    /// The day verdicts are judged on (scan dates, deadlines).
    pub date: Day,
    /// Results this workspace signed earlier, reusable when their inputs are unchanged
    /// ([`crate::reuse`]); [`PriorResults::none`] computes everything.
    pub prior: &'a PriorResults,
}

/// A dossier section, typed per evaluator.
#[derive(Debug, Clone)]
pub enum Section {
    /// PAD reports, one per campaign.
    Pad(Vec<PadSection>),
    /// The vulnerability scan of the SBOMs.
    Vuln(Box<VulnSection>),
    /// Description consistency across the product documents.
    Consistency(Box<assay_rules::consistency::ConsistencyReport>),
}

/// What one evaluator produced.
#[derive(Debug, Default)]
pub struct EvaluatorOutput {
    /// Evidence to record (in this order), from inputs that were read.
    pub evidence: Vec<EvidenceInput>,
    /// The dossier section, if the evaluator had anything to evaluate.
    pub section: Option<Section>,
    /// Every input looked at: read (with its digest) or failed (with the problem).
    pub inputs: Vec<InputRow>,
}

/// One engine of the main job.
pub trait Evaluator: Send + Sync {
    /// A short name ("pad", "vuln", "descriptions").
    fn name(&self) -> &str;
    /// Reads the evaluator's inputs from the case and evaluates them. A file that fails is a
    /// named problem in `inputs`, never an error.
    fn evaluate(
        &self,
        inputs: &CaseInputs,
        ctx: &EvalCtx<'_>,
        reporter: &dyn Reporter,
    ) -> EvaluatorOutput;
}

pub(crate) fn failed(
    path: impl Into<String>,
    role: &str,
    problem: impl std::fmt::Display,
) -> InputRow {
    InputRow {
        path: path.into(),
        role: role.to_string(),
        digest: None,
        status: InputStatus::Failed,
        problem: Some(problem.to_string()),
    }
}

pub(crate) fn read_ok(path: impl Into<String>, role: &str, digest: &Sha256Digest) -> InputRow {
    InputRow {
        path: path.into(),
        role: role.to_string(),
        digest: Some(*digest),
        status: InputStatus::Read,
        problem: None,
    }
}

pub(crate) fn file_name(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A case file read and parsed: its bytes, their digest, and what the parser made of them.
pub(crate) struct Parsed<T> {
    pub bytes: Vec<u8>,
    pub digest: Sha256Digest,
    pub value: T,
}

/// Reads `rel` from the case (at most `limit` bytes) and parses it; the error is the problem,
/// in words for the dossier (the read's or the parser's).
pub(crate) fn read_parsed<T, E: std::fmt::Display>(
    case: &CaseInputs,
    rel: &str,
    limit: u64,
    parse: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Result<Parsed<T>, String> {
    let bytes = case.read(rel, limit)?;
    let value = parse(&bytes).map_err(|e| e.to_string())?;
    Ok(Parsed {
        digest: Sha256Digest::of(&bytes),
        bytes,
        value,
    })
}

/// [`read_parsed`], with the input's row: `read` with its digest, or `failed` with the
/// problem. The one read-parse-report step of the SBOM, VEX and description inputs.
pub(crate) fn read_role<T, E: std::fmt::Display>(
    case: &CaseInputs,
    rel: &str,
    role: &str,
    limit: u64,
    inputs: &mut Vec<InputRow>,
    parse: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Option<Parsed<T>> {
    match read_parsed(case, rel, limit, parse) {
        Ok(p) => {
            inputs.push(read_ok(rel, role, &p.digest));
            Some(p)
        }
        Err(e) => {
            inputs.push(failed(rel, role, e));
            None
        }
    }
}

fn utf8(bytes: &[u8]) -> Result<String, &'static str> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8 text; save it as UTF-8")
}

/// One recorded item: its ledger index, and whether this call appended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub index: u64,
    pub blob_digest: Sha256Digest,
    /// False when the same kind, subject and bytes were already in the ledger.
    pub new: bool,
}

/// The one way evidence is recorded, by `assess` and by `pad report --record` / `vuln scan
/// --record`: items already in the ledger (same kind, subject, digest and meta) are not recorded
/// twice; the rest are signed with the default key and appended in one batch, so a failure
/// leaves nothing half-written. Returns one [`Recorded`] per item, in order.
pub fn record(
    ledger: &Ledger,
    items: &[EvidenceInput],
) -> Result<Vec<Recorded>, assay_ledger::LedgerError> {
    let mut out: Vec<Option<Recorded>> = Vec::with_capacity(items.len());
    let mut to_add = Vec::new();
    // Hashing is the costly part of a re-run (a campaign of tens of MB): on every core.
    let digests: Vec<Sha256Digest> = {
        use rayon::prelude::*;
        items
            .par_iter()
            .map(|i| Sha256Digest::of(&i.bytes))
            .collect()
    };
    for (item, digest) in items.iter().zip(digests) {
        let mut found = None;
        // An index lookup by digest rather than decoding the whole log.
        for index in ledger.entries_for_blob(&digest)? {
            let entry = ledger.entry(index)?;
            // Same facts too: a corrected sidecar (crate::sidecar) records a new entry,
            // which then decides (latest word wins).
            if entry.kind == item.kind.as_str()
                && entry.subject == item.subject
                && entry.statement.predicate.meta == item.meta
            {
                found = Some(index);
                break;
            }
        }
        match found {
            Some(index) => out.push(Some(Recorded {
                index,
                blob_digest: digest,
                new: false,
            })),
            None => {
                out.push(None);
                to_add.push(item.clone());
            }
        }
    }
    let mut appended = if to_add.is_empty() {
        Vec::new()
    } else {
        ledger.add(&to_add, assay_ledger::DEFAULT_KEY)?
    }
    .into_iter();
    Ok(out
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                let a = appended.next().expect("one appended entry per new item");
                Recorded {
                    index: a.index,
                    blob_digest: a.blob_digest,
                    new: true,
                }
            })
        })
        .collect())
}

/// The two evidence items of a PAD run: the campaign and its report, with the meta keys rule
/// packs judge. Used by the PAD evaluator and by `assay pad report --record`.
///
/// `campaign_digest` is the digest of `campaign_bytes`, which both callers computed when they
/// read the campaign (a campaign is the largest input: hashing it again costs a pass over it).
pub fn pad_evidence(
    subject: &str,
    campaign_file_name: &str,
    campaign_bytes: Vec<u8>,
    campaign_digest: &Sha256Digest,
    report: &assay_pad::PadReport,
    manifest: Option<&assay_pad::Manifest>,
) -> [EvidenceInput; 2] {
    debug_assert_eq!(*campaign_digest, Sha256Digest::of(&campaign_bytes));
    let digest = campaign_digest.to_hex();
    let stem = campaign_file_name
        .rsplit_once('.')
        .map_or(campaign_file_name, |(s, _)| s);
    [
        EvidenceInput {
            kind: EvidenceKind::PadCampaign,
            subject: subject.to_string(),
            file_name: campaign_file_name.to_string(),
            bytes: campaign_bytes,
            meta: assay_pad::campaign_meta(manifest),
        },
        EvidenceInput {
            kind: EvidenceKind::PadReport,
            subject: subject.to_string(),
            file_name: format!("{stem}.pad-report.json"),
            bytes: serde_json::to_vec_pretty(report).expect("reports serialise"),
            meta: assay_pad::report_meta(report, manifest, &digest),
        },
    ]
}

/// One SBOM of a scan, as recorded.
pub struct ScannedSbom<'a> {
    pub file_name: String,
    pub bytes: &'a [u8],
    /// The format's meta name (`cyclonedx-json`, `cargo-lock`, ...).
    pub format: String,
    pub components: usize,
}

/// The SBOM evidence items of a scan (one per SBOM, in order).
pub fn sbom_evidence(subject: &str, sboms: &[ScannedSbom<'_>]) -> Vec<EvidenceInput> {
    sboms
        .iter()
        .map(|s| EvidenceInput {
            kind: EvidenceKind::Sbom,
            subject: subject.to_string(),
            file_name: s.file_name.clone(),
            bytes: s.bytes.to_vec(),
            meta: BTreeMap::from([
                ("format".to_string(), s.format.clone()),
                ("components".to_string(), s.components.to_string()),
            ]),
        })
        .collect()
}

/// The scan result as evidence, bound to the SBOM digests (comma-joined, in SBOM order).
pub fn scan_evidence(
    subject: &str,
    sbom_digests: &[String],
    result: &assay_vuln::finding::ScanResult,
) -> EvidenceInput {
    let mut meta = assay_vuln::evidence_meta(result);
    meta.insert("sbom_digest".into(), sbom_digests.join(","));
    EvidenceInput {
        kind: EvidenceKind::VulnScan,
        subject: subject.to_string(),
        file_name: "vuln-scan.json".into(),
        bytes: serde_json::to_vec_pretty(result).expect("scan results serialise"),
        meta,
    }
}

/// PAD: each campaign (with its manifest) judged against the case's schemes.
#[derive(Debug, Default)]
pub struct PadEvaluator;

impl Evaluator for PadEvaluator {
    fn name(&self) -> &str {
        "pad"
    }

    fn evaluate(
        &self,
        case: &CaseInputs,
        ctx: &EvalCtx<'_>,
        reporter: &dyn Reporter,
    ) -> EvaluatorOutput {
        let mut out = EvaluatorOutput::default();
        if case.pad.is_empty() {
            return out;
        }
        reporter.start("PAD metrics", None);
        let available = assay_pad::Scheme::builtin();
        let schemes = if case.file.schemes.is_empty() {
            available
        } else {
            match assay_pad::scheme::select(&available, &case.file.schemes) {
                Ok(s) => s,
                Err(e) => {
                    out.inputs.push(failed("case.toml", "PAD schemes", e));
                    reporter.finish();
                    return out;
                }
            }
        };
        let mut sections = Vec::new();
        for input in &case.pad {
            let rel = input.campaign.clone();
            let manifest = match &input.manifest {
                None => None,
                Some(path) => {
                    let parsed = read_parsed(case, path, limits::SMALL_TEXT, |b| {
                        assay_pad::Manifest::parse(&utf8(b)?, path).map_err(|e| e.to_string())
                    });
                    match parsed {
                        Ok(p) => Some((p.value, p.digest)),
                        Err(e) => {
                            out.inputs.push(failed(path, "PAD campaign manifest", &e));
                            out.inputs.push(failed(
                                rel,
                                "PAD campaign",
                                "skipped: its manifest could not be read",
                            ));
                            continue;
                        }
                    }
                }
            };
            let bytes = match case.read(&rel, limits::CAMPAIGN) {
                Ok(b) => b,
                Err(e) => {
                    out.inputs.push(failed(rel, "PAD campaign", e));
                    continue;
                }
            };
            let digest = Sha256Digest::of(&bytes);
            let options = assay_pad::PadOptions {
                campaign_digest: Some(digest.to_hex()),
                ..Default::default()
            };
            let (manifest, manifest_digest) = match manifest {
                Some((m, d)) => (Some(m), Some(d)),
                None => (None, None),
            };
            // Everything the report is computed from (see crate::reuse).
            let inputs_digest = inputs_digest(&[
                b"pad-report",
                env!("CARGO_PKG_VERSION").as_bytes(),
                digest.to_hex().as_bytes(),
                file_name(&rel).as_bytes(),
                manifest_digest
                    .map(|d| d.to_hex())
                    .unwrap_or_default()
                    .as_bytes(),
                format!("{schemes:?}").as_bytes(),
                format!("{options:?}").as_bytes(),
            ]);
            let reused = ctx
                .prior
                .get::<assay_pad::PadReport>(EvidenceKind::PadReport, &inputs_digest);
            let report = match reused {
                Some(r) => {
                    reporter.note("PAD report reused: same campaign, manifest and schemes as the one this workspace signed before");
                    r
                }
                None => {
                    let computed = assay_pad::read::read_bytes(&bytes, &rel)
                        .map_err(|e| e.to_string())
                        .and_then(|campaign| {
                            assay_pad::pad_report(
                                &campaign,
                                manifest.as_ref(),
                                &schemes,
                                &options,
                                reporter,
                            )
                            .map_err(|e| e.to_string())
                        });
                    match computed {
                        Ok(r) => r,
                        Err(e) => {
                            out.inputs.push(failed(rel, "PAD campaign", e));
                            continue;
                        }
                    }
                }
            };
            out.inputs
                .push(read_ok(rel.clone(), "PAD campaign", &digest));
            if let (Some(path), Some(d)) = (&input.manifest, &manifest_digest) {
                out.inputs
                    .push(read_ok(path.clone(), "PAD campaign manifest", d));
            }
            let mut items = pad_evidence(
                &ctx.manifest.id,
                &file_name(&rel),
                bytes,
                &digest,
                &report,
                manifest.as_ref(),
            );
            items[1].meta.insert(INPUTS_META.into(), inputs_digest);
            out.evidence.extend(items);
            sections.push(PadSection {
                file: rel,
                digest,
                report,
                standing: Default::default(),
                ledger_index: None,
                issuer: None,
            });
        }
        reporter.finish();
        out.section = Some(Section::Pad(sections));
        out
    }
}

/// Advisory sources imported into the workspace's index before a scan ([`import_advisories`]).
#[derive(Debug, Clone, Default)]
pub struct AdvisoryImport {
    /// Sources imported (as written in case.toml).
    pub sources: Vec<String>,
    /// Sources that could not be imported, as named problems.
    pub problems: Vec<InputRow>,
    /// Advisories read from the sources (new or updated).
    pub advisories: usize,
}

/// An advisory source as a report names it: its last two path components (`advisories/go`,
/// `kev/known_exploited_vulnerabilities.json`), never the folders of the machine it was read on.
pub fn source_name(written: &str) -> String {
    let parts: Vec<&str> = written
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != "." && *c != "..")
        .collect();
    parts[parts.len().saturating_sub(2)..].join("/")
}

/// The workspace's advisory index.
pub fn index_path(ledger: &Ledger) -> PathBuf {
    ledger.dir().join("vuln").join("index.sqlite")
}

/// Imports the advisory sources a case names into the workspace's index: its own step, run
/// before [`crate::assess`] and reported separately. Nothing to do when the case has no SBOM.
pub fn import_advisories(
    case: &CaseInputs,
    ledger: &Ledger,
    reporter: &dyn Reporter,
) -> AdvisoryImport {
    import_advisories_into(case, &index_path(ledger), reporter)
}

/// [`import_advisories`] into the index at `index_path` (what a thread without the ledger
/// handle can call: see [`crate::import_and_assess`]).
pub fn import_advisories_into(
    case: &CaseInputs,
    index_path: &Path,
    reporter: &dyn Reporter,
) -> AdvisoryImport {
    let mut out = AdvisoryImport::default();
    if case.sboms.is_empty() || case.file.advisories.is_empty() {
        return out;
    }
    reporter.start("importing advisories", None);
    let mut index = match assay_vuln::index::Index::open(index_path) {
        Ok(i) => i,
        Err(e) => {
            out.problems
                .push(failed("workspace advisory index", "advisory index", e));
            return out;
        }
    };
    for src in &case.file.advisories {
        let path = case.resolve(src);
        let shown = src.display().to_string();
        if !path.exists() {
            out.problems
                .push(failed(source_name(&shown), "advisory source", "not found"));
            continue;
        }
        match index.import(std::slice::from_ref(&path), reporter) {
            Ok(r) => {
                out.advisories += r.advisories_imported + r.kev_entries_imported;
                out.sources.push(shown);
            }
            Err(e) => out
                .problems
                .push(failed(source_name(&shown), "advisory source", e)),
        }
    }
    reporter.finish();
    out
}

/// Vulnerability scan: the SBOMs against the workspace's advisory index, with VEX applied.
pub struct VulnEvaluator {
    /// The advisory index to scan against.
    pub index: PathBuf,
    /// What was imported before the run (named in the dossier).
    pub advisories: AdvisoryImport,
    /// An import still running beside the evaluators: the scan waits for its result, which
    /// then stands in for `advisories` ([`VulnEvaluator::after_import`]).
    pub pending: Option<std::sync::Mutex<std::sync::mpsc::Receiver<AdvisoryImport>>>,
}

impl VulnEvaluator {
    /// A scan of the index at `index` once the import that sends its result on `import` is
    /// done (the other evaluators need no advisories and run meanwhile).
    pub fn after_import(index: PathBuf, import: std::sync::mpsc::Receiver<AdvisoryImport>) -> Self {
        Self {
            index,
            advisories: AdvisoryImport::default(),
            pending: Some(std::sync::Mutex::new(import)),
        }
    }
}

impl Evaluator for VulnEvaluator {
    fn name(&self) -> &str {
        "vuln"
    }

    fn evaluate(
        &self,
        case: &CaseInputs,
        ctx: &EvalCtx<'_>,
        reporter: &dyn Reporter,
    ) -> EvaluatorOutput {
        let mut out = EvaluatorOutput::default();
        let waited;
        let advisories = match &self.pending {
            None => &self.advisories,
            Some(import) => {
                let received = import.lock().ok().and_then(|rx| rx.recv().ok());
                waited = received.unwrap_or_else(|| AdvisoryImport {
                    problems: vec![failed(
                        "advisory import",
                        "advisory index",
                        "the import stopped before it finished; run assess again",
                    )],
                    ..AdvisoryImport::default()
                });
                &waited
            }
        };
        if case.sboms.is_empty() {
            return out;
        }
        out.inputs.extend(advisories.problems.iter().cloned());
        let index = match assay_vuln::index::Index::open(&self.index) {
            Ok(i) => i,
            Err(e) => {
                out.inputs
                    .push(failed("workspace advisory index", "advisory index", e));
                return out;
            }
        };
        // Named without the machine's folders: the dossier and the filing report go to buyers
        // and authorities (the command line prints the paths as written).
        let mut sources: Vec<String> = advisories.sources.iter().map(|s| source_name(s)).collect();
        if sources.is_empty() {
            sources.push("the workspace's advisory index".to_string());
        }
        reporter.start("reading SBOMs", None);
        let mut components = Vec::new();
        let mut files = Vec::new();
        let mut warnings = Vec::new();
        let mut sboms = Vec::new();
        for rel in &case.sboms {
            // The path relative to the case folder: what the scan shows must not depend on
            // the folder assess was started from.
            let Some(p) = read_role(
                case,
                rel,
                "SBOM",
                limits::DOCUMENT_LARGE,
                &mut out.inputs,
                |b| assay_vuln::sbom::read_bytes(Path::new(rel), b),
            ) else {
                continue;
            };
            let read = p.value;
            warnings.extend(read.warnings.iter().map(ToString::to_string));
            files.push((rel.clone(), p.digest));
            sboms.push((
                file_name(rel),
                p.bytes,
                read.format.meta_name().to_string(),
                read.components.len(),
            ));
            components.extend(read.components);
        }
        reporter.finish();
        if files.is_empty() {
            return out;
        }
        let mut statements = Vec::new();
        let mut vex_items = Vec::new();
        for rel in &case.vex {
            let Some(p) = read_role(
                case,
                rel,
                "VEX",
                limits::DOCUMENT_LARGE,
                &mut out.inputs,
                |b| assay_vuln::vex::read_vex_bytes(Path::new(rel), b),
            ) else {
                continue;
            };
            warnings.extend(p.value.warnings.iter().map(ToString::to_string));
            statements.extend(p.value.statements);
            vex_items.push(EvidenceInput {
                kind: EvidenceKind::Vex,
                subject: ctx.manifest.id.clone(),
                file_name: file_name(rel),
                bytes: p.bytes,
                meta: BTreeMap::new(),
            });
        }
        let policy = match &case.file.policy {
            None => assay_vuln::policy::DeadlinePolicy::default(),
            Some(p) => match load_policy(case, p) {
                Ok(p) => p,
                Err(e) => {
                    out.inputs
                        .push(failed(p.display().to_string(), "deadline policy", e));
                    assay_vuln::policy::DeadlinePolicy::default()
                }
            },
        };
        reporter.start("scanning components", None);
        let scan_date = match chrono::NaiveDate::parse_from_str(&ctx.date.to_string(), "%Y-%m-%d") {
            Ok(d) => d,
            Err(e) => {
                out.inputs.push(failed("--date", "scan date", e));
                reporter.finish();
                return out;
            }
        };
        let options = assay_vuln::scan::ScanOptions { scan_date, policy };
        let digests: Vec<String> = files.iter().map(|(_, d)| d.to_hex()).collect();
        // Everything the scan result is computed from (see crate::reuse): the index's content,
        // the SBOMs and VEX documents, the policy and the day. No index digest, no reuse.
        let inputs_digest = index.content_digest().ok().map(|index_digest| {
            let vex: Vec<String> = vex_items
                .iter()
                .map(|v| format!("{}:{}", v.file_name, Sha256Digest::of(&v.bytes).to_hex()))
                .collect();
            let sbom_names: Vec<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
            inputs_digest(&[
                b"vuln-scan",
                env!("CARGO_PKG_VERSION").as_bytes(),
                index_digest.to_hex().as_bytes(),
                digests.join(",").as_bytes(),
                sbom_names.join("\n").as_bytes(),
                vex.join(",").as_bytes(),
                format!("{options:?}").as_bytes(),
            ])
        });
        let reused = inputs_digest.as_deref().and_then(|key| {
            ctx.prior
                .get::<assay_vuln::finding::ScanResult>(EvidenceKind::VulnScan, key)
        });
        let result = match reused {
            Some(r) => {
                reporter.note("vulnerability scan reused: same SBOMs, VEX, policy, day and advisory index as the one this workspace signed before");
                r
            }
            None => {
                let mut result =
                    match assay_vuln::scan::scan(&index, &components, &options, reporter) {
                        Ok(r) => r,
                        Err(e) => {
                            out.inputs.push(failed(
                                "workspace advisory index",
                                "advisory index",
                                e,
                            ));
                            reporter.finish();
                            return out;
                        }
                    };
                result.warnings.extend(warnings);
                if !statements.is_empty() {
                    assay_vuln::vex::apply_vex(&mut result.findings, &statements);
                }
                result.recompute_summary();
                result
            }
        };
        reporter.finish();
        let scanned: Vec<ScannedSbom<'_>> = sboms
            .iter()
            .map(|(name, bytes, format, n)| ScannedSbom {
                file_name: name.clone(),
                bytes,
                format: format.clone(),
                components: *n,
            })
            .collect();
        out.evidence
            .extend(sbom_evidence(&ctx.manifest.id, &scanned));
        out.evidence.extend(vex_items);
        let mut scan = scan_evidence(&ctx.manifest.id, &digests, &result);
        if let Some(key) = inputs_digest {
            scan.meta.insert(INPUTS_META.into(), key);
        }
        out.evidence.push(scan);
        out.section = Some(Section::Vuln(Box::new(VulnSection {
            files,
            advisory_sources: sources,
            result,
        })));
        out
    }
}

/// The deadline policy case.toml names: from the case folder (as written), or from the upload
/// in memory (an upload may only name its own files; see [`CaseInputs::from_files`]).
fn load_policy(case: &CaseInputs, p: &Path) -> Result<assay_vuln::policy::DeadlinePolicy, String> {
    if !case.is_upload() {
        return assay_vuln::policy::DeadlinePolicy::load(&case.resolve(p))
            .map_err(|e| e.to_string());
    }
    let rel = p.to_string_lossy();
    let bytes = case.read(&rel, limits::SMALL_TEXT)?;
    assay_vuln::policy::DeadlinePolicy::from_toml(&rel, &utf8(&bytes)?).map_err(|e| e.to_string())
}

/// Description consistency: the product documents against the manifest and each other.
#[derive(Debug, Default)]
pub struct DescriptionEvaluator;

impl Evaluator for DescriptionEvaluator {
    fn name(&self) -> &str {
        "descriptions"
    }

    fn evaluate(
        &self,
        case: &CaseInputs,
        ctx: &EvalCtx<'_>,
        _reporter: &dyn Reporter,
    ) -> EvaluatorOutput {
        let mut out = EvaluatorOutput::default();
        let mut docs = Vec::new();
        for rel in &case.docs {
            let (role, kind) = doc_role(rel);
            let Some(p) = read_role(case, rel, role, limits::DOCUMENT, &mut out.inputs, utf8)
            else {
                continue;
            };
            out.evidence.push(EvidenceInput {
                kind,
                subject: ctx.manifest.id.clone(),
                file_name: file_name(rel),
                bytes: p.bytes,
                meta: BTreeMap::from([("role".to_string(), role.to_string())]),
            });
            docs.push(assay_rules::consistency::Document {
                name: rel.clone(),
                text: p.value,
            });
        }
        if !docs.is_empty() {
            out.section = Some(Section::Consistency(Box::new(
                assay_rules::consistency::check(Some(ctx.manifest), &docs),
            )));
        }
        out
    }
}

/// Largest evaluation log read (it is held in memory while it is signed; the same limit as
/// `assay eval report --record`).
pub const MAX_EVAL_LOG: u64 = 512 << 20;

/// Model evaluations (issue #12): a case's `eval/` folder yields `eval-run` and `eval-report`
/// evidence about the subject, with the meta facts the frontier-model pack judges (model
/// digest, suites, categories covered, scores with bounds, run dates).
///
/// ```text
/// eval/*.jsonl            finished logs of `assay eval run` (each: eval-run + eval-report)
/// eval/qualification.toml optional qualification rules, judged in every report
/// eval/model.toml         optional: suites + a replay model (assay_eval::model_config)
/// eval/...                the suites, their assets and replay scripts it names
/// ```
///
/// A model configuration whose finished log (`log = "x.jsonl"`) is in `eval/` is not run
/// again: the log is the evaluation, read like any other (reproducible evidence, no sandbox).
/// Without its log, and with `live` on, the configuration is run here, in the bubblewrap
/// sandbox, into a temporary log that is then recorded as if it had been found in the case.
/// Only replay models run inside `assess` (it never reaches the network nor reads API keys);
/// only a case folder runs (an upload has no folder for the sandbox to copy task files
/// from); without bubblewrap the configuration is a named problem telling how to produce its
/// log with `assay eval run`. Nothing is ever written into the case folder.
#[derive(Debug, Clone)]
pub struct EvalEvaluator {
    /// Run a model configuration whose finished log is missing (default: true).
    pub live: bool,
}

impl Default for EvalEvaluator {
    fn default() -> Self {
        EvalEvaluator { live: true }
    }
}

/// The configuration file of a live run, in a case.
pub const EVAL_MODEL: &str = "eval/model.toml";
/// The qualification rules of a case's evaluations.
pub const EVAL_RULES: &str = "eval/qualification.toml";

/// `eval/x.jsonl`: a finished log (directly in `eval/`).
fn is_eval_log(p: &str) -> bool {
    let c: Vec<&str> = p.split('/').collect();
    c.len() == 2 && c[0] == "eval" && ext_is(c[1], "jsonl")
}

fn ext_is(name: &str, ext: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// The two evidence items of one log, about `subject`; `Err` is the problem in words.
pub fn eval_evidence(
    subject: &str,
    file_name: &str,
    bytes: Vec<u8>,
    rules: Option<&assay_eval::report::Rules>,
) -> Result<Vec<EvidenceInput>, String> {
    let digest = Sha256Digest::of(&bytes).to_hex();
    let report =
        assay_eval::report::report_bytes(&bytes, file_name, rules).map_err(|e| e.to_string())?;
    if report.runs.is_empty() {
        return Err(
            "holds no run record: not a log of `assay eval run` (or its first line is torn)".into(),
        );
    }
    let items = vec![
        assay_eval::evidence::run_evidence(subject, file_name, bytes, &report)
            .map_err(|e| e.to_string())?,
        assay_eval::evidence::report_evidence(subject, file_name, &digest, &report)
            .map_err(|e| e.to_string())?,
    ];
    if let Some((var, kind)) = assay_eval::evidence::secret_in(&items) {
        return Err(format!(
            "the {kind} would hold the value of ${var} (an API key); nothing of this log is \
             recorded. Remove the key from the log first"
        ));
    }
    Ok(items)
}

impl EvalEvaluator {
    /// Runs a model configuration in the bubblewrap sandbox; returns the log's bytes.
    fn run_live(
        &self,
        case: &CaseInputs,
        config: &assay_eval::model_config::ModelConfig,
        out: &mut EvaluatorOutput,
        reporter: &dyn Reporter,
    ) -> Result<Vec<u8>, String> {
        let in_eval = |rel: &str| format!("eval/{rel}");
        let Some(script) = config.replay_script() else {
            return Err(format!(
                "model {}: assess runs only replay models (it never reaches the network); \
                 run it with `assay eval run` and put its log in eval/{}",
                assay_core::text::quote_short(&config.model),
                config.log
            ));
        };
        if case.is_upload() {
            return Err(format!(
                "an upload cannot run a live evaluation (the sandbox copies task files from a \
                 case folder); upload the finished log as eval/{}",
                config.log
            ));
        }
        let tmp = tempfile::Builder::new()
            .prefix("assay-assess-eval-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        let sandbox =
            assay_eval::sandbox::Sandbox::bwrap(&tmp.path().join("sandbox")).map_err(|e| {
                format!(
                    "its log eval/{} is not in the case and the live run needs bubblewrap: {e}; \
                     or run `assay eval run` elsewhere and put the log in eval/",
                    config.log
                )
            })?;
        let script_rel = in_eval(script);
        let replay = read_role(
            case,
            &script_rel,
            "eval-replay",
            assay_eval::provider::MAX_REPLAY_BYTES,
            &mut out.inputs,
            |b| assay_eval::provider::Replay::parse(b, Path::new(&script_rel)),
        )
        .ok_or("its replay script failed (see its row)")?;
        let log = tmp.path().join(&config.log);
        for s in &config.suites {
            let rel = in_eval(s);
            let path = case.path(&rel);
            let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            let suite = read_role(
                case,
                &rel,
                "eval-suite",
                limits::SMALL_TEXT,
                &mut out.inputs,
                |b| {
                    let text = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                    assay_eval::suite::Suite::parse(text, &path, &base).map_err(|e| e.to_string())
                },
            )
            .ok_or("a suite failed (see its row)")?;
            let opts = assay_eval::run::RunOptions {
                epochs: config.epochs,
                max_connections: config.max_connections,
                gate: config.gate,
                invocation: serde_json::json!({ "model": config.model, "by": "assay assess" }),
                model_digest: config.model_digest.clone(),
                ..Default::default()
            };
            assay_eval::run::run(&suite.value, &replay.value, &sandbox, &log, &opts, reporter)
                .map_err(|e| format!("the live run of {rel} failed: {e}"))?;
        }
        let bytes = std::fs::read(&log).map_err(|e| format!("cannot read the run's log: {e}"))?;
        if bytes.len() as u64 > MAX_EVAL_LOG {
            return Err(format!(
                "the run's log is over {} MiB, the most recorded",
                MAX_EVAL_LOG >> 20
            ));
        }
        Ok(bytes)
    }
}

impl Evaluator for EvalEvaluator {
    fn name(&self) -> &str {
        "eval"
    }

    fn evaluate(
        &self,
        case: &CaseInputs,
        ctx: &EvalCtx<'_>,
        reporter: &dyn Reporter,
    ) -> EvaluatorOutput {
        let mut out = EvaluatorOutput::default();
        if case.eval.is_empty() {
            return out;
        }
        let subject = ctx.manifest.id.as_str();
        let rules = if case.eval.iter().any(|p| p == EVAL_RULES) {
            read_role(
                case,
                EVAL_RULES,
                "eval-rules",
                assay_eval::report::MAX_RULES_BYTES,
                &mut out.inputs,
                |b| {
                    let text = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                    assay_eval::report::Rules::parse(text, EVAL_RULES).map_err(|e| e.to_string())
                },
            )
            .map(|p| p.value)
        } else {
            None
        };
        let logs: Vec<&String> = case.eval.iter().filter(|p| is_eval_log(p)).collect();
        reporter.start("model evaluations", Some(logs.len() as u64));
        for rel in &logs {
            match case.read(rel, MAX_EVAL_LOG).and_then(|bytes| {
                let digest = Sha256Digest::of(&bytes);
                eval_evidence(subject, &file_name(rel), bytes, rules.as_ref()).map(|e| (e, digest))
            }) {
                Ok((items, digest)) => {
                    out.inputs.push(read_ok(rel.as_str(), "eval-log", &digest));
                    out.evidence.extend(items);
                }
                Err(e) => out.inputs.push(failed(rel.as_str(), "eval-log", e)),
            }
            reporter.advance(1);
        }
        reporter.finish();
        if case.eval.iter().any(|p| p == EVAL_MODEL) {
            let config = match read_parsed(
                case,
                EVAL_MODEL,
                assay_eval::model_config::MAX_MODEL_CONFIG_BYTES,
                |b| {
                    let text = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                    assay_eval::model_config::ModelConfig::parse(text, EVAL_MODEL)
                        .map_err(|e| e.to_string())
                },
            ) {
                Ok(c) => c,
                Err(e) => {
                    out.inputs.push(failed(EVAL_MODEL, "eval-model", e));
                    return out;
                }
            };
            let config_digest = config.digest;
            let config = config.value;
            let log_rel = format!("eval/{}", config.log);
            if logs.iter().any(|l| **l == log_rel) {
                // Its finished log was read above: that is the evaluation.
                out.inputs
                    .push(read_ok(EVAL_MODEL, "eval-model", &config_digest));
                return out;
            }
            let live = if self.live {
                self.run_live(case, &config, &mut out, reporter)
            } else {
                Err(format!(
                    "its log {log_rel} is not in the case and live runs are off; run `assay \
                     eval run` with this configuration and put the log in eval/"
                ))
            };
            match live.and_then(|bytes| {
                let digest = Sha256Digest::of(&bytes);
                eval_evidence(subject, &config.log, bytes, rules.as_ref()).map(|e| (e, digest))
            }) {
                Ok((items, digest)) => {
                    out.inputs
                        .push(read_ok(EVAL_MODEL, "eval-model", &config_digest));
                    out.inputs.push(read_ok(
                        format!("{log_rel} (run here)"),
                        "eval-log",
                        &digest,
                    ));
                    out.evidence.extend(items);
                }
                Err(e) => out.inputs.push(failed(EVAL_MODEL, "eval-model", e)),
            }
        }
        out
    }
}
