//! Safe file-system access for assay: the one mechanism for reading inputs and for writing
//! output folders.
//!
//! Two invariants of the design live here (see `docs/architecture/fs.md`):
//!
//! 1. **Inputs are read only from inside their root.** An [`InputRoot`] is a canonical folder.
//!    [`InputRoot::walk`] lists the regular files under it and *names* everything it does not
//!    read: symbolic links (all of them, whether they point in or out: simplest and safest),
//!    named pipes, sockets, devices, unreadable or too deeply nested folders. It never opens a
//!    FIFO, so a special file never blocks a run. [`InputRoot::read`] checks every parent
//!    component is a real folder (no symlinked parents), opens the last one with
//!    `O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC`, checks with `fstat` that it is a regular file,
//!    confirms the opened file is the one whose resolved path lies inside the root (same device
//!    and inode), and enforces the size limit while reading, not only from metadata.
//!
//! 2. **assay only replaces what it wrote, and a kill leaves the old or the new, never half.**
//!    [`OutputTarget::check`] decides whether a folder may be written: a missing folder, an
//!    empty one, or one holding assay's marker file [`MARKER`] for the same output format.
//!    Everything else is refused with a message saying to choose an empty or new folder: any
//!    other non-empty folder, files, symbolic links, `/`, the home folder, the current folder,
//!    and every protected path (workspace, case folder), including folders that contain one or
//!    lie inside one. [`OutputTarget::stage`] builds the new output in a staging folder next to
//!    the target; [`Staging::commit`] fsyncs it, writes the marker and swaps it in with renames
//!    (the crash protocol is documented on [`Staging::commit`]). Single files (a PDF) are
//!    written with [`write_file_atomic`].
//!
//! The crate uses only `std` (and the `libc` open-flag constants): `unsafe` is forbidden in the
//! workspace, so `openat2(RESOLVE_BENEATH)` and `renameat2(RENAME_EXCHANGE)` are out of reach;
//! the checks above are their portable equivalents and their remaining races are documented
//! where they occur. Library code never prints.

mod error;
mod input;
mod output;

pub use error::{FsError, Refused, RefusedKind};
pub use input::{InputRoot, MAX_DEPTH, MAX_ENTRIES, Walk};
pub use output::{MARKER, Marker, OutputTarget, Staging, write_file_atomic};

/// A path as shown in a message: bounded, control and bidi characters escaped.
pub(crate) fn shown(p: &std::path::Path) -> String {
    assay_core::quote(&p.to_string_lossy(), 200)
}
