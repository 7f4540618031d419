//! Footprint layers over a scene: ground truth found beside it or opened, predictions, and
//! their live score with the SpaceNet metric. All in the scene's pixel coordinates.

pub mod compare;
pub mod edit;
pub mod journal;
pub mod revectorize;
pub mod review;

use std::path::{Path, PathBuf};

use geo::MultiPolygon;

use crate::eval::{Counts, EvalParams, ImageEval, evaluate_image};
use crate::io::{Footprint, IoError, SceneGrid, read_footprints};

/// What a layer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Truth,
    Predictions,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Self::Truth => "ground truth",
            Self::Predictions => "predictions",
        }
    }
}

/// Footprints drawn over the scene.
#[derive(Clone, Debug)]
pub struct Layer {
    pub role: Role,
    /// The file it came from.
    pub path: PathBuf,
    /// Pixel coordinates of the scene.
    pub footprints: Vec<Footprint>,
    pub visible: bool,
    /// A locked layer refuses edits.
    pub locked: bool,
    /// Outline width in screen points.
    pub width: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error(transparent)]
    Read(#[from] IoError),
    #[error("{}: {reason}", path.display())]
    Place { path: PathBuf, reason: String },
}

impl Layer {
    /// Reads `path` (GeoJSON, SpaceNet CSV or GeoPackage) onto the scene of `grid`. A CSV is
    /// already in pixels; other files need the grid (and are reprojected onto its CRS).
    pub fn open(path: &Path, role: Role, grid: Option<&SceneGrid>) -> Result<Self, LayerError> {
        let set = read_footprints(path)?;
        let place = |reason: String| LayerError::Place {
            path: path.to_path_buf(),
            reason,
        };
        let set = match (set.space, grid) {
            (crate::io::Space::Pixel, _) => set,
            (_, Some(grid)) => set.into_pixel(grid).map_err(|e| place(e.to_string()))?,
            (_, None) => {
                return Err(place(
                    "its footprints are in a CRS and the scene has no geotransform".into(),
                ));
            }
        };
        Ok(Self {
            role,
            path: path.to_path_buf(),
            footprints: set.items,
            visible: true,
            locked: role == Role::Truth,
            width: 1.5,
        })
    }

    pub fn polygons(&self) -> Vec<MultiPolygon<f64>> {
        self.footprints.iter().map(|f| f.polygon.clone()).collect()
    }
}

