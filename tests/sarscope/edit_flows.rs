//! Editing footprints in the viewer by simulated clicks, drags and keys (egui_kittest): draw,
//! move a vertex, undo, redo, delete; what is saved beside the scene is what the screen shows,
//! and a session that dies without closing loses no edit.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon};
use sarscope::app::{Tool, Viewer};
use sarscope::session::load_scene;

use crate::viewer_flows::{count_colour, harness_for};

/// The viewer on the demo scene written into `dir` (with its ground truth beside it), the
/// camera on the scene's centre at `zoom` screen points per pixel.
pub(crate) fn demo_viewer(
    dir: &std::path::Path,
    zoom: f32,
) -> (Harness<'static, Viewer>, sarscope::synth::WrittenScene) {
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir).unwrap();
    let mut h = harness_for(load_scene(std::slice::from_ref(&written.tif)).unwrap());
    h.run();
    h.state_mut().set_camera(egui::vec2(450.0, 450.0), zoom);
    settle(&mut h);
    (h, written)
}

fn settle(h: &mut Harness<'static, Viewer>) {
    // Enough frames that two clicks are not one double-click.
    h.run_steps(30);
}

pub(crate) fn click_scene(h: &mut Harness<'static, Viewer>, x: f64, y: f64) {
    let at = h.state().screen_from_scene(x, y);
    h.hover_at(at);
    h.step();
    h.drag_at(at);
    h.step();
    h.drop_at(at);
    settle(h);
}

fn drag_scene(h: &mut Harness<'static, Viewer>, from: (f64, f64), to: (f64, f64)) {
    let a = h.state().screen_from_scene(from.0, from.1);
    let b = h.state().screen_from_scene(to.0, to.1);
    h.hover_at(a);
    h.step();
    h.drag_at(a);
    h.step();
    for k in 1..=5 {
        h.hover_at(a.lerp(b, k as f32 / 5.0));
        h.step();
    }
    h.drop_at(b);
    settle(h);
}

pub(crate) fn key(h: &mut Harness<'static, Viewer>, modifiers: egui::Modifiers, key: egui::Key) {
    h.key_press_modifiers(modifiers, key);
    settle(h);
}

fn area(h: &Harness<'static, Viewer>) -> Vec<f64> {
    h.state()
        .edits()
        .map(|e| {
            e.footprints()
                .iter()
                .map(|f| f.polygon.unsigned_area())
                .collect()
        })
        .unwrap_or_default()
}

/// The edited footprints' polygons, as on screen.
fn shown_edits(h: &Harness<'static, Viewer>) -> Vec<MultiPolygon<f64>> {
    h.state()
        .edits()
        .unwrap()
        .footprints()
        .iter()
        .map(|f| f.polygon.clone())
        .collect()
}

fn polygon(points: &[(f64, f64)]) -> MultiPolygon<f64> {
    let mut ring: Vec<Coord<f64>> = points.iter().map(|&(x, y)| Coord { x, y }).collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
}

fn iou(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let i = a.intersection(b).unsigned_area();
    i / (a.unsigned_area() + b.unsigned_area() - i)
}

