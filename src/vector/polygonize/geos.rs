//! The two shapely (GEOS) steps of the SN6 winner's outlines, replayed vertex for vertex on
//! outlines traced on pixel edges, since the footprints' final whole-pixel rounding turns any
//! difference in a vertex into a pixel: `buffer(0.5)` (GEOS's offset curve: round joins of 16
//! segments a quadrant, the ring starting where `rasterio.features.shapes` starts it) and
//! `simplify(0.5)` (GEOS's topology-preserving Douglas-Peucker, its rules for a ring's fewest
//! points and the first of equally far vertices).
//!
//! The replay covers what a buffer leaves as one ring per ring; where the offset curve folds
//! onto itself (a notch or gap a pixel wide, a ring touching itself) the caller falls back to
//! geo's buffer, the same area by other vertices.

use geo::{Coord, LineString, Polygon};

/// GEOS's segments per quadrant of a round join (shapely's default `quad_segs`).
const QUADRANT_SEGMENTS: i32 = 16;

/// `polygon` (rings on pixel edges, as traced) with its rings started and turned the way
/// `rasterio.features.shapes` writes them: at the ring's top-left vertex (least y, then x),
/// the exterior going down (+y) first, a hole going right (+x) first. Tracing already turns
/// them so (the region on the left in y-down terms); only the start moves.
pub(super) fn rasterio_order(polygon: &Polygon<f64>) -> Polygon<f64> {
    let start_top_left = |ring: &LineString<f64>| -> LineString<f64> {
        let open = ring.0.get(..ring.0.len().saturating_sub(1)).unwrap_or(&[]);
        let Some(first) = open
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)))
            .map(|(i, _)| i)
        else {
            return ring.clone();
        };
        let mut coords: Vec<Coord<f64>> = open[first..]
            .iter()
            .chain(&open[..first])
            .copied()
            .collect();
        if let Some(&c) = coords.first() {
            coords.push(c);
        }
        LineString(coords)
    };
    Polygon::new(
        start_top_left(polygon.exterior()),
        polygon.interiors().iter().map(start_top_left).collect(),
    )
}

/// GEOS's buffer where the offset curve folds onto itself: the offset rings' region by the
/// non-zero winding rule (GEOS's depth labelling), through geo's overlay, every vertex the
/// overlay moved by less than a millionth of a pixel put back on the offset curve's. Its
/// rings turned as GEOS writes a buffer's (the exterior clockwise in x-right, y-up terms,
/// holes anticlockwise) and started where GEOS starts them: at the least (x, then y) node of
/// the offset curve's graph (the first of its node map) on the ring, a node being a ring's
/// start or a point where the curve meets itself. `None` where a ring cannot be offset or
/// nothing is left.
pub(super) fn folded_buffer(ordered: &Polygon<f64>, distance: f64) -> Option<Polygon<f64>> {
    use geo::algorithm::bool_ops::{FillRule, OpType};
    use geo::{Area, BooleanOps, MapCoords, MultiPolygon};
    let exterior = offset_ring(ordered.exterior(), distance)?;
    let holes: Option<Vec<LineString<f64>>> = ordered
        .interiors()
        .iter()
        .map(|h| offset_ring(h, distance))
        .collect();
    let raw = Polygon::new(exterior, holes?);
    // The offset curve's segments, found by the pixel columns they cross.
    let segments: Vec<(Coord<f64>, Coord<f64>)> = std::iter::once(raw.exterior())
        .chain(raw.interiors())
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
        .collect();
    const NEAR: f64 = 1e-6;
    let x0 = segments
        .iter()
        .map(|s| s.0.x.min(s.1.x))
        .fold(f64::INFINITY, f64::min)
        .floor()
        - 1.0;
    let column = |x: f64| ((x - x0).max(0.0)) as usize;
    let mut columns: Vec<Vec<usize>> = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        let (lo, hi) = (
            column(s.0.x.min(s.1.x) - NEAR),
            column(s.0.x.max(s.1.x) + NEAR),
        );
        if columns.len() <= hi {
            columns.resize(hi + 1, Vec::new());
        }
        for c in &mut columns[lo..=hi] {
            c.push(i);
        }
    }
    let near = |c: Coord<f64>| {
        columns
            .get(column(c.x))
            .into_iter()
            .flatten()
            .filter_map(|&i| segments.get(i))
    };
    let starts: Vec<Coord<f64>> = std::iter::once(raw.exterior())
        .chain(raw.interiors())
        .filter_map(|r| r.0.first().copied())
        .collect();
    // The curve's vertex at `c`, if one is that near.
    let snap = |c: Coord<f64>| -> Coord<f64> {
        near(c)
            .flat_map(|s| [s.0, s.1])
            .find(|e| (e.x - c.x).abs() <= NEAR && (e.y - c.y).abs() <= NEAR)
            .unwrap_or(c)
    };
    // How many of the curve's segments pass through `c` (a plain vertex: the two it joins).
    let through = |c: Coord<f64>| -> usize {
        near(c)
            .filter(|s| segment_distance(c, s.0, s.1) <= NEAR)
            .count()
    };
    let is_node = |c: Coord<f64>| starts.contains(&c) || through(c) > 2;
    let region = raw.boolean_op_with_fill_rule(
        &MultiPolygon::<f64>(vec![]),
        OpType::Union,
        FillRule::NonZero,
    );
    let largest = region
        .0
        .into_iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?
        .map_coords(snap);
    let turn = |ring: &LineString<f64>, clockwise: bool| -> LineString<f64> {
        let open = ring.0.get(..ring.0.len().saturating_sub(1)).unwrap_or(&[]);
        let mut coords: Vec<Coord<f64>> = open.to_vec();
        if (crate::vector::twice_signed_area(&ring.0) < 0.0) != clockwise {
            coords.reverse();
        }
        let least = |only_nodes: bool| {
            coords
                .iter()
                .enumerate()
                .filter(|&(_, &c)| !only_nodes || is_node(c))
                .min_by(|(_, a), (_, b)| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)))
                .map(|(i, _)| i)
        };
        let first = least(true).or_else(|| least(false)).unwrap_or(0);
        coords.rotate_left(first);
        if let Some(&c) = coords.first() {
            coords.push(c);
        }
        LineString(coords)
    };
    Some(Polygon::new(
        turn(largest.exterior(), true),
        largest.interiors().iter().map(|h| turn(h, false)).collect(),
    ))
}

