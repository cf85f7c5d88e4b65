//! OpenVEX 0.2.0 (and the 0.0.x string forms).
use serde_json::Value;

use super::read::{Reader, parse_openvex_status, text};
use super::{ProductMatcher, VexError, VexStatement};
use crate::finding::VexStatus;

impl Reader<'_> {
    // ---- OpenVEX ----------------------------------------------------------------------

    pub(super) fn openvex(&mut self, doc: &Value) -> Result<(), VexError> {
        let doc_timestamp = text(doc, "timestamp").map(str::to_string);
        let statements = self.array(doc, "statements", "")?;
        if statements.is_empty() {
            self.warn("/statements", "the OpenVEX document has no statements");
        }
        for (i, statement) in statements.iter().enumerate() {
            let here = format!("/statements/{i}");
            if !statement.is_object() {
                return Err(self.field_error(here, "a statement must be a JSON object"));
            }
            // 0.2.0: {"name", "@id", "aliases"}; 0.0.x: a plain string.
            let vulnerability = statement.get("vulnerability");
            let (id, aliases) = match vulnerability {
                Some(Value::String(s)) => (s.trim().to_string(), Vec::new()),
                Some(v @ Value::Object(_)) => {
                    let id = text(v, "name")
                        .or_else(|| text(v, "@id"))
                        .map(str::to_string);
                    let mut aliases: Vec<String> = self
                        .array(v, "aliases", &format!("{here}/vulnerability"))?
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    if let (Some(iri), Some(name)) = (text(v, "@id"), text(v, "name"))
                        && iri != name
                    {
                        aliases.push(iri.to_string());
                    }
                    match id {
                        Some(id) => (id, aliases),
                        None => {
                            return Err(self.field_error(
                                format!("{here}/vulnerability"),
                                "the vulnerability needs a `name` (e.g. a CVE id)",
                            ));
                        }
                    }
                }
                _ => {
                    return Err(self.field_error(
                        format!("{here}/vulnerability"),
                        "each statement needs a `vulnerability` (an object with `name`)",
                    ));
                }
            };
            let status_text = text(statement, "status").unwrap_or("");
            let Some(status) = parse_openvex_status(status_text) else {
                return Err(self.field_error(
                    format!("{here}/status"),
                    format!("`{status_text}` is not an OpenVEX status: use not_affected, affected, fixed or under_investigation"),
                ));
            };
            let mut products = Vec::new();
            for (j, product) in self.array(statement, "products", &here)?.iter().enumerate() {
                let pointer = format!("{here}/products/{j}");
                // Subcomponents are the packages inside the product: those are what an SBOM
                // scan finds, so they are the matchers when given.
                let subcomponents = self.array(product, "subcomponents", &pointer)?;
                if subcomponents.is_empty() {
                    products.extend(self.openvex_product(product, &pointer));
                } else {
                    for (k, sub) in subcomponents.iter().enumerate() {
                        products.extend(
                            self.openvex_product(sub, &format!("{pointer}/subcomponents/{k}")),
                        );
                    }
                }
            }
            if products.is_empty() {
                self.warn(
                    &here,
                    format!(
                        "statement on {id} names no product assay can match: it applies to nothing"
                    ),
                );
                continue;
            }
            let justification = text(statement, "justification").map(str::to_string);
            if status == VexStatus::NotAffected
                && justification.is_none()
                && text(statement, "impact_statement").is_none()
            {
                self.warn(&here, "a not_affected statement needs a justification or an impact_statement (OpenVEX 0.2.0); read anyway");
            }
            self.statements.push(VexStatement {
                vulnerability: id,
                aliases,
                products,
                status,
                justification,
                impact_statement: text(statement, "impact_statement").map(str::to_string),
                action_statement: text(statement, "action_statement").map(str::to_string),
                timestamp: text(statement, "timestamp")
                    .map(str::to_string)
                    .or_else(|| doc_timestamp.clone()),
                source: self.at(&here),
            });
        }
        Ok(())
    }

    fn openvex_product(&mut self, product: &Value, pointer: &str) -> Option<ProductMatcher> {
        let id = match product {
            Value::String(s) => Some(s.as_str()),
            _ => product
                .get("identifiers")
                .and_then(|ids| text(ids, "purl"))
                .or_else(|| text(product, "@id")),
        };
        match id {
            Some(id) => self.purl_matcher(id, pointer),
            None => {
                self.warn(
                    pointer,
                    "product has neither `@id` nor `identifiers.purl`: ignored",
                );
                None
            }
        }
    }
}
