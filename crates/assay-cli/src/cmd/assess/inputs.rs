//! Running the evaluators over a case's inputs, recording what was read, and evaluating.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use assay_core::{EvidenceKind, Sha256Digest};
use assay_ledger::{EvidenceInput, Ledger};
use assay_report::{
    Assessment, EvidenceRow, Gap, InputRow, InputStatus, PackRef, PadSection, SubjectInfo,
    VulnSection,
};
use assay_rules::{Day, EvalContext, Status, SubjectManifest};

use super::Steps;
use super::case::{Case, doc_role};

/// The state of one assessment while it runs.
pub struct Run<'a> {
    pub case: &'a Case,
    pub manifest: &'a SubjectManifest,
    pub today: Day,
    progress: &'a Steps,
    pub inputs: Vec<InputRow>,
    /// Evidence to record, in one batch, from inputs that were read.
    items: Vec<EvidenceInput>,
    pub pad: Vec<PadSection>,
    pub vuln: Option<VulnSection>,
    pub consistency: Option<assay_rules::consistency::ConsistencyReport>,
    /// Ledger entries imported from lab bundles in this run.
    imported: Vec<u64>,
    /// The evidence records the rules engine judged (kept for `--check`).
    pub records: Vec<assay_rules::EvidenceRecord>,
    pub packs: Vec<assay_rules::RulePack>,
}

fn failed(path: String, role: &str, problem: impl std::fmt::Display) -> InputRow {
    InputRow {
        path,
        role: role.to_string(),
        digest: None,
        status: InputStatus::Failed,
        problem: Some(problem.to_string()),
    }
}

