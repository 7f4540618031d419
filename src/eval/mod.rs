//! The SpaceNet building metric, as solaris' `eval_iou_spacenet_csv` computes it.
//!
//! Per image: ground truth with area >= `min_area` and proposals with area > `min_area` are
//! kept; proposals are taken in descending confidence (file order on ties); each is matched
//! to the remaining ground-truth polygon of highest IoU (the first in file order on ties),
//! which is a true positive when that IoU is above the threshold (strictly) and then leaves
//! the pool; otherwise the proposal is a false positive. Ground truth left over with a
//! non-zero area are false negatives. An invalid proposal is repaired first; an invalid
//! ground-truth polygon scores IoU 0 (as in solaris). Counts are summed over images.

//!
//! | file | what |
//! |---|---|
//! | `shape.rs` | a polygon measured once: area, box, validity, IoU (convex clipping, else geo) |
//! | `box_index.rs` | the ground truth a proposal's box can meet |
//! | `matching.rs` | one image: the greedy matching in confidence order |
//! | `dataset.rs` | a data set: every image, totals, areas of interest |

mod box_index;
pub(crate) use box_index::BoxIndex;
mod dataset;
mod matching;
mod shape;

pub use dataset::{Evaluation, ImageFootprint, aoi_of, evaluate_rows};
pub use matching::evaluate_image;
pub use shape::iou;

use serde::Serialize;

/// The metric's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EvalParams {
    /// Polygons smaller than this (px^2) do not count (80 for SN6, 20 for the SN2 samples).
    pub min_area: f64,
    /// A match needs an IoU strictly above this.
    pub iou_threshold: f64,
}

impl Default for EvalParams {
    /// The SpaceNet 6 setting: min area 80 px, IoU > 0.5.
    fn default() -> Self {
        Self {
            min_area: 80.0,
            iou_threshold: 0.5,
        }
    }
}

/// True and false positives and false negatives, with the scores derived from them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// 2PR / (P + R), 0 when either is 0 (solaris' formula and convention).
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p * r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }

    pub fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The outcome for one proposal that took part (its area was above `min_area`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProposalMatch {
    /// Index into the image's proposals as given.
    pub proposal: usize,
    /// The ground truth it matched (index into the image's truth as given), if any.
    pub truth: Option<usize>,
    /// Its best IoU against the remaining ground truth, matched or not.
    pub iou: f64,
}

/// How solaris scores a ground-truth footprint that is not a valid polygon (a sentence's end,
/// for messages): [`ImageEval::invalid_truth`].
pub const INVALID_TRUTH_RULE: &str =
    "its area as written decides whether it counts, and it matches no proposal";

/// How solaris scores a proposal that is not a valid polygon: [`ImageEval::invalid_proposals`].
pub const INVALID_PROPOSAL_RULE: &str = "its area as written decides whether it takes part, \
     and one that does is repaired (make_valid) before it is matched";

/// The metric for one image.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImageEval {
    pub counts: Counts,
    /// In the order proposals were taken (confidence descending).
    pub proposals: Vec<ProposalMatch>,
    /// Indices of the ground truth left unmatched (the false negatives).
    pub missed: Vec<usize>,
    /// Ground truth that is not a valid polygon (self-intersecting, a ring that touches
    /// itself, ...; geo's rules), by index. Scored as solaris scores it
    /// ([`INVALID_TRUTH_RULE`]).
    pub invalid_truth: Vec<usize>,
    /// Proposals that are not valid polygons, by index. Scored as solaris scores them
    /// ([`INVALID_PROPOSAL_RULE`]; geo's `make_valid` repairs, as shapely's `buffer(0)`).
    pub invalid_proposals: Vec<usize>,
}
