//! Output folders assay owns, and their crash-safe replacement.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::FsError;
use crate::input::plain_components;
use crate::shown;

/// The marker file at the top of every output folder assay writes.
pub const MARKER: &str = ".assay-output";
/// The marker being rewritten (renamed over [`MARKER`] once complete).
const MARKER_PART: &str = ".assay-output.part";
/// Markers are tiny; anything bigger is not ours.
const MARKER_MAX: u64 = 4096;

const STATE_STAGING: &str = "staging";
const STATE_COMPLETE: &str = "complete";

/// Infixes of the sibling folders (and files) of a target, `.<name>.assay-<kind>-<pid>-<n>`.
const TMP: &str = "assay-tmp";
const OLD: &str = "assay-old";
const DEL: &str = "assay-del";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The content of [`MARKER`]: small JSON naming the output format and the run's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// The output format, e.g. `assay-dossier/1`; only an output of the same format is replaced.
    pub format: String,
    /// The digest of the run that wrote it (empty while staging).
    pub digest: String,
    /// `assay <version>`.
    pub written_by: String,
    /// `staging` while the folder is being built, `complete` once committed.
    #[serde(default = "complete")]
    pub state: String,
}

fn complete() -> String {
    STATE_COMPLETE.into()
}

impl Marker {
    fn new(format: &str, digest: &str, state: &str) -> Marker {
        Marker {
            format: format.into(),
            digest: digest.into(),
            written_by: format!("assay {}", env!("CARGO_PKG_VERSION")),
            state: state.into(),
        }
    }

    /// Whether the folder is a finished output.
    pub fn is_complete(&self) -> bool {
        self.state == STATE_COMPLETE
    }

    /// Reads the marker of `dir`: `Ok(None)` when there is none; an error when it is not a
    /// small regular file holding a marker.
    pub fn read(dir: &Path) -> Result<Option<Marker>, FsError> {
        let path = dir.join(MARKER);
        let md = match fs::symlink_metadata(&path) {
            Ok(md) => md,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FsError::io("inspect", &path)(e)),
        };
        if !md.is_file() || md.len() > MARKER_MAX {
            return Err(FsError::refused(
                dir,
                format!("its {MARKER} is not an assay marker file"),
            ));
        }
        let bytes = fs::read(&path).map_err(FsError::io("read", &path))?;
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            FsError::refused(dir, format!("its {MARKER} is not an assay marker ({e})"))
        })
    }
}

/// An output folder assay writes and may later replace.
#[derive(Debug, Clone)]
pub struct OutputTarget {
    /// Absolute, with every existing component resolved.
    path: PathBuf,
    parent: PathBuf,
    /// The name used in sibling temporary names (bounded).
    tag: OsString,
    format: String,
}

/// A folder being built; [`Staging::commit`] swaps it in, dropping it removes it.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: OutputTarget,
    done: bool,
}

/// Resolves `target` to an absolute path whose existing part is canonical. The last
/// component is not resolved when it is a symbolic link (the caller refuses it).
fn resolve(target: &Path) -> Result<(PathBuf, bool), FsError> {
    let cwd = env::current_dir().map_err(FsError::io("read the current folder", "."))?;
    let abs = cwd.join(target);
    let comps: Vec<Component<'_>> = abs.components().collect();
    let mut resolved = PathBuf::from("/");
    let mut missing = false;
    let mut last_is_link = false;
    let last_normal = comps
        .iter()
        .rposition(|c| matches!(c, Component::Normal(_)));
    for (i, c) in comps.iter().enumerate() {
        match c {
            Component::RootDir | Component::Prefix(_) => resolved = PathBuf::from("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                if missing {
                    return Err(FsError::refused(
                        target,
                        "it uses `..` after a folder that does not exist",
                    ));
                }
                resolved.pop();
            }
            Component::Normal(n) => {
                let next = resolved.join(n);
                if missing {
                    resolved = next;
                    continue;
                }
                match fs::symlink_metadata(&next) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        missing = true;
                        resolved = next;
                    }
                    Err(e) => return Err(FsError::io("inspect", &next)(e)),
                    Ok(md) if md.file_type().is_symlink() && Some(i) == last_normal => {
                        // Only a trailing `.` or `..` could follow; refuse the link itself.
                        last_is_link = true;
                        resolved = next;
                    }
                    Ok(_) => {
                        resolved =
                            fs::canonicalize(&next).map_err(FsError::io("resolve", &next))?;
                    }
                }
            }
        }
    }
    Ok((resolved, last_is_link))
}

