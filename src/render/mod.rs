//! Rendering a scene's polarizations and composites: the WGSL pipeline in `shaders/view.wgsl`
//! (offscreen here, inside the viewer later) and its CPU twin [`cpu`], the oracle for tests and
//! the PNG fallback.

pub mod cpu;
mod gpu;

pub use gpu::{OffscreenRenderer, RenderError, ViewPipeline, upload_bands};

use crate::raster::Planes;

/// What a view shows. Values are linear power per band (HH, HV, VH, VV).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViewMode {
    Hh,
    Hv,
    Vh,
    Vv,
    /// Total power HH + HV + VH + VV.
    Span,
    /// RGB = (|HH - VV|, (HV + VH) / 2, HH + VV).
    Pauli,
    /// RGB = (VV, (HV + VH) / 2, HH).
    Sinclair,
    /// HH / HV.
    RatioHhHv,
}

impl ViewMode {
    pub const ALL: [Self; 8] = [
        Self::Hh,
        Self::Hv,
        Self::Vh,
        Self::Vv,
        Self::Span,
        Self::Pauli,
        Self::Sinclair,
        Self::RatioHhHv,
    ];

    /// The number the shader switches on.
    pub fn id(self) -> u32 {
        match self {
            Self::Hh => 0,
            Self::Hv => 1,
            Self::Vh => 2,
            Self::Vv => 3,
            Self::Span => 4,
            Self::Pauli => 5,
            Self::Sinclair => 6,
            Self::RatioHhHv => 7,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Hh => "hh",
            Self::Hv => "hv",
            Self::Vh => "vh",
            Self::Vv => "vv",
            Self::Span => "span",
            Self::Pauli => "pauli",
            Self::Sinclair => "sinclair",
            Self::RatioHhHv => "hh-hv",
        }
    }

    /// The output channels (1 or 3 distinct) from one pixel's four linear values.
    pub fn channels(self, v: [f32; 4]) -> [f32; 3] {
        let [hh, hv, vh, vv] = v;
        match self {
            Self::Hh => [hh; 3],
            Self::Hv => [hv; 3],
            Self::Vh => [vh; 3],
            Self::Vv => [vv; 3],
            Self::Span => [hh + hv + vh + vv; 3],
            Self::Pauli => [(hh - vv).abs(), (hv + vh) * 0.5, hh + vv],
            Self::Sinclair => [vv, (hv + vh) * 0.5, hh],
            Self::RatioHhHv => [hh / hv.max(1.0e-10); 3],
        }
    }
}

/// How a view is displayed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewSettings {
    pub mode: ViewMode,
    /// Show `10 log10` of the channel values.
    pub db: bool,
    /// Display values mapped to 0 and 1 per output channel (after dB when `db`).
    pub lo: [f32; 3],
    pub hi: [f32; 3],
    pub gamma: f32,
}

/// The shader's uniform. Keep in sync with `struct View` in shaders/view.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ViewUniform {
    pub mode: u32,
    pub db: u32,
    pub src_width: u32,
    pub src_height: u32,
    pub lo: [f32; 4],
    pub hi: [f32; 4],
    pub gamma: f32,
    /// 1.0: no data drawn as a checkerboard (the viewer); 0.0: transparent.
    pub checker: f32,
    pub _pad: [f32; 2],
    /// The part of the scene shown: uv = window[0..2] + target uv * window[2..4].
    pub window: [f32; 4],
}

/// The whole scene.
pub const WHOLE_SCENE: [f32; 4] = [0.0, 0.0, 1.0, 1.0];

impl ViewUniform {
    pub fn new(settings: &ViewSettings, src_width: usize, src_height: usize) -> Self {
        let [l0, l1, l2] = settings.lo;
        let [h0, h1, h2] = settings.hi;
        Self {
            mode: settings.mode.id(),
            db: u32::from(settings.db),
            src_width: src_width as u32,
            src_height: src_height as u32,
            lo: [l0, l1, l2, 0.0],
            hi: [h0, h1, h2, 1.0],
            gamma: settings.gamma,
            checker: 0.0,
            _pad: [0.0; 2],
            window: WHOLE_SCENE,
        }
    }
}

