//! Third-party retests in an assessment (docs/retest.md): the facts recorded for
//! `evidence/test-sample/`, `evidence/lab-booking/` and `evidence/prior-validation/` files
//! (parsed by `assay_core::sample`, never taken on trust from a sidecar), the retest section
//! of the assessment, and the lab bookings the delivery plan uses instead of estimates.

use std::collections::BTreeMap;

use assay_core::{
    Day, EvidenceKind, IssuerRole, LabBooking, PriorValidation, TestSample, TestedConfig,
};
use assay_report::RetestSection;
use assay_report::retest::{BookingRow, LabReportRow, PriorRow, SampleRow};
use assay_rules::{Evaluation, EvidenceRecord, EvidenceVerdict, SubjectManifest};

/// The meta facts of a retest record read from the case folder, or why it is refused (named
/// file, field and line; a booking whose dates have passed on the assessment day is refused
/// too). `None` for the other evidence kinds.
pub(crate) fn record_meta(
    kind: EvidenceKind,
    rel: &str,
    bytes: &[u8],
    today: Day,
) -> Option<Result<BTreeMap<String, String>, String>> {
    if !matches!(
        kind,
        EvidenceKind::TestSample | EvidenceKind::LabBooking | EvidenceKind::PriorValidation
    ) {
        return None;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some(Err(format!(
            "{rel}: not UTF-8 text; a {kind} record is a TOML file (docs/retest.md)"
        )));
    };
    Some(match kind {
        EvidenceKind::TestSample => TestSample::from_toml(text, rel)
            .map(|s| s.meta())
            .map_err(|e| e.to_string()),
        EvidenceKind::PriorValidation => PriorValidation::from_toml(text, rel)
            .map(|p| p.meta())
            .map_err(|e| e.to_string()),
        _ => LabBooking::from_toml(text, rel)
            .map_err(|e| e.to_string())
            .and_then(|b| match b.past_as_of(today) {
                None => Ok(b.meta()),
                Some((field, day)) => Err(format!(
                    "{rel}: field `{field}`: the booking is in the past: {day} is before the assessment date {today}\n  hint: record the lab's report if the test took place, or the new booking's dates"
                )),
            }),
    })
}

fn signer(r: &EvidenceRecord) -> String {
    r.signer_name
        .clone()
        .unwrap_or_else(|| format!("key {}", r.signer_key_id))
}

fn is_lab(r: &EvidenceRecord) -> bool {
    r.signer_role == Some(IssuerRole::Lab) && !r.signer_is_own
}

fn get<'a>(r: &'a EvidenceRecord, key: &str) -> &'a str {
    r.meta.get(key).map(String::as_str).unwrap_or("")
}

fn short(d: &str) -> &str {
    d.get(..12).unwrap_or(d)
}

