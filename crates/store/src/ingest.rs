//! Deadline-proof ingestion of survey responses.
//!
//! One writer task per process takes submissions from a queue and writes them
//! in batches: every submission waiting when a transaction starts goes into
//! it (group commit). A submission is acknowledged only after its batch has
//! committed, so an acknowledged answer survives a crash. Each batch also
//! updates the per-agency tallies, in the same transaction, so scores and
//! counts never need the raw responses. A retried submission (same random id)
//! is stored once.

use crate::health::StorageHealth;
use crate::{Db, StoreError, write};
use sqlx::Connection as _;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// One complete, validated questionnaire.
#[derive(Debug, Clone)]
pub struct Submission {
    pub agency_id: String,
    pub round_id: String,
    pub tool: String,
    /// Random (UUIDv4) id from the form; the same id twice is one response.
    pub id: String,
    /// The day (Asia/Bangkok), the only time kept.
    pub day: String,
    /// Option index per cell, by item.
    pub answers: BTreeMap<String, Vec<usize>>,
    /// Hash of the single-use code, when the survey requires one.
    pub code_hash: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The same submission id was stored before: nothing changed.
    Duplicate,
    /// The single-use code was used already (or never existed).
    CodeRejected,
}

type Job = (Submission, oneshot::Sender<Result<Outcome, StoreError>>);

/// Submissions at most per transaction; a full batch commits in a few milliseconds.
pub const MAX_BATCH: usize = 512;

#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Starts the writer task on the current Tokio runtime; every batch's
    /// outcome is recorded in `health`.
    pub fn spawn(db: Db, health: Arc<StorageHealth>) -> Ingestor {
        let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 16);
        tokio::spawn(writer(db, health, rx));
        Ingestor { tx }
    }

    /// Queues a submission and waits until it is durable (or refused).
    pub async fn submit(&self, s: Submission) -> Result<Outcome, StoreError> {
        let (ack, wait) = oneshot::channel();
        self.tx
            .send((s, ack))
            .await
            .map_err(|_| StoreError::Invalid("the writer has stopped".into()))?;
        match wait.await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Invalid("the writer has stopped".into())),
        }
    }
}

async fn writer(db: Db, health: Arc<StorageHealth>, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut result = write_batch(&db, &batch).await;
        // A transient failure (pool exhausted, a PostgreSQL restart) gets retries for about 6 s;
        // the batch is all-or-nothing, so retrying is safe.
        let mut tries = 0;
        while let Err(e) = &result {
            if tries >= 6 || !e.is_transient() {
                break;
            }
            tries += 1;
            tokio::time::sleep(std::time::Duration::from_millis(50 << tries)).await;
            result = write_batch(&db, &batch).await;
        }
        health.record(&result);
        match result {
            Ok(outcomes) => {
                for ((_, ack), o) in batch.drain(..).zip(outcomes) {
                    let _ = ack.send(Ok(o));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "batch of responses not stored");
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Err(e.same_kind()));
                }
            }
        }
    }
}

/// Option counts of one item: `[cell][option]`.
pub type Counts = BTreeMap<String, Vec<Vec<u64>>>;

/// Adds one respondent's answers to packed counts.
pub fn add_answers(counts: &mut Counts, answers: &BTreeMap<String, Vec<usize>>) {
    for (item, cells) in answers {
        let c = counts.entry(item.clone()).or_default();
        if c.len() < cells.len() {
            c.resize(cells.len(), Vec::new());
        }
        for (cell, option) in cells.iter().enumerate() {
            if c[cell].len() <= *option {
                c[cell].resize(option + 1, 0);
            }
            c[cell][*option] += 1;
        }
    }
}

/// Adds packed counts to packed counts.
pub fn merge_counts(into: &mut Counts, from: &Counts) {
    for (item, cells) in from {
        let c = into.entry(item.clone()).or_default();
        if c.len() < cells.len() {
            c.resize(cells.len(), Vec::new());
        }
        for (cell, options) in cells.iter().enumerate() {
            if c[cell].len() < options.len() {
                c[cell].resize(options.len(), 0);
            }
            for (o, n) in options.iter().enumerate() {
                c[cell][o] += n;
            }
        }
    }
}

/// Rows per multi-row statement: well under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

