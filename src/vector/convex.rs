//! Convex rings: most building outlines are, and for them validity and intersection areas
//! have shortcuts (tested against geo's general algorithms).

use geo::{Coord, Polygon};

/// The last edge of a closed ring of at least 4 points (3 corners), which the first edge
/// follows around the ring.
fn last_edge(ring: &[Coord<f64>]) -> Option<Coord<f64>> {
    match ring {
        [.., a, b] if ring.len() >= 4 => Some(*b - *a),
        _ => None,
    }
}

/// What measuring a building outline takes from its closed ring, all from one pass over it
/// (an evaluation measures hundreds of thousands): each field equals what a computation of
/// its own gives, bit for bit, the orientation by its sign (tested against the rules written
/// one at a time, and against geo).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingFacts {
    /// The ring turns one way at every corner that is not straight: a convex outline, or a
    /// star that winds more than once.
    pub turns_one_way: bool,
    /// It turns one way and is a simple convex polygon beyond doubt: finite, no repeated or
    /// doubling-back points, and winding once (its edges' x and y directions each change sign
    /// at most twice; a pentagram, which also turns one way, changes more often). Such a ring
    /// is valid; any other is left to the full check.
    pub simple_convex: bool,
    /// geo's `unsigned_area` of a polygon with this exterior and no holes.
    pub area: f64,
    /// geo's `bounding_rect`: (min, max).
    pub bounds: (Coord<f64>, Coord<f64>),
    /// The shoelace sum over the open ring's corners, unshifted, whose sign is its
    /// orientation (positive counter-clockwise; its sign is the eval outlines' rule).
    pub twice_signed_area: f64,
}

/// [`RingFacts`] of a ring of at least 4 points (`None` for a shorter one), closed as a geo
/// polygon's rings are.
pub fn ring_facts(ring: &[Coord<f64>]) -> Option<RingFacts> {
    let last = last_edge(ring)?;
    let first = ring[0];
    // geo's area: determinants of the points shifted by the first (its rounding exactly).
    let mut shifted_sum = 0.0;
    let mut shifted_prev = ring[1] - first;
    // geo's bounding box, by its comparisons (a NaN leaves a range as it is there too).
    let (mut x_range, mut y_range) = ((first.x, first.x), (first.y, first.y));
    let min_max = |v: f64, (lo, hi): (f64, f64)| {
        if v < lo {
            (v, hi)
        } else if v > hi {
            (lo, v)
        } else {
            (lo, hi)
        }
    };
    let mut unshifted = 0.0;
    // turns_one_way's sign, and simple_convex's state: the two walk the same corners.
    let (mut sign, mut turns) = (0.0f64, true);
    let mut simple = ring.iter().all(|c| c.x.is_finite() && c.y.is_finite());
    let (mut x_changes, mut y_changes) = (0, 0);
    let (mut last_dx, mut last_dy) = (0.0f64, 0.0f64);
    let mut count_changes = |edge: Coord<f64>| {
        if edge.x != 0.0 {
            if last_dx != 0.0 && edge.x.signum() != last_dx.signum() {
                x_changes += 1;
            }
            last_dx = edge.x;
        }
        if edge.y != 0.0 {
            if last_dy != 0.0 && edge.y.signum() != last_dy.signum() {
                y_changes += 1;
            }
            last_dy = edge.y;
        }
    };
    let mut prev = last;
    for (k, w) in ring.windows(2).enumerate() {
        let (p, q) = (w[0], w[1]);
        x_range = min_max(q.x, x_range);
        y_range = min_max(q.y, y_range);
        if k >= 1 {
            let shifted = q - first;
            shifted_sum += shifted_prev.x * shifted.y - shifted_prev.y * shifted.x;
            shifted_prev = shifted;
        }
        // (The last point repeats the first: these are the open ring's corners.)
        unshifted += p.x * q.y - q.x * p.y;
        let edge = q - p;
        let cross = prev.x * edge.y - prev.y * edge.x;
        if simple {
            if edge.x == 0.0 && edge.y == 0.0 {
                simple = false; // a repeated point
            } else if cross == 0.0 && prev.x * edge.x + prev.y * edge.y <= 0.0 {
                simple = false; // doubling back
            } else {
                count_changes(edge);
            }
        }
        prev = edge;
        if cross != 0.0 && turns {
            if sign == 0.0 {
                sign = cross.signum();
            } else if cross.signum() != sign {
                turns = false;
            }
        }
    }
    turns &= sign != 0.0;
    if simple {
        // Around to the first edge again: its change of direction from the last one's (as
        // simple_convex counts; the cyclic count is even, so this never decides alone).
        count_changes(ring[1] - first);
    }
    // geo: half the exterior's determinant sum (0 for a ring that is not closed), its
    // absolute value.
    let closed = ring.last() == Some(&first);
    let half = if closed { shifted_sum / 2.0 } else { 0.0 };
    let area = half.abs();
    Some(RingFacts {
        turns_one_way: turns,
        simple_convex: turns && simple && x_changes <= 2 && y_changes <= 2,
        area,
        bounds: (
            Coord {
                x: x_range.0,
                y: y_range.0,
            },
            Coord {
                x: x_range.1,
                y: y_range.1,
            },
        ),
        twice_signed_area: unshifted,
    })
}

