//! Log lines written off the request path without waking a thread per
//! line. A line is appended to a shared buffer under a lock held for a
//! copy; a thread of its own writes the buffer out every few
//! milliseconds, or at once when it grows large. Handing each line to a
//! sleeping writer thread instead (a channel, as `tracing-appender` does)
//! costs a wake-up and a context switch per request, which under load
//! took more of the cores than formatting the lines.
//!
//! No line is dropped: past [`MAX_BUFFER`] the logging thread writes the
//! buffer out itself. The [`LogFlusher`] writes out the rest when dropped.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// A buffer this large is written out without waiting for the period.
const SOON: usize = 256 * 1024;
/// A buffer this large is written out by the thread logging, which waits.
const MAX_BUFFER: usize = 4 * 1024 * 1024;

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    grown: Condvar,
}

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    closing: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves whole lines behind.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where `tracing` writes its lines: the shared buffer.
#[derive(Clone)]
pub struct LogBuffer {
    shared: Arc<Shared>,
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

/// Writes the buffer out until dropped, then writes out what is left.
pub struct LogFlusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A buffer writing to `out`, and the thread that flushes it.
pub fn log_buffer(out: Box<dyn Write + Send>) -> std::io::Result<(LogBuffer, LogFlusher)> {
    let shared = Arc::new(Shared::default());
    let buffer = LogBuffer {
        shared: shared.clone(),
        out: Arc::new(Mutex::new(out)),
    };
    let flushing = buffer.clone();
    let thread = std::thread::Builder::new()
        .name("rongshu-log".to_owned())
        .spawn(move || flushing.flush_until_closed())?;
    let flusher = LogFlusher {
        shared,
        thread: Some(thread),
    };
    Ok((buffer, flusher))
}

impl LogBuffer {
    fn flush_until_closed(&self) {
        loop {
            let mut state = self.shared.lock();
            if state.lines.len() < SOON && !state.closing {
                state = self
                    .shared
                    .grown
                    .wait_timeout(state, FLUSH_EVERY)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            let closing = state.closing;
            self.write_out(state);
            if closing {
                return;
            }
        }
    }

    /// Writes out what the buffer holds. The output is locked before the
    /// buffer is let go, so buffers taken one after another are written
    /// in that order. Logging has nowhere to report its own failure: a
    /// failed write is given up, as `eprintln!` would.
    fn write_out(&self, mut state: MutexGuard<'_, State>) {
        if state.lines.is_empty() {
            return;
        }
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let lines = std::mem::take(&mut state.lines);
        drop(state);
        let _ = out.write_all(&lines).and_then(|()| out.flush());
    }
}

impl Write for LogBuffer {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.lock();
        state.lines.extend_from_slice(line);
        let size = state.lines.len();
        if size >= MAX_BUFFER {
            self.write_out(state);
        } else if size >= SOON {
            self.shared.grown.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

impl Drop for LogFlusher {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.grown.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_once_and_in_order_by_the_time_the_flusher_is_dropped() {
        let captured = Captured::default();
        let (buffer, flusher) = log_buffer(Box::new(captured.clone())).unwrap();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let mut buffer = buffer.clone();
                std::thread::spawn(move || {
                    for n in 0..20_000 {
                        // As `tracing` does: a line formatted whole, then written.
                        let line = format!("writer {w} line {n} {}\n", "x".repeat(n % 300));
                        buffer.write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        drop(flusher);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let mut next = [0usize; 4];
        for line in text.lines() {
            let mut words = line.split(' ');
            let w: usize = words.nth(1).unwrap().parse().unwrap();
            let n: usize = words.nth(1).unwrap().parse().unwrap();
            assert_eq!(n, next[w], "writer {w}'s lines in order, none lost");
            next[w] += 1;
        }
        assert_eq!(next, [20_000; 4]);
    }

    #[test]
    fn a_line_is_written_within_the_period_without_more_lines_coming() {
        let captured = Captured::default();
        let (mut buffer, _flusher) = log_buffer(Box::new(captured.clone())).unwrap();
        buffer.write_all(b"alone\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while captured.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(captured.0.lock().unwrap().as_slice(), b"alone\n");
    }
}
