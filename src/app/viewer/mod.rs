//! The viewer's state and its scene panes: one view or the linked grid sharing one camera and
//! one cursor, pan by dragging, zoom about the cursor, and the pixel inspector.

mod controls;
mod edit;
mod histogram;
mod layers;
mod model;

pub use edit::{SHORTCUTS, Tool};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use eframe::egui;
use eframe::egui_wgpu;
use serde::{Deserialize, Serialize};

use super::gpu::{
    OutlineCallback, OverlayCallback, ViewCallback, install_scene, install_tile, tile_resident,
    tiles_resident,
};
use super::scene::{SceneData, load_scene};
use super::tiles::TileReader;
use crate::raster::{ToLonLat, Window};
use crate::render::outline::OutlineUniform;
use crate::render::overlay::{OverlaySettings, OverlayUniform};
use crate::render::pyramid::{TileKey, level_for, top_level, visible_tiles};
use crate::render::{
    Colormap, Display, InputScale, NODATA, Sampling, Stretch, ViewMode, ViewSettings, ViewUniform,
    db, stretch_limits,
};

/// Recent scenes remembered, at most.
const RECENT: usize = 10;
/// Screen pixels per scene pixel from which the pixel grid shows (when switched on).
const GRID_FROM: f32 = 12.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// One large view.
    Single,
    /// HH, HV, the composite, VH, VV, linked.
    Grid,
}

/// What the user chose, kept between runs (eframe storage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewState {
    pub mode: ViewMode,
    /// The composite of the grid's fifth pane.
    pub composite: ViewMode,
    pub layout: Layout,
    pub db: bool,
    pub stretch: Stretch,
    pub gamma: f32,
    pub colormap: Colormap,
    pub sampling: Sampling,
    pub pixel_grid: bool,
    /// The scenes opened last, newest first (each a list of files).
    pub recent: Vec<Vec<PathBuf>>,
    /// Run the model on what is in view once the camera settles.
    pub auto_predict: bool,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            mode: ViewMode::Span,
            composite: ViewMode::Pauli,
            layout: Layout::Single,
            db: false,
            stretch: Stretch::default(),
            gamma: 1.0,
            colormap: Colormap::Grey,
            sampling: Sampling::Nearest,
            pixel_grid: true,
            recent: Vec::new(),
            auto_predict: true,
        }
    }
}

/// Stretch limits per output channel.
type Limits = ([f32; 3], [f32; 3]);
/// Histogram bins: centre and share of the pixels.
type Bins = Vec<(f64, f64)>;

/// A stretch as a hashable key (its kind and parameters' bits): asked for every pane of every
/// frame, so it allocates nothing.
type StretchKey = (u8, u64, u64);

/// The part of `content` (where a whole image would be drawn) that `clip` shows, snapped to
/// physical pixels as egui_wgpu snaps a paint callback's viewport, and the window onto the image
/// that part shows (left, top, width, height as shares of the image), as a shader's `window`
/// takes it. With the snapping, the image lands where it would without it to the nearest pixel
/// instead of being stretched by up to a pixel. None when nothing of it shows.
fn visible_part(
    content: egui::Rect,
    clip: egui::Rect,
    pixels_per_point: f32,
) -> Option<(egui::Rect, [f32; 4])> {
    let shown = content.intersect(clip);
    let snap = |p: egui::Pos2| (p.to_vec2() * pixels_per_point).round() / pixels_per_point;
    let shown = egui::Rect::from_min_max(snap(shown.min).to_pos2(), snap(shown.max).to_pos2());
    if !(shown.width() > 0.0 && shown.height() > 0.0) {
        return None;
    }
    let share = (shown.min - content.min) / content.size();
    let size = shown.size() / content.size();
    Some((shown, [share.x, share.y, size.x, size.y]))
}

fn stretch_key(stretch: Stretch) -> StretchKey {
    match stretch {
        Stretch::MinMax => (0, 0, 0),
        Stretch::Percentile { low, high } => (1, low.to_bits(), high.to_bits()),
        Stretch::Sigma { k } => (2, k.to_bits(), 0),
    }
}

/// A scene being read on a worker thread.
struct Loading {
    files: Vec<PathBuf>,
    result: mpsc::Receiver<anyhow::Result<(SceneData, Statistics)>>,
    started: std::time::Instant,
}

/// What the first frame of a new scene needs from its pixels: the stretch limits of each pane
/// and the histogram of the focused one. The reader thread computes them right after reading
/// for the view as it was when the open began, so the UI thread does not stall on them in the
/// first frame (35-65 ms for a 900x900 tile on 2 cores); a view changed meanwhile computes its
/// own as before.
struct Statistics {
    limits: Vec<((Display, StretchKey), Limits)>,
    histogram: ((Display, usize), Bins),
}

/// The view an open will show: which statistics to compute for it.
struct StatisticsFor {
    modes: Vec<ViewMode>,
    db: bool,
    stretch: Stretch,
    histogram: (ViewMode, usize),
}

