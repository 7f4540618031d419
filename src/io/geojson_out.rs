//! Footprints as a GeoJSON FeatureCollection in a projected CRS (with the `crs` member that
//! GDAL and QGIS read, as the SpaceNet label files have).

use std::path::Path;

use geo::Polygon;
use serde_json::{Map, Value, json};

use super::IoError;

fn ring_coordinates(ring: &geo::LineString<f64>) -> Value {
    Value::Array(ring.0.iter().map(|c| json!([c.x, c.y])).collect())
}

/// The legacy GeoJSON `crs` member naming EPSG `code`, which GDAL and QGIS read.
pub(super) fn crs_member(code: u32) -> Value {
    json!({ "type": "name", "properties": { "name": format!("urn:ogc:def:crs:EPSG::{code}") } })
}

/// Writes `polygons_world` (in the CRS `epsg`) with one property object per polygon.
pub fn write_footprints_geojson(
    path: &Path,
    polygons_world: &[Polygon<f64>],
    properties: &[Map<String, Value>],
    epsg: Option<u32>,
) -> Result<(), IoError> {
    let features: Vec<Value> = polygons_world
        .iter()
        .enumerate()
        .map(|(i, polygon)| {
            let rings: Vec<Value> = std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(ring_coordinates)
                .collect();
            json!({
                "type": "Feature",
                "properties": properties.get(i).cloned().unwrap_or_default(),
                "geometry": { "type": "Polygon", "coordinates": rings },
            })
        })
        .collect();
    let mut collection = json!({ "type": "FeatureCollection" });
    if let (Some(code), Some(obj)) = (epsg, collection.as_object_mut()) {
        obj.insert("crs".into(), crs_member(code));
    }
    if let Some(obj) = collection.as_object_mut() {
        obj.insert("features".into(), Value::Array(features));
    }
    write_collection(path, &collection, true)
}

/// Writes a GeoJSON value to `path` (indented when `pretty`).
pub(super) fn write_collection(
    path: &Path,
    collection: &Value,
    pretty: bool,
) -> Result<(), IoError> {
    let text = if pretty {
        serde_json::to_string_pretty(collection)
    } else {
        serde_json::to_string(collection)
    }
    .map_err(|e| IoError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
    })
}
