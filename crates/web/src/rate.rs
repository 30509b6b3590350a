//! An in-process fixed-window limiter for survey links. Per process on
//! purpose: a link flood is stopped by each server; sign-in limits, which
//! must hold globally, live in the database instead (`itas_store::rate_limit`).

use std::collections::HashMap;
use std::sync::Mutex;

pub struct WindowLimiter {
    limit: u32,
    window_ms: i64,
    hits: Mutex<HashMap<String, (i64, u32)>>,
}

impl WindowLimiter {
    pub fn new(limit: u32, window_ms: i64) -> WindowLimiter {
        WindowLimiter {
            limit,
            window_ms,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit for `key` at `now_ms`; false once the window's limit is passed.
    pub fn allow(&self, key: &str, now_ms: i64) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now_ms - *start < self.window_ms);
        }
        let e = hits.entry(key.to_string()).or_insert((now_ms, 0));
        if now_ms - e.0 >= self.window_ms {
            *e = (now_ms, 0);
        }
        e.1 += 1;
        e.1 <= self.limit
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_per_key_and_window() {
        let l = super::WindowLimiter::new(3, 1000);
        assert!((0..3).all(|_| l.allow("a", 0)));
        assert!(!l.allow("a", 10));
        assert!(l.allow("b", 10), "another link is not affected");
        assert!(l.allow("a", 1000), "a new window");
    }
}
