//! The JSON API under `/api/v1`, described by the OpenAPI document it serves.
//! Signed-in calls use the same session cookie as the pages.

use crate::AppState;
use crate::auth::{CurrentUser, may_see_agency};
use crate::error::{AppError, ErrorCode};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use itas_core::Score;
use itas_core::directory::Role;
use itas_core::framework;
use itas_core::scoring::{Inputs, score};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/score", post(score_endpoint))
        .route("/api/v1/me", get(me))
        .route("/api/v1/rounds", get(rounds))
        .route("/api/v1/agencies", get(agencies))
        .route("/api/v1/agencies/{id}", get(agency))
        .route(
            "/api/v1/rounds/{round}/agencies/{agency}/scores",
            get(agency_scores),
        )
}

fn api(e: impl Into<AppError>, user: Option<&CurrentUser>) -> AppError {
    let e: AppError = e.into();
    let e = e.as_json();
    match user {
        Some(u) => e.in_lang(u.lang),
        None => e,
    }
}

/// Every documented operation: (method, path, summary, needs sign-in).
pub const OPERATIONS: &[(&str, &str, &str, bool)] = &[
    ("get", "/api/v1/openapi.json", "This document", false),
    (
        "post",
        "/api/v1/score",
        "Score indicator values or OIT decisions with a framework (stateless)",
        false,
    ),
    ("get", "/api/v1/me", "The signed-in user", true),
    ("get", "/api/v1/rounds", "Assessment rounds", true),
    (
        "get",
        "/api/v1/agencies",
        "Agencies the caller may see (search with q)",
        true,
    ),
    ("get", "/api/v1/agencies/{id}", "One agency", true),
    (
        "get",
        "/api/v1/rounds/{round}/agencies/{agency}/scores",
        "An agency's scores in a round, computed by the engine",
        true,
    ),
    (
        "get",
        "/api/v1/tokens",
        "The caller's API tokens (never the tokens themselves)",
        true,
    ),
    (
        "post",
        "/api/v1/tokens",
        "Create a token for the caller: {\"name\", \"scope\": \"read\"|\"write\", \"days\": 1–365}; the answer holds the token, shown this once",
        true,
    ),
    (
        "delete",
        "/api/v1/tokens/{id}",
        "Revoke one of the caller's tokens",
        true,
    ),
    (
        "get",
        "/api/v1/rounds/{round}/oit",
        "The agency admin's OIT checklist: each item's requirement, URLs, explanation, whether it may be edited now, the automatic check of each URL (traffic light and findings) and the final decision",
        true,
    ),
    (
        "put",
        "/api/v1/rounds/{round}/oit/items/{item}",
        "Set one item's URLs (at most 5, http or https) and explanation, as a draft until submitted",
        true,
    ),
    (
        "post",
        "/api/v1/rounds/{round}/oit/submit",
        "Submit the agency's OIT evidence to the assessors (no changes after) and check every URL",
        true,
    ),
    (
        "post",
        "/api/v1/rounds/{round}/oit/check",
        "Check every URL now, in the background (202); the lights appear on GET …/oit",
        true,
    ),
    (
        "get",
        "/api/v1/rounds/{round}/quality",
        "Data-quality flags of a round's IIT/EIT answers, from aggregates only (central office): {\"agencies\":[{\"agency_id\",\"code\",\"flags\":[{\"kind\",\"tool\",\"detail\"}]}]}",
        true,
    ),
];

pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, auth) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut responses = json!({
            "200": {"description": "OK", "content": {"application/json": {}}},
            "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        });
        if *auth {
            responses["401"] = json!({"description": "Not signed in", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            responses["403"] = json!({"description": "Not allowed for this user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        let mut op = json!({"summary": summary, "parameters": params, "responses": responses});
        if *auth {
            op["security"] = json!([{"session": []}, {"bearer": []}]);
        }
        match (*method, *path) {
            ("put", "/api/v1/rounds/{round}/oit/items/{item}") => {
                op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OitItem"}}}});
            }
            ("post", "/api/v1/tokens") => {
                op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewToken"}}}});
                op["responses"]["201"] = json!({"description": "Created; the token is in the answer, once", "content": {"application/json": {}}});
            }
            ("delete", _) => {
                op["responses"]["204"] = json!({"description": "Revoked"});
            }
            ("post", "/api/v1/rounds/{round}/oit/check") => {
                op["responses"]["202"] =
                    json!({"description": "Checking", "content": {"application/json": {}}});
            }
            _ => {}
        }
        if *path == "/api/v1/score" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}}});
            op["responses"]["200"] = json!({"description": "Scores", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScoreResult"}}}});
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "itas API", "version": env!("CARGO_PKG_VERSION"), "description": "Integrity and Transparency Assessment System"},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE},
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token made at /account/tokens or POST /api/v1/tokens; a read token may only GET"}
            },
            "schemas": {
                "OitItem": {"type": "object", "properties": {
                    "urls": {"type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 2000}},
                    "explanation": {"type": "string", "maxLength": 4000}}},
                "NewToken": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "scope": {"type": "string", "enum": ["read", "write"], "default": "read"},
                    "days": {"type": ["integer", "null"], "minimum": 1, "maximum": 365, "default": 90, "description": "null or absent: 90"}}},
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string", "description": "Stable error code"},
                    "message": {"type": "string", "description": "Message in the caller's language (Thai by default)"},
                    "detail": {"type": ["string", "null"]}}},
                "ScoreRequest": {"type": "object", "required": ["indicators"], "properties": {
                    "framework": {"type": "string", "default": "ita-2564"},
                    "indicators": {"type": "object", "description": "Indicator number → score (number or decimal string, at most two decimals)",
                        "additionalProperties": {"type": ["number", "string"]}},
                    "oit_pass": {"type": "array", "items": {"type": "string"}, "description": "Checklist items that passed; checklist indicators missing from 'indicators' are computed from it"}}},
                "ScoreResult": {"type": "object", "required": ["framework", "indicators", "tools", "overall", "level", "below_pass"], "properties": {
                    "framework": {"type": "string"},
                    "indicators": {"type": "object", "additionalProperties": {"type": "number"}},
                    "tools": {"type": "object", "additionalProperties": {"type": "number"}},
                    "overall": {"type": "number"}, "level": {"type": "string"},
                    "below_pass": {"type": "array", "items": {"type": "integer"}}}}
            }
        }
    })
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

