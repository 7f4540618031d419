//! One image scored: proposals in descending confidence, each matched greedily to the
//! remaining ground truth of highest IoU.

use geo::{MakeValid, MultiPolygon};

use super::box_index::{BoxIndex, total_order_key};
use super::shape::Shape;
use super::{EvalParams, ImageEval, ProposalMatch};
use crate::vector::ConvexOutlines;

/// The metric for one image. `proposals` carry their confidence.
pub fn evaluate_image(
    truth: &[MultiPolygon<f64>],
    proposals: &[(MultiPolygon<f64>, f64)],
    params: EvalParams,
) -> ImageEval {
    let truth: Vec<&MultiPolygon<f64>> = truth.iter().collect();
    let proposals: Vec<(&MultiPolygon<f64>, f64)> =
        proposals.iter().map(|(p, c)| (p, *c)).collect();
    evaluate_refs(&truth, &proposals, params)
}

/// [`evaluate_image`] of polygons held elsewhere.
pub(super) fn evaluate_refs(
    truth: &[&MultiPolygon<f64>],
    proposals: &[(&MultiPolygon<f64>, f64)],
    params: EvalParams,
) -> ImageEval {
    // Room for every building as a quadrilateral (most are), besides the clipping's.
    let mut outlines = ConvexOutlines::with_capacity(4 * (truth.len() + proposals.len()));
    let truth: Vec<Shape> = truth.iter().map(|p| Shape::new(p, &mut outlines)).collect();
    let proposals: Vec<(Shape, f64)> = proposals
        .iter()
        .map(|(p, c)| (Shape::new(p, &mut outlines), *c))
        .collect();
    evaluate_shapes(&truth, &proposals, &mut outlines, params)
}