#[test]
fn draw_move_undo_redo_delete_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    // 1 screen point per scene pixel around (450, 450).
    let (mut h, written) = demo_viewer(dir.path(), 1.0);

    let before = h.render().unwrap();
    // Draw two footprints: D, click the corners, Enter.
    key(&mut h, egui::Modifiers::NONE, egui::Key::D);
    assert_eq!(h.state().tool(), Tool::Draw);
    let first = [
        (400.0, 400.0),
        (460.0, 400.0),
        (460.0, 450.0),
        (400.0, 450.0),
    ];
    for (x, y) in first {
        click_scene(&mut h, x, y);
    }
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    let second = [(500.0, 500.0), (540.0, 500.0), (540.0, 530.0)];
    for (x, y) in second {
        click_scene(&mut h, x, y);
    }
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    let areas = area(&h);
    assert_eq!(areas.len(), 2, "{areas:?}");
    assert!(
        (areas[0] - 3000.0).abs() < 1.0 && (areas[1] - 600.0).abs() < 1.0,
        "{areas:?}"
    );
    // On screen: the first in the score's colour (no truth under it: a red false positive),
    // the second, selected, in yellow: look at the middle of their top edges.
    let drawn = h.render().unwrap();
    let near = |x: f64, y: f64, colour: [u8; 3]| {
        let at = h.state().screen_from_scene(x, y);
        (-2..=2).any(|d: i32| {
            let p = drawn.get_pixel(at.x as u32, (at.y as i32 + d) as u32).0;
            (0..3).all(|k| p[k].abs_diff(colour[k]) < 40)
        })
    };
    assert!(
        near(430.0, 400.0, [240, 60, 60]),
        "the first footprint is not drawn red"
    );
    assert!(
        near(520.0, 500.0, [255, 255, 0]),
        "the selected one is not yellow"
    );
    assert!(count_colour(&drawn, [240, 60, 60]) > count_colour(&before, [240, 60, 60]));

    // Edit: select the first, drag its corner (460, 450) to (480, 470).
    key(&mut h, egui::Modifiers::NONE, egui::Key::E);
    click_scene(&mut h, 430.0, 420.0);
    drag_scene(&mut h, (460.0, 450.0), (480.0, 470.0));
    let moved = polygon(&[
        (400.0, 400.0),
        (460.0, 400.0),
        (480.0, 470.0),
        (400.0, 450.0),
    ]);
    assert!(
        (area(&h)[0] - moved.unsigned_area()).abs() < 1.0,
        "{:?}",
        area(&h)
    );

    // Undo twice (the move, then the second footprint), redo once (the second is back).
    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    assert_eq!(area(&h).len(), 1);
    assert!((area(&h)[0] - 3000.0).abs() < 1.0);
    key(
        &mut h,
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    assert_eq!(area(&h).len(), 2);

    // Delete the first footprint: select it, Delete (the pointer is off its vertices).
    click_scene(&mut h, 430.0, 420.0);
    key(&mut h, egui::Modifiers::NONE, egui::Key::Delete);
    let shown = shown_edits(&h);
    assert_eq!(shown.len(), 1);
    assert!((shown[0].unsigned_area() - 600.0).abs() < 1.0);

    // Split the triangle along x = 520 (S, two clicks): 150 + 450 px; merge the pieces again
    // (click one, Shift+click the other, M): 600 px in one footprint.
    click_scene(&mut h, 530.0, 505.0);
    key(&mut h, egui::Modifiers::NONE, egui::Key::S);
    assert_eq!(h.state().tool(), Tool::Split);
    click_scene(&mut h, 520.0, 490.0);
    click_scene(&mut h, 520.0, 540.0);
    let mut pieces = area(&h);
    pieces.sort_by(f64::total_cmp);
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    assert!(
        (pieces[0] - 150.0).abs() < 0.5 && (pieces[1] - 450.0).abs() < 0.5,
        "{pieces:?}"
    );
    assert_eq!(h.state().tool(), Tool::Edit);
    click_scene(&mut h, 515.0, 503.0);
    let at = h.state().screen_from_scene(535.0, 510.0);
    h.hover_at(at);
    h.step();
    h.event_modifiers(
        egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: egui::Modifiers::SHIFT,
        },
        egui::Modifiers::SHIFT,
    );
    h.step();
    h.event_modifiers(
        egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: egui::Modifiers::SHIFT,
        },
        egui::Modifiers::SHIFT,
    );
    settle(&mut h);
    key(&mut h, egui::Modifiers::NONE, egui::Key::M);
    assert_eq!(
        area(&h).len(),
        1,
        "{:?} {:?}",
        area(&h),
        h.state().edit_message()
    );
    assert!((area(&h)[0] - 600.0).abs() < 0.5);

    // Locked (the checkbox of the edits, the last layer listed), the layer refuses edits.
    h.get_all_by_label("locked").last().unwrap().click();
    settle(&mut h);
    key(&mut h, egui::Modifiers::NONE, egui::Key::Delete);
    assert_eq!(area(&h).len(), 1);
    let message = h.state().edit_message().unwrap_or_default().to_string();
    assert!(message.contains("locked"), "{message:?}");
    h.get_all_by_label("locked").last().unwrap().click();
    settle(&mut h);

    // What is saved beside the scene is what the screen shows, exported by the CLI too.
    let sidecar = written.tif.with_file_name("synth_s0_0000.edits.gpkg");
    assert!(sidecar.is_file());
    let exported = dir.path().join("edits.csv");
    let out = crate::common::sarscope(&[
        std::ffi::OsStr::new("export"),
        std::ffi::OsStr::new("--in"),
        sidecar.as_os_str(),
        std::ffi::OsStr::new("--out"),
        exported.as_os_str(),
        std::ffi::OsStr::new("--scene"),
        written.tif.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let rows = sarscope::io::read_spacenet_csv(&exported).unwrap();
    let shown_now = shown_edits(&h);
    assert_eq!(rows.len(), shown_now.len());
    for (row, p) in rows.iter().zip(&shown_now) {
        assert!(iou(&row.polygon, p) >= 0.9999);
    }

    // Export from the app: the GeoPackage holds what the screen shows, with its IoU and area.
    let gpkg = dir.path().join("from_app.gpkg");
    assert_eq!(
        h.state().export(&gpkg, false).map_err(|e| e.to_string()),
        Ok(shown_now.len())
    );
    // And in longitude/latitude: the demo lies near Rotterdam (4.3 E, 51.9 N).
    let wgs84 = dir.path().join("from_app.geojson");
    assert_eq!(
        h.state().export(&wgs84, true).map_err(|e| e.to_string()),
        Ok(shown_now.len())
    );
    let lonlat = sarscope::io::read_footprints(&wgs84).unwrap();
    let r = geo::BoundingRect::bounding_rect(&lonlat.items[0].polygon).unwrap();
    assert!(
        r.min().x > 4.0 && r.max().x < 4.6 && r.min().y > 51.7 && r.max().y < 52.1,
        "{r:?}"
    );
    assert!(h.state().export(&dir.path().join("x.csv"), true).is_err());
    let exported = sarscope::io::read_footprints(&gpkg).unwrap();
    assert_eq!(exported.items.len(), shown_now.len());
    let f = &exported.items[0];
    assert!(f.iou.is_some(), "IoU with its match is kept");
    assert!(
        (f.area_m2.unwrap() - 600.0 * 0.25).abs() < 1.0,
        "600 px of 0.5 m: {f:?}"
    );
    assert_eq!(f.source, "edited");

    // The session dies without closing (no destructor, no save at exit) once the journal's
    // writer has caught up: reopening the scene brings back every edit that was on screen.
    h.state().wait_edits_saved();
    std::mem::forget(h);
    let reopened = load_scene(std::slice::from_ref(&written.tif)).unwrap();
    let restored = reopened.edits.expect("the edits come back");
    assert_eq!(restored.footprints.len(), shown_now.len());
    for (f, p) in restored.footprints.iter().zip(&shown_now) {
        assert!(iou(&f.polygon, p) >= 0.9999);
    }
}

#[test]
fn drawn_points_snap_to_the_ground_truth_unless_ctrl_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_viewer(dir.path(), 0.5);
    let corner = h.state().scene().layers[0].footprints[0].polygon.0[0]
        .exterior()
        .0[0];
    key(&mut h, egui::Modifiers::NONE, egui::Key::D);
    // 3 and 2 px off a truth corner (3 screen points at this zoom): it lands on the corner.
    // The other two corners lie in the scene's empty strip, far from every footprint.
    click_scene(&mut h, corner.x + 3.0, corner.y + 2.0);
    click_scene(&mut h, corner.x, 880.0);
    click_scene(&mut h, corner.x + 30.0, 880.0);
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    let drawn = h.state().edits().unwrap().footprints()[0].polygon.0[0]
        .exterior()
        .0[0];
    assert_eq!((drawn.x, drawn.y), (corner.x, corner.y));

    // With Ctrl held the point stays where it was clicked.
    let at = h.state().screen_from_scene(corner.x + 3.0, corner.y + 2.0);
    h.hover_at(at);
    h.step();
    for pressed in [true, false] {
        h.event_modifiers(
            egui::Event::PointerButton {
                pos: at,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::COMMAND,
            },
            egui::Modifiers::COMMAND,
        );
        h.step();
    }
    settle(&mut h);
    click_scene(&mut h, corner.x + 60.0, 880.0);
    click_scene(&mut h, corner.x + 90.0, 880.0);
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    let footprints = h.state().edits().unwrap().footprints();
    assert_eq!(footprints.len(), 2, "{:?}", h.state().edit_message());
    let free = footprints[1].polygon.0[0].exterior().0[0];
    assert!(
        (free.x - corner.x - 3.0).abs() < 0.01 && (free.y - corner.y - 2.0).abs() < 0.01,
        "{free:?} vs {corner:?}"
    );
}

