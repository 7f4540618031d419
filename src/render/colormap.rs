//! Perceptual colormaps for one-channel views: 6th-order polynomial fits of matplotlib's
//! viridis and magma (Matt Zucker's fits, public domain), the same constants as
//! `colormap()` in shaders/view.wgsl. The unit test holds them to matplotlib's own tables
//! (`tests/fixtures/make_colormaps.py`).

use serde::{Deserialize, Serialize};

/// How a one-channel view turns its stretched value into a colour (RGB views ignore it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Colormap {
    #[default]
    Grey,
    Viridis,
    Magma,
}

/// Coefficients c0..c6 per colormap: colour(t) = sum c_i t^i.
const VIRIDIS: [[f32; 3]; 7] = [
    [0.277_727_33, 0.005_407_344_5, 0.334_099_8],
    [0.105_093_04, 1.404_613_5, 1.384_590_2],
    [-0.330_861_83, 0.214_847_56, 0.095_095_16],
    [-4.634_230_5, -5.799_101, -19.332_441],
    [6.228_27, 14.179_933, 56.690_55],
    [4.776_385, -13.745_145, -65.353_035],
    [-5.435_456, 4.645_852_6, 26.312_435],
];
const MAGMA: [[f32; 3]; 7] = [
    [-0.002_136_485, -0.000_749_655, -0.005_386_128],
    [0.251_660_54, 0.677_523_2, 2.494_026_6],
    [8.353_717, -3.577_719_5, 0.314_467_9],
    [-27.668_733, 14.264_731, -13.649_213],
    [52.176_14, -27.943_606, 12.944_169],
    [-50.768_524, 29.046_583, 4.234_153],
    [18.655_705, -11.489_774, -5.601_961_5],
];

impl Colormap {
    pub const ALL: [Self; 3] = [Self::Grey, Self::Viridis, Self::Magma];

    /// The number the shader switches on.
    pub fn id(self) -> u32 {
        match self {
            Self::Grey => 0,
            Self::Viridis => 1,
            Self::Magma => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Grey => "grey",
            Self::Viridis => "viridis",
            Self::Magma => "magma",
        }
    }

    /// The colour (RGB in 0..=1) of `t` in 0..=1, evaluated as the shader does (Horner).
    pub fn apply(self, t: f32) -> [f32; 3] {
        let c = match self {
            Self::Grey => return [t; 3],
            Self::Viridis => &VIRIDIS,
            Self::Magma => &MAGMA,
        };
        std::array::from_fn(|k| {
            let v = c[0][k]
                + t * (c[1][k]
                    + t * (c[2][k] + t * (c[3][k] + t * (c[4][k] + t * (c[5][k] + t * c[6][k])))));
            v.clamp(0.0, 1.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fits against matplotlib's tables at all 256 entries. Tolerance 5/255: the fits are
    /// least-squares polynomials, not the tables; their worst errors are 3.2/255 (viridis) and
    /// 4.9/255 (magma), at the ends, below what the eye tells apart on a colormap.
    #[test]
    fn fits_match_matplotlib() {
        let text = include_str!("../../tests/fixtures/colormaps.json");
        let table: serde_json::Value = serde_json::from_str(text).unwrap();
        for (cmap, name) in [(Colormap::Viridis, "viridis"), (Colormap::Magma, "magma")] {
            let rows = table[name].as_array().unwrap();
            assert_eq!(rows.len(), 256);
            let mut worst = 0.0f32;
            for (i, row) in rows.iter().enumerate() {
                let ours = cmap.apply(i as f32 / 255.0);
                for k in 0..3 {
                    let theirs = row[k].as_f64().unwrap() as f32;
                    worst = worst.max((ours[k] - theirs).abs());
                }
            }
            assert!(worst <= 5.0 / 255.0, "{name}: worst {}", worst * 255.0);
        }
        assert_eq!(Colormap::Grey.apply(0.25), [0.25; 3]);
    }

    #[test]
    fn the_shader_has_the_same_constants() {
        let shader = include_str!("../../shaders/common.wgsl");
        let numbers: Vec<f32> = shader
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .filter_map(|t| t.parse().ok())
            .collect();
        for v in VIRIDIS.iter().chain(&MAGMA).flatten() {
            assert!(numbers.contains(v), "{v} not in common.wgsl");
        }
    }
}
