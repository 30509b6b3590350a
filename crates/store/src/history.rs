//! Results of earlier years as the NACC published them, imported from a file.
//!
//! A file replaces whole years: importing 2566 again leaves exactly the
//! file's 2566 rows, in one transaction, with an audit entry per year
//! saying how many rows went and came.

use crate::{Db, Result, audit, now_ms, read, write};
use serde::Serialize;
use std::collections::BTreeMap;

/// One agency's published result of one earlier year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ImportedResult {
    pub agency_id: String,
    pub fiscal_year: i64,
    pub framework_code: String,
    /// Hundredths.
    pub overall: i64,
    /// JSON object of hundredths by tool code.
    pub tools: String,
    /// JSON object of hundredths by indicator number, or empty.
    pub indicators: String,
    pub level: String,
    pub label: String,
    pub note: String,
    pub imported_at: i64,
}

/// A row to store (`imported_at` is set on storing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewImported {
    pub agency_id: String,
    pub fiscal_year: i64,
    pub framework_code: String,
    pub overall: i64,
    pub tools: BTreeMap<String, i64>,
    pub indicators: BTreeMap<u32, i64>,
    pub level: String,
    pub label: String,
    pub note: String,
}

/// What replacing the file's years did: per year, the rows before and after.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Replaced {
    pub years: BTreeMap<i64, (i64, i64)>,
}

/// Rows per INSERT: 10 values each stays far below both drivers' limits.
const ROWS: usize = 500;

/// Replaces every fiscal year present in `rows` with exactly those rows, all
/// in one transaction; audited per year.
pub async fn replace_years(db: &Db, actor: Option<&str>, rows: &[NewImported]) -> Result<Replaced> {
    let mut by_year: BTreeMap<i64, i64> = BTreeMap::new();
    for r in rows {
        *by_year.entry(r.fiscal_year).or_default() += 1;
    }
    let mut out = Replaced::default();
    let now = now_ms();
    let encoded: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let indicators = if r.indicators.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&r.indicators).unwrap_or_default()
            };
            (
                serde_json::to_string(&r.tools).unwrap_or_default(),
                indicators,
            )
        })
        .collect();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (year, count) in &by_year {
            let (before,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM imported_results WHERE fiscal_year = $1")
                    .bind(year)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM imported_results WHERE fiscal_year = $1")
                .bind(year)
                .execute(&mut *tx)
                .await?;
            out.years.insert(*year, (before, *count));
        }
        let all: Vec<(&NewImported, &(String, String))> = rows.iter().zip(&encoded).collect();
        for chunk in all.chunks(ROWS) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO imported_results (agency_id, fiscal_year, framework_code, overall, tools, indicators, level, label, note, imported_at) ",
            );
            qb.push_values(chunk, |mut b, (r, (tools, indicators))| {
                b.push_bind(&r.agency_id)
                    .push_bind(r.fiscal_year)
                    .push_bind(&r.framework_code)
                    .push_bind(r.overall)
                    .push_bind(tools)
                    .push_bind(indicators)
                    .push_bind(&r.level)
                    .push_bind(&r.label)
                    .push_bind(&r.note)
                    .push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
        }
        for (year, (before, after)) in &out.years {
            audit!(
                &mut *tx,
                actor,
                if *before > 0 { "replace" } else { "import" },
                "imported_results",
                &year.to_string(),
                (*before > 0).then(|| format!("{{\"rows\":{before}}}")),
                Some(format!("{{\"rows\":{after}}}"))
            )?;
        }
        tx.commit().await?;
    });
    // Results pages and dashboards show the years: what the public sees
    // moved, and the tables kept of a year are stale.
    crate::rounds::rounds_changed();
    crate::rounds::scores_changed();
    Ok(out)
}

/// An agency's imported years, oldest first.
pub async fn of_agency(db: &Db, agency_id: &str) -> Result<Vec<ImportedResult>> {
    const Q: &str = "SELECT agency_id, fiscal_year, framework_code, overall, tools, indicators, level, label, note, imported_at \
                     FROM imported_results WHERE agency_id = $1 ORDER BY fiscal_year";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .fetch_all(p)
        .await?))
}

/// An imported row with the agency it belongs to, as dashboards group it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct YearRow {
    #[sqlx(flatten)]
    pub result: ImportedResult,
    pub code: String,
    pub name_th: String,
    pub kind: String,
    pub province: String,
    pub parent_id: Option<String>,
}

/// Every agency's imported result of one year, by agency code.
pub async fn of_year(db: &Db, fiscal_year: i64) -> Result<Vec<YearRow>> {
    const Q: &str = "SELECT r.agency_id, r.fiscal_year, r.framework_code, r.overall, r.tools, r.indicators, r.level, r.label, r.note, r.imported_at, \
                     a.code, a.name_th, a.kind, a.province, a.parent_id \
                     FROM imported_results r JOIN agencies a ON a.id = r.agency_id \
                     WHERE r.fiscal_year = $1 ORDER BY a.code";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(fiscal_year)
        .fetch_all(p)
        .await?))
}

/// Each imported year with its number of agencies, oldest first.
pub async fn years(db: &Db) -> Result<Vec<(i64, i64)>> {
    const Q: &str = "SELECT fiscal_year, COUNT(*) FROM imported_results GROUP BY fiscal_year ORDER BY fiscal_year";
    Ok(read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?))
}

/// Every agency's code with its id, to read a national file in one query.
pub async fn agency_ids_by_code(db: &Db) -> Result<BTreeMap<String, String>> {
    const Q: &str = "SELECT code, id FROM agencies";
    let rows: Vec<(String, String)> = read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?);
    Ok(rows.into_iter().collect())
}
