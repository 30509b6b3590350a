//! Whether the database can take writes now, and why not.
//!
//! A full disk or a failing device is a state of the server, not a silence:
//! every write that fails for such a reason records a [`Fault`], every write
//! that commits clears it, and a probe keeps trying while the fault lasts, so
//! the server recovers on its own when space returns. `/healthz`, the central
//! office's banner and the respondent's page all read the same state.

use crate::{Db, StoreError, write};
use std::sync::Mutex;

/// Why writes fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No space left for the database (SQLITE_FULL, PostgreSQL 53100).
    DiskFull,
    /// The device or filesystem returns errors (SQLITE_IOERR, read-only, PostgreSQL 58xxx).
    Io,
    /// The database server cannot be reached or is restarting.
    Unreachable,
    /// The response writer stopped (a bug met a batch) and is being started
    /// again; answers are refused for the moment it takes.
    WriterRestarting,
}

impl FaultKind {
    pub const ALL: [FaultKind; 4] = [
        FaultKind::DiskFull,
        FaultKind::Io,
        FaultKind::Unreachable,
        FaultKind::WriterRestarting,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FaultKind::DiskFull => "disk_full",
            FaultKind::Io => "io_error",
            FaultKind::Unreachable => "database_unreachable",
            FaultKind::WriterRestarting => "writer_restarting",
        }
    }

    pub fn message_th(self) -> &'static str {
        match self {
            FaultKind::DiskFull => "พื้นที่จัดเก็บข้อมูลเต็ม ระบบบันทึกข้อมูลใหม่ไม่ได้",
            FaultKind::Io => "อุปกรณ์จัดเก็บข้อมูลขัดข้อง ระบบบันทึกข้อมูลใหม่ไม่ได้",
            FaultKind::Unreachable => "ติดต่อฐานข้อมูลไม่ได้ ระบบบันทึกข้อมูลใหม่ไม่ได้",
            FaultKind::WriterRestarting => "ระบบบันทึกคำตอบกำลังเริ่มทำงานใหม่ กรุณาลองอีกครั้งในไม่กี่วินาที",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            FaultKind::DiskFull => "The database disk is full; new data cannot be stored",
            FaultKind::Io => "The database storage is failing; new data cannot be stored",
            FaultKind::Unreachable => "The database cannot be reached; new data cannot be stored",
            FaultKind::WriterRestarting => {
                "The response writer is restarting; answers are refused for a few seconds"
            }
        }
    }
}

/// A fault in force: what, since when (epoch ms), and the last error seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub since_ms: i64,
    pub detail: String,
}

