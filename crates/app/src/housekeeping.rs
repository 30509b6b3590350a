//! Housekeeping every server runs: while writes fail, a probe every 2 s (so
//! the server recovers by itself when space returns), otherwise every 15 s;
//! the total draft budget every 15 s; expired sessions and old drafts every
//! 10 minutes.

use itas_store::Db;
use itas_store::drafts::DraftBudget;
use itas_store::health::StorageHealth;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Unfinished questionnaires are kept this many days, then dropped.
pub const DRAFT_DAYS: i64 = 30;

/// Starts the housekeeping task (needs a Tokio runtime).
pub fn spawn(
    db: Db,
    health: Arc<StorageHealth>,
    budget: DraftBudget,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_purge = Instant::now();
        let mut last_routine = Instant::now();
        loop {
            let faulted = health.fault().is_some();
            tokio::time::sleep(Duration::from_secs(if faulted { 2 } else { 1 })).await;
            if !faulted && last_routine.elapsed() < Duration::from_secs(15) {
                continue;
            }
            last_routine = Instant::now();
            let r = itas_store::health::probe(&db).await;
            health.record(&r);
            if r.is_err() {
                continue;
            }
            if let Err(e) = itas_store::drafts::enforce_total(&db, &budget).await {
                health.record_error(&e);
            }
            if last_purge.elapsed() >= Duration::from_secs(600) {
                last_purge = Instant::now();
                let _ = itas_store::sessions::purge_expired(&db, itas_store::now_ms()).await;
                let cutoff =
                    time::OffsetDateTime::now_utc().date() - time::Duration::days(DRAFT_DAYS);
                let _ = itas_store::drafts::purge_before(&db, &cutoff.to_string()).await;
            }
        }
    })
}

/// Whether the database answers a read now (the health check's probe).
pub async fn database_answers(db: &Db) -> Result<(), itas_store::StoreError> {
    itas_store::rounds::list(db).await.map(|_| ())
}
