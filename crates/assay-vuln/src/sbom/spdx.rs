//! SPDX: 2.2/2.3 JSON, 2.x tag-value, and 3.0 JSON-LD (software, AI and dataset profiles).
//!
//! Mapping, SPDX 2: every `packages[]` entry (tag-value: every `PackageName:` block) is one
//! component, the described root package included, since SPDX keeps no separate "subject"
//! section. The first external reference of type `purl` decides ecosystem and name;
//! `versionInfo` (`PackageVersion:`) is the version, the purl's version when absent. Files and
//! snippets are not components.
//!
//! Mapping, SPDX 3.0: every `@graph` element of type `software_Package` is a component
//! (`software_packageVersion`, `software_packageUrl` or an `externalIdentifier` of type
//! `packageUrl`); `ai_AIPackage` and `dataset_DatasetPackage` elements become components of
//! ecosystem `Other("ai-model")` and `Other("dataset")`, kept even without a version so that an
//! AI BOM's models and data sets are listed (no advisory range can match them).

use serde_json::Value;

use super::{ReadContext, SbomEntry, SbomError, SbomFormat};
use crate::component::Ecosystem;

pub(crate) fn read_v2_json(doc: &Value, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let Some(root) = doc.as_object() else {
        return Err(ctx.field_error("", "an SPDX document must be a JSON object"));
    };
    let version = root
        .get("spdxVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if version.starts_with("SPDX-3") {
        return Err(SbomError::Unsupported {
            path: ctx.path.to_path_buf(),
            what: format!("{version} without a JSON-LD `@context`"),
            hint: "SPDX 3 documents are JSON-LD with an `@graph`; regenerate it with the 3.0 serialisation".into(),
        });
    }
    if !version.starts_with("SPDX-2") {
        ctx.warn(
            ctx.at("#/spdxVersion"),
            format!("spdxVersion `{version}` is not SPDX-2.x; reading it as SPDX 2.3"),
        );
    }
    let packages = match root.get("packages") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ctx.field_error("/packages", "`packages` must be an array")),
    };
    for (i, package) in packages.iter().enumerate() {
        let here = format!("/packages/{i}");
        let Some(obj) = package.as_object() else {
            return Err(ctx.field_error(here, "a package must be a JSON object"));
        };
        let text = |key: &str| ctx.optional_str(obj, &here, key);
        let name = text("name")?;
        let version = text("versionInfo")?;
        let purl = match obj.get("externalRefs") {
            None | Some(Value::Null) => None,
            Some(Value::Array(refs)) => refs.iter().find_map(|r| {
                (r.get("referenceType").and_then(Value::as_str) == Some("purl"))
                    .then(|| r.get("referenceLocator").and_then(Value::as_str))
                    .flatten()
            }),
            Some(_) => {
                return Err(ctx.field_error(
                    format!("{here}/externalRefs"),
                    "`externalRefs` must be an array",
                ));
            }
        };
        let entry = SbomEntry {
            name,
            group: None,
            version,
            purl,
            fallback_ecosystem: Ecosystem::Other("generic".into()),
            keep_without_version: false,
        };
        let location = ctx.at(format_args!("#{here}"));
        if let Some(component) = ctx.sbom_component(entry, location) {
            ctx.components.push(component);
        }
    }
    Ok(())
}

