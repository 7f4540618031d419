//! Footprint files: GeoJSON in a projected CRS, the SpaceNet CSV of pixel-space WKT, WKT.

mod footprints;
mod geojson_in;
mod geojson_out;
mod gpkg;
mod spacenet_csv;
mod wkt_text;

pub use footprints::{
    Footprint, Footprints, Format, SceneGrid, Space, read_footprints, write_footprints,
};
pub use geojson_in::{
    GeoJsonFootprints, epsg_of_crs_name, pixel_from_world, read_footprints_geojson, reproject,
    reproject_to_epsg, world_from_pixel,
};
pub use geojson_out::write_footprints_geojson;
pub use spacenet_csv::{
    CsvFootprint, image_id_of, polygon_wkt, read_spacenet_csv, write_prediction_csv,
    write_spacenet_csv,
};
pub use wkt_text::{multipolygon_wkt, parse_polygon_wkt};

use std::path::PathBuf;

/// Why footprints could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    // The reason is in the message, not chained as a source: `{:#}` would say it twice.
    #[error("{}: {error}", path.display())]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
}