#[test]
fn a_building_is_re_vectorized_from_the_probability_map() {
    use geo::InteriorPoint;
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_viewer(dir.path(), 1.0);
    // A probability map: 0.9 on the ground truth, 0.6 on a 2 px ring around it, 0.1 elsewhere.
    let truth: Vec<MultiPolygon<f64>> = h.state().scene().layers[0]
        .footprints
        .iter()
        .map(|f| f.polygon.clone())
        .collect();
    let inside = sarscope::vector::rasterize(&truth, 900, 900);
    let mut values: Vec<f32> = inside.iter().map(|b| if *b { 0.9 } else { 0.1 }).collect();
    for y in 0..900usize {
        for x in 0..900usize {
            let near = (y.saturating_sub(2)..(y + 3).min(900))
                .any(|yy| (x.saturating_sub(2)..(x + 3).min(900)).any(|xx| inside[yy * 900 + xx]));
            if near && !inside[y * 900 + x] {
                values[y * 900 + x] = 0.6;
            }
        }
    }
    let probs_path = dir.path().join("probs.tif");
    let planes = sarscope::raster::Planes::new(900, 900, vec![values], &[]);
    sarscope::raster::write_geotiff(&probs_path, &planes, &Default::default()).unwrap();
    h.state_mut().set_probabilities(&probs_path).unwrap();
    // F1 of the map against the truth, re-vectorized at each threshold: every building is found
    // between the ring (0.6) and the buildings (0.9); at 0.05 the map is one blob.
    // The curve is computed off the UI thread: frames go on meanwhile.
    let started = std::time::Instant::now();
    while h.state().probability_curve_pending() && started.elapsed().as_secs() < 120 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let curve = h.state().probability_curve().unwrap().to_vec();
    let at = |t: f64| curve.iter().find(|c| (c.0 - t).abs() < 1e-6).unwrap().1;
    assert!(at(0.7) > 0.9, "{curve:?}");
    assert!(at(0.05) < 0.1, "{curve:?}");
    assert!(at(0.95) == 0.0, "{curve:?}");

    // A rough 6 x 6 px square drawn inside the largest building.
    let building = truth
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
        .unwrap();
    let p = building.interior_point().unwrap();
    h.state_mut()
        .set_camera(egui::vec2(p.x() as f32, p.y() as f32), 1.0);
    settle(&mut h);
    key(&mut h, egui::Modifiers::NONE, egui::Key::D);
    for (dx, dy) in [(-3.0, -3.0), (3.0, -3.0), (3.0, 3.0), (-3.0, 3.0)] {
        click_scene(&mut h, p.x() + dx, p.y() + dy);
    }
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    assert!((area(&h)[0] - 36.0).abs() < 1.0, "{:?}", area(&h));

    // At 0.7 the outline follows the building; at 0.5 it takes the ring too; undo goes back.
    h.state_mut().revectorize_selected(0.7).unwrap();
    let tight = h.state().edits().unwrap().footprints()[0].polygon.clone();
    assert!(iou(&tight, building) > 0.9, "IoU {}", iou(&tight, building));
    h.state_mut().revectorize_selected(0.5).unwrap();
    let loose = area(&h)[0];
    assert!(
        loose > tight.unsigned_area() * 1.05,
        "{loose} vs {}",
        tight.unsigned_area()
    );
    key(&mut h, egui::Modifiers::COMMAND, egui::Key::Z);
    assert!((area(&h)[0] - tight.unsigned_area()).abs() < 1e-9);
    let conf = h.state().edits().unwrap().footprints()[0]
        .confidence
        .unwrap();
    assert!(
        (conf - 0.9).abs() < 1e-6,
        "mean probability of the building: {conf}"
    );

    // A map of the wrong size is refused.
    let small = dir.path().join("small.tif");
    let planes = sarscope::raster::Planes::new(10, 10, vec![vec![0.5; 100]], &[]);
    sarscope::raster::write_geotiff(&small, &planes, &Default::default()).unwrap();
    let err = h
        .state_mut()
        .set_probabilities(&small)
        .unwrap_err()
        .to_string();
    assert!(err.contains("10x10"), "{err}");
}

