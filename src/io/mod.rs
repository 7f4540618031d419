//! Footprint files: GeoJSON (in any CRS, reprojected to the scene's; RFC 7946 WGS 84 out),
//! the SpaceNet CSV of pixel-space WKT, GeoPackage through GDAL/OGR, and WKT; one model of a
//! set of footprints ([`Footprints`]) for reading, converting and writing them.

mod footprints;
mod geojson_in;
mod geojson_out;
pub mod geoparquet;
mod gpkg;
mod set;
mod spacenet_csv;
mod wkt_text;

pub use footprints::{Format, read_footprints, write_footprints};
pub use geojson_in::{
    GeoJsonFootprints, epsg_of_crs_name, pixel_from_world, read_footprints_geojson, reproject,
    reproject_to_epsg, reproject_wkt, world_from_pixel,
};
pub use geojson_out::write_footprints_geojson;
pub use set::{Footprint, Footprints, SceneGrid, Space};
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

impl PlaceError {
    /// EPSG `epsg` could not be made a coordinate system.
    pub(crate) fn epsg(epsg: u32, e: &gdal::errors::GdalError) -> Self {
        tracing::debug!("EPSG:{epsg}: {e}");
        Self::Epsg { epsg }
    }
}

/// Why footprints could not be placed in another space (pixels, a CRS, longitude/latitude).
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// (GDAL's reason is an OGR error number, "returned error: '6'": the log has it.)
    #[error("EPSG:{epsg} is not a coordinate system GDAL and PROJ know: is the code right?")]
    Epsg { epsg: u32 },
    #[error("{which} CRS: {reason}")]
    Wkt { which: &'static str, reason: String },
    #[error("reprojecting: {0}")]
    Transform(String),
    #[error("the scene's geotransform cannot be inverted")]
    NotInvertible,
    #[error("footprints in pixels need the scene first")]
    PixelsNeedScene,
    #[error("the footprints' CRS is unknown")]
    UnknownCrs,
}

/// Why a WKT polygon could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WktError {
    #[error("bad WKT: {0}")]
    Syntax(String),
    #[error("bad WKT: {0:?} where a coordinate belongs (coordinates are finite numbers)")]
    NotANumber(String),
    #[error("expected a POLYGON or MULTIPOLYGON, found a {0}")]
    NotAPolygon(&'static str),
    #[error("the WKT is not UTF-8")]
    NotUtf8,
    #[error("text after the polygon: {0:?}")]
    Trailing(String),
    #[error("a coordinate of {0:e} is beyond any map's (at most 1e12 in size): not a footprint's")]
    Coordinate(f64),
}
