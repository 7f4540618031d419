//! The viewer's GPU side: the view pipeline built once per window and kept in egui_wgpu's
//! callback resources, the scene texture, one uniform buffer per pane, and the paint callback.

use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::render::outline::{OutlinePipeline, OutlineUniform, Segment};
use crate::render::overlay::{self, OverlayUniform, upload_probabilities};
use crate::render::pyramid::{LruCache, TileKey};
use crate::render::{
    Bands, RenderError, TexturePipeline, ViewPipeline, ViewUniform, per_draw_uniform, upload_bands,
};

/// Panes at most (the linked grid: four polarizations and a composite).
pub const PANES: usize = 5;
/// Tiles of a large scene kept on the GPU (4 MiB each at 512x512 RGBA float).
pub const TILES_RESIDENT: usize = 48;

/// A uniform buffer per pane, bound with one texture.
type PaneBindings = Vec<(wgpu::Buffer, wgpu::BindGroup)>;

/// Tiles of a large scene on the GPU, least recently drawn dropped first.
struct TileResources {
    tiles: LruCache<TileKey, PaneBindings>,
}

/// A uniform buffer (of `U`, written at each draw) and its bind group with `texture`, per pane.
fn pane_bindings<U>(
    state: &egui_wgpu::RenderState,
    pipeline: &TexturePipeline,
    texture: &wgpu::TextureView,
    label: &str,
) -> PaneBindings {
    (0..PANES)
        .map(|_| {
            let uniform = per_draw_uniform::<U>(&state.device, label);
            let bind_group = pipeline.bind_group(&state.device, texture, &uniform);
            (uniform, bind_group)
        })
        .collect()
}

/// Uploads one tile of a large scene (after [`install_scene`] installed its overview).
pub fn install_tile(
    state: &egui_wgpu::RenderState,
    key: TileKey,
    texels: &[[f32; 4]],
    width: usize,
    height: usize,
) -> Result<(), RenderError> {
    let texture = upload_bands(&state.device, &state.queue, texels, width, height)?;
    let mut renderer = state.renderer.write();
    let Some(view) = renderer.callback_resources.get::<ViewResources>() else {
        return Ok(());
    };
    let bindings = pane_bindings::<ViewUniform>(state, &view.pipeline, &texture, "view uniform");
    let tiles = match renderer.callback_resources.get_mut::<TileResources>() {
        Some(tiles) => tiles,
        None => {
            renderer.callback_resources.insert(TileResources {
                tiles: LruCache::new(TILES_RESIDENT),
            });
            match renderer.callback_resources.get_mut::<TileResources>() {
                Some(tiles) => tiles,
                None => return Ok(()),
            }
        }
    };
    tiles.tiles.insert(key, bindings);
    Ok(())
}

/// Whether `key` is on the GPU.
pub fn tile_resident(state: &egui_wgpu::RenderState, key: &TileKey) -> bool {
    read_resource(state, |t: &TileResources| t.tiles.contains(key)).unwrap_or(false)
}

/// Tiles on the GPU now.
pub fn tiles_resident(state: &egui_wgpu::RenderState) -> usize {
    read_resource(state, |t: &TileResources| t.tiles.len()).unwrap_or(0)
}

/// `f` of the renderer's resource of type `T`, if there is one.
fn read_resource<T: Send + Sync + 'static, R>(
    state: &egui_wgpu::RenderState,
    f: impl FnOnce(&T) -> R,
) -> Option<R> {
    state.renderer.read().callback_resources.get::<T>().map(f)
}

/// GPU objects kept in the callback resources: the pipeline and, per pane, a uniform buffer
/// and its bind group (the bands texture is shared).
struct ViewResources {
    pipeline: ViewPipeline,
    panes: PaneBindings,
}

/// Uploads `bands` (the one texture upload a scene needs) and binds it to the panes. The
/// pipeline is built on the first call and reused after.
pub fn install_scene(state: &egui_wgpu::RenderState, bands: &Bands) -> Result<(), RenderError> {
    let texture = upload_bands(
        &state.device,
        &state.queue,
        &bands.texels,
        bands.width,
        bands.height,
    )?;
    let mut renderer = state.renderer.write();
    let pipeline = match renderer.callback_resources.remove::<ViewResources>() {
        Some(old) => old.pipeline,
        None => ViewPipeline::view(&state.device, state.target_format),
    };
    let panes = pane_bindings::<ViewUniform>(state, &pipeline, &texture, "view uniform");
    renderer
        .callback_resources
        .insert(ViewResources { pipeline, panes });
    if renderer
        .callback_resources
        .get::<OutlineResources>()
        .is_none()
    {
        let pipeline = OutlinePipeline::new(&state.device, state.target_format);
        let panes = (0..PANES).map(|_| pipeline.pane(&state.device)).collect();
        renderer.callback_resources.insert(OutlineResources {
            pipeline,
            panes,
            segments: None,
            uploaded: Arc::default(),
            uploads: 0,
        });
    }
    // The tiles of the previous scene go.
    renderer.callback_resources.remove::<TileResources>();
    Ok(())
}

/// The probability overlay on the GPU: its pipeline, the map, a uniform per pane.
struct OverlayResources {
    pipeline: TexturePipeline,
    panes: PaneBindings,
}

/// Uploads a probability map for the overlay (or, with `None`, drops the one there).
pub fn install_probabilities(
    state: &egui_wgpu::RenderState,
    probs: Option<(&[f32], usize, usize)>,
) -> Result<(), RenderError> {
    let mut renderer = state.renderer.write();
    let old = renderer.callback_resources.remove::<OverlayResources>();
    let Some((values, width, height)) = probs else {
        return Ok(());
    };
    let texture = upload_probabilities(&state.device, &state.queue, values, width, height)?;
    let pipeline = match old {
        Some(old) => old.pipeline,
        None => overlay::pipeline(&state.device, state.target_format),
    };
    let panes = pane_bindings::<OverlayUniform>(state, &pipeline, &texture, "overlay uniform");
    renderer
        .callback_resources
        .insert(OverlayResources { pipeline, panes });
    Ok(())
}

