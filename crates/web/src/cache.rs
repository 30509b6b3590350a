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

/// How many rendered public pages are kept at most (a dashboard of a
/// national round is 100 to 400 KB).
pub const PUBLIC_PAGES_KEPT: usize = 96;

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
        }
    }

    pub fn kept(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub async fn get_or_compute<E, Fut>(
        &self,
        key: &str,
        generation: u64,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Arc<V>, E>
    where
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let gate = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let e = entries.entry(key.to_string()).or_insert_with(|| Entry {
                at: Instant::now(),
                generation,
                value: None,
                refreshing: false,
                gate: Arc::new(tokio::sync::Mutex::new(())),
            });
            match &e.value {
                Some(v) if e.generation == generation && e.at.elapsed() < self.ttl => {
                    return Ok(v.clone());
                }
                // Stale by age only: someone is refreshing it, keep serving it.
                Some(v) if e.generation == generation && e.refreshing => return Ok(v.clone()),
                Some(_) if e.generation == generation => {
                    e.refreshing = true;
                    None
                }
                _ => Some(e.gate.clone()),
            }
        };
        let Some(gate) = gate else {
            // This request refreshes the aged value.
            let result = compute().await;
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let e = entries.get_mut(key);
            return match (result, e) {
                (Ok(v), Some(e)) => {
                    let v = Arc::new(v);
                    e.value = Some(v.clone());
                    e.at = Instant::now();
                    e.refreshing = false;
                    Ok(v)
                }
                (Ok(v), None) => Ok(Arc::new(v)),
                (Err(err), e) => {
                    if let Some(e) = e {
                        e.refreshing = false;
                    }
                    Err(err)
                }
            };
        };
        let _turn = gate.lock().await;
        // Whoever held the gate may have computed it meanwhile.
        {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(e) = entries.get(key)
                && let Some(v) = &e.value
                && e.generation == generation
                && e.at.elapsed() < self.ttl
            {
                return Ok(v.clone());
            }
        }
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

pub struct Caches {
    frameworks: Mutex<HashMap<String, Arc<Framework>>>,
    links: Mutex<HashMap<String, (Instant, Arc<crate::routes::survey::OpenLink>)>>,
    /// Each round's scored table (dashboards, exports, open data).
    pub results: Memo<Vec<crate::published::ResultRow>>,
    /// A round beside its previous one, keyed "round>previous" (dashboards).
    pub comparisons: Memo<crate::published::RoundComparison>,
    /// Each round's participants with counts and minimum samples (round page).
    pub(crate) participants: Memo<Vec<crate::routes::admin::ParticipantRow>>,
    /// A round's (or one province's or parent's) figures, keyed "round|scope"
    /// (dashboard charts, trends, infographics).
    pub overviews: Memo<crate::overview::Overview>,
    /// Each round's provinces for the map.
    pub provinces: Memo<std::collections::BTreeMap<String, crate::published::GroupSummary>>,
    /// Public dashboards as the public sees them (no one signed in), keyed by
    /// round, language and the view asked for: on results day thousands of
    /// readers ask for the same few views.
    pub public_pages: Memo<axum::body::Bytes>,
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
            public_pages: Memo::bounded(RESULTS_TTL, PUBLIC_PAGES_KEPT),
        }
    }
}

impl Caches {
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

    pub(crate) fn link(&self, code: &str) -> Option<Arc<crate::routes::survey::OpenLink>> {
        let links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        links
            .get(code)
            .filter(|(at, _)| at.elapsed() < LINK_TTL)
            .map(|(_, l)| l.clone())
    }

    pub(crate) fn keep_link(&self, code: &str, l: Arc<crate::routes::survey::OpenLink>) {
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