/// The unit normal on the left of `d` (in x-right, y-up terms).
fn left_normal(d: Coord<f64>) -> Coord<f64> {
    let len = d.x.hypot(d.y);
    Coord {
        x: -d.y / len,
        y: d.x / len,
    }
}

/// The ring GEOS's buffer gives for one ring of a rasterio-ordered outline grown by
/// `distance`: each edge moved `distance` to its left (away from the region), a round join at
/// every corner turning right (away from the offset), the offset edges' crossing at every
/// corner turning left, starting at the ring's first vertex. `None` for fewer than 3 corners
/// or a ring with straight or reversing corners.
pub(super) fn offset_ring(ring: &LineString<f64>, distance: f64) -> Option<LineString<f64>> {
    let open = ring.0.get(..ring.0.len().saturating_sub(1))?;
    let n = open.len();
    if n < 3 {
        return None;
    }
    let quantum = std::f64::consts::PI / 2.0 / f64::from(QUADRANT_SEGMENTS);
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(n * 17 + 1);
    let push = |out: &mut Vec<Coord<f64>>, c: Coord<f64>| {
        // GEOS drops a point within a millionth of the distance of the last one.
        if out
            .last()
            .is_none_or(|l: &Coord<f64>| (l.x - c.x).hypot(l.y - c.y) >= distance * 1e-6)
        {
            out.push(c);
        }
    };
    for i in 0..n {
        let (prev, here, next) = (open[(i + n - 1) % n], open[i], open[(i + 1) % n]);
        let (din, dout) = (here - prev, next - here);
        let cross = din.x * dout.y - din.y * dout.x;
        let (nin, nout) = (left_normal(din), left_normal(dout));
        let p0 = here + nin * distance;
        let p1 = here + nout * distance;
        if cross < 0.0 {
            // A right turn: the offset side is outside the corner, a fillet clockwise from p0
            // to p1 (GEOS's addCornerFillet / addDirectedFillet).
            let mut start = (p0.y - here.y).atan2(p0.x - here.x);
            let end = (p1.y - here.y).atan2(p1.x - here.x);
            if start <= end {
                start += 2.0 * std::f64::consts::PI;
            }
            let total = (start - end).abs();
            let segments = (total / quantum + 0.5) as i32;
            push(&mut out, p0);
            if segments >= 1 {
                let step = total / f64::from(segments);
                for k in 0..segments {
                    let angle = start + f64::from(-k) * step;
                    push(
                        &mut out,
                        Coord {
                            x: here.x + distance * angle.cos(),
                            y: here.y + distance * angle.sin(),
                        },
                    );
                }
            }
            push(&mut out, p1);
        } else if cross > 0.0 {
            // A left turn: the offset edges cross inside the corner (what GEOS's noding
            // leaves of its inside-turn loop). Edges on pixel edges meet at right angles.
            push(&mut out, here + (nin + nout) * distance);
        } else {
            return None;
        }
    }
    let first = *out.first()?;
    push(&mut out, first);
    if out.last() != Some(&first) {
        out.push(first);
    }
    Some(LineString(out))
}

