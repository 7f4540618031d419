//! The radar's view of a layout: per-pixel backscatter of ground, roofs, walls (layover),
//! double bounce at the wall foot and shadow, then thermal noise, multiplicative gamma speckle
//! and the SpaceNet 6 product scale.
//!
//! Geometry: the sensor looks along +y (from the top of the image, "from the north").
//! A point at height h appears displaced towards the sensor by h / tan(incidence) (layover);
//! behind a building the ground is hidden over h * tan(incidence) (shadow).

use rand::Rng;
use rand_distr::{Distribution, Gamma};

use super::layout::{Cover, Layout};

/// Backscatter in dB for HH, HV, VH, VV.
type Pol4 = [f32; 4];

const GROUND: Pol4 = [-11.0, -22.5, -23.0, -12.0];
const ROAD: Pol4 = [-19.0, -31.0, -31.0, -18.0];
const VEGETATION: Pol4 = [-8.5, -11.5, -12.0, -9.5];
const WATER: Pol4 = [-25.0, -33.0, -33.0, -23.0];
const ROOF: Pol4 = [-7.0, -14.0, -14.5, -8.0];
const WALL: Pol4 = [-5.0, -13.0, -13.5, -6.0];
/// Peak double bounce of a wall that faces the sensor squarely; co-pol dominates.
const DOUBLE_BOUNCE: Pol4 = [13.0, -3.0, -3.5, 10.0];
/// Thermal noise floor (noise-equivalent sigma zero), what shadows show.
const NESZ_DB: f32 = -24.0;
/// Roof equipment, cars: point scatterers.
const POINT: Pol4 = [6.0, -6.0, -6.5, 4.0];

/// Product value = OFFSET + 10 log10(intensity), calibrated so that the band means over valid
/// pixels of a typical scene are near the SN6 ones, with co-pol above cross-pol.
const PRODUCT_OFFSET: Pol4 = [48.55, 51.55, 51.3, 47.45];
/// Largest product value (the real tiles stay below about 92).
const PRODUCT_MAX: f32 = 92.0;
/// Smallest valid product value: 0 is reserved for nodata.
const PRODUCT_MIN: f32 = 0.01;

/// Looks of the multiplicative speckle (gamma distributed, mean 1).
const LOOKS: f32 = 1.0;

fn lin(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

fn lin4(db: Pol4) -> Pol4 {
    db.map(lin)
}

/// The radar's geometry for a scene.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub incidence_deg: f64,
    pub pixel_size: f64,
}

/// Noise-free backscatter (linear) of the layout, four planes. The layout must already be in
/// the range frame (sensor at the top).
pub(crate) fn backscatter(
    layout: &Layout,
    geometry: Geometry,
    rng: &mut impl Rng,
) -> Vec<Vec<f32>> {
    let (w, h) = (layout.width, layout.height);
    let n = w * h;
    let cot = 1.0 / geometry.incidence_deg.to_radians().tan();
    let tan = geometry.incidence_deg.to_radians().tan();

    // Where footprints and their shadows hide the ground.
    let mut hidden = vec![false; n];
    for building in &layout.buildings {
        let shadow = building.height_m * tan / geometry.pixel_size;
        for_each_column(&building.footprint, w, |x, near, far, _| {
            for y in rows(near, far + shadow, h) {
                if let Some(v) = hidden.get_mut(y * w + x) {
                    *v = true;
                }
            }
        });
    }

    // Visible ground: land cover with texture (+-2.5 dB, trees +-2 dB more).
    let texture = super::noise::ValueNoise::new(rng, w, h, 24.0);
    let fine = super::noise::ValueNoise::new(rng, w, h, 5.0);
    let mut planes = vec![vec![0f32; n]; 4];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if hidden.get(i).copied().unwrap_or(true) {
                continue;
            }
            let cover = layout.cover.get(i).copied().unwrap_or(Cover::Ground);
            let (base, jitter) = match cover {
                Cover::Ground => (GROUND, 0.0),
                Cover::Road => (ROAD, 0.0),
                Cover::Vegetation => (VEGETATION, fine.at(x as f32, y as f32) * 4.0 - 2.0),
                Cover::Water => (WATER, 0.0),
            };
            let t = texture.at(x as f32, y as f32) * 5.0 - 2.5 + jitter;
            add(&mut planes, i, base.map(|db| lin(db + t)));
            if cover == Cover::Road && rng.random_ratio(1, 2000) {
                add(&mut planes, i, lin4(POINT)); // a car
            }
        }
    }

    // Buildings: displaced roofs, wall layover, double bounce at the wall foot.
    let (wall, bounce, point) = (lin4(WALL), lin4(DOUBLE_BOUNCE), lin4(POINT));
    for building in &layout.buildings {
        let layover = building.height_m * cot / geometry.pixel_size;
        let roof = lin4(ROOF.map(|v| v + building.roof_db));
        for_each_column(&building.footprint, w, |x, near, far, facing| {
            for y in rows(near - layover, far - layover, h) {
                add(&mut planes, y * w + x, roof);
            }
            let wall_k = (facing * facing) as f32;
            for y in rows(near - layover, near, h) {
                add(&mut planes, y * w + x, wall.map(|v| v * wall_k));
            }
            let bounce_k = facing.powi(8) as f32;
            if near >= 0.0 && (near as usize) < h {
                let y = near as usize;
                add(&mut planes, y * w + x, bounce.map(|v| v * bounce_k));
                if y > 0 {
                    add(
                        &mut planes,
                        (y - 1) * w + x,
                        bounce.map(|v| v * bounce_k * 0.3),
                    );
                }
            }
        });
        // Roof equipment: a few point scatterers on the displaced roof.
        let ring = &building.footprint.exterior().0;
        for _ in 0..rng.random_range(0..4) {
            let (ia, ib) = (
                rng.random_range(0..ring.len().max(1)),
                rng.random_range(0..ring.len().max(1)),
            );
            if let (Some(a), Some(b)) = (ring.get(ia), ring.get(ib)) {
                let (px, py) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0 - layover);
                if px >= 0.0 && py >= 0.0 && (px as usize) < w && (py as usize) < h {
                    add(&mut planes, py as usize * w + px as usize, point);
                }
            }
        }
    }
    // Hard scenes: crowns over everything (half of what is below gets through, plus the
    // canopy's volume scattering), then the point scatterers.
    if !layout.crowns.is_empty() {
        let crown = super::noise::ValueNoise::new(rng, w, h, 3.0);
        for (i, &c) in layout.crowns.iter().enumerate() {
            if !c {
                continue;
            }
            let t = crown.at((i % w) as f32, (i / w) as f32) * 4.0 - 2.0;
            for plane in planes.iter_mut() {
                if let Some(p) = plane.get_mut(i) {
                    *p *= 0.5;
                }
            }
            add(&mut planes, i, VEGETATION.map(|db| lin(db + t)));
        }
    }
    for &(i, db) in &layout.scatterers {
        add(&mut planes, i, POINT.map(|v| lin(v + db)));
    }
    planes
}

