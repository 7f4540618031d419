//! Footprint files: GeoJSON in a projected CRS and the SpaceNet CSV of pixel-space WKT.

mod geojson_out;
mod spacenet_csv;

pub use geojson_out::write_footprints_geojson;
pub use spacenet_csv::{polygon_wkt, write_spacenet_csv};

use std::path::PathBuf;

/// Why footprints could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
}
