//! Small in-process caches for the survey hot path.
//!
//! A round's framework never changes once the round is opened, so its parsed
//! form is kept for good. What a survey link opens (agency, tool, phase) is
//! kept for a few seconds; rotating a link here clears it at once, and on
//! other servers the old link stops within [`LINK_TTL`].

use itas_core::Framework;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const LINK_TTL: Duration = Duration::from_secs(5);

/// How long a round's scored table is reused. A score written by this
/// process clears it at once; a score written by another server shows here
/// within this time.
pub const RESULTS_TTL: Duration = Duration::from_secs(30);

/// How long the round page's participant counts are reused.
pub const PARTICIPANTS_TTL: Duration = Duration::from_secs(5);

/// Bumped by every write that changes what the public's pages show (a
/// score, a participant, a round): a page kept under an older value is
/// made again.
pub fn public_generation() -> u64 {
    itas_store::rounds::public_generation()
}

/// Bumped by every write of scores.
pub fn scores_generation() -> u64 {
    itas_store::rounds::scores_generation()
}

struct Entry<V> {
    at: Instant,
    generation: u64,
    value: Option<Arc<V>>,
    refreshing: bool,
    /// One computation at a time per key; the others wait and take its result.
    gate: Arc<tokio::sync::Mutex<()>>,
}

/// Values computed from a whole round, kept per key. A value is reused while
/// its generation (a counter the writes of this process bump) is current.
/// Past its time to live, one request recomputes it while the others are
/// still served the previous value; when nothing usable is kept, one
/// request computes and the others wait for it rather than all computing.
pub struct Memo<V> {
    ttl: Duration,
    /// Past this many keys, expired ones are dropped, then the oldest.
    capacity: usize,
    entries: Mutex<HashMap<String, Entry<V>>>,
    /// Reads answered with a kept value, and values computed: metrics.
    hits: std::sync::atomic::AtomicU64,
    rebuilds: std::sync::atomic::AtomicU64,
}

impl<V> Memo<V> {
    pub fn new(ttl: Duration) -> Memo<V> {
        Memo::bounded(ttl, 64)
    }

    /// A memo whose keys come from the request (any reader can make a new
    /// one), so its size must not follow them.
    pub fn bounded(ttl: Duration, capacity: usize) -> Memo<V> {
        Memo {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
            hits: Default::default(),
            rebuilds: Default::default(),
        }
    }

