//! Footprints whatever the file: GeoJSON, SpaceNet CSV, GeoPackage or GeoParquet (`sarscope
//! map`'s), chosen by extension,
//! with the attributes sarscope keeps (id, source, confidence, area, IoU with the match).

use std::path::Path;

use serde_json::{Map, Value, json};

use super::IoError;
use super::gpkg::{read_gpkg, write_flatgeobuf, write_gpkg};
use super::set::{Footprint, Footprints, Space};
use super::spacenet_csv::read_spacenet_csv;
use super::wkt_text::multipolygon_wkt;

/// The footprint formats, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    GeoPackage,
    GeoParquet,
    FlatGeobuf,
}

impl Format {
    /// `.geojson`/`.json`, `.csv`, `.gpkg`, `.parquet`, `.fgb`.
    pub fn of(path: &Path) -> Result<Self, IoError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            "gpkg" => Ok(Self::GeoPackage),
            "parquet" | "geoparquet" => Ok(Self::GeoParquet),
            "fgb" => Ok(Self::FlatGeobuf),
            _ => Err(IoError::Format {
                path: path.to_path_buf(),
                reason: "unknown footprint format: use .geojson, .csv, .gpkg, .parquet or .fgb"
                    .into(),
            }),
        }
    }

    /// The space this format stores.
    pub fn is_pixel(self) -> bool {
        self == Self::Csv
    }
}

/// Reads footprints from a GeoJSON, SpaceNet CSV, GeoPackage, GeoParquet or FlatGeobuf file.
pub fn read_footprints(path: &Path) -> Result<Footprints, IoError> {
    match Format::of(path)? {
        Format::GeoJson => {
            let file = super::read_footprints_geojson(path)?;
            let items = file
                .polygons
                .into_iter()
                .zip(file.properties)
                .enumerate()
                .map(|(n, (polygon, props))| {
                    let text = |k: &str| props.get(k).and_then(value_text);
                    let number = |k: &str| props.get(k).and_then(Value::as_f64);
                    Footprint {
                        id: text("id").unwrap_or_else(|| n.to_string()),
                        source: text("source").unwrap_or_else(|| "imported".into()),
                        confidence: number("confidence"),
                        area_m2: number("area_m2"),
                        iou: number("iou"),
                        image_id: None,
                        polygon,
                    }
                })
                .collect();
            Ok(Footprints {
                items,
                space: Space::World {
                    epsg: Some(file.epsg),
                },
                image_id: None,
            })
        }
        Format::Csv => {
            let rows = read_spacenet_csv(path)?;
            // Images with only a `POLYGON EMPTY` row keep no footprint; the first id names the set.
            let image_id = rows.first().map(|r| r.image_id.to_string());
            let items = rows
                .into_iter()
                .filter(|r| !r.polygon.0.is_empty())
                .map(|r| Footprint {
                    id: r.building_id.into(),
                    source: "imported".into(),
                    confidence: r.confidence,
                    area_m2: None,
                    iou: None,
                    image_id: Some(r.image_id.to_string()),
                    polygon: r.polygon,
                })
                .collect();
            Ok(Footprints {
                items,
                space: Space::Pixel,
                image_id,
            })
        }
        Format::GeoPackage | Format::FlatGeobuf => read_gpkg(path),
        Format::GeoParquet => read_parquet(path),
    }
}

/// A GeoParquet file's footprints: the model's name as their source, the scene as their
/// image id; the CRS by its EPSG code (from the PROJJSON's id).
fn read_parquet(path: &Path) -> Result<Footprints, IoError> {
    let read = super::geoparquet::read_geoparquet(path)?;
    let epsg = read.layer.crs.as_ref().and_then(|crs| {
        let id = &crs["id"];
        (id["authority"] == "EPSG")
            .then(|| id["code"].as_u64())
            .flatten()
            .and_then(|c| u32::try_from(c).ok())
    });
    let items = read
        .layer
        .rows
        .into_iter()
        .enumerate()
        .map(|(n, r)| r.into_footprint(n + 1))
        .collect();
    Ok(Footprints {
        items,
        space: Space::World { epsg },
        image_id: None,
    })
}