/// Calls `f(x, near, far, facing)` for every pixel column x the footprint covers and every
/// inside interval of that column.
fn for_each_column(
    footprint: &geo::Polygon<f64>,
    width: usize,
    mut f: impl FnMut(usize, f64, f64, f64),
) {
    let ring = &footprint.exterior().0;
    let (x_lo, x_hi) = ring
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
            (lo.min(c.x), hi.max(c.x))
        });
    let x_first = x_lo.floor().max(0.0) as usize;
    let x_last = (x_hi.ceil().max(0.0) as usize).min(width);
    for x in x_first..x_last {
        for (near, far, facing) in column_intervals(ring, x as f64 + 0.5) {
            f(x, near, far, facing);
        }
    }
}

fn add(planes: &mut [Vec<f32>], i: usize, value: Pol4) {
    for (plane, v) in planes.iter_mut().zip(value) {
        if let Some(p) = plane.get_mut(i) {
            *p += v;
        }
    }
}

/// Rows whose centres lie in [lo, hi), clipped to the image.
fn rows(lo: f64, hi: f64, height: usize) -> std::ops::Range<usize> {
    let first = (lo - 0.5).ceil().max(0.0);
    let end = (hi - 0.5).ceil().max(0.0);
    (first as usize).min(height)..(end as usize).min(height)
}

/// Where the vertical line x = `xc` crosses the polygon ring: (near y, far y, facing) per
/// inside interval, with `facing` in [0, 1] the cosine between the near wall's normal and the
/// direction to the sensor.
fn column_intervals(ring: &[geo::Coord<f64>], xc: f64) -> Vec<(f64, f64, f64)> {
    let mut hits: Vec<(f64, f64)> = ring
        .windows(2)
        .filter_map(|edge| {
            let (p, q) = (edge.first()?, edge.get(1)?);
            if (p.x <= xc) == (q.x <= xc) {
                return None;
            }
            let y = p.y + (xc - p.x) * (q.y - p.y) / (q.x - p.x);
            let len = (q.x - p.x).hypot(q.y - p.y);
            Some((y, (q.x - p.x).abs() / len))
        })
        .collect();
    hits.sort_by(|a, b| a.0.total_cmp(&b.0));
    hits.chunks_exact(2)
        .filter_map(|pair| Some((pair.first()?.0, pair.get(1)?.0, pair.first()?.1)))
        .collect()
}

/// Thermal noise, speckle and the product scale: linear backscatter -> SN6-like values.
/// Invalid pixels become 0 (nodata).
pub(crate) fn to_product(planes: &mut [Vec<f32>], valid: &[bool], rng: &mut impl Rng) {
    let noise = lin(NESZ_DB);
    let speckle = Gamma::new(LOOKS, 1.0 / LOOKS).ok();
    for (band, plane) in planes.iter_mut().enumerate() {
        let offset = PRODUCT_OFFSET.get(band).copied().unwrap_or(50.0);
        for (v, ok) in plane.iter_mut().zip(valid) {
            if !ok {
                *v = 0.0;
                continue;
            }
            let s = speckle.as_ref().map_or(1.0, |g| g.sample(rng));
            let intensity = ((*v + noise) * s).max(1e-12);
            *v = (offset + 10.0 * intensity.log10()).clamp(PRODUCT_MIN, PRODUCT_MAX);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_has_one_interval_per_column() {
        let ring = [
            (10.0, 20.0),
            (30.0, 20.0),
            (30.0, 40.0),
            (10.0, 40.0),
            (10.0, 20.0),
        ]
        .map(|(x, y)| geo::Coord { x, y });
        let iv = column_intervals(&ring, 15.5);
        assert_eq!(iv.len(), 1);
        let (near, far, facing) = iv[0];
        assert_eq!((near, far), (20.0, 40.0));
        assert!(
            (facing - 1.0).abs() < 1e-12,
            "a wall along x faces the sensor"
        );
        assert!(column_intervals(&ring, 35.5).is_empty());
    }

    #[test]
    fn rows_take_pixel_centres() {
        assert_eq!(rows(2.0, 5.0, 100), 2..5);
        assert_eq!(rows(2.6, 5.4, 100), 3..5);
        assert_eq!(rows(-10.0, 3.0, 2), 0..2);
    }
}
