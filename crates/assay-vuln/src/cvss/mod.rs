//! CVSS vectors: strict parsing of v2, v3.0, v3.1 and v4.0 vector strings and their base
//! scores, computed as the FIRST specifications define them.
//!
//! - v2: the base equation of "CVSS v2 Complete Documentation" §3.2.1, rounded to one decimal;
//! - v3.0 / v3.1: the base equations of the v3.1 specification §7.1 (the same for both
//!   versions); `Roundup` as v3.1 Appendix A defines it (integer arithmetic) for v3.1, and as
//!   the v3.0 specification defines it (ceiling to one decimal) for v3.0;
//! - v4.0: the MacroVector method of the v4.0 specification §8: the vector's six equivalence
//!   classes select a MacroVector whose score comes from the specification's table
//!   ([`v4_table`]), then the score is lowered by the mean proportional distance of the vector
//!   from the MacroVector's highest vectors towards the next lower MacroVectors.
//!
//! "Base score" means the score of the metrics the vector gives: for v2 and v3 the temporal and
//! environmental metrics are parsed and checked but do not change the base score; for v4 the
//! score is the one the specification computes for the whole vector (CVSS-B when only base
//! metrics are given, CVSS-BT / BE / BTE when threat or environmental metrics are present).
//!
//! Parsing is strict: an unknown version, a metric that is unknown, repeated, missing (when
//! mandatory) or has a value the version does not define is a named error. Vector strings
//! longer than [`MAX_VECTOR_LEN`] are refused before they are looked at.

mod v4_table;

use crate::finding::SeverityLevel;

/// Longest vector string accepted. The longest valid v4.0 vector (every metric given with its
/// longest value) is about 230 characters; v2 and v3 vectors are shorter.
pub const MAX_VECTOR_LEN: usize = 512;

/// CVSS version of a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CvssVersion {
    V2,
    V3_0,
    V3_1,
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

impl std::fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CVSS v{}", self.as_str())
    }
}

/// What is wrong with a vector string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    #[error("CVSS vector is empty")]
    Empty,
    #[error("CVSS vector is {len} characters long; at most {max} are accepted")]
    TooLong { len: usize, max: usize },
    #[error(
        "CVSS vector starts with {}: expected `CVSS:3.0/`, `CVSS:3.1/`, `CVSS:4.0/` or a v2 vector starting with `AV:`",
        crate::q(prefix)
    )]
    UnknownVersion { prefix: String },
    #[error("{version} vector: part {} is not `METRIC:VALUE`", crate::q(part))]
    Malformed { version: CvssVersion, part: String },
    #[error("{version} vector: unknown metric {}", crate::q(metric))]
    UnknownMetric {
        version: CvssVersion,
        metric: String,
    },
    #[error("{version} vector: metric {metric} is given more than once")]
    Duplicate {
        version: CvssVersion,
        metric: &'static str,
    },
    #[error("{version} vector: mandatory metric {metric} is missing")]
    Missing {
        version: CvssVersion,
        metric: &'static str,
    },
    #[error(
        "{version} vector: metric {metric} has value {}; allowed: {allowed}",
        crate::q(value)
    )]
    InvalidValue {
        version: CvssVersion,
        metric: &'static str,
        value: String,
        allowed: String,
    },
}

/// One metric a version defines: its abbreviation, the values it allows, and whether a vector
/// must give it.
struct MetricDef {
    name: &'static str,
    values: &'static [&'static str],
    mandatory: bool,
}

const fn base(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        mandatory: true,
    }
}

const fn optional(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        mandatory: false,
    }
}

/// CVSS v2 Complete Documentation, §2 (base, temporal, environmental metrics).
const V2_METRICS: &[MetricDef] = &[
    base("AV", &["L", "A", "N"]),
    base("AC", &["H", "M", "L"]),
    base("Au", &["M", "S", "N"]),
    base("C", &["N", "P", "C"]),
    base("I", &["N", "P", "C"]),
    base("A", &["N", "P", "C"]),
    optional("E", &["U", "POC", "F", "H", "ND"]),
    optional("RL", &["OF", "TF", "W", "U", "ND"]),
    optional("RC", &["UC", "UR", "C", "ND"]),
    optional("CDP", &["N", "L", "LM", "MH", "H", "ND"]),
    optional("TD", &["N", "L", "M", "H", "ND"]),
    optional("CR", &["L", "M", "H", "ND"]),
    optional("IR", &["L", "M", "H", "ND"]),
    optional("AR", &["L", "M", "H", "ND"]),
];

