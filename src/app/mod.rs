//! The viewer: an eframe window whose scene is drawn by `shaders/view.wgsl` through an
//! egui_wgpu paint callback. The bands go up to the GPU once; mode, dB, stretch, pan and zoom
//! are uniforms.

use std::collections::HashMap;

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use std::path::PathBuf;

use crate::raster::{Crs, GeoTransform, Polarization, Scene, ToLonLat};
use crate::render::{
    NODATA, ViewMode, ViewPipeline, ViewSettings, ViewUniform, db, interleave, percentile_stretch,
    upload_bands,
};

/// What the viewer shows: interleaved HH, HV, VH, VV texels of one scene and its grid.
pub struct SceneData {
    pub name: String,
    pub texels: Vec<[f32; 4]>,
    pub width: usize,
    pub height: usize,
    pub geo_transform: Option<GeoTransform>,
    pub crs: Option<Crs>,
    /// The values are already in dB (some are negative), so no dB display is offered.
    pub values_in_db: bool,
    /// Which of HH, HV, VH, VV the scene has (a missing one shows its nearest band).
    pub present: [bool; 4],
    /// What each slot holds, for the inspector ("HH", or "band 1" for a raster without roles).
    pub labels: [String; 4],
}

impl SceneData {
    /// Why `mode` cannot be shown, if it cannot.
    pub fn unavailable(&self, mode: ViewMode) -> Option<String> {
        let needs: &[usize] = match mode {
            ViewMode::Hh => &[0],
            ViewMode::Hv => &[1],
            ViewMode::Vh => &[2],
            ViewMode::Vv => &[3],
            ViewMode::RatioHhHv => &[0, 1],
            ViewMode::Span | ViewMode::Pauli | ViewMode::Sinclair => &[0, 1, 2, 3],
        };
        let missing: Vec<&str> = needs
            .iter()
            .filter(|&&i| !self.present[i])
            .map(|&i| Polarization::SN6_ORDER[i].name())
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "{} needs {}, which this scene does not have",
                mode.name(),
                missing.join(" and ")
            )
        })
    }
}

/// Reads `files` as one scene for the viewer. A scene without some polarization shows its
/// nearest band in that slot.
pub fn load_scene(files: &[PathBuf]) -> anyhow::Result<SceneData> {
    let scene = Scene::open_many(files)?;
    let planes = scene.read_full()?;
    let last = scene.band_count().saturating_sub(1);
    let mut order = [0usize; 4];
    let mut present = [false; 4];
    for (i, pol) in Polarization::SN6_ORDER.into_iter().enumerate() {
        present[i] = scene.band_of(pol).is_some();
        order[i] = scene.band_of(pol).unwrap_or(i.min(last));
    }
    let mut labels = Polarization::SN6_ORDER.map(|p| p.name().to_string());
    if !present.contains(&true) {
        // No polarization recognized (a grey or other raster): its first band in the HH slot.
        present[0] = true;
        labels[0] = "band 1".into();
    }
    let name = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" + ");
    Ok(SceneData {
        name,
        texels: interleave(&planes, order),
        width: planes.width,
        height: planes.height,
        geo_transform: scene.geo_transform(),
        crs: scene.crs().cloned(),
        values_in_db: planes
            .bands
            .iter()
            .flatten()
            .zip(planes.valid.iter().cycle())
            .any(|(v, ok)| *ok && *v < 0.0),
        present,
        labels,
    })
}

/// Opens the window (blocks until it closes).
pub fn run(scene: SceneData) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 860.0])
            .with_title(format!("sarscope: {}", scene.name)),
        ..Default::default()
    };
    eframe::run_native(
        "sarscope",
        options,
        Box::new(move |cc| Ok(Box::new(Viewer::new(cc, scene)?))),
    )
    .map_err(|e| anyhow::anyhow!("the viewer failed: {e}"))
}

/// Panes of the linked grid: the four polarizations and a composite.
const PANES: usize = 5;

/// GPU objects built once, kept in egui_wgpu's callback resources: the pipeline and, per pane,
/// a uniform buffer and its bind group (the bands texture is shared).
struct ViewResources {
    pipeline: ViewPipeline,
    panes: Vec<(wgpu::Buffer, wgpu::BindGroup)>,
}

