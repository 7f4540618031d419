//! The polarimetry section of the viewer: a decomposition of a complex scene, or any scene's
//! speckle-filtered bands, shown in place of its bands (computed off the UI thread), the
//! H/alpha plane, and the inspector's values.

use crate::lru::LruCache;
use crate::polsar::{Decomposition, FilterKind, FilterSpec, HAAlpha, Product, T3};
use crate::raster::Window;
use crate::render::pyramid::TileKey;
use crate::render::{Bands, InputScale, NODATA, ViewMode};
use crate::session::polarimetry::{self, PolsarGpu, Processed};
use crate::session::{Job, TileSource, TileTexels};

use eframe::{egui, egui_wgpu};

use super::stretch::StretchCache;
use super::{Viewer, install_scene};

/// What the section says of the built-in demo scene.
const DEMO_HAS_NO_PHASE: &str = "the demo scene is intensity only (no phase)";

/// The decompositions the viewer offers.
const OFFERED: [Decomposition; 5] = [
    Decomposition::Pauli,
    Decomposition::HAAlpha,
    Decomposition::FreemanDurden,
    Decomposition::Yamaguchi,
    Decomposition::Span,
];

/// A decomposition's button (the view modes' names, such as "pauli", are taken).
fn button_label(d: Decomposition) -> &'static str {
    match d {
        Decomposition::Pauli => "Pauli RGB",
        Decomposition::HAAlpha => "H/A/alpha",
        Decomposition::FreemanDurden => "Freeman-Durden",
        Decomposition::Yamaguchi => "Yamaguchi",
        Decomposition::Span => "T3 span",
        Decomposition::T3 => "T3",
    }
}

/// The filters the viewer offers.
fn offered_filters() -> [FilterSpec; 7] {
    [
        FilterSpec::new(FilterKind::Boxcar, 1),
        FilterSpec::new(FilterKind::Boxcar, 3),
        FilterSpec::new(FilterKind::Boxcar, 5),
        FilterSpec::new(FilterKind::Boxcar, 7),
        FilterSpec::new(FilterKind::Lee, 7),
        FilterSpec::new(FilterKind::RefinedLee, 7),
        FilterSpec::new(FilterKind::Boxcar, 9),
    ]
}

fn filter_label(f: &FilterSpec) -> String {
    match (f.kind, f.window) {
        (FilterKind::Boxcar, 1) => "single look".into(),
        (FilterKind::Boxcar, n) => format!("boxcar {n}x{n}"),
        (FilterKind::Lee, n) => format!("Lee {n}x{n}"),
        (FilterKind::RefinedLee, n) => format!("refined Lee {n}x{n}"),
    }
}

/// Bins of the H/alpha plane: entropy 0..1 across, alpha 0..90 deg up.
const H_BINS: usize = 50;
const ALPHA_BINS: usize = 45;

/// A product on screen, and what it replaced.
struct Shown {
    processed: Processed,
    /// The scene's own bands and how they were shown.
    original: Bands,
    mode: ViewMode,
    db: bool,
    input: InputScale,
    /// The H/alpha plane of the part in view, for H/A/alpha; remade when the view moves.
    plane: Option<ViewPlane>,
}

/// The H/alpha plane of the pixels of a window of the scene.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewPlane {
    /// The scene's pixels it counts (the first pane's view, clamped to the scene).
    pub window: Window,
    /// Pixels per bin, row-major, alpha rows upward ([`H_BINS`] x [`ALPHA_BINS`]).
    pub bins: Vec<f64>,
    /// Pixels with an entropy and an alpha in the window.
    pub pixels: usize,
    /// Every `step`-th row and column counted (1 up to a million pixels in view, at full
    /// resolution), each standing for `step^2` pixels.
    pub step: usize,
    /// Of a scene drawn by tiles: the tiles of the view's level counted and in view (the
    /// overview's pixels are counted until one has come).
    pub tiles: Option<(usize, usize)>,
}

/// An H/A/alpha tile's entropy and alpha, kept for the H/alpha plane while it is on the GPU.
struct KeptTile {
    width: usize,
    height: usize,
    values: Vec<[f32; 2]>,
}

/// Samples of a product's entropy and alpha laid on the scene: sample (i, j) is scene pixel
/// (x + i step, y + j step) and stands for step^2 pixels.
struct Samples<'a> {
    origin: (usize, usize),
    step: usize,
    size: (usize, usize),
    /// Entropy and alpha of sample i (row-major), `None` without data.
    value: Box<dyn Fn(usize) -> Option<(f32, f32)> + 'a>,
}