fn read_ok(path: String, role: &str, digest: &Sha256Digest) -> InputRow {
    InputRow {
        path,
        role: role.to_string(),
        digest: Some(digest.to_hex()),
        status: InputStatus::Read,
        problem: None,
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl<'a> Run<'a> {
    pub fn new(
        case: &'a Case,
        manifest: &'a SubjectManifest,
        today: Day,
        progress: &'a Steps,
    ) -> Self {
        Self {
            case,
            manifest,
            today,
            progress,
            inputs: Vec::new(),
            items: Vec::new(),
            pad: Vec::new(),
            vuln: None,
            consistency: None,
            imported: Vec::new(),
            records: Vec::new(),
            packs: Vec::new(),
        }
    }

    fn subject(&self) -> String {
        self.manifest.id.clone()
    }

    /// Reads every input; a file that fails becomes a named problem, never an abort.
    pub fn read_all(&mut self, ledger: &Ledger) -> anyhow::Result<()> {
        let subject_bytes = std::fs::read(&self.case.subject)?;
        self.inputs.push(read_ok(
            self.case.rel(&self.case.subject),
            "subject manifest",
            &Sha256Digest::of(&subject_bytes),
        ));
        self.read_pad();
        self.read_vuln(ledger)?;
        self.read_docs();
        self.read_evidence_files();
        self.import_bundles(ledger);
        for p in &self.case.unrecognised {
            self.inputs.push(InputRow {
                path: self.case.rel(p),
                role: "unrecognised".into(),
                digest: None,
                status: InputStatus::Skipped,
                problem: Some(
                    "matches no case convention (pad/, sbom/, vex/, docs/, evidence/); not used"
                        .into(),
                ),
            });
        }
        Ok(())
    }

    fn read_pad(&mut self) {
        if self.case.pad.is_empty() {
            return;
        }
        self.progress.step("PAD metrics");
        let available = assay_pad::Scheme::builtin();
        let schemes = if self.case.file.schemes.is_empty() {
            available
        } else {
            match assay_pad::scheme::select(&available, &self.case.file.schemes) {
                Ok(s) => s,
                Err(e) => {
                    self.inputs
                        .push(failed("case.toml".into(), "PAD schemes", e));
                    return;
                }
            }
        };
        for input in self.case.pad.clone() {
            let rel = self.case.rel(&input.campaign);
            let manifest = match &input.manifest {
                None => None,
                Some(path) => {
                    let parsed = std::fs::read_to_string(path)
                        .map_err(|e| e.to_string())
                        .and_then(|t| {
                            assay_pad::Manifest::parse(&t, &path.display().to_string())
                                .map_err(|e| e.to_string())
                        });
                    match parsed {
                        Ok(m) => Some(m),
                        Err(e) => {
                            self.inputs.push(failed(
                                self.case.rel(path),
                                "PAD campaign manifest",
                                &e,
                            ));
                            self.inputs.push(failed(
                                rel,
                                "PAD campaign",
                                "skipped: its manifest could not be read",
                            ));
                            continue;
                        }
                    }
                }
            };
            let bytes = match std::fs::read(&input.campaign) {
                Ok(b) => b,
                Err(e) => {
                    self.inputs.push(failed(rel, "PAD campaign", e));
                    continue;
                }
            };
            let digest = Sha256Digest::of(&bytes);
            let campaign = match assay_pad::read::read_bytes(&bytes, &rel) {
                Ok(c) => c,
                Err(e) => {
                    self.inputs.push(failed(rel, "PAD campaign", e));
                    continue;
                }
            };
            let options = assay_pad::PadOptions {
                campaign_digest: Some(digest.to_hex()),
                ..Default::default()
            };
            let report = match assay_pad::pad_report(
                &campaign,
                manifest.as_ref(),
                &schemes,
                &options,
                self.progress,
            ) {
                Ok(r) => r,
                Err(e) => {
                    self.inputs.push(failed(rel, "PAD campaign", e));
                    continue;
                }
            };
            self.inputs
                .push(read_ok(rel.clone(), "PAD campaign", &digest));
            if let (Some(path), Some(_)) = (&input.manifest, &manifest)
                && let Ok(b) = std::fs::read(path)
            {
                self.inputs.push(read_ok(
                    self.case.rel(path),
                    "PAD campaign manifest",
                    &Sha256Digest::of(&b),
                ));
            }
            let campaign_meta = assay_pad::campaign_meta(manifest.as_ref());
            let report_meta = assay_pad::report_meta(&report, manifest.as_ref(), &digest.to_hex());
            let name = file_name(&input.campaign);
            let stem = name
                .rsplit_once('.')
                .map_or(name.as_str(), |(s, _)| s)
                .to_string();
            self.items.push(EvidenceInput {
                kind: EvidenceKind::PadCampaign,
                subject: self.subject(),
                file_name: name,
                bytes,
                meta: campaign_meta,
            });
            self.items.push(EvidenceInput {
                kind: EvidenceKind::PadReport,
                subject: self.subject(),
                file_name: format!("{stem}.pad-report.json"),
                bytes: serde_json::to_vec_pretty(&report).expect("reports serialise"),
                meta: report_meta,
            });
            self.pad.push(PadSection {
                file: rel,
                digest: digest.to_hex(),
                report,
            });
        }
    }

    fn read_vuln(&mut self, ledger: &Ledger) -> anyhow::Result<()> {
        if self.case.sboms.is_empty() {
            return Ok(());
        }
        self.progress.step("importing advisories");
        let index_path = ledger.dir().join("vuln").join("index.sqlite");
        let mut index = match assay_vuln::index::Index::open(&index_path) {
            Ok(i) => i,
            Err(e) => {
                self.inputs.push(failed(
                    index_path.display().to_string(),
                    "advisory index",
                    e,
                ));
                return Ok(());
            }
        };
        let mut sources = Vec::new();
        for src in &self.case.file.advisories {
            let path = self.case.resolve(src);
            if !path.exists() {
                self.inputs.push(failed(
                    src.display().to_string(),
                    "advisory source",
                    "not found",
                ));
                continue;
            }
            match index.import(std::slice::from_ref(&path), &mut assay_vuln::index::Silent) {
                Ok(_) => sources.push(src.display().to_string()),
                Err(e) => self
                    .inputs
                    .push(failed(src.display().to_string(), "advisory source", e)),
            }
        }
        if sources.is_empty() {
            sources.push(format!(
                "the workspace's advisory index ({})",
                index_path.display()
            ));
        }
        self.progress.step("reading SBOMs");
        let mut components = Vec::new();
        let mut files = Vec::new();
        let mut warnings = Vec::new();
        let mut sbom_items = Vec::new();
        for path in &self.case.sboms {
            let rel = self.case.rel(path);
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    self.inputs.push(failed(rel, "SBOM", e));
                    continue;
                }
            };
            match assay_vuln::sbom::read_bytes(path, &bytes) {
                Ok(read) => {
                    let digest = Sha256Digest::of(&bytes);
                    self.inputs.push(read_ok(rel.clone(), "SBOM", &digest));
                    warnings.extend(read.warnings.iter().map(ToString::to_string));
                    files.push((rel, digest.to_hex()));
                    let meta = BTreeMap::from([
                        ("format".to_string(), read.format.meta_name().to_string()),
                        ("components".to_string(), read.components.len().to_string()),
                    ]);
                    components.extend(read.components);
                    sbom_items.push(EvidenceInput {
                        kind: EvidenceKind::Sbom,
                        subject: self.subject(),
                        file_name: file_name(path),
                        bytes,
                        meta,
                    });
                }
                Err(e) => self.inputs.push(failed(rel, "SBOM", e)),
            }
        }
        if files.is_empty() {
            return Ok(());
        }
        let mut statements = Vec::new();
        let mut vex_items = Vec::new();
        for path in &self.case.vex {
            let rel = self.case.rel(path);
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    self.inputs.push(failed(rel, "VEX", e));
                    continue;
                }
            };
            match assay_vuln::vex::read_vex_bytes(path, &bytes) {
                Ok(doc) => {
                    self.inputs
                        .push(read_ok(rel, "VEX", &Sha256Digest::of(&bytes)));
                    warnings.extend(doc.warnings.iter().map(ToString::to_string));
                    statements.extend(doc.statements);
                    vex_items.push(EvidenceInput {
                        kind: EvidenceKind::Vex,
                        subject: self.subject(),
                        file_name: file_name(path),
                        bytes,
                        meta: BTreeMap::new(),
                    });
                }
                Err(e) => self.inputs.push(failed(rel, "VEX", e)),
            }
        }
        let policy = match &self.case.file.policy {
            None => assay_vuln::policy::DeadlinePolicy::default(),
            Some(p) => match assay_vuln::policy::DeadlinePolicy::load(&self.case.resolve(p)) {
                Ok(p) => p,
                Err(e) => {
                    self.inputs
                        .push(failed(p.display().to_string(), "deadline policy", e));
                    assay_vuln::policy::DeadlinePolicy::default()
                }
            },
        };
        self.progress.step("scanning components");
        let scan_date = chrono::NaiveDate::parse_from_str(&self.today.to_string(), "%Y-%m-%d")?;
        let options = assay_vuln::scan::ScanOptions { scan_date, policy };
        let mut result = match assay_vuln::scan::scan(
            &index,
            &components,
            &options,
            &mut assay_vuln::index::Silent,
        ) {
            Ok(r) => r,
            Err(e) => {
                self.inputs.push(failed(
                    index_path.display().to_string(),
                    "advisory index",
                    e,
                ));
                return Ok(());
            }
        };
        result.warnings.extend(warnings);
        if !statements.is_empty() {
            assay_vuln::vex::apply_vex(&mut result.findings, &statements);
        }
        result.recompute_summary();
        let digests: Vec<String> = files.iter().map(|(_, d)| d.clone()).collect();
        let mut meta = assay_vuln::evidence_meta(&result);
        meta.insert("sbom_digest".into(), digests.join(","));
        self.items.extend(sbom_items);
        self.items.extend(vex_items);
        self.items.push(EvidenceInput {
            kind: EvidenceKind::VulnScan,
            subject: self.subject(),
            file_name: "vuln-scan.json".into(),
            bytes: serde_json::to_vec_pretty(&result)?,
            meta,
        });
        self.vuln = Some(VulnSection {
            files,
            advisory_sources: sources,
            result,
        });
        Ok(())
    }

    fn read_docs(&mut self) {
        let mut docs = Vec::new();
        for path in &self.case.docs {
            let rel = self.case.rel(path);
            let (role, kind) = doc_role(path);
            match std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| "not UTF-8 text; save it as UTF-8".to_string())
                }) {
                Ok(text) => {
                    let digest = Sha256Digest::of(text.as_bytes());
                    self.inputs.push(read_ok(rel.clone(), role, &digest));
                    self.items.push(EvidenceInput {
                        kind,
                        subject: self.subject(),
                        file_name: file_name(path),
                        bytes: text.clone().into_bytes(),
                        meta: BTreeMap::from([("role".to_string(), role.to_string())]),
                    });
                    docs.push(assay_rules::consistency::Document { name: rel, text });
                }
                Err(e) => self.inputs.push(failed(rel, role, e)),
            }
        }
        if !docs.is_empty() {
            self.consistency = Some(assay_rules::consistency::check(Some(self.manifest), &docs));
        }
    }

    fn read_evidence_files(&mut self) {
        for f in self.case.evidence_files.clone() {
            let rel = self.case.rel(&f.path);
            let kind: EvidenceKind = match f.kind.parse() {
                Ok(k) => k,
                Err(e) => {
                    self.inputs.push(failed(
                        rel,
                        "evidence",
                        format!("folder evidence/{}: {e}", f.kind),
                    ));
                    continue;
                }
            };
            match std::fs::read(&f.path) {
                Ok(bytes) => {
                    self.inputs
                        .push(read_ok(rel, kind.as_str(), &Sha256Digest::of(&bytes)));
                    self.items.push(EvidenceInput {
                        kind,
                        subject: self.subject(),
                        file_name: file_name(&f.path),
                        bytes,
                        meta: BTreeMap::new(),
                    });
                }
                Err(e) => self.inputs.push(failed(rel, kind.as_str(), e)),
            }
        }
    }

    fn import_bundles(&mut self, ledger: &Ledger) {
        for dir in self.case.bundles.clone() {
            let rel = self.case.rel(&dir);
            match ledger.import_bundle(&dir) {
                Ok((appended, issuer)) => {
                    let mut row = read_ok(rel, "evidence bundle", &appended.blob_digest);
                    row.role = format!("evidence bundle from `{issuer}`");
                    self.inputs.push(row);
                    self.imported.push(appended.index);
                }
                Err(e) => self.inputs.push(failed(rel, "evidence bundle", e)),
            }
        }
    }

    /// Records everything read, in one batch. Evidence already in the ledger (same kind,
    /// subject and digest, e.g. from an earlier run) is not recorded twice.
    pub fn record(&mut self, ledger: &Ledger) -> anyhow::Result<Vec<u64>> {
        self.progress.step("recording evidence");
        // Look each item up by digest (an index lookup) rather than decoding the whole log.
        let mut items = Vec::new();
        for item in std::mem::take(&mut self.items) {
            let digest = Sha256Digest::of(&item.bytes);
            let mut already = false;
            for index in ledger.entries_for_blob(&digest)? {
                let entry = ledger.entry(index)?;
                if entry.kind == item.kind.as_str() && entry.subject == item.subject {
                    already = true;
                    break;
                }
            }
            if !already {
                items.push(item);
            }
        }
        let mut new: Vec<u64> = if items.is_empty() {
            Vec::new()
        } else {
            ledger
                .add(&items, assay_ledger::DEFAULT_KEY)?
                .into_iter()
                .map(|a| a.index)
                .collect()
        };
        new.extend(self.imported.iter().copied());
        Ok(new)
    }

    /// Applies the rule packs to the ledger's evidence and assembles the assessment.
    pub fn evaluate(
        &mut self,
        ledger: &Ledger,
        args: &super::AssessArgs,
        recorded: Vec<u64>,
    ) -> anyhow::Result<Assessment> {
        self.progress.step("evaluating obligations");
        let summaries = ledger.summaries()?;
        self.records = summaries
            .iter()
            .map(|s| serde_json::from_value(serde_json::to_value(s)?))
            .collect::<Result<_, _>>()?;
        let extra: Vec<std::path::PathBuf> = self
            .case
            .file
            .packs
            .iter()
            .map(|p| self.case.resolve(p))
            .chain(args.packs.iter().cloned())
            .collect();
        let extra_refs: Vec<&Path> = extra.iter().map(|p| p.as_path()).collect();
        self.packs = assay_rules::load_packs(true, &extra_refs)?;
        let markets = if args.markets.is_empty() {
            self.case.file.markets.clone()
        } else {
            args.markets.clone()
        };
        let ctx = EvalContext {
            today: self.today,
            markets,
            consistency: self.consistency.as_ref(),
        };
        let evaluation = assay_rules::evaluate(self.manifest, &self.packs, &self.records, &ctx);

        let gaps = gaps(&evaluation);
        let mut markets = assay_report::market_summaries(&evaluation);
        let plan = super::output::plan(self, &evaluation, args, &mut markets)?;

        // Evidence shown: what the verdicts considered, plus what this run recorded.
        let mut shown: BTreeSet<u64> = recorded.iter().copied().collect();
        for r in &evaluation.results {
            for o in &r.obligations {
                shown.extend(o.evidence.iter().map(|e| e.ledger_index));
            }
        }
        let shown: Vec<u64> = shown.into_iter().collect();
        let checks: BTreeMap<u64, Vec<assay_ledger::Problem>> =
            ledger.check_entries(&shown)?.into_iter().collect();
        let recorded: HashSet<u64> = recorded.into_iter().collect();
        let evidence = summaries
            .iter()
            .filter(|s| checks.contains_key(&s.index))
            .map(|s| {
                let problems = &checks[&s.index];
                EvidenceRow {
                    index: s.index,
                    kind: s.kind.to_string(),
                    file_name: s.file_name.clone(),
                    digest: s.blob_digest.to_hex(),
                    signer: s
                        .signer_name
                        .clone()
                        .unwrap_or_else(|| format!("unknown key {}", s.signer_key_id)),
                    role: s
                        .signer_role
                        .map(|r| r.to_string())
                        .or(s.signer_is_own.then(|| "own key".to_string())),
                    signature: if problems.is_empty() {
                        "verified".into()
                    } else {
                        format!("NOT verified: {}", problems[0].detail)
                    },
                    recorded_at: s.recorded_at.clone(),
                    new: recorded.contains(&s.index),
                }
            })
            .collect();
        let packs = self
            .packs
            .iter()
            .map(|p| PackRef {
                id: p.id.clone(),
                title: p.title.clone(),
                digest: p.digest.to_hex(),
                origin: p.origin.clone(),
                sources: p.sources.clone(),
            })
            .collect();
        let m = self.manifest;
        Ok(Assessment {
            format: "assay-assessment/1".into(),
            generator: format!("assay {}", env!("CARGO_PKG_VERSION")),
            date: self.today.to_string(),
            subject: SubjectInfo {
                id: m.id.clone(),
                name: m.name.clone(),
                vendor: m.vendor.clone(),
                kind: serde_json::to_value(m.kind)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                category: serde_json::to_value(m.category)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                functions: m
                    .functions
                    .iter()
                    .map(|f| {
                        serde_json::to_value(f)
                            .ok()
                            .and_then(|v| v.as_str().map(String::from))
                            .unwrap_or_default()
                    })
                    .collect(),
                artefact_digest: m.firmware_digest.or(m.model_digest).map(|d| d.to_hex()),
            },
            markets,
            gaps,
            evaluation,
            pad: std::mem::take(&mut self.pad),
            vuln: self.vuln.take(),
            evidence,
            inputs: std::mem::take(&mut self.inputs),
            packs,
            plan,
        })
    }
}

