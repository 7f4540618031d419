//! A polygon as the metric measures it: area, box and validity from one pass over its ring
//! where it can, and IoU by convex clipping where both are convex.

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect, Validation};

use crate::vector::{ConvexOutlines, is_valid_polygon, ring_facts};

#[derive(Clone, Copy)]
pub(super) struct Shape<'a> {
    pub(super) polygon: &'a MultiPolygon<f64>,
    pub(super) area: f64,
    pub(super) bbox: Option<Rect<f64>>,
    pub(super) valid: bool,
    /// The outline of one convex part without holes (most buildings), as a span of the
    /// image's [`ConvexOutlines`]: IoU by convex clipping.
    pub(super) convex: Option<(usize, usize)>,
}

impl<'a> Shape<'a> {
    pub(super) fn new(polygon: &'a MultiPolygon<f64>, outlines: &mut ConvexOutlines) -> Self {
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
    pub(super) fn iou(&self, other: &Shape, outlines: &mut ConvexOutlines) -> f64 {
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
            let mut outlines = ConvexOutlines::default();
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
        assert!(
            Shape::new(&l, &mut ConvexOutlines::default())
                .convex
                .is_none()
        );
    }
}