/// CVSS v3.1 specification, §6 table 15 (the same metrics as v3.0).
const V3_METRICS: &[MetricDef] = &[
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "R"]),
    base("S", &["U", "C"]),
    base("C", &["H", "L", "N"]),
    base("I", &["H", "L", "N"]),
    base("A", &["H", "L", "N"]),
    optional("E", &["X", "H", "F", "P", "U"]),
    optional("RL", &["X", "U", "W", "T", "O"]),
    optional("RC", &["X", "C", "R", "U"]),
    optional("CR", &["X", "H", "M", "L"]),
    optional("IR", &["X", "H", "M", "L"]),
    optional("AR", &["X", "H", "M", "L"]),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "R"]),
    optional("MS", &["X", "U", "C"]),
    optional("MC", &["X", "H", "L", "N"]),
    optional("MI", &["X", "H", "L", "N"]),
    optional("MA", &["X", "H", "L", "N"]),
];

/// CVSS v4.0 specification, §7 table 23 (base, threat, environmental, supplemental).
const V4_METRICS: &[MetricDef] = &[
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("AT", &["N", "P"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "P", "A"]),
    base("VC", &["H", "L", "N"]),
    base("VI", &["H", "L", "N"]),
    base("VA", &["H", "L", "N"]),
    base("SC", &["H", "L", "N"]),
    base("SI", &["H", "L", "N"]),
    base("SA", &["H", "L", "N"]),
    optional("E", &["X", "A", "P", "U"]),
    optional("CR", &["X", "H", "M", "L"]),
    optional("IR", &["X", "H", "M", "L"]),
    optional("AR", &["X", "H", "M", "L"]),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MAT", &["X", "N", "P"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "P", "A"]),
    optional("MVC", &["X", "H", "L", "N"]),
    optional("MVI", &["X", "H", "L", "N"]),
    optional("MVA", &["X", "H", "L", "N"]),
    optional("MSC", &["X", "H", "L", "N"]),
    optional("MSI", &["X", "S", "H", "L", "N"]),
    optional("MSA", &["X", "S", "H", "L", "N"]),
    optional("S", &["X", "N", "P"]),
    optional("AU", &["X", "N", "Y"]),
    optional("R", &["X", "A", "U", "I"]),
    optional("V", &["X", "D", "C"]),
    optional("RE", &["X", "L", "M", "H"]),
    optional("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// A parsed vector: its version and the value of each metric the version defines (`None`
/// for optional metrics not given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vector {
    version: CvssVersion,
    values: Vec<Option<&'static str>>,
}

fn definitions(version: CvssVersion) -> &'static [MetricDef] {
    match version {
        CvssVersion::V2 => V2_METRICS,
        CvssVersion::V3_0 | CvssVersion::V3_1 => V3_METRICS,
        CvssVersion::V4_0 => V4_METRICS,
    }
}

impl Vector {
    /// Parses a vector string strictly (see the module documentation).
    pub fn parse(text: &str) -> Result<Vector, CvssError> {
        if text.len() > MAX_VECTOR_LEN {
            return Err(CvssError::TooLong {
                len: text.len(),
                max: MAX_VECTOR_LEN,
            });
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(CvssError::Empty);
        }
        let (version, body) = if let Some(rest) = text.strip_prefix("CVSS:3.1/") {
            (CvssVersion::V3_1, rest)
        } else if let Some(rest) = text.strip_prefix("CVSS:3.0/") {
            (CvssVersion::V3_0, rest)
        } else if let Some(rest) = text.strip_prefix("CVSS:4.0/") {
            (CvssVersion::V4_0, rest)
        } else if text.starts_with("AV:") {
            (CvssVersion::V2, text)
        } else {
            let prefix: String = text.chars().take(12).collect();
            return Err(CvssError::UnknownVersion { prefix });
        };
        let defs = definitions(version);
        let mut values: Vec<Option<&'static str>> = vec![None; defs.len()];
        for part in body.split('/') {
            let Some((name, value)) = part.split_once(':') else {
                return Err(CvssError::Malformed {
                    version,
                    part: part.to_string(),
                });
            };
            let Some(position) = defs.iter().position(|d| d.name == name) else {
                return Err(CvssError::UnknownMetric {
                    version,
                    metric: name.to_string(),
                });
            };
            let def = &defs[position];
            if values[position].is_some() {
                return Err(CvssError::Duplicate {
                    version,
                    metric: def.name,
                });
            }
            let Some(allowed) = def.values.iter().find(|v| **v == value) else {
                return Err(CvssError::InvalidValue {
                    version,
                    metric: def.name,
                    value: value.to_string(),
                    allowed: def.values.join(", "),
                });
            };
            values[position] = Some(*allowed);
        }
        if let Some(def) = defs
            .iter()
            .zip(&values)
            .find_map(|(d, v)| (d.mandatory && v.is_none()).then_some(d))
        {
            return Err(CvssError::Missing {
                version,
                metric: def.name,
            });
        }
        Ok(Vector { version, values })
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The value given for a metric (`None` when an optional metric is not given, or the
    /// version does not define the metric).
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        definitions(self.version)
            .iter()
            .position(|d| d.name == metric)
            .and_then(|i| self.values[i])
    }

    /// A mandatory metric's value (present after a successful parse).
    fn base_value(&self, metric: &str) -> &'static str {
        self.get(metric).unwrap_or("")
    }

