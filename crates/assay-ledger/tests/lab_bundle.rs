//! Issue #14 point 2: a lab's bundle holds its test report AND its campaign, verified as a unit
//! on import; importing twice appends nothing; old one-entry bundles stay readable.

use std::collections::BTreeMap;
use std::fs;

use assay_core::{EvidenceKind, IssuerRole};
use assay_ledger::{
    BUNDLE_FORMAT_V2, DEFAULT_KEY, EvidenceInput, Ledger, Silent, keys, verify_bundle,
    verify_bundle_all,
};

fn item(kind: EvidenceKind, name: &str, body: &[u8]) -> EvidenceInput {
    EvidenceInput {
        kind,
        subject: "FaceGate 3D-200 FG3D-200".into(),
        file_name: name.into(),
        bytes: body.to_vec(),
        meta: BTreeMap::from([("lab".to_string(), "Example Biometrics Lab".to_string())]),
    }
}

struct Pair {
    tmp: tempfile::TempDir,
    lab: Ledger,
    me: Ledger,
    indices: Vec<u64>,
}

/// A lab that recorded a campaign (the real example campaign) and its report, and a
/// customer workspace that trusts the lab.
fn pair() -> Pair {
    let tmp = tempfile::tempdir().unwrap();
    let lab = Ledger::init(&tmp.path().join("lab")).unwrap();
    let me = Ledger::init(&tmp.path().join("me")).unwrap();
    me.trust(
        "lab-a",
        &lab.export_key(DEFAULT_KEY).unwrap(),
        IssuerRole::Lab,
    )
    .unwrap();
    let campaign = fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/face-terminal-cn-us/pad/campaign.csv"),
    )
    .unwrap();
    let added = lab
        .add(
            &[
                item(EvidenceKind::PadCampaign, "campaign.csv", &campaign),
                item(
                    EvidenceKind::PadReport,
                    "campaign.pad-report.json",
                    b"{\"format\":\"assay-pad-report/1\"}",
                ),
            ],
            DEFAULT_KEY,
        )
        .unwrap();
    Pair {
        tmp,
        lab,
        me,
        indices: added.iter().map(|a| a.index).collect(),
    }
}

#[test]
fn the_report_travels_with_its_campaign_and_imports_once() {
    let p = pair();
    let out = p.tmp.path().join("bundle");
    let manifest = p.lab.export_entries(&p.indices, &out).unwrap();
    assert_eq!(manifest.format, BUNDLE_FORMAT_V2);
    assert_eq!(manifest.entries.len(), 2);
    assert!(out.join("campaign.csv").is_file());
    assert!(out.join("campaign.pad-report.json").is_file());

    // Verified offline, entry by entry, with the lab's key only.
    let key = keys::parse_public_key(&p.lab.export_key(DEFAULT_KEY).unwrap()).unwrap();
    let reports = verify_bundle_all(&out, std::slice::from_ref(&key)).unwrap();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r.is_valid()));
    assert_eq!(reports[0].signed.as_ref().unwrap().kind, "pad-campaign");
    assert_eq!(reports[1].signed.as_ref().unwrap().kind, "pad-report");
    // The one-entry reader says what reads a bundle of several entries.
    let e = verify_bundle(&out, &[key]).unwrap_err().to_string();
    assert!(e.contains("holds 2 entries"), "{e}");

    let len0 = p.me.len().unwrap();
    let first = p.me.import_all(&out).unwrap();
    assert_eq!(first.len(), 2);
    assert!(
        first
            .iter()
            .all(|i| i.newly_appended && i.issuer == "lab-a")
    );
    assert_eq!(p.me.len().unwrap(), len0 + 2);
    let kinds: Vec<String> = first.iter().map(|i| i.signed.kind.clone()).collect();
    assert_eq!(kinds, ["pad-campaign", "pad-report"]);
    // Idempotent: twice appends nothing, and `import` returns the report (the last entry).
    let again = p.me.import_all(&out).unwrap();
    assert!(again.iter().all(|i| !i.newly_appended));
    assert_eq!(
        again.iter().map(|i| i.appended.index).collect::<Vec<_>>(),
        first.iter().map(|i| i.appended.index).collect::<Vec<_>>()
    );
    let one = p.me.import(&out).unwrap();
    assert_eq!(one.signed.kind, "pad-report");
    assert_eq!(p.me.len().unwrap(), len0 + 2, "three imports, two entries");
    assert!(p.me.verify(&Silent).unwrap().is_intact());
}

#[test]
fn a_tampered_campaign_refuses_the_whole_bundle() {
    let p = pair();
    let out = p.tmp.path().join("bundle");
    p.lab.export_entries(&p.indices, &out).unwrap();
    // The report is intact; its campaign was edited after signing.
    let mut campaign = fs::read(out.join("campaign.csv")).unwrap();
    campaign.extend_from_slice(b"p99999,subj-000,1,bona_fide,,,,accept,\n");
    fs::write(out.join("campaign.csv"), campaign).unwrap();
    let len0 = p.me.len().unwrap();
    let e = p.me.import_all(&out).unwrap_err().to_string();
    assert!(
        e.contains("entry 1 of the bundle") && e.contains("blob digest"),
        "{e}"
    );
    assert_eq!(
        p.me.len().unwrap(),
        len0,
        "nothing imported, not even the report"
    );
}

#[test]
fn hostile_v2_manifests_are_refused() {
    let p = pair();
    let out = p.tmp.path().join("bundle");
    p.lab.export_entries(&p.indices, &out).unwrap();
    let original = fs::read_to_string(out.join("bundle.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    // Two entries pointing at one envelope file.
    v["entries"][1]["envelope"] = v["entries"][0]["envelope"].clone();
    fs::write(out.join("bundle.json"), v.to_string()).unwrap();
    let e = p.me.import_all(&out).unwrap_err().to_string();
    assert!(e.contains("for two parts"), "{e}");
    // A path outside the bundle.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    v["entries"][0]["file"] = "../../etc/passwd".into();
    fs::write(out.join("bundle.json"), v.to_string()).unwrap();
    let e = p.me.import_all(&out).unwrap_err().to_string();
    assert!(e.contains("not a plain file name"), "{e}");
    // No entries.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    v["entries"] = serde_json::json!([]);
    fs::write(out.join("bundle.json"), v.to_string()).unwrap();
    let e = p.me.import_all(&out).unwrap_err().to_string();
    assert!(e.contains("0 entries"), "{e}");
    assert_eq!(p.me.len().unwrap(), 0);
}

#[test]
fn an_old_single_entry_bundle_still_imports() {
    let p = pair();
    let out = p.tmp.path().join("v1");
    let m = p.lab.export(p.indices[1], &out).unwrap();
    assert_eq!(m.format, "assay-evidence-bundle/v1");
    let all = p.me.import_all(&out).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].signed.kind, "pad-report");
    let (again, _) = p.me.import_bundle(&out).unwrap();
    assert_eq!(again.index, all[0].appended.index);
    assert_eq!(p.me.len().unwrap(), 1);
}

#[test]
fn export_refuses_bad_entry_lists() {
    let p = pair();
    let out = p.tmp.path().join("b");
    assert!(p.lab.export_entries(&[], &out).is_err());
    let e = p
        .lab
        .export_entries(&[p.indices[0], p.indices[0]], &out)
        .unwrap_err()
        .to_string();
    assert!(e.contains("named twice"), "{e}");
}
