//! Polarimetry in the viewer (egui_kittest): a complex scene's decompositions shown in place
//! of its bands, the inspector's values, the scene's bands back; an intensity scene says why
//! it has none.

use egui_kittest::kittest::Queryable;
use sarscope::polsar::{Decomposition, FilterKind, FilterSpec, Plan, Product};
use sarscope::raster::Scene;
use sarscope::render::ViewMode;
use sarscope::session::load_scene;

use crate::common::shared_data;
use crate::model_flows::run_until;
use crate::viewer_flows::harness_for;

fn capella_files() -> Vec<std::path::PathBuf> {
    ["hh", "hv", "vh", "vv"]
        .iter()
        .map(|p| shared_data(&format!("capella/sar_{p}.tif")))
        .collect()
}

#[test]
fn a_complex_scene_shows_its_decompositions_and_its_bands_again() {
    let files = capella_files();
    let mut h = harness_for(load_scene(&files).unwrap());
    // The compute pass, even on lavapipe (where the CPU would be chosen, being faster there).
    h.state_mut().decompose_on_gpu(true);
    h.run_steps(3);
    // The scene's own bands: under the cursor, its T3's parameters (boxcar 7x7, the filter
    // chosen) as the CPU makes them, with the bands' values.
    let scene = Scene::open_many(&files).unwrap();
    let cpu = |d: Decomposition| {
        Plan::new(
            &scene,
            Product::Decomposition(d),
            FilterSpec::new(FilterKind::Boxcar, 7),
        )
        .unwrap()
        .compute(&scene, 0..scene.height())
        .unwrap()
    };
    let (x, y) = (103, 91);
    let i = y * scene.width() + x;
    let text = h
        .state()
        .inspect(eframe::egui::vec2(x as f32 + 0.5, y as f32 + 0.5))
        .unwrap();
    let haa = cpu(Decomposition::HAAlpha);
    let fd = cpu(Decomposition::FreemanDurden);
    for line in [
        format!("H {:.3}  A {:.3}", haa.bands[0][i], haa.bands[1][i]),
        format!("alpha {:.1} deg", haa.bands[2][i]),
        format!("eigenvalues {:.4}", haa.bands[3][i]),
        format!(
            "Freeman-Durden s {:.4} d {:.4}",
            fd.bands[0][i], fd.bands[1][i]
        ),
        "HH".to_string(),
    ] {
        assert!(text.contains(&line), "{line:?} not in\n{text}");
    }
    h.get_by_label("H/A/alpha").click();
    run_until(
        &mut h,
        |v| v.product_state() == (Some(Product::Decomposition(Decomposition::HAAlpha)), false),
        "the H/A/alpha decomposition",
    );
    // Made by the GPU's compute pass (boxcar), shown as RGB (entropy, anisotropy, alpha), the
    // plane drawn, the values inspected.
    assert!(h.query_by_label_contains("of the scene on CPU").is_none());
    assert!(
        h.query_by_label_contains("h-a-alpha, boxcar 7x7, of the scene on")
            .is_some()
    );
    assert_eq!(h.state().state().mode, ViewMode::Rgb);
    assert!(
        h.query_by_label("H/alpha plane (pixels, log scale)")
            .is_some()
    );
    let want = &haa;
    let text = h
        .state()
        .inspect(eframe::egui::vec2(x as f32 + 0.5, y as f32 + 0.5))
        .unwrap();
    // The pass gives four values (H, A, alpha, lambda1), in f32: within the twin's tolerance
    // (tests/sarscope/polsar_gpu.rs).
    let names = Decomposition::HAAlpha.band_names();
    for ((name, band), tol) in names.iter().zip(&want.bands).zip([2e-3, 2e-2, 0.2, 1e-3]) {
        let want = f64::from(band[y * scene.width() + x]);
        let got: f64 = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        assert!((got - want).abs() <= tol, "{name}: {got} vs {want}");
    }

    // The H/alpha plane counts the pixels in view: the whole scene fitted, then the part a
    // zoom shows, as binned from the CPU's values (the pass's are within its tolerance, which
    // moves a few pixels across a bin's edge).
    let plane_of = |h: &egui_kittest::Harness<'_, sarscope::app::Viewer>| {
        let plane = h
            .state()
            .h_alpha_plane()
            .cloned()
            .expect("the plane of the view");
        assert_eq!(plane.window, h.state().view_window());
        assert_eq!(plane.bins.iter().sum::<f64>(), plane.pixels as f64);
        plane
    };
    let whole = plane_of(&h);
    assert_eq!(whole.pixels, scene.width() * scene.height());
    h.state_mut()
        .set_camera(eframe::egui::vec2(40.0, 150.0), 8.0);
    h.run_steps(2);
    let zoomed = plane_of(&h);
    let w = zoomed.window;
    assert!(
        w.width * w.height * 3 < scene.width() * scene.height() && w.y > 100,
        "{w:?}"
    );
    assert_eq!(zoomed.pixels, w.width * w.height);
    let want = binned(&haa.crop((w.x, w.y), (w.width, w.height)));
    bins_near(&want, &zoomed);
    assert_ne!(zoomed.bins, whole.bins);

    // A second decomposition, with another filter, replaces the first; the scene's own bands
    // come back after both.
    let refined = FilterSpec::new(FilterKind::RefinedLee, 7);
    h.state_mut().show_product(
        Product::Decomposition(Decomposition::FreemanDurden),
        refined,
    );
    run_until(
        &mut h,
        |v| {
            v.product_state()
                == (
                    Some(Product::Decomposition(Decomposition::FreemanDurden)),
                    false,
                )
        },
        "the Freeman-Durden decomposition",
    );
    let text = h
        .state()
        .inspect(eframe::egui::vec2(x as f32 + 0.5, y as f32 + 0.5))
        .unwrap();
    assert!(
        text.contains("freeman-durden") && text.contains("double_bounce"),
        "{text}"
    );
    h.get_by_label("Show the scene's bands").click();
    h.run_steps(3);
    assert_eq!(h.state().product_state(), (None, false));
    let text = h
        .state()
        .inspect(eframe::egui::vec2(x as f32 + 0.5, y as f32 + 0.5))
        .unwrap();
    assert!(text.contains("HH") && text.contains("VV"), "{text}");
    assert_eq!(h.state().state().mode, ViewMode::Span);
}

