//! Boxes found by the boxes they meet: the candidate ground truth of a proposal.

use geo::Rect;

/// Boxes with an index each, found by the boxes they meet: sorted by their left edge, so that
/// those that can meet `[x0, x1]` across are the ones whose left edge is in
/// `[x0 - widest, x1]` (two binary searches), then checked.
pub(crate) struct BoxIndex {
    pub(super) boxes: Vec<(Rect<f64>, usize)>,
    widest: f64,
}

impl BoxIndex {
    pub(crate) fn new(boxes: impl Iterator<Item = (Rect<f64>, usize)>) -> Self {
        let mut boxes: Vec<(Rect<f64>, usize)> = boxes.collect();
        // (Boxes with the same left edge may come in any order: queries promise none.)
        boxes.sort_unstable_by_key(|(r, _)| total_order_key(r.min().x));
        let widest = boxes.iter().map(|(r, _)| r.width()).fold(0.0, f64::max);
        Self { boxes, widest }
    }

    /// The indices of the boxes that meet `query` (touching counts), in no set order.
    pub(crate) fn overlapping(&self, query: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
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

/// An integer whose order is `f64::total_cmp`'s order of `x` (the same mapping).
pub(super) fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Coord;

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
}
