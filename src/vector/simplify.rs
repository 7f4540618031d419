//! Douglas-Peucker for outlines traced on pixel corners: geo's algorithm and its rules, in
//! exact integer arithmetic instead of floating-point distances.
//!
//! geo's `Simplify` measures every vertex's distance to the chord with a division and a
//! `hypot`: a tenth of the time of vectorizing a tile (the demo mask, profiled). On integer vertices the same decisions come
//! from integers alone: for one chord, the squared distances share one denominator (the chord's
//! squared length), so comparing them is comparing their numerators, and the tolerance test is
//! one multiplication. The rules are geo 0.33's: the farthest vertex (the later one on a tie),
//! split while it is farther than the tolerance, and no cut that would leave a ring fewer than
//! four vertices (the first and last, equal, count twice).

use geo::{Coord, LineString, Polygon, Simplify};

/// Vertices within this of the origin: every squared distance times a squared chord length
/// stays below 2^102, inside an `i128`.
const LIMIT: f64 = 16_777_216.0; // 2^24

/// The fewest vertices geo leaves in a polygon's ring.
const RING_MIN: usize = 4;

/// `polygon` simplified as geo's `Simplify` does it with tolerance `epsilon`: exactly, in
/// integers, when every vertex is on a pixel corner (what tracing gives), through geo
/// otherwise.
pub(crate) fn simplify_outline(polygon: &Polygon<f64>, epsilon: f64) -> Polygon<f64> {
    let on_corner = |c: &Coord<f64>| {
        c.x.fract() == 0.0 && c.y.fract() == 0.0 && c.x.abs() < LIMIT && c.y.abs() < LIMIT
    };
    let rings = || std::iter::once(polygon.exterior()).chain(polygon.interiors());
    if epsilon.is_nan() || epsilon <= 0.0 || !rings().all(|r| r.0.iter().all(on_corner)) {
        return polygon.simplify(epsilon);
    }
    let tolerance_squared = epsilon * epsilon;
    let mut simplified = rings().map(|ring| simplify_ring(ring, tolerance_squared));
    let exterior = simplified.next().unwrap_or_else(|| LineString(vec![]));
    Polygon::new(exterior, simplified.collect())
}

/// One ring of integer vertices through Douglas-Peucker.
fn simplify_ring(ring: &LineString<f64>, tolerance_squared: f64) -> LineString<f64> {
    // Exact: the caller checked every coordinate is an integer under 2^24.
    let points: Vec<[i64; 2]> = ring.0.iter().map(|c| [c.x as i64, c.y as i64]).collect();
    let n = points.len();
    let mut keep = vec![true; n];
    let mut left = n;
    // Chords to look at, the leftmost on top: cuts are decided in the order geo's recursion
    // decides them, which matters once a ring is down to its last four vertices.
    let mut chords = vec![(0, n.saturating_sub(1))];
    while let Some((first, last)) = chords.pop() {
        if last < first + 2 {
            continue;
        }
        let (Some(&a), Some(&b)) = (points.get(first), points.get(last)) else {
            continue;
        };
        let chord = [b[0] - a[0], b[1] - a[1]];
        let length_squared = i128::from(chord[0] * chord[0] + chord[1] * chord[1]);
        // The squared distances of the vertices between, times the chord's squared length (1
        // when the chord is a point: the closed ring's first look).
        let scale = length_squared.max(1);
        let (mut farthest, mut farthest_distance) = (first, 0i128);
        // geo's own (floating-point) distance of the farthest so far, worked out on a tie.
        let mut farthest_geo: Option<f64> = Some(0.0);
        let geo_distance = |i: usize| {
            let coord = |k: usize| ring.0.get(k).copied().unwrap_or_default();
            geo_segment_distance(coord(i), coord(first), coord(last))
        };
        for (i, &p) in points.iter().enumerate().take(last).skip(first + 1) {
            let distance = scaled_distance_squared(p, a, b, chord, length_squared, scale);
            if distance > farthest_distance {
                (farthest, farthest_distance, farthest_geo) = (i, distance, None);
            } else if distance == farthest_distance {
                // Equally far: geo's rounded distances decide (the later one when they are
                // equal too). A vertex off the chord's span against one beside it can round
                // either way (sqrt 2 from `hypot(1, 1)` and from `6 / 18 * hypot(3, 3)`).
                let here = geo_distance(i);
                let there = *farthest_geo.get_or_insert_with(|| geo_distance(farthest));
                if here >= there {
                    (farthest, farthest_geo) = (i, Some(here));
                }
            }
        }
        if farthest_distance as f64 > tolerance_squared * scale as f64 {
            chords.push((farthest, last));
            chords.push((first, farthest));
            continue;
        }
        let cut = last - first - 1;
        if left - cut >= RING_MIN {
            left -= cut;
            if let Some(between) = keep.get_mut(first + 1..last) {
                between.fill(false);
            }
        }
    }
    LineString(
        ring.0
            .iter()
            .zip(&keep)
            .filter(|&(_, &kept)| kept)
            .map(|(&c, _)| c)
            .collect(),
    )
}

