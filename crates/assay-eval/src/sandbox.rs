//! Sandboxes: where a sample's commands run.
//!
//! The default backend is bubblewrap. Every command of a sample runs in a fresh `bwrap` with
//! new user, pid, ipc, uts (and, unless the task declares network, net) namespaces,
//! `--new-session`, `--die-with-parent`, a read-only `/usr` (plus the `/bin`, `/lib*`
//! links and a few `/etc` files programs need), a private `/tmp`, a minimal `/proc` and
//! `/dev`, and the sample's own work folder bound at `/work`. State carries from one command
//! to the next through that folder only: when a command ends, its pid namespace ends with it,
//! so no process outlives the command that started it.
//!
//! Environment: `bwrap` itself is started with an empty environment (`env_clear`), not just
//! the sandboxed command (`--clearenv`): the sandbox's pid 1 is bwrap, and its
//! `/proc/1/environ` would otherwise show every variable of the harness, API keys included.
//!
//! Identity: when assay runs as root, bwrap is started through `setpriv` as `nobody`, so the
//! sandbox's processes have no more rights on the host's files than `nobody`, even on the
//! read-only binds.
//!
//! Limits: a cgroup per sample when the machine lets assay create one (v2, or v1 `pids` and
//! `memory` hierarchies) for memory and processes; `ulimit -t` (CPU seconds) and `ulimit -f`
//! in the sandboxed shell always; without a memory cgroup, `ulimit -v` instead. Without any
//! pids cgroup the process limit is NOT enforced (RLIMIT_NPROC counts per host user, and root
//! ignores it); [`Sandbox::limits`] says which of these hold so logs can record it.
//!
//! Teardown: on timeout the command's bwrap is killed (its sandbox dies with it through
//! `--die-with-parent` and the end of the pid namespace), the cgroup's remaining processes
//! are killed, and the work folder is removed when the sample ends. A sample folder or cgroup
//! left by an assay process that no longer exists is swept when the next sandbox starts.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use wait_timeout::ChildExt as _;

use crate::error::{EvalError, Result};
use crate::suite::{SandboxSpec, Task};

/// Most bytes kept of a command's stdout and of its stderr.
pub const MAX_OUTPUT_BYTES: usize = 64 << 10;
/// Where the work folder appears inside the sandbox.
pub const SANDBOX_WORK: &str = "/work";
/// uid/gid inside the sandbox.
const SANDBOX_ID: &str = "1000";
/// Host uid/gid the sandbox runs as when assay is root.
const NOBODY: u32 = 65534;
/// Prefix of per-sample folders and cgroups.
const PREFIX: &str = "assay-";

/// Which backend runs commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    Bwrap,
    /// Commands run on the host as the current user, in the sample folder. No isolation.
    LocalUnsafe,
}

/// Which limits the machine enforces.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Limits {
    /// "cgroup-v2", "cgroup-v1" or "rlimits".
    pub mechanism: String,
    pub memory: bool,
    pub pids: bool,
    pub cpu_seconds: bool,
}

#[derive(Debug, Clone)]
enum Cgroups {
    V2 {
        parent: PathBuf,
    },
    V1 {
        pids: PathBuf,
        memory: Option<PathBuf>,
    },
    None,
}

/// What a sweep of leftovers removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sweep {
    pub folders: Vec<PathBuf>,
    pub cgroups: Vec<PathBuf>,
}

/// A sandbox factory: one per run, one [`SampleBox`] per sample.
#[derive(Debug)]
pub struct Sandbox {
    backend: Backend,
    root: PathBuf,
    bwrap: PathBuf,
    setpriv: Option<PathBuf>,
    cgroups: Cgroups,
    swept: Sweep,
}

/// Numbers per-sample folders and cgroups, unique within this process.
static SEQ: AtomicU64 = AtomicU64::new(0);

