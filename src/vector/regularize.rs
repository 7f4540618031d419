//! Right angles for ragged outlines (JOSM's "orthogonalize", for traced masks): each side
//! turned parallel or perpendicular to the outline's dominant direction, fitted where the
//! traced edges lie, short jogs folded away.
//!
//! The steps, for each ring:
//! 1. Douglas-Peucker at a small tolerance, so that the pixel steps of a traced diagonal
//!    become one side.
//! 2. The dominant direction: the length-weighted mean of the sides' directions modulo 90°
//!    (each angle taken four times round the circle, where 0° and 90° are the same).
//! 3. In that frame each side is "along" or "across" (whichever its direction is nearer);
//!    neighbouring sides of one kind form one side of the result, on the line that is the
//!    length-weighted mean of theirs.
//! 4. While the shortest side is shorter than the minimum and more than four are left, it is
//!    folded away: its two neighbours (both of the other kind) become one.
//! 5. Corners where consecutive lines meet, turned back into place.
//!
//! The result is checked: a valid polygon whose area is within the stated fraction of the
//! outline's, or an error and nothing else.

use geo::{Area, Coord, LineString, MultiPolygon, Polygon};

use super::simplify::simplify_outline;
use super::valid::is_valid_polygon;

/// How outlines are straightened, in the polygon's units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegularizeParams {
    /// Douglas-Peucker tolerance applied first.
    pub simplify: f64,
    /// Sides shorter than this are folded into their neighbours.
    pub min_side: f64,
    /// The largest change of area accepted, as a fraction of the outline's area.
    pub max_area_change: f64,
    /// The largest root-mean-square distance of the outline's vertices from the straightened
    /// sides: an outline farther from right angles (a round or slanted building) is refused.
    pub max_rms: f64,
}

impl RegularizeParams {
    /// Tolerances for a grid of `metres_per_unit` (a pixel's side, or a CRS unit): simplify
    /// 0.5 m, sides of at least 1 m (two SN6 pixels), area within 10 %, the outline within
    /// 0.5 m of the straightened sides (root mean square).
    pub fn for_unit(metres_per_unit: f64) -> Self {
        let unit = if metres_per_unit.is_finite() && metres_per_unit > 0.0 {
            metres_per_unit
        } else {
            SN6_PIXEL_M
        };
        Self {
            simplify: 0.5 / unit,
            min_side: 1.0 / unit,
            max_area_change: 0.10,
            max_rms: 0.5 / unit,
        }
    }
}

/// A SpaceNet 6 pixel's side in metres.
const SN6_PIXEL_M: f64 = 0.5;

impl Default for RegularizeParams {
    /// For SN6 pixels (0.5 m): simplify 1 px, sides of at least 2 px, area within 10 %, the
    /// outline within 1 px of the straightened sides.
    fn default() -> Self {
        Self::for_unit(SN6_PIXEL_M)
    }
}

/// Why an outline was left as it was.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RegularizeError {
    #[error("the outline is empty")]
    Empty,
    #[error("the outline has a coordinate that is not a finite number")]
    NotFinite,
    #[error("the outline has fewer than four sides at right angles to straighten")]
    TooFewSides,
    #[error(
        "straightening would change its area by {:.0} % (at most {:.0} % is allowed)",
        change * 100.0,
        limit * 100.0
    )]
    AreaChange { change: f64, limit: f64 },
    #[error(
        "its sides are not near right angles: straightened, they would lie {rms:.2} from its \
         outline (root mean square; at most {limit:.2} is allowed)"
    )]
    NotRectilinear { rms: f64, limit: f64 },
    #[error("straightening would make an invalid polygon (its sides would cross)")]
    Invalid,
}

