//! OIT evidence: the URLs and explanation an agency gives per checklist item,
//! its submission, and the assessors' decisions. Phase rules live in
//! `itas_core::oit`; callers check them before writing here.

use crate::audit::json;
use crate::{Db, Result, StoreError, audit, read, write};
use itas_core::oit::{Decision, FailReason, Review};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Evidence {
    pub item: String,
    /// One URL a line.
    pub urls: String,
    pub explanation: String,
    pub updated_at: i64,
}

impl Evidence {
    pub fn url_list(&self) -> Vec<&str> {
        self.urls
            .lines()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }
}

/// Everything an agency has entered for a round, by item.
pub async fn evidence(
    db: &Db,
    agency_id: &str,
    round_id: &str,
) -> Result<BTreeMap<String, Evidence>> {
    const Q: &str = "SELECT item, urls, explanation, updated_at FROM oit_evidence WHERE agency_id = $1 AND round_id = $2";
    let rows: Vec<Evidence> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows.into_iter().map(|e| (e.item.clone(), e)).collect())
}

/// Saves the agency's evidence for some items (a draft until submitted).
pub async fn save_evidence(
    db: &Db,
    actor: Option<&str>,
    agency_id: &str,
    round_id: &str,
    items: &[(String, String, String)],
) -> Result<()> {
    crate::rounds::participation(db, round_id, agency_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let before = evidence(db, agency_id, round_id).await?;
    let now = crate::now_ms();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (item, urls, explanation) in items {
            let unchanged = before
                .get(item)
                .is_some_and(|e| e.urls == *urls && e.explanation == *explanation);
            if unchanged {
                continue;
            }
            sqlx::query(
                "INSERT INTO oit_evidence (agency_id, round_id, item, urls, explanation, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (agency_id, round_id, item) DO UPDATE SET urls = excluded.urls, explanation = excluded.explanation, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(agency_id)
            .bind(round_id)
            .bind(item)
            .bind(urls)
            .bind(explanation)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            audit!(
                &mut *tx,
                actor,
                "save_evidence",
                "oit_item",
                format!("{agency_id}/{round_id}/{item}"),
                before.get(item).and_then(json),
                json(&(urls, explanation))
            )?;
        }
        tx.commit().await?;
    });
    Ok(())
}

pub async fn submitted_at(db: &Db, agency_id: &str, round_id: &str) -> Result<Option<i64>> {
    const Q: &str =
        "SELECT submitted_at FROM oit_submissions WHERE agency_id = $1 AND round_id = $2";
    let row: Option<(i64,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_optional(p)
        .await?);
    Ok(row.map(|r| r.0))
}

/// Marks the checklist submitted; a second submit changes nothing.
pub async fn submit(db: &Db, actor: Option<&str>, agency_id: &str, round_id: &str) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let r = sqlx::query(
            "INSERT INTO oit_submissions (agency_id, round_id, submitted_at, submitted_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (agency_id, round_id) DO NOTHING",
        )
        .bind(agency_id)
        .bind(round_id)
        .bind(crate::now_ms())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() > 0 {
            audit!(
                &mut *tx,
                actor,
                "submit_oit",
                "participation",
                format!("{agency_id}/{round_id}"),
                None::<String>,
                Some(round_id.to_string())
            )?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// A decision as stored, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredDecision {
    pub item: String,
    pub review: Review,
    pub passed: bool,
    pub reason: Option<FailReason>,
    pub comment: String,
    pub assessor_id: String,
}

impl StoredDecision {
    pub fn decision(&self) -> Decision {
        Decision {
            item: self.item.clone(),
            review: self.review,
            passed: self.passed,
        }
    }
}

