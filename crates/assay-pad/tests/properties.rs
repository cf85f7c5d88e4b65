//! Property tests: results do not depend on row order; APCER_AP is the worst species' APCER.

use assay_pad::campaign::{Decision, Kind, Presentation};
use assay_pad::{BootstrapOptions, Campaign, PadOptions, Silent, pad_report};
use proptest::prelude::*;

fn rows_strategy() -> impl Strategy<Value = Vec<Presentation>> {
    prop::collection::vec((0u8..4, 0u8..8, 0u8..4, -30i32..30, 0u8..3), 8..120).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (species, subject, decision, score, level))| {
                let kind = if species == 0 {
                    Kind::BonaFide
                } else {
                    Kind::Attack
                };
                Presentation {
                    presentation_id: format!("p{i}"),
                    subject: format!("s{subject}"),
                    kind,
                    species: if kind == Kind::Attack {
                        format!("species-{species}")
                    } else {
                        String::new()
                    },
                    attack_potential: if kind == Kind::Attack {
                        format!("L{level}")
                    } else {
                        String::new()
                    },
                    decision: match decision {
                        0 => Decision::Accept,
                        1 => Decision::Reject,
                        2 => Decision::NoResponse,
                        _ => Decision::Reject,
                    },
                    // Coarse scores so ties are common.
                    score: f64::from(score) / 10.0,
                }
            })
            .collect()
    })
}

fn options() -> PadOptions {
    PadOptions {
        bootstrap: Some(BootstrapOptions {
            resamples: 50,
            seed: 11,
        }),
        ..PadOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn report_is_invariant_to_row_order(rows in rows_strategy(), seed in any::<u64>()) {
        let mut shuffled = rows.clone();
        // Deterministic Fisher-Yates from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = pad_report(&Campaign::from_presentations("c", &rows).unwrap(), None, &[], &options(), &Silent).unwrap();
        let b = pad_report(&Campaign::from_presentations("c", &shuffled).unwrap(), None, &[], &options(), &Silent).unwrap();
        prop_assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
    }

    #[test]
    fn apcer_ap_is_the_maximum(rows in rows_strategy()) {
        let campaign = Campaign::from_presentations("c", &rows).unwrap();
        let report = pad_report(&campaign, None, &[], &PadOptions { bootstrap: None, ..PadOptions::default() }, &Silent).unwrap();
        if let Some(d) = &report.decisions {
            let max = d.species.iter().filter_map(|s| s.apcer.value).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            prop_assert_eq!(d.apcer_ap.as_ref().map(|w| w.value), max);
            if let Some(w) = &d.apcer_ap {
                let named = d.species.iter().find(|s| s.name == w.name).unwrap();
                prop_assert_eq!(named.apcer.value, Some(w.value));
            }
        }
        if let Some(s) = &report.scores {
            for p in &s.operating_points {
                let max = p.species.iter().filter_map(|g| g.apcer.value).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
                prop_assert_eq!(p.apcer_ap.as_ref().map(|w| w.value), max);
                // bpcerN really bounds every species' APCER by 1/N.
                if let Some(n) = p.criterion.strip_prefix("bpcer") {
                    let n: f64 = n.parse().unwrap();
                    for g in &p.species {
                        prop_assert!(g.apcer.value.unwrap_or(0.0) <= 1.0 / n + 1e-12);
                    }
                }
            }
        }
    }
}