/// `polygon` with right angles: every ring straightened along the exterior's dominant
/// direction. Holes too small to keep four sides are filled (the area check still applies).
///
/// ```
/// use geo::{Area, polygon};
/// use sarscope::vector::{RegularizeParams, regularize};
/// // A traced 20 x 10 box with a one-pixel bump on its top side.
/// let ragged = polygon![
///     (x: 0.0, y: 0.0), (x: 8.0, y: 0.0), (x: 8.0, y: -1.0), (x: 9.0, y: -1.0),
///     (x: 9.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 10.0), (x: 0.0, y: 10.0),
/// ];
/// let straight = regularize(&ragged, RegularizeParams::default()).unwrap();
/// assert_eq!(straight.exterior().0.len(), 5); // four corners and the closing one
/// assert!((straight.unsigned_area() - 200.0).abs() < 1.0);
/// ```
pub fn regularize(
    polygon: &Polygon<f64>,
    params: RegularizeParams,
) -> Result<Polygon<f64>, RegularizeError> {
    let rings = || std::iter::once(polygon.exterior()).chain(polygon.interiors());
    if polygon.exterior().0.is_empty() {
        return Err(RegularizeError::Empty);
    }
    if !rings().all(|r| r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite())) {
        return Err(RegularizeError::NotFinite);
    }
    let simplified = simplify_outline(polygon, params.simplify.max(0.0));
    let exterior = open_points(simplified.exterior());
    let traced = open_points(polygon.exterior());
    let pivot = exterior.first().copied().unwrap_or_default();
    // The direction whose straightened outline lies closest to the outline's vertices with
    // the fewest sides. Each side costs as much as a vertex a shortest side away: a direction
    // that follows the pixel steps with many sides does not win by fitting them.
    let side_cost = params.min_side * params.min_side;
    let mut best: Option<(f64, f64, Frame, LineString<f64>)> = None;
    for theta in candidate_directions(polygon, params) {
        let frame = Frame::new(theta, pivot);
        let Ok(shell) = square_ring(&exterior, &frame, params.min_side) else {
            continue;
        };
        let sides = shell.0.len().saturating_sub(1) as f64;
        let limit = best
            .as_ref()
            .map_or(f64::INFINITY, |b| b.0 - sides * side_cost);
        // Stops summing once this direction cannot beat the best so far.
        let Some(misfit) = misfit(&traced, &shell.0, limit) else {
            continue;
        };
        best = Some((misfit + sides * side_cost, misfit, frame, shell));
    }
    let (_, misfit, frame, shell) = best.ok_or(RegularizeError::TooFewSides)?;
    let rms = (misfit / traced.len().max(1) as f64).sqrt();
    if rms.is_nan() || rms > params.max_rms {
        return Err(RegularizeError::NotRectilinear {
            rms,
            limit: params.max_rms,
        });
    }
    let holes: Vec<LineString<f64>> = simplified
        .interiors()
        .iter()
        .filter_map(|hole| square_ring(&open_points(hole), &frame, params.min_side).ok())
        .collect();
    let result = Polygon::new(shell, holes);
    let before = polygon.unsigned_area();
    let after = result.unsigned_area();
    let change = if before > 0.0 {
        (after - before).abs() / before
    } else {
        f64::INFINITY
    };
    if change.is_nan() || change > params.max_area_change {
        return Err(RegularizeError::AreaChange {
            change,
            limit: params.max_area_change,
        });
    }
    if !is_valid_polygon(&result) {
        return Err(RegularizeError::Invalid);
    }
    Ok(result)
}

/// Every part of `polygon` through [`regularize`]; the first part that cannot be straightened
/// refuses the whole.
pub fn regularize_multi(
    polygon: &MultiPolygon<f64>,
    params: RegularizeParams,
) -> Result<MultiPolygon<f64>, RegularizeError> {
    if polygon.0.is_empty() {
        return Err(RegularizeError::Empty);
    }
    polygon
        .0
        .iter()
        .map(|part| regularize(part, params))
        .collect::<Result<Vec<_>, _>>()
        .map(MultiPolygon)
}

