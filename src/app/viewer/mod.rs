//! The viewer: the state objects it owns (camera, stretch, footprint layers and their score,
//! edits, predictions, overlay, tiles, inspector), the frame that lays out its panels, and
//! opening scenes. A new scene replaces the objects that belong to a scene.
//!
//! | file | what |
//! |---|---|
//! | `camera.rs` | [`Camera`]: scene <-> screen, pan, zoom about the pointer, fit |
//! | `stretch.rs` | [`StretchCache`]: stretch limits and histograms per display, hand-set limits; the histogram's channel |
//! | `panes.rs` | the scene panes: input, the paint callbacks, tiles, outlines, the cursor |
//! | `tiles.rs` | [`TileStream`]: a large scene's tiles read and uploaded as the view needs |
//! | `inspect.rs` | [`Inspector`]: the pixel under the pointer, its values and coordinates |
//! | `controls.rs` | the top bar (open, layout, mode, scale, stretch, colormap) and status bar |
//! | `histogram.rs` | the histogram panel with its draggable limits |
//! | `scores.rs` | [`LayerScores`]: the layers' live score, F1 curves, pick, outlines sent |
//! | `layers.rs` | the footprint layers: scoring, outlines, picking, the Footprints section |
//! | `edit.rs` | [`EditSession`]: tool, draft, drag, selection, the edits and their history |
//! | `edit_ops.rs` | what the tools do: the edits layer, score and save after each edit, undo, export |
//! | `edit_ui.rs` | the tools' keys, pointer work, handles and panel |
//! | `prediction.rs` | [`PredictionSession`]: weights, jobs, probability tiles, auto-predict |
//! | `model_ui.rs` | the Model section: predict, fine-tune, taking their results, the overlay's map |
//! | `overlay.rs` | [`Overlay`]: the probability map over the scene, its settings and upload |
//! | `dataset.rs` | [`dataset::DatasetView`]: a folder's scenes, next/previous, their scores and total |
//! | `review.rs` | [`ReviewWalk`]: the scene's errors walked, accepted, rejected, fixed |

mod camera;
mod controls;
mod dataset;
mod edit;
mod edit_ops;
mod edit_ui;
mod histogram;
mod inspect;
mod layers;
mod model_ui;
mod overlay;
mod panes;
mod polsar;
mod prediction;
mod review;
mod scores;
mod stretch;
mod tiles;

pub use camera::Camera;
pub use edit::{SHORTCUTS, Tool};
pub use polsar::ViewPlane;
pub use review::{ReviewAction, ReviewWalk};

use std::path::PathBuf;

use eframe::egui;
use eframe::egui_wgpu;
use serde::{Deserialize, Serialize};

use crate::render::{Colormap, Display, InputScale, Sampling, Stretch, ViewMode, ViewSettings};
use crate::session::{Job, SceneData, load_scene};

use super::gpu::install_scene;
use edit::EditSession;
use inspect::Inspector;
use overlay::Overlay;
pub use overlay::OverlayMap;
use prediction::PredictionSession;
use scores::LayerScores;
use stretch::{HistogramState, Statistics, StatisticsFor, StretchCache};
use tiles::TileStream;

/// Recent scenes remembered, at most.
const RECENT: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// One large view.
    Single,
    /// HH, HV, the composite, VH, VV, linked.
    Grid,
    /// Two linked panes of the view's mode: the first two visible prediction layers, one in
    /// each (with the ground truth), to compare two models.
    Compare,
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
    /// Straighten the model's traced buildings to right angles.
    pub right_angles: bool,
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
            right_angles: false,
        }
    }
}

impl ViewState {
    /// The mode the histogram and the stretch controls are about.
    fn focused_mode(&self) -> ViewMode {
        match self.layout {
            Layout::Single | Layout::Compare => self.mode,
            Layout::Grid => self.composite,
        }
    }

    /// The modes of the panes in view, in the order of [`Self::panes`].
    fn pane_modes(&self) -> Vec<ViewMode> {
        match self.layout {
            Layout::Single => vec![self.mode],
            Layout::Compare => vec![self.mode, self.mode],
            Layout::Grid => vec![
                ViewMode::Hh,
                ViewMode::Hv,
                self.composite,
                ViewMode::Vh,
                ViewMode::Vv,
            ],
        }
    }