/// Stretch limits are cached per mode, dB, and low/high percentiles (in 0.1 %).
type StretchKey = (ViewMode, bool, i64, i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Single,
    Grid,
}

struct Viewer {
    scene: SceneData,
    mode: ViewMode,
    /// The composite shown in the grid's fifth pane.
    composite: ViewMode,
    layout: Layout,
    db: bool,
    /// Contrast stretch between these percentiles of the shown values.
    low: f64,
    high: f64,
    gamma: f32,
    /// Screen points per scene pixel.
    zoom: f32,
    /// The scene pixel at the centre of the view.
    center: egui::Vec2,
    fitted: bool,
    stretch: HashMap<StretchKey, ([f32; 3], [f32; 3])>,
    /// Histogram (bin centre, share of pixels) of each mode's first channel, per dB setting.
    histograms: HashMap<(ViewMode, bool), Vec<(f64, f64)>>,
    /// The scene position under the pointer, shown as a cross in every pane.
    cursor: Option<egui::Vec2>,
    to_lon_lat: Option<ToLonLat>,
    /// The last file that failed to open (the current scene stays).
    error: Option<String>,
    adapter: String,
}

impl Viewer {
    fn new(
        cc: &eframe::CreationContext<'_>,
        scene: SceneData,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let state = cc
            .wgpu_render_state
            .as_ref()
            .ok_or("eframe started without its wgpu renderer")?;
        let info = state.adapter.get_info();
        let mut viewer = Self {
            center: egui::Vec2::ZERO,
            scene: SceneData {
                name: String::new(),
                texels: Vec::new(),
                width: 0,
                height: 0,
                geo_transform: None,
                crs: None,
                values_in_db: false,
                present: [false; 4],
                labels: Default::default(),
            },
            mode: ViewMode::Span,
            composite: ViewMode::Pauli,
            layout: Layout::Single,
            db: false,
            low: 2.0,
            high: 98.0,
            gamma: 1.0,
            cursor: None,
            to_lon_lat: None,
            error: None,
            zoom: 1.0,
            fitted: false,
            stretch: HashMap::new(),
            histograms: HashMap::new(),
            adapter: format!("{:?}, {}", info.backend, info.name),
        };
        viewer.show_scene(state, scene)?;
        Ok(viewer)
    }

    /// Uploads `scene` (the one texture upload a scene needs) and makes it the current one.
    fn show_scene(
        &mut self,
        state: &egui_wgpu::RenderState,
        scene: SceneData,
    ) -> Result<(), crate::render::RenderError> {
        let bands = upload_bands(
            &state.device,
            &state.queue,
            &scene.texels,
            scene.width,
            scene.height,
        )?;
        // The pipeline is built once per window; a new scene brings only its texture and bindings.
        let mut renderer = state.renderer.write();
        let pipeline = match renderer.callback_resources.remove::<ViewResources>() {
            Some(old) => old.pipeline,
            None => ViewPipeline::new(&state.device, state.target_format),
        };
        let panes = (0..PANES)
            .map(|_| {
                let uniform = state.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("view uniform"),
                    size: std::mem::size_of::<ViewUniform>() as u64,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                let bind_group = pipeline.bind_group(&state.device, &bands, &uniform);
                (uniform, bind_group)
            })
            .collect();
        renderer
            .callback_resources
            .insert(ViewResources { pipeline, panes });
        drop(renderer);
        self.to_lon_lat = scene.crs.as_ref().and_then(ToLonLat::new);
        self.center = egui::vec2(scene.width as f32 / 2.0, scene.height as f32 / 2.0);
        if scene.values_in_db {
            self.db = false;
        }
        if scene.unavailable(self.mode).is_some() {
            self.mode = ViewMode::ALL
                .into_iter()
                .find(|m| scene.unavailable(*m).is_none())
                .unwrap_or(ViewMode::Hh);
        }
        self.scene = scene;
        self.stretch.clear();
        self.histograms.clear();
        self.fitted = false;
        self.error = None;
        Ok(())
    }

