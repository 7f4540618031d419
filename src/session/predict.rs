//! Predicting scenes: [`Predictor`] (weights on a device with their card, one routine for the
//! viewer and `sarscope predict`), and the viewer's prediction job: a worker thread predicts
//! the scene or the tiles in view (the SN6 baseline's windows, the weights' model card),
//! reports its progress, stops when asked, and hands back the probability map and its
//! footprints.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use geo::Translate;

use super::SessionError;
use super::job::{Job, Shared};

use crate::annotate::revectorize::Probabilities;
use crate::io::Footprint;
use crate::model::{
    DeviceChoice, InferParams, LoadedModel, ModelCard, ModelDevice, Orientations, ProbTile,
    ProbabilityMap, Progress, Rotation, SharedWgpu, TileProbabilities, assemble, card_path, crop,
    load_weights, predict_scene, predict_window, rotation_by_card, select_device_sharing,
    tiles_extent,
};
use crate::raster::{Scene, Window};
use crate::vector::{VectorizeParams, vectorize};

/// The largest scene predicted whole in the viewer (pixels); larger ones go through
/// `sarscope predict`.
pub const MAX_PREDICT_PIXELS: usize = 8192 * 8192;

/// Weights loaded on a device, with their model card and the inference settings it implies:
/// what predicts a scene, in the viewer and in `sarscope predict` alike.
pub struct Predictor {
    pub loaded: LoadedModel,
    pub device: ModelDevice,
    pub params: InferParams,
}

impl Predictor {
    /// Loads `weights` on `device`; windows per forward pass by the device
    /// ([`ModelDevice::windows_per_pass`]).
    pub fn load(weights: &Path, device: ModelDevice) -> Result<Self, SessionError> {
        let loaded = load_weights(weights, &device.device)?;
        let mut params = InferParams::from_card(&loaded.card);
        params.batch = device.windows_per_pass();
        Ok(Self {
            loaded,
            device,
            params,
        })
    }

    /// The rotation the card's rule gives `file` (SN6 tiles imaged from the south: 180°).
    pub fn rotation(&self, file: &Path) -> Result<Rotation, SessionError> {
        Ok(rotation_by_card(file, &self.loaded.card.rotation, None)?)
    }

