//! Speed of the viewer, on whatever adapter wgpu finds (Mesa's lavapipe on a machine without a
//! GPU). Each frame is drawn as the window draws it (egui's meshes and our paint callbacks
//! through egui_wgpu's renderer) into a target kept between frames, and the bench waits until
//! the GPU has finished it:
//!
//! - frame time of the 5-pane linked grid at 1920x1080 (a drag pans it each frame, so every
//!   pane's uniform is rewritten), with its parts (egui pass, tessellation, recording, the wait
//!   for the GPU), against the CPU twin (`render::cpu`) drawing the same five panes. The viewer
//!   runs in a plain egui context here, as in eframe's window: kittest's harness turns AccessKit
//!   on, whose tree building added ~0.5 ms to each pass;
//! - time from open to the first frame for a 900x900 4-band tile (reading it with GDAL,
//!   statistics, upload, first frame drawn), with and without creating the wgpu device (a
//!   window has one before any file opens), the app in an egui_kittest harness whose frames
//!   are scheduled as eframe schedules them;
//! - resident memory while panning a generated 20,700 x 20,700 px, 4-band float32 scene (a
//!   GDAL VRT mosaic of the demo tile, 6.9 GB of pixels) at full resolution, drawn from the
//!   tiled pyramid.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench render [-- --frames 30]
//! ```

mod common;
use common::frames::{
    Repaints, app_harness as harness, draw_output, mosaic, press, render_state, target,
};
use common::*;

use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};
use egui_kittest::Harness;
use sarscope::app::{App, Layout, Viewer};
use sarscope::render::{ViewMode, cpu};
use sarscope::session::{SceneData, load_scene};
use sarscope::synth::{SynthConfig, generate};

#[derive(Parser, Debug)]
struct Args {
    /// Frames timed (after two warm-up frames).
    #[arg(long, default_value_t = 30)]
    frames: usize,
    #[arg(long, hide = true)]
    bench: bool,
}

/// Draws the harness's last frame into `view` as eframe does, and waits for the GPU.
fn draw(
    render: &egui_wgpu::RenderState,
    harness: &Harness<'static, App>,
    view: &wgpu::TextureView,
    size: [u32; 2],
) -> anyhow::Result<()> {
    draw_output(render, &harness.ctx, harness.output(), view, size).map(|_| ())
}

/// What [`grid_frames`] measured.
struct GridFrames {
    /// Seconds per frame: the egui pass, tessellation, drawing, the wait for the GPU.
    frames: Vec<f64>,
    /// Seconds of each frame's parts: the egui pass (the app's ui, layout, input),
    /// tessellating, recording, submitting and waiting for the GPU.
    parts: [Vec<f64>; 4],
    /// Texture uploads during the timed frames.
    uploads: usize,
    adapter: String,
    /// The five panes' settings after the pan, for the CPU twin.
    settings: Vec<sarscope::render::ViewSettings>,
}

