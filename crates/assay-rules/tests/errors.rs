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
        text.contains("unknown-source.toml:22: field `obligation[0] (o).sources`"),
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
            "bad-country.toml:6: field `country_of_origin`: `China` is not an officially assigned ISO 3166-1 alpha-2 code"
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

/// An empty inline table where a date belongs panicked in the TOML date visitor (exit 101);
/// now it is an error naming the file, line and field.
#[test]
fn empty_table_for_a_date_is_a_named_error() {
    let err = SubjectManifest::from_path(&fixture("manifests/empty-table-date.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("empty-table-date.toml:10:") && text.contains("market.planned_export"),
        "{text}"
    );
    assert!(text.contains("expected a date"), "{text}");

    let err = RulePack::from_path(&fixture("packs/empty-table-published.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("empty-table-published.toml:44:") && text.contains("market_list.published"),
        "{text}"
    );
}

/// Unknown country codes were accepted as markets when they were two upper-case letters.
#[test]
fn unassigned_country_codes_are_refused_with_a_suggestion() {
    let err = SubjectManifest::from_path(&fixture("manifests/market-uk.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("market-uk.toml:12: field `market[1].country`: `UK` is not an officially assigned ISO 3166-1 alpha-2 code"),
        "{text}"
    );
    assert!(text.contains("did you mean GB"), "{text}");

    let err = RulePack::from_path(&fixture("packs/market-xx.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("market-xx.toml:45: field `scope.all[0].market_in`: `XX` is not"),
        "{text}"
    );
    assert!(text.contains("e.g. US, DE"), "{text}");

    let greece = "id = \"a\"\nname = \"b\"\nvendor = \"c\"\nkind = \"device\"\ncategory = \"other\"\ncountry_of_origin = \"EL\"\n";
    let text = SubjectManifest::from_toml(greece, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("m.toml:6: field `country_of_origin`") && text.contains("GR"),
        "{text}"
    );
}

/// Messages quote input bounded and escaped: a 10 MB value and a terminal escape sequence in
/// manifest fields do not come back whole or raw.
#[test]
fn quoted_input_is_bounded_and_escaped() {
    let base = "id = \"a\"\nname = \"b\"\nvendor = \"c\"\nkind = \"device\"\n";
    let huge = "x".repeat(10 * 1024 * 1024);
    // Wrong enum value: toml's own message quotes it.
    let text = format!("{base}category = \"\\u001b]0;pwned\\u0007{huge}\"\n");
    let err = SubjectManifest::from_toml(&text, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(err.len() < 2_000, "message is {} bytes", err.len());
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err}");
    assert!(err.contains("\\u{1b}]0;pwned"), "{err}");
    // A country code: our own check quotes it.
    let text = format!("{base}category = \"other\"\ncountry_of_origin = \"\\u001b[2J{huge}\"\n");
    let err = SubjectManifest::from_toml(&text, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(err.len() < 2_000, "message is {} bytes", err.len());
    assert!(
        !err.contains('\u{1b}') && err.contains("\\u{1b}[2J"),
        "{err}"
    );
    // A 10 MB key on one line: the field name is bounded too.
    let text = format!("{base}category = \"other\"\n{huge} = 1\n");
    let err = SubjectManifest::from_toml(&text, "m.toml")
        .unwrap_err()
        .to_string();
    assert!(err.len() < 2_000, "message is {} bytes", err.len());
    // A pack citing an undeclared source with a hostile id.
    let pack = std::fs::read_to_string(fixture("packs/unknown-source.toml"))
        .unwrap()
        .replace("news-999", &format!("\\u001b]0;t{huge}"));
    let err = RulePack::from_toml(&pack, "p.toml")
        .unwrap_err()
        .to_string();
    assert!(err.len() < 2_000, "message is {} bytes", err.len());
    assert!(!err.contains('\u{1b}'), "{err}");
}