/// The value the shader reads as "no data" (a band's nodata or a non-finite value).
pub const NODATA: f32 = -3.0e38;

/// `10 log10(x)` as the shader computes it (through log2), floored at 1e-10.
pub fn db(x: f32) -> f32 {
    10.0 * std::f32::consts::LOG10_2 * x.max(1.0e-10).log2()
}

/// The four bands HH, HV, VH, VV of `planes` interleaved per pixel (RGBA texels), invalid
/// pixels as [`NODATA`]. `order` gives the band index of each polarization.
pub fn interleave(planes: &Planes, order: [usize; 4]) -> Vec<[f32; 4]> {
    let n = planes.width * planes.height;
    let band = |b: usize| planes.bands.get(b).map(Vec::as_slice).unwrap_or(&[]);
    let bands = order.map(band);
    (0..n)
        .map(|i| {
            if !planes.valid.get(i).copied().unwrap_or(false) {
                return [NODATA; 4];
            }
            bands.map(|b| b.get(i).copied().unwrap_or(NODATA))
        })
        .collect()
}

/// Stretch limits per output channel from the `p_lo`..`p_hi` percentiles (0..100) of the valid
/// pixels' display values (a regular sample of at most ~1 Mpx).
pub fn percentile_stretch(
    texels: &[[f32; 4]],
    mode: ViewMode,
    db_scale: bool,
    p_lo: f64,
    p_hi: f64,
) -> ([f32; 3], [f32; 3]) {
    let step = (texels.len() / 1_000_000).max(1);
    let mut values: [Vec<f32>; 3] = Default::default();
    for t in texels.iter().step_by(step) {
        if t.iter().any(|v| *v <= NODATA) {
            continue;
        }
        let c = mode.channels(*t);
        for (k, v) in c.into_iter().enumerate() {
            let v = if db_scale { db(v) } else { v };
            if v.is_finite() {
                values[k].push(v);
            }
        }
    }
    let mut lo = [0.0; 3];
    let mut hi = [1.0; 3];
    for k in 0..3 {
        let vals = &mut values[k];
        if vals.is_empty() {
            continue;
        }
        vals.sort_by(f32::total_cmp);
        let at = |p: f64| {
            let i = ((p / 100.0) * (vals.len() - 1) as f64).round() as usize;
            vals[i.min(vals.len() - 1)]
        };
        lo[k] = at(p_lo);
        hi[k] = at(p_hi);
        if hi[k] <= lo[k] {
            hi[k] = lo[k] + 1.0;
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uniform_has_the_shader_layout() {
        // struct View: 4 x u32 (16) + 2 x vec4<f32> (32) + 4 x f32 (16) + vec4<f32> = 80 bytes.
        assert_eq!(std::mem::size_of::<ViewUniform>(), 80);
        assert_eq!(std::mem::offset_of!(ViewUniform, window), 64);
        assert_eq!(std::mem::offset_of!(ViewUniform, lo), 16);
        assert_eq!(std::mem::offset_of!(ViewUniform, hi), 32);
        assert_eq!(std::mem::offset_of!(ViewUniform, gamma), 48);
        let shader = include_str!("../../shaders/view.wgsl");
        assert!(shader.contains("const NODATA: f32 = -3.0e38;"));
    }

    #[test]
    fn pauli_and_sinclair_channels() {
        let v = [4.0, 1.0, 3.0, 1.0];
        assert_eq!(ViewMode::Pauli.channels(v), [3.0, 2.0, 5.0]);
        assert_eq!(ViewMode::Sinclair.channels(v), [1.0, 2.0, 4.0]);
        assert_eq!(ViewMode::Span.channels(v), [9.0; 3]);
        assert!((db(100.0) - 20.0).abs() < 1e-5);
    }
}
