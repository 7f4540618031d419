//! The viewer's GPU side. Each kind of draw (the scene or one of its tiles, the probability
//! overlay, the footprint outlines) keeps its GPU objects in egui_wgpu's callback resources,
//! built once per window, and implements [`PaneResources`]: `prepare` writes a pane's
//! uniforms, `paint` draws. One paint callback, [`PaneCallback`], carries a draw's plain data
//! (which pane, its uniform) to them each frame, as egui's `custom3d_wgpu` example does.

use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::lru::LruCache;
use crate::render::outline::{OutlinePipeline, OutlineUniform, Segment};
use crate::render::overlay::{self, OverlayUniform, upload_probabilities};
use crate::render::pyramid::TileKey;
use crate::render::{
    Bands, RenderError, TexturePipeline, ViewPipeline, ViewUniform, per_draw_uniform, upload_bands,
};

/// Panes at most (the linked grid: four polarizations and a composite).
pub const PANES: usize = 5;
/// Tiles of a large scene kept on the GPU (4 MiB each at 512x512 RGBA float).
pub const TILES_RESIDENT: usize = 48;

/// A uniform buffer per pane, bound with one texture.
type PaneBindings = Vec<(wgpu::Buffer, wgpu::BindGroup)>;

/// GPU objects of one kind of draw, kept in egui_wgpu's callback resources.
pub trait PaneResources: Send + Sync + 'static {
    /// What one draw carries from the frame: plain data.
    type Draw: Send + Sync + 'static;
    /// Writes the draw's uniforms (and anything else it needs) before the render pass.
    fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, draw: &Self::Draw);
    /// Draws into the pane's viewport.
    fn paint(&self, render_pass: &mut wgpu::RenderPass<'static>, draw: &Self::Draw);
}

/// A draw of kind `R` in one pane: `prepare` and `paint` go to the resources of type `R`
/// (nothing is drawn while there are none).
pub struct PaneCallback<R: PaneResources> {
    pub draw: R::Draw,
}

impl<R: PaneResources> PaneCallback<R> {
    /// The paint callback of `draw` over `rect`.
    pub fn shape(rect: egui::Rect, draw: R::Draw) -> egui::Shape {
        egui::Shape::Callback(egui_wgpu::Callback::new_paint_callback(rect, Self { draw }))
    }
}

impl<R: PaneResources> egui_wgpu::CallbackTrait for PaneCallback<R> {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(res) = resources.get_mut::<R>() {
            res.prepare(device, queue, &self.draw);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        if let Some(res) = resources.get::<R>() {
            res.paint(render_pass, &self.draw);
        }
    }
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

/// `f` of the renderer's resource of type `T`, if there is one.
fn read_resource<T: Send + Sync + 'static, R>(
    state: &egui_wgpu::RenderState,
    f: impl FnOnce(&T) -> R,
) -> Option<R> {
    state.renderer.read().callback_resources.get::<T>().map(f)
}

/// The scene on the GPU: the view pipeline, the scene's texture bound to a uniform per pane,
/// and the tiles of a large scene (least recently drawn dropped first).
pub struct ViewResources {
    pipeline: ViewPipeline,
    panes: PaneBindings,
    tiles: LruCache<TileKey, PaneBindings>,
}

/// One pane's draw of the scene (or of one tile of it).
pub struct ViewDraw {
    pub pane: usize,
    pub tile: Option<TileKey>,
    pub uniform: ViewUniform,
}

impl PaneResources for ViewResources {
    type Draw = ViewDraw;

    fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, draw: &ViewDraw) {
        let panes = match draw.tile {
            None => Some(&self.panes),
            Some(key) => self.tiles.get(&key),
        };
        if let Some((uniform, _)) = panes.and_then(|p| p.get(draw.pane)) {
            queue.write_buffer(uniform, 0, bytemuck::bytes_of(&draw.uniform));
        }
        // This draw's pipeline, built here the first time its settings are drawn.
        self.pipeline.specialized(device, &draw.uniform.constants());
    }

    fn paint(&self, render_pass: &mut wgpu::RenderPass<'static>, draw: &ViewDraw) {
        let panes = match draw.tile {
            None => Some(&self.panes),
            Some(key) => self.tiles.peek(&key),
        };
        let Some((_, bind_group)) = panes.and_then(|p| p.get(draw.pane)) else {
            return;
        };
        let Some(pipeline) = self.pipeline.built(&draw.uniform.constants()) else {
            return;
        };
        render_pass.set_pipeline(&pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.draw(0..3, 0..1);
    }
}

