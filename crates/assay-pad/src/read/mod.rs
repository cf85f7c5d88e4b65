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
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let input = Input::Path(path);
    if ext == "jsonl" || ext == "ndjson" {
        return read_campaign_jsonl(input);
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
    read_detected(input, &head[..n])
}

/// Like [`read_path`] for bytes already in memory.
pub fn read_bytes(bytes: &[u8], name: &str) -> Result<Campaign> {
    let input = Input::Bytes { bytes, name };
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return read_campaign_jsonl(input);
    }
    read_detected(input, &bytes[..bytes.len().min(4096)])
}

fn read_detected(input: Input<'_>, head: &[u8]) -> Result<Campaign> {
    let first = head.split(|&b| b == b'\n').next().unwrap_or(b"");
    let first = trim(first);
    if first.starts_with(b"{") {
        read_campaign_jsonl(input)
    } else if first.starts_with(b"claimed_id,") {
        read_bob_pad_csv(input)
    } else if looks_like_bob_measure(first) {
        read_bob_measure(input)
    } else {
        read_campaign_csv(input)
    }
}