/// The retest section of an assessment: every sample record (once per file, with who handed
/// it over and which lab acknowledged it), booking, prior validation and PAD report among the
/// subject's evidence. `None` when there is none.
pub(crate) fn section(
    records: &[EvidenceRecord],
    manifest: &SubjectManifest,
    evaluation: &Evaluation,
    today: Day,
) -> Option<RetestSection> {
    let shipped = manifest.shipped_config();
    let mut r = RetestSection::default();

    let mut by_file: BTreeMap<String, Vec<&EvidenceRecord>> = BTreeMap::new();
    for rec in records
        .iter()
        .filter(|x| x.kind == EvidenceKind::TestSample)
    {
        by_file
            .entry(rec.blob_digest.to_hex())
            .or_default()
            .push(rec);
    }
    for (digest, recs) in &by_file {
        let first = recs[0];
        let handed_over_by = recs
            .iter()
            .find(|x| !is_lab(x) && (x.signer_is_own || x.signer_role.is_some()))
            .map(|x| signer(x));
        let acknowledged_by = recs.iter().find(|x| is_lab(x)).map(|x| signer(x));
        r.samples.push(SampleRow {
            digest: digest.clone(),
            lab: get(first, "lab").to_string(),
            handed_over: get(first, "handed_over").to_string(),
            units: get(first, "units").to_string(),
            serials: get(first, "serials").to_string(),
            hardware_revisions: get(first, "hardware_revisions").to_string(),
            firmware: get(first, "firmware_digests")
                .split(',')
                .map(short)
                .collect::<Vec<_>>()
                .join(", "),
            handed_over_by,
            acknowledged_by,
            differences: assay_core::coverage_gaps(&TestedConfig::from_meta(&first.meta), &shipped),
        });
    }

    for rec in records
        .iter()
        .filter(|x| x.kind == EvidenceKind::LabBooking)
    {
        let day = |k: &str| Day::parse(get(rec, k));
        let (Some(sample_due), Some(test_start), Some(report_due)) =
            (day("sample_due"), day("test_start"), day("report_due"))
        else {
            continue;
        };
        let passed = (sample_due < today).then(|| {
            format!(
                "the samples were due {sample_due}, before {today}; record the lab's report if the test took place, or the new booking"
            )
        });
        let row = BookingRow {
            lab: get(rec, "lab").to_string(),
            scheme: get(rec, "scheme").to_string(),
            markets: get(rec, "markets")
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(String::from)
                .collect(),
            species: get(rec, "species").to_string(),
            sample_due,
            test_start,
            report_due,
            hardware_revision: rec.meta.get("hardware_revision").cloned(),
            reference: rec.meta.get("reference").cloned(),
            signer: signer(rec),
            passed,
        };
        // The same booking recorded twice (re-signed, imported) is listed once.
        if !r.bookings.contains(&row) {
            r.bookings.push(row);
        }
    }

    for rec in records
        .iter()
        .filter(|x| x.kind == EvidenceKind::PriorValidation)
    {
        let status = if is_lab(rec) {
            format!(
                "declared, not verified: facts typed in by hand from {}; signed by {}, but assay never read the report itself",
                get(rec, "source_file"),
                signer(rec)
            )
        } else {
            format!(
                "declared, not verified: facts typed in by hand from {}; no trusted lab signed them",
                get(rec, "source_file")
            )
        };
        r.prior.push(PriorRow {
            lab: get(rec, "lab").to_string(),
            scheme: get(rec, "scheme").to_string(),
            report_date: get(rec, "report_date").to_string(),
            source_file: get(rec, "source_file").to_string(),
            stated_outcome: rec.meta.get("stated_outcome").cloned(),
            species: get(rec, "species").to_string(),
            signer: signer(rec),
            status,
        });
    }

    for rec in records.iter().filter(|x| x.kind == EvidenceKind::PadReport) {
        let issuer = match (rec.signer_role, rec.signer_is_own) {
            (Some(IssuerRole::Lab), false) => "third-party lab".to_string(),
            (_, true) => "this workspace's own key: the manufacturer's own test".to_string(),
            (Some(role), false) => format!("{role}: not a third party"),
            (None, false) => "a key this workspace does not trust".to_string(),
        };
        let fw = rec
            .meta
            .get("firmware_digest")
            .map(|d| short(d).to_string());
        // Hardware: the samples the report's signer acknowledged.
        let acked: Vec<&SampleRow> = by_file
            .iter()
            .filter(|(_, recs)| {
                recs.iter()
                    .any(|x| is_lab(x) && x.signer_key_id == rec.signer_key_id)
            })
            .filter_map(|(d, _)| r.samples.iter().find(|s| s.digest == *d))
            .collect();
        let covers = match (&fw, acked.as_slice()) {
            (None, _) => "no firmware (the report binds none)".to_string(),
            (Some(f), []) => {
                format!("firmware {f}; no samples acknowledged by its signer tie it to hardware")
            }
            (Some(f), samples) => format!(
                "firmware {f} on hardware rev {} ({} units handed over {})",
                samples
                    .iter()
                    .map(|s| s.hardware_revisions.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                samples
                    .iter()
                    .map(|s| s.units.as_str())
                    .collect::<Vec<_>>()
                    .join(" + "),
                samples
                    .iter()
                    .map(|s| s.handed_over.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut counts_in: Vec<String> = Vec::new();
        let mut judged_in: Vec<String> = Vec::new();
        let mut not_counting = None;
        for pr in &evaluation.results {
            for o in &pr.obligations {
                for t in o.evidence.iter().filter(|t| t.ledger_index == rec.index) {
                    if !judged_in.iter().any(|m| **m == *pr.market) {
                        judged_in.push(pr.market.to_string());
                    }
                    match t.verdict {
                        EvidenceVerdict::Counts | EvidenceVerdict::Expiring => {
                            if !counts_in.iter().any(|m| **m == *pr.market) {
                                counts_in.push(pr.market.to_string());
                            }
                        }
                        _ => {
                            if not_counting.is_none() {
                                not_counting = t
                                    .why
                                    .iter()
                                    .find(|w| !w.starts_with("newest eligible"))
                                    .cloned();
                            }
                        }
                    }
                }
            }
        }
        r.lab_reports.push(LabReportRow {
            digest: rec.blob_digest.to_hex(),
            signer: signer(rec),
            issuer,
            dated: rec
                .meta
                .get("test_date")
                .cloned()
                .or_else(|| Day::parse(&rec.recorded_at).map(|d| d.to_string())),
            passed_schemes: get(rec, "passed_schemes").to_string(),
            failed_schemes: get(rec, "failed_schemes").to_string(),
            covers,
            counts_in,
            judged_in,
            not_counting: not_counting.map(|w| assay_core::quote(&w, 300)),
        });
    }
    // Only cases about retests get the section: a PAD report alone is shown as before.
    let about_retests = !r.samples.is_empty() || !r.bookings.is_empty() || !r.prior.is_empty();
    about_retests.then_some(r)
}

/// The bookings the plan uses: not passed, each with the markets it serves (empty: all).
pub(crate) fn booked_slots(
    section: Option<&RetestSection>,
) -> Vec<(Vec<String>, assay_plan::BookedSlot)> {
    let Some(s) = section else {
        return Vec::new();
    };
    let mut slots: Vec<(Vec<String>, assay_plan::BookedSlot)> = s
        .bookings
        .iter()
        .filter(|b| b.passed.is_none())
        .map(|b| {
            (
                b.markets.clone(),
                assay_plan::BookedSlot {
                    lab: b.lab.clone(),
                    scheme: b.scheme.clone(),
                    reference: b.reference.clone(),
                    sample_due: b.sample_due,
                    test_start: b.test_start,
                    report_due: b.report_due,
                },
            )
        })
        .collect();
    // The earliest report first: the plan uses the first booking serving a market.
    slots.sort_by_key(|(_, s)| (s.report_due, s.lab.clone()));
    slots
}
