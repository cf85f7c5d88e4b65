//! Third-party retest records, as a manufacturer writes them in TOML: the units handed to a
//! test lab ([`TestSample`], evidence kind `test-sample`), a booked test slot
//! ([`LabBooking`], `lab-booking`) and an earlier lab report assay never saw, with its facts
//! typed in by hand ([`PriorValidation`], `prior-validation`). The formats are documented in
//! docs/retest.md.
//!
//! Each record parses with unknown fields refused and is then checked (serials present and
//! unique, digests well formed, a booking's dates in order); every error names the file, the
//! field and, where it can be found, the line, and says what to do. Each record also turns into
//! the flat `meta` facts the ledger stores and rule packs judge (`*_meta` functions), so the
//! rules never re-read the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Day, Sha256Digest};

/// Largest record read, in bytes: these are short hand-written files.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// Most units one sample record may list.
pub const MAX_UNITS: usize = 1000;
/// Longest free-text value kept (notes, names), in characters.
const MAX_TEXT: usize = 2000;

/// What went wrong reading a retest record. Every message names the file and field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SampleError {
    /// Not valid TOML, a wrong type, an unknown field or a malformed digest or date.
    #[error(
        "{file}:{line}:{column}: field `{field}`: {message}\n  hint: fix this {what} and run again (the format is in docs/retest.md)"
    )]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        field: String,
        message: String,
        what: &'static str,
    },
    /// Parses, but breaks a rule of the format (a missing serial, dates out of order...).
    #[error("{file}{}: field `{field}`: {message}\n  hint: {hint}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        file: String,
        line: Option<usize>,
        field: String,
        message: String,
        hint: String,
    },
}

impl SampleError {
    fn invalid(
        file: &str,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        SampleError::Invalid {
            file: file.to_string(),
            line: None,
            field: field.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// Located at the first line holding `value` as a quoted string (best effort).
    fn at_value(self, text: &str, value: &str) -> Self {
        self.at_nth_value(text, value, 0)
    }

    /// Located at the `nth` (0-based) line holding `value` as a quoted string.
    fn at_nth_value(mut self, text: &str, value: &str, nth: usize) -> Self {
        if let SampleError::Invalid { line, .. } = &mut self {
            let double = format!("\"{value}\"");
            let single = format!("'{value}'");
            *line = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.contains(&double) || l.contains(&single))
                .nth(nth)
                .map(|(i, _)| i + 1);
        }
        self
    }

    /// The field named in the error.
    pub fn field(&self) -> &str {
        match self {
            SampleError::Syntax { field, .. } | SampleError::Invalid { field, .. } => field,
        }
    }
}

/// One unit handed to the lab.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SampleUnit {
    /// The unit's serial number, as printed on it.
    pub serial: String,
    /// The hardware revision the unit is built to (`C`, `rev-D`...).
    pub hardware_revision: String,
    /// SHA-256 of the firmware installed on the unit.
    pub firmware_digest: Sha256Digest,
    /// SHA-256 of the build or of the component list (bill of materials) the unit was made
    /// from, when the manufacturer tracks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components_digest: Option<Sha256Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The units a manufacturer handed to a test lab (evidence kind `test-sample`). Signed by the
/// manufacturer when handed over; the lab acknowledges receipt by recording the same file
/// under its own trusted lab key.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TestSample {
    /// The lab the units went to.
    pub lab: String,
    /// The product's model number (`FG3D-200`), when the record names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_model: Option<String>,
    /// The day the units were handed over.
    pub handed_over: Day,
    #[serde(default, rename = "unit")]
    pub units: Vec<SampleUnit>,
}

