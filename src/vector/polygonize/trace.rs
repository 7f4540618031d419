//! A component's outline traced on pixel edges from its runs: exterior first, then holes.

use geo::{Coord, LineString, Polygon};

use super::runs::Run;
use crate::vector::twice_signed_area;

pub(super) type Vertex = (u32, u32);

/// Outgoing boundary edges per vertex of a component's bounding box: at most two (two only at
/// a saddle, where two pixels of the component touch diagonally).
pub(super) struct EdgeGrid {
    x0: u32,
    y0: u32,
    columns: usize,
    /// Per vertex: the end vertices of its outgoing edges, `NONE` where unused.
    out: Vec<[u32; 2]>,
    /// Edges added and not yet taken into a ring.
    left: usize,
}

const NONE: u32 = u32::MAX;

impl EdgeGrid {
    /// The vertices around pixels `x_lo..=x_hi` x `y_lo..=y_hi`, no edges yet.
    pub(super) fn new(x_lo: usize, y_lo: usize, x_hi: usize, y_hi: usize) -> Self {
        let columns = x_hi - x_lo + 2;
        Self {
            x0: x_lo as u32,
            y0: y_lo as u32,
            columns,
            out: vec![[NONE; 2]; columns * (y_hi - y_lo + 2)],
            left: 0,
        }
    }

    /// The rings the edges make, exterior first.
    pub(super) fn polygon(mut self) -> Polygon<f64> {
        let mut rings: Vec<Vec<Vertex>> = Vec::new();
        for start_index in 0..self.out.len() {
            // Most buildings have no hole: their one ring starts at the first vertex.
            if self.left == 0 {
                break;
            }
            while self.out.get(start_index).is_some_and(|s| s[0] != NONE) {
                let start = self.vertex(start_index as u32);
                let mut ring = Vec::with_capacity(64);
                ring.push(start);
                let mut prev: Option<Vertex> = None;
                let mut here = start;
                while let Some(next) = take_next(&mut self, prev, here) {
                    if next == start {
                        break;
                    }
                    ring.push(next);
                    prev = Some(here);
                    here = next;
                }
                ring.push(start);
                rings.push(ring);
            }
        }
        // The exterior is the ring of largest extent (negative shoelace area in y-down order).
        let mut rings: Vec<LineString<f64>> = rings.into_iter().map(compact_ring).collect();
        rings.sort_by(|a, b| twice_signed_area(&a.0).total_cmp(&twice_signed_area(&b.0)));
        let mut iter = rings.into_iter();
        let exterior = iter.next().unwrap_or_else(|| LineString(vec![]));
        Polygon::new(exterior, iter.collect())
    }

    fn index(&self, v: Vertex) -> usize {
        (v.1 - self.y0) as usize * self.columns + (v.0 - self.x0) as usize
    }

    /// The vertex next to `v` (index `iv`) whose index is `to`: an edge joins neighbours,
    /// one column (index +-1) or one row (index +-columns) apart, so no division is needed.
    fn neighbour(&self, v: Vertex, iv: usize, to: u32) -> Vertex {
        match i64::from(to) - iv as i64 {
            1 => (v.0 + 1, v.1),
            -1 => (v.0.saturating_sub(1), v.1),
            d if d > 0 => (v.0, v.1 + 1),
            _ => (v.0, v.1.saturating_sub(1)),
        }
    }

    fn vertex(&self, i: u32) -> Vertex {
        let i = i as usize;
        (
            self.x0 + (i % self.columns) as u32,
            self.y0 + (i / self.columns) as u32,
        )
    }

    pub(super) fn add(&mut self, a: Vertex, b: Vertex) {
        let (ia, ib) = (self.index(a), self.index(b) as u32);
        if let Some(slots) = self.out.get_mut(ia) {
            if slots[0] == NONE {
                slots[0] = ib;
            } else {
                slots[1] = ib;
            }
            self.left += 1;
        }
    }
}

