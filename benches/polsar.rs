//! Speed of polarimetry: T3, a 7x7 speckle filter (refined Lee, or boxcar) and Cloude-Pottier
//! H/A/alpha of a complex quad-pol scene (the Capella chips mirrored out to 900x900 and to a
//! 1920x1080 pane's worth of pixels), read from its four CFloat32 files, ours against numpy
//! (`benches/polsar_peer.py`, numpy.linalg.eigh) in the same run. The target: >= 20x numpy.
//! Then the viewer in a 1920x1080 window over the 900x900 scene: the time from a click on
//! H/A/alpha (refined Lee) to the product on screen, and the frame time while a drag pans the
//! product (the target: 33 ms a frame on lavapipe), drawn as eframe draws a window.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench polsar \
//!     [-- --repeat 3 --sizes 900x900,1920x1080]
//! ```

mod common;
use common::frames::{draw_output, press, render_state, target};
use common::*;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use eframe::egui;
use sarscope::app::Viewer;
use sarscope::polsar::{Decomposition, FilterKind, FilterSpec, Plan, Product, QuadPol, Scattering};
use sarscope::raster::Scene;
use sarscope::render::OffscreenRenderer;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[arg(long, default_value = "900x900,1920x1080")]
    sizes: String,
    /// The Python with numpy and rasterio; "none" skips the peer (and needs --scene).
    #[arg(long, default_value = "python3")]
    python: String,
    /// Also decompose a complex mosaic of this many x this many copies of the 900x900 scene
    /// (23: 20,700 px a side) strip by strip, as `sarscope decompose` does; 0: not.
    #[arg(long, default_value_t = 0)]
    mosaic: usize,
    /// With --mosaic: the viewer on the mosaic only, not the mosaic made strip by strip.
    #[arg(long)]
    view_only: bool,
    /// Frames timed while panning the viewer over a decomposition.
    #[arg(long, default_value_t = 30)]
    frames: usize,
    #[arg(long, hide = true)]
    bench: bool,
}

/// H/A/alpha through refined Lee 7x7 of a complex mosaic of `copies` x `copies` of the
/// 900x900 scene in `dir` (one CFloat32 VRT per polarization, with its file's description and
/// so its scale factor), strip by strip as `sarscope decompose` makes it, the values dropped
/// as they come: the time, the pixels per second and the resident memory's high-water mark.
/// Returns the VRTs (only written, without `strips`).
fn mosaic_strips(dir: &Path, copies: usize, strips: bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut vrts = Vec::new();
    for tif in files(dir) {
        let vrt = tif.with_extension("vrt");
        sarscope::synth::write_complex_mosaic_vrt(&tif, copies, &vrt)?;
        vrts.push(vrt);
    }
    if !strips {
        return Ok(vrts);
    }
    let scene = Scene::open_many(&vrts)?;
    let plan = Plan::new(
        &scene,
        Product::Decomposition(Decomposition::HAAlpha),
        FilterSpec::new(FilterKind::RefinedLee, 7),
    )?;
    let before = rss_mib().unwrap_or(0.0);
    let (mut peak, mut valid) = (before, 0usize);
    let t = Instant::now();
    let step = plan.strip_rows();
    for y0 in (0..scene.height()).step_by(step) {
        let rows = y0..(y0 + step).min(scene.height());
        let planes = plan.compute(&scene, rows)?;
        valid += planes.valid.iter().filter(|v| **v).count();
        peak = peak.max(rss_mib().unwrap_or(0.0));
    }
    let seconds = t.elapsed().as_secs_f64();
    let pixels = scene.width() * scene.height();
    anyhow::ensure!(valid == pixels, "{valid} of {pixels} pixels decomposed");
    println!(
        "{w} x {h} complex mosaic (4 CFloat32 VRTs, {:.1} GB of samples), h-a-alpha through \
         refined Lee 7x7 in strips of {step} rows: {seconds:.1} s, {:.1} Mpx/s, resident memory \
         peak {peak:.0} MiB ({before:.0} MiB before)",
        (pixels * 32) as f64 / 1e9,
        pixels as f64 / seconds / 1e6,
        w = scene.width(),
        h = scene.height(),
    );
    Ok(vrts)
}

/// What [`pan_frames`] measured.
struct Pan {
    /// Seconds from the click to the product drawn.
    to_screen: f64,
    /// Where the product was made ("CPU", or the GPU's adapter).
    engine: String,
    /// Seconds per frame while panning: the egui pass, tessellation, drawing, the wait.
    frames: Vec<f64>,
    adapter: String,
    /// Of a scene drawn by tiles, viewed at 1:1: the seconds until every tile in view was made
    /// (after the overview's product), and the pixels they hold.
    tiles: Option<(f64, usize)>,
}