    /// The probability map of all of `scene`, on its grid; `progress` is told of each window
    /// and stops the work by returning false.
    pub fn predict_scene(
        &self,
        scene: &Scene,
        rotation: Rotation,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<ProbabilityMap, SessionError> {
        Ok(predict_scene(
            &self.loaded.model,
            &self.loaded.card,
            &self.device.device,
            scene,
            rotation,
            &self.params,
            progress,
        )?)
    }

    /// The probability map of `window` of `scene` at full resolution.
    pub fn predict_window(
        &self,
        scene: &Scene,
        window: Window,
        rotation: Rotation,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<ProbabilityMap, SessionError> {
        Ok(predict_window(
            &self.loaded.model,
            &self.loaded.card,
            &self.device.device,
            scene,
            window,
            rotation,
            &self.params,
            progress,
        )?)
    }
}

/// How a model card's probability maps become buildings: its threshold and minimum area, the
/// baseline's simplification.
pub fn vectorize_params(card: &ModelCard) -> VectorizeParams {
    VectorizeParams {
        threshold: card.threshold,
        min_area: card.min_area_px.max(0.0) as usize,
        ..VectorizeParams::default()
    }
}

/// What a finished prediction gives the viewer.
pub struct Predicted {
    pub weights: PathBuf,
    /// The probability map of the scene, or of `region`.
    pub probabilities: Probabilities,
    /// The part of a scene drawn by tiles that was predicted (`None`: all of it).
    pub region: Option<Window>,
    /// In scene pixels, the model's confidence (mean probability) on each.
    pub footprints: Vec<Footprint>,
    /// The edge and contact maps of a three-map network (the SN6 winner's).
    pub edge_contact: Option<[Probabilities; 2]>,
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

    pub fn set(&self, done: usize, total: usize) {
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
        move |shared, wake| {
            let straighten = request.regularize;
            let mut predicted = predict(request, shared, wake)?;
            if let Some(params) = straighten {
                crate::annotate::regularize_all(&mut predicted.footprints, params);
            }
            Ok(predicted)
        },
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
    /// Straighten the traced buildings to right angles (those that can be).
    pub regularize: Option<crate::vector::RegularizeParams>,
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
) -> Result<Predicted, SessionError> {
    let started = Instant::now();
    let first = request.files.first().ok_or(SessionError::NoScene)?;
    let image_id = first.file_stem().map(|s| s.to_string_lossy().into_owned());
    if crate::model::effunet::is_effunet_file(&request.weights)? {
        return predict_winner(&request, first, image_id, started, shared, wake);
    }
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
    let found = vectorize(&map.probs, map.width, map.height, vectorize_params(&card));
    let pixel_m2 = scene.geo_transform().map(|g| g.pixel_area());
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
        edge_contact: None,
        device,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A scene (or, drawn by tiles, the tiles in view) through the SN6 winner's network (one pass,
/// no test-time augmentation: the viewer answers in seconds; `sarscope predict` has the
/// winner's TTA), its buildings from the watershed of its three maps (over the whole region,
/// so that buildings across tile seams come out whole); the footprint map is the layer shown.
fn predict_winner(
    request: &PredictRequest,
    first: &Path,
    image_id: Option<String>,
    started: Instant,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
) -> Result<Predicted, SessionError> {
    use super::winner::{WinnerPredictor, Within};
    let tta = crate::model::effunet::Tta::none();
    let scene = Scene::open_many(&request.files)?;
    let load = || -> Result<WinnerPredictor, SessionError> {
        let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
        shared.set_device(&device.description);
        wake();
        WinnerPredictor::load(std::slice::from_ref(&request.weights), device)
    };
    let (region, [footprint, edge, contact], device) = match &request.region {
        None => {
            let (w, h) = (scene.width(), scene.height());
            if w * h > MAX_PREDICT_PIXELS {
                return Err(SessionError::SceneTooLarge { size: (w, h) });
            }
            shared.progress.set(0, 1);
            let predictor = load()?;
            let rotation = predictor.rotation(first, None)?;
            let logits = predictor.predict_scene(first, &scene, rotation, None, true, &tta)?;
            shared.progress.set(1, 1);
            wake();
            let maps = logits.probabilities();
            (scene.full_window(), maps, predictor.device.description)
        }
        Some(region) => {
            // Loaded at the first tile to predict, with what every tile shares: the scene's
            // rotation and its strip's orientation file (read once, not per tile).
            let mut loaded: Option<(WinnerPredictor, Rotation, Option<Orientations>)> = None;
            let (extent, maps) = region_maps(region, 3, shared, wake, &mut |network| {
                if loaded.is_none() {
                    let predictor = load()?;
                    let rotation = predictor.rotation(first, None)?;
                    let orientations = crate::model::find_orientations_file(first)
                        .and_then(|p| Orientations::read(&p).ok());
                    loaded = Some((predictor, rotation, orientations));
                }
                let Some((p, rotation, orientations)) = &loaded else {
                    return Err(SessionError::NoWeights);
                };
                let within = Within {
                    window: network,
                    given: orientations.as_ref(),
                    look_for_orientations: false,
                };
                Ok(p.predict_window(first, &scene, *rotation, within, &tta)?
                    .probabilities()
                    .concat())
            })?;
            let device = loaded.map_or_else(
                || "the tiles predicted before".to_string(),
                |(p, _, _)| p.device.description,
            );
            let mut maps = maps.into_iter();
            let mut next = || maps.next().unwrap_or_default();
            (extent, [next(), next(), next()], device)
        }
    };
    if shared.cancelled() {
        return Err(SessionError::Cancelled);
    }
    let (w, h) = (region.width, region.height);
    // Tiles not predicted (none here, but a map is NaN where a tile is missing) hold nothing.
    let clean = |map: Vec<f32>| -> Vec<f32> {
        map.into_iter()
            .map(|v| if v.is_finite() { v } else { 0.0 })
            .collect()
    };
    let (footprint, edge, contact) = (clean(footprint), clean(edge), clean(contact));
    let found = crate::vector::instance_footprints(
        &footprint,
        &edge,
        &contact,
        w,
        h,
        crate::vector::InstanceParams::default(),
        crate::vector::OutlineParams::default(),
    )
    .unwrap_or_default();
    let pixel_m2 = scene.geo_transform().map(|g| g.pixel_area());
    let mut footprints = crate::annotate::model_footprints(found, image_id, pixel_m2);
    let whole = request.region.is_none();
    if !whole {
        for f in &mut footprints {
            f.polygon.translate_mut(region.x as f64, region.y as f64);
        }
    }
    let map = |values| Probabilities {
        values,
        width: w,
        height: h,
    };
    Ok(Predicted {
        weights: request.weights.clone(),
        probabilities: map(footprint),
        region: (!whole).then_some(region),
        footprints,
        edge_contact: Some([map(edge), map(contact)]),
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
) -> Result<Mapped, SessionError> {
    let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
    shared.set_device(&device.description);
    wake();
    let predictor = Predictor::load(&request.weights, device)?;
    let scene = Scene::open_many(&request.files)?;
    let (w, h) = (scene.width(), scene.height());
    if w * h > MAX_PREDICT_PIXELS {
        return Err(SessionError::SceneTooLarge { size: (w, h) });
    }
    let rotation = predictor.rotation(first)?;
    let map = predictor.predict_scene(&scene, rotation, &mut window_progress(shared, wake))?;
    Ok(Mapped {
        card: predictor.loaded.card,
        map,
        region: None,
        device: predictor.device.description,
        scene,
    })
}

/// The maps of the tiles of `region`: those the viewer has, and the others predicted by
/// `predict` (a tile's network window to its `planes` maps, one after another), each handed
/// to the viewer as it comes. The region's extent and its maps, NaN where no tile is.
fn region_maps(
    region: &TiledRegion,
    planes: usize,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
    predict: &mut dyn FnMut(Window) -> Result<Vec<f32>, SessionError>,
) -> Result<(Window, Vec<Vec<f32>>), SessionError> {
    let extent = tiles_extent(&region.tiles, region.size);
    if extent.width * extent.height == 0 {
        return Err(SessionError::NothingInView);
    }
    if extent.width * extent.height > MAX_PREDICT_PIXELS {
        return Err(SessionError::ViewTooLarge {
            size: (extent.width, extent.height),
        });
    }
    let mut tiles: Vec<(Window, TileProbabilities)> = Vec::with_capacity(region.tiles.len());
    let mut missing = Vec::new();
    for tile in &region.tiles {
        match region.cached.iter().find(|(t, _)| t == tile) {
            Some((_, values)) => tiles.push((tile.window(region.size), values.clone())),
            None => missing.push(*tile),
        }
    }
    shared.progress.set(0, missing.len());
    for (done, tile) in missing.iter().enumerate() {
        let network = tile.network_window(region.size);
        let maps = predict(network)?;
        let window = tile.window(region.size);
        let n = network.width * network.height;
        let values: TileProbabilities = Arc::from(
            maps.chunks_exact(n.max(1))
                .take(planes)
                .flat_map(|plane| crop(plane, network, window))
                .collect::<Vec<f32>>(),
        );
        if let Ok(mut handed) = shared.progress.tiles.lock() {
            handed.push((*tile, values.clone()));
        }
        tiles.push((window, values));
        shared.progress.set(done + 1, missing.len());
        wake();
        if shared.cancelled() {
            return Err(SessionError::Cancelled);
        }
    }
    // Each tile's planes, one by one, put together over the extent.
    let maps = (0..planes)
        .map(|k| {
            let plane: Vec<(Window, TileProbabilities)> = tiles
                .iter()
                .map(|(w, values)| {
                    let n = w.width * w.height;
                    let part = values.get(k * n..(k + 1) * n).unwrap_or_default();
                    (*w, Arc::from(part))
                })
                .collect();
            assemble(extent, &plane)
        })
        .collect();
    Ok((extent, maps))
}

/// Predicts the tiles of `region` the viewer does not have (handing each to it as it comes),
/// then puts the region's map together.
fn predict_tiles(
    request: &PredictRequest,
    region: &TiledRegion,
    first: &Path,
    shared: &Shared<WindowProgress>,
    wake: &dyn Fn(),
) -> Result<Mapped, SessionError> {
    let scene = Scene::open_many(&request.files)?;
    // Loaded at the first tile to predict, with the scene's rotation (found once).
    let mut loaded: Option<(Predictor, Rotation)> = None;
    let (extent, maps) = region_maps(region, 1, shared, wake, &mut |network| {
        if loaded.is_none() {
            let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
            shared.set_device(&device.description);
            wake();
            let predictor = Predictor::load(&request.weights, device)?;
            let rotation = predictor.rotation(first)?;
            loaded = Some((predictor, rotation));
        }
        let Some((p, rotation)) = &loaded else {
            return Err(SessionError::NoWeights);
        };
        Ok(
            p.predict_window(&scene, network, *rotation, &mut |_| !shared.cancelled())?
                .probs,
        )
    })?;
    let (card, device) = match loaded {
        Some((p, _)) => (p.loaded.card, p.device.description),
        None => {
            let card_file = card_path(&request.weights);
            let card = if card_file.is_file() {
                ModelCard::read(&card_file)?
            } else {
                ModelCard::default()
            };
            (card, "the tiles predicted before".to_string())
        }
    };
    let map = ProbabilityMap {
        width: extent.width,
        height: extent.height,
        probs: maps.into_iter().next().unwrap_or_default(),
    };
    Ok(Mapped {
        card,
        map,
        region: Some(extent),
        device,
        scene,
    })
}