/// The result of one command.
#[derive(Debug, Clone, Serialize)]
pub struct ExecOutput {
    /// Exit code; `None` when killed by a signal (or the timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Output beyond [`MAX_OUTPUT_BYTES`] was dropped.
    pub truncated: bool,
    pub millis: u64,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn euid_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

impl Sandbox {
    /// The bubblewrap backend, with per-sample folders under `root` (created if missing).
    /// Fails with a clear message when bwrap is missing or cannot create namespaces here.
    pub fn bwrap(root: &Path) -> Result<Sandbox> {
        let bwrap = find_program("bwrap").ok_or_else(|| {
            EvalError::Sandbox(
                "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: apt-get install \
                 bubblewrap) or run with --sandbox local --unsafe-local-sandbox"
                    .into(),
            )
        })?;
        let setpriv = if euid_is_root() {
            find_program("setpriv")
        } else {
            None
        };
        let sb = Sandbox::new(Backend::Bwrap, root, bwrap, setpriv)?;
        // Probe: a `true` round trip must work, or nothing will.
        let probe = sb.sample_with(&SandboxSpec::default(), &[], "probe")?;
        let out = probe.exec(&["true"], None)?;
        if !out.success() {
            return Err(EvalError::Sandbox(format!(
                "bwrap cannot start a sandbox here: {}; user namespaces may be disabled \
                 (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces), or the \
                 sandbox folder {} is not reachable by the sandbox user (make its parents \
                 world-searchable)",
                assay_core::quote(out.stderr.trim(), 300),
                root.display()
            )));
        }
        drop(probe);
        Ok(sb)
    }

    /// The local backend: NO isolation. Callers must put it behind an explicit unsafe flag.
    pub fn local_unsafe(root: &Path) -> Result<Sandbox> {
        Sandbox::new(Backend::LocalUnsafe, root, PathBuf::new(), None)
    }

    fn new(
        backend: Backend,
        root: &Path,
        bwrap: PathBuf,
        setpriv: Option<PathBuf>,
    ) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| EvalError::io(root, e))?;
        let cgroups = if backend == Backend::Bwrap {
            detect_cgroups()
        } else {
            Cgroups::None
        };
        let mut sb = Sandbox {
            backend,
            root: root.to_path_buf(),
            bwrap,
            setpriv,
            cgroups,
            swept: Sweep::default(),
        };
        sb.swept = sb.sweep();
        Ok(sb)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the start-up sweep removed.
    pub fn swept(&self) -> &Sweep {
        &self.swept
    }

    /// The limits this machine enforces for this backend.
    pub fn limits(&self) -> Limits {
        match &self.cgroups {
            Cgroups::V2 { .. } => Limits {
                mechanism: "cgroup-v2".into(),
                memory: true,
                pids: true,
                cpu_seconds: true,
            },
            Cgroups::V1 { memory, .. } => Limits {
                mechanism: "cgroup-v1".into(),
                memory: memory.is_some(),
                pids: true,
                cpu_seconds: true,
            },
            Cgroups::None => Limits {
                mechanism: "rlimits".into(),
                memory: true,
                pids: false,
                cpu_seconds: true,
            },
        }
    }

    /// Removes per-sample folders and cgroups whose assay process is gone.
    pub fn sweep(&self) -> Sweep {
        let mut swept = Sweep::default();
        for dir in leftovers(&self.root) {
            if std::fs::remove_dir_all(&dir).is_ok() {
                swept.folders.push(dir);
            }
        }
        let parents: Vec<PathBuf> = match &self.cgroups {
            Cgroups::V2 { parent } => vec![parent.clone()],
            Cgroups::V1 { pids, memory } => {
                let mut v = vec![pids.clone()];
                v.extend(memory.clone());
                v
            }
            Cgroups::None => vec![],
        };
        for parent in parents {
            for cg in leftovers(&parent) {
                kill_cgroup(&cg);
                if std::fs::remove_dir(&cg).is_ok() {
                    swept.cgroups.push(cg);
                }
            }
        }
        swept
    }

