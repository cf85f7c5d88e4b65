//! The OpenAPI 3.1 document, generated from the route registry so it cannot drift from the
//! router.

use serde_json::{Map, Value, json};

use crate::api::ROUTES;
use crate::policy::{self, Role};

pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths
            .entry(r.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let roles: Vec<&str> = Role::ALL
            .iter()
            .filter(|role| policy::allowed(**role, r.action))
            .map(|role| role.as_str())
            .collect();
        let mut responses = Map::new();
        responses.insert(r.success.to_string(), json!({"description": "success"}));
        for (code, what) in [
            ("400", "invalid request"),
            ("401", "no or bad token"),
            ("403", "role not allowed"),
            ("404", "not found"),
        ] {
            responses.insert(code.into(), json!({"description": what,
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}));
        }
        let mut op = json!({
            "operationId": format!("{}-{}", r.method.as_str().to_lowercase(), r.action.as_str()),
            "summary": r.summary,
            "x-assay-action": r.action.as_str(),
            "x-assay-roles": roles,
            "parameters": params,
            "responses": responses,
        });
        if !roles.contains(&"public") {
            op["security"] = json!([{"bearer": []}]);
        }
        if let Some(schema) = r.request {
            op["requestBody"] = json!({"required": true,
                "content": {"application/json": {"schema": schema()}}});
        }
        entry
            .as_object_mut()
            .expect("path entries are objects")
            .insert(r.method.as_str().to_lowercase(), op);
    }
    let grantable: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| r.grantable())
        .map(|r| r.as_str())
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "assay clearinghouse API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "assay_pat_<16 hex id>_<64 hex secret>"}},
            "schemas": {
                "Role": {"type": "string", "enum": grantable},
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                        "status": {"type": "integer"}, "detail": {"type": "string"},
                        "field": {"type": "string"}}}
            }
        }
    })
}
