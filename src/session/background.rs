//! Work beside the user's: the threads that run the session's jobs and read tiles, and the
//! pool the model's kernels run on (rayon's, burn flex's and ours), give way to the user
//! interface and the renderer when the CPU is short. On a machine without a GPU the renderer
//! is the CPU too (lavapipe): a fine-tuning on every core doubled the viewer's frame time,
//! where at a lower priority it takes what the interface leaves.
//!
//! Linux only (a thread's own nice value); elsewhere nothing changes. Best effort: a thread
//! whose priority cannot be changed runs as before.

use std::sync::Once;

/// The nice value background threads run at: a busy one gets about a tenth of the CPU a busy
/// thread of the default priority (0) gets, and all of what nobody else wants.
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's priority to [`BACKGROUND_NICE`] (never raises it).
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        let me = Some(rustix::thread::gettid());
        if rustix::process::getpriority_process(me).is_ok_and(|nice| nice < BACKGROUND_NICE) {
            let _ = rustix::process::setpriority_process(me, BACKGROUND_NICE);
        }
    }
}

/// For the interactive viewer: rayon's global pool, where the model's kernels run (burn flex
/// and our convolutions), made with one thread fewer than the cores (at least one), at
/// [`BACKGROUND_NICE`]. A lower priority leaves the interface the CPU time but not a core's
/// caches: on 2 cores, fine-tuning on both took the viewer's median frame from 17 to 28 ms
/// even at nice 19. Must come before anything uses rayon; `false` when the pool was made
/// already (it stays as it is).
pub fn leave_a_core_to_the_interface() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores.saturating_sub(1).max(1))
        .start_handler(|_| lower_this_thread())
        .build_global()
        .is_ok()
}

/// Lowers the priority of rayon's global pool's threads, once per process, without waiting:
/// each takes it before its next task.
pub fn lower_compute_pool() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| rayon::spawn_broadcast(|_| lower_this_thread()));
}

/// The nice value of the calling thread (Linux; `None` elsewhere).
pub fn this_thread_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn background_threads_run_below_the_default_priority() {
        let nice = std::thread::spawn(|| {
            lower_this_thread();
            this_thread_nice()
        })
        .join()
        .ok()
        .flatten();
        assert_eq!(nice, Some(BACKGROUND_NICE));
        // The calling thread is not touched.
        assert!(this_thread_nice().is_some_and(|n| n < BACKGROUND_NICE));
        // Never raised: a thread already lower stays where it is.
        let nice = std::thread::spawn(|| {
            let me = Some(rustix::thread::gettid());
            rustix::process::setpriority_process(me, 15).ok()?;
            lower_this_thread();
            this_thread_nice()
        })
        .join()
        .ok()
        .flatten();
        assert_eq!(nice, Some(15));
    }
}
