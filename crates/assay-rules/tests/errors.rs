//! Malformed packs and manifests: the error names the file, the line and column when the TOML
//! parser gives one, and the field.

use std::path::Path;

use assay_rules::{RulePack, RulesError, SubjectManifest};

fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

#[test]
fn pack_with_unknown_evidence_kind_points_at_the_line() {
    let err = RulePack::from_path(&fixture("packs/bad-kind.toml")).unwrap_err();
    let RulesError::Syntax {
        file,
        line,
        column,
        field,
        message,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(file.ends_with("bad-kind.toml"));
    assert_eq!((*line, *column), (25, 8));
    assert_eq!(field, "obligation.evidence.kind");
    assert!(
        message.contains("pad-reprot") && message.contains("pad-report"),
        "{message}"
    );
    let text = err.to_string();
    assert!(
        text.contains("bad-kind.toml:25:8: field `obligation.evidence.kind`"),
        "{text}"
    );
}

#[test]
fn pack_citing_an_undeclared_source() {
    let err = RulePack::from_path(&fixture("packs/unknown-source.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("unknown-source.toml: field `obligation[0] (o).sources`"),
        "{text}"
    );
    assert!(
        text.contains("news-999") && text.contains("cite one of: s"),
        "{text}"
    );
}

#[test]
fn manifest_with_unknown_use_and_bad_country() {
    let err = SubjectManifest::from_path(&fixture("manifests/bad-use.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bad-use.toml:9:9: field `market.uses`"),
        "{text}"
    );
    assert!(
        text.contains("federal-procurment") && text.contains("federal-procurement"),
        "{text}"
    );

    let err = SubjectManifest::from_path(&fixture("manifests/bad-country.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "bad-country.toml: field `country_of_origin`: `China` is not an ISO 3166-1 alpha-2 code"
        ),
        "{text}"
    );
}

#[test]
fn missing_file_and_unknown_field() {
    let err = SubjectManifest::from_path(&fixture("manifests/nope.toml")).unwrap_err();
    assert!(matches!(err, RulesError::Io { .. }));
    assert!(err.to_string().contains("nope.toml"));
    let err = SubjectManifest::from_toml("id = \"a\"\nname = \"b\"\nvendor = \"c\"\nkind = \"device\"\ncategory = \"other\"\ncolour = \"red\"\n", "m.toml").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("m.toml:6:1: field `colour`"), "{text}");
    // A condition with two tests is ambiguous.
    let pack = std::fs::read_to_string(fixture("packs/unknown-source.toml"))
        .unwrap()
        .replace(
            "{ market_in = [\"US\"] }",
            "{ market_in = [\"US\"], kind = \"device\" }",
        );
    let err = RulePack::from_toml(&pack, "two-tests.toml").unwrap_err();
    assert!(
        err.to_string().contains(
            "two-tests.toml: field `scope.all[0]`: a condition needs exactly one test, found 2"
        ),
        "{err}"
    );
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "[[[",
        "id = 3",
        "\u{0}\u{ffff}",
        "[[market]]\ncountry = 1",
        "obligation = 5",
    ] {
        assert!(SubjectManifest::from_toml(text, "g.toml").is_err());
        assert!(RulePack::from_toml(text, "g.toml").is_err());
    }
}
