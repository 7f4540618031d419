//! The viewer driven by egui_kittest: clicks on its buttons, its frames rendered through
//! egui_wgpu with our paint callbacks (on whatever adapter wgpu finds: Mesa's lavapipe on CI).

use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui_wgpu;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::{Harness, wgpu::WgpuTestRenderer};
use sarscope::app::{Layout, Viewer};
use sarscope::render::{Display, Stretch, ViewMode, stretch_limits};
use sarscope::session::load_scene;

use crate::common::shared_data;

/// The viewer on the demo scene, in a 1280x860 window.
fn viewer_harness(dir: &std::path::Path) -> Harness<'static, Viewer> {
    harness_for(demo_scene(dir))
}

/// The demo scene, written to `dir` and read back.
fn demo_scene(dir: &std::path::Path) -> sarscope::session::SceneData {
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir).unwrap();
    load_scene(&[written.tif]).unwrap()
}

/// A wgpu device as egui_kittest makes it (lavapipe on CI).
fn test_render_state() -> egui_wgpu::RenderState {
    egui_kittest::wgpu::create_render_state(
        egui_kittest::wgpu::default_wgpu_setup(),
        egui_wgpu::RendererOptions::PREDICTABLE,
    )
}

/// The viewer on `scene`, in a 1280x860 window.
pub fn harness_for(scene: sarscope::session::SceneData) -> Harness<'static, Viewer> {
    harness_and_render(scene).0
}

/// The viewer on `scene`, in a 1280x860 window, and its wgpu device.
fn harness_and_render(
    scene: sarscope::session::SceneData,
) -> (Harness<'static, Viewer>, egui_wgpu::RenderState) {
    let render = test_render_state();
    let viewer = Viewer::new(&render, scene, None).unwrap();
    let for_ui = render.clone();
    let harness = Harness::builder()
        .with_size([1280.0, 860.0])
        .renderer(WgpuTestRenderer::from_render_state(render.clone()))
        .build_ui_state(
            move |ui, viewer: &mut Viewer| viewer.ui(ui, Some(&for_ui)),
            viewer,
        );
    (harness, render)
}

/// The middle of the window (inside the scene view in both layouts), as RGB bytes.
pub fn scene_pixels(harness: &mut Harness<'static, Viewer>) -> Vec<u8> {
    let image = harness.render().expect("kittest renders the frame");
    let (w, h) = image.dimensions();
    let mut out = Vec::new();
    for y in (h / 2 - 120)..(h / 2 + 120) {
        for x in (w / 2 - 260)..(w / 2 - 20) {
            out.extend_from_slice(&image.get_pixel(x, y).0[..3]);
        }
    }
    out
}

/// Mean absolute difference per byte.
pub fn difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}

/// Steps the harness until the viewer has read what it was opening (at most 60 s).
fn wait_for_loading(harness: &mut Harness<'static, Viewer>) {
    let started = Instant::now();
    while harness.state().is_loading() {
        assert!(started.elapsed() < Duration::from_secs(60), "still loading");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.run();
}

#[test]
fn clicking_modes_layouts_and_stretch_changes_the_view_without_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = viewer_harness(dir.path());
    harness.run();
    assert_eq!(harness.state().state().mode, ViewMode::Span);
    let span = scene_pixels(&mut harness);
    // The scene is on screen: its pixels vary (an empty view would be one colour).
    let distinct: std::collections::HashSet<&[u8]> = span.chunks(3).collect();
    assert!(distinct.len() > 100, "{} colours", distinct.len());

    harness.get_by_label("pauli").click();
    harness.run();
    assert_eq!(harness.state().state().mode, ViewMode::Pauli);
    let pauli = scene_pixels(&mut harness);
    assert!(difference(&span, &pauli) > 5.0, "pauli looks like span");

    harness.get_by_label("grid").click();
    harness.run();
    assert_eq!(harness.state().state().layout, Layout::Grid);
    let grid = scene_pixels(&mut harness);
    assert!(
        difference(&pauli, &grid) > 5.0,
        "the grid looks like the single view"
    );

    harness.get_by_label("single").click();
    harness.get_by_label("hv").click();
    harness.run();
    let hv = scene_pixels(&mut harness);
    // The stretch's low percentile, the first spin button of the bar, from 2 % to 40 %.
    let low = harness.get_all_by_role(Role::SpinButton).next().unwrap();
    low.set_value_accesskit(40.0);
    harness.run();
    assert_eq!(
        harness.state().state().stretch,
        Stretch::Percentile {
            low: 40.0,
            high: 98.0
        }
    );
    let stretched = scene_pixels(&mut harness);
    assert!(
        difference(&hv, &stretched) > 5.0,
        "the stretch changed nothing"
    );

    harness.get_by_label("bilinear").click();
    harness.get_by_label("dB").click();
    harness.run();
    assert!(harness.state().state().db);
    assert!(difference(&stretched, &scene_pixels(&mut harness)) > 1.0);

    // Everything above was uniforms: the scene's texture went up once.
    assert_eq!(harness.state().texture_uploads(), 1);
}