    /// A fresh sandbox for one sample of `task`, its files copied from `assets`.
    pub fn sample(&self, task: &Task, assets: &Path) -> Result<SampleBox<'_>> {
        let mut files = Vec::with_capacity(task.files.len());
        for f in &task.files {
            let src = crate::suite::resolve_asset(assets, &f.src).map_err(EvalError::Sandbox)?;
            let dest = f
                .dest
                .clone()
                .unwrap_or_else(|| f.src.rsplit('/').next().unwrap_or(&f.src).to_string());
            crate::suite::check_relative(&dest).map_err(EvalError::Sandbox)?;
            files.push((src, dest));
        }
        self.sample_with(&task.sandbox, &files, &task.id)
    }

    /// A fresh sandbox with `files` (host path, relative destination) copied in.
    pub fn sample_with(
        &self,
        spec: &SandboxSpec,
        files: &[(PathBuf, String)],
        label: &str,
    ) -> Result<SampleBox<'_>> {
        if spec.needs.iter().any(|n| n == "raw-sockets") && self.backend == Backend::Bwrap {
            return Err(EvalError::Sandbox(
                "the task needs raw sockets, which the bwrap backend does not grant; run it \
                 on a backend that does or leave it out"
                    .into(),
            ));
        }
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{}-{n}", std::process::id());
        let dir = self.root.join(&name);
        std::fs::create_dir(&dir).map_err(|e| EvalError::io(&dir, e))?;
        let mut sample = SampleBox {
            sandbox: self,
            dir,
            spec: spec.clone(),
            cgroups: Vec::new(),
            label: label.to_string(),
        };
        for (src, dest) in files {
            copy_tree(src, &sample.dir.join(dest))?;
        }
        if self.backend == Backend::Bwrap && self.setpriv.is_some() {
            chown_tree(&sample.dir, NOBODY)?;
        }
        sample.cgroups = self.make_cgroups(&name, spec)?;
        Ok(sample)
    }

    fn make_cgroups(&self, name: &str, spec: &SandboxSpec) -> Result<Vec<PathBuf>> {
        let mem = (spec.memory_mb << 20).to_string();
        let write = |p: PathBuf, v: &str| -> Result<()> {
            std::fs::write(&p, v).map_err(|e| EvalError::Sandbox(format!("{}: {e}", p.display())))
        };
        match &self.cgroups {
            Cgroups::None => Ok(vec![]),
            Cgroups::V2 { parent } => {
                let cg = parent.join(name);
                std::fs::create_dir(&cg).map_err(|e| EvalError::io(&cg, e))?;
                write(cg.join("memory.max"), &mem)?;
                let _ = std::fs::write(cg.join("memory.swap.max"), "0");
                write(cg.join("pids.max"), &spec.pids.to_string())?;
                Ok(vec![cg])
            }
            Cgroups::V1 { pids, memory } => {
                let mut v = Vec::new();
                let cg = pids.join(name);
                std::fs::create_dir(&cg).map_err(|e| EvalError::io(&cg, e))?;
                v.push(cg.clone());
                write(cg.join("pids.max"), &spec.pids.to_string())?;
                if let Some(memory) = memory {
                    let cg = memory.join(name);
                    std::fs::create_dir(&cg).map_err(|e| EvalError::io(&cg, e))?;
                    v.push(cg.clone());
                    write(cg.join("memory.limit_in_bytes"), &mem)?;
                    let _ = std::fs::write(cg.join("memory.memsw.limit_in_bytes"), &mem);
                }
                Ok(v)
            }
        }
    }
}

/// Per-sample folders (or cgroups) under `parent` named by an assay process that is gone.
fn leftovers(parent: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(parent) else {
        return vec![];
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let mut parts = rest.split('-');
        let (Some(pid), Some(seq), None) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if pid.is_empty()
            || seq.is_empty()
            || !pid.bytes().all(|b| b.is_ascii_digit())
            || !seq.bytes().all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let alive = Path::new("/proc").join(pid).exists();
        if !alive && entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            out.push(entry.path());
        }
    }
    out
}

fn detect_cgroups() -> Cgroups {
    let base = Path::new("/sys/fs/cgroup");
    if let Ok(controllers) = std::fs::read_to_string(base.join("cgroup.controllers")) {
        let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
        if has("memory") && has("pids") {
            let parent = base.join("assay-eval");
            let ok = (parent.is_dir() || std::fs::create_dir(&parent).is_ok())
                && std::fs::write(base.join("cgroup.subtree_control"), "+memory +pids").is_ok()
                && std::fs::write(parent.join("cgroup.subtree_control"), "+memory +pids").is_ok();
            if ok {
                return Cgroups::V2 { parent };
            }
        }
        return Cgroups::None;
    }
    let mk = |h: &str| -> Option<PathBuf> {
        let hier = base.join(h);
        if !hier.join("cgroup.procs").exists() {
            return None;
        }
        let parent = hier.join("assay-eval");
        (parent.is_dir() || std::fs::create_dir(&parent).is_ok()).then_some(parent)
    };
    match mk("pids") {
        Some(pids) => Cgroups::V1 {
            pids,
            memory: mk("memory"),
        },
        None => Cgroups::None,
    }
}

