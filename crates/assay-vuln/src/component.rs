//! What a bill of materials or lockfile lists: components with a name, a version, an
//! ecosystem and, where known, a package URL.

use serde::{Deserialize, Serialize};

/// Package ecosystems whose version order assay knows. Names follow the OSV schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    PyPI,
    Npm,
    #[serde(rename = "crates.io")]
    CratesIo,
    Go,
    Maven,
    Debian,
    Packagist,
    RubyGems,
    NuGet,
    /// Anything else, kept by its name as written (matched by explicit version lists only).
    Other(String),
}

/// One component of a product's software.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    /// Package URL (purl) when the source gave one or it can be derived.
    pub purl: Option<String>,
    /// Where the component was read from (file, and a location in it), for messages.
    pub source: String,
}