/// The distance from `p` to the segment `a`-`b` (GEOS's `LineSegment::distance`).
fn segment_distance(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    if a == b {
        return (p.x - a.x).hypot(p.y - a.y);
    }
    let len2 = (b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y);
    let r = ((p.x - a.x) * (b.x - a.x) + (p.y - a.y) * (b.y - a.y)) / len2;
    if r <= 0.0 {
        return (p.x - a.x).hypot(p.y - a.y);
    }
    if r >= 1.0 {
        return (p.x - b.x).hypot(p.y - b.y);
    }
    let s = ((a.y - p.y) * (b.x - a.x) - (a.x - p.x) * (b.y - a.y)) / len2;
    s.abs() * len2.sqrt()
}

/// A closed ring through GEOS's topology-preserving Douglas-Peucker (TaggedLineString
/// Simplifier): the ends kept, the first farthest vertex of a section kept while it is
/// farther than `tolerance`, and a section not flattened while the ring could be left with
/// fewer than 4 points. (GEOS also refuses a flattening that would cross another segment;
/// the caller checks the result instead.)
pub(super) fn simplify_ring(ring: &LineString<f64>, tolerance: f64) -> LineString<f64> {
    const MINIMUM: usize = 4;
    let pts = &ring.0;
    if pts.len() < MINIMUM + 1 {
        return ring.clone();
    }
    // The result's segments as (from, to) indices, in order.
    let mut segments: Vec<(usize, usize)> = Vec::new();
    let result_size = |segments: &Vec<(usize, usize)>| {
        if segments.is_empty() {
            0
        } else {
            segments.len() + 1
        }
    };
    // An explicit stack instead of recursion, right halves pushed first so sections complete
    // left to right as GEOS's recursion does.
    let mut stack = vec![(0usize, pts.len() - 1, 0usize)];
    while let Some((i, j, depth)) = stack.pop() {
        let depth = depth + 1;
        if i + 1 == j {
            segments.push((i, j));
            continue;
        }
        let mut valid = true;
        if result_size(&segments) < MINIMUM && depth + 1 < MINIMUM {
            valid = false;
        }
        let (mut far, mut far_d) = (i + 1, -1.0);
        for k in i + 1..j {
            let d = segment_distance(pts[k], pts[i], pts[j]);
            if d > far_d {
                (far, far_d) = (k, d);
            }
        }
        if far_d > tolerance {
            valid = false;
        }
        if valid {
            segments.push((i, j));
        } else {
            stack.push((far, j, depth));
            stack.push((i, far, depth));
        }
    }
    let mut out: Vec<Coord<f64>> = segments.iter().map(|&(i, _)| pts[i]).collect();
    if let Some(&(_, j)) = segments.last() {
        out.push(pts[j]);
    }
    LineString(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, polygon};

    #[test]
    fn a_square_buffers_as_geos_does() {
        // shapely: box(3, 4, 13, 14) traced as rasterio starts it, buffered by 0.5.
        let traced = polygon![(x: 3., y: 4.), (x: 3., y: 14.), (x: 13., y: 14.), (x: 13., y: 4.)];
        let ring = offset_ring(rasterio_order(&traced).exterior(), 0.5).unwrap();
        assert_eq!(ring.0.len(), 4 * 17 + 1);
        assert_eq!(ring.0[0], Coord { x: 3.0, y: 3.5 });
        assert!((ring.0[1].x - 2.950_991_429_835_219_6).abs() < 1e-15);
        assert!((ring.0[1].y - 3.502_407_636_663_901_4).abs() < 1e-15);
        let area = Polygon::new(ring.clone(), vec![]).unsigned_area();
        assert!((area - 120.784_137_122_636_5).abs() < 1e-9, "{area}");
        // simplify(0.5): POLYGON ((3 3.5, 2.646.. 3.646.. ...)) keeps 5 points.
        assert_eq!(simplify_ring(&ring, 0.5).0.len(), 5);
    }
}