/// Uploads `bands` (the one texture upload a scene needs) and binds it to the panes; the tiles
/// of the previous scene go. The pipelines are built on the first call and reused after.
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
    renderer.callback_resources.insert(ViewResources {
        pipeline,
        panes,
        tiles: LruCache::new(TILES_RESIDENT),
    });
    if renderer
        .callback_resources
        .get::<OutlineResources>()
        .is_none()
    {
        let pipeline = OutlinePipeline::new(&state.device, state.target_format);
        let panes = (0..PANES).map(|_| pipeline.pane(&state.device)).collect();
        renderer
            .callback_resources
            .insert(OutlineResources::new(pipeline, panes));
    }
    Ok(())
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
    let Some(view) = renderer.callback_resources.get_mut::<ViewResources>() else {
        return Ok(());
    };
    let bindings = pane_bindings::<ViewUniform>(state, &view.pipeline, &texture, "view uniform");
    view.tiles.insert(key, bindings);
    Ok(())
}

/// Whether `key` is on the GPU.
pub fn tile_resident(state: &egui_wgpu::RenderState, key: &TileKey) -> bool {
    read_resource(state, |v: &ViewResources| v.tiles.contains(key)).unwrap_or(false)
}

/// Tiles on the GPU now.
pub fn tiles_resident(state: &egui_wgpu::RenderState) -> usize {
    read_resource(state, |v: &ViewResources| v.tiles.len()).unwrap_or(0)
}

/// How many view pipelines were built: one per combination of discrete view settings drawn
/// (mode, input scale, dB, gamma, colormap, sampling, pixel grid), never one per frame.
pub fn view_pipeline_builds(state: &egui_wgpu::RenderState) -> usize {
    read_resource(state, |r: &ViewResources| r.pipeline.builds()).unwrap_or(0)
}

/// The probability overlay on the GPU: its pipeline, the map, a uniform per pane.
pub struct OverlayResources {
    pipeline: TexturePipeline,
    panes: PaneBindings,
}

/// One pane's draw of the probability overlay, over whatever was drawn of the scene before it
/// (the whole scene, or the tiles of a large one).
pub struct OverlayDraw {
    pub pane: usize,
    pub uniform: OverlayUniform,
}

impl PaneResources for OverlayResources {
    type Draw = OverlayDraw;

    fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, draw: &OverlayDraw) {
        if let Some((uniform, _)) = self.panes.get(draw.pane) {
            queue.write_buffer(uniform, 0, bytemuck::bytes_of(&draw.uniform));
        }
        self.pipeline.specialized(device, &draw.uniform.constants());
    }

    fn paint(&self, render_pass: &mut wgpu::RenderPass<'static>, draw: &OverlayDraw) {
        if let Some((_, bind_group)) = self.panes.get(draw.pane)
            && let Some(pipeline) = self.pipeline.built(&draw.uniform.constants())
        {
            render_pass.set_pipeline(&pipeline);
            render_pass.set_bind_group(0, bind_group, &[]);
            render_pass.draw(0..3, 0..1);
        }
    }
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

/// The footprint outlines on the GPU: the pipeline, a uniform per pane, and the segment lists
/// of the last frame (rewritten only when they change, not when the camera moves): one that
/// every pane shares, or one per model in the compare layout.
pub struct OutlineResources {
    pipeline: OutlinePipeline,
    panes: Vec<(wgpu::Buffer, wgpu::BindGroup)>,
    lists: Vec<SegmentList>,
    /// Which list each pane draws.
    pane_list: Vec<usize>,
    /// The lists the panes of the frame being prepared use (pane 0 starts a frame).
    in_use: Vec<usize>,
    /// Writes of segments so far.
    uploads: usize,
}

