//! The viewer: an eframe window whose scene is drawn by `shaders/view.wgsl` through an
//! egui_wgpu paint callback. The bands go up to the GPU once; mode, dB, stretch, pan and zoom
//! are uniforms.

use std::collections::HashMap;

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::render::{
    ViewMode, ViewPipeline, ViewSettings, ViewUniform, percentile_stretch, upload_bands,
};

/// What the viewer shows: interleaved HH, HV, VH, VV texels of one scene.
pub struct SceneData {
    pub name: String,
    pub texels: Vec<[f32; 4]>,
    pub width: usize,
    pub height: usize,
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

/// GPU objects built once, kept in egui_wgpu's callback resources.
struct ViewResources {
    pipeline: ViewPipeline,
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

struct Viewer {
    scene: SceneData,
    mode: ViewMode,
    db: bool,
    /// Screen points per scene pixel.
    zoom: f32,
    /// The scene pixel at the centre of the view.
    center: egui::Vec2,
    fitted: bool,
    stretch: HashMap<(ViewMode, bool), ([f32; 3], [f32; 3])>,
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
        let pipeline = ViewPipeline::new(&state.device, state.target_format);
        let bands = upload_bands(
            &state.device,
            &state.queue,
            &scene.texels,
            scene.width,
            scene.height,
        )?;
        let uniform = state.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("view uniform"),
            size: std::mem::size_of::<ViewUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = pipeline.bind_group(&state.device, &bands, &uniform);
        state
            .renderer
            .write()
            .callback_resources
            .insert(ViewResources {
                pipeline,
                uniform,
                bind_group,
            });
        let info = state.adapter.get_info();
        Ok(Self {
            center: egui::vec2(scene.width as f32 / 2.0, scene.height as f32 / 2.0),
            scene,
            mode: ViewMode::Span,
            db: false,
            zoom: 1.0,
            fitted: false,
            stretch: HashMap::new(),
            adapter: format!("{:?}, {}", info.backend, info.name),
        })
    }

    fn settings(&mut self) -> ViewSettings {
        let key = (self.mode, self.db);
        let texels = &self.scene.texels;
        let (lo, hi) = *self
            .stretch
            .entry(key)
            .or_insert_with(|| percentile_stretch(texels, key.0, key.1, 2.0, 98.0));
        ViewSettings {
            mode: self.mode,
            db: self.db,
            lo,
            hi,
            gamma: 1.0,
        }
    }

    fn fit(&mut self, rect: egui::Rect) {
        let (w, h) = (self.scene.width as f32, self.scene.height as f32);
        self.zoom = (rect.width() / w).min(rect.height() / h);
        self.center = egui::vec2(w / 2.0, h / 2.0);
    }

    fn scene_view_ui(&mut self, ui: &mut egui::Ui) {
        let rect = ui.available_rect_before_wrap();
        let response = ui.allocate_rect(rect, egui::Sense::click_and_drag());
        if !self.fitted {
            self.fit(rect);
            self.fitted = true;
        }
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
        }
        let (w, h) = (self.scene.width as f32, self.scene.height as f32);
        let half = rect.size() / (2.0 * self.zoom);
        let window = [
            (self.center.x - half.x) / w,
            (self.center.y - half.y) / h,
            2.0 * half.x / w,
            2.0 * half.y / h,
        ];
        let mut uniform = ViewUniform::new(&self.settings(), self.scene.width, self.scene.height);
        uniform.window = window;
        ui.painter().add(egui_wgpu::Callback::new_paint_callback(
            rect,
            ViewCallback { uniform },
        ));
        if let Some(pointer) = response.hover_pos() {
            let p = self.center + (pointer - rect.center()) / self.zoom;
            let (x, y) = (p.x.floor(), p.y.floor());
            if x >= 0.0 && y >= 0.0 && x < w && y < h {
                let v = self.scene.texels[y as usize * self.scene.width + x as usize];
                response.on_hover_text_at_pointer(format!(
                    "pixel {x}, {y}\nHH {:.3}  HV {:.3}\nVH {:.3}  VV {:.3}",
                    v[0], v[1], v[2], v[3]
                ));
            }
        }
    }
}

impl eframe::App for Viewer {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::top("view controls").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong(&self.scene.name);
                ui.separator();
                for mode in ViewMode::ALL {
                    ui.selectable_value(&mut self.mode, mode, mode.name());
                }
                ui.separator();
                ui.checkbox(&mut self.db, "dB");
            });
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.label(format!(
                "{} x {} px, zoom {:.2}, {} (drag to pan, scroll to zoom, double-click to fit)",
                self.scene.width, self.scene.height, self.zoom, self.adapter
            ));
        });
        egui::CentralPanel::default().show(ui, |ui| self.scene_view_ui(ui));
    }
}

struct ViewCallback {
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
        if let Some(res) = resources.get::<ViewResources>() {
            queue.write_buffer(&res.uniform, 0, bytemuck::bytes_of(&self.uniform));
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
        render_pass.set_pipeline(&res.pipeline.pipeline);
        render_pass.set_bind_group(0, &res.bind_group, &[]);
        render_pass.draw(0..3, 0..1);
    }
}