/// The 5-pane grid at `size`, panned by a drag, `frames` frames timed after two. Driven as eframe drives a window, by a plain egui context:
/// kittest's harness turns AccessKit on, whose tree a window builds only for a screen reader.
fn grid_frames(
    render: &egui_wgpu::RenderState,
    scene: SceneData,
    size: [u32; 2],
    frames: usize,
) -> anyhow::Result<GridFrames> {
    let mut viewer = Viewer::new(render, scene, None)?;
    viewer.state_mut().layout = Layout::Grid;
    let ctx = egui::Context::default();
    let screen =
        egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size[0] as f32, size[1] as f32));
    let view = target(render, size);
    let centre = egui::pos2(size[0] as f32 / 2.0, size[1] as f32 / 2.0);
    let pass = |viewer: &mut Viewer, events: Vec<egui::Event>| {
        let input = egui::RawInput {
            screen_rect: Some(screen),
            events,
            ..Default::default()
        };
        ctx.run_ui(input, |ui| viewer.ui(ui, Some(render)))
    };
    // Two frames to lay out, then the button goes down in the middle of the grid.
    for events in [vec![], vec![egui::Event::PointerMoved(centre)]] {
        let mut out = pass(&mut viewer, events);
        draw_output(render, &ctx, &out, &view, size)?;
        out.textures_delta.clear(); // applied by draw_output
    }
    let mut out = pass(&mut viewer, vec![press(centre)]);
    draw_output(render, &ctx, &out, &view, size)?;
    out.textures_delta.clear(); // applied by draw_output
    let (mut times, mut parts) = (Vec::new(), [const { Vec::new() }; 4]);
    let (mut uploads, mut camera, mut moves) = (0, viewer.camera(), 0);
    for i in 0..frames + 2 {
        if i == 2 {
            uploads = viewer.texture_uploads();
        }
        let t = Instant::now();
        // Panning: every pane's uniform is rewritten.
        let at = centre + egui::vec2(4.0 * (i % 8) as f32 + 1.0, 0.0);
        let mut out = pass(&mut viewer, vec![egui::Event::PointerMoved(at)]);
        let ui_pass = t.elapsed().as_secs_f64();
        let [tessellated, recorded, waited] = draw_output(render, &ctx, &out, &view, size)?;
        out.textures_delta.clear(); // applied by draw_output
        if i >= 2 {
            times.push(t.elapsed().as_secs_f64());
            for (part, v) in parts
                .iter_mut()
                .zip([ui_pass, tessellated, recorded, waited])
            {
                part.push(v);
            }
        }
        // (The first two frames take the pointer past egui's click distance.)
        moves += usize::from(i >= 2 && viewer.camera() != camera);
        camera = viewer.camera();
    }
    // The drag moved the camera every frame: the frames drew a pan, not a still view.
    anyhow::ensure!(
        moves == frames,
        "the drag panned the grid in {moves} of {frames} timed frames"
    );
    let settings = GRID.into_iter().map(|mode| viewer.settings(mode)).collect();
    Ok(GridFrames {
        frames: times,
        parts,
        uploads: viewer.texture_uploads() - uploads,
        adapter: viewer.adapter().to_string(),
        settings,
    })
}

/// The grid's panes, in the order the CPU twin draws them.
const GRID: [ViewMode; 5] = [
    ViewMode::Hh,
    ViewMode::Hv,
    ViewMode::Pauli,
    ViewMode::Vh,
    ViewMode::Vv,
];

