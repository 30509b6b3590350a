//! Fixed-window counters kept in the database, so a limit holds across every
//! app server (login attempts must be limited globally, not per process).

use crate::{Db, Result, write};

/// Counts one hit in `bucket` and returns the hits in the current window.
pub async fn hit(db: &Db, bucket: &str, window_ms: i64, now: i64) -> Result<i64> {
    const Q: &str = "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
        ON CONFLICT (bucket) DO UPDATE SET \
          hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
          window_start = CASE WHEN rate_limits.window_start <= $3 THEN excluded.window_start ELSE rate_limits.window_start END \
        RETURNING hits";
    let expired_before = now - window_ms;
    Ok(write!(db, |p| {
        let (hits,): (i64,) = sqlx::query_as(Q)
            .bind(bucket)
            .bind(now)
            .bind(expired_before)
            .fetch_one(p)
            .await?;
        hits
    }))
}

/// Forgets a bucket (after a successful sign-in, say).
pub async fn clear(db: &Db, bucket: &str) -> Result<()> {
    write!(db, |p| {
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
            .bind(bucket)
            .execute(p)
            .await?;
    });
    Ok(())
}

/// Counts one failure in `bucket` and returns the failures so far; the count
/// starts again once the last failure is older than `window_ms`. The bucket
/// keeps the time of the last failure, from which a back-off is measured.
pub async fn record_failure(db: &Db, bucket: &str, window_ms: i64, now: i64) -> Result<i64> {
    const Q: &str = "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
        ON CONFLICT (bucket) DO UPDATE SET \
          hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
          window_start = excluded.window_start \
        RETURNING hits";
    Ok(write!(db, |p| {
        let (hits,): (i64,) = sqlx::query_as(Q)
            .bind(bucket)
            .bind(now)
            .bind(now - window_ms)
            .fetch_one(p)
            .await?;
        hits
    }))
}

/// The failures in `bucket` and the time of the last one, unless the last is
/// older than `window_ms`.
pub async fn failures(
    db: &Db,
    bucket: &str,
    window_ms: i64,
    now: i64,
) -> Result<Option<(i64, i64)>> {
    const Q: &str =
        "SELECT window_start, hits FROM rate_limits WHERE bucket = $1 AND window_start > $2";
    Ok(crate::read!(db, |p| sqlx::query_as(Q)
        .bind(bucket)
        .bind(now - window_ms)
        .fetch_optional(p)
        .await?))
}