/// A test slot booked with a lab (evidence kind `lab-booking`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LabBooking {
    pub lab: String,
    /// The scheme the lab will test against (a PAD scheme id such as `iso30107-3-l2`).
    pub scheme: String,
    /// The presentation attack instrument species booked.
    #[serde(default)]
    pub species: Vec<String>,
    /// The day the samples must reach the lab.
    pub sample_due: Day,
    /// The day testing starts.
    pub test_start: Day,
    /// The day the lab promises its report.
    pub report_due: Day,
    /// The markets (ISO 3166-1 alpha-2) the retest is for.
    #[serde(default)]
    pub markets: Vec<String>,
    /// The hardware revision to be tested, when the retest is for a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_revision: Option<String>,
    /// The lab's booking or quote reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// One result an earlier report states, typed in by hand.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PriorResult {
    pub species: String,
    /// Attack presentation classification error rate, 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apcer: Option<f64>,
    /// Bona fide presentation classification error rate, 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bpcer: Option<f64>,
}

/// An earlier lab report the manufacturer holds (a PDF assay never saw), with its facts
/// entered by hand (evidence kind `prior-validation`). Always "declared, not verified": it
/// never satisfies a requirement that asks for a lab.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PriorValidation {
    pub lab: String,
    pub scheme: String,
    pub report_date: Day,
    /// The file the facts were copied from (`reports/lab-x-2024.pdf`).
    pub source_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_digest: Option<Sha256Digest>,
    /// The verdict the report states (`pass`, `fail`...), as written in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_outcome: Option<String>,
    #[serde(default, rename = "result")]
    pub results: Vec<PriorResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    what: &'static str,
) -> Result<T, SampleError> {
    if text.len() > MAX_RECORD_BYTES {
        return Err(SampleError::invalid(
            file,
            "(document)",
            format!(
                "is {} bytes, more than the {MAX_RECORD_BYTES} a {what} may hold",
                text.len()
            ),
            "a record lists units and dates only; attach long documents as their own evidence",
        ));
    }
    toml::from_str::<T>(text).map_err(|err| {
        let offset = err.span().map(|s| s.start).unwrap_or(0).min(text.len());
        let mut offset_ok = offset;
        while offset_ok > 0 && !text.is_char_boundary(offset_ok) {
            offset_ok -= 1;
        }
        let before = &text[..offset_ok];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        SampleError::Syntax {
            file: file.to_string(),
            line,
            column,
            field: field_at(text, line_start),
            message: crate::quote(err.message().trim(), 400),
            what,
        }
    })
}

/// The key on the line starting at `line_start`, qualified by the table header above it.
fn field_at(text: &str, line_start: usize) -> String {
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    if line.starts_with('[') {
        return crate::text::quote_short(line.trim_matches(|c| c == '[' || c == ']').trim());
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string());
    let field = match (header, key) {
        (Some(h), Some(k)) => format!("{h}.{k}"),
        (None, Some(k)) => k,
        (Some(h), None) => h,
        (None, None) => "(document)".to_string(),
    };
    crate::text::quote_short(&field)
}

fn required_text(file: &str, text: &str, field: &str, value: &str) -> Result<(), SampleError> {
    if value.trim().is_empty() {
        return Err(SampleError::invalid(
            file,
            field,
            "is empty",
            format!("write the {field}"),
        ));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(SampleError::invalid(
            file,
            field,
            format!("is longer than {MAX_TEXT} characters"),
            "shorten it",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(SampleError::invalid(
            file,
            field,
            format!("holds a control character: {}", crate::quote(value, 80)),
            "remove it",
        )
        .at_value(text, value));
    }
    Ok(())
}

fn optional_text(
    file: &str,
    text: &str,
    field: &str,
    value: Option<&String>,
) -> Result<(), SampleError> {
    match value {
        Some(v) => required_text(file, text, field, v),
        None => Ok(()),
    }
}

fn market_codes(file: &str, text: &str, markets: &[String]) -> Result<(), SampleError> {
    for (i, m) in markets.iter().enumerate() {
        if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SampleError::invalid(
                file,
                format!("markets[{i}]"),
                format!(
                    "{} is not an upper-case ISO 3166-1 alpha-2 code",
                    crate::text::quote_short(m)
                ),
                "write the country as two capital letters, e.g. \"US\"",
            )
            .at_value(text, m));
        }
        if markets[..i].contains(m) {
            return Err(SampleError::invalid(
                file,
                format!("markets[{i}]"),
                format!("market `{m}` is listed twice"),
                "list each market once",
            )
            .at_value(text, m));
        }
    }
    Ok(())
}

