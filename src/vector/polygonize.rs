//! Probability map -> building polygons: threshold, 4-connected components, outlines traced
//! on pixel edges with their holes (what `rasterio.features.shapes` gives), simplification.

use std::collections::HashMap;

use geo::{Area, Coord, LineString, MakeValid, Polygon, Simplify, Validation};
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

/// 4-connected components of `mask`: a label per pixel (0 = background, 1.. = component)
/// and the pixels of each component, in raster order of their first pixel.
pub fn components(mask: &[bool], width: usize, height: usize) -> (Vec<u32>, Vec<Vec<usize>>) {
    let mut labels = vec![0u32; mask.len()];
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len().min(width * height) {
        if !mask.get(start).copied().unwrap_or(false) || labels.get(start) != Some(&0) {
            continue;
        }
        let label = members.len() as u32 + 1;
        let mut pixels = Vec::new();
        if let Some(l) = labels.get_mut(start) {
            *l = label;
        }
        stack.push(start);
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = (i % width, i / width);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < width).then(|| i + 1),
                (y > 0).then(|| i - width),
                (y + 1 < height).then(|| i + width),
            ];
            for n in neighbours.into_iter().flatten() {
                if mask.get(n).copied().unwrap_or(false) && labels.get(n) == Some(&0) {
                    if let Some(l) = labels.get_mut(n) {
                        *l = label;
                    }
                    stack.push(n);
                }
            }
        }
        pixels.sort_unstable();
        members.push(pixels);
    }
    (labels, members)
}

type Vertex = (u32, u32);

/// The outline of one component on pixel edges: exterior first, then holes. The component
/// lies on the left of every ring's direction; at a vertex where two of its pixels touch only
/// diagonally the ring turns towards the component, so diagonal pixels stay apart
/// (4-connectivity).
pub fn trace(
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
    // Directed boundary edges, start -> end, component on the left (x right, y down).
    let mut out: HashMap<Vertex, Vec<Vertex>> = HashMap::new();
    let mut edge_count = 0usize;
    for &i in pixels {
        let (x, y) = ((i % width) as i64, (i / width) as i64);
        let (xu, yu) = (x as u32, y as u32);
        let mut add = |a: Vertex, b: Vertex| {
            out.entry(a).or_default().push(b);
            edge_count += 1;
        };
        if !inside(x, y - 1) {
            add((xu + 1, yu), (xu, yu));
        }
        if !inside(x - 1, y) {
            add((xu, yu), (xu, yu + 1));
        }
        if !inside(x, y + 1) {
            add((xu, yu + 1), (xu + 1, yu + 1));
        }
        if !inside(x + 1, y) {
            add((xu + 1, yu + 1), (xu + 1, yu));
        }
    }
    let mut rings: Vec<Vec<Vertex>> = Vec::new();
    let mut starts: Vec<Vertex> = out.keys().copied().collect();
    starts.sort_unstable_by_key(|&(x, y)| (y, x));
    for start in starts {
        while out.get(&start).is_some_and(|v| !v.is_empty()) {
            let mut ring = vec![start];
            let mut prev = start;
            let mut current = take_next(&mut out, None, start);
            let mut guard = 0;
            while let Some(v) = current {
                if v == start || guard > edge_count {
                    break;
                }
                ring.push(v);
                let next = take_next(&mut out, Some(prev), v);
                prev = v;
                current = next;
                guard += 1;
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

/// Takes the edge leaving `v`; at a saddle (two edges leave), the left turn relative to the
/// incoming direction `prev -> v`.
fn take_next(
    out: &mut HashMap<Vertex, Vec<Vertex>>,
    prev: Option<Vertex>,
    v: Vertex,
) -> Option<Vertex> {
    let candidates = out.get_mut(&v)?;
    let pick = match (candidates.len(), prev) {
        (0, _) => return None,
        (1, _) | (_, None) => 0,
        (_, Some(p)) => {
            let din = (
                i64::from(v.0) - i64::from(p.0),
                i64::from(v.1) - i64::from(p.1),
            );
            // In y-down coordinates a left turn has a negative cross product.
            candidates
                .iter()
                .position(|c| {
                    let dout = (
                        i64::from(c.0) - i64::from(v.0),
                        i64::from(c.1) - i64::from(v.1),
                    );
                    din.0 * dout.1 - din.1 * dout.0 < 0
                })
                .unwrap_or(0)
        }
    };
    (pick < candidates.len()).then(|| candidates.swap_remove(pick))
}

/// Closed ring of pixel corners without the vertices in the middle of straight runs.
fn compact_ring(ring: Vec<Vertex>) -> LineString<f64> {
    let pts: Vec<Coord<f64>> = ring
        .iter()
        .map(|&(x, y)| Coord {
            x: f64::from(x),
            y: f64::from(y),
        })
        .collect();
    let n = pts.len().saturating_sub(1); // last repeats the first
    let mut kept: Vec<Coord<f64>> = Vec::with_capacity(n + 1);
    for i in 0..n {
        let prev = pts.get((i + n - 1) % n).copied();
        let here = pts.get(i).copied();
        let next = pts.get((i + 1) % n).copied();
        if let (Some(a), Some(b), Some(c)) = (prev, here, next) {
            let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
            if cross != 0.0 {
                kept.push(b);
            }
        }
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

/// Building polygons of a probability map (row-major, `width` x `height`, pixel coordinates).
pub fn vectorize(
    probs: &[f32],
    width: usize,
    height: usize,
    params: VectorizeParams,
) -> Vec<Footprint> {
    let mask: Vec<bool> = probs.iter().map(|p| *p > params.threshold).collect();
    let (labels, members) = components(&mask, width, height);
    let mut footprints = Vec::new();
    for (k, pixels) in members.iter().enumerate() {
        if pixels.len() < params.min_area {
            continue;
        }
        let label = k as u32 + 1;
        let traced = trace(&labels, width, height, label, pixels);
        let mut polygon = if params.simplify > 0.0 {
            let simplified = traced.simplify(params.simplify);
            if simplified.is_valid() {
                simplified
            } else {
                traced
            }
        } else {
            traced
        };
        if !polygon.is_valid()
            && let Ok(fixed) = polygon.make_valid()
            && let Some(largest) = fixed
                .0
                .into_iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
        {
            polygon = largest;
        }
        let sum: f64 = pixels
            .iter()
            .filter_map(|&i| probs.get(i))
            .map(|&p| f64::from(p))
            .sum();
        footprints.push(Footprint {
            id: footprints.len(),
            area_px: polygon.unsigned_area(),
            polygon,
            confidence: sum / pixels.len().max(1) as f64,
            pixels: pixels.len(),
        });
    }
    footprints
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_of(rows: &[&str]) -> (Vec<f32>, usize, usize) {
        let w = rows.first().map_or(0, |r| r.len());
        let v = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| if c == '#' { 1.0 } else { 0.0 }))
            .collect();
        (v, w, rows.len())
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
