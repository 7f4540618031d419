//! Drawing the viewer's frames as eframe draws a window's, off screen: a device made as eframe
//! makes one, a target kept between frames as a swapchain is, and one pass's output drawn into
//! it with the wait for the GPU.

use std::time::Instant;

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};
use sarscope::app::Viewer;

/// A device as eframe makes one (its default renderer options, not kittest's predictable
/// ones, whose filtering is done by hand in egui's shader).
pub fn render_state() -> egui_wgpu::RenderState {
    egui_kittest::wgpu::create_render_state(
        egui_kittest::wgpu::default_wgpu_setup(),
        egui_wgpu::RendererOptions::default(),
    )
}

/// The primary button going down at `pos` (a drag's start).
pub fn press(pos: egui::Pos2) -> egui::Event {
    egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::default(),
    }
}

/// A frame's target, kept between frames as a window's swapchain would be.
pub fn target(render: &egui_wgpu::RenderState, size: [u32; 2]) -> wgpu::TextureView {
    let texture = render.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("bench frame"),
        size: wgpu::Extent3d {
            width: size[0],
            height: size[1],
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: render.target_format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    });
    texture.create_view(&wgpu::TextureViewDescriptor::default())
}

/// Draws one pass's output into `view` as eframe does (its texture changes first), and waits
/// for the GPU. Returns the seconds spent tessellating, recording (texture changes, egui's
/// buffers, the paint callbacks' prepare and paint) and submitting and waiting.
pub fn draw_output(
    render: &egui_wgpu::RenderState,
    ctx: &egui::Context,
    output: &egui::FullOutput,
    view: &wgpu::TextureView,
    size: [u32; 2],
) -> anyhow::Result<[f64; 3]> {
    let screen = egui_wgpu::ScreenDescriptor {
        pixels_per_point: ctx.pixels_per_point(),
        size_in_pixels: size,
    };
    let [r, g, b, a] = Viewer::clear_color(&ctx.global_style().visuals).map(f64::from);
    let clear = wgpu::Color { r, g, b, a };
    let t = Instant::now();
    let meshes = ctx.tessellate(output.shapes.clone(), ctx.pixels_per_point());
    let tessellated = t.elapsed().as_secs_f64();
    let mut renderer = render.renderer.write();
    for (id, deltas) in &output.textures_delta.set {
        for delta in deltas {
            renderer.update_texture(&render.device, &render.queue, *id, delta);
        }
    }
    let mut encoder = render
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    let user = renderer.update_buffers(
        &render.device,
        &render.queue,
        &mut encoder,
        &meshes,
        &screen,
    );
    {
        let mut pass = encoder
            .begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("bench frame"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        // As eframe clears a window: to the app's clear colour.
                        load: wgpu::LoadOp::Clear(clear),
                        store: wgpu::StoreOp::Store,
                    },
                    depth_slice: None,
                })],
                ..Default::default()
            })
            .forget_lifetime();
        renderer.render(&mut pass, &meshes, &screen);
    }
    let recorded = t.elapsed().as_secs_f64();
    render
        .queue
        .submit(user.into_iter().chain(std::iter::once(encoder.finish())));
    render
        .device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| anyhow::anyhow!("waiting for the GPU: {e}"))?;
    for id in &output.textures_delta.free {
        renderer.free_texture(id);
    }
    let waited = t.elapsed().as_secs_f64();
    Ok([tessellated, recorded - tessellated, waited - recorded])
}

/// A 20,700 x 20,700 px, 4-band float32 scene (6.9 GB of pixels): a GDAL VRT mosaic of 23 x 23
/// copies of the demo tile `tif`, which gets overviews (gdaladdo) so the pyramid reads them.
pub fn mosaic(
    tif: &std::path::Path,
    demo: &sarscope::synth::SynthScene,
) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    let status = std::process::Command::new("gdaladdo")
        .args(["-q", "-r", "nearest"])
        .arg(tif)
        .args(["2", "4", "8", "16"])
        .status()
        .context("gdaladdo (Debian package gdal-bin)")?;
    anyhow::ensure!(status.success(), "gdaladdo failed");
    let vrt = tif.with_extension("vrt");
    sarscope::synth::write_mosaic_vrt(
        tif,
        (900, 900),
        4,
        23,
        Some(demo.geo_transform.0),
        Some(demo.epsg),
        &vrt,
    )?;
    Ok(vrt)
}

/// The viewer as eframe runs it, in a window of `size`: `App::ui` on the window's root `Ui`
/// (kittest's `build_ui*` would wrap it in a panel frame that paints the whole window first,
/// which the window never does).
pub fn app_harness(
    render: &egui_wgpu::RenderState,
    scene: sarscope::session::SceneData,
    size: [f32; 2],
) -> anyhow::Result<egui_kittest::Harness<'static, sarscope::app::App>> {
    let viewer = Viewer::new(render, scene, None)?;
    Ok(egui_kittest::Harness::builder()
        .with_size(size)
        .renderer(egui_kittest::wgpu::WgpuTestRenderer::from_render_state(
            render.clone(),
        ))
        .build_eframe(|_| sarscope::app::App { viewer }))
}

/// When the next frame is due, as eframe's event loop knows it: egui's repaint callback says
/// when (a worker's request when it is done makes one due at once); in between the UI thread
/// sleeps.
pub struct Repaints(std::sync::Arc<std::sync::Mutex<Option<Instant>>>);

impl Repaints {
    pub fn follow(ctx: &egui::Context) -> Self {
        let due: std::sync::Arc<std::sync::Mutex<Option<Instant>>> = Default::default();
        let schedule = std::sync::Arc::clone(&due);
        ctx.set_request_repaint_callback(move |info| {
            let at = Instant::now() + info.delay;
            if let Ok(mut due) = schedule.lock() {
                *due = Some(due.map_or(at, |d| d.min(at)));
            }
        });
        Self(due)
    }

    /// Whether a frame is due now (and then it is taken).
    pub fn due(&self) -> bool {
        self.0
            .lock()
            .ok()
            .and_then(|mut d| d.take_if(|at| *at <= Instant::now()))
            .is_some()
    }
}
