//! The CPU twin of `shaders/view.wgsl`: the same math per pixel, for PNG export without a GPU
//! and as the oracle of the GPU path's tests.

use super::{NODATA, ViewSettings, db};

/// Renders `texels` (`src_width` x `src_height`, see [`super::interleave`]) to RGBA8 of
/// `out_width` x `out_height`, nearest sampling at output pixel centres, nodata transparent.
pub fn render(
    texels: &[[f32; 4]],
    src_width: usize,
    src_height: usize,
    settings: &ViewSettings,
    out_width: usize,
    out_height: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_width * out_height * 4);
    let source = |o: usize, out_n: usize, src_n: usize| -> usize {
        let uv = (o as f32 + 0.5) / out_n as f32;
        ((uv * src_n as f32).floor().max(0.0) as usize).min(src_n.saturating_sub(1))
    };
    for y in 0..out_height {
        let sy = source(y, out_height, src_height);
        for x in 0..out_width {
            let sx = source(x, out_width, src_width);
            let v = texels
                .get(sy * src_width + sx)
                .copied()
                .unwrap_or([NODATA; 4]);
            out.extend_from_slice(&pixel(v, settings));
        }
    }
    out
}

/// One pixel's colour.
pub fn pixel(v: [f32; 4], settings: &ViewSettings) -> [u8; 4] {
    if v.iter().any(|b| *b <= NODATA) {
        return [0; 4];
    }
    let mut c = settings.mode.channels(v);
    if settings.db {
        c = c.map(db);
    }
    let mut rgba = [0u8, 0, 0, 255];
    for k in 0..3 {
        let span = (settings.hi[k] - settings.lo[k]).max(1.0e-20);
        let mut t = ((c[k] - settings.lo[k]) / span).clamp(0.0, 1.0);
        if settings.gamma != 1.0 {
            t = t.powf(1.0 / settings.gamma);
        }
        rgba[k] = (t * 255.0).round() as u8;
    }
    rgba
}
