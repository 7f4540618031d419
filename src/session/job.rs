//! Work run off the caller's thread (opening a scene, a prediction, a fine-tuning, an F1
//! curve): a thread, a cancel flag it checks, what it reports while it runs (`P`), its result
//! once, and a `wake` it calls when there is news (the viewer asks egui for a repaint). Jobs
//! run at a lower priority than the interface ([`super::background`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use super::SessionError;

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

/// A job under way. Dropping it asks its thread to stop (and nobody waits for its result).
pub struct Job<T, P = ()> {
    shared: Arc<Shared<P>>,
    result: mpsc::Receiver<Result<T, SessionError>>,
    started: Instant,
}

impl<T: Send + 'static, P: Default + Send + Sync + 'static> Job<T, P> {
    /// Runs `work` on a thread; `wake` is for the thread to call when there is news, and is
    /// called once more after the result.
    ///
    /// ```
    /// use sarscope::session::Job;
    /// let job: Job<u32> = Job::spawn(|_, _| Ok(6 * 7), || {});
    /// let answer = loop {
    ///     if let Some(result) = job.poll() {
    ///         break result.unwrap();
    ///     }
    ///     std::thread::yield_now();
    /// };
    /// assert_eq!(answer, 42);
    /// ```
    pub fn spawn<F, W>(work: F, wake: W) -> Self
    where
        F: FnOnce(&Shared<P>, &dyn Fn()) -> Result<T, SessionError> + Send + 'static,
        W: Fn() + Send + 'static,
    {
        let shared = Arc::new(Shared::default());
        let (sender, result) = mpsc::channel();
        let worker = Arc::clone(&shared);
        std::thread::spawn(move || {
            // Behind the user interface, and so is the pool the model runs on.
            super::background::lower_this_thread();
            super::background::lower_compute_pool();
            let outcome = work(&worker, &wake);
            // The caller may have dropped the job (a new scene): then nobody wants the result.
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
    pub fn poll(&self) -> Option<Result<T, SessionError>> {
        match self.result.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(SessionError::WorkerLost)),
        }
    }
}

impl<T, P> Drop for Job<T, P> {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn wait<T, P>(job: &Job<T, P>) -> Result<T, SessionError> {
        loop {
            if let Some(result) = job.poll() {
                return result;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn a_job_wakes_its_caller_after_the_result() {
        let woken = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let job: Job<&str> = Job::spawn(
            |_, wake| {
                wake();
                Ok("done")
            },
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
            },
        );
        assert_eq!(wait(&job).ok(), Some("done"));
        // Once by the work, once after the result (which may still be on its way).
        for _ in 0..1000 {
            if woken.load(Ordering::SeqCst) == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(woken.load(Ordering::SeqCst), 2);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_job_runs_below_the_interface() {
        let job: Job<Option<i32>> = Job::spawn(
            |_, _| Ok(crate::session::background::this_thread_nice()),
            || {},
        );
        assert_eq!(
            wait(&job).unwrap(),
            Some(crate::session::background::BACKGROUND_NICE)
        );
    }

    #[test]
    fn a_cancelled_job_sees_its_flag() {
        let (go, wait_go) = mpsc::channel::<()>();
        let job: Job<bool> = Job::spawn(
            move |shared, _| {
                let _ = wait_go.recv();
                Ok(shared.cancelled())
            },
            || {},
        );
        job.cancel();
        let _ = go.send(());
        assert!(job.cancelled());
        assert_eq!(wait(&job).ok(), Some(true));
    }

    #[test]
    fn a_worker_that_panics_is_an_error_not_a_hang() {
        let job: Job<()> = Job::spawn(|_, _| panic!("boom"), || {});
        assert!(matches!(wait(&job), Err(SessionError::WorkerLost)));
    }
}
