//! The meta facts a PAD report carries into the ledger, which rule packs judge (see the
//! evidence metadata contract in docs/architecture.md). One place, so `assay pad report
//! --record` and `assay assess` record the same facts.

use std::collections::BTreeMap;

use crate::manifest::Manifest;
use crate::report::{Outcome, PadReport};

/// `passed_schemes`, `failed_schemes`, `indeterminate_schemes`, `max_passed_level`,
/// `species_groups`, and `firmware_digest` when the report binds one.
pub fn evidence_meta(report: &PadReport) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    meta.insert(
        "passed_schemes".into(),
        report.schemes_with(Outcome::Pass).join(","),
    );
    meta.insert(
        "failed_schemes".into(),
        report.schemes_with(Outcome::Fail).join(","),
    );
    meta.insert(
        "indeterminate_schemes".into(),
        report.schemes_with(Outcome::Indeterminate).join(","),
    );
    meta.insert(
        "max_passed_level".into(),
        report.max_passed_level().to_string(),
    );
    meta.insert(
        "species_groups".into(),
        report.campaign.species_groups.join(","),
    );
    if let Some(d) = &report.firmware_digest {
        meta.insert("firmware_digest".into(), d.clone());
    }
    meta
}

/// Meta of a `pad-campaign` entry: the tested firmware and the lab, from the manifest.
pub fn campaign_meta(manifest: Option<&Manifest>) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    if let Some(m) = manifest {
        meta.insert("firmware_digest".into(), m.device.firmware_digest.clone());
        meta.insert("lab".into(), m.lab.name.clone());
        // The product identity, so a report about the same product on other firmware is
        // found (and shown as such) without an alias of its subject name.
        if let Some(model) = m
            .device
            .model
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            meta.insert("product_model".into(), model.to_string());
        }
        if let Some(v) = m
            .device
            .firmware_version
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            meta.insert("firmware_version".into(), v.to_string());
        }
    }
    meta
}

/// Meta of a `pad-report` entry: the campaign's facts, the report's verdicts, the campaign
/// blob's digest and the test days (`test_date` = the last, `test_start`), and from the test
/// report: `lab` (the lab file's name over the manifest's), `accreditation` ("BODY NUMBER"),
/// `report_id`, `sample_serials`, `sample_firmware_digests`, `sample_hardware_revisions`
/// (comma-joined, distinct, sorted) and `report_date` (the signature block's date).
pub fn report_meta(
    report: &PadReport,
    manifest: Option<&Manifest>,
    campaign_digest: &str,
) -> BTreeMap<String, String> {
    let mut meta = campaign_meta(manifest);
    meta.extend(evidence_meta(report));
    meta.insert("campaign_digest".into(), campaign_digest.to_string());
    if let Some(m) = manifest {
        meta.insert("test_date".into(), m.dates.end.clone());
        meta.insert("test_start".into(), m.dates.start.clone());
        if let Some(a) = m.lab.accreditation.as_deref().map(str::trim)
            && !a.is_empty()
        {
            meta.insert("accreditation".into(), a.to_string());
        }
    }
    // The lab file names the test organisation as it signs; its accreditation reference is
    // the one the report states.
    if let Some(lab) = &report.lab {
        meta.insert("lab".into(), lab.name.clone());
        if let Some(a) = &lab.accreditation {
            meta.insert("accreditation".into(), a.reference());
        }
        if let Some(id) = &lab.report_id {
            meta.insert("report_id".into(), id.clone());
        }
    }
    // The samples the report covers: serials, and each distinct firmware digest and hardware
    // revision among them (comma-joined, sorted, like the `test-sample` record's meta).
    if !report.samples.is_empty() {
        let distinct = |values: Vec<&str>| {
            let set: std::collections::BTreeSet<&str> =
                values.into_iter().filter(|v| !v.is_empty()).collect();
            set.into_iter().collect::<Vec<_>>().join(",")
        };
        meta.insert(
            "sample_serials".into(),
            distinct(report.samples.iter().map(|s| s.serial.as_str()).collect()),
        );
        let firmware = distinct(
            report
                .samples
                .iter()
                .filter_map(|s| s.firmware_digest.as_deref())
                .collect(),
        );
        if !firmware.is_empty() {
            meta.insert("sample_firmware_digests".into(), firmware);
        }
        let hardware = distinct(
            report
                .samples
                .iter()
                .filter_map(|s| s.hardware_revision.as_deref())
                .collect(),
        );
        if !hardware.is_empty() {
            meta.insert("sample_hardware_revisions".into(), hardware);
        }
    }
    if let Some(sig) = &report.signature {
        meta.insert("report_date".into(), sig.date.clone());
    }
    meta
}
