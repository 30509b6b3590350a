//! The JSON API under `/api/v1`: who am I, rounds, agencies, scores, and the
//! stateless scorer. Signed-in calls use the session cookie of the pages or
//! an API token (`Authorization: Bearer`). The document describing every
//! operation is made from these handlers and types (`crate::routes::openapi`).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiJson, AppError, ErrorCode};
use crate::i18n::Lang;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use itas_core::Score;
use itas_core::directory::Role;
use itas_core::framework::{self, Framework};
use itas_core::scoring::{Inputs, Scorecard, score};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/score", post(score_endpoint))
        .route("/api/v1/me", get(me))
        .route("/api/v1/rounds", get(rounds))
        .route("/api/v1/agencies", get(agencies))
        .route("/api/v1/agencies/import", post(import_agencies))
        .route("/api/v1/agencies/{id}", get(agency))
        .route(
            "/api/v1/rounds/{round}/agencies/{agency}/scores",
            get(agency_scores),
        )
}

/// `api_error` in the signed-in caller's language (Thai when nobody is signed in).
pub(crate) fn api(e: impl Into<AppError>, user: Option<&CurrentUser>) -> AppError {
    crate::error::api_error(e, user.map_or(Lang::Th, |u| u.lang))
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
pub(crate) async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        crate::routes::openapi::document_text(),
    )
}

/// A score request. Its schema is made from the embedded frameworks (which
/// indicators and checklist items each has), in `crate::routes::openapi`.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct ScoreRequest {
    #[serde(default = "default_framework")]
    framework: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    indicators: BTreeMap<String, Value>,
    oit_pass: Option<Vec<String>>,
}

fn default_framework() -> String {
    "ita-2564".into()
}

/// A framework's scores, as the engine computes them: every level rounded by
/// the framework's policy.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScoreResult {
    /// The framework's code.
    framework: String,
    /// Indicator number → score (0–100, two decimals).
    #[schema(value_type = BTreeMap<String, f64>)]
    indicators: InOrder,
    /// Tool code → score.
    #[schema(value_type = BTreeMap<String, f64>)]
    tools: InOrder,
    /// The overall score (0–100, two decimals).
    #[schema(value_type = f64)]
    overall: Score,
    /// The result: a level code (ita-2564: AA…F) or a pass label code.
    level: String,
    /// The result in Thai.
    level_th: String,
    /// Frameworks with tool floors: the tools that held the result below the
    /// next better one (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    held_back_by: Option<Vec<String>>,
    /// Indicators below the framework's pass mark.
    below_pass: Vec<u32>,
}

/// A survey tool's score computed from fewer responses than the minimum
/// the framework asks (or with no population stated, so no minimum).
#[derive(Serialize, ToSchema)]
pub(crate) struct ShortSample {
    tool: String,
    /// Responses the score counted, after the data-quality decisions.
    counted: i64,
    /// The minimum; null when the population was never stated.
    required: Option<i64>,
}

impl ShortSample {
    /// The short ones of `samples`.
    pub(crate) fn of(samples: &[itas_core::sample::Sample]) -> Vec<ShortSample> {
        samples
            .iter()
            .filter(|s| s.is_short())
            .map(|s| ShortSample {
                tool: s.tool.clone(),
                counted: s.counted,
                required: s.required,
            })
            .collect()
    }
}

/// An agency's scores in a round, and the samples they fell short on.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgencyScores {
    #[serde(flatten)]
    scores: ScoreResult,
    /// Survey tools computed below their minimum sample; empty when none
    /// is, and for scores entered as published.
    below_minimum_sample: Vec<ShortSample>,
    /// Each part's responses of a survey tool collected in parts, by
    /// collection key (part 1 under the tool's code, then `EIT.2` …); left
    /// out when no tool is, and for scores entered as published.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    responses_by_part: std::collections::BTreeMap<String, i64>,
}

/// A JSON object whose keys keep the framework's order (indicator 10 after
/// 9, tools as the framework lists them), which a sorted map would not.
pub(crate) struct InOrder(Vec<(String, Score)>);

