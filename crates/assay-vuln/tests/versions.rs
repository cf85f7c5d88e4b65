//! Version order agrees with each ecosystem's reference tool on generated pairs: pip's
//! `packaging` (PEP 440), npm's `semver`, `dpkg --compare-versions`, and Maven's own
//! `ComparableVersion` (from the maven-artifact jar). Each tool runs once over all pairs.
//! The tools are installed by scripts/install-test-deps.sh.

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::cmp::Ordering;
use std::io::Write;
use std::process::{Command, Stdio};

use assay_vuln::version::Scheme;

/// Small deterministic generator (xorshift64*), so every run tests the same pairs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn release(rng: &mut Rng, max_parts: u64) -> String {
    let parts = 1 + rng.below(max_parts);
    (0..parts)
        .map(|_| {
            let bound = if rng.chance(10) { 120 } else { 4 };
            rng.below(bound).to_string()
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn pep440_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(5) {
        v.push('v');
    }
    if rng.chance(5) {
        v.push_str(&format!("{}!", rng.below(3)));
    }
    v.push_str(&release(rng, 4));
    if rng.chance(35) {
        let sep = rng.pick(&["", ".", "-", "_"]);
        let kind = rng.pick(&["a", "b", "rc", "alpha", "beta", "c", "pre", "preview", "RC"]);
        let num = if rng.chance(15) {
            String::new()
        } else {
            rng.below(4).to_string()
        };
        v.push_str(&format!("{sep}{kind}{num}"));
    }
    if rng.chance(20) {
        let form = rng.pick(&[".post", "-post", "post", ".rev", ".r", "-"]);
        v.push_str(&format!("{form}{}", rng.below(3)));
    }
    if rng.chance(20) {
        let form = rng.pick(&[".dev", "dev", "-dev"]);
        v.push_str(&format!("{form}{}", rng.below(3)));
    }
    if rng.chance(15) {
        let local = rng.pick(&["ubuntu.1", "abc.5", "1.2", "local", "g1234"]);
        v.push_str(&format!("+{local}"));
    }
    if rng.chance(3) {
        v = v.to_uppercase();
    }
    v
}

fn semver_version(rng: &mut Rng) -> String {
    let mut v = format!("{}.{}.{}", rng.below(3), rng.below(3), rng.below(3));
    if rng.chance(5) {
        v.insert(0, 'v');
    }
    if rng.chance(45) {
        let ids: Vec<String> = (0..1 + rng.below(3))
            .map(|_| match rng.below(4) {
                0 => rng.below(12).to_string(),
                1 => rng
                    .pick(&["alpha", "beta", "rc", "x-y", "a1", "0a"])
                    .to_string(),
                2 => rng.pick(&["alpha", "beta"]).to_string(),
                _ => rng.below(3).to_string(),
            })
            .collect();
        v.push('-');
        v.push_str(&ids.join("."));
    }
    if rng.chance(20) {
        v.push_str(rng.pick(&["+build.1", "+sha.abc", "+20240101"]));
    }
    v
}

fn debian_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(15) {
        v.push_str(&format!("{}:", rng.below(3)));
    }
    v.push_str(&release(rng, 3));
    if rng.chance(30) {
        v.push_str(rng.pick(&[
            "~rc1",
            "~beta",
            "~",
            "+dfsg",
            "+b1",
            "a",
            "b2",
            ".1~",
            "+really1.0",
            "~~",
        ]));
    }
    if rng.chance(60) {
        v.push('-');
        v.push_str(rng.pick(&[
            "1",
            "2",
            "1ubuntu1",
            "0ubuntu0.1",
            "1~bpo11+1",
            "10",
            "1+deb12u1",
            "1.1",
        ]));
    }
    v
}

fn maven_version(rng: &mut Rng) -> String {
    let mut v = release(rng, 4);
    if rng.chance(45) {
        let sep = rng.pick(&["-", ".", ""]);
        let q = rng.pick(&[
            "alpha",
            "beta",
            "milestone",
            "rc",
            "cr",
            "SNAPSHOT",
            "ga",
            "final",
            "Final",
            "release",
            "sp",
            "a",
            "b",
            "m",
            "RELEASE",
            "foo",
            "jre",
            "android",
        ]);
        v.push_str(&format!("{sep}{q}"));
        if rng.chance(60) {
            v.push_str(&format!("{}{}", rng.pick(&["", "-", "."]), rng.below(4)));
        }
    }
    if rng.chance(10) {
        v.push_str(rng.pick(&["-1", ".0", "-0", "-SNAPSHOT"]));
    }
    v
}

fn pairs(seed: u64, count: usize, generate: fn(&mut Rng) -> String) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let a = generate(&mut rng);
            // A third of the pairs are near-identical, where order bugs hide.
            let b = if rng.chance(30) {
                let mut b = a.clone();
                if rng.chance(50) {
                    b.push_str(".0");
                } else {
                    b = b.to_lowercase();
                }
                b
            } else {
                generate(&mut rng)
            };
            (a, b)
        })
        .collect()
}

