use assay_rules::{Applicability, Evaluation, Force, Status};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarketStatus {
    /// No mandatory obligation that applies is unmet or failing, and nothing is in doubt.
    CanShip,
    /// Nothing blocks for sure, but something may apply, is expiring, or is advised.
    AtRisk,
    /// A mandatory obligation that applies is unmet or failing.
    CannotShip,
}

impl MarketStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::CanShip => "can ship",
            Self::AtRisk => "at risk",
            Self::CannotShip => "cannot ship",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct MarketSummary {
    pub market: String,
    pub status: MarketStatus,
    /// One line: why.
    pub why: String,
    /// Earliest date the market can be served, from the delivery plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_date: Option<String>,
    /// The plan's one line on this market: earliest date, target met or missed, what sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
}

/// An obligation that is not met, with what to do about it.
#[derive(Clone, Debug, Serialize)]
pub struct Gap {
    pub market: String,
    pub pack_id: String,
    pub obligation_id: String,
    pub title: String,
    pub status: Status,
    pub blocking: bool,
    pub advice: bool,
    pub action: String,
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

/// The gist of an engine reason for a one-line summary: the verdict after `->` up to the
/// first `;` (the full chain stays in the dossier's obligation table).
fn short_reason(reason: &str) -> String {
    let tail = reason.rsplit_once("-> ").map_or(reason, |(_, t)| t);
    tail.split(';').next().unwrap_or(tail).trim().to_string()
}

/// One summary per market, from the evaluation: blocking obligations make a market
/// `cannot ship`; obligations that may apply, are expiring or advised make it `at risk`.
pub fn market_summaries(evaluation: &Evaluation) -> Vec<MarketSummary> {
    let mut markets: Vec<String> = Vec::new();
    for r in &evaluation.results {
        if !markets.iter().any(|m| *m == *r.market) {
            markets.push(r.market.to_string());
        }
    }
    markets
        .into_iter()
        .map(|market| {
            let obligations = evaluation
                .results
                .iter()
                .filter(|r| *r.market == *market)
                .flat_map(|r| r.obligations.iter().map(move |o| (r, o)));
            let mut blocking = None;
            let mut risk = None;
            for (r, o) in obligations {
                if o.blocking && blocking.is_none() {
                    let reason = o
                        .reasons
                        .first()
                        .map(|s| short_reason(s))
                        .unwrap_or_default();
                    blocking = Some(format!("{}: {}", o.title, reason));
                } else if risk.is_none()
                    && o.status != Status::NotApplicable
                    && o.status != Status::Met
                    && (o.applicability == Applicability::Possibly
                        || o.status == Status::Expiring
                        || o.advice
                        || o.force == Force::Voluntary)
                {
                    let why = match (o.applicability, o.status) {
                        (Applicability::Possibly, _) => "may apply (unverified scope)",
                        (_, Status::Expiring) => "evidence expiring",
                        _ => "recommended",
                    };
                    risk = Some(format!("{}: {} ({})", why, o.title, r.pack_id));
                }
            }
            let (status, why) = match (blocking, risk) {
                (Some(b), _) => (MarketStatus::CannotShip, b),
                (None, Some(r)) => (MarketStatus::AtRisk, r),
                (None, None) => (
                    MarketStatus::CanShip,
                    "every applicable mandatory obligation is met".to_string(),
                ),
            };
            MarketSummary {
                market,
                status,
                why,
                earliest_date: None,
                delivery: None,
            }
        })
        .collect()
}
