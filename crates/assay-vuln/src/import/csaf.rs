//! CSAF 2.0 advisories: products from the product tree (with their package URL when the
//! identification helper gives one, else vendor product name and version branch), and one
//! advisory per vulnerability: `known_affected` / `first_affected` / `last_affected`
//! products become explicit affected versions, `fixed` / `first_fixed` products and
//! `vendor_fix` remediations become fixed versions.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::ParsedFile;
use crate::advisory::{
    Advisory, AdvisoryFormat, Affected, Event, Range, RangeKind, ecosystem_key, parse_purl,
};
use crate::finding::SeverityLevel;

/// Per package of one vulnerability: (affected versions, fixed versions, purl).
type PackageVersions = (Vec<String>, Vec<String>, Option<String>);

/// A product of the tree, reduced to what matching needs.
#[derive(Clone, Debug)]
struct Product {
    /// OSV ecosystem name, or `*` when only a product name is known.
    ecosystem: String,
    name: String,
    version: Option<String>,
    purl: Option<String>,
}

fn walk(
    branch: &Value,
    product_name: Option<&str>,
    version: Option<&str>,
    out: &mut HashMap<String, Product>,
) {
    let category = branch.get("category").and_then(Value::as_str).unwrap_or("");
    let name = branch.get("name").and_then(Value::as_str);
    let product_name = if category == "product_name" {
        name.or(product_name)
    } else {
        product_name
    };
    let version = if category == "product_version" {
        name.or(version)
    } else {
        version
    };
    if let Some(product) = branch.get("product") {
        add_product(product, product_name, version, out);
    }
    if let Some(children) = branch.get("branches").and_then(Value::as_array) {
        for child in children {
            walk(child, product_name, version, out);
        }
    }
}

fn add_product(
    product: &Value,
    product_name: Option<&str>,
    version: Option<&str>,
    out: &mut HashMap<String, Product>,
) {
    let Some(id) = product.get("product_id").and_then(Value::as_str) else {
        return;
    };
    let helper = product.get("product_identification_helper");
    let purl = helper.and_then(|h| h.get("purl")).and_then(Value::as_str);
    let entry = match purl.and_then(parse_purl) {
        Some((ecosystem, name, purl_version)) => Product {
            ecosystem: ecosystem_key(&ecosystem),
            name,
            version: purl_version.or(version.map(str::to_string)),
            purl: purl.map(str::to_string),
        },
        None => Product {
            ecosystem: "*".into(),
            name: product_name
                .or_else(|| product.get("name").and_then(Value::as_str))
                .unwrap_or(id)
                .to_string(),
            version: version.map(str::to_string),
            purl: None,
        },
    };
    out.insert(id.to_string(), entry);
}