impl Serialize for InOrder {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl ScoreResult {
    pub(crate) fn new(card: &Scorecard, fw: &Framework) -> ScoreResult {
        ScoreResult {
            framework: card.framework.clone(),
            indicators: InOrder(
                card.indicators
                    .iter()
                    .map(|(n, s)| (n.to_string(), *s))
                    .collect(),
            ),
            tools: InOrder(
                fw.tools
                    .iter()
                    .filter_map(|t| card.tools.get(&t.code).map(|s| (t.code.clone(), *s)))
                    .collect(),
            ),
            overall: card.overall,
            level: card.level.clone(),
            level_th: card.level_th.clone(),
            held_back_by: (fw.result_rule == framework::ResultRule::Conditions)
                .then(|| card.held_back_by.clone()),
            below_pass: card
                .indicators
                .iter()
                .filter(|(_, s)| **s < fw.pass_mark)
                .map(|(n, _)| *n)
                .collect(),
        }
    }
}

/// A score written in the API: two decimals at most, 0 to 100, as a JSON
/// number or as a string of digits ("85", "85.5", "85.04").
fn api_score(v: &Value) -> Result<Score, String> {
    let text = match v {
        // A JSON number is read through its decimal text, never as a float value.
        Value::Number(x) => x.to_string(),
        Value::String(s) => {
            if !is_score_text(s) {
                return Err(format!(
                    "'{s}' is not a score written as digits with at most two decimals, 0 to 100"
                ));
            }
            s.clone()
        }
        _ => return Err("give a number".into()),
    };
    text.parse::<Score>().map_err(|e| e.to_string())
}

/// The string form of a score: `SCORE_TEXT_PATTERN`, checked without a regex.
fn is_score_text(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || s.ends_with('.') {
        return false;
    }
    match (int.len(), frac.len()) {
        (1 | 2, 0..=2) => true,
        (3, 0..=2) => int == "100" && frac.bytes().all(|b| b == b'0'),
        _ => false,
    }
}

/// The schema pattern of a score written as a string (see `is_score_text`).
pub(crate) const SCORE_TEXT_PATTERN: &str = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$";

/// Scores indicator values, or OIT decisions, with an embedded framework.
/// Nothing is stored.
#[utoipa::path(post, path = "/api/v1/score", tag = "scoring",
    request_body = ScoreRequest,
    responses((status = 200, description = "The scores", body = ScoreResult)))]
pub(crate) async fn score_endpoint(
    ApiJson(req): ApiJson<ScoreRequest>,
) -> Result<Json<ScoreResult>, AppError> {
    let invalid = |m: String| api(AppError::new(ErrorCode::Invalid).detail(m), None);
    let fw = framework::embedded(&req.framework)
        .ok_or_else(|| invalid(format!("unknown framework '{}'", req.framework)))?;
    let mut given = BTreeMap::new();
    for (k, v) in &req.indicators {
        let n: u32 = k
            .parse()
            .ok()
            .filter(|_| k.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| invalid(format!("indicator '{k}' is not a number")))?;
        let s = api_score(v).map_err(|e| invalid(format!("indicator {n}: {e}")))?;
        given.insert(n, s);
    }
    let passed = match req.oit_pass {
        Some(list) => {
            let set: BTreeSet<String> = list.iter().cloned().collect();
            if set.len() != list.len() {
                return Err(invalid("oit_pass names an item twice".into()));
            }
            Some(set)
        }
        None => None,
    };
    let card = score(
        &fw,
        &Inputs {
            given,
            passed,
            ..Default::default()
        },
    )
    .map_err(|e| invalid(e.to_string()))?;
    Ok(Json(ScoreResult::new(&card, &fw)))
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    id: String,
    username: String,
    display_name: String,
    /// central_admin, agency_admin or assessor.
    role: String,
    /// The agency of an agency admin.
    agency_id: Option<String>,
    /// The scope of the token this call came with (`read` or `write`); null
    /// for a browser session.
    token_scope: Option<String>,
}

/// The signed-in user, or the user whose token this is.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "The caller", body = Me)))]
pub(crate) async fn me(user: CurrentUser) -> Json<Me> {
    Json(Me {
        id: user.user.id.clone(),
        username: user.user.username.clone(),
        display_name: user.user.display_name.clone(),
        role: user.role.code().to_string(),
        agency_id: user.user.agency_id.clone(),
        token_scope: user.token_scope.map(|s| s.code().to_string()),
    })
}

/// An assessment round.
#[derive(Serialize, ToSchema)]
pub(crate) struct RoundView {
    id: String,
    /// Buddhist-era fiscal year, e.g. 2569.
    fiscal_year: i64,
    name: String,
    /// The framework's code, e.g. ita-2569.
    framework_code: String,
    /// Milliseconds since 1970 (UTC).
    created_at: i64,
    /// When the central office published the results; null while unpublished.
    published_at: Option<i64>,
}

impl From<itas_store::rounds::Round> for RoundView {
    fn from(r: itas_store::rounds::Round) -> RoundView {
        RoundView {
            id: r.id,
            fiscal_year: r.fiscal_year,
            name: r.name,
            framework_code: r.framework_code,
            created_at: r.created_at,
            published_at: r.published_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RoundList {
    rounds: Vec<RoundView>,
}

/// Every assessment round, newest first.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "rounds",
    responses((status = 200, description = "The rounds", body = RoundList)))]
pub(crate) async fn rounds(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<RoundList>, AppError> {
    let list = itas_app::rounds::list(&state)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(RoundList {
        rounds: list.into_iter().map(RoundView::from).collect(),
    }))
}

/// An agency in the directory.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgencyView {
    id: String,
    /// The agency's code, unique in the directory.
    code: String,
    name_th: String,
    name_en: String,
    /// The kind's code (e.g. sao, provincial_office).
    kind: String,
    province: String,
    parent_id: Option<String>,
    website: String,
    /// Milliseconds since 1970 (UTC).
    created_at: i64,
}

