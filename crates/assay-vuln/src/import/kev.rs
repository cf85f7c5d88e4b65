//! The CISA Known Exploited Vulnerabilities catalog (JSON feed).

use serde::Deserialize;

use super::ParsedFile;
use crate::finding::KevEntry;

#[derive(Deserialize)]
struct Catalog {
    vulnerabilities: Vec<serde_json::Value>,
}

pub(super) fn read(name: &str, bytes: &[u8], out: &mut ParsedFile) {
    let catalog: Catalog = match serde_json::from_slice(bytes) {
        Ok(c) => c,
        Err(e) => {
            out.warn(name, "-", format!("not a KEV catalog: {e}"));
            return;
        }
    };
    for (i, entry) in catalog.vulnerabilities.iter().enumerate() {
        let text = |key: &str| entry.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let (Some(cve_id), Some(due_date)) = (text("cveID"), text("dueDate")) else {
            out.warn(
                name,
                format!("vulnerabilities[{i}]"),
                "needs `cveID` and `dueDate`: entry skipped",
            );
            continue;
        };
        // Stored exactly as written; only checked so a typo is reported.
        if !is_iso_date(&due_date) {
            out.warn(
                name,
                format!("vulnerabilities[{i}].dueDate"),
                format!("`{due_date}` is not YYYY-MM-DD: kept as written"),
            );
        }
        out.kev.push(KevEntry {
            cve_id,
            due_date,
            date_added: text("dateAdded").unwrap_or_default(),
            known_ransomware_campaign_use: text("knownRansomwareCampaignUse"),
            required_action: text("requiredAction"),
        });
    }
}

pub(crate) fn is_iso_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() && text.len() == 10
}
