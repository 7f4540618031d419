//! The SpaceNet building metric, as solaris' `eval_iou_spacenet_csv` computes it.
//!
//! Per image: ground truth with area >= `min_area` and proposals with area > `min_area` are
//! kept; proposals are taken in descending confidence (file order on ties); each is matched
//! to the remaining ground-truth polygon of highest IoU (the first in file order on ties),
//! which is a true positive when that IoU is above the threshold (strictly) and then leaves
//! the pool; otherwise the proposal is a false positive. Ground truth left over with a
//! non-zero area are false negatives. An invalid proposal is repaired first; an invalid
//! ground-truth polygon scores IoU 0 (as in solaris). Counts are summed over images.

use std::collections::BTreeMap;

use geo::{Area, BooleanOps, BoundingRect, Coord, MakeValid, MultiPolygon, Rect, Validation};
use serde::Serialize;

use crate::io::CsvFootprint;
use crate::vector::{is_valid_polygon, ring_facts};

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

#[derive(Clone, Copy)]
struct Shape<'a> {
    polygon: &'a MultiPolygon<f64>,
    area: f64,
    bbox: Option<Rect<f64>>,
    valid: bool,
    /// The outline of one convex part without holes (most buildings), as a span of the
    /// image's [`Outlines`]: IoU by convex clipping.
    convex: Option<(usize, usize)>,
}

impl<'a> Shape<'a> {
    fn new(polygon: &'a MultiPolygon<f64>, outlines: &mut Outlines) -> Self {
        // Most buildings: one part without holes, measured in one pass over its ring.
        if let [part] = polygon.0.as_slice()
            && part.interiors().is_empty()
            && let Some(facts) = ring_facts(&part.exterior().0)
        {
            let ring = &part.exterior().0;
            return Self {
                polygon,
                area: facts.area,
                bbox: Some(Rect::new(facts.bounds.0, facts.bounds.1)),
                valid: facts.simple_convex || is_valid(polygon),
                convex: facts
                    .turns_one_way
                    .then(|| outlines.add(ring, facts.twice_signed_area < 0.0)),
            };
        }
        // Several parts, holes, or a ring too short to turn: geo's measures and full check.
        Self {
            polygon,
            area: polygon.unsigned_area(),
            bbox: polygon.bounding_rect(),
            valid: is_valid(polygon),
            convex: None,
        }
    }

    /// [`iou`] with the areas already known.
    fn iou(&self, other: &Shape, outlines: &mut Outlines) -> f64 {
        if let (Some(a), Some(b)) = (self.convex, other.convex) {
            let inter = outlines.intersection_area(a, b);
            let union = self.area + other.area - inter;
            return if union > 0.0 { inter / union } else { 0.0 };
        }
        iou_of(self.polygon, self.area, other.polygon, other.area)
    }
}

/// geo's validity, a single part checked the quicker way ([`is_valid_polygon`]).
fn is_valid(polygon: &MultiPolygon<f64>) -> bool {
    match polygon.0.as_slice() {
        [part] => is_valid_polygon(part),
        _ => polygon.is_valid(),
    }
}

/// The convex outlines of an image's shapes, counter-clockwise without the repeated last
/// point, side by side in one buffer (spans of it name them), and the clipping's scratch
/// space: scoring an image allocates nothing per pair.
#[derive(Default)]
struct Outlines {
    points: Vec<Coord<f64>>,
    subject: Vec<Coord<f64>>,
    next: Vec<Coord<f64>>,
}

impl Outlines {
    /// Adds a closed convex ring, `clockwise` or not; its span.
    fn add(&mut self, ring: &[Coord<f64>], clockwise: bool) -> (usize, usize) {
        let start = self.points.len();
        self.points
            .extend_from_slice(&ring[..ring.len().saturating_sub(1)]);
        if clockwise {
            self.points[start..].reverse();
        }
        (start, self.points.len())
    }

    /// Area of the intersection of two outlines: Sutherland-Hodgman clipping of one by the
    /// other's edges, then the shoelace formula.
    fn intersection_area(&mut self, a: (usize, usize), b: (usize, usize)) -> f64 {
        let Self {
            points,
            subject,
            next,
        } = self;
        let clip = &points[b.0..b.1];
        subject.clear();
        subject.extend_from_slice(&points[a.0..a.1]);
        for (p, q) in corners_and_next(clip) {
            let side = |x: Coord<f64>| (q.x - p.x) * (x.y - p.y) - (q.y - p.y) * (x.x - p.x);
            next.clear();
            for (s, e) in corners_and_next(subject) {
                let (ds, de) = (side(s), side(e));
                if ds >= 0.0 {
                    next.push(s);
                }
                if (ds >= 0.0) != (de >= 0.0) {
                    let t = ds / (ds - de);
                    next.push(Coord {
                        x: s.x + t * (e.x - s.x),
                        y: s.y + t * (e.y - s.y),
                    });
                }
            }
            std::mem::swap(subject, next);
            if subject.len() < 3 {
                return 0.0;
            }
        }
        (twice_signed_area(subject) / 2.0).abs()
    }
}

