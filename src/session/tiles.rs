//! Tiles of a large scene read on a worker thread: the viewer asks for the tiles in view, the
//! worker reads each through GDAL at its level's resolution (from overviews when the file has
//! them), or makes a polarimetric product of it, and sends back interleaved texels, newest
//! requests first.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use super::SessionError;
use super::polarimetry::ProductTiles;
use crate::raster::{GdalNote, Scene, Window};
use crate::render::interleave;
use crate::render::pyramid::TileKey;

/// Requests in flight at most: a fast pan does not queue reads of tiles long out of view.
const IN_FLIGHT: usize = 24;

/// A tile's texels, width and height.
pub type TileTexels = (Vec<[f32; 4]>, usize, usize);

/// A read tile: its texels or why it could not be read (a scene that did not open is the
/// reason of every tile, hence shared).
pub type TileResult = (TileKey, Result<TileTexels, Arc<SessionError>>);

/// What a tile's texels are made of.
#[derive(Clone)]
pub enum TileSource {
    /// The scene's bands, channels from bands `order`.
    Bands([usize; 4]),
    /// A decomposition or the filtered bands, made for each tile's window.
    Product(Arc<ProductTiles>),
}

/// The worker and what it is reading.
pub struct TileReader {
    requests: mpsc::Sender<TileKey>,
    results: mpsc::Receiver<TileResult>,
    pending: HashSet<TileKey>,
    /// What GDAL has said about the scene's files while the worker read them.
    notes: Arc<Mutex<Vec<GdalNote>>>,
}

impl TileReader {
    /// Starts a worker making tiles of the scene `files` (a scene of `size` pixels) from
    /// `source`. `wake` is called after each tile.
    pub fn new(
        files: Vec<PathBuf>,
        size: (usize, usize),
        source: TileSource,
        wake: impl Fn() + Send + 'static,
    ) -> Self {
        let (requests, inbox) = mpsc::channel::<TileKey>();
        let (outbox, results) = mpsc::channel();
        let notes = Arc::new(Mutex::new(Vec::new()));
        let worker_notes = Arc::clone(&notes);
        std::thread::spawn(move || {
            super::background::lower_this_thread();
            let scene = Scene::open_many(&files).map_err(|e| Arc::new(e.into()));
            // What is asked for and not made yet. After each tile the newest request is made
            // first (the view the user is at now): zoomed in from afar, the tiles of the
            // new view wait for one tile of the old, not for all of them.
            let mut asked: Vec<TileKey> = Vec::new();
            loop {
                if asked.is_empty() {
                    match inbox.recv() {
                        Ok(key) => asked.push(key),
                        Err(_) => return,
                    }
                }
                asked.extend(inbox.try_iter());
                let Some(key) = asked.pop() else {
                    continue;
                };
                let result = match &scene {
                    Ok(scene) => {
                        let read = match &source {
                            TileSource::Bands(order) => read_tile(scene, key, size, *order),
                            TileSource::Product(product) => product.tile(scene, key, size),
                        }
                        .map_err(Arc::new);
                        *worker_notes.lock().unwrap_or_else(PoisonError::into_inner) =
                            scene.gdal_notes();
                        read
                    }
                    Err(e) => Err(Arc::clone(e)),
                };
                if outbox.send((key, result)).is_err() {
                    return;
                }
                wake();
            }
        });
        Self {
            requests,
            results,
            pending: HashSet::new(),
            notes,
        }
    }

    /// What GDAL has said about the scene's files while the worker read them.
    pub fn gdal_notes(&self) -> Vec<GdalNote> {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asks for `key` unless it is being read or too much is in flight.
    pub fn request(&mut self, key: TileKey) {
        if self.pending.len() >= IN_FLIGHT || self.pending.contains(&key) {
            return;
        }
        if self.requests.send(key).is_ok() {
            self.pending.insert(key);
        }
    }

    /// Tiles read since the last call.
    pub fn finished(&mut self) -> Vec<TileResult> {
        let done: Vec<TileResult> = self.results.try_iter().collect();
        for (key, _) in &done {
            self.pending.remove(key);
        }
        done
    }
}

fn read_tile(
    scene: &Scene,
    key: TileKey,
    size: (usize, usize),
    order: [usize; 4],
) -> Result<TileTexels, SessionError> {
    let (x, y, width, height) = key.window(size);
    let (tw, th) = key.texels(size);
    let planes = scene.read_window(
        Window {
            x,
            y,
            width,
            height,
        },
        (tw, th),
    )?;
    Ok((interleave(&planes, order), tw, th))
}
