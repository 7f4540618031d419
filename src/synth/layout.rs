//! The city a synthetic scene shows: a street grid at some angle, blocks of row houses,
//! detached houses, large (sometimes L-shaped) buildings, parks and canals, and the strip
//! edge beyond which the radar saw nothing.

use geo::{Coord, LineString, Polygon};
use rand::Rng;

/// Land cover of the ground between buildings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cover {
    Ground,
    Road,
    Vegetation,
    Water,
}

/// One building: its footprint in pixel coordinates and what the radar needs to know.
#[derive(Clone, Debug)]
pub struct Building {
    pub footprint: Polygon<f64>,
    pub height_m: f64,
    /// Roof brightness offset in dB (material and structure).
    pub roof_db: f32,
}

pub(crate) struct Layout {
    pub width: usize,
    pub height: usize,
    pub cover: Vec<Cover>,
    pub valid: Vec<bool>,
    pub buildings: Vec<Building>,
    /// Hard scenes: tree crowns over streets and the fronts of houses (drawn over whatever
    /// is below, roofs included).
    pub crowns: Vec<bool>,
    /// Hard scenes: point scatterers (lamp posts, cars, ships), pixel index and strength in dB
    /// relative to a roof fixture.
    pub scatterers: Vec<(usize, f32)>,
}

/// The street grid: rotated axes (u along streets, v across), cell periods and street width.
struct Grid {
    eu: [f64; 2],
    ev: [f64; 2],
    origin: [f64; 2],
    period: [f64; 2],
    street: f64,
}

impl Grid {
    fn local(&self, p: [f64; 2]) -> [f64; 2] {
        let d = [p[0] - self.origin[0], p[1] - self.origin[1]];
        [
            d[0] * self.eu[0] + d[1] * self.eu[1],
            d[0] * self.ev[0] + d[1] * self.ev[1],
        ]
    }

    fn pixel(&self, uv: [f64; 2]) -> Coord<f64> {
        Coord {
            x: self.origin[0] + uv[0] * self.eu[0] + uv[1] * self.ev[0],
            y: self.origin[1] + uv[0] * self.eu[1] + uv[1] * self.ev[1],
        }
    }

