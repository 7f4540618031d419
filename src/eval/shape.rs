//! A polygon as the metric measures it: area, box and validity from one pass over its ring
//! where it can, and IoU by clipping where one of the two is convex and the other one valid
//! ring (most pairs: truth is mostly rectangles, traced predictions are one ring).

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect, Validation};

use crate::vector::{ConvexOutlines, is_valid_polygon, ring_facts};

#[derive(Clone, Copy)]
pub(super) struct Shape<'a> {
    pub(super) polygon: &'a MultiPolygon<f64>,
    pub(super) area: f64,
    pub(super) bbox: Option<Rect<f64>>,
    pub(super) valid: bool,
    /// The ring of a valid polygon of one part without holes (most buildings), as a span of
    /// the image's [`ConvexOutlines`], and whether it is convex: the intersection of two such,
    /// one of them convex, is the other clipped by it.
    pub(super) ring: Option<(usize, usize)>,
    pub(super) convex: bool,
}

impl<'a> Shape<'a> {
    pub(super) fn new(polygon: &'a MultiPolygon<f64>, outlines: &mut ConvexOutlines) -> Self {
        // Most buildings: one part without holes, measured in one pass over its ring.
        if let [part] = polygon.0.as_slice()
            && part.interiors().is_empty()
            && let Some(facts) = ring_facts(&part.exterior().0)
        {
            let ring = &part.exterior().0;
            let valid = facts.simple_convex || is_valid(polygon);
            return Self {
                polygon,
                area: facts.area,
                bbox: Some(Rect::new(facts.bounds.0, facts.bounds.1)),
                valid,
                ring: valid.then(|| outlines.add(ring, facts.twice_signed_area < 0.0)),
                // (A star turns one way too, but is not valid.)
                convex: valid && facts.turns_one_way,
            };
        }
        // Several parts, holes, or a ring too short to turn: geo's measures and full check.
        Self {
            polygon,
            area: polygon.unsigned_area(),
            bbox: polygon.bounding_rect(),
            valid: is_valid(polygon),
            ring: None,
            convex: false,
        }
    }

    /// [`iou`] with the areas already known.
    pub(super) fn iou(&self, other: &Shape, outlines: &mut ConvexOutlines) -> f64 {
        let clipped = match (self.ring, other.ring) {
            (Some(a), Some(b)) if other.convex => Some(outlines.intersection_area(a, b)),
            (Some(a), Some(b)) if self.convex => Some(outlines.intersection_area(b, a)),
            _ => None,
        };
        if let Some(inter) = clipped {
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

/// IoU of two valid polygons; 0 when they do not overlap.
pub fn iou(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    iou_of(a, a.unsigned_area(), b, b.unsigned_area())
}

fn iou_of(a: &MultiPolygon<f64>, area_a: f64, b: &MultiPolygon<f64>, area_b: f64) -> f64 {
    let inter = a.intersection(b).unsigned_area();
    let union = area_a + area_b - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    /// A rectangle of half-sides in `half` about a point in 0..20, turned at random, either
    /// way round.
    fn rectangle(
        rng: &mut rand_chacha::ChaCha8Rng,
        half: std::ops::Range<f64>,
    ) -> MultiPolygon<f64> {
        use rand::Rng;
        let (cx, cy) = (rng.random_range(0.0..20.0), rng.random_range(0.0..20.0));
        let (w, h) = (rng.random_range(half.clone()), rng.random_range(half));
        let (s, c) = rng.random_range(0.0f64..3.2).sin_cos();
        let mut pts: Vec<(f64, f64)> = [(-w, -h), (w, -h), (w, h), (-w, h)]
            .iter()
            .map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c))
            .collect();
        if rng.random_bool(0.5) {
            pts.reverse(); // clockwise too
        }
        MultiPolygon(vec![geo::Polygon::new(pts.into(), vec![])])
    }

    #[test]
    fn convex_clipping_agrees_with_boolean_ops() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let shape = |rng: &mut rand_chacha::ChaCha8Rng| rectangle(rng, 2.0..15.0);
        let mut overlapping = 0;
        for _ in 0..500 {
            let (a, b) = (shape(&mut rng), shape(&mut rng));
            let mut outlines = ConvexOutlines::default();
            let (sa, sb) = (Shape::new(&a, &mut outlines), Shape::new(&b, &mut outlines));
            assert!(sa.convex && sb.convex);
            let fast = sa.iou(&sb, &mut outlines);
            let exact = iou(&a, &b);
            // geo's BooleanOps snaps coordinates to a fixed grid (~1e-9 relative here).
            assert!((fast - exact).abs() < 1e-7, "{fast} vs {exact}");
            overlapping += usize::from(exact > 0.0);
        }
        assert!(overlapping > 100);
        // An L shape is not convex.
        let l = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 1.), (x: 1., y: 1.), (x: 1., y: 4.), (x: 0., y: 4.)],
        ]);
        let shape = Shape::new(&l, &mut ConvexOutlines::default());
        assert!(shape.ring.is_some() && !shape.convex);
    }

    /// A valid ring of any shape (traced outlines: staircases, L and U shapes, notches) clipped
    /// by a convex one gives geo's intersection: clipping by each half-plane keeps the winding
    /// number of every point inside it, so the shoelace area of what is left is the area of
    /// the intersection, whatever degenerate edges the clipping leaves along the clip's sides.
    #[test]
    fn clipping_a_non_convex_ring_by_a_convex_one_agrees_with_boolean_ops() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        // A random orthogonal staircase polygon (as traced from a mask): a union of columns of
        // random heights, walked around; valid by construction.
        let staircase = |rng: &mut rand_chacha::ChaCha8Rng| {
            let (x0, y0) = (rng.random_range(0.0..10.0), rng.random_range(0.0..10.0));
            let columns = rng.random_range(2..8);
            let width = rng.random_range(0.5..3.0);
            let heights: Vec<f64> = (0..columns).map(|_| rng.random_range(1.0..12.0)).collect();
            let mut pts = vec![(x0, y0)];
            for (i, h) in heights.iter().enumerate() {
                let x = x0 + width * i as f64;
                pts.push((x, y0 + h));
                pts.push((x + width, y0 + h));
            }
            pts.push((x0 + width * columns as f64, y0));
            if rng.random_bool(0.5) {
                pts.reverse();
            }
            MultiPolygon(vec![geo::Polygon::new(pts.into(), vec![])])
        };
        let convex = |rng: &mut rand_chacha::ChaCha8Rng| rectangle(rng, 2.0..9.0);
        let (mut overlapping, mut clipped) = (0, 0);
        for case in 0..1000 {
            let (a, b) = (staircase(&mut rng), convex(&mut rng));
            let mut outlines = ConvexOutlines::default();
            let (sa, sb) = (Shape::new(&a, &mut outlines), Shape::new(&b, &mut outlines));
            assert!(sb.convex && sa.ring.is_some());
            clipped += usize::from(!sa.convex);
            let exact = iou(&a, &b);
            // Either way round.
            for fast in [sa.iou(&sb, &mut outlines), sb.iou(&sa, &mut outlines)] {
                assert!(
                    (fast - exact).abs() < 1e-7,
                    "case {case}: {fast} vs {exact}"
                );
            }
            overlapping += usize::from(exact > 0.0);
        }
        assert!(
            overlapping > 300 && clipped > 800,
            "{overlapping} {clipped}"
        );
    }
}
