//! Where input bytes come from, and the block loop every reader shares.

use std::io::Read;
use std::path::Path;

use assay_core::Reporter;

use crate::error::{PadError, Result};

/// Bytes read per block; big enough that per-block overhead vanishes, small enough to keep the
/// peak memory far below the file size.
pub(super) const BLOCK: usize = 32 << 20;
/// Lines up to this length are always read; a longer one may be refused with
/// [`PadError::LineTooLong`] instead of growing the buffer until it ends (a file without a
/// newline is never read whole). Rows are tens of bytes: such a line is not a row.
pub const MAX_LINE: usize = BLOCK;

/// Where input bytes come from. A path is read block by block; bytes are used in place.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    Path(&'a Path),
    Bytes { bytes: &'a [u8], name: &'a str },
}

impl Input<'_> {
    /// The name errors and the campaign's `source` show: a path or a caller's label, with
    /// control characters escaped and its length bounded (a case folder's file names are
    /// external data).
    pub(super) fn name(&self) -> String {
        let name = match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes { name, .. } => (*name).to_string(),
        };
        assay_core::quote(&name, 400)
    }

    /// The input's size in bytes, when known (the total of a reading progress bar).
    pub(super) fn len(&self) -> Option<u64> {
        match self {
            Input::Path(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Bytes { bytes, .. } => Some(bytes.len() as u64),
        }
    }

    /// Calls `f` with consecutive chunks that each end at a line end (the last may not), and
    /// advances `progress` by the bytes of each chunk.
    pub(super) fn for_each_block(
        &self,
        progress: &dyn Reporter,
        f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        self.for_each_block_sized(BLOCK, progress, f)
    }

    /// Calls `f` with each line (without its `\n`) and its number from 1, block by block: the
    /// loop the line readers (JSON Lines, bob formats) share.
    pub(super) fn for_each_line(
        &self,
        progress: &dyn Reporter,
        mut f: impl FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut line_no = 0u64;
        self.for_each_block(progress, |block| {
            let body = block.strip_suffix(b"\n").unwrap_or(block);
            for line in body.split(|&b| b == b'\n') {
                line_no += 1;
                f(line_no, line)?;
            }
            Ok(())
        })
    }

    pub(super) fn for_each_block_sized(
        &self,
        block_size: usize,
        progress: &dyn Reporter,
        mut f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        match self {
            Input::Bytes { bytes, .. } => {
                f(bytes)?;
                progress.advance(bytes.len() as u64);
                Ok(())
            }
            Input::Path(path) => {
                // Bytes handed over before `buf`, to name where an overlong line starts.
                let mut consumed = 0u64;
                let io = |source| PadError::Io {
                    path: path.to_path_buf(),
                    source,
                };
                let mut file = std::fs::File::open(path).map_err(io)?;
                let mut buf: Vec<u8> = Vec::with_capacity(block_size + 4096);
                loop {
                    let start = buf.len();
                    buf.resize(start + block_size, 0);
                    let mut filled = start;
                    while filled < buf.len() {
                        let n = file.read(&mut buf[filled..]).map_err(io)?;
                        if n == 0 {
                            break;
                        }
                        filled += n;
                    }
                    buf.truncate(filled);
                    let at_end = filled < start + block_size;
                    if at_end {
                        if !buf.is_empty() {
                            f(&buf)?;
                            progress.advance(buf.len() as u64);
                        }
                        return Ok(());
                    }
                    // Hand over whole lines only; keep the tail for the next block.
                    match memchr::memrchr(b'\n', &buf) {
                        Some(cut) => {
                            f(&buf[..=cut])?;
                            progress.advance(cut as u64 + 1);
                            consumed += cut as u64 + 1;
                            buf.drain(..=cut);
                        }
                        None if buf.len() > MAX_LINE.max(block_size) => {
                            return Err(PadError::LineTooLong {
                                file: self.name(),
                                offset: consumed,
                                limit: MAX_LINE,
                            });
                        }
                        None => continue,
                    }
                }
            }
        }
    }
}

/// sha256 (lowercase hex) of a file, streamed: binds the campaign blob into the report.
pub fn file_digest(path: &Path) -> Result<String> {
    use sha2::{Digest as _, Sha256};
    let io = |source| PadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}