/// The viewer in a 1920x1080 window over the scene of `files`: H/A/alpha through `filter`
/// asked for as the button asks, frames drawn until it is on screen, then a drag that pans it.
/// A scene drawn by tiles is viewed at 1:1 around `at` once its overview's product is on
/// screen, and panned once every tile in view is made.
fn pan_frames(
    files: &[PathBuf],
    filter: FilterSpec,
    frames: usize,
    at: Option<egui::Vec2>,
) -> anyhow::Result<Pan> {
    let render = render_state();
    let mut viewer = Viewer::new(&render, sarscope::session::load_scene(files)?, None)?;
    // The model would predict the tiles of a settled view on the same cores: the polarimetry
    // alone is measured.
    viewer.set_auto_predict(false);
    let ctx = egui::Context::default();
    let size = [1920u32, 1080];
    let screen =
        egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size[0] as f32, size[1] as f32));
    let view = target(&render, size);
    let frame = |viewer: &mut Viewer, events: Vec<egui::Event>| -> anyhow::Result<()> {
        let input = egui::RawInput {
            screen_rect: Some(screen),
            events,
            ..Default::default()
        };
        let mut out = ctx.run_ui(input, |ui| viewer.ui(ui, Some(&render)));
        draw_output(&render, &ctx, &out, &view, size)?;
        out.textures_delta.clear(); // applied by draw_output
        Ok(())
    };
    frame(&mut viewer, vec![])?;
    frame(&mut viewer, vec![])?;
    let product = Product::Decomposition(Decomposition::HAAlpha);
    let t = Instant::now();
    viewer.show_product(product, filter);
    while viewer.product_state() != (Some(product), false) {
        anyhow::ensure!(
            t.elapsed().as_secs_f64() < 60.0,
            "no product after a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
        frame(&mut viewer, vec![])?;
    }
    let to_screen = t.elapsed().as_secs_f64();
    let engine = viewer.product_engine().unwrap_or("?").to_string();
    let mut tiles = None;
    if let Some(at) = at {
        viewer.set_camera(at, 1.0);
        frame(&mut viewer, vec![])?;
        let t = Instant::now();
        let made = |v: &Viewer| {
            v.h_alpha_plane()
                .filter(|p| p.window == v.view_window())
                .and_then(|p| p.tiles)
                .filter(|(made, wanted)| made == wanted)
                .map(|(made, _)| made)
        };
        while made(&viewer).is_none() {
            anyhow::ensure!(
                t.elapsed().as_secs_f64() < 120.0,
                "the view's tiles not made in two minutes"
            );
            // A frame when one is asked for (each tile made asks), at most at 60 Hz, as
            // eframe draws a window (drawn back to back, lavapipe's frames would take the
            // cores the tiles are made on).
            std::thread::sleep(std::time::Duration::from_millis(16));
            if ctx.has_requested_repaint() {
                frame(&mut viewer, vec![])?;
            }
        }
        let count = made(&viewer).unwrap_or(0);
        tiles = Some((t.elapsed().as_secs_f64(), count * 512 * 512));
    }
    // The pane's middle (the right panel takes the window's right side), pressed, then moved a
    // little each frame: every frame pans.
    let centre = egui::pos2(700.0, 540.0);
    frame(&mut viewer, vec![egui::Event::PointerMoved(centre)])?;
    frame(&mut viewer, vec![press(centre)])?;
    let (mut times, mut camera, mut moves) = (Vec::new(), viewer.camera(), 0);
    for i in 0..frames + 2 {
        let t = Instant::now();
        let at = centre + egui::vec2(4.0 * (i % 8) as f32 + 1.0, 0.0);
        frame(&mut viewer, vec![egui::Event::PointerMoved(at)])?;
        if i >= 2 {
            times.push(t.elapsed().as_secs_f64());
            moves += usize::from(viewer.camera() != camera);
        }
        camera = viewer.camera();
    }
    anyhow::ensure!(
        moves == frames,
        "the drag panned the view in {moves} of {frames} timed frames"
    );
    anyhow::ensure!(
        viewer.product_state() == (Some(product), false),
        "the product left the screen while panning"
    );
    Ok(Pan {
        to_screen,
        engine,
        frames: times,
        adapter: viewer.adapter().to_string(),
        tiles,
    })
}

