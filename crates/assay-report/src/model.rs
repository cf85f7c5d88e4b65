use assay_rules::Evaluation;

use crate::verdict::{Gap, MarketSummary};
use serde::Serialize;

/// Everything one run of `assay assess` concluded.
#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    /// `assay-assessment/1`.
    pub format: String,
    pub generator: String,
    /// The day verdicts were judged on (YYYY-MM-DD).
    pub date: String,
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
}

#[derive(Clone, Debug, Serialize)]
pub struct SubjectInfo {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub kind: String,
    pub category: String,
    pub functions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artefact_digest: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PadSection {
    pub file: String,
    pub digest: String,
    pub report: assay_pad::PadReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct VulnSection {
    /// SBOMs and lockfiles scanned, with digests.
    pub files: Vec<(String, String)>,
    pub advisory_sources: Vec<String>,
    pub result: assay_vuln::finding::ScanResult,
}

/// One piece of evidence the verdicts could rest on.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceRow {
    pub index: u64,
    pub kind: String,
    pub file_name: String,
    pub digest: String,
    pub signer: String,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputStatus {
    Read,
    Failed,
    Skipped,
}

/// A file of the case folder and what became of it.
#[derive(Clone, Debug, Serialize)]
pub struct InputRow {
    pub path: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub status: InputStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A rule pack applied, with its digest and sources.
#[derive(Clone, Debug, Serialize)]
pub struct PackRef {
    pub id: String,
    pub title: String,
    pub digest: String,
    pub origin: String,
    pub sources: Vec<assay_rules::Source>,
}

/// The delivery plan as JSON (from `assay-plan`) and its Gantt chart.
#[derive(Clone, Debug, Serialize)]
pub struct PlanSection {
    pub plan: serde_json::Value,
    #[serde(skip)]
    pub svg: String,
}
