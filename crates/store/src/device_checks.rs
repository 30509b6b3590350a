//! One-time links that let a new browser prove it belongs to the user while
//! the account is under attack: sent to the user's email, used once, within
//! their lifetime. Only the SHA-256 of each link's token is kept.

use crate::audit::json;
use crate::{Db, Result, audit, read, write};

/// Stores a link's token (by its hash); audited, so the central office sees
/// every link sent.
pub async fn create(db: &Db, user_id: &str, token_hash: &str, now: i64, ttl_ms: i64) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO device_checks (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *tx)
        .await?;
        audit!(
            &mut *tx,
            None::<&str>,
            "send_device_check",
            "user",
            user_id,
            None::<String>,
            json(&serde_json::json!({"expires_at": now + ttl_ms}))
        )?;
        tx.commit().await?;
    });
    Ok(())
}

/// The user a link is for, while it is unused and unexpired; without using it.
pub async fn pending(db: &Db, token_hash: &str, now: i64) -> Result<Option<String>> {
    const Q: &str = "SELECT user_id FROM device_checks WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
    let row: Option<(String,)> = read!(db, |p| sqlx::query_as(Q)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(p)
        .await?);
    Ok(row.map(|r| r.0))
}

/// Uses a link: the user it was for, or None when it is unknown, used or
/// expired. Two clicks at once use it once. Audited.
pub async fn consume(db: &Db, token_hash: &str, now: i64) -> Result<Option<String>> {
    let user = write!(db, |p| {
        let mut tx = p.begin().await?;
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE device_checks SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((u,)) = &row {
            audit!(
                &mut *tx,
                Some(u.as_str()),
                "verify_device",
                "user",
                u,
                None::<String>,
                None::<String>
            )?;
        }
        tx.commit().await?;
        row.map(|r| r.0)
    });
    Ok(user)
}
