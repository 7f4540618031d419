//! A one-line progress bar on stderr for long work (drawn only when stderr is a terminal).

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct ProgressLine {
    label: String,
    started: Instant,
    draw: bool,
}

impl ProgressLine {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            started: Instant::now(),
            draw: std::io::stderr().is_terminal(),
        }
    }

    /// Shows `done` of `total` `unit`s.
    pub fn update(&self, done: usize, total: usize, unit: &str) {
        if !self.draw || total == 0 {
            return;
        }
        const WIDTH: usize = 30;
        let filled = (done * WIDTH / total).min(WIDTH);
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = if done > 0 && done < total {
            format!(
                ", ~{:.0} s left",
                elapsed / done as f64 * (total - done) as f64
            )
        } else {
            String::new()
        };
        let mut err = std::io::stderr().lock();
        // A failed write to the terminal is not worth failing the work for.
        let _ = write!(
            err,
            "\r{} [{}{}] {done}/{total} {unit}, {elapsed:.1} s{eta}   ",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
        );
        let _ = err.flush();
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.draw {
            let _ = write!(std::io::stderr().lock(), "\r{}\r", " ".repeat(100));
        }
    }

    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// A word on stderr when work that is usually quick is not: after `first`, then every `every`,
/// "still WHAT after N s (Ctrl-C stops it)", until dropped. Reading a damaged or huge file can
/// keep GDAL busy for long, inside one call that cannot report progress.
pub struct SlowNotice {
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl SlowNotice {
    /// Says `still {what}` on stderr after 3 s, then every 15 s.
    pub fn start(what: impl Into<String>) -> Self {
        Self::start_with(
            what.into(),
            std::time::Duration::from_secs(3),
            std::time::Duration::from_secs(15),
            |line| eprintln!("{line}"),
        )
    }

    /// [`SlowNotice::start`] with its times and where its lines go.
    pub fn start_with(
        what: String,
        first: std::time::Duration,
        every: std::time::Duration,
        say: impl Fn(String) + Send + 'static,
    ) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let started = Instant::now();
        std::thread::spawn(move || {
            let mut wait = first;
            // Disconnected (the notice dropped) or a message: the work is done.
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                say(format!(
                    "still {what} after {:.0} s (Ctrl-C stops it)",
                    started.elapsed().as_secs_f64()
                ));
                wait = every;
            }
        });
        Self { stop: Some(stop) }
    }
}

impl Drop for SlowNotice {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn slow_work_is_said_and_quick_work_is_not() {
        let said: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&said);
        let notice = SlowNotice::start_with(
            "reading a.tif".into(),
            Duration::from_millis(30),
            Duration::from_millis(30),
            move |line| sink.lock().unwrap().push(line),
        );
        std::thread::sleep(Duration::from_millis(150));
        drop(notice);
        std::thread::sleep(Duration::from_millis(100));
        let lines = said.lock().unwrap().clone();
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines[0].starts_with("still reading a.tif after"),
            "{lines:?}"
        );
        assert!(lines[0].contains("Ctrl-C"), "{lines:?}");
        // Nothing after the work ended.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(said.lock().unwrap().len(), lines.len());

        let quiet: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&quiet);
        drop(SlowNotice::start_with(
            "reading b.tif".into(),
            Duration::from_millis(50),
            Duration::from_millis(50),
            move |line| sink.lock().unwrap().push(line),
        ));
        std::thread::sleep(Duration::from_millis(150));
        assert!(quiet.lock().unwrap().is_empty());
    }
}
