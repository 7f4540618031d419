//! The model in the viewer: the shipped weights predict the demo scene on a worker thread, the
//! footprints are scored live, and "Improve the model with my edits" fine-tunes, saves the new
//! weights beside the scene and predicts with them; a fine-tuning can be cancelled.

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sarscope::app::{Tool, Viewer};
use sarscope::model::ModelCard;
use sarscope::render::Colormap;
use sarscope::render::overlay::OverlaySettings;
use sarscope::session::load_scene;

use crate::viewer_flows::{demo_mosaic, harness_for};

fn shipped() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_unet11_synth.bpk")
}

/// Runs frames until `done` or `limit` passes; whether it was done.
fn step_until(
    h: &mut Harness<'static, Viewer>,
    done: impl Fn(&Viewer) -> bool,
    limit: Duration,
) -> bool {
    let started = Instant::now();
    while !done(h.state()) {
        if started.elapsed() >= limit {
            return false;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Runs frames until `done` or a minute and a half passes.
pub fn run_until(h: &mut Harness<'static, Viewer>, done: impl Fn(&Viewer) -> bool, what: &str) {
    assert!(
        step_until(h, done, Duration::from_secs(90)),
        "{what} did not finish in 90 s"
    );
    h.step();
}

#[test]
fn predict_score_and_improve_the_model_from_the_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir.path()).unwrap();
    let mut h = harness_for(load_scene(std::slice::from_ref(&written.tif)).unwrap());
    h.state_mut().set_weights(Some(shipped()), true);
    h.step();
    assert!(h.state().predicting(), "asked to predict at once");
    run_until(&mut h, |v| !v.predicting(), "the prediction");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Ok(t)) if t.contains("buildings")),
        "{status:?}"
    );
    // The demo scene (seed 0) is not among the training scenes (seed 1): the live score is the
    // shipped weights' score on a scene they never saw.
    let counts = h.state().scoring().unwrap().counts();
    assert!(
        counts.f1() >= 0.75,
        "live score of the prediction: {counts:?}"
    );
    h.get_by_label_contains("sarscope_unet11_synth (predicted)");

    // The probability map is drawn over the scene: one upload, and none for its settings.
    assert!(h.state().overlay_shown());
    assert_eq!(h.state().overlay_uploads(), 1);
    let with = h.render().unwrap();
    h.state_mut().set_overlay(false, OverlaySettings::default());
    h.step();
    let without = h.render().unwrap();
    let changed = with
        .pixels()
        .zip(without.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(changed > 5000, "the overlay changed {changed} pixels");
    h.state_mut().set_overlay(
        true,
        OverlaySettings {
            colormap: Colormap::Viridis,
            opacity: 0.9,
            threshold: 0.1,
        },
    );
    h.step();
    let other = h.render().unwrap();
    assert!(with.pixels().zip(other.pixels()).any(|(a, b)| a != b));
    assert_eq!(h.state().overlay_uploads(), 1, "settings are uniforms");

    // Edit (the edits start as a copy of the predictions), then fine-tune for 3 steps.
    h.state_mut().set_tool(Tool::Edit);
    h.step();
    let ctx = h.ctx.clone();
    h.state_mut().improve_model(&ctx, 3).unwrap();
    h.step();
    assert!(h.state().improving());
    run_until(
        &mut h,
        |v| !v.improving() && !v.predicting(),
        "fine-tuning and predicting again",
    );
    let status = h.state().prediction_status().cloned();
    assert!(matches!(&status, Some(Ok(_))), "{status:?}");
    let tuned = dir.path().join(format!("{}.finetuned.bpk", demo.name));
    assert!(
        tuned.exists(),
        "the fine-tuned weights are saved beside the scene"
    );
    let card = ModelCard::read(&tuned.with_extension("card.json")).unwrap();
    assert!(
        card.provenance.contains("fine-tuned"),
        "{}",
        card.provenance
    );
    assert!(card.provenance.contains("3 steps"), "{}", card.provenance);
    h.get_by_label_contains(&format!("{}.finetuned (predicted)", demo.name));

    // A long fine-tuning stops at Cancel.
    h.state_mut().improve_model(&ctx, 5000).unwrap();
    let started = Instant::now();
    while h.state().improving() && started.elapsed() < Duration::from_secs(60) {
        h.step();
        if h.query_by_label("Cancel").is_some() {
            h.get_by_label("Cancel").click();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    run_until(&mut h, |v| !v.improving(), "the cancelled fine-tuning");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Err(e)) if e.contains("cancelled")),
        "{status:?}"
    );
}

