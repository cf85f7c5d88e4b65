//! The campaign manifest (TOML): what was tested, by whom, when, and how to read the scores.
//!
//! ```toml
//! [device]
//! name = "Terminal X3"
//! model = "X3-F"                      # optional
//! firmware_version = "4.2.1"          # optional
//! firmware_digest = "sha256:9f86d0..." # sha256 of the tested sample's firmware image
//!
//! [lab]
//! name = "Example Biometrics Lab"
//! accreditation = "NVLAP 200000-0"    # optional
//!
//! [dates]
//! start = 2026-10-01
//! end = 2026-10-20
//!
//! [scoring]                           # all optional
//! schemes = ["ibeta-l2"]              # judged when --scheme is not given
//! criterion = "bpcer20"               # operating point for verdicts on scored campaigns
//! operating_threshold = 0.5           # the device's own threshold (overrides criterion)
//! polarity = "higher-is-bona-fide"    # or "lower-is-bona-fide"
//! tie = "bona-fide-at-threshold"      # or "attack-at-threshold"
//!
//! [species.latex-mask]                # optional: groups of a species (else inferred from its name)
//! groups = ["mask", "mask-3d"]
//! description = "full-face latex mask"          # optional
//! fabrication = "cast from a life mask, 3 days" # optional: how the instruments were made
//! attack_potential = "level 2"                  # optional: the species' attack potential rating
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{PadError, Result};
use crate::metrics::{Polarity, Tie};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// Lowercase hex sha256 (normalised on load; a `sha256:` prefix is accepted).
    pub firmware_digest: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accreditation: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dates {
    /// YYYY-MM-DD.
    pub start: String,
    /// YYYY-MM-DD: the test date recorded with the report.
    pub end: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polarity: Option<Polarity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tie: Option<Tie>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeciesInfo {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How the presentation attack instruments of this species were made (materials, method,
    /// time spent): shown in the test report; "not stated" when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fabrication: Option<String>,
    /// The attack potential rating of the species (e.g. "A", "level 2", "moderate"), as the
    /// lab rated it; "not stated" when absent (the campaign's per-row levels are shown then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_potential: Option<String>,
}

/// A campaign manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub device: Device,
    pub lab: Lab,
    pub dates: Dates,
    #[serde(default)]
    pub scoring: Scoring,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub species: BTreeMap<String, SpeciesInfo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDates {
    start: toml::Value,
    end: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    device: Device,
    lab: Lab,
    dates: RawDates,
    #[serde(default)]
    scoring: Scoring,
    #[serde(default)]
    species: BTreeMap<String, SpeciesInfo>,
}

/// Normalises a sha256 digest: lowercase hex, no prefix; `None` if it is not one.
pub fn normalise_digest(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let hex = lower.strip_prefix("sha256:").unwrap_or(&lower);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_string())
}

fn date(value: &toml::Value, field: &str, file: &str) -> Result<String> {
    let text = match value {
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let b = text.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok {
        Ok(text)
    } else {
        Err(PadError::Manifest {
            file: assay_core::quote(file, 400),
            message: format!(
                "dates.{field}: `{}` is not a date; write YYYY-MM-DD",
                assay_core::text::quote_short(&text)
            ),
        })
    }
}

impl Manifest {
    /// Parses and checks a manifest; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| PadError::Manifest {
            file: assay_core::quote(file, 400),
            message: crate::error::toml_message(&e, text),
        })?;
        let mut device = raw.device;
        device.firmware_digest =
            normalise_digest(&device.firmware_digest).ok_or_else(|| PadError::Manifest {
                file: assay_core::quote(file, 400),
                message: format!(
                    "device.firmware_digest: `{}` is not a sha256 digest; write the 64 hex digits of `sha256sum FIRMWARE`",
                    assay_core::text::quote_short(&device.firmware_digest)
                ),
            })?;
        let dates = Dates {
            start: date(&raw.dates.start, "start", file)?,
            end: date(&raw.dates.end, "end", file)?,
        };
        if dates.end < dates.start {
            return Err(PadError::Manifest {
                file: assay_core::quote(file, 400),
                message: format!("dates: end {} is before start {}", dates.end, dates.start),
            });
        }
        Ok(Manifest {
            device,
            lab: raw.lab,
            dates,
            scoring: raw.scoring,
            species: raw.species,
        })
    }
}

/// PAI species groups inferred from a species name when the manifest does not declare them.
/// The fixed vocabulary is `print`, `replay`, `mask`, plus `mask-3d` for 3D masks.
pub fn infer_groups(species: &str) -> Vec<String> {
    let n = species.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    let mut groups = Vec::new();
    if has(&["mask"]) {
        groups.push("mask".to_string());
        if has(&["3d", "silicone", "latex", "resin", "hyper", "rigid"]) {
            groups.push("mask-3d".to_string());
        }
    } else if has(&["replay", "video", "screen", "display", "tablet", "phone"]) {
        groups.push("replay".to_string());
    } else if has(&["print", "photo", "paper", "cutout"]) {
        groups.push("print".to_string());
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[device]
name = "Terminal X3"
firmware_digest = "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
[lab]
name = "Lab"
[dates]
start = 2026-10-01
end = "2026-10-20"
[species.latex-mask]
groups = ["mask", "mask-3d"]
"#;

    #[test]
    fn parses_and_normalises() {
        let m = Manifest::parse(GOOD, "m.toml").unwrap();
        assert_eq!(
            m.device.firmware_digest,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        assert_eq!(m.dates.start, "2026-10-01");
        assert_eq!(m.dates.end, "2026-10-20");
        assert_eq!(m.species["latex-mask"].groups, ["mask", "mask-3d"]);
    }

    #[test]
    fn bad_digest_is_named() {
        let bad = GOOD.replace("sha256:9F86", "9F86Z");
        let e = Manifest::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(
            e.contains("m.toml") && e.contains("device.firmware_digest"),
            "{e}"
        );
    }

    #[test]
    fn groups_inferred() {
        assert_eq!(infer_groups("latex-mask"), ["mask", "mask-3d"]);
        assert_eq!(infer_groups("paper-mask"), ["mask"]);
        assert_eq!(infer_groups("print-photo"), ["print"]);
        assert_eq!(infer_groups("video-replay"), ["replay"]);
        assert!(infer_groups("x0").is_empty());
    }
}