#[test]
fn the_bands_of_any_scene_go_through_the_speckle_filter() {
    let files = capella_files();
    let mut h = harness_for(load_scene(&files).unwrap());
    h.run_steps(3);
    let refined = FilterSpec::new(FilterKind::RefinedLee, 7);
    h.state_mut().show_product(Product::Bands, refined);
    run_until(
        &mut h,
        |v| v.product_state() == (Some(Product::Bands), false),
        "the filtered bands",
    );
    // The scene's own modes stay, on the filtered intensities.
    assert_eq!(h.state().state().mode, ViewMode::Span);
    let scene = Scene::open_many(&files).unwrap();
    let want = Plan::new(&scene, Product::Bands, refined)
        .unwrap()
        .compute(&scene, 0..scene.height())
        .unwrap();
    let (x, y) = (40, 150);
    let text = h
        .state()
        .inspect(eframe::egui::vec2(x as f32 + 0.5, y as f32 + 0.5))
        .unwrap();
    for (name, band) in ["HH", "HV", "VH", "VV"].iter().zip(&want.bands) {
        let line = format!("{name:>13} {:>10.4}", band[y * scene.width() + x]);
        assert!(text.contains(&line), "{line:?} not in\n{text}");
    }
}

#[test]
fn an_intensity_scene_says_why_it_has_no_decomposition_and_why_lee_cannot_filter_db() {
    let mut h = harness_for(load_scene(&[shared_data("capella/sar_masked.tif")]).unwrap());
    h.run_steps(3);
    // Closed at first: the scene has no scattering matrix.
    assert!(h.query_by_label("Filter the bands").is_none());
    h.get_by_label("Polarimetry").click();
    h.run_steps(3);
    let why = h.query_by_label_contains("this scene has no phase");
    assert!(why.is_some(), "the reason is not shown");
    assert_eq!(h.state().product_state(), (None, false));
    // Its values are dB: the Lee filters refuse them, in words; the scene stays as it was.
    let refined = FilterSpec::new(FilterKind::RefinedLee, 7);
    h.state_mut().show_product(Product::Bands, refined);
    run_until(&mut h, |v| !v.product_state().1, "the refused filter");
    h.run_steps(2);
    assert_eq!(h.state().product_state(), (None, false));
    assert!(
        h.query_by_label_contains("(dB?)").is_some(),
        "the refusal is not shown"
    );
    // A boxcar average works on any values.
    h.state_mut()
        .show_product(Product::Bands, FilterSpec::new(FilterKind::Boxcar, 5));
    run_until(
        &mut h,
        |v| v.product_state() == (Some(Product::Bands), false),
        "the boxcar",
    );
}

/// Bins (50 entropy x 45 alpha) of the H/A/alpha values of `planes`, as the plane bins them.
fn binned(planes: &sarscope::raster::Planes) -> Vec<f64> {
    let mut bins = vec![0.0; 50 * 45];
    for ((e, a), ok) in planes.bands[0]
        .iter()
        .zip(&planes.bands[2])
        .zip(&planes.valid)
    {
        if *ok && e.is_finite() && a.is_finite() {
            let col = ((e.clamp(0.0, 1.0) * 50.0) as usize).min(49);
            let row = ((a.clamp(0.0, 90.0) / 90.0 * 45.0) as usize).min(44);
            bins[row * 50 + col] += 1.0;
        }
    }
    bins
}