    /// Opens `files` in place of the current scene, or keeps it and shows why not.
    fn open(&mut self, frame: &eframe::Frame, files: &[PathBuf]) {
        let Some(state) = frame.wgpu_render_state() else {
            return;
        };
        let result = load_scene(files)
            .and_then(|scene| self.show_scene(state, scene).map_err(anyhow::Error::from));
        if let Err(e) = result {
            self.error = Some(format!("{e:#}"));
        }
    }

    /// The histogram of the shown values with the stretch limits (egui_plot).
    fn histogram_ui(&mut self, ui: &mut egui::Ui) {
        let mode = match self.layout {
            Layout::Single => self.mode,
            Layout::Grid => self.composite,
        };
        let settings = self.settings(mode);
        let texels = &self.scene.texels;
        let bins = self
            .histograms
            .entry((mode, self.db))
            .or_insert_with(|| histogram(texels, mode, settings.db, 128));
        ui.label(format!(
            "{}{} (first channel), stretch {:.1}-{:.1} %",
            mode.name(),
            if self.db { " dB" } else { "" },
            self.low,
            self.high
        ));
        let width = match bins.as_slice() {
            [a, b, ..] => b.0 - a.0,
            _ => 1.0,
        };
        let bars: Vec<egui_plot::Bar> = bins
            .iter()
            .map(|&(x, share)| egui_plot::Bar::new(x, share).width(width))
            .collect();
        egui_plot::Plot::new("histogram")
            .height(180.0)
            .allow_drag(false)
            .allow_zoom(false)
            .show_y(false)
            .show(ui, |plot| {
                plot.bar_chart(egui_plot::BarChart::new("pixels", bars));
                for (name, x) in [("low", settings.lo[0]), ("high", settings.hi[0])] {
                    plot.vline(
                        egui_plot::VLine::new(name, f64::from(x))
                            .stroke(egui::Stroke::new(1.5, egui::Color32::YELLOW)),
                    );
                }
            });
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

    fn settings(&mut self, mode: ViewMode) -> ViewSettings {
        let key = (
            mode,
            self.db,
            (self.low * 10.0).round() as i64,
            (self.high * 10.0).round() as i64,
        );
        let (texels, low, high, db) = (&self.scene.texels, self.low, self.high, self.db);
        let (lo, hi) = *self
            .stretch
            .entry(key)
            .or_insert_with(|| percentile_stretch(texels, mode, db, low, high));
        ViewSettings {
            mode,
            db: self.db,
            lo,
            hi,
            gamma: self.gamma,
        }
    }

    fn fit(&mut self, rect: egui::Rect) {
        let (w, h) = (self.scene.width as f32, self.scene.height as f32);
        self.zoom = (rect.width() / w).min(rect.height() / h);
        self.center = egui::vec2(w / 2.0, h / 2.0);
    }

    /// The panes' rectangles and modes for the current layout.
    fn panes(&self, area: egui::Rect) -> Vec<(egui::Rect, ViewMode)> {
        match self.layout {
            Layout::Single => vec![(area, self.mode)],
            Layout::Grid => {
                let size = egui::vec2(area.width() / 3.0, area.height() / 2.0);
                let modes = [
                    ViewMode::Hh,
                    ViewMode::Hv,
                    self.composite,
                    ViewMode::Vh,
                    ViewMode::Vv,
                ];
                let cells = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1)];
                cells
                    .iter()
                    .zip(modes)
                    .map(|(&(col, row), mode)| {
                        let min = area.min + egui::vec2(col as f32 * size.x, row as f32 * size.y);
                        (egui::Rect::from_min_size(min, size).shrink(2.0), mode)
                    })
                    .collect()
            }
        }
    }

    fn scene_view_ui(&mut self, ui: &mut egui::Ui) {
        let area = ui.available_rect_before_wrap();
        ui.allocate_rect(area, egui::Sense::hover());
        let panes = self.panes(area);
        if !self.fitted {
            if let Some((first, _)) = panes.first() {
                self.fit(*first);
            }
            self.fitted = true;
        }
        let (w, h) = (self.scene.width as f32, self.scene.height as f32);
        let mut hovered = None;
        for (index, &(rect, mode)) in panes.iter().enumerate() {
            let response = ui.interact(
                rect,
                ui.scope_id().with(("pane", index)),
                egui::Sense::click_and_drag(),
            );
            if response.dragged() {
                self.center -= response.drag_delta() / self.zoom;
            }
            if response.double_clicked() {
                self.fit(rect);
            }
            if let Some(pointer) = response.hover_pos() {
                let scroll = ui.input(|i| i.smooth_scroll_delta.y);
                let factor = ui.input(|i| i.zoom_delta()) * (scroll / 200.0).exp();
                if factor != 1.0 {
                    // Zoom about the cursor: the scene pixel under it stays under it.
                    let under = self.center + (pointer - rect.center()) / self.zoom;
                    self.zoom = (self.zoom * factor).clamp(0.01, 64.0);
                    self.center = under - (pointer - rect.center()) / self.zoom;
                }
                hovered = Some((
                    self.center + (pointer - rect.center()) / self.zoom,
                    response,
                ));
            }
            let half = rect.size() / (2.0 * self.zoom);
            let mut uniform =
                ViewUniform::new(&self.settings(mode), self.scene.width, self.scene.height);
            uniform.window = [
                (self.center.x - half.x) / w,
                (self.center.y - half.y) / h,
                2.0 * half.x / w,
                2.0 * half.y / h,
            ];
            uniform.checker = 1.0;
            ui.painter().add(egui_wgpu::Callback::new_paint_callback(
                rect,
                ViewCallback {
                    pane: index,
                    uniform,
                },
            ));
            if panes.len() > 1 {
                ui.painter().text(
                    rect.left_top() + egui::vec2(6.0, 4.0),
                    egui::Align2::LEFT_TOP,
                    mode.name(),
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
        if let Some((p, response)) = hovered {
            let (x, y) = (p.x.floor(), p.y.floor());
            if x >= 0.0 && y >= 0.0 && x < w && y < h {
                let v = self.scene.texels[y as usize * self.scene.width + x as usize];
                let text = if v.iter().any(|b| *b <= NODATA) {
                    format!("pixel {x}, {y}\nno data")
                } else {
                    let mut text = format!("pixel {x}, {y}");
                    let slots = self.scene.labels.iter().zip(v).zip(self.scene.present);
                    for ((label, value), _) in slots.filter(|(_, present)| *present) {
                        text += &if self.scene.values_in_db {
                            format!("\n{label} {value:>8.2} dB")
                        } else {
                            format!("\n{label} {value:>10.4}  {:>7.2} dB", db(value))
                        };
                    }
                    text
                };
                response.on_hover_text_at_pointer(text);
            }
        }
    }
}

impl eframe::App for Viewer {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let dropped: Vec<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.open(frame, &dropped);
        }
        egui::Panel::top("view controls").show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Open…").clicked()
                    && let Some(files) = rfd::FileDialog::new()
                        .add_filter("GeoTIFF", &["tif", "tiff", "TIF", "TIFF"])
                        .pick_files()
                {
                    self.open(frame, &files);
                }
                ui.strong(&self.scene.name);
                ui.separator();
                let before = self.layout;
                ui.selectable_value(&mut self.layout, Layout::Single, "single");
                ui.selectable_value(&mut self.layout, Layout::Grid, "grid");
                if ui.button("fit").clicked() {
                    self.fitted = false;
                }
                if ui
                    .button("1:1")
                    .on_hover_text("one screen pixel per scene pixel")
                    .clicked()
                {
                    self.zoom = 1.0 / ui.ctx().pixels_per_point();
                }
                if self.layout != before {
                    self.fitted = false;
                }
                ui.separator();
                for mode in ViewMode::ALL {
                    let selected = match self.layout {
                        Layout::Single => self.mode == mode,
                        Layout::Grid => self.composite == mode,
                    };
                    let why = self.scene.unavailable(mode);
                    let button = ui
                        .add_enabled(
                            why.is_none(),
                            egui::Button::selectable(selected, mode.name()),
                        )
                        .on_disabled_hover_text(why.unwrap_or_default());
                    if button.clicked() {
                        self.mode = mode;
                        if !matches!(
                            mode,
                            ViewMode::Hh | ViewMode::Hv | ViewMode::Vh | ViewMode::Vv
                        ) {
                            self.composite = mode;
                        }
                    }
                }
                ui.separator();
                ui.add_enabled_ui(!self.scene.values_in_db, |ui| {
                    ui.checkbox(&mut self.db, "dB")
                        .on_disabled_hover_text("the values are already in dB");
                });
                ui.separator();
                ui.label("stretch %");
                ui.add(
                    egui::DragValue::new(&mut self.low)
                        .range(0.0..=49.9)
                        .speed(0.1),
                );
                ui.add(
                    egui::DragValue::new(&mut self.high)
                        .range(50.1..=100.0)
                        .speed(0.1),
                );
                ui.label("gamma");
                ui.add(egui::Slider::new(&mut self.gamma, 0.2..=3.0).logarithmic(true));
            });
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            if let Some(error) = &self.error {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Could not open: {error}"),
                );
            }
            ui.horizontal(|ui| {
                ui.label(format!(
                    "{} x {} px, zoom {:.2}",
                    self.scene.width, self.scene.height, self.zoom
                ));
                ui.separator();
                ui.monospace(self.position_text());
            });
            ui.weak(format!(
                "{} · drag: pan · wheel: zoom · double-click: fit · drop files to open",
                self.adapter
            ));
        });
        egui::Panel::right("histogram")
            .default_size(300.0)
            .show(ui, |ui| self.histogram_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| self.scene_view_ui(ui));
    }
}

