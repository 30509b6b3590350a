//! Deadline-proof ingestion of survey responses.
//!
//! A writer task takes submissions from a queue and writes them in batches:
//! every submission waiting when a transaction starts goes into it (group
//! commit). SQLite has one writer per process; PostgreSQL has
//! [`POSTGRES_WRITERS`], each owning the agencies whose id hashes to it. A submission is acknowledged only after its batch has
//! committed, so an acknowledged answer survives a crash. Each batch also
//! updates the per-agency tallies, in the same transaction, so scores and
//! counts never need the raw responses. A retried submission (same random id)
//! is stored once.
//!
//! Page saves of unfinished questionnaires (drafts) go through the same
//! writer and join the same transactions, and a finished questionnaire's
//! draft is deleted in the transaction that stores it: on a phone a
//! respondent's five pages cost a share of a few group commits, not six
//! fsyncs of their own. Work that needs no database (packing the answers,
//! hashing them) is done by the request before it queues, on whichever core
//! runs it, so the writers spend their time in the database.
//!
//! A batch is three groups of statements that do not depend on one
//! another ([`Together`]): the responses and the page saves; then what the
//! new responses add to their agencies' rows (tallies, hours, identical sets,
//! speeds), the budget of links with new drafts and the finished drafts;
//! then the new tally totals and counts. SQLite runs them one by one;
//! PostgreSQL gets each group as one statement, so a batch costs five round
//! trips (with BEGIN and COMMIT) instead of thirteen.
//!
//! On SQLite the fsync that makes a batch durable is taken out of the
//! writer's path: the batch commits with `synchronous = NORMAL` (its frames
//! are in the write-ahead log, not yet on the device), a second task syncs
//! the log file, and only then are the batch's submissions acknowledged.
//! The writer meanwhile runs the next batch, so the core it needs is no
//! longer idle for the length of an fsync per batch. An acknowledgement still
//! means the answer is on the device: the sync covers every frame written
//! before it started, and each batch is handed to the syncer after its
//! COMMIT returned. Every other write of the server keeps `synchronous =
//! FULL`, which the writer's connection is given back after each batch.

use crate::bulk::{Bulk, BulkConnection as _, PartRow, Together};
use crate::drafts::DraftSave;
use crate::health::StorageHealth;
use crate::{Db, StoreError, write};
use itas_core::quality::{SpeedBucket, is_straight};
use sqlx::Connection as _;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
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
    /// The hour it arrived (Asia/Bangkok, `YYYY-MM-DDTHH`): counted per agency
    /// for the burst flag, never stored with the answers.
    pub hour: String,
    /// How long the respondent took, as a bucket (counted, never stored with the answers).
    pub speed: SpeedBucket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The same submission id was stored before: nothing changed.
    Duplicate,
    /// The single-use code was used already (or never existed).
    CodeRejected,
}

/// A submission with what the writer needs from it computed by the request.
struct Prepared {
    s: Submission,
    /// The answers as stored.
    packed: String,
    /// SHA-256 of `packed`, for identical-set counts.
    vector: String,
    straight: bool,
    /// The draft this submission finishes (its token hash), deleted with it.
    finishes_draft: Option<String>,
}

impl Prepared {
    fn of(s: Submission, finishes_draft: Option<String>) -> Prepared {
        let packed = serde_json::to_string(&s.answers).unwrap_or_default();
        Prepared {
            vector: vector_hash(&packed),
            straight: is_straight(s.answers.values().flatten()),
            packed,
            s,
            finishes_draft,
        }
    }
}

enum Work {
    Submit(Box<Prepared>),
    SaveDraft(Box<DraftSave>),
}

/// What one piece of work came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Submitted(Outcome),
    /// A draft saved; how many of its link's least recently used drafts went.
    DraftSaved(u64),
}

type Job = (Work, oneshot::Sender<Result<Done, StoreError>>);

/// Submissions at most per transaction; a full batch commits in a few milliseconds.
pub const MAX_BATCH: usize = 512;

/// Writers on PostgreSQL, each owning the agencies whose id hashes to it
/// (their answers and their links' page saves): a batch only ever touches
/// its own agencies' count and tally rows, so writers never wait on one
/// another's locks, and the server's flushes overlap. Two, not more: with
/// fixed statements (see `bulk`) two writers' batches of about 16 gave
/// 4,651 to 5,399 answers/s where four writers' batches of 8 gave 3,872 to
/// 4,142 (2026-12-07, docs/benchmarks.md): each batch costs its round trips
/// whatever its size. SQLite has one writer: it takes one write
/// transaction at a time anyway.
pub const POSTGRES_WRITERS: usize = 2;

