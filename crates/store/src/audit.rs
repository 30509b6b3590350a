//! The append-only audit log: who changed what, when, before and after.
//!
//! Entries are written in the same transaction as the change they describe,
//! so the log can never miss a committed change nor record one that failed.

use crate::{Db, Result, read};
use serde::Serialize;

/// Inserts one audit entry using the executor `$tx` (a transaction).
#[macro_export]
macro_rules! audit {
    ($tx:expr, $actor:expr, $action:expr, $entity:expr, $entity_id:expr, $before:expr, $after:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, action, entity, entity_id, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($crate::new_id())
        .bind($crate::now_ms())
        .bind($actor.map(|a: &str| a.to_string()))
        .bind($action)
        .bind($entity)
        .bind($entity_id)
        .bind($before)
        .bind($after)
        .execute($tx)
        .await
    };
}

/// Serialises a value for the before/after columns.
pub fn json<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The newest entries, optionally for one entity.
pub async fn recent(db: &Db, entity_id: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
    const ALL: &str = "SELECT id, at, actor_id, action, entity, entity_id, before_json, after_json FROM audit_log ORDER BY id DESC LIMIT $1";
    const ONE: &str = "SELECT id, at, actor_id, action, entity, entity_id, before_json, after_json FROM audit_log WHERE entity_id = $2 ORDER BY id DESC LIMIT $1";
    Ok(read!(db, |p| match entity_id {
        None => sqlx::query_as(ALL).bind(limit).fetch_all(p).await?,
        Some(e) => sqlx::query_as(ONE).bind(limit).bind(e).fetch_all(p).await?,
    }))
}
