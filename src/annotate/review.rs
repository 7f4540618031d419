//! A scene's errors against its ground truth, in reading order, for walking them one by one:
//! false positives, missed buildings, and matches of a low IoU.

use geo::{BoundingRect, Coord};
use serde::{Deserialize, Serialize};

use super::{Layer, Scoring};

/// A match under this IoU is worth a look (it counts for the metric, but its outline is off).
pub const LOW_IOU: f64 = 0.75;

/// What is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A prediction no truth building matches.
    FalsePositive,
    /// A truth building no prediction matches.
    Missed,
    /// A match whose IoU is under [`LOW_IOU`].
    LowIou,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 3] = [Self::FalsePositive, Self::Missed, Self::LowIou];

    pub fn name(self) -> &'static str {
        match self {
            Self::FalsePositive => "false positive",
            Self::Missed => "missed",
            Self::LowIou => "low IoU",
        }
    }
}

/// What an error is known by across edits (indices shift when footprints are deleted): a
/// prediction by its id, a truth building by its place in the (locked) truth layer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKey {
    Prediction(String),
    Truth(usize),
}

/// One error of a scene.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorItem {
    pub kind: ErrorKind,
    pub key: ReviewKey,
    /// The prediction (its index in the scored layer): false positives and low IoU.
    pub prediction: Option<usize>,
    /// The truth building (its index): missed and low IoU.
    pub truth: Option<usize>,
    pub iou: Option<f64>,
    /// Where to look: the middle of its bounding box, scene pixels.
    pub center: Coord<f64>,
}

/// Rows of this many pixels make the reading order: left to right within a row, rows top to
/// bottom, so that the next error is usually near the last.
const ROW: f64 = 128.0;

/// The errors of `predictions` against `truth` as `scoring` found them (it must be their
/// scoring), in reading order.
pub fn scene_errors(scoring: &Scoring, truth: &Layer, predictions: &Layer) -> Vec<ErrorItem> {
    let center = |p: &geo::MultiPolygon<f64>| p.bounding_rect().map(|r| r.center());
    let mut items = Vec::new();
    for (index, scored) in scoring.predictions.iter().enumerate() {
        let (Some((matched, iou)), Some(footprint)) = (scored, predictions.footprints.get(index))
        else {
            continue;
        };
        let kind = match matched {
            None => ErrorKind::FalsePositive,
            Some(_) if *iou < LOW_IOU => ErrorKind::LowIou,
            Some(_) => continue,
        };
        let Some(center) = center(&footprint.polygon) else {
            continue;
        };
        items.push(ErrorItem {
            kind,
            key: ReviewKey::Prediction(footprint.id.clone()),
            prediction: Some(index),
            truth: *matched,
            iou: matched.map(|_| *iou),
            center,
        });
    }
    for (index, state) in scoring.truth.iter().enumerate() {
        let (Some(false), Some(footprint)) = (state, truth.footprints.get(index)) else {
            continue;
        };
        let Some(center) = center(&footprint.polygon) else {
            continue;
        };
        items.push(ErrorItem {
            kind: ErrorKind::Missed,
            key: ReviewKey::Truth(index),
            prediction: None,
            truth: Some(index),
            iou: None,
            center,
        });
    }
    items.sort_by(|a, b| reading_order(a.center).total_cmp(&reading_order(b.center)));
    items
}

/// A point's place in the reading order, as one number.
pub fn reading_order(p: Coord<f64>) -> f64 {
    (p.y / ROW).floor() * 1e9 + p.x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::Role;
    use crate::annotate::testing::{layer, square};
    use crate::eval::EvalParams;

    #[test]
    fn each_kind_of_error_is_found_once_in_reading_order() {
        let truth = layer(
            Role::Truth,
            vec![
                square("a", 0.0, 0.0, 20.0),     // matched well
                square("b", 300.0, 0.0, 20.0),   // missed
                square("c", 100.0, 300.0, 20.0), // matched, IoU 0.6
            ],
        );
        let predictions = layer(
            Role::Predictions,
            vec![
                square("1", 0.0, 0.0, 20.0),
                square("2", 104.0, 302.0, 20.0),
                square("3", 600.0, 10.0, 20.0), // nothing there
            ],
        );
        let scoring = Scoring::compute(&truth, &predictions, EvalParams::default());
        let errors = scene_errors(&scoring, &truth, &predictions);
        let kinds: Vec<_> = errors.iter().map(|e| (e.kind, e.key.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (ErrorKind::Missed, ReviewKey::Truth(1)),
                (ErrorKind::FalsePositive, ReviewKey::Prediction("3".into())),
                (ErrorKind::LowIou, ReviewKey::Prediction("2".into())),
            ]
        );
        let low = &errors[2];
        assert_eq!((low.prediction, low.truth), (Some(1), Some(2)));
        assert!((low.iou.unwrap() - 16.0 * 18.0 / (800.0 - 16.0 * 18.0)).abs() < 1e-12);
    }
}