#[derive(Clone)]
pub struct Ingestor {
    /// One queue per writer.
    shards: Vec<mpsc::Sender<Job>>,
    stats: Arc<WriterStats>,
    hooks: Arc<Hooks>,
}

/// Faults a test can cause in the writer (never set by the server itself).
#[derive(Default)]
struct Hooks {
    panic_in_next_batch: std::sync::atomic::AtomicBool,
}

/// How long a writer that stopped waits before it runs again: a bug that
/// meets every batch costs one batch a second, not a loop that eats a core.
pub const RESTART_DELAY: std::time::Duration = std::time::Duration::from_millis(1000);

/// What the writer has done since it started: for `/healthz` and the
/// benchmark, which reads how busy the writers are at a plateau.
#[derive(Default, Debug)]
pub struct WriterStats {
    pub batches: AtomicU64,
    /// Submissions and page saves written.
    pub items: AtomicU64,
    /// Time inside a batch's transaction, from BEGIN to the end of COMMIT.
    pub busy_us: AtomicU64,
    /// Of which in COMMIT (on PostgreSQL its flush; on SQLite writing the
    /// log, whose fsync is the syncer's).
    pub commit_us: AtomicU64,
    /// SQLite: fsyncs of the log by the syncer, and the time they took
    /// (outside the writer's transactions, beside them).
    pub syncs: AtomicU64,
    pub sync_us: AtomicU64,
    /// Submissions and page saves whose batch the syncer has made durable,
    /// counted before any of them is acknowledged.
    pub synced_items: AtomicU64,
    /// Times the writer stopped (a panic) and was started again.
    pub restarts: AtomicU64,
}

impl WriterStats {
    /// `(batches, items, busy_us, commit_us)` now.
    pub fn snapshot(&self) -> (u64, u64, u64, u64) {
        (
            self.batches.load(Ordering::Relaxed),
            self.items.load(Ordering::Relaxed),
            self.busy_us.load(Ordering::Relaxed),
            self.commit_us.load(Ordering::Relaxed),
        )
    }

    /// `(syncs, sync_us)` now.
    pub fn syncs(&self) -> (u64, u64) {
        (
            self.syncs.load(Ordering::Relaxed),
            self.sync_us.load(Ordering::Relaxed),
        )
    }
}