/// The view shader is specialized: each combination of discrete settings is a pipeline of its
/// own (a software renderer runs every branch of an uber-shader), built the first time it is
/// drawn; settings drawn before build nothing, and neither does a frame.
#[test]
fn a_view_pipeline_is_built_once_per_combination_of_settings() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir.path()).unwrap();
    let (mut harness, render) = harness_and_render(load_scene(&[written.tif]).unwrap());
    harness.run();
    let builds = || sarscope::app::view_pipeline_builds(&render);
    // (Pipelines are built when a frame is drawn, which `scene_pixels` does.)
    let span = scene_pixels(&mut harness);
    assert_eq!(builds(), 1, "span");
    harness.get_by_label("pauli").click();
    harness.run();
    scene_pixels(&mut harness);
    assert_eq!(builds(), 2, "pauli");
    harness.get_by_label("dB").click();
    harness.run();
    let pauli_db = scene_pixels(&mut harness);
    assert_eq!(builds(), 3, "pauli in dB");
    // Back to what was drawn before: nothing built, and the same picture.
    harness.get_by_label("dB").click();
    harness.get_by_label("span").click();
    harness.run();
    assert_eq!(scene_pixels(&mut harness), span);
    assert_eq!(builds(), 3, "span again");
    harness.get_by_label("pauli").click();
    harness.get_by_label("dB").click();
    harness.run();
    assert_eq!(scene_pixels(&mut harness), pauli_db);
    for _ in 0..3 {
        harness.step();
        scene_pixels(&mut harness);
    }
    assert_eq!(builds(), 3, "frames");
    assert_eq!(harness.state().texture_uploads(), 1);
}

/// The footprint outlines are drawn by our shader from segments that stay on the GPU: panning
/// moves them on screen without sending them again; hiding and showing a layer sends them.
#[test]
fn outlines_stay_on_the_gpu_while_the_camera_moves() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, render) = harness_and_render(demo_scene(dir.path()));
    harness.run();
    let white = [255, 255, 255];
    // The scene view only (the panels' white text would count too).
    let frame = |h: &mut Harness<'static, Viewer>| {
        let image = h.render().expect("kittest renders the frame");
        let (w, hh) = image.dimensions();
        image::imageops::crop_imm(&image, 0, 60, w / 2, hh - 160).to_image()
    };
    let shown = frame(&mut harness);
    // The ground truth's 185 outlines are white (no predictions to score them against yet);
    // bright scene pixels count as white too.
    let white_shown = count_colour(&shown, white);
    let sent = sarscope::app::outline_uploads(&render);
    assert!(sent >= 1);

    let (center, zoom) = harness.state().camera();
    for step in 1..=4 {
        harness.state_mut().set_camera(
            center + egui::vec2(7.0 * step as f32, 3.0 * step as f32),
            zoom,
        );
        harness.run();
    }
    let panned = frame(&mut harness);
    assert!(
        difference(shown.as_raw(), panned.as_raw()) > 1.0,
        "the view did not move"
    );
    assert_eq!(sarscope::app::outline_uploads(&render), sent);

    let truth = harness.get_by_label_contains("ground truth");
    truth.click();
    harness.run();
    let hidden = frame(&mut harness);
    let white_hidden = count_colour(&hidden, white);
    assert!(
        white_shown > white_hidden + 5000,
        "hiding the outlines took {white_shown} white pixels to {white_hidden}"
    );
    harness.get_by_label_contains("ground truth").click();
    harness.run();
    let again = frame(&mut harness);
    let white_again = count_colour(&again, white);
    assert!(
        white_again.abs_diff(count_colour(&panned, white)) < white_shown / 50,
        "shown again: {white_again} white pixels, {white_shown} before"
    );
    assert_eq!(sarscope::app::outline_uploads(&render), sent + 1);
}

