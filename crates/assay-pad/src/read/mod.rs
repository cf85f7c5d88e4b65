//! Readers: the campaign CSV and JSON Lines, bob.pad.base score CSV, bob.measure score files.
//!
//! One file per format, along the seams the readers already had:
//! - [`input`](self::Input): where bytes come from (a path read block by block, or bytes in
//!   memory), the block loop shared by every reader, and the streamed file digest;
//! - `row`: shared row handling: trimming, RFC 4180 field splitting, the kind/decision/score
//!   vocabularies, and the one way a reader quotes input in an error (bounded, escaped);
//! - `csv`: the campaign CSV, the hot path (see below);
//! - `jsonl`: the campaign as JSON Lines;
//! - `bob`: bob.pad.base score CSV and bob.measure `label score` files.
//!
//! The campaign CSV reader is the hot path (ten million rows in the benchmark). It reads the
//! file in large blocks, cuts each block at line ends into one part per core, parses the parts
//! in parallel from bytes (no `String` per row), and appends them in order. Labels are looked up
//! in the shared interners, read-only during the parallel phase; labels a part meets for the
//! first time get a provisional index that the in-order merge resolves. Presentation ids are
//! hashed (128-bit XXH3) and checked for duplicates once at the end; only when a duplicate is
//! found is the input scanned again to name both lines.
//!
//! Every error names the file, line and field; input quoted in it is cut to a short length
//! and its control characters are escaped (`assay_core::text::quote_short`), so a 200 MB line
//! or an escape sequence in a label cannot flood or drive the user's terminal.

mod bob;
mod csv;
mod input;
mod jsonl;
mod row;

use std::io::Read;
use std::path::Path;

use self::bob::looks_like_bob_measure;
use self::row::trim;
use assay_core::{Reporter, Silent};

use crate::campaign::Campaign;
use crate::error::{PadError, Result};

pub use bob::{BOB_MEASURE_SPECIES, read_bob_measure, read_bob_pad_csv};
pub use csv::{CAMPAIGN_COLUMNS, read_campaign_csv};
pub use input::{Input, file_digest};
pub use jsonl::read_campaign_jsonl;

/// Reads a campaign file, choosing the reader from the extension and the first line:
/// `.jsonl`/`.ndjson` → campaign JSON Lines; a `claimed_id,...` header → bob.pad.base;
/// `label score` lines → bob.measure; anything else → campaign CSV.
pub fn read_path(path: &Path) -> Result<Campaign> {
    read_path_with(path, &Silent)
}

/// [`read_path`] reporting one counted step, `reading FILE`, in bytes of the file.
pub fn read_path_with(path: &Path, progress: &dyn Reporter) -> Result<Campaign> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let input = Input::Path(path);
    if ext == "jsonl" || ext == "ndjson" {
        return reading(input, progress, jsonl::read_campaign_jsonl_reporting);
    }
    let mut head = [0u8; 4096];
    let n = {
        let mut file = std::fs::File::open(path).map_err(|source| PadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut n = 0;
        while n < head.len() {
            let r = file.read(&mut head[n..]).map_err(|source| PadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if r == 0 {
                break;
            }
            n += r;
        }
        n
    };
    reading(input, progress, detect(&head[..n]))
}

/// Like [`read_path`] for bytes already in memory.
pub fn read_bytes(bytes: &[u8], name: &str) -> Result<Campaign> {
    let input = Input::Bytes { bytes, name };
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return read_campaign_jsonl(input);
    }
    detect(&bytes[..bytes.len().min(4096)])(input, &Silent)
}

type Reader = fn(Input<'_>, &dyn Reporter) -> Result<Campaign>;

/// Runs `reader` as one counted step of `progress`.
fn reading(input: Input<'_>, progress: &dyn Reporter, reader: Reader) -> Result<Campaign> {
    progress.start(&format!("reading {}", input.name()), input.len());
    let result = reader(input, progress);
    progress.finish();
    result
}

/// The reader for a file whose first bytes are `head`.
fn detect(head: &[u8]) -> Reader {
    let first = head.split(|&b| b == b'\n').next().unwrap_or(b"");
    let first = trim(first);
    if first.starts_with(b"{") {
        jsonl::read_campaign_jsonl_reporting
    } else if first.starts_with(b"claimed_id,") {
        bob::read_bob_pad_csv_reporting
    } else if looks_like_bob_measure(first) {
        bob::read_bob_measure_reporting
    } else {
        csv::read_reporting
    }
}
