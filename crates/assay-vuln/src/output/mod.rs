//! Output writers: a [`ScanResult`](crate::ScanResult) out as SARIF 2.1.0 ([`sarif`]),
//! CycloneDX 1.5 VEX ([`cyclonedx_vex`]) or OpenVEX 0.2.0 ([`openvex`]).
//!
//! Every writer returns a `serde_json::Value` and is deterministic: the same scan gives the
//! same bytes (no clock, no random ids; identifiers are derived from the content), so outputs
//! can be diffed, snapshotted and recorded as evidence.

pub mod cyclonedx_vex;
pub mod openvex;
pub mod sarif;

use sha2::{Digest, Sha256};

use crate::component::Component;
use crate::finding::SeverityLevel;

/// Hex sha256 of `parts` joined by NUL, for stable identifiers.
pub(crate) fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update([0u8]);
        }
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The reference a component is known by in outputs: its purl, or `name@version`.
pub(crate) fn component_ref(component: &Component) -> String {
    match &component.purl {
        Some(purl) => purl.clone(),
        None => crate::sbom::purl::Purl::for_package(
            &component.ecosystem,
            &component.name,
            &component.version,
        )
        .to_string(),
    }
}

/// The file part of a [`Component::source`] (`file#/pointer` or `file:line`), and the line
/// when the source names one.
pub(crate) fn split_source(source: &str) -> (&str, Option<u64>) {
    if let Some((file, _pointer)) = source.split_once('#') {
        return (file, None);
    }
    if let Some((file, line)) = source.rsplit_once(':')
        && let Ok(line) = line.parse::<u64>()
    {
        return (file, Some(line));
    }
    (source, None)
}

pub(crate) fn severity_name(level: SeverityLevel) -> &'static str {
    level.as_str()
}