#[test]
fn opening_files_reads_them_off_the_ui_thread_and_keeps_the_scene_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = viewer_harness(dir.path());
    harness.run();
    let ctx = harness.ctx.clone();

    harness
        .state_mut()
        .open(&ctx, vec![dir.path().join("absent.tif")]);
    wait_for_loading(&mut harness);
    let error = harness.state().error().unwrap().to_string();
    assert_eq!(
        error.matches("absent.tif").count(),
        1,
        "named once: {error}"
    );
    harness.get_by_label_contains("Could not open");
    // An error that does not name the file is given its name.
    let named = dir.path().join("named.tif");
    harness
        .state_mut()
        .open_failed(std::slice::from_ref(&named), anyhow::anyhow!("no reason"));
    assert_eq!(
        harness.state().error(),
        Some(format!("{}: no reason", named.display()).as_str())
    );
    assert_eq!(harness.state().scene().bands.width, 900, "the demo stays");
    assert_eq!(harness.state().texture_uploads(), 1);

    // A three-band raster without polarizations opens in RGB; the composites are disabled.
    harness
        .state_mut()
        .open(&ctx, vec![shared_data("capella/rgb_unmasked.tif")]);
    wait_for_loading(&mut harness);
    assert_eq!(harness.state().error(), None);
    assert_eq!(harness.state().scene().bands.width, 200);
    assert_eq!(harness.state().state().mode, ViewMode::Rgb);
    assert_eq!(harness.state().texture_uploads(), 2);
    assert!(harness.get_by_label("pauli").accesskit_node().is_disabled());
    assert_eq!(
        harness.state().state().recent.first().map(Vec::len),
        Some(1),
        "the opened scene leads the recent list"
    );
}

/// While a file opens, the status bar says so on its hints' line: the bar keeps its height and
/// the window its layout (laying it out again cost lavapipe two more frames, taken from the
/// reader on the same cores).
#[test]
fn a_file_opening_is_shown_in_place_of_the_hints() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = viewer_harness(dir.path());
    harness.run();
    let ctx = harness.ctx.clone();
    let hints = harness.get_by_label_contains("drop files to open").rect();
    // The demo tile again: reading it takes tens of milliseconds, the frame after the call
    // one or two.
    let tile = harness.state().scene().files.clone();
    harness.state_mut().open(&ctx, tile);
    harness.step();
    assert!(harness.state().is_loading(), "read before the next frame");
    let opening = harness.get_by_label_contains("Opening").rect();
    assert_eq!(opening.min.y, hints.min.y, "not on the hints' line");
    assert!(
        harness
            .query_by_label_contains("drop files to open")
            .is_none()
    );
    wait_for_loading(&mut harness);
    assert_eq!(harness.state().error(), None);
    assert_eq!(
        harness.get_by_label_contains("drop files to open").rect(),
        hints
    );

    // Cancel beside it stops waiting: the scene shown stays, the bar says so and for how long,
    // and the reader's late result is dropped.
    let shown = harness.state().scene().name.clone();
    let other = dir.path().join("other.tif");
    std::fs::copy(&harness.state().scene().files[0], &other).unwrap();
    harness.state_mut().open(&ctx, vec![other]);
    harness.step();
    assert!(harness.state().is_loading(), "read before the next frame");
    harness.get_by_label("Cancel").click();
    harness.step();
    assert!(!harness.state().is_loading());
    let said = harness.state().error().unwrap_or_default().to_string();
    assert!(
        said.contains("other.tif") && said.contains("opening cancelled after"),
        "{said}"
    );
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    assert_eq!(harness.state().scene().name, shown);
}

