//! Probability map -> building polygons: threshold, 4-connected components, outlines traced
//! on pixel edges with their holes (what `rasterio.features.shapes` gives), simplification.

use geo::{Area, Coord, LineString, MakeValid, Polygon};
use serde::Serialize;

/// How a probability map becomes polygons. The defaults are the SpaceNet 6 baseline's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct VectorizeParams {
    /// A pixel is a building when its probability is above this (the baseline: logit > 0).
    pub threshold: f32,
    /// Components of fewer pixels are dropped (the baseline: 80).
    pub min_area: usize,
    /// Douglas-Peucker tolerance in pixels (the baseline: 0.5); 0 keeps every corner.
    pub simplify: f64,
}

impl Default for VectorizeParams {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            min_area: 80,
            simplify: 0.5,
        }
    }
}

/// One vectorized building.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Footprint {
    /// Stable within a map: components are numbered in raster order of their first pixel.
    pub id: usize,
    /// Exterior and holes in pixel coordinates (vertices on pixel corners before simplifying).
    #[serde(skip)]
    pub polygon: Polygon<f64>,
    /// Mean probability over the component's pixels (the SpaceNet Confidence).
    pub confidence: f64,
    /// Pixels in the component.
    pub pixels: usize,
    /// Area of the (simplified) polygon in px^2.
    pub area_px: f64,
}

/// A run of set pixels in one row: (row, first column, end column).
type Run = (usize, usize, usize);

/// The runs of set pixels, row by row, and the index of each row's first run (one more entry
/// at the end). `block_bits` gives the pixels of up to 64 of a row as the bits of a word
/// (pixel `i` in bit `i`, the bits past the block's end clear): [`above_bits`] for a
/// probability map.
fn runs_of<'a, T: 'a>(
    rows: impl Iterator<Item = &'a [T]>,
    block_bits: impl Fn(&[T]) -> u64,
) -> (Vec<Run>, Vec<usize>) {
    let mut runs: Vec<Run> = Vec::new();
    let mut row_start = Vec::new();
    for (y, row) in rows.enumerate() {
        row_start.push(runs.len());
        // 64 pixels at a time: a block all in or all out (most of a mask) goes whole, a mixed
        // one by the bits where a run starts or ends.
        let mut open: Option<usize> = None;
        for (c, chunk) in row.chunks(64).enumerate() {
            let (base, n) = (c * 64, chunk.len());
            let bits = block_bits(chunk);
            let full = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            if bits == 0 {
                if let Some(x0) = open.take() {
                    runs.push((y, x0, base));
                }
                continue;
            }
            if bits == full {
                open.get_or_insert(base);
                continue;
            }
            // Each pixel's left neighbour (the block before's last pixel for the first).
            let before = (bits << 1) | u64::from(open.is_some());
            let mut starts = bits & !before;
            let mut ends = !bits & before & full;
            while starts | ends != 0 {
                let (s, e) = (starts.trailing_zeros(), ends.trailing_zeros());
                if s < e {
                    open = Some(base + s as usize);
                    starts &= starts - 1;
                } else {
                    if let Some(x0) = open.take() {
                        runs.push((y, x0, base + e as usize));
                    }
                    ends &= ends - 1;
                }
            }
        }
        if let Some(x0) = open {
            runs.push((y, x0, row.len()));
        }
    }
    row_start.push(runs.len());
    (runs, row_start)
}

/// Up to 64 probabilities as the bits of a word, a bit set where the probability is above
/// `threshold` (never for NaN): eight compared at once and their signs gathered into a byte
/// (SSE's `cmpps` and `movmsk` on x86-64, NEON on ARM, through `wide`), the rest one by one.
/// The scan reads every pixel: one by one it was a fifth of vectorizing a tile; this way it
/// takes half that time, reading the map from memory most of it.
fn above_bits(block: &[f32], threshold: f32) -> u64 {
    let limit = wide::f32x8::splat(threshold);
    let (eights, rest) = block.as_chunks::<8>();
    let whole = block.len() - rest.len();
    let mut bits = 0u64;
    for (k, &eight) in eights.iter().enumerate() {
        let above = wide::f32x8::new(eight).simd_gt(limit).to_bitmask();
        bits |= u64::from(above) << (8 * k);
    }
    for (i, &p) in rest.iter().enumerate() {
        bits |= u64::from(p > threshold) << (whole + i);
    }
    bits
}

