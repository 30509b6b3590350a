//! Sign-in sessions, stored so any number of app servers share them.
//! Only a hash of the cookie token is kept.

use crate::{Db, Result, read, users::User, write};

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    write!(db, |p| {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(p)
            .await?;
    });
    Ok(())
}

/// The active user of a live session.
pub async fn user(db: &Db, token_hash: &str, now: i64) -> Result<Option<User>> {
    const Q: &str = "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.agency_id, u.active, u.created_at, u.email \
        FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = $3";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(token_hash)
        .bind(now)
        .bind(true)
        .fetch_optional(p)
        .await?))
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<()> {
    write!(db, |p| {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn purge_expired(db: &Db, now: i64) -> Result<u64> {
    Ok(write!(db, |p| sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1"
    )
    .bind(now)
    .execute(p)
    .await?
    .rows_affected()))
}
