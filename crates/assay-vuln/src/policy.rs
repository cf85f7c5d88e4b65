//! Remediation deadlines as data.
//!
//! A finding in the CISA KEV catalog takes the catalog's own `dueDate`, exactly as written.
//! Every other finding takes the first policy tier it fits (by severity and/or exploitation),
//! counted in days from the advisory's publication date (or from the scan date, if the
//! policy says `start = "scan"` or the advisory has no date).
//!
//! ```toml
//! start = "published"        # or "scan"
//! [[tier]]
//! name = "critical"
//! min_severity = "critical"
//! days = 15
//! [[tier]]
//! name = "high"
//! min_severity = "high"
//! days = 30
//! ```

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::finding::SeverityLevel;

/// What tier deadlines count from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeadlineStart {
    /// The advisory's publication date (falls back to the scan date when unknown).
    #[default]
    Published,
    /// The scan date.
    Scan,
}

/// One tier: a finding fits if it meets every condition given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    /// The finding's severity is at least this.
    #[serde(default)]
    pub min_severity: Option<SeverityLevel>,
    /// The finding is (true) or is not (false) known to be exploited (in the KEV catalog).
    #[serde(default)]
    pub known_exploited: Option<bool>,
    pub days: u32,
}

/// A deadline policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinePolicy {
    #[serde(default)]
    pub start: DeadlineStart,
    #[serde(default, rename = "tier")]
    pub tiers: Vec<Tier>,
}

/// Policy file errors.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("deadline policy {}: cannot read: {source}", crate::q(path))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "deadline policy {}: {}; see the format in `assay vuln scan --help`",
        crate::q(path),
        crate::qm(message)
    )]
    Parse { path: String, message: String },
}

impl Default for DeadlinePolicy {
    /// assay's default (not a regulation): critical 15 days, high 30, medium 90, low and
    /// unrated 180, from publication — the spans CISA's BOD 19-02 set for critical and high findings,
    /// extended to the lower levels.
    fn default() -> Self {
        let tier = |name: &str, level, days| Tier {
            name: name.to_string(),
            min_severity: Some(level),
            known_exploited: None,
            days,
        };
        DeadlinePolicy {
            start: DeadlineStart::Published,
            tiers: vec![
                tier("critical", SeverityLevel::Critical, 15),
                tier("high", SeverityLevel::High, 30),
                tier("medium", SeverityLevel::Medium, 90),
                tier("low", SeverityLevel::Low, 180),
                // Unrated findings (Go's database gives no severity) still get a deadline.
                Tier {
                    name: "unrated".into(),
                    min_severity: None,
                    known_exploited: None,
                    days: 180,
                },
            ],
        }
    }
}

impl DeadlinePolicy {
    pub fn from_toml(path: &str, text: &str) -> Result<DeadlinePolicy, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Parse {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<DeadlinePolicy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&path.display().to_string(), &text)
    }

    /// The first tier a finding fits.
    pub fn tier_for(&self, level: SeverityLevel, known_exploited: bool) -> Option<&Tier> {
        self.tiers.iter().find(|t| {
            t.min_severity.is_none_or(|min| level >= min)
                && t.known_exploited.is_none_or(|k| k == known_exploited)
        })
    }

    /// Due date of a finding under this policy: `(date, tier name)`.
    pub fn due_date(
        &self,
        level: SeverityLevel,
        known_exploited: bool,
        published: Option<&str>,
        scan_date: NaiveDate,
    ) -> Option<(NaiveDate, String)> {
        let tier = self.tier_for(level, known_exploited)?;
        let start = match self.start {
            DeadlineStart::Scan => scan_date,
            DeadlineStart::Published => published
                .and_then(parse_date_prefix)
                .filter(|d| *d >= EARLIEST_REAL_PUBLICATION)
                .unwrap_or(scan_date),
        };
        let due = start.checked_add_days(chrono::Days::new(u64::from(tier.days)))?;
        Some((due, tier.name.clone()))
    }
}

/// Publication dates before this are placeholders, not dates: Go's vulnerability database
/// writes `0001-01-01T00:00:00Z` for most entries. Such a finding's deadline counts from the
/// scan date instead (no CVE predates 1999; 1990 leaves room for older advisory ids).
pub const EARLIEST_REAL_PUBLICATION: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => panic!("valid constant date"),
};

/// `YYYY-MM-DD` at the start of an RFC 3339 timestamp or a plain date.
pub fn parse_date_prefix(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_publication_dates_count_from_the_scan() {
        let policy = DeadlinePolicy::default();
        let scan = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let (from_placeholder, _) = policy
            .due_date(
                SeverityLevel::High,
                false,
                Some("0001-01-01T00:00:00Z"),
                scan,
            )
            .expect("tier");
        let (from_none, _) = policy
            .due_date(SeverityLevel::High, false, None, scan)
            .expect("tier");
        assert_eq!(from_placeholder, from_none);
        assert!(from_placeholder > scan);
        let (from_real, _) = policy
            .due_date(
                SeverityLevel::High,
                false,
                Some("2024-03-01T10:00:00Z"),
                scan,
            )
            .expect("tier");
        assert!(
            from_real < scan,
            "a real 2024 date still counts from publication"
        );
    }

    #[test]
    fn tiers_in_order() {
        let policy = DeadlinePolicy::from_toml(
            "p.toml",
            "start = \"scan\"\n[[tier]]\nname = \"exploited\"\nknown_exploited = true\ndays = 7\n[[tier]]\nname = \"high\"\nmin_severity = \"high\"\ndays = 30\n",
        )
        .expect("valid policy");
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let due = policy
            .due_date(SeverityLevel::Critical, false, None, day)
            .expect("tier");
        assert_eq!(
            due,
            (
                NaiveDate::from_ymd_opt(2026, 12, 22).expect("date"),
                "high".into()
            )
        );
        assert_eq!(
            policy
                .due_date(SeverityLevel::Low, true, None, day)
                .map(|d| d.1),
            Some("exploited".into())
        );
        assert_eq!(policy.due_date(SeverityLevel::Low, false, None, day), None);
        let err = DeadlinePolicy::from_toml("p.toml", "[[tier]]\nname = \"x\"\ndays = \"soon\"\n");
        assert!(err.is_err());
    }
}
