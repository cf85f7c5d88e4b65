//! bob.pad.base score CSV and bob.measure `label score` files.

use assay_core::{Reporter, Silent};

use super::input::Input;
use super::row::{ABSENT, parse_score, quote_bytes, split_quoted, trim};
use crate::campaign::{Campaign, Decision, InputFormat, Interner, Kind, NONE, check_species};
use crate::error::{PadError, Result};

pub(super) fn looks_like_bob_measure(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    let mut parts = text.split_ascii_whitespace();
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(label), Some(score), None)
            if label.parse::<f64>().is_ok() && score.parse::<f64>().is_ok()
    )
}

/// Reads a bob.pad.base score CSV as it is: `claimed_id` becomes the subject, `is_bonafide`
/// the kind, `attack_type` the species; `nan` scores are non-responses.
pub fn read_bob_pad_csv(input: Input<'_>) -> Result<Campaign> {
    read_bob_pad_csv_reporting(input, &Silent)
}

/// [`read_bob_pad_csv`], advancing `progress` by the bytes read.
pub(super) fn read_bob_pad_csv_reporting(
    input: Input<'_>,
    progress: &dyn Reporter,
) -> Result<Campaign> {
    let file = input.name();
    let mut campaign = Campaign {
        source: file.clone(),
        format: Some(InputFormat::BobPadCsv),
        ..Default::default()
    };
    let mut species = Interner::default();
    let mut subjects = Interner::default();
    let mut columns: Option<(usize, usize, usize, usize, usize)> = None;
    input.for_each_line(progress, |line_no, line| {
        let line = trim(line);
        let fields = split_quoted(line);
        let Some((subject_col, bona_col, species_col, score_col, count)) = columns else {
            let names: Vec<String> = fields
                .iter()
                .map(|f| String::from_utf8_lossy(trim(f)).to_string())
                .collect();
            let find = |n: &str| names.iter().position(|x| x == n);
            match (find("is_bonafide"), find("score")) {
                (Some(b), Some(s)) => {
                    columns = Some((
                        find("claimed_id").unwrap_or(ABSENT),
                        b,
                        find("attack_type").unwrap_or(ABSENT),
                        s,
                        names.len(),
                    ));
                }
                _ => {
                    return Err(PadError::Header {
                        file: file.clone(),
                        message: "a bob.pad.base score CSV needs `is_bonafide` and `score` columns (claimed_id,test_label,is_bonafide,attack_type,score)".into(),
                    });
                }
            }
            return Ok(());
        };
        if line.is_empty() {
            return Ok(());
        }
        let err = |field: &str, message: String| PadError::Row {
            file: file.clone(),
            line: line_no,
            field: field.to_string(),
            message,
        };
        if fields.len() != count {
            return Err(err("(row)", format!("{} fields where the header has {count}", fields.len())));
        }
        let get = |i: usize| if i == ABSENT { &b""[..] } else { trim(&fields[i]) };
        let kind = match get(bona_col) {
            b"True" | b"true" | b"1" => Kind::BonaFide,
            b"False" | b"false" | b"0" => Kind::Attack,
            other => {
                return Err(err(
                    "is_bonafide",
                    format!("`{}` is not True or False", quote_bytes(other)),
                ));
            }
        };
        let species_text = if kind == Kind::Attack { get(species_col) } else { b"" };
        check_species(kind, !species_text.is_empty()).map_err(|m| err("attack_type", m))?;
        let score = parse_score(get(score_col)).map_err(|m| err("score", m))?;
        campaign.kind.push(kind);
        campaign.species.push(species.get_or_insert(species_text));
        campaign.level.push(NONE);
        campaign.subject.push(subjects.get_or_insert(get(subject_col)));
        campaign.decision.push(Decision::None);
        campaign.score.push(score);
        Ok(())
    })?;
    campaign.species_names = species.into_names();
    campaign.subject_names = subjects.into_names();
    campaign.canonicalize();
    Ok(campaign)
}

/// Species name given to the attacks of a bob.measure file, which names none.
pub const BOB_MEASURE_SPECIES: &str = "attack";

/// Reads a bob.measure `label score` file: label `1` is bona fide (positive), `-1` or `0` an
/// attack (negative); `nan` scores are failures to acquire.
pub fn read_bob_measure(input: Input<'_>) -> Result<Campaign> {
    read_bob_measure_reporting(input, &Silent)
}

/// [`read_bob_measure`], advancing `progress` by the bytes read.
pub(super) fn read_bob_measure_reporting(
    input: Input<'_>,
    progress: &dyn Reporter,
) -> Result<Campaign> {
    let file = input.name();
    let mut campaign = Campaign {
        source: file.clone(),
        format: Some(InputFormat::BobMeasure),
        species_names: vec![BOB_MEASURE_SPECIES.to_string()],
        ..Default::default()
    };
    input.for_each_line(progress, |line_no, line| {
        let text = String::from_utf8_lossy(trim(line));
        if text.is_empty() {
            return Ok(());
        }
        let err = |field: &str, message: String| PadError::Row {
            file: file.clone(),
            line: line_no,
            field: field.to_string(),
            message,
        };
        let mut parts = text.split_ascii_whitespace();
        let (Some(label), Some(score), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("(row)", "expected two fields: `label score`".into()));
        };
        let kind = match label.parse::<f64>() {
            Ok(l) if l > 0.0 => Kind::BonaFide,
            Ok(l) if l <= 0.0 => Kind::Attack,
            _ => {
                return Err(err(
                    "label",
                    format!(
                        "`{}` is not 1, 0 or -1",
                        assay_core::text::quote_short(label)
                    ),
                ));
            }
        };
        let score = parse_score(score.as_bytes()).map_err(|m| err("score", m))?;
        campaign.kind.push(kind);
        campaign
            .species
            .push(if kind == Kind::Attack { 0 } else { NONE });
        campaign.level.push(NONE);
        campaign.subject.push(NONE);
        campaign.decision.push(Decision::None);
        campaign.score.push(score);
        Ok(())
    })?;
    Ok(campaign)
}