/// Segments on the GPU and what they are.
struct SegmentList {
    buffer: Option<wgpu::Buffer>,
    held: Arc<Vec<Segment>>,
}

impl OutlineResources {
    fn new(pipeline: OutlinePipeline, panes: Vec<(wgpu::Buffer, wgpu::BindGroup)>) -> Self {
        Self {
            pipeline,
            panes,
            lists: Vec::new(),
            pane_list: Vec::new(),
            in_use: Vec::new(),
            uploads: 0,
        }
    }

    /// The list holding `segments`, written into one this frame does not use (the pane's
    /// own of the last frame first) when none holds them.
    fn list_for(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        pane: usize,
        segments: &Arc<Vec<Segment>>,
    ) -> usize {
        if let Some(i) = self
            .lists
            .iter()
            .position(|l| Arc::ptr_eq(&l.held, segments))
        {
            return i;
        }
        if let Some(i) = self.lists.iter().position(|l| *l.held == **segments) {
            if let Some(list) = self.lists.get_mut(i) {
                list.held = Arc::clone(segments);
            }
            return i;
        }
        let own = self.pane_list.get(pane).copied();
        let free = |i: &usize| !self.in_use.contains(i);
        let slot = own
            .filter(free)
            .or_else(|| (0..self.lists.len()).find(free))
            .unwrap_or(self.lists.len());
        if slot == self.lists.len() {
            self.lists.push(SegmentList {
                buffer: None,
                held: Arc::default(),
            });
        }
        let Some(list) = self.lists.get_mut(slot) else {
            return slot;
        };
        if !segments.is_empty() {
            let bytes: &[u8] = bytemuck::cast_slice(segments.as_slice());
            let fits = list
                .buffer
                .as_ref()
                .is_some_and(|b| b.size() >= bytes.len() as u64);
            if !fits {
                list.buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("footprint outline segments"),
                    size: (bytes.len() as u64).next_power_of_two(),
                    usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }));
            }
            if let Some(buffer) = &list.buffer {
                queue.write_buffer(buffer, 0, bytes);
                self.uploads += 1;
            }
        }
        list.held = Arc::clone(segments);
        slot
    }
}

/// One pane's draw of the footprint outlines (panes that show the same outlines share one
/// `segments`).
pub struct OutlineDraw {
    pub pane: usize,
    pub uniform: OutlineUniform,
    pub segments: Arc<Vec<Segment>>,
}

impl PaneResources for OutlineResources {
    type Draw = OutlineDraw;

    fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, draw: &OutlineDraw) {
        if draw.pane == 0 {
            self.in_use.clear();
        }
        let list = self.list_for(device, queue, draw.pane, &draw.segments);
        self.in_use.push(list);
        if self.pane_list.len() <= draw.pane {
            self.pane_list.resize(draw.pane + 1, 0);
        }
        if let Some(slot) = self.pane_list.get_mut(draw.pane) {
            *slot = list;
        }
        if let Some((uniform, _)) = self.panes.get(draw.pane) {
            queue.write_buffer(uniform, 0, bytemuck::bytes_of(&draw.uniform));
        }
    }

    fn paint(&self, render_pass: &mut wgpu::RenderPass<'static>, draw: &OutlineDraw) {
        let list = self
            .pane_list
            .get(draw.pane)
            .and_then(|&i| self.lists.get(i));
        let (Some(list), Some((_, bind_group))) = (list, self.panes.get(draw.pane)) else {
            return;
        };
        let (Some(buffer), count) = (&list.buffer, list.held.len()) else {
            return;
        };
        if count == 0 {
            return;
        }
        let bytes = (count * std::mem::size_of::<Segment>()) as u64;
        render_pass.set_pipeline(&self.pipeline.pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.set_vertex_buffer(0, buffer.slice(..bytes));
        render_pass.draw(0..6, 0..count as u32);
    }
}

/// How many times the footprint outlines went up to the GPU (once per change of the outlines,
/// never for a camera move).
pub fn outline_uploads(state: &egui_wgpu::RenderState) -> usize {
    read_resource(state, |r: &OutlineResources| r.uploads).unwrap_or(0)
}