/// Footprints as GeoParquet: each part of a multipolygon a row (GeoParquet's geometry type
/// is Polygon), the source as the model's name.
fn write_parquet(path: &Path, set: &Footprints) -> Result<(), IoError> {
    let Space::World { epsg } = set.space else {
        return Err(IoError::Format {
            path: path.to_path_buf(),
            reason: "this format holds CRS coordinates: pass the scene".into(),
        });
    };
    let crs = match epsg {
        Some(code) => {
            let wkt = gdal::spatial_ref::SpatialRef::from_epsg(code)
                .and_then(|s| s.to_wkt())
                .map_err(|e| IoError::Format {
                    path: path.to_path_buf(),
                    reason: format!("EPSG:{code}: {e}"),
                })?;
            Some(
                super::geoparquet::projjson_of_wkt(&wkt).map_err(|reason| IoError::Format {
                    path: path.to_path_buf(),
                    reason,
                })?,
            )
        }
        None => None,
    };
    let rows = set
        .items
        .iter()
        .flat_map(|f| {
            f.polygon
                .0
                .iter()
                .map(|p| super::geoparquet::MappedFootprint {
                    scene: f
                        .image_id
                        .clone()
                        .or_else(|| set.image_id.clone())
                        .unwrap_or_default(),
                    model: f.source.clone(),
                    confidence: f.confidence.unwrap_or(1.0),
                    // (A footprint's area is of all its parts: a part alone has none said.)
                    area_m2: f.area_m2.filter(|_| f.polygon.0.len() == 1),
                    polygon: p.clone(),
                })
        })
        .collect();
    super::geoparquet::write_geoparquet(path, &super::geoparquet::MappedLayer { crs, rows })
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Writes footprints in the format of `path`'s extension, through a temporary file renamed
/// over `path` at the end (a failure leaves any earlier file as it was).
pub fn write_footprints(path: &Path, set: &Footprints) -> Result<(), IoError> {
    let format = Format::of(path)?;
    let wrong_space = |reason: &str| IoError::Format {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    match (format.is_pixel(), set.space) {
        (true, Space::World { .. }) => {
            return Err(wrong_space(
                "a SpaceNet CSV holds pixel coordinates: pass the scene",
            ));
        }
        (false, Space::Pixel) => {
            return Err(wrong_space(
                "this format holds CRS coordinates: pass the scene",
            ));
        }
        _ => {}
    }
    let replacement = crate::replace::Replacement::new(path);
    let written = replacement.write(
        |tmp| match format {
            Format::GeoJson => write_geojson(tmp, set),
            Format::Csv => write_csv(tmp, set),
            Format::GeoPackage => write_gpkg(tmp, set),
            Format::GeoParquet => write_parquet(tmp, set),
            Format::FlatGeobuf => write_flatgeobuf(tmp, set),
        },
        |error| IoError::File {
            path: path.to_path_buf(),
            error,
        },
    );
    written.map_err(|e| match e {
        // Name the file the user asked for, not the temporary one (GDAL's words name it too).
        IoError::Format { reason, .. } => IoError::Format {
            path: path.to_path_buf(),
            reason: replacement.target_named(&reason),
        },
        IoError::File { error, .. } => IoError::File {
            path: path.to_path_buf(),
            error,
        },
    })
}

fn write_geojson(path: &Path, set: &Footprints) -> Result<(), IoError> {
    let features: Vec<Value> = set
        .items
        .iter()
        .map(|f| {
            let mut props = Map::new();
            props.insert("id".into(), json!(f.id));
            props.insert("source".into(), json!(f.source));
            for (k, v) in [
                ("confidence", f.confidence),
                ("area_m2", f.area_m2),
                ("iou", f.iou),
            ] {
                if let Some(v) = v {
                    props.insert(k.into(), json!(v));
                }
            }
            let geometry = match f.polygon.0.as_slice() {
                [one] => geojson::Geometry::from(&geo::Geometry::Polygon(one.clone())),
                _ => geojson::Geometry::from(&geo::Geometry::MultiPolygon(f.polygon.clone())),
            };
            json!({ "type": "Feature", "properties": props, "geometry": geometry })
        })
        .collect();
    let mut collection = Map::new();
    collection.insert("type".into(), json!("FeatureCollection"));
    if let Space::World { epsg: Some(code) } = set.space
        && code != 4326
    {
        collection.insert("crs".into(), super::geojson_out::crs_member(code));
    }
    collection.insert("features".into(), Value::Array(features));
    super::geojson_out::write_collection(path, &Value::Object(collection), false)
}

fn write_csv(path: &Path, set: &Footprints) -> Result<(), IoError> {
    let image_id = set
        .image_id
        .clone()
        .unwrap_or_else(|| super::image_id_of(path));
    let mut writer = csv::Writer::from_path(path).map_err(|e| IoError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let fail = |e: csv::Error| IoError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // Scored footprints as the baseline writes predictions; others as SN6's truth CSV.
    let scored = set.items.iter().any(|f| f.confidence.is_some());
    let header: &[&str] = if scored {
        &["ImageId", "BuildingId", "PolygonWKT_Pix", "Confidence"]
    } else {
        &["ImageId", "TileBuildingId", "PolygonWKT_Pix"]
    };
    writer.write_record(header).map_err(fail)?;
    if set.items.is_empty() {
        let mut row = vec![image_id.as_str(), "0", "POLYGON EMPTY"];
        if scored {
            row.push("1");
        }
        writer.write_record(&row).map_err(fail)?;
    }
    for f in &set.items {
        let wkt = match f.polygon.0.as_slice() {
            [one] => super::polygon_wkt(one),
            _ => multipolygon_wkt(&f.polygon),
        };
        let confidence = f.confidence.unwrap_or(1.0).to_string();
        let image = f.image_id.as_deref().unwrap_or(image_id.as_str());
        let mut row = vec![image, f.id.as_str(), wkt.as_str()];
        if scored {
            row.push(confidence.as_str());
        }
        writer.write_record(&row).map_err(fail)?;
    }
    writer.flush().map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
    })
}