impl<'a> Samples<'a> {
    /// Every pixel of a product's planes (every `step`-th of the scene's).
    fn of_planes(d: &'a Processed) -> Self {
        let planes = &d.planes;
        let (h, alpha) = (planes.bands.first(), planes.bands.get(2));
        Self {
            origin: (0, 0),
            step: d.step,
            size: (planes.width, planes.height),
            value: Box::new(move |i| {
                if planes.valid.get(i) != Some(&true) {
                    return None;
                }
                Some((*h?.get(i)?, *alpha?.get(i)?))
            }),
        }
    }

    /// A kept tile of a scene of `size` pixels.
    fn of_tile(key: TileKey, tile: &'a KeptTile, size: (usize, usize)) -> Self {
        let (x, y, _, _) = key.window(size);
        Self {
            origin: (x, y),
            step: 1 << key.level,
            size: (tile.width, tile.height),
            value: Box::new(move |i| tile.values.get(i).map(|&[h, a]| (h, a))),
        }
    }

    /// The samples' columns (or rows) whose pixels lie in `from..from + len`, given the
    /// samples' first pixel `origin` and their count `count`.
    fn span(&self, origin: usize, count: usize, from: usize, len: usize) -> std::ops::Range<usize> {
        let first = from.saturating_sub(origin).div_ceil(self.step);
        let end = (from + len).saturating_sub(origin).div_ceil(self.step);
        first.min(count)..end.min(count)
    }
}

/// The polarimetry of the scene in view.
pub(super) struct PolsarView {
    choice: Product,
    filter: FilterSpec,
    /// Why the scene has no decomposition (`Some(None)`: it has one), known once per scene.
    support: Option<Option<String>>,
    job: Option<Job<(Processed, Bands)>>,
    shown: Option<Shown>,
    /// Put the scene's own bands back at the next frame.
    restore: bool,
    message: Option<String>,
    /// The viewer's GPU, for the decompositions' compute pass.
    gpu: Option<PolsarGpu>,
    /// Whether decompositions go to the compute pass.
    use_gpu: bool,
    /// The scene opened for the inspector's polarimetry, and the last pixel's text.
    cursor: std::cell::RefCell<CursorPolarimetry>,
    /// Of an H/A/alpha product of a scene drawn by tiles: the tiles made, for the plane.
    kept: LruCache<TileKey, KeptTile>,
}

/// Tiles kept for the H/alpha plane at most (as many as the GPU keeps).
const KEPT_TILES: usize = crate::app::gpu::TILES_RESIDENT;

/// What the inspector read last, kept so that a still pointer reads nothing.
#[derive(Default)]
struct CursorPolarimetry {
    scene: Option<crate::raster::Scene>,
    last: Option<((usize, usize), Option<String>)>,
}

impl Default for PolsarView {
    fn default() -> Self {
        Self {
            choice: Product::Decomposition(Decomposition::Pauli),
            filter: FilterSpec::new(FilterKind::Boxcar, 7),
            support: None,
            job: None,
            shown: None,
            restore: false,
            message: None,
            gpu: None,
            use_gpu: false,
            cursor: Default::default(),
            kept: LruCache::new(KEPT_TILES),
        }
    }
}

impl PolsarView {
    /// The view for the next scene: the choices stay, the rest goes.
    pub(super) fn next_scene(&self) -> Self {
        Self {
            choice: self.choice,
            filter: self.filter,
            gpu: self.gpu.clone(),
            use_gpu: self.use_gpu,
            ..Self::default()
        }
    }

    /// The view on `render`'s device: decompositions by its compute pass where the device is
    /// a GPU. A software rasterizer (lavapipe) runs the pass ~4x slower than the CPU path
    /// (benches/polsar.rs), so there the CPU makes them.
    pub(super) fn on(render: &egui_wgpu::RenderState) -> Self {
        let info = render.adapter.get_info();
        let gpu = PolsarGpu::new(
            render.device.clone(),
            render.queue.clone(),
            format!("{:?}, {}", info.backend, info.name),
        );
        Self {
            use_gpu: info.device_type != wgpu::DeviceType::Cpu,
            gpu: Some(gpu),
            ..Self::default()
        }
    }

