//! Two models' predictions of one scene, each scored against the ground truth, and the truth
//! buildings where they disagree: one finds it and the other does not, or both do with IoUs
//! far apart.

use geo::{BoundingRect, Coord};

use super::{Layer, Scoring};

/// Matches whose IoUs differ by this much are a disagreement too.
pub const IOU_GAP: f64 = 0.2;

/// A truth building the two models disagree on.
#[derive(Clone, Debug, PartialEq)]
pub struct Disagreement {
    /// The building (its index in the truth layer).
    pub truth: usize,
    /// The IoU of each model's match (`None`: missed).
    pub iou: [Option<f64>; 2],
    /// The middle of its bounding box, scene pixels.
    pub center: Coord<f64>,
}

impl Disagreement {
    /// How far apart the two are: 1 when one missed it, else the IoUs' difference.
    pub fn gap(&self) -> f64 {
        match self.iou {
            [Some(a), Some(b)] => (a - b).abs(),
            _ => 1.0,
        }
    }
}

/// Per truth building, the IoU of the prediction matched to it (`None`: missed or too small).
fn matched_iou(scoring: &Scoring, buildings: usize) -> Vec<Option<f64>> {
    let mut iou = vec![None; buildings];
    for (t, v) in scoring.predictions.iter().flatten() {
        if let Some(slot) = t.and_then(|t| iou.get_mut(t)) {
            *slot = Some(*v);
        }
    }
    iou
}

/// The truth buildings where the models scored as `a` and `b` disagree (found by one only,
/// or IoUs [`IOU_GAP`] or more apart), the largest gaps first. Buildings too small to count
/// in either are left out.
pub fn disagreements(truth: &Layer, a: &Scoring, b: &Scoring) -> Vec<Disagreement> {
    let n = truth.footprints.len();
    let (ia, ib) = (matched_iou(a, n), matched_iou(b, n));
    let mut found: Vec<Disagreement> = truth
        .footprints
        .iter()
        .enumerate()
        .filter(|&(i, _)| a.truth.get(i).copied().flatten().is_some())
        .filter_map(|(i, f)| {
            let iou = [ia.get(i).copied().flatten(), ib.get(i).copied().flatten()];
            let differ = match iou {
                [Some(x), Some(y)] => (x - y).abs() >= IOU_GAP,
                [None, None] => false,
                _ => true,
            };
            let center = f.polygon.bounding_rect()?.center();
            differ.then_some(Disagreement {
                truth: i,
                iou,
                center,
            })
        })
        .collect();
    found.sort_by(|x, y| y.gap().total_cmp(&x.gap()).then(x.truth.cmp(&y.truth)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::Role;
    use crate::annotate::testing::{self, layer};
    use crate::eval::EvalParams;

    fn square(x: f64, side: f64) -> crate::io::Footprint {
        testing::square(&format!("{x}"), x, 0.0, side)
    }

    #[test]
    fn found_by_one_only_or_far_apart_in_iou() {
        let truth = layer(
            Role::Truth,
            vec![square(0.0, 20.0), square(100.0, 20.0), square(200.0, 20.0)],
        );
        // A finds all three well; B misses the first and finds the third at IoU 0.6.
        let a = layer(
            Role::Predictions,
            vec![square(0.0, 20.0), square(100.0, 20.0), square(200.0, 20.0)],
        );
        let b = layer(
            Role::Predictions,
            vec![square(100.0, 20.0), square(205.0, 20.0)],
        );
        let p = EvalParams::default();
        let (sa, sb) = (
            Scoring::compute(&truth, &a, p),
            Scoring::compute(&truth, &b, p),
        );
        let d = disagreements(&truth, &sa, &sb);
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].truth, d[0].iou), (0, [Some(1.0), None]));
        assert_eq!(d[1].truth, 2);
        assert!((d[1].iou[1].unwrap() - 15.0 / 25.0).abs() < 1e-12);
        assert!(disagreements(&truth, &sa, &sa).is_empty());
    }
}
