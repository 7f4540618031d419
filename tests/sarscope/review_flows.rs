//! Reviewing footprints in the viewer (egui_kittest): right angles with Q on one footprint
//! and on every footprint in view, undone in one step, refused in words.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::{Area, MultiPolygon};
use sarscope::annotate::Role;
use sarscope::app::Viewer;
use sarscope::eval::iou;

use crate::edit_flows::{click_scene, demo_viewer, key};
use crate::regularize_golden::worst_corner;

fn edited(h: &Harness<'static, Viewer>) -> Vec<MultiPolygon<f64>> {
    h.state()
        .edits()
        .map(|e| e.footprints().iter().map(|f| f.polygon.clone()).collect())
        .unwrap_or_default()
}

fn settle(h: &mut Harness<'static, Viewer>) {
    h.run_steps(30);
}

#[test]
fn q_straightens_a_ragged_drawn_footprint_and_one_undo_takes_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_viewer(dir.path(), 0.5);
    // A 70 x 26 px building turned by 15°, drawn with uneven corners, in the scene's empty
    // strip (far from every footprint, so no point snaps).
    let (s, c) = 15f64.to_radians().sin_cos();
    let place = |u: f64, v: f64| (200.0 + u * c - v * s, 850.0 + u * s + v * c);
    let ragged = [
        (0.0, 0.0),
        (24.0, 1.2),
        (47.0, -0.8),
        (70.0, 0.0),
        (70.5, 13.0),
        (69.2, 26.0),
        (35.0, 27.0),
        (0.0, 26.0),
        (1.0, 12.0),
    ];
    key(&mut h, egui::Modifiers::NONE, egui::Key::D);
    for (u, v) in ragged {
        let (x, y) = place(u, v);
        click_scene(&mut h, x, y);
    }
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    let drawn = edited(&h);
    assert_eq!(drawn.len(), 1, "{:?}", h.state().edit_message());
    assert!(worst_corner(&drawn[0].0[0]) > 5.0);

    // The drawn footprint is selected: Q straightens it alone.
    key(&mut h, egui::Modifiers::NONE, egui::Key::Q);
    let straight = edited(&h);
    assert_eq!(
        h.state().edit_message(),
        Some("straightened 1 footprint"),
        "{:?}",
        h.state().edit_message()
    );
    let outline = &straight[0].0[0];
    assert_eq!(outline.exterior().0.len(), 5);
    assert!(worst_corner(outline) < 1.0, "{outline:?}");
    let change = outline.unsigned_area() / drawn[0].unsigned_area() - 1.0;
    assert!(change.abs() <= 0.10, "area changed by {change}");
    assert!(iou(&straight[0], &drawn[0]) > 0.9);

    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    assert_eq!(edited(&h), drawn);

    // A triangle is nowhere near right angles: refused, in words, and nothing changes.
    for (x, y) in [(500.0, 860.0), (560.0, 860.0), (530.0, 890.0)] {
        click_scene(&mut h, x, y);
    }
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    let before = edited(&h);
    assert_eq!(before.len(), 2);
    // The button on the tool strip does what Q does.
    h.get_by_label("right angles Q").click();
    settle(&mut h);
    let message = h.state().edit_message().unwrap_or_default().to_string();
    assert!(
        message.starts_with("refused: not straightened: "),
        "{message}"
    );
    assert_eq!(edited(&h), before);
}

