//! `itas restore BACKUP`: puts a backup taken by `itas backup` in place of a
//! SQLite database, never under a running server, keeping what it replaces.
//!
//! Every `itas serve` on a SQLite database holds a shared lock on a file
//! beside it (`itas.sqlite3.serving`) for as long as it runs; a restore takes
//! that lock exclusively, so it cannot start while any server is serving the
//! database, and no server can start while it works. The lock is the
//! kernel's (flock): a server killed with SIGKILL leaves none behind.

use crate::cli::server::{DbArgs, runtime};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The database file a SQLite URL names; None for any other URL.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn lock_file(db: &Path) -> Result<File, String> {
    let mut name = db.as_os_str().to_owned();
    name.push(".serving");
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(&name))
        .map_err(|e| format!("cannot open {}: {e}", PathBuf::from(name).display()))
}

/// Held by `itas serve` while it serves a SQLite database.
pub struct Serving(#[allow(dead_code)] File);

/// Takes the serving lock of a SQLite database (shared: several processes
/// may read one file); nothing to hold for PostgreSQL.
pub fn hold_while_serving(url: &str) -> Result<Option<Serving>, String> {
    let Some(db) = sqlite_file(url) else {
        return Ok(None);
    };
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let f = lock_file(&db)?;
    match f.try_lock_shared() {
        Ok(()) => Ok(Some(Serving(f))),
        Err(TryLockError::WouldBlock) => Err(format!(
            "{} is being restored (itas restore); start the server when it is done",
            db.display()
        )),
        Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", db.display())),
    }
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup to put in place (a file `itas backup` wrote).
    backup: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

pub fn restore(a: RestoreArgs) -> Result<ExitCode, String> {
    let Some(target) = sqlite_file(&a.db.database_url) else {
        return Err(
            "itas restore is for SQLite; restore PostgreSQL with pg_restore into a new database (docs/deploy/README.md)"
                .into(),
        );
    };
    // The backup first: a bad file must not cost the live database anything.
    let found = runtime()?
        .block_on(itas_store::Db::inspect_sqlite_backup(&a.backup))
        .map_err(|e| format!("{}: {e}", a.backup.display()))?;
    if found.integrity != "ok" {
        return Err(format!(
            "{} fails SQLite's integrity check: {}",
            a.backup.display(),
            found.integrity
        ));
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let lock = lock_file(&target)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(format!(
                "a server is serving {}: stop it first (systemctl stop itas); nothing was changed",
                target.display()
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", target.display()));
        }
    }
    // What is replaced is moved aside with its log, never deleted.
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut kept = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut from = target.as_os_str().to_owned();
        from.push(suffix);
        let from = PathBuf::from(from);
        if from.exists() {
            let mut to = target.as_os_str().to_owned();
            to.push(format!(".before-restore-{stamp}{suffix}"));
            let to = PathBuf::from(to);
            std::fs::rename(&from, &to)
                .map_err(|e| format!("cannot move {} aside: {e}", from.display()))?;
            kept.push(to);
        }
    }
    // Copied beside the target, made durable, then renamed into place: a
    // crash leaves either no database or the whole backup, never half.
    let mut partial = target.as_os_str().to_owned();
    partial.push(".restoring");
    let partial = PathBuf::from(partial);
    std::fs::copy(&a.backup, &partial)
        .map_err(|e| format!("cannot copy {}: {e}", a.backup.display()))?;
    File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", partial.display()))?;
    std::fs::rename(&partial, &target)
        .map_err(|e| format!("cannot move the copy into place: {e}"))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    drop(lock);
    out!(
        "restored {} from {} ({} migrations, {} responses); start the server, it applies any newer migrations",
        target.display(),
        a.backup.display(),
        found.migrations,
        found.responses
    );
    for k in kept {
        out!("kept what it replaced: {}", k.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_url_names_its_file() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/itas/itas.sqlite3?mode=rwc"),
            Some(PathBuf::from("/var/lib/itas/itas.sqlite3"))
        );
        assert_eq!(
            sqlite_file("sqlite:itas.sqlite3"),
            Some(PathBuf::from("itas.sqlite3"))
        );
        assert_eq!(sqlite_file("postgres://x@h/db"), None);
        assert_eq!(sqlite_file("x.sqlite3"), None);
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
