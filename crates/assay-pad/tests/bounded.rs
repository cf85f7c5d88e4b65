//! Hostile input: errors quote it briefly with control characters escaped, readers keep their
//! memory bounded, and long work reports through the one reporter trait.

use std::io::Write as _;
use std::sync::Mutex;

use assay_pad::read::{read_bytes, read_path, read_path_with};
use assay_pad::{Manifest, PadError, PadOptions, Reporter, Scheme, pad_report};

const HEADER: &str =
    "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\n";

/// A message short enough to read: the 10 MB field is cut, not repeated.
fn assert_bounded(e: &str) {
    assert!(
        e.len() < 300,
        "{} bytes: {}",
        e.len(),
        &e[..e.len().min(400)]
    );
    assert!(!e.contains('\u{1b}'), "raw escape in {e:?}");
}

fn temp_file(bytes: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

#[test]
fn ten_megabyte_csv_field_gives_a_short_error() {
    let huge = "x".repeat(10 << 20);
    for (field, row) in [
        ("kind", format!("p1,s1,1,{huge},print,,,reject,\n")),
        ("decision", format!("p1,s1,1,attack,print,,,{huge},\n")),
        ("score", format!("p1,s1,1,attack,print,,,,{huge}\n")),
    ] {
        let text = format!("{HEADER}p0,s1,1,bona_fide,,,,accept,\n{row}");
        // In memory and from a file (the block-wise parallel path).
        let e = read_bytes(text.as_bytes(), "c.csv")
            .unwrap_err()
            .to_string();
        assert_bounded(&e);
        assert!(
            e.starts_with(&format!("c.csv:3: field `{field}`: `xxxx")),
            "{e}"
        );
        assert!(e.contains("xxx… (10485680 more bytes)`"), "{e}");
        let file = temp_file(text.as_bytes(), ".csv");
        let e = read_path(file.path()).unwrap_err().to_string();
        assert_bounded(&e);
        assert!(e.contains(&format!(":3: field `{field}`: `xxxx")), "{e}");
    }
}

#[test]
fn ten_megabyte_duplicate_id_gives_a_short_error() {
    let id = "d".repeat(10 << 20);
    let text = format!("{HEADER}{id},s1,1,bona_fide,,,,accept,\n{id},s1,1,bona_fide,,,,accept,\n");
    let e = read_bytes(text.as_bytes(), "c.csv")
        .unwrap_err()
        .to_string();
    assert_bounded(&e);
    assert!(
        e.starts_with("c.csv:3: field `presentation_id`: `dddd"),
        "{e}"
    );
    assert!(e.ends_with("is already used at line 2; every presentation needs its own id"));
}

#[test]
fn ten_megabyte_jsonl_and_bob_fields_give_short_errors() {
    let huge = "k".repeat(10 << 20);
    let jsonl = format!("{{\"presentation_id\":\"p1\",\"kind\":\"{huge}\",\"species\":\"x\"}}\n");
    let e = read_bytes(jsonl.as_bytes(), "c.jsonl")
        .unwrap_err()
        .to_string();
    assert_bounded(&e);
    assert!(e.starts_with("c.jsonl:1: field `kind`: `kkkk"), "{e}");
    let jsonl = format!(
        "{{\"presentation_id\":\"p1\",\"kind\":\"attack\",\"species\":\"x\",\"score\":[\"{huge}\"]}}\n"
    );
    let e = read_bytes(jsonl.as_bytes(), "c.jsonl")
        .unwrap_err()
        .to_string();
    assert_bounded(&e);
    assert!(e.starts_with("c.jsonl:1: field `score`"), "{e}");
    let bob = format!("claimed_id,test_label,is_bonafide,attack_type,score\nx0,t,{huge},,1.0\n");
    let e = read_bytes(bob.as_bytes(), "b.csv").unwrap_err().to_string();
    assert_bounded(&e);
    assert!(e.starts_with("b.csv:2: field `is_bonafide`: `kkkk"), "{e}");
    let measure = format!("1 0.5\n-1 {huge}\n");
    let e = read_bytes(measure.as_bytes(), "m.txt")
        .unwrap_err()
        .to_string();
    assert_bounded(&e);
    assert!(e.starts_with("m.txt:2: field `score`: `kkkk"), "{e}");
}

#[test]
fn escape_sequence_in_a_label_is_shown_escaped() {
    // OSC 0 would set the terminal title; it must reach the message as text.
    let osc = "\u{1b}]0;pwned\u{7}";
    let text = format!("{HEADER}p1,s1,1,{osc},print,,,reject,\n");
    let e = read_bytes(text.as_bytes(), "c.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "c.csv:2: field `kind`: `\\u{1b}]0;pwned\\u{7}` is not a kind; use bona_fide or attack"
    );
    let text = format!("{HEADER}p1,s1,1,attack,print,,,{osc}reject,\n");
    let e = read_bytes(text.as_bytes(), "c.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`\\u{1b}]0;pwned\\u{7}reject` is not a decision"),
        "{e}"
    );
    let jsonl = "{\"presentation_id\":\"p1\",\"kind\":\"\\u001b[2J\",\"species\":\"x\"}\n";
    let e = read_bytes(jsonl.as_bytes(), "c.jsonl")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`\\u{1b}[2J` is not a kind"), "{e}");
    // A bidirectional override in a duplicated id.
    let id = "p\u{202e}1";
    let text = format!("{HEADER}{id},s1,1,bona_fide,,,,accept,\n{id},s1,1,bona_fide,,,,accept,\n");
    let e = read_bytes(text.as_bytes(), "c.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`p\\u{202e}1` is already used at line 2"), "{e}");
}

