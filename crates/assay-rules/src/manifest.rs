//! The subject manifest: a product or model described once, with the markets it targets.
//! See docs/rules.md for the format with examples.

use std::path::Path;

use assay_core::Sha256Digest;
use serde::{Deserialize, Serialize};

use crate::country;
use crate::error::{RulesError, display_path, parse_toml, read_file};
use crate::vocab::{Category, Function, SubjectKind, Use};
use assay_core::Day;

/// A product (device with firmware) or an AI model, as a compliance engineer declares it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubjectManifest {
    /// Stable identifier; evidence whose `subject` equals it (or one of `evidence_subjects`)
    /// is considered for this subject.
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub kind: SubjectKind,
    pub category: Category,
    #[serde(default)]
    pub functions: Vec<Function>,
    /// SHA-256 of the firmware that ships (devices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_digest: Option<Sha256Digest>,
    /// The hardware revision that ships (devices), compared with the revisions of the units a
    /// lab tested (`test-sample` evidence): "tested on hardware rev C; rev D ships".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_revision: Option<String>,
    /// SHA-256 of the build or component list (bill of materials) that ships (devices),
    /// compared with the tested units' `components_digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components_digest: Option<Sha256Digest>,
    /// SHA-256 of the model weights or release artefact (AI models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_digest: Option<Sha256Digest>,
    /// ISO 3166-1 alpha-2 code of the country the subject is made or developed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_origin: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    /// The product's model number as manufacturer and labs write it (`FG3D-200`): evidence
    /// whose `product_model` meta names it (a lab's PAD report on any firmware) is about this
    /// product, whatever subject name it was recorded under; the firmware is then compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_model: Option<String>,
    /// Other names under which evidence about this subject was recorded (a lab's sample name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_subjects: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelInfo>,
    #[serde(default, rename = "market")]
    pub markets: Vec<Market>,
}

/// One target market.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub country: String,
    #[serde(default)]
    pub uses: Vec<Use>,
    /// When the first shipment to this market is planned (feeds `before-export` deadlines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_export: Option<Day>,
}

/// What only AI models have.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    pub developer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_release: Option<Day>,
    #[serde(
        default,
        rename = "capability_claim",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub capability_claims: Vec<CapabilityClaim>,
}

/// A benchmark result the developer claims. `qualifying_threshold` is the score at which the
/// benchmark's owner says a model qualifies; it is absent while no such threshold is published.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CapabilityClaim {
    pub benchmark: String,
    pub score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifying_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl SubjectManifest {
    /// Reads and checks a manifest file.
    pub fn from_path(path: &Path) -> Result<SubjectManifest, RulesError> {
        let text = read_file(path)?;
        SubjectManifest::from_toml(&text, &display_path(path))
    }

    /// Parses and checks manifest text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<SubjectManifest, RulesError> {
        let manifest: SubjectManifest =
            parse_toml(text, file, "manifest", "the format is in docs/rules.md")?;
        manifest.check(file, text)?;
        Ok(manifest)
    }

    /// The digest evidence must carry to be "about this subject": firmware for devices,
    /// model digest for models.
    pub fn artefact_digest(&self) -> Option<Sha256Digest> {
        match self.kind {
            SubjectKind::Device => self.firmware_digest,
            SubjectKind::AiModel => self.model_digest,
        }
    }

    /// Whether evidence meta naming product model `model` is about this product: the
    /// manifest's `product_model` or one of its `skus`, compared ignoring case and surrounding
    /// blanks.
    pub fn is_product(&self, model: &str) -> bool {
        let model = model.trim();
        !model.is_empty()
            && self
                .product_model
                .iter()
                .chain(self.skus.iter())
                .any(|m| m.trim().eq_ignore_ascii_case(model))
    }

    /// The configuration that ships, on the dimensions a `test-sample` record records.
    pub fn shipped_config(&self) -> assay_core::ShippedConfig {
        assay_core::ShippedConfig {
            hardware_revision: self
                .hardware_revision
                .as_deref()
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_string),
            firmware_digest: self.artefact_digest().map(|d| d.to_hex()),
            components_digest: self.components_digest.map(|d| d.to_hex()),
        }
    }

    pub fn has_function(&self, function: Function) -> bool {
        self.functions.contains(&function)
    }

    pub fn market(&self, country: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.country == country)
    }

    /// Rules the TOML types cannot express.
    fn check(&self, file: &str, text: &str) -> Result<(), RulesError> {
        if self.id.trim().is_empty() {
            return Err(RulesError::invalid(
                file,
                "id",
                "is empty",
                "give the subject a stable id",
            ));
        }
        if let Some(c) = &self.country_of_origin
            && let Some((message, hint)) = country::problem(c)
        {
            return Err(
                RulesError::invalid(file, "country_of_origin", message, hint).at_value(text, c),
            );
        }
        for (i, m) in self.markets.iter().enumerate() {
            if let Some((message, hint)) = country::problem(&m.country) {
                return Err(RulesError::invalid(
                    file,
                    format!("market[{i}].country"),
                    message,
                    hint,
                )
                .at_value(text, &m.country));
            }
            if self.markets[..i].iter().any(|p| p.country == m.country) {
                return Err(RulesError::invalid(
                    file,
                    format!("market[{i}].country"),
                    format!("market `{}` is listed twice", m.country),
                    "merge the uses into one [[market]] entry",
                )
                .at_value(text, &m.country));
            }
        }
        match self.kind {
            SubjectKind::AiModel
                if self.hardware_revision.is_some() || self.components_digest.is_some() =>
            {
                return Err(RulesError::invalid(
                    file,
                    if self.hardware_revision.is_some() {
                        "hardware_revision"
                    } else {
                        "components_digest"
                    },
                    "an ai-model has no hardware",
                    "remove it, or set kind = \"device\"",
                ));
            }
            SubjectKind::AiModel if self.firmware_digest.is_some() => {
                return Err(RulesError::invalid(
                    file,
                    "firmware_digest",
                    "an ai-model has no firmware",
                    "use `model_digest` for the model artefact",
                ));
            }
            SubjectKind::Device if self.model_digest.is_some() || self.model.is_some() => {
                return Err(RulesError::invalid(
                    file,
                    if self.model.is_some() {
                        "model"
                    } else {
                        "model_digest"
                    },
                    "a device has no model section or model digest",
                    "use `firmware_digest`, or set kind = \"ai-model\"",
                ));
            }
            _ => {}
        }
        Ok(())
    }
}
