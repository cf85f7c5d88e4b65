//! `check` reads the package's assessment.json as a typed `Assessment` and compares values:
//! a changed verdict or digest fails naming the field; the same values written differently
//! (re-indented, keys reordered, digests in upper case) pass.

use std::path::Path;

use assay_assess::{AssessOptions, CaseInputs, CheckItem, Overrides, Package};
use assay_core::Silent;
use assay_ledger::Ledger;
use serde_json::Value;

const VERDICTS: &str = "verdicts follow from inputs and packs";

fn package(tmp: &Path) -> Package {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ledger = Ledger::init(&tmp.join("ws")).unwrap();
    let case = CaseInputs::discover(&repo.join("examples/iris-lock-non-autonomous")).unwrap();
    let overrides = Overrides {
        date: assay_core::Day::parse("2026-11-22"),
        ..Default::default()
    };
    let mut options = AssessOptions::resolve(
        &overrides,
        &case,
        assay_core::Day::parse("2000-01-01").unwrap(),
    )
    .unwrap();
    options.advisories = assay_assess::import_advisories(&case, &ledger, &Silent);
    let assessed = assay_assess::assess(&case, &options, &ledger, &Silent).unwrap();
    assay_assess::build_package(&assessed, &ledger).unwrap()
}

fn with_assessment(p: &Package, edit: impl FnOnce(&mut Value)) -> Package {
    let mut v: Value = serde_json::from_slice(p.get("assessment.json").unwrap()).unwrap();
    edit(&mut v);
    let mut p = p.clone();
    p.files
        .insert("assessment.json".into(), serde_json::to_vec(&v).unwrap());
    p
}

fn verdicts(p: &Package) -> CheckItem {
    assay_assess::check(p)
        .unwrap()
        .checks
        .into_iter()
        .find(|c| c.what == VERDICTS)
        .expect("a verdict check")
}

/// Every string value that is 64 lowercase hex digits, upper-cased.
fn upper_digests(v: &mut Value) {
    match v {
        Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            *s = s.to_ascii_uppercase();
        }
        Value::Array(xs) => xs.iter_mut().for_each(upper_digests),
        Value::Object(m) => m.values_mut().for_each(upper_digests),
        _ => {}
    }
}

/// Keys in reverse order at every level (serde_json keeps a map's insertion order only with
/// `preserve_order`; written by hand here so the test does not depend on the feature).
fn reversed_keys(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            out.push_str("{\n");
            let keys: Vec<_> = m.keys().rev().collect();
            for (i, k) in keys.iter().enumerate() {
                out.push_str(&format!("{pad}   {}: ", serde_json::to_string(k).unwrap()));
                reversed_keys(&m[k.as_str()], indent + 3, out);
                if i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&format!("{pad}}}"));
        }
        Value::Array(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\t");
                }
                reversed_keys(x, indent + 1, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

#[test]
fn check_compares_typed_values_and_names_the_field_that_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let p = package(tmp.path());
    let ok = verdicts(&p);
    assert!(ok.ok, "{ok:?}");

    // The same values written differently: reordered keys, other whitespace, digests in
    // upper case (a digest is a value, not a spelling).
    let mut v: Value = serde_json::from_slice(p.get("assessment.json").unwrap()).unwrap();
    upper_digests(&mut v);
    let mut text = String::new();
    reversed_keys(&v, 0, &mut text);
    let mut same = p.clone();
    same.files
        .insert("assessment.json".into(), text.into_bytes());
    let c = verdicts(&same);
    assert!(
        c.ok,
        "an equal assessment written differently failed: {c:?}"
    );

    // A verdict changed.
    let changed = with_assessment(&p, |v| {
        let o = &mut v["evaluation"]["results"][0]["obligations"][0]["status"];
        *o = Value::String(if o == "met" { "unmet" } else { "met" }.into());
    });
    let c = verdicts(&changed);
    assert!(!c.ok);
    assert!(
        c.detail
            .starts_with("evaluation.results[0].obligations[0].status: recorded"),
        "{}",
        c.detail
    );

    // A pack digest changed (not part of the evaluation: a JSON-tree comparison of the
    // evaluation alone never saw it).
    let other = "ab".repeat(32);
    let changed = with_assessment(&p, |v| {
        v["packs"][0]["digest"] = Value::String(other.clone());
    });
    let c = verdicts(&changed);
    assert!(!c.ok);
    assert!(
        c.detail.starts_with("packs[0].digest: recorded abab"),
        "{}",
        c.detail
    );

    // The subject's artefact digest changed.
    let changed = with_assessment(&p, |v| {
        v["subject"]["artefact_digest"] = Value::String(other.clone());
    });
    let c = verdicts(&changed);
    assert!(
        !c.ok
            && c.detail
                .starts_with("subject.artefact_digest: recorded abab"),
        "{}",
        c.detail
    );

    // A market verdict changed.
    let changed = with_assessment(&p, |v| {
        let s = &mut v["markets"][0]["status"];
        *s = Value::String(
            if s == "can-ship" {
                "cannot-ship"
            } else {
                "can-ship"
            }
            .into(),
        );
    });
    let c = verdicts(&changed);
    assert!(
        !c.ok && c.detail.starts_with("markets[0].status: recorded"),
        "{}",
        c.detail
    );

    // A digest that is not one: the assessment does not read, and the check says so.
    let changed = with_assessment(&p, |v| {
        v["evaluation"]["results"][0]["pack_digest"] = Value::String("not-a-digest".into());
    });
    let c = verdicts(&changed);
    assert!(
        !c.ok
            && c.detail.contains("does not read as an assessment")
            && c.detail.contains("not-a-digest"),
        "{}",
        c.detail
    );
}
