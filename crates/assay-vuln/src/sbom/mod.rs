//! Component readers: a bill of materials or a lockfile in, [`Component`]s out.
//!
//! [`read_components`] detects the format from the file's content (and, for lockfiles whose
//! content is not self-describing, its name) and dispatches to one reader per format:
//!
//! | format | module |
//! |---|---|
//! | CycloneDX JSON 1.2-1.6 | [`cyclonedx`] |
//! | SPDX 2.2/2.3 JSON and tag-value, SPDX 3.0 JSON-LD (software, AI, dataset) | [`spdx`] |
//! | Cargo.lock, package-lock.json v1-v3, requirements.txt, poetry.lock, go.mod, go.sum | [`lockfile`] |
//!
//! Two kinds of trouble are kept apart on purpose. A file whose structure is broken (not JSON,
//! `components` not an array, a truncated document) is an [`SbomError`] naming the file and the
//! location (a JSON pointer or a line) and what to do: a scan of a half-read SBOM would look
//! clean while missing components. An entry that is well-formed but cannot be scanned (no
//! version, an unpinned requirement, a local path dependency) is skipped and reported as an
//! [`SbomWarning`]; warnings are returned, never printed, so the caller decides how loud to be.

pub mod cyclonedx;
pub mod lockfile;
pub mod purl;
pub mod spdx;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::component::{Component, Ecosystem};
use purl::Purl;

/// The formats assay reads components from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    CycloneDxJson,
    Spdx2Json,
    Spdx2TagValue,
    Spdx3JsonLd,
    CargoLock,
    PackageLock,
    Requirements,
    PoetryLock,
    GoMod,
    GoSum,
}

impl SbomFormat {
    /// The short name recorded as the `format` meta key of `sbom` evidence.
    pub fn meta_name(self) -> &'static str {
        match self {
            SbomFormat::CycloneDxJson => "cyclonedx",
            SbomFormat::Spdx2Json | SbomFormat::Spdx2TagValue | SbomFormat::Spdx3JsonLd => "spdx",
            SbomFormat::CargoLock => "cargo-lock",
            SbomFormat::PackageLock => "package-lock",
            SbomFormat::Requirements => "requirements",
            SbomFormat::PoetryLock => "poetry-lock",
            SbomFormat::GoMod => "go-mod",
            SbomFormat::GoSum => "go-sum",
        }
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SbomFormat::CycloneDxJson => "CycloneDX JSON",
            SbomFormat::Spdx2Json => "SPDX 2 JSON",
            SbomFormat::Spdx2TagValue => "SPDX 2 tag-value",
            SbomFormat::Spdx3JsonLd => "SPDX 3 JSON-LD",
            SbomFormat::CargoLock => "Cargo.lock",
            SbomFormat::PackageLock => "package-lock.json",
            SbomFormat::Requirements => "requirements.txt",
            SbomFormat::PoetryLock => "poetry.lock",
            SbomFormat::GoMod => "go.mod",
            SbomFormat::GoSum => "go.sum",
        })
    }
}

/// An SBOM or lockfile that cannot be read. Every variant names the file and where in it.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error(
        "cannot read {}: {source}; check that the path exists and is readable",
        crate::qp(path)
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: not a recognised SBOM or lockfile ({}); assay reads CycloneDX JSON, SPDX 2.2/2.3 (JSON, tag-value), SPDX 3.0 JSON-LD, Cargo.lock, package-lock.json, requirements.txt, poetry.lock, go.mod and go.sum",
        crate::qp(path),
        crate::qm(reason)
    )]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{}: {} is not supported; {hint}", crate::qp(path), crate::qm(what))]
    Unsupported {
        path: PathBuf,
        what: String,
        hint: String,
    },
    #[error(
        "{}:{line}:{column}: invalid JSON ({}); the file is damaged or truncated: regenerate it",
        crate::qp(path),
        crate::qm(message)
    )]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}:{line}: invalid TOML ({}); the file is damaged or truncated: regenerate it",
        crate::qp(path),
        crate::qm(message)
    )]
    Toml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A JSON field of the wrong shape; `pointer` is an RFC 6901 JSON pointer.
    #[error(
        "{}: at {}: {}",
        crate::qp(path),
        crate::q(pointer),
        crate::qm(message)
    )]
    Field {
        path: PathBuf,
        pointer: String,
        message: String,
    },
    /// A line-oriented file (tag-value, go.mod, requirements) with a broken line.
    #[error("{}:{line}: {}", crate::qp(path), crate::qm(message))]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// An entry that was skipped (or read with a caveat), and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbomWarning {
    /// `file#/json/pointer` or `file:line`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for SbomWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            crate::q(&self.location),
            crate::qm(&self.message)
        )
    }
}

