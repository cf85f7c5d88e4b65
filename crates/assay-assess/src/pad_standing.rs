//! Which PAD report decides the verdicts (issue #11 point 12): the dossier's PAD section shows
//! the report the rules' deciding evidence is (a third-party lab's, once it counts) first, and
//! shows the case's own campaigns (the manufacturer's pre-test) with why they decide nothing.

use std::collections::{BTreeMap, BTreeSet};

use assay_core::{EvidenceKind, Sha256Digest};
use assay_ledger::{EvidenceSummary, Ledger};
use assay_report::{PadSection, PadStanding};
use assay_rules::{Evaluation, EvidenceVerdict};

/// The largest `pad-report` blob read back from the ledger for the dossier.
const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

/// How the rules judged one `pad-report` entry.
#[derive(Default)]
struct Judged {
    /// `pack/obligation` ids it decides.
    decides: BTreeSet<String>,
    /// Why it decides nothing, in the rules' words (first requirement that saw it).
    why_not: Option<String>,
    issuer: Option<String>,
}

/// Marks each case section with its standing, adds the deciding reports the case did not
/// compute (a lab's report imported into the workspace), and puts the deciding ones first.
pub fn decide(
    ledger: &Ledger,
    evaluation: &Evaluation,
    summaries: &[EvidenceSummary],
    pad: &mut Vec<PadSection>,
) {
    let mut judged: BTreeMap<u64, Judged> = BTreeMap::new();
    for r in &evaluation.results {
        for o in &r.obligations {
            for t in o
                .evidence
                .iter()
                .filter(|t| t.kind == EvidenceKind::PadReport)
            {
                let j = judged.entry(t.ledger_index).or_default();
                if j.issuer.is_none() {
                    j.issuer = t.issuer.clone();
                }
                match t.verdict {
                    EvidenceVerdict::Counts
                    | EvidenceVerdict::Expiring
                    | EvidenceVerdict::Fails => {
                        j.decides.insert(format!("{}/{}", r.pack_id, o.id));
                    }
                    _ => {
                        if j.why_not.is_none() && !t.why.is_empty() {
                            j.why_not = Some(t.why.join("; "));
                        }
                    }
                }
            }
        }
    }
    let standing = |j: Option<&Judged>| match j {
        Some(j) if !j.decides.is_empty() => PadStanding {
            decides: true,
            why: format!(
                "decides {}",
                j.decides.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
        Some(j) => PadStanding {
            decides: false,
            why: j
                .why_not
                .clone()
                .unwrap_or_else(|| "newer or other evidence decides".into()),
        },
        None => PadStanding {
            decides: false,
            why: "no obligation judged it".into(),
        },
    };
    let reports: Vec<&EvidenceSummary> = summaries
        .iter()
        .filter(|s| s.kind == EvidenceKind::PadReport)
        .collect();
    let mut shown: BTreeSet<u64> = BTreeSet::new();
    for section in pad.iter_mut() {
        // The newest pad-report entry about this campaign: the one this run recorded or an
        // earlier run did, with the same campaign bytes.
        let digest = section.digest.to_hex();
        let entry = reports
            .iter()
            .filter(|s| s.meta.get("campaign_digest") == Some(&digest))
            .max_by_key(|s| s.index);
        section.ledger_index = entry.map(|s| s.index);
        section.issuer = entry.and_then(|s| s.signer_name.clone());
        section.standing = standing(entry.and_then(|s| judged.get(&s.index)));
        shown.extend(section.ledger_index);
    }
    for (index, j) in &judged {
        if j.decides.is_empty() || shown.contains(index) {
            continue;
        }
        let Some(summary) = reports.iter().find(|s| s.index == *index) else {
            continue;
        };
        let Ok(bytes) = ledger.blob(&summary.blob_digest) else {
            continue;
        };
        if bytes.len() > MAX_REPORT_BYTES {
            continue;
        }
        let Ok(report) = serde_json::from_slice::<assay_pad::PadReport>(&bytes) else {
            continue;
        };
        let digest = summary
            .meta
            .get("campaign_digest")
            .and_then(|d| d.parse::<Sha256Digest>().ok())
            .unwrap_or(summary.blob_digest);
        pad.push(PadSection {
            file: summary.file_name.clone(),
            digest,
            report,
            standing: standing(Some(j)),
            ledger_index: Some(*index),
            issuer: j.issuer.clone().or_else(|| summary.signer_name.clone()),
        });
        shown.insert(*index);
    }
    // The deciding report first; otherwise the order stays (case order, then ledger order).
    pad.sort_by_key(|p| !p.standing.decides);
}