/// Kills every process of a cgroup (v2 `cgroup.kill` when there is one).
fn kill_cgroup(cg: &Path) {
    if std::fs::write(cg.join("cgroup.kill"), "1").is_ok() {
        for _ in 0..100 {
            match std::fs::read_to_string(cg.join("cgroup.procs")) {
                Ok(s) if s.trim().is_empty() => return,
                Err(_) => return,
                _ => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        return;
    }
    for _ in 0..100 {
        let Ok(procs) = std::fs::read_to_string(cg.join("cgroup.procs")) else {
            return;
        };
        let pids: Vec<i32> = procs
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn copy_tree(src: &Path, dest: &Path) -> Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| EvalError::io(parent, e))?;
    }
    let meta = std::fs::symlink_metadata(src).map_err(|e| EvalError::io(src, e))?;
    if meta.is_dir() {
        std::fs::create_dir_all(dest).map_err(|e| EvalError::io(dest, e))?;
        for entry in std::fs::read_dir(src).map_err(|e| EvalError::io(src, e))? {
            let entry = entry.map_err(|e| EvalError::io(src, e))?;
            copy_tree(&entry.path(), &dest.join(entry.file_name()))?;
        }
        Ok(())
    } else if meta.is_file() {
        std::fs::copy(src, dest).map_err(|e| EvalError::io(src, e))?;
        use std::os::unix::fs::PermissionsExt as _;
        let exec = meta.permissions().mode() & 0o111 != 0;
        let mode = if exec { 0o755 } else { 0o644 };
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(mode))
            .map_err(|e| EvalError::io(dest, e))
    } else {
        Err(EvalError::Sandbox(format!(
            "{} is not a plain file or folder",
            src.display()
        )))
    }
}

fn chown_tree(p: &Path, id: u32) -> Result<()> {
    std::os::unix::fs::lchown(p, Some(id), Some(id)).map_err(|e| EvalError::io(p, e))?;
    if std::fs::symlink_metadata(p)
        .map(|m| m.is_dir())
        .unwrap_or(false)
    {
        for entry in std::fs::read_dir(p).map_err(|e| EvalError::io(p, e))? {
            let entry = entry.map_err(|e| EvalError::io(p, e))?;
            chown_tree(&entry.path(), id)?;
        }
    }
    Ok(())
}

/// One sample's sandbox: its work folder and cgroups. Dropping it kills what is left and
/// removes both.
#[derive(Debug)]
pub struct SampleBox<'a> {
    sandbox: &'a Sandbox,
    dir: PathBuf,
    spec: SandboxSpec,
    cgroups: Vec<PathBuf>,
    label: String,
}

/// Enters the cgroups named by the first arguments, then runs the rest.
const ENTER_CGROUPS: &str = r#"n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@""#;
/// Sets rlimits inside the sandbox, then runs the command.
const SET_RLIMITS: &str = r#"ulimit -t "$1" || exit 125; ulimit -f "$2" || exit 125; if [ "$3" != 0 ]; then ulimit -v "$3" || exit 125; fi; shift 3; exec "$@""#;