    /// Cell index and position inside the cell of a local point.
    fn cell(&self, uv: [f64; 2]) -> ([i64; 2], [f64; 2]) {
        let iu = (uv[0] / self.period[0]).floor();
        let iv = (uv[1] / self.period[1]).floor();
        (
            [iu as i64, iv as i64],
            [uv[0] - iu * self.period[0], uv[1] - iv * self.period[1]],
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    RowHouses,
    Detached,
    Large,
    Park,
    Water,
}

/// Deterministic per-block choice from the block index and a scene salt.
fn block_kind(cell: [i64; 2], salt: u64) -> BlockKind {
    let h = hash3(cell[0], cell[1], salt) % 100;
    match h {
        0..=37 => BlockKind::RowHouses,
        38..=64 => BlockKind::Detached,
        65..=82 => BlockKind::Large,
        83..=94 => BlockKind::Park,
        _ => BlockKind::Water,
    }
}

fn hash3(a: i64, b: i64, salt: u64) -> u64 {
    let mut x = salt
        ^ (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x
}

/// A rectangle in the grid's local (u, v) frame.
#[derive(Clone, Copy)]
struct Rect {
    u0: f64,
    v0: f64,
    u1: f64,
    v1: f64,
}

impl Rect {
    fn overlaps(&self, other: &Rect, gap: f64) -> bool {
        self.u0 < other.u1 + gap
            && other.u0 < self.u1 + gap
            && self.v0 < other.v1 + gap
            && other.v0 < self.v1 + gap
    }
}

pub(crate) fn make_layout(
    rng: &mut impl Rng,
    width: usize,
    height: usize,
    px: f64,
    hard: bool,
) -> Layout {
    let angle = rng.random_range(-45.0f64..45.0).to_radians();
    let m = |metres: f64| metres / px; // metres -> pixels
    let grid = Grid {
        eu: [angle.cos(), angle.sin()],
        ev: [-angle.sin(), angle.cos()],
        origin: [
            rng.random_range(0.0..width as f64),
            rng.random_range(0.0..height as f64),
        ],
        period: [
            rng.random_range(m(36.0)..m(70.0)),
            rng.random_range(m(32.0)..m(60.0)),
        ],
        street: rng.random_range(m(5.0)..m(9.0)),
    };
    let salt: u64 = rng.random();
    let valid = strip_edge_mask(rng, width, height);

    // Land cover from the grid, with parks, canals and garden trees.
    let trees = super::noise::ValueNoise::new(rng, width, height, m(6.0) as f32);
    let mut cover = vec![Cover::Ground; width * height];
    for y in 0..height {
        for x in 0..width {
            let uv = grid.local([x as f64 + 0.5, y as f64 + 0.5]);
            let (cell, inside) = grid.cell(uv);
            let on_street = inside[0] < grid.street || inside[1] < grid.street;
            let kind = block_kind(cell, salt);
            let tree = trees.at(x as f32, y as f32);
            let c = if on_street {
                Cover::Road
            } else {
                match kind {
                    BlockKind::Water => Cover::Water,
                    BlockKind::Park if tree > 0.35 => Cover::Vegetation,
                    _ if tree > 0.78 => Cover::Vegetation,
                    _ => Cover::Ground,
                }
            };
            if let Some(slot) = cover.get_mut(y * width + x) {
                *slot = c;
            }
        }
    }

    // Buildings, block by block, for every cell that touches the tile.
    let mut buildings = Vec::new();
    let corners = [
        [0.0, 0.0],
        [width as f64, 0.0],
        [0.0, height as f64],
        [width as f64, height as f64],
    ]
    .map(|p| grid.local(p));
    let range = |k: usize| {
        let lo = corners.iter().map(|c| c[k]).fold(f64::INFINITY, f64::min);
        let hi = corners
            .iter()
            .map(|c| c[k])
            .fold(f64::NEG_INFINITY, f64::max);
        (
            (lo / grid.period[k]).floor() as i64 - 1,
            (hi / grid.period[k]).ceil() as i64 + 1,
        )
    };
    let (iu_range, iv_range) = (range(0), range(1));
    for iu in iu_range.0..=iu_range.1 {
        for iv in iv_range.0..=iv_range.1 {
            let base = [iu as f64 * grid.period[0], iv as f64 * grid.period[1]];
            let setback = rng.random_range(m(1.5)..m(4.0));
            let block = Rect {
                u0: base[0] + grid.street + setback,
                v0: base[1] + grid.street + setback,
                u1: base[0] + grid.period[0] - setback,
                v1: base[1] + grid.period[1] - setback,
            };
            let rects = match block_kind([iu, iv], salt) {
                BlockKind::RowHouses if hard => terraced_rows(rng, block, m(1.0)),
                BlockKind::RowHouses => row_houses(rng, block, m(1.0)),
                BlockKind::Detached => detached(rng, block, m(1.0)),
                BlockKind::Large if hard && rng.random_bool(0.4) => vec![tower(rng, block, m(1.0))],
                BlockKind::Large => vec![large(rng, block)],
                BlockKind::Park | BlockKind::Water => Vec::new(),
            };
            for (shape, height_m) in rects {
                let footprint = Polygon::new(
                    LineString::from(shape.iter().map(|&uv| grid.pixel(uv)).collect::<Vec<_>>()),
                    vec![],
                );
                if footprint_fits(&footprint, &valid, width, height) {
                    buildings.push(Building {
                        footprint,
                        height_m,
                        roof_db: rng.random_range(-3.0..3.0),
                    });
                }
            }
        }
    }
    let (crowns, scatterers) = if hard {
        clutter(rng, &grid, &cover, width, height, m(1.0))
    } else {
        (Vec::new(), Vec::new())
    };
    Layout {
        width,
        height,
        cover,
        valid,
        buildings,
        crowns,
        scatterers,
    }
}

/// Hard scenes' clutter: tree crowns along the streets (over kerbs, pavements and the fronts
/// of houses: 40% of the 8 m beside each street where the crown noise is high), a lamp post
/// every 20-30 m along each street, a parked car on about one road pixel in 250, and a ship
/// or two in each canal block (10-35 m by 3-7 m of bright metal).
fn clutter(
    rng: &mut impl Rng,
    grid: &Grid,
    cover: &[Cover],
    width: usize,
    height: usize,
    m: f64,
) -> (Vec<bool>, Vec<(usize, f32)>) {
    let noise = super::noise::ValueNoise::new(rng, width, height, (4.0 * m) as f32);
    let mut crowns = vec![false; width * height];
    let mut scatterers = Vec::new();
    let lamp_step = rng.random_range(20.0 * m..30.0 * m);
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            let uv = grid.local([x as f64 + 0.5, y as f64 + 0.5]);
            let (_, inside) = grid.cell(uv);
            let near_street = (inside[0] < grid.street + 8.0 * m
                || inside[1] < grid.street + 8.0 * m)
                && !(inside[0] < grid.street - 2.0 * m || inside[1] < grid.street - 2.0 * m);
            if near_street && noise.at(x as f32, y as f32) > 0.6 {
                crowns[i] = true;
            }
            let road = cover.get(i) == Some(&Cover::Road);
            // Lamp posts on the kerb line of each street, every `lamp_step` along it.
            let kerb = |k: usize| (inside[k] - (grid.street - 0.5 * m)).abs() < 0.5;
            let along = |k: usize| (uv[1 - k].rem_euclid(lamp_step)) < 1.0;
            if road && ((kerb(0) && along(0)) || (kerb(1) && along(1))) {
                scatterers.push((i, 4.0));
            } else if road && rng.random_ratio(1, 250) {
                scatterers.push((i, 0.0));
            }
        }
    }
    // Ships: rectangles along the canal's axis inside water.
    let water: Vec<usize> = (0..width * height)
        .filter(|&i| cover.get(i) == Some(&Cover::Water))
        .collect();
    let ships = (water.len() / 40_000).min(12) + usize::from(!water.is_empty());
    for _ in 0..ships {
        let Some(&at) = water.get(rng.random_range(0..water.len().max(1))) else {
            break;
        };
        let (cx, cy) = ((at % width) as f64, (at / width) as f64);
        let (length, beam) = (
            rng.random_range(10.0 * m..35.0 * m),
            rng.random_range(3.0 * m..7.0 * m),
        );
        let steps = (length as usize).max(1);
        for s in 0..steps {
            for b in 0..(beam as usize).max(1) {
                let u = s as f64 - length / 2.0;
                let v = b as f64 - beam / 2.0;
                let x = cx + u * grid.eu[0] + v * grid.ev[0];
                let y = cy + u * grid.eu[1] + v * grid.ev[1];
                if x < 0.0 || y < 0.0 || x >= width as f64 || y >= height as f64 {
                    continue;
                }
                let i = y as usize * width + x as usize;
                if cover.get(i) == Some(&Cover::Water) {
                    let bright = if s == 0 || s + 1 == steps { 2.0 } else { -6.0 };
                    scatterers.push((i, bright));
                }
            }
        }
    }
    (crowns, scatterers)
}

type Shape = (Vec<[f64; 2]>, f64);

fn rect_shape(r: Rect) -> Vec<[f64; 2]> {
    vec![[r.u0, r.v0], [r.u1, r.v0], [r.u1, r.v1], [r.u0, r.v1]]
}

/// How a block's rows of houses are drawn: heights of the rows, house widths (metres), how far
/// a house's height strays from its row's, and where the next house starts from this one's
/// start and width (drawn in that order).
struct RowStyle<N> {
    row_height: std::ops::Range<f64>,
    width_m: std::ops::Range<f64>,
    stray: f64,
    next: N,
}

/// One or two rows of houses along the block's long sides, in `style`.
fn rows_of_houses<R: Rng>(
    rng: &mut R,
    block: Rect,
    m: f64,
    mut style: RowStyle<impl FnMut(&mut R, f64, f64) -> f64>,
) -> Vec<Shape> {
    let depth = rng.random_range(8.0 * m..12.0 * m);
    let height = rng.random_range(style.row_height.clone());
    if block.v1 - block.v0 < depth + 2.0 * m {
        return Vec::new();
    }
    let mut rows = vec![(block.v0, block.v0 + depth)];
    if block.v1 - block.v0 > 2.0 * depth + 5.0 * m {
        rows.push((block.v1 - depth, block.v1));
    }
    let mut out = Vec::new();
    for (v0, v1) in rows {
        let mut u = block.u0;
        loop {
            let w = rng.random_range(style.width_m.start * m..style.width_m.end * m);
            if u + w > block.u1 {
                break;
            }
            out.push((
                rect_shape(Rect {
                    u0: u,
                    v0,
                    u1: u + w,
                    v1,
                }),
                height + rng.random_range(-style.stray..style.stray),
            ));
            u = (style.next)(rng, u, w);
        }
    }
    out
}

/// One or two rows of terraced houses along the block's long sides, gaps between them.
fn row_houses<R: Rng>(rng: &mut R, block: Rect, m: f64) -> Vec<Shape> {
    let style = RowStyle {
        row_height: 5.0..9.0,
        width_m: 7.0..15.0,
        stray: 1.0,
        next: |rng: &mut R, u: f64, w: f64| u + (w + rng.random_range(2.0 * m..4.0 * m)),
    };
    rows_of_houses(rng, block, m, style)
}

/// Hard scenes' terraced rows, as Rotterdam's: houses 5-9 m wide sharing their walls (no gap,
/// the footprints touch, as SN6 labels do), now and then an alley of 1-2 m, each house's
/// height within 1.5 m of its row's.
fn terraced_rows<R: Rng>(rng: &mut R, block: Rect, m: f64) -> Vec<Shape> {
    let style = RowStyle {
        row_height: 6.0..11.0,
        width_m: 5.0..9.0,
        stray: 1.5,
        next: |rng: &mut R, u: f64, w: f64| {
            let u = u + w;
            if rng.random_bool(0.12) {
                u + rng.random_range(1.0 * m..2.0 * m)
            } else {
                u
            }
        },
    };
    rows_of_houses(rng, block, m, style)
}

/// Hard scenes' tower: 15-30 m a side, 30-60 m tall, near the block's side that faces the
/// sensor (low v in the grid is not always up; the layover of 30-60 m falls on the street
/// and the buildings beyond whichever way the grid turns).
fn tower(rng: &mut impl Rng, block: Rect, m: f64) -> Shape {
    let (bw, bh) = (block.u1 - block.u0, block.v1 - block.v0);
    let (w, h) = (
        rng.random_range(15.0 * m..30.0 * m).min(bw * 0.9),
        rng.random_range(15.0 * m..30.0 * m).min(bh * 0.9),
    );
    let u0 = block.u0 + rng.random_range(0.0..=(bw - w).max(0.0));
    let v0 = block.v0 + rng.random_range(0.0..=((bh - h) * 0.3).max(0.0));
    (
        rect_shape(Rect {
            u0,
            v0,
            u1: u0 + w,
            v1: v0 + h,
        }),
        rng.random_range(30.0..60.0),
    )
}

/// One to four free-standing houses placed without overlap.
fn detached(rng: &mut impl Rng, block: Rect, m: f64) -> Vec<Shape> {
    let wanted = rng.random_range(1..=4);
    let mut placed: Vec<Rect> = Vec::new();
    for _ in 0..30 {
        if placed.len() >= wanted {
            break;
        }
        let (w, h) = (
            rng.random_range(8.0 * m..20.0 * m),
            rng.random_range(8.0 * m..16.0 * m),
        );
        if block.u1 - block.u0 <= w || block.v1 - block.v0 <= h {
            continue;
        }
        let u0 = rng.random_range(block.u0..block.u1 - w);
        let v0 = rng.random_range(block.v0..block.v1 - h);
        let r = Rect {
            u0,
            v0,
            u1: u0 + w,
            v1: v0 + h,
        };
        if placed.iter().all(|p| !p.overlaps(&r, 3.0 * m)) {
            placed.push(r);
        }
    }
    placed
        .into_iter()
        .map(|r| (rect_shape(r), rng.random_range(4.0..9.0)))
        .collect()
}

/// One large building filling much of the block, L-shaped half of the time.
fn large(rng: &mut impl Rng, block: Rect) -> Shape {
    let (bw, bh) = (block.u1 - block.u0, block.v1 - block.v0);
    let (w, h) = (
        bw * rng.random_range(0.55..0.95),
        bh * rng.random_range(0.55..0.95),
    );
    let u0 = block.u0 + rng.random_range(0.0..=(bw - w).max(0.0));
    let v0 = block.v0 + rng.random_range(0.0..=(bh - h).max(0.0));
    let height = rng.random_range(10.0..22.0);
    if rng.random_bool(0.5) {
        // An L: the rectangle minus one corner.
        let (cw, ch) = (
            w * rng.random_range(0.35..0.6),
            h * rng.random_range(0.35..0.6),
        );
        let (u1, v1) = (u0 + w, v0 + h);
        let shape = vec![
            [u0, v0],
            [u1, v0],
            [u1, v1 - ch],
            [u1 - cw, v1 - ch],
            [u1 - cw, v1],
            [u0, v1],
        ];
        (shape, height)
    } else {
        (
            rect_shape(Rect {
                u0,
                v0,
                u1: u0 + w,
                v1: v0 + h,
            }),
            height,
        )
    }
}

/// A straight strip edge across one side of the tile: beyond it the radar saw nothing.
fn strip_edge_mask(rng: &mut impl Rng, width: usize, height: usize) -> Vec<bool> {
    let side = rng.random_range(0..4);
    let share = rng.random_range(0.04..0.22);
    let tilt = rng.random_range(-0.35f64..0.35);
    let (w, h) = (width as f64, height as f64);
    // Inward normal and a point on the edge line.
    let (normal, point) = match side {
        0 => ([tilt.sin(), tilt.cos()], [w / 2.0, share * h]),
        1 => ([tilt.sin(), -tilt.cos()], [w / 2.0, (1.0 - share) * h]),
        2 => ([tilt.cos(), tilt.sin()], [share * w, h / 2.0]),
        _ => ([-tilt.cos(), tilt.sin()], [(1.0 - share) * w, h / 2.0]),
    };
    let mut valid = vec![false; width * height];
    for y in 0..height {
        for x in 0..width {
            let d =
                (x as f64 + 0.5 - point[0]) * normal[0] + (y as f64 + 0.5 - point[1]) * normal[1];
            if let Some(v) = valid.get_mut(y * width + x) {
                *v = d >= 0.0;
            }
        }
    }
    valid
}

/// A footprint is kept when it lies inside the tile and the valid area, with a small margin.
fn footprint_fits(footprint: &Polygon<f64>, valid: &[bool], width: usize, height: usize) -> bool {
    const MARGIN: f64 = 4.0;
    footprint.exterior().0.iter().all(|c| {
        let inside = c.x >= MARGIN
            && c.y >= MARGIN
            && c.x <= width as f64 - MARGIN
            && c.y <= height as f64 - MARGIN;
        inside
            && [(-MARGIN, 0.0), (MARGIN, 0.0), (0.0, -MARGIN), (0.0, MARGIN)]
                .iter()
                .all(|(dx, dy)| {
                    let (x, y) = ((c.x + dx) as usize, (c.y + dy) as usize);
                    valid.get(y * width + x).copied().unwrap_or(false)
                })
    })
}