impl TestSample {
    /// Parses and checks a sample record; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<TestSample, SampleError> {
        let s: TestSample = parse(text, file, "sample record")?;
        s.check(text, file)?;
        Ok(s)
    }

    fn check(&self, text: &str, file: &str) -> Result<(), SampleError> {
        required_text(file, text, "lab", &self.lab)?;
        optional_text(file, text, "product_model", self.product_model.as_ref())?;
        if self.units.is_empty() {
            return Err(SampleError::invalid(
                file,
                "unit",
                "lists no units: a sample record without serial numbers ties no test to any hardware",
                "add one [[unit]] per unit handed over, with serial, hardware_revision and firmware_digest",
            ));
        }
        if self.units.len() > MAX_UNITS {
            return Err(SampleError::invalid(
                file,
                "unit",
                format!("lists {} units, more than {MAX_UNITS}", self.units.len()),
                "split the hand-over into several records",
            ));
        }
        for (i, u) in self.units.iter().enumerate() {
            required_text(file, text, &format!("unit[{i}].serial"), &u.serial)?;
            required_text(
                file,
                text,
                &format!("unit[{i}].hardware_revision"),
                &u.hardware_revision,
            )?;
            optional_text(file, text, &format!("unit[{i}].notes"), u.notes.as_ref())?;
            if let Some(j) = self.units[..i]
                .iter()
                .position(|p| p.serial.trim() == u.serial.trim())
            {
                return Err(SampleError::invalid(
                    file,
                    format!("unit[{i}].serial"),
                    format!(
                        "serial {} is already listed as unit[{j}]",
                        crate::text::quote_short(&u.serial)
                    ),
                    "each unit handed over has its own serial number; list it once",
                )
                .at_nth_value(text, u.serial.trim(), 1));
            }
        }
        Ok(())
    }

    /// The distinct hardware revisions of the units, sorted.
    pub fn hardware_revisions(&self) -> Vec<String> {
        distinct(
            self.units
                .iter()
                .map(|u| u.hardware_revision.trim().to_string()),
        )
    }

    /// The distinct firmware digests of the units (lower-case hex), sorted.
    pub fn firmware_digests(&self) -> Vec<String> {
        distinct(self.units.iter().map(|u| u.firmware_digest.to_hex()))
    }

    /// The distinct build/component-list digests of the units that carry one, sorted.
    pub fn components_digests(&self) -> Vec<String> {
        distinct(
            self.units
                .iter()
                .filter_map(|u| u.components_digest.map(|d| d.to_hex())),
        )
    }

    /// The facts the ledger stores for this record: `lab`, `handed_over`, `units` (count),
    /// `serials`, `hardware_revisions`, `firmware_digests`, `components_digests` (comma
    /// separated, sorted, absent when empty) and `product_model` when given.
    pub fn meta(&self) -> BTreeMap<String, String> {
        let mut meta = BTreeMap::new();
        meta.insert("lab".into(), self.lab.trim().to_string());
        meta.insert("handed_over".into(), self.handed_over.to_string());
        meta.insert("units".into(), self.units.len().to_string());
        meta.insert(
            "serials".into(),
            distinct(self.units.iter().map(|u| u.serial.trim().to_string())).join(","),
        );
        meta.insert(
            "hardware_revisions".into(),
            self.hardware_revisions().join(","),
        );
        meta.insert("firmware_digests".into(), self.firmware_digests().join(","));
        let comps = self.components_digests();
        if !comps.is_empty() {
            meta.insert("components_digests".into(), comps.join(","));
        }
        if let Some(m) = self.product_model.as_deref().map(str::trim) {
            meta.insert("product_model".into(), m.to_string());
        }
        meta
    }
}

impl LabBooking {
    /// Parses and checks a booking; `file` names it in errors. Whether the booking lies in
    /// the past is judged against the assessment day by [`LabBooking::past_as_of`].
    pub fn from_toml(text: &str, file: &str) -> Result<LabBooking, SampleError> {
        let b: LabBooking = parse(text, file, "lab booking")?;
        b.check(text, file)?;
        Ok(b)
    }

