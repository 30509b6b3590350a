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

/// What the audit log is narrowed to; every part is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// A user's id.
    pub actor: Option<String>,
    /// An action code (`set_password`, `oit_decision`, …).
    pub action: Option<String>,
    /// An agency's, round's or user's id: entries about it, alone or as part
    /// of a composite key ("agency/round").
    pub about: Vec<String>,
    /// From this instant on (milliseconds since 1970, inclusive).
    pub from: Option<i64>,
    /// Before this instant (exclusive).
    pub until: Option<i64>,
}

/// Adds the filter's conditions to a query on the audit log.
fn narrow<DB: sqlx::Database>(qb: &mut sqlx::QueryBuilder<DB>, f: &Filter)
where
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(a) = &f.actor {
        qb.push(" AND actor_id = ").push_bind(a.clone());
    }
    if let Some(a) = &f.action {
        qb.push(" AND action = ").push_bind(a.clone());
    }
    for id in &f.about {
        // Ids are UUIDs: no LIKE wildcard can hide in them.
        qb.push(" AND (entity_id = ")
            .push_bind(id.clone())
            .push(" OR entity_id LIKE ")
            .push_bind(format!("{id}/%"))
            .push(" OR entity_id LIKE ")
            .push_bind(format!("%/{id}"))
            .push(" OR entity_id LIKE ")
            .push_bind(format!("%/{id}/%"))
            .push(")");
    }
    if let Some(t) = f.from {
        qb.push(" AND at >= ").push_bind(t);
    }
    if let Some(t) = f.until {
        qb.push(" AND at < ").push_bind(t);
    }
}

/// The entries a filter keeps, newest first, a page at a time. The log has
/// no upper limit: any page can be read.
pub async fn entries(db: &Db, f: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditEntry>> {
    const COLUMNS: &str = "SELECT id, at, actor_id, action, entity, entity_id, before_json, after_json FROM audit_log";
    Ok(read!(db, |p| {
        let mut qb = sqlx::QueryBuilder::new(COLUMNS);
        narrow(&mut qb, f);
        qb.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        qb.build_query_as().fetch_all(p).await?
    }))
}

/// How many entries a filter keeps.
pub async fn count(db: &Db, f: &Filter) -> Result<i64> {
    let (total,): (i64,) = read!(db, |p| {
        let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM audit_log");
        narrow(&mut qb, f);
        qb.build_query_as().fetch_one(p).await?
    });
    Ok(total)
}

/// Every action code the log holds, for a filter's choices.
pub async fn actions(db: &Db) -> Result<Vec<String>> {
    const Q: &str = "SELECT DISTINCT action FROM audit_log ORDER BY action";
    let rows: Vec<(String,)> = read!(db, |p| sqlx::query_as(Q).fetch_all(p).await?);
    Ok(rows.into_iter().map(|r| r.0).collect())
}