    /// The base score (see the module documentation), 0.0 to 10.0 with one decimal.
    pub fn base_score(&self) -> f64 {
        match self.version {
            CvssVersion::V2 => v2_base(self),
            CvssVersion::V3_0 | CvssVersion::V3_1 => v3_base(self),
            CvssVersion::V4_0 => v4_score(self),
        }
    }

    /// The qualitative rating of the base score: for v3 and v4 the specifications' scale
    /// (None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0); v2 defines no
    /// scale, so NVD's v2 bands are used (Low 0.0-3.9, Medium 4.0-6.9, High 7.0-10.0).
    pub fn rating(&self, score: f64) -> SeverityLevel {
        match self.version {
            CvssVersion::V2 if score >= 7.0 => SeverityLevel::High,
            CvssVersion::V2 if score >= 4.0 => SeverityLevel::Medium,
            CvssVersion::V2 => SeverityLevel::Low,
            _ => SeverityLevel::from_cvss_score(score),
        }
    }
}

/// A computed base score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaseScore {
    pub version: CvssVersion,
    pub score: f64,
    pub level: SeverityLevel,
}

/// Parses `text` and computes its base score and rating.
pub fn base_score(text: &str) -> Result<BaseScore, CvssError> {
    let vector = Vector::parse(text)?;
    let score = vector.base_score();
    Ok(BaseScore {
        version: vector.version,
        score,
        level: vector.rating(score),
    })
}

/// Rounds half up to one decimal (scores are never negative). The small offset keeps values
/// such as 8.6 - 7.15 = 1.4499999999999993 from rounding down through binary artefacts.
fn round_one_decimal(value: f64) -> f64 {
    ((value + 1e-6) * 10.0).round() / 10.0
}

fn v2_base(v: &Vector) -> f64 {
    let av = match v.base_value("AV") {
        "L" => 0.395,
        "A" => 0.646,
        _ => 1.0,
    };
    let ac = match v.base_value("AC") {
        "H" => 0.35,
        "M" => 0.61,
        _ => 0.71,
    };
    let au = match v.base_value("Au") {
        "M" => 0.45,
        "S" => 0.56,
        _ => 0.704,
    };
    let cia = |m: &str| match v.base_value(m) {
        "P" => 0.275,
        "C" => 0.660,
        _ => 0.0,
    };
    let impact = 10.41 * (1.0 - (1.0 - cia("C")) * (1.0 - cia("I")) * (1.0 - cia("A")));
    let exploitability = 20.0 * av * ac * au;
    let f_impact = if impact == 0.0 { 0.0 } else { 1.176 };
    let raw: f64 = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f_impact;
    round_one_decimal(raw.max(0.0))
}

/// v3.1 Appendix A `Roundup`: the smallest one-decimal number >= the input, on integers so
/// that binary artefacts (e.g. 4.000000000000001) do not round up a whole step.
fn roundup_v31(value: f64) -> f64 {
    let int_input = (value * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) as f64 + 1.0) / 10.0
    }
}

/// v3.0 `Roundup`: ceiling to one decimal, as the v3.0 specification wrote it.
fn roundup_v30(value: f64) -> f64 {
    (value * 10.0).ceil() / 10.0
}