/// A scene drawn by tiles (a 20,700 px mosaic of the demo tile) is predicted where the view
/// is when asked (Predict the view), at full resolution: the buildings come back at their
/// place in the scene, and those wholly in view match the tile's own footprints there.
#[test]
fn predicting_the_view_of_a_large_scene_finds_its_buildings_in_place() {
    use geo::{BoundingRect, MultiPolygon, Translate};
    let dir = tempfile::tempdir().unwrap();
    let (demo, vrt) = demo_mosaic(dir.path());
    let mut h = harness_for(load_scene(std::slice::from_ref(&vrt)).unwrap());
    assert!(h.state().scene().tiled.is_some());
    h.state_mut().set_weights(Some(shipped()), false);
    h.state_mut().set_auto_predict(false);
    // At 1:1 over the middle of copy (10, 10) of the tile.
    h.state_mut()
        .set_camera(eframe::egui::vec2(9_450.0, 9_450.0), 1.0);
    h.step();
    h.step();
    let view = h.state().view_window();
    assert!(view.width >= 300 && view.height >= 300, "{view:?}");
    // (The pane is about as wide as a copy: the view may take in an edge of its neighbours.)
    assert!(view.x >= 8_800 && view.y >= 8_800, "{view:?}");
    let ctx = h.ctx.clone();
    h.state_mut().predict(&ctx);
    run_until(&mut h, |v| !v.predicting(), "the prediction of the view");
    let status = h.state().prediction_status().cloned();
    assert!(matches!(&status, Some(Ok(_))), "{status:?}");
    let layer = h
        .state()
        .scene()
        .layers
        .iter()
        .find(|l| l.path.to_string_lossy().contains("(predicted, the view)"))
        .expect("a predictions layer of the view");
    let (x0, y0) = (view.x as f64, view.y as f64);
    let (x1, y1) = (x0 + view.width as f64, y0 + view.height as f64);
    let inside = |p: &MultiPolygon<f64>, margin: f64| {
        p.bounding_rect().is_some_and(|r| {
            r.min().x >= x0 + margin
                && r.min().y >= y0 + margin
                && r.max().x <= x1 - margin
                && r.max().y <= y1 - margin
        })
    };
    assert!(
        layer.footprints.len() > 20,
        "{} buildings",
        layer.footprints.len()
    );
    // Every building lies in the 512 px tiles the view touches, which hold the view.
    let (tiles, _) = h.state().view_probabilities().expect("the view's map");
    assert!(tiles.x <= view.x && tiles.x + tiles.width >= view.x + view.width);
    let in_tiles = |p: &MultiPolygon<f64>| {
        p.bounding_rect().is_some_and(|r| {
            r.min().x >= tiles.x as f64 - 0.5
                && r.min().y >= tiles.y as f64 - 0.5
                && r.max().x <= (tiles.x + tiles.width) as f64 + 0.5
                && r.max().y <= (tiles.y + tiles.height) as f64 + 0.5
        })
    };
    assert!(layer.footprints.iter().all(|f| in_tiles(&f.polygon)));
    // The tile's footprints, moved to copy (10, 10) and its neighbours, wholly in view with a
    // margin.
    let copies = [8_100.0, 9_000.0, 9_900.0];
    let offsets: Vec<(f64, f64)> = copies
        .iter()
        .flat_map(|&dx| copies.iter().map(move |&dy| (dx, dy)))
        .collect();
    let truth: Vec<MultiPolygon<f64>> = demo
        .footprints_pixel()
        .into_iter()
        .flat_map(|p| {
            offsets
                .iter()
                .map(|&(dx, dy)| MultiPolygon(vec![p.translate(dx, dy)]))
                .collect::<Vec<_>>()
        })
        .filter(|p| inside(p, 2.0))
        .collect();
    let proposals: Vec<(MultiPolygon<f64>, f64)> = layer
        .footprints
        .iter()
        .filter(|f| inside(&f.polygon, 2.0))
        .map(|f| (f.polygon.clone(), f.confidence.unwrap_or(1.0)))
        .collect();
    let counts = sarscope::eval::evaluate_image(&truth, &proposals, Default::default()).counts;
    assert!(truth.len() > 20);
    assert!(counts.f1() >= 0.9, "{counts:?}");
}

