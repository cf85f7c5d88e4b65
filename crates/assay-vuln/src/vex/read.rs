//! Format detection and what the format readers share: locations, warnings, field errors.

use std::path::Path;

use serde_json::Value;

use super::{ProductMatcher, VexError, VexFormat, VexRead, VexStatement, VexWarning};
use crate::finding::VexStatus;
use crate::sbom::purl::Purl;

/// Reads a VEX document, detecting its format from its content.
pub fn read_vex(path: &Path) -> Result<VexRead, VexError> {
    let bytes = std::fs::read(path).map_err(|source| VexError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_vex_bytes(path, &bytes)
}

/// Reads a VEX document from memory; `path` names it in messages and statement sources.
pub fn read_vex_bytes(path: &Path, bytes: &[u8]) -> Result<VexRead, VexError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| VexError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut reader = Reader {
        path,
        display: path.display().to_string(),
        statements: Vec::new(),
        warnings: Vec::new(),
    };
    let format = if doc
        .get("document")
        .and_then(|d| d.get("csaf_version"))
        .is_some()
    {
        reader.csaf(&doc)?;
        VexFormat::CsafVex
    } else if doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
    {
        reader.openvex(&doc)?;
        VexFormat::OpenVex
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        reader.cyclonedx(&doc)?;
        VexFormat::CycloneDxVex
    } else {
        return Err(VexError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "no OpenVEX `@context`, CSAF `document.csaf_version` or CycloneDX `bomFormat`"
                .into(),
        });
    };
    Ok(VexRead {
        format,
        statements: reader.statements,
        warnings: reader.warnings,
    })
}

pub(super) struct Reader<'a> {
    pub(super) path: &'a Path,
    pub(super) display: String,
    pub(super) statements: Vec<VexStatement>,
    pub(super) warnings: Vec<VexWarning>,
}

pub(super) fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Reader<'_> {
    pub(super) fn at(&self, pointer: &str) -> String {
        format!("{}#{pointer}", self.display)
    }

    pub(super) fn warn(&mut self, pointer: &str, message: impl Into<String>) {
        self.warnings.push(VexWarning {
            location: self.at(pointer),
            message: message.into(),
        });
    }

    pub(super) fn field_error(
        &self,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> VexError {
        VexError::Field {
            path: self.path.to_path_buf(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    pub(super) fn array<'v>(
        &self,
        value: &'v Value,
        key: &str,
        pointer: &str,
    ) -> Result<&'v [Value], VexError> {
        match value.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.field_error(
                format!("{pointer}/{key}"),
                format!("`{key}` must be an array"),
            )),
        }
    }

    /// A product identifier string: a purl becomes a purl matcher; anything else is reported.
    pub(super) fn purl_matcher(&mut self, id: &str, pointer: &str) -> Option<ProductMatcher> {
        match Purl::parse(id) {
            Ok(purl) => Some(ProductMatcher::Purl(purl)),
            Err(e) if id.starts_with("pkg:") => {
                self.warn(pointer, format!("package URL `{id}` {e}: product ignored"));
                None
            }
            Err(_) => {
                self.warn(
                    pointer,
                    format!("product `{id}` is not a package URL and has no purl identifier; it cannot be matched to components: ignored"),
                );
                None
            }
        }
    }
}

pub(super) fn parse_openvex_status(status: &str) -> Option<VexStatus> {
    match status {
        "not_affected" => Some(VexStatus::NotAffected),
        "affected" => Some(VexStatus::Affected),
        "fixed" => Some(VexStatus::Fixed),
        "under_investigation" => Some(VexStatus::UnderInvestigation),
        _ => None,
    }
}
