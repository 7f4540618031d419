//! The model run from the viewer: a worker thread predicts the scene (the SN6 baseline's
//! windows, the weights' model card), reports its progress, stops when asked, and hands back
//! the probability map and its footprints.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use geo::Translate;

use super::job::{Job, Shared};

use crate::annotate::revectorize::Probabilities;
use crate::io::Footprint;
use crate::model::{
    DeviceChoice, InferParams, ModelCard, ModelError, ProbTile, ProbabilityMap, Progress,
    SharedWgpu, TileProbabilities, assemble, card_path, crop, load_weights, predict_scene,
    predict_window, rotation_by_card, select_device_sharing, tiles_extent,
};
use crate::raster::{Scene, Window};
use crate::vector::{VectorizeParams, vectorize};

/// The largest scene predicted whole in the viewer (pixels); larger ones go through
/// `sarscope predict`.
pub const MAX_PREDICT_PIXELS: usize = 8192 * 8192;

/// What a finished prediction gives the viewer.
pub struct Predicted {
    pub weights: PathBuf,
    /// The probability map of the scene, or of `region`.
    pub probabilities: Probabilities,
    /// The part of a scene drawn by tiles that was predicted (`None`: all of it).
    pub region: Option<Window>,
    /// In scene pixels, the model's confidence (mean probability) on each.
    pub footprints: Vec<Footprint>,
    pub device: String,
    pub seconds: f64,
}

/// Windows (or tiles) done and in all (0 of 0 while the model loads), and the tiles of a
/// scene drawn by tiles as they come, for the viewer's cache (kept even when the job is
/// cancelled).
#[derive(Default)]
pub struct WindowProgress {
    done: AtomicUsize,
    total: AtomicUsize,
    tiles: Mutex<Vec<(ProbTile, TileProbabilities)>>,
}