impl From<itas_store::agencies::Agency> for AgencyView {
    fn from(a: itas_store::agencies::Agency) -> AgencyView {
        AgencyView {
            id: a.id,
            code: a.code,
            name_th: a.name_th,
            name_en: a.name_en,
            kind: a.kind,
            province: a.province,
            parent_id: a.parent_id,
            website: a.website,
            created_at: a.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AgencyList {
    /// How many agencies match in all.
    total: i64,
    /// This page of them, by code.
    agencies: Vec<AgencyView>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AgencyQuery {
    /// Search code, names and province.
    #[serde(default)]
    #[param(max_length = 200)]
    q: String,
    /// At most this many (1–1000, 100 if absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Skip this many first.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// The agencies the caller may see, by code, a page at a time: the central
/// office every agency, an agency admin their own, an assessor those assigned.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "agencies", params(AgencyQuery),
    responses((status = 200, description = "A page of agencies", body = AgencyList)))]
pub(crate) async fn agencies(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AgencyQuery>,
) -> Result<Json<AgencyList>, AppError> {
    let page = itas_app::paging::Paging::new(q.limit, q.offset).map_err(|e| api(e, Some(&user)))?;
    let (list, total) = itas_app::agencies::list_for(&state, &user.actor(), &q.q, page)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(AgencyList {
        total,
        agencies: list.into_iter().map(AgencyView::from).collect(),
    }))
}

/// One agency to add, as a row of the import file.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct AgencyRow {
    /// Unique in the directory.
    code: String,
    name_th: String,
    #[serde(default)]
    name_en: String,
    /// The kind's code (sao, subdistrict_municipality, province, …).
    kind: String,
    #[serde(default)]
    province: String,
    /// The parent's code: an agency already in the directory or an earlier row.
    #[serde(default)]
    parent_code: Option<String>,
    #[serde(default)]
    website: String,
}

/// Agencies to add to the directory.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct AgencyImport {
    #[serde(deserialize_with = "crate::error::objects")]
    agencies: Vec<AgencyRow>,
}

/// A row that was not added, and why.
#[derive(Serialize, ToSchema)]
pub(crate) struct RowProblem {
    /// The file's line (the header is line 1), or the row's position in
    /// `agencies` (from 1).
    line: usize,
    message: String,
}

/// What an import did: every good row is added, each bad one reported.
#[derive(Serialize, ToSchema)]
pub(crate) struct ImportReport {
    inserted: usize,
    errors: Vec<RowProblem>,
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The body's media type, lower-cased, without its parameters
/// (`text/csv; charset=utf-8` is `text/csv`).
pub(crate) fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// An XLSX workbook, as bytes.
pub(crate) struct Workbook;

impl utoipa::PartialSchema for Workbook {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
        utoipa::openapi::RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .build(),
        ))
    }
}

impl ToSchema for Workbook {}

/// Adds agencies to the directory, as the import page does (central office):
/// JSON rows, or the same CSV or XLSX file the page takes. Every good row is
/// added in one transaction and each bad row reported with its line; a
/// parent may be an agency already there or an earlier row.
#[utoipa::path(post, path = "/api/v1/agencies/import", tag = "agencies",
    request_body(content(
        (AgencyImport = "application/json"),
        (String = "text/csv"),
        (Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), description = "JSON rows; or a CSV file (UTF-8, header first: code, name_th, name_en, kind, province, parent_code, website, in English or Thai); or an XLSX workbook with the same columns"),
    responses((status = 200, description = "What was added and what was not", body = ImportReport)))]
