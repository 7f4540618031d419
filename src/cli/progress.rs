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