/// How far the plane's bins are from `want` (pixels counted in other bins, twice each: once
/// where they left, once where they went), at most 2 % of its pixels: the compute pass's
/// tolerance moves a few across a bin's edge.
fn bins_near(want: &[f64], plane: &sarscope::app::ViewPlane) -> f64 {
    assert_eq!(want.len(), plane.bins.len());
    let moved: f64 = want
        .iter()
        .zip(&plane.bins)
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(
        moved <= 0.02 * plane.pixels as f64,
        "{moved} of {} pixels in other bins than the CPU's",
        plane.pixels
    );
    moved
}

/// Steps until every tile of the view is made and the H/alpha plane counts them: the view's
/// window.
fn tiles_of_the_view_made(
    h: &mut egui_kittest::Harness<'static, sarscope::app::Viewer>,
) -> sarscope::raster::Window {
    let window = h.state().view_window();
    run_until(
        h,
        |v| {
            v.h_alpha_plane()
                .is_some_and(|p| p.tiles.is_some_and(|(k, n)| k == n) && p.window == window)
        },
        "the tiles in view",
    );
    window
}

/// Asserts that the inspector at pixel (`x`, `y`) gives each band of `planes` named by
/// `names` its value at index `i`.
fn inspector_shows(
    h: &egui_kittest::Harness<'_, sarscope::app::Viewer>,
    (x, y): (usize, usize),
    names: &[&str],
    planes: &sarscope::raster::Planes,
    i: usize,
) {
    let text = h
        .state()
        .inspect(eframe::egui::vec2(x as f32 + 0.5, y as f32 + 0.5))
        .unwrap();
    for (name, band) in names.iter().zip(&planes.bands) {
        let line = format!("{name:>13} {:>10.4}", band[i]);
        assert!(text.contains(&line), "{line:?} not in\n{text}");
    }
}

/// 42 x 42 copies of each Capella chip in `dir`: 8400 px a side, drawn by tiles.
fn chip_mosaic(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    capella_files()
        .iter()
        .map(|chip| {
            let vrt = dir.join(chip.file_name().unwrap()).with_extension("vrt");
            let size = sarscope::synth::write_complex_mosaic_vrt(chip, 42, &vrt).unwrap();
            assert_eq!(size, (8400, 8400));
            vrt
        })
        .collect()
}

#[test]
fn a_scene_drawn_by_tiles_is_decomposed_tile_by_tile_by_the_compute_pass() {
    use eframe::egui::vec2;
    let dir = tempfile::tempdir().unwrap();
    let files = chip_mosaic(dir.path());
    let scene = Scene::open_many(&files).unwrap();
    let mut h = harness_for(load_scene(&files).unwrap());
    // The compute pass, even on lavapipe (where the CPU would be chosen, being faster there).
    h.state_mut().decompose_on_gpu(true);
    h.run_steps(3);
    let refined = FilterSpec::new(FilterKind::RefinedLee, 7);
    h.state_mut()
        .show_product(Product::Decomposition(Decomposition::HAAlpha), refined);
    run_until(
        &mut h,
        |v| v.product_state() == (Some(Product::Decomposition(Decomposition::HAAlpha)), false),
        "the overview's decomposition",
    );
    assert_ne!(h.state().product_engine(), Some("CPU"));
    h.state_mut().set_camera(vec2(4100.0, 3500.0), 1.0);
    h.run_steps(2);
    let window = tiles_of_the_view_made(&mut h);
    assert_eq!(h.state().error(), None);
    // The tiles' entropy and alpha (the pass's, in f32) bin as the CPU's values of the window
    // do, but for the few pixels the twin's tolerance moves across a bin's edge.
    let plane = h.state().h_alpha_plane().cloned().unwrap();
    assert_eq!(plane.pixels, window.width * window.height);
    let cpu = Plan::new(
        &scene,
        Product::Decomposition(Decomposition::HAAlpha),
        refined,
    )
    .unwrap()
    .compute_window(&scene, window, 1)
    .unwrap();
    let moved = bins_near(&binned(&cpu), &plane);
    // Made by the pass, not by the CPU after a failure: f32 moves some pixels.
    assert!(moved > 0.0, "the tiles are the CPU's");
}

