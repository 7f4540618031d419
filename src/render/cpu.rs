//! The CPU twin of `shaders/view.wgsl`: the same math per pixel, for PNG export without a GPU
//! and as the oracle of the GPU path's tests. (The viewer-only parts of the shader, the
//! checkerboard behind no data and the pixel grid, are not here: PNGs have neither.)

use super::{NODATA, Sampling, ViewSettings, db};

/// Renders `texels` (`src_width` x `src_height`, see [`super::interleave`]) to RGBA8 of
/// `out_width` x `out_height`, sampled at output pixel centres, nodata transparent.
pub fn render(
    texels: &[[f32; 4]],
    src_width: usize,
    src_height: usize,
    settings: &ViewSettings,
    out_width: usize,
    out_height: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_width * out_height * 4);
    let size = [src_width as f32, src_height as f32];
    let load = |x: f32, y: f32| -> [f32; 4] {
        let x = x.clamp(0.0, size[0] - 1.0) as usize;
        let y = y.clamp(0.0, size[1] - 1.0) as usize;
        texels
            .get(y * src_width + x)
            .copied()
            .unwrap_or([NODATA; 4])
    };
    for oy in 0..out_height {
        let py = (oy as f32 + 0.5) / out_height as f32 * size[1];
        for ox in 0..out_width {
            let px = (ox as f32 + 0.5) / out_width as f32 * size[0];
            let nearest = load(px.floor(), py.floor());
            let v = match settings.sampling {
                Sampling::Nearest => nearest,
                Sampling::Bilinear => bilinear(&load, px, py).unwrap_or(nearest),
            };
            out.extend_from_slice(&pixel(v, settings));
        }
    }
    out
}

/// The bilinear mix of the four texels around the scene position (`px`, `py`) (texel centres
/// at +0.5), or `None` when one of them is no data (the shader then takes the nearest texel).
fn bilinear(load: &impl Fn(f32, f32) -> [f32; 4], px: f32, py: f32) -> Option<[f32; 4]> {
    let (qx, qy) = (px - 0.5, py - 0.5);
    let (ix, iy) = (qx.floor(), qy.floor());
    let (fx, fy) = (qx - ix, qy - iy);
    let t00 = load(ix, iy);
    let t10 = load(ix + 1.0, iy);
    let t01 = load(ix, iy + 1.0);
    let t11 = load(ix + 1.0, iy + 1.0);
    if [t00, t10, t01, t11].iter().flatten().any(|v| *v <= NODATA) {
        return None;
    }
    let mix = |a: f32, b: f32, t: f32| a * (1.0 - t) + b * t;
    Some(std::array::from_fn(|k| {
        mix(mix(t00[k], t10[k], fx), mix(t01[k], t11[k], fx), fy)
    }))
}

/// One texel's colour.
pub fn pixel(v: [f32; 4], settings: &ViewSettings) -> [u8; 4] {
    if v.iter().any(|b| *b <= NODATA) {
        return [0; 4];
    }
    let mut c = settings
        .mode
        .channels(v.map(|x| settings.input.to_power(x)));
    if settings.db {
        c = c.map(db);
    }
    let mut t = [0.0f32; 3];
    for k in 0..3 {
        let span = (settings.hi[k] - settings.lo[k]).max(1.0e-20);
        t[k] = ((c[k] - settings.lo[k]) / span).clamp(0.0, 1.0);
        if settings.gamma != 1.0 {
            t[k] = t[k].powf(1.0 / settings.gamma);
        }
    }
    if !settings.mode.is_rgb() {
        t = settings.colormap.apply(t[0]);
    }
    let [r, g, b] = t.map(|x| (x * 255.0).round() as u8);
    [r, g, b, 255]
}