/// The area egui's own meshes fill in a frame (their triangles', in pixels), paint callbacks
/// not counted.
fn egui_fill_area(harness: &Harness<'static, sarscope::app::App>) -> f64 {
    let output = harness.output();
    let meshes = harness
        .ctx
        .tessellate(output.shapes.clone(), output.pixels_per_point);
    let mut area = 0.0;
    for mesh in meshes {
        if let egui::epaint::Primitive::Mesh(mesh) = mesh.primitive {
            for t in mesh.indices.chunks_exact(3) {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| mesh.vertices[i as usize].pos);
                area += f64::from(((b - a).x * (c - a).y - (c - a).x * (b - a).y).abs()) / 2.0;
            }
        }
    }
    area
}

/// A software renderer (lavapipe) shades each pixel egui fills at ~65 ns, our specialized view
/// shader at 8-15: the panels leave their fill to the frame's clear colour, and the side
/// panel's plots draw no background and the histogram its bars' outline. With the histogram's
/// background and filled bars, egui's meshes covered ~205,000 px of the 1920x1080 grid frame
/// (the bench's): ~101,000 without.
#[test]
fn egui_fills_little_of_the_window_itself() {
    let dir = tempfile::tempdir().unwrap();
    let render = test_render_state();
    let viewer = Viewer::new(&render, demo_scene(dir.path()), None).unwrap();
    // As eframe runs the app, on the window's root `Ui` (kittest's `build_ui*` would wrap it
    // in a panel that fills the whole window).
    let mut harness = Harness::builder()
        .with_size([1920.0, 1080.0])
        .renderer(WgpuTestRenderer::from_render_state(render))
        .build_eframe(|_| sarscope::app::App { viewer });
    harness.run();
    harness.get_by_label("grid").click();
    harness.run();
    assert_eq!(harness.state().viewer.state().layout, Layout::Grid);
    let area = egui_fill_area(&harness);
    assert!(
        (20_000.0..140_000.0).contains(&area),
        "egui's meshes fill {area:.0} px of the 1920x1080 frame"
    );
}

/// Resident memory of this process in MiB (Linux).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1024.0
}

/// The demo tile written into `dir` (with overviews, which GDAL reads zoomed-out windows of
/// the mosaic from) and a 20,700 x 20,700 px VRT mosaic of 23 x 23 copies of it, placed where
/// the tile is: the tile and the mosaic's path.
pub fn demo_mosaic(dir: &std::path::Path) -> (sarscope::synth::SynthScene, std::path::PathBuf) {
    mosaic_of(dir, &sarscope::synth::SynthConfig::default())
}

/// [`demo_mosaic`] of scene 0 of `config` (900 px).
pub fn mosaic_of(
    dir: &std::path::Path,
    config: &sarscope::synth::SynthConfig,
) -> (sarscope::synth::SynthScene, std::path::PathBuf) {
    let demo = sarscope::synth::generate(config, 0).unwrap();
    let written = demo.write(dir).unwrap();
    let status = std::process::Command::new("gdaladdo")
        .args(["-q", "-r", "nearest"])
        .arg(&written.tif)
        .args(["2", "4", "8", "16"])
        .status()
        .expect("gdaladdo runs (Debian package gdal-bin)");
    assert!(status.success());
    let vrt = dir.join("mosaic.vrt");
    sarscope::synth::write_mosaic_vrt(
        &written.tif,
        (900, 900),
        4,
        23,
        Some(demo.geo_transform.0),
        Some(demo.epsg),
        &vrt,
    )
    .unwrap();
    (demo, vrt)
}

