//! Masks and polygons: probability maps to building footprints, and footprints back to
//! pixel masks.

mod convex;
mod polygonize;
mod rasterize;
mod simplify;
mod valid;

pub use convex::{RingFacts, is_simple_convex, ring_facts};
pub use polygonize::{Footprint, VectorizeParams, vectorize};
pub use rasterize::rasterize;
pub use valid::is_valid_polygon;
