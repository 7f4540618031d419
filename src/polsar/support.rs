//! Which polarimetric computations a scene supports, and why not the rest.

use super::PolsarError;
use crate::raster::{Polarization, Scene};

/// The bands (0-based) of a complex quad-pol scene's polarizations. With one
/// cross-polarization only, `hv == vh` (reciprocity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuadPol {
    pub hh: usize,
    pub hv: usize,
    pub vh: usize,
    pub vv: usize,
}

impl QuadPol {
    /// The scene's complex HH, HV, VH and VV bands, or why it has no scattering matrix: a
    /// polarization missing, intensity only (no phase), complex and intensity bands mixed.
    pub fn find(scene: &Scene) -> Result<Self, PolsarError> {
        let band = |p| scene.band_of(p);
        let (hh, hv, vh, vv) = (
            band(Polarization::HH),
            band(Polarization::HV),
            band(Polarization::VH),
            band(Polarization::VV),
        );
        let (Some(hh), Some(vv), Some(cross)) = (hh, vv, hv.or(vh)) else {
            let have: Vec<&str> = Polarization::SN6_ORDER
                .iter()
                .filter(|p| band(**p).is_some())
                .map(|p| p.name())
                .collect();
            let have = if have.is_empty() {
                "no bands with a known polarization".to_string()
            } else {
                have.join(", ") + " only"
            };
            return Err(PolsarError::MissingPolarizations { have });
        };
        let quad = Self {
            hh,
            hv: hv.unwrap_or(cross),
            vh: vh.unwrap_or(cross),
            vv,
        };
        let named = [
            (Polarization::HH, quad.hh),
            (Polarization::HV, quad.hv),
            (Polarization::VH, quad.vh),
            (Polarization::VV, quad.vv),
        ];
        let names = |complex: bool| -> Vec<String> {
            named
                .iter()
                .filter(|(_, b)| scene.is_complex(*b) == complex)
                .map(|(p, b)| {
                    let dtype = scene
                        .bands()
                        .get(*b)
                        .map_or("", |info| info.stored_type.as_str());
                    format!("{} ({dtype})", p.name())
                })
                .collect()
        };
        let (complex, real) = (names(true), names(false));
        if complex.is_empty() {
            return Err(PolsarError::NoPhase {
                mode: "a polarimetric decomposition".into(),
                why: format!("its bands are intensities: {}", real.join(", ")),
            });
        }
        if !real.is_empty() {
            return Err(PolsarError::MixedComplex {
                complex: complex.join(", "),
                real: real.join(", "),
            });
        }
        Ok(quad)
    }

    /// True when one cross-polarization stands for both.
    pub fn one_cross_pol(&self) -> bool {
        self.hv == self.vh
    }
}