/// [`evaluate_image`] on shapes already measured.
fn evaluate_shapes(
    truth: &[Shape],
    proposals: &[(Shape, f64)],
    outlines: &mut ConvexOutlines,
    params: EvalParams,
) -> ImageEval {
    // Remaining ground truth: the boxes of those large enough, and what is taken.
    let pool = BoxIndex::new(
        truth
            .iter()
            .enumerate()
            .filter(|(_, t)| t.area >= params.min_area)
            .filter_map(|(i, t)| Some((t.bbox?, i))),
    );
    let mut taken = vec![false; truth.len()];
    // Descending confidence, file order among equal ones: sorted by integer keys (the
    // confidence's total order, the index), all distinct, so an unstable sort gives what a
    // stable sort by confidence does, sooner.
    let mut order: Vec<(std::cmp::Reverse<i64>, usize)> = proposals
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| s.area > params.min_area)
        .map(|(i, (_, c))| (std::cmp::Reverse(total_order_key(*c)), i))
        .collect();
    order.sort_unstable();
    let mut result = ImageEval::default();
    for (_, index) in order {
        let Some((original, _)) = proposals.get(index) else {
            continue;
        };
        let repaired;
        let mut proposal = *original;
        if !proposal.valid {
            repaired = original
                .polygon
                .make_valid()
                .unwrap_or_else(|_| MultiPolygon(vec![]));
            proposal = Shape::new(&repaired, outlines);
        }
        // The remaining ground truth of highest IoU, the first in file order on ties; those
        // whose boxes miss the proposal's score 0 and are not looked at.
        let mut best: Option<(usize, f64)> = None; // (truth index, iou)
        if let Some(bbox) = proposal.bbox.filter(|_| proposal.area > 0.0) {
            for t in pool.overlapping(bbox) {
                let Some(gt) = truth.get(t).filter(|_| !taken[t]) else {
                    continue;
                };
                let score = if proposal.valid && gt.valid {
                    proposal.iou(gt, outlines)
                } else {
                    0.0
                };
                if best.is_none_or(|(bt, b)| score > b || (score == b && t < bt)) {
                    best = Some((t, score));
                }
            }
        }
        let best_iou = best.map_or(0.0, |(_, s)| s);
        let matched = match best {
            Some((t, score)) if score > params.iou_threshold => {
                result.counts.tp += 1;
                taken[t] = true;
                Some(t)
            }
            _ => {
                result.counts.fp += 1;
                None
            }
        };
        result.proposals.push(ProposalMatch {
            proposal: index,
            truth: matched,
            iou: best_iou,
        });
    }
    let mut missed: Vec<usize> = pool
        .boxes
        .iter()
        .map(|&(_, t)| t)
        // (Without a box a polygon is empty: no area, never missed.)
        .filter(|&t| !taken[t] && truth.get(t).is_some_and(|g| g.area > 0.0))
        .collect();
    missed.sort_unstable();
    result.counts.fn_ = missed.len() as u64;
    result.missed = missed;
    result.invalid_truth = (0..truth.len()).filter(|&i| !truth[i].valid).collect();
    result.invalid_proposals = (0..proposals.len())
        .filter(|&i| !proposals[i].0.valid)
        .collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Counts;
    use geo::{MultiPolygon, polygon};

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side)
        ]])
    }

    #[test]
    fn greedy_matching_in_confidence_order() {
        let truth = vec![square(0.0, 0.0, 10.0), square(100.0, 0.0, 10.0)];
        // The low-confidence proposal fits truth 0 better, but the confident one comes first.
        let proposals = vec![(square(1.0, 0.0, 10.0), 0.2), (square(3.0, 0.0, 10.0), 0.9)];
        let r = evaluate_image(
            &truth,
            &proposals,
            EvalParams {
                min_area: 0.0,
                iou_threshold: 0.5,
            },
        );
        assert_eq!(
            r.counts,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(r.proposals[0].proposal, 1);
        assert_eq!(r.proposals[0].truth, Some(0));
        assert!((r.proposals[0].iou - 70.0 / 130.0).abs() < 1e-12);
        assert_eq!(r.missed, vec![1]);
    }

    /// Self-intersecting polygons are listed (by index, on both sides) and scored as solaris
    /// scores them; valid ones are not listed.
    #[test]
    fn invalid_polygons_are_listed() {
        // Two lobes of different sizes: self-intersecting, with an area as written of 200.
        let crossed = |x: f64| -> MultiPolygon<f64> {
            MultiPolygon(vec![polygon![
                (x: x, y: 0.0), (x: x + 40.0, y: 20.0), (x: x + 40.0, y: 0.0), (x: x, y: 10.0)
            ]])
        };
        let truth = vec![
            square(0.0, 0.0, 10.0),
            crossed(100.0),
            square(300.0, 0.0, 10.0),
        ];
        let proposals = vec![
            (crossed(200.0), 0.5),
            (square(0.0, 0.0, 10.0), 0.9),
            (crossed(100.0), 0.7),
        ];
        let params = EvalParams {
            min_area: 0.0,
            iou_threshold: 0.5,
        };
        let r = evaluate_image(&truth, &proposals, params);
        assert_eq!(r.invalid_truth, vec![1]);
        assert_eq!(r.invalid_proposals, vec![0, 2]);
        // The invalid ground truth matches nothing, not even its own copy, repaired.
        assert_eq!(
            r.counts,
            Counts {
                tp: 1,
                fp: 2,
                fn_: 2
            }
        );
        let valid = evaluate_image(&truth[..1], &proposals[1..2], params);
        assert!(valid.invalid_truth.is_empty() && valid.invalid_proposals.is_empty());
    }

    /// Among equal confidences the file order decides: of proposals competing for one
    /// building, the first in the file takes it, whatever the others' positions; with
    /// confidences in several tied groups, the order taken is confidence, then file order.
    #[test]
    fn ties_in_confidence_go_in_file_order() {
        let truth = vec![square(0.0, 0.0, 10.0)];
        let params = EvalParams {
            min_area: 0.0,
            iou_threshold: 0.5,
        };
        for first in 0..40 {
            // 40 proposals at confidence 0.5, each one overlapping the building enough.
            let proposals: Vec<_> = (0..40)
                .map(|k| (square(0.02 * k as f64, 0.0, 10.0), 0.5))
                .collect();
            let mut proposals = proposals;
            proposals.rotate_left(first);
            let r = evaluate_image(&truth, &proposals, params);
            assert_eq!(r.proposals[0].proposal, 0);
            assert_eq!(r.proposals[0].truth, Some(0));
            let taken: Vec<usize> = r.proposals.iter().map(|m| m.proposal).collect();
            assert_eq!(taken, (0..40).collect::<Vec<_>>());
        }
        // 300 proposals in five tied groups (and 0.0 before -0.0, as total_cmp orders them),
        // in an order that a sort must move: taken as a stable sort orders them.
        let levels = [0.3, 0.9, -0.0, 0.0, 1.0];
        let proposals: Vec<_> = (0..300)
            .map(|k| (square(50.0, 50.0, 10.0), levels[(k * 7 + k / 13) % 5]))
            .collect();
        let r = evaluate_image(&truth, &proposals, params);
        let taken: Vec<usize> = r.proposals.iter().map(|m| m.proposal).collect();
        let mut stable: Vec<usize> = (0..300).collect();
        stable.sort_by(|&a, &b| proposals[b].1.total_cmp(&proposals[a].1));
        assert_eq!(taken, stable);
    }

    #[test]
    fn iou_must_be_strictly_above_the_threshold_and_areas_filter() {
        // IoU exactly 1/3 with threshold 1/3: not a match.
        let truth = vec![square(0.0, 0.0, 10.0)];
        let p = vec![(square(5.0, 0.0, 10.0), 1.0)];
        let r = evaluate_image(
            &truth,
            &p,
            EvalParams {
                min_area: 0.0,
                iou_threshold: 1.0 / 3.0,
            },
        );
        assert_eq!(
            r.counts,
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        // min_area 100: truth of area 100 stays (>=), a proposal of area 100 does not (>).
        let r = evaluate_image(
            &truth,
            &[(square(0.0, 0.0, 10.0), 1.0)],
            EvalParams {
                min_area: 100.0,
                iou_threshold: 0.5,
            },
        );
        assert_eq!(
            r.counts,
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
    }
}