impl StatisticsFor {
    fn compute(&self, scene: &SceneData) -> Statistics {
        let texels = &scene.bands.texels;
        let display = |mode| Display {
            mode,
            input: scene.bands.input,
            db: self.db,
        };
        let (histogram_mode, channel) = self.histogram;
        let shown = display(histogram_mode);
        let mut bins = None;
        let mut limits: Vec<((Display, StretchKey), Limits)> = Vec::new();
        // Modes the scene's bands cannot show are drawn as "unavailable": no limits to prepare.
        for &mode in self
            .modes
            .iter()
            .filter(|m| scene.bands.unavailable(**m).is_none())
        {
            let key = (display(mode), stretch_key(self.stretch));
            if limits.iter().any(|(k, _)| *k == key) {
                continue;
            }
            if mode == histogram_mode {
                // The view in focus: its limits and histogram from one sample.
                let (l, b) = histogram::limits_and_bins(texels, &shown, self.stretch, channel);
                bins = Some(b);
                limits.push((key, l));
            } else {
                limits.push((key, stretch_limits(texels, &key.0, self.stretch)));
            }
        }
        let bins = bins.unwrap_or_else(|| histogram::bins(texels, &shown, channel));
        Statistics {
            limits,
            histogram: ((shown, channel), bins),
        }
    }
}

/// The viewer: a scene on the GPU and how it is shown.
pub struct Viewer {
    state: ViewState,
    scene: SceneData,
    /// What the scene's values are: detected when it opens, or the user's choice.
    input: InputScale,
    /// Screen points per scene pixel.
    zoom: f32,
    /// The scene pixel at the centre of the view.
    center: egui::Vec2,
    /// The camera follows the pane's size (fitted) until the user moves it: egui's first
    /// frames lay the side panel out before its width settles, and a resized window keeps the
    /// scene whole.
    auto_fit: bool,
    /// The pane the camera was last fitted to.
    fitted_to: Option<egui::Rect>,
    /// Limits computed from the scene's statistics, per display and stretch.
    stretch_cache: HashMap<(Display, StretchKey), Limits>,
    /// Histogram bins per display and output channel.
    histograms: HashMap<(Display, usize), Bins>,
    /// Limits the user dragged on the histogram, per display and channel.
    manual: HashMap<Display, [Option<(f32, f32)>; 3]>,
    /// The scene position under the pointer, shown as a cross in every pane.
    cursor: Option<egui::Vec2>,
    to_lon_lat: Option<ToLonLat>,
    /// The last file that failed to open (the current scene stays).
    error: Option<String>,
    loading: Option<Loading>,
    /// Texture uploads so far: one per opened scene, none for anything else.
    uploads: usize,
    /// The tile reader of a scene drawn from a pyramid.
    tile_reader: Option<TileReader>,
    /// Tiles uploaded so far (scenes drawn from a pyramid).
    tile_uploads: usize,
    /// Tiles on the GPU after the last frame.
    tiles_on_gpu: usize,
    /// The output channel the histogram shows and its limits edit.
    histogram_channel: usize,
    /// The histogram limit being dragged: 0 low, 1 high.
    dragging: Option<usize>,
    /// The live score of the predictions against the ground truth.
    scoring: Option<crate::annotate::Scoring>,
    /// F1 against the predictions' confidence threshold.
    f1_curve: Option<Vec<(f64, f64)>>,
    /// F1 of the probability map vectorized at each threshold.
    probability_curve: Option<Vec<(f64, f64)>>,
    /// The worker computing [`Self::probability_curve`].
    probability_curve_job: Option<mpsc::Receiver<Vec<(f64, f64)>>>,
    /// The footprint clicked last.
    selected: Option<layers::Pick>,
    tool: Tool,
    /// The layer being edited, with its history.
    editor: Option<crate::annotate::edit::EditableLayer>,
    /// The points of the polygon being drawn.
    draft: Vec<geo::Coord<f64>>,
    drag: Option<edit::Drag>,
    drag_from: egui::Vec2,
    drag_to: egui::Vec2,
    /// The selected footprint of the edits and the vertex under the pointer.
    selected_edit: Option<usize>,
    selected_vertex: Option<crate::annotate::edit::VertexRef>,
    /// The threshold for re-vectorizing a building.
    revector_threshold: f32,
    /// Export in longitude/latitude instead of the scene's CRS.
    export_wgs84: bool,
    /// A second selected footprint of the edits, to merge with.
    merge_with: Option<usize>,
    /// Why the last edit was refused.
    edit_message: Option<String>,
    show_help: bool,
    /// The first pane's rectangle in the last frame.
    first_pane: egui::Rect,
    /// The part of the scene (scene pixels) whose footprints' outlines are on the GPU: three
    /// views wide and high around the view when it was chosen, so that panning within a view
    /// sends nothing; chosen again when the view leaves it or is far smaller than it.
    outline_area: Option<egui::Rect>,
    adapter: String,
    /// The probability overlay: shown, how, and whether the map is on the GPU.
    overlay_on: bool,
    overlay: OverlaySettings,
    /// The part of the scene (full-resolution pixels) whose map is on the GPU, and the map's
    /// texels there.
    overlay_installed: Option<(Window, (usize, usize))>,
    /// The probability map changed: upload it (or drop it) at the next frame.
    overlay_dirty: bool,
    /// Probability maps uploaded so far.
    overlay_uploads: usize,
    /// The device the viewer draws with, which the model shares on a GPU.
    shared_wgpu: Option<crate::model::SharedWgpu>,
    /// The open files of a scene drawn by tiles and the last pixel the inspector read.
    inspect_cache: std::cell::RefCell<InspectCache>,
    /// The weights the Predict button runs.
    weights: Option<PathBuf>,
    /// Start a prediction at the next frame.
    predict_pending: bool,
    predict_job: Option<crate::app::predict::PredictJob>,
    /// The weights the running prediction uses.
    predicting_with: Option<PathBuf>,
    /// The running prediction was cancelled because the view moved on.
    superseded: bool,
    /// The running prediction started by itself (the camera settled).
    auto_job: bool,
    /// What was predicted (or tried) last, not tried again by itself.
    predicted: Option<model::PredictionKey>,
    /// The tiles of a large scene predicted so far.
    prob_tiles: crate::model::ProbabilityTiles,
    /// The probability map of the part of a large scene predicted last.
    view_probabilities: Option<(Window, crate::annotate::revectorize::Probabilities)>,
    /// The camera in the last frame, and when it last moved.
    camera_seen: (egui::Vec2, f32, egui::Rect),
    camera_moved_at: std::time::Instant,
    /// The scene came with predictions of its own (a file): the model waits to be asked.
    own_predictions: bool,
    /// What the last prediction gave, or why it failed.
    predict_status: Option<Result<String, String>>,
    finetune_job: Option<crate::app::finetune::FinetuneJob>,
    /// Steps of the next fine-tuning.
    finetune_steps: usize,
}