    /// (reads answered from a kept value, values computed) so far.
    pub fn counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.rebuilds.load(Relaxed))
    }

    fn count(counter: &std::sync::atomic::AtomicU64) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn kept(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The kept value of `key`, or it computed now. A value stale by age is
    /// recomputed by the request that finds it so while the others are
    /// served the old one; see [`Caches::kept_or_refreshed`] for values whose
    /// refresh should not hold up any request.
    pub async fn get_or_compute<E, Fut>(
        &self,
        key: &str,
        generation: u64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Arc<V>, E>
    where
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        match self.lookup(key, generation) {
            Lookup::Kept(v) => Ok(v),
            Lookup::Refresh(_) => {
                let result = compute().await.map(Arc::new);
                self.refreshed(key, result.as_ref().ok().cloned());
                result
            }
            Lookup::Wait(gate) => self.compute_in_turn(key, generation, gate, compute).await,
        }
    }

    /// The value kept under `key` when it is current and within its age:
    /// lets a caller skip preparing a computation it will not need.
    pub fn fresh(&self, key: &str, generation: u64) -> Option<Arc<V>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = entries.get(key)?;
        (e.generation == generation && e.at.elapsed() < self.ttl)
            .then(|| e.value.clone())
            .flatten()
    }

    /// What is kept under `key` and what the caller must do about it.
    fn lookup(&self, key: &str, generation: u64) -> Lookup<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = entries.entry(key.to_string()).or_insert_with(|| Entry {
            at: Instant::now(),
            generation,
            value: None,
            refreshing: false,
            gate: Arc::new(tokio::sync::Mutex::new(())),
        });
        let found = match &e.value {
            Some(v) if e.generation == generation && e.at.elapsed() < self.ttl => {
                Lookup::Kept(v.clone())
            }
            // Stale by age only: someone is refreshing it, keep serving it.
            Some(v) if e.generation == generation && e.refreshing => Lookup::Kept(v.clone()),
            Some(v) if e.generation == generation => {
                e.refreshing = true;
                Lookup::Refresh(v.clone())
            }
            _ => Lookup::Wait(e.gate.clone()),
        };
        match &found {
            Lookup::Kept(_) => Self::count(&self.hits),
            Lookup::Refresh(_) => Self::count(&self.rebuilds),
            // Counted once its turn comes: it may find the value made.
            Lookup::Wait(_) => {}
        }
        found
    }

    /// Ends a refresh: the new value is kept, or (when it failed) the old
    /// one stays and the next reader past its age tries again.
    fn refreshed(&self, key: &str, value: Option<Arc<V>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get_mut(key) {
            if let Some(v) = value {
                e.value = Some(v);
                e.at = Instant::now();
            }
            e.refreshing = false;
        }
    }

    /// Nothing usable is kept: one caller at a time computes, the others
    /// wait for it and take its value.
    async fn compute_in_turn<E, Fut>(
        &self,
        key: &str,
        generation: u64,
        gate: Arc<tokio::sync::Mutex<()>>,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Arc<V>, E>
    where
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let _turn = gate.lock().await;
        // Whoever held the gate may have computed it meanwhile.
        {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(e) = entries.get(key)
                && let Some(v) = &e.value
                && e.generation == generation
                && e.at.elapsed() < self.ttl
            {
                Self::count(&self.hits);
                return Ok(v.clone());
            }
        }
        Self::count(&self.rebuilds);
        let v = Arc::new(compute().await?);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > self.capacity {
            let ttl = self.ttl;
            entries.retain(|k, e| k == key || e.at.elapsed() < ttl);
        }
        while entries.len() > self.capacity {
            // Waiters on an evicted key's gate compute for themselves.
            let oldest = entries
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => entries.remove(&k),
                None => break,
            };
        }
        if let Some(e) = entries.get_mut(key) {
            e.value = Some(v.clone());
            e.generation = generation;
            e.at = Instant::now();
            e.refreshing = false;
        }
        Ok(v)
    }
}

/// What a memo holds for a key, from the asking request's side.
enum Lookup<V> {
    /// Serve this.
    Kept(Arc<V>),
    /// Stale by age: serve this, and the asker refreshes it.
    Refresh(Arc<V>),
    /// Nothing usable: take a turn at the gate and compute.
    Wait(Arc<tokio::sync::Mutex<()>>),
}

pub struct Caches {
    frameworks: Mutex<HashMap<String, Arc<Framework>>>,
    links: Mutex<HashMap<String, (Instant, Arc<crate::survey::OpenLink>)>>,
    /// Each round's scored table (dashboards, exports, open data).
    pub results: Memo<Vec<crate::published::ResultRow>>,
    /// A round beside its previous one, keyed "round>previous" (dashboards).
    pub comparisons: Memo<crate::published::RoundComparison>,
    /// Each round's participants with counts and minimum samples (round page).
    pub participants: Memo<Vec<crate::participants::ParticipantRow>>,
    /// A round's (or one province's or parent's) figures, keyed "round|scope"
    /// (dashboard charts, trends, infographics).
    pub overviews: Memo<crate::figures::Overview>,
    /// Each round's provinces for the map.
    pub provinces: Memo<std::collections::BTreeMap<String, crate::published::GroupSummary>>,
    /// The drafts this server saved (the survey pages).
    pub drafts: crate::draft_cache::DraftCache,
}

impl Caches {
    /// Each cache by name with (hits, rebuilds): metrics.
    pub fn counts(&self) -> Vec<(&'static str, (u64, u64))> {
        vec![
            ("results", self.results.counts()),
            ("comparisons", self.comparisons.counts()),
            ("participants", self.participants.counts()),
            ("overviews", self.overviews.counts()),
            ("provinces", self.provinces.counts()),
            ("drafts", self.drafts.counts()),
        ]
    }
}