/// Everything a reader found in one file.
#[derive(Clone, Debug)]
pub struct SbomRead {
    pub format: SbomFormat,
    pub components: Vec<Component>,
    pub warnings: Vec<SbomWarning>,
}

/// Reads the components of an SBOM or lockfile, dropping warnings.
/// Use [`read_components_with_warnings`] to see what was skipped.
pub fn read_components(path: &Path) -> Result<Vec<Component>, SbomError> {
    read_components_with_warnings(path).map(|read| read.components)
}

/// Reads the components of an SBOM or lockfile, with the format found and the warnings.
pub fn read_components_with_warnings(path: &Path) -> Result<SbomRead, SbomError> {
    let bytes = std::fs::read(path).map_err(|source| SbomError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_bytes(path, &bytes)
}

/// Reads components from bytes already in memory; `path` names the file in messages and, for
/// lockfiles, helps detect the format.
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<SbomRead, SbomError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        SbomError::Line {
            path: path.to_path_buf(),
            line,
            message: "not UTF-8 text; SBOMs and lockfiles must be UTF-8".to_string(),
        }
    })?;
    // A UTF-8 byte order mark is legal in front of JSON written by some Windows tools.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ctx = ReadContext::new(path);
    let format = detect(path, text)?;
    match format {
        SbomFormat::CycloneDxJson
            if cyclonedx::read_fast(text, &mut ctx).is_some_and(|r| r.is_ok()) => {}
        SbomFormat::CycloneDxJson
        | SbomFormat::Spdx2Json
        | SbomFormat::Spdx3JsonLd
        | SbomFormat::PackageLock => {
            let value = parse_json(path, text)?;
            match format {
                SbomFormat::CycloneDxJson => cyclonedx::read(&value, &mut ctx)?,
                SbomFormat::Spdx2Json => spdx::read_v2_json(&value, &mut ctx)?,
                SbomFormat::Spdx3JsonLd => spdx::read_v3(&value, &mut ctx)?,
                _ => lockfile::read_package_lock(&value, &mut ctx)?,
            }
        }
        SbomFormat::Spdx2TagValue => spdx::read_tag_value(text, &mut ctx)?,
        SbomFormat::CargoLock => lockfile::read_cargo_lock(text, &mut ctx)?,
        SbomFormat::PoetryLock => lockfile::read_poetry_lock(text, &mut ctx)?,
        SbomFormat::Requirements => lockfile::read_requirements(text, &mut ctx)?,
        SbomFormat::GoMod => lockfile::read_go_mod(text, &mut ctx)?,
        SbomFormat::GoSum => lockfile::read_go_sum(text, &mut ctx)?,
    }
    Ok(SbomRead {
        format,
        components: ctx.components,
        warnings: ctx.warnings,
    })
}

