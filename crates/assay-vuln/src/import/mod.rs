//! Advisory readers: OSV (JSON and YAML), RustSec (TOML front matter in Markdown), CSAF 2.0
//! and the CISA KEV catalog, from a file's bytes or a zip archive of such files.
//!
//! Readers never fail on a bad record: each problem becomes an [`ImportWarning`] naming the
//! file and field, and the rest of the file is still imported. What they do refuse is input
//! beyond the [`ImportLimits`] (size, entries, nesting): that is a [`LimitError`], checked
//! before the bytes are parsed or, in a zip, while each entry is decompressed (through a
//! bounded reader, so a header that understates an entry's size changes nothing).
//!
//! Warnings quote their input through [`assay_core::quote`]: bounded, control characters
//! escaped, whatever the file or an archive entry's name contains.

mod csaf;
mod kev;
mod limits;
mod osv;
mod rustsec;

use std::io::{Read, Seek};

pub use limits::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_TOTAL_BYTES,
    ImportLimits, LimitError,
};

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
        // Stored warnings may predate the quoting in `ParsedFile::warn`: quoted again here.
        write!(
            f,
            "{}: {}: {}",
            assay_core::quote(&self.file, NAME_QUOTE),
            assay_core::quote(&self.field, NAME_QUOTE),
            assay_core::quote(&self.message, MESSAGE_QUOTE)
        )
    }
}

/// Longest quotation of a file or field name in a message, in characters.
const NAME_QUOTE: usize = 240;
/// Longest warning message, in characters (messages may embed a parser's error, which can
/// quote a whole field of the input).
const MESSAGE_QUOTE: usize = 400;

/// A file or entry name as shown in messages: bounded, control characters escaped.
pub(crate) fn shown(name: &str) -> String {
    assay_core::quote(name, NAME_QUOTE)
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
            file: shown(file),
            field: assay_core::quote(&field.into(), NAME_QUOTE),
            message: assay_core::quote(&message.into(), MESSAGE_QUOTE),
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

/// Reads one file's bytes with the default [`ImportLimits`]; `name` (a path) is used to
/// recognise the format and in messages. Input beyond the limits becomes a warning naming the
/// limit (and nothing of the file is read); [`parse_bytes_with`] returns it as an error.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> ParsedFile {
    parse_bytes_with(name, bytes, &ImportLimits::default()).unwrap_or_else(|e| {
        let mut out = ParsedFile {
            format: Some(format_of(name, bytes)),
            ..ParsedFile::default()
        };
        out.warn(name, "-", e.to_string());
        out
    })
}

/// What `name` and `bytes` would be read as.
fn format_of(name: &str, bytes: &[u8]) -> FileFormat {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        FileFormat::Zip
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        FileFormat::OsvYaml
    } else if lower.ends_with(".md") {
        if rustsec::looks_like_rustsec(bytes) {
            FileFormat::Rustsec
        } else {
            FileFormat::Other
        }
    } else if lower.ends_with(".json") {
        let head = &bytes[..bytes.len().min(4096)];
        if contains(bytes, b"\"catalogVersion\"") && contains(bytes, b"\"cveID\"") {
            FileFormat::Kev
        } else if contains(head, b"\"csaf_version\"") || contains(bytes, b"\"csaf_version\"") {
            FileFormat::Csaf
        } else if contains(head, b"\"id\"") || contains(bytes, b"\"affected\"") {
            FileFormat::OsvJson
        } else {
            FileFormat::Other
        }
    } else {
        FileFormat::Other
    }
}