/// Like [`Memo::get_or_compute`], but a value stale by age only is
/// refreshed by a task of its own: every request, the one that found it
/// stale included, is served the kept value meanwhile. For values a
/// request would otherwise wait on for long (a national round's tables
/// and pages); `memo` picks the memo out of its owner, so the task can
/// reach it after the request is gone. `prepare` makes the computation
/// (owning what it reads) only when one is needed: a kept value costs
/// the caller no copies.
pub async fn kept_or_refreshed<O, V, E, P, F, Fut>(
    owner: &Arc<O>,
    memo: fn(&O) -> &Memo<V>,
    key: &str,
    generation: u64,
    prepare: P,
) -> Result<Arc<V>, E>
where
    O: Send + Sync + 'static,
    V: Send + Sync + 'static,
    E: std::fmt::Debug + Send + 'static,
    P: FnOnce() -> F,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<V, E>> + Send + 'static,
{
    match memo(owner).lookup(key, generation) {
        Lookup::Kept(v) => Ok(v),
        Lookup::Refresh(old) => {
            let (caches, key, compute) = (owner.clone(), key.to_string(), prepare());
            tokio::spawn(async move {
                let result = compute().await;
                if let Err(e) = &result {
                    tracing::warn!(key, "refreshing a kept value: {e:?}");
                }
                memo(&caches).refreshed(&key, result.ok().map(Arc::new));
            });
            Ok(old)
        }
        Lookup::Wait(gate) => {
            memo(owner)
                .compute_in_turn(key, generation, gate, prepare())
                .await
        }
    }
}

impl Default for Caches {
    fn default() -> Caches {
        Caches {
            frameworks: Mutex::default(),
            links: Mutex::default(),
            results: Memo::new(RESULTS_TTL),
            comparisons: Memo::new(RESULTS_TTL),
            participants: Memo::new(PARTICIPANTS_TTL),
            overviews: Memo::new(RESULTS_TTL),
            provinces: Memo::new(RESULTS_TTL),
            drafts: crate::draft_cache::DraftCache::default(),
        }
    }
}

impl Caches {
    /// [`kept_or_refreshed`] for one of these caches.
    pub async fn kept_or_refreshed<V, E, P, F, Fut>(
        self: &Arc<Self>,
        memo: fn(&Caches) -> &Memo<V>,
        key: &str,
        generation: u64,
        prepare: P,
    ) -> Result<Arc<V>, E>
    where
        V: Send + Sync + 'static,
        E: std::fmt::Debug + Send + 'static,
        P: FnOnce() -> F,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<V, E>> + Send + 'static,
    {
        kept_or_refreshed(self, memo, key, generation, prepare).await
    }

    pub fn framework(&self, round_id: &str) -> Option<Arc<Framework>> {
        self.frameworks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(round_id)
            .cloned()
    }

    pub fn keep_framework(&self, round_id: &str, fw: Arc<Framework>) {
        self.frameworks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(round_id.to_string(), fw);
    }

    pub fn link(&self, code: &str) -> Option<Arc<crate::survey::OpenLink>> {
        let links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        links
            .get(code)
            .filter(|(at, _)| at.elapsed() < LINK_TTL)
            .map(|(_, l)| l.clone())
    }