/// Directions worth trying for `polygon`'s sides, in radians: the dominant direction of its
/// outline simplified twice as much as the sides are fitted (so that the zigzag a traced
/// diagonal leaves does not count), the pixel axes, and each side of its convex hull at least
/// as long as the shortest side kept (the minimum rotated rectangle's candidates), without
/// repeats closer than a tenth of a degree modulo 90°.
fn candidate_directions(polygon: &Polygon<f64>, params: RegularizeParams) -> Vec<f64> {
    use geo::ConvexHull;
    let coarse = simplify_outline(polygon, 2.0 * params.simplify.max(0.0));
    let mut found: Vec<f64> = dominant_direction(&open_points(coarse.exterior()))
        .into_iter()
        .chain([0.0])
        .collect();
    let hull = polygon.exterior().convex_hull();
    for (a, b) in super::corners_and_next(&open_points(hull.exterior())) {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        if dx.hypot(dy) >= params.min_side {
            found.push(dy.atan2(dx));
        }
    }
    let quarter = std::f64::consts::FRAC_PI_2;
    let mut kept: Vec<f64> = Vec::with_capacity(found.len());
    for theta in found {
        let apart = |k: &f64| {
            let d = (theta - k).rem_euclid(quarter);
            d.min(quarter - d)
        };
        if kept.iter().all(|k| apart(k) > 0.1f64.to_radians()) {
            kept.push(theta);
        }
    }
    kept
}

/// How far `points` lie from the closed ring `ring`: the sum of each point's squared distance
/// to the nearest of its sides; `None` once the sum passes `limit`.
fn misfit(points: &[Coord<f64>], ring: &[Coord<f64>], limit: f64) -> Option<f64> {
    let mut sum = 0.0;
    for p in points {
        sum += ring
            .windows(2)
            .map(|w| segment_distance_squared(*p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min);
        if sum >= limit {
            return None;
        }
    }
    Some(sum)
}

fn segment_distance_squared(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / length_squared).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    ex * ex + ey * ey
}

/// The dominant direction of a ring's sides, in radians in (-45°, 45°]: the mean of their
/// directions modulo 90°, weighted by their squared lengths (long sides decide). `None` when the ring has no sides or they cancel out
/// (as many at 45° as at 0°, equally long).
///
/// ```
/// use geo::Coord;
/// use sarscope::vector::dominant_direction;
/// let c = |x: f64, y: f64| Coord { x, y };
/// // A 4 x 2 rectangle turned by 30°.
/// let (s, k) = (30f64.to_radians().sin(), 30f64.to_radians().cos());
/// let ring = [c(0.0, 0.0), c(4.0 * k, 4.0 * s), c(4.0 * k - 2.0 * s, 4.0 * s + 2.0 * k), c(-2.0 * s, 2.0 * k)];
/// let theta = dominant_direction(&ring).unwrap();
/// assert!((theta.to_degrees() - 30.0).abs() < 1e-9);
/// ```
pub fn dominant_direction(ring: &[Coord<f64>]) -> Option<f64> {
    let (mut sin, mut cos, mut total) = (0.0, 0.0, 0.0);
    for (a, b) in super::corners_and_next(ring) {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let weight = dx * dx + dy * dy;
        if weight > 0.0 {
            let four = 4.0 * dy.atan2(dx);
            sin += weight * four.sin();
            cos += weight * four.cos();
            total += weight;
        }
    }
    if total <= 0.0 || sin.hypot(cos) < 1e-9 * total {
        return None;
    }
    Some(sin.atan2(cos) / 4.0)
}

/// The ring's points without the closing repeat or repeated neighbours.
fn open_points(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut points: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for &c in &ring.0 {
        if points.last() != Some(&c) {
            points.push(c);
        }
    }
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    points
}

/// Coordinates turned so that the dominant direction is the x axis, about a point of the
/// outline (small numbers keep the round trip exact to a few ulps).
struct Frame {
    sin: f64,
    cos: f64,
    pivot: Coord<f64>,
}

impl Frame {
    fn new(theta: f64, pivot: Coord<f64>) -> Self {
        // An outline already along the axes is not turned at all: its corners stay exact.
        let (sin, cos) = if theta == 0.0 {
            (0.0, 1.0)
        } else {
            theta.sin_cos()
        };
        Self { sin, cos, pivot }
    }

