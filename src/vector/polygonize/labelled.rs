//! A label image -> building polygons, the way the SN6 winner turns its watershed regions into
//! footprints (`test_postprocess_single` of `1-zbigniewwojna/main.py`): each 4-connected part
//! of each label outlined on pixel edges (`rasterio.features.shapes`), buffered by half a pixel
//! with round joins (shapely's `buffer(0.5)`), kept when the buffered area reaches the minimum,
//! simplified (`simplify(0.5)`) and written with whole-pixel coordinates (`dumps(...,
//! rounding_precision=0)`, which rounds halves to even).
//!
//! One difference on purpose: the winner casts its labels to `uint8` before outlining, so on a
//! tile of 256 buildings or more every 256th one (label 256, 512, ...: 0 after the cast) is
//! lost and the rest share values; here every label keeps its buildings.

use super::components::group_runs_by;
use super::runs::Run;
use super::trace::trace_runs;
use super::{TracedBuilding, geos, sum_f64};
use crate::vector::is_valid_polygon;

use geo::{
    Area, BooleanOps, Buffer, Coord, LineString, MapCoords, Polygon, RemoveRepeatedPoints, Simplify,
};
use serde::Serialize;

/// How labelled regions become footprints. The defaults are the SN6 winner's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OutlineParams {
    /// Each outline grows by this many pixels, with round joins (the winner: 0.5).
    pub buffer: f64,
    /// Buffered outlines of a smaller area (px^2) are dropped (the winner: 80).
    pub min_area: f64,
    /// Douglas-Peucker tolerance in pixels after buffering (the winner: 0.5).
    pub simplify: f64,
    /// Coordinates rounded to whole pixels, halves to even (the winner's WKT has no decimals).
    pub round: bool,
}

impl Default for OutlineParams {
    fn default() -> Self {
        Self {
            buffer: 0.5,
            min_area: 80.0,
            simplify: 0.5,
            round: true,
        }
    }
}

/// The runs of a label image, row by row: a run is a stretch of one non-zero label. Also the
/// index of each row's first run (one more at the end) and each run's label.
fn label_runs(labels: &[u32], width: usize, height: usize) -> (Vec<Run>, Vec<usize>, Vec<u32>) {
    let (mut runs, mut row_start, mut run_label) = (Vec::new(), Vec::new(), Vec::new());
    for y in 0..height {
        row_start.push(runs.len());
        let row = labels.get(y * width..(y + 1) * width).unwrap_or(&[]);
        let mut x = 0;
        while x < row.len() {
            let label = row[x];
            let start = x;
            while x < row.len() && row[x] == label {
                x += 1;
            }
            if label != 0 {
                runs.push((y, start, x));
                run_label.push(label);
            }
        }
    }
    row_start.push(runs.len());
    (runs, row_start, run_label)
}

/// Footprints of a label image (`width` x `height`, row-major, 0 = background): one per
/// 4-connected part of each label, in raster order of the parts' first pixels. `probs` (the
/// same size, or empty) gives each footprint's confidence, its pixels' mean probability; 1
/// without it, as the winner writes.
pub fn outline_labels(
    labels: &[u32],
    probs: &[f32],
    width: usize,
    height: usize,
    params: OutlineParams,
) -> Vec<TracedBuilding> {
    let (runs, row_start, run_label) = label_runs(labels, width, height);
    let parts = group_runs_by(&runs, &row_start, |a, b| {
        run_label.get(a) == run_label.get(b)
    });
    let with_probs = probs.len() == labels.len() && labels.len() == width * height;
    let mut buildings = Vec::new();
    for part in parts {
        let pixels: usize = part.iter().map(|&(_, x0, x1)| x1 - x0).sum();
        let Some(polygon) = footprint(trace_runs(&part), params) else {
            continue;
        };
        let confidence = if with_probs {
            let sum: f64 = part
                .iter()
                .filter_map(|&(y, x0, x1)| probs.get(y * width + x0..y * width + x1))
                .map(sum_f64)
                .sum();
            sum / pixels.max(1) as f64
        } else {
            1.0
        };
        buildings.push(TracedBuilding {
            id: buildings.len(),
            area_px: polygon.unsigned_area(),
            polygon,
            confidence,
            pixels,
            first_pixel: super::first_pixel(&part),
        });
    }
    buildings
}