/// Runs frames until a prediction starts by itself (the camera settled), for at most 10 s.
fn wait_for_auto_start(h: &mut Harness<'static, Viewer>) {
    assert!(
        step_until(h, Viewer::predicting, Duration::from_secs(10)),
        "no prediction started by itself in 10 s"
    );
}

/// On a scene drawn by tiles the model runs by itself once the camera settles, on the 512 px
/// tiles in view; the map it shows is what the network gives for those pixels (the same as
/// predicting the tiles' extent in one go); a view the camera leaves is cancelled, and
/// panning back to a view seen before needs no network (the tiles were kept).
#[test]
fn the_view_of_a_large_scene_is_predicted_by_itself_by_tiles_kept_for_panning_back() {
    use eframe::egui::vec2;
    let dir = tempfile::tempdir().unwrap();
    let (_, vrt) = demo_mosaic(dir.path());
    let mut h = harness_for(load_scene(std::slice::from_ref(&vrt)).unwrap());
    h.state_mut().set_weights(Some(shipped()), false);
    h.state_mut().set_auto_predict(true);
    h.state_mut().set_camera(vec2(9_450.0, 9_450.0), 1.0);
    h.step();
    assert!(!h.state().predicting(), "the camera has not settled yet");
    wait_for_auto_start(&mut h);
    run_until(&mut h, |v| !v.predicting(), "the prediction of the view");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Ok(t)) if t.contains("buildings")),
        "{status:?}"
    );
    let kept = h.state().probability_tiles_kept();
    assert!((4..=16).contains(&kept), "{kept} tiles");
    assert!(h.state().overlay_shown(), "the view's map is drawn over it");
    let (region, map) = h.state().view_probabilities().expect("the view's map");
    let map = map.values.clone();
    let view = h.state().view_window();
    assert!(region.x <= view.x && region.x + region.width >= view.x + view.width);
    assert_eq!((region.x % 512, region.y % 512), (0, 0), "{region:?}");
    assert_eq!(region.width * region.height, kept * 512 * 512);

    // The same pixels predicted in one go: the tiles are the baseline's windows there.
    let device = sarscope::model::select_device(sarscope::model::DeviceChoice::Cpu).unwrap();
    let loaded = sarscope::model::load_weights(&shipped(), &device.device).unwrap();
    let scene = sarscope::raster::Scene::open_many(std::slice::from_ref(&vrt)).unwrap();
    let direct = sarscope::model::predict_window(
        &loaded.model,
        &loaded.card,
        &device.device,
        &scene,
        region,
        sarscope::model::Rotation::None,
        &sarscope::model::InferParams::from_card(&loaded.card),
        &mut |_| true,
    )
    .unwrap();
    let worst = map
        .iter()
        .zip(&direct.probs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max);
    assert!(worst < 1e-5, "tiles vs one go: {worst}");

    // Elsewhere: a new prediction starts by itself; leaving that view cancels it quietly.
    h.state_mut().set_camera(vec2(3_000.0, 3_000.0), 1.0);
    wait_for_auto_start(&mut h);
    h.state_mut().set_camera(vec2(9_450.0, 9_450.0), 1.0);
    h.step();
    run_until(&mut h, |v| !v.predicting(), "the cancelled prediction");
    let status = h.state().prediction_status().cloned();
    assert!(
        status.is_none(),
        "a view left behind is no error: {status:?}"
    );
    // Back where the tiles are kept: no network.
    wait_for_auto_start(&mut h);
    run_until(&mut h, |v| !v.predicting(), "the view seen before");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Ok(t)) if t.contains("the tiles predicted before")),
        "{status:?}"
    );
    assert!(h.state().probability_tiles_kept() >= kept);
    let (again, map_again) = h.state().view_probabilities().unwrap();
    assert_eq!(again, region);
    assert!(map_again.values == map, "the kept tiles are the same map");
}

