//! Published rounds as open data: a catalog a CKAN portal harvests
//! (`/open-data/data.json`, the DCAT-US 1.1 "data.json" shape that
//! ckanext-dcat's `dcat_json` harvester reads) and, per round, a small
//! metadata document (`/results/{round}/metadata.json`: title, licence, fiscal
//! year, framework, fields) beside the CSV, JSON and XLSX it describes. Only
//! published rounds appear, whoever asks.

use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::AppError;
use crate::routes::agency::base_url;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use itas_core::framework::Framework;
use itas_store::rounds::Round;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open-data/data.json", get(catalog))
        .route("/results/{round}/metadata.json", get(metadata))
}

/// The licence every published round carries.
pub const LICENCE_URL: &str = "https://creativecommons.org/licenses/by/4.0/";
pub const LICENCE_NAME: &str = "Creative Commons Attribution 4.0 (CC BY 4.0)";

async fn published_rounds(state: &AppState) -> Result<Vec<Round>, AppError> {
    let mut out = Vec::new();
    for s in itas_app::rounds::standings(state).await? {
        if itas_app::published::results_public(&s.round, s.state) {
            out.push(s.round);
        }
    }
    Ok(out)
}

fn title(r: &Round) -> String {
    format!(
        "ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) {} ปีงบประมาณ พ.ศ. {}",
        r.name, r.fiscal_year
    )
}

/// A Buddhist-era fiscal year as ISO dates: 1 October to 30 September.
fn temporal(fiscal_year_be: i64) -> String {
    let ce = fiscal_year_be - 543;
    format!("{}-10-01/{}-09-30", ce - 1, ce)
}

fn modified(r: &Round) -> String {
    let ms = r.published_at.filter(|m| *m > 0).unwrap_or(r.created_at);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

/// The fields of the CSV and XLSX, in column order, and of each JSON agency.
fn fields(fw: &Framework) -> Vec<Value> {
    let mut out = vec![
        json!({"name": "code", "title": "รหัสหน่วยงาน", "type": "string"}),
        json!({"name": "name_th", "title": "ชื่อหน่วยงาน", "type": "string"}),
        json!({"name": "kind", "title": "ประเภทหน่วยงาน (รหัส)", "type": "string"}),
        json!({"name": "kind_th", "title": "ประเภทหน่วยงาน", "type": "string"}),
        json!({"name": "province", "title": "จังหวัด", "type": "string"}),
    ];
    for i in &fw.indicators {
        out.push(json!({
            "name": format!("indicator_{}", i.number),
            "title": format!("ตัวชี้วัดที่ {} {}", i.number, i.name_th),
            "type": "number",
            "description": format!("0–100, two decimals; tool {}", i.tool),
        }));
    }
    for t in &fw.tools {
        out.push(json!({
            "name": t.code,
            "title": t.name_th,
            "type": "number",
            "description": "0–100, two decimals",
        }));
    }
    out.push(json!({"name": "overall", "title": "คะแนนรวม", "type": "number", "description": "0–100, two decimals"}));
    out.push(
        json!({"name": "level", "title": "ระดับผลการประเมิน", "type": "string",
        "description": fw.levels.iter().map(|l| l.code.as_str()).collect::<Vec<_>>().join(", ")}),
    );
    out.push(
        json!({"name": "level_th", "title": "ผลการประเมิน", "type": "string",
        "description": fw.levels.iter().map(|l| l.name_th.as_str()).collect::<Vec<_>>().join(", ")}),
    );
    if !fw.parts.is_empty() {
        out.push(json!({"name": "responses_by_part", "title": "ผู้ตอบแต่ละส่วน",
            "type": "string",
            "description": "each part's responses of a survey tool collected in parts, by collection key (part 1 under the tool's code, then \"EIT.2\"…), as \"EIT 40; EIT.2 7\"; empty for scores entered as published. In the JSON: an object from key to count"}));
    }
    out.push(json!({"name": "below_minimum_sample", "title": "ผู้ตอบน้อยกว่าจำนวนขั้นต่ำ",
        "type": "string",
        "description": "survey tools computed from fewer responses than the minimum, as \"EIT 12/40\" (\"?\" when no population was stated), separated by \"; \"; empty when none. In the JSON: a list of {tool, counted, required}"}));
    out
}

fn distributions(base: &str, r: &Round) -> Vec<Value> {
    let at = |f: &str| format!("{base}/results/{}/{f}", r.id);
    vec![
        json!({"@type": "dcat:Distribution", "title": "CSV (UTF-8, Excel)", "format": "CSV",
            "mediaType": "text/csv", "downloadURL": at("results.csv"), "describedBy": at("metadata.json")}),
        json!({"@type": "dcat:Distribution", "title": "JSON", "format": "JSON",
            "mediaType": "application/json", "downloadURL": at("open-data.json"), "describedBy": at("metadata.json")}),
        json!({"@type": "dcat:Distribution", "title": "XLSX", "format": "XLSX",
            "mediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "downloadURL": at("results.xlsx"), "describedBy": at("metadata.json")}),
    ]
}

fn dataset(state: &AppState, base: &str, r: &Round, fw: &Framework) -> Value {
    json!({
        "@type": "dcat:Dataset",
        "identifier": format!("{base}/results/{}", r.id),
        "title": title(r),
        "description": format!(
            "คะแนนรายตัวชี้วัด รายเครื่องมือ คะแนนรวม และผลการประเมินของทุกหน่วยงานที่มีผลในรอบ {} ตามกรอบการประเมิน {} คำนวณด้วยเลขฐานสิบที่แม่นยำและปัดเศษตามนโยบายของกรอบการประเมิน",
            r.name, fw.name_th
        ),
        "keyword": ["ITA", "คุณธรรมและความโปร่งใส", "integrity", "transparency", r.fiscal_year.to_string()],
        "modified": modified(r),
        "publisher": {"@type": "org:Organization", "name": state.config.publisher},
        "accessLevel": "public",
        "license": LICENCE_URL,
        "temporal": temporal(r.fiscal_year),
        "language": ["th"],
        "landingPage": format!("{base}/results/{}", r.id),
        "describedBy": format!("{base}/results/{}/metadata.json", r.id),
        "distribution": distributions(base, r),
    })
}

async fn catalog(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let base = base_url(&state, &headers);
    let mut datasets = Vec::new();
    for r in published_rounds(&state).await? {
        let fw = itas_app::survey::round_framework(&state, &r.id).await?;
        datasets.push(dataset(&state, &base, &r, &fw));
    }
    Ok(Json(json!({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    })))
}

async fn metadata(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Path(round_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let not_found = || AppError::new(crate::error::ErrorCode::NotFound);
    let round = itas_app::rounds::get(&state, &round_id).await?;
    // The same rule as the data it describes.
    if !crate::routes::dashboard::visible(&state, &user, &round).await? {
        return Err(not_found());
    }
    let base = base_url(&state, &headers);
    let fw = itas_app::survey::round_framework(&state, &round.id).await?;
    let rows = itas_app::published::round_rows(&state, &round, &fw).await?;
    Ok(Json(json!({
        "title": title(&round),
        "round": {"id": round.id, "name": round.name},
        "fiscal_year": round.fiscal_year,
        "temporal": temporal(round.fiscal_year),
        "framework": {"code": fw.code, "name_th": fw.name_th, "fiscal_year": fw.fiscal_year},
        "publisher": state.config.publisher,
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL},
        "modified": modified(&round),
        "agencies": rows.len(),
        "fields": fields(&fw),
        "csv_header": crate::routes::dashboard::export_header(&fw),
        "distributions": distributions(&base, &round),
    })))
}