#[derive(serde::Deserialize)]
struct ScoreRequest {
    #[serde(default = "default_framework")]
    framework: String,
    #[serde(default)]
    indicators: BTreeMap<String, Value>,
    oit_pass: Option<Vec<String>>,
}

fn default_framework() -> String {
    "ita-2564".into()
}

async fn score_endpoint(Json(req): Json<ScoreRequest>) -> Result<Json<Value>, AppError> {
    let invalid = |m: String| api(AppError::new(ErrorCode::Invalid).detail(m), None);
    let fw = framework::embedded(&req.framework)
        .ok_or_else(|| invalid(format!("unknown framework '{}'", req.framework)))?;
    let mut given = BTreeMap::new();
    for (k, v) in &req.indicators {
        let n: u32 = k
            .parse()
            .map_err(|_| invalid(format!("indicator '{k}' is not a number")))?;
        // A JSON number is read through its decimal text, never as a float value.
        let text = match v {
            Value::Number(x) => x.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(invalid(format!("indicator {n}: give a number"))),
        };
        let s: Score = text
            .parse()
            .map_err(|e| invalid(format!("indicator {n}: {e}")))?;
        given.insert(n, s);
    }
    let passed = req
        .oit_pass
        .map(|v| v.into_iter().collect::<BTreeSet<String>>());
    let card = score(
        &fw,
        &Inputs {
            given,
            passed,
            ..Default::default()
        },
    )
    .map_err(|e| invalid(e.to_string()))?;
    Ok(Json(card.contract_json(&fw)))
}

async fn me(user: CurrentUser) -> Json<Value> {
    Json(
        json!({"id": user.user.id, "username": user.user.username, "display_name": user.user.display_name, "role": user.role.code(), "agency_id": user.user.agency_id}),
    )
}

async fn rounds(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, AppError> {
    let list = itas_store::rounds::list(&state.db)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(json!({"rounds": list})))
}

#[derive(serde::Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn agencies(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, AppError> {
    let list = match user.role {
        Role::CentralAdmin => {
            itas_store::agencies::search(&state.db, &q.q, 500, 0)
                .await
                .map_err(|e| api(e, Some(&user)))?
                .0
        }
        Role::AgencyAdmin => match &user.user.agency_id {
            Some(id) => itas_store::agencies::get(&state.db, id)
                .await
                .map_err(|e| api(e, Some(&user)))?
                .into_iter()
                .collect(),
            None => vec![],
        },
        Role::Assessor => {
            let mut out = Vec::new();
            for r in itas_store::rounds::list(&state.db)
                .await
                .map_err(|e| api(e, Some(&user)))?
            {
                out.extend(
                    itas_store::assignments::agencies_of(&state.db, &r.id, user.id())
                        .await
                        .map_err(|e| api(e, Some(&user)))?,
                );
            }
            out.sort_by(|a, b| a.code.cmp(&b.code));
            out.dedup_by(|a, b| a.id == b.id);
            out
        }
    };
    Ok(Json(json!({"agencies": list})))
}

async fn agency(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    if !may_see_agency(&state, &user, &id)
        .await
        .map_err(|e| api(e, Some(&user)))?
    {
        return Err(api(ErrorCode::Forbidden, Some(&user)));
    }
    let a = itas_store::agencies::get(&state.db, &id)
        .await
        .map_err(|e| api(e, Some(&user)))?
        .ok_or_else(|| api(ErrorCode::NotFound, Some(&user)))?;
    Ok(Json(json!({"agency": a})))
}

async fn agency_scores(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round, agency)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    if !may_see_agency(&state, &user, &agency)
        .await
        .map_err(|e| api(e, Some(&user)))?
    {
        return Err(api(ErrorCode::Forbidden, Some(&user)));
    }
    let r = itas_store::rounds::get(&state.db, &round)
        .await
        .map_err(|e| api(e, Some(&user)))?
        .ok_or_else(|| api(ErrorCode::NotFound, Some(&user)))?;
    let fw = r.framework().map_err(|e| api(e, Some(&user)))?;
    let given = itas_store::rounds::indicator_scores(&state.db, &round, &agency)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let card = crate::published::scorecard(&fw, given)
        .ok_or_else(|| api(ErrorCode::NoResults, Some(&user)))?;
    Ok(Json(card.contract_json(&fw)))
}
