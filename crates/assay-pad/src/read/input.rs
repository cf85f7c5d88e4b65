//! Where input bytes come from, and the block loop every reader shares.

use std::io::Read;
use std::path::Path;

use crate::error::{PadError, Result};

/// Bytes read per block; big enough that per-block overhead vanishes, small enough to keep the
/// peak memory far below the file size.
pub(super) const BLOCK: usize = 32 << 20;

/// Where input bytes come from. A path is read block by block; bytes are used in place.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    Path(&'a Path),
    Bytes { bytes: &'a [u8], name: &'a str },
}

impl Input<'_> {
    pub(super) fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes { name, .. } => (*name).to_string(),
        }
    }

    /// Calls `f` with consecutive chunks that each end at a line end (the last may not).
    pub(super) fn for_each_block(&self, f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.for_each_block_sized(BLOCK, f)
    }

    pub(super) fn for_each_block_sized(
        &self,
        block_size: usize,
        mut f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        match self {
            Input::Bytes { bytes, .. } => f(bytes),
            Input::Path(path) => {
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
                        }
                        return Ok(());
                    }
                    // Hand over whole lines only; keep the tail for the next block.
                    match memchr::memrchr(b'\n', &buf) {
                        Some(cut) => {
                            f(&buf[..=cut])?;
                            buf.drain(..=cut);
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
