//! The intersection area of a ring and a convex ring by Sutherland-Hodgman clipping: the
//! SpaceNet metric's IoU for buildings that are one ring where one of the pair is convex
//! (most), without geo's general boolean operations. The clipped ring may be any simple ring:
//! clipping by a half-plane keeps the winding number of every point inside it, so the shoelace
//! area of the result is the intersection's, whatever degenerate edges are left along the
//! clip's sides.

use geo::Coord;

use super::{corners_and_next, twice_signed_area};

/// The outlines of an image's shapes (rings), counter-clockwise without the repeated last
/// point, side by side in one buffer (spans of it name them), and the clipping's scratch
/// space: scoring an image allocates nothing per pair.
#[derive(Default)]
pub struct ConvexOutlines {
    points: Vec<Coord<f64>>,
    subject: Vec<Coord<f64>>,
    next: Vec<Coord<f64>>,
}

impl ConvexOutlines {
    /// Adds a closed ring, `clockwise` or not; its span.
    pub fn add(&mut self, ring: &[Coord<f64>], clockwise: bool) -> (usize, usize) {
        let start = self.points.len();
        self.points
            .extend_from_slice(&ring[..ring.len().saturating_sub(1)]);
        if clockwise {
            self.points[start..].reverse();
        }
        (start, self.points.len())
    }

    /// Area of the intersection of two outlines, `b` convex and `a` any simple ring:
    /// Sutherland-Hodgman clipping of `a` by `b`'s edges, then the shoelace formula.
    pub fn intersection_area(&mut self, a: (usize, usize), b: (usize, usize)) -> f64 {
        let Self {
            points,
            subject,
            next,
        } = self;
        let clip = &points[b.0..b.1];
        subject.clear();
        subject.extend_from_slice(&points[a.0..a.1]);
        for (p, q) in corners_and_next(clip) {
            let side = |x: Coord<f64>| (q.x - p.x) * (x.y - p.y) - (q.y - p.y) * (x.x - p.x);
            next.clear();
            for (s, e) in corners_and_next(subject) {
                let (ds, de) = (side(s), side(e));
                if ds >= 0.0 {
                    next.push(s);
                }
                if (ds >= 0.0) != (de >= 0.0) {
                    let t = ds / (ds - de);
                    next.push(Coord {
                        x: s.x + t * (e.x - s.x),
                        y: s.y + t * (e.y - s.y),
                    });
                }
            }
            std::mem::swap(subject, next);
            if subject.len() < 3 {
                return 0.0;
            }
        }
        (twice_signed_area(subject) / 2.0).abs()
    }
}

impl ConvexOutlines {
    /// Room for `points` outline points.
    pub fn with_capacity(points: usize) -> Self {
        Self {
            points: Vec::with_capacity(points),
            ..Self::default()
        }
    }
}