async fn write_batch(db: &Db, batch: &[Job]) -> Result<Vec<Outcome>, StoreError> {
    let mut outcomes = vec![Outcome::Duplicate; batch.len()];
    let mut candidates: Vec<usize> = Vec::with_capacity(batch.len());
    let packed: Vec<String> = batch
        .iter()
        .map(|(s, _)| serde_json::to_string(&s.answers).unwrap_or_default())
        .collect();
    write!(db, |p| {
        // Acknowledged means committed: the batch runs on a connection that is
        // outside any transaction, so BEGIN starts a real transaction and a
        // successful COMMIT is durable. After any error the connection is
        // closed rather than trusted again (the pool opens a fresh one).
        let mut conn = p.acquire().await?;
        if conn.is_in_transaction() {
            conn.close_on_drop();
            return Err(StoreError::Invalid(
                "writer connection was inside a transaction; replaced".into(),
            ));
        }
        let result: Result<(), StoreError> = async {
            let mut tx = (*conn).begin().await?;
            // Submissions with a single-use code consume it first, one by one.
            for (i, (s, _)) in batch.iter().enumerate() {
                let Some(h) = &s.code_hash else {
                    candidates.push(i);
                    continue;
                };
                let seen: (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM responses WHERE agency_id = $1 AND round_id = $2 AND id = $3",
                )
                .bind(&s.agency_id)
                .bind(&s.round_id)
                .bind(&s.id)
                .fetch_one(&mut *tx)
                .await?;
                if seen.0 > 0 {
                    continue;
                }
                let used = sqlx::query(
                    "UPDATE access_codes SET used = $1 WHERE agency_id = $2 AND round_id = $3 AND tool = $4 AND code_hash = $5 AND used = $6",
                )
                .bind(true)
                .bind(&s.agency_id)
                .bind(&s.round_id)
                .bind(&s.tool)
                .bind(h)
                .bind(false)
                .execute(&mut *tx)
                .await?;
                if used.rows_affected() == 0 {
                    outcomes[i] = Outcome::CodeRejected;
                } else {
                    candidates.push(i);
                }
            }
            // Every response in one statement per chunk; RETURNING names the new ones,
            // so a retried or repeated id is skipped without a lookup.
            let mut stored: std::collections::HashSet<(String, String, String)> =
                std::collections::HashSet::new();
            for chunk in candidates.chunks(ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO responses (agency_id, round_id, id, tool, day, answers) ",
                );
                qb.push_values(chunk, |mut b, &i| {
                    let s = &batch[i].0;
                    b.push_bind(s.agency_id.clone())
                        .push_bind(s.round_id.clone())
                        .push_bind(s.id.clone())
                        .push_bind(s.tool.clone())
                        .push_bind(s.day.clone())
                        .push_bind(packed[i].clone());
                });
                qb.push(" ON CONFLICT (agency_id, round_id, id) DO NOTHING RETURNING agency_id, round_id, id");
                let rows: Vec<(String, String, String)> =
                    qb.build_query_as().fetch_all(&mut *tx).await?;
                stored.extend(rows);
            }
            // Packed counts per (agency, round, tool), sorted so writers lock in one order.
            let mut deltas: BTreeMap<(String, String, String), (i64, Counts)> = BTreeMap::new();
            let mut claimed = std::collections::HashSet::new();
            for &i in &candidates {
                let s = &batch[i].0;
                let key = (s.agency_id.clone(), s.round_id.clone(), s.id.clone());
                // A repeated id inside one batch is stored once.
                if stored.contains(&key) && claimed.insert(key) {
                    outcomes[i] = Outcome::Stored;
                    let d = deltas
                        .entry((s.agency_id.clone(), s.round_id.clone(), s.tool.clone()))
                        .or_default();
                    d.0 += 1;
                    add_answers(&mut d.1, &s.answers);
                }
            }
            let rows: Vec<_> = deltas.iter().collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO tally_deltas (agency_id, round_id, id, tool, n, counts) ",
                );
                qb.push_values(chunk, |mut b, ((agency, round, tool), (n, counts))| {
                    b.push_bind(agency.clone())
                        .push_bind(round.clone())
                        .push_bind(crate::new_id())
                        .push_bind(tool.clone())
                        .push_bind(*n)
                        .push_bind(serde_json::to_string(counts).unwrap_or_default());
                });
                qb.build().execute(&mut *tx).await?;
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO response_counts (agency_id, round_id, tool, n) ",
                );
                qb.push_values(chunk, |mut b, ((agency, round, tool), (n, _))| {
                    b.push_bind(agency.clone())
                        .push_bind(round.clone())
                        .push_bind(tool.clone())
                        .push_bind(*n);
                });
                qb.push(" ON CONFLICT (agency_id, round_id, tool) DO UPDATE SET n = response_counts.n + excluded.n");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        if result.is_err() {
            conn.close_on_drop();
        }
        result?;
    });
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_and_merge() {
        let mut a = Counts::new();
        add_answers(&mut a, &BTreeMap::from([("i1".to_string(), vec![3, 0])]));
        add_answers(&mut a, &BTreeMap::from([("i1".to_string(), vec![3, 2])]));
        assert_eq!(a["i1"], vec![vec![0, 0, 0, 2], vec![1, 0, 1]]);
        let mut b = Counts::new();
        merge_counts(&mut b, &a);
        merge_counts(&mut b, &a);
        assert_eq!(b["i1"], vec![vec![0, 0, 0, 4], vec![2, 0, 2]]);
    }
}
