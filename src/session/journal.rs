//! The edit journal written off the caller's thread: after each edit the caller hands over the
//! whole edit set ([`JournalWriter::save`]) and goes on; a writer thread writes the newest set
//! of each scene (sets handed over while it was writing are superseded by the last one, never
//! written out of order), and reports how the last write of each went. Writing a GeoPackage
//! took 20-35 ms of the viewer's UI thread per edit when it was written there.
//!
//! Nothing is lost by going off the thread: a set is on disk as soon after the edit as before
//! (the write itself is the wait either way), dropping the writer waits for what is queued, and
//! [`JournalWriter::wait_saved`] waits for it on request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

use crate::annotate::journal;
use crate::io::{Footprint, SceneGrid};

/// One scene's edits, as they are after an edit.
struct EditSet {
    scene_file: PathBuf,
    grid: Option<SceneGrid>,
    footprints: Vec<Footprint>,
}

/// What the writer has done, shared with its thread.
#[derive(Default)]
struct Progress {
    /// Sets handed over and not yet written (or found superseded).
    pending: usize,
    /// A write that failed since the caller last asked, in words.
    failure: Option<String>,
}

/// Writes edit journals on its own thread; see the module's documentation.
pub struct JournalWriter {
    sender: Option<mpsc::Sender<EditSet>>,
    progress: Arc<(Mutex<Progress>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl JournalWriter {
    /// Starts the writer; `wake` is called after each write (the viewer repaints to show a
    /// failure).
    pub fn new(wake: impl Fn() + Send + 'static) -> Self {
        let (sender, inbox) = mpsc::channel::<EditSet>();
        let progress: Arc<(Mutex<Progress>, Condvar)> = Arc::default();
        let shared = Arc::clone(&progress);
        let thread = std::thread::spawn(move || {
            while let Ok(first) = inbox.recv() {
                let mut sets = vec![first];
                sets.extend(inbox.try_iter());
                let taken = sets.len();
                let failures: Vec<String> = newest_of_each_scene(sets)
                    .into_iter()
                    .filter_map(|set| {
                        journal::save(&set.scene_file, set.grid.as_ref(), &set.footprints)
                            .err()
                            .map(|e| e.to_string())
                    })
                    .collect();
                let (lock, written) = &*shared;
                let mut progress = lock.lock().unwrap_or_else(PoisonError::into_inner);
                progress.pending = progress.pending.saturating_sub(taken);
                if let Some(failure) = failures.into_iter().last() {
                    progress.failure = Some(failure);
                }
                drop(progress);
                written.notify_all();
                wake();
            }
        });
        Self {
            sender: Some(sender),
            progress,
            thread: Some(thread),
        }
    }

    /// Hands over `footprints` (scene pixels) as the edits of `scene_file`, to be written as
    /// soon as the writer is free.
    pub fn save(&self, scene_file: &Path, grid: Option<&SceneGrid>, footprints: &[Footprint]) {
        let set = EditSet {
            scene_file: scene_file.to_path_buf(),
            grid: grid.cloned(),
            footprints: footprints.to_vec(),
        };
        let (lock, _) = &*self.progress;
        lock.lock().unwrap_or_else(PoisonError::into_inner).pending += 1;
        let sent = self.sender.as_ref().is_some_and(|s| s.send(set).is_ok());
        if !sent {
            let mut progress = lock.lock().unwrap_or_else(PoisonError::into_inner);
            progress.pending = progress.pending.saturating_sub(1);
            progress.failure = Some("the journal's writer has stopped".into());
        }
    }

    /// Whether edits handed over are still being written.
    pub fn pending(&self) -> bool {
        let (lock, _) = &*self.progress;
        lock.lock().unwrap_or_else(PoisonError::into_inner).pending > 0
    }

    /// Why the last failed write failed, once: `None` when none failed since the last call.
    pub fn take_failure(&self) -> Option<String> {
        let (lock, _) = &*self.progress;
        lock.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failure
            .take()
    }

    /// Waits until every set handed over is written (or its write failed).
    pub fn wait_saved(&self) {
        let (lock, written) = &*self.progress;
        let mut progress = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while progress.pending > 0 {
            progress = written
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for JournalWriter {
    /// Writes what is queued before going.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The last set of each scene, in the order their scenes were last handed over.
fn newest_of_each_scene(sets: Vec<EditSet>) -> Vec<EditSet> {
    let mut newest: Vec<EditSet> = Vec::new();
    for set in sets {
        newest.retain(|s| s.scene_file != set.scene_file);
        newest.push(set);
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::Role;

    fn square(k: usize) -> Footprint {
        let (x, y) = (10.0 + 30.0 * k as f64, 10.0);
        let ring = geo::LineString::from(vec![
            (x, y),
            (x + 20.0, y),
            (x + 20.0, y + 20.0),
            (x, y + 20.0),
            (x, y),
        ]);
        Footprint {
            id: k.to_string(),
            source: "edited".into(),
            confidence: None,
            area_m2: None,
            iou: None,
            image_id: None,
            polygon: geo::MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
        }
    }

    fn saved(scene: &Path) -> usize {
        match journal::restore(scene, None) {
            Some(Ok(layer)) => {
                assert_eq!(layer.role, Role::Predictions);
                layer.footprints.len()
            }
            _ => 0,
        }
    }

    #[test]
    fn the_newest_edits_of_each_scene_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.tif"), dir.path().join("b.tif"));
        let writer = JournalWriter::new(|| {});
        let mut edits = Vec::new();
        for k in 0..50 {
            edits.push(square(k));
            writer.save(&a, None, &edits);
            if k % 10 == 0 {
                writer.save(&b, None, &edits[..1]);
            }
        }
        writer.wait_saved();
        assert!(!writer.pending());
        assert_eq!(saved(&a), 50);
        assert_eq!(saved(&b), 1);
        assert_eq!(writer.take_failure(), None);
        // What is queued when the writer is dropped is written.
        edits.push(square(50));
        writer.save(&a, None, &edits);
        drop(writer);
        assert_eq!(saved(&a), 51);
    }

    #[test]
    fn a_failed_write_is_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let scene = dir.path().join("no such folder").join("a.tif");
        let writer = JournalWriter::new(|| {});
        writer.save(&scene, None, &[square(0)]);
        writer.wait_saved();
        let failure = writer.take_failure().unwrap_or_default();
        assert!(failure.contains("no such folder"), "{failure}");
        assert_eq!(writer.take_failure(), None);
    }
}
