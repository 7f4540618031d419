//! Footprints written out, one set of rules for the viewer's Export… and `sarscope export`:
//! pixels placed in the scene's CRS (or a CRS placed on its pixels) as the file's format
//! needs, areas in m² where the CRS is projected, longitude/latitude on request.

use std::path::Path;

use geo::Area;

use super::SessionError;
use crate::io::{Footprints, Format, SceneGrid, Space, write_footprints};

/// Writes `set` to `path` (.geojson, .csv, .gpkg, .parquet or .fgb, by extension), moved into
/// the space the format holds through `grid` (the scene's: pixels for a SpaceNet CSV, the
/// scene's CRS for the others) and, with `wgs84`, into longitude/latitude (RFC 7946). Footprints in a
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Footprint, read_footprints};
    use crate::raster::GeoTransform;
    use geo::polygon;

    /// A 10 x 10 px square at (x, y) of a scene's pixels.
    fn square(x: f64, y: f64) -> Footprint {
        Footprint {
            id: "1".into(),
            source: "edited".into(),
            confidence: None,
            area_m2: None,
            iou: None,
            image_id: None,
            polygon: geo::MultiPolygon(vec![polygon![
                (x: x, y: y), (x: x + 10.0, y: y), (x: x + 10.0, y: y + 10.0), (x: x, y: y + 10.0)
            ]]),
        }
    }

    fn pixels() -> Footprints {
        Footprints {
            items: vec![square(0.0, 0.0), square(20.0, 0.0)],
            space: Space::Pixel,
            image_id: Some("tile_1".into()),
        }
    }

    /// 0.5 m pixels of UTM 31N (SN6's grid).
    fn grid() -> SceneGrid {
        SceneGrid {
            geo_transform: GeoTransform([594_000.0, 0.5, 0.0, 5_750_000.0, 0.0, -0.5]),
            crs_wkt: None,
            epsg: Some(32631),
        }
    }

    #[test]
    fn pixels_go_to_the_scene_s_crs_with_their_area_in_square_metres() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.geojson");
        let written = export_footprints(&path, pixels(), Some(&grid()), false).unwrap();
        assert_eq!(written.space, Space::World { epsg: Some(32631) });
        // 10 x 10 px of 0.5 m: 25 m².
        for f in &written.items {
            assert_eq!(f.area_m2, Some(25.0));
        }
        let read = read_footprints(&path).unwrap();
        assert_eq!(read.items.len(), 2);
        let first = read.items[0].polygon.0[0].exterior().0[0];
        assert_eq!((first.x, first.y), (594_000.0, 5_750_000.0));
    }

    #[test]
    fn a_csv_keeps_pixels_and_refuses_longitude_latitude() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let written = export_footprints(&path, pixels(), None, false).unwrap();
        assert_eq!(written.space, Space::Pixel);
        assert!(written.items.iter().all(|f| f.area_m2.is_none()));
        assert!(matches!(
            export_footprints(&path, pixels(), Some(&grid()), true),
            Err(SessionError::CsvHoldsPixels)
        ));
    }

    #[test]
    fn pixels_without_a_grid_cannot_go_to_a_crs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.gpkg");
        assert!(matches!(
            export_footprints(&path, pixels(), None, false),
            Err(SessionError::NoGeotransform)
        ));
        assert!(!path.exists(), "nothing is written on failure");
    }
}