/// Runs `program args` with `input` on stdin and returns stdout lines.
fn run_tool(program: &str, args: &[&str], input: &str, env: &[(&str, String)]) -> Vec<String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("{program} not runnable ({e}): run scripts/install-test-deps.sh")
    });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("tool output");
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn ordering_text(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "-1",
        Ordering::Equal => "0",
        Ordering::Greater => "1",
    }
}

/// Compares our answers with the tool's (`-1`/`0`/`1`, or `E` for "not a valid version").
/// Where the tool rejects a version that we accept, nothing is asserted (we are lenient);
/// everything the tool accepts must be accepted and ordered the same.
fn compare_with(
    scheme: Scheme,
    pairs: &[(String, String)],
    reference: &[String],
) -> (usize, usize) {
    assert_eq!(pairs.len(), reference.len());
    let mut agreed = 0;
    let mut reference_invalid = 0;
    let mut disagreements = Vec::new();
    for ((a, b), expected) in pairs.iter().zip(reference) {
        let ours = match scheme.compare(a, b) {
            Ok(o) => ordering_text(o),
            Err(_) => "E",
        };
        if expected == "E" {
            reference_invalid += 1;
            continue;
        }
        if ours == expected {
            agreed += 1;
        } else {
            disagreements.push(format!("{a} vs {b}: reference {expected}, ours {ours}"));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {:#?}",
        disagreements.len(),
        &disagreements[..disagreements.len().min(20)]
    );
    (agreed, reference_invalid)
}

#[test]
fn pep440_agrees_with_packaging() {
    let pairs = pairs(0x9e37_79b9_7f4a_7c15, 6000, pep440_version);
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = r#"
import sys
from packaging.version import Version, InvalidVersion
out = []
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    try:
        va, vb = Version(a), Version(b)
        out.append("-1" if va < vb else ("0" if va == vb else "1"))
    except InvalidVersion:
        out.append("E")
print("\n".join(out))
"#;
    let reference = run_tool("python3", &["-c", script], &input, &[]);
    let (agreed, invalid) = compare_with(Scheme::Pep440, &pairs, &reference);
    eprintln!("PEP 440: {agreed} pairs agree with packaging; {invalid} rejected by packaging");
    assert!(agreed > 4000);
}

#[test]
fn semver_agrees_with_npm_semver() {
    let pairs = pairs(0xdead_beef_cafe_f00d, 6000, semver_version);
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let node_path = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let script = r#"
const semver = require("semver");
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(l => l.length);
const out = lines.map(l => {
  const [a, b] = l.split("\t");
  if (!semver.valid(a) || !semver.valid(b)) return "E";
  return String(semver.compare(a, b));
});
console.log(out.join("\n"));
"#;
    let reference = run_tool("node", &["-e", script], &input, &[("NODE_PATH", node_path)]);
    let (agreed, invalid) = compare_with(Scheme::Semver, &pairs, &reference);
    eprintln!("SemVer: {agreed} pairs agree with npm semver; {invalid} rejected by it");
    assert!(agreed > 4000);
}

#[test]
fn debian_agrees_with_dpkg() {
    // dpkg compares one pair per process: 1,500 pairs keep this under a few seconds.
    let pairs = pairs(0x0123_4567_89ab_cdef, 1500, debian_version);
    let input: String = pairs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
    let script = r#"while read -r a b; do
  if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1
  elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0
  elif dpkg --compare-versions "$a" gt "$b" 2>/dev/null; then echo 1
  else echo E; fi
done"#;
    let reference = run_tool("sh", &["-c", script], &input, &[]);
    let (agreed, invalid) = compare_with(Scheme::Debian, &pairs, &reference);
    eprintln!("Debian: {agreed} pairs agree with dpkg; {invalid} rejected by dpkg");
    assert!(agreed > 1400);
}

#[test]
fn maven_agrees_with_comparable_version() {
    // Debian's libmaven3-core-java ships the jar; the maven package links it into its lib.
    let jar = [
        "/usr/share/java/maven3-artifact.jar",
        "/usr/share/maven/lib/maven-artifact-3.x.jar",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
    .expect("maven-artifact jar: run scripts/install-test-deps.sh");
    let pairs = pairs(0x5151_2323_7878_9090, 3000, maven_version);
    // ComparableVersion's main compares each argument with the next one.
    let mut args = vec![
        "-cp".to_string(),
        jar.to_string_lossy().into_owned(),
        "org.apache.maven.artifact.versioning.ComparableVersion".into(),
    ];
    for (a, b) in &pairs {
        args.push(a.clone());
        args.push(b.clone());
    }
    let output = Command::new("java")
        .args(&args)
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&output.stdout);
    // Lines "   A < B", "   A == B", "   A > B" for consecutive arguments; keep pairs (0,1), (2,3)...
    let verdicts: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("   "))
        .map(|l| {
            if l.contains(" == ") {
                "0"
            } else if l.contains(" < ") {
                "-1"
            } else {
                "1"
            }
            .to_string()
        })
        .collect();
    assert_eq!(
        verdicts.len(),
        pairs.len() * 2 - 1,
        "unexpected ComparableVersion output"
    );
    let reference: Vec<String> = verdicts.into_iter().step_by(2).collect();
    let (agreed, _) = compare_with(Scheme::Maven, &pairs, &reference);
    eprintln!("Maven: {agreed} pairs agree with ComparableVersion");
}
