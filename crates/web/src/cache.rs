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

#[derive(Default)]
pub struct Caches {
    frameworks: Mutex<HashMap<String, Arc<Framework>>>,
    links: Mutex<HashMap<String, (Instant, Arc<crate::routes::survey::OpenLink>)>>,
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