/// One pane's draw of the scene (or of one tile of it): plain data; `prepare` writes the
/// uniform, `paint` draws a triangle.
pub struct ViewCallback {
    pub pane: usize,
    pub tile: Option<TileKey>,
    pub uniform: ViewUniform,
}

impl egui_wgpu::CallbackTrait for ViewCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let buffer = match self.tile {
            None => resources
                .get::<ViewResources>()
                .and_then(|res| res.panes.get(self.pane)),
            Some(key) => resources
                .get_mut::<TileResources>()
                .and_then(|res| res.tiles.get(&key))
                .and_then(|panes| panes.get(self.pane)),
        };
        if let Some((uniform, _)) = buffer {
            queue.write_buffer(uniform, 0, bytemuck::bytes_of(&self.uniform));
        }
        // This draw's pipeline, built here the first time its settings are drawn.
        if let Some(res) = resources.get::<ViewResources>() {
            res.pipeline.specialized(device, &self.uniform.constants());
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
        let bindings = match self.tile {
            None => Some(&res.panes),
            Some(key) => resources
                .get::<TileResources>()
                .and_then(|t| t.tiles.peek(&key)),
        };
        let Some((_, bind_group)) = bindings.and_then(|b| b.get(self.pane)) else {
            return;
        };
        let Some(pipeline) = res.pipeline.built(&self.uniform.constants()) else {
            return;
        };
        render_pass.set_pipeline(&pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.draw(0..3, 0..1);
    }
}

/// One pane's draw of the probability overlay, over whatever was drawn of the scene before it
/// (the whole scene, or the tiles of a large one).
pub struct OverlayCallback {
    pub pane: usize,
    pub uniform: OverlayUniform,
}

impl egui_wgpu::CallbackTrait for OverlayCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(res) = resources.get::<OverlayResources>() {
            if let Some((uniform, _)) = res.panes.get(self.pane) {
                queue.write_buffer(uniform, 0, bytemuck::bytes_of(&self.uniform));
            }
            res.pipeline.specialized(device, &self.uniform.constants());
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        if let Some(overlay) = resources.get::<OverlayResources>()
            && let Some((_, bind_group)) = overlay.panes.get(self.pane)
            && let Some(pipeline) = overlay.pipeline.built(&self.uniform.constants())
        {
            render_pass.set_pipeline(&pipeline);
            render_pass.set_bind_group(0, bind_group, &[]);
            render_pass.draw(0..3, 0..1);
        }
    }
}

/// The footprint outlines on the GPU: the pipeline, a uniform per pane, and the segments of the
/// last frame that drew any (rewritten only when they change, not when the camera moves).
struct OutlineResources {
    pipeline: OutlinePipeline,
    panes: Vec<(wgpu::Buffer, wgpu::BindGroup)>,
    segments: Option<wgpu::Buffer>,
    /// What `segments` holds.
    uploaded: Arc<Vec<Segment>>,
    /// Writes of `segments` so far.
    uploads: usize,
}

/// How many times the footprint outlines went up to the GPU (once per change of the outlines,
/// never for a camera move).
pub fn outline_uploads(state: &egui_wgpu::RenderState) -> usize {
    read_resource(state, |r: &OutlineResources| r.uploads).unwrap_or(0)
}

/// How many view pipelines were built: one per combination of discrete view settings drawn
/// (mode, input scale, dB, gamma, colormap, sampling, pixel grid), never one per frame.
pub fn view_pipeline_builds(state: &egui_wgpu::RenderState) -> usize {
    read_resource(state, |r: &ViewResources| r.pipeline.builds()).unwrap_or(0)
}

/// One pane's draw of the footprint outlines; every pane of a frame shares `segments`.
pub struct OutlineCallback {
    pub pane: usize,
    pub uniform: OutlineUniform,
    pub segments: Arc<Vec<Segment>>,
}

impl egui_wgpu::CallbackTrait for OutlineCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<OutlineResources>() else {
            return Vec::new();
        };
        if !Arc::ptr_eq(&res.uploaded, &self.segments) {
            if *res.uploaded != *self.segments && !self.segments.is_empty() {
                let bytes: &[u8] = bytemuck::cast_slice(self.segments.as_slice());
                let fits = res
                    .segments
                    .as_ref()
                    .is_some_and(|b| b.size() >= bytes.len() as u64);
                if !fits {
                    res.segments = Some(device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("footprint outline segments"),
                        size: (bytes.len() as u64).next_power_of_two(),
                        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    }));
                }
                if let Some(buffer) = &res.segments {
                    queue.write_buffer(buffer, 0, bytes);
                    res.uploads += 1;
                }
            }
            res.uploaded = Arc::clone(&self.segments);
        }
        if let Some((uniform, _)) = res.panes.get(self.pane) {
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
        let Some(res) = resources.get::<OutlineResources>() else {
            return;
        };
        let (Some(buffer), Some((_, bind_group))) = (&res.segments, res.panes.get(self.pane))
        else {
            return;
        };
        let count = res.uploaded.len();
        if count == 0 {
            return;
        }
        let bytes = (count * std::mem::size_of::<Segment>()) as u64;
        render_pass.set_pipeline(&res.pipeline.pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.set_vertex_buffer(0, buffer.slice(..bytes));
        render_pass.draw(0..6, 0..count as u32);
    }
}
