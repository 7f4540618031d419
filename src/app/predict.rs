//! The model run from the viewer: a worker thread predicts the scene (the SN6 baseline's
//! windows, the weights' model card), reports its progress, stops when asked, and hands back
//! the probability map and its footprints.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use geo::{Area, MultiPolygon};

use crate::annotate::revectorize::Probabilities;
use crate::io::Footprint;
use crate::model::{
    DeviceChoice, InferParams, ModelError, SharedWgpu, load_weights, predict_scene,
    rotation_by_card, select_device_sharing,
};
use crate::raster::Scene;
use crate::vector::{VectorizeParams, vectorize};

/// The largest scene predicted whole in the viewer (pixels); larger ones go through
/// `sarscope predict`.
pub const MAX_PREDICT_PIXELS: usize = 8192 * 8192;

/// What a finished prediction gives the viewer.
pub struct Predicted {
    pub probabilities: Probabilities,
    /// In scene pixels, the model's confidence (mean probability) on each.
    pub footprints: Vec<Footprint>,
    pub device: String,
    pub seconds: f64,
}

#[derive(Default)]
struct Shared {
    cancel: AtomicBool,
    done: AtomicUsize,
    total: AtomicUsize,
    device: Mutex<String>,
}

/// A prediction under way.
pub struct PredictJob {
    pub weights: PathBuf,
    shared: Arc<Shared>,
    result: mpsc::Receiver<Result<Predicted, String>>,
    started: Instant,
}

impl PredictJob {
    /// Starts predicting the scene of `files` with `weights`; `wake` is called after each
    /// window and at the end (the viewer asks for a repaint there).
    /// `shared_wgpu`: the viewer's device, for a GPU to run the model on (see
    /// [`select_device_sharing`]).
    pub fn start(
        files: Vec<PathBuf>,
        weights: PathBuf,
        shared_wgpu: Option<SharedWgpu>,
        wake: impl Fn() + Send + 'static,
    ) -> Self {
        let shared = Arc::new(Shared::default());
        let (sender, result) = mpsc::channel();
        let worker = Arc::clone(&shared);
        let worker_weights = weights.clone();
        std::thread::spawn(move || {
            let outcome = predict(&files, &worker_weights, shared_wgpu, &worker, &wake)
                .map_err(|e| e.to_string());
            // The viewer may have dropped the job (a new scene): then nobody wants the result.
            let _ = sender.send(outcome);
            wake();
        });
        Self {
            weights,
            shared,
            result,
            started: Instant::now(),
        }
    }

    /// Windows done and in all (0 of 0 while the model loads).
    pub fn progress(&self) -> (usize, usize) {
        (
            self.shared.done.load(Ordering::Relaxed),
            self.shared.total.load(Ordering::Relaxed),
        )
    }

    /// Where the model runs, once known.
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

    /// Asks the worker to stop after the window it is on.
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.shared.cancel.load(Ordering::Relaxed)
    }

    /// The result, once the worker has one.
    pub fn poll(&self) -> Option<Result<Predicted, String>> {
        match self.result.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Some(Err("the model's thread stopped without a result".into()))
            }
        }
    }
}

impl Drop for PredictJob {
    /// A job nobody waits for stops working.
    fn drop(&mut self) {
        self.cancel();
    }
}

fn predict(
    files: &[PathBuf],
    weights: &Path,
    shared_wgpu: Option<SharedWgpu>,
    shared: &Shared,
    wake: &dyn Fn(),
) -> Result<Predicted, ModelError> {
    let started = Instant::now();
    let first = files
        .first()
        .ok_or_else(|| ModelError::Input("no scene file".into()))?;
    let device = select_device_sharing(DeviceChoice::Auto, shared_wgpu.as_ref())?;
    if let Ok(mut text) = shared.device.lock() {
        text.clone_from(&device.description);
    }
    wake();
    let loaded = load_weights(weights, &device.device)?;
    let scene = Scene::open_many(files).map_err(|e| ModelError::Input(e.to_string()))?;
    let (w, h) = (scene.width(), scene.height());
    if w * h > MAX_PREDICT_PIXELS {
        return Err(ModelError::Input(format!(
            "the scene is {w} x {h} px; the viewer predicts scenes up to 8192 x 8192 px: \
             run `sarscope predict` on it and open the probability map"
        )));
    }
    let rotation = rotation_by_card(first, &loaded.card.rotation)?;
    let mut params = InferParams::from_card(&loaded.card);
    params.batch = if device.is_gpu { 4 } else { 1 };
    let map = predict_scene(
        &loaded.model,
        &loaded.card,
        &device.device,
        &scene,
        rotation,
        &params,
        &mut |p| {
            shared.done.store(p.windows_done, Ordering::Relaxed);
            shared.total.store(p.windows_total, Ordering::Relaxed);
            wake();
            !shared.cancel.load(Ordering::Relaxed)
        },
    )?;
    let found = vectorize(
        &map.probs,
        map.width,
        map.height,
        VectorizeParams {
            threshold: loaded.card.threshold,
            min_area: loaded.card.min_area_px.max(0.0) as usize,
            ..VectorizeParams::default()
        },
    );
    let pixel_m2 = scene
        .geo_transform()
        .map(|g| (g.0[1] * g.0[5] - g.0[2] * g.0[4]).abs());
    let image_id = first.file_stem().map(|s| s.to_string_lossy().into_owned());
    let footprints = found
        .into_iter()
        .enumerate()
        .map(|(i, f)| Footprint {
            id: (i + 1).to_string(),
            source: "model".into(),
            confidence: Some(f.confidence),
            area_m2: pixel_m2.map(|a| a * f.polygon.unsigned_area()),
            iou: None,
            image_id: image_id.clone(),
            polygon: MultiPolygon(vec![f.polygon]),
        })
        .collect();
    Ok(Predicted {
        probabilities: Probabilities {
            values: map.probs,
            width: map.width,
            height: map.height,
        },
        footprints,
        device: device.description,
        seconds: started.elapsed().as_secs_f64(),
    })
}
