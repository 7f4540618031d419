//! Reading footprints from GeoJSON: SpaceNet's per-tile files (projected CRS in the legacy
//! `crs` member, Z coordinates) and RFC 7946 files (WGS 84).

use super::PlaceError;
use std::path::Path;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use geo::{Coord, CoordsIter, Geometry, MapCoords, MultiPolygon};
use geojson::{GeoJson, JsonObject};

use super::IoError;
use crate::raster::GeoTransform;
use crate::raster::gdal_reason;

/// Footprints of a GeoJSON FeatureCollection, in the file's CRS.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoJsonFootprints {
    pub polygons: Vec<MultiPolygon<f64>>,
    /// Each feature's properties (empty when it has none).
    pub properties: Vec<JsonObject>,
    /// The EPSG code of the legacy `crs` member; 4326 for an RFC 7946 file without one.
    pub epsg: u32,
}

/// Reads the polygon features of a GeoJSON FeatureCollection. Errors name the file and, for
/// a bad feature, its index.
pub fn read_footprints_geojson(path: &Path) -> Result<GeoJsonFootprints, IoError> {
    let format = |reason: String| IoError::Format {
        path: path.to_path_buf(),
        reason,
    };
    // The text, its parsed tree (a position is a vector of its own: about three times the
    // text) and the polygons are in memory at once.
    crate::memory::check_file_fits(path, 5)
        .map_err(|big| format(format!("too large to read: {big}")))?;
    let text = std::fs::read_to_string(path).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
    })?;
    let geojson: GeoJson = text
        .parse()
        .map_err(|e| format(format!("not GeoJSON: {e}")))?;
    let GeoJson::FeatureCollection(collection) = geojson else {
        return Err(format("not a FeatureCollection".into()));
    };
    let epsg = match collection
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
    {
        None => 4326,
        Some(crs) => {
            let name = crs
                .pointer("/properties/name")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            epsg_of_crs_name(name).ok_or_else(|| format(format!("unknown CRS {crs}")))?
        }
    };
    let mut polygons = Vec::with_capacity(collection.features.len());
    let mut properties = Vec::with_capacity(collection.features.len());
    for (i, feature) in collection.features.iter().enumerate() {
        let geometry = feature
            .geometry
            .as_ref()
            .ok_or_else(|| format(format!("feature {i} has no geometry")))?;
        check_polygon_positions(&geometry.value)
            .map_err(|e| format(format!("feature {i}: {e}")))?;
        let geometry: Geometry<f64> = (&geometry.value)
            .try_into()
            .map_err(|e| format(format!("feature {i}: {e}")))?;
        let polygon = match geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(mp) => mp,
            _ => return Err(format(format!("feature {i} is not a polygon"))),
        };
        polygons.push(polygon);
        properties.push(feature.properties.clone().unwrap_or_default());
    }
    Ok(GeoJsonFootprints {
        polygons,
        properties,
        epsg,
    })
}