    /// The panes' rectangles in `area` and their modes for the layout.
    fn panes(&self, area: egui::Rect) -> Vec<(egui::Rect, ViewMode)> {
        match self.layout {
            Layout::Single => vec![(area, self.mode)],
            Layout::Compare => {
                let size = egui::vec2(area.width() / 2.0, area.height());
                (0..2)
                    .map(|col| {
                        let min = area.min + egui::vec2(col as f32 * size.x, 0.0);
                        (egui::Rect::from_min_size(min, size).shrink(2.0), self.mode)
                    })
                    .collect()
            }
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

    /// Puts `files` first in the recent list.
    fn remember(&mut self, files: &[PathBuf]) {
        if files.is_empty() {
            return;
        }
        self.recent.retain(|r| r != files);
        self.recent.insert(0, files.to_vec());
        self.recent.truncate(RECENT);
    }
}

/// A scene read, with the statistics its first frame needs.
type SceneJob = Job<(SceneData, Statistics)>;

/// Scenes being opened, and what became of the last.
#[derive(Default)]
struct Opening {
    /// The files being read and their reader.
    loading: Option<(Vec<PathBuf>, SceneJob)>,
    /// The last file that failed to open, or a tile that failed to read (the scene stays).
    error: Option<String>,
    /// Texture uploads so far: one per opened scene, none for anything else.
    uploads: usize,
}

/// The viewer: a scene on the GPU, how it is shown, and what the user does with it.
pub struct Viewer {
    state: ViewState,
    scene: SceneData,
    /// What the scene's values are: detected when it opens, or the user's choice.
    input: InputScale,
    camera: Camera,
    stretch: StretchCache,
    histogram: HistogramState,
    inspector: Inspector,
    opening: Opening,
    tiles: TileStream,
    layers: LayerScores,
    edit: EditSession,
    review: ReviewWalk,
    /// The folder of scenes walked in dataset mode.
    dataset: Option<dataset::DatasetView>,
    prediction: PredictionSession,
    overlay: Overlay,
    /// A polarimetric decomposition shown in place of the scene's bands.
    polsar: polsar::PolsarView,
    show_help: bool,
    /// "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits)".
    adapter: String,
    /// What the viewer's jobs wake when they have news.
    waker: Waker,
    /// Writes the edits beside the scene after each edit, off the UI thread.
    journal: crate::session::JournalWriter,
}

/// The window's repaint, for worker threads to call when they have news: known from the first
/// frame on (a job started before it, such as the first scene's F1 curve, wakes the window once
/// it is known).
#[derive(Clone, Default)]
pub(crate) struct Waker(std::sync::Arc<std::sync::OnceLock<egui::Context>>);

impl Waker {
    fn set(&self, ctx: &egui::Context) {
        let _ = self.0.get_or_init(|| ctx.clone());
    }

    /// A wake for a job: asks egui for a repaint.
    fn wake_fn(&self) -> impl Fn() + Send + 'static {
        let cell = std::sync::Arc::clone(&self.0);
        move || {
            if let Some(ctx) = cell.get() {
                ctx.request_repaint();
            }
        }
    }
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
        let waker = Waker::default();
        let journal = crate::session::JournalWriter::new(waker.wake_fn());
        let mut viewer = Self {
            state: saved.unwrap_or_default(),
            input: scene.bands.input,
            scene,
            camera: Camera::default(),
            stretch: StretchCache::default(),
            histogram: HistogramState::default(),
            inspector: Inspector::default(),
            opening: Opening {
                uploads: 1,
                ..Opening::default()
            },
            tiles: TileStream::default(),
            layers: LayerScores::default(),
            edit: EditSession::default(),
            review: ReviewWalk::default(),
            dataset: None,
            prediction: PredictionSession::new(crate::model::SharedWgpu {
                instance: render.instance.clone(),
                adapter: render.adapter.clone(),
                device: render.device.clone(),
                queue: render.queue.clone(),
            }),
            overlay: Overlay::default(),
            polsar: polsar::PolsarView::on(render),
            show_help: false,
            adapter: format!("{:?}, {}", info.backend, info.name),
            waker,
            journal,
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
        self.opening.uploads
    }

    /// "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits)".
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    /// Tiles uploaded so far and tiles on the GPU now (scenes drawn from a pyramid).
    pub fn tile_counts(&self) -> (usize, usize) {
        self.tiles.counts()
    }

    /// Where the camera is: the scene pixel at the centre and screen points per scene pixel.
    pub fn camera(&self) -> (egui::Vec2, f32) {
        (self.camera.center, self.camera.zoom)
    }

    /// Moves the camera.
    pub fn set_camera(&mut self, center: egui::Vec2, zoom: f32) {
        self.camera.set(center, zoom);
    }

    /// The last frame's first pane (the single view, or the grid's top left).
    pub fn pane_rect(&self) -> egui::Rect {
        self.camera.pane()
    }

    /// Where scene pixel position (`x`, `y`) was on screen in the last frame's first pane.
    pub fn screen_from_scene(&self, x: f64, y: f64) -> egui::Pos2 {
        self.camera
            .screen_from_scene(self.camera.pane(), egui::vec2(x as f32, y as f32))
    }

    /// The pixel inspector: every band at scene position `p`, as stored and in dB.
    pub fn inspect(&self, p: egui::Vec2) -> Option<String> {
        if self.polsar.shown().is_some() && p.x >= 0.0 && p.y >= 0.0 {
            return self
                .polsar
                .inspect(&self.scene.files, p.x as usize, p.y as usize);
        }
        let text = self.inspector.inspect(&self.scene, self.input, p)?;
        let (x, y) = (p.x.floor() as usize, p.y.floor() as usize);
        Some(match self.polsar.cursor_text(&self.scene.files, x, y) {
            Some(polarimetry) => format!("{text}\n{polarimetry}"),
            None => text,
        })
    }

    /// The full-resolution pixels the first pane shows (clamped to the scene).
    pub fn view_window(&self) -> crate::raster::Window {
        self.camera.visible_window(self.scene.size())
    }

    pub fn is_loading(&self) -> bool {
        self.opening.loading.is_some()
    }

    /// What GDAL said about the scene's files while they were opened and read (the status bar
    /// shows them): each distinct message once.
    pub fn gdal_notes(&self) -> Vec<crate::raster::GdalNote> {
        let mut notes = self.scene.gdal_notes.clone();
        for note in self.tiles.gdal_notes() {
            if !notes
                .iter()
                .any(|n| n.path == note.path && n.message == note.message)
            {
                notes.push(note);
            }
        }
        notes
    }

    /// Stops waiting for the files being opened: the scene shown stays and the status bar says
    /// the opening was cancelled and after how long. GDAL cannot be interrupted inside a read,
    /// so the reader thread finishes (at a low priority) and its result is dropped.
    pub fn cancel_open(&mut self) {
        if let Some((files, job)) = self.opening.loading.take() {
            job.cancel();
            self.opening.error = Some(format!(
                "{}: opening cancelled after {:.1} s; the scene shown stays",
                crate::session::file_list(&files),
                job.elapsed_s()
            ));
        }
    }

    /// Why the last open failed, if it did.
    pub fn error(&self) -> Option<&str> {
        self.opening.error.as_deref()
    }

    /// The settings of the view in `mode` as drawn now.
    pub fn settings(&mut self, mode: ViewMode) -> ViewSettings {
        let (lo, hi) = self.stretch.limits(
            &self.scene.bands.texels,
            self.display(mode),
            self.state.stretch,
        );
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

    /// Starts reading `files` on a worker thread; the current scene stays until they are read.
    pub fn open(&mut self, ctx: &egui::Context, files: Vec<PathBuf>) {
        let focused = self.state.focused_mode();
        let wanted = StatisticsFor {
            modes: self.state.pane_modes(),
            db: self.state.db,
            stretch: self.state.stretch,
            histogram: (
                focused,
                if focused.is_rgb() {
                    self.histogram.channel
                } else {
                    0
                },
            ),
        };
        let worker_files = files.clone();
        self.waker.set(ctx);
        let job = Job::spawn(
            move |_, _| {
                let scene = load_scene(&worker_files)?;
                let statistics = wanted.compute(&scene.bands);
                Ok((scene, statistics))
            },
            self.waker.wake_fn(),
        );
        self.opening.loading = Some((files, job));
    }

    /// Takes a scene the worker has read, if one is ready.
    fn poll_loading(&mut self, render: Option<&egui_wgpu::RenderState>) {
        let Some((files, job)) = &self.opening.loading else {
            return;
        };
        let Some(result) = job.poll() else {
            return;
        };
        let files = files.clone();
        self.opening.loading = None;
        let shown = result
            .map_err(anyhow::Error::from)
            .and_then(|(scene, statistics)| {
                let render = render.ok_or_else(|| anyhow::anyhow!("no wgpu renderer"))?;
                install_scene(render, &scene.bands)?;
                Ok((scene, statistics))
            });
        match shown {
            Ok((scene, statistics)) => {
                self.opening.uploads += 1;
                self.input = scene.bands.input;
                self.scene = scene;
                self.scene_changed();
                self.stretch.extend(statistics);
            }
            Err(e) => self.open_failed(&files, format!("{e:#}")),
        }
    }

    /// Says in the status bar that `files` did not open and why; the scene shown stays.
    pub fn open_failed(&mut self, files: &[PathBuf], reason: impl std::fmt::Display) {
        let reason = reason.to_string();
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        // Most errors name the file already.
        self.opening.error = Some(if names.iter().any(|n| reason.contains(n.as_str())) {
            reason
        } else {
            format!("{}: {reason}", crate::session::file_list(files))
        });
    }

    /// A new scene: what belonged to the previous one is replaced; the user's settings stay.
    fn scene_changed(&mut self) {
        let bands = &self.scene.bands;
        if bands.input == InputScale::Db {
            // Values in dB are best seen in dB.
            self.state.db = true;
        }
        self.state.mode = bands.usable_mode(self.state.mode);
        if bands.unavailable(self.state.composite).is_some() {
            self.state.composite = bands.usable_mode(ViewMode::Pauli);
        }
        self.camera = Camera::centered(self.scene.size());
        self.stretch = StretchCache::default();
        self.inspector = Inspector::new(&self.scene);
        self.tiles = self.tiles.next_scene();
        self.layers = LayerScores::default();
        self.edit = self.edit.next_scene();
        self.review = self.review.next_scene();
        self.polsar = self.polsar.next_scene();
        // A dataset's scene comes with its truth and predictions (then the model waits for
        // Predict, as for any scene opened with predictions).
        self.dataset_layers();
        self.prediction = self.prediction.next_scene(&self.scene);
        // Its map (or none) replaces the last at the next frame; the overlay's settings stay.
        self.overlay.changed();
        if self.scene.edits.is_some() {
            // Edits saved by an earlier session come back as they were left.
            self.start_editing();
        }
        self.rescore();
        self.score_probabilities();
        self.opening.error = None;
        self.state.remember(&self.scene.files);
    }

    /// The colour a frame is cleared to before the window is drawn: the panels' fill, which
    /// they leave to it (see [`Viewer::ui`]). Gamma-space RGBA in 0..1, as eframe takes it.
    pub fn clear_color(visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    /// The whole window for one frame. `render` is eframe's wgpu state (the kittest harness
    /// passes its own).
    pub fn ui(&mut self, ui: &mut egui::Ui, render: Option<&egui_wgpu::RenderState>) {
        self.waker.set(ui.ctx());
        self.poll_loading(render);
        self.poll_polsar(render);
        self.poll_dataset();
        self.poll_prediction(ui.ctx());
        if let Some(render) = render {
            self.sync_overlay(render);
        }
        self.poll_probability_curve();
        if let Some(failure) = self.journal.take_failure() {
            self.edit.message = Some(format!("could not save the edits: {failure}"));
        }
        self.edit_keys(ui.ctx());
        self.review_keys(ui.ctx());
        self.dataset_keys(ui.ctx());
        let dropped: Vec<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        match dropped.as_slice() {
            [] => {}
            [folder] if folder.is_dir() => self.open_folder(ui.ctx(), folder, None),
            _ => self.open(ui.ctx(), dropped),
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
        // Above the status bar, always in view (the right panel scrolls).
        egui::Panel::bottom("tools")
            .frame(panel)
            .show(ui, |ui| self.tool_strip_ui(ui));
        if self.scored_pair().is_some() {
            egui::Panel::bottom("review")
                .frame(panel)
                .show(ui, |ui| self.review_strip_ui(ui));
        }
        if self.dataset.is_some() {
            egui::Panel::left("dataset")
                .frame(panel)
                .default_size(260.0)
                .show(ui, |ui| self.dataset_ui(ui));
        }
        egui::Panel::right("histogram")
            .frame(panel)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.histogram_ui(ui);
                    self.model_ui(ui);
                    self.layers_ui(ui);
                    self.compare_ui(ui);
                    self.tools_ui(ui);
                    self.polsar_ui(ui);
                });
            });
        // No panel fill: the panes cover the area (the shader paints outside the scene too).
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| self.scene_view_ui(ui, render));
        self.help_window(ui.ctx());
    }
}
