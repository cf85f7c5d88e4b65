//! The campaign as JSON Lines.

use std::borrow::Cow;

use assay_core::{Reporter, Silent};

use super::input::Input;
use super::row::{parse_decision, parse_kind, parse_score, trim};
use crate::campaign::{Campaign, Decision, InputFormat, Interner, check_species};
use crate::error::{PadError, Result};
use assay_core::text::{quote, quote_short};

#[derive(serde::Deserialize)]
struct JsonRow<'a> {
    #[serde(borrow, default)]
    presentation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    subject: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    species: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attack_potential: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    decision: Option<Cow<'a, str>>,
    #[serde(default)]
    score: Option<serde_json::Value>,
}

/// Reads the campaign as JSON Lines: one object per line with the CSV's field names;
/// `score` may be a number, a numeric string, `"nan"` or null.
pub fn read_campaign_jsonl(input: Input<'_>) -> Result<Campaign> {
    read_campaign_jsonl_reporting(input, &Silent)
}

/// [`read_campaign_jsonl`], advancing `progress` by the bytes read.
pub(super) fn read_campaign_jsonl_reporting(
    input: Input<'_>,
    progress: &dyn Reporter,
) -> Result<Campaign> {
    let file = input.name();
    let mut campaign = Campaign {
        source: file.clone(),
        format: Some(InputFormat::CampaignJsonl),
        ..Default::default()
    };
    let mut species = Interner::default();
    let mut levels = Interner::default();
    let mut subjects = Interner::default();
    let mut ids: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    input.for_each_line(progress, |line_no, line| {
        let line = trim(line);
        if line.is_empty() {
            return Ok(());
        }
        let err = |field: &str, message: String| PadError::Row {
            file: file.clone(),
            line: line_no,
            field: field.to_string(),
            message,
        };
        let row: JsonRow<'_> = serde_json::from_slice(line)
            .map_err(|e| err("(json)", format!("not a JSON object with the campaign fields: {}", quote(&e.to_string(), 200))))?;
        let id = row.presentation_id.as_deref().unwrap_or("");
        if id.is_empty() {
            return Err(err("presentation_id", "missing; every presentation needs an id".into()));
        }
        if let Some(first) = ids.insert(id.to_string(), line_no) {
            return Err(PadError::DuplicateId {
                file: file.clone(),
                line: line_no,
                first_line: first,
                id: quote_short(id),
            });
        }
        let kind_text = row.kind.as_deref().unwrap_or("");
        let kind = parse_kind(kind_text.as_bytes()).ok_or_else(|| {
            err("kind", format!("`{}` is not a kind; use bona_fide or attack", quote_short(kind_text)))
        })?;
        let species_text = row.species.as_deref().unwrap_or("").trim();
        check_species(kind, !species_text.is_empty()).map_err(|m| err("species", m))?;
        let decision_text = row.decision.as_deref().unwrap_or("");
        let decision = parse_decision(decision_text.as_bytes()).ok_or_else(|| {
            err(
                "decision",
                format!("`{}` is not a decision; use accept, reject, no_response, or leave it out", quote_short(decision_text)),
            )
        })?;
        let (score, score_given) = match &row.score {
            None | Some(serde_json::Value::Null) => (f64::NAN, false),
            Some(serde_json::Value::Number(n)) => (n.as_f64().unwrap_or(f64::NAN), true),
            Some(serde_json::Value::String(s)) => {
                (parse_score(s.trim().as_bytes()).map_err(|m| err("score", m))?, !s.trim().is_empty())
            }
            Some(other) => {
                return Err(err("score", format!("`{}` is not a number", quote_short(&other.to_string()))));
            }
        };
        if decision == Decision::None && !score_given {
            return Err(err(
                "decision",
                "the row has neither a decision nor a score; give one (no_response for a failure to acquire)".into(),
            ));
        }
        campaign.kind.push(kind);
        campaign.species.push(species.get_or_insert(species_text.as_bytes()));
        campaign.level.push(levels.get_or_insert(
            row.attack_potential.as_deref().unwrap_or("").trim().as_bytes(),
        ));
        campaign
            .subject
            .push(subjects.get_or_insert(row.subject.as_deref().unwrap_or("").trim().as_bytes()));
        campaign.decision.push(decision);
        campaign.score.push(score);
        Ok(())
    })?;
    campaign.species_names = species.into_names();
    campaign.level_names = levels.into_names();
    campaign.subject_names = subjects.into_names();
    campaign.canonicalize();
    Ok(campaign)
}