fn peer(args: &Args, what: &[&str]) -> anyhow::Result<String> {
    run_peer_script(&args.python, "benches/polsar_peer.py", what)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    ["hh", "hv", "vh", "vv"]
        .iter()
        .map(|p| dir.join(format!("sar_{p}.tif")))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.python == "none" {
        bail!("the scene is made by the peer's script: give --python");
    }
    println!(
        "polsar bench: read + T3 + 7x7 filter + H/A/alpha, ours vs numpy, {} threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let gpu = match OffscreenRenderer::new() {
        Ok(gpu) => Some(gpu),
        Err(e) => {
            println!("no GPU pass: {e}");
            None
        }
    };
    // Pixels per second of the mosaic's view made by tiles, and numpy's of refined Lee.
    let (mut mosaic_view, mut numpy_rate) = (None, None);
    for size in args.sizes.split(',') {
        let dir = tempfile::tempdir()?;
        let folder = dir.path().to_string_lossy().to_string();
        peer(&args, &["make", &folder, "--size", size])?;
        let scene = Scene::open_many(&files(dir.path()))?;
        let refined = FilterSpec::new(FilterKind::RefinedLee, 7);
        if size == "900x900" && args.mosaic > 0 {
            let vrts = mosaic_strips(dir.path(), args.mosaic, !args.view_only)?;
            let side = 900.0 * args.mosaic as f32;
            let centre = egui::vec2(side / 2.0 + 0.5, side / 2.0 + 0.5);
            let pan = pan_frames(&vrts, refined, args.frames, Some(centre))?;
            let (seconds, pixels) = pan.tiles.unwrap_or_default();
            println!(
                "viewer, 1920x1080 window, the {side} px mosaic, h-a-alpha through refined Lee \
                 7x7: the overview's product on screen {:.0} ms after the click (made on {}); at \
                 1:1, the {} tiles in view ({:.1} Mpx) made in {:.2} s ({:.1} Mpx/s); panning \
                 {:.1} ms a frame (median of {}, slowest {:.1} ms; target 33 ms) on {}",
                pan.to_screen * 1e3,
                pan.engine,
                pixels / (512 * 512),
                pixels as f64 / 1e6,
                seconds,
                pixels as f64 / seconds / 1e6,
                median(pan.frames.clone()) * 1e3,
                pan.frames.len(),
                pan.frames.iter().copied().fold(0.0, f64::max) * 1e3,
                pan.adapter
            );
            mosaic_view = Some(pixels as f64 / seconds);
        }
        if size == "900x900" {
            let pan = pan_frames(&files(dir.path()), refined, args.frames, None)?;
            println!(
                "viewer, 1920x1080 window, {size} scene, h-a-alpha through refined Lee 7x7: on screen \
                 {:.0} ms after the click (made on {}); panning it {:.1} ms a frame (median of {}, \
                 slowest {:.1} ms; target 33 ms) on {}",
                pan.to_screen * 1e3,
                pan.engine,
                median(pan.frames.clone()) * 1e3,
                pan.frames.len(),
                pan.frames.iter().copied().fold(0.0, f64::max) * 1e3,
                pan.adapter
            );
        }
        for kind in [FilterKind::RefinedLee, FilterKind::Boxcar] {
            let spec = FilterSpec::new(kind, 7);
            let plan = Plan::new(&scene, Product::Decomposition(Decomposition::HAAlpha), spec)?;
            let (ours, _) = timed(args.repeat, || Ok(plan.compute(&scene, 0..scene.height())?))?;
            // Where our time goes, once.
            let quad = QuadPol::find(&scene)?;
            let t = Instant::now();
            let s = Scattering::read(&scene, &quad, scene.full_window())?;
            let read = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let coherency = s.coherency();
            let t3 = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let filtered = coherency.filtered(&spec);
            let filtering = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let _ = Decomposition::HAAlpha.planes(&filtered);
            let haa = t.elapsed().as_secs_f64();
            let line = peer(
                &args,
                &[
                    "run",
                    &folder,
                    "--filter",
                    kind.name(),
                    "--repeat",
                    &args.repeat.to_string(),
                ],
            )?;
            let json: serde_json::Value = serde_json::from_str(&line).context("the peer's JSON")?;
            let theirs = json["seconds"].as_f64().context("the peer's seconds")?;
            if kind == FilterKind::RefinedLee {
                numpy_rate = Some((scene.width() * scene.height()) as f64 / theirs);
            }
            let mut gpu_line = String::new();
            if let Some(gpu) = &gpu {
                let quad = QuadPol::find(&scene)?;
                let (pass, _) = timed(args.repeat, || {
                    Ok(gpu.decompose(&s, Decomposition::HAAlpha, &spec)?)
                })?;
                let (read_gpu, _) = timed(args.repeat, || {
                    let s = Scattering::read(&scene, &quad, scene.full_window())?;
                    Ok(gpu.decompose(&s, Decomposition::HAAlpha, &spec)?)
                })?;
                gpu_line = format!(
                    "; GPU ({}) pass {:.0} ms (upload, compute, read back), with the read {:.0} ms: \
                     numpy / ours {:.1}x",
                    gpu.adapter,
                    pass * 1e3,
                    read_gpu * 1e3,
                    theirs / read_gpu
                );
            }
            println!(
                "{size} {}: ours {:.0} ms (read {:.0}, T3 {:.0}, filter {:.0}, H/A/alpha {:.0}); \
                 numpy {} {:.0} ms; numpy / ours {:.1}x{gpu_line}",
                kind.name(),
                ours * 1e3,
                read * 1e3,
                t3 * 1e3,
                filtering * 1e3,
                haa * 1e3,
                json["numpy"].as_str().unwrap_or("?"),
                theirs * 1e3,
                theirs / ours
            );
        }
    }
    if let (Some(ours), Some(numpy)) = (mosaic_view, numpy_rate) {
        println!(
            "the mosaic's view at 1:1 (tiles made as the viewer asks for them, each with its \
             filter's halo): {:.1} Mpx/s; numpy's refined Lee on the last scene {:.2} Mpx/s; \
             ours / numpy {:.1}x",
            ours / 1e6,
            numpy / 1e6,
            ours / numpy
        );
    }
    Ok(())
}