    fn frame_from_scene(&self, p: Coord<f64>) -> Coord<f64> {
        let (x, y) = (p.x - self.pivot.x, p.y - self.pivot.y);
        Coord {
            x: x * self.cos + y * self.sin,
            y: -x * self.sin + y * self.cos,
        }
    }

    fn scene_from_frame(&self, p: Coord<f64>) -> Coord<f64> {
        Coord {
            x: p.x * self.cos - p.y * self.sin + self.pivot.x,
            y: p.x * self.sin + p.y * self.cos + self.pivot.y,
        }
    }
}

/// A side of the result: sides of the outline of one kind, one after another, and the line
/// they are fitted to.
#[derive(Clone, Copy, Debug)]
struct Side {
    /// Along the dominant direction (a line y = c in the frame), else across it (x = c).
    along: bool,
    /// The outline's length on it.
    weight: f64,
    /// Length-weighted sum of the sides' midpoints' y (along) or x (across).
    moment: f64,
}

impl Side {
    fn line(&self) -> f64 {
        self.moment / self.weight
    }

    fn joined(self, other: Side) -> Side {
        Side {
            along: self.along,
            weight: self.weight + other.weight,
            moment: self.moment + other.moment,
        }
    }
}

/// One ring (open) straightened in `frame`, closed.
fn square_ring(
    ring: &[Coord<f64>],
    frame: &Frame,
    min_side: f64,
) -> Result<LineString<f64>, RegularizeError> {
    let points: Vec<Coord<f64>> = ring.iter().map(|&p| frame.frame_from_scene(p)).collect();
    let edges: Vec<Side> = super::corners_and_next(&points)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| {
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let along = dx.abs() >= dy.abs();
            let weight = dx.hypot(dy);
            let middle = if along {
                (a.y + b.y) / 2.0
            } else {
                (a.x + b.x) / 2.0
            };
            Side {
                along,
                weight,
                moment: weight * middle,
            }
        })
        .collect();
    // Start where the kind changes, so that no side of the result wraps round the end.
    let n = edges.len();
    let start = (0..n)
        .find(|&i| edges.get(i).map(|e| e.along) != edges.get((i + n - 1) % n).map(|e| e.along))
        .ok_or(RegularizeError::TooFewSides)?;
    let mut sides: Vec<Side> = Vec::new();
    for edge in edges.iter().cycle().skip(start).take(n) {
        match sides.last_mut() {
            Some(last) if last.along == edge.along => *last = last.joined(*edge),
            _ => sides.push(*edge),
        }
    }
    // Kinds alternate round a closed ring, so there is an even number of sides.
    while sides.len() > 4 {
        let m = sides.len();
        let length = |i: usize| {
            let before = sides.get((i + m - 1) % m).map_or(0.0, Side::line);
            let after = sides.get((i + 1) % m).map_or(0.0, Side::line);
            (after - before).abs()
        };
        let Some((shortest, short)) = (0..m)
            .map(|i| (i, length(i)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
        else {
            break;
        };
        if short >= min_side {
            break;
        }
        let (before, after) = ((shortest + m - 1) % m, (shortest + 1) % m);
        let (Some(&a), Some(&b)) = (sides.get(before), sides.get(after)) else {
            break;
        };
        let joined = a.joined(b);
        sides = sides
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != shortest && i != after)
            .map(|(i, &s)| if i == before { joined } else { s })
            .collect();
    }
    if sides.len() < 4 {
        return Err(RegularizeError::TooFewSides);
    }
    let m = sides.len();
    let mut corners: Vec<Coord<f64>> = (0..m)
        .filter_map(|i| {
            let (here, next) = (sides.get(i)?, sides.get((i + 1) % m)?);
            let corner = if here.along {
                Coord {
                    x: next.line(),
                    y: here.line(),
                }
            } else {
                Coord {
                    x: here.line(),
                    y: next.line(),
                }
            };
            Some(frame.scene_from_frame(corner))
        })
        .collect();
    if let Some(&first) = corners.first() {
        corners.push(first);
    }
    Ok(LineString(corners))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{BooleanOps, Rotate, polygon};

    /// The largest difference from 90° of any corner of `polygon`'s rings, in degrees.
    pub(crate) fn worst_corner(polygon: &Polygon<f64>) -> f64 {
        let mut worst: f64 = 0.0;
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let p = open_points(ring);
            let n = p.len();
            for i in 0..n {
                let (a, b, c) = (p[(i + n - 1) % n], p[i], p[(i + 1) % n]);
                let (u, v) = ((a.x - b.x, a.y - b.y), (c.x - b.x, c.y - b.y));
                let angle = (u.0 * v.1 - u.1 * v.0).abs().atan2(u.0 * v.0 + u.1 * v.1);
                worst = worst.max((angle.to_degrees() - 90.0).abs());
            }
        }
        worst
    }

    fn iou(a: &Polygon<f64>, b: &Polygon<f64>) -> f64 {
        let i = a.intersection(b).unsigned_area();
        let u = a.union(b).unsigned_area();
        i / u
    }

    /// A staircase outline of `shape`: the pixels whose centres fall inside it, traced.
    fn traced(shape: &Polygon<f64>) -> Polygon<f64> {
        use geo::{BoundingRect, Contains};
        let Some(b) = shape.bounding_rect() else {
            return Polygon::new(LineString(vec![]), vec![]);
        };
        let (x0, y0) = (b.min().x.floor() as i64 - 1, b.min().y.floor() as i64 - 1);
        let (w, h) = (
            (b.max().x.ceil() as i64 - x0 + 2) as usize,
            (b.max().y.ceil() as i64 - y0 + 2) as usize,
        );
        let mut mask = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let centre = Coord {
                    x: x0 as f64 + x as f64 + 0.5,
                    y: y0 as f64 + y as f64 + 0.5,
                };
                if shape.contains(&centre) {
                    mask[y * w + x] = 1.0;
                }
            }
        }
        let params = super::super::VectorizeParams {
            threshold: 0.5,
            min_area: 1,
            simplify: 0.0,
        };
        let found = super::super::vectorize(&mask, w, h, params);
        use geo::Translate;
        found
            .into_iter()
            .max_by(|a, b| a.area_px.total_cmp(&b.area_px))
            .map(|f| f.polygon.translate(x0 as f64, y0 as f64))
            .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![]))
    }

    #[test]
    fn an_outline_at_right_angles_is_left_as_it_is() {
        let l_shape = polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 10.0),
            (x: 12.0, y: 10.0), (x: 12.0, y: 25.0), (x: 0.0, y: 25.0),
        ];
        let straight = regularize(&l_shape, RegularizeParams::default()).unwrap();
        assert_eq!(straight.exterior().0.len(), 7);
        assert!((iou(&straight, &l_shape) - 1.0).abs() < 1e-12);
        let turned = l_shape.rotate_around_point(37.0, geo::Point::new(5.0, 5.0));
        let straight = regularize(&turned, RegularizeParams::default()).unwrap();
        assert!((iou(&straight, &turned) - 1.0).abs() < 1e-9);
        assert!(worst_corner(&straight) < 1e-6);
    }

    #[test]
    fn traced_rectangles_and_l_shapes_come_out_square_and_in_place() {
        let rectangle = polygon![
            (x: 0.0, y: 0.0), (x: 24.0, y: 0.0), (x: 24.0, y: 14.0), (x: 0.0, y: 14.0),
        ];
        let l_shape = polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 12.0),
            (x: 14.0, y: 12.0), (x: 14.0, y: 26.0), (x: 0.0, y: 26.0),
        ];
        for (shape, corners) in [(rectangle, 4), (l_shape, 6)] {
            for degrees in [0.0, 7.0, 18.0, 30.0, 44.0, 61.0, 80.0] {
                let truth = shape
                    .rotate_around_point(degrees, geo::Point::new(0.0, 0.0))
                    .translate(100.3, 200.7);
                let ragged = traced(&truth);
                let straight = regularize(&ragged, RegularizeParams::default())
                    .unwrap_or_else(|e| panic!("{corners} corners at {degrees}°: {e}"));
                assert_eq!(straight.exterior().0.len(), corners + 1, "at {degrees}°");
                assert!(worst_corner(&straight) < 1.0, "at {degrees}°");
                let (before, after) = (iou(&ragged, &truth), iou(&straight, &truth));
                assert!(
                    after > 0.9 && after >= before - 0.02,
                    "{corners} corners at {degrees}°: IoU with the shape {before:.3} traced, \
                     {after:.3} straightened"
                );
            }
        }
    }

    use geo::Translate;

    #[test]
    fn what_cannot_be_straightened_is_refused_in_words() {
        let p = RegularizeParams::default();
        let empty = Polygon::new(LineString(vec![]), vec![]);
        assert_eq!(regularize(&empty, p), Err(RegularizeError::Empty));
        let nan = polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 0.0), (x: 1.0, y: 1.0)];
        assert_eq!(regularize(&nan, p), Err(RegularizeError::NotFinite));
        // A thin sliver: no four sides of a useful length.
        let triangle = polygon![(x: 0.0, y: 0.0), (x: 40.0, y: 0.0), (x: 0.0, y: 40.0)];
        assert!(matches!(
            regularize(&triangle, p),
            Err(RegularizeError::AreaChange { .. } | RegularizeError::TooFewSides)
        ));
        // A round building: no direction fits it within a pixel.
        let round = Polygon::new(
            (0..64)
                .map(|i| {
                    let t = f64::from(i) / 64.0 * std::f64::consts::TAU;
                    Coord {
                        x: 20.0 * t.cos(),
                        y: 20.0 * t.sin(),
                    }
                })
                .collect(),
            vec![],
        );
        assert!(matches!(
            regularize(&round, p),
            Err(RegularizeError::NotRectilinear { .. } | RegularizeError::AreaChange { .. })
        ));
        let message = RegularizeError::AreaChange {
            change: 0.25,
            limit: 0.1,
        }
        .to_string();
        assert_eq!(
            message,
            "straightening would change its area by 25 % (at most 10 % is allowed)"
        );
    }

    #[test]
    fn a_straightened_shell_that_would_cross_its_hole_is_refused() {
        // The top side has a jog of 1.9 px (under the 2 px kept): straightened, it lies at
        // y = 0.95, through the hole whose top is at y = 0.5.
        let p = polygon![
            exterior: [
                (x: 0.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 1.9), (x: 40.0, y: 1.9),
                (x: 40.0, y: 40.0), (x: 0.0, y: 40.0),
            ],
            interiors: [[
                (x: 2.0, y: 0.5), (x: 18.0, y: 0.5), (x: 18.0, y: 10.0), (x: 2.0, y: 10.0),
            ]],
        ];
        assert!(is_valid_polygon(&p));
        assert_eq!(
            regularize(&p, RegularizeParams::default()),
            Err(RegularizeError::Invalid)
        );
    }

    #[test]
    fn a_hole_is_straightened_with_its_shell() {
        let shell = polygon![
            exterior: [
                (x: 0.0, y: 0.0), (x: 40.0, y: 0.0), (x: 40.0, y: 40.0), (x: 0.0, y: 40.0),
            ],
            interiors: [[
                (x: 10.0, y: 10.0), (x: 20.0, y: 10.0), (x: 20.0, y: 11.0), (x: 21.0, y: 11.0),
                (x: 21.0, y: 20.0), (x: 10.0, y: 20.0),
            ]],
        ];
        let straight = regularize(&shell, RegularizeParams::default()).unwrap();
        assert_eq!(straight.interiors().len(), 1);
        assert_eq!(straight.interiors()[0].0.len(), 5);
        assert!(worst_corner(&straight) < 1e-9);
    }
}
