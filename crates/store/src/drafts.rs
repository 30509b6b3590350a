//! Unfinished questionnaires, kept server-side under a random cookie so a
//! dropped connection loses nothing.
//!
//! Anyone with a survey link can start a draft, so drafts live within a
//! budget, per link and in total, in rows and in bytes. When a new draft
//! passes a budget, the least recently used drafts go first: a respondent who
//! is answering saves a page every few minutes and stays recent, while a flood
//! of drafts that are never touched again is what gets evicted. `touched` is a
//! counter, not a time.

use crate::{Db, Result, read, write};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Draft {
    pub link_code: String,
    pub submission_id: String,
    pub answers: String,
}

/// How many drafts, and how many bytes of answers, may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DraftBudget {
    pub per_link_rows: i64,
    pub per_link_bytes: i64,
    pub total_rows: i64,
    pub total_bytes: i64,
}

impl Default for DraftBudget {
    /// Room for every respondent of a national round answering at once (a
    /// draft of the 2564 IIT is about 1 KB), at most about 1 GB in all.
    fn default() -> Self {
        DraftBudget {
            per_link_rows: 5_000,
            per_link_bytes: 16 * 1024 * 1024,
            total_rows: 500_000,
            total_bytes: 1024 * 1024 * 1024,
        }
    }
}

pub async fn load(db: &Db, token_hash: &str) -> Result<Option<Draft>> {
    const Q: &str = "SELECT link_code, submission_id, answers FROM drafts WHERE token_hash = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(token_hash)
        .fetch_optional(p)
        .await?))
}

/// A page save waiting for the response writer: drafts join the group
/// commit of the responses, so a page costs a share of one fsync.
#[derive(Debug, Clone)]
pub struct DraftSave {
    pub token_hash: String,
    /// The link's agency: not stored, it only sends the save to the writer
    /// that owns the agency's rows, the one that deletes the draft when the
    /// questionnaire is sent.
    pub agency_id: String,
    /// No draft has this token yet (the request made the token): a new
    /// draft counts against its link's budget.
    pub is_new: bool,
    pub draft: Draft,
    /// The day it was saved (drafts untouched for long are purged by day).
    pub day: String,
    pub budget: DraftBudget,
}

/// How many of `rows` drafts using `used` bytes must go to fit both limits
/// (by average size for the bytes).
pub(crate) fn over_budget(rows: i64, used: i64, max_rows: i64, max_bytes: i64) -> i64 {
    let by_rows = rows - max_rows;
    let by_bytes = if used > max_bytes && rows > 0 {
        let avg = (used / rows).max(1);
        (used - max_bytes + avg - 1) / avg
    } else {
        0
    };
    by_rows.max(by_bytes).clamp(0, (rows - 1).max(0))
}

/// Evicts the least recently used drafts of every link until the whole store
/// is within the total budget; run periodically. Returns how many went.
pub async fn enforce_total(db: &Db, budget: &DraftBudget) -> Result<u64> {
    let (rows, used): (i64, i64) = read!(db, |p| sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM drafts"
    )
    .fetch_one(p)
    .await?);
    let excess = over_budget(rows, used, budget.total_rows, budget.total_bytes);
    if excess == 0 {
        return Ok(0);
    }
    let evicted = write!(db, |p| {
        sqlx::query(
        "DELETE FROM drafts WHERE token_hash IN (SELECT token_hash FROM drafts ORDER BY touched LIMIT $1)"
    )
    .bind(excess)
    .execute(p)
    .await?
    .rows_affected()
    });
    tracing::warn!(
        evicted,
        "drafts over the total budget; least recently used evicted"
    );
    Ok(evicted)
}

/// Drafts and their bytes, for one link or for all.
pub async fn usage(db: &Db, link_code: Option<&str>) -> Result<(i64, i64)> {
    Ok(read!(db, |p| {
        match link_code {
        Some(code) => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM drafts WHERE link_code = $1"
        )
        .bind(code)
        .fetch_one(p)
        .await?,
        None => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM drafts"
        )
        .fetch_one(p)
        .await?,
    }
    }))
}

/// Drafts untouched since before `day` are dropped (they hold no identity,
/// but there is no reason to keep them).
pub async fn purge_before(db: &Db, day: &str) -> Result<u64> {
    Ok(write!(db, |p| sqlx::query(
        "DELETE FROM drafts WHERE day < $1"
    )
    .bind(day)
    .execute(p)
    .await?
    .rows_affected()))
}

#[cfg(test)]
mod tests {
    use super::over_budget;

    #[test]
    fn budget_by_rows_and_by_bytes() {
        assert_eq!(over_budget(10, 100, 10, 1000), 0);
        assert_eq!(over_budget(12, 120, 10, 1000), 2);
        // 10 drafts of 100 bytes against 700 bytes: three must go.
        assert_eq!(over_budget(10, 1000, 100, 700), 3);
        // Never the draft being saved.
        assert_eq!(over_budget(1, 10_000, 0, 1), 0);
        assert_eq!(over_budget(0, 0, 0, 0), 0);
    }
}