/// A polygon's or multipolygon's rings as GeoJSON requires them (RFC 7946 3.1.1, 3.1.6): at
/// least one ring per polygon, at least 4 positions per ring, at least 2 numbers per position,
/// all finite; the reason in words otherwise. Other geometry types pass (refused later).
fn check_polygon_positions(value: &geojson::GeometryValue) -> Result<(), String> {
    use geojson::GeometryValue;
    let polygons: Vec<&geojson::PolygonType> = match value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        _ => return Ok(()),
    };
    for (p, rings) in polygons.into_iter().enumerate() {
        if rings.is_empty() {
            return Err(format!("polygon {p} has no rings"));
        }
        for (r, ring) in rings.iter().enumerate() {
            if ring.len() < 4 {
                return Err(format!(
                    "ring {r} of polygon {p} has {} positions; a ring needs at least 4 (closed)",
                    ring.len()
                ));
            }
            for (k, position) in ring.iter().enumerate() {
                if position.len() < 2 {
                    return Err(format!(
                        "position {k} of ring {r} of polygon {p} holds {} number(s); a position needs x and y",
                        position.len()
                    ));
                }
                if let Some(bad) = position.as_slice().iter().find(|v| !v.is_finite()) {
                    return Err(format!(
                        "position {k} of ring {r} of polygon {p} holds {bad}, not a finite number"
                    ));
                }
                if let Some(far) = position.as_slice().iter().find(|v| v.abs() > 1e12) {
                    return Err(format!(
                        "position {k} of ring {r} of polygon {p} holds {far:e}, beyond any map's coordinates (at most 1e12)"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `urn:ogc:def:crs:EPSG::32631`, `EPSG:32631` -> 32631; OGC's CRS84 -> 4326.
pub fn epsg_of_crs_name(name: &str) -> Option<u32> {
    let name = name.trim();
    if name.ends_with("CRS84") {
        return Some(4326);
    }
    let upper = name.to_ascii_uppercase();
    let at = upper.rfind("EPSG")?;
    upper
        .get(at + 4..)?
        .trim_start_matches(':')
        .trim_start_matches(':')
        .parse()
        .ok()
}

/// Reprojects polygons from EPSG `from` into the CRS `to` (given as WKT) with GDAL's OSR,
/// longitude/latitude in the traditional GIS order.
pub fn reproject(
    polygons: &[MultiPolygon<f64>],
    from: u32,
    to_wkt: &str,
) -> Result<Vec<MultiPolygon<f64>>, PlaceError> {
    let source = SpatialRef::from_epsg(from).map_err(|e| PlaceError::epsg(from, &e))?;
    let target = SpatialRef::from_wkt(to_wkt).map_err(|e| PlaceError::Wkt {
        which: "target",
        reason: e.to_string(),
    })?;
    transform_polygons(polygons, source, target)
}

/// Reprojects polygons from the CRS `from_wkt` into EPSG `to` (e.g. 4326 for RFC 7946).
pub fn reproject_to_epsg(
    polygons: &[MultiPolygon<f64>],
    from_wkt: &str,
    to: u32,
) -> Result<Vec<MultiPolygon<f64>>, PlaceError> {
    let source = SpatialRef::from_wkt(from_wkt).map_err(|e| PlaceError::Wkt {
        which: "source",
        reason: e.to_string(),
    })?;
    let target = SpatialRef::from_epsg(to).map_err(|e| PlaceError::epsg(to, &e))?;
    transform_polygons(polygons, source, target)
}

/// Reprojects polygons from the CRS `from_wkt` into the CRS `to_wkt`.
pub fn reproject_wkt(
    polygons: &[MultiPolygon<f64>],
    from_wkt: &str,
    to_wkt: &str,
) -> Result<Vec<MultiPolygon<f64>>, PlaceError> {
    let parse = |wkt: &str, which: &'static str| {
        SpatialRef::from_wkt(wkt).map_err(|e| PlaceError::Wkt {
            which,
            reason: e.to_string(),
        })
    };
    transform_polygons(
        polygons,
        parse(from_wkt, "source")?,
        parse(to_wkt, "target")?,
    )
}

fn transform_polygons(
    polygons: &[MultiPolygon<f64>],
    mut source: SpatialRef,
    mut target: SpatialRef,
) -> Result<Vec<MultiPolygon<f64>>, PlaceError> {
    source.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let transform = CoordTransform::new(&source, &target)
        .map_err(|e| PlaceError::Transform(gdal_reason(&e)))?;
    let mut out = Vec::with_capacity(polygons.len());
    for polygon in polygons {
        let coords: Vec<Coord<f64>> = polygon.coords_iter().collect();
        let mut xs: Vec<f64> = coords.iter().map(|c| c.x).collect();
        let mut ys: Vec<f64> = coords.iter().map(|c| c.y).collect();
        let mut zs = vec![0.0; xs.len()];
        transform
            .transform_coords(&mut xs, &mut ys, &mut zs)
            .map_err(|e| PlaceError::Transform(gdal_reason(&e)))?;
        // map_coords visits the coordinates in the order coords_iter gave them.
        let k = std::cell::Cell::new(0usize);
        out.push(polygon.map_coords(|_| {
            let i = k.replace(k.get() + 1);
            Coord {
                x: xs.get(i).copied().unwrap_or(f64::NAN),
                y: ys.get(i).copied().unwrap_or(f64::NAN),
            }
        }));
    }
    Ok(out)
}

/// World (CRS) polygons to pixel coordinates of a grid; `None` if the transform has no inverse.
pub fn pixel_from_world(
    polygons: &[MultiPolygon<f64>],
    gt: &GeoTransform,
) -> Option<Vec<MultiPolygon<f64>>> {
    gt.pixel_from_world([0.0, 0.0])?;
    Some(
        polygons
            .iter()
            .map(|p| {
                p.map_coords(|c| {
                    let [x, y] = gt.pixel_from_world([c.x, c.y]).unwrap_or([f64::NAN; 2]);
                    Coord { x, y }
                })
            })
            .collect(),
    )
}

/// Pixel polygons to world (CRS) coordinates of a grid.
pub fn world_from_pixel<P>(polygons: &[P], gt: &GeoTransform) -> Vec<P>
where
    P: MapCoords<f64, f64, Output = P>,
{
    polygons
        .iter()
        .map(|p| {
            p.map_coords(|c| {
                let [x, y] = gt.world_from_pixel([c.x, c.y]);
                Coord { x, y }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_names() {
        assert_eq!(epsg_of_crs_name("urn:ogc:def:crs:EPSG::32631"), Some(32631));
        assert_eq!(epsg_of_crs_name("EPSG:32616"), Some(32616));
        assert_eq!(
            epsg_of_crs_name("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(4326)
        );
        assert_eq!(epsg_of_crs_name("my local grid"), None);
    }
}
