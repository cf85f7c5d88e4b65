//! Advisory readers: OSV (JSON and YAML), RustSec (TOML front matter in Markdown), CSAF 2.0
//! and the CISA KEV catalog, from a file's bytes or a zip archive of such files.
//!
//! Readers never fail on a bad record: each problem becomes an [`ImportWarning`] naming the
//! file and field, and the rest of the file is still imported.

mod csaf;
mod kev;
mod osv;
mod rustsec;

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::advisory::Advisory;
use crate::finding::KevEntry;

/// A problem in one advisory file that did not stop the import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    /// File (and archive entry) the problem is in.
    pub file: String,
    /// Field path (`affected[0].ranges[1].events[2].fixed`) or `-` for the whole file.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.message)
    }
}

/// What a file was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    OsvJson,
    OsvYaml,
    Rustsec,
    Csaf,
    Kev,
    Zip,
    /// Not an advisory file (README, licence, ...); skipped.
    Other,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::OsvJson => "osv-json",
            FileFormat::OsvYaml => "osv-yaml",
            FileFormat::Rustsec => "rustsec",
            FileFormat::Csaf => "csaf",
            FileFormat::Kev => "kev",
            FileFormat::Zip => "zip",
            FileFormat::Other => "other",
        }
    }
}

/// Everything read from one file.
#[derive(Clone, Debug, Default)]
pub struct ParsedFile {
    pub format: Option<FileFormat>,
    pub advisories: Vec<Advisory>,
    pub kev: Vec<KevEntry>,
    pub warnings: Vec<ImportWarning>,
}

impl ParsedFile {
    fn warn(&mut self, file: &str, field: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(ImportWarning {
            file: file.to_string(),
            field: field.into(),
            message: message.into(),
        });
    }
}

/// Whether a file name looks like something [`parse_bytes`] reads (used when walking a
/// directory tree, to skip other files without reading them).
pub fn is_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".json", ".yaml", ".yml", ".md", ".zip"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Reads one file's bytes; `name` (a path) is used to recognise the format and in messages.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> ParsedFile {
    let lower = name.to_ascii_lowercase();
    let mut out = ParsedFile::default();
    if lower.ends_with(".zip") {
        out.format = Some(FileFormat::Zip);
        read_zip(name, bytes, &mut out);
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        out.format = Some(FileFormat::OsvYaml);
        osv::read_yaml(name, bytes, &mut out);
    } else if lower.ends_with(".md") {
        if rustsec::looks_like_rustsec(bytes) {
            out.format = Some(FileFormat::Rustsec);
            rustsec::read(name, bytes, &mut out);
        } else {
            out.format = Some(FileFormat::Other);
        }
    } else if lower.ends_with(".json") {
        let head = &bytes[..bytes.len().min(4096)];
        if contains(bytes, b"\"catalogVersion\"") && contains(bytes, b"\"cveID\"") {
            out.format = Some(FileFormat::Kev);
            kev::read(name, bytes, &mut out);
        } else if contains(head, b"\"csaf_version\"") || contains(bytes, b"\"csaf_version\"") {
            out.format = Some(FileFormat::Csaf);
            csaf::read(name, bytes, &mut out);
        } else if contains(head, b"\"id\"") || contains(bytes, b"\"affected\"") {
            out.format = Some(FileFormat::OsvJson);
            osv::read_json(name, bytes, &mut out);
        } else {
            out.format = Some(FileFormat::Other);
        }
    } else {
        out.format = Some(FileFormat::Other);
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn read_zip(name: &str, bytes: &[u8], out: &mut ParsedFile) {
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            out.warn(name, "-", format!("not a readable zip archive: {e}"));
            return;
        }
    };
    let mut batch = Vec::with_capacity(ZIP_BATCH);
    for index in 0..archive.len() {
        let mut entry = match archive.by_index(index) {
            Ok(entry) => entry,
            Err(e) => {
                out.warn(name, format!("entry {index}"), format!("unreadable: {e}"));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = match entry.name() {
            Ok(inner) => format!("{name}!{inner}"),
            Err(e) => {
                out.warn(
                    name,
                    format!("entry {index}"),
                    format!("unreadable name: {e}"),
                );
                continue;
            }
        };
        if !is_candidate(&entry_name) || entry_name.to_ascii_lowercase().ends_with(".zip") {
            continue;
        }
        let mut data = Vec::new();
        if let Err(e) = entry.read_to_end(&mut data) {
            out.warn(&entry_name, "-", format!("unreadable: {e}"));
            continue;
        }
        drop(entry);
        batch.push((entry_name, data));
        if batch.len() == ZIP_BATCH {
            parse_batch(&mut batch, out);
        }
    }
    parse_batch(&mut batch, out);
}

/// Entries decompressed before being parsed together. Interleaving one decompression and one
/// parse per entry fragmented the heap (the decompressor's buffers could not be reused between
/// long-lived advisories: 20 KB retained per entry, 4 GB for a 200,000-entry archive);
/// batches keep the two apart and let the parse run on every core.
const ZIP_BATCH: usize = 4096;

fn parse_batch(batch: &mut Vec<(String, Vec<u8>)>, out: &mut ParsedFile) {
    use rayon::prelude::*;
    let parsed: Vec<ParsedFile> = batch
        .par_iter()
        .map(|(entry_name, data)| parse_bytes(entry_name, data))
        .collect();
    batch.clear();
    for p in parsed {
        out.advisories.extend(p.advisories);
        out.kev.extend(p.kev);
        out.warnings.extend(p.warnings);
    }
}

/// A version-like YAML/JSON scalar: YAML reads `1.10` unquoted as a float, so numbers are
/// accepted and kept as written where possible.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_osv_is_a_warning_not_a_panic() {
        let parsed = parse_bytes("x.json", br#"{"id": "X-1", "affected": [{"ranges": 5}]}"#);
        assert!(parsed.advisories.is_empty());
        assert_eq!(parsed.warnings.len(), 1);
        assert!(
            parsed.warnings[0].message.contains("line 1"),
            "{:?}",
            parsed.warnings
        );
        let parsed = parse_bytes("x.yaml", b"id: [unclosed");
        assert_eq!(parsed.warnings.len(), 1);
    }
}
