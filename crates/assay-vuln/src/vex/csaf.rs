//! CSAF 2.0 VEX (the `csaf_vex` profile): product tree, groups, product status.
use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::read::{Reader, text};
use super::{ProductMatcher, VersRange, VexError, VexStatement};
use crate::finding::VexStatus;
use crate::sbom::purl::Purl;

impl Reader<'_> {
    // ---- CSAF VEX ----------------------------------------------------------------------

    pub(super) fn csaf(&mut self, doc: &Value) -> Result<(), VexError> {
        let category = doc
            .get("document")
            .and_then(|d| text(d, "category"))
            .unwrap_or("");
        if category != "csaf_vex" {
            self.warn(
                "/document/category",
                format!("category `{category}` is not `csaf_vex`; reading its product_status as VEX statements"),
            );
        }
        let timestamp = doc
            .get("document")
            .and_then(|d| d.get("tracking"))
            .and_then(|t| text(t, "current_release_date"))
            .map(str::to_string);
        let products = self.csaf_products(doc)?;
        let groups = self.csaf_groups(doc)?;
        let expand = |ids: &Value, groups_key: Option<&Value>| -> Vec<String> {
            let mut out: Vec<String> = ids
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(group_ids) = groups_key.and_then(Value::as_array) {
                for group in group_ids.iter().filter_map(Value::as_str) {
                    out.extend(groups.get(group).cloned().unwrap_or_default());
                }
            }
            out
        };
        let vulnerabilities = self.array(doc, "vulnerabilities", "")?;
        for (i, vuln) in vulnerabilities.iter().enumerate() {
            let here = format!("/vulnerabilities/{i}");
            let mut ids: Vec<String> = Vec::new();
            if let Some(cve) = text(vuln, "cve") {
                ids.push(cve.to_string());
            }
            for id in self.array(vuln, "ids", &here)? {
                if let Some(t) = text(id, "text") {
                    ids.push(t.to_string());
                }
            }
            if ids.is_empty() {
                self.warn(
                    &here,
                    "vulnerability has neither `cve` nor `ids`: it cannot be matched, skipped",
                );
                continue;
            }
            // Per-product details: justification flags, impact threats, remediations.
            let mut justification: HashMap<String, String> = HashMap::new();
            for flag in self.array(vuln, "flags", &here)? {
                if let Some(label) = text(flag, "label") {
                    for id in expand(
                        flag.get("product_ids").unwrap_or(&Value::Null),
                        flag.get("group_ids"),
                    ) {
                        justification.insert(id, label.to_string());
                    }
                }
            }
            let mut impact: HashMap<String, String> = HashMap::new();
            for threat in self.array(vuln, "threats", &here)? {
                if text(threat, "category") == Some("impact")
                    && let Some(details) = text(threat, "details")
                {
                    for id in expand(
                        threat.get("product_ids").unwrap_or(&Value::Null),
                        threat.get("group_ids"),
                    ) {
                        impact.insert(id, details.to_string());
                    }
                }
            }
            let mut action: HashMap<String, String> = HashMap::new();
            for remediation in self.array(vuln, "remediations", &here)? {
                if let Some(details) = text(remediation, "details") {
                    let category = text(remediation, "category").unwrap_or("remediation");
                    for id in expand(
                        remediation.get("product_ids").unwrap_or(&Value::Null),
                        remediation.get("group_ids"),
                    ) {
                        action.insert(id, format!("{category}: {details}"));
                    }
                }
            }
            let Some(status_map) = vuln.get("product_status") else {
                self.warn(
                    &here,
                    "vulnerability has no `product_status`: nothing to apply",
                );
                continue;
            };
            let Some(status_map) = status_map.as_object() else {
                return Err(self.field_error(
                    format!("{here}/product_status"),
                    "`product_status` must be an object",
                ));
            };
            for (key, list) in status_map {
                let status = match key.as_str() {
                    "known_not_affected" => VexStatus::NotAffected,
                    "known_affected" | "first_affected" | "last_affected" => VexStatus::Affected,
                    "fixed" | "first_fixed" => VexStatus::Fixed,
                    "under_investigation" => VexStatus::UnderInvestigation,
                    // `recommended` names the product versions to move to, not a status.
                    _ => continue,
                };
                let pointer = format!("{here}/product_status/{key}");
                let Some(list) = list.as_array() else {
                    return Err(self
                        .field_error(pointer, "a product status must be an array of product ids"));
                };
                for (j, product_id) in list.iter().enumerate() {
                    let Some(product_id) = product_id.as_str() else {
                        return Err(self.field_error(
                            format!("{pointer}/{j}"),
                            "a product id must be a string",
                        ));
                    };
                    let matchers = match products.get(product_id) {
                        Some(Ok(matchers)) => matchers.clone(),
                        Some(Err(why)) => {
                            self.warn(&format!("{pointer}/{j}"), format!("product `{product_id}` {why}; the statement cannot be matched: skipped"));
                            continue;
                        }
                        None => {
                            self.warn(&format!("{pointer}/{j}"), format!("product `{product_id}` is not defined in the product tree: skipped"));
                            continue;
                        }
                    };
                    if status == VexStatus::NotAffected
                        && !justification.contains_key(product_id)
                        && !impact.contains_key(product_id)
                    {
                        self.warn(
                            &format!("{pointer}/{j}"),
                            format!("known_not_affected `{product_id}` has neither a flag nor an impact threat (CSAF VEX requires one); read anyway"),
                        );
                    }
                    self.statements.push(VexStatement {
                        vulnerability: ids[0].clone(),
                        aliases: ids[1..].to_vec(),
                        products: matchers,
                        status,
                        justification: justification.get(product_id).cloned(),
                        impact_statement: impact.get(product_id).cloned(),
                        action_statement: action.get(product_id).cloned(),
                        timestamp: timestamp.clone(),
                        source: self.at(&format!("{pointer}/{j}")),
                    });
                }
            }
        }
        Ok(())
    }

    /// product_id -> matchers, or why it has none.
    #[allow(clippy::type_complexity)]
    fn csaf_products(
        &mut self,
        doc: &Value,
    ) -> Result<BTreeMap<String, Result<Vec<ProductMatcher>, String>>, VexError> {
        let mut products = BTreeMap::new();
        let Some(tree) = doc.get("product_tree") else {
            return Ok(products);
        };
        // CSAF 2.0 writes one `purl`; CSAF 2.1 a `purls` array (the first is taken).
        fn helper_purl(product: &Value) -> Option<Purl> {
            let helper = product.get("product_identification_helper")?;
            text(helper, "purl")
                .or_else(|| {
                    helper
                        .get("purls")
                        .and_then(Value::as_array)
                        .and_then(|p| p.first())
                        .and_then(Value::as_str)
                })
                .and_then(|p| Purl::parse(p).ok())
        }
        fn walk(
            branch: &Value,
            name: Option<&str>,
            out: &mut BTreeMap<String, Result<Vec<ProductMatcher>, String>>,
        ) {
            let category = text(branch, "category").unwrap_or("");
            let branch_name = text(branch, "name");
            let name = if category == "product_name" {
                branch_name
            } else {
                name
            };
            if let Some(product) = branch.get("product")
                && let Some(id) = text(product, "product_id")
            {
                let matcher = if let Some(purl) = helper_purl(product) {
                    Ok(vec![ProductMatcher::Purl(purl)])
                } else {
                    match (category, name, branch_name) {
                        (
                            // The most specific version-like branch names the version
                            // (Cisco nests `service_pack` under `product_version`).
                            "product_version" | "service_pack" | "patch_level",
                            Some(name),
                            Some(version),
                        ) => Ok(vec![ProductMatcher::Named {
                            name: name.to_string(),
                            version: Some(version.to_string()),
                        }]),
                        // A product (family) named without a version: every version of it.
                        ("product_name" | "product_family", _, Some(family)) => {
                            Ok(vec![ProductMatcher::Named {
                                name: family.to_string(),
                                version: None,
                            }])
                        }
                        ("product_version_range", Some(name), Some(range)) => {
                            match VersRange::parse(range) {
                                Some(range) => Ok(vec![ProductMatcher::NamedRange {
                                    name: name.to_string(),
                                    range,
                                }]),
                                None => Err(format!(
                                    "has a version range `{range}` that is neither `vers:` nor a constraint list"
                                )),
                            }
                        }
                        _ => Err("has neither a purl nor a product name and version".to_string()),
                    }
                };
                out.insert(id.to_string(), matcher);
            }
            if let Some(children) = branch.get("branches").and_then(Value::as_array) {
                for child in children {
                    walk(child, name, out);
                }
            }
        }
        if let Some(branches) = tree.get("branches").and_then(Value::as_array) {
            for branch in branches {
                walk(branch, None, &mut products);
            }
        }
        for product in self.array(tree, "full_product_names", "/product_tree")? {
            if let Some(id) = text(product, "product_id") {
                let matcher = match helper_purl(product) {
                    Some(purl) => Ok(vec![ProductMatcher::Purl(purl)]),
                    None => Err("has no purl in its product_identification_helper".to_string()),
                };
                products.insert(id.to_string(), matcher);
            }
        }
        // "component X installed on platform Y": the statement is about the component.
        for relationship in self.array(tree, "relationships", "/product_tree")? {
            let (Some(reference), Some(full)) = (
                text(relationship, "product_reference"),
                relationship
                    .get("full_product_name")
                    .and_then(|f| text(f, "product_id")),
            ) else {
                continue;
            };
            let matcher = match relationship.get("full_product_name").and_then(helper_purl) {
                Some(purl) => Ok(vec![ProductMatcher::Purl(purl)]),
                None => products.get(reference).cloned().unwrap_or_else(|| {
                    Err(format!("refers to `{reference}`, which is not defined"))
                }),
            };
            products.insert(full.to_string(), matcher);
        }
        Ok(products)
    }

    fn csaf_groups(&self, doc: &Value) -> Result<HashMap<String, Vec<String>>, VexError> {
        let mut groups = HashMap::new();
        if let Some(tree) = doc.get("product_tree") {
            for group in self.array(tree, "product_groups", "/product_tree")? {
                if let Some(id) = text(group, "group_id") {
                    let members = group
                        .get("product_ids")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    groups.insert(id.to_string(), members);
                }
            }
        }
        Ok(groups)
    }
}