/// Agencies that submitted their checklist in a round (one query, for the
/// scoring run).
pub async fn round_submitted(db: &Db, round_id: &str) -> Result<std::collections::HashSet<String>> {
    const Q: &str = "SELECT agency_id FROM oit_submissions WHERE round_id = $1";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Many agencies' review decisions in a round (item, review, result only):
/// one query, for the scoring run's slices. Each agency's decisions come as
/// one JSON row built by the database: a national round holds some 260,000
/// decisions, and handing them over one row each cost more than the scoring.
/// They stay packed here; the scoring threads unpack them.
pub async fn decisions_of(
    db: &Db,
    round_id: &str,
    agency_ids: &[String],
) -> Result<std::collections::HashMap<String, PackedDecisions>> {
    if agency_ids.is_empty() {
        return Ok(Default::default());
    }
    let per_agency = match db.backend() {
        crate::Backend::Sqlite => {
            "json_group_array(json_array(item, review, CASE WHEN passed THEN 1 ELSE 0 END))"
        }
        crate::Backend::Postgres => {
            "json_agg(json_build_array(item, review, CASE WHEN passed THEN 1 ELSE 0 END))::text"
        }
    };
    let rows: Vec<(String, String)> = read!(db, |p| {
        let mut qb = sqlx::QueryBuilder::new(format!(
            "SELECT agency_id, {per_agency} FROM oit_decisions WHERE round_id = "
        ));
        qb.push_bind(round_id).push(" AND agency_id IN (");
        let mut list = qb.separated(", ");
        for a in agency_ids {
            list.push_bind(a);
        }
        qb.push(") GROUP BY agency_id");
        qb.build_query_as().fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(agency, packed)| (agency, PackedDecisions(packed)))
        .collect())
}

/// One agency's decisions as [`decisions_of`] read them, still packed.
#[derive(Debug, Clone, Default)]
pub struct PackedDecisions(String);

impl PackedDecisions {
    /// The decisions, in review then item order as the per-agency read gives them.
    pub fn unpack(&self) -> Result<Vec<Decision>> {
        if self.0.is_empty() {
            return Ok(Vec::new());
        }
        let decided: Vec<(String, i64, i64)> = serde_json::from_str(&self.0)
            .map_err(|e| StoreError::Invalid(format!("OIT decisions: {e}")))?;
        let mut list: Vec<Decision> = decided
            .into_iter()
            .filter_map(|(item, review, passed)| {
                Some(Decision {
                    item,
                    review: Review::from_number(review)?,
                    passed: passed != 0,
                })
            })
            .collect();
        list.sort_by(|a, b| (a.review, &a.item).cmp(&(b.review, &b.item)));
        Ok(list)
    }
}

pub async fn decisions(db: &Db, agency_id: &str, round_id: &str) -> Result<Vec<StoredDecision>> {
    const Q: &str = "SELECT item, review, passed, reason, comment, assessor_id FROM oit_decisions \
        WHERE agency_id = $1 AND round_id = $2 ORDER BY review, item";
    let rows: Vec<(String, i64, bool, String, String, String)> = read!(db, |p| sqlx::query_as(Q)
        .bind(agency_id)
        .bind(round_id)
        .fetch_all(p)
        .await?);
    Ok(rows
        .into_iter()
        .filter_map(|(item, review, passed, reason, comment, assessor_id)| {
            Some(StoredDecision {
                item,
                review: Review::from_number(review)?,
                passed,
                reason: reason.parse().ok(),
                comment,
                assessor_id,
            })
        })
        .collect())
}

/// One review decision of a bulk load.
#[derive(Clone, Debug)]
pub struct ReviewRow {
    pub agency_id: String,
    pub item: String,
    pub review: Review,
    pub passed: bool,
    pub reason: Option<FailReason>,
    pub comment: String,
}

/// Loads many agencies' submissions and review decisions at once (a round
/// carried over from another system, or a generated national round): the
/// same rows [`submit`] and [`decide`] write, in one transaction with one
/// audit entry per table rather than one per row.
pub async fn load_reviews(
    db: &Db,
    assessor_id: &str,
    round_id: &str,
    submitted: &[String],
    rows: &[ReviewRow],
) -> Result<()> {
    const ROWS: usize = 500;
    if rows.iter().any(|r| !r.passed && r.reason.is_none()) {
        return Err(StoreError::Invalid("a failed item needs a reason".into()));
    }
    let now = crate::now_ms();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for chunk in submitted.chunks(ROWS) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO oit_submissions (agency_id, round_id, submitted_at, submitted_by) ",
            );
            qb.push_values(chunk, |mut b, agency| {
                b.push_bind(agency)
                    .push_bind(round_id)
                    .push_bind(now)
                    .push_bind(assessor_id);
            });
            qb.push(" ON CONFLICT (agency_id, round_id) DO NOTHING");
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in rows.chunks(ROWS) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO oit_decisions (agency_id, round_id, item, review, passed, reason, comment, assessor_id, decided_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(&r.agency_id)
                    .push_bind(round_id)
                    .push_bind(&r.item)
                    .push_bind(r.review.number())
                    .push_bind(r.passed)
                    .push_bind(if r.passed {
                        ""
                    } else {
                        r.reason.map_or("", |x| x.code())
                    })
                    .push_bind(r.comment.trim())
                    .push_bind(assessor_id)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (agency_id, round_id, item, review) DO UPDATE SET passed = excluded.passed, \
                 reason = excluded.reason, comment = excluded.comment, assessor_id = excluded.assessor_id, \
                 decided_at = excluded.decided_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        audit!(
            &mut *tx,
            Some(assessor_id),
            "load_reviews",
            "round",
            round_id,
            None::<String>,
            Some(
                serde_json::json!({"submitted": submitted.len(), "decisions": rows.len()})
                    .to_string()
            )
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// Records (or changes, within the same review round) an assessor's decision.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    assessor_id: &str,
    agency_id: &str,
    round_id: &str,
    item: &str,
    review: Review,
    passed: bool,
    reason: Option<FailReason>,
    comment: &str,
) -> Result<()> {
    if !passed && reason.is_none() {
        return Err(StoreError::Invalid("a failed item needs a reason".into()));
    }
    let before: Option<StoredDecision> = decisions(db, agency_id, round_id)
        .await?
        .into_iter()
        .find(|d| d.item == item && d.review == review);
    let after = StoredDecision {
        item: item.to_string(),
        review,
        passed,
        reason: if passed { None } else { reason },
        comment: comment.trim().to_string(),
        assessor_id: assessor_id.to_string(),
    };
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO oit_decisions (agency_id, round_id, item, review, passed, reason, comment, assessor_id, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (agency_id, round_id, item, review) DO UPDATE SET passed = excluded.passed, reason = excluded.reason, comment = excluded.comment, assessor_id = excluded.assessor_id, decided_at = excluded.decided_at",
        )
        .bind(agency_id)
        .bind(round_id)
        .bind(item)
        .bind(review.number())
        .bind(passed)
        .bind(after.reason.map_or("", |r| r.code()))
        .bind(&after.comment)
        .bind(assessor_id)
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        audit!(
            &mut *tx,
            Some(assessor_id),
            "oit_decision",
            "oit_item",
            format!("{agency_id}/{round_id}/{item}"),
            before.as_ref().and_then(json),
            json(&after)
        )?;
        tx.commit().await?;
    });
    Ok(())
}
