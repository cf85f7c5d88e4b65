//! The lab file (TOML) a test organisation supplies for its test report (`assay pad report
//! --lab lab.toml`): who tested, under which accreditation, in what environment and by what
//! procedure, what deviated from it, and who signs. Every field but `name` is optional; a
//! report shows "not stated" (accreditation: "none stated") for what the file leaves out.
//!
//! ```toml
//! name = "Example Biometrics Lab"
//! address = "1 Test Street, Springfield"          # optional
//! report_id = "EBL-PAD-2026-017"                    # optional: the lab's own report number
//! # optional, before the first [table]: what deviated from the procedure
//! deviations = ["Session 3 moved to day 12 after a power cut; no presentation was repeated."]
//!
//! [accreditation]                                   # optional: absent = "none stated"
//! body = "NVLAP"
//! number = "200000-0"
//! scope = "ISO/IEC 30107-3 PAD testing of face recognition devices"
//!
//! [environment]                                     # optional
//! location = "Lab 2, Springfield"
//! equipment = ["LED panel 5600 K", "tripod at 60 cm"]
//! conditions = { illumination = "350-450 lux", temperature = "21-23 C" }
//!
//! [procedure]                                       # optional
//! reference = "EBL-PROC-PAD-07 rev 3"
//! summary = "Each species presented 150 times by trained operators, 3 attempts per instrument."
//! steps = ["enrol bona fide subjects", "present each instrument", "log each decision"]
//!
//! [signatory]                                       # optional: who signs for the lab
//! name = "Dr. A. Tester"
//! role = "Technical manager"
//! ```
//!
//! The values are the lab's declarations; assay checks their shape (lengths, counts), not
//! their truth. They are signed with the report when it is recorded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{PadError, Result};

/// The largest lab file accepted.
pub const MAX_LAB_FILE_BYTES: usize = 64 * 1024;
/// The longest text value.
const MAX_TEXT: usize = 4000;
/// The most items in a list or table.
const MAX_ITEMS: usize = 100;

/// An accreditation reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accreditation {
    /// The accreditation body (e.g. NVLAP, DAkkS, UKAS).
    pub body: String,
    /// The lab's accreditation or certificate number.
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Accreditation {
    /// "BODY NUMBER", as recorded in the evidence meta.
    pub fn reference(&self) -> String {
        format!("{} {}", self.body, self.number)
    }
}

/// The test environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equipment: Vec<String>,
    /// Named conditions (illumination, temperature, ...), as the lab states them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, String>,
}

/// The test procedure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// The lab's procedure document and revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
}

/// The person who signs for the lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The lab file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accreditation: Option<Accreditation>,
    #[serde(default)]
    pub environment: Environment,
    #[serde(default)]
    pub procedure: Procedure,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<Signatory>,
}

impl LabInfo {
    /// Parses and checks a lab file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let err = |message: String| PadError::Lab {
            file: assay_core::quote(file, 400),
            message,
        };
        if text.len() > MAX_LAB_FILE_BYTES {
            return Err(err(format!(
                "{} bytes, more than the {MAX_LAB_FILE_BYTES}-byte limit of a lab file",
                text.len()
            )));
        }
        let lab: LabInfo = toml::from_str(text).map_err(|e| PadError::Lab {
            file: assay_core::quote(file, 400),
            message: crate::error::toml_message(&e, text),
        })?;
        let mut texts: Vec<(String, &str)> = vec![("name".into(), &lab.name)];
        for (field, v) in [
            ("address", &lab.address),
            ("report_id", &lab.report_id),
            ("environment.location", &lab.environment.location),
            ("procedure.reference", &lab.procedure.reference),
            ("procedure.summary", &lab.procedure.summary),
        ] {
            if let Some(v) = v {
                texts.push((field.into(), v));
            }
        }
        if let Some(a) = &lab.accreditation {
            texts.push(("accreditation.body".into(), &a.body));
            texts.push(("accreditation.number".into(), &a.number));
            if let Some(s) = &a.scope {
                texts.push(("accreditation.scope".into(), s));
            }
        }
        if let Some(s) = &lab.signatory {
            texts.push(("signatory.name".into(), &s.name));
            if let Some(r) = &s.role {
                texts.push(("signatory.role".into(), r));
            }
        }
        for (field, list) in [
            ("environment.equipment", &lab.environment.equipment),
            ("procedure.steps", &lab.procedure.steps),
            ("deviations", &lab.deviations),
        ] {
            if list.len() > MAX_ITEMS {
                return Err(err(format!(
                    "{field}: {} items; a lab file lists at most {MAX_ITEMS}",
                    list.len()
                )));
            }
            for (i, v) in list.iter().enumerate() {
                texts.push((format!("{field}[{i}]"), v));
            }
        }
        if lab.environment.conditions.len() > MAX_ITEMS {
            return Err(err(format!(
                "environment.conditions: {} entries; a lab file lists at most {MAX_ITEMS}",
                lab.environment.conditions.len()
            )));
        }
        for (k, v) in &lab.environment.conditions {
            texts.push((
                format!("environment.conditions.{}", assay_core::quote(k, 60)),
                v,
            ));
            if k.trim().is_empty() || k.chars().count() > 200 {
                return Err(err(
                    "environment.conditions: a condition needs a name of 1 to 200 characters"
                        .into(),
                ));
            }
        }
        for (field, v) in texts {
            let required = matches!(
                field.as_str(),
                "name" | "accreditation.body" | "accreditation.number" | "signatory.name"
            );
            if required && v.trim().is_empty() {
                return Err(err(format!("{field}: is empty; write the value")));
            }
            if v.chars().count() > MAX_TEXT {
                return Err(err(format!(
                    "{field}: longer than {MAX_TEXT} characters; shorten it"
                )));
            }
        }
        Ok(lab)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
name = "Example Biometrics Lab"
address = "1 Test Street"
deviations = ["none repeated"]
[accreditation]
body = "NVLAP"
number = "200000-0"
scope = "ISO/IEC 30107-3 PAD testing"
[environment]
location = "Lab 2"
equipment = ["LED panel"]
conditions = { illumination = "400 lux" }
[procedure]
reference = "PROC-07 rev 3"
[signatory]
name = "A. Tester"
"#;

    #[test]
    fn parses_a_full_file() {
        let lab = LabInfo::parse(FULL, "lab.toml").unwrap();
        assert_eq!(lab.accreditation.unwrap().reference(), "NVLAP 200000-0");
        assert_eq!(lab.environment.conditions["illumination"], "400 lux");
        assert_eq!(lab.signatory.unwrap().name, "A. Tester");
    }

    #[test]
    fn only_the_name_is_needed() {
        let lab = LabInfo::parse("name = \"L\"\n", "lab.toml").unwrap();
        assert!(lab.accreditation.is_none());
    }

    #[test]
    fn errors_name_file_and_field() {
        let e = LabInfo::parse("name = \" \"\n", "lab.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("lab.toml") && e.contains("name: is empty"),
            "{e}"
        );
        let e = LabInfo::parse(
            "name = \"L\"\n[accreditation]\nbody = \"NVLAP\"\n",
            "lab.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("lab.toml") && e.contains("number"), "{e}");
        let e = LabInfo::parse("name = \"L\"\ncolour = 1\n", "lab.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        let long = format!("name = \"{}\"\n", "x".repeat(5000));
        let e = LabInfo::parse(&long, "lab.toml").unwrap_err().to_string();
        assert!(e.contains("name: longer than"), "{e}");
    }
}