#[test]
fn a_20k_scene_is_drawn_from_tiles_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (_, vrt) = demo_mosaic(dir.path());
    let before = rss_mib();
    let scene = load_scene(std::slice::from_ref(&vrt)).unwrap();
    assert_eq!(scene.tiled, Some((20_700, 20_700)));
    assert_eq!(scene.bands.width, 1024, "an overview for statistics");

    let mut harness = harness_for(scene);
    harness.run();
    let overview = scene_pixels(&mut harness);
    // Full resolution at places across the scene: the tiles in view are read and drawn.
    let mut uploaded = 0;
    for (x, y) in [
        (10_350.0, 10_350.0),
        (1_000.0, 1_000.0),
        (20_000.0, 4_000.0),
        (3_000.0, 19_000.0),
        (15_000.0, 15_000.0),
        (8_000.0, 12_000.0),
    ] {
        harness.state_mut().set_camera(egui::vec2(x, y), 1.0);
        let started = Instant::now();
        while harness.state().tile_counts().0 < uploaded + 4 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no tiles at {x}, {y}"
            );
            std::thread::sleep(Duration::from_millis(20));
            harness.step();
        }
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(20));
            harness.step();
        }
        uploaded = harness.state().tile_counts().0;
        let (_, resident) = harness.state().tile_counts();
        assert!(resident <= 48, "{resident} tiles on the GPU");
    }
    assert_eq!(harness.state().error(), None);
    assert!(uploaded >= 24, "{uploaded} tiles uploaded");
    // The pixel inspector gives full-resolution values, not the overview's.
    let text = harness
        .state()
        .inspect(egui::vec2(12_345.5, 6_789.5))
        .unwrap();
    let file = sarscope::raster::Scene::open(&vrt).unwrap();
    let window = sarscope::raster::Window {
        x: 12_345,
        y: 6_789,
        width: 1,
        height: 1,
    };
    let px = file.read_window(window, (1, 1)).unwrap();
    assert!(!text.contains("overview"), "{text}");
    for band in &px.bands {
        let v = band[0];
        assert!(text.contains(&format!("{v:>10.4}")), "{text} lacks {v}");
    }
    // At 1:1 the tiles show detail the overview (1 px per 20) cannot.
    harness
        .state_mut()
        .set_camera(egui::vec2(10_350.0, 10_350.0), 1.0);
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    let detail = scene_pixels(&mut harness);
    assert!(difference(&overview, &detail) > 5.0);
    let grown = rss_mib() - before;
    assert!(grown < 1024.0, "resident memory grew by {grown:.0} MiB");
    eprintln!("tiles uploaded {uploaded}, memory grown {grown:.0} MiB");
}

/// Pixels of `image` within 40 of `colour` in each channel.
pub fn count_colour(image: &image::RgbaImage, colour: [u8; 3]) -> usize {
    image
        .pixels()
        .filter(|p| (0..3).all(|k| p.0[k].abs_diff(colour[k]) < 40))
        .count()
}

