use assay_core::{Day, EvidenceKind, Sha256Digest};
use assay_rules::{Applicability, Evaluation, Force, Status};
use serde::{Deserialize, Serialize};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MarketSummary {
    pub market: String,
    pub status: MarketStatus,
    /// One line: why.
    pub why: String,
    /// Earliest date the market can be served, from the delivery plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_date: Option<Day>,
    /// The plan's one line on this market: earliest date, target met or missed, what sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
}

/// An obligation that is not met, with what to do about it.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PadSection {
    pub file: String,
    pub digest: Sha256Digest,
    pub report: assay_pad::PadReport,
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
            // Blocking obligations are open ones (unmet or failing), so the open ones are all
            // this summary needs to look at.
            let obligations = evaluation
                .open_obligations()
                .filter(|(r, _)| *r.market == *market);
            let mut blocking = None;
            let mut risk = None;
            for (r, o) in obligations {
                if o.blocking && blocking.is_none() {
                    let reason = o.reasons.first().map(|s| s.gist()).unwrap_or_default();
                    blocking = Some(format!("{}: {}", o.title, reason));
                } else if risk.is_none()
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

#[cfg(test)]
mod tests {
    use super::*;
    use assay_rules::{Day, EvalContext, EvidenceRecord, RulePack, SubjectManifest};

    const PACK: &str = r#"
id = "test-gist"
title = "t"
jurisdiction = "US"
authority = "none"
summary = "one mandatory obligation over a vuln-scan meta value"

[[source]]
id = "s"
title = "test source"
publisher = "tests"
date = "2026"
status = "primary"

[scope]
all = [ { market_in = ["US"] } ]

[[obligation]]
id = "severity"
title = "Severity known"
text = "t"
force = "mandatory"
sources = ["s"]

[[obligation.evidence]]
kind = "vuln-scan"
description = "a scan whose worst severity is low"
meta = [ { key = "max_severity", eq = "low" } ]
"#;

    const MANIFEST: &str = r#"
id = "dev"
name = "Device"
vendor = "V"
kind = "device"
category = "iris-lock"
[[market]]
country = "US"
"#;

    /// The market line is built from the reason's fields: evidence whose meta value holds
    /// `-> ` (as a hostile or careless value may) no longer cuts the verdict in the middle,
    /// which splitting the rendered text on the last `-> ` did.
    #[test]
    fn market_summary_takes_the_verdict_from_the_reason_fields() {
        let pack = RulePack::from_toml(PACK, "test.toml").unwrap();
        let manifest = SubjectManifest::from_toml(MANIFEST, "m.toml").unwrap();
        let evidence: Vec<EvidenceRecord> = serde_json::from_value(serde_json::json!([{
            "index": 1,
            "kind": "vuln-scan",
            "subject": "dev",
            "blob_digest": "629b75238c24ac940275921b4c9da70375ffc949a90e76445fd4b7f3ee1795f9",
            "signer_key_id": "k",
            "signer_is_own": true,
            "recorded_at": "2026-09-01T09:00:00Z",
            "meta": { "max_severity": "high -> critical" }
        }]))
        .unwrap();
        let ctx = EvalContext {
            today: Day::parse("2026-09-02").unwrap(),
            markets: Vec::new(),
            consistency: None,
        };
        let e = assay_rules::evaluate(&manifest, &[pack], &evidence, &ctx);
        assert_eq!(e.open_obligations().count(), 1);
        let m = market_summaries(&e);
        assert_eq!(m[0].status, MarketStatus::CannotShip);
        assert_eq!(
            m[0].why,
            "Severity known: failing: 629b75238c24 max_severity = high -> critical, needs low"
        );
    }
}