impl Ingestor {
    /// Starts the writer task on the current Tokio runtime; every batch's
    /// outcome is recorded in `health`.
    pub fn spawn(db: Db, health: Arc<StorageHealth>) -> Ingestor {
        let stats = Arc::new(WriterStats::default());
        let hooks = Arc::new(Hooks::default());
        let h = hooks.clone();
        let mut shards = Vec::new();
        match db.sqlite_wal() {
            Some(wal) => {
                let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 16);
                shards.push(tx);
                let (sync_tx, sync_rx) = mpsc::unbounded_channel();
                tokio::spawn(syncer(wal, health.clone(), stats.clone(), sync_rx));
                let durable = Durable::AfterSync(sync_tx);
                // A thread of its own: the writer's many short awaits on
                // SQLite's worker thread are answered at once instead of
                // queueing behind request handlers for a runtime thread.
                // (A SQLite connection is a thread and channels, so it
                // serves any runtime; PostgreSQL's sockets stay on theirs.)
                let st = stats.clone();
                std::thread::Builder::new()
                    .name("itas-writer".into())
                    .spawn(move || {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("the response writer's runtime");
                        rt.block_on(supervised(db, health, st, h, rx, durable));
                    })
                    .expect("the response writer's thread");
            }
            None => {
                let writers = match db.backend() {
                    crate::Backend::Postgres => POSTGRES_WRITERS,
                    crate::Backend::Sqlite => 1,
                };
                for _ in 0..writers {
                    let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 16 / writers);
                    shards.push(tx);
                    tokio::spawn(supervised(
                        db.clone(),
                        health.clone(),
                        stats.clone(),
                        h.clone(),
                        rx,
                        Durable::AtCommit,
                    ));
                }
            }
        }
        Ingestor {
            shards,
            stats,
            hooks,
        }
    }

    /// Makes the writer panic in the next batch it takes, as a bug would:
    /// for the tests of its supervision, never called by the server.
    #[doc(hidden)]
    pub fn panic_in_next_batch_for_tests(&self) {
        self.hooks.panic_in_next_batch.store(true, Ordering::SeqCst);
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Submissions queued for the writer now.
    pub fn queue_depth(&self) -> usize {
        self.shards
            .iter()
            .map(|tx| tx.max_capacity() - tx.capacity())
            .sum()
    }

    /// The writer that owns this work's rows: an agency's answers and its
    /// links' page saves always go to the same writer, so a draft's save and
    /// its deletion by the submission that ends it never meet on two.
    fn shard_of(&self, work: &Work) -> &mpsc::Sender<Job> {
        let key = match work {
            Work::Submit(p) => p.s.agency_id.as_str(),
            Work::SaveDraft(d) => d.agency_id.as_str(),
        };
        // FNV-1a: stable, and enough to spread random ids.
        let h = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        &self.shards[(h % self.shards.len() as u64) as usize]
    }

    /// Queues a submission and waits until it is durable (or refused).
    pub async fn submit(&self, s: Submission) -> Result<Outcome, StoreError> {
        self.submit_finishing_draft(s, None).await
    }

    /// Queues a submission that finishes the draft with token hash
    /// `draft`: once stored (or found stored before), the draft is deleted in
    /// the same transaction.
    pub async fn submit_finishing_draft(
        &self,
        s: Submission,
        draft: Option<String>,
    ) -> Result<Outcome, StoreError> {
        let work = Work::Submit(Box::new(Prepared::of(s, draft)));
        match self.run(work).await? {
            Done::Submitted(o) => Ok(o),
            Done::DraftSaved(_) => Err(StoreError::Invalid("writer answered out of kind".into())),
        }
    }

    /// Queues a page save and waits until it is durable. Returns how many of
    /// the link's least recently used drafts were evicted to make room.
    pub async fn save_draft(&self, save: DraftSave) -> Result<u64, StoreError> {
        match self.run(Work::SaveDraft(Box::new(save))).await? {
            Done::DraftSaved(n) => Ok(n),
            Done::Submitted(_) => Err(StoreError::Invalid("writer answered out of kind".into())),
        }
    }

    async fn run(&self, work: Work) -> Result<Done, StoreError> {
        let (ack, wait) = oneshot::channel();
        let stopped = || {
            StoreError::Fault(
                crate::health::FaultKind::WriterRestarting,
                "the response writer stopped before this was stored".into(),
            )
        };
        self.shard_of(&work)
            .send((work, ack))
            .await
            .map_err(|_| stopped())?;
        // A batch the writer dropped (it panicked) answers here as refused:
        // nothing of it was committed, so a retry is safe.
        wait.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// A committed batch's answers, each with the one who waits for it.
type Acks = Vec<(oneshot::Sender<Result<Done, StoreError>>, Done)>;

/// When a committed batch is durable.
enum Durable {
    /// At COMMIT (PostgreSQL; SQLite in memory).
    AtCommit,
    /// Once the syncer has synced SQLite's log after it.
    AfterSync(mpsc::UnboundedSender<Acks>),
}

/// Runs the writer, and runs it again whenever it stops by a panic: the
/// batch it held is refused (its waiters are told so, and nothing of it was
/// committed), `health` says `writer_restarting` for [`RESTART_DELAY`], and
/// the queue, with everything waiting in it, is served again. It ends only
/// when every sender is gone (the server stopped).
async fn supervised(
    db: Db,
    health: Arc<StorageHealth>,
    stats: Arc<WriterStats>,
    hooks: Arc<Hooks>,
    mut rx: mpsc::Receiver<Job>,
    durable: Durable,
) {
    use futures_util::FutureExt as _;
    loop {
        let run = writer(&db, &health, &stats, &hooks, &mut rx, &durable);
        match std::panic::AssertUnwindSafe(run).catch_unwind().await {
            Ok(()) => return,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                health.writer_stopped(&what);
                tracing::error!(panic = %what, "the response writer stopped; its batch was refused; starting it again");
                tokio::time::sleep(RESTART_DELAY).await;
                stats.restarts.fetch_add(1, Ordering::Relaxed);
                health.writer_running();
                tracing::warn!("the response writer runs again");
            }
        }
    }
}

/// Marks the writer down when dropped by a panic's unwinding.
struct DownOnPanic<'a>(&'a StorageHealth);

impl Drop for DownOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.writer_stopped("the response writer panicked");
        }
    }
}

