//! itas-store: persistence over SQLite (default) or PostgreSQL (by URL).
//!
//! One [`Db`] holds concrete pools; queries are written once with portable SQL
//! (`$N` placeholders, no vendor JSON, no `FOR UPDATE`) and type-checked
//! against both drivers through the [`read!`] and [`write!`] dispatch macros.
//! On SQLite all writes go through one connection, so a write never waits on a
//! lock upgrade; reads use a separate pool and see WAL snapshots.

pub mod agencies;
pub mod assignments;
pub mod audit;
pub mod evidence_checks;
pub mod ingest;
pub mod oit;
pub mod plans;
pub mod rate_limit;
pub mod rounds;
pub mod sessions;
pub mod surveys;
pub mod users;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A database handle; cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` with `$p` bound to the pool for reads.
#[macro_export]
macro_rules! read {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite { reader: $p, .. } => $body,
            $crate::Db::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the pool for writes.
#[macro_export]
macro_rules! write {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite { writer: $p, .. } => $body,
            $crate::Db::Postgres($p) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the string names what (e.g. "agency code").
    #[error("{0} already exists")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// A failure worth retrying later (pool exhausted, connection lost), not a bug.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
            )
        )
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(crate) fn conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(what.to_string())
        }
        _ => StoreError::Db(e),
    }
}

/// A new time-ordered id (UUIDv7), as stored.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in UTC epoch milliseconds.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `sqlite://PATH` (created with its folder if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        if path != ":memory:"
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Db::Sqlite { writer, reader })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations of this backend's tree.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Writes a consistent copy of a live SQLite database to `path`.
    pub async fn backup_sqlite(&self, path: &str) -> Result<()> {
        let Db::Sqlite { writer, .. } = self else {
            return Err(StoreError::Invalid(
                "backup is for SQLite; use pg_dump for PostgreSQL".into(),
            ));
        };
        let target = std::path::Path::new(path);
        if target.exists() {
            return Err(StoreError::Invalid(format!(
                "{path} exists; refusing to overwrite"
            )));
        }
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(writer)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Tables, columns and indexes as (table, column, normalised type, not null) rows
    /// and index names: what the lockstep test compares across backends.
    pub async fn schema_outline(
        &self,
    ) -> Result<(Vec<(String, String, String, bool)>, Vec<String>)> {
        let normalise = |t: &str| -> String {
            match t.to_ascii_lowercase().as_str() {
                "text" | "character varying" => "text".into(),
                "bigint" | "integer" | "int8" => "bigint".into(),
                "boolean" | "bool" => "boolean".into(),
                "blob" | "bytea" => "bytes".into(),
                other => other.into(),
            }
        };
        let mut cols: Vec<(String, String, String, bool)> = Vec::new();
        let mut idx: Vec<String>;
        match self {
            Db::Sqlite { reader, .. } => {
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
                )
                .fetch_all(reader)
                .await?;
                for (t,) in tables {
                    let rows: Vec<(String, String, bool, i64)> = sqlx::query_as(
                        "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)",
                    )
                    .bind(&t)
                    .fetch_all(reader)
                    .await?;
                    for (name, ty, notnull, pk) in rows {
                        cols.push((t.clone(), name, normalise(&ty), notnull || pk > 0));
                    }
                }
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
                )
                .fetch_all(reader)
                .await?;
                idx = rows.into_iter().map(|r| r.0).collect();
            }
            Db::Postgres(p) => {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?;
                for (t, c, ty, nullable) in rows {
                    cols.push((t, c, normalise(&ty), nullable == "NO"));
                }
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND tablename NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?;
                idx = rows.into_iter().map(|r| r.0).collect();
            }
        }
        cols.sort();
        idx.sort();
        Ok((cols, idx))
    }
}
