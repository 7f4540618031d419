//! Masks and polygons: probability maps to building footprints, and footprints back to
//! pixel masks.

mod convex;
mod convex_clip;
mod instances;
mod polygonize;
mod rasterize;
mod regularize;
mod ring;
mod simplify;
mod valid;
mod watershed;

pub use convex::{RingFacts, is_simple_convex, ring_facts};
pub use convex_clip::ConvexOutlines;
pub use instances::{InstanceParams, instance_footprints, instance_labels};
pub use polygonize::{OutlineParams, TracedBuilding, VectorizeParams, outline_labels, vectorize};
pub use rasterize::rasterize;
pub use regularize::{
    RegularizeError, RegularizeParams, dominant_direction, regularize, regularize_multi,
};
pub use ring::{corners_and_next, twice_signed_area};
pub use valid::is_valid_polygon;
pub use watershed::watershed;