async fn writer(
    db: &Db,
    health: &StorageHealth,
    stats: &WriterStats,
    hooks: &Hooks,
    rx: &mut mpsc::Receiver<Job>,
    durable: &Durable,
) {
    let log_synced_later = matches!(durable, Durable::AfterSync(_));
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    // Declared after the batch, so dropped before it when a panic unwinds:
    // `/healthz` says the writer is down before anyone waiting on the batch
    // is told it was refused.
    let _down_on_panic = DownOnPanic(health);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if hooks.panic_in_next_batch.swap(false, Ordering::SeqCst) {
            panic!("the response writer panics (a test asked it to)");
        }
        let t = Instant::now();
        let mut result = write_batch(db, &batch, stats, log_synced_later).await;
        // A transient failure (pool exhausted, a PostgreSQL restart) gets retries for about 6 s;
        // the batch is all-or-nothing, so retrying is safe.
        let mut tries = 0;
        while let Err(e) = &result {
            if tries >= 6 || !e.is_transient() {
                break;
            }
            tries += 1;
            tokio::time::sleep(std::time::Duration::from_millis(50 << tries)).await;
            result = write_batch(db, &batch, stats, log_synced_later).await;
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.items.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats
            .busy_us
            .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
        match (result, durable) {
            (Ok(outcomes), Durable::AtCommit) => {
                health.record_ok();
                for ((_, ack), o) in batch.drain(..).zip(outcomes) {
                    let _ = ack.send(Ok(o));
                }
            }
            (Ok(outcomes), Durable::AfterSync(syncer)) => {
                // The syncer records the health: committed is not yet durable.
                let acks: Acks = batch.drain(..).map(|(_, ack)| ack).zip(outcomes).collect();
                if let Err(mpsc::error::SendError(acks)) = syncer.send(acks) {
                    for (ack, _) in acks {
                        let _ = ack.send(Err(StoreError::Invalid("the syncer has stopped".into())));
                    }
                }
            }
            (Err(e), _) => {
                health.record_error(&e);
                tracing::error!(error = %e, size = batch.len(), "batch of responses not stored");
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Err(e.same_kind()));
                }
            }
        }
    }
}

/// Makes committed batches durable: syncs SQLite's write-ahead log, then
/// acknowledges every batch that had committed before the sync began. Batches
/// that commit while a sync runs wait for the next one, which covers them all.
async fn syncer(
    wal: Arc<std::path::Path>,
    health: Arc<StorageHealth>,
    stats: Arc<WriterStats>,
    mut rx: mpsc::UnboundedReceiver<Acks>,
) {
    while let Some(first) = rx.recv().await {
        let mut groups = vec![first];
        while let Ok(more) = rx.try_recv() {
            groups.push(more);
        }
        let t = Instant::now();
        let path = wal.clone();
        let synced = tokio::task::spawn_blocking(move || sync_log(&path))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        stats.syncs.fetch_add(1, Ordering::Relaxed);
        stats
            .sync_us
            .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
        let result: Result<(), StoreError> = synced.map_err(|e| {
            let kind = if e.raw_os_error() == Some(28) {
                crate::health::FaultKind::DiskFull // ENOSPC
            } else {
                crate::health::FaultKind::Io
            };
            StoreError::Fault(kind, format!("syncing the write-ahead log: {e}"))
        });
        health.record(&result);
        let n: usize = groups.iter().map(Vec::len).sum();
        match &result {
            Ok(()) => {
                stats.synced_items.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::error!(error = %e, size = n, "committed responses not known to be durable; refused");
            }
        }
        for (ack, done) in groups.into_iter().flatten() {
            let _ = ack.send(match &result {
                Ok(()) => Ok(done),
                Err(e) => Err(e.same_kind()),
            });
        }
    }
}