fn v3_base(v: &Vector) -> f64 {
    let changed = v.base_value("S") == "C";
    let av = match v.base_value("AV") {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    };
    let ac = if v.base_value("AC") == "L" {
        0.77
    } else {
        0.44
    };
    let pr = match (v.base_value("PR"), changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let ui = if v.base_value("UI") == "N" {
        0.85
    } else {
        0.62
    };
    let cia = |m: &str| match v.base_value(m) {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    };
    let iss = 1.0 - (1.0 - cia("C")) * (1.0 - cia("I")) * (1.0 - cia("A"));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return 0.0;
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    if v.version == CvssVersion::V3_0 {
        roundup_v30(raw)
    } else {
        roundup_v31(raw)
    }
}

/// The effective value of a v4.0 metric (specification §8: a modified environmental metric
/// replaces the base metric; unset threat and requirement metrics take their worst case).
fn v4_effective(v: &Vector, metric: &'static str) -> &'static str {
    let given = v.get(metric);
    match metric {
        "E" => match given {
            None | Some("X") => "A",
            Some(value) => value,
        },
        "CR" | "IR" | "AR" => match given {
            None | Some("X") => "H",
            Some(value) => value,
        },
        _ => {
            let modified = match metric {
                "AV" => v.get("MAV"),
                "AC" => v.get("MAC"),
                "AT" => v.get("MAT"),
                "PR" => v.get("MPR"),
                "UI" => v.get("MUI"),
                "VC" => v.get("MVC"),
                "VI" => v.get("MVI"),
                "VA" => v.get("MVA"),
                "SC" => v.get("MSC"),
                "SI" => v.get("MSI"),
                "SA" => v.get("MSA"),
                _ => None,
            };
            match modified {
                Some(value) if value != "X" => value,
                _ => given.unwrap_or(""),
            }
        }
    }
}

/// Severity level of a v4.0 metric value (specification §8.2, "severity distances"); lower is
/// more severe, in steps of 0.1 as the specification writes them.
fn v4_level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA" | "CR" | "IR" | "AR", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") | ("CR" | "IR" | "AR", "M") => 0.1,
        ("VC" | "VI" | "VA", "N") | ("CR" | "IR" | "AR", "L") => 0.2,
        ("SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        _ => 0.0,
    }
}

/// The highest-severity vectors of each equivalence class level (specification §8.2,
/// "MacroVector max vectors"), in the specification's order.
const EQ1_MAX: [&[&str]; 3] = [
    &["AV:N/PR:N/UI:N"],
    &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
];
const EQ2_MAX: [&[&str]; 2] = [&["AC:L/AT:N"], &["AC:H/AT:N", "AC:L/AT:P"]];
/// Indexed by [EQ3][EQ6]; EQ3 = 2 with EQ6 = 0 does not exist.
const EQ3_EQ6_MAX: [[&[&str]; 2]; 3] = [
    [
        &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
    ],
    [
        &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
    ],
    [&[], &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
];
const EQ4_MAX: [&[&str]; 3] = [
    &["SC:H/SI:S/SA:S"],
    &["SC:H/SI:H/SA:H"],
    &["SC:L/SI:L/SA:L"],
];

/// Largest severity distance within each level, in steps (specification §8.2).
const EQ1_DEPTH: [u32; 3] = [1, 4, 5];
const EQ2_DEPTH: [u32; 2] = [1, 2];
const EQ3_EQ6_DEPTH: [[u32; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
const EQ4_DEPTH: [u32; 3] = [6, 5, 4];

fn macro_score(eq: [u32; 6]) -> Option<f64> {
    let key = eq.iter().fold(0u32, |k, d| k * 10 + d);
    v4_table::MACRO_VECTOR_SCORES
        .binary_search_by_key(&key, |(k, _)| *k)
        .ok()
        .map(|i| v4_table::MACRO_VECTOR_SCORES[i].1)
}

/// Value of `metric` in a max vector written as `M:V/M:V/...` parts.
fn max_value<'a>(parts: &[&'a str], metric: &str) -> &'a str {
    for group in parts {
        for part in group.split('/') {
            if let Some((name, value)) = part.split_once(':')
                && name == metric
            {
                return value;
            }
        }
    }
    ""
}

