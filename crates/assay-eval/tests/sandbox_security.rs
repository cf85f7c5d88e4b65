//! Security tests of the bubblewrap sandbox. Each runs real `bwrap` (install it with
//! `scripts/install-test-deps.sh`) and checks that an escape attempt fails inside the sandbox
//! and leaves the host as it was.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assay_eval::sandbox::Sandbox;
use assay_eval::suite::SandboxSpec;

/// A temporary folder the sandbox user (`nobody` when tests run as root) can traverse.
fn open_tempdir() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    t
}

fn sandbox(root: &Path) -> Sandbox {
    Sandbox::bwrap(root).expect("bwrap must work here: run scripts/install-test-deps.sh")
}

fn spec() -> SandboxSpec {
    SandboxSpec {
        timeout_seconds: 20,
        ..SandboxSpec::default()
    }
}

/// Host processes whose command line contains `marker`.
fn host_processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmd).contains(marker)
            && pid != std::process::id()
        {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_command_runs_and_sees_its_files_only() {
    let root = open_tempdir();
    let assets = open_tempdir();
    std::fs::write(assets.path().join("flag.txt"), "picoCTF{hello}\n").unwrap();
    let sb = sandbox(root.path());
    let files = vec![(assets.path().join("flag.txt"), "flag.txt".to_string())];
    let s = sb.sample_with(&spec(), &files, "t").unwrap();
    let out = s
        .bash("pwd; cat flag.txt; echo x > new.txt; ls", None)
        .unwrap();
    assert!(out.success(), "{out:?}");
    assert_eq!(out.stdout, "/work\npicoCTF{hello}\nflag.txt\nnew.txt\n");
    // The work folder is the sample's own; it goes when the sample ends.
    let dir = s.work_dir().to_path_buf();
    assert!(dir.join("new.txt").exists());
    drop(s);
    assert!(!dir.exists());
}

#[test]
fn host_file_outside_the_work_folder_is_not_readable() {
    let host = open_tempdir();
    let secret = host.path().join("host-secret");
    std::fs::write(&secret, "TOP-SECRET-HOST-FILE").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let root = open_tempdir();
    let sb = sandbox(root.path());
    let s = sb.sample_with(&spec(), &[], "t").unwrap();
    let cmd = format!(
        "cat {p}; cat /root/.bashrc; ls /tmp /home; cat /etc/shadow; cat /etc/passwd; \
         grep -r TOP-SECRET-HOST-FILE / 2>/dev/null | head -1",
        p = secret.display()
    );
    let out = s.bash(&cmd, None).unwrap();
    assert!(!out.stdout.contains("TOP-SECRET-HOST-FILE"), "{out:?}");
    assert!(out.stderr.contains("No such file"), "{out:?}");
    assert!(
        !out.stdout.contains("root:"),
        "host /etc/passwd or shadow visible: {out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "TOP-SECRET-HOST-FILE"
    );
}

/// Runs the env test in a child process of this test binary, with the secret in its
/// environment (setting a variable in this process would need `unsafe`).
#[test]
fn harness_environment_is_not_visible() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "env_probe_inner", "--ignored", "--nocapture"])
        .env("ASSAY_TEST_SECRET", "sk-assay-test-4242")
        .env("OPENAI_API_KEY", "sk-openai-test-4242")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
#[ignore = "run by harness_environment_is_not_visible with a secret in its environment"]
fn env_probe_inner() {
    assert_eq!(
        std::env::var("ASSAY_TEST_SECRET").unwrap(),
        "sk-assay-test-4242"
    );
    let root = open_tempdir();
    let sb = sandbox(root.path());
    let s = sb.sample_with(&spec(), &[], "t").unwrap();
    let out = s
        .bash(
            "env; for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null | tr '\\0' '\\n'; done",
            None,
        )
        .unwrap();
    assert!(out.success(), "{out:?}");
    assert!(out.stdout.contains("HOME=/work"), "{out:?}");
    assert!(
        !out.stdout.contains("4242"),
        "secret leaked: {}",
        out.stdout
    );
    assert!(!out.stdout.contains("ASSAY_TEST_SECRET"), "{}", out.stdout);
    assert!(!out.stdout.contains("OPENAI_API_KEY"), "{}", out.stdout);
}

#[test]
fn host_loopback_server_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let root = open_tempdir();
    let sb = sandbox(root.path());
    let s = sb.sample_with(&spec(), &[], "t").unwrap();
    let code = format!(
        "import socket\ns=socket.socket()\ns.settimeout(3)\ntry:\n    s.connect(('127.0.0.1',{port}))\n    print('CONNECTED')\nexcept Exception as e:\n    print('refused', e)"
    );
    let out = s.python(&code, None).unwrap();
    assert!(out.stdout.contains("refused"), "{out:?}");
    assert!(!out.stdout.contains("CONNECTED"), "{out:?}");
    // Nothing reached the listener.
    assert!(listener.accept().is_err());
    // Nor any outside address.
    let out = s
        .python("import socket\ntry:\n    socket.create_connection(('1.1.1.1',80),3)\n    print('OUT')\nexcept Exception as e:\n    print('no network', e)", None)
        .unwrap();
    assert!(out.stdout.contains("no network"), "{out:?}");
}

