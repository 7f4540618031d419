//! Raster input: GeoTIFFs (and anything else GDAL reads) as scenes of float32 bands, with
//! georeferencing, validity, polarization roles and statistics.

mod diagnostics;
mod error;
mod georef;
mod open;
mod planes;
mod roles;
mod scene;
mod stats;
mod write;

pub use diagnostics::{GdalNote, NoteSink, Severity, install_gdal_handler, set_note_sink};
pub(crate) use error::gdal_reason;
pub use error::{RasterError, human_bytes};
pub use georef::{Crs, GeoTransform, ToLonLat};
pub use open::{BandInfo, ComplexIntensity};
pub use planes::Planes;
pub use roles::{Polarization, RoleSource};
pub use scene::{EXACT_STATS_MAX_PIXELS, MAX_WHOLE_BYTES, Scene, Window};
pub use stats::{BandStats, PERCENTILES};
pub use write::{GeoTiffMeta, write_geotiff, write_geotiff_replacing, write_geotiff_strips};
