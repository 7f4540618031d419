//! Work on every core without a thread-pool dependency.

/// `f` applied to every item, the items split into one contiguous chunk per core; the results
/// come back in the items' order. A panic in `f` is passed on to the caller.
///
/// ```
/// let squares = sarscope::parallel::map_on_all_cores(&[1, 2, 3, 4, 5], |x| x * x);
/// assert_eq!(squares, vec![1, 4, 9, 16, 25]);
/// ```
pub fn map_on_all_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    map_on_threads(items, threads, f)
}

/// [`map_on_all_cores`] on `threads` threads (at least 1): one contiguous chunk each.
///
/// ```
/// let halves = sarscope::parallel::map_on_threads(&[2, 4, 6], 2, |x| x / 2);
/// assert_eq!(halves, vec![1, 2, 3]);
/// ```
pub fn map_on_threads<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// `a()` and `b()` at the same time (`b` on this thread), both results. A panic in either is
/// passed on to the caller.
///
/// ```
/// let (a, b) = sarscope::parallel::join(|| 1 + 1, || "two");
/// assert_eq!((a, b), (2, "two"));
/// ```
pub fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let first = scope.spawn(a);
        let second = b();
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}
