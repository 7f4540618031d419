//! Footprints whatever the file: GeoJSON, SpaceNet CSV or GeoPackage, chosen by extension,
//! with the attributes sarscope keeps (id, source, confidence, area, IoU with the match).

use std::path::Path;

use geo::MultiPolygon;
use serde_json::{Map, Value, json};

use super::IoError;
use super::geojson_in::{pixel_from_world, reproject, world_from_pixel};
use super::gpkg::{read_gpkg, write_gpkg};
use super::spacenet_csv::read_spacenet_csv;
use super::wkt_text::multipolygon_wkt;
use crate::raster::GeoTransform;

/// One footprint and its attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Footprint {
    pub id: String,
    /// "model", "edited", "drawn", "truth" or "imported".
    pub source: String,
    pub confidence: Option<f64>,
    pub area_m2: Option<f64>,
    /// IoU with its match in the other layer, when scored.
    pub iou: Option<f64>,
    /// The SpaceNet ImageId of a CSV row (a CSV may hold many images).
    pub image_id: Option<String>,
    pub polygon: MultiPolygon<f64>,
}

/// Which coordinates the polygons are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// Scene pixels (SpaceNet CSV).
    Pixel,
    /// A CRS (GeoJSON, GeoPackage); `None` when the file does not say which.
    World { epsg: Option<u32> },
}

/// Footprints of one scene.
#[derive(Clone, Debug, PartialEq)]
pub struct Footprints {
    pub items: Vec<Footprint>,
    pub space: Space,
    /// The SpaceNet ImageId for CSV rows of footprints that have none.
    pub image_id: Option<String>,
}

/// A scene's grid: what converts footprints between pixel and CRS coordinates.
#[derive(Clone, Debug)]
pub struct SceneGrid {
    pub geo_transform: GeoTransform,
    /// The scene's CRS as WKT, for reprojecting footprints in another CRS onto it.
    pub crs_wkt: Option<String>,
    pub epsg: Option<u32>,
}

impl SceneGrid {
    /// The grid of `scene`; `None` when it has no geotransform.
    pub fn of(scene: &crate::raster::Scene) -> Option<Self> {
        Some(Self {
            geo_transform: scene.geo_transform()?,
            crs_wkt: scene.crs().map(|c| c.wkt.clone()),
            epsg: scene.crs().and_then(|c| c.epsg),
        })
    }
}

impl Footprints {
    /// Every footprint's polygon, in order.
    fn multipolygons(&self) -> Vec<MultiPolygon<f64>> {
        self.items.iter().map(|f| f.polygon.clone()).collect()
    }

    /// The same footprints in pixel coordinates of `grid` (reprojected first when they are in
    /// another CRS than the scene's).
    pub fn into_pixel(mut self, grid: &SceneGrid) -> Result<Self, String> {
        let Space::World { epsg } = self.space else {
            return Ok(self);
        };
        let polygons = self.multipolygons();
        let in_scene_crs = match (epsg, grid.epsg, &grid.crs_wkt) {
            (Some(from), Some(to), Some(wkt)) if from != to => reproject(&polygons, from, wkt)?,
            (Some(from), None, Some(wkt)) => reproject(&polygons, from, wkt)?,
            _ => polygons,
        };
        let pixel = pixel_from_world(&in_scene_crs, &grid.geo_transform)
            .ok_or("the scene's geotransform cannot be inverted")?;
        for (f, p) in self.items.iter_mut().zip(pixel) {
            f.polygon = p;
        }
        self.space = Space::Pixel;
        Ok(self)
    }

    /// The same footprints in longitude/latitude (WGS 84, RFC 7946's CRS).
    pub fn into_wgs84(mut self) -> Result<Self, String> {
        let Space::World { epsg } = self.space else {
            return Err("footprints in pixels need the scene first".into());
        };
        let from = epsg.ok_or("the footprints' CRS is unknown")?;
        if from == 4326 {
            return Ok(self);
        }
        let wgs84 = gdal::spatial_ref::SpatialRef::from_epsg(4326)
            .and_then(|s| s.to_wkt())
            .map_err(|e| format!("EPSG:4326: {e}"))?;
        let polygons = self.multipolygons();
        for (f, p) in self
            .items
            .iter_mut()
            .zip(reproject(&polygons, from, &wgs84)?)
        {
            f.polygon = p;
        }
        self.space = Space::World { epsg: Some(4326) };
        Ok(self)
    }

    /// The same footprints in the CRS of `grid`.
    pub fn into_world(mut self, grid: &SceneGrid) -> Self {
        if self.space != Space::Pixel {
            return self;
        }
        let polygons = self.multipolygons();
        for (f, p) in self
            .items
            .iter_mut()
            .zip(world_from_pixel(&polygons, &grid.geo_transform))
        {
            f.polygon = p;
        }
        self.space = Space::World { epsg: grid.epsg };
        self
    }
}

/// The footprint formats, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    GeoPackage,
}

impl Format {
    /// `.geojson`/`.json`, `.csv`, `.gpkg`.
    pub fn of(path: &Path) -> Result<Self, IoError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            "gpkg" => Ok(Self::GeoPackage),
            _ => Err(IoError::Format {
                path: path.to_path_buf(),
                reason: "unknown footprint format: use .geojson, .csv or .gpkg".into(),
            }),
        }
    }

    /// The space this format stores.
    pub fn is_pixel(self) -> bool {
        self == Self::Csv
    }
}

/// Reads footprints from a GeoJSON, SpaceNet CSV or GeoPackage file.
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
        Format::GeoPackage => read_gpkg(path),
    }
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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The temporary file keeps the extension (GDAL's GeoPackage driver expects it).
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.partial.{ext}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = match format {
        Format::GeoJson => write_geojson(&tmp, set),
        Format::Csv => write_csv(&tmp, set),
        Format::GeoPackage => write_gpkg(&tmp, set),
    }
    .and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|error| IoError::File {
            path: path.to_path_buf(),
            error,
        })
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(|e| match e {
        // Name the file the user asked for, not the temporary one.
        IoError::Format { reason, .. } => IoError::Format {
            path: path.to_path_buf(),
            reason,
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