fn canonical_or_absolute(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| env::current_dir().unwrap_or_default().join(p))
}

/// `name`, bounded so that `.<tag>.assay-old-<pid>-<n>` fits a file name.
fn tag_of(name: &OsStr) -> OsString {
    let bytes = name.as_bytes();
    if bytes.len() <= 160 {
        return name.to_os_string();
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut tag = OsStr::from_bytes(&bytes[..140]).to_os_string();
    tag.push(format!("~{h:016x}"));
    tag
}

/// `.<tag>.<kind>-`: the prefix of every sibling of this kind.
fn prefix(tag: &OsStr, kind: &str) -> OsString {
    let mut s = OsString::from(".");
    s.push(tag);
    s.push(".");
    s.push(kind);
    s.push("-");
    s
}

fn sibling_name(tag: &OsStr, kind: &str) -> OsString {
    let mut s = prefix(tag, kind);
    s.push(format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    s
}

/// If `name` is `.<tag>.<kind>-<pid>-<n>` for one of `kinds`, returns the kind and the pid.
fn parse_sibling(name: &OsStr, tag: &OsStr, kinds: &[&'static str]) -> Option<(&'static str, u32)> {
    for kind in kinds {
        let p = prefix(tag, kind);
        if let Some(rest) = name.as_bytes().strip_prefix(p.as_bytes()) {
            let rest = std::str::from_utf8(rest).ok()?;
            let (pid, n) = rest.split_once('-')?;
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if digits(pid) && digits(n) {
                return Some((kind, pid.parse().ok()?));
            }
        }
    }
    None
}

/// Whether a process with this id may still be running (its temporaries are then left
/// alone). Without `/proc` we cannot tell and treat it as gone.
fn pid_alive(pid: u32) -> bool {
    pid == std::process::id()
        || (Path::new("/proc/self").exists() && Path::new("/proc").join(pid.to_string()).exists())
}

fn sync_dir(dir: &Path) -> Result<(), FsError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(FsError::io("sync", dir))
}

fn rename(from: &Path, to: &Path) -> Result<(), FsError> {
    fs::rename(from, to).map_err(|e| FsError::Io {
        action: "rename",
        path: from.to_path_buf(),
        source: io::Error::new(e.kind(), format!("to {}: {e}", shown(to))),
    })
}

/// Whether `dir` is empty, or holds a marker file (any content): the two states a folder of
/// ours can be in at any instant, which is what makes it safe to remove by name.
fn ours_by_content(dir: &Path) -> bool {
    match fs::read_dir(dir) {
        Ok(mut rd) => {
            rd.next().is_none() || fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
        }
        Err(_) => false,
    }
}

/// Removes a folder of ours, the marker last, so an interrupted removal leaves a folder that
/// still has its marker (or is empty) and is removed by the next run.
fn remove_owned(dir: &Path) -> Result<(), FsError> {
    let rd = fs::read_dir(dir).map_err(FsError::io("list", dir))?;
    for entry in rd {
        let entry = entry.map_err(FsError::io("list", dir))?;
        if entry.file_name() == MARKER {
            continue;
        }
        let p = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            // std's remove_dir_all never follows symbolic links.
            fs::remove_dir_all(&p).map_err(FsError::io("remove", &p))?;
        } else {
            fs::remove_file(&p).map_err(FsError::io("remove", &p))?;
        }
    }
    let m = dir.join(MARKER);
    match fs::remove_file(&m) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(FsError::io("remove", &m)(e));
        }
        _ => {}
    }
    fs::remove_dir(dir).map_err(FsError::io("remove", dir))
}

fn write_marker(dir: &Path, marker: &Marker) -> Result<(), FsError> {
    let part = dir.join(MARKER_PART);
    let bytes = serde_json::to_vec_pretty(marker).expect("markers serialise");
    let mut f = File::create(&part).map_err(FsError::io("create", &part))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(FsError::io("write", &part))?;
    rename(&part, &dir.join(MARKER))?;
    sync_dir(dir)
}

