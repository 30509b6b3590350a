//! Documents made on request (report PDFs and DOCX, infographics), made a
//! few at a time and kept once made.
//!
//! Typesetting a report takes tens of megabytes for a moment. Anyone may
//! download a published report, so 200 people (or one script) asking at once
//! used to make 200 at once: 1.3 GB. Here at most [`Renders::permits`]
//! documents are made at the same time (one per core), a few more requests
//! wait their turn, and the rest are answered `503` with `Retry-After` at
//! once. A document once made is kept (up to [`KEPT_BYTES`] in all, least
//! recently used out first) under a fingerprint of everything it is made
//! from, so a change to the scores, the plan or the page makes a new one and
//! the old one is never served again; requests for a document being made
//! wait for it rather than making it again.

use axum::body::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes of made documents kept in all (a report is 100 to 400 KB).
pub const KEPT_BYTES: usize = 64 << 20;

/// Requests that may wait for a turn, per permit, before the next is refused.
const WAITING_PER_PERMIT: usize = 4;

/// Why a document was not given.
#[derive(Debug)]
pub enum RenderError {
    /// Every permit and waiting place is taken: try again shortly.
    Busy,
    /// Making it failed (the detail is for the log).
    Failed(String),
}

type Flight = Arc<tokio::sync::OnceCell<Bytes>>;

pub struct Renders {
    permits: tokio::sync::Semaphore,
    permit_count: usize,
    /// Requests holding or waiting for a permit.
    in_line: AtomicUsize,
    kept: Mutex<Kept>,
    flights: Mutex<HashMap<String, Flight>>,
    /// Documents made (for the bench and tests).
    pub made: AtomicUsize,
}

#[derive(Default)]
struct Kept {
    docs: HashMap<String, Bytes>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Default for Renders {
    fn default() -> Renders {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Renders::new(cores.clamp(1, 4))
    }
}

/// The metric of render times, by kind of document.
pub const DURATION_METRIC: &str = "itas_render_duration_seconds";

/// The kind a key was made for, from the fixed list of kinds the server
/// renders (a metric label: never taken from a request).
fn kind_of(key: &str) -> &'static str {
    const KINDS: &[&str] = &["report.pdf", "report.docx", "infographic.pdf"];
    let kind = key.split(':').next().unwrap_or("");
    KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

impl Renders {
    pub fn new(permits: usize) -> Renders {
        Renders {
            permits: tokio::sync::Semaphore::new(permits),
            permit_count: permits,
            in_line: AtomicUsize::new(0),
            kept: Mutex::default(),
            flights: Mutex::default(),
            made: AtomicUsize::new(0),
        }
    }

    /// Documents made at the same time at most.
    pub fn permits(&self) -> usize {
        self.permit_count
    }

    /// The fingerprint of a document's inputs: the kind (with its options)
    /// and everything it is made from, as its `Debug` form shows it.
    pub fn key(kind: &str, source: &impl std::fmt::Debug) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(format!("{source:?}").as_bytes());
        format!("{kind}:{}", hex::encode(h.finalize()))
    }

    /// The document kept under `key` (made by [`Renders::key`]), or made now by `make` (on a blocking
    /// thread, within the permits) and kept.
    pub async fn get_or_make(
        &self,
        key: String,
        make: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
    ) -> Result<Bytes, RenderError> {
        if let Some(doc) = self.kept_doc(&key) {
            return Ok(doc);
        }
        let flight = self
            .flights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        let made = flight
            .get_or_try_init(|| self.make_in_turn(kind_of(&key), make))
            .await
            .cloned();
        if let Ok(doc) = &made {
            self.keep(&key, doc.clone());
        }
        // The flight is over either way: a failed one is tried afresh.
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            flights.remove(&key);
        }
        made
    }

    async fn make_in_turn(
        &self,
        kind: &'static str,
        make: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
    ) -> Result<Bytes, RenderError> {
        let limit = self.permit_count * (1 + WAITING_PER_PERMIT);
        if self.in_line.fetch_add(1, Ordering::SeqCst) >= limit {
            self.in_line.fetch_sub(1, Ordering::SeqCst);
            return Err(RenderError::Busy);
        }
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _leave = Leave(&self.in_line);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| RenderError::Failed(e.to_string()))?;
        let started = std::time::Instant::now();
        let doc = tokio::task::spawn_blocking(make)
            .await
            .map_err(|e| RenderError::Failed(e.to_string()))?
            .map_err(RenderError::Failed)?;
        metrics::histogram!(DURATION_METRIC, "kind" => kind)
            .record(started.elapsed().as_secs_f64());
        self.made.fetch_add(1, Ordering::Relaxed);
        Ok(Bytes::from(doc))
    }

    fn kept_doc(&self, key: &str) -> Option<Bytes> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let doc = kept.docs.get(key)?.clone();
        if let Some(i) = kept.order.iter().position(|k| k == key) {
            let k = kept.order.remove(i).expect("present");
            kept.order.push_back(k);
        }
        Some(doc)
    }

    fn keep(&self, key: &str, doc: Bytes) {
        if doc.len() > KEPT_BYTES / 4 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.docs.contains_key(key) {
            return;
        }
        kept.bytes += doc.len();
        kept.docs.insert(key.to_string(), doc);
        kept.order.push_back(key.to_string());
        while kept.bytes > KEPT_BYTES {
            let Some(old) = kept.order.pop_front() else {
                break;
            };
            if let Some(d) = kept.docs.remove(&old) {
                kept.bytes -= d.len();
            }
        }
    }

    /// (documents kept, their bytes).
    pub fn kept(&self) -> (usize, usize) {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        (kept.docs.len(), kept.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_asking_for_one_document_make_it_once() {
        let r = Arc::new(Renders::new(2));
        let key = Renders::key("pdf", &("agency", 1));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (r, key) = (r.clone(), key.clone());
                tokio::spawn(async move {
                    r.get_or_make(key, || {
                        std::thread::sleep(Duration::from_millis(100));
                        Ok(vec![7; 1000])
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().len(), 1000);
        }
        assert_eq!(r.made.load(Ordering::Relaxed), 1);
        assert_eq!(r.kept(), (1, 1000));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_permits_and_the_line_requests_are_refused_at_once() {
        let r = Arc::new(Renders::new(1));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..30)
            .map(|i| {
                let (r, running, most) = (r.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    r.get_or_make(Renders::key("pdf", &i), move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(30));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(vec![0; 10])
                    })
                    .await
                })
            })
            .collect();
        let (mut made, mut busy) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => made += 1,
                Err(RenderError::Busy) => busy += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "one at a time");
        assert!(made > WAITING_PER_PERMIT, "{made} made");
        assert!(busy > 0, "the rest refused");
        assert_eq!(made + busy, 30);
    }

    #[tokio::test]
    async fn a_changed_source_is_a_new_document_and_old_ones_leave_within_the_budget() {
        let r = Renders::new(1);
        let a = r
            .get_or_make(Renders::key("pdf", &"scores v1"), || Ok(b"v1".to_vec()))
            .await
            .unwrap();
        let b = r
            .get_or_make(Renders::key("pdf", &"scores v2"), || Ok(b"v2".to_vec()))
            .await
            .unwrap();
        assert_ne!(a, b);
        for i in 0..10 {
            r.get_or_make(Renders::key("big", &i), || Ok(vec![0; KEPT_BYTES / 8]))
                .await
                .unwrap();
        }
        assert!(r.kept().1 <= KEPT_BYTES);
    }
}