/// Runs grouped into 4-connected components (a union-find: a run joins every run above it
/// that it overlaps), components in raster order of their first run, each one's runs in
/// raster order.
fn group_runs(runs: &[Run], row_start: &[usize]) -> Vec<Vec<Run>> {
    let mut parent: Vec<usize> = (0..runs.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    let rows = row_start.len().saturating_sub(1);
    for y in 1..rows {
        let (above, here) = (
            row_start.get(y - 1).copied().unwrap_or(0)..row_start.get(y).copied().unwrap_or(0),
            row_start.get(y).copied().unwrap_or(0)..row_start.get(y + 1).copied().unwrap_or(0),
        );
        let mut a = above.start;
        for r in here {
            let Some(&(_, x0, x1)) = runs.get(r) else {
                continue;
            };
            while let Some(&(_, _, ax1)) = runs.get(a) {
                if a >= above.end || ax1 > x0 {
                    break;
                }
                a += 1; // this run above ends before ours starts
            }
            let mut b = a;
            while b < above.end {
                let Some(&(_, bx0, bx1)) = runs.get(b) else {
                    break;
                };
                if bx0 >= x1 {
                    break;
                }
                let (ra, rb) = (root(&mut parent, r), root(&mut parent, b));
                if ra != rb {
                    // Keep the earlier run as the root, so roots follow raster order.
                    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                    if let Some(slot) = parent.get_mut(hi) {
                        *slot = lo;
                    }
                }
                if bx1 > x1 {
                    break; // it may also touch our next run
                }
                b += 1;
            }
        }
    }
    let mut groups: Vec<Vec<Run>> = Vec::new();
    let mut group_of_root: Vec<usize> = vec![usize::MAX; runs.len()];
    for (r, &run) in runs.iter().enumerate() {
        let rt = root(&mut parent, r);
        let slot = group_of_root.get(rt).copied().unwrap_or(usize::MAX);
        let g = if slot == usize::MAX {
            groups.push(Vec::new());
            let g = groups.len() - 1;
            if let Some(s) = group_of_root.get_mut(rt) {
                *s = g;
            }
            g
        } else {
            slot
        };
        if let Some(group) = groups.get_mut(g) {
            group.push(run);
        }
    }
    groups
}

type Vertex = (u32, u32);

/// Outgoing boundary edges per vertex of a component's bounding box: at most two (two only at
/// a saddle, where two pixels of the component touch diagonally).
struct EdgeGrid {
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
    fn new(x_lo: usize, y_lo: usize, x_hi: usize, y_hi: usize) -> Self {
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
    fn polygon(mut self) -> Polygon<f64> {
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
        rings.sort_by(|a, b| signed_area(a).total_cmp(&signed_area(b)));
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

    fn add(&mut self, a: Vertex, b: Vertex) {
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
fn trace_runs(runs: &[Run]) -> Polygon<f64> {
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

fn signed_area(ring: &LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|w| match (w.first(), w.get(1)) {
            (Some(a), Some(b)) => a.x * b.y - b.x * a.y,
            _ => 0.0,
        })
        .sum::<f64>()
        / 2.0
}

/// Runs in a map from which its buildings are outlined on every core.
const PARALLEL_RUNS: usize = 100_000;

/// Building polygons of a probability map (row-major, `width` x `height`, pixel coordinates).
pub fn vectorize(
    probs: &[f32],
    width: usize,
    height: usize,
    params: VectorizeParams,
) -> Vec<Footprint> {
    vectorize_from(probs, width, height, params, PARALLEL_RUNS)
}

/// [`vectorize`], its buildings outlined on every core when the map has more than
/// `parallel_from` runs.
fn vectorize_from(
    probs: &[f32],
    width: usize,
    height: usize,
    params: VectorizeParams,
    parallel_from: usize,
) -> Vec<Footprint> {
    // Runs of building pixels grouped into components: no mask, no label image; the outline
    // is traced from the runs.
    let rows = (0..height).map(|y| probs.get(y * width..(y + 1) * width).unwrap_or(&[]));
    let (runs, row_start) = runs_of(rows, |block| above_bits(block, params.threshold));
    let kept: Vec<(Vec<Run>, usize)> = group_runs(&runs, &row_start)
        .into_iter()
        .map(|c| {
            let pixels = c.iter().map(|&(_, x0, x1)| x1 - x0).sum();
            (c, pixels)
        })
        .filter(|&(_, pixels)| pixels >= params.min_area)
        .collect();
    // Buildings are independent: traced, simplified and checked on every core when there are
    // enough of them to pay for the threads (a tile's ~200 buildings take about a millisecond:
    // threads made it slower).
    let outline_of =
        |(component, _): &(Vec<Run>, usize)| outline(trace_runs(component), params.simplify);
    let polygons: Vec<Polygon<f64>> = if runs.len() > parallel_from {
        crate::parallel::map_on_all_cores(&kept, outline_of)
    } else {
        kept.iter().map(outline_of).collect()
    };
    kept.iter()
        .zip(polygons)
        .enumerate()
        .map(|(id, ((component, pixels), polygon))| {
            let sum: f64 = component
                .iter()
                .filter_map(|&(y, x0, x1)| probs.get(y * width + x0..y * width + x1))
                .map(sum_f64)
                .sum();
            Footprint {
                id,
                area_px: polygon.unsigned_area(),
                polygon,
                confidence: sum / (*pixels).max(1) as f64,
                pixels: *pixels,
            }
        })
        .collect()
}

/// The sum of `values` in f64, over 8 partial sums (no chain of dependent additions).
fn sum_f64(values: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&v| f64::from(v)).sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f64::from(v);
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// One component's polygon from its traced outline: simplified when that stays valid,
/// repaired (its largest part) when even the traced outline is not valid.
fn outline(traced: Polygon<f64>, tolerance: f64) -> Polygon<f64> {
    if tolerance > 0.0 {
        let simplified = super::simplify::simplify_outline(&traced, tolerance);
        if super::is_simple_convex(&simplified) || super::is_valid_polygon(&simplified) {
            return simplified;
        }
    }
    if super::is_valid_polygon(&traced) {
        return traced;
    }
    traced
        .make_valid()
        .ok()
        .and_then(|fixed| {
            fixed
                .0
                .into_iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
        })
        .unwrap_or(traced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;

    /// Up to 64 mask pixels as the bits of a word, pixel `i` in bit `i`.
    fn set_bits(block: &[bool]) -> u64 {
        block
            .iter()
            .enumerate()
            .fold(0, |bits, (i, &set)| bits | (u64::from(set) << i))
    }

    // The plain ways, the references for the run-based ones: a label image, then each
    // component's pixels looked at one by one.

    /// 4-connected components of `mask`: a label per pixel (0 = background, 1.. = component)
    /// and the pixels of each component (ascending), components in raster order of their first
    /// pixel. Works on runs of set pixels joined with a union-find, so it touches each pixel once.
    fn components(mask: &[bool], width: usize, height: usize) -> (Vec<u32>, Vec<Vec<usize>>) {
        let rows = (0..height).map(|y| mask.get(y * width..(y + 1) * width).unwrap_or(&[]));
        let (runs, row_start) = runs_of(rows, set_bits);
        let grouped = group_runs(&runs, &row_start);
        let mut labels = vec![0u32; mask.len()];
        let mut members: Vec<Vec<usize>> = Vec::with_capacity(grouped.len());
        for (k, component) in grouped.iter().enumerate() {
            let mut pixels = Vec::new();
            for &(y, x0, x1) in component {
                let range = y * width + x0..y * width + x1;
                if let Some(slots) = labels.get_mut(range.clone()) {
                    slots.fill(k as u32 + 1);
                }
                pixels.extend(range);
            }
            // The runs are in raster order: the pixels are ascending.
            members.push(pixels);
        }
        (labels, members)
    }

    /// The outline of one component on pixel edges: exterior first, then holes. The component
    /// lies on the left of every ring's direction; at a vertex where two of its pixels touch only
    /// diagonally the ring turns towards the component, so diagonal pixels stay apart
    /// (4-connectivity).
    fn trace(
        labels: &[u32],
        width: usize,
        height: usize,
        label: u32,
        pixels: &[usize],
    ) -> Polygon<f64> {
        let inside = |x: i64, y: i64| {
            x >= 0
                && y >= 0
                && (x as usize) < width
                && (y as usize) < height
                && labels.get(y as usize * width + x as usize) == Some(&label)
        };
        let (mut x_lo, mut y_lo, mut x_hi, mut y_hi) = (usize::MAX, usize::MAX, 0, 0);
        for &i in pixels {
            let (x, y) = (i % width, i / width);
            (x_lo, y_lo, x_hi, y_hi) = (x_lo.min(x), y_lo.min(y), x_hi.max(x), y_hi.max(y));
        }
        if pixels.is_empty() {
            return Polygon::new(LineString(vec![]), vec![]);
        }
        let mut grid = EdgeGrid::new(x_lo, y_lo, x_hi, y_hi);
        // Directed boundary edges, start -> end, component on the left (x right, y down).
        for &i in pixels {
            let (x, y) = ((i % width) as i64, (i / width) as i64);
            let (xu, yu) = (x as u32, y as u32);
            if !inside(x, y - 1) {
                grid.add((xu + 1, yu), (xu, yu));
            }
            if !inside(x - 1, y) {
                grid.add((xu, yu), (xu, yu + 1));
            }
            if !inside(x, y + 1) {
                grid.add((xu, yu + 1), (xu + 1, yu + 1));
            }
            if !inside(x + 1, y) {
                grid.add((xu + 1, yu + 1), (xu + 1, yu));
            }
        }
        grid.polygon()
    }

    fn mask_of(rows: &[&str]) -> (Vec<f32>, usize, usize) {
        let w = rows.first().map_or(0, |r| r.len());
        let v = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| if c == '#' { 1.0 } else { 0.0 }))
            .collect();
        (v, w, rows.len())
    }

    /// Flood fill, the obvious way: the reference for the run-based labelling.
    fn components_by_flood_fill(mask: &[bool], w: usize, h: usize) -> Vec<u32> {
        let mut labels = vec![0u32; mask.len()];
        let mut next = 0;
        for start in 0..mask.len() {
            if !mask[start] || labels[start] != 0 {
                continue;
            }
            next += 1;
            labels[start] = next;
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                let (x, y) = (i % w, i / w);
                let mut visit = |n: usize| {
                    if mask[n] && labels[n] == 0 {
                        labels[n] = next;
                        stack.push(n);
                    }
                };
                if x > 0 {
                    visit(i - 1);
                }
                if x + 1 < w {
                    visit(i + 1);
                }
                if y > 0 {
                    visit(i - w);
                }
                if y + 1 < h {
                    visit(i + w);
                }
            }
        }
        labels
    }

    #[test]
    fn run_labelling_equals_flood_fill_on_random_masks() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for case in 0..300 {
            let (w, h) = (rng.random_range(1..40), rng.random_range(1..40));
            let density = rng.random_range(0.1..0.9);
            let mask: Vec<bool> = (0..w * h).map(|_| rng.random_bool(density)).collect();
            let (labels, members) = components(&mask, w, h);
            assert_eq!(labels, components_by_flood_fill(&mask, w, h), "case {case}");
            for (k, pixels) in members.iter().enumerate() {
                assert!(
                    pixels.windows(2).all(|p| p[0] < p[1]),
                    "case {case}: sorted"
                );
                assert!(pixels.iter().all(|&i| labels[i] == k as u32 + 1));
            }
        }
    }

    #[test]
    fn outlining_on_every_core_gives_the_same_buildings() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let (w, h) = (300, 200);
        let probs: Vec<f32> = (0..w * h).map(|_| rng.random_range(0.0..1.0)).collect();
        let params = VectorizeParams {
            min_area: 3,
            ..VectorizeParams::default()
        };
        let alone = vectorize_from(&probs, w, h, params, usize::MAX);
        assert!(alone.len() > 100, "{} buildings", alone.len());
        let parallel = vectorize_from(&probs, w, h, params, 0);
        assert_eq!(parallel.len(), alone.len());
        // Rings compared from their least vertex: geo's repair of an outline touching itself
        // starts its rings anywhere (it goes through a hash map), on one core or several.
        let from_least = |ring: &LineString<f64>| {
            let open = &ring.0[..ring.0.len().saturating_sub(1)];
            let least = (0..open.len())
                .min_by(|&a, &b| {
                    (open[a].x, open[a].y)
                        .partial_cmp(&(open[b].x, open[b].y))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .unwrap_or(0);
            let mut v = open.to_vec();
            v.rotate_left(least);
            v
        };
        let rings = |p: &Polygon<f64>| {
            let mut out = vec![from_least(p.exterior())];
            let mut holes: Vec<_> = p.interiors().iter().map(from_least).collect();
            holes.sort_by(|a, b| a[0].x.total_cmp(&b[0].x).then(a[0].y.total_cmp(&b[0].y)));
            out.extend(holes);
            out
        };
        for (a, b) in parallel.iter().zip(&alone) {
            assert_eq!(
                (a.id, a.pixels, a.confidence, a.area_px),
                (b.id, b.pixels, b.confidence, b.area_px)
            );
            assert_eq!(rings(&a.polygon), rings(&b.polygon), "building {}", a.id);
        }
    }

    #[test]
    fn runs_of_wide_rows_match_a_plain_scan() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for case in 0..300 {
            let width = rng.random_range(0..300);
            let density = rng.random_range(0.0..1.0);
            let rows: Vec<Vec<bool>> = (0..3)
                .map(|_| (0..width).map(|_| rng.random_bool(density)).collect())
                .collect();
            let (runs, row_start) = runs_of(rows.iter().map(|r| r.as_slice()), set_bits);
            let mut expected = Vec::new();
            for (y, row) in rows.iter().enumerate() {
                let mut x = 0;
                while x < width {
                    if row[x] {
                        let x0 = x;
                        while x < width && row[x] {
                            x += 1;
                        }
                        expected.push((y, x0, x));
                    } else {
                        x += 1;
                    }
                }
            }
            assert_eq!(runs, expected, "case {case}, width {width}");
            assert_eq!(row_start.len(), 4);
        }
    }

    /// The eight-at-once comparison sets exactly the bits `p > threshold` sets, at every block
    /// length (whole eights and the rest), for NaN, infinities and values at the threshold.
    #[test]
    fn above_bits_is_the_plain_comparison() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.5, -0.0, 0.0];
        for case in 0..2000 {
            let n = case % 65;
            let threshold = if case % 7 == 0 { 0.0 } else { 0.5 };
            let block: Vec<f32> = (0..n)
                .map(|_| {
                    if rng.random_bool(0.2) {
                        specials[rng.random_range(0..specials.len())]
                    } else {
                        rng.random_range(-1.0..2.0)
                    }
                })
                .collect();
            let expected = block
                .iter()
                .enumerate()
                .fold(0u64, |bits, (i, &p)| bits | (u64::from(p > threshold) << i));
            assert_eq!(
                above_bits(&block, threshold),
                expected,
                "case {case}: {block:?}"
            );
        }
    }

    /// Tracing from runs gives exactly the polygon tracing from pixels gives, holes, saddles
    /// (pixels touching diagonally) and all.
    #[test]
    fn tracing_runs_equals_tracing_pixels_on_random_masks() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut saddles = 0;
        for case in 0..300 {
            let (w, h) = (rng.random_range(1..30), rng.random_range(1..30));
            let density = rng.random_range(0.2..0.9);
            let mask: Vec<bool> = (0..w * h).map(|_| rng.random_bool(density)).collect();
            let (labels, members) = components(&mask, w, h);
            let rows = (0..h).map(|y| &mask[y * w..(y + 1) * w]);
            let (runs, row_start) = runs_of(rows, set_bits);
            let grouped = group_runs(&runs, &row_start);
            assert_eq!(grouped.len(), members.len(), "case {case}");
            for (k, (component, pixels)) in grouped.iter().zip(&members).enumerate() {
                let by_pixels = trace(&labels, w, h, k as u32 + 1, pixels);
                let by_runs = trace_runs(component);
                assert_eq!(by_runs, by_pixels, "case {case}, component {k}");
                saddles += usize::from(!by_pixels.is_valid());
            }
        }
        // Components touching themselves at a corner were among them.
        assert!(saddles > 0);
    }

    const EXACT: VectorizeParams = VectorizeParams {
        threshold: 0.5,
        min_area: 1,
        simplify: 0.0,
    };

    #[test]
    fn a_ring_with_a_hole() {
        let (p, w, h) = mask_of(&["#####", "#...#", "#...#", "#####"]);
        let f = vectorize(&p, w, h, EXACT);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].polygon.interiors().len(), 1);
        assert_eq!(f[0].area_px, 14.0);
        assert_eq!(
            f[0].polygon.exterior().0.len(),
            5,
            "4 corners + closing point"
        );
        assert!(f[0].polygon.is_valid());
    }

    #[test]
    fn diagonal_pixels_are_separate_buildings() {
        let (p, w, h) = mask_of(&["#..", ".#.", "..#"]);
        let f = vectorize(&p, w, h, EXACT);
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|b| b.area_px == 1.0));
    }

    #[test]
    fn a_component_touching_itself_diagonally_keeps_its_area() {
        // The U's arm touches the centre pixel only at a corner.
        let (p, w, h) = mask_of(&["###", "#.#", "##.", "..."]);
        let f = vectorize(&p, w, h, EXACT);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pixels, 7);
        assert_eq!(f[0].area_px, 7.0);
    }

    #[test]
    fn small_components_and_the_threshold() {
        let (mut p, w, h) = mask_of(&["##..#", "##...", "....."]);
        p[4] = 0.4; // below the threshold
        let f = vectorize(
            &p,
            w,
            h,
            VectorizeParams {
                min_area: 4,
                ..EXACT
            },
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence, 1.0);
    }
}