    /// What is shown changed (a product, or the scene's bands again): the inspector's last
    /// text and the tiles kept for the plane were of what was shown before.
    fn shown_changed(&mut self) {
        self.cursor.borrow_mut().last = None;
        self.kept.clear();
    }

    /// Averages T3 by `filter` from now on; the inspector's last text was averaged by the last.
    fn set_filter(&mut self, filter: FilterSpec) {
        self.filter = filter;
        self.cursor.borrow_mut().last = None;
    }

    /// The product on screen, if one is.
    pub(super) fn shown(&self) -> Option<Product> {
        self.shown.as_ref().map(|s| s.processed.product)
    }

    /// A complex scene's T3 at pixel (`x`, `y`) as the chosen filter averages it: its
    /// eigenvalues, H, A, alpha and the model powers, for the inspector while the scene's own
    /// bands are shown. `None` for a scene without a scattering matrix.
    pub(super) fn cursor_text(
        &self,
        files: &[std::path::PathBuf],
        x: usize,
        y: usize,
    ) -> Option<String> {
        if !matches!(self.support, Some(None)) {
            return None;
        }
        self.at_cursor(files, x, y, |scene| {
            polarimetry::pixel_text(scene, (x, y), self.filter).ok()
        })
    }

    /// `text` of full-resolution pixel (`x`, `y`) of the scene of `files` (opened once), kept
    /// until the pointer moves to another pixel (or what is shown changes).
    fn at_cursor(
        &self,
        files: &[std::path::PathBuf],
        x: usize,
        y: usize,
        text: impl FnOnce(&crate::raster::Scene) -> Option<String>,
    ) -> Option<String> {
        let mut cursor = self.cursor.borrow_mut();
        if let Some((at, text)) = &cursor.last
            && *at == (x, y)
        {
            return text.clone();
        }
        if cursor.scene.is_none() {
            cursor.scene = crate::raster::Scene::open_many(files).ok();
        }
        let text = cursor
            .scene
            .as_ref()
            .filter(|scene| x < scene.width() && y < scene.height())
            .and_then(text);
        cursor.last = Some(((x, y), text.clone()));
        text
    }

    /// Every value of the product at pixel (`x`, `y`), named. Of a scene drawn by tiles, made
    /// for the pixel at full resolution (from the files of `files`).
    pub(super) fn inspect(
        &self,
        files: &[std::path::PathBuf],
        x: usize,
        y: usize,
    ) -> Option<String> {
        let shown = self.shown.as_ref()?;
        let p = &shown.processed;
        let mut text = format!("pixel {x}, {y}\n{}", product_label(p.product, &p.filter));
        let values = match &p.tiles {
            Some(tiles) => {
                return self.at_cursor(files, x, y, |scene| {
                    Some(match tiles.pixel(scene, x, y) {
                        Ok(Some(values)) => text + &named_values(&p.names, &values),
                        Ok(None) => text + "\nno data",
                        Err(e) => format!("{text}\n{e}"),
                    })
                });
            }
            None => {
                let planes = &p.planes;
                if x >= planes.width || y >= planes.height {
                    return None;
                }
                let i = y * planes.width + x;
                if !planes.valid.get(i).copied().unwrap_or(false) {
                    return Some(text + "\nno data");
                }
                planes
                    .bands
                    .iter()
                    .map(|band| band.get(i).copied().unwrap_or(f32::NAN))
                    .collect::<Vec<f32>>()
            }
        };
        text += &named_values(&p.names, &values);
        Some(text)
    }

    /// Keeps the entropy and alpha of `tiles` just made of an H/A/alpha product of a scene
    /// drawn by tiles, for the H/alpha plane.
    pub(super) fn keep_tiles(&mut self, tiles: Vec<(TileKey, TileTexels)>) {
        let Some(shown) = &self.shown else {
            return;
        };
        if shown.processed.tiles.is_none()
            || shown.processed.product != Product::Decomposition(Decomposition::HAAlpha)
        {
            return;
        }
        for (key, (texels, width, height)) in tiles {
            // The texels' channels are entropy, anisotropy, alpha (display_order).
            let values = texels.iter().map(|t| [t[0], t[2]]).collect();
            self.kept.insert(
                key,
                KeptTile {
                    width,
                    height,
                    values,
                },
            );
        }
    }
}

/// "\n      entropy     0.4312" for each band.
fn named_values(names: &[String], values: &[f32]) -> String {
    names
        .iter()
        .zip(values)
        .map(|(name, v)| format!("\n{name:>13} {v:>10.4}"))
        .collect()
}