/// At the app's default size (1280x860) the annotator's tools, undo/redo and Export sit on a
/// strip always in view, their shortcuts shown, and the strip's buttons work.
#[test]
fn the_tools_are_in_view_at_the_default_size_with_their_shortcuts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = demo_viewer(dir.path(), 1.0);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 860.0));
    for label in [
        "navigate N",
        "edit E",
        "draw D",
        "split S",
        "undo Ctrl+Z",
        "redo Ctrl+Shift+Z",
        "Export…",
    ] {
        let rect = h.get_by_label(label).rect();
        assert!(window.contains_rect(rect), "{label} at {rect:?}");
    }
    h.get_by_label("draw D").click();
    settle(&mut h);
    assert_eq!(h.state().tool(), Tool::Draw);
    for (x, y) in [(400.0, 400.0), (440.0, 400.0), (440.0, 430.0)] {
        click_scene(&mut h, x, y);
    }
    key(&mut h, egui::Modifiers::NONE, egui::Key::Enter);
    assert_eq!(area(&h).len(), 1);
    h.get_by_label("undo Ctrl+Z").click();
    settle(&mut h);
    assert_eq!(area(&h).len(), 0);
    h.get_by_label("redo Ctrl+Shift+Z").click();
    settle(&mut h);
    assert_eq!(area(&h).len(), 1);
}