/// The squared distance from `p` to the segment `a`-`b` times `scale` (the segment's squared
/// length, or 1 when it is a point), as geo measures it: to the nearer end where the
/// perpendicular's foot is off the segment (at or past an end), to the line otherwise.
fn scaled_distance_squared(
    p: [i64; 2],
    a: [i64; 2],
    b: [i64; 2],
    chord: [i64; 2],
    length_squared: i128,
    scale: i128,
) -> i128 {
    let to_a = [p[0] - a[0], p[1] - a[1]];
    let along = i128::from(to_a[0] * chord[0] + to_a[1] * chord[1]);
    let squared = |d: [i64; 2]| i128::from(d[0] * d[0] + d[1] * d[1]);
    if length_squared == 0 || along <= 0 {
        squared(to_a) * scale
    } else if along >= length_squared {
        squared([p[0] - b[0], p[1] - b[1]]) * scale
    } else {
        let cross = i128::from(to_a[0] * chord[1] - to_a[1] * chord[0]);
        cross * cross
    }
}

/// geo-types' `line_segment_distance`, operation for operation: its rounding decides ties.
fn geo_segment_distance(p: Coord<f64>, start: Coord<f64>, end: Coord<f64>) -> f64 {
    let to = |q: Coord<f64>| (q.x - p.x).hypot(q.y - p.y);
    if start == end {
        return to(start);
    }
    let (dx, dy) = (end.x - start.x, end.y - start.y);
    let d_squared = dx * dx + dy * dy;
    let r = ((p.x - start.x) * dx + (p.y - start.y) * dy) / d_squared;
    if r <= 0.0 {
        return to(start);
    }
    if r >= 1.0 {
        return to(end);
    }
    let s = ((start.y - p.y) * dx - (start.x - p.x) * dy) / d_squared;
    s.abs() * dx.hypot(dy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Random rings of integer vertices, closed: staircases (what tracing gives), spikes and
    /// collinear runs, small and large.
    fn random_ring(rng: &mut impl Rng) -> LineString<f64> {
        let n = rng.random_range(3..60);
        let spread = [2, 5, 40, 1000][rng.random_range(0..4)];
        let mut coords: Vec<Coord<f64>> = Vec::with_capacity(n + 1);
        let (mut x, mut y) = (0i64, 0i64);
        for _ in 0..n {
            match rng.random_range(0..3) {
                0 => x += rng.random_range(-spread..=spread),
                1 => y += rng.random_range(-spread..=spread),
                _ => {
                    x += rng.random_range(-spread..=spread);
                    y += rng.random_range(-spread..=spread);
                }
            }
            coords.push(Coord {
                x: x as f64,
                y: y as f64,
            });
        }
        if let Some(&first) = coords.first() {
            coords.push(first);
        }
        LineString(coords)
    }

    /// The same vertices geo keeps, ring by ring, on thousands of random rings and tolerances,
    /// ties among equally far vertices included (small spreads make many).
    #[test]
    fn keeps_the_vertices_geo_keeps() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        let mut cut = 0;
        for case in 0..5000 {
            let exterior = random_ring(&mut rng);
            let holes = (0..rng.random_range(0..3))
                .map(|_| random_ring(&mut rng))
                .collect();
            let polygon = Polygon::new(exterior, holes);
            let epsilon = [0.5, 1.0, 1.5, 3.0, 0.25][case % 5];
            let ours = simplify_outline(&polygon, epsilon);
            assert_eq!(
                ours,
                polygon.simplify(epsilon),
                "case {case}, epsilon {epsilon}"
            );
            cut += polygon.exterior().0.len() - ours.exterior().0.len();
        }
        assert!(
            cut > 10_000,
            "the rings were hardly simplified: {cut} vertices cut"
        );
    }

    #[test]
    fn off_corner_or_far_vertices_and_no_tolerance_go_through_geo() {
        let ring = [
            (0.0, 0.0),
            (4.0, 0.1),
            (8.0, 0.0),
            (8.0, 8.5),
            (0.0, 8.0),
            (0.0, 0.0),
        ];
        let polygon = Polygon::new(LineString::from(ring.to_vec()), vec![]);
        for epsilon in [0.5, 0.0, -1.0, f64::NAN] {
            assert_eq!(
                simplify_outline(&polygon, epsilon),
                polygon.simplify(epsilon),
                "{epsilon}"
            );
        }
        // Far from the origin the integer products would overflow: geo's own arithmetic.
        let far = 1_099_511_627_776.0; // 2^40
        let big = [(0.0, 0.0), (far, 1.0), (far, far), (0.0, far), (0.0, 0.0)];
        let big = Polygon::new(LineString::from(big.to_vec()), vec![]);
        assert_eq!(simplify_outline(&big, 2.0), big.simplify(2.0));
    }
}
