//! The drafts this server saved, kept in memory so that showing a
//! questionnaire's next page needs no database read.
//!
//! Every page a respondent sees and every page they save reads their draft;
//! on the phone path those reads were most of the database's work (six a
//! respondent). A save acknowledged by the response writer is kept here under
//! a version made for it, and the browser's draft cookie carries that version.
//! A read uses the kept draft only when the versions agree: a respondent whose
//! requests also reach another server (several servers over one PostgreSQL)
//! brings that server's version, which is not kept here, so the draft is read
//! from the database and never served stale.
//!
//! Anonymous clients make drafts, so the cache is bounded by count, by bytes
//! and by age; whatever it drops is simply read from the database again.

use hashlink::LruCache;
use itas_store::drafts::Draft;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Drafts kept at most.
pub const DRAFTS_KEPT: usize = 20_000;
/// Bytes of kept drafts at most (their answers and keys).
pub const DRAFT_BYTES_KEPT: usize = 48 << 20;
/// A kept draft older than this is read from the database again: a
/// respondent takes a minute or two a page, and a draft dropped there by
/// housekeeping or a budget must not come back from memory.
pub const DRAFT_KEPT_FOR: Duration = Duration::from_secs(15 * 60);
/// A draft larger than this is never kept: one client cannot fill the cache.
pub const LARGEST_KEPT_DRAFT: usize = 64 << 10;

/// A version: 64 random bits as hex, made for each acknowledged save.
pub fn new_version() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("operating system random number generator");
    hex::encode(b)
}

/// Whether `s` has a version's form (what a cookie brings is checked).
pub fn is_version(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

struct Kept {
    version: String,
    draft: Draft,
    at: Instant,
    bytes: usize,
}

struct Inner {
    /// By token hash, least recently used first.
    drafts: LruCache<String, Kept>,
    bytes: usize,
}

impl Inner {
    /// Drops the copy kept under `token_hash`, if any, and its bytes.
    fn drop_kept(&mut self, token_hash: &str) {
        if let Some(k) = self.drafts.remove(token_hash) {
            self.bytes -= k.bytes;
        }
    }
}

pub struct DraftCache {
    capacity: usize,
    max_bytes: usize,
    ttl: Duration,
    inner: Mutex<Inner>,
    /// Reads answered from memory, and reads that brought a version but had
    /// to go to the database: metrics.
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for DraftCache {
    fn default() -> DraftCache {
        DraftCache::new(DRAFTS_KEPT, DRAFT_BYTES_KEPT, DRAFT_KEPT_FOR)
    }
}

impl DraftCache {
    pub fn new(capacity: usize, max_bytes: usize, ttl: Duration) -> DraftCache {
        DraftCache {
            capacity,
            max_bytes,
            ttl,
            inner: Mutex::new(Inner {
                drafts: LruCache::new_unbounded(),
                bytes: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The draft kept under `token_hash` if it is the one saved as `version`
    /// and still young enough; `None` means: read the database.
    pub fn get(&self, token_hash: &str, version: &str) -> Option<Draft> {
        let found = {
            let mut inner = self.inner();
            match inner.drafts.get(token_hash) {
                Some(k) if k.version == version && k.at.elapsed() < self.ttl => {
                    Some(k.draft.clone())
                }
                Some(_) => {
                    // Another server saved since, or it is too old: this copy
                    // will not be asked for again.
                    inner.drop_kept(token_hash);
                    None
                }
                None => None,
            }
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Relaxed);
        found
    }

    /// Keeps the draft just saved as `version`, in place of any older copy.
    pub fn put(&self, token_hash: String, version: String, draft: Draft) {
        let bytes = token_hash.len()
            + version.len()
            + draft.link_code.len()
            + draft.submission_id.len()
            + draft.answers.len()
            + 96;
        let mut inner = self.inner();
        inner.drop_kept(&token_hash);
        if bytes > LARGEST_KEPT_DRAFT.min(self.max_bytes) || self.capacity == 0 {
            return;
        }
        while inner.drafts.len() >= self.capacity || inner.bytes + bytes > self.max_bytes {
            match inner.drafts.remove_lru() {
                Some((_, k)) => inner.bytes -= k.bytes,
                None => break,
            }
        }
        inner.bytes += bytes;
        inner.drafts.insert(
            token_hash,
            Kept {
                version,
                draft,
                at: Instant::now(),
                bytes,
            },
        );
    }

    /// Drops the draft of a questionnaire that was sent.
    pub fn forget(&self, token_hash: &str) {
        self.inner().drop_kept(token_hash);
    }

    /// (drafts, bytes) kept now.
    pub fn kept(&self) -> (usize, usize) {
        let inner = self.inner();
        (inner.drafts.len(), inner.bytes)
    }

    /// (reads answered from memory, reads that went to the database) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(answers: &str) -> Draft {
        Draft {
            link_code: "L".into(),
            submission_id: "S".into(),
            answers: answers.into(),
        }
    }

    #[test]
    fn a_kept_draft_is_served_only_for_its_own_version() {
        let c = DraftCache::default();
        c.put("t".into(), "v1".into(), draft("one"));
        assert_eq!(c.get("t", "v1").unwrap().answers, "one");
        // Saved since on another server: the cookie brings that version.
        assert!(c.get("t", "v2").is_none());
        // ... and the old copy is gone even for its own version.
        assert!(c.get("t", "v1").is_none());
        c.put("t".into(), "v3".into(), draft("three"));
        assert_eq!(c.get("t", "v3").unwrap().answers, "three");
        c.forget("t");
        assert!(c.get("t", "v3").is_none());
        assert_eq!(c.counts(), (2, 3));
        assert_eq!(c.kept(), (0, 0));
    }

    #[test]
    fn the_cache_stays_within_its_count_and_bytes() {
        let c = DraftCache::new(3, 1_000, DRAFT_KEPT_FOR);
        for i in 0..10 {
            c.put(format!("t{i}"), "v".into(), draft("x"));
        }
        assert_eq!(c.kept().0, 3);
        // The least recently used went first.
        assert!(c.get("t6", "v").is_none());
        assert!(c.get("t9", "v").is_some());
        // By bytes: each of these is about 400 bytes, so two fit.
        let c = DraftCache::new(100, 1_000, DRAFT_KEPT_FOR);
        for i in 0..5 {
            c.put(format!("t{i}"), "v".into(), draft(&"x".repeat(300)));
        }
        let (n, bytes) = c.kept();
        assert_eq!(n, 2);
        assert!(bytes <= 1_000);
        // One larger than the whole budget is not kept, and leaves no copy.
        c.put("t4".into(), "w".into(), draft(&"x".repeat(2_000)));
        assert!(c.get("t4", "w").is_none() && c.get("t4", "v").is_none());
        assert!(c.kept().1 <= 1_000);
    }

    #[test]
    fn an_old_draft_is_read_again() {
        let c = DraftCache::new(10, 10_000, Duration::ZERO);
        c.put("t".into(), "v".into(), draft("x"));
        assert!(c.get("t", "v").is_none());
        assert_eq!(c.kept(), (0, 0));
    }

    #[test]
    fn versions_are_checked_for_form() {
        let v = new_version();
        assert!(is_version(&v));
        assert_ne!(v, new_version());
        for bad in [
            "",
            "abc",
            "zzzzzzzzzzzzzzzz",
            "0123456789abcdef0",
            "01234567.9abcdef",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }
}
