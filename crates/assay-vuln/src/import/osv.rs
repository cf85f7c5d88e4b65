//! OSV schema records (JSON or YAML; a single record or an array of records).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ParsedFile, Scalar};
use crate::advisory::{
    Advisory, AdvisoryFormat, Affected, Event, Range, RangeKind, ecosystem_from_osv,
};
use crate::finding::SeverityLevel;
use crate::version::Scheme;

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<OsvRecord>),
    One(Box<OsvRecord>),
}

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    references: Option<Vec<OsvReference>>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: Scalar,
}

#[derive(Deserialize)]
struct OsvReference {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<Scalar>>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    events: Vec<BTreeMap<String, Scalar>>,
}

const KNOWN_ECOSYSTEMS: &[&str] = &[
    "PyPI",
    "npm",
    "crates.io",
    "Go",
    "Maven",
    "Debian",
    "Packagist",
    "RubyGems",
    "NuGet",
    "Alpine",
    "Ubuntu",
    "Hex",
    "Pub",
    "Hackage",
    "CRAN",
    "SwiftURL",
    "GitHub Actions",
    "Linux",
    "OSS-Fuzz",
    "Android",
    "Rocky Linux",
    "AlmaLinux",
    "Red Hat",
    "SUSE",
    "openSUSE",
    "Photon OS",
    "Bitnami",
    "Chainguard",
    "Wolfi",
    "GIT",
    "ConanCenter",
    "Mageia",
    "MinimOS",
    "BellSoft Hardened Containers",
    "Echo",
    "Azure Linux",
    "openEuler",
];

pub(super) fn read_json(name: &str, bytes: &[u8], out: &mut ParsedFile) {
    match serde_json::from_slice::<OneOrMany>(bytes) {
        Ok(records) => push_all(name, records, out),
        // Untagged errors are vague; re-parse as a single record for a precise location.
        Err(_) => match serde_json::from_slice::<OsvRecord>(bytes) {
            Ok(record) => push_all(name, OneOrMany::One(Box::new(record)), out),
            Err(e) => out.warn(name, "-", format!("not a valid OSV record: {e}")),
        },
    }
}

pub(super) fn read_yaml(name: &str, bytes: &[u8], out: &mut ParsedFile) {
    match serde_norway::from_slice::<OsvRecord>(bytes) {
        Ok(record) => push_all(name, OneOrMany::One(Box::new(record)), out),
        Err(e) => out.warn(name, "-", format!("not a valid OSV record: {e}")),
    }
}

fn push_all(name: &str, records: OneOrMany, out: &mut ParsedFile) {
    match records {
        OneOrMany::One(record) => convert(name, *record, out),
        OneOrMany::Many(records) => {
            for record in records {
                convert(name, record, out);
            }
        }
    }
}

fn severities(list: Option<Vec<OsvSeverity>>, vectors: &mut Vec<String>) {
    for severity in list.unwrap_or_default() {
        if severity.kind.starts_with("CVSS") {
            let vector = severity.score.into_string();
            if !vectors.contains(&vector) {
                vectors.push(vector);
            }
        }
    }
}

fn convert(name: &str, record: OsvRecord, out: &mut ParsedFile) {
    let mut cvss_vectors = Vec::new();
    severities(record.severity, &mut cvss_vectors);
    let stated_level = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(SeverityLevel::parse);
    let mut affected_list = Vec::new();
    for (ai, affected) in record.affected.unwrap_or_default().into_iter().enumerate() {
        let Some(package) = affected.package else {
            out.warn(
                name,
                format!("affected[{ai}].package"),
                "missing: entry skipped",
            );
            continue;
        };
        let (Some(ecosystem), Some(package_name)) = (package.ecosystem, package.name) else {
            out.warn(
                name,
                format!("affected[{ai}].package"),
                "needs both `ecosystem` and `name`: entry skipped",
            );
            continue;
        };
        let base = crate::advisory::osv_ecosystem_base(&ecosystem);
        if !KNOWN_ECOSYSTEMS.contains(&base) {
            out.warn(
                name,
                format!("affected[{ai}].package.ecosystem"),
                format!("unknown ecosystem `{ecosystem}`: matched by explicit versions and generic version order"),
            );
        }
        severities(affected.severity, &mut cvss_vectors);
        let scheme = Scheme::for_ecosystem(&ecosystem_from_osv(&ecosystem));
        let mut ranges = Vec::new();
        for (ri, range) in affected.ranges.unwrap_or_default().into_iter().enumerate() {
            let kind = match range.kind.as_str() {
                "SEMVER" => RangeKind::Semver,
                "ECOSYSTEM" => RangeKind::Ecosystem,
                "GIT" => RangeKind::Git,
                other => {
                    out.warn(
                        name,
                        format!("affected[{ai}].ranges[{ri}].type"),
                        format!("unknown range type `{other}`: range skipped"),
                    );
                    continue;
                }
            };
            let mut events = Vec::new();
            for (ei, event) in range.events.into_iter().enumerate() {
                for (key, value) in event {
                    let value = value.into_string();
                    let field = format!("affected[{ai}].ranges[{ri}].events[{ei}].{key}");
                    let event = match key.as_str() {
                        "introduced" => Event::Introduced(value),
                        "fixed" => Event::Fixed(value),
                        "last_affected" => Event::LastAffected(value),
                        "limit" => Event::Limit(value),
                        other => {
                            out.warn(name, field, format!("unknown event `{other}`: ignored"));
                            continue;
                        }
                    };
                    let value = event.version();
                    let special = (matches!(event, Event::Introduced(_)) && value == "0")
                        || (matches!(event, Event::Limit(_)) && value == "*");
                    if kind != RangeKind::Git
                        && !special
                        && let Err(e) = scheme.parse(value)
                    {
                        out.warn(name, field, format!("{e}; this range cannot be evaluated"));
                    }
                    events.push(event);
                }
            }
            ranges.push(Range::Events {
                kind,
                repo: range.repo,
                events,
            });
        }
        let versions = affected
            .versions
            .unwrap_or_default()
            .into_iter()
            .map(Scalar::into_string)
            .collect();
        affected_list.push(Affected {
            ecosystem,
            name: package_name,
            purl: package.purl,
            ranges,
            versions,
        });
    }
    let summary = record
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| record.details.map(|d| first_line(&d)))
        .unwrap_or_default();
    out.advisories.push(Advisory {
        id: record.id,
        aliases: record.aliases.unwrap_or_default(),
        summary,
        published: record.published,
        withdrawn: record.withdrawn,
        informational: None,
        cvss_vectors,
        stated_score: None,
        stated_level,
        affected: affected_list,
        references: record
            .references
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.url)
            .collect(),
        format: AdvisoryFormat::Osv,
        source: name.to_string(),
    });
}

/// First line of a details text, trimmed to a summary length.
pub(super) fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut summary: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        summary.push('…');
    }
    summary
}