fn product_label(product: Product, filter: &FilterSpec) -> String {
    match product {
        Product::Decomposition(d) => d.name().to_string(),
        Product::Bands => format!("bands, {}", filter_label(filter)),
    }
}

/// Pixels looked at for one H/alpha plane at most: above, rows and columns are sampled, so a
/// plane is remade within a few milliseconds each frame the view moves.
const PLANE_SAMPLES: usize = 1 << 20;

/// The H/alpha plane of the pixels of `window` that `sources` hold (an H/A/alpha
/// decomposition's, of the whole scene or of tiles).
fn h_alpha_plane(sources: &[Samples], window: Window) -> ViewPlane {
    let mut bins = vec![0.0; H_BINS * ALPHA_BINS];
    let spans: Vec<_> = sources
        .iter()
        .map(|s| {
            (
                s.span(s.origin.0, s.size.0, window.x, window.width),
                s.span(s.origin.1, s.size.1, window.y, window.height),
            )
        })
        .collect();
    let samples: usize = spans.iter().map(|(c, r)| c.len() * r.len()).sum();
    let stride = (samples as f64 / PLANE_SAMPLES as f64)
        .sqrt()
        .ceil()
        .max(1.0) as usize;
    let mut pixels = 0;
    let mut step = stride;
    for (source, (cols, rows)) in sources.iter().zip(spans) {
        step = stride * source.step;
        let weight = step * step;
        for row in rows.step_by(stride) {
            for col in cols.clone().step_by(stride) {
                let Some((h, a)) = (source.value)(row * source.size.0 + col) else {
                    continue;
                };
                if !(h.is_finite() && a.is_finite()) || h == NODATA || a == NODATA {
                    continue;
                }
                let col = ((h.clamp(0.0, 1.0) * H_BINS as f32) as usize).min(H_BINS - 1);
                let row =
                    ((a.clamp(0.0, 90.0) / 90.0 * ALPHA_BINS as f32) as usize).min(ALPHA_BINS - 1);
                bins[row * H_BINS + col] += weight as f64;
                pixels += weight;
            }
        }
    }
    ViewPlane {
        window,
        bins,
        pixels,
        step,
        tiles: None,
    }
}

/// The edge of the feasible H/alpha region (Cloude & Pottier 1997): curve I, T3 =
/// diag(1, m, m), and curve II, diag(0, 1, 2m) then diag(2m - 1, 1, 1), m from 0 to 1.
fn feasible_edges() -> [Vec<[f64; 2]>; 2] {
    let point = |a: f64, b: f64, c: f64| {
        let t = T3 {
            t11: a,
            t22: b,
            t33: c,
            ..T3::default()
        };
        let h = HAAlpha::of(&t);
        [h.entropy, h.alpha_deg]
    };
    let steps = 60;
    let m = |i: usize| i as f64 / steps as f64;
    let one = (0..=steps).map(|i| point(1.0, m(i), m(i))).collect();
    let two = (0..=steps)
        .map(|i| {
            let m = m(i);
            if m <= 0.5 {
                point(0.0, 1.0, 2.0 * m)
            } else {
                point(2.0 * m - 1.0, 1.0, 1.0)
            }
        })
        .collect();
    [one, two]
}

