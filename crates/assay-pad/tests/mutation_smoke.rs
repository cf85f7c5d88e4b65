//! Mutation smoke test (issue #9 point 8): every PAD reader and TOML parser gets its real seed
//! files and a few thousand deterministic byte mutations of them, and must never panic. Bounded
//! to a couple of seconds per family so it runs in the normal suite; `scripts/fuzz.sh` fuzzes
//! the same parsers for longer (docs/reliability.md).

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assay_pad::read::{self, Input};
use assay_pad::{LabInfo, Manifest, PadOptions, Scheme, Silent, pad_report};
use mutate::{Seed, smoke};

const BUDGET: Duration = Duration::from_millis(2500);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seeds(paths: &[PathBuf], max_lines: usize) -> Vec<Seed> {
    paths
        .iter()
        .filter_map(|p| Seed::file(p, max_lines))
        .collect()
}

/// After a campaign reads, its report (no bootstrap) must not panic either.
fn report(campaign: &assay_pad::Campaign) {
    let options = PadOptions {
        bootstrap: None,
        ..Default::default()
    };
    let _ = pad_report(campaign, None, &Scheme::builtin(), &options, &Silent);
}

#[test]
fn campaign_readers_survive_mutations() {
    let r = root();
    let data = r.join("../shared/data/pad");
    let mut all = seeds(
        &[
            r.join("examples/face-terminal-cn-us/pad/campaign.csv"),
            r.join("crates/assay-pad/tests/fixtures/device-campaign.csv"),
            data.join("bob.pad.base/scores-dev.csv"),
            data.join("bob.measure/dev-1.txt"),
        ],
        60,
    );
    all.push(Seed::new(
        "inline.jsonl",
        "{\"presentation_id\":\"p1\",\"subject\":\"s1\",\"kind\":\"bona_fide\",\"score\":0.9}\n\
         {\"presentation_id\":\"p2\",\"subject\":\"s1\",\"kind\":\"attack\",\"species\":\"print\",\"score\":\"nan\"}\n\
         {\"presentation_id\":\"p3\",\"subject\":\"s2\",\"kind\":\"attack\",\"species\":\"mask\",\"decision\":\"reject\",\"score\":null}\n",
    ));
    let stats = smoke("pad campaign readers", &all, 20_000, BUDGET, |bytes| {
        let input = Input::Bytes {
            bytes,
            name: "mutant",
        };
        let campaigns = [
            read::read_campaign_csv(input),
            read::read_campaign_jsonl(input),
            read::read_bob_pad_csv(input),
            read::read_bob_measure(input),
        ];
        for campaign in campaigns.iter().flatten() {
            report(campaign);
        }
        let _ = read::read_bytes(bytes, "mutant.csv");
    });
    assert!(stats.runs > 0, "no mutant ran: {stats:?}");
}

#[test]
fn manifest_scheme_and_lab_parsers_survive_mutations() {
    let r = root();
    let mut all = seeds(
        &[
            r.join("examples/face-terminal-cn-us/pad/campaign.toml"),
            r.join("crates/assay-pad/tests/fixtures/manifest.toml"),
            r.join("crates/assay-pad/tests/fixtures/bob-manifest.toml"),
            r.join("crates/assay-pad/tests/fixtures/lab.toml"),
        ],
        usize::MAX,
    );
    let schemes: Vec<PathBuf> = std::fs::read_dir(r.join("crates/assay-pad/schemes"))
        .expect("schemes folder")
        .map(|e| e.expect("entry").path())
        .collect();
    all.extend(seeds(&schemes, usize::MAX));
    let stats = smoke("pad manifest and scheme", &all, 20_000, BUDGET, |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = Manifest::parse(text, "campaign.toml");
            let _ = Scheme::parse(text, "scheme.toml");
            let _ = LabInfo::parse(text, "lab.toml");
        }
    });
    assert!(stats.runs > 0, "no mutant ran: {stats:?}");
}

/// The harness itself: a parser that panics on some mutant must fail the test, naming the
/// family, the seed and the input (otherwise the tests above would pass vacuously).
#[test]
#[should_panic(expected = "harness self-test: parser panicked (comma) on mutant run")]
fn the_harness_reports_a_panicking_parser() {
    let seeds = [Seed::new("no-commas", "abc\ndef\n")];
    smoke(
        "harness self-test",
        &seeds,
        100_000,
        Duration::from_secs(10),
        |bytes| assert!(!bytes.contains(&b','), "comma"),
    );
}