impl WindowProgress {
    pub fn windows(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// The tiles predicted since the last call.
    pub fn take_tiles(&self) -> Vec<(ProbTile, TileProbabilities)> {
        self.tiles
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }

    fn set(&self, done: usize, total: usize) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
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
    /// The view of a scene drawn by tiles; `None`: all of the scene.
    pub region: Option<TiledRegion>,
    /// The viewer's device, for a GPU to run the model on (see [`select_device_sharing`]).
    pub shared_wgpu: Option<SharedWgpu>,
}

/// The view of a scene drawn by tiles, as the probability tiles it covers.
pub struct TiledRegion {
    /// The scene's full-resolution size.
    pub size: (usize, usize),
    /// Every tile of the view, the first predicted first.
    pub tiles: Vec<ProbTile>,
    /// Those of `tiles` the viewer already has, with the same weights.
    pub cached: Vec<(ProbTile, TileProbabilities)>,
}

fn predict(
    request: PredictRequest,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
) -> Result<Predicted, ModelError> {
    let started = Instant::now();
    let first = request
        .files
        .first()
        .ok_or_else(|| ModelError::Input("no scene file".into()))?;
    let image_id = first.file_stem().map(|s| s.to_string_lossy().into_owned());
    let Mapped {
        card,
        map,
        region: window,
        device,
        scene,
    } = match &request.region {
        None => predict_whole(&request, first, shared, wake)?,
        Some(region) => predict_tiles(&request, region, first, shared, wake)?,
    };
    let found = vectorize(
        &map.probs,
        map.width,
        map.height,
        VectorizeParams {
            threshold: card.threshold,
            min_area: card.min_area_px.max(0.0) as usize,
            ..VectorizeParams::default()
        },
    );
    let pixel_m2 = scene
        .geo_transform()
        .map(|g| (g.0[1] * g.0[5] - g.0[2] * g.0[4]).abs());
    let mut footprints = crate::annotate::model_footprints(found, image_id, pixel_m2);
    // A region's buildings go to their place in the scene.
    if let Some(window) = window {
        for f in &mut footprints {
            f.polygon.translate_mut(window.x as f64, window.y as f64);
        }
    }
    Ok(Predicted {
        weights: request.weights,
        probabilities: Probabilities {
            values: map.probs,
            width: map.width,
            height: map.height,
        },
        region: window,
        footprints,
        device,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A probability map and what made it: the card (for vectorizing it), the part of the scene
/// it covers (`None`: all), the device, the scene.
struct Mapped {
    card: ModelCard,
    map: ProbabilityMap,
    region: Option<Window>,
    device: String,
    scene: Scene,
}

/// Hands the model's windows done to the job's progress and says whether to go on.
fn window_progress<'a>(
    shared: &'a Shared<WindowProgress>,
    wake: &'a dyn Fn(),
) -> impl FnMut(Progress) -> bool + 'a {
    move |p: Progress| {
        shared.progress.set(p.windows_done, p.windows_total);
        wake();
        !shared.cancelled()
    }
}

fn predict_whole(
    request: &PredictRequest,
    first: &Path,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
) -> Result<Mapped, ModelError> {
    let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
    shared.set_device(&device.description);
    wake();
    let loaded = load_weights(&request.weights, &device.device)?;
    let scene = Scene::open_many(&request.files).map_err(|e| ModelError::Input(e.to_string()))?;
    let (w, h) = (scene.width(), scene.height());
    if w * h > MAX_PREDICT_PIXELS {
        return Err(ModelError::Input(format!(
            "{w} x {h} px is more than the viewer predicts at once (8192 x 8192 px): run \
             `sarscope predict` on the scene and open the probability map"
        )));
    }
    let rotation = rotation_by_card(first, &loaded.card.rotation, None)?;
    let mut params = InferParams::from_card(&loaded.card);
    params.batch = device.windows_per_pass();
    let map = predict_scene(
        &loaded.model,
        &loaded.card,
        &device.device,
        &scene,
        rotation,
        &params,
        &mut window_progress(shared, wake),
    )?;
    Ok(Mapped {
        card: loaded.card,
        map,
        region: None,
        device: device.description,
        scene,
    })
}

/// Predicts the tiles of `region` the viewer does not have (handing each to it as it comes),
/// then puts the region's map together.
fn predict_tiles(
    request: &PredictRequest,
    region: &TiledRegion,
    first: &Path,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
) -> Result<Mapped, ModelError> {
    let extent = tiles_extent(&region.tiles, region.size);
    if extent.width * extent.height == 0 {
        return Err(ModelError::Input("nothing of the scene is in view".into()));
    }
    if extent.width * extent.height > MAX_PREDICT_PIXELS {
        return Err(ModelError::Input(format!(
            "the view ({} x {} px at full resolution) is more than the viewer predicts at once \
             (8192 x 8192 px): zoom in, or run `sarscope predict` on the scene and open the \
             probability map",
            extent.width, extent.height
        )));
    }
    let scene = Scene::open_many(&request.files).map_err(|e| ModelError::Input(e.to_string()))?;
    let mut tiles: Vec<(Window, TileProbabilities)> = Vec::with_capacity(region.tiles.len());
    let mut missing = Vec::new();
    for tile in &region.tiles {
        match region.cached.iter().find(|(t, _)| t == tile) {
            Some((_, values)) => tiles.push((tile.window(region.size), values.clone())),
            None => missing.push(*tile),
        }
    }
    let (card, device) = if missing.is_empty() {
        let card_file = card_path(&request.weights);
        let card = if card_file.is_file() {
            ModelCard::read(&card_file)?
        } else {
            ModelCard::default()
        };
        (card, "the tiles predicted before".to_string())
    } else {
        let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
        shared.set_device(&device.description);
        shared.progress.set(0, missing.len());
        wake();
        let loaded = load_weights(&request.weights, &device.device)?;
        let rotation = rotation_by_card(first, &loaded.card.rotation, None)?;
        let mut params = InferParams::from_card(&loaded.card);
        params.batch = device.windows_per_pass();
        for (done, tile) in missing.iter().enumerate() {
            let network = tile.network_window(region.size);
            let map = predict_window(
                &loaded.model,
                &loaded.card,
                &device.device,
                &scene,
                network,
                rotation,
                &params,
                &mut |_| !shared.cancelled(),
            )?;
            let window = tile.window(region.size);
            let values: TileProbabilities = Arc::from(crop(&map.probs, network, window));
            if let Ok(mut handed) = shared.progress.tiles.lock() {
                handed.push((*tile, values.clone()));
            }
            tiles.push((window, values));
            shared.progress.set(done + 1, missing.len());
            wake();
            if shared.cancelled() {
                return Err(ModelError::Input("cancelled".into()));
            }
        }
        (loaded.card, device.description)
    };
    let map = ProbabilityMap {
        width: extent.width,
        height: extent.height,
        probs: assemble(extent, &tiles),
    };
    Ok(Mapped {
        card,
        map,
        region: Some(extent),
        device,
        scene,
    })
}
