//! Where the server's log lines go: a writer that can never stop work.
//!
//! The usual way to run itas on a small office server is `itas serve >
//! itas.log 2>&1` in the data folder. When that disk fills, a log line cannot
//! be written; tracing-subscriber's default reaction is to print the error
//! with `eprintln!`, which panics on the same full disk and takes the thread
//! with it. Here a line that cannot be written is dropped and counted,
//! and `/healthz` reports the count, so a full log disk costs log lines,
//! never answers.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

static DROPPED: AtomicU64 = AtomicU64::new(0);
static DROPPED_QUEUED: std::sync::OnceLock<Box<dyn Fn() -> u64 + Send + Sync>> =
    std::sync::OnceLock::new();

/// Log lines lost so far: those that could not be written, and those a
/// non-blocking writer dropped because its queue was full.
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed) + DROPPED_QUEUED.get().map_or(0, |f| f())
}

/// Tells [`dropped_lines`] how to read the lines a queue dropped (the
/// non-blocking writer's own counter). Set once, at start-up.
pub fn count_queue_drops(f: impl Fn() -> u64 + Send + Sync + 'static) {
    let _ = DROPPED_QUEUED.set(Box::new(f));
}

/// A writer that reports success whatever happens: a line that cannot be
/// written is counted in [`dropped_lines`] and forgotten.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lossy<W>(pub W);

impl<W: Write> Write for Lossy<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.write_all(buf).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that always fails, as a file on a full disk does.
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from_raw_os_error(28))
        }
    }

    #[test]
    fn lines_that_cannot_be_written_are_counted_not_raised() {
        let before = dropped_lines();
        let mut sink = Lossy(Full);
        assert_eq!(sink.write(b"a line\n").unwrap(), 7);
        sink.flush().unwrap();
        assert!(dropped_lines() > before);
    }
}
