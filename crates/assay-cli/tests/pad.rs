//! `assay pad ...` end to end: real shared data, the ledger, exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn assay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run assay")
}

fn shared(rel: &str) -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/pad/").to_string() + rel
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../assay-pad/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn report_json_reproduces_bob_pad_base_reference() {
    let out = assay(&[
        "--format",
        "json",
        "pad",
        "report",
        &shared("bob.pad.base/scores-dev.csv"),
        "--bootstrap",
        "100",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let points = report["scores"]["operating_points"].as_array().unwrap();
    let bpcer20 = points.iter().find(|p| p["criterion"] == "bpcer20").unwrap();
    assert!((bpcer20["threshold"].as_f64().unwrap() - 6.86079).abs() < 1e-6);
    assert!((bpcer20["bpcer"]["value"].as_f64().unwrap() - 0.3816).abs() < 1e-9);
    let x1 = bpcer20["species"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "x1")
        .unwrap();
    assert_eq!(x1["apcer"]["count"], 49);
    assert_eq!(x1["apcer"]["total"], 992);
    assert!((report["scores"]["bpcer20"].as_f64().unwrap() - 0.3816).abs() < 1e-9);
    // Without --record the campaign is not hashed (see docs/pad.md).
    assert!(report["campaign"]["digest"].is_null());
}

#[test]
fn record_stores_campaign_and_report_with_meta_and_fails_on_failed_scheme() {
    let ws = tempfile::tempdir().unwrap();
    let ws_path = ws.path().to_str().unwrap();
    assert!(assay(&["init", "--workspace", ws_path]).status.success());
    let out = assay(&[
        "--workspace",
        ws_path,
        "--format",
        "json",
        "pad",
        "report",
        &fixture("device-campaign.csv"),
        "--manifest",
        &fixture("manifest.toml"),
        "--scheme",
        "ibeta-l2",
        "--scheme",
        "cc-bio-pad-l1",
        "--record",
    ]);
    // ibeta-l2 fails (2 species, 10 attacks each at most): exit 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["verdicts"][0]["outcome"], "fail");
    assert_eq!(report["verdicts"][1]["outcome"], "pass"); // IAPAR 1/10 <= 15%
    let list = assay(&[
        "--workspace",
        ws_path,
        "--format",
        "json",
        "evidence",
        "list",
    ]);
    let entries = json(&list);
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["kind"], "pad-campaign");
    assert_eq!(entries[1]["kind"], "pad-report");
    let meta = &entries[1]["meta"];
    assert_eq!(
        meta["firmware_digest"],
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    assert_eq!(meta["lab"], "Example Biometrics Lab");
    assert_eq!(meta["passed_schemes"], "cc-bio-pad-l1");
    assert_eq!(meta["failed_schemes"], "ibeta-l2");
    assert_eq!(meta["max_passed_level"], "1");
    assert_eq!(meta["species_groups"], "mask,mask-3d,print");
    assert_eq!(meta["test_date"], "2026-10-20");
    assert_eq!(meta["campaign_digest"], entries[0]["blob_digest"]);
    assert_eq!(report["campaign"]["digest"], entries[0]["blob_digest"]);
    assert_eq!(entries[0]["meta"]["lab"], "Example Biometrics Lab");
}

#[test]
fn bad_campaign_records_nothing() {
    let ws = tempfile::tempdir().unwrap();
    let ws_path = ws.path().to_str().unwrap();
    assert!(assay(&["init", "--workspace", ws_path]).status.success());
    let bad = ws.path().join("bad.csv");
    std::fs::write(
        &bad,
        "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\np1,s1,1,attack,,L1,,reject,\n",
    )
    .unwrap();
    let out = assay(&[
        "--workspace",
        ws_path,
        "pad",
        "report",
        bad.to_str().unwrap(),
        "--manifest",
        &fixture("manifest.toml"),
        "--record",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:2: field `species`"), "{err}");
    let list = json(&assay(&[
        "--workspace",
        ws_path,
        "--format",
        "json",
        "evidence",
        "list",
    ]));
    assert_eq!(list.as_array().unwrap().len(), 0);
    // --record without a manifest is a usage error, before anything is read.
    let out = assay(&[
        "--workspace",
        ws_path,
        "pad",
        "report",
        &fixture("device-campaign.csv"),
        "--record",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn schemes_plan_and_formats() {
    let out = assay(&["--format", "json", "pad", "schemes"]);
    assert!(out.status.success());
    let schemes = json(&out);
    let ids: Vec<&str> = schemes
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in [
        "ibeta-l1",
        "ibeta-l2",
        "ibeta-l3",
        "fido-iapar-7",
        "fido-iapar-15",
        "cc-bio-pad-l1",
        "cc-bio-pad-l2",
        "nist-sp-800-63-4",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let out = assay(&[
        "--format",
        "json",
        "pad",
        "plan",
        "--target",
        "0.01",
        "--confidence",
        "0.95",
    ]);
    let plan = json(&out);
    assert_eq!(plan["rows"][0]["presentations"], 299);
    let text = assay(&["pad", "plan", "--target", "0.01"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("0 errors allowed:      299 presentations")
    );
    let sarif = assay(&[
        "--format",
        "sarif",
        "pad",
        "report",
        &fixture("device-campaign.csv"),
    ]);
    assert_eq!(sarif.status.code(), Some(2));
    let unknown = assay(&[
        "pad",
        "report",
        &fixture("device-campaign.csv"),
        "--scheme",
        "ibeta-l9",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown scheme `ibeta-l9`"));
}

#[test]
fn html_is_self_contained_with_det_curve() {
    let out = assay(&[
        "--format",
        "html",
        "pad",
        "report",
        &shared("bob.pad.base/scores-dev.csv"),
        "--bootstrap",
        "0",
    ]);
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<svg") && html.contains("<polyline"));
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
}

#[test]
fn covers_checks_the_shipping_firmware() {
    let dir = tempfile::tempdir().unwrap();
    let out = assay(&[
        "--format",
        "json",
        "pad",
        "report",
        &fixture("device-campaign.csv"),
        "--manifest",
        &fixture("manifest.toml"),
        "--bootstrap",
        "0",
    ]);
    let path = dir.path().join("report.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let p = path.to_str().unwrap();
    let same = assay(&[
        "pad",
        "covers",
        p,
        "--firmware-digest",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).starts_with("covered"));
    let other = "0".repeat(64);
    let differs = assay(&["pad", "covers", p, "--firmware-digest", &other]);
    assert_eq!(differs.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&differs.stdout).starts_with("NOT covered"));
}

#[test]
fn bob_measure_file_is_read_as_it_is() {
    let out = assay(&[
        "--format",
        "json",
        "pad",
        "report",
        &shared("bob.measure/dev-1.txt"),
        "--criterion",
        "eer",
        "--bootstrap",
        "0",
    ]);
    assert!(out.status.success());
    let report = json(&out);
    let eer = report["scores"]["operating_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["criterion"] == "eer")
        .unwrap()
        .clone();
    assert!((eer["threshold"].as_f64().unwrap() + 8.025286e-03).abs() < 1e-9);
    assert_eq!(eer["apcer_pooled"]["count"], 31);
    assert_eq!(eer["bpcer"]["count"], 28);
    assert!((eer["hter_with_fta"].as_f64().unwrap() - 0.08599).abs() < 1e-5);
}

fn ok_out(out: Output) -> Output {
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Issue #14 point 2 end to end: the lab records its signed test report with its campaign,
/// exports both as one bundle, and the customer imports them as a unit, once.
#[test]
fn lab_report_with_campaign_travels_in_one_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    let me = tmp.path().join("me");
    let (lab_s, me_s) = (lab.to_str().unwrap(), me.to_str().unwrap());
    assert!(assay(&["init", "--workspace", lab_s]).status.success());
    assert!(assay(&["init", "--workspace", me_s]).status.success());
    let out = ok_out(assay(&[
        "--workspace",
        lab_s,
        "--format",
        "json",
        "pad",
        "report",
        &shared("bob.pad.base/scores-dev.csv"),
        "--manifest",
        &fixture("bob-manifest.toml"),
        "--lab",
        &fixture("lab.toml"),
        "--sample",
        &fixture("sample.toml"),
        "--issued",
        "2026-10-22",
        "--bootstrap",
        "0",
        "--record",
    ]));
    let report = json(&out);
    assert_eq!(report["lab"]["accreditation"]["number"], "200000-0");
    assert_eq!(report["samples"][0]["serial"], "X3F-C-0001");
    assert_eq!(report["signature"]["date"], "2026-10-22");
    assert_eq!(report["signature"]["key_name"], "default");
    assert_eq!(
        report["signature"]["key_fingerprint"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    let list = json(&assay(&[
        "--workspace",
        lab_s,
        "--format",
        "json",
        "evidence",
        "list",
    ]));
    let entries = list.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let meta = &entries[1]["meta"];
    assert_eq!(meta["accreditation"], "NVLAP 200000-0");
    assert_eq!(meta["sample_serials"], "X3F-C-0001,X3F-C-0002");
    assert_eq!(meta["report_date"], "2026-10-22");
    // The one sample record the report is about, named by digest for the rules.
    let sample_bytes = std::fs::read(fixture("sample.toml")).unwrap();
    assert_eq!(
        meta["test_sample_digest"],
        assay_core::Sha256Digest::of(&sample_bytes).to_hex()
    );

    // One bundle, both entries.
    let bundle = tmp.path().join("bundle");
    let exported = assay(&[
        "--workspace",
        lab_s,
        "evidence",
        "export",
        "0",
        "1",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let lab_key =
        String::from_utf8(assay(&["--workspace", lab_s, "key", "export", "default"]).stdout)
            .unwrap();
    let verified = assay(&[
        "verify-bundle",
        bundle.to_str().unwrap(),
        "--pubkey",
        lab_key.trim(),
    ]);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{text}");
    assert!(
        text.contains("VALID: 2 entries checked as one bundle"),
        "{text}"
    );

    assert!(
        assay(&[
            "--workspace",
            me_s,
            "trust",
            "add",
            "acme-lab",
            lab_key.trim(),
            "--role",
            "lab"
        ])
        .status
        .success()
    );
    let import = |expect_new: bool| {
        let out = assay(&[
            "--workspace",
            me_s,
            "--format",
            "json",
            "evidence",
            "import",
            bundle.to_str().unwrap(),
        ]);
        let rows = json(&out);
        let rows = rows.as_array().expect("one row per entry").clone();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["kind"], "pad-campaign");
        assert_eq!(rows[1]["kind"], "pad-report");
        assert!(rows.iter().all(|r| r["new"] == expect_new), "{rows:?}");
    };
    import(true);
    import(false);
    let mine = json(&assay(&[
        "--workspace",
        me_s,
        "--format",
        "json",
        "evidence",
        "list",
    ]));
    assert_eq!(
        mine.as_array().unwrap().len(),
        2,
        "importing twice appends nothing"
    );
}

/// `--samples`: the shipped configuration is compared with the units the lab tested on every
/// dimension the sample record holds (issue #14 point 1), with the example's lab report.
#[test]
fn covers_compares_the_tested_samples_with_what_ships() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/face-terminal-retest/evidence"
    );
    let report = format!("{example}/lab-report/campaign.pad-report.json");
    let samples = format!("{example}/test-sample/units-rev-c.toml");
    let fw = "5b7143c45504d29f5ad18a864c89a2851f8e12b2cc8f8bbf46417b2d8f1cc979";
    let comps = "3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a21";
    let rev_d = assay(&[
        "pad",
        "covers",
        &report,
        "--firmware-digest",
        fw,
        "--samples",
        &samples,
        "--hardware-revision",
        "D",
        "--components-digest",
        comps,
    ]);
    assert_eq!(rev_d.status.code(), Some(1));
    let text = String::from_utf8_lossy(&rev_d.stdout);
    assert!(text.starts_with("NOT covered"), "{text}");
    assert!(
        text.contains("tested on hardware rev C; rev D ships"),
        "{text}"
    );
    let rev_c = assay(&[
        "--format",
        "json",
        "pad",
        "covers",
        &report,
        "--firmware-digest",
        fw,
        "--samples",
        &samples,
        "--hardware-revision",
        "C",
        "--components-digest",
        comps,
    ]);
    assert_eq!(
        rev_c.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rev_c.stderr)
    );
    let v = json(&rev_c);
    assert_eq!(v["covered"], true);
    assert_eq!(v["sample_differences"], serde_json::json!([]));
    // A sample record without units is a named error (exit 2), never "covered".
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("empty.toml");
    std::fs::write(&bad, "lab = \"L\"\nhanded_over = 2026-08-24\n").unwrap();
    let out = assay(&[
        "pad",
        "covers",
        &report,
        "--firmware-digest",
        fw,
        "--samples",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.toml") && err.contains("field `unit`"),
        "{err}"
    );
}
