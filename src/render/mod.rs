//! Rendering a scene's polarizations and composites: the WGSL pipelines of `shaders/` (the view,
//! the probability [`overlay`], footprint [`outline`]s), built here for the viewer's paint
//! callbacks and for offscreen PNGs, the view's CPU twin [`cpu`] (the oracle for tests and the
//! PNG fallback), stretch statistics, colormaps, and the tiled [`pyramid`] of large scenes.

mod bands;
mod colormap;
pub mod cpu;
mod error;
mod gpu;
pub mod outline;
pub mod overlay;
mod pipeline;
mod polsar;
pub mod pyramid;
mod stretch;

pub use bands::Bands;
pub use colormap::Colormap;
pub use error::RenderError;
pub use gpu::{OffscreenRenderer, SceneTexture};
pub use pipeline::{TexturePipeline, ViewPipeline, per_draw_uniform, upload_bands};
pub use polsar::{PolsarParams, PolsarPipeline, gpu_mode};
pub use stretch::{Display, Stretch, histogram, stretch_limits, stretch_limits_and_histogram};

use serde::{Deserialize, Serialize};

use crate::raster::Planes;

/// What a view shows, from linear power per band (HH, HV, VH, VV in the texture's channels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The first three channels as RGB: a raster with bands that are not polarizations.
    Rgb,
}

impl ViewMode {
    pub const ALL: [Self; 9] = [
        Self::Hh,
        Self::Hv,
        Self::Vh,
        Self::Vv,
        Self::Span,
        Self::Pauli,
        Self::Sinclair,
        Self::RatioHhHv,
        Self::Rgb,
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
            Self::Rgb => 8,
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
            Self::Rgb => "rgb",
        }
    }

    /// Three distinct output channels (a colormap does not apply).
    pub fn is_rgb(self) -> bool {
        matches!(self, Self::Pauli | Self::Sinclair | Self::Rgb)
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
            Self::Rgb => [hh, hv, vh],
        }
    }
}

/// What the texture's values are. Every view works on linear power, so the shader converts
/// first: amplitude is squared, dB is `10^(x/10)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InputScale {
    #[default]
    Power,
    Amplitude,
    Db,
}

impl InputScale {
    pub const ALL: [Self; 3] = [Self::Power, Self::Amplitude, Self::Db];

    /// The number the shader switches on.
    pub fn id(self) -> u32 {
        match self {
            Self::Power => 0,
            Self::Amplitude => 1,
            Self::Db => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Power => "power",
            Self::Amplitude => "amplitude",
            Self::Db => "dB",
        }
    }

    /// Linear power from a stored value, as the shader computes it.
    pub fn to_power(self, v: f32) -> f32 {
        match self {
            Self::Power => v,
            Self::Amplitude => v * v,
            Self::Db => (v * (std::f32::consts::LOG2_10 / 10.0)).exp2(),
        }
    }

    /// A guess from the data: values below zero can only be dB; otherwise power (amplitude
    /// looks the same, so the viewer lets the user override it).
    pub fn detect(texels: &[[f32; 4]]) -> Self {
        let negative = texels
            .iter()
            .flatten()
            .any(|v| *v > NODATA && *v < 0.0 && v.is_finite());
        if negative { Self::Db } else { Self::Power }
    }
}

/// Nearest or bilinear sampling of the scene (filtered by hand in the shader: float textures
/// need no filterable-float feature that way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sampling {
    #[default]
    Nearest,
    Bilinear,
}

/// How a view is displayed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewSettings {
    pub mode: ViewMode,
    /// What the stored values are.
    pub input: InputScale,
    /// Show `10 log10` of the channel values.
    pub db: bool,
    /// Display values mapped to 0 and 1 per output channel (after dB when `db`).
    pub lo: [f32; 3],
    pub hi: [f32; 3],
    pub gamma: f32,
    /// For one-channel views.
    pub colormap: Colormap,
    pub sampling: Sampling,
}

impl ViewSettings {
    /// `mode` on `input` data with limits from `stretch`, grey, nearest, gamma 1.
    pub fn stretched(
        texels: &[[f32; 4]],
        mode: ViewMode,
        input: InputScale,
        db: bool,
        stretch: Stretch,
    ) -> Self {
        let (lo, hi) = stretch_limits(texels, &Display { mode, input, db }, stretch);
        Self {
            mode,
            input,
            db,
            lo,
            hi,
            gamma: 1.0,
            colormap: Colormap::Grey,
            sampling: Sampling::Nearest,
        }
    }
}

/// One draw of the view shader: its uniform (keep in sync with `struct View` in
/// shaders/view.wgsl) and, through [`Self::constants`], its pipeline.
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
    pub input: u32,
    pub colormap: u32,
    /// The part of the scene shown: uv = window[0..2] + target uv * window[2..4].
    pub window: [f32; 4],
    /// 0 nearest, 1 bilinear.
    pub sampling: u32,
    /// Screen pixels per scene pixel when the pixel grid is drawn; 0 = no grid.
    pub grid: f32,
    pub _pad: [u32; 2],
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
            input: settings.input.id(),
            colormap: settings.colormap.id(),
            window: WHOLE_SCENE,
            sampling: match settings.sampling {
                Sampling::Nearest => 0,
                Sampling::Bilinear => 1,
            },
            grid: 0.0,
            _pad: [0; 2],
        }
    }

    /// The view shader's pipeline constants for this draw: its discrete settings, which pick
    /// the pipeline (`override`s in shaders/view.wgsl; the shader does not read them here).
    pub fn constants(&self) -> [(&'static str, f64); 8] {
        let flag = |on: bool| f64::from(u8::from(on));
        [
            ("MODE", f64::from(self.mode)),
            ("INPUT", f64::from(self.input)),
            ("DB", flag(self.db == 1)),
            ("GAMMA", flag(self.gamma != 1.0)),
            ("COLORMAP", f64::from(self.colormap)),
            ("BILINEAR", flag(self.sampling == 1)),
            ("GRID", flag(self.grid > 0.0)),
            ("CHECKER", flag(self.checker > 0.5)),
        ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uniform_has_the_shader_layout() {
        // struct View: 4 x u32 (16) + 2 x vec4<f32> (32) + 4 x 4 bytes (16) + vec4<f32> (16)
        // + 4 x 4 bytes (16) = 96 bytes.
        assert_eq!(std::mem::size_of::<ViewUniform>(), 96);
        assert_eq!(std::mem::offset_of!(ViewUniform, window), 64);
        assert_eq!(std::mem::offset_of!(ViewUniform, input), 56);
        assert_eq!(std::mem::offset_of!(ViewUniform, sampling), 80);
        assert_eq!(std::mem::offset_of!(ViewUniform, grid), 84);
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
        assert_eq!(ViewMode::Rgb.channels(v), [4.0, 1.0, 3.0]);
    }

    #[test]
    fn input_scales_convert_to_power() {
        assert_eq!(InputScale::Amplitude.to_power(3.0), 9.0);
        assert!((InputScale::Db.to_power(20.0) - 100.0).abs() < 1e-3);
        assert!((db(InputScale::Db.to_power(-13.5)) + 13.5).abs() < 1e-4);
        assert_eq!(
            InputScale::detect(&[[1.0, 2.0, NODATA, 0.0]]),
            InputScale::Power
        );
        assert_eq!(InputScale::detect(&[[1.0, -2.0, 3.0, 0.0]]), InputScale::Db);
    }
}