/// Decides the format: self-describing content first (a JSON document's top-level keys, a
/// tag-value header), then the lockfile's conventional name.
pub fn detect(path: &Path, text: &str) -> Result<SbomFormat, SbomError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let head = text.trim_start();
    let unsupported = |what: &str, hint: &str| SbomError::Unsupported {
        path: path.to_path_buf(),
        what: what.to_string(),
        hint: hint.to_string(),
    };
    if head.starts_with('{') {
        // Looking at the first few kilobytes is enough for every generator seen so far, but a
        // key may come late: fall back to the whole text before giving up.
        for window in [&head[..floor_char_boundary(head, 8192)], head] {
            if window.contains("\"bomFormat\"") && window.contains("CycloneDX") {
                return Ok(SbomFormat::CycloneDxJson);
            }
            if window.contains("\"spdxVersion\"") {
                return Ok(SbomFormat::Spdx2Json);
            }
            if window.contains("\"@context\"") && window.contains("spdx.org/rdf/3") {
                return Ok(SbomFormat::Spdx3JsonLd);
            }
            if window.contains("\"lockfileVersion\"") {
                return Ok(SbomFormat::PackageLock);
            }
        }
        if head.contains("\"@context\"") && head.contains("openvex") {
            return Err(unsupported(
                "an OpenVEX document as an SBOM",
                "pass it with --vex instead",
            ));
        }
        if head.contains("\"csaf_version\"") {
            return Err(unsupported(
                "a CSAF document as an SBOM",
                "import it with `assay vuln db import` or pass a CSAF VEX with --vex",
            ));
        }
        return Err(SbomError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "a JSON document without `bomFormat`, `spdxVersion`, an SPDX 3 `@context` or `lockfileVersion`".to_string(),
        });
    }
    if head.starts_with('<') {
        return Err(unsupported(
            "XML (CycloneDX XML or SPDX RDF/XML)",
            "convert it to JSON first, e.g. `cyclonedx convert --output-format json` or `pyspdxtools -i FILE -o FILE.json`",
        ));
    }
    if head.starts_with("SPDXVersion:")
        || (head.starts_with('#') && text.contains("\nSPDXVersion:"))
    {
        return Ok(SbomFormat::Spdx2TagValue);
    }
    match file_name.as_str() {
        "cargo.lock" => return Ok(SbomFormat::CargoLock),
        "poetry.lock" => return Ok(SbomFormat::PoetryLock),
        "go.mod" => return Ok(SbomFormat::GoMod),
        "go.sum" => return Ok(SbomFormat::GoSum),
        _ => {}
    }
    if file_name.ends_with(".spdx.yaml") || file_name.ends_with(".spdx.yml") {
        return Err(unsupported(
            "SPDX YAML",
            "convert it to SPDX JSON or tag-value first",
        ));
    }
    if (file_name.ends_with(".txt") && file_name.contains("requirements"))
        || file_name.ends_with(".pip")
    {
        return Ok(SbomFormat::Requirements);
    }
    // Unnamed lockfiles: recognise them by their first meaningful line.
    if head.starts_with("[[package]]")
        || head.starts_with("# This file is automatically @generated by Cargo")
    {
        if text.contains("python-versions") || text.contains("[metadata]\nlock-version") {
            return Ok(SbomFormat::PoetryLock);
        }
        return Ok(SbomFormat::CargoLock);
    }
    if head.starts_with("# This file is automatically @generated by Poetry") {
        return Ok(SbomFormat::PoetryLock);
    }
    if head.starts_with("module ") {
        return Ok(SbomFormat::GoMod);
    }
    Err(SbomError::UnknownFormat {
        path: path.to_path_buf(),
        reason: format!(
            "neither its content nor its name `{file_name}` identifies it; lockfiles must keep their conventional names (Cargo.lock, requirements.txt, ...)"
        ),
    })
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn parse_json(path: &Path, text: &str) -> Result<serde_json::Value, SbomError> {
    serde_json::from_str(text).map_err(|e| SbomError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// State shared by the readers: the file name for locations, and what was found.
pub(crate) struct ReadContext<'a> {
    pub path: &'a Path,
    /// The file's display name, prefixed to every [`Component::source`].
    pub display: String,
    pub components: Vec<Component>,
    pub warnings: Vec<SbomWarning>,
}

impl<'a> ReadContext<'a> {
    fn new(path: &'a Path) -> Self {
        ReadContext {
            path,
            display: path.display().to_string(),
            components: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// `file#/pointer` (JSON) or `file:line` (text).
    pub fn at(&self, location: impl fmt::Display) -> String {
        format!("{}{location}", self.display)
    }

    pub fn warn(&mut self, location: String, message: impl Into<String>) {
        self.warnings.push(SbomWarning {
            location,
            message: message.into(),
        });
    }

    /// An optional string member `key` of a JSON object at `here`: absent or null is `None`,
    /// any other type is an error naming the member.
    pub fn optional_str<'j>(
        &self,
        obj: &'j serde_json::Map<String, serde_json::Value>,
        here: &str,
        key: &str,
    ) -> Result<Option<&'j str>, SbomError> {
        match obj.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => {
                Err(self.field_error(format!("{here}/{key}"), format!("`{key}` must be a string")))
            }
        }
    }

    pub fn field_error(&self, pointer: impl Into<String>, message: impl Into<String>) -> SbomError {
        SbomError::Field {
            path: self.path.to_path_buf(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    pub fn line_error(&self, line: usize, message: impl Into<String>) -> SbomError {
        SbomError::Line {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// Builds a component from what an SBOM entry says: its purl when it has a valid one
    /// (the purl decides ecosystem and name), its own name and version otherwise.
    /// `fallback_ecosystem` applies when there is no purl. Returns `None` (with a warning) when
    /// the entry cannot be scanned.
    pub fn sbom_component(&mut self, entry: SbomEntry<'_>, location: String) -> Option<Component> {
        let parsed = match entry.purl.map(Purl::parse) {
            Some(Ok(purl)) => Some(purl),
            Some(Err(e)) => {
                self.warn(
                    location.clone(),
                    format!(
                        "package URL `{}` {e}; reading the entry by its name and version instead",
                        entry.purl.unwrap_or_default()
                    ),
                );
                None
            }
            None => None,
        };
        let version = entry
            .version
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "NOASSERTION" && *v != "NONE")
            .map(str::to_string)
            .or_else(|| parsed.as_ref().and_then(|p| p.version.clone()));
        match parsed {
            Some(purl) => {
                let Some(version) = version else {
                    self.warn(
                        location,
                        format!(
                            "`{}` has no version; it cannot be matched against advisories: skipped",
                            purl.ecosystem_name()
                        ),
                    );
                    return None;
                };
                Some(Component {
                    name: purl.ecosystem_name(),
                    version,
                    ecosystem: purl.ecosystem(),
                    purl: entry.purl.map(|p| p.trim().to_string()),
                    source: location,
                })
            }
            None => {
                let name = entry.name.map(str::trim).filter(|n| !n.is_empty());
                let Some(name) = name else {
                    self.warn(
                        location,
                        "entry has neither a name nor a package URL: skipped",
                    );
                    return None;
                };
                let name = match entry.group.map(str::trim).filter(|g| !g.is_empty()) {
                    Some(group) => format!("{group}/{name}"),
                    None => name.to_string(),
                };
                let ecosystem = entry.fallback_ecosystem;
                let version = match version {
                    Some(v) => v,
                    // AI models and data sets are inventory: kept so that they are listed and
                    // can carry VEX, though no advisory range can match an empty version.
                    None if entry.keep_without_version => String::new(),
                    None => {
                        self.warn(location, format!("`{name}` has no version; it cannot be matched against advisories: skipped"));
                        return None;
                    }
                };
                let purl = match &ecosystem {
                    Ecosystem::Other(kind) if kind != "generic" => None,
                    _ => Some(Purl::for_package(&ecosystem, &name, &version).to_string()),
                };
                Some(Component {
                    name,
                    version,
                    ecosystem,
                    purl,
                    source: location,
                })
            }
        }
    }
}

/// What an SBOM says about one package, before it becomes a [`Component`].
pub(crate) struct SbomEntry<'a> {
    pub name: Option<&'a str>,
    pub group: Option<&'a str>,
    pub version: Option<&'a str>,
    pub purl: Option<&'a str>,
    pub fallback_ecosystem: Ecosystem,
    pub keep_without_version: bool,
}

/// RFC 6901 escaping of one pointer segment.
pub(crate) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
