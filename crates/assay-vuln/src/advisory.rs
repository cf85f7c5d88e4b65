//! The advisory model every source is read into: the OSV schema's shape (id, aliases,
//! affected packages with ranges of events and explicit version lists), plus RustSec's
//! "not in any patched/unaffected requirement" rule and CSAF's product statuses expressed
//! the same way.

use serde::{Deserialize, Serialize};

use crate::component::Ecosystem;
use crate::finding::SeverityLevel;

/// Where an advisory was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdvisoryFormat {
    Osv,
    Rustsec,
    Csaf,
}

/// One vulnerability advisory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    /// Publication date (`YYYY-MM-DD...` as written), the start of policy deadlines.
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the source withdrew the advisory; withdrawn advisories never match.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// RustSec `informational` kind (`unmaintained`, `unsound`, `notice`): not a vulnerability.
    #[serde(default)]
    pub informational: Option<String>,
    /// CVSS vectors as written (`CVSS:3.1/...`, `CVSS:4.0/...`, v2 vectors).
    #[serde(default)]
    pub cvss_vectors: Vec<String>,
    /// A base score the source stated (CSAF), when it gave one.
    #[serde(default)]
    pub stated_score: Option<f64>,
    /// Qualitative rating the source stated (e.g. GitHub's `database_specific.severity`).
    #[serde(default)]
    pub stated_level: Option<SeverityLevel>,
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub references: Vec<String>,
    pub format: AdvisoryFormat,
    /// File (and entry in an archive) it came from.
    pub source: String,
}

/// One affected package of an advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// Ecosystem as written (`PyPI`, `Go`, `crates.io`, `Debian:12`, ...); `*` for CSAF
    /// products without a package URL, matched by name in any ecosystem.
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// OSV range types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeKind {
    Semver,
    Ecosystem,
    Git,
}

impl RangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Semver => "SEMVER",
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Git => "GIT",
        }
    }
}

/// An OSV range event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Event::Introduced(_) => "introduced",
            Event::Fixed(_) => "fixed",
            Event::LastAffected(_) => "last_affected",
            Event::Limit(_) => "limit",
        }
    }
}

/// A range of affected versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Range {
    /// An OSV range: events in the order written (the matcher sorts them).
    Events {
        kind: RangeKind,
        #[serde(default)]
        repo: Option<String>,
        events: Vec<Event>,
    },
    /// RustSec: affected unless the version satisfies one of these Cargo requirements
    /// (`patched` and `unaffected` together), e.g. `>= 1.6.1` or `>= 0.6.14, < 1.0.0`.
    NotIn {
        patched: Vec<String>,
        unaffected: Vec<String>,
    },
}

impl Range {
    /// The range as written, for reports.
    pub fn text(&self) -> (String, String) {
        match self {
            Range::Events { kind, events, .. } => {
                let text = events
                    .iter()
                    .map(|e| format!("{} {}", e.label(), e.version()))
                    .collect::<Vec<_>>()
                    .join(", ");
                (kind.as_str().to_string(), text)
            }
            Range::NotIn {
                patched,
                unaffected,
            } => {
                let mut parts = Vec::new();
                if !patched.is_empty() {
                    parts.push(format!("patched: {}", patched.join(" | ")));
                }
                if !unaffected.is_empty() {
                    parts.push(format!("unaffected: {}", unaffected.join(" | ")));
                }
                ("RUSTSEC".to_string(), parts.join("; "))
            }
        }
    }

    /// Versions this range names as fixing the vulnerability.
    pub fn fixed_versions(&self) -> Vec<String> {
        match self {
            Range::Events { events, .. } => events
                .iter()
                .filter_map(|e| match e {
                    Event::Fixed(v) => Some(v.clone()),
                    _ => None,
                })
                .collect(),
            // The lower bound of each patched requirement (`>= 1.6.1`, `^1.2.3`) is the
            // first fixed version of that line.
            Range::NotIn { patched, .. } => patched
                .iter()
                .filter_map(|req| {
                    let first = req.split(',').next()?.trim();
                    let version = first.trim_start_matches(['>', '=', '^', '~', ' ']);
                    (first.starts_with(">=")
                        || first.starts_with('^')
                        || first.starts_with('~')
                        || first.starts_with('='))
                    .then(|| version.trim().to_string())
                })
                .collect(),
        }
    }
}

/// OSV name of a component's ecosystem, the key the index files advisories under.
pub fn ecosystem_key(ecosystem: &Ecosystem) -> String {
    match ecosystem {
        Ecosystem::PyPI => "PyPI".into(),
        Ecosystem::Npm => "npm".into(),
        Ecosystem::CratesIo => "crates.io".into(),
        Ecosystem::Go => "Go".into(),
        Ecosystem::Maven => "Maven".into(),
        Ecosystem::Debian => "Debian".into(),
        Ecosystem::Packagist => "Packagist".into(),
        Ecosystem::RubyGems => "RubyGems".into(),
        Ecosystem::NuGet => "NuGet".into(),
        Ecosystem::Other(name) => osv_ecosystem_base(name).to_string(),
    }
}