/// What is at the target path now.
enum State {
    Missing,
    Empty,
    Owned,
}

impl OutputTarget {
    /// Decides whether `target` may be written as output of `format`. Allowed: a missing
    /// folder (its parent is created when staging), an empty folder, or a folder holding a
    /// [`MARKER`] whose format equals `format`. Refused with [`FsError::OutputRefused`] (whose
    /// message says to choose an empty or new folder): any other non-empty folder, a file, a
    /// symbolic link, `/`, the home folder, the current folder, every path in `protected`
    /// (the workspace, the case folder), and any target that contains or lies inside one of
    /// those. Paths are compared resolved.
    ///
    /// If the target is missing because an earlier run was killed between the two renames of
    /// [`Staging::commit`], the old output is renamed back first (see there).
    pub fn check(
        target: &Path,
        format: &str,
        protected: &[&Path],
    ) -> Result<OutputTarget, FsError> {
        let (path, is_link) = resolve(target)?;
        let shown_target = target;
        if is_link {
            return Err(FsError::refused(shown_target, "it is a symbolic link"));
        }
        let Some(parent) = path.parent().map(Path::to_path_buf) else {
            return Err(FsError::refused(shown_target, "it is the root folder /"));
        };
        let Some(name) = path.file_name() else {
            return Err(FsError::refused(shown_target, "it has no folder name"));
        };
        let relation = |other: &Path, what: &str| -> Result<(), FsError> {
            if path == other {
                Err(FsError::refused(shown_target, format!("it is {what}")))
            } else if other.starts_with(&path) {
                Err(FsError::refused(
                    shown_target,
                    format!("it contains {what} ({})", shown(other)),
                ))
            } else {
                Ok(())
            }
        };
        if let Some(home) = env::var_os("HOME").filter(|h| !h.is_empty()) {
            relation(&canonical_or_absolute(Path::new(&home)), "your home folder")?;
        }
        let cwd = env::current_dir().map_err(FsError::io("read the current folder", "."))?;
        relation(&canonical_or_absolute(&cwd), "the current folder")?;
        for p in protected {
            let p = canonical_or_absolute(p);
            let what = format!("a folder assay must not replace ({})", shown(&p));
            relation(&p, &what)?;
            if path.starts_with(&p) {
                return Err(FsError::refused(
                    shown_target,
                    format!(
                        "it lies inside {}, which holds assay's inputs or workspace",
                        shown(&p)
                    ),
                ));
            }
        }
        let out = OutputTarget {
            tag: tag_of(name),
            path,
            parent,
            format: format.to_string(),
        };
        out.recover()?;
        out.state()?;
        Ok(out)
    }

    /// The resolved target path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The output format this target is written as.
    pub fn format(&self) -> &str {
        &self.format
    }

