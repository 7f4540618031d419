//! Right-angle regularization against shapes rasterized and traced by rasterio, and shapely's
//! minimum rotated rectangles (tests/fixtures/make_regularize_golden.py).

use geo::{Area, MultiPolygon, Polygon};
use sarscope::eval::iou;
use sarscope::io::parse_polygon_wkt;
use sarscope::vector::{RegularizeParams, dominant_direction, regularize};
use serde_json::Value;

use crate::common::fixture;

/// The largest difference from 90° of any corner of `polygon`'s exterior, in degrees.
pub fn worst_corner(polygon: &Polygon<f64>) -> f64 {
    let mut p = polygon.exterior().0.clone();
    p.pop();
    let n = p.len();
    (0..n)
        .map(|i| {
            let (a, b, c) = (p[(i + n - 1) % n], p[i], p[(i + 1) % n]);
            let (u, v) = ((a.x - b.x, a.y - b.y), (c.x - b.x, c.y - b.y));
            let angle = (u.0 * v.1 - u.1 * v.0).abs().atan2(u.0 * v.0 + u.1 * v.1);
            (angle.to_degrees() - 90.0).abs()
        })
        .fold(0.0, f64::max)
}

fn one(p: &Polygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![p.clone()])
}

/// Degrees between two directions taken modulo 90°.
fn apart_mod_90(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(90.0);
    d.min(90.0 - d)
}

#[test]
fn straightened_outlines_are_square_keep_their_area_and_fit_the_shape_better() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("regularize_golden.json")).unwrap())
            .unwrap();
    let params = RegularizeParams::default();
    let mut report = Vec::new();
    for (kind, ragged) in [
        ("rectangle", false),
        ("rectangle", true),
        ("l_shape", false),
        ("l_shape", true),
        ("real", false),
    ] {
        let cases: Vec<&Value> = golden["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == kind && c["ragged"] == ragged)
            .collect();
        assert!(cases.len() >= 30, "{kind}: {} cases", cases.len());
        let (mut traced_sum, mut ours_sum, mut refused) = (0.0, 0.0, 0);
        let (mut mrr_sum, mut worst_angle, mut mrr_angle_off) = (0.0, 0.0f64, 0.0f64);
        let mut more_corners = 0;
        for c in &cases {
            let truth = parse_polygon_wkt(c["truth"].as_str().unwrap()).unwrap();
            let traced = parse_polygon_wkt(c["traced"].as_str().unwrap()).unwrap();
            let traced_iou = c["traced_iou"].as_f64().unwrap();
            // Our IoU of the traced outline is shapely's.
            let ours_traced = iou(&traced, &truth);
            assert!(
                (ours_traced - traced_iou).abs() < 1e-6,
                "{kind}: {ours_traced} against shapely's {traced_iou}"
            );
            let outline = &traced.0[0];
            let straight = match regularize(outline, params) {
                Ok(p) => p,
                Err(e) => {
                    // Refused: the outline is kept as traced, and says why.
                    assert!(!e.to_string().is_empty());
                    refused += 1;
                    traced_sum += traced_iou;
                    ours_sum += traced_iou;
                    continue;
                }
            };
            assert!(worst_corner(&straight) < 1.0, "{kind}: {straight:?}");
            let change = (straight.unsigned_area() / outline.unsigned_area() - 1.0).abs();
            assert!(change <= params.max_area_change + 1e-12);
            let ours = iou(&one(&straight), &truth);
            if kind == "real" {
                // Real footprints are not all rectangular: one straightened is still close.
                assert!(
                    ours > traced_iou - 0.2,
                    "{traced_iou} traced, {ours} straightened"
                );
            }
            traced_sum += traced_iou;
            ours_sum += ours;
            if let Some(truth_angle) = c["truth_angle"].as_f64() {
                // The direction the sides were turned to is the shape's.
                let ours_angle = dominant_direction(&straight.exterior().0)
                    .unwrap()
                    .to_degrees();
                let limit = if ragged { 5.0 } else { 2.0 };
                let off = apart_mod_90(ours_angle, truth_angle);
                assert!(
                    off < limit,
                    "{kind}: turned to {ours_angle}°, the shape is at {truth_angle}°"
                );
                worst_angle = worst_angle.max(off);
            }
            if kind == "rectangle" {
                if straight.exterior().0.len() != 5 {
                    more_corners += 1;
                }
                let mrr = parse_polygon_wkt(c["mrr"].as_str().unwrap()).unwrap();
                // shapely's minimum rotated rectangle of the traced outline, as a reference fit.
                let mrr_iou = c["mrr_iou"].as_f64().unwrap();
                assert!((iou(&mrr, &truth) - mrr_iou).abs() < 1e-6);
                mrr_sum += mrr_iou;
                mrr_angle_off = mrr_angle_off.max(apart_mod_90(
                    c["mrr_angle"].as_f64().unwrap(),
                    c["truth_angle"].as_f64().unwrap(),
                ));
            }
        }
        let n = cases.len() as f64;
        let (before, after) = (traced_sum / n, ours_sum / n);
        report.push(format!(
            "{kind}{}: {} outlines, mean IoU with the shape {before:.4} traced, {after:.4} \
             straightened, {refused} refused (kept as traced){}",
            if ragged { " (ragged)" } else { "" },
            cases.len(),
            if kind == "real" {
                String::new()
            } else {
                format!("; direction off by at most {worst_angle:.2}°")
            }
        ));
        if kind == "rectangle" {
            let mrr = mrr_sum / n;
            report.push(format!("  {more_corners} with more than four corners"));
            // A ragged mask may keep a real notch of a metre or more; a clean one never.
            assert!(
                more_corners <= if ragged { 2 } else { 0 },
                "{}",
                report.join("\n")
            );
            report.push(format!(
                "  shapely's minimum rotated rectangle: mean IoU {mrr:.4}, direction off by at \
                 most {mrr_angle_off:.2}°"
            ));
            assert!(after > mrr, "{}", report.join("\n"));
        }
        // Right angles never lower the mean fit to rectilinear shapes, and straighten them all.
        if kind != "real" {
            assert!(after >= before, "{}", report.join("\n"));
            assert_eq!(refused, 0, "{}", report.join("\n"));
        }
    }
    println!("{}", report.join("\n"));
}