type InspectedPixel = ((usize, usize), Option<[f32; 4]>);

/// See [`Viewer::full_resolution_texel`].
#[derive(Default)]
struct InspectCache {
    source: Option<crate::raster::Scene>,
    /// The pixel read last and its channels (`None`: unreadable).
    last: Option<InspectedPixel>,
}

impl Viewer {
    /// A viewer of `scene` on `render`'s device, with the settings of the last run.
    pub fn new(
        render: &egui_wgpu::RenderState,
        scene: SceneData,
        saved: Option<ViewState>,
    ) -> Result<Self, crate::render::RenderError> {
        let info = render.adapter.get_info();
        install_scene(render, &scene.bands)?;
        let mut viewer = Self {
            state: saved.unwrap_or_default(),
            input: scene.bands.input,
            scene,
            zoom: 1.0,
            center: egui::Vec2::ZERO,
            auto_fit: true,
            fitted_to: None,
            stretch_cache: HashMap::new(),
            manual: HashMap::new(),
            histograms: HashMap::new(),
            cursor: None,
            to_lon_lat: None,
            error: None,
            loading: None,
            uploads: 1,
            tile_reader: None,
            tile_uploads: 0,
            tiles_on_gpu: 0,
            histogram_channel: 0,
            dragging: None,
            scoring: None,
            f1_curve: None,
            probability_curve: None,
            probability_curve_job: None,
            selected: None,
            tool: Tool::Navigate,
            editor: None,
            draft: Vec::new(),
            drag: None,
            drag_from: egui::Vec2::ZERO,
            drag_to: egui::Vec2::ZERO,
            selected_edit: None,
            selected_vertex: None,
            merge_with: None,
            revector_threshold: 0.5,
            export_wgs84: false,
            edit_message: None,
            overlay_on: true,
            overlay: OverlaySettings::default(),
            overlay_installed: None,
            overlay_dirty: true,
            overlay_uploads: 0,
            inspect_cache: Default::default(),
            shared_wgpu: Some(crate::model::SharedWgpu {
                instance: render.instance.clone(),
                adapter: render.adapter.clone(),
                device: render.device.clone(),
                queue: render.queue.clone(),
            }),
            weights: None,
            predict_pending: false,
            predict_job: None,
            predicting_with: None,
            superseded: false,
            auto_job: false,
            predicted: None,
            prob_tiles: Default::default(),
            view_probabilities: None,
            camera_seen: (egui::Vec2::ZERO, 0.0, egui::Rect::NOTHING),
            camera_moved_at: std::time::Instant::now(),
            own_predictions: false,
            predict_status: None,
            finetune_job: None,
            finetune_steps: 100,
            show_help: false,
            first_pane: egui::Rect::NOTHING,
            outline_area: None,
            adapter: format!("{:?}, {}", info.backend, info.name),
        };
        viewer.scene_changed();
        Ok(viewer)
    }

    pub fn state(&self) -> &ViewState {
        &self.state
    }

    pub fn state_mut(&mut self) -> &mut ViewState {
        &mut self.state
    }

    pub fn scene(&self) -> &SceneData {
        &self.scene
    }

    /// Texture uploads since the viewer started (one per scene).
    pub fn texture_uploads(&self) -> usize {
        self.uploads
    }

    /// "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits)".
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    /// Tiles uploaded so far and tiles on the GPU now (scenes drawn from a pyramid).
    pub fn tile_counts(&self) -> (usize, usize) {
        (self.tile_uploads, self.tiles_on_gpu)
    }

    /// Where the camera is: the scene pixel at the centre and screen points per scene pixel.
    pub fn camera(&self) -> (egui::Vec2, f32) {
        (self.center, self.zoom)
    }

    /// Moves the camera.
    pub fn set_camera(&mut self, center: egui::Vec2, zoom: f32) {
        self.center = center;
        self.zoom = zoom;
        self.auto_fit = false;
    }

    /// The last frame's first pane (the single view, or the grid's top left).
    pub fn pane_rect(&self) -> egui::Rect {
        self.first_pane
    }