impl SampleBox<'_> {
    /// The host folder bound at [`SANDBOX_WORK`].
    pub fn work_dir(&self) -> &Path {
        &self.dir
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs `bash -c script` in the sandbox.
    pub fn bash(&self, script: &str, timeout: Option<Duration>) -> Result<ExecOutput> {
        self.exec(&["bash", "-c", script], timeout)
    }

    /// Runs `python3 -c code` in the sandbox.
    pub fn python(&self, code: &str, timeout: Option<Duration>) -> Result<ExecOutput> {
        self.exec(&["python3", "-c", code], timeout)
    }

    /// Runs `argv` in the sandbox with the task's limits; `timeout` defaults to the task's.
    pub fn exec(&self, argv: &[&str], timeout: Option<Duration>) -> Result<ExecOutput> {
        let timeout = timeout.unwrap_or(Duration::from_secs(self.spec.timeout_seconds));
        let mut full: Vec<String> = Vec::new();
        let sb = self.sandbox;
        if sb.backend == Backend::Bwrap {
            if !self.cgroups.is_empty() {
                full.extend([
                    "/bin/sh".into(),
                    "-c".into(),
                    ENTER_CGROUPS.into(),
                    "sh".into(),
                ]);
                full.push(self.cgroups.len().to_string());
                for cg in &self.cgroups {
                    full.push(cg.join("cgroup.procs").display().to_string());
                }
            }
            if let Some(setpriv) = &sb.setpriv {
                full.push(setpriv.display().to_string());
                full.extend([
                    format!("--reuid={NOBODY}"),
                    format!("--regid={NOBODY}"),
                    "--clear-groups".into(),
                    "--inh-caps=-all".into(),
                    "--bounding-set=-all".into(),
                ]);
            }
            full.push(sb.bwrap.display().to_string());
            full.extend(self.bwrap_args());
            full.push("--".into());
        }
        let vmem_kib =
            if sb.limits().memory && sb.backend == Backend::Bwrap && !self.cgroups.is_empty() {
                0
            } else {
                // Address space is a loose stand-in for memory: leave room for mappings.
                self.spec.memory_mb * 1024 * 4
            };
        full.extend([
            "/bin/sh".into(),
            "-c".into(),
            SET_RLIMITS.into(),
            "sh".into(),
            self.spec.cpu_seconds.to_string(),
            // ulimit -f counts 512-byte blocks in dash: 1 GiB.
            (2u64 << 20).to_string(),
            vmem_kib.to_string(),
        ]);
        full.extend(argv.iter().map(|s| s.to_string()));

        let mut cmd = Command::new(&full[0]);
        cmd.args(&full[1..])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if sb.backend == Backend::LocalUnsafe {
            cmd.current_dir(&self.dir)
                .env("PATH", "/usr/local/bin:/usr/bin:/bin")
                .env("HOME", &self.dir)
                .env("LANG", "C.UTF-8");
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| EvalError::Sandbox(format!("cannot start {}: {e}", full[0])))?;
        let out_reader = child
            .stdout
            .take()
            .map(|s| std::thread::spawn(move || read_capped(s)));
        let err_reader = child
            .stderr
            .take()
            .map(|s| std::thread::spawn(move || read_capped(s)));
        let (status, timed_out) = match child.wait_timeout(timeout) {
            Ok(Some(status)) => (Some(status), false),
            Ok(None) | Err(_) => {
                self.kill_all(child.id());
                let _ = child.kill();
                (child.wait().ok(), true)
            }
        };
        // Anything still holding the pipes (possible only with the local backend) goes now.
        self.kill_all(child.id());
        let join = |h: Option<std::thread::JoinHandle<(Vec<u8>, bool)>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        let (stdout, t1) = join(out_reader);
        let (stderr, t2) = join(err_reader);
        Ok(ExecOutput {
            code: status.and_then(|s| s.code()),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            timed_out,
            truncated: t1 || t2,
            millis: started.elapsed().as_millis() as u64,
        })
    }

    fn kill_all(&self, pgid: u32) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        for cg in &self.cgroups {
            kill_cgroup(cg);
        }
    }

    fn bwrap_args(&self) -> Vec<String> {
        let mut a: Vec<String> = [
            "--unshare-user",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--uid",
            SANDBOX_ID,
            "--gid",
            SANDBOX_ID,
            "--hostname",
            "sandbox",
            "--new-session",
            "--die-with-parent",
            "--cap-drop",
            "ALL",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let network = self.spec.network || self.spec.needs.iter().any(|n| n == "network");
        if !network {
            a.push("--unshare-net".into());
        }
        for d in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            match std::fs::read_link(d) {
                Ok(target) => {
                    a.extend(["--symlink".into(), target.display().to_string(), d.into()])
                }
                Err(_) if Path::new(d).is_dir() => {
                    a.extend(["--ro-bind".into(), d.into(), d.into()])
                }
                Err(_) => {}
            }
        }
        let mut etc = vec![
            "/etc/alternatives",
            "/etc/ld.so.cache",
            "/etc/ld.so.conf",
            "/etc/ld.so.conf.d",
            "/etc/localtime",
            "/etc/nsswitch.conf",
        ];
        if network {
            etc.extend([
                "/etc/resolv.conf",
                "/etc/hosts",
                "/etc/ssl",
                "/etc/ca-certificates",
            ]);
        }
        for e in etc {
            a.extend(["--ro-bind-try".into(), e.into(), e.into()]);
        }
        a.extend(
            [
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        a.push(self.dir.display().to_string());
        a.push(SANDBOX_WORK.into());
        a.extend(
            [
                "--chdir",
                SANDBOX_WORK,
                "--clearenv",
                "--setenv",
                "PATH",
                "/usr/local/bin:/usr/bin:/bin",
                "--setenv",
                "HOME",
                SANDBOX_WORK,
                "--setenv",
                "LANG",
                "C.UTF-8",
                "--setenv",
                "TERM",
                "dumb",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        a
    }
}

impl Drop for SampleBox<'_> {
    fn drop(&mut self) {
        for cg in &self.cgroups {
            kill_cgroup(cg);
            let _ = std::fs::remove_dir(cg);
        }
        // The folder is ours (created by `sample_with`); remove_dir_all does not follow
        // symlinks a command may have left in it.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads a pipe to the end, keeping the first [`MAX_OUTPUT_BYTES`].
fn read_capped(mut r: impl std::io::Read) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                if n > room {
                    truncated = true;
                }
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    (kept, truncated)
}