#[test]
fn the_live_score_equals_sarscope_eval_on_the_same_files() {
    use sarscope::annotate::Role;
    let dir = tempfile::tempdir().unwrap();
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir.path()).unwrap();
    // Predictions: the truth moved by 0..9 px (the far-moved ones become false positives),
    // every fifth building left out (false negatives), confidences in file order.
    let truth_rows = sarscope::io::read_spacenet_csv(&written.csv).unwrap();
    let mut text = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
    for (i, row) in truth_rows.iter().enumerate() {
        if i % 5 == 4 {
            continue;
        }
        let shift = (i % 10) as f64;
        let moved = geo::MapCoords::map_coords(&row.polygon, |c| geo::Coord {
            x: c.x + shift,
            y: c.y,
        });
        let confidence = 1.0 - i as f64 / truth_rows.len() as f64;
        text += &format!(
            "{},{i},\"{}\",{confidence}\n",
            row.image_id,
            sarscope::io::multipolygon_wkt(&moved)
        );
    }
    // And one self-intersecting prediction (two crossing lobes, 800 px^2 as written) in an
    // empty corner: scored as solaris does (repaired, a false positive) and named.
    text += &format!(
        "{},crossed,\"POLYGON ((5 5, 85 45, 85 5, 5 25, 5 5))\",0.5\n",
        truth_rows[0].image_id
    );
    let preds = dir.path().join("preds.csv");
    std::fs::write(&preds, text).unwrap();

    let scene = load_scene(std::slice::from_ref(&written.tif)).unwrap();
    assert_eq!(
        scene.layers.len(),
        1,
        "the ground truth beside the scene is found"
    );
    assert_eq!(scene.layers[0].role, Role::Truth);
    let mut harness = harness_for(scene);
    harness.run();
    let before = harness.render().unwrap();
    harness
        .state_mut()
        .add_layer(preds.clone(), Role::Predictions)
        .unwrap();
    harness.run();
    let live = harness.state().scoring().unwrap().counts();

    let out = crate::common::sarscope(&[
        std::ffi::OsStr::new("eval"),
        std::ffi::OsStr::new("--truth"),
        written.csv.as_os_str(),
        std::ffi::OsStr::new("--pred"),
        preds.as_os_str(),
        std::ffi::OsStr::new("--json"),
    ]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = &report["total"];
    assert_eq!(
        (live.tp, live.fp, live.fn_),
        (
            total["tp"].as_u64().unwrap(),
            total["fp"].as_u64().unwrap(),
            total["fn"].as_u64().unwrap()
        )
    );
    assert!((live.f1() - total["f1"].as_f64().unwrap()).abs() < 1e-12);
    assert!(live.tp > 0 && live.fp > 0 && live.fn_ > 0, "{live:?}");
    harness.get_by_label_contains(&format!("F1 {:.3}", live.f1()));
    assert_eq!(report["invalid_pred"].as_array().map(Vec::len), Some(1));
    harness.get_by_label("1 predicted footprint is not a valid polygon");

    // The predictions are drawn in the score's colours: green TP, red FP outlines appear.
    let after = harness.render().unwrap();
    let (green, red) = ([60, 220, 90], [240, 60, 60]);
    assert!(count_colour(&after, green) > count_colour(&before, green) + 500);
    assert!(count_colour(&after, red) > count_colour(&before, red) + 100);
}

/// The reader thread prepares the new scene's stretch limits for the view the open began in
/// (here a grid, in dB, with a sigma stretch): the first frame shows exactly the limits the UI
/// thread would have computed itself.
#[test]
fn a_scene_opens_with_the_limits_its_view_would_compute() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = viewer_harness(dir.path());
    harness.run();
    let stretch = Stretch::Sigma { k: 1.5 };
    {
        let view = harness.state_mut().state_mut();
        view.layout = Layout::Grid;
        view.db = true;
        view.stretch = stretch;
    }
    harness.run();
    let other = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 1).unwrap();
    let next = tempfile::tempdir().unwrap();
    let written = other.write(next.path()).unwrap();
    let ctx = harness.ctx.clone();
    harness.state_mut().open(&ctx, vec![written.tif.clone()]);
    wait_for_loading(&mut harness);
    assert_eq!(harness.state().error(), None);

    let scene = load_scene(&[written.tif]).unwrap();
    let composite = harness.state().state().composite;
    for mode in [
        ViewMode::Hh,
        ViewMode::Hv,
        composite,
        ViewMode::Vh,
        ViewMode::Vv,
    ] {
        let display = Display {
            mode,
            input: scene.bands.input,
            db: true,
        };
        let want = stretch_limits(&scene.bands.texels, &display, stretch);
        let got = harness.state_mut().settings(mode);
        assert_eq!((got.lo, got.hi), want, "{mode:?}");
    }
}

