//! The meta facts a scan result carries into the ledger, which rule packs judge (see the
//! evidence metadata contract in docs/architecture.md). One place, so `assay vuln scan
//! --record` and `assay assess` record the same facts.

use std::collections::BTreeMap;

use crate::finding::ScanResult;

/// `components`, `findings`, `kev_open`, `kev_overdue`, `kev_earliest_due`, `max_severity`,
/// `scan_date` (the caller adds `sbom_digest`).
pub fn evidence_meta(result: &ScanResult) -> BTreeMap<String, String> {
    let s = &result.summary;
    BTreeMap::from([
        ("components".to_string(), s.components.to_string()),
        ("findings".to_string(), s.findings.to_string()),
        ("kev_open".to_string(), s.kev_open.to_string()),
        ("kev_overdue".to_string(), s.kev_overdue.to_string()),
        (
            "kev_earliest_due".to_string(),
            s.kev_earliest_due.clone().unwrap_or_default(),
        ),
        (
            "max_severity".to_string(),
            s.max_severity.as_str().to_string(),
        ),
        ("scan_date".to_string(), result.scan_date.clone()),
    ])
}
