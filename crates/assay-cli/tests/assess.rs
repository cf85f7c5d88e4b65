//! `assay assess` end to end on the shipped examples: verdicts, outputs, `--check`, broken
//! inputs, idempotent re-runs.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

mod common;
use common::{assay, repo, text};

fn assess(ws: &Path, case: &Path, out: &Path) -> Output {
    common::assess(ws, case, out, &[])
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The example case copied next to a `shared` link so its relative advisory paths resolve.
fn example_copy(tmp: &Path, name: &str) -> PathBuf {
    let case = tmp.join("repo/examples").join(name);
    copy_dir(&repo().join("examples").join(name), &case);
    std::os::unix::fs::symlink(
        repo().join("../shared").canonicalize().unwrap(),
        tmp.join("shared"),
    )
    .ok();
    case
}

#[test]
fn face_terminal_case_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    let case = repo().join("examples/face-terminal-cn-us");
    let o = assess(&ws, &case, &out);
    assert_eq!(
        o.status.code(),
        Some(1),
        "blocking gaps give exit 1:\n{}",
        text(&o)
    );

    let a = json(&out.join("assessment.json"));
    let markets: Vec<(&str, &str)> = a["markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["market"].as_str().unwrap(), m["status"].as_str().unwrap()))
        .collect();
    // Every blocker of these markets rests on news reports (secondary sources), so each is
    // "at risk: reported requirement unmet", not a flat "cannot ship" (issue #11 point 1);
    // the exit code stays 1, since reported requirements still block.
    assert_eq!(
        markets,
        vec![
            ("US", "at-risk"),
            ("DE", "at-risk"),
            ("SG", "at-risk"),
            ("BR", "at-risk")
        ]
    );
    let us = &a["markets"][0];
    assert_eq!(us["basis"], "reported", "{us}");
    assert!(
        us["why"].as_str().unwrap().contains("third-party lab"),
        "{us}"
    );
    assert!(us["earliest_date"].as_str().unwrap() > "2026-11-22");

    // The PAD campaign: 2 of 150 silicone masks accepted fails iBeta-style Level 2 (APCER <= 1%).
    let verdicts = &a["pad"][0]["report"]["verdicts"];
    let l2 = verdicts
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["scheme"] == "ibeta-l2")
        .unwrap();
    assert_eq!(l2["outcome"], "fail");
    let failures = l2.to_string();
    assert!(
        failures.contains("silicone-mask") && failures.contains("2 of 150"),
        "{failures}"
    );

    // The SBOM scan: the wazuh agent's CVE-2025-24016 is known exploited and overdue; the VEX
    // statement rules out the websocket finding.
    let summary = &a["vuln"]["result"]["summary"];
    assert_eq!(summary["kev_overdue"], 1, "{summary}");
    assert_eq!(summary["excluded_by_vex"], 1, "{summary}");
    let kev = a["vuln"]["result"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kev"] == true)
        .unwrap();
    assert_eq!(kev["component"]["name"], "github.com/wazuh/wazuh");
    assert_eq!(
        kev["due_date"], "2025-07-01",
        "the KEV dueDate as the catalog gives it"
    );

    // The sales brochure denies the autonomy the technical file and the manifest declare.
    let conflicts = a["evaluation"]["consistency"]["conflicts"]
        .as_array()
        .unwrap();
    assert!(
        conflicts
            .iter()
            .any(|c| c["first"]["document"] == "docs/sales-brochure.md"
                && c["second"]["document"] == "docs/technical-file.md"
                && c["topic"] == "autonomous-decision"),
        "{conflicts:?}"
    );

    // Evidence: every item shown was verified.
    let evidence = a["evidence"].as_array().unwrap();
    assert!(evidence.len() >= 8);
    assert!(
        evidence.iter().all(|e| e["signature"] == "verified"),
        "{evidence:?}"
    );

    // Outputs.
    for f in [
        "dossier.html",
        "plan.json",
        "plan.svg",
        "customer-statement.md",
        "customer-statement.html",
        "filing/security-assessment-report.html",
        "filing/MANIFEST.sha256",
        "attestation/bundle.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let html = std::fs::read_to_string(out.join("dossier.html")).unwrap();
    for needle in [
        "<h2 id=\"markets\">",
        "cannot ship",
        "silicone-mask",
        "CVE-2025-24016",
        "<svg",
        "secondary",
    ] {
        assert!(html.contains(needle), "dossier lacks {needle}");
    }
    assert!(!html.contains("<script"), "the dossier is static");
    assert!(
        !html.contains("http://") && !html.contains("https://") || !html.contains("src=\"http"),
        "no remote resources"
    );
    let plan = json(&out.join("plan.json"));
    assert_eq!(plan["markets"].as_array().unwrap().len(), 4);
    // DE was promised for 2027-01-15 (case.toml); the CAC filing steps cannot make it.
    let de = plan["markets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["market"] == "DE")
        .unwrap();
    assert_eq!(de["target"], "2027-01-15");
    assert_eq!(de["target_met"], false, "{de}");
    assert!(
        a["markets"][1]["delivery"]
            .as_str()
            .unwrap()
            .contains("MISSED")
    );

    // The output verifies.
    let c = assay(&ws, &["assess", "--check", out.to_str().unwrap()]);
    assert!(c.status.success(), "{}", text(&c));
    assert!(text(&c).contains("VALID"));

    // Re-running records nothing twice, not even the dossier attestation: the dossier is the
    // same, so its attestation is the one already in the ledger.
    let before = json_list(&ws).len();
    let out2 = tmp.path().join("out2");
    assert_eq!(assess(&ws, &case, &out2).status.code(), Some(1));
    assert_eq!(json_list(&ws).len(), before);
    let v = assay(&ws, &["log", "verify"]);
    assert!(v.status.success(), "{}", text(&v));
}

fn json_list(ws: &Path) -> Vec<Value> {
    let o = assay(ws, &["--format", "json", "evidence", "list"]);
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn check_names_what_was_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    assess(&ws, &repo().join("examples/face-terminal-cn-us"), &out);

    let evidence = out.join("filing/evidence");
    let file = std::fs::read_dir(&evidence)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let c = assay(&ws, &["assess", "--check", out.to_str().unwrap()]);
    assert_eq!(c.status.code(), Some(1));
    let t = text(&c);
    assert!(
        t.contains("FAIL filing manifest digests") && t.contains("changed"),
        "{t}"
    );
    assert!(t.contains("FAIL evidence signatures"), "{t}");

    // A verdict edited in assessment.json no longer matches the attestation nor the recomputation.
    let out2 = tmp.path().join("out2");
    assess(&ws, &repo().join("examples/face-terminal-cn-us"), &out2);
    let path = out2.join("assessment.json");
    let mut edited = json(&path);
    let obligation = edited["evaluation"]["results"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|r| r["obligations"].as_array_mut().unwrap().iter_mut())
        .find(|o| o["status"] == "unmet")
        .unwrap();
    obligation["status"] = "met".into();
    std::fs::write(&path, serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
    let c = assay(&ws, &["assess", "--check", out2.to_str().unwrap()]);
    assert_eq!(c.status.code(), Some(1));
    let t = text(&c);
    assert!(
        t.contains("FAIL assessment.json is the attested one"),
        "{t}"
    );
    assert!(
        t.contains("FAIL verdicts follow from inputs and packs"),
        "{t}"
    );
}

#[test]
fn broken_inputs_are_named_and_never_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let case = example_copy(tmp.path(), "face-terminal-cn-us");
    // A truncated SBOM and a campaign with a score that is not a number.
    let sbom = case.join("sbom/firmware-2.1.0.cdx.json");
    let text_sbom = std::fs::read_to_string(&sbom).unwrap();
    std::fs::write(&sbom, &text_sbom[..text_sbom.len() / 2]).unwrap();
    std::fs::write(
        case.join("pad/broken.csv"),
        "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\nx1,s1,1,attack,print,L1,photo,,high\n",
    )
    .unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    let o = assess(&ws, &case, &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("could not read sbom/firmware-2.1.0.cdx.json"),
        "{t}"
    );
    assert!(t.contains("could not read pad/broken.csv"), "{t}");

    let a = json(&out.join("assessment.json"));
    let failed: Vec<&Value> = a["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let broken_pad = failed
        .iter()
        .find(|i| i["path"] == "pad/broken.csv")
        .unwrap();
    assert!(
        broken_pad["problem"]
            .as_str()
            .unwrap()
            .contains("broken.csv:2: field `score`"),
        "{broken_pad}"
    );
    let html = std::fs::read_to_string(out.join("dossier.html")).unwrap();
    assert!(html.contains("could not be read") && html.contains("pad/broken.csv"));

    // Nothing from the failed files went into the ledger.
    let kinds: Vec<String> = json_list(&ws)
        .iter()
        .map(|e| e["file_name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !kinds
            .iter()
            .any(|k| k.contains("cdx.json") || k.contains("broken")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|k| k == "campaign.csv"),
        "the good campaign is recorded"
    );
}

#[test]
fn every_example_runs() {
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let case = entry.unwrap().path();
        if !case.join("subject.toml").is_file() {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let o = assess(&tmp.path().join("ws"), &case, &out);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}: {}",
            case.display(),
            text(&o)
        );
        let c = assay(
            &tmp.path().join("ws"),
            &["assess", "--check", out.to_str().unwrap()],
        );
        assert!(c.status.success(), "{}: {}", case.display(), text(&c));
    }
}

/// Every file under `dir`, relative path to bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Issue #10 point 6: the same case and workspace give the same package, file by file, even
/// when assess is started from two different folders (the VEX/SBOM `source` used to embed the
/// case path as typed, and a second run dropped the SBOM, VEX, campaign and descriptions from
/// `filing/evidence/`). The attestation is the same too: the unchanged dossier's attestation
/// is the one the first run recorded.
#[test]
fn rerun_from_another_folder_gives_the_same_package() {
    let tmp = tempfile::tempdir().unwrap();
    let case = example_copy(tmp.path(), "face-terminal-cn-us");
    let ws = tmp.path().join("ws");
    let run = |cwd: &Path, case_arg: &str, out: &Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
            .current_dir(cwd)
            .arg("--workspace")
            .arg(&ws)
            .args(["assess", case_arg, "--date", "2026-11-22", "--out"])
            .arg(out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    };
    let out1 = tmp.path().join("out1");
    let out2 = tmp.path().join("out2");
    run(tmp.path(), "repo/examples/face-terminal-cn-us", &out1);
    run(&case, ".", &out2);
    let (a, b) = (tree(&out1), tree(&out2));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the two runs wrote different files"
    );
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{path} differs between the two runs");
    }
    // The filing holds the case's evidence on both runs: campaign, SBOM, VEX, descriptions.
    let evidence: Vec<&String> = b
        .keys()
        .filter(|k| k.starts_with("filing/evidence/"))
        .collect();
    for name in [
        "campaign.csv",
        "firmware-2.1.0.cdx.json",
        "firmware-2.1.0.openvex.json",
        "technical-file.md",
        "vuln-scan.json",
    ] {
        assert!(
            evidence.iter().any(|e| e.ends_with(name)),
            "{name} missing from the second run's filing: {evidence:?}"
        );
    }
    let scan = String::from_utf8_lossy(&b["assessment.json"]).into_owned();
    assert!(
        !scan.contains(&tmp.path().to_string_lossy().into_owned())
            && !scan.contains("repo/examples"),
        "assessment.json embeds the path assess was given"
    );
}

/// Issue #9 point 2: a symbolic link to a file outside the case, a symlinked evidence folder
/// and a FIFO in docs/ are named problems in the dossier; nothing of them is read or recorded,
/// and the FIFO does not block the run.
#[test]
fn links_and_special_files_in_a_case_are_named_and_never_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    copy_dir(&repo().join("examples/iris-lock-non-autonomous"), &case);
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(outside.join("reports")).unwrap();
    std::fs::write(
        outside.join("secret.md"),
        "SECRET-OUTSIDE-THE-CASE technical file\n",
    )
    .unwrap();
    std::fs::write(
        outside.join("reports/report.json"),
        "{\"SECRET-OUTSIDE-THE-CASE\": 1}\n",
    )
    .unwrap();
    std::fs::remove_file(case.join("docs/technical-file.md")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("secret.md"),
        case.join("docs/technical-file.md"),
    )
    .unwrap();
    std::fs::create_dir_all(case.join("evidence")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("reports"),
        case.join("evidence/security-assessment-report"),
    )
    .unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(case.join("docs/notes.md"))
        .status()
        .unwrap();
    assert!(fifo.success());

    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("--workspace")
        .arg(&ws)
        .args([
            "assess",
            case.to_str().unwrap(),
            "--date",
            "2026-11-22",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("assess blocked on the FIFO in docs/");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let o = child.wait_with_output().unwrap();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "the run must finish: {}",
        text(&o)
    );

    let a = json(&out.join("assessment.json"));
    let problem = |path: &str| -> String {
        a["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == path)
            .and_then(|i| i["problem"].as_str())
            .unwrap_or_else(|| panic!("{path} is not named in the inputs: {}", a["inputs"]))
            .to_string()
    };
    assert!(problem("docs/technical-file.md").contains("symbolic link"));
    assert!(problem("evidence/security-assessment-report").contains("symbolic link"));
    assert!(problem("docs/notes.md").contains("not a regular file"));
    let dossier = std::fs::read_to_string(out.join("dossier.html")).unwrap();
    for path in [
        "docs/technical-file.md",
        "evidence/security-assessment-report",
        "docs/notes.md",
    ] {
        assert!(dossier.contains(path), "the dossier does not name {path}");
    }
    // Nothing from outside the case was recorded or copied into the package.
    for (path, bytes) in tree(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("SECRET-OUTSIDE-THE-CASE"),
            "{path} holds the content of a file outside the case"
        );
    }
    let listed = serde_json::to_string(&json_list(&ws)).unwrap();
    assert!(
        !listed.contains("technical-file.md") && !listed.contains("report.json"),
        "the ledger recorded a refused file: {listed}"
    );
}

/// `--timings` names each step of the main job with its wall time, on stderr only (stdout,
/// which scripts read, is the same as without it).
#[test]
fn timings_name_each_step_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let case = example_copy(tmp.path(), "face-terminal-cn-us");
    let ws = tmp.path().join("ws");
    let plain = common::assess(&ws, &case, &tmp.path().join("out1"), &["--format", "json"]);
    let timed = common::assess(
        &ws,
        &case,
        &tmp.path().join("out2"),
        &["--format", "json", "--timings"],
    );
    assert_eq!(timed.status.code(), plain.status.code(), "{}", text(&timed));
    let stderr = String::from_utf8_lossy(&timed.stderr);
    for step in [
        "PAD metrics",
        "scanning components",
        "recording evidence",
        "evaluating obligations",
        "assessing",
        "building the package",
        "writing the dossier",
    ] {
        let line = stderr
            .lines()
            .find(|l| l.starts_with("timing:") && l.contains(step))
            .unwrap_or_else(|| panic!("no timing for {step:?} in:\n{stderr}"));
        let ms: f64 = line
            .trim_end_matches(" ms")
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no milliseconds in {line:?}"));
        assert!(ms >= 0.0, "{line}");
    }
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("timing:"));
    let out_of = |o: &std::process::Output| -> Value {
        let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
        // The output folder differs, and the second run records nothing new.
        v.as_object_mut().unwrap().remove("out");
        v.as_object_mut().unwrap().remove("recorded_new");
        v
    };
    assert_eq!(out_of(&timed), out_of(&plain), "--timings changed stdout");
}