/// The scene stays fitted to its pane as the window's size changes until the user moves the
/// camera; the wheel zooms about the cursor (the scene pixel under it stays under it, over
/// egui's smoothed frames); a double-click fits the scene to the pane again.
#[test]
fn the_view_fits_the_pane_the_wheel_zooms_about_the_cursor_and_a_double_click_fits() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = viewer_harness(dir.path());
    harness.run();
    let (center, fitted) = harness.state().camera();
    assert_eq!(center, egui::vec2(450.0, 450.0));
    // The scene fits the pane: its 900 px take the pane's width or height, not more.
    let corner = harness.state().screen_from_scene(900.0, 900.0);
    let origin = harness.state().screen_from_scene(0.0, 0.0);
    let pane = harness.state().pane_rect();
    assert!(
        pane.expand(0.5).contains(origin) && pane.expand(0.5).contains(corner),
        "scene {origin:?}..{corner:?} outside the pane {pane:?}"
    );
    assert!(
        (corner.x - origin.x - pane.width()).abs() < 1.0
            || (corner.y - origin.y - pane.height()).abs() < 1.0,
        "scene {origin:?}..{corner:?} does not fill the pane {pane:?}"
    );
    harness.set_size(egui::vec2(1000.0, 700.0));
    harness.run();
    let (_, smaller) = harness.state().camera();
    assert!(
        smaller < fitted * 0.95,
        "follows the window: {fitted} -> {smaller}"
    );
    harness.set_size(egui::vec2(1280.0, 860.0));
    harness.run();
    assert_eq!(harness.state().camera().1, fitted);

    let cursor = harness.state().screen_from_scene(300.0, 420.0);
    harness.hover_at(cursor);
    harness.step();
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..30 {
        harness.hover_at(cursor);
        harness.step();
    }
    let (_, zoom) = harness.state().camera();
    assert!(zoom > fitted * 1.3, "zoomed in: {fitted} -> {zoom}");
    let still = harness.state().screen_from_scene(300.0, 420.0);
    assert!(
        (still - cursor).length() < 1.0,
        "pixel (300, 420) moved from {cursor:?} to {still:?}"
    );

    // Both clicks in one frame: kittest gives each queued event a frame of 0.25 s, and egui's
    // double-click is two clicks within 0.3 s.
    harness.hover_at(cursor);
    harness.step();
    for pressed in [true, false, true, false] {
        harness.input_mut().events.push(egui::Event::PointerButton {
            pos: cursor,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.step();
    harness.run();
    assert_eq!(harness.state().camera(), (center, fitted), "fitted again");
    // Moved by the user, the camera stays where it is when the window changes.
    harness
        .state_mut()
        .set_camera(egui::vec2(200.0, 200.0), 2.0);
    harness.set_size(egui::vec2(1000.0, 700.0));
    harness.run();
    assert_eq!(harness.state().camera(), (egui::vec2(200.0, 200.0), 2.0));
}

/// What eframe stores at exit (the view settings and the recent scenes) brings the next run's
/// viewer back to them.
#[test]
fn view_settings_and_recent_scenes_persist_between_runs() {
    use sarscope::app::ViewState;
    use sarscope::render::Colormap;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = viewer_harness(dir.path());
    harness.run();
    let ctx = harness.ctx.clone();
    let capella = shared_data("capella/sar_masked.tif");
    harness.state_mut().open(&ctx, vec![capella.clone()]);
    wait_for_loading(&mut harness);
    {
        let state = harness.state_mut().state_mut();
        state.mode = ViewMode::Hv;
        state.layout = Layout::Grid;
        state.db = true;
        state.colormap = Colormap::Magma;
        state.gamma = 0.7;
    }
    harness.run();
    // eframe keeps it as RON; any serde round trip shows the same.
    let stored = serde_json::to_string(harness.state().state()).unwrap();
    let saved: ViewState = serde_json::from_str(&stored).unwrap();
    assert_eq!(saved.recent.first(), Some(&vec![capella]));

    let render = test_render_state();
    let next = Viewer::new(&render, demo_scene(dir.path()), Some(saved)).unwrap();
    let state = next.state();
    assert_eq!(state.mode, ViewMode::Hv);
    assert_eq!(state.layout, Layout::Grid);
    assert!(state.db);
    assert_eq!(state.colormap, Colormap::Magma);
    assert_eq!(state.gamma, 0.7);
    assert!(!state.recent.is_empty());
}
