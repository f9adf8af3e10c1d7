//! Queries run on threads of their own, so that a heavy query never
//! holds the threads that answer HTTP requests (and their cancellations).

use std::future::Future;

use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

#[derive(Debug)]
pub(crate) struct Executor {
    /// Taken on drop, to shut down without blocking an async caller.
    runtime: Option<Runtime>,
}

impl Executor {
    pub(crate) fn new(threads: usize) -> std::io::Result<Executor> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("rongshu-sandbox")
            .enable_time()
            .build()?;
        Ok(Executor {
            runtime: Some(runtime),
        })
    }

    pub(crate) fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime
            .as_ref()
            .expect("the runtime lives until drop")
            .spawn(work)
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
