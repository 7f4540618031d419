//! Why a polarimetric computation cannot be made, in words a user can act on.

use crate::raster::RasterError;

#[derive(Debug, thiserror::Error)]
pub enum PolsarError {
    #[error(transparent)]
    Raster(#[from] RasterError),

    #[error(
        "{mode} needs the scattering matrix, and this scene has no phase: {why}. Intensity \
         scenes get the speckle filters and the intensity views (span, ratios)"
    )]
    NoPhase { mode: String, why: String },

    #[error(
        "polarimetric decompositions need HH, VV and a cross-polarization (HV or VH); the \
         scene has {have}"
    )]
    MissingPolarizations { have: String },

    #[error(
        "the polarizations must all be complex to keep their phase: {complex} complex but \
         {real} intensity; open the four SLC files together"
    )]
    MixedComplex { complex: String, real: String },

    #[error("a {window}x{window} window is larger than the {width}x{height} scene")]
    WindowTooLarge {
        window: usize,
        width: usize,
        height: usize,
    },

    #[error(
        "the Lee filters weigh speckle in intensity (power), and band {band} has values down to \
         {min:.2} (dB?); filter the power, or use boxcar"
    )]
    NotPower { band: String, min: f64 },

    #[error("{text:?}: {reason}")]
    BadFilter { text: String, reason: String },
}