/// Each point of an open ring with the one after it, the last with the first.
fn corners_and_next(ring: &[Coord<f64>]) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    let first = ring.first().copied();
    ring.iter()
        .copied()
        .zip(ring.iter().skip(1).copied().chain(first))
}

/// Twice the signed area of an open ring (positive counter-clockwise).
fn twice_signed_area(ring: &[Coord<f64>]) -> f64 {
    corners_and_next(ring)
        .map(|(p, q)| p.x * q.y - q.x * p.y)
        .sum()
}

/// IoU of two valid polygons; 0 when they do not overlap.
pub fn iou(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    iou_of(a, a.unsigned_area(), b, b.unsigned_area())
}

fn iou_of(a: &MultiPolygon<f64>, area_a: f64, b: &MultiPolygon<f64>, area_b: f64) -> f64 {
    let inter = a.intersection(b).unsigned_area();
    let union = area_a + area_b - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

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
fn evaluate_refs(
    truth: &[&MultiPolygon<f64>],
    proposals: &[(&MultiPolygon<f64>, f64)],
    params: EvalParams,
) -> ImageEval {
    // Room for every building as a quadrilateral (most are), besides the clipping's.
    let mut outlines = Outlines {
        points: Vec::with_capacity(4 * (truth.len() + proposals.len())),
        ..Outlines::default()
    };
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
    outlines: &mut Outlines,
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

/// An integer whose order is `f64::total_cmp`'s order of `x` (the same mapping).
fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// Boxes with an index each, found by the boxes they meet: sorted by their left edge, so that
/// those that can meet `[x0, x1]` across are the ones whose left edge is in
/// `[x0 - widest, x1]` (two binary searches), then checked.
struct BoxIndex {
    boxes: Vec<(Rect<f64>, usize)>,
    widest: f64,
}

impl BoxIndex {
    fn new(boxes: impl Iterator<Item = (Rect<f64>, usize)>) -> Self {
        let mut boxes: Vec<(Rect<f64>, usize)> = boxes.collect();
        // (Boxes with the same left edge may come in any order: queries promise none.)
        boxes.sort_unstable_by_key(|(r, _)| total_order_key(r.min().x));
        let widest = boxes.iter().map(|(r, _)| r.width()).fold(0.0, f64::max);
        Self { boxes, widest }
    }

    /// The indices of the boxes that meet `query` (touching counts), in no set order.
    fn overlapping(&self, query: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let (q0, q1) = (query.min(), query.max());
        let from = self
            .boxes
            .partition_point(|(r, _)| r.min().x < q0.x - self.widest);
        let to = self.boxes.partition_point(|(r, _)| r.min().x <= q1.x);
        self.boxes[from..to.max(from)]
            .iter()
            .filter(move |(r, _)| r.max().x >= q0.x && r.min().y <= q1.y && r.max().y >= q0.y)
            .map(|&(_, i)| i)
    }
}

/// The metric over a data set: per image (every ImageId of either file) and in total.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub params: Option<EvalParams>,
    pub images: BTreeMap<String, ImageEval>,
    pub total: Counts,
}

impl Evaluation {
    /// Counts summed per SpaceNet area of interest (`AOI_2_Vegas` of `AOI_2_Vegas_img3457`);
    /// images whose id names no AOI are left out.
    pub fn by_aoi(&self) -> BTreeMap<String, Counts> {
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        for (id, image) in &self.images {
            if let Some(aoi) = aoi_of(id) {
                out.entry(aoi.to_string()).or_default().add(image.counts);
            }
        }
        out
    }
}

/// `AOI_2_Vegas_img3457` -> `AOI_2_Vegas`.
pub fn aoi_of(image_id: &str) -> Option<&str> {
    if !image_id.starts_with("AOI_") {
        return None;
    }
    image_id.find("_img").and_then(|end| image_id.get(..end))
}

/// Ground truth and proposals (with confidence) of one image.
type ImageInputs<'a> = (
    Vec<&'a MultiPolygon<f64>>,
    Vec<(&'a MultiPolygon<f64>, f64)>,
);

/// The inputs of image `id`: the ones at hand when the row before was of the same image,
/// else those in `per_image` (or new ones), the ones at hand put back there.
fn image_inputs<'a, 'b>(
    per_image: &'b mut BTreeMap<&'a str, ImageInputs<'a>>,
    at_hand: &'b mut Option<(&'a str, ImageInputs<'a>)>,
    id: &'a str,
) -> &'b mut ImageInputs<'a> {
    if at_hand.as_ref().is_none_or(|(held, _)| *held != id) {
        if let Some((held, inputs)) = at_hand.take() {
            per_image.insert(held, inputs);
        }
        *at_hand = Some((id, per_image.remove(id).unwrap_or_default()));
    }
    &mut at_hand
        .get_or_insert_with(|| (id, ImageInputs::default()))
        .1
}

/// Evaluates proposals against ground truth read from SpaceNet CSVs. Proposals without a
/// Confidence column all count as confidence 1 (file order).
pub fn evaluate_rows(
    truth: &[CsvFootprint],
    proposals: &[CsvFootprint],
    params: EvalParams,
) -> Evaluation {
    // Rows of one image mostly follow each other: the image of the row before is tried first.
    let mut per_image: BTreeMap<&str, ImageInputs> = BTreeMap::new();
    let mut last: Option<(&str, ImageInputs)> = None;
    for row in truth {
        image_inputs(&mut per_image, &mut last, &row.image_id)
            .0
            .push(&row.polygon);
    }
    for row in proposals {
        image_inputs(&mut per_image, &mut last, &row.image_id)
            .1
            .push((&row.polygon, row.confidence.unwrap_or(1.0)));
    }
    if let Some((id, inputs)) = last {
        per_image.insert(id, inputs);
    }
    let mut evaluation = Evaluation {
        params: Some(params),
        ..Default::default()
    };
    // Images are independent: score them on every core.
    let images: Vec<(&str, ImageInputs)> = per_image.into_iter().collect();
    let scored = crate::parallel::map_on_all_cores(&images, |(id, (t, p))| {
        (id.to_string(), evaluate_refs(t, p, params))
    });
    for (id, image) in scored {
        evaluation.total.add(image.counts);
        evaluation.images.insert(id, image);
    }
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    #[test]
    fn total_order_keys_order_as_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            5e-324,
            0.25,
            0.2500000000000001,
            1.0,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in values {
            for b in values {
                assert_eq!(
                    total_order_key(a).cmp(&total_order_key(b)),
                    a.total_cmp(&b),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn convex_clipping_agrees_with_boolean_ops() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let shape = |rng: &mut rand_chacha::ChaCha8Rng| {
            let (cx, cy) = (rng.random_range(0.0..20.0), rng.random_range(0.0..20.0));
            let (w, h) = (rng.random_range(2.0..15.0), rng.random_range(2.0..15.0));
            let (s, c) = rng.random_range(0.0f64..3.2).sin_cos();
            let mut pts: Vec<(f64, f64)> = [(-w, -h), (w, -h), (w, h), (-w, h)]
                .iter()
                .map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c))
                .collect();
            if rng.random_bool(0.5) {
                pts.reverse(); // clockwise too
            }
            MultiPolygon(vec![geo::Polygon::new(pts.into(), vec![])])
        };
        let mut overlapping = 0;
        for _ in 0..500 {
            let (a, b) = (shape(&mut rng), shape(&mut rng));
            let mut outlines = Outlines::default();
            let (sa, sb) = (Shape::new(&a, &mut outlines), Shape::new(&b, &mut outlines));
            assert!(sa.convex.is_some() && sb.convex.is_some());
            let fast = sa.iou(&sb, &mut outlines);
            let exact = iou(&a, &b);
            // geo's BooleanOps snaps coordinates to a fixed grid (~1e-9 relative here).
            assert!((fast - exact).abs() < 1e-7, "{fast} vs {exact}");
            overlapping += usize::from(exact > 0.0);
        }
        assert!(overlapping > 100);
        // An L shape is not convex and takes the general path.
        let l = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 1.), (x: 1., y: 1.), (x: 1., y: 4.), (x: 0., y: 4.)],
        ]);
        assert!(Shape::new(&l, &mut Outlines::default()).convex.is_none());
    }

    /// The boxes found are exactly those a scan of all of them finds (touching included),
    /// with boxes of every width (one much wider than the rest too).
    #[test]
    fn the_box_index_finds_what_a_scan_finds() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let rect = |rng: &mut rand_chacha::ChaCha8Rng, wide: bool| {
            let (x, y) = (
                rng.random_range(0..100) as f64,
                rng.random_range(0..100) as f64,
            );
            let w = rng.random_range(0..if wide { 80 } else { 8 }) as f64;
            Rect::new(
                Coord { x, y },
                Coord {
                    x: x + w,
                    y: y + rng.random_range(0..8) as f64,
                },
            )
        };
        for case in 0..200 {
            let boxes: Vec<Rect<f64>> = (0..rng.random_range(0..60))
                .map(|k| rect(&mut rng, case % 2 == 0 && k == 0))
                .collect();
            let index = BoxIndex::new(boxes.iter().copied().zip(0..));
            for _ in 0..20 {
                let q = rect(&mut rng, false);
                let mut found: Vec<usize> = index.overlapping(q).collect();
                found.sort_unstable();
                let scan: Vec<usize> = (0..boxes.len())
                    .filter(|&i| {
                        let b = boxes[i];
                        b.min().x <= q.max().x
                            && q.min().x <= b.max().x
                            && b.min().y <= q.max().y
                            && q.min().y <= b.max().y
                    })
                    .collect();
                assert_eq!(found, scan);
            }
        }
    }

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

    #[test]
    fn scores_follow_solaris_conventions() {
        let c = Counts {
            tp: 35,
            fp: 2,
            fn_: 7,
        };
        assert!((c.f1() - 0.8860759493670887).abs() < 1e-15);
        assert_eq!(Counts::default().f1(), 0.0);
        assert_eq!(aoi_of("AOI_2_Vegas_img3457"), Some("AOI_2_Vegas"));
        assert_eq!(aoi_of("20190804111224_20190804111453_tile_8685"), None);
    }
}
