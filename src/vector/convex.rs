//! Convex rings: most building outlines are, and for them validity and intersection areas
//! have shortcuts (tested against geo's general algorithms).

use geo::{Coord, Polygon};

/// Whether a closed ring (at least 4 points, the last repeating the first) turns one way at
/// every corner that is not straight: a convex outline, or a star that winds more than once
/// (see [`simple_convex`]).
pub fn turns_one_way(ring: &[Coord<f64>]) -> bool {
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
pub fn simple_convex(ring: &[Coord<f64>]) -> bool {
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

/// The last edge of a closed ring of at least 4 points (3 corners), which the first edge
/// follows around the ring.
fn last_edge(ring: &[Coord<f64>]) -> Option<Coord<f64>> {
    match ring {
        [.., a, b] if ring.len() >= 4 => Some(*b - *a),
        _ => None,
    }
}

/// A polygon without holes whose outline is a simple convex ring: valid, without geo's
/// general (quadratic) check.
pub fn is_simple_convex(polygon: &Polygon<f64>) -> bool {
    let ring = &polygon.exterior().0;
    polygon.interiors().is_empty() && turns_one_way(ring) && simple_convex(ring)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;

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
            let ring = &polygon.exterior().0;
            if turns_one_way(ring) {
                if simple_convex(ring) {
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
}
