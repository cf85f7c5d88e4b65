//! CycloneDX JSON, specification 1.2 to 1.6.
//!
//! Mapping: every object in `components` (recursively through nested `components`) is one
//! component; `metadata.component` is the product the BOM describes, not a part of it, and is
//! not listed. A valid `purl` decides ecosystem, name (`group:artifact` for Maven, `@scope/name`
//! for npm) and, when `version` is absent, the version. Without a purl the component keeps its
//! `group/name` and `version` under ecosystem `Other("generic")` (a `pkg:generic` purl is
//! derived), or `Other("machine-learning-model")`/`Other("data")` for the 1.5+ AI types, which
//! are kept even without a version.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::{ReadContext, SbomEntry, SbomError};
use crate::component::Ecosystem;

/// The fields a component reader needs, borrowed from the input where possible. Large SBOMs
/// are mostly hashes, licenses and descriptions: deserialising only these fields (serde skips
/// the rest without building values) is several times faster than a `serde_json::Value` tree.
/// A document that does not fit this shape is re-read as a `Value` to name the bad field.
#[derive(Deserialize)]
struct FastBom<'a> {
    #[serde(borrow, rename = "specVersion")]
    spec_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    components: Option<Vec<FastComponent<'a>>>,
}

#[derive(Deserialize)]
struct FastComponent<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    group: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    purl: Option<Cow<'a, str>>,
    #[serde(borrow)]
    components: Option<Vec<FastComponent<'a>>>,
}

/// Reads `text` through the borrowed fast path; `None` when it does not fit (the caller then
/// parses a `Value` and [`read`] reports the exact location).
pub(crate) fn read_fast(text: &str, ctx: &mut ReadContext<'_>) -> Option<Result<(), SbomError>> {
    let bom: FastBom<'_> = serde_json::from_str(text).ok()?;
    if let Err(e) = check_spec_version(bom.spec_version.as_deref(), ctx) {
        return Some(Err(e));
    }
    if let Some(components) = &bom.components {
        read_fast_list(components, "/components", ctx);
    }
    Some(Ok(()))
}

fn read_fast_list(items: &[FastComponent<'_>], pointer: &str, ctx: &mut ReadContext<'_>) {
    for (i, item) in items.iter().enumerate() {
        let (fallback_ecosystem, keep_without_version) =
            fallback(item.kind.as_deref().unwrap_or("library"));
        let entry = SbomEntry {
            name: item.name.as_deref(),
            group: item.group.as_deref(),
            version: item.version.as_deref(),
            purl: item.purl.as_deref(),
            fallback_ecosystem,
            keep_without_version,
        };
        let location = ctx.at(format_args!("#{pointer}/{i}"));
        if let Some(component) = ctx.sbom_component(entry, location) {
            ctx.components.push(component);
        }
        if let Some(nested) = &item.components {
            read_fast_list(nested, &format!("{pointer}/{i}/components"), ctx);
        }
    }
}

fn fallback(kind: &str) -> (Ecosystem, bool) {
    match kind {
        "machine-learning-model" => (Ecosystem::Other("machine-learning-model".into()), true),
        "data" => (Ecosystem::Other("data".into()), true),
        _ => (Ecosystem::Other("generic".into()), false),
    }
}

fn check_spec_version(version: Option<&str>, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    match version {
        Some(v) if KNOWN_SPEC_VERSIONS.contains(&v) => {}
        Some(v @ ("1.0" | "1.1")) => {
            return Err(SbomError::Unsupported {
                path: ctx.path.to_path_buf(),
                what: format!("CycloneDX {v} (an XML-only version)"),
                hint: "regenerate the SBOM as CycloneDX 1.4 or later".to_string(),
            });
        }
        Some(v) => ctx.warn(
            ctx.at("#/specVersion"),
            format!("CycloneDX specVersion `{v}` is newer than 1.6; reading it with the 1.6 component model"),
        ),
        None => ctx.warn(ctx.at("#/specVersion"), "no specVersion; reading it with the 1.6 component model"),
    }
    Ok(())
}

/// Spec versions whose component model this reader follows.
const KNOWN_SPEC_VERSIONS: [&str; 5] = ["1.2", "1.3", "1.4", "1.5", "1.6"];

pub(crate) fn read(doc: &Value, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let Some(root) = doc.as_object() else {
        return Err(ctx.field_error("", "a CycloneDX document must be a JSON object"));
    };
    check_spec_version(root.get("specVersion").and_then(Value::as_str), ctx)?;
    match root.get("components") {
        None | Some(Value::Null) => Ok(()),
        Some(list) => read_list(list, "/components", ctx),
    }
}

fn read_list(list: &Value, pointer: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let Some(items) = list.as_array() else {
        return Err(ctx.field_error(
            pointer,
            "`components` must be an array of component objects",
        ));
    };
    for (i, item) in items.iter().enumerate() {
        let here = format!("{pointer}/{i}");
        let Some(obj) = item.as_object() else {
            return Err(ctx.field_error(here, "a component must be a JSON object"));
        };
        let text = |key: &str| ctx.optional_str(obj, &here, key);
        let (fallback_ecosystem, keep_without_version) =
            fallback(text("type")?.unwrap_or("library"));
        let entry = SbomEntry {
            name: text("name")?,
            group: text("group")?,
            version: text("version")?,
            purl: text("purl")?,
            fallback_ecosystem,
            keep_without_version,
        };
        let location = ctx.at(format_args!("#{here}"));
        if let Some(component) = ctx.sbom_component(entry, location) {
            ctx.components.push(component);
        }
        if let Some(nested) = obj.get("components").filter(|v| !v.is_null()) {
            read_list(nested, &format!("{here}/components"), ctx)?;
        }
    }
    Ok(())
}