/// Pans a 20,700 px mosaic of the demo tile at 1:1 and reports the largest resident memory.
fn pan_large_scene(
    tif: &std::path::Path,
    demo: &sarscope::synth::SynthScene,
) -> anyhow::Result<()> {
    let vrt = mosaic(tif, demo)?;
    let before = rss_mib().unwrap_or(0.0);
    let t = Instant::now();
    let render = render_state();
    let mut h = harness(&render, load_scene(&[vrt])?, [1280.0, 860.0])?;
    h.step();
    let opened = t.elapsed().as_secs_f64();
    let size = [1280u32, 860];
    let view = target(&render, size);
    let mut peak: f64 = 0.0;
    let mut wait = Vec::new();
    let steps = 40;
    for i in 0..steps {
        // A diagonal pan across the whole scene, one screen at a time.
        let f = i as f32 / (steps - 1) as f32;
        let centre = egui::vec2(500.0 + f * 19_700.0, 500.0 + f * 19_700.0 * 0.7);
        h.state_mut().viewer.set_camera(centre, 1.0);
        let before_tiles = h.state().viewer.tile_counts().0;
        let t = Instant::now();
        while h.state().viewer.tile_counts().0 == before_tiles && t.elapsed().as_secs_f64() < 10.0 {
            std::thread::sleep(std::time::Duration::from_millis(2));
            h.step();
        }
        wait.push(t.elapsed().as_secs_f64());
        h.step();
        draw(&render, &h, &view, size)?;
        peak = peak.max(rss_mib().unwrap_or(0.0));
    }
    let (uploaded, resident) = h.state().viewer.tile_counts();
    println!(
        "20,700 x 20,700 x 4 float32 scene (VRT mosaic): opened in {:.0} ms; panned at 1:1 over {steps} screens: {uploaded} tiles read and uploaded, {resident} on the GPU at the end, first tile after a move in {:.0} ms (median); resident memory peak {peak:.0} MiB ({:.0} MiB before opening; target < 1 GB)",
        opened * 1e3,
        median(wait) * 1e3,
        before
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let demo = generate(&SynthConfig::default(), 0)?;
    let written = demo.write(dir.path())?;
    let tif = written.tif;

    // Open to first frame. Cold: the device made, the shader compiled, the tile read, the first
    // frame drawn. Warm: a running viewer opens the tile (read on its worker thread, statistics,
    // upload) and draws it, as File > Open does.
    let small = [1280u32, 860];
    let t = Instant::now();
    let render = render_state();
    let scene = load_scene(std::slice::from_ref(&tif))?;
    let mut h = harness(&render, scene, [small[0] as f32, small[1] as f32])?;
    h.step();
    let view = target(&render, small);
    draw(&render, &h, &view, small).context("first frame")?;
    let cold = t.elapsed().as_secs_f64();
    // Frames run as eframe's event loop runs them: when a repaint is due (egui's repaint
    // callback says when; the reader's request when it is done makes one due at once), each
    // drawn; in between the UI thread sleeps.
    let repaints = Repaints::follow(&h.ctx);
    let mut first = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let ctx = h.ctx.clone();
        h.state_mut().viewer.open(&ctx, vec![tif.clone()]);
        loop {
            if repaints.due() {
                h.step();
                draw(&render, &h, &view, small)?;
                if !h.state().viewer.is_loading() {
                    break;
                }
            } else {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            anyhow::ensure!(
                t.elapsed().as_secs() < 60,
                "the tile did not open in a minute"
            );
        }
        first.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            h.state().viewer.error().is_none(),
            "{:?}",
            h.state().viewer.error()
        );
    }
    // A switch of the view's settings: the first frame of a combination not drawn before
    // builds its pipeline; going back to one drawn before builds nothing.
    let mut switch = |mode: ViewMode| -> anyhow::Result<f64> {
        let mut runs = Vec::new();
        for _ in 0..3 {
            h.state_mut().viewer.state_mut().mode = mode;
            let t = Instant::now();
            h.step();
            draw(&render, &h, &view, small)?;
            runs.push(t.elapsed().as_secs_f64());
        }
        // The first frame; the later ones, for the same settings drawn again.
        Ok(runs[0])
    };
    let built_before = sarscope::app::view_pipeline_builds(&render);
    let new_combination = switch(ViewMode::Sinclair)?;
    let back = switch(ViewMode::Span)?;
    let built = sarscope::app::view_pipeline_builds(&render) - built_before;
    drop(h);

    let size = [1920u32, 1080];
    let render = render_state();
    let scene = load_scene(std::slice::from_ref(&tif))?;
    let texels = scene.bands.texels.clone();
    let grid = grid_frames(&render, scene, size, args.frames)?;
    let gpu_frame = median(grid.frames.clone());
    let [ui_pass, tessellated, recorded, waited] = grid.parts.clone().map(median);

    // The CPU twin drawing the five panes of that frame (each about 630x520 px).
    let mut cpu_runs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        for settings in &grid.settings {
            let rgba = cpu::render(&texels, 900, 900, settings, 636, 508);
            std::hint::black_box(rgba);
        }
        cpu_runs.push(t.elapsed().as_secs_f64());
    }
    let cpu_frame = median(cpu_runs);

    println!("adapter: {}", grid.adapter);
    println!(
        "open to first frame, 900x900x4 tile, in a running viewer: {:.1} ms (median of 5; target < 150 ms); {:.1} ms when the device is made and the shader compiled first",
        median(first) * 1e3,
        cold * 1e3
    );
    println!(
        "switching the view's settings (1280x860): first frame of a combination not drawn before {:.1} ms ({built} pipeline built), of one drawn before {:.1} ms",
        new_combination * 1e3,
        back * 1e3
    );
    println!(
        "5-pane grid at 1920x1080, egui frame + paint callbacks, GPU finished: {:.2} ms/frame (median of {}; target <= 33 ms on lavapipe, <= 2 ms on a GPU)",
        gpu_frame * 1e3,
        args.frames
    );
    println!(
        "  medians of its parts: egui pass (the app's ui, layout, input) {:.2} ms, tessellating {:.2} ms, recording (egui buffers, paint callbacks) {:.2} ms, submitting and waiting for the GPU {:.2} ms",
        ui_pass * 1e3,
        tessellated * 1e3,
        recorded * 1e3,
        waited * 1e3
    );
    println!(
        "same five panes by the CPU twin: {:.1} ms -> the shader path is {:.1}x faster",
        cpu_frame * 1e3,
        cpu_frame / gpu_frame
    );
    println!("texture uploads during the timed frames: {}", grid.uploads);
    pan_large_scene(&tif, &demo)?;
    Ok(())
}