/// fdatasync of the log file, as SQLite's own FULL commit does. A log that
/// is gone was checkpointed into the database file and synced by the last
/// connection that closed, so what it held is durable already.
fn sync_log(path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

type Key = (String, String, String);

/// The submission at `i` of a batch (the caller knows it is one).
fn submission(batch: &[Job], i: usize) -> &Prepared {
    match &batch[i].0 {
        Work::Submit(p) => p,
        Work::SaveDraft(_) => unreachable!("index {i} is a draft, not a submission"),
    }
}

/// What one batch adds for one (agency, round, tool).
#[derive(Default)]
struct Agg {
    n: i64,
    counts: Counts,
    straight: i64,
    duplicates: i64,
    largest: i64,
    peak_hour: i64,
    hours: BTreeMap<String, i64>,
    vectors: BTreeMap<String, i64>,
    speeds: BTreeMap<&'static str, i64>,
}

/// The SHA-256 of a packed answer set: equal answers, equal hash.
fn vector_hash(packed: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(packed.as_bytes()))
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

/// Each link's drafts and bytes once the finished drafts are gone: `usage`
/// was read before they were deleted (rows of link, drafts, bytes), and
/// `finished` names each one deleted (link, 1, bytes).
fn usage_after(usage: Vec<PartRow>, finished: Vec<PartRow>) -> Vec<(String, i64, i64)> {
    let mut links: BTreeMap<String, (i64, i64)> = usage
        .into_iter()
        .map(|(link, _, _, _, rows, bytes)| (link, (rows, bytes)))
        .collect();
    for (link, _, _, _, _, bytes) in finished {
        if let Some(u) = links.get_mut(&link) {
            u.0 -= 1;
            u.1 -= bytes;
        }
    }
    links
        .into_iter()
        .map(|(link, (rows, bytes))| (link, rows, bytes))
        .collect()
}

/// Adds packed counts to packed counts.
pub fn merge_counts(into: &mut Counts, from: &Counts) {
    itas_core::parts::add(into, from);
}

/// One column of a bulk statement: a value per row.
fn column<T, V>(rows: &[T], value: impl Fn(&T) -> V) -> Vec<V> {
    rows.iter().map(value).collect()
}

/// A bulk statement over (agency, round, tool) keys.
fn keyed(statement: Bulk, keys: &[&Key]) -> Bulk {
    statement
        .text(column(keys, |k| k.0.clone()))
        .text(column(keys, |k| k.1.clone()))
        .text(column(keys, |k| k.2.clone()))
}

/// A bulk statement over (agency, round, tool, what, count) rows.
fn keyed_counts(statement: Bulk, rows: &[(&Key, &str, i64)]) -> Bulk {
    let keys: Vec<&Key> = rows.iter().map(|r| r.0).collect();
    keyed(statement, &keys)
        .text(column(rows, |r| r.1.to_string()))
        .int(column(rows, |r| r.2))
}

/// Writes one batch in one transaction. With `log_synced_later` (SQLite on
/// disk) the COMMIT does not wait for the device; the caller acknowledges
/// only after the syncer has synced the log.
async fn write_batch(
    db: &Db,
    batch: &[Job],
    stats: &WriterStats,
    log_synced_later: bool,
) -> Result<Vec<Done>, StoreError> {
    let mut outcomes: Vec<Done> = batch
        .iter()
        .map(|(w, _)| match w {
            Work::Submit(_) => Done::Submitted(Outcome::Duplicate),
            Work::SaveDraft(_) => Done::DraftSaved(0),
        })
        .collect();
    let subs: Vec<(usize, &Prepared)> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, (w, _))| match w {
            Work::Submit(p) => Some((i, &**p)),
            Work::SaveDraft(_) => None,
        })
        .collect();
    let mut candidates: Vec<usize> = Vec::with_capacity(subs.len());
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
            if log_synced_later {
                sqlx::query("PRAGMA synchronous = NORMAL")
                    .execute(&mut *conn)
                    .await?;
            }
            let mut tx = (*conn).begin().await?;
            // Submissions with a single-use code consume it first, one by one.
            for (i, prepared) in subs.iter().copied() {
                let s = &prepared.s;
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
                    outcomes[i] = Done::Submitted(Outcome::CodeRejected);
                } else {
                    candidates.push(i);
                }
            }
            // Drafts: every page save of the batch (the last save of a draft
            // wins); the drafts of questionnaires now stored (or stored
            // before) are deleted further on.
            let mut saves: BTreeMap<&str, (usize, &DraftSave)> = BTreeMap::new();
            let mut finished: Vec<String> = Vec::new();
            for (i, (w, _)) in batch.iter().enumerate() {
                match w {
                    Work::SaveDraft(save) => {
                        saves.insert(save.token_hash.as_str(), (i, &**save));
                    }
                    Work::Submit(p) => {
                        if let Some(token) = &p.finishes_draft
                            && outcomes[i] != Done::Submitted(Outcome::CodeRejected)
                        {
                            finished.push(token.clone());
                        }
                    }
                }
            }
            let saves: Vec<(usize, &DraftSave)> = saves.into_values().collect();

            // First together: the responses and the page saves. RETURNING
            // names the new responses, so a retried or repeated id is
            // skipped without a lookup. A saved draft becomes the most
            // recently used: its `touched` is past every draft saved before.
            let responses = Bulk::new(
                "INSERT INTO responses (agency_id, round_id, id, tool, day, answers) ",
                " ON CONFLICT (agency_id, round_id, id) DO NOTHING \
                 RETURNING agency_id, round_id, id, '', CAST(0 AS BIGINT), CAST(0 AS BIGINT)",
            )
            .text(column(&candidates, |&i| submission(batch, i).s.agency_id.clone()))
            .text(column(&candidates, |&i| submission(batch, i).s.round_id.clone()))
            .text(column(&candidates, |&i| submission(batch, i).s.id.clone()))
            .text(column(&candidates, |&i| submission(batch, i).s.tool.clone()))
            .text(column(&candidates, |&i| submission(batch, i).s.day.clone()))
            .text(column(&candidates, |&i| submission(batch, i).packed.clone()));
            let upsert = Bulk::new(
                "INSERT INTO drafts (token_hash, link_code, submission_id, answers, day, bytes, touched) \
                 SELECT saved.*, (SELECT COALESCE(MAX(touched), 0) FROM drafts) + ROW_NUMBER() OVER () \
                 FROM (",
                ") AS saved WHERE true ON CONFLICT (token_hash) DO UPDATE SET answers = excluded.answers, \
                 day = excluded.day, link_code = excluded.link_code, \
                 bytes = excluded.bytes, touched = excluded.touched \
                 RETURNING '', '', '', '', touched, CAST(0 AS BIGINT)",
            )
            .text(column(&saves, |(_, d)| d.token_hash.clone()))
            .text(column(&saves, |(_, d)| d.draft.link_code.clone()))
            .text(column(&saves, |(_, d)| d.draft.submission_id.clone()))
            .text(column(&saves, |(_, d)| d.draft.answers.clone()))
            .text(column(&saves, |(_, d)| d.day.clone()))
            .int(column(&saves, |(_, d)| d.draft.answers.len() as i64));
            let [stored, touched]: [Vec<PartRow>; 2] = tx
                .run_together(&Together::new().fetch(&responses).fetch(&upsert))
                .await?
                .try_into()
                .map_err(|_| StoreError::Invalid("a group of statements answered for other parts".into()))?;
            let stored: std::collections::HashSet<Key> =
                stored.into_iter().map(|(a, r, id, ..)| (a, r, id)).collect();
            // Every draft saved before this batch has a smaller `touched`.
            let before_batch = touched.iter().map(|row| row.4).min().unwrap_or(0) - 1;

            // Aggregates per (agency, round, tool), sorted so writers lock in one order.
            let mut aggs: BTreeMap<Key, Agg> = BTreeMap::new();
            let mut claimed = std::collections::HashSet::new();
            for &i in &candidates {
                let p = submission(batch, i);
                let s = &p.s;
                let key = (s.agency_id.clone(), s.round_id.clone(), s.id.clone());
                // A repeated id inside one batch is stored once.
                if stored.contains(&key) && claimed.insert(key) {
                    outcomes[i] = Done::Submitted(Outcome::Stored);
                    let a = aggs
                        .entry((s.agency_id.clone(), s.round_id.clone(), s.tool.clone()))
                        .or_default();
                    a.n += 1;
                    add_answers(&mut a.counts, &s.answers);
                    if p.straight {
                        a.straight += 1;
                    }
                    *a.hours.entry(s.hour.clone()).or_default() += 1;
                    *a.vectors.entry(p.vector.clone()).or_default() += 1;
                    *a.speeds.entry(s.speed.code()).or_default() += 1;
                }
            }

            // Second together: what the new responses add to the agency's
            // rows, the budget of links that got new drafts, and the
            // finished drafts.
            //
            // Tallies: the batch merges into the agency's total row in this
            // transaction (DELETE … RETURNING takes what is there, so two
            // servers merging at once never count a row twice), and the new
            // total gets a random id: no row keeps one batch, let alone one
            // respondent, with anything that dates it.
            let keys: Vec<&Key> = aggs.keys().collect();
            let taken = keyed(
                Bulk::new(
                    "DELETE FROM tally_deltas WHERE (agency_id, round_id, tool) IN (",
                    ") RETURNING agency_id, round_id, tool, counts, n, CAST(0 AS BIGINT)",
                ),
                &keys,
            );
            // Submissions per hour; the busiest hour so far.
            let hours: Vec<(&Key, &str, i64)> = aggs
                .iter()
                .flat_map(|(k, a)| a.hours.iter().map(move |(h, c)| (k, h.as_str(), *c)))
                .collect();
            let hourly = keyed_counts(
                Bulk::new(
                    "INSERT INTO hourly_counts (agency_id, round_id, tool, hour, n) ",
                    " ON CONFLICT (agency_id, round_id, tool, hour) DO UPDATE SET n = hourly_counts.n + excluded.n \
                     RETURNING agency_id, round_id, tool, '', n, CAST(0 AS BIGINT)",
                ),
                &hours,
            );
            // Identical answer sets: how many responses share each one.
            let vectors: Vec<(&Key, &str, i64)> = aggs
                .iter()
                .flat_map(|(k, a)| a.vectors.iter().map(move |(h, c)| (k, h.as_str(), *c)))
                .collect();
            let batch_count: std::collections::HashMap<(Key, String), i64> = vectors
                .iter()
                .map(|(k, h, c)| (((*k).clone(), h.to_string()), *c))
                .collect();
            let shared = keyed_counts(
                Bulk::new(
                    "INSERT INTO answer_vectors (agency_id, round_id, tool, vector_hash, n) ",
                    " ON CONFLICT (agency_id, round_id, tool, vector_hash) DO UPDATE SET n = answer_vectors.n + excluded.n \
                     RETURNING agency_id, round_id, tool, vector_hash, n, CAST(0 AS BIGINT)",
                ),
                &vectors,
            );
            // Completion speed buckets.
            let speeds: Vec<(&Key, &str, i64)> = aggs
                .iter()
                .flat_map(|(k, a)| a.speeds.iter().map(move |(b, c)| (k, *b, *c)))
                .collect();
            let speed = keyed_counts(
                Bulk::new(
                    "INSERT INTO speed_counts (agency_id, round_id, tool, bucket, n) ",
                    " ON CONFLICT (agency_id, round_id, tool, bucket) DO UPDATE SET n = speed_counts.n + excluded.n",
                ),
                &speeds,
            );
            // A link that new drafts take past its budget loses its least
            // recently used drafts from before this batch. Its use is read
            // before the finished drafts go (PostgreSQL reads both on one
            // snapshot anyway) and the finished ones are taken off after.
            let mut new_by_link: BTreeMap<&str, (usize, &DraftSave)> = BTreeMap::new();
            for (i, d) in &saves {
                if d.is_new {
                    new_by_link.entry(d.draft.link_code.as_str()).or_insert((*i, *d));
                }
            }
            let links: Vec<(&str, (usize, &DraftSave))> = new_by_link.into_iter().collect();
            let usage = Bulk::new(
                "SELECT link_code, '', '', '', COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) \
                 FROM drafts WHERE link_code IN (",
                ") GROUP BY link_code",
            )
            .text(column(&links, |(link, _)| link.to_string()));
            let finish = Bulk::new(
                "DELETE FROM drafts WHERE token_hash IN (",
                ") RETURNING link_code, '', '', '', CAST(1 AS BIGINT), bytes",
            )
            .text(finished);
            let [old, hourly, shared, _, usage, finished]: [Vec<PartRow>; 6] = tx
                .run_together(
                    &Together::new()
                        .fetch(&taken)
                        .fetch(&hourly)
                        .fetch(&shared)
                        .execute(&speed)
                        .fetch(&usage)
                        .fetch(&finish),
                )
                .await?
                .try_into()
                .map_err(|_| StoreError::Invalid("a group of statements answered for other parts".into()))?;
            let mut totals: BTreeMap<Key, (i64, Counts)> = aggs
                .iter()
                .map(|(k, a)| (k.clone(), (a.n, a.counts.clone())))
                .collect();
            for (agency, round, tool, c, k, _) in old {
                let c: Counts = serde_json::from_str(&c)
                    .map_err(|e| StoreError::Invalid(format!("tally: {e}")))?;
                if let Some(t) = totals.get_mut(&(agency, round, tool)) {
                    t.0 += k;
                    merge_counts(&mut t.1, &c);
                }
            }
            for (agency, round, tool, _, n, _) in hourly {
                if let Some(a) = aggs.get_mut(&(agency, round, tool)) {
                    a.peak_hour = a.peak_hour.max(n);
                }
            }
            for (agency, round, tool, hash, n, _) in shared {
                let key = (agency, round, tool);
                let added = batch_count.get(&(key.clone(), hash)).copied().unwrap_or(0);
                if let Some(a) = aggs.get_mut(&key) {
                    // Responses in clusters of two or more: f(n) - f(n - added).
                    let in_cluster = |x: i64| if x >= 2 { x } else { 0 };
                    a.duplicates += in_cluster(n) - in_cluster(n - added);
                    a.largest = a.largest.max(n);
                }
            }

            // Third together: the new tally totals and the counts.
            let totals: Vec<(&Key, &(i64, Counts))> = totals.iter().collect();
            let tallies = Bulk::new(
                "INSERT INTO tally_deltas (agency_id, round_id, id, tool, n, counts) ",
                "",
            )
            .text(column(&totals, |(k, _)| k.0.clone()))
            .text(column(&totals, |(k, _)| k.1.clone()))
            .text(column(&totals, |_| crate::random_id()))
            .text(column(&totals, |(k, _)| k.2.clone()))
            .int(column(&totals, |(_, (n, _))| *n))
            .text(column(&totals, |(_, (_, c))| {
                serde_json::to_string(c).unwrap_or_default()
            }));
            let rows: Vec<(&Key, &Agg)> = aggs.iter().collect();
            let counts = Bulk::new(
                "INSERT INTO response_counts (agency_id, round_id, tool, n, straight, duplicates, largest_cluster, peak_hour) ",
                " ON CONFLICT (agency_id, round_id, tool) DO UPDATE SET n = response_counts.n + excluded.n, \
                 straight = response_counts.straight + excluded.straight, \
                 duplicates = response_counts.duplicates + excluded.duplicates, \
                 largest_cluster = CASE WHEN excluded.largest_cluster > response_counts.largest_cluster THEN excluded.largest_cluster ELSE response_counts.largest_cluster END, \
                 peak_hour = CASE WHEN excluded.peak_hour > response_counts.peak_hour THEN excluded.peak_hour ELSE response_counts.peak_hour END",
            )
            .text(column(&rows, |(k, _)| k.0.clone()))
            .text(column(&rows, |(k, _)| k.1.clone()))
            .text(column(&rows, |(k, _)| k.2.clone()))
            .int(column(&rows, |(_, a)| a.n))
            .int(column(&rows, |(_, a)| a.straight))
            .int(column(&rows, |(_, a)| a.duplicates))
            .int(column(&rows, |(_, a)| a.largest))
            .int(column(&rows, |(_, a)| a.peak_hour));
            tx.run_together(&Together::new().execute(&tallies).execute(&counts))
                .await?;

            // Links over their draft budget, if any: one statement each.
            for (link, rows, used) in usage_after(usage, finished) {
                let Some((_, (i, d))) = links.iter().find(|(l, _)| *l == link) else {
                    continue;
                };
                let b = &d.budget;
                let excess =
                    crate::drafts::over_budget(rows, used, b.per_link_rows, b.per_link_bytes);
                if excess == 0 {
                    continue;
                }
                let evicted = sqlx::query(
                    "DELETE FROM drafts WHERE token_hash IN \
                     (SELECT token_hash FROM drafts WHERE link_code = $1 AND touched <= $2 \
                      ORDER BY touched LIMIT $3)",
                )
                .bind(&link)
                .bind(before_batch)
                .bind(excess)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                outcomes[*i] = Done::DraftSaved(evicted);
                tracing::warn!(
                    link,
                    evicted,
                    "survey link over its draft budget; least recently used drafts evicted"
                );
            }
            let t = Instant::now();
            tx.commit().await?;
            stats
                .commit_us
                .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
            if log_synced_later {
                // The connection serves every other write of the server next,
                // and those are durable at their own COMMIT.
                sqlx::query("PRAGMA synchronous = FULL")
                    .execute(&mut *conn)
                    .await?;
            }
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
    fn a_links_use_leaves_out_the_drafts_its_questionnaires_finished() {
        let row = |link: &str, rows: i64, bytes: i64| -> PartRow {
            (
                link.into(),
                String::new(),
                String::new(),
                String::new(),
                rows,
                bytes,
            )
        };
        let usage = vec![row("a", 5, 500), row("b", 2, 40)];
        // Two of link a's drafts finished, and a finished draft of a link
        // without new drafts (not read, so nothing to take off).
        let finished = vec![row("a", 1, 100), row("a", 1, 150), row("c", 1, 9)];
        assert_eq!(
            usage_after(usage, finished),
            vec![("a".to_string(), 3, 250), ("b".to_string(), 2, 40)]
        );
    }

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
