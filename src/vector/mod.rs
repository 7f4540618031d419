//! Masks and polygons: probability maps to building footprints, and footprints back to
//! pixel masks.

mod polygonize;
mod rasterize;

pub use polygonize::{Footprint, VectorizeParams, components, trace, vectorize};
pub use rasterize::rasterize;