    fn check(&self, text: &str, file: &str) -> Result<(), SampleError> {
        required_text(file, text, "lab", &self.lab)?;
        required_text(file, text, "scheme", &self.scheme)?;
        optional_text(
            file,
            text,
            "hardware_revision",
            self.hardware_revision.as_ref(),
        )?;
        optional_text(file, text, "reference", self.reference.as_ref())?;
        for (i, s) in self.species.iter().enumerate() {
            required_text(file, text, &format!("species[{i}]"), s)?;
        }
        market_codes(file, text, &self.markets)?;
        if self.test_start < self.sample_due {
            return Err(SampleError::invalid(
                file,
                "test_start",
                format!(
                    "testing starts {} but the samples are due {}, later",
                    self.test_start, self.sample_due
                ),
                "samples reach the lab before testing starts: check both dates",
            ));
        }
        if self.report_due < self.test_start {
            return Err(SampleError::invalid(
                file,
                "report_due",
                format!(
                    "the report is due {} but testing starts {}, later",
                    self.report_due, self.test_start
                ),
                "the report comes after testing starts: check both dates",
            ));
        }
        Ok(())
    }

    /// When the booking lies (partly) in the past as of `today`: the name of the first date
    /// already passed (`sample_due`, ...). A booking whose samples were due yesterday but not
    /// handed over is a gap to name, not a plan.
    pub fn past_as_of(&self, today: Day) -> Option<(&'static str, Day)> {
        [
            ("sample_due", self.sample_due),
            ("test_start", self.test_start),
            ("report_due", self.report_due),
        ]
        .into_iter()
        .find(|(_, d)| *d < today)
    }

    /// The facts the ledger stores: `lab`, `scheme`, `species`, `markets` (comma separated),
    /// `sample_due`, `test_start`, `report_due`, and `hardware_revision`, `reference` when given.
    pub fn meta(&self) -> BTreeMap<String, String> {
        let mut meta = BTreeMap::new();
        meta.insert("lab".into(), self.lab.trim().to_string());
        meta.insert("scheme".into(), self.scheme.trim().to_string());
        meta.insert("species".into(), self.species.join(","));
        meta.insert("markets".into(), self.markets.join(","));
        meta.insert("sample_due".into(), self.sample_due.to_string());
        meta.insert("test_start".into(), self.test_start.to_string());
        meta.insert("report_due".into(), self.report_due.to_string());
        if let Some(h) = &self.hardware_revision {
            meta.insert("hardware_revision".into(), h.trim().to_string());
        }
        if let Some(r) = &self.reference {
            meta.insert("reference".into(), r.trim().to_string());
        }
        meta
    }
}