/// A scene opens and the model predicts it by itself (the camera is still), unless the user
/// turned that off or the scene came with predictions of its own.
#[test]
fn a_scene_is_predicted_when_it_opens_unless_it_has_predictions_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir.path()).unwrap();
    let open = || {
        let mut h = harness_for(load_scene(std::slice::from_ref(&written.tif)).unwrap());
        h.state_mut().set_weights(Some(shipped()), false);
        h
    };

    let mut h = open();
    h.state_mut().set_auto_predict(true);
    wait_for_auto_start(&mut h);
    run_until(&mut h, |v| !v.predicting(), "the prediction");
    h.get_by_label_contains("sarscope_unet11_synth (predicted)");

    let mut own = open();
    own.state_mut().set_auto_predict(true);
    own.state_mut()
        .add_layer(written.csv.clone(), sarscope::annotate::Role::Predictions)
        .unwrap();
    step_until(&mut own, Viewer::predicting, Duration::from_millis(1500));
    assert!(
        !own.state().predicting(),
        "the scene's own predictions stay what is scored"
    );

    let mut off = open();
    off.state_mut().set_auto_predict(false);
    step_until(&mut off, Viewer::predicting, Duration::from_millis(1500));
    assert!(!off.state().predicting(), "asked not to");
}

/// The viewer predicts with the SN6 winner's network when its weights are given: the whole
/// scene, its buildings from the watershed of the three maps, the footprint map drawn.
#[test]
fn the_viewer_predicts_with_the_winner_s_network() {
    let dir = tempfile::tempdir().unwrap();
    let config = sarscope::synth::SynthConfig {
        width: 160,
        height: 160,
        difficulty: sarscope::synth::Difficulty::Hard,
        ..Default::default()
    };
    let written = sarscope::synth::generate(&config, 0)
        .unwrap()
        .write(dir.path())
        .unwrap();
    let mut h = harness_for(load_scene(std::slice::from_ref(&written.tif)).unwrap());
    let weights = crate::common::fixture("effunet/effunet.pth");
    h.state_mut().set_weights(Some(weights), true);
    h.step();
    run_until(&mut h, |v| !v.predicting(), "the prediction");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Ok(t)) if t.contains("buildings")),
        "{status:?}"
    );
    assert!(h.state().overlay_shown());
    // Its edge and contact maps can be drawn instead of the footprint map: each an upload.
    assert!(h.state().has_edge_contact_maps());
    let footprint = h.render().unwrap();
    let uploads = h.state().overlay_uploads();
    h.state_mut()
        .set_overlay_map(sarscope::app::OverlayMap::Contact);
    h.step();
    h.step();
    assert_eq!(h.state().overlay_uploads(), uploads + 1);
    let contact = h.render().unwrap();
    assert!(
        footprint
            .pixels()
            .zip(contact.pixels())
            .any(|(a, b)| a != b)
    );
}