#[test]
fn a_complex_scene_drawn_by_tiles_shows_its_decomposition_tile_by_tile() {
    use crate::viewer_flows::{difference, scene_pixels};
    use eframe::egui::vec2;
    let dir = tempfile::tempdir().unwrap();
    let files = chip_mosaic(dir.path());
    let scene = Scene::open_many(&files).unwrap();
    let loaded = load_scene(&files).unwrap();
    assert_eq!(loaded.tiled, Some((8400, 8400)));
    let mut h = harness_for(loaded);
    h.run_steps(3);
    // At full resolution on a chip's pixel away from the copies' seams (its filter windows
    // see the chip only): the scene's bands first.
    let (x, y) = (20 * 200 + 103, 17 * 200 + 91);
    h.state_mut()
        .set_camera(vec2(x as f32 + 0.5, y as f32 + 0.5), 1.0);
    run_until(&mut h, |v| v.tile_counts().1 >= 4, "the scene's tiles");
    h.run_steps(5);
    let bands = scene_pixels(&mut h);

    h.get_by_label("H/A/alpha").click();
    run_until(
        &mut h,
        |v| v.product_state() == (Some(Product::Decomposition(Decomposition::HAAlpha)), false),
        "the H/A/alpha decomposition of the overview",
    );
    assert!(
        h.query_by_label_contains("h-a-alpha, boxcar 7x7, of the overview (every 9th pixel")
            .is_some()
    );
    assert_eq!(h.state().state().mode, ViewMode::Rgb);
    // The product's tiles replace the scene's: every tile of the view made, its plane counts
    // every pixel in view from them.
    let window = tiles_of_the_view_made(&mut h);
    h.run_steps(5);
    assert_eq!(h.state().error(), None);
    let plane = h.state().h_alpha_plane().cloned().unwrap();
    assert_eq!(
        (plane.step, plane.pixels),
        (1, window.width * window.height)
    );
    // The same pixels as the product of the view's window, made at once.
    let plan = Plan::new(
        &scene,
        Product::Decomposition(Decomposition::HAAlpha),
        FilterSpec::new(FilterKind::Boxcar, 7),
    )
    .unwrap();
    let of_window = plan.compute_window(&scene, window, 1).unwrap();
    assert_eq!(plane.bins, binned(&of_window));
    let product = scene_pixels(&mut h);
    assert!(
        difference(&bands, &product) > 5.0,
        "the tiles did not change"
    );
    // The tiles meet without a gap wherever their boundary (y 3584) falls within a screen
    // pixel: no row of the product (bright everywhere: entropy, anisotropy, alpha as RGB) is
    // black.
    for quarter in 0..4 {
        let centre = vec2(x as f32 + 0.5, y as f32 + 0.25 * quarter as f32);
        h.state_mut().set_camera(centre, 1.0);
        h.run_steps(2);
        let darkest = scene_pixels(&mut h)
            .chunks(240 * 3)
            .map(|row| row.iter().map(|&v| f64::from(v)).sum::<f64>() / row.len() as f64)
            .fold(f64::INFINITY, f64::min);
        assert!(
            darkest > 20.0,
            "a black row between tiles ({darkest:.1}) at {centre:?}"
        );
    }
    // The inspector's values are the chip's own, made at full resolution (not the overview's).
    let chips = Scene::open_many(&capella_files()).unwrap();
    let chip = Plan::new(
        &chips,
        Product::Decomposition(Decomposition::HAAlpha),
        FilterSpec::new(FilterKind::Boxcar, 7),
    )
    .unwrap()
    .compute(&chips, 0..chips.height())
    .unwrap();
    let i = 91 * chips.width() + 103;
    inspector_shows(&h, (x, y), Decomposition::HAAlpha.band_names(), &chip, i);
    // The filtered bands, tile by tile too: the chip's Lee-filtered intensities there.
    let lee = FilterSpec::new(FilterKind::Lee, 7);
    h.state_mut().show_product(Product::Bands, lee);
    run_until(
        &mut h,
        |v| v.product_state() == (Some(Product::Bands), false),
        "the filtered bands",
    );
    run_until(&mut h, |v| v.tile_counts().1 >= 4, "the filtered tiles");
    let filtered = Plan::new(&chips, Product::Bands, lee)
        .unwrap()
        .compute(&chips, 0..chips.height())
        .unwrap();
    inspector_shows(&h, (x, y), &["HH", "HV", "VH", "VV"], &filtered, i);
    assert_eq!(h.state().error(), None);
    // The scene's own bands and tiles come back.
    h.state_mut()
        .set_camera(vec2(x as f32 + 0.5, y as f32 + 0.5), 1.0);
    h.get_by_label("Show the scene's bands").click();
    h.run_steps(3);
    assert_eq!(h.state().product_state(), (None, false));
    run_until(
        &mut h,
        |v| v.tile_counts().1 >= 4,
        "the scene's tiles again",
    );
    h.run_steps(10);
    let again = scene_pixels(&mut h);
    assert!(
        difference(&bands, &again) < 1.0,
        "not the scene's bands again"
    );
    assert_eq!(h.state().error(), None);
}
