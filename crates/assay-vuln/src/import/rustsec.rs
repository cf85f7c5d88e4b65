//! RustSec advisories: a Markdown file opening with a fenced TOML block (`[advisory]`,
//! `[versions]`, `[affected]`), then `# Title` and the description.

use serde::Deserialize;

use super::ParsedFile;
use crate::advisory::{Advisory, AdvisoryFormat, Affected, Range};
use crate::finding::SeverityLevel;

#[derive(Deserialize)]
struct Document {
    advisory: Section,
    #[serde(default)]
    versions: Option<Versions>,
}

#[derive(Deserialize)]
struct Section {
    id: String,
    package: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

pub(super) fn looks_like_rustsec(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(b"```toml")
}

/// Splits the file into (TOML front matter, Markdown body, line of the TOML's first line).
fn split(text: &str) -> Option<(&str, &str)> {
    let start = text.find("```toml")? + "```toml".len();
    let rest = &text[start..];
    let end = rest.find("\n```")?;
    Some((&rest[..end], &rest[end + 4..]))
}

pub(super) fn read(name: &str, bytes: &[u8], out: &mut ParsedFile) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        out.warn(name, "-", "not UTF-8 text");
        return;
    };
    let Some((front, body)) = split(text) else {
        out.warn(name, "-", "no closing ``` after the ```toml front matter");
        return;
    };
    let document: Document = match toml::from_str(front) {
        Ok(d) => d,
        Err(e) => {
            // toml's message carries the line and column inside the front matter, which
            // starts on line 2 of the file.
            out.warn(name, "-", format!("front matter (from line 2): {e}"));
            return;
        }
    };
    let advisory = document.advisory;
    let versions = document.versions.unwrap_or_default();
    for (field, list) in [
        ("versions.patched", &versions.patched),
        ("versions.unaffected", &versions.unaffected),
    ] {
        for (i, requirement) in list.iter().enumerate() {
            if let Err(e) = semver::VersionReq::parse(requirement) {
                out.warn(
                    name,
                    format!("{field}[{i}]"),
                    format!("`{requirement}` is not a Cargo version requirement: {e}"),
                );
            }
        }
    }
    let summary = body
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("# "))
        .map(|l| l.trim().to_string())
        .unwrap_or_default();
    // The database's `rust/` collection covers the toolchain (std, cargo, rustdoc), not
    // crates of the same names: cargo-audit never applies it to lockfile packages either.
    let toolchain = std::path::Path::new(name)
        .parent()
        .and_then(std::path::Path::parent)
        .and_then(std::path::Path::file_name)
        .is_some_and(|collection| collection == "rust");
    let ecosystem = if toolchain {
        "Rust-toolchain"
    } else {
        "crates.io"
    };
    let mut references = Vec::new();
    references.extend(advisory.url);
    references.extend(advisory.references);
    out.advisories.push(Advisory {
        id: advisory.id,
        aliases: advisory.aliases,
        summary,
        published: advisory.date,
        withdrawn: advisory.withdrawn,
        informational: advisory.informational,
        cvss_vectors: advisory.cvss.into_iter().collect(),
        stated_score: None,
        stated_level: advisory.severity.as_deref().and_then(SeverityLevel::parse),
        affected: vec![Affected {
            ecosystem: ecosystem.into(),
            name: advisory.package,
            purl: None,
            ranges: vec![Range::NotIn {
                patched: versions.patched,
                unaffected: versions.unaffected,
            }],
            versions: Vec::new(),
        }],
        references,
        format: AdvisoryFormat::Rustsec,
        source: name.to_string(),
    });
}
