//! The model run from the viewer: a worker thread predicts the scene (the SN6 baseline's
//! windows, the weights' model card), reports its progress, stops when asked, and hands back
//! the probability map and its footprints.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use geo::Translate;

use super::job::{Job, Shared};

use crate::annotate::revectorize::Probabilities;
use crate::io::Footprint;
use crate::model::{
    DeviceChoice, InferParams, ModelError, Progress, SharedWgpu, load_weights, predict_scene,
    predict_window, rotation_by_card, select_device_sharing,
};
use crate::raster::{Scene, Window};
use crate::vector::{VectorizeParams, vectorize};

/// The largest scene predicted whole in the viewer (pixels); larger ones go through
/// `sarscope predict`.
pub const MAX_PREDICT_PIXELS: usize = 8192 * 8192;

/// What a finished prediction gives the viewer.
pub struct Predicted {
    pub weights: PathBuf,
    /// The scene's probability map (`None` for a prediction of part of the scene).
    pub probabilities: Option<Probabilities>,
    /// In scene pixels, the model's confidence (mean probability) on each.
    pub footprints: Vec<Footprint>,
    pub device: String,
    pub seconds: f64,
}

/// Windows done and in all (0 of 0 while the model loads).
#[derive(Default)]
pub struct WindowProgress {
    done: AtomicUsize,
    total: AtomicUsize,
}

impl WindowProgress {
    pub fn windows(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// A prediction under way.
pub type PredictJob = Job<Predicted, WindowProgress>;

/// Starts the prediction `request` asks for; `wake` is called after each window and at the
/// end.
pub fn start_prediction(request: PredictRequest, wake: impl Fn() + Send + 'static) -> PredictJob {
    Job::spawn(
        move |shared, wake| predict(request, shared, wake).map_err(|e| e.to_string()),
        wake,
    )
}

/// What to predict.
pub struct PredictRequest {
    pub files: Vec<PathBuf>,
    pub weights: PathBuf,
    /// The part of the scene to predict (the view of a scene drawn by tiles); `None`: all of it.
    pub region: Option<Window>,
    /// The viewer's device, for a GPU to run the model on (see [`select_device_sharing`]).
    pub shared_wgpu: Option<SharedWgpu>,
}

fn predict(
    request: PredictRequest,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
) -> Result<Predicted, ModelError> {
    let PredictRequest {
        files,
        weights,
        region,
        shared_wgpu,
    } = request;
    let started = Instant::now();
    let first = files
        .first()
        .ok_or_else(|| ModelError::Input("no scene file".into()))?;
    let device = select_device_sharing(DeviceChoice::Auto, shared_wgpu.as_ref())?;
    shared.set_device(&device.description);
    wake();
    let loaded = load_weights(&weights, &device.device)?;
    let scene = Scene::open_many(&files).map_err(|e| ModelError::Input(e.to_string()))?;
    let (w, h) = match region {
        Some(r) => (r.width, r.height),
        None => (scene.width(), scene.height()),
    };
    if w == 0 || h == 0 {
        return Err(ModelError::Input("nothing of the scene is in view".into()));
    }
    if w * h > MAX_PREDICT_PIXELS {
        return Err(ModelError::Input(format!(
            "{w} x {h} px is more than the viewer predicts at once (8192 x 8192 px): zoom in, \
             or run `sarscope predict` on the scene and open the probability map"
        )));
    }
    let rotation = rotation_by_card(first, &loaded.card.rotation, None)?;
    let mut params = InferParams::from_card(&loaded.card);
    params.batch = if device.is_gpu { 4 } else { 1 };
    let mut progress = |p: Progress| {
        let windows = &shared.progress;
        windows.done.store(p.windows_done, Ordering::Relaxed);
        windows.total.store(p.windows_total, Ordering::Relaxed);
        wake();
        !shared.cancelled()
    };
    let (model, card, device_) = (&loaded.model, &loaded.card, &device.device);
    let map = match region {
        None => predict_scene(
            model,
            card,
            device_,
            &scene,
            rotation,
            &params,
            &mut progress,
        )?,
        Some(window) => predict_window(
            model,
            card,
            device_,
            &scene,
            window,
            rotation,
            &params,
            &mut progress,
        )?,
    };
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
    let mut footprints = crate::annotate::model_footprints(found, image_id, pixel_m2);
    // A window's buildings go to their place in the scene; its map is not the scene's.
    let probabilities = match region {
        None => Some(Probabilities {
            values: map.probs,
            width: map.width,
            height: map.height,
        }),
        Some(window) => {
            for f in &mut footprints {
                f.polygon.translate_mut(window.x as f64, window.y as f64);
            }
            None
        }
    };
    Ok(Predicted {
        weights,
        probabilities,
        footprints,
        device: device.description,
        seconds: started.elapsed().as_secs_f64(),
    })
}