#[test]
fn q_with_nothing_selected_straightens_every_footprint_in_view_as_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, written) = demo_viewer(dir.path(), 0.5);
    let truth = h.state().scene().layers[0].polygons();
    let traced = sarscope::synth::ragged_outlines(&truth, h.state().scene().size(), 0.2, 7);
    let csv = dir.path().join("ragged.csv");
    let confidences = vec![1.0; traced.len()];
    sarscope::io::write_prediction_csv(&csv, "demo", &traced, &confidences).unwrap();
    h.state_mut().add_layer(csv, Role::Predictions).unwrap();
    settle(&mut h);
    let f1 = |h: &Harness<'static, Viewer>| h.state().scoring().unwrap().counts().f1();
    let f1_traced = f1(&h);

    // The whole scene in view, nothing selected: Q starts the edits and straightens them all.
    h.state_mut().set_camera(egui::vec2(450.0, 450.0), 0.5);
    settle(&mut h);
    key(&mut h, egui::Modifiers::NONE, egui::Key::Q);
    let message = h.state().edit_message().unwrap_or_default().to_string();
    let straight = edited(&h);
    assert_eq!(straight.len(), traced.len());
    let mut changed = 0;
    let (mut iou_traced, mut iou_straight) = (0.0, 0.0);
    for (after, before) in straight.iter().zip(&traced) {
        let before = MultiPolygon(vec![before.clone()]);
        if *after != before {
            changed += 1;
            assert!(worst_corner(&after.0[0]) < 1.0);
        }
        // Each against the truth building it overlaps most.
        let best = |p: &MultiPolygon<f64>| truth.iter().map(|t| iou(p, t)).fold(0.0, f64::max);
        iou_traced += best(&before);
        iou_straight += best(after);
    }
    let n = traced.len() as f64;
    let f1_straight = f1(&h);
    println!(
        "{} ragged traced buildings: {changed} straightened; mean IoU with the truth {:.4} \
         -> {:.4}, F1 {f1_traced:.4} -> {f1_straight:.4} ({message})",
        traced.len(),
        iou_traced / n,
        iou_straight / n
    );
    assert!(
        message.starts_with(&format!("straightened {changed} footprints")),
        "{message}"
    );
    assert!(changed * 10 >= traced.len() * 9, "{message}");
    assert!(iou_straight >= iou_traced, "{message}");
    assert!(f1_straight >= f1_traced);

    // One undo takes every one back.
    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    let back: Vec<MultiPolygon<f64>> = traced
        .iter()
        .map(|p| MultiPolygon(vec![p.clone()]))
        .collect();
    assert_eq!(edited(&h), back);
    drop(written);
}

#[test]
fn walking_a_scenes_errors_to_zero_with_accept_reject_and_fix() {
    use geo::{BoundingRect, Translate};
    use sarscope::annotate::review::ErrorKind;
    let dir = tempfile::tempdir().unwrap();
    let (mut h, written) = demo_viewer(dir.path(), 1.0);
    let truth = h.state().scene().layers[0].polygons();
    // Predictions: the truth with three buildings missed, three shifted by a quarter of their
    // width (IoU about 0.6), and three false alarms in the empty strip.
    let mut predictions: Vec<geo::Polygon<f64>> = Vec::new();
    for (i, t) in truth.iter().enumerate() {
        let p = t.0[0].clone();
        match i {
            10 | 50 | 90 => {}
            20 | 60 | 100 => {
                let w = p.bounding_rect().unwrap().width();
                predictions.push(p.translate(w / 4.0, 0.0));
            }
            _ => predictions.push(p),
        }
    }
    for x in [100.0, 300.0, 500.0] {
        let ring = [(x, 860.0), (x + 20.0, 860.0), (x + 20.0, 880.0), (x, 880.0)];
        predictions.push(geo::Polygon::new(ring.to_vec().into(), vec![]));
    }
    let csv = dir.path().join("preds.csv");
    let confidences = vec![0.9; predictions.len()];
    sarscope::io::write_prediction_csv(&csv, "demo", &predictions, &confidences).unwrap();
    h.state_mut().add_layer(csv, Role::Predictions).unwrap();
    settle(&mut h);
    let kinds = |h: &Harness<'static, Viewer>| {
        let mut k: Vec<ErrorKind> = h.state().errors_left().iter().map(|e| e.kind).collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds(&h),
        [ErrorKind::FalsePositive; 3]
            .into_iter()
            .chain([ErrorKind::Missed; 3])
            .chain([ErrorKind::LowIou; 3])
            .collect::<Vec<_>>()
    );
    assert!(h.get_by_label("9 left").rect().is_positive());

    // Walk: the first false alarm and the first low IoU are accepted, the other false alarms
    // rejected, the misses and low IoUs fixed from the truth. Each key moves on by itself.
    key(&mut h, egui::Modifiers::NONE, egui::Key::CloseBracket);
    let (mut accepted_fp, mut accepted_low, mut tried_reject) = (false, false, false);
    let mut steps = 0;
    while let Some(item) = h.state().current_error() {
        // The camera is on it.
        let (center, zoom) = h.state().camera();
        assert!((f64::from(center.x) - item.center.x).abs() < 1.0);
        assert!(zoom >= 2.0);
        let action = match item.kind {
            ErrorKind::FalsePositive if !accepted_fp => {
                accepted_fp = true;
                egui::Key::A
            }
            ErrorKind::LowIou if !accepted_low => {
                accepted_low = true;
                egui::Key::A
            }
            ErrorKind::FalsePositive => egui::Key::X,
            ErrorKind::Missed | ErrorKind::LowIou => egui::Key::F,
        };
        let before = h.state().errors_left().len();
        if item.kind == ErrorKind::Missed && !tried_reject {
            // A missed building has no prediction to reject: refused in words, no change.
            tried_reject = true;
            key(&mut h, egui::Modifiers::NONE, egui::Key::X);
            let message = h.state().review_message().unwrap_or_default().to_string();
            assert!(
                message.starts_with("a missed building has no prediction to delete"),
                "{message}"
            );
            assert_eq!(h.state().errors_left().len(), before);
        }
        key(&mut h, egui::Modifiers::NONE, action);
        assert_eq!(h.state().errors_left().len(), before - 1, "{:?}", item.kind);
        steps += 1;
        assert!(steps <= 9);
    }
    assert_eq!(steps, 9);
    assert!(tried_reject);
    assert_eq!(h.state().errors_left().len(), 0);
    assert!(h.get_by_label("0 left").rect().is_positive());
    assert_eq!(h.state().review_message(), Some("no errors left to review"));
    // What is left of the errors is what was accepted; everything else matches.
    let mut still = h.state().scene_errors();
    still.sort_by_key(|e| e.kind);
    assert_eq!(
        still.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [ErrorKind::FalsePositive, ErrorKind::LowIou]
    );
    let counts = h.state().scoring().unwrap().counts();
    assert_eq!((counts.fp, counts.fn_), (1, 0));

    // A new session on the scene: the edits and the accepted errors come back, nothing is
    // left to review.
    h.state().wait_edits_saved();
    let mut again = crate::viewer_flows::harness_for(
        sarscope::session::load_scene(std::slice::from_ref(&written.tif)).unwrap(),
    );
    again.run();
    assert_eq!(again.state().scene_errors().len(), 2);
    assert_eq!(again.state().errors_left().len(), 0);
    drop(again);

    // One undo takes the last step back: one error is left again.
    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    assert_eq!(h.state().errors_left().len(), 1);
}

