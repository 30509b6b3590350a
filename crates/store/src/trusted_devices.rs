//! Browsers that have signed in successfully as a user. Sign-in from such a
//! browser stays open while an account is under attack from elsewhere.

use crate::{Db, Result, read, write};

pub async fn add(db: &Db, token_hash: &str, user_id: &str, now: i64) -> Result<()> {
    write!(db, |p| {
        sqlx::query(
            "INSERT INTO trusted_devices (token_hash, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_hash, user_id) DO NOTHING",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .execute(p)
        .await?;
    });
    Ok(())
}

/// Whether the browser holding the token of `token_hash` signed in as `user_id` before.
pub async fn is_trusted(db: &Db, token_hash: &str, user_id: &str) -> Result<bool> {
    let n: (i64,) = read!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM trusted_devices WHERE token_hash = $1 AND user_id = $2"
    )
    .bind(token_hash)
    .bind(user_id)
    .fetch_one(p)
    .await?);
    Ok(n.0 > 0)
}

/// Whether a browser token was issued by this server (trusted for anyone):
/// a value the client made up is never adopted.
pub async fn issued(db: &Db, token_hash: &str) -> Result<bool> {
    let n: (i64,) = read!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM trusted_devices WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_one(p)
    .await?);
    Ok(n.0 > 0)
}
