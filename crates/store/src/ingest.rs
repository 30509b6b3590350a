//! Deadline-proof ingestion of survey responses.
//!
//! One writer task per process takes submissions from a queue and writes them
//! in batches: every submission waiting when a transaction starts goes into
//! it (group commit). A submission is acknowledged only after its batch has
//! committed, so an acknowledged answer survives a crash. Each batch also
//! updates the per-agency tallies, in the same transaction, so scores and
//! counts never need the raw responses. A retried submission (same random id)
//! is stored once.

use crate::{Db, StoreError, write};
use std::collections::BTreeMap;
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

type Job = (Submission, oneshot::Sender<Result<Outcome, String>>);

/// Submissions at most per transaction; a full batch commits in a few milliseconds.
pub const MAX_BATCH: usize = 512;

#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Starts the writer task on the current Tokio runtime.
    pub fn spawn(db: Db) -> Ingestor {
        let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 16);
        tokio::spawn(writer(db, rx));
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
            Ok(Err(e)) => Err(StoreError::Invalid(format!("not stored: {e}"))),
            Err(_) => Err(StoreError::Invalid("the writer has stopped".into())),
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>) {
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
        // A transient failure (pool exhausted, a PostgreSQL restart) gets a few retries;
        // the batch is all-or-nothing, so retrying is safe.
        let mut tries = 0;
        while let Err(e) = &result {
            if tries >= 5 || !e.is_transient() {
                break;
            }
            tries += 1;
            tokio::time::sleep(std::time::Duration::from_millis(50 << tries)).await;
            result = write_batch(&db, &batch).await;
        }
        match result {
            Ok(outcomes) => {
                for ((_, ack), o) in batch.drain(..).zip(outcomes) {
                    let _ = ack.send(Ok(o));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "batch of responses not stored");
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Err(e.to_string()));
                }
            }
        }
    }
}

type TallyKey = (String, String, String, i64, i64);

async fn write_batch(db: &Db, batch: &[Job]) -> Result<Vec<Outcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(batch.len());
    // Sorted keys: every writer locks rows in the same order, so two servers
    // on one PostgreSQL never deadlock on the tallies.
    let mut tallies: BTreeMap<TallyKey, i64> = BTreeMap::new();
    let mut counts: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (s, _) in batch {
            if let Some(h) = &s.code_hash {
                let seen: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM responses WHERE agency_id = $1 AND round_id = $2 AND id = $3")
                    .bind(&s.agency_id)
                    .bind(&s.round_id)
                    .bind(&s.id)
                    .fetch_one(&mut *tx)
                    .await?;
                if seen.0 > 0 {
                    outcomes.push(Outcome::Duplicate);
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
                    outcomes.push(Outcome::CodeRejected);
                    continue;
                }
            }
            let answers = serde_json::to_string(&s.answers)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let r = sqlx::query(
                "INSERT INTO responses (agency_id, round_id, id, tool, day, answers) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (agency_id, round_id, id) DO NOTHING",
            )
            .bind(&s.agency_id)
            .bind(&s.round_id)
            .bind(&s.id)
            .bind(&s.tool)
            .bind(&s.day)
            .bind(answers)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                outcomes.push(Outcome::Duplicate);
                continue;
            }
            for (item, cells) in &s.answers {
                for (cell, option) in cells.iter().enumerate() {
                    let key = (
                        s.agency_id.clone(),
                        s.round_id.clone(),
                        item.clone(),
                        cell as i64,
                        *option as i64,
                    );
                    *tallies.entry(key).or_default() += 1;
                }
            }
            *counts
                .entry((s.agency_id.clone(), s.round_id.clone(), s.tool.clone()))
                .or_default() += 1;
            outcomes.push(Outcome::Stored);
        }
        for ((agency, round, item, cell, option), n) in &tallies {
            sqlx::query(
                "INSERT INTO tallies (agency_id, round_id, item, cell, option_index, n) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (agency_id, round_id, item, cell, option_index) DO UPDATE SET n = tallies.n + excluded.n",
            )
            .bind(agency)
            .bind(round)
            .bind(item)
            .bind(cell)
            .bind(option)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        }
        for ((agency, round, tool), n) in &counts {
            sqlx::query(
                "INSERT INTO response_counts (agency_id, round_id, tool, n) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (agency_id, round_id, tool) DO UPDATE SET n = response_counts.n + excluded.n",
            )
            .bind(agency)
            .bind(round)
            .bind(tool)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    });
    Ok(outcomes)
}