/// Tag-value: `Tag: value` lines, multi-line values between `<text>` and `</text>`.
pub(crate) fn read_tag_value(text: &str, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    struct Pending {
        line: usize,
        name: String,
        version: Option<String>,
        purl: Option<String>,
    }
    fn flush(pending: Option<Pending>, ctx: &mut ReadContext<'_>) {
        if let Some(p) = pending {
            let entry = SbomEntry {
                name: Some(&p.name),
                group: None,
                version: p.version.as_deref(),
                purl: p.purl.as_deref(),
                fallback_ecosystem: Ecosystem::Other("generic".into()),
                keep_without_version: false,
            };
            let location = ctx.at(format_args!(":{}", p.line));
            if let Some(component) = ctx.sbom_component(entry, location) {
                ctx.components.push(component);
            }
        }
    }
    let mut pending: Option<Pending> = None;
    let mut in_text: Option<usize> = None;
    let mut saw_version = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        if in_text.is_some() {
            if raw.contains("</text>") {
                in_text = None;
            }
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            return Err(ctx.line_error(
                line_no,
                format!("expected `Tag: value`, found `{}`", truncate(line)),
            ));
        };
        let value = value.trim();
        if value.starts_with("<text>") && !value.contains("</text>") {
            in_text = Some(line_no);
        }
        match tag.trim() {
            "SPDXVersion" => {
                saw_version = true;
                if !value.starts_with("SPDX-2") {
                    return Err(SbomError::Unsupported {
                        path: ctx.path.to_path_buf(),
                        what: format!("tag-value `{value}`"),
                        hint: "only SPDX 2.x uses tag-value; SPDX 3 is read as JSON-LD".into(),
                    });
                }
            }
            "PackageName" => {
                flush(pending.take(), ctx);
                pending = Some(Pending {
                    line: line_no,
                    name: value.to_string(),
                    version: None,
                    purl: None,
                });
            }
            "PackageVersion" => {
                if let Some(p) = pending.as_mut() {
                    p.version = Some(value.to_string());
                }
            }
            "ExternalRef" => {
                // ExternalRef: CATEGORY TYPE LOCATOR
                let mut parts = value.split_whitespace();
                let (_category, kind, locator) = (parts.next(), parts.next(), parts.next());
                if let (Some("purl"), Some(locator), Some(p)) = (kind, locator, pending.as_mut())
                    && p.purl.is_none()
                {
                    p.purl = Some(locator.to_string());
                }
            }
            // A file or snippet section ends the package section.
            "FileName" | "SnippetSPDXID" | "LicenseID" => flush(pending.take(), ctx),
            _ => {}
        }
    }
    flush(pending.take(), ctx);
    if let Some(line) = in_text {
        return Err(ctx.line_error(
            line,
            "`<text>` is never closed by `</text>`; the file is truncated",
        ));
    }
    if !saw_version {
        return Err(ctx.line_error(
            1,
            "no `SPDXVersion:` line; this is not an SPDX tag-value document",
        ));
    }
    Ok(())
}

fn truncate(line: &str) -> String {
    line.chars().take(60).collect()
}

pub(crate) fn read_v3(doc: &Value, ctx: &mut ReadContext<'_>) -> Result<(), SbomError> {
    let graph = match doc.get("@graph") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ctx.field_error("/@graph", "`@graph` must be an array of elements")),
        None => {
            return Err(ctx.field_error(
                "/@graph",
                format!(
                    "an {} document needs an `@graph` array of elements",
                    SbomFormat::Spdx3JsonLd
                ),
            ));
        }
    };
    for (i, element) in graph.iter().enumerate() {
        let here = format!("/@graph/{i}");
        let Some(obj) = element.as_object() else {
            return Err(ctx.field_error(here, "an element must be a JSON object"));
        };
        let kind = obj
            .get("type")
            .or_else(|| obj.get("@type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        // Compact JSON-LD names; the expanded IRIs end with the same local names.
        let local = kind.rsplit(['/', '#']).next().unwrap_or(kind);
        let (fallback_ecosystem, keep_without_version) = match local {
            "software_Package" | "Package" => (Ecosystem::Other("generic".into()), false),
            "ai_AIPackage" | "AIPackage" => (Ecosystem::Other("ai-model".into()), true),
            "dataset_DatasetPackage" | "DatasetPackage" => {
                (Ecosystem::Other("dataset".into()), true)
            }
            _ => continue,
        };
        let text = |key: &str| ctx.optional_str(obj, &here, key);
        let purl = match text("software_packageUrl")? {
            Some(p) => Some(p),
            None => obj
                .get("externalIdentifier")
                .and_then(Value::as_array)
                .and_then(|ids| {
                    ids.iter().find_map(|id| {
                        (id.get("externalIdentifierType").and_then(Value::as_str)
                            == Some("packageUrl"))
                        .then(|| id.get("identifier").and_then(Value::as_str))
                        .flatten()
                    })
                }),
        };
        let entry = SbomEntry {
            name: text("name")?,
            group: None,
            version: text("software_packageVersion")?,
            purl,
            fallback_ecosystem,
            keep_without_version,
        };
        let location = ctx.at(format_args!("#{here}"));
        if let Some(component) = ctx.sbom_component(entry, location) {
            ctx.components.push(component);
        }
    }
    Ok(())
}