/// One traced outline buffered, filtered, simplified and rounded; `None` when it is dropped.
fn footprint(traced: Polygon<f64>, params: OutlineParams) -> Option<Polygon<f64>> {
    let ordered = geos::rasterio_order(&traced);
    let (grown, replayed) = if params.buffer > 0.0 {
        match replay_buffer(&ordered, params.buffer) {
            Some(p) => (p, true),
            None => match geos::folded_buffer(&ordered, params.buffer) {
                Some(p) => (p, true),
                None => (largest(ordered.buffer(params.buffer).0)?, false),
            },
        }
    } else {
        (ordered, true)
    };
    if grown.unsigned_area() < params.min_area {
        return None;
    }
    let simplified = if params.simplify > 0.0 {
        let replay = replayed.then(|| {
            Polygon::new(
                geos::simplify_ring(grown.exterior(), params.simplify),
                grown
                    .interiors()
                    .iter()
                    .map(|h| geos::simplify_ring(h, params.simplify))
                    .collect(),
            )
        });
        match replay {
            Some(p) if is_valid_polygon(&p) => p,
            _ => grown.simplify(params.simplify),
        }
    } else {
        grown.clone()
    };
    if !params.round {
        return Some(simplified);
    }
    let rounded = simplified
        .map_coords(|c| Coord {
            x: c.x.round_ties_even(),
            y: c.y.round_ties_even(),
        })
        .remove_repeated_points();
    if is_valid_polygon(&rounded) {
        return Some(rounded);
    }
    // Rounding can fold a thin part onto itself (shapely writes such WKT as it is): then its
    // region by the non-zero rule through geo's overlay (geo's make_valid panics on some of
    // these rings), its largest part; else the outline before rounding or simplifying.
    let region = rounded.boolean_op_with_fill_rule(
        &geo::MultiPolygon::<f64>(vec![]),
        geo::algorithm::bool_ops::OpType::Union,
        geo::algorithm::bool_ops::FillRule::NonZero,
    );
    largest(region.0)
        .filter(|p| p.exterior().0.len() >= 4 && is_valid_polygon(p))
        .or_else(|| [simplified, grown].into_iter().find(is_valid_polygon))
}

/// GEOS's buffer of a rasterio-ordered outline, replayed ring by ring ([`geos::offset_ring`]);
/// a hole a pixel wide closes, as GEOS closes it. `None` where the replay does not hold: an
/// offset ring that folds onto itself or a hole that collapses in part.
fn replay_buffer(ordered: &Polygon<f64>, distance: f64) -> Option<Polygon<f64>> {
    let exterior = geos::offset_ring(ordered.exterior(), distance)?;
    let mut holes = Vec::new();
    for hole in ordered.interiors() {
        let shrunk = geos::offset_ring(hole, distance)?;
        // Wound as the hole was (negative in x-right, y-up terms) while it keeps an area.
        let area = crate::vector::twice_signed_area(&shrunk.0);
        let before = crate::vector::twice_signed_area(&hole.0);
        if area == 0.0 || area.signum() != before.signum() {
            // Closed: every side moved onto its opposite (a hole one pixel across).
            let (w, h) = extent(hole);
            if w.min(h) <= 2.0 * distance {
                continue;
            }
            return None;
        }
        holes.push(shrunk);
    }
    let grown = Polygon::new(exterior, holes);
    is_valid_polygon(&grown).then_some(grown)
}

/// Width and height of a ring's bounding box.
fn extent(ring: &LineString<f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for c in &ring.0 {
        lo = Coord {
            x: lo.x.min(c.x),
            y: lo.y.min(c.y),
        };
        hi = Coord {
            x: hi.x.max(c.x),
            y: hi.y.max(c.y),
        };
    }
    (hi.x - lo.x, hi.y - lo.y)
}