/// "Improve the model with my edits" with the SN6 winner's network: the shipped three-head
/// weights fine-tuned on a hard scene's edited footprints (three targets made from them), saved
/// beside the scene as the winner's network with its card, and predicted with again.
#[test]
fn the_winner_s_network_is_fine_tuned_from_the_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let config = sarscope::synth::SynthConfig {
        width: 256,
        height: 256,
        seed: 11,
        difficulty: sarscope::synth::Difficulty::Hard,
        ..Default::default()
    };
    let demo = sarscope::synth::generate(&config, 0).unwrap();
    let written = demo.write(dir.path()).unwrap();
    let mut h = harness_for(load_scene(std::slice::from_ref(&written.tif)).unwrap());
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_winner_hard.bpk");
    h.state_mut().set_weights(Some(shipped.clone()), true);
    h.step();
    run_until(&mut h, |v| !v.predicting(), "the prediction");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Ok(t)) if t.contains("buildings")),
        "{status:?}"
    );
    h.state_mut().set_tool(Tool::Edit);
    h.step();
    let ctx = h.ctx.clone();
    h.state_mut().improve_model(&ctx, 3).unwrap();
    h.step();
    run_until(
        &mut h,
        |v| !v.improving() && !v.predicting(),
        "fine-tuning and predicting again",
    );
    let status = h.state().prediction_status().cloned();
    assert!(matches!(&status, Some(Ok(_))), "{status:?}");
    let tuned = dir.path().join(format!("{}.finetuned.bpk", demo.name));
    let card = ModelCard::read(&tuned.with_extension("card.json")).unwrap();
    assert_eq!(card.network, "sn6-winner");
    assert!(card.effunet.is_some(), "the card gives the network's shape");
    assert!(card.provenance.contains("3 steps"), "{}", card.provenance);
    assert_ne!(
        std::fs::read(&tuned).unwrap(),
        std::fs::read(&shipped).unwrap(),
        "three steps changed the weights"
    );
    // The viewer predicts with them: the winner's network again (three maps).
    h.get_by_label_contains(&format!("{}.finetuned (predicted)", demo.name));
    assert!(h.state().has_edge_contact_maps());
}