/// A polygon without holes whose outline is a simple convex ring: valid, without geo's
/// general (quadratic) check.
pub fn is_simple_convex(polygon: &Polygon<f64>) -> bool {
    polygon.interiors().is_empty()
        && ring_facts(&polygon.exterior().0).is_some_and(|facts| facts.simple_convex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;

    // The rules one at a time, as the shortcut was first written: the reference that
    // ring_facts' single pass is checked against.

    /// Whether a closed ring (at least 4 points, the last repeating the first) turns one way at
    /// every corner that is not straight: a convex outline, or a star that winds more than once
    /// (see [`simple_convex`]).
    fn turns_one_way(ring: &[Coord<f64>]) -> bool {
        let Some(last) = last_edge(ring) else {
            return false;
        };
        // Each corner between an edge and the next, the last edge's corner with the first too.
        let mut sign = 0.0f64;
        let mut prev = last;
        for edge in edges(ring) {
            let cross = prev.x * edge.y - prev.y * edge.x;
            prev = edge;
            if cross == 0.0 {
                continue;
            }
            if sign == 0.0 {
                sign = cross.signum();
            } else if cross.signum() != sign {
                return false;
            }
        }
        sign != 0.0
    }

    /// Whether a closed ring that turns one way (see [`turns_one_way`]) is a simple convex polygon
    /// beyond doubt: finite, no repeated or doubling-back points, and winding once (its edges'
    /// x and y directions each change sign at most twice; a pentagram, which also turns one way,
    /// changes more often). Such a ring is valid; any other is left to the full check.
    fn simple_convex(ring: &[Coord<f64>]) -> bool {
        let Some(last) = last_edge(ring) else {
            return false;
        };
        if ring.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
            return false;
        }
        let (mut x_changes, mut y_changes) = (0, 0);
        let (mut last_dx, mut last_dy) = (0.0f64, 0.0f64);
        let mut prev = last;
        // Once around from the first edge, then the first edge again to close the count.
        for edge in edges(ring).chain(edges(ring).take(1)) {
            let (dx, dy) = (edge.x, edge.y);
            if dx == 0.0 && dy == 0.0 {
                return false; // a repeated point
            }
            // Collinear neighbours must go on, not back.
            let cross = prev.x * dy - prev.y * dx;
            if cross == 0.0 && prev.x * dx + prev.y * dy <= 0.0 {
                return false;
            }
            prev = edge;
            if dx != 0.0 {
                if last_dx != 0.0 && dx.signum() != last_dx.signum() {
                    x_changes += 1;
                }
                last_dx = dx;
            }
            if dy != 0.0 {
                if last_dy != 0.0 && dy.signum() != last_dy.signum() {
                    y_changes += 1;
                }
                last_dy = dy;
            }
        }
        x_changes <= 2 && y_changes <= 2
    }

    /// The edges of a closed ring as vectors, first to last.
    fn edges(ring: &[Coord<f64>]) -> impl Iterator<Item = Coord<f64>> + '_ {
        ring.windows(2).map(|w| w[1] - w[0])
    }

    /// The shortcut to validity never calls valid what geo's full check does not: random
    /// convex rings (collinear points, both orientations), pentagrams and other stars (which
    /// turn one way), rings doubling back and with repeated points.
    #[test]
    fn simple_convex_rings_are_valid_by_the_full_check() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut fast, mut full, mut turning_one_way_refused) = (0, 0, 0);
        for case in 0..4000 {
            let n = rng.random_range(3..9);
            let step = match case % 4 {
                0 | 1 => 1,                  // convex
                2 => rng.random_range(2..4), // a star: winds more than once
                _ => 1,
            };
            let radius = rng.random_range(1.0..20.0);
            let mut pts: Vec<(f64, f64)> = (0..n)
                .map(|k| {
                    let a = std::f64::consts::TAU * ((k * step) % n) as f64 / n as f64;
                    ((radius * a.cos()).round(), (radius * a.sin()).round())
                })
                .collect();
            if case % 4 == 3 {
                // Repeat a point, or put a midpoint in (collinear), or double back.
                let i = rng.random_range(0..n);
                let (a, b) = (pts[i], pts[(i + 1) % n]);
                match rng.random_range(0..3) {
                    0 => pts.insert(i, a),
                    1 => pts.insert(i + 1, ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)),
                    _ => pts.insert(i + 1, (2.0 * b.0 - a.0, 2.0 * b.1 - a.1)),
                }
            }
            if rng.random_bool(0.5) {
                pts.reverse();
            }
            let polygon = Polygon::new(pts.into(), vec![]);
            let turns = ring_facts(&polygon.exterior().0).is_some_and(|f| f.turns_one_way);
            if turns {
                if is_simple_convex(&polygon) {
                    fast += 1;
                    assert!(polygon.is_valid(), "called valid: {polygon:?}");
                } else {
                    turning_one_way_refused += 1;
                }
            }
            full += usize::from(polygon.is_valid());
        }
        // The shortcut takes most valid rings (the point of it).
        assert!(fast * 10 >= full * 7, "{fast} of {full} valid rings");
        // Stars and rings doubling back turn one way too: the shortcut must refuse them.
        assert!(turning_one_way_refused > 100, "{turning_one_way_refused}");
    }

    /// One pass gives what the separate functions give, bit for bit: on the rings above
    /// (convex, stars, repeated and collinear points, doubling back, both orientations), on
    /// polygons with real-valued corners, and with non-finite coordinates.
    #[test]
    fn ring_facts_equal_the_separate_functions() {
        use geo::{Area, BoundingRect, LineString, MultiPolygon};
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
        for case in 0..6000 {
            let n = rng.random_range(3..9);
            let step = if case % 3 == 2 {
                rng.random_range(2..4)
            } else {
                1
            };
            let (cx, cy) = (rng.random_range(0.0..900.0), rng.random_range(0.0..900.0));
            let radius = rng.random_range(1.0..40.0);
            let turn = rng.random_range(0.0..1.0);
            let round = case % 2 == 0;
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let a = std::f64::consts::TAU * (((k * step) % n) as f64 / n as f64 + turn);
                    let (x, y) = (cx + radius * a.cos(), cy + radius * a.sin());
                    if round {
                        Coord {
                            x: x.round(),
                            y: y.round(),
                        }
                    } else {
                        Coord { x, y }
                    }
                })
                .collect();
            let i = rng.random_range(0..n);
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            match case % 7 {
                0 => pts.insert(i, a),
                1 => pts.insert(i + 1, (a + b) / 2.0),
                2 => pts.insert(i + 1, b * 2.0 - a),
                3 => pts[i].x = [f64::NAN, f64::INFINITY][case % 2],
                _ => {}
            }
            if rng.random_bool(0.5) {
                pts.reverse();
            }
            // As a polygon has it: closed.
            rings.push(Polygon::new(LineString(pts), vec![]).exterior().0.clone());
        }
        let mut turning = 0;
        for ring in &rings {
            // (Rounding may close a ring early: fewer than 4 points, no facts.)
            let Some(facts) = ring_facts(ring) else {
                assert!(ring.len() < 4, "{ring:?}");
                continue;
            };
            let polygon = MultiPolygon(vec![Polygon::new(LineString(ring.clone()), vec![])]);
            let turns = turns_one_way(ring);
            turning += usize::from(turns);
            assert_eq!(facts.turns_one_way, turns, "{ring:?}");
            assert_eq!(
                facts.simple_convex,
                turns && simple_convex(ring),
                "{ring:?}"
            );
            let area = polygon.unsigned_area();
            assert!(
                facts.area.to_bits() == area.to_bits() || (area.is_nan() && facts.area.is_nan()),
                "{} vs {area}: {ring:?}",
                facts.area
            );
            let bounds = polygon.bounding_rect().unwrap();
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
            assert!(
                same(facts.bounds.0.x, bounds.min().x)
                    && same(facts.bounds.0.y, bounds.min().y)
                    && same(facts.bounds.1.x, bounds.max().x)
                    && same(facts.bounds.1.y, bounds.max().y),
                "{:?} vs {bounds:?}: {ring:?}",
                facts.bounds
            );
            let shoelace = crate::vector::twice_signed_area(&ring[..ring.len() - 1]);
            assert_eq!(facts.twice_signed_area < 0.0, shoelace < 0.0, "{ring:?}");
        }
        assert!(turning > 2000, "{turning}");
        assert_eq!(ring_facts(&rings[0][..3]), None);
    }
}
