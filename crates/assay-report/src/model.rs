use assay_core::{Day, EvidenceKind, Sha256Digest};
use assay_rules::Evaluation;
use serde::{Deserialize, Serialize};

use crate::verdict::{Gap, MarketSummary};

/// Everything one run of `assay assess` concluded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assessment {
    /// `assay-assessment/1`.
    pub format: String,
    pub generator: String,
    /// The day verdicts were judged on (YYYY-MM-DD).
    pub date: Day,
    pub subject: SubjectInfo,
    pub markets: Vec<MarketSummary>,
    pub gaps: Vec<Gap>,
    pub evaluation: Evaluation,
    pub pad: Vec<PadSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vuln: Option<VulnSection>,
    pub evidence: Vec<EvidenceRow>,
    pub inputs: Vec<InputRow>,
    pub packs: Vec<PackRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanSection>,
    /// Tested samples, lab bookings, prior validations and lab reports (absent when the case
    /// has none of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retest: Option<crate::retest::RetestSection>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubjectInfo {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub kind: String,
    pub category: String,
    pub functions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artefact_digest: Option<Sha256Digest>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PadSection {
    pub file: String,
    pub digest: Sha256Digest,
    pub report: assay_pad::PadReport,
    /// Whether this report decides the PAD obligations' verdicts, and why (not).
    #[serde(default)]
    pub standing: PadStanding,
    /// The `pad-report` ledger entry shown (a lab's report imported into the workspace, or
    /// the one this run recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_index: Option<u64>,
    /// Who signed that entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// Whether a PAD report decides the verdicts: the lab's report once it counts decides; the
/// manufacturer's own pre-test does not, and the dossier says why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadStanding {
    /// True when some obligation's deciding evidence is this report (it counts, expires soon
    /// or fails a constraint).
    pub decides: bool,
    /// The obligations it decides, or why it decides none (the rules' own words).
    pub why: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VulnSection {
    /// SBOMs and lockfiles scanned, with digests.
    pub files: Vec<(String, Sha256Digest)>,
    pub advisory_sources: Vec<String>,
    pub result: assay_vuln::finding::ScanResult,
}

/// One piece of evidence the verdicts could rest on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvidenceRow {
    pub index: u64,
    pub kind: EvidenceKind,
    pub file_name: String,
    pub digest: Sha256Digest,
    pub signer: String,
    /// The signer's key fingerprint (SHA-256 of the Ed25519 public key, first 16 hex digits):
    /// what a reader compares with the fingerprint the issuer gave them directly.
    #[serde(default)]
    pub signer_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `verified` when the ledger verified the signature in this run.
    pub signature: String,
    pub recorded_at: String,
    /// True when recorded by this run. Not part of assessment.json nor the dossier: a re-run
    /// on the same case and workspace gives the same outputs (the run's own count is reported
    /// by the caller instead).
    #[serde(skip)]
    pub new: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputStatus {
    Read,
    Failed,
    Skipped,
}

/// A file of the case folder and what became of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputRow {
    pub path: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Sha256Digest>,
    pub status: InputStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A rule pack applied, with its digest and sources.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PackRef {
    pub id: String,
    pub title: String,
    pub digest: Sha256Digest,
    pub origin: String,
    pub sources: Vec<assay_rules::Source>,
}

/// The delivery plan as JSON (from `assay-plan`) and its Gantt chart.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanSection {
    pub plan: serde_json::Value,
    #[serde(skip)]
    pub svg: String,
}
