//! Rings as point lists: the shoelace area every layer measures rings with.

use geo::Coord;

/// Each point of a ring with the one after it, the last with the first. For a closed ring
/// (last = first) the closing pair adds nothing to a sum of cross products.
pub fn corners_and_next(
    ring: &[Coord<f64>],
) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    let first = ring.first().copied();
    ring.iter()
        .copied()
        .zip(ring.iter().skip(1).copied().chain(first))
}

/// Twice the signed area of a ring, open or closed (the shoelace sum; positive
/// counter-clockwise with y up, so negative for a counter-clockwise ring in y-down pixels).
///
/// ```
/// use geo::Coord;
/// use sarscope::vector::twice_signed_area;
/// let square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)].map(|(x, y)| Coord { x, y });
/// assert_eq!(twice_signed_area(&square), 8.0);
/// // Closed or not, and the other way round.
/// let mut closed = square.to_vec();
/// closed.push(square[0]);
/// assert_eq!(twice_signed_area(&closed), 8.0);
/// closed.reverse();
/// assert_eq!(twice_signed_area(&closed), -8.0);
/// ```
pub fn twice_signed_area(ring: &[Coord<f64>]) -> f64 {
    corners_and_next(ring)
        .map(|(p, q)| p.x * q.y - q.x * p.y)
        .sum()
}
