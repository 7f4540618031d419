//! Work the viewer runs off the UI thread (a prediction, a fine-tuning): a thread, a cancel
//! flag it checks, what it reports while it runs (`P`), and its result once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

/// What a job shares with its thread: the cancel flag, where the work runs, and the job's own
/// progress.
#[derive(Default)]
pub struct Shared<P> {
    cancel: AtomicBool,
    device: Mutex<String>,
    pub progress: P,
}

impl<P> Shared<P> {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Says where the work runs ("CPU (burn flex), 2 threads, AVX-512").
    pub fn set_device(&self, text: &str) {
        if let Ok(mut device) = self.device.lock() {
            text.clone_into(&mut device);
        }
    }
}

/// A job under way. Dropping it asks its thread to stop.
pub struct Job<T, P> {
    shared: Arc<Shared<P>>,
    result: mpsc::Receiver<Result<T, String>>,
    started: Instant,
}

impl<T: Send + 'static, P: Default + Send + Sync + 'static> Job<T, P> {
    /// Runs `work` on a thread; `wake` is for the thread to call when there is news (the
    /// viewer asks for a repaint), and is called once more after the result.
    pub fn spawn<F, W>(work: F, wake: W) -> Self
    where
        F: FnOnce(&Shared<P>, &dyn Fn()) -> Result<T, String> + Send + 'static,
        W: Fn() + Send + 'static,
    {
        let shared = Arc::new(Shared::default());
        let (sender, result) = mpsc::channel();
        let worker = Arc::clone(&shared);
        std::thread::spawn(move || {
            let outcome = work(&worker, &wake);
            // The viewer may have dropped the job (a new scene): then nobody wants the result.
            let _ = sender.send(outcome);
            wake();
        });
        Self {
            shared,
            result,
            started: Instant::now(),
        }
    }
}

impl<T, P> Job<T, P> {
    pub fn progress(&self) -> &P {
        &self.shared.progress
    }

    /// Where the work runs, once known.
    pub fn device(&self) -> String {
        self.shared
            .device
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Asks the thread to stop at its next check.
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.shared.cancelled()
    }

    /// The result, once the thread has one.
    pub fn poll(&self) -> Option<Result<T, String>> {
        match self.result.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Some(Err("the worker thread stopped without a result".into()))
            }
        }
    }
}

impl<T, P> Drop for Job<T, P> {
    fn drop(&mut self) {
        self.cancel();
    }
}
