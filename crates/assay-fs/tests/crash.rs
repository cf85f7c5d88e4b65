//! Crash safety of output replacement: a child process (this test binary re-executed, the role
//! chosen by an environment variable) replaces an output folder of many files in a loop; the
//! parent SIGKILLs it at random moments (seeded) and checks after every kill that the target is
//! a complete folder of one generation, or absent and restored by the next `check`, and that
//! temporaries of killed runs do not accumulate.
#![allow(clippy::print_stderr)] // the kill figures, shown with --nocapture

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assay_fs::{MARKER, Marker, OutputTarget};

const FORMAT: &str = "crash-test/1";
const FILES: usize = 60;
const CHILD_ENV: &str = "ASSAY_FS_CRASH_CHILD";
const RUN_ENV: &str = "ASSAY_FS_CRASH_RUN";

fn body(generation: &str, i: usize) -> String {
    // a few KiB per file so the copy and the fsyncs take a while
    format!("{generation} file {i}\n").repeat(200)
}

/// The child role: replace the output forever (until killed).
#[test]
fn crash_child() {
    let Some(target) = std::env::var_os(CHILD_ENV) else {
        return; // run as a normal test: nothing to do
    };
    let run = std::env::var(RUN_ENV).unwrap_or_default();
    let target = PathBuf::from(target);
    for g in 0u64.. {
        let generation = format!("run{run}-gen{g}");
        let t = OutputTarget::check(&target, FORMAT, &[]).expect("check");
        let s = t.stage().expect("stage");
        for i in 0..FILES {
            s.write(
                Path::new(&format!("d{}/f{i}.txt", i % 4)),
                body(&generation, i).as_bytes(),
            )
            .expect("write");
        }
        s.commit(&generation).expect("commit");
    }
}

/// A small seeded generator (xorshift64*), so a failing schedule can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Asserts `target` is a complete output of one generation; returns the generation.
fn assert_complete(target: &Path) -> String {
    let m = Marker::read(target)
        .expect("marker readable")
        .expect("marker present");
    assert!(m.is_complete(), "{m:?}");
    assert_eq!(m.format, FORMAT);
    let generation = m.digest.clone();
    let mut count = 0;
    for d in 0..4 {
        let dir = target.join(format!("d{d}"));
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let i: usize = name
                .strip_prefix('f')
                .and_then(|n| n.strip_suffix(".txt"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected file {name}"));
            assert_eq!(
                fs::read_to_string(e.path()).unwrap(),
                body(&generation, i),
                "{name} is not of generation {generation}"
            );
            count += 1;
        }
    }
    assert_eq!(count, FILES, "generation {generation} is incomplete");
    let mut top: Vec<String> = fs::read_dir(target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, [MARKER, "d0", "d1", "d2", "d3"]);
    generation
}

fn temporaries(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.assay-"))
        .collect()
}

#[test]
fn sigkill_during_replacement_leaves_old_or_new_never_half() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x5eed_a55a_1234_5678);
    let started = Instant::now();
    let (mut kills, mut absent_after_kill, mut temporaries_seen) = (0, 0, 0);
    let mut ever_committed = false;
    let mut aimed = 0;
    let mut generations = std::collections::BTreeSet::new();
    while kills < 25 || (!ever_committed && started.elapsed() < Duration::from_secs(60)) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "crash test took too long ({kills} kills)"
        );
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &target)
            .env(RUN_ENV, kills.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if kills % 2 == 0 {
            // a random moment of its loop (after start-up: exec and test harness)
            let delay = 20 + rng.next() % 400;
            std::thread::sleep(Duration::from_millis(delay));
        } else {
            // aim at the swap itself: wait until the old output is renamed aside (or the
            // target is gone), then kill after a random few microseconds
            let spawned = Instant::now();
            while spawned.elapsed() < Duration::from_secs(5) {
                let swapping = fs::read_dir(dir.path())
                    .unwrap()
                    .filter_map(Result::ok)
                    .any(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with(".out.assay-old-")
                    })
                    || (ever_committed && !target.exists());
                if swapping {
                    aimed += 1;
                    let spin = Instant::now();
                    let wait = Duration::from_micros(rng.next() % 3000);
                    while spin.elapsed() < wait {}
                    break;
                }
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child stopped by itself ({status}): it must loop until killed");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;

        let leftovers = temporaries(dir.path());
        temporaries_seen += leftovers.len();
        // At most the killed run's own staging and old folder, plus what an earlier run left
        // if this one was killed before it cleaned up.
        assert!(
            leftovers.len() <= 4,
            "temporaries accumulate after {kills} kills: {leftovers:?}"
        );
        if target.exists() {
            generations.insert(assert_complete(&target));
            ever_committed = true;
        } else {
            absent_after_kill += 1;
            // the next check restores the old output if there was one
            let _ = OutputTarget::check(&target, FORMAT, &[]).unwrap();
            if ever_committed {
                assert!(target.exists(), "output lost after kill {kills}");
            }
            if target.exists() {
                generations.insert(assert_complete(&target));
                ever_committed = true;
            }
        }
    }
    assert!(
        ever_committed,
        "the child never committed: raise the delays"
    );
    // A final clean run removes every leftover of the killed ones.
    let t = OutputTarget::check(&target, FORMAT, &[]).unwrap();
    drop(t.stage().unwrap());
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    assert_complete(&target);
    eprintln!(
        "{kills} kills ({aimed} aimed at the swap), {} distinct generations seen, target absent (then recovered) after {absent_after_kill}, {temporaries_seen} temporaries seen in total",
        generations.len()
    );
}