#[test]
fn fork_bomb_is_bounded_by_the_pids_limit() {
    let root = open_tempdir();
    let sb = sandbox(root.path());
    assert!(
        sb.limits().pids,
        "this machine gives no pids cgroup: {:?}",
        sb.limits()
    );
    let spec = SandboxSpec {
        pids: 32,
        timeout_seconds: 5,
        ..SandboxSpec::default()
    };
    let s = sb.sample_with(&spec, &[], "t").unwrap();
    let started = Instant::now();
    let out = s
        .bash(
            "bomb() { bomb | bomb & }; bomb; sleep 2; echo survived-host-check",
            None,
        )
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "{out:?}");
    assert!(
        out.stderr.contains("retry")
            || out.stderr.contains("fork")
            || out.stderr.contains("Resource"),
        "the pids limit should have refused forks: {out:?}"
    );
    // The sandbox is usable afterwards and the host has no leftover.
    let out = s.bash("echo alive", None).unwrap();
    assert_eq!(out.stdout, "alive\n");
    assert!(host_processes_with("bomb").is_empty());
}

#[test]
fn background_process_does_not_outlive_its_command() {
    let root = open_tempdir();
    let sb = sandbox(root.path());
    let s = sb.sample_with(&spec(), &[], "t").unwrap();
    let out = s
        .bash(
            "(setsid nohup sleep 4242.123 >/dev/null 2>&1 &); sleep 4242.124 & echo started",
            None,
        )
        .unwrap();
    assert!(out.stdout.contains("started"), "{out:?}");
    assert!(
        out.millis < 10_000,
        "the command waited for its background job: {out:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        host_processes_with("4242.12").is_empty(),
        "a sandbox process outlived its command"
    );
    let out = s
        .bash("ps -e 2>/dev/null | grep -c sleep || true", None)
        .unwrap();
    assert_eq!(out.stdout.trim(), "0", "{out:?}");
}

#[test]
fn timeout_kills_the_whole_sandbox() {
    let root = open_tempdir();
    let sb = sandbox(root.path());
    let s = sb.sample_with(&spec(), &[], "t").unwrap();
    let started = Instant::now();
    let out = s
        .bash(
            "sleep 4343.5 & sleep 4343.6",
            Some(Duration::from_millis(500)),
        )
        .unwrap();
    assert!(out.timed_out, "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    assert!(host_processes_with("4343.").is_empty());
}

#[test]
fn another_samples_folder_is_out_of_reach() {
    let root = open_tempdir();
    let sb = sandbox(root.path());
    let a = sb.sample_with(&spec(), &[], "a").unwrap();
    let out = a.bash("echo mine > note.txt", None).unwrap();
    assert!(out.success());
    let a_dir: PathBuf = a.work_dir().to_path_buf();
    let b = sb.sample_with(&spec(), &[], "b").unwrap();
    let cmd = format!(
        "echo evil > {a}/note.txt; echo evil > {a}/evil.txt; ls {root}; ls /work/..; \
         cat /proc/*/root/work/note.txt",
        a = a_dir.display(),
        root = root.path().display()
    );
    let out = b.bash(&cmd, None).unwrap();
    assert!(!out.stdout.contains("mine"), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(a_dir.join("note.txt")).unwrap(),
        "mine\n"
    );
    assert!(!a_dir.join("evil.txt").exists());
}

#[test]
fn memory_beyond_the_limit_is_refused() {
    let root = open_tempdir();
    let sb = sandbox(root.path());
    assert!(sb.limits().memory, "{:?}", sb.limits());
    let spec = SandboxSpec {
        memory_mb: 64,
        timeout_seconds: 30,
        ..SandboxSpec::default()
    };
    let s = sb.sample_with(&spec, &[], "t").unwrap();
    let out = s
        .python("b = bytearray(512 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint('ALLOCATED')", None)
        .unwrap();
    assert!(!out.stdout.contains("ALLOCATED"), "{out:?}");
    assert!(!out.success());
    let out = s.bash("echo ok", None).unwrap();
    assert_eq!(out.stdout, "ok\n");
}

#[test]
fn leftovers_of_a_dead_run_are_swept_and_nothing_else() {
    let root = open_tempdir();
    // pid 4194304 is above the kernel's pid_max limit: never alive.
    let dead = root.path().join("assay-4194399-0");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("junk"), "x").unwrap();
    let live = root
        .path()
        .join(format!("assay-{}-999999", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    let other = root.path().join("not-ours");
    std::fs::create_dir(&other).unwrap();
    let sb = sandbox(root.path());
    assert_eq!(sb.swept().folders, vec![dead.clone()]);
    assert!(!dead.exists());
    assert!(live.exists() && other.exists());
}
