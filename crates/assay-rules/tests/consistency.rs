//! Description consistency on fixture documents: real conflicts and a set that agrees.

use std::path::Path;

use assay_rules::SubjectManifest;
use assay_rules::consistency::{Document, Topic, check};

fn doc(name: &str) -> Document {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docs")
        .join(name);
    Document {
        name: name.to_string(),
        text: std::fs::read_to_string(path).unwrap(),
    }
}

fn manifest() -> SubjectManifest {
    SubjectManifest::from_path(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests/face-terminal.toml"),
    )
    .unwrap()
}

#[test]
fn conflicting_descriptions_name_documents_and_sentences() {
    let m = manifest();
    let r = check(
        Some(&m),
        &[
            doc("technical-file.md"),
            doc("sales-brochure.md"),
            doc("filing-draft.txt"),
        ],
    );
    let pairs: Vec<(Topic, &str, &str, usize, &str, usize)> = r
        .conflicts
        .iter()
        .map(|c| {
            (
                c.topic,
                c.value.as_str(),
                c.first.document.as_str(),
                c.first.line,
                c.second.document.as_str(),
                c.second.line,
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (
                Topic::AutonomousDecision,
                "autonomous-decision",
                "technical-file.md",
                5,
                "sales-brochure.md",
                3
            ),
            (
                Topic::AutonomousDecision,
                "autonomous-decision",
                "sales-brochure.md",
                3,
                "filing-draft.txt",
                3
            ),
            (
                Topic::IntendedUse,
                "consumer",
                "sales-brochure.md",
                6,
                "filing-draft.txt",
                3
            ),
            (
                Topic::AutonomousDecision,
                "autonomous-decision",
                "sales-brochure.md",
                3,
                "manifest",
                0
            ),
            (
                Topic::IntendedUse,
                "consumer",
                "sales-brochure.md",
                6,
                "manifest",
                0
            ),
        ]
    );
    let denial = &r.conflicts[0].second;
    assert_eq!(
        denial.sentence,
        "Every entry is confirmed by your guard: the terminal does not make autonomous decisions."
    );
    assert_eq!(denial.negation.as_deref(), Some("not"));
}

#[test]
fn agreeing_descriptions_have_no_conflict() {
    let m = manifest();
    let r = check(
        Some(&m),
        &[doc("technical-file.md"), doc("sales-consistent.md")],
    );
    assert!(r.conflicts.is_empty(), "{:#?}", r.conflicts);
    // It did find claims: the check is not vacuous.
    let topics: Vec<Topic> = r
        .claims
        .iter()
        .filter(|c| c.document == "sales-consistent.md")
        .map(|c| c.topic)
        .collect();
    assert!(
        topics.contains(&Topic::AutonomousDecision)
            && topics.contains(&Topic::LivenessDetection)
            && topics.contains(&Topic::IntendedUse),
        "{topics:?}"
    );
    insta::assert_json_snapshot!("consistent_claims", r.claims);
}

#[test]
fn a_document_claiming_an_undeclared_function_conflicts_with_the_manifest() {
    let mut m = manifest();
    m.functions
        .retain(|f| *f != assay_rules::Function::AutonomousDecision);
    let r = check(Some(&m), &[doc("filing-draft.txt")]);
    assert_eq!(r.conflicts.len(), 1);
    assert!(
        r.conflicts[0]
            .explanation
            .contains("but the manifest does not declare it"),
        "{}",
        r.conflicts[0].explanation
    );
}