fn v4_score(v: &Vector) -> f64 {
    let m = |metric: &'static str| v4_effective(v, metric);
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|metric| m(metric) == "N")
    {
        return 0.0;
    }
    // Equivalence classes (specification §8.1, table 24).
    let (av, pr, ui) = (m("AV"), m("PR"), m("UI"));
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    let eq2 = if m("AC") == "L" && m("AT") == "N" {
        0
    } else {
        1
    };
    let (vc, vi, va) = (m("VC"), m("VI"), m("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    let (msi, msa) = (v.get("MSI"), v.get("MSA"));
    let eq4 = if msi == Some("S") || msa == Some("S") {
        0
    } else if m("SC") == "H" || m("SI") == "H" || m("SA") == "H" {
        1
    } else {
        2
    };
    let eq5 = match m("E") {
        "A" => 0,
        "P" => 1,
        _ => 2,
    };
    let eq6 = if (m("CR") == "H" && vc == "H")
        || (m("IR") == "H" && vi == "H")
        || (m("AR") == "H" && va == "H")
    {
        0
    } else {
        1
    };
    let eq = [eq1, eq2, eq3, eq4, eq5, eq6];
    let Some(value) = macro_score(eq) else {
        // Every reachable MacroVector is in the table; an unreachable one scores nothing.
        return 0.0;
    };
    let lower = |i: usize, j: Option<usize>| {
        let mut next = eq;
        next[i] += 1;
        if let Some(j) = j {
            next[j] += 1;
        }
        macro_score(next)
    };
    let next_eq1 = lower(0, None);
    let next_eq2 = lower(1, None);
    let next_eq3_eq6 = match (eq3, eq6) {
        (0 | 1, 1) => lower(2, None),
        (1, 0) => lower(5, None),
        (0, 0) => {
            // Two next lower MacroVectors: the higher of the two is the one to move towards.
            match (lower(5, None), lower(2, None)) {
                (Some(left), Some(right)) => Some(if left > right { left } else { right }),
                (left, right) => left.or(right),
            }
        }
        _ => lower(2, Some(5)),
    };
    let next_eq4 = lower(3, None);
    let next_eq5 = lower(4, None);

    // The first max vector of the MacroVector that the vector does not exceed in any metric.
    let metrics: [&'static str; 14] = [
        "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
    ];
    let mut distances = [0.0f64; 14];
    'candidates: for a in EQ1_MAX[eq1 as usize] {
        for b in EQ2_MAX[eq2 as usize] {
            for c in EQ3_EQ6_MAX[eq3 as usize][eq6 as usize] {
                for d in EQ4_MAX[eq4 as usize] {
                    let parts = [*a, *b, *c, *d];
                    for (k, metric) in metrics.iter().enumerate() {
                        distances[k] = v4_level(metric, m(metric))
                            - v4_level(metric, max_value(&parts, metric));
                    }
                    if distances.iter().all(|d| *d >= 0.0) {
                        break 'candidates;
                    }
                }
            }
        }
    }
    let [
        d_av,
        d_pr,
        d_ui,
        d_ac,
        d_at,
        d_vc,
        d_vi,
        d_va,
        d_sc,
        d_si,
        d_sa,
        d_cr,
        d_ir,
        d_ar,
    ] = distances;
    let current_eq1 = d_av + d_pr + d_ui;
    let current_eq2 = d_ac + d_at;
    let current_eq3_eq6 = d_vc + d_vi + d_va + d_cr + d_ir + d_ar;
    let current_eq4 = d_sc + d_si + d_sa;

    let step = 0.1;
    let mut existing_lower = 0u32;
    let mut normalized = 0.0;
    let mut add = |next: Option<f64>, current: f64, depth: u32| {
        if let Some(next) = next {
            existing_lower += 1;
            let available = value - next;
            if depth > 0 {
                let max_severity = f64::from(depth) * step;
                normalized += available * (current / max_severity);
            }
        }
    };
    add(next_eq1, current_eq1, EQ1_DEPTH[eq1 as usize]);
    add(next_eq2, current_eq2, EQ2_DEPTH[eq2 as usize]);
    add(
        next_eq3_eq6,
        current_eq3_eq6,
        EQ3_EQ6_DEPTH[eq3 as usize][eq6 as usize],
    );
    add(next_eq4, current_eq4, EQ4_DEPTH[eq4 as usize]);
    // EQ5 has no distance within its levels: it counts as a lower MacroVector moved 0 towards.
    add(next_eq5, 0.0, 0);
    let mean = if existing_lower == 0 {
        0.0
    } else {
        normalized / f64::from(existing_lower)
    };
    round_one_decimal((value - mean).clamp(0.0, 10.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(text: &str) -> f64 {
        base_score(text).expect("valid vector").score
    }

    #[test]
    fn v31_specification_examples() {
        // Examples from the CVSS v3.1 "Examples" document (FIRST).
        // CVE-2013-1937 phpMyAdmin reflected XSS.
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
        // CVE-2013-0375 MySQL stored SQL injection.
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N"), 6.4);
        // CVE-2014-3566 SSLv3 POODLE.
        assert_eq!(score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"), 3.1);
        // CVE-2012-1516 VMware guest to host escape.
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"), 9.9);
        // CVE-2014-0160 Heartbleed.
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"), 7.5);
        // CVE-2014-6271 Shellshock.
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
        assert_eq!(score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
        // Temporal and environmental metrics do not change the base score.
        assert_eq!(
            score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:R/CR:L/MAV:P"),
            9.8
        );
    }

    #[test]
    fn v31_roundup_appendix_a() {
        // Appendix A: 4.000000000000001 rounds to 4.0 in v3.1 (integer method).
        assert_eq!(roundup_v31(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup_v31(4.02), 4.1);
        assert_eq!(roundup_v31(4.0), 4.0);
    }

    #[test]
    fn v2_specification_examples() {
        // CVSS v2 Complete Documentation §3.3 examples.
        // CVE-2002-0392 Apache chunked encoding: base 7.8.
        assert_eq!(score("AV:N/AC:L/Au:N/C:N/I:N/A:C"), 7.8);
        // CVE-2003-0818 Windows ASN.1: base 10.0.
        assert_eq!(score("AV:N/AC:L/Au:N/C:C/I:C/A:C"), 10.0);
        // CVE-2003-0062 NOD32 buffer overflow: base 6.2.
        assert_eq!(score("AV:L/AC:H/Au:N/C:C/I:C/A:C"), 6.2);
        assert_eq!(score("AV:N/AC:L/Au:N/C:N/I:N/A:N"), 0.0);
        assert_eq!(
            score("AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H"),
            10.0
        );
    }

    #[test]
    fn v40_specification_examples() {
        // Base scores as FIRST's v4.0 calculator and the peer (RedHat's `cvss`) give them;
        // the full data set and a sample of the vector space are compared in tests/cvss_peer.rs.
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
            10.0
        );
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            9.3
        );
        assert_eq!(
            score("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"),
            0.0
        );
        assert_eq!(
            score("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            8.5
        );
        // Threat metric lowers the score: E:U.
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"),
            8.1
        );
        assert_eq!(
            score("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"),
            4.6
        );
    }

    #[test]
    fn ratings() {
        let level = |t: &str| base_score(t).expect("valid").level;
        assert_eq!(
            level("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            SeverityLevel::Critical
        );
        assert_eq!(
            level("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N"),
            SeverityLevel::None
        );
        assert_eq!(level("AV:N/AC:L/Au:N/C:C/I:C/A:C"), SeverityLevel::High);
        assert_eq!(level("AV:N/AC:L/Au:N/C:N/I:N/A:N"), SeverityLevel::Low);
    }

    #[test]
    fn strict_errors_name_the_metric() {
        let err = |t: &str| base_score(t).expect_err("invalid");
        assert!(matches!(
            err("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
            CvssError::Missing { metric: "A", .. }
        ));
        assert!(matches!(
            err("CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            CvssError::Duplicate { metric: "AV", .. }
        ));
        assert!(matches!(
            err("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            CvssError::InvalidValue { metric: "AV", .. }
        ));
        assert!(matches!(
            err("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1"),
            CvssError::UnknownMetric { .. }
        ));
        assert!(matches!(
            err("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/"),
            CvssError::Malformed { .. }
        ));
        assert!(matches!(
            err("CVSS:5.0/AV:N"),
            CvssError::UnknownVersion { .. }
        ));
        assert!(matches!(err(""), CvssError::Empty));
        assert!(matches!(
            err(&"A".repeat(MAX_VECTOR_LEN + 1)),
            CvssError::TooLong { .. }
        ));
        // v4.0 base metric values differ from v3's: UI:R is not a v4.0 value.
        let e = err("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
        assert!(matches!(e, CvssError::InvalidValue { metric: "UI", .. }));
        assert!(e.to_string().contains("allowed: N, P, A"), "{e}");
        // A message quotes input safely.
        let e = err("CVSS:3.1/AV:N\u{202e}/AC:L");
        assert!(!e.to_string().contains('\u{202e}'), "{e}");
    }
}