impl Viewer {
    /// Takes a finished product and puts it (or the scene's bands back) on the GPU.
    pub(super) fn poll_polsar(&mut self, render: Option<&egui_wgpu::RenderState>) {
        if self.polsar.restore {
            self.polsar.restore = false;
            if let Some(shown) = self.polsar.shown.take()
                && let Some(render) = render
            {
                match install_scene(render, &shown.original) {
                    Ok(()) => {
                        // The scene's own tiles again (the product's went with its overview).
                        self.tiles = self.tiles.next_scene();
                        self.polsar.shown_changed();
                        self.scene.bands = shown.original;
                        self.state.mode = shown.mode;
                        self.state.db = shown.db;
                        self.input = shown.input;
                        self.stretch = StretchCache::default();
                    }
                    Err(e) => self.polsar.message = Some(e.to_string()),
                }
            }
        }
        let Some(job) = &self.polsar.job else {
            return;
        };
        let Some(result) = job.poll() else {
            return;
        };
        self.polsar.job = None;
        let (processed, mut bands) = match result {
            Ok(done) => done,
            Err(e) => {
                self.polsar.message = Some(e.to_string());
                return;
            }
        };
        let Some(render) = render else {
            return;
        };
        if let Err(e) = install_scene(render, &bands) {
            self.polsar.message = Some(e.to_string());
            return;
        }
        let product = processed.product;
        self.polsar.shown_changed();
        // A scene drawn by tiles: the product's tiles from now on (the GPU's tiles of the
        // last went with its overview).
        if let Some(tiles) = &processed.tiles {
            self.tiles = self.tiles.with_source(TileSource::Product(tiles.clone()));
        }
        std::mem::swap(&mut bands, &mut self.scene.bands);
        // A second product replaces the first; the scene's own bands stay kept.
        let (original, mode, db, input) = match self.polsar.shown.take() {
            Some(s) => (s.original, s.mode, s.db, s.input),
            None => (bands, self.state.mode, self.state.db, self.input),
        };
        let what = match product {
            Product::Decomposition(d) => d.name(),
            Product::Bands => "bands",
        };
        let of = if processed.tiles.is_some() {
            format!(
                "of the overview (every {}th pixel; the tiles in view follow, full resolution \
                 when zoomed in)",
                processed.step
            )
        } else {
            "of the scene".to_string()
        };
        self.polsar.message = Some(format!(
            "{what}, {}, {of} on {}: {:.2} s",
            filter_label(&processed.filter),
            processed.engine,
            processed.seconds
        ));
        match product {
            Product::Decomposition(d) => {
                self.input = self.scene.bands.input;
                self.state.mode = if d.band_names().len() >= 3 {
                    ViewMode::Rgb
                } else {
                    ViewMode::Hh
                };
                self.state.db = !matches!(d, Decomposition::HAAlpha);
            }
            Product::Bands => {
                // The scene's own modes, input and dB, on the filtered values.
                self.state.mode = self.scene.bands.usable_mode(mode);
                self.input = input;
                self.state.db = db;
            }
        }
        self.polsar.shown = Some(Shown {
            processed,
            original,
            mode,
            db,
            input,
            plane: None,
        });
        self.stretch = StretchCache::default();
    }

    /// Starts `product` of the whole scene with `filter`: a decomposition, or the scene's
    /// bands filtered.
    pub fn show_product(&mut self, product: Product, filter: FilterSpec) {
        self.polsar.choice = product;
        self.polsar.set_filter(filter);
        self.polsar.message = None;
        self.polsar.job = Some(polarimetry::start(
            self.scene.files.clone(),
            product,
            filter,
            self.polsar.gpu.clone().filter(|_| self.polsar.use_gpu),
            self.scene.tiled.is_some(),
            self.waker.wake_fn(),
        ));
    }

    /// Makes decompositions on the viewer's device (its compute pass) or on the CPU, whatever
    /// the device is (by default: on it when it is a GPU, not a software rasterizer).
    pub fn decompose_on_gpu(&mut self, on: bool) {
        self.polsar.use_gpu = on;
    }

    /// The H/alpha plane of the view, while an H/A/alpha decomposition is shown (made when the
    /// polarimetry section is drawn).
    pub fn h_alpha_plane(&self) -> Option<&ViewPlane> {
        self.polsar.shown.as_ref().and_then(|s| s.plane.as_ref())
    }

    /// Where the product on screen was made: "CPU", or the GPU's adapter.
    pub fn product_engine(&self) -> Option<&str> {
        self.polsar
            .shown
            .as_ref()
            .map(|s| s.processed.engine.as_str())
    }

    /// The product on screen, if one is, and whether one is being computed.
    pub fn product_state(&self) -> (Option<Product>, bool) {
        (self.polsar.shown(), self.polsar.job.is_some())
    }

    /// The polarimetry section of the right panel, open at first where the scene has a
    /// scattering matrix.
    pub(super) fn polsar_ui(&mut self, ui: &mut egui::Ui) {
        let files = &self.scene.files;
        let support = self.polsar.support.get_or_insert_with(|| {
            if files.is_empty() {
                Some(DEMO_HAS_NO_PHASE.to_string())
            } else {
                polarimetry::unsupported(files)
            }
        });
        let open = support.is_none();
        egui::CollapsingHeader::new("Polarimetry")
            .default_open(open)
            .show(ui, |ui| self.polsar_section_ui(ui));
    }

