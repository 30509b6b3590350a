//! The API's OpenAPI 3.1 document, made from the handlers and their types
//! (utoipa), then completed with what the code knows but the attributes do
//! not say: who may call each operation, every error it can answer, and the
//! score request's shape per embedded framework (frameworks are data).

use crate::error::{ApiErrorBody, ErrorCode};
use crate::routes::{api, api_rounds, dashboard, history, oit, quality, tokens};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "itas API",
        description = "Integrity and Transparency Assessment System. Errors are JSON ({\"error\", \"message\", \"detail\"}) with the message in Thai, or in English with `Accept-Language: en`. Signed-in operations take the browser's session cookie or an API token (`Authorization: Bearer …`) made at /account/tokens; a read token may only GET; only a signed-in session makes tokens; each user may make 600 calls a minute, all of its tokens together.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        api::openapi,
        api::score_endpoint,
        api::me,
        api::rounds,
        api::agencies,
        api::import_agencies,
        api::agency,
        api::agency_scores,
        api_rounds::create_round,
        api_rounds::round,
        api_rounds::set_phases,
        api_rounds::participants,
        api_rounds::add_participants,
        api_rounds::set_populations,
        api_rounds::links,
        api_rounds::compute,
        api_rounds::publish,
        api_rounds::withdraw,
        tokens::list_api,
        tokens::create_api,
        tokens::revoke_api,
        tokens::all_api,
        tokens::revoke_any_api,
        oit::api_items,
        oit::api_put_item,
        oit::api_submit,
        oit::api_check,
        oit::api_review_items,
        oit::api_decide,
        quality::api,
        dashboard::api_figures,
        dashboard::api_results,
        history::import_api,
        history::history_api,
    ),
    components(schemas(ApiErrorBody)),
    tags(
        (name = "meta", description = "This document"),
        (name = "scoring", description = "The scoring engine, stateless"),
        (name = "account", description = "The caller and their API tokens"),
        (name = "admin", description = "The central office's oversight of every user's tokens"),
        (name = "rounds", description = "Assessment rounds"),
        (name = "agencies", description = "The agency directory"),
        (name = "results", description = "Scores and results"),
        (name = "oit", description = "An agency's OIT evidence (agency admin)"),
        (name = "quality", description = "Data-quality flags (central office)"),
    )
)]
struct ApiDoc;

/// Operations anyone may call; every other one needs a session or a token.
const PUBLIC: &[&str] = &[
    "/api/v1/openapi.json",
    "/api/v1/score",
    "/api/v1/agencies/{id}/history",
];

/// Operations anyone may call, whose answer a session or a token widens
/// (the central office sees a round before it is published).
const SIGN_IN_OPTIONAL: &[&str] = &[
    "/api/v1/rounds/{round}/dashboard",
    "/api/v1/rounds/{round}/results",
];

/// Errors particular to one operation, beyond those its shape implies (see
/// `errors_of`).
const PARTICULAR: &[(&str, &str, &[ErrorCode])] = &[
    ("get", "/api/v1/agencies", &[ErrorCode::Invalid]),
    (
        "post",
        "/api/v1/agencies/import",
        &[ErrorCode::BadContentType],
    ),
    (
        "post",
        "/api/v1/results/import",
        &[ErrorCode::BadContentType, ErrorCode::Invalid],
    ),
    (
        "get",
        "/api/v1/rounds/{round}/participants",
        &[ErrorCode::Invalid],
    ),
    ("post", "/api/v1/rounds", &[ErrorCode::Conflict]),
    ("post", "/api/v1/tokens", &[ErrorCode::Conflict]),
    ("get", "/api/v1/admin/tokens", &[ErrorCode::Invalid]),
    (
        "put",
        "/api/v1/rounds/{round}/populations",
        &[ErrorCode::PhaseClosed],
    ),
    (
        "get",
        "/api/v1/rounds/{round}/dashboard",
        &[ErrorCode::Invalid],
    ),
    (
        "get",
        "/api/v1/rounds/{round}/results",
        &[ErrorCode::Invalid],
    ),
    (
        "get",
        "/api/v1/rounds/{round}/agencies/{agency}/scores",
        &[ErrorCode::NoResults],
    ),
    (
        "put",
        "/api/v1/rounds/{round}/oit/items/{item}",
        &[ErrorCode::PhaseClosed],
    ),
    (
        "post",
        "/api/v1/rounds/{round}/oit/submit",
        &[ErrorCode::PhaseClosed],
    ),
    (
        "put",
        "/api/v1/rounds/{round}/agencies/{agency}/oit/items/{item}/decision",
        &[ErrorCode::PhaseNotOpen, ErrorCode::PhaseClosed],
    ),
];

