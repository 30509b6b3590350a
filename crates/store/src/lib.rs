//! itas-store: persistence over SQLite (default) or PostgreSQL (by URL).
//!
//! One [`Db`] holds concrete pools; queries are written once with portable SQL
//! (`$N` placeholders, no vendor JSON, no `FOR UPDATE`) and type-checked
//! against both drivers through the [`read!`] and [`write!`] dispatch macros.
//! On SQLite all writes go through one connection, so a write never waits on a
//! lock upgrade; reads use a separate pool and see WAL snapshots.

pub mod agencies;
pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod bulk;
pub mod device_checks;
pub mod drafts;
pub mod evidence_checks;
pub mod health;
pub mod history;
pub mod ingest;
pub mod oit;
pub mod plans;
pub mod public_pages;
pub mod quality;
pub mod rate_limit;
pub mod reminders;
pub mod rounds;
pub mod sessions;
pub mod surveys;
pub mod trusted_devices;
pub mod users;

use sqlx::Connection as _;
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
        /// The write-ahead log beside the file (none in memory): the response
        /// writer makes its batches durable by syncing it (see `ingest`).
        wal: Option<std::sync::Arc<std::path::Path>>,
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
    /// A storage fault seen by another task (the response writer) and passed on.
    #[error("storage fault ({code}): {1}", code = .0.code())]
    Fault(health::FaultKind, String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// A copy for every waiter of a failed batch: the same storage fault, or
    /// an "invalid" error carrying the message.
    pub fn same_kind(&self) -> StoreError {
        match health::classify(self) {
            Some(kind) => StoreError::Fault(kind, self.to_string()),
            None => StoreError::Invalid(format!("not stored: {self}")),
        }
    }

    /// The storage fault behind this error, if it is one.
    pub fn fault(&self) -> Option<health::FaultKind> {
        health::classify(self)
    }

    /// A failure worth retrying later (pool exhausted, connection lost), not a bug.
    pub fn is_transient(&self) -> bool {
        matches!(health::classify(self), Some(health::FaultKind::Unreachable))
            || self.is_concurrency_conflict()
    }

    /// PostgreSQL gave up a transaction to let a concurrent one through (a
    /// deadlock, a serialization failure), as two servers' writers merging
    /// the same agency's tallies can meet: running the batch again (it is
    /// all or nothing) is the cure.
    pub fn is_concurrency_conflict(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d))
            if matches!(d.code().as_deref(), Some("40P01" | "40001")))
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