impl PriorValidation {
    /// Parses and checks a prior validation record; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<PriorValidation, SampleError> {
        let p: PriorValidation = parse(text, file, "prior validation record")?;
        p.check(text, file)?;
        Ok(p)
    }

    fn check(&self, text: &str, file: &str) -> Result<(), SampleError> {
        required_text(file, text, "lab", &self.lab)?;
        required_text(file, text, "scheme", &self.scheme)?;
        required_text(file, text, "source_file", &self.source_file)?;
        optional_text(file, text, "product_model", self.product_model.as_ref())?;
        optional_text(
            file,
            text,
            "hardware_revision",
            self.hardware_revision.as_ref(),
        )?;
        optional_text(file, text, "stated_outcome", self.stated_outcome.as_ref())?;
        optional_text(file, text, "notes", self.notes.as_ref())?;
        for (i, r) in self.results.iter().enumerate() {
            required_text(file, text, &format!("result[{i}].species"), &r.species)?;
            for (name, v) in [("apcer", r.apcer), ("bpcer", r.bpcer)] {
                if let Some(v) = v
                    && !(0.0..=1.0).contains(&v)
                {
                    return Err(SampleError::invalid(
                        file,
                        format!("result[{i}].{name}"),
                        format!("{v} is not a rate between 0 and 1"),
                        "write rates as fractions: 2.5% is 0.025",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The facts the ledger stores: `lab`, `scheme`, `report_date`, `source_file`,
    /// `declared` = `true` (never verified), `stated_outcome`, `product_model`,
    /// `hardware_revision`, `firmware_digest` when given, and `species` (comma separated).
    pub fn meta(&self) -> BTreeMap<String, String> {
        let mut meta = BTreeMap::new();
        meta.insert("lab".into(), self.lab.trim().to_string());
        meta.insert("scheme".into(), self.scheme.trim().to_string());
        meta.insert("report_date".into(), self.report_date.to_string());
        meta.insert("source_file".into(), self.source_file.trim().to_string());
        meta.insert("declared".into(), "true".into());
        meta.insert(
            "species".into(),
            self.results
                .iter()
                .map(|r| r.species.trim())
                .collect::<Vec<_>>()
                .join(","),
        );
        if let Some(o) = &self.stated_outcome {
            meta.insert("stated_outcome".into(), o.trim().to_string());
        }
        if let Some(m) = &self.product_model {
            meta.insert("product_model".into(), m.trim().to_string());
        }
        if let Some(h) = &self.hardware_revision {
            meta.insert("hardware_revision".into(), h.trim().to_string());
        }
        // Not `firmware_digest`: a hand-typed digest must not bind the record to the shipped
        // firmware the way a signed report's does.
        if let Some(d) = &self.firmware_digest {
            meta.insert("declared_firmware_digest".into(), d.to_hex());
        }
        meta
    }
}

/// The configuration that ships, on the dimensions a sample record records. `None` means the
/// manifest does not declare that dimension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShippedConfig {
    pub hardware_revision: Option<String>,
    pub firmware_digest: Option<String>,
    pub components_digest: Option<String>,
}

/// The configurations the units of a sample record were in (distinct values per dimension).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestedConfig {
    pub hardware_revisions: Vec<String>,
    pub firmware_digests: Vec<String>,
    pub components_digests: Vec<String>,
}

impl TestedConfig {
    /// From a `test-sample` entry's meta (see [`TestSample::meta`]).
    pub fn from_meta(meta: &BTreeMap<String, String>) -> TestedConfig {
        let list = |k: &str| -> Vec<String> {
            meta.get(k)
                .map(|v| {
                    v.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        TestedConfig {
            hardware_revisions: list("hardware_revisions"),
            firmware_digests: list("firmware_digests")
                .into_iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            components_digests: list("components_digests")
                .into_iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
        }
    }
}

impl From<&TestSample> for TestedConfig {
    fn from(s: &TestSample) -> TestedConfig {
        TestedConfig {
            hardware_revisions: s.hardware_revisions(),
            firmware_digests: s.firmware_digests(),
            components_digests: s.components_digests(),
        }
    }
}

fn short_hex(d: &str) -> &str {
    let d = d.strip_prefix("sha256:").unwrap_or(d);
    d.get(..12).unwrap_or(d)
}

fn same_revision(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Every dimension on which the shipped configuration is not one the samples were tested in,
/// each named in one clause ("tested on hardware rev C; rev D ships"). Empty when the samples
/// cover what ships. A dimension the samples record but the manifest does not declare is a
/// difference too (it cannot be shown to match); one the samples do not record is not
/// compared.
pub fn coverage_gaps(tested: &TestedConfig, shipped: &ShippedConfig) -> Vec<String> {
    let mut gaps = Vec::new();
    let revs = tested.hardware_revisions.join(", ");
    if !tested.hardware_revisions.is_empty() {
        match &shipped.hardware_revision {
            None => gaps.push(format!(
                "tested on hardware rev {}; the manifest declares no hardware_revision to compare with",
                crate::text::quote_short(&revs)
            )),
            Some(h)
                if !tested
                    .hardware_revisions
                    .iter()
                    .any(|t| same_revision(t, h)) =>
            {
                gaps.push(format!(
                    "tested on hardware rev {}; rev {} ships",
                    crate::text::quote_short(&revs),
                    crate::text::quote_short(h.trim())
                ))
            }
            _ => {}
        }
    }
    let fw: Vec<&str> = tested
        .firmware_digests
        .iter()
        .map(|d| short_hex(d))
        .collect();
    if !tested.firmware_digests.is_empty() {
        match &shipped.firmware_digest {
            None => gaps.push(format!(
                "tested on firmware {}; the manifest declares no firmware_digest to compare with",
                fw.join(", ")
            )),
            Some(d)
                if !tested
                    .firmware_digests
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(short_full(d))) =>
            {
                gaps.push(format!(
                    "tested on firmware {}; firmware {} ships",
                    fw.join(", "),
                    short_hex(d)
                ))
            }
            _ => {}
        }
    }
    let comps: Vec<&str> = tested
        .components_digests
        .iter()
        .map(|d| short_hex(d))
        .collect();
    if !tested.components_digests.is_empty() {
        match &shipped.components_digest {
            None => gaps.push(format!(
                "tested with component list {}; the manifest declares no components_digest to compare with",
                comps.join(", ")
            )),
            Some(d)
                if !tested
                    .components_digests
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(short_full(d))) =>
            {
                gaps.push(format!(
                    "tested with component list {}; component list {} ships",
                    comps.join(", "),
                    short_hex(d)
                ))
            }
            _ => {}
        }
    }
    gaps
}

/// A digest without its `sha256:` prefix.
fn short_full(d: &str) -> &str {
    d.trim().strip_prefix("sha256:").unwrap_or(d.trim())
}

fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const FW_C: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const FW_D: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn sample_text() -> String {
        format!(
            r#"lab = "Example Biometrics Lab"
product_model = "FT-100"
handed_over = 2026-05-04

[[unit]]
serial = "FT100-C-0001"
hardware_revision = "C"
firmware_digest = "sha256:{FW_C}"

[[unit]]
serial = "FT100-C-0002"
hardware_revision = "C"
firmware_digest = "{FW_C}"
components_digest = "{FW_D}"
notes = "camera module lot 7"
"#
        )
    }

    #[test]
    fn sample_parses_and_states_its_facts() {
        let s = TestSample::from_toml(&sample_text(), "sample.toml").unwrap();
        assert_eq!(s.units.len(), 2);
        let meta = s.meta();
        assert_eq!(meta["units"], "2");
        assert_eq!(meta["hardware_revisions"], "C");
        assert_eq!(meta["firmware_digests"], FW_C);
        assert_eq!(meta["components_digests"], FW_D);
        assert_eq!(meta["serials"], "FT100-C-0001,FT100-C-0002");
        assert_eq!(meta["handed_over"], "2026-05-04");
        assert_eq!(meta["product_model"], "FT-100");
    }

    #[test]
    fn sample_without_units_is_a_named_error() {
        let text = "lab = \"L\"\nhanded_over = 2026-05-04\n";
        let err = TestSample::from_toml(text, "s.toml").unwrap_err();
        assert_eq!(err.field(), "unit");
        assert!(err.to_string().contains("s.toml"), "{err}");
        assert!(err.to_string().contains("serial"), "{err}");
    }

    #[test]
    fn sample_with_a_missing_serial_names_the_unit() {
        let text = sample_text().replace("serial = \"FT100-C-0002\"\n", "");
        let err = TestSample::from_toml(&text, "s.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("s.toml:"), "{msg}");
        assert!(msg.contains("serial"), "{msg}");
    }

    #[test]
    fn duplicate_serials_are_refused_with_their_line() {
        let text = sample_text().replace("FT100-C-0002", "FT100-C-0001");
        let err = TestSample::from_toml(&text, "s.toml").unwrap_err();
        assert_eq!(err.field(), "unit[1].serial");
        assert!(err.to_string().contains("s.toml:11"), "{err}");
        assert!(
            err.to_string().contains("already listed as unit[0]"),
            "{err}"
        );
    }

    #[test]
    fn malformed_digest_and_unknown_field_name_file_line_and_field() {
        let text = sample_text().replace(&format!("\"{FW_D}\""), "\"abc\"");
        let err = TestSample::from_toml(&text, "s.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("s.toml:14:"), "{msg}");
        assert!(msg.contains("unit.components_digest"), "{msg}");

        let text = sample_text().replace("notes =", "note =");
        let err = TestSample::from_toml(&text, "s.toml").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    fn booking_text() -> &'static str {
        r#"lab = "Example Biometrics Lab"
scheme = "iso30107-3-l2"
species = ["print", "replay"]
sample_due = 2027-01-11
test_start = 2027-01-18
report_due = 2027-02-26
markets = ["US"]
hardware_revision = "D"
"#
    }

    #[test]
    fn booking_parses_and_judges_the_past() {
        let b = LabBooking::from_toml(booking_text(), "b.toml").unwrap();
        assert_eq!(b.meta()["report_due"], "2027-02-26");
        assert_eq!(b.meta()["markets"], "US");
        assert_eq!(b.past_as_of(Day::from_ymd(2026, 12, 1).unwrap()), None);
        assert_eq!(
            b.past_as_of(Day::from_ymd(2027, 1, 12).unwrap()),
            Some(("sample_due", b.sample_due))
        );
    }

    #[test]
    fn booking_dates_out_of_order_are_refused() {
        let text = booking_text().replace("report_due = 2027-02-26", "report_due = 2027-01-02");
        let err = LabBooking::from_toml(&text, "b.toml").unwrap_err();
        assert_eq!(err.field(), "report_due");
        let text = booking_text().replace("test_start = 2027-01-18", "test_start = 2027-01-01");
        let err = LabBooking::from_toml(&text, "b.toml").unwrap_err();
        assert_eq!(err.field(), "test_start");
        let text = booking_text().replace("[\"US\"]", "[\"usa\"]");
        let err = LabBooking::from_toml(&text, "b.toml").unwrap_err();
        assert_eq!(err.field(), "markets[0]");
    }

    #[test]
    fn prior_validation_is_declared_and_checks_rates() {
        let text = r#"lab = "Old Lab"
scheme = "iso30107-3-l1"
report_date = 2024-03-01
source_file = "reports/old-lab-2024.pdf"
stated_outcome = "pass"
firmware_digest = "1111111111111111111111111111111111111111111111111111111111111111"

[[result]]
species = "print"
apcer = 0.01
bpcer = 0.02
"#;
        let p = PriorValidation::from_toml(text, "p.toml").unwrap();
        let meta = p.meta();
        assert_eq!(meta["declared"], "true");
        assert_eq!(meta["species"], "print");
        assert!(!meta.contains_key("firmware_digest"));
        let err = PriorValidation::from_toml(&text.replace("0.02", "2.5"), "p.toml").unwrap_err();
        assert_eq!(err.field(), "result[0].bpcer");
    }

    #[test]
    fn oversized_record_is_refused_before_parsing() {
        let text = "#".repeat(MAX_RECORD_BYTES + 1);
        let err = TestSample::from_toml(&text, "big.toml").unwrap_err();
        assert!(err.to_string().contains("bytes"), "{err}");
    }

    #[test]
    fn coverage_names_each_difference() {
        let s = TestSample::from_toml(&sample_text(), "s.toml").unwrap();
        let tested = TestedConfig::from(&s);
        assert_eq!(TestedConfig::from_meta(&s.meta()), tested);
        let same = ShippedConfig {
            hardware_revision: Some("c".into()),
            firmware_digest: Some(format!("sha256:{FW_C}")),
            components_digest: Some(FW_D.into()),
        };
        assert!(coverage_gaps(&tested, &same).is_empty());
        let rev_d = ShippedConfig {
            hardware_revision: Some("D".into()),
            firmware_digest: Some(FW_D.into()),
            components_digest: None,
        };
        let gaps = coverage_gaps(&tested, &rev_d);
        assert_eq!(
            gaps,
            [
                "tested on hardware rev C; rev D ships",
                "tested on firmware 111111111111; firmware 222222222222 ships",
                "tested with component list 222222222222; the manifest declares no components_digest to compare with",
            ]
        );
    }
}