/// Every error an operation can answer: what any request can meet, then
/// what its sign-in, path parameters and body add, then its own.
fn errors_of(method: &str, path: &str, op: &Value) -> Vec<ErrorCode> {
    let mut out = vec![
        ErrorCode::TimedOut,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::StorageFault,
    ];
    if SIGN_IN_OPTIONAL.contains(&path) {
        // A token given is checked: refused, or over its rate.
        out.extend([ErrorCode::BadToken, ErrorCode::ApiSlowDown]);
    } else if !PUBLIC.contains(&path) {
        out.extend([
            ErrorCode::NotSignedIn,
            ErrorCode::BadToken,
            ErrorCode::Forbidden,
            ErrorCode::ApiSlowDown,
        ]);
    }
    if path.contains('{') {
        out.push(ErrorCode::NotFound);
    }
    if op.get("requestBody").is_some() {
        out.extend([
            ErrorCode::BadJson,
            ErrorCode::NotJson,
            ErrorCode::Invalid,
            ErrorCode::TooLarge,
        ]);
    }
    for (m, p, codes) in PARTICULAR {
        if *m == method && *p == path {
            out.extend(codes.iter().copied());
        }
    }
    // An operation that takes other types than JSON says so with its own code.
    if out.contains(&ErrorCode::BadContentType) {
        out.retain(|c| *c != ErrorCode::NotJson);
    }
    // Each code once, in the order above (the responses list them so).
    let mut seen = Vec::with_capacity(out.len());
    out.retain(|c| {
        let new = !seen.contains(c);
        seen.push(*c);
        new
    });
    out
}

/// The document as served, serialised once (it is 160 KB).
pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string(document()).expect("the document serialises"))
}

/// The document, made once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
        complete(&mut doc);
        doc
    })
}

fn complete(doc: &mut Value) {
    let error_ref = json!({"$ref": "#/components/schemas/Error"});
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().expect("a path item") {
            if SIGN_IN_OPTIONAL.contains(&path.as_str()) {
                op["security"] = json!([{}, {"session": []}, {"bearer": []}]);
            } else if !PUBLIC.contains(&path.as_str()) {
                op["security"] = json!([{"session": []}, {"bearer": []}]);
            }
            let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
            for code in errors_of(method, path, op) {
                by_status
                    .entry(crate::error::status_of(code).as_u16())
                    .or_default()
                    .push(code);
            }
            let responses = op["responses"].as_object_mut().expect("responses");
            for (status, codes) in by_status {
                let description = codes
                    .iter()
                    .map(|c| format!("`{}`: {}", c.code(), c.message(crate::i18n::Lang::En)))
                    .collect::<Vec<_>>()
                    .join(" · ");
                let mut response = json!({
                    "description": description,
                    "content": {"application/json": {"schema": error_ref.clone()}}
                });
                if status == 503 {
                    response["headers"] = json!({"Retry-After": {
                        "description": "Seconds to wait", "schema": {"type": "integer"}}});
                }
                responses.insert(status.to_string(), response);
            }
        }
    }
    let components = doc["components"].as_object_mut().expect("components");
    components.insert(
        "securitySchemes".into(),
        json!({
            "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE},
            "bearer": {"type": "http", "scheme": "bearer",
                "description": "An API token made at /account/tokens or with POST /api/v1/tokens"}
        }),
    );
    components["schemas"]["ScoreRequest"] = score_request_schema();
    // Frameworks are data, so the embedded ones are named here, not in the type.
    let mut embedded: Vec<Value> = itas_core::framework::EMBEDDED
        .iter()
        .map(|(name, _)| json!(name))
        .collect();
    embedded.push(Value::Null);
    components["schemas"]["NewRound"]["properties"]["framework"]["enum"] = Value::Array(embedded);
}