/// A random id (UUIDv4): for anything near response data, which must not
/// carry a time.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new time-ordered id (UUIDv7), as stored.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in UTC epoch milliseconds.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Whether the SQLite writer connection may be used again: called each time it
/// returns to the pool, after any error. A failed COMMIT (SQLITE_FULL,
/// SQLITE_IOERR) can leave SQLite inside a transaction or leave sqlx counting
/// one that SQLite already rolled back; either way every later "transaction"
/// would become a savepoint that never commits. So the connection must prove
/// it is in autocommit (SQLite refuses BEGIN inside a transaction) or it is
/// closed, and the pool opens a fresh one.
async fn sqlite_writer_is_clean(
    conn: &mut sqlx::SqliteConnection,
) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // Runs after any rollback the dropped transaction queued.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("writer connection left inside a transaction; replacing it");
        return Ok(false);
    }
    if let Err(e) = sqlx::raw_sql("BEGIN").execute(&mut *conn).await {
        tracing::warn!(error = %e, "writer connection not in autocommit; replacing it");
        return Ok(false);
    }
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await?;
    Ok(true)
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `sqlite://PATH` (created with its folder if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            // One plain connection first, within 10 s: the pool would retry a
            // refused or failing connection silently until its timeout and
            // then report only the timeout, not the reason.
            match tokio::time::timeout(
                Duration::from_secs(10),
                sqlx::PgConnection::connect_with(&opts),
            )
            .await
            {
                Ok(Ok(c)) => {
                    let _ = c.close().await;
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    return Err(StoreError::Invalid(
                        "PostgreSQL did not answer within 10 s".into(),
                    ));
                }
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                // A connection goes back to the pool only outside any transaction
                // (see `sqlite_writer_is_clean`); PostgreSQL reports its state itself.
                .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
                .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
                .connect_with(opts)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        else {
            // The scheme only: the rest may hold a password.
            let what = match url.split_once("://") {
                Some((scheme, _)) => format!("a {scheme}:// URL"),
                None => "not a URL".to_string(),
            };
            return Err(StoreError::Invalid(format!(
                "unsupported database URL ({what}); use sqlite://PATH (a file, created if \
                 missing), postgres://USER@HOST:PORT/DATABASE or postgresql://…"
            )));
        };
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
            // Deleted rows (a submitted draft, a merged tally) are overwritten
            // where that costs no extra I/O, rather than left in the file.
            .pragma("secure_delete", "FAST")
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // FULL: every commit is fsynced before it is acknowledged, so an
        // acknowledged write survives power loss, not only a crash. Group
        // commit pays one fsync per batch.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .after_release(|conn, _| Box::pin(sqlite_writer_is_clean(conn)))
            .connect_with(opts.clone().synchronous(SqliteSynchronous::Full))
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.synchronous(SqliteSynchronous::Normal).read_only(true))
            .await?;
        let wal = (path != ":memory:" && !path.is_empty())
            .then(|| std::path::PathBuf::from(format!("{path}-wal")).into());
        Ok(Db::Sqlite {
            writer,
            reader,
            wal,
        })
    }

    /// SQLite's write-ahead log file, for a database on disk.
    pub fn sqlite_wal(&self) -> Option<std::sync::Arc<std::path::Path>> {
        match self {
            Db::Sqlite { wal, .. } => wal.clone(),
            Db::Postgres(_) => None,
        }
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

    /// Rewrites what could still show the order in which answers arrived:
    /// SQLite is rebuilt (`VACUUM`, so freed pages that held drafts and merged
    /// tallies are gone); PostgreSQL's heap tables are rewritten in key order
    /// (`CLUSTER` on their primary keys) and the draft table compacted. Takes
    /// locks for the duration: run it when collection is quiet (see
    /// docs/privacy.md). Returns what was done, for the operator.
    pub async fn privacy_maintenance(&self) -> Result<Vec<String>> {
        let mut done = Vec::new();
        match self {
            Db::Sqlite { writer, .. } => {
                sqlx::raw_sql("VACUUM").execute(writer).await?;
                done.push(
                    "VACUUM: the database file rewritten in key order, free pages dropped".into(),
                );
            }
            Db::Postgres(p) => {
                for table in [
                    "responses",
                    "tally_deltas",
                    "answer_vectors",
                    "response_counts",
                    "hourly_counts",
                    "speed_counts",
                ] {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "CLUSTER {table} USING {table}_pkey"
                    )))
                    .execute(p)
                    .await?;
                    done.push(format!("CLUSTER {table}: rows rewritten in key order"));
                }
                sqlx::raw_sql("VACUUM FULL drafts").execute(p).await?;
                done.push("VACUUM FULL drafts".into());
            }
        }
        Ok(done)
    }

    /// Makes an empty schema `schema` in the PostgreSQL database at `url`
    /// (dropping one of that name first) and returns the URL whose
    /// connections use it: a bench run starts as empty as a new SQLite file.
    pub async fn fresh_postgres_schema(url: &str, schema: &str) -> Result<String> {
        let name = schema_name(schema)?;
        run_on_postgres(
            url,
            format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"),
        )
        .await?;
        let sep = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{sep}options=-c%20search_path%3D{name}"))
    }

    /// Drops a schema [`Db::fresh_postgres_schema`] made, with its tables.
    pub async fn drop_postgres_schema(url: &str, schema: &str) -> Result<()> {
        let name = schema_name(schema)?;
        run_on_postgres(url, format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await
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

    /// What a backup file holds, read without changing it: SQLite's own
    /// integrity check, the migrations applied, and the responses stored.
    /// Refuses a file that is not an itas database.
    pub async fn inspect_sqlite_backup(path: &std::path::Path) -> Result<BackupFile> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
        let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut c)
            .await?;
        let migrations: Result<(i64,)> =
            sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut c)
                .await
                .map_err(StoreError::from);
        let responses: Result<(i64,)> = sqlx::query_as("SELECT COUNT(*) FROM responses")
            .fetch_one(&mut c)
            .await
            .map_err(StoreError::from);
        let _ = c.close().await;
        let (Ok((migrations,)), Ok((responses,))) = (migrations, responses) else {
            return Err(StoreError::Invalid(format!(
                "{} is not an itas database (no migrations or responses table)",
                path.display()
            )));
        };
        Ok(BackupFile {
            integrity,
            migrations,
            responses,
        })
    }

    /// The database's size on disk, in bytes (SQLite: its pages; PostgreSQL:
    /// the whole database).
    pub async fn size_bytes(&self) -> Result<i64> {
        Ok(match self {
            Db::Sqlite { reader, .. } => {
                let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
                    .fetch_one(reader)
                    .await?;
                let (size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(reader).await?;
                pages * size
            }
            Db::Postgres(p) => {
                sqlx::query_as::<_, (i64,)>("SELECT pg_database_size(current_database())")
                    .fetch_one(p)
                    .await?
                    .0
            }
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { writer, reader, .. } => {
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

/// A backup file as `itas restore` finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupFile {
    /// "ok", or what SQLite's integrity check found.
    pub integrity: String,
    pub migrations: i64,
    pub responses: i64,
}

/// Runs `sql` (checked by the caller) on a connection of its own to the
/// PostgreSQL database at `url`, closed after.
async fn run_on_postgres(url: &str, sql: String) -> Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    let ran = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
    pool.close().await;
    ran?;
    Ok(())
}

/// A schema name that is safe to splice into SQL: lower-case letters,
/// digits and underscores, starting with a letter.
fn schema_name(name: &str) -> Result<&str> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Invalid(format!("not a schema name: {name:?}")))
    }
}
