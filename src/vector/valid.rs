//! Polygon validity as geo decides it, without its quadratic search for self-intersections.
//!
//! geo's `Validation` tests every pair of a ring's edges for an intersection; a building
//! outline of a few dozen edges is checked hundreds of times a tile. Here only the pairs whose
//! bounding boxes meet are tested (edges whose boxes are apart cannot intersect), found by a
//! sweep over the edges sorted by their left end, with geo's own predicate for each pair: the
//! answer is geo's (tested on random rings).

use geo::{Coord, Intersects, Line, Polygon, Validation};

/// Whether geo's `Validation::is_valid` holds for `polygon`. A polygon with holes is left to
/// geo (the rings' relations need its full machinery; few buildings have holes).
pub fn is_valid_polygon(polygon: &Polygon<f64>) -> bool {
    if !polygon.interiors().is_empty() {
        return polygon.is_valid();
    }
    let ring = &polygon.exterior().0;
    if ring.is_empty() {
        return true; // an empty polygon is valid
    }
    // At least 4 points without repeating the one before (3 distinct points and the closing
    // one), all finite, and no two edges meeting other than at the point they share.
    let distinct = 1 + ring.windows(2).filter(|w| w[0] != w[1]).count();
    distinct >= 4
        && ring.iter().all(|c| c.x.is_finite() && c.y.is_finite())
        && !has_self_intersection(ring)
}

/// geo's rule for a ring's self-intersection: two different edges that intersect, other than
/// where one's start is the other's end (in either order, so the rule is symmetric and each
/// unordered pair is tested once).
fn has_self_intersection(ring: &[Coord<f64>]) -> bool {
    let mut edges: Vec<Line<f64>> = ring.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    edges.sort_by(|a, b| left(a).total_cmp(&left(b)));
    for (i, a) in edges.iter().enumerate() {
        let (a_right, a_low, a_high) = (right(a), low(a), high(a));
        for b in &edges[i + 1..] {
            if left(b) > a_right {
                break; // this and every later edge start right of `a`
            }
            if low(b) > a_high || high(b) < a_low {
                continue;
            }
            if a.intersects(b) && a.start != b.end && a.end != b.start {
                return true;
            }
        }
    }
    false
}

fn left(l: &Line<f64>) -> f64 {
    l.start.x.min(l.end.x)
}

fn right(l: &Line<f64>) -> f64 {
    l.start.x.max(l.end.x)
}

fn low(l: &Line<f64>) -> f64 {
    l.start.y.min(l.end.y)
}

fn high(l: &Line<f64>) -> f64 {
    l.start.y.max(l.end.y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, polygon};
    use rand::{Rng, SeedableRng};

    /// Random rings of every kind a vectorizer or a CSV gives: pixel-corner walks that cross
    /// or touch themselves, random points (mostly self-intersecting), spikes that double
    /// back, repeated and collinear points, too few points, a NaN; the answer is geo's.
    #[test]
    fn the_answer_is_geos_on_random_rings() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        let (mut valid, mut invalid) = (0, 0);
        for case in 0..6000 {
            let n = rng.random_range(1..14);
            let mut points: Vec<Coord<f64>> = match case % 3 {
                // A walk on the integer grid (outlines on pixel corners): turns at random.
                0 => {
                    let mut p = Coord { x: 0.0, y: 0.0 };
                    let mut out = vec![p];
                    for _ in 0..n {
                        let step = f64::from(rng.random_range(1..4));
                        match rng.random_range(0..4) {
                            0 => p.x += step,
                            1 => p.y += step,
                            2 => p.x -= step,
                            _ => p.y -= step,
                        }
                        out.push(p);
                    }
                    out
                }
                // A convex-ish polygon with its points jittered (mostly valid).
                1 => (0..n.max(3))
                    .map(|k| {
                        let angle = k as f64 / n.max(3) as f64 * std::f64::consts::TAU;
                        let r = rng.random_range(4.0..6.0);
                        Coord {
                            x: (r * angle.cos()).round(),
                            y: (r * angle.sin()).round(),
                        }
                    })
                    .collect(),
                // Random points on a small grid: crossings, touches, overlaps.
                _ => (0..n)
                    .map(|_| Coord {
                        x: f64::from(rng.random_range(0..5)),
                        y: f64::from(rng.random_range(0..5)),
                    })
                    .collect(),
            };
            match rng.random_range(0..12) {
                0 if !points.is_empty() => {
                    let k = rng.random_range(0..points.len());
                    points.insert(k, points[k]); // a repeated point
                }
                1 if points.len() > 1 => {
                    let k = rng.random_range(1..points.len());
                    let (a, b) = (points[k - 1], points[k]);
                    points.insert(k, (a + b) / 2.0); // a collinear point
                }
                2 if points.len() > 1 => {
                    let k = rng.random_range(1..points.len());
                    let (a, b) = (points[k - 1], points[k]);
                    points.insert(k, b + (b - a)); // a spike
                    points.insert(k + 1, b);
                }
                3 if !points.is_empty() => points[0].x = f64::NAN,
                _ => {}
            }
            let polygon = Polygon::new(LineString::from(points), vec![]);
            let expected = polygon.is_valid();
            assert_eq!(is_valid_polygon(&polygon), expected, "{polygon:?}");
            if expected {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        assert!(
            valid > 1000 && invalid > 1000,
            "{valid} valid, {invalid} invalid"
        );
        // With holes: geo's answer as it is.
        let holed = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            interiors: [[(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.)]],
        );
        assert!(is_valid_polygon(&holed));
        assert!(is_valid_polygon(&Polygon::new(
            LineString::new(vec![]),
            vec![]
        )));
    }
}
