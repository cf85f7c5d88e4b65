//! Bad input: an error naming the file, the line and the field, never a panic.

use assay_pad::read::read_bytes;

const HEADER: &str =
    "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\n";

fn error_of(name: &str, body: &str) -> String {
    let text = if name.ends_with(".csv") {
        format!("{HEADER}{body}")
    } else {
        body.to_string()
    };
    read_bytes(text.as_bytes(), name)
        .expect_err("bad input must be rejected")
        .to_string()
}

#[test]
fn unknown_kind() {
    let e = error_of(
        "c.csv",
        "p1,s1,1,bona_fide,,,,accept,\np2,s1,1,impostor,print,,,reject,\n",
    );
    assert_eq!(
        e,
        "c.csv:3: field `kind`: `impostor` is not a kind; use bona_fide or attack"
    );
}

#[test]
fn score_not_a_number() {
    let e = error_of(
        "c.csv",
        "p1,s1,1,bona_fide,,,,,0.5\np2,s1,1,attack,print,,,,0.3\np3,s1,1,attack,print,,,,high\n",
    );
    assert_eq!(
        e,
        "c.csv:4: field `score`: `high` is not a number; write a decimal such as 0.73, or leave it empty"
    );
}

#[test]
fn duplicate_presentation_id_names_both_lines() {
    let e = error_of(
        "c.csv",
        "p1,s1,1,bona_fide,,,,accept,\np2,s1,1,attack,print,,,reject,\np1,s2,1,attack,print,,,reject,\n",
    );
    assert_eq!(
        e,
        "c.csv:4: field `presentation_id`: `p1` is already used at line 2; every presentation needs its own id"
    );
}

#[test]
fn attack_without_species() {
    let e = error_of("c.csv", "p1,s1,1,attack,,L1,,reject,\n");
    assert!(
        e.starts_with("c.csv:2: field `species`: an attack row needs its PAI species"),
        "{e}"
    );
}

#[test]
fn bona_fide_with_species_and_bad_decision_and_field_count() {
    let e = error_of("c.csv", "p1,s1,1,bona_fide,print,,,accept,\n");
    assert!(
        e.starts_with("c.csv:2: field `species`: a bona fide row must leave species empty"),
        "{e}"
    );
    let e = error_of("c.csv", "p1,s1,1,bona_fide,,,,maybe,\n");
    assert!(
        e.starts_with("c.csv:2: field `decision`: `maybe` is not a decision"),
        "{e}"
    );
    let e = error_of("c.csv", "p1,s1,1,bona_fide,,,accept,\n");
    assert!(
        e.starts_with("c.csv:2: field `(row)`: 8 fields where the header has 9"),
        "{e}"
    );
    let e = error_of("c.csv", "p1,s1,1,bona_fide,,,,,\n");
    assert!(
        e.starts_with("c.csv:2: field `decision`: the row has neither a decision nor a score"),
        "{e}"
    );
    let e = error_of("c.csv", "p1,s1,1,bona_fide,,,,,inf\n");
    assert!(
        e.starts_with("c.csv:2: field `score`: `inf` is infinite"),
        "{e}"
    );
}

#[test]
fn header_problems() {
    let e = read_bytes(b"id,kind,species,score\n1,attack,x,0.1\n", "h.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("h.csv:1: header: no `presentation_id` column"),
        "{e}"
    );
    let e = read_bytes(b"presentation_id,kind,species\n1,attack,x\n", "h.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neither a `decision` nor a `score` column"),
        "{e}"
    );
}

#[test]
fn jsonl_errors_name_line_and_field() {
    let ok = r#"{"presentation_id":"p1","subject":"s1","kind":"bona_fide","decision":"accept"}"#;
    let e = error_of(
        "c.jsonl",
        &format!("{ok}\n{{\"presentation_id\":\"p2\",\"kind\":\"spoof\",\"species\":\"x\"}}\n"),
    );
    assert_eq!(
        e,
        "c.jsonl:2: field `kind`: `spoof` is not a kind; use bona_fide or attack"
    );
    let e = error_of("c.jsonl", &format!("{ok}\n{ok}\n"));
    assert!(
        e.starts_with("c.jsonl:2: field `presentation_id`: `p1` is already used at line 1"),
        "{e}"
    );
    let e = error_of(
        "c.jsonl",
        "{\"presentation_id\":\"p1\",\"kind\":\"attack\",\"score\":0.2}\n",
    );
    assert!(e.starts_with("c.jsonl:1: field `species`"), "{e}");
    let e = error_of(
        "c.jsonl",
        "{\"presentation_id\":\"p1\",\"kind\":\"attack\",\"species\":\"x\",\"score\":\"abc\"}\n",
    );
    assert!(
        e.starts_with("c.jsonl:1: field `score`: `abc` is not a number"),
        "{e}"
    );
    let e = error_of("c.jsonl", "{\"presentation_id\": \n");
    assert!(e.starts_with("c.jsonl:1: field `(json)`"), "{e}");
}

#[test]
fn bob_formats_errors() {
    let e = read_bytes(
        b"claimed_id,test_label,is_bonafide,attack_type,score\nx0,t,True,,1.0\nx1,t,Maybe,,2\n",
        "b.csv",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "b.csv:3: field `is_bonafide`: `Maybe` is not True or False"
    );
    let e = read_bytes(b"1 0.5\n-1 zero\n", "m.txt")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("m.txt:2: field `score`: `zero` is not a number"),
        "{e}"
    );
}

#[test]
fn jsonl_and_csv_agree() {
    let csv = format!(
        "{HEADER}p1,s1,1,bona_fide,,,,,0.9\np2,s1,1,attack,print,L1,,,0.2\np3,s2,1,attack,\"print\",L1,,no_response,\n"
    );
    let jsonl = r#"{"presentation_id":"p1","subject":"s1","kind":"bona_fide","score":0.9}
{"presentation_id":"p2","subject":"s1","kind":"attack","species":"print","attack_potential":"L1","score":"0.2"}
{"presentation_id":"p3","subject":"s2","kind":"attack","species":"print","attack_potential":"L1","decision":"no_response","score":null}
"#;
    let a = read_bytes(csv.as_bytes(), "c.csv").unwrap();
    let b = read_bytes(jsonl.as_bytes(), "c.jsonl").unwrap();
    assert_eq!(a.kind, b.kind);
    assert_eq!(a.species, b.species);
    assert_eq!(a.level, b.level);
    assert_eq!(a.subject, b.subject);
    assert_eq!(a.decision, b.decision);
    assert_eq!(format!("{:?}", a.score), format!("{:?}", b.score));
    assert_eq!(a.species_names, b.species_names);
}