    fn polsar_section_ui(&mut self, ui: &mut egui::Ui) {
        if self.scene.files.is_empty() {
            ui.label(egui::RichText::new(DEMO_HAS_NO_PHASE).weak());
            return;
        }
        let why = self.polsar.support.clone().flatten();
        let busy = self.polsar.job.is_some();
        ui.horizontal_wrapped(|ui| {
            for d in OFFERED {
                let product = Product::Decomposition(d);
                let selected = self.polsar.shown() == Some(product);
                let button = ui.add_enabled(
                    !busy && why.is_none(),
                    egui::Button::selectable(selected, button_label(d)),
                );
                let button = match &why {
                    Some(why) => button.on_disabled_hover_text(why),
                    None => {
                        button.on_hover_text(format!("{}: {}", d.name(), d.band_names().join(", ")))
                    }
                };
                if button.clicked() {
                    self.show_product(product, self.polsar.filter);
                }
            }
        });
        if let Some(why) = &why {
            ui.label(egui::RichText::new(why).weak());
        }
        ui.horizontal(|ui| {
            let mut filter = self.polsar.filter;
            egui::ComboBox::from_label("speckle filter")
                .selected_text(filter_label(&filter))
                .show_ui(ui, |ui| {
                    for f in offered_filters() {
                        ui.selectable_value(&mut filter, f, filter_label(&f));
                    }
                });
            if filter != self.polsar.filter {
                self.polsar.set_filter(filter);
                if let Some(product) = self.polsar.shown() {
                    self.show_product(product, filter);
                }
            }
        });
        let filtered = self.polsar.shown() == Some(Product::Bands);
        if ui
            .add_enabled(
                !busy,
                egui::Button::selectable(filtered, "Filter the bands"),
            )
            .on_hover_text("the scene's bands, as intensity, through the speckle filter")
            .clicked()
        {
            self.show_product(Product::Bands, self.polsar.filter);
        }
        if busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "computing {}…",
                    product_label(self.polsar.choice, &self.polsar.filter)
                ));
            });
        }
        if self.polsar.shown.is_some() && ui.button("Show the scene's bands").clicked() {
            self.polsar.restore = true;
            ui.ctx().request_repaint();
        }
        if let Some(message) = &self.polsar.message {
            ui.label(egui::RichText::new(message).weak());
        }
        let window = self.camera.visible_window(self.scene.size());
        // The tiles of the view's level (a scene drawn by tiles, zoomed in past its overview).
        let in_view = self.tiles_wanted(self.camera.pane(), ui.ctx().pixels_per_point());
        let polsar = &mut self.polsar;
        if let Some(shown) = &mut polsar.shown
            && shown.processed.product == Product::Decomposition(Decomposition::HAAlpha)
        {
            let kept = &polsar.kept;
            let tiles = in_view.as_ref().and_then(|(_, wanted)| {
                let counted = wanted.iter().filter(|k| kept.contains(k)).count();
                (counted > 0).then_some((counted, wanted.len()))
            });
            if shown
                .plane
                .as_ref()
                .is_none_or(|p| p.window != window || p.tiles != tiles)
            {
                let sources = match (&in_view, tiles) {
                    (Some((size, wanted)), Some(_)) => wanted
                        .iter()
                        .filter_map(|k| kept.peek(k).map(|t| Samples::of_tile(*k, t, *size)))
                        .collect(),
                    _ => vec![Samples::of_planes(&shown.processed)],
                };
                let mut plane = h_alpha_plane(&sources, window);
                plane.tiles = tiles;
                shown.plane = Some(plane);
            }
            if let Some(plane) = &shown.plane {
                h_alpha_plot_ui(ui, plane);
            }
        }
    }
}

