//! The viewer's GPU side: the view pipeline built once per window and kept in egui_wgpu's
//! callback resources, the scene texture, one uniform buffer per pane, and the paint callback.

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::render::{Bands, RenderError, ViewPipeline, ViewUniform, upload_bands};

/// Panes at most (the linked grid: four polarizations and a composite).
pub const PANES: usize = 5;

/// GPU objects kept in the callback resources: the pipeline and, per pane, a uniform buffer
/// and its bind group (the bands texture is shared).
struct ViewResources {
    pipeline: ViewPipeline,
    panes: Vec<(wgpu::Buffer, wgpu::BindGroup)>,
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
            let bind_group = pipeline.bind_group(&state.device, &texture, &uniform);
            (uniform, bind_group)
        })
        .collect();
    renderer
        .callback_resources
        .insert(ViewResources { pipeline, panes });
    Ok(())
}

/// One pane's draw: plain data; `prepare` writes the uniform, `paint` draws a triangle.
pub struct ViewCallback {
    pub pane: usize,
    pub uniform: ViewUniform,
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