/// Names the storage fault behind an error, if it is one; `None` for errors
/// of the request itself (a taken key, bad input) and bugs.
pub fn classify(e: &StoreError) -> Option<FaultKind> {
    let e = match e {
        StoreError::Db(e) => e,
        StoreError::Fault(kind, _) => return Some(*kind),
        _ => return None,
    };
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(FaultKind::Unreachable),
        sqlx::Error::Database(d) => {
            let code = d.code()?;
            if let Ok(n) = code.parse::<i64>() {
                // SQLite: the primary result code is the low byte of the extended one.
                return match n & 0xff {
                    13 => Some(FaultKind::DiskFull), // SQLITE_FULL
                    10 => Some(FaultKind::Io),       // SQLITE_IOERR
                    8 => Some(FaultKind::Io),        // SQLITE_READONLY
                    14 => Some(FaultKind::Io),       // SQLITE_CANTOPEN
                    11 | 26 => Some(FaultKind::Io),  // SQLITE_CORRUPT, SQLITE_NOTADB
                    _ => None,
                };
            }
            // PostgreSQL SQLSTATE classes.
            match code.as_ref() {
                "53100" => Some(FaultKind::DiskFull),
                c if c.starts_with("58") || c == "25006" => Some(FaultKind::Io),
                c if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => {
                    Some(FaultKind::Unreachable)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The write health of one server, shared by its handlers and writers.
#[derive(Debug, Default)]
pub struct StorageHealth {
    fault: Mutex<Option<Fault>>,
    /// Set by the response writer's supervisor alone, from the moment the
    /// writer stops until it runs again: other writes committing meanwhile
    /// say nothing about it.
    writer_down: Mutex<Option<Fault>>,
}

impl StorageHealth {
    /// The fault in force, if any: the storage's, else the writer's.
    pub fn fault(&self) -> Option<Fault> {
        let storage = self.fault.lock().unwrap_or_else(|p| p.into_inner()).clone();
        storage.or_else(|| {
            self.writer_down
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        })
    }

    /// The response writer stopped; answers are refused until [`Self::writer_running`].
    pub fn writer_stopped(&self, detail: &str) {
        *self.writer_down.lock().unwrap_or_else(|p| p.into_inner()) = Some(Fault {
            kind: FaultKind::WriterRestarting,
            since_ms: crate::now_ms(),
            detail: detail.to_string(),
        });
    }

    /// The response writer runs again.
    pub fn writer_running(&self) {
        *self.writer_down.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Records a failed write; returns true when it was a storage fault.
    pub fn record_error(&self, e: &StoreError) -> bool {
        let Some(kind) = classify(e) else {
            return false;
        };
        if kind == FaultKind::WriterRestarting {
            // The supervisor keeps that state; a refused request only echoes it.
            return true;
        }
        let mut f = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        match f.as_mut() {
            Some(f) if f.kind == kind => f.detail = e.to_string(),
            _ => {
                tracing::error!(fault = kind.code(), error = %e, "storage fault: writes fail");
                *f = Some(Fault {
                    kind,
                    since_ms: crate::now_ms(),
                    detail: e.to_string(),
                });
            }
        }
        true
    }

    /// Records a committed write: the storage takes writes again.
    pub fn record_ok(&self) {
        let mut f = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = f.take() {
            tracing::warn!(
                fault = old.kind.code(),
                lasted_ms = crate::now_ms() - old.since_ms,
                "storage fault cleared: writes succeed again"
            );
        }
    }

    /// Records the outcome of a write.
    pub fn record<T>(&self, r: &Result<T, StoreError>) {
        match r {
            Ok(_) => self.record_ok(),
            Err(e) => {
                self.record_error(e);
            }
        }
    }
}

/// Bytes the probe writes: a write of this size must fit before the server
/// calls itself healthy again, so it does not flap on the last free pages.
pub const PROBE_BYTES: usize = 64 * 1024;

/// Writes (and commits) one small row through the writer: proof that the
/// storage takes writes now.
pub async fn probe(db: &Db) -> Result<(), StoreError> {
    let payload = vec![0u8; PROBE_BYTES];
    write!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO write_probe (id, n, payload) VALUES (1, 1, $1) \
             ON CONFLICT (id) DO UPDATE SET n = write_probe.n + 1, payload = excluded.payload",
        )
        .bind(&payload)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Free bytes for an unprivileged writer on the filesystem holding `path`.
pub fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().filter(|p| !p.as_os_str().is_empty())?
    };
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_recorded_once_and_cleared_by_a_commit() {
        let h = StorageHealth::default();
        assert!(h.fault().is_none());
        let e = StoreError::Db(sqlx::Error::PoolTimedOut);
        assert!(h.record_error(&e));
        let first = h.fault().unwrap();
        assert_eq!(first.kind, FaultKind::Unreachable);
        assert!(h.record_error(&e));
        assert_eq!(h.fault().unwrap().since_ms, first.since_ms, "same fault");
        assert!(!h.record_error(&StoreError::Conflict("agency code".into())));
        assert!(
            h.fault().is_some(),
            "a request's own error is no storage fault"
        );
        h.record_ok();
        assert!(h.fault().is_none());
    }

    #[test]
    fn request_errors_are_not_storage_faults() {
        assert_eq!(classify(&StoreError::NotFound), None);
        assert_eq!(classify(&StoreError::Invalid("x".into())), None);
        assert_eq!(
            classify(&StoreError::Db(sqlx::Error::RowNotFound)),
            None,
            "a missing row is the request's business"
        );
    }
}