    /// Inspects the target: missing, empty, or an output of ours of the same format.
    fn state(&self) -> Result<State, FsError> {
        let md = match fs::symlink_metadata(&self.path) {
            Ok(md) => md,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::Missing),
            Err(e) => return Err(FsError::io("inspect", &self.path)(e)),
        };
        if md.file_type().is_symlink() {
            return Err(FsError::refused(&self.path, "it is a symbolic link"));
        }
        if !md.is_dir() {
            return Err(FsError::refused(&self.path, "it is a file, not a folder"));
        }
        let mut rd = fs::read_dir(&self.path).map_err(FsError::io("list", &self.path))?;
        if rd.next().is_none() {
            return Ok(State::Empty);
        }
        match Marker::read(&self.path)? {
            None => Err(FsError::refused(
                &self.path,
                format!("it is not empty and assay did not write it (no {MARKER} marker)"),
            )),
            Some(m) if m.format != self.format => Err(FsError::refused(
                &self.path,
                format!(
                    "it holds assay output of another kind (`{}`, not `{}`)",
                    assay_core::quote(&m.format, 60),
                    self.format
                ),
            )),
            Some(_) => Ok(State::Owned),
        }
    }

    /// Siblings of the target named like our temporaries: (path, kind, pid).
    fn siblings(&self, kinds: &[&'static str]) -> Vec<(PathBuf, &'static str, u32)> {
        let Ok(rd) = fs::read_dir(&self.parent) else {
            return Vec::new();
        };
        rd.filter_map(Result::ok)
            .filter_map(|e| {
                let (kind, pid) = parse_sibling(&e.file_name(), &self.tag, kinds)?;
                Some((e.path(), kind, pid))
            })
            .collect()
    }

    /// When the target is missing, renames back the newest complete old output of this format
    /// left by a run killed between its two renames.
    fn recover(&self) -> Result<(), FsError> {
        if fs::symlink_metadata(&self.path).is_ok() {
            return Ok(());
        }
        let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
        for (p, _, pid) in self.siblings(&[OLD]) {
            if pid_alive(pid) || !fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let Ok(Some(m)) = Marker::read(&p) else {
                continue;
            };
            if m.format != self.format || !m.is_complete() {
                continue;
            }
            let at = fs::symlink_metadata(p.join(MARKER))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            if best.as_ref().is_none_or(|(t, _)| at > *t) {
                best = Some((at, p));
            }
        }
        if let Some((_, old)) = best {
            rename(&old, &self.path)?;
            sync_dir(&self.parent)?;
        }
        Ok(())
    }

    /// Removes temporaries of earlier killed runs for this target: staging, old and
    /// being-deleted folders whose process is gone and that are empty or hold a marker.
    fn clean_stale(&self) -> Result<(), FsError> {
        for (p, _, pid) in self.siblings(&[TMP, OLD, DEL]) {
            if pid_alive(pid) || !fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            if ours_by_content(&p) {
                remove_owned(&p)?;
            }
        }
        Ok(())
    }

    /// A fresh staging folder next to the target (same file system), named
    /// `.<name>.assay-tmp-<pid>-<n>`, holding a `staging` marker from the start. Creates the
    /// target's parent if needed. First recovers an interrupted replacement and removes the
    /// temporaries of earlier killed runs, so they never accumulate.
    pub fn stage(&self) -> Result<Staging, FsError> {
        fs::create_dir_all(&self.parent).map_err(FsError::io("create the folder", &self.parent))?;
        self.recover()?;
        self.clean_stale()?;
        loop {
            let dir = self.parent.join(sibling_name(&self.tag, TMP));
            match fs::create_dir(&dir) {
                Ok(()) => {
                    let staging = Staging {
                        dir,
                        target: self.clone(),
                        done: false,
                    };
                    // Written in place (not renamed in): from the instant the folder is
                    // non-empty it holds a file named like the marker, so a kill at any point
                    // leaves a folder the next run recognises as a temporary of ours.
                    let marker = Marker::new(&self.format, "", STATE_STAGING);
                    let path = staging.dir.join(MARKER);
                    let bytes = serde_json::to_vec_pretty(&marker).expect("markers serialise");
                    fs::write(&path, bytes).map_err(FsError::io("write", &path))?;
                    return Ok(staging);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(FsError::io("create the folder", &dir)(e)),
            }
        }
    }
}

/// fsyncs every file and folder under `dir`, folders after their content.
fn sync_tree(dir: &Path) -> Result<(), FsError> {
    let rd = fs::read_dir(dir).map_err(FsError::io("list", dir))?;
    for entry in rd {
        let entry = entry.map_err(FsError::io("list", dir))?;
        let p = entry.path();
        let ft = entry.file_type().map_err(FsError::io("inspect", &p))?;
        if ft.is_dir() {
            sync_tree(&p)?;
        } else if ft.is_file() {
            File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(FsError::io("sync", &p))?;
        }
    }
    sync_dir(dir)
}

impl Staging {
    /// The staging folder; writers may also create files in it directly.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The target this staging folder will replace.
    pub fn target(&self) -> &OutputTarget {
        &self.target
    }

    /// Writes one file; creates its parent folders. `rel` must be a plain relative path and
    /// not the marker.
    pub fn write(&self, rel: &Path, bytes: &[u8]) -> Result<(), FsError> {
        let comps = plain_components(rel)?;
        if comps.is_empty() {
            return Err(FsError::BadPath {
                path: rel.to_path_buf(),
                why: "names no file",
            });
        }
        if comps.len() == 1 && (comps[0] == MARKER || comps[0] == MARKER_PART) {
            return Err(FsError::BadPath {
                path: rel.to_path_buf(),
                why: "is the name of assay's output marker",
            });
        }
        let path: PathBuf = comps.iter().fold(self.dir.clone(), |p, c| p.join(c));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(FsError::io("create the folder", parent))?;
        }
        fs::write(&path, bytes).map_err(FsError::io("write", &path))
    }

    /// Makes the staged folder the target.
    ///
    /// 1. fsyncs every file and folder in the staging folder;
    /// 2. replaces its marker (`staging`) by the final one (`complete`, `format`, `run_digest`)
    ///    with write + fsync + rename, so the folder always holds a marker;
    /// 3. re-inspects the target (it may have changed since [`OutputTarget::check`]):
    ///    * missing or empty: one `rename(staging, target)` (POSIX renames a folder over an
    ///      empty folder atomically): the target is the old state or the new folder;
    ///    * an output of ours: `rename(target, .<name>.assay-old-<pid>-<n>)`, then
    ///      `rename(staging, target)`, each followed by an fsync of the parent; then the old
    ///      folder is renamed to `.<name>.assay-del-…` and removed, marker last;
    ///    * anything else: refused, nothing is touched.
    ///
    /// A kill at any instant therefore leaves the target holding the old complete folder, the
    /// new complete folder, or (only between the two renames) nothing, with the old output
    /// complete under its `assay-old` name. In that case the next [`OutputTarget::check`] or
    /// [`OutputTarget::stage`] renames the newest complete `assay-old` folder of the same format
    /// back (the finished staging folder is discarded: the state before the run is restored).
    /// Every temporary holds its marker until it is empty, so the next `stage` recognises and
    /// removes the leftovers of killed runs (`assay-tmp`, `assay-old`, `assay-del` whose process
    /// is gone); they never accumulate.
    ///
    /// Not covered: two assay processes replacing the same target at the same time.
    pub fn commit(mut self, run_digest: &str) -> Result<(), FsError> {
        let target = self.target.clone();
        sync_tree(&self.dir)?;
        write_marker(
            &self.dir,
            &Marker::new(&target.format, run_digest, STATE_COMPLETE),
        )?;
        match target.state()? {
            State::Missing | State::Empty => {
                rename(&self.dir, &target.path)?;
                self.done = true;
                sync_dir(&target.parent)?;
            }
            State::Owned => {
                let old = target.parent.join(sibling_name(&target.tag, OLD));
                rename(&target.path, &old)?;
                sync_dir(&target.parent)?;
                rename(&self.dir, &target.path)?;
                self.done = true;
                sync_dir(&target.parent)?;
                // The new output is in place; what follows only tidies up. A failure here
                // leaves a temporary the next run removes.
                let del = target.parent.join(sibling_name(&target.tag, DEL));
                if fs::rename(&old, &del).is_ok() {
                    let _ = remove_owned(&del);
                }
            }
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = remove_owned(&self.dir);
        }
    }
}

/// Writes one file atomically: a temporary `.<name>.assay-tmp-<pid>-<n>` next to it, written
/// and fsynced, then renamed over `path`, then the folder fsynced. A kill leaves the old file
/// or the new one. Refuses a `path` that exists and is not a regular file (a folder, a
/// symbolic link, a device). Temporary files of earlier killed runs for the same path are
/// removed first.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let Some(name) = path.file_name() else {
        return Err(FsError::refused(path, "it names no file"));
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::symlink_metadata(path) {
        Ok(md) if !md.is_file() => {
            return Err(FsError::refused(
                path,
                if md.file_type().is_symlink() {
                    "it is a symbolic link"
                } else {
                    "it exists and is not a regular file"
                },
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(FsError::io("inspect", path)(e)),
    }
    let tag = tag_of(name);
    if let Ok(rd) = fs::read_dir(&parent) {
        for e in rd.filter_map(Result::ok) {
            if let Some((_, pid)) = parse_sibling(&e.file_name(), &tag, &[TMP])
                && !pid_alive(pid)
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let tmp = parent.join(sibling_name(&tag, TMP));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)
            .map_err(FsError::io("create", &tmp))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(FsError::io("write", &tmp))?;
        rename(&tmp, path)?;
        sync_dir(&parent)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