    pub fn keep_link(&self, code: &str, l: Arc<crate::survey::OpenLink>) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        if links.len() > 50_000 {
            links.retain(|_, (at, _)| at.elapsed() < LINK_TTL);
        }
        links.insert(code.to_string(), (Instant::now(), l));
    }

    /// Forgets every cached link (after a rotation or a settings change).
    pub fn forget_links(&self) {
        self.links.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(memo: &Memo<String>, key: &str, made: &mut u32) -> String {
        let v = memo
            .get_or_compute(key, 0, || async {
                *made += 1;
                Ok::<_, ()>(key.to_uppercase())
            })
            .await
            .unwrap();
        (*v).clone()
    }

    #[tokio::test]
    async fn a_bounded_memo_keeps_its_newest_keys_only() {
        let memo = Memo::bounded(Duration::from_secs(600), 2);
        let mut made = 0;
        for key in ["a", "b", "c"] {
            assert_eq!(get(&memo, key, &mut made).await, key.to_uppercase());
        }
        assert_eq!(memo.kept(), 2, "the oldest key went");
        assert_eq!(made, 3);
        get(&memo, "c", &mut made).await;
        assert_eq!(made, 3, "a kept key is not made again");
        get(&memo, "a", &mut made).await;
        assert_eq!(made, 4, "an evicted key is made again");
        assert_eq!(memo.kept(), 2);
        // The metrics' counts: every computation a rebuild, the kept read a hit.
        assert_eq!(memo.counts(), (1, 4));
    }

    type Pages = Arc<Memo<Vec<u8>>>;

    fn caches_kept_for(ttl: Duration) -> Pages {
        Arc::new(Memo::bounded(ttl, 4))
    }

    async fn page(caches: &Pages, text: &'static str) -> String {
        let v = kept_or_refreshed(
            caches,
            |c| c,
            "k",
            0,
            move || move || async move { Ok::<_, String>(text.as_bytes().to_vec()) },
        )
        .await
        .unwrap();
        String::from_utf8((*v).clone()).unwrap()
    }

    #[tokio::test]
    async fn a_value_past_its_age_is_served_while_a_task_of_its_own_makes_the_new_one() {
        let caches = caches_kept_for(Duration::from_millis(300));
        assert_eq!(page(&caches, "one").await, "one", "nothing kept: made now");
        tokio::time::sleep(Duration::from_millis(400)).await;
        // The refresh cannot finish until released: the reader must not wait for it.
        let release = Arc::new(tokio::sync::Notify::new());
        let made = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let (r, m) = (release.clone(), made.clone());
        let served = tokio::time::timeout(
            Duration::from_secs(5),
            kept_or_refreshed(
                &caches,
                |c| c,
                "k",
                0,
                move || {
                    move || async move {
                        r.notified().await;
                        m.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok::<_, String>(b"two".to_vec())
                    }
                },
            ),
        )
        .await
        .expect("the reader that found the value old waited for its refresh")
        .unwrap();
        assert_eq!(&served[..], b"one");
        assert_eq!(page(&caches, "three").await, "one", "one refresh at a time");
        release.notify_one();
        let mut now = String::new();
        for _ in 0..200 {
            now = String::from_utf8(
                caches
                    .fresh("k", 0)
                    .map(|v| (*v).clone())
                    .unwrap_or_default(),
            )
            .unwrap();
            if now == "two" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(now, "two", "the refreshed value is kept");
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_old_value_and_the_next_reader_tries_again() {
        let caches = caches_kept_for(Duration::from_millis(300));
        page(&caches, "one").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let served = kept_or_refreshed(
            &caches,
            |c| c,
            "k",
            0,
            || || async { Err::<Vec<u8>, _>("the database is away".to_string()) },
        )
        .await
        .unwrap();
        assert_eq!(&served[..], b"one");
        // The failed task clears the refresh mark; a later reader starts another.
        let mut tries = 0;
        loop {
            tries += 1;
            assert!(tries < 200, "no new refresh after a failed one");
            page(&caches, "two").await;
            if caches.fresh("k", 0).is_some_and(|v| &v[..] == b"two") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_new_generation_is_waited_for_never_served_old() {
        let caches = caches_kept_for(Duration::from_secs(600));
        page(&caches, "one").await;
        let v = kept_or_refreshed(
            &caches,
            |c| c,
            "k",
            1,
            || || async { Ok::<_, String>(b"two".to_vec()) },
        )
        .await
        .unwrap();
        assert_eq!(
            &v[..],
            b"two",
            "a write made the kept value wrong: it is not served"
        );
    }

    #[tokio::test]
    async fn a_new_generation_makes_the_value_again() {
        let memo: Memo<u64> = Memo::new(Duration::from_secs(600));
        for g in [1, 1, 2] {
            let v = memo
                .get_or_compute("k", g, || async move { Ok::<_, ()>(g * 10) })
                .await
                .unwrap();
            assert_eq!(*v, g * 10);
        }
    }
}