fn ids(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub(super) fn read(name: &str, bytes: &[u8], out: &mut ParsedFile) {
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.warn(name, "-", format!("not valid JSON: {e}"));
            return;
        }
    };
    let document = doc.get("document");
    let tracking_id = document
        .and_then(|d| d.get("tracking"))
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let published = document
        .and_then(|d| d.get("tracking"))
        .and_then(|t| t.get("initial_release_date"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let title = document
        .and_then(|d| d.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut products = HashMap::new();
    if let Some(tree) = doc.get("product_tree") {
        for branch in tree
            .get("branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(branch, None, None, &mut products);
        }
        for product in tree
            .get("full_product_names")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            add_product(product, None, None, &mut products);
        }
        // A relationship names a combined product (e.g. a package on a platform); for
        // matching it is the package it refers to.
        for relationship in tree
            .get("relationships")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let reference = relationship
                .get("product_reference")
                .and_then(Value::as_str);
            let combined = relationship
                .get("full_product_name")
                .and_then(|f| f.get("product_id"))
                .and_then(Value::as_str);
            if let (Some(reference), Some(combined)) = (reference, combined)
                && let Some(product) = products.get(reference).cloned()
            {
                products.insert(combined.to_string(), product);
            }
        }
    } else {
        out.warn(name, "product_tree", "missing: no product can be matched");
    }
    let Some(vulnerabilities) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        out.warn(name, "vulnerabilities", "missing: nothing imported");
        return;
    };
    for (vi, vuln) in vulnerabilities.iter().enumerate() {
        let cve = vuln.get("cve").and_then(Value::as_str).map(str::to_string);
        let mut aliases: Vec<String> = vuln
            .get("ids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.get("text").and_then(Value::as_str).map(str::to_string))
            .collect();
        let id = match &cve {
            Some(cve) => cve.clone(),
            None if !tracking_id.is_empty() => format!("{tracking_id}#{vi}"),
            None => {
                out.warn(
                    name,
                    format!("vulnerabilities[{vi}].cve"),
                    "no CVE and no document tracking id: skipped",
                );
                continue;
            }
        };
        if cve.is_some() && !tracking_id.is_empty() {
            aliases.push(tracking_id.clone());
        }
        let status = vuln.get("product_status");
        let affected_ids: Vec<&str> = ["known_affected", "first_affected", "last_affected"]
            .iter()
            .flat_map(|k| ids(status.and_then(|s| s.get(*k))))
            .collect();
        let fixed_ids: Vec<&str> = ["fixed", "first_fixed"]
            .iter()
            .flat_map(|k| ids(status.and_then(|s| s.get(*k))))
            .collect();
        // Group by package: (ecosystem, name) -> (affected versions, fixed versions).
        let mut packages: BTreeMap<(String, String), PackageVersions> = BTreeMap::new();
        let mut unversioned = 0usize;
        for (list, is_fixed) in [(&affected_ids, false), (&fixed_ids, true)] {
            for product_id in list.iter() {
                let Some(product) = products.get(*product_id) else {
                    out.warn(
                        name,
                        format!("vulnerabilities[{vi}].product_status"),
                        format!("product `{product_id}` is not in the product tree"),
                    );
                    continue;
                };
                let Some(version) = &product.version else {
                    unversioned += 1;
                    continue;
                };
                let entry = packages
                    .entry((product.ecosystem.clone(), product.name.clone()))
                    .or_default();
                let target = if is_fixed { &mut entry.1 } else { &mut entry.0 };
                if !target.contains(version) {
                    target.push(version.clone());
                }
                if entry.2.is_none() {
                    entry.2 = product.purl.clone();
                }
            }
        }
        let _ = unversioned; // products without a version (families) cannot be matched
        let mut cvss_vectors = Vec::new();
        let mut stated_score: Option<f64> = None;
        for score in vuln
            .get("scores")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for key in ["cvss_v4", "cvss_v3", "cvss_v2"] {
                if let Some(cvss) = score.get(key) {
                    if let Some(vector) = cvss.get("vectorString").and_then(Value::as_str)
                        && !cvss_vectors.iter().any(|v| v == vector)
                    {
                        cvss_vectors.push(vector.to_string());
                    }
                    if key == "cvss_v3"
                        && let Some(base) = cvss.get("baseScore").and_then(Value::as_f64)
                    {
                        stated_score = Some(stated_score.map_or(base, |s: f64| s.max(base)));
                    }
                }
            }
        }
        let stated_level = vuln
            .get("threats")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| t.get("category").and_then(Value::as_str) == Some("impact"))
            .filter_map(|t| t.get("details").and_then(Value::as_str))
            .filter_map(SeverityLevel::parse)
            .max();
        let summary = vuln
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                vuln.get("notes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find_map(|n| {
                        n.get("text")
                            .and_then(Value::as_str)
                            .map(super::osv::first_line)
                    })
            })
            .unwrap_or_else(|| title.to_string());
        let references = vuln
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("url").and_then(Value::as_str).map(str::to_string))
            .collect();
        let affected = packages
            .into_iter()
            .filter(|(_, (versions, _, _))| !versions.is_empty())
            .map(|((ecosystem, name), (versions, fixed, purl))| Affected {
                ecosystem,
                name,
                purl,
                // Fixed products as `fixed` events of a range with no `introduced`: they
                // never make a version affected, but report the fix.
                ranges: if fixed.is_empty() {
                    Vec::new()
                } else {
                    vec![Range::Events {
                        kind: RangeKind::Ecosystem,
                        repo: None,
                        events: fixed.into_iter().map(Event::Fixed).collect(),
                    }]
                },
                versions,
            })
            .collect();
        out.advisories.push(Advisory {
            id,
            aliases,
            summary,
            published: published.clone(),
            withdrawn: None,
            informational: None,
            cvss_vectors,
            stated_score,
            stated_level,
            affected,
            references,
            format: AdvisoryFormat::Csaf,
            source: name.to_string(),
        });
    }
}