/// Runs frames until the scene and the dataset's scores are in.
fn until_settled(h: &mut Harness<'static, Viewer>) {
    for _ in 0..600 {
        h.step();
        if !h.state().is_loading() && !h.state().dataset_scoring() {
            settle(h);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the dataset did not settle");
}

/// `sarscope eval --json` of two CSVs: (TP, FP, FN).
fn eval_counts(truth: &std::path::Path, pred: &std::path::Path) -> (u64, u64, u64) {
    use std::ffi::OsStr;
    let run = crate::common::sarscope(&[
        OsStr::new("eval"),
        OsStr::new("--truth"),
        truth.as_os_str(),
        OsStr::new("--pred"),
        pred.as_os_str(),
        OsStr::new("--json"),
    ]);
    assert!(run.status.success(), "{}", crate::common::text(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let total = &v["total"];
    let n = |k: &str| total[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    (n("tp"), n("fp"), n("fn"))
}

#[test]
fn a_dataset_of_five_scenes_walked_scored_fixed_and_exported() {
    use sarscope::io::{Footprint, Footprints, Space, write_footprints};
    use sarscope::session::load_scene;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("scenes");
    std::fs::create_dir(&folder).unwrap();
    // Five scenes with their truth beside them; the dataset's predictions in one CSV: each
    // scene's buildings as a ragged mask traces them, every seventh missing.
    let config = sarscope::synth::SynthConfig {
        seed: 3,
        ..Default::default()
    };
    let (mut truth_rows, mut pred_rows) = (Vec::new(), Vec::new());
    let mut first = None;
    for index in 0..5 {
        let scene = sarscope::synth::generate(&config, index).unwrap();
        let written = scene.write(&folder).unwrap();
        first.get_or_insert(written.tif.clone());
        let id = sarscope::io::image_id_of(&written.tif);
        let row = |k: usize, p: MultiPolygon<f64>| Footprint {
            id: k.to_string(),
            source: "model".into(),
            confidence: Some(0.9),
            area_m2: None,
            iou: None,
            image_id: Some(id.clone()),
            polygon: p,
        };
        for (k, t) in scene.truth.iter().enumerate() {
            truth_rows.push(row(k, MultiPolygon(vec![t.clone()])));
        }
        let traced = scene.ragged_outlines(0.2, index);
        for (k, p) in traced.into_iter().enumerate().filter(|(k, _)| k % 7 != 3) {
            pred_rows.push(row(k, MultiPolygon(vec![p])));
        }
    }
    let write = |name: &str, items: Vec<Footprint>| {
        let path = dir.path().join(name);
        let set = Footprints {
            items,
            space: Space::Pixel,
            image_id: None,
        };
        write_footprints(&path, &set).unwrap();
        path
    };
    let truth_csv = write("truth.csv", truth_rows);
    let preds_csv = write("preds.csv", pred_rows);

    let mut h = crate::viewer_flows::harness_for(load_scene(&[first.unwrap()]).unwrap());
    h.run();
    let ctx = h.ctx.clone();
    h.state_mut()
        .open_dataset(&ctx, &folder, Some(&preds_csv))
        .unwrap();
    until_settled(&mut h);
    let data = h.state().dataset().unwrap();
    assert_eq!(data.scenes.len(), 5);
    assert!(
        data.scenes.iter().all(|s| s.counts.is_some()),
        "{:?}",
        data.scenes
    );
    // The dataset's SpaceNet total is `sarscope eval` over the folder.
    let total = |h: &Harness<'static, Viewer>| {
        let (c, scored) = h.state().dataset().unwrap().total();
        assert_eq!(scored, 5);
        (c.tp, c.fp, c.fn_)
    };
    let before = total(&h);
    assert_eq!(before, eval_counts(&truth_csv, &preds_csv));
    assert!(before.2 > 0, "{before:?}");

    // Page Down and Page Up walk the scenes.
    key(&mut h, egui::Modifiers::NONE, egui::Key::PageDown);
    until_settled(&mut h);
    assert_eq!(h.state().dataset_index(), Some(1));
    let second = h.state().dataset().unwrap().scenes[1].file.clone();
    assert_eq!(h.state().scene().files, vec![second]);
    key(&mut h, egui::Modifiers::NONE, egui::Key::PageUp);
    until_settled(&mut h);
    assert_eq!(h.state().dataset_index(), Some(0));
    key(&mut h, egui::Modifiers::NONE, egui::Key::PageUp);
    assert_eq!(
        h.state().dataset_index(),
        Some(0),
        "nothing before the first"
    );

    // Fix two misses of the second scene: the total follows, and the dataset exported with
    // its edits scores the same with `sarscope eval`.
    key(&mut h, egui::Modifiers::NONE, egui::Key::PageDown);
    until_settled(&mut h);
    h.state_mut().review_mut().kinds = [false, true, false];
    for _ in 0..2 {
        key(&mut h, egui::Modifiers::NONE, egui::Key::CloseBracket);
        key(&mut h, egui::Modifiers::NONE, egui::Key::F);
    }
    let after = total(&h);
    assert_eq!(after, (before.0 + 2, before.1, before.2 - 2));
    assert!(h.state().dataset().unwrap().scenes[1].edited);
    h.state().wait_edits_saved();
    let all = dir.path().join("all.csv");
    let run = crate::common::sarscope(&[
        std::ffi::OsStr::new("export"),
        std::ffi::OsStr::new("--dataset"),
        folder.as_os_str(),
        std::ffi::OsStr::new("--predictions"),
        preds_csv.as_os_str(),
        std::ffi::OsStr::new("--out"),
        all.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", crate::common::text(&run.stderr));
    assert_eq!(eval_counts(&truth_csv, &all), after);
}

#[test]
fn dataset_scenes_without_truth_or_with_truth_in_another_crs() {
    use sarscope::io::read_footprints;
    use sarscope::session::dataset::Dataset;
    use sarscope::session::export_footprints;
    let dir = tempfile::tempdir().unwrap();
    let config = sarscope::synth::SynthConfig {
        seed: 4,
        ..Default::default()
    };
    let mut written = Vec::new();
    for index in 0..3 {
        let scene = sarscope::synth::generate(&config, index).unwrap();
        written.push(scene.write(dir.path()).unwrap());
    }
    // The first scene's truth in longitude/latitude, the second's removed.
    let utm = read_footprints(&written[0].geojson).unwrap();
    let grid =
        sarscope::io::SceneGrid::of(&sarscope::raster::Scene::open(&written[0].tif).unwrap());
    let buildings = utm.items.len();
    std::fs::remove_file(&written[0].csv).unwrap();
    let wgs84 = export_footprints(&written[0].geojson, utm, grid.as_ref(), true).unwrap();
    assert_eq!(wgs84.space, sarscope::io::Space::World { epsg: Some(4326) });
    std::fs::remove_file(&written[1].geojson).unwrap();
    std::fs::remove_file(&written[1].csv).unwrap();
    let dataset = Dataset::open(dir.path(), None).unwrap();
    assert_eq!(dataset.scenes.len(), 3);
    let scores = dataset.score_all(&|_, _| true);
    // No predictions file: every building is missed, and every one was read (reprojected
    // from longitude/latitude onto the scene).
    let first = scores[0].as_ref().unwrap();
    assert_eq!((first.tp, first.fn_ as usize), (0, buildings));
    assert_eq!(scores[1].as_ref().unwrap_err(), "no ground truth");
    let third = scores[2].as_ref().unwrap();
    assert_eq!(
        third.fn_ as usize,
        read_footprints(&written[2].geojson).unwrap().items.len()
    );
}

#[test]
fn two_models_scored_side_by_side_with_the_buildings_they_disagree_on() {
    use geo::{BoundingRect, Translate};
    let dir = tempfile::tempdir().unwrap();
    let (mut h, written) = demo_viewer(dir.path(), 1.0);
    let truth = h.state().scene().layers[0].polygons();
    // Model A misses buildings 5 and 15; model B misses 15 and 25 and finds 35 a quarter of
    // its width off (IoU about 0.6).
    let model = |missed: [usize; 2], shifted: Option<usize>| -> Vec<geo::Polygon<f64>> {
        truth
            .iter()
            .enumerate()
            .filter(|(i, _)| !missed.contains(i))
            .map(|(i, t)| {
                let p = t.0[0].clone();
                match shifted {
                    Some(s) if s == i => {
                        let w = p.bounding_rect().unwrap().width();
                        p.translate(w / 4.0, 0.0)
                    }
                    _ => p,
                }
            })
            .collect()
    };
    let mut files = Vec::new();
    for (name, polygons) in [
        ("a.csv", model([5, 15], None)),
        ("b.csv", model([15, 25], Some(35))),
    ] {
        let path = dir.path().join(name);
        let confidences = vec![0.9; polygons.len()];
        sarscope::io::write_prediction_csv(&path, "synth_s0_0000", &polygons, &confidences)
            .unwrap();
        h.state_mut()
            .add_layer(path.clone(), Role::Predictions)
            .unwrap();
        files.push(path);
    }
    settle(&mut h);
    let c = h
        .state()
        .comparison()
        .expect("two prediction layers are compared");
    // Each scored as `sarscope eval` scores its file alone.
    for (scoring, file) in c.scorings.iter().zip(&files) {
        let n = scoring.counts();
        assert_eq!(
            (n.tp, n.fp, n.fn_),
            crate::review_flows::eval_counts(&written.csv, file)
        );
    }
    let table: Vec<(usize, [bool; 2])> = c
        .disagreements
        .iter()
        .map(|d| (d.truth, [d.iou[0].is_some(), d.iou[1].is_some()]))
        .collect();
    assert_eq!(
        table,
        vec![(5, [false, true]), (25, [true, false]), (35, [true, true])]
    );
    let gap = c.disagreements[2].gap();
    assert!((0.2..0.6).contains(&gap), "{gap}");

    // The compare layout: two panes; a row of the table takes the camera to its building.
    h.state_mut().state_mut().layout = sarscope::app::Layout::Compare;
    settle(&mut h);
    assert!(
        h.get_by_label("where they disagree: 3 buildings")
            .rect()
            .is_positive()
    );
    h.state_mut().go_to_disagreement(1);
    settle(&mut h);
    let (center, zoom) = h.state().camera();
    let want = truth[25].bounding_rect().unwrap().center();
    assert!(
        (f64::from(center.x) - want.x).abs() < 1.0 && (f64::from(center.y) - want.y).abs() < 1.0
    );
    assert!(zoom >= 2.0);
    // Each pane shows its model: the building B missed is outlined as missed (orange) in B's
    // pane only.
    let image = h.render().unwrap();
    let ppp = h.ctx.pixels_per_point();
    let pane = h.state().pane_rect();
    let crop = |rect: egui::Rect| {
        let r = rect.shrink(rect.width() / 4.0);
        image::imageops::crop_imm(
            &image,
            (r.min.x * ppp) as u32,
            (r.min.y * ppp) as u32,
            (r.width() * ppp) as u32,
            (r.height() * ppp) as u32,
        )
        .to_image()
    };
    let orange = [255, 150, 30];
    let b_pane = pane.translate(egui::vec2(pane.width() + 4.0, 0.0));
    let (in_a, in_b) = (
        crate::viewer_flows::count_colour(&crop(pane), orange),
        crate::viewer_flows::count_colour(&crop(b_pane), orange),
    );
    assert!(in_a == 0 && in_b > 50, "orange pixels: A {in_a}, B {in_b}");
    if let Ok(path) = std::env::var("SARSCOPE_SCREENSHOT") {
        image.save(path).unwrap();
    }
}

#[test]
fn an_sn6_folder_takes_its_truth_from_summary_data() {
    use sarscope::io::polygon_wkt;
    use sarscope::session::dataset::Dataset;
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let tiles = dir.path().join("SAR-Intensity");
    let summary = dir.path().join("SummaryData");
    std::fs::create_dir_all(&tiles).unwrap();
    std::fs::create_dir_all(&summary).unwrap();
    let scene = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = scene.write(dir.path()).unwrap();
    // SN6's layout: tiles named by strip and tile, one CSV of every tile's buildings (an
    // empty tile has one POLYGON EMPTY row), no GeoJSON beside the tiles.
    let mut truth = String::from(
        "ImageId,TileBuildingId,PolygonWKT_Pix,Mean_Building_Height,Median_Building_Height,StdDev_Building_Height\n",
    );
    let mut preds = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
    for n in [8685, 8686] {
        let stem = format!(
            "SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_{n}"
        );
        std::fs::hard_link(&written.tif, tiles.join(format!("{stem}.tif"))).unwrap();
        let id = format!("20190804111224_20190804111453_tile_{n}");
        if n == 8686 {
            writeln!(truth, "{id},0,POLYGON EMPTY,0,0,0").unwrap();
            continue;
        }
        for (k, p) in scene.truth.iter().enumerate() {
            writeln!(truth, "{id},{k},\"{}\",9.5,9.5,0.1", polygon_wkt(p)).unwrap();
            // The predictions miss every tenth building.
            if k % 10 != 0 {
                writeln!(preds, "{id},{k},\"{}\",0.9", polygon_wkt(p)).unwrap();
            }
        }
    }
    std::fs::write(
        summary.join("SN6_Train_AOI_11_Rotterdam_Buildings.csv"),
        truth,
    )
    .unwrap();
    let preds_csv = dir.path().join("preds.csv");
    std::fs::write(&preds_csv, preds).unwrap();
    let dataset = Dataset::open(&tiles, Some(&preds_csv)).unwrap();
    assert_eq!(dataset.scenes.len(), 2);
    let scores = dataset.score_all(&|_, _| true);
    let n = scene.truth.len() as u64;
    let missed = n.div_ceil(10);
    let first = scores[0].as_ref().unwrap();
    assert_eq!((first.tp, first.fp, first.fn_), (n - missed, 0, missed));
    let empty = scores[1].as_ref().unwrap();
    assert_eq!((empty.tp, empty.fp, empty.fn_), (0, 0, 0));
}

#[test]
fn a_folder_without_scenes_is_said_in_the_viewer_and_the_scene_stays() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_viewer(dir.path(), 1.0);
    let empty = dir.path().join("nothing here");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("readme.txt"), "no rasters").unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().open_folder(&ctx, &empty, None);
    settle(&mut h);
    let error = h.state().error().unwrap_or_default().to_string();
    assert!(
        error.ends_with("nothing here: no rasters (.tif) in it"),
        "{error}"
    );
    assert!(h.state().dataset().is_none());
    assert_eq!(h.state().scene().size(), (900, 900));
}
