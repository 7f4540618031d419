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
    let (mut h, _) = demo_viewer(dir.path(), 1.0);
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

    // One undo takes the last step back: one error is left again.
    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    assert_eq!(h.state().errors_left().len(), 1);
}
