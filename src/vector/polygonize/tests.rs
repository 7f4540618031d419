//! The run-based steps against the plain ways (label images, pixel by pixel), and the
//! vectorizer on small masks.

use super::components::group_runs;
use super::runs::{above_bits, runs_of};
use super::trace::{EdgeGrid, trace_runs};
use super::*;
use geo::LineString;
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
