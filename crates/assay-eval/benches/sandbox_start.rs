//! Sandbox start time: the round trip of `true` in a fresh bubblewrap sandbox (namespaces,
//! binds, cgroup entry, rlimits), as `assay eval` runs every command. Compare with bare
//! `bwrap ... true`, measured in the same process.
//!
//! Run: `cargo bench -p assay-eval --bench sandbox_start`
#![allow(clippy::print_stdout)] // a bench prints its figures

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;
use std::time::{Duration, Instant};

use assay_eval::sandbox::Sandbox;
use assay_eval::suite::SandboxSpec;

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    println!(
        "{name:<44} n={:<4} median {:>6.2} ms  mean {:>6.2} ms  p90 {:>6.2} ms  min {:>6.2} ms",
        v.len(),
        ms(v[v.len() / 2]),
        mean,
        ms(v[v.len() * 9 / 10]),
        ms(v[0])
    );
}

fn main() {
    let n = 100;
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let sb = Sandbox::bwrap(root.path()).expect("bwrap");
    println!("limits: {:?}", sb.limits());
    let sample = sb
        .sample_with(&SandboxSpec::default(), &[], "bench")
        .unwrap();
    let mut v = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let out = sample.exec(&["true"], None).unwrap();
        assert!(out.success());
        v.push(t.elapsed());
    }
    stats("assay sandbox: exec `true` (same sample)", v);
    let mut v = Vec::new();
    for _ in 0..n / 2 {
        let t = Instant::now();
        let s = sb
            .sample_with(&SandboxSpec::default(), &[], "bench")
            .unwrap();
        assert!(s.exec(&["true"], None).unwrap().success());
        drop(s);
        v.push(t.elapsed());
    }
    stats("assay sandbox: new sample + `true` + teardown", v);
    let mut v = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let st = Command::new("bwrap")
            .args([
                "--unshare-all",
                "--ro-bind",
                "/usr",
                "/usr",
                "--symlink",
                "usr/bin",
                "/bin",
                "--symlink",
                "usr/lib",
                "/lib",
                "--symlink",
                "usr/lib64",
                "/lib64",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--",
                "/bin/true",
            ])
            .env_clear()
            .status()
            .unwrap();
        assert!(st.success());
        v.push(t.elapsed());
    }
    stats("bare bwrap --unshare-all true", v);
}