/// Reads one file's bytes within `limits`: size first, then nesting (a linear pre-scan), then
/// the format's reader. A zip archive is read entry by entry ([`parse_zip`]).
pub fn parse_bytes_with(
    name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<ParsedFile, LimitError> {
    let format = format_of(name, bytes);
    if format == FileFormat::Zip {
        if bytes.len() as u64 > limits.max_total_bytes {
            return Err(LimitError::ArchiveTooLarge {
                file: shown(name),
                declared: bytes.len() as u64,
                limit: limits.max_total_bytes,
            });
        }
        return parse_zip(name, std::io::Cursor::new(bytes), limits);
    }
    if bytes.len() as u64 > limits.max_entry_bytes {
        return Err(LimitError::EntryTooLarge {
            file: shown(name),
            size: bytes.len() as u64,
            limit: limits.max_entry_bytes,
        });
    }
    let too_deep = match format {
        FileFormat::OsvYaml => limits::yaml_too_deep(bytes, limits.max_depth),
        FileFormat::Rustsec => limits::toml_too_deep(bytes, limits.max_depth),
        FileFormat::Kev | FileFormat::Csaf | FileFormat::OsvJson => {
            limits::json_too_deep(bytes, limits.max_depth)
        }
        FileFormat::Zip | FileFormat::Other => None,
    };
    if let Some(line) = too_deep {
        return Err(LimitError::TooDeep {
            file: shown(name),
            line,
            limit: limits.max_depth,
        });
    }
    let mut out = ParsedFile {
        format: Some(format),
        ..ParsedFile::default()
    };
    match format {
        FileFormat::OsvYaml => osv::read_yaml(name, bytes, &mut out),
        FileFormat::Rustsec => rustsec::read(name, bytes, &mut out),
        FileFormat::Kev => kev::read(name, bytes, &mut out),
        FileFormat::Csaf => csaf::read(name, bytes, &mut out),
        FileFormat::OsvJson => osv::read_json(name, bytes, &mut out),
        FileFormat::Zip | FileFormat::Other => {}
    }
    Ok(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Reads a zip archive of advisory files, one entry at a time: each entry is decompressed
/// through a reader that stops one byte past `max_entry_bytes` (so an entry whose header
/// understates its size is caught, not read whole), the running total is held to
/// `max_total_bytes`, and decompressed entries are parsed in batches of bounded size.
/// Nested archives are skipped.
pub fn parse_zip<R: Read + Seek>(
    name: &str,
    reader: R,
    limits: &ImportLimits,
) -> Result<ParsedFile, LimitError> {
    let mut out = ParsedFile {
        format: Some(FileFormat::Zip),
        ..ParsedFile::default()
    };
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            out.warn(name, "-", format!("not a readable zip archive: {e}"));
            return Ok(out);
        }
    };
    if archive.len() as u64 > limits.max_entries {
        return Err(LimitError::TooManyEntries {
            file: shown(name),
            entries: archive.len() as u64,
            limit: limits.max_entries,
        });
    }
    // The central directory's sizes: a cheap first check (the reads below enforce the
    // limits whatever the headers say).
    if let Some(declared) = archive.decompressed_size()
        && declared > u128::from(limits.max_total_bytes)
    {
        return Err(LimitError::ArchiveTooLarge {
            file: shown(name),
            declared: u64::try_from(declared).unwrap_or(u64::MAX),
            limit: limits.max_total_bytes,
        });
    }
    let mut total = 0u64;
    let mut batch = Vec::with_capacity(ZIP_BATCH);
    let mut batch_bytes = 0usize;
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
        let declared = entry.size();
        if declared > limits.max_entry_bytes {
            return Err(LimitError::EntryTooLarge {
                file: shown(&entry_name),
                size: declared,
                limit: limits.max_entry_bytes,
            });
        }
        // Capacity from the header, but never trusting it for more than 16 MiB up front.
        let mut data = Vec::with_capacity(declared.min(16 << 20) as usize);
        let read = (&mut entry)
            .take(limits.max_entry_bytes.saturating_add(1))
            .read_to_end(&mut data);
        drop(entry);
        if let Err(e) = read {
            out.warn(&entry_name, "-", format!("unreadable: {e}"));
            continue;
        }
        if data.len() as u64 > limits.max_entry_bytes {
            return Err(LimitError::EntryTooLarge {
                file: shown(&entry_name),
                size: data.len() as u64,
                limit: limits.max_entry_bytes,
            });
        }
        total = total.saturating_add(data.len() as u64);
        if total > limits.max_total_bytes {
            return Err(LimitError::ArchiveTooLarge {
                file: shown(name),
                declared: total,
                limit: limits.max_total_bytes,
            });
        }
        batch_bytes += data.len();
        batch.push((entry_name, data));
        if batch.len() == ZIP_BATCH || batch_bytes >= ZIP_BATCH_BYTES {
            parse_batch(&mut batch, &mut out, limits)?;
            batch_bytes = 0;
        }
    }
    parse_batch(&mut batch, &mut out, limits)?;
    Ok(out)
}

/// Entries decompressed before being parsed together. Interleaving one decompression and one
/// parse per entry fragmented the heap (the decompressor's buffers could not be reused between
/// long-lived advisories: 20 KB retained per entry, 4 GB for a 200,000-entry archive);
/// batches keep the two apart and let the parse run on every core.
const ZIP_BATCH: usize = 4096;
/// A batch is also parsed once its entries hold this many bytes, so memory stays bounded
/// whatever the entries' sizes (4,096 entries of 1 MiB each would otherwise be 4 GiB).
const ZIP_BATCH_BYTES: usize = 64 << 20;

fn parse_batch(
    batch: &mut Vec<(String, Vec<u8>)>,
    out: &mut ParsedFile,
    limits: &ImportLimits,
) -> Result<(), LimitError> {
    use rayon::prelude::*;
    let parsed: Vec<Result<ParsedFile, LimitError>> = batch
        .par_iter()
        .map(|(entry_name, data)| parse_bytes_with(entry_name, data, limits))
        .collect();
    batch.clear();
    for p in parsed {
        let p = p?;
        out.advisories.extend(p.advisories);
        out.kev.extend(p.kev);
        out.warnings.extend(p.warnings);
    }
    Ok(())
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
