//! Footprints written out, one set of rules for the viewer's Export… and `sarscope export`:
//! pixels placed in the scene's CRS (or a CRS placed on its pixels) as the file's format
//! needs, areas in m² where the CRS is projected, longitude/latitude on request.

use std::path::Path;

use geo::Area;

use super::SessionError;
use crate::io::{Footprints, Format, SceneGrid, Space, write_footprints};

/// Writes `set` to `path` (.geojson, .csv or .gpkg, by extension), moved into the space the
/// format holds through `grid` (the scene's: pixels for a SpaceNet CSV, the scene's CRS for
/// the others) and, with `wgs84`, into longitude/latitude (RFC 7946). Footprints in a
/// projected CRS without an area get theirs in m². Returns what was written.
///
/// `set` must already be in the format's space when `grid` is `None`.
pub fn export_footprints(
    path: &Path,
    mut set: Footprints,
    grid: Option<&SceneGrid>,
    wgs84: bool,
) -> Result<Footprints, SessionError> {
    let to_pixel = Format::of(path)?.is_pixel();
    if wgs84 && to_pixel {
        return Err(SessionError::CsvHoldsPixels);
    }
    set = match (set.space, to_pixel) {
        (Space::Pixel, false) => set.into_world(grid.ok_or(SessionError::NoGeotransform)?),
        (Space::World { .. }, true) => set.into_pixel(grid.ok_or(SessionError::NoGeotransform)?)?,
        _ => set,
    };
    fill_areas(&mut set);
    if wgs84 {
        set = set.into_wgs84()?;
    }
    write_footprints(path, &set)?;
    Ok(set)
}

/// Areas in m² for footprints in a projected CRS that have none.
fn fill_areas(set: &mut Footprints) {
    if let Space::World { epsg: Some(epsg) } = set.space
        && epsg != 4326
    {
        for f in &mut set.items {
            if f.area_m2.is_none() {
                f.area_m2 = Some(f.polygon.unsigned_area());
            }
        }
    }
}