/// `bins` bins between the 0.5 and 99.5 percentiles of the valid pixels' first display channel:
/// (bin centre, share of the sampled pixels).
fn histogram(texels: &[[f32; 4]], mode: ViewMode, db_scale: bool, bins: usize) -> Vec<(f64, f64)> {
    let (lo, hi) = percentile_stretch(texels, mode, db_scale, 0.5, 99.5);
    let (lo, hi) = (f64::from(lo[0]), f64::from(hi[0]));
    let step = (texels.len() / 1_000_000).max(1);
    let mut counts = vec![0u64; bins];
    let mut total = 0u64;
    for t in texels.iter().step_by(step) {
        if t.iter().any(|v| *v <= NODATA) {
            continue;
        }
        let v = mode.channels(*t)[0];
        let v = f64::from(if db_scale { db(v) } else { v });
        if !(lo..hi).contains(&v) {
            continue;
        }
        let k = (((v - lo) / (hi - lo)) * bins as f64) as usize;
        if let Some(c) = counts.get_mut(k) {
            *c += 1;
            total += 1;
        }
    }
    let width = (hi - lo) / bins as f64;
    counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            (
                lo + (k as f64 + 0.5) * width,
                c as f64 / total.max(1) as f64,
            )
        })
        .collect()
}

struct ViewCallback {
    pane: usize,
    uniform: ViewUniform,
}

impl egui_wgpu::CallbackTrait for ViewCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some((uniform, _)) = resources
            .get::<ViewResources>()
            .and_then(|res| res.panes.get(self.pane))
        {
            queue.write_buffer(uniform, 0, bytemuck::bytes_of(&self.uniform));
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(res) = resources.get::<ViewResources>() else {
            return;
        };
        let Some((_, bind_group)) = res.panes.get(self.pane) else {
            return;
        };
        render_pass.set_pipeline(&res.pipeline.pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.draw(0..3, 0..1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_cover_the_central_99_percent() {
        let texels: Vec<[f32; 4]> = (0..10_000).map(|i| [i as f32; 4]).collect();
        let bins = histogram(&texels, ViewMode::Hh, false, 50);
        assert_eq!(bins.len(), 50);
        assert!(bins.windows(2).all(|w| w[0].0 < w[1].0));
        let share: f64 = bins.iter().map(|b| b.1).sum();
        assert!((share - 1.0).abs() < 1e-9, "{share}");
        // Uniform data: every bin holds about 1/50.
        assert!(bins.iter().all(|b| (b.1 - 0.02).abs() < 0.002), "{bins:?}");
    }
}