/// The outline of one component on pixel edges, from its runs (in raster order, as
/// [`group_runs`] gives them): exterior first, then holes. The component lies on the left of
/// every ring's direction; at a vertex where two of its pixels touch only diagonally the ring
/// turns towards the component, so diagonal pixels stay apart (4-connectivity). The work is in
/// proportion to the outline, not the area.
pub(super) fn trace_runs(runs: &[Run]) -> Polygon<f64> {
    let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
        return Polygon::new(LineString(vec![]), vec![]);
    };
    let x_lo = runs.iter().map(|r| r.1).min().unwrap_or(0);
    let x_hi = runs
        .iter()
        .map(|r| r.2)
        .max()
        .unwrap_or(1)
        .saturating_sub(1);
    let mut grid = EdgeGrid::new(x_lo, first.0, x_hi, last.0);
    // The runs of each row, as ranges into `runs`.
    let mut rows: Vec<std::ops::Range<usize>> = Vec::with_capacity(last.0 - first.0 + 1);
    let mut i = 0;
    for y in first.0..=last.0 {
        let start = i;
        while runs.get(i).is_some_and(|r| r.0 == y) {
            i += 1;
        }
        rows.push(start..i);
    }
    let row_runs = |y: usize| -> &[Run] {
        y.checked_sub(first.0)
            .and_then(|k| rows.get(k))
            .and_then(|r| runs.get(r.clone()))
            .unwrap_or(&[])
    };
    for &(y, x0, x1) in runs {
        let (yu, x0u, x1u) = (y as u32, x0 as u32, x1 as u32);
        grid.add((x0u, yu), (x0u, yu + 1));
        grid.add((x1u, yu + 1), (x1u, yu));
        let above = if y > 0 { row_runs(y - 1) } else { &[] };
        for_uncovered(x0, x1, above, |x| {
            let xu = x as u32;
            grid.add((xu + 1, yu), (xu, yu));
        });
        for_uncovered(x0, x1, row_runs(y + 1), |x| {
            let xu = x as u32;
            grid.add((xu, yu + 1), (xu + 1, yu + 1));
        });
    }
    grid.polygon()
}

/// Calls `f` for each column of `x0..x1` that none of `runs` (one row's, in order) covers.
fn for_uncovered(x0: usize, x1: usize, runs: &[Run], mut f: impl FnMut(usize)) {
    let mut x = x0;
    for &(_, r0, r1) in runs {
        if r1 <= x {
            continue;
        }
        if r0 >= x1 {
            break;
        }
        for c in x..r0.min(x1) {
            f(c);
        }
        x = x.max(r1);
        if x >= x1 {
            return;
        }
    }
    for c in x..x1 {
        f(c);
    }
}

/// Takes the edge leaving `v`; at a saddle (two edges leave), the left turn relative to the
/// incoming direction `prev -> v`.
fn take_next(grid: &mut EdgeGrid, prev: Option<Vertex>, v: Vertex) -> Option<Vertex> {
    let iv = grid.index(v);
    let slots = *grid.out.get(iv)?;
    let pick = match (slots, prev) {
        ([NONE, _], _) => return None,
        ([_, NONE], _) => 0,
        // Two ways out where a ring starts: the lower vertex index, whatever order the edges
        // came in.
        (_, None) => usize::from(slots[1] < slots[0]),
        (_, Some(p)) => {
            let din = (
                i64::from(v.0) - i64::from(p.0),
                i64::from(v.1) - i64::from(p.1),
            );
            let c = grid.neighbour(v, iv, slots[1]);
            let dout = (
                i64::from(c.0) - i64::from(v.0),
                i64::from(c.1) - i64::from(v.1),
            );
            // In y-down coordinates a left turn has a negative cross product.
            if din.0 * dout.1 - din.1 * dout.0 < 0 {
                1
            } else {
                0
            }
        }
    };
    let chosen = slots[pick];
    grid.left = grid.left.saturating_sub(1);
    if let Some(s) = grid.out.get_mut(iv) {
        *s = if pick == 0 {
            [slots[1], NONE]
        } else {
            [slots[0], NONE]
        };
    }
    Some(grid.neighbour(v, iv, chosen))
}

/// Closed ring of pixel corners without the vertices in the middle of straight runs.
fn compact_ring(ring: Vec<Vertex>) -> LineString<f64> {
    let coord = |&(x, y): &Vertex| Coord {
        x: f64::from(x),
        y: f64::from(y),
    };
    let corners = ring.get(..ring.len().saturating_sub(1)).unwrap_or(&[]); // last repeats the first
    let mut kept: Vec<Coord<f64>> = Vec::with_capacity(corners.len() + 1);
    let d = |p: &Vertex, q: &Vertex| {
        (
            i64::from(q.0) - i64::from(p.0),
            i64::from(q.1) - i64::from(p.1),
        )
    };
    let mut prev = corners.last();
    for (i, here) in corners.iter().enumerate() {
        let next = corners.get(i + 1).or(corners.first());
        if let (Some(a), Some(c)) = (prev, next) {
            let ((ux, uy), (vx, vy)) = (d(a, here), d(here, c));
            if ux * vy - uy * vx != 0 {
                kept.push(coord(here));
            }
        }
        prev = Some(here);
    }
    if let Some(first) = kept.first().copied() {
        kept.push(first);
    }
    LineString(kept)
}