/// A hard scene drawn by tiles (a 20,700 px mosaic of one hard tile) predicted where the view
/// is with the SN6 winner's network: the tiles in view through the network, the watershed
/// over all of them (buildings across tile seams whole), the buildings in place; panning back
/// needs no network.
#[test]
fn the_view_of_a_large_scene_is_predicted_with_the_winner_s_network() {
    use geo::{MultiPolygon, Translate};
    let dir = tempfile::tempdir().unwrap();
    // A tile imaged from the north, as the mosaic (no SN6 name) is seen unturned.
    let config = (7..40)
        .map(|seed| sarscope::synth::SynthConfig {
            seed,
            difficulty: sarscope::synth::Difficulty::Hard,
            ..Default::default()
        })
        .find(|c| sarscope::synth::generate(c, 0).unwrap().looks_from_north)
        .unwrap();
    let (demo, vrt) = crate::viewer_flows::mosaic_of(dir.path(), &config);
    let mut h = harness_for(load_scene(std::slice::from_ref(&vrt)).unwrap());
    let weights = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_winner_hard.bpk");
    h.state_mut().set_weights(Some(weights), false);
    h.state_mut().set_auto_predict(false);
    // At 1:1 over the middle of copy (10, 10) of the tile.
    h.state_mut()
        .set_camera(eframe::egui::vec2(9_450.0, 9_450.0), 1.0);
    h.step();
    h.step();
    let ctx = h.ctx.clone();
    h.state_mut().predict(&ctx);
    run_until(&mut h, |v| !v.predicting(), "the prediction of the view");
    let status = h.state().prediction_status().cloned();
    assert!(matches!(&status, Some(Ok(_))), "{status:?}");
    let (tiles, _) = h.state().view_probabilities().expect("the view's map");
    assert!(
        tiles.width > 512 && tiles.height > 512,
        "{tiles:?}: several tiles"
    );
    // The view's edge and contact maps can be drawn instead of its footprint map.
    assert!(h.state().has_edge_contact_maps());
    let uploads = h.state().overlay_uploads();
    h.state_mut()
        .set_overlay_map(sarscope::app::OverlayMap::Edge);
    h.step();
    h.step();
    assert_eq!(h.state().overlay_uploads(), uploads + 1);
    let layer = h
        .state()
        .scene()
        .layers
        .iter()
        .find(|l| l.path.to_string_lossy().contains("(predicted, the view)"))
        .expect("a predictions layer of the view")
        .clone();
    // Scored against the truth of the copies of the tile, inside the predicted tiles.
    let region = geo::Rect::new(
        (tiles.x as f64, tiles.y as f64),
        (
            (tiles.x + tiles.width) as f64,
            (tiles.y + tiles.height) as f64,
        ),
    );
    let within = |p: &MultiPolygon<f64>| {
        use geo::Contains;
        region.contains(p)
    };
    let copies = (9..12).flat_map(|i| (9..12).map(move |j| (i as f64 * 900.0, j as f64 * 900.0)));
    let truth: Vec<MultiPolygon<f64>> = copies
        .flat_map(|(dx, dy)| {
            demo.truth
                .iter()
                .map(move |p| MultiPolygon(vec![p.translate(dx, dy)]))
        })
        .filter(within)
        .collect();
    let proposals: Vec<(MultiPolygon<f64>, f64)> = layer
        .footprints
        .iter()
        .filter(|f| within(&f.polygon))
        .map(|f| (f.polygon.clone(), f.confidence.unwrap_or(1.0)))
        .collect();
    assert!(
        proposals.len() * 10 >= layer.footprints.len() * 9,
        "the buildings lie in the predicted tiles"
    );
    let counts = sarscope::eval::evaluate_image(&truth, &proposals, Default::default()).counts;
    assert!(truth.len() > 50, "{} buildings in the tiles", truth.len());
    assert!(counts.f1() >= 0.5, "{counts:?}");
    // Predicted again, the tiles come from the cache.
    h.state_mut().predict(&ctx);
    run_until(&mut h, |v| !v.predicting(), "the view again");
    let status = h.state().prediction_status().cloned();
    assert!(
        matches!(&status, Some(Ok(t)) if t.contains("predicted before")),
        "{status:?}"
    );
}

#[test]
fn the_models_buildings_come_with_right_angles_when_ticked() {
    use crate::regularize_golden::worst_corner;
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = crate::edit_flows::demo_viewer(dir.path(), 1.0);
    let f1 = |h: &Harness<'static, Viewer>| h.state().scoring().map(|s| s.counts().f1());
    let mut runs = Vec::new();
    for straighten in [false, true] {
        h.state_mut().state_mut().right_angles = straighten;
        h.state_mut().set_weights(Some(shipped()), true);
        h.step();
        run_until(&mut h, |v| !v.predicting(), "the prediction");
        let predicted = h
            .state()
            .scene()
            .layers
            .iter()
            .find(|l| l.role == sarscope::annotate::Role::Predictions)
            .map(|l| l.footprints.clone())
            .unwrap();
        let square = predicted
            .iter()
            .filter(|f| worst_corner(&f.polygon.0[0]) < 1.0)
            .count();
        runs.push((predicted.len(), square, f1(&h).unwrap()));
    }
    let [(n0, square0, f1_traced), (n1, square1, f1_straight)] = runs[..] else {
        unreachable!()
    };
    // The same buildings; traced outlines are staircases, straightened ones have right
    // angles (nearly all: a few are refused and stay as traced); the score does not drop.
    println!(
        "shipped UNet11 on the demo tile: {n0} buildings, {square0} at right angles and F1 \
         {f1_traced:.4} traced; {square1} and F1 {f1_straight:.4} with right angles ticked"
    );
    assert_eq!(n0, n1);
    assert!(
        square1 > square0 && square1 * 10 >= n1 * 9,
        "{square0} of {n0} traced at right angles, {square1} of {n1} straightened"
    );
    assert!(
        f1_straight >= f1_traced - 0.01,
        "{f1_traced} -> {f1_straight}"
    );
}