/// The H/alpha plane: the pixels' 2-D histogram (log scale), the feasible region's edges and
/// the Cloude-Pottier zones (H 0.5 and 0.9; alpha 42.5/47.5, 40/50, 40/55 deg).
fn h_alpha_plot_ui(ui: &mut egui::Ui, plane: &ViewPlane) {
    let max = plane.bins.iter().copied().fold(0.0, f64::max).max(1.0);
    let logs: Vec<f64> = plane.bins.iter().map(|&c| (1.0 + c).ln()).collect();
    let top = (1.0 + max).ln();
    let heat = egui_plot::Heatmap::new(logs, H_BINS)
        .show_labels(false)
        .size(1.0, 90.0)
        .custom_mapping(Box::new(move |v| {
            if v <= 0.0 {
                return egui::Color32::TRANSPARENT;
            }
            let [r, g, b] = crate::render::Colormap::Viridis.apply((v / top) as f32);
            egui::Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
        }))
        .name("pixels");
    let edge = egui::Color32::from_gray(200);
    let zone = egui::Color32::from_rgb(230, 120, 60);
    ui.label("H/alpha plane (pixels, log scale)");
    let w = plane.window;
    let mut sampled = if plane.step > 1 {
        format!(", every {}th row and column", plane.step)
    } else {
        String::new()
    };
    if let Some((counted, in_view)) = plane.tiles {
        sampled += &format!(" ({counted} of the {in_view} tiles in view made)");
    }
    ui.label(
        egui::RichText::new(format!(
            "of the view: {} pixels, columns {}..{}, rows {}..{}{sampled}",
            plane.pixels,
            w.x,
            w.x + w.width,
            w.y,
            w.y + w.height
        ))
        .weak(),
    );
    egui_plot::Plot::new("h-alpha plane")
        .height(180.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show_background(false)
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(90.0)
        .x_axis_label("entropy")
        .y_axis_label("alpha (deg)")
        .show(ui, |plot| {
            plot.heatmap(heat);
            for curve in feasible_edges() {
                plot.line(egui_plot::Line::new("feasible", curve).color(edge));
            }
            let seg = |x0: f64, x1: f64, y: f64| vec![[x0, y], [x1, y]];
            let lines = [
                vec![[0.5, 0.0], [0.5, 90.0]],
                vec![[0.9, 0.0], [0.9, 90.0]],
                seg(0.0, 0.5, 42.5),
                seg(0.0, 0.5, 47.5),
                seg(0.5, 0.9, 40.0),
                seg(0.5, 0.9, 50.0),
                seg(0.9, 1.0, 40.0),
                seg(0.9, 1.0, 55.0),
            ];
            for line in lines {
                plot.line(egui_plot::Line::new("zones", line).color(zone));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::Planes;

    fn processed(width: usize, height: usize) -> Processed {
        // Entropy rises across, alpha down the rows; two pixels without data (a NaN value,
        // and one marked invalid).
        let n = width * height;
        let h: Vec<f32> = (0..n).map(|i| (i % width) as f32 / width as f32).collect();
        let alpha: Vec<f32> = (0..n)
            .map(|i| 90.0 * (i / width) as f32 / height as f32)
            .collect();
        let mut anisotropy = vec![0.5; n];
        anisotropy[0] = f32::NAN;
        let mut planes = Planes::new(width, height, vec![h, anisotropy, alpha], &[]);
        planes.valid[1] = false;
        Processed {
            product: Product::Decomposition(Decomposition::HAAlpha),
            filter: FilterSpec::new(FilterKind::Boxcar, 7),
            planes,
            step: 1,
            tiles: None,
            names: Vec::new(),
            seconds: 0.0,
            engine: "CPU".into(),
        }
    }

    fn corner(width: usize, height: usize) -> Window {
        Window {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    #[test]
    fn the_plane_counts_the_window_and_samples_a_large_one() {
        let d = processed(2048, 1024);
        let plane = h_alpha_plane(&[Samples::of_planes(&d)], corner(100, 10));
        assert_eq!((plane.step, plane.pixels), (1, 998));
        // Entropy below 100/2048 and alpha below 1 deg: the bottom row's first three bins, the
        // first of them columns 0..=40 (entropy < 0.02).
        assert_eq!(plane.bins[..3].iter().sum::<f64>(), 998.0);
        assert_eq!(plane.bins[0], (41 * 10 - 2) as f64);
        let plane = h_alpha_plane(&[Samples::of_planes(&d)], corner(2048, 1024));
        // Two million pixels: every second row and column, each standing for four (the first,
        // without data, is left out).
        assert_eq!(plane.step, 2);
        assert_eq!(plane.pixels, 2048 * 1024 - 4);
        assert_eq!(plane.bins.iter().sum::<f64>(), plane.pixels as f64);
        // Entropy spread evenly over its 50 bins: each holds a 50th of the pixels (+-1 column).
        let first_row: f64 = plane.bins[..H_BINS].iter().sum();
        for &c in &plane.bins[..H_BINS] {
            assert!((c - first_row / H_BINS as f64).abs() <= 4.0 * 24.0, "{c}");
        }
    }
}
