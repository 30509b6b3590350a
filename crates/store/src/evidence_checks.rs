//! Evidence checks and snapshots: one row per URL fetched, newest last.

use crate::{Db, Result, read, write};
use serde::Serialize;

/// Why a URL was fetched: the agency asked, it submitted, or an assessor reviewed.
pub const PURPOSES: [&str; 3] = ["check", "submit", "review"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewCheck {
    pub round_id: String,
    pub item: String,
    pub url: String,
    pub purpose: String,
    pub light: String,
    /// Finding codes.
    pub findings: Vec<String>,
    pub status: Option<i64>,
    pub final_url: String,
    pub content_type: String,
    /// Bytes received (up to the cap).
    pub bytes: i64,
    pub sha256: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: String,
    pub item: String,
    pub url: String,
    pub purpose: String,
    pub checked_at: i64,
    pub light: String,
    pub findings: Vec<String>,
    pub status: Option<i64>,
    pub final_url: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
}

/// Stores a check. A body already stored for the agency (same SHA-256) is
/// not stored again: a page checked on submission, on "check now" and at each
/// review costs its bytes once, so pressing "check" cannot fill the disk.
pub async fn insert(db: &Db, agency_id: &str, c: &NewCheck) -> Result<String> {
    let id = crate::new_id();
    let headers = serde_json::to_string(&c.headers).unwrap_or_default();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let stored: Option<(String,)> = if c.body.is_empty() {
            None
        } else {
            sqlx::query_as(
                "SELECT id FROM evidence_checks WHERE agency_id = $1 AND sha256 = $2 AND body IS NOT NULL LIMIT 1",
            )
            .bind(agency_id)
            .bind(&c.sha256)
            .fetch_optional(&mut *tx)
            .await?
        };
        let body = if stored.is_some() {
            None
        } else {
            Some(&c.body)
        };
        sqlx::query(
            "INSERT INTO evidence_checks (agency_id, id, round_id, item, url, purpose, checked_at, light, findings, status, final_url, content_type, bytes, sha256, headers, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(agency_id)
        .bind(&id)
        .bind(&c.round_id)
        .bind(&c.item)
        .bind(&c.url)
        .bind(&c.purpose)
        .bind(crate::now_ms())
        .bind(&c.light)
        .bind(c.findings.join(","))
        .bind(c.status)
        .bind(&c.final_url)
        .bind(&c.content_type)
        .bind(c.bytes)
        .bind(&c.sha256)
        .bind(headers)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(id)
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    i64,
    String,
);

/// The newest check of every URL of an agency in a round, keyed by (item, url).
pub async fn latest(
    db: &Db,
    agency_id: &str,
    round_id: &str,
) -> Result<std::collections::BTreeMap<(String, String), Check>> {
    const Q: &str = "SELECT id, item, url, purpose, checked_at, light, findings, status, final_url, content_type, bytes, sha256 \
        FROM evidence_checks WHERE agency_id = $1 AND round_id = $2 ORDER BY checked_at, id";
    let rows: Vec<Row> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        let c = Check {
            id: r.0,
            item: r.1,
            url: r.2,
            purpose: r.3,
            checked_at: r.4,
            light: r.5,
            findings: r
                .6
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            status: r.7,
            final_url: r.8,
            content_type: r.9,
            bytes: r.10,
            sha256: r.11,
        };
        out.insert((c.item.clone(), c.url.clone()), c);
    }
    Ok(out)
}

/// A stored snapshot: what the page was when it was fetched.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Snapshot {
    pub url: String,
    pub checked_at: i64,
    pub content_type: String,
    pub sha256: String,
    /// Response headers as JSON pairs.
    pub headers: String,
    pub body: Option<Vec<u8>>,
}

pub async fn snapshot(db: &Db, agency_id: &str, id: &str) -> Result<Option<Snapshot>> {
    const Q: &str = "SELECT url, checked_at, content_type, sha256, headers, body FROM evidence_checks WHERE agency_id = $1 AND id = $2";
    const BODY: &str = "SELECT body FROM evidence_checks WHERE agency_id = $1 AND sha256 = $2 AND body IS NOT NULL LIMIT 1";
    let snap: Option<Snapshot> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(id)
        .fetch_optional(p)
        .await?);
    let Some(mut snap) = snap else {
        return Ok(None);
    };
    // A body seen before is stored once, with the first check that fetched it.
    if snap.body.is_none() && !snap.sha256.is_empty() {
        let row: Option<(Vec<u8>,)> = read!(db, |p| sqlx::query_as(BODY)
            .bind(agency_id)
            .bind(&snap.sha256)
            .fetch_optional(p)
            .await?);
        snap.body = row.map(|r| r.0);
    }
    Ok(Some(snap))
}

/// Bytes of snapshot bodies stored for an agency (each distinct body once).
pub async fn stored_bytes(db: &Db, agency_id: &str) -> Result<i64> {
    const Q: &str = "SELECT CAST(COALESCE(SUM(LENGTH(body)), 0) AS BIGINT) FROM evidence_checks WHERE agency_id = $1 AND body IS NOT NULL";
    let (n,): (i64,) = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .fetch_one(p)
        .await?);
    Ok(n)
}