/// A score request per embedded framework: that framework's indicators, and
/// its checklist items for `oit_pass`. Without `oit_pass` every indicator
/// needs a score; with it, the checklist indicators may be left out and are
/// computed from the items that passed. `framework` may be left out for the
/// default, ita-2564.
fn score_request_schema() -> Value {
    let score = json!({"oneOf": [
        {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
        {"type": "string", "pattern": api::SCORE_TEXT_PATTERN}
    ]});
    let mut variants = Vec::new();
    for (name, _) in itas_core::framework::EMBEDDED {
        let fw = itas_core::framework::embedded(name).expect("embedded");
        let checklist_tool = |tool: &str| {
            fw.tool(tool)
                .is_some_and(|t| t.kind == itas_core::framework::ToolKind::Checklist)
        };
        let mut properties = Map::new();
        for i in &fw.indicators {
            properties.insert(i.number.to_string(), score.clone());
        }
        let all: Vec<String> = fw.indicators.iter().map(|i| i.number.to_string()).collect();
        let surveys: Vec<String> = fw
            .indicators
            .iter()
            .filter(|i| !checklist_tool(&i.tool))
            .map(|i| i.number.to_string())
            .collect();
        let items: Vec<&str> = fw.checklist_items().map(|i| i.code.as_str()).collect();
        let default = *name == "ita-2564";
        let variant = |required: &[String], oit_pass: Value, with_items: bool| {
            let mut v = json!({
                "type": "object",
                "properties": {
                    "framework": {"const": name},
                    "indicators": {
                        "type": "object",
                        "properties": properties,
                        "required": required,
                        "additionalProperties": false
                    },
                    "oit_pass": oit_pass
                },
                "required": if default { json!(["indicators"]) } else { json!(["framework", "indicators"]) }
            });
            if with_items {
                v["required"]
                    .as_array_mut()
                    .unwrap()
                    .push("oit_pass".into());
            }
            v
        };
        variants.push(variant(&all, json!({"type": "null"}), false));
        variants.push(variant(
            &surveys,
            json!({"type": "array", "uniqueItems": true, "items": {"enum": items},
                "description": "The checklist items that passed; every other one failed"}),
            true,
        ));
    }
    json!({
        "description": "Indicator number → score (a number, or a string of digits, with at most two decimals, 0 to 100), for the framework named. With oit_pass, the checklist (OIT) indicators left out are computed from the items that passed.",
        "oneOf": variants
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_its_errors_and_who_may_call_it() {
        let doc = document();
        let mut n = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                n += 1;
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("500"), "{method} {path}");
                let secured = op.get("security").is_some();
                assert_eq!(secured, !PUBLIC.contains(&path.as_str()), "{method} {path}");
                // Every secured operation may be refused a token (401).
                assert_eq!(responses.contains_key("401"), secured, "{method} {path}");
                if SIGN_IN_OPTIONAL.contains(&path.as_str()) {
                    assert_eq!(op["security"][0], json!({}), "{method} {path}");
                    assert!(!responses.contains_key("403"), "{method} {path}");
                }
                if op.get("requestBody").is_some() {
                    for s in ["400", "415", "422"] {
                        assert!(responses.contains_key(s), "{method} {path} {s}");
                    }
                }
            }
        }
        assert_eq!(n, 34);
    }

    #[test]
    fn the_score_request_names_each_frameworks_items() {
        let s = &document()["components"]["schemas"]["ScoreRequest"];
        let text = s.to_string();
        assert!(text.contains("\"o42\"") && text.contains("\"O25\""));
        assert_eq!(
            s["oneOf"].as_array().unwrap().len(),
            2 * itas_core::framework::EMBEDDED.len()
        );
    }
}

#[cfg(test)]
mod snapshot {
    /// The document as committed in docs/openapi.json: a change to the API
    /// shows in review as a change to that file. `ITAS_UPDATE_SNAPSHOTS=1`
    /// rewrites it.
    #[test]
    fn the_document_matches_docs_openapi_json() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let now = serde_json::to_string_pretty(super::document()).unwrap() + "\n";
        if std::env::var_os("ITAS_UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &now).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == now,
            "the API document changed; review the change, then run ITAS_UPDATE_SNAPSHOTS=1 cargo test -p itas-web openapi"
        );
    }
}