/// OSV ecosystems may carry a release suffix (`Debian:12`, `Alpine:v3.18`); the base names
/// the version order and the package namespace.
pub fn osv_ecosystem_base(name: &str) -> &str {
    name.split(':').next().unwrap_or(name).trim()
}

/// The ecosystem an OSV name denotes.
pub fn ecosystem_from_osv(name: &str) -> Ecosystem {
    match osv_ecosystem_base(name) {
        "PyPI" | "pypi" => Ecosystem::PyPI,
        "npm" => Ecosystem::Npm,
        "crates.io" | "cargo" => Ecosystem::CratesIo,
        "Go" | "golang" => Ecosystem::Go,
        "Maven" | "maven" => Ecosystem::Maven,
        "Debian" | "deb" => Ecosystem::Debian,
        "Packagist" | "composer" => Ecosystem::Packagist,
        "RubyGems" | "gem" => Ecosystem::RubyGems,
        "NuGet" | "nuget" => Ecosystem::NuGet,
        other => Ecosystem::Other(other.to_string()),
    }
}

/// The OSV ecosystem of a package URL type (`pkg:pypi/...` -> PyPI).
pub fn ecosystem_from_purl_type(purl_type: &str) -> Option<Ecosystem> {
    Some(match purl_type.to_ascii_lowercase().as_str() {
        "pypi" => Ecosystem::PyPI,
        "npm" => Ecosystem::Npm,
        "cargo" => Ecosystem::CratesIo,
        "golang" => Ecosystem::Go,
        "maven" => Ecosystem::Maven,
        "deb" => Ecosystem::Debian,
        "composer" => Ecosystem::Packagist,
        "gem" => Ecosystem::RubyGems,
        "nuget" => Ecosystem::NuGet,
        _ => return None,
    })
}

/// Splits a package URL into (ecosystem, package name as OSV writes it, version).
/// Maven names become `group:artifact`, Go and npm scoped names keep their namespace.
pub fn parse_purl(purl: &str) -> Option<(Ecosystem, String, Option<String>)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (path, version) = match rest.rsplit_once('@') {
        Some((p, v)) if !p.is_empty() => (p, Some(percent_decode(v))),
        _ => (rest, None),
    };
    let (purl_type, name_path) = path.split_once('/')?;
    let ecosystem = ecosystem_from_purl_type(purl_type)
        .unwrap_or_else(|| Ecosystem::Other(purl_type.to_string()));
    let segments: Vec<String> = name_path.split('/').map(percent_decode).collect();
    let name = match ecosystem {
        Ecosystem::Maven => segments.join(":"),
        // deb purls carry the distribution as namespace (`pkg:deb/debian/openssl`).
        Ecosystem::Debian => segments.last()?.clone(),
        _ => segments.join("/"),
    };
    Some((ecosystem, name, version))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Package name as the index keys it: PyPI names normalised per PEP 503 (case, and runs of
/// `-`, `_`, `.`), everything else compared case-insensitively.
pub fn name_key(ecosystem_key: &str, name: &str) -> String {
    let lower = name.trim().to_lowercase();
    if ecosystem_key == "PyPI" {
        let mut out = String::with_capacity(lower.len());
        let mut last_sep = false;
        for c in lower.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !last_sep {
                    out.push('-');
                }
                last_sep = true;
            } else {
                out.push(c);
                last_sep = false;
            }
        }
        out
    } else {
        lower
    }
}

/// CVSS v3.x base score from a vector, per the CVSS v3.1 specification's formulas.
/// `None` for other versions or malformed vectors. Kept for callers of the old path: the
/// strict parser and every version are in [`crate::cvss`].
pub fn cvss3_base_score(vector: &str) -> Option<f64> {
    let parsed = crate::cvss::Vector::parse(vector).ok()?;
    matches!(
        parsed.version(),
        crate::cvss::CvssVersion::V3_0 | crate::cvss::CvssVersion::V3_1
    )
    .then(|| parsed.base_score())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores_match_nvd() {
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
            Some(6.1)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"),
            Some(5.5)
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N"),
            Some(0.0)
        );
        assert_eq!(cvss3_base_score("CVSS:4.0/AV:N"), None);
    }

    #[test]
    fn purls() {
        assert_eq!(
            parse_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            Some((
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core".into(),
                Some("2.14.1".into())
            ))
        );
        assert_eq!(
            parse_purl("pkg:npm/%40angular/core@12.0.0"),
            Some((
                Ecosystem::Npm,
                "@angular/core".into(),
                Some("12.0.0".into())
            ))
        );
        assert_eq!(name_key("PyPI", "Foo__Bar.baz"), "foo-bar-baz");
    }
}