/// Every applicable obligation that is not met, with a recommended action drawn from the
/// engine's own reasons.
fn gaps(evaluation: &assay_rules::Evaluation) -> Vec<Gap> {
    let mut out = Vec::new();
    for r in &evaluation.results {
        for o in &r.obligations {
            if !o.is_open() {
                continue;
            }
            let action = recommended_action(o);
            out.push(Gap {
                market: r.market.to_string(),
                pack_id: r.pack_id.to_string(),
                obligation_id: o.id.to_string(),
                title: o.title.to_string(),
                status: o.status,
                blocking: o.blocking,
                advice: o.advice,
                action,
            });
        }
    }
    out
}

/// What to do about an unmet obligation, from the engine's first reason: the requirement it
/// names (without the tally of other evidence), phrased as a step.
fn recommended_action(o: &assay_rules::ObligationResult) -> String {
    let lead = match o.status {
        Status::Failing => {
            "Fix what the evidence shows failing, re-test, and record the new result"
        }
        Status::Expiring => "Renew the evidence before it expires",
        _ if o.advice => "Recommended",
        _ => "Obtain and record",
    };
    let Some(reason) = o.reasons.first() else {
        return format!("{lead}: {}", o.title);
    };
    // A requirement: what it asks, and what was found (without the further clauses).
    match (reason.topic, reason.requirement.as_deref()) {
        (assay_rules::ReasonTopic::Requirement { .. }, Some(required)) => {
            format!("{lead}: {required} (now: {})", reason.verdict)
        }
        _ => format!("{lead}: {reason}"),
    }
}
