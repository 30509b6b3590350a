//! Deadline reminders: who turned them off, and who was reminded on a day.
//! A reminder is claimed (its row written) before it is sent and released
//! if the send fails, so one user gets at most one a day even from two
//! servers or two clicks.

use crate::{Db, Result, audit, now_ms, read, write};
use std::collections::HashSet;

/// Users who turned reminders off.
pub async fn opted_out(db: &Db) -> Result<HashSet<String>> {
    const Q: &str = "SELECT user_id FROM reminder_opt_outs";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?);
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

pub async fn is_opted_out(db: &Db, user_id: &str) -> Result<bool> {
    const Q: &str = "SELECT COUNT(*) FROM reminder_opt_outs WHERE user_id = $1";
    let (n,): (i64,) = read!(db, |p| sqlx::query_as(Q).bind(user_id).fetch_one(p).await?);
    Ok(n > 0)
}

/// Turns a user's reminders off (`off`) or on again; audited.
pub async fn set_opted_out(db: &Db, user_id: &str, off: bool) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        let changed = if off {
            sqlx::query(
                "INSERT INTO reminder_opt_outs (user_id, at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM reminder_opt_outs WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        if changed > 0 {
            audit!(
                &mut *tx,
                Some(user_id),
                if off { "reminders_off" } else { "reminders_on" },
                "user",
                user_id,
                None::<String>,
                None::<String>
            )?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Users reminded on `day` (YYYY-MM-DD, Bangkok).
pub async fn reminded_on(db: &Db, day: &str) -> Result<HashSet<String>> {
    const Q: &str = "SELECT user_id FROM reminder_sends WHERE day = $1";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q).bind(day).fetch_all(p).await?);
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// Claims `day`'s reminder of a user: false when someone already did.
pub async fn claim(
    db: &Db,
    user_id: &str,
    day: &str,
    round_id: &str,
    reminder: &str,
) -> Result<bool> {
    let r = write!(db, |p| {
        sqlx::query(
        "INSERT INTO reminder_sends (user_id, day, round_id, reminder, sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, day) DO NOTHING",
    )
    .bind(user_id)
    .bind(day)
    .bind(round_id)
    .bind(reminder)
    .bind(now_ms())
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(r == 1)
}

/// Gives a claim back after its message could not be sent.
pub async fn release(db: &Db, user_id: &str, day: &str) -> Result<()> {
    write!(db, |p| sqlx::query(
        "DELETE FROM reminder_sends WHERE user_id = $1 AND day = $2"
    )
    .bind(user_id)
    .bind(day)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

/// Records a sending in the audit log: which reminder, and how many were
/// sent, failed and left out.
pub async fn record(
    db: &Db,
    actor: Option<&str>,
    round_id: &str,
    summary: &serde_json::Value,
) -> Result<()> {
    write!(db, |p| {
        audit!(
            p,
            actor,
            "send_reminders",
            "round",
            round_id,
            None::<String>,
            Some(summary.to_string())
        )?;
    });
    Ok(())
}