    /// Where scene pixel position (`x`, `y`) was on screen in the last frame's first pane.
    pub fn screen_from_scene(&self, x: f64, y: f64) -> egui::Pos2 {
        self.to_screen(self.first_pane, x, y)
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Why the last open failed, if it did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The settings of the view in `mode` as drawn now.
    pub fn settings(&mut self, mode: ViewMode) -> ViewSettings {
        let display = self.display(mode);
        let key = (display, stretch_key(self.state.stretch));
        let (texels, stretch) = (&self.scene.bands.texels, self.state.stretch);
        let (mut lo, mut hi) = *self
            .stretch_cache
            .entry(key)
            .or_insert_with(|| stretch_limits(texels, &display, stretch));
        if let Some(manual) = self.manual.get(&display) {
            for (k, m) in manual.iter().enumerate() {
                if let Some((l, h)) = *m {
                    lo[k] = l;
                    hi[k] = h;
                }
            }
        }
        ViewSettings {
            mode,
            input: self.input,
            db: self.state.db,
            lo,
            hi,
            gamma: self.state.gamma,
            colormap: self.state.colormap,
            sampling: self.state.sampling,
        }
    }

    fn display(&self, mode: ViewMode) -> Display {
        Display {
            mode,
            input: self.input,
            db: self.state.db,
        }
    }

    /// The mode the histogram and the stretch controls are about.
    fn focused_mode(&self) -> ViewMode {
        match self.state.layout {
            Layout::Single => self.state.mode,
            Layout::Grid => self.state.composite,
        }
    }

    /// Starts reading `files` on a worker thread; the current scene stays until they are read.
    pub fn open(&mut self, ctx: &egui::Context, files: Vec<PathBuf>) {
        let (sender, result) = mpsc::channel();
        let worker_files = files.clone();
        let ctx = ctx.clone();
        let focused = self.focused_mode();
        let wanted = StatisticsFor {
            modes: self.pane_modes(),
            db: self.state.db,
            stretch: self.state.stretch,
            histogram: (
                focused,
                if focused.is_rgb() {
                    self.histogram_channel
                } else {
                    0
                },
            ),
        };
        std::thread::spawn(move || {
            let read = load_scene(&worker_files).map(|scene| {
                let statistics = wanted.compute(&scene);
                (scene, statistics)
            });
            // The viewer may be gone by the time the scene is read; then nobody wants it.
            let _ = sender.send(read);
            ctx.request_repaint();
        });
        self.loading = Some(Loading {
            files,
            result,
            started: std::time::Instant::now(),
        });
    }

    /// Takes a scene the worker has read, if one is ready.
    fn poll_loading(&mut self, render: Option<&egui_wgpu::RenderState>) {
        let Some(loading) = &self.loading else {
            return;
        };
        let result = match loading.result.try_recv() {
            Ok(result) => result,
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => Err(anyhow::anyhow!(
                "the reader thread stopped without a result"
            )),
        };
        let files = loading.files.clone();
        self.loading = None;
        let shown = result.and_then(|(scene, statistics)| {
            let render = render.ok_or_else(|| anyhow::anyhow!("no wgpu renderer"))?;
            install_scene(render, &scene.bands)?;
            Ok((scene, statistics))
        });
        match shown {
            Ok((scene, statistics)) => {
                self.uploads += 1;
                self.input = scene.bands.input;
                self.scene = scene;
                self.scene_changed();
                self.stretch_cache.extend(statistics.limits);
                let (key, bins) = statistics.histogram;
                self.histograms.insert(key, bins);
            }
            Err(e) => self.open_failed(&files, &e),
        }
    }

    /// Says in the status bar that `files` did not open and why; the scene shown stays.
    pub fn open_failed(&mut self, files: &[PathBuf], error: &anyhow::Error) {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let reason = format!("{error:#}");
        // Most errors name the file already.
        self.error = Some(if names.iter().any(|n| reason.contains(n.as_str())) {
            reason
        } else {
            format!("{}: {reason}", names.join(", "))
        });
    }

    /// Resets what belongs to the previous scene.
    fn scene_changed(&mut self) {
        let bands = &self.scene.bands;
        let (w, h) = self.scene.size();
        self.to_lon_lat = self.scene.crs.as_ref().and_then(ToLonLat::new);
        self.center = egui::vec2(w as f32 / 2.0, h as f32 / 2.0);
        self.tile_reader = None;
        if bands.input == InputScale::Db {
            // Values in dB are best seen in dB.
            self.state.db = true;
        }
        self.state.mode = bands.usable_mode(self.state.mode);
        if bands.unavailable(self.state.composite).is_some() {
            self.state.composite = bands.usable_mode(ViewMode::Pauli);
        }
        self.selected = None;
        self.probability_curve = None;
        self.probability_curve_job = None;
        self.overlay_dirty = true;
        self.inspect_cache = Default::default();
        self.predict_job = None;
        self.predicting_with = None;
        self.predict_status = None;
        self.predicted = None;
        self.prob_tiles.clear();
        self.view_probabilities = None;
        self.own_predictions = self
            .scene
            .layers
            .iter()
            .any(|l| l.role == crate::annotate::Role::Predictions);
        self.finetune_job = None;
        self.editor = None;
        self.tool = Tool::Navigate;
        self.draft.clear();
        self.drag = None;
        self.selected_edit = None;
        self.selected_vertex = None;
        self.merge_with = None;
        self.edit_message = None;
        if self.scene.edits.is_some() {
            // Edits saved by an earlier session come back as they were left.
            self.set_tool(Tool::Edit);
            self.tool = Tool::Navigate;
        }
        self.rescore();
        self.score_probabilities();
        self.stretch_cache.clear();
        self.histograms.clear();
        self.manual.clear();
        self.refit();
        self.error = None;
        let files = self.scene.files.clone();
        if !files.is_empty() {
            self.state.recent.retain(|r| *r != files);
            self.state.recent.insert(0, files);
            self.state.recent.truncate(RECENT);
        }
    }

    /// Pixel, CRS and longitude/latitude of the cursor.
    fn position_text(&self) -> String {
        let Some(p) = self.cursor else {
            return String::new();
        };
        let mut text = format!("pixel {:.0}, {:.0}", p.x.floor(), p.y.floor());
        if let Some(gt) = self.scene.geo_transform {
            let [x, y] = gt.world_from_pixel([f64::from(p.x), f64::from(p.y)]);
            let crs = self
                .scene
                .crs
                .as_ref()
                .and_then(|c| c.epsg.map(|e| format!("EPSG:{e}")).or(c.name.clone()))
                .unwrap_or_default();
            text += &format!("   {x:.2}, {y:.2} {crs}");
            if let Some([lon, lat]) = self.to_lon_lat.as_ref().and_then(|t| t.lon_lat([x, y])) {
                text += &format!("   lon {lon:.6}, lat {lat:.6}");
            }
        }
        text
    }

    /// Fits the scene to the pane from the next frame on, and keeps it fitted as the pane's
    /// size changes until the user moves the camera.
    fn refit(&mut self) {
        self.auto_fit = true;
        self.fitted_to = None;
    }

    fn fit(&mut self, rect: egui::Rect) {
        let (w, h) = self.scene.size();
        let (w, h) = (w as f32, h as f32);
        self.zoom = (rect.width() / w).min(rect.height() / h);
        self.center = egui::vec2(w / 2.0, h / 2.0);
    }

    /// The modes of the panes in view, in the order of [`Self::panes`].
    fn pane_modes(&self) -> Vec<ViewMode> {
        match self.state.layout {
            Layout::Single => vec![self.state.mode],
            Layout::Grid => vec![
                ViewMode::Hh,
                ViewMode::Hv,
                self.state.composite,
                ViewMode::Vh,
                ViewMode::Vv,
            ],
        }
    }

    /// The panes' rectangles and modes for the current layout.
    fn panes(&self, area: egui::Rect) -> Vec<(egui::Rect, ViewMode)> {
        match self.state.layout {
            Layout::Single => vec![(area, self.state.mode)],
            Layout::Grid => {
                let size = egui::vec2(area.width() / 3.0, area.height() / 2.0);
                let cells = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1)];
                cells
                    .iter()
                    .zip(self.pane_modes())
                    .map(|(&(col, row), mode)| {
                        let min = area.min + egui::vec2(col as f32 * size.x, row as f32 * size.y);
                        (egui::Rect::from_min_size(min, size).shrink(2.0), mode)
                    })
                    .collect()
            }
        }
    }

    /// Uploads the tiles the reader has finished and returns the reader (for a tiled scene).
    fn receive_tiles(&mut self, ctx: &egui::Context, render: Option<&egui_wgpu::RenderState>) {
        let Some((w, h)) = self.scene.tiled else {
            return;
        };
        let Some(render) = render else {
            return;
        };
        let reader = self.tile_reader.get_or_insert_with(|| {
            let ctx = ctx.clone();
            TileReader::new(
                self.scene.files.clone(),
                (w, h),
                self.scene.bands.order,
                move || ctx.request_repaint(),
            )
        });
        for (key, result) in reader.finished() {
            let installed = result.and_then(|(texels, tw, th)| {
                install_tile(render, key, &texels, tw, th).map_err(|e| e.to_string())
            });
            match installed {
                Ok(()) => self.tile_uploads += 1,
                Err(e) => self.error = Some(format!("{}: tile {key:?}: {e}", self.scene.name)),
            }
        }
        self.tiles_on_gpu = tiles_resident(render);
    }

    /// Draws the tiles of a large scene over `rect` (whose overview is already drawn): the
    /// level that matches the zoom where resident, else the nearest resident coarser tile;
    /// missing tiles are asked for.
    fn draw_tiles(
        &mut self,
        ui: &egui::Ui,
        render: &egui_wgpu::RenderState,
        pane: usize,
        rect: egui::Rect,
        settings: &crate::render::ViewSettings,
    ) {
        let Some(size) = self.scene.tiled else {
            return;
        };
        let pixels_per_point = ui.ctx().pixels_per_point();
        let scene_per_screen = 1.0 / (self.zoom * pixels_per_point);
        let top = top_level(size);
        let level = level_for(scene_per_screen, top);
        // Levels no finer than the overview add nothing to it.
        let overview_step =
            size.0.max(size.1) as f32 / self.scene.bands.width.max(self.scene.bands.height) as f32;
        if (1u32 << level) as f32 >= overview_step {
            return;
        }
        let half = rect.size() / (2.0 * self.zoom);
        let view = [
            self.center.x - half.x,
            self.center.y - half.y,
            self.center.x + half.x,
            self.center.y + half.y,
        ];
        let wanted = visible_tiles(level, view, size);
        let mut draws: Vec<TileKey> = Vec::new();
        for key in &wanted {
            if tile_resident(render, key) {
                continue;
            }
            if let Some(reader) = &mut self.tile_reader {
                reader.request(*key);
            }
            // Meanwhile the nearest coarser tile that is there, if finer than the overview.
            let mut up = key.parent();
            while ((1u32 << up.level) as f32) < overview_step {
                if tile_resident(render, &up) {
                    if !draws.contains(&up) {
                        draws.push(up);
                    }
                    break;
                }
                up = up.parent();
            }
        }
        draws.sort_by_key(|k| std::cmp::Reverse(k.level));
        draws.extend(wanted.iter().filter(|k| tile_resident(render, k)));
        let painter = ui.painter().with_clip_rect(rect);
        for key in draws {
            let (x, y, w, h) = key.window(size);
            let min = rect.center() + (egui::vec2(x as f32, y as f32) - self.center) * self.zoom;
            let tile_rect =
                egui::Rect::from_min_size(min, egui::vec2(w as f32, h as f32) * self.zoom);
            let Some((shown, window)) = visible_part(tile_rect, rect, pixels_per_point) else {
                continue;
            };
            let (tw, th) = key.texels(size);
            let mut uniform = ViewUniform::new(settings, tw, th);
            uniform.window = window;
            uniform.checker = 1.0;
            let screen_px_per_texel = self.zoom * pixels_per_point * (1u32 << key.level) as f32;
            if self.state.pixel_grid && key.level == 0 && screen_px_per_texel >= GRID_FROM {
                uniform.grid = screen_px_per_texel;
            }
            painter.add(egui_wgpu::Callback::new_paint_callback(
                shown,
                ViewCallback {
                    pane,
                    tile: Some(key),
                    uniform,
                },
            ));
        }
    }

    fn scene_view_ui(&mut self, ui: &mut egui::Ui, render: Option<&egui_wgpu::RenderState>) {
        self.receive_tiles(ui.ctx(), render);
        let area = ui.available_rect_before_wrap();
        ui.allocate_rect(area, egui::Sense::hover());
        let panes = self.panes(area);
        if let Some((first, _)) = panes.first() {
            self.first_pane = *first;
        }
        if self.auto_fit
            && let Some((first, _)) = panes.first()
            && self.fitted_to != Some(*first)
        {
            self.fit(*first);
            self.fitted_to = Some(*first);
        }
        let (w, h) = self.scene.size();
        let (w, h) = (w as f32, h as f32);
        let tiled = self.scene.tiled.is_some();
        let pixels_per_point = ui.ctx().pixels_per_point();
        // The footprints' edges, once for every pane: what any pane can show of the scene.
        let seen = panes
            .iter()
            .map(|(rect, _)| {
                egui::Rect::from_center_size(self.center.to_pos2(), rect.size() / self.zoom)
            })
            .reduce(|a, b| a.union(b));
        self.outline_area = seen.map(|seen| match self.outline_area {
            Some(area) if area.contains_rect(seen) && area.width() <= 6.0 * seen.width() => area,
            _ => seen.expand2(seen.size()),
        });
        let outlines = Arc::new(
            self.outline_area
                .map(|area| self.outline_segments(area, pixels_per_point))
                .unwrap_or_default(),
        );
        let mut hovered = None;
        for (index, &(rect, mode)) in panes.iter().enumerate() {
            let response = ui.interact(
                rect,
                ui.scope_id().with(("pane", index)),
                egui::Sense::click_and_drag(),
            );
            let editing = self.edit_pointer(&response, rect);
            if response.dragged() && !editing && response.drag_delta() != egui::Vec2::ZERO {
                self.center -= response.drag_delta() / self.zoom;
                self.auto_fit = false;
            }
            if self.tool != Tool::Navigate {
                // The tools use clicks themselves.
            } else if response.double_clicked() {
                self.refit();
            } else if response.clicked()
                && let Some(pointer) = response.interact_pointer_pos()
            {
                self.selected = self.pick(self.center + (pointer - rect.center()) / self.zoom);
            }
            if let Some(pointer) = response.hover_pos() {
                let scroll = ui.input(|i| i.smooth_scroll_delta.y);
                let factor = ui.input(|i| i.zoom_delta()) * (scroll / 200.0).exp();
                if factor != 1.0 {
                    // Zoom about the cursor: the scene pixel under it stays under it.
                    let under = self.center + (pointer - rect.center()) / self.zoom;
                    self.zoom = (self.zoom * factor).clamp(0.01, 256.0);
                    self.center = under - (pointer - rect.center()) / self.zoom;
                    self.auto_fit = false;
                }
                hovered = Some((
                    self.center + (pointer - rect.center()) / self.zoom,
                    response,
                ));
            }
            let half = rect.size() / (2.0 * self.zoom);
            // Where scene pixel (x, y) is on the screen.
            let (center, zoom) = (self.center, self.zoom);
            let on_screen = |x: f32, y: f32| rect.center() + (egui::vec2(x, y) - center) * zoom;
            let settings = self.settings(mode);
            // Drawn where the pane shows the scene, on whole pixels (the panel around it).
            if let Some((shown, window)) = visible_part(
                egui::Rect::from_min_max(on_screen(0.0, 0.0), on_screen(w, h)),
                rect,
                pixels_per_point,
            ) {
                let mut uniform =
                    ViewUniform::new(&settings, self.scene.bands.width, self.scene.bands.height);
                uniform.window = window;
                uniform.checker = 1.0;
                let screen_px_per_texel = self.zoom * pixels_per_point;
                if self.state.pixel_grid && !tiled && screen_px_per_texel >= GRID_FROM {
                    uniform.grid = screen_px_per_texel;
                }
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                    shown,
                    ViewCallback {
                        pane: index,
                        tile: None,
                        uniform,
                    },
                ));
            }
            if let Some(render) = render {
                self.draw_tiles(ui, render, index, rect, &settings);
            }
            if self.overlay_on
                && let Some((region, (tw, th))) = self.overlay_installed
                && let Some((shown, window)) = visible_part(
                    // The map's part of the scene.
                    egui::Rect::from_min_max(
                        on_screen(region.x as f32, region.y as f32),
                        on_screen(
                            (region.x + region.width) as f32,
                            (region.y + region.height) as f32,
                        ),
                    ),
                    rect,
                    pixels_per_point,
                )
            {
                let mut o = OverlayUniform::new(&self.overlay, tw, th);
                o.window = window;
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                    shown,
                    OverlayCallback {
                        pane: index,
                        uniform: o,
                    },
                ));
            }
            ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                rect,
                OutlineCallback {
                    pane: index,
                    uniform: OutlineUniform {
                        // The pane's window onto the scene.
                        window: [
                            (self.center.x - half.x) / w,
                            (self.center.y - half.y) / h,
                            2.0 * half.x / w,
                            2.0 * half.y / h,
                        ],
                        scene: [w, h],
                        viewport: (rect.size() * pixels_per_point).into(),
                    },
                    segments: Arc::clone(&outlines),
                },
            ));
            let painter = ui.painter().with_clip_rect(rect);
            self.draw_edit_overlay(&painter, rect);
            if panes.len() > 1 {
                ui.painter().text(
                    rect.left_top() + egui::vec2(6.0, 4.0),
                    egui::Align2::LEFT_TOP,
                    self.scene.bands.mode_label(mode),
                    egui::FontId::proportional(14.0),
                    egui::Color32::WHITE,
                );
            }
        }
        self.cursor = hovered.as_ref().map(|(p, _)| *p);
        // The shared cursor: a cross at the same scene position in every pane.
        if let Some(p) = self.cursor {
            for &(rect, _) in &panes {
                let at = rect.center() + (p - self.center) * self.zoom;
                if rect.contains(at) {
                    let stroke = egui::Stroke::new(1.0, egui::Color32::YELLOW);
                    let painter = ui.painter().with_clip_rect(rect);
                    painter.line_segment(
                        [at - egui::vec2(8.0, 0.0), at + egui::vec2(8.0, 0.0)],
                        stroke,
                    );
                    painter.line_segment(
                        [at - egui::vec2(0.0, 8.0), at + egui::vec2(0.0, 8.0)],
                        stroke,
                    );
                }
            }
        }
        if let Some((p, response)) = hovered
            && let Some(text) = self.inspect(p)
        {
            response.on_hover_text_at_pointer(text);
        }
    }

    /// The four channels of full-resolution pixel (`x`, `y`) of a scene drawn by tiles, read
    /// from its files (one pixel; the file stays open for the next ones). The last pixel read
    /// is kept, so a still pointer reads nothing. `None` when the files cannot be read.
    fn full_resolution_texel(&self, x: usize, y: usize) -> Option<[f32; 4]> {
        let mut cache = self.inspect_cache.borrow_mut();
        if let Some((at, v)) = &cache.last
            && *at == (x, y)
        {
            return *v;
        }
        if cache.source.is_none() {
            cache.source = crate::raster::Scene::open_many(&self.scene.files).ok();
        }
        let window = crate::raster::Window {
            x,
            y,
            width: 1,
            height: 1,
        };
        let value = cache
            .source
            .as_ref()
            .and_then(|scene| scene.read_window(window, (1, 1)).ok())
            .map(|planes| {
                let valid = planes.valid.first().copied().unwrap_or(false);
                self.scene.bands.order.map(|b| {
                    match planes.bands.get(b).and_then(|band| band.first()) {
                        Some(v) if valid => *v,
                        _ => NODATA,
                    }
                })
            });
        cache.last = Some(((x, y), value));
        value
    }

    /// The pixel inspector: every band at scene position `p`, as stored and in dB (for a scene
    /// drawn by tiles, read from its files at full resolution; the overview's value if that
    /// fails).
    pub fn inspect(&self, p: egui::Vec2) -> Option<String> {
        let bands = &self.scene.bands;
        let (w, h) = self.scene.size();
        let (x, y) = (p.x.floor(), p.y.floor());
        if x < 0.0 || y < 0.0 || x >= w as f32 || y >= h as f32 {
            return None;
        }
        let (ox, oy) = (
            ((p.x / w as f32 * bands.width as f32) as usize).min(bands.width - 1),
            ((p.y / h as f32 * bands.height as f32) as usize).min(bands.height - 1),
        );
        let full = if self.scene.tiled.is_some() {
            self.full_resolution_texel(x as usize, y as usize)
        } else {
            None
        };
        let v = match full {
            Some(v) => v,
            None => *bands.texels.get(oy * bands.width + ox)?,
        };
        if v.iter().any(|b| *b <= NODATA) {
            return Some(format!("pixel {x}, {y}\nno data"));
        }
        let mut text = format!("pixel {x}, {y}");
        if self.scene.tiled.is_some() && full.is_none() {
            text += " (overview values)";
        }
        let slots = bands.labels.iter().zip(v).zip(bands.present);
        for ((label, value), _) in slots.filter(|(_, present)| *present) {
            text += &match self.input {
                InputScale::Db => format!("\n{label} {value:>8.2} dB"),
                input => format!(
                    "\n{label} {value:>10.4} {}  {:>7.2} dB",
                    input.name(),
                    db(input.to_power(value))
                ),
            };
        }
        Some(text)
    }

    /// The colour a frame is cleared to before the window is drawn: the panels' fill, which
    /// they leave to it (see [`Viewer::ui`]). Gamma-space RGBA in 0..1, as eframe takes it.
    pub fn clear_color(visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    /// The whole window for one frame. `render` is eframe's wgpu state (the kittest harness
    /// passes its own).
    pub fn ui(&mut self, ui: &mut egui::Ui, render: Option<&egui_wgpu::RenderState>) {
        self.poll_loading(render);
        self.poll_prediction(ui.ctx());
        if let Some(render) = render {
            self.sync_overlay(render);
        }
        self.poll_probability_curve();
        if self.probability_curve_job.is_some() {
            // Look again soon: the worker has no context to wake the UI with.
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.edit_keys(ui.ctx());
        let dropped: Vec<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.open(ui.ctx(), dropped);
        }
        // The panels paint no fill: the frame is cleared to their colour ([`clear_color`]). A
        // software renderer shades a filled panel at ~40 ns a pixel (egui's shader samples its
        // sRGB font texture for every pixel): the right panel alone took 23-31 ms of a lavapipe
        // frame at 1920x1080.
        let panel = egui::Frame::side_top_panel(ui.style()).fill(egui::Color32::TRANSPARENT);
        egui::Panel::top("view controls")
            .frame(panel)
            .show(ui, |ui| self.controls_ui(ui));
        egui::Panel::bottom("status")
            .frame(panel)
            .show(ui, |ui| self.status_ui(ui));
        egui::Panel::right("histogram")
            .frame(panel)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.histogram_ui(ui);
                    self.model_ui(ui);
                    self.layers_ui(ui);
                    self.tools_ui(ui);
                });
            });
        // No panel fill: the panes cover the area (the shader paints outside the scene too).
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| self.scene_view_ui(ui, render));
        self.help_window(ui.ctx());
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(error) = &self.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Could not open {error}"),
            );
        }
        ui.horizontal(|ui| {
            let (w, h) = self.scene.size();
            ui.label(format!("{w} x {h} px, zoom {:.2}", self.zoom));
            if self.scene.tiled.is_some() {
                ui.label(format!("tiled: {} tiles on the GPU", self.tiles_on_gpu));
            }
            ui.separator();
            ui.monospace(self.position_text());
        });
        // While a file opens, the last line says so in place of the hints: the bar keeps its
        // height. A taller bar lays the window out again, and each frame that costs a software
        // renderer (lavapipe: 35-80 ms) is time taken from the reader on the same cores.
        if let Some(loading) = &self.loading {
            let names: Vec<String> = loading
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            // The time so far, a few times a second (the reader wakes the window when it is
            // done): a spinner would redraw the window at full rate.
            let seconds = loading.started.elapsed().as_secs_f32();
            ui.label(format!("Opening {}… {seconds:.1} s", names.join(", ")));
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
        } else {
            ui.weak(format!(
                "{} · drag: pan · wheel: zoom · double-click: fit · drop files to open",
                self.adapter
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> egui::Rect {
        egui::Rect::from_min_max(egui::pos2(x0, y0), egui::pos2(x1, y1))
    }

    #[test]
    fn visible_part_is_the_clipped_image_on_whole_pixels() {
        // An image 900 points wide from x = 50.3 in a pane from 0 to 600, 2 pixels a point:
        // its left edge lands on pixel 101 (50.5 points), its right on the pane's edge.
        let (shown, window) = visible_part(
            rect(50.3, -100.0, 950.3, 800.0),
            rect(0.0, 0.0, 600.0, 400.0),
            2.0,
        )
        .unwrap();
        assert_eq!(shown, rect(50.5, 0.0, 600.0, 400.0));
        // The window maps the shown rect back onto the image exactly: the image's pixel under
        // a screen point is where it would be without the snapping.
        let at = |sx: f32, sy: f32| {
            let u = window[0] + (sx - shown.min.x) / shown.width() * window[2];
            let v = window[1] + (sy - shown.min.y) / shown.height() * window[3];
            (u * 900.0, v * 900.0)
        };
        for (sx, sy) in [(50.5, 0.0), (300.0, 123.0), (600.0, 400.0)] {
            let (x, y) = at(sx, sy);
            assert!((x - (sx - 50.3)).abs() < 1e-3, "{sx}: {x}");
            assert!((y - (sy + 100.0)).abs() < 1e-3, "{sy}: {y}");
        }
    }

    #[test]
    fn visible_part_is_none_off_the_pane() {
        let pane = rect(0.0, 0.0, 600.0, 400.0);
        assert!(visible_part(rect(600.0, 0.0, 900.0, 300.0), pane, 1.0).is_none());
        // Less than half a pixel in the pane rounds to nothing.
        assert!(visible_part(rect(-300.0, 0.0, 0.2, 300.0), pane, 2.0).is_none());
        assert!(visible_part(rect(-300.0, 0.0, 0.3, 300.0), pane, 2.0).is_some());
    }
}