/// The polygon of largest area, holes that collapsed to nothing left out.
fn largest(polygons: Vec<Polygon<f64>>) -> Option<Polygon<f64>> {
    let best = polygons
        .into_iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    let (exterior, holes) = best.into_inner();
    let holes: Vec<LineString<f64>> = holes.into_iter().filter(|h| h.0.len() >= 4).collect();
    Some(Polygon::new(exterior, holes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels_of(rows: &[&str]) -> (Vec<u32>, usize, usize) {
        let (w, h) = (rows[0].len(), rows.len());
        let labels = rows
            .iter()
            .flat_map(|r| {
                r.bytes()
                    .map(|b| if b == b'.' { 0 } else { u32::from(b - b'0') })
            })
            .collect();
        (labels, w, h)
    }

    #[test]
    fn touching_labels_are_separate_footprints() {
        let (labels, w, h) = labels_of(&["1122", "1122", "1133"]);
        let plain = OutlineParams {
            buffer: 0.0,
            min_area: 0.0,
            simplify: 0.0,
            round: false,
        };
        let got = outline_labels(&labels, &[], w, h, plain);
        assert_eq!(got.len(), 3);
        let areas: Vec<f64> = got.iter().map(|b| b.area_px).collect();
        assert_eq!(areas, vec![6.0, 4.0, 2.0]);
        assert!(got.iter().all(|b| b.confidence == 1.0));
        // One label in two diagonal parts is two footprints (rasterio's 4-connectivity).
        let (labels, w, h) = labels_of(&["1.", ".1"]);
        assert_eq!(outline_labels(&labels, &[], w, h, plain).len(), 2);
    }

    #[test]
    fn a_square_comes_out_as_shapely_writes_it() {
        // A 10 x 10 square at (3, 4). shapely, from rasterio's ring:
        // dumps(Polygon([(3,4),(3,14),(13,14),(13,4)]).buffer(.5).simplify(.5),
        //       rounding_precision=0) == "POLYGON ((3 4, 3 14, 13 14, 13 4, 3 4))"
        let (w, h) = (20, 20);
        let labels: Vec<u32> = (0..w * h)
            .map(|i| u32::from((3..13).contains(&(i % w)) && (4..14).contains(&(i / w))))
            .collect();
        let probs = vec![0.75f32; w * h];
        let got = outline_labels(&labels, &probs, w, h, OutlineParams::default());
        assert_eq!(got.len(), 1);
        let b = &got[0];
        assert_eq!(b.pixels, 100);
        assert!((b.confidence - 0.75).abs() < 1e-9);
        let ring: Vec<(f64, f64)> = b.polygon.exterior().0.iter().map(|c| (c.x, c.y)).collect();
        assert_eq!(
            ring,
            vec![(3., 4.), (3., 14.), (13., 14.), (13., 4.), (3., 4.)]
        );
        // Too small once buffered: dropped.
        let tiny = OutlineParams {
            min_area: 130.0,
            ..OutlineParams::default()
        };
        assert!(outline_labels(&labels, &probs, w, h, tiny).is_empty());
    }

    /// Ragged random regions (a network's maps, not houses): every footprint valid, none
    /// lost to a panic (geo's make_valid panicked on such rings).
    #[test]
    fn ragged_random_regions_give_valid_footprints() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(25);
        let (w, h) = (48, 40);
        let mut total = 0;
        for _ in 0..60 {
            // Three labels scattered in blobs with holes and one-pixel notches.
            let centres: Vec<(f64, f64, u32)> = (0..4)
                .map(|k| {
                    (
                        rng.random_range(0.0..48.0),
                        rng.random_range(0.0..40.0),
                        k % 3 + 1,
                    )
                })
                .collect();
            let labels: Vec<u32> = (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as f64, (i / w) as f64);
                    let (cx, cy, l) = centres
                        .iter()
                        .copied()
                        .min_by(|a, b| {
                            ((a.0 - x).hypot(a.1 - y)).total_cmp(&(b.0 - x).hypot(b.1 - y))
                        })
                        .unwrap_or((0.0, 0.0, 0));
                    let near = (cx - x).hypot(cy - y) < 14.0;
                    if near && rng.random_bool(0.9) { l } else { 0 }
                })
                .collect();
            for b in outline_labels(&labels, &[], w, h, OutlineParams::default()) {
                assert!(
                    crate::vector::is_valid_polygon(&b.polygon),
                    "{:?}",
                    b.polygon
                );
                total += 1;
            }
        }
        assert!(total > 60, "{total}");
    }
}