pub(crate) async fn import_agencies(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<ImportReport>, AppError> {
    user.require(Role::CentralAdmin)
        .map_err(|e| api(e, Some(&user)))?;
    let content_type = media_type(&headers);
    let rows = match content_type.as_str() {
        "application/json" => {
            let import: AgencyImport = crate::error::json_object(&body)
                .map_err(|(code, e)| api(AppError::new(code).detail(e), Some(&user)))?;
            import
                .agencies
                .into_iter()
                .enumerate()
                .map(|(i, a)| {
                    (
                        i + 1,
                        itas_store::agencies::NewAgency {
                            code: a.code,
                            name_th: a.name_th,
                            name_en: a.name_en,
                            kind: a.kind,
                            province: a.province,
                            parent_code: a.parent_code.filter(|p| !p.trim().is_empty()),
                            website: a.website,
                        },
                    )
                })
                .collect()
        }
        "text/csv" | XLSX => {
            let name = if content_type == XLSX {
                "agencies.xlsx"
            } else {
                "agencies.csv"
            };
            match itas_app::import::parse_agencies_off_the_runtime(body.to_vec(), name.into()).await
            {
                Ok(rows) => rows,
                // A file that is no agency list (empty, no header, not a
                // workbook) gets the same report, its problem on line 1:
                // any text is a CSV to the document, so none is refused.
                Err(problem) => {
                    return Ok(Json(ImportReport {
                        inserted: 0,
                        errors: vec![RowProblem {
                            line: 1,
                            message: problem,
                        }],
                    }));
                }
            }
        }
        _ => return Err(api(ErrorCode::BadContentType, Some(&user))),
    };
    let report = itas_app::agencies::import(&state, &user.actor(), rows)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(ImportReport {
        inserted: report.inserted,
        errors: report
            .errors
            .into_iter()
            .map(|(line, message)| RowProblem { line, message })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AgencyOne {
    agency: AgencyView,
}

/// One agency the caller may see.
#[utoipa::path(get, path = "/api/v1/agencies/{id}", tag = "agencies",
    params(("id" = String, Path, description = "The agency's id")),
    responses((status = 200, description = "The agency", body = AgencyOne)))]
pub(crate) async fn agency(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AgencyOne>, AppError> {
    let a = itas_app::agencies::get(&state, &user.actor(), &id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(AgencyOne { agency: a.into() }))
}

/// An agency's scores in a round, computed by the engine from what the round
/// holds: to anyone signed in once the round is published, as the results
/// page; before, to the central office and the agency's assessors, never to
/// the agency itself (docs/privacy.md).
#[utoipa::path(get, path = "/api/v1/rounds/{round}/agencies/{agency}/scores", tag = "results",
    params(("round" = String, Path, description = "The round's id"),
           ("agency" = String, Path, description = "The agency's id")),
    responses((status = 200, description = "The scores", body = AgencyScores)))]
pub(crate) async fn agency_scores(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round, agency)): Path<(String, String)>,
) -> Result<Json<AgencyScores>, AppError> {
    let actor = user.actor();
    let Some((given, samples)) =
        itas_app::results::visible_scores(&state, Some(&actor), &agency, &round)
            .await
            .map_err(|e| api(e, Some(&user)))?
    else {
        return Err(api(ErrorCode::Forbidden, Some(&user)));
    };
    let fw = itas_app::rounds::get(&state, &round)
        .await
        .and_then(|r| Ok(r.framework()?))
        .map_err(|e| api(e, Some(&user)))?;
    let card = itas_app::published::scorecard(&fw, given)
        .ok_or_else(|| api(ErrorCode::NoResults, Some(&user)))?;
    Ok(Json(AgencyScores {
        scores: ScoreResult::new(&card, &fw),
        below_minimum_sample: ShortSample::of(&samples),
        responses_by_part: itas_core::sample::of_tools_in_parts(&samples)
            .into_iter()
            .map(|s| (s.tool, s.counted))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_result_is_the_engines_contract_json() {
        for (name, _) in framework::EMBEDDED {
            let fw = framework::embedded(name).unwrap();
            let given = fw
                .indicators
                .iter()
                .enumerate()
                .map(|(i, ind)| (ind.number, Score::from_hundredths(7_000 + 271 * i as i64)))
                .collect();
            let card = score(
                &fw,
                &Inputs {
                    given,
                    ..Default::default()
                },
            )
            .unwrap();
            // The same text, key order included.
            assert_eq!(
                serde_json::to_string(&ScoreResult::new(&card, &fw)).unwrap(),
                card.contract_json(&fw).to_string(),
                "{name}"
            );
        }
    }

    #[test]
    fn score_text_is_two_decimals_zero_to_one_hundred() {
        let pattern = regex_lite_like(SCORE_TEXT_PATTERN);
        for ok in [
            "0", "5", "85", "85.5", "85.04", "100", "100.0", "100.00", "09",
        ] {
            assert!(is_score_text(ok), "{ok}");
            assert!(pattern(ok), "{ok}");
        }
        for bad in [
            "", ".5", "5.", "100.01", "101", "1000", "5.123", "+5", "-1", " 5", "1e2", "5/2",
        ] {
            assert!(!is_score_text(bad), "{bad}");
            assert!(!pattern(bad), "{bad}");
        }
    }

    /// The pattern, tried with the regex crate the workspace already has.
    fn regex_lite_like(p: &str) -> impl Fn(&str) -> bool {
        let re = regex::Regex::new(p).unwrap();
        move |s| re.is_match(s)
    }
}
