//! Progress on a terminal for long commands. indicatif draws on stderr only
//! when it is a terminal, so scripts and CI logs stay quiet; lines a command
//! prints go through [`Bar::say`] so they are never drawn over.

use std::collections::HashMap;
use std::sync::Mutex;

fn style() -> Option<indicatif::ProgressStyle> {
    indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
        .ok()
        .map(|s| s.progress_chars("=> "))
}

/// One bar of `total` steps, named.
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    pub fn new(name: &str, total: u64) -> Bar {
        let b = indicatif::ProgressBar::new(total);
        if let Some(s) = style() {
            b.set_style(s);
        }
        b.set_message(name.to_string());
        Bar(b)
    }

    /// A bar with no known length, ticking while one long step runs.
    pub fn spinner(name: &str) -> Bar {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message(name.to_string());
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(b)
    }

    pub fn inc(&self) {
        self.0.inc(1);
    }

    /// Prints a line of the command's own output above the bar.
    pub fn say(&self, line: &str) {
        self.0.suspend(|| out!("{line}"));
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Bars by step name, for work that reports (step, done, total).
pub struct Steps {
    bars: Mutex<HashMap<String, indicatif::ProgressBar>>,
}

impl Steps {
    pub fn new() -> Steps {
        Steps {
            bars: Mutex::new(HashMap::new()),
        }
    }

    pub fn step(&self, name: &str, done: u64, total: u64) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bars.entry(name.to_string()).or_insert_with(|| {
            let b = indicatif::ProgressBar::new(total);
            if let Some(s) = style() {
                b.set_style(s);
            }
            b.set_message(name.to_string());
            b
        });
        bar.set_length(total);
        bar.set_position(done);
        if done >= total {
            bar.finish();
        }
    }
}
