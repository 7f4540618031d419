//! Polarimetry: the scattering matrix of complex quad-pol scenes kept complex, the coherency
//! matrix T3, decompositions (true Pauli, Cloude-Pottier H/A/alpha, Freeman-Durden,
//! Yamaguchi) and speckle filters (boxcar, Lee, refined Lee) for intensity and complex data.
//!
//! The path of a pixel: [`Scattering`] (calibrated HH, HV, VH, VV) -> single-look [`T3`]
//! ([`Coherency::from_scattering`]) -> averaged or speckle-filtered ([`filter`]) ->
//! a [`Decomposition`]'s bands. Intensity-only scenes (SpaceNet 6 tiles) have no phase: they get
//! the speckle filters ([`filter_bands`]) and nothing that needs the scattering matrix, and
//! [`QuadPol::find`] says why.
//!
//! Everything here is computed per pixel in f64 on the CPU: this is the reference the view
//! shader's polarimetric modes are held to, and what `sarscope decompose` writes.
//!
//! ```
//! use num_complex::Complex32;
//! use sarscope::polsar::{Decomposition, T3};
//! // A trihedral (odd bounce: HH = VV, no cross-pol) is pure surface scattering, alpha 0.
//! let one = Complex32::new(1.0, 0.0);
//! let zero = Complex32::new(0.0, 0.0);
//! let t = T3::from_pixel(one, zero, zero, one);
//! let [h, _a, alpha, ..] = Decomposition::HAAlpha.pixel(&t)[..] else { panic!() };
//! assert!(h.abs() < 1e-9 && alpha.abs() < 1e-6);
//! ```

mod decompose;
mod eigen;
mod error;
mod matrix;
mod product;
mod speckle;
mod support;
mod window;

pub use decompose::Decomposition;
pub use eigen::{Eigen, HAAlpha};
pub use error::PolsarError;
pub use matrix::{Coherency, Scattering, T3};
pub use product::{Plan, Product};
pub use speckle::{FilterKind, FilterSpec, Grid, Pixel, filter, filter_bands};
pub use support::QuadPol;