#[test]
fn manifest_and_scheme_errors_are_bounded() {
    // A TOML error on a 10 MB line: the toml crate's own message repeats the whole line.
    let huge = format!("[device]\nname = \"{}\n", "n".repeat(10 << 20));
    let e = Manifest::parse(&huge, "m.toml").unwrap_err().to_string();
    assert_bounded(&e);
    assert!(e.starts_with("m.toml: manifest: line 2, column "), "{e}");
    let e = Scheme::parse(&huge, "s.toml").unwrap_err().to_string();
    assert_bounded(&e);
    assert!(e.starts_with("s.toml: scheme: line 2, column "), "{e}");

    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/manifest.toml"
    ))
    .unwrap();
    let bad_digest = manifest.replace(
        "firmware_digest = \"sha256:",
        // TOML escapes: the parsed value holds ESC and BEL.
        &format!(
            "firmware_digest = \"\\u001b]0;x\\u0007{}",
            "f".repeat(10 << 20)
        ),
    );
    let e = Manifest::parse(&bad_digest, "m.toml")
        .unwrap_err()
        .to_string();
    assert_bounded(&e);
    assert!(
        e.starts_with("m.toml: manifest: device.firmware_digest: `\\u{1b}]0;x\\u{7}fff"),
        "{e}"
    );

    let e = assay_pad::scheme::select(&Scheme::builtin(), &[format!("\u{1b}[2J{huge}")])
        .unwrap_err()
        .to_string();
    assert!(e.len() < 1000, "{} bytes", e.len());
    assert!(e.starts_with("unknown scheme `\\u{1b}[2J[device]"), "{e}");
    let criterion = format!("\u{1b}[2J{}", "y".repeat(10 << 20));
    let e = criterion
        .parse::<assay_pad::Criterion>()
        .unwrap_err()
        .to_string();
    assert_bounded(&e);
}

#[test]
fn a_file_without_line_ends_is_refused_not_read_whole() {
    let file = temp_file(&vec![b'a'; 70 << 20], ".csv");
    let e = read_path(file.path()).unwrap_err();
    assert!(matches!(e, PadError::LineTooLong { offset: 0, .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.ends_with("the line starting at byte 0 is longer than 32 MiB; campaign files hold one short row per line (is this the right file?)"),
        "{e}"
    );
}

/// Records every call, to check the reporter contract.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Reporter for Recorder {
    fn start(&self, what: &str, total: Option<u64>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("start {what} {total:?}"));
    }
    fn advance(&self, n: u64) {
        let mut events = self.0.lock().unwrap();
        // Sum consecutive advances so the log does not depend on the block size.
        if let Some(last) = events.last_mut()
            && let Some(sum) = last.strip_prefix("advance ")
        {
            let sum: u64 = sum.parse().unwrap();
            *last = format!("advance {}", sum + n);
            return;
        }
        events.push(format!("advance {n}"));
    }
    fn finish(&self) {
        self.0.lock().unwrap().push("finish".into());
    }
}

#[test]
fn reading_and_report_steps_go_through_the_one_reporter() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/device-campaign.csv");
    let len = std::fs::metadata(&path).unwrap().len();
    let recorder = Recorder::default();
    let campaign = read_path_with(&path, &recorder).unwrap();
    let events = std::mem::take(&mut *recorder.0.lock().unwrap());
    assert_eq!(
        events,
        [
            format!("start reading {} Some({len})", path.display()),
            format!("advance {len}"),
            "finish".to_string(),
        ]
    );
    let options = PadOptions {
        bootstrap: Some(assay_pad::BootstrapOptions {
            resamples: 20,
            seed: 1,
        }),
        ..PadOptions::default()
    };
    pad_report(&campaign, None, &[], &options, &recorder).unwrap();
    let events = recorder.0.into_inner().unwrap();
    let starts: Vec<&str> = events
        .iter()
        .filter_map(|e| e.strip_prefix("start "))
        .collect();
    assert!(starts.contains(&"decision metrics None"), "{events:?}");
    assert!(starts.contains(&"bootstrap None"), "{events:?}");
    assert_eq!(starts.last(), Some(&"verdicts None"), "{events:?}");
    // Every step that starts finishes before the next one starts.
    for pair in events.chunks(2) {
        assert!(pair[0].starts_with("start "), "{events:?}");
        assert_eq!(pair[1], "finish", "{events:?}");
    }
}

#[test]
fn text_report_shows_an_escape_sequence_in_a_species_name_as_text() {
    let text = format!(
        "{HEADER}p1,s1,1,bona_fide,,,,accept,\np2,s1,1,attack,\u{1b}]0;pwned\u{7}mask,,,reject,\n"
    );
    let campaign = read_bytes(text.as_bytes(), "c.csv").unwrap();
    let options = PadOptions {
        bootstrap: None,
        ..PadOptions::default()
    };
    let report = pad_report(&campaign, None, &[], &options, &assay_pad::Silent).unwrap();
    let shown = assay_pad::render::text(&report);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown}"
    );
    assert!(shown.contains("\\u{1b}]0;pwned\\u{7}mask"), "{shown}");
}