/// The ground truth that belongs to a scene, if it lies beside it: `NAME.geojson` or
/// `NAME.csv` next to `NAME.tif`, or for an SN6 tile the `Buildings` GeoJSON of the same strip
/// and tile in the same folder or in a sibling `geojson_buildings` folder.
pub fn find_truth(scene_file: &Path) -> Option<PathBuf> {
    let stem = scene_file.file_stem()?.to_string_lossy().into_owned();
    let dir = scene_file.parent().unwrap_or(Path::new("."));
    let mut candidates = vec![
        dir.join(format!("{stem}.geojson")),
        dir.join(format!("{stem}.csv")),
    ];
    if stem.contains("_SAR-Intensity_") {
        let name = format!("{}.geojson", stem.replace("_SAR-Intensity_", "_Buildings_"));
        candidates.push(dir.join(&name));
        if let Some(up) = dir.parent() {
            candidates.push(up.join("geojson_buildings").join(&name));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// How predictions fare against the ground truth, per footprint and in total.
#[derive(Clone, Debug, Default)]
pub struct Scoring {
    pub eval: ImageEval,
    /// Per prediction: `Some((matched truth, IoU))` when it took part (above the minimum area).
    pub predictions: Vec<Option<(Option<usize>, f64)>>,
    /// Per truth footprint: `Some(true)` matched, `Some(false)` missed, `None` too small.
    pub truth: Vec<Option<bool>>,
}

impl Scoring {
    /// The SpaceNet metric of `predictions` against `truth` (confidence 1 where a prediction
    /// has none).
    pub fn compute(truth: &Layer, predictions: &Layer, params: EvalParams) -> Self {
        let truth_polygons = truth.polygons();
        let proposals: Vec<(MultiPolygon<f64>, f64)> = predictions
            .footprints
            .iter()
            .map(|f| (f.polygon.clone(), f.confidence.unwrap_or(1.0)))
            .collect();
        let eval = evaluate_image(&truth_polygons, &proposals, params);
        let mut per_prediction = vec![None; proposals.len()];
        let mut per_truth: Vec<Option<bool>> = vec![None; truth_polygons.len()];
        for m in &eval.proposals {
            if let Some(slot) = per_prediction.get_mut(m.proposal) {
                *slot = Some((m.truth, m.iou));
            }
            if let Some(t) = m.truth.and_then(|t| per_truth.get_mut(t)) {
                *t = Some(true);
            }
        }
        for &t in &eval.missed {
            if let Some(slot) = per_truth.get_mut(t) {
                *slot = Some(false);
            }
        }
        Self {
            eval,
            predictions: per_prediction,
            truth: per_truth,
        }
    }

    pub fn counts(&self) -> Counts {
        self.eval.counts
    }
}

/// F1 when only predictions with a confidence of at least each threshold are kept.
pub fn f1_by_confidence(
    truth: &Layer,
    predictions: &Layer,
    params: EvalParams,
    thresholds: &[f64],
) -> Vec<(f64, f64)> {
    Scoring::compute(truth, predictions, params)
        .f1_by_confidence(predictions, thresholds)
        .unwrap_or_else(|| f1_by_confidence_each(truth, predictions, params, thresholds))
}

/// [`f1_by_confidence`] the long way: the predictions kept at each threshold scored anew.
fn f1_by_confidence_each(
    truth: &Layer,
    predictions: &Layer,
    params: EvalParams,
    thresholds: &[f64],
) -> Vec<(f64, f64)> {
    thresholds
        .iter()
        .map(|&t| {
            let kept = Layer {
                footprints: predictions
                    .footprints
                    .iter()
                    .filter(|f| f.confidence.unwrap_or(1.0) >= t)
                    .cloned()
                    .collect(),
                ..predictions.clone()
            };
            (t, Scoring::compute(truth, &kept, params).counts().f1())
        })
        .collect()
}

impl Scoring {
    /// F1 when only `predictions` (those this scoring scored) with a confidence of at least
    /// each threshold are kept, from this one matching: the metric takes proposals in order of
    /// descending confidence, each matching the best remaining truth, so those kept at a
    /// threshold are a prefix of that order and are matched exactly as here. `None` when a
    /// confidence is NaN (first in that order, yet never kept) or `predictions` are not the
    /// ones scored.
    pub fn f1_by_confidence(
        &self,
        predictions: &Layer,
        thresholds: &[f64],
    ) -> Option<Vec<(f64, f64)>> {
        let confidences: Vec<f64> = predictions
            .footprints
            .iter()
            .map(|f| f.confidence.unwrap_or(1.0))
            .collect();
        if confidences.len() != self.predictions.len() || confidences.iter().any(|c| c.is_nan()) {
            return None;
        }
        // Each scored proposal's confidence and whether it matched, most confident first.
        let mut taken: Vec<(f64, bool)> = self
            .eval
            .proposals
            .iter()
            .filter_map(|m| Some((*confidences.get(m.proposal)?, m.truth.is_some())))
            .collect();
        taken.sort_by(|a, b| b.0.total_cmp(&a.0));
        let truth_counted = self.eval.counts.tp + self.eval.counts.fn_;
        let curve = thresholds
            .iter()
            .map(|&t| {
                let kept = taken.partition_point(|&(c, _)| c >= t);
                let tp = taken[..kept].iter().filter(|&&(_, m)| m).count() as u64;
                let counts = Counts {
                    tp,
                    fp: kept as u64 - tp,
                    fn_: truth_counted - tp,
                };
                (t, counts.f1())
            })
            .collect();
        Some(curve)
    }
}

/// Straightening for a scene's pixels: the tolerances of [`RegularizeParams::for_unit`] at
/// its pixel size, when its grid is in metres (a projected CRS); SN6's 0.5 m otherwise.
pub fn regularize_params(grid: Option<&SceneGrid>) -> crate::vector::RegularizeParams {
    let metric = grid.filter(|g| g.epsg != Some(4326) && g.crs_wkt.is_some());
    let side = metric.map(|g| g.geo_transform.pixel_area().abs().sqrt());
    match side {
        // A pixel of a millimetre to a kilometre: metres, not degrees.
        Some(side) if (1e-3..=1e3).contains(&side) => {
            crate::vector::RegularizeParams::for_unit(side)
        }
        _ => crate::vector::RegularizeParams::default(),
    }
}

/// Straightens every footprint of `footprints` that can be (see [`crate::vector::regularize`]);
/// the others stay as they were. Returns how many were straightened.
pub fn regularize_all(
    footprints: &mut [Footprint],
    params: crate::vector::RegularizeParams,
) -> usize {
    let mut changed = 0;
    for f in footprints {
        if let Ok(polygon) = crate::vector::regularize_multi(&f.polygon, params) {
            f.polygon = polygon;
            changed += 1;
        }
    }
    changed
}

/// Vectorized buildings as a layer's footprints: ids from 1, source "model", the mean
/// probability as confidence, the area in m² when a pixel's area is known.
pub fn model_footprints(
    found: Vec<crate::vector::TracedBuilding>,
    image_id: Option<String>,
    pixel_m2: Option<f64>,
) -> Vec<Footprint> {
    found
        .into_iter()
        .enumerate()
        .map(|(i, f)| Footprint {
            id: (i + 1).to_string(),
            source: "model".into(),
            confidence: Some(f.confidence),
            area_m2: pixel_m2.map(|a| a * f.area_px),
            iou: None,
            image_id: image_id.clone(),
            polygon: MultiPolygon(vec![f.polygon]),
        })
        .collect()
}

/// F1 of the probability map vectorized at each threshold (the baseline's vectorizing: min
/// area 80 px, simplify 0.5), against `truth`. With a three-map network's edge and contact
/// maps (`edge_contact`), the buildings are the SN6 winner's watershed instances flooded above
/// each threshold instead.
pub fn f1_by_probability(
    truth: &Layer,
    probs: &revectorize::Probabilities,
    edge_contact: Option<&[revectorize::Probabilities; 2]>,
    params: EvalParams,
    thresholds: &[f32],
) -> Vec<(f64, f64)> {
    let (w, h) = (probs.width, probs.height);
    thresholds
        .iter()
        .map(|&t| {
            let maps = edge_contact.map(|[edge, contact]| [&edge.values[..], &contact.values[..]]);
            let min_area = crate::vector::VectorizeParams::default().min_area;
            let found = revectorize::buildings_above(&probs.values, maps, (w, h), t, min_area)
                .unwrap_or_default();
            let footprints = model_footprints(found, None, None);
            let predictions = Layer {
                role: Role::Predictions,
                path: PathBuf::new(),
                footprints,
                visible: true,
                locked: false,
                width: 1.5,
            };
            (
                f64::from(t),
                Scoring::compute(truth, &predictions, params).counts().f1(),
            )
        })
        .collect()
}

/// Footprints and layers for the tests of this module's parts.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Layer, Role};
    use crate::io::Footprint;
    use geo::{MultiPolygon, polygon};

    /// A `side` x `side` square footprint at (`x`, `y`), from the model, confidence 0.9.
    pub fn square(id: &str, x: f64, y: f64, side: f64) -> Footprint {
        Footprint {
            id: id.into(),
            source: "model".into(),
            confidence: Some(0.9),
            area_m2: None,
            iou: None,
            image_id: None,
            polygon: MultiPolygon(vec![polygon![
                (x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side),
            ]]),
        }
    }

    /// A visible layer of `footprints` (the ground truth locked).
    pub fn layer(role: Role, footprints: Vec<Footprint>) -> Layer {
        Layer {
            role,
            path: Default::default(),
            footprints,
            visible: true,
            locked: role == Role::Truth,
            width: 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, side: f64, confidence: Option<f64>) -> Footprint {
        let p = geo::Polygon::new(
            geo::LineString::from(vec![
                (x, y),
                (x + side, y),
                (x + side, y + side),
                (x, y + side),
                (x, y),
            ]),
            vec![],
        );
        Footprint {
            id: format!("{x},{y}"),
            source: "test".into(),
            confidence,
            area_m2: None,
            iou: None,
            image_id: None,
            polygon: MultiPolygon(vec![p]),
        }
    }

    fn layer(role: Role, footprints: Vec<Footprint>) -> Layer {
        Layer {
            role,
            path: PathBuf::new(),
            footprints,
            visible: true,
            locked: false,
            width: 1.5,
        }
    }

    #[test]
    fn scoring_marks_each_footprint() {
        let truth = layer(
            Role::Truth,
            vec![square(0.0, 0.0, 20.0, None), square(100.0, 0.0, 20.0, None)],
        );
        let preds = layer(
            Role::Predictions,
            vec![
                square(1.0, 0.0, 20.0, Some(0.9)),   // TP with truth 0
                square(300.0, 0.0, 20.0, Some(0.8)), // FP
                square(0.0, 300.0, 5.0, Some(0.7)),  // under the minimum area: not scored
            ],
        );
        let s = Scoring::compute(&truth, &preds, EvalParams::default());
        let c = s.counts();
        assert_eq!((c.tp, c.fp, c.fn_), (1, 1, 1));
        assert_eq!(s.predictions[0].map(|p| p.0), Some(Some(0)));
        assert!((s.predictions[0].unwrap().1 - 380.0 / 420.0).abs() < 1e-9);
        assert_eq!(s.predictions[1].map(|p| p.0), Some(None));
        assert_eq!(s.predictions[2], None);
        assert_eq!(s.truth, vec![Some(true), Some(false)]);
        // Keeping only confidence >= 0.85 drops the FP: P 1, R 0.5.
        let curve = f1_by_confidence(&truth, &preds, EvalParams::default(), &[0.0, 0.85, 0.95]);
        assert!((curve[0].1 - 0.5).abs() < 1e-9);
        assert!((curve[1].1 - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(curve[2].1, 0.0);
    }

    /// The curve from one matching equals scoring the predictions kept at each threshold
    /// anew, on crowded random layouts: competing proposals, tied and missing confidences,
    /// some under the minimum area, confidences exactly at thresholds.
    #[test]
    fn f1_by_confidence_from_one_matching_equals_rescoring_each_threshold() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let thresholds: Vec<f64> = (0..=20).map(|i| f64::from(i) / 20.0).collect();
        for case in 0..150 {
            let truth: Vec<Footprint> = (0..20)
                .map(|_| {
                    let side = 6.0 + 20.0 * next();
                    square(200.0 * next(), 200.0 * next(), side, None)
                })
                .collect();
            let preds: Vec<Footprint> = (0..30)
                .map(|i| {
                    // Near a truth footprint (or anywhere), with a confidence on a coarse grid
                    // (ties, values at the thresholds), none, or infinite.
                    let t = &truth[i % truth.len()];
                    let r = geo::BoundingRect::bounding_rect(&t.polygon)
                        .map_or((0.0, 0.0), |b| (b.min().x, b.min().y));
                    let (x, y) = if next() < 0.7 {
                        (r.0 + 8.0 * (next() - 0.5), r.1 + 8.0 * (next() - 0.5))
                    } else {
                        (200.0 * next(), 200.0 * next())
                    };
                    let confidence = match (next() * 10.0) as u32 {
                        0 => None,
                        1 => Some(f64::INFINITY),
                        _ => Some((next() * 10.0).floor() / 10.0),
                    };
                    square(x, y, 6.0 + 20.0 * next(), confidence)
                })
                .collect();
            let (truth, preds) = (layer(Role::Truth, truth), layer(Role::Predictions, preds));
            let params = EvalParams::default();
            let fast = f1_by_confidence(&truth, &preds, params, &thresholds);
            let slow = f1_by_confidence_each(&truth, &preds, params, &thresholds);
            assert_eq!(fast, slow, "case {case}");
            assert!(
                fast.iter().any(|&(_, f)| f > 0.0),
                "case {case}: nothing matched"
            );
        }
        // A NaN confidence: never kept, so the curve is scored the long way.
        let truth = layer(Role::Truth, vec![square(0.0, 0.0, 20.0, None)]);
        let preds = layer(
            Role::Predictions,
            vec![
                square(0.0, 0.0, 20.0, Some(f64::NAN)),
                square(1.0, 0.0, 20.0, Some(0.5)),
            ],
        );
        let scoring = Scoring::compute(&truth, &preds, EvalParams::default());
        assert!(scoring.f1_by_confidence(&preds, &[0.5]).is_none());
        assert_eq!(
            f1_by_confidence(&truth, &preds, EvalParams::default(), &[0.5]),
            vec![(0.5, 1.0)]
        );
    }

    #[test]
    fn f1_against_the_probability_threshold() {
        // Two 20 x 20 buildings, one at 0.9 and one at 0.6, in a 100 x 100 map of 0.1.
        let truth = layer(
            Role::Truth,
            vec![
                square(10.0, 10.0, 20.0, None),
                square(60.0, 60.0, 20.0, None),
            ],
        );
        let mut values = vec![0.1f32; 100 * 100];
        for y in 10..30 {
            for x in 10..30 {
                values[y * 100 + x] = 0.9;
                values[(y + 50) * 100 + x + 50] = 0.6;
            }
        }
        let probs = revectorize::Probabilities {
            values,
            width: 100,
            height: 100,
        };
        let curve = f1_by_probability(
            &truth,
            &probs,
            None,
            EvalParams::default(),
            &[0.05, 0.5, 0.7, 0.95],
        );
        let f1: Vec<f64> = curve.iter().map(|c| c.1).collect();
        // 0.05: the whole map is one blob (FP, 2 FN); 0.5: both; 0.7: one of two; 0.95: none.
        assert_eq!(f1[0], 0.0);
        assert_eq!(f1[1], 1.0);
        assert!((f1[2] - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(f1[3], 0.0);
    }

    /// Two terraced houses (20 x 20 px each, sharing a wall at x = 30) and a three-map
    /// prediction whose contact map marks the wall.
    fn terraced_pair() -> (
        Layer,
        revectorize::Probabilities,
        [revectorize::Probabilities; 2],
    ) {
        let truth = layer(
            Role::Truth,
            vec![
                square(10.0, 10.0, 20.0, None),
                square(30.0, 10.0, 20.0, None),
            ],
        );
        let map = |f: &dyn Fn(usize, usize) -> f32| revectorize::Probabilities {
            values: (0..60 * 40).map(|i| f(i % 60, i / 60)).collect(),
            width: 60,
            height: 40,
        };
        let inside = |x: usize, y: usize| (10..50).contains(&x) && (10..30).contains(&y);
        let footprint = map(&|x, y| if inside(x, y) { 0.95 } else { 0.02 });
        let edge = map(&|_, _| 0.0);
        let contact = map(&|x, y| {
            if inside(x, y) && (29..31).contains(&x) {
                0.9
            } else {
                0.0
            }
        });
        (truth, footprint, [edge, contact])
    }

    #[test]
    fn with_edge_and_contact_maps_the_curve_scores_watershed_instances() {
        let (truth, footprint, edge_contact) = terraced_pair();
        let score =
            |maps| f1_by_probability(&truth, &footprint, maps, EvalParams::default(), &[0.5])[0].1;
        // Traced, the pair is one building: 0 of 2. Split by the contact: both.
        assert_eq!(score(None), 0.0);
        assert_eq!(score(Some(&edge_contact)), 1.0);
    }

    #[test]
    fn with_edge_and_contact_maps_a_terraced_house_is_revectorized_alone() {
        let (truth, footprint, edge_contact) = terraced_pair();
        let left = &truth.footprints[0].polygon;
        let alone = revectorize::revectorize_maps(&footprint, Some(&edge_contact), left, 0.5)
            .unwrap()
            .0;
        let merged = revectorize::revectorize(&footprint, left, 0.5).unwrap().0;
        use geo::Area;
        assert!(merged.unsigned_area() > 700.0, "{}", merged.unsigned_area());
        let iou = crate::eval::iou(&alone, left);
        assert!(iou > 0.8, "IoU {iou} with the left house");
    }

    #[test]
    fn truth_is_found_beside_the_scene() {
        let dir = tempfile::tempdir().unwrap();
        let tif = dir.path().join("synth_s0_0000.tif");
        assert_eq!(find_truth(&tif), None);
        std::fs::write(dir.path().join("synth_s0_0000.csv"), "x").unwrap();
        assert_eq!(find_truth(&tif), Some(dir.path().join("synth_s0_0000.csv")));
        let sar = dir
            .path()
            .join("SAR-Intensity/SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_8685.tif");
        let gt = dir
            .path()
            .join("geojson_buildings/SN6_Train_AOI_11_Rotterdam_Buildings_20190804111224_20190804111453_tile_8685.geojson");
        std::fs::create_dir_all(gt.parent().unwrap()).unwrap();
        std::fs::write(&gt, "{}").unwrap();
        assert_eq!(find_truth(&sar), Some(gt));
    }
}
