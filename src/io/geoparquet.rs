//! Mapped footprints as GeoParquet 1.1 (Debian's GDAL has no Parquet driver): one row per
//! building, its polygon as WKB (`geometry`), a `bbox` covering column (struct of xmin, ymin,
//! xmax, ymax) so that readers skip row groups by extent, the CRS as PROJJSON in the `geo`
//! metadata, and the rows in Hilbert order of their boxes' centres, so that neighbours share
//! row groups. Each row carries its scene, the model's name, the confidence and the area.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float64Builder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, BinaryArray, Float64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use gdal::vector::{Geometry, ToGdal};
use geo::{BoundingRect, Polygon};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::IoError;

/// GeoParquet's version written.
pub const GEOPARQUET_VERSION: &str = "1.1.0";

/// Rows per row group: each group's box (from the covering column's statistics) is what a
/// reader filters by.
const ROW_GROUP: usize = 16 * 1024;

/// One mapped building.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedFootprint {
    /// The scene it was mapped in.
    pub scene: String,
    /// The model's name (its card's).
    pub model: String,
    /// Mean probability over its pixels.
    pub confidence: f64,
    /// Square metres (`None` when the scene has no geotransform).
    pub area_m2: Option<f64>,
    /// In the layer's CRS (scene pixels when it has none).
    pub polygon: Polygon<f64>,
}

impl MappedFootprint {
    /// The footprint in sarscope's common model, numbered `id`: the model's name as its
    /// source, its scene as its image id.
    pub fn into_footprint(self, id: usize) -> super::Footprint {
        super::Footprint {
            id: id.to_string(),
            source: self.model,
            confidence: Some(self.confidence),
            area_m2: self.area_m2,
            iou: None,
            image_id: Some(self.scene),
            polygon: geo::MultiPolygon(vec![self.polygon]),
        }
    }
}

/// Mapped buildings in one CRS.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MappedLayer {
    /// The CRS as PROJJSON; `None`: unknown (written as `"crs": null`, not GeoParquet's
    /// default of longitude/latitude).
    pub crs: Option<serde_json::Value>,
    pub rows: Vec<MappedFootprint>,
}

/// The CRS of WKT `wkt` as PROJJSON (GDAL/PROJ's).
pub fn projjson_of_wkt(wkt: &str) -> Result<serde_json::Value, String> {
    let srs = gdal::spatial_ref::SpatialRef::from_wkt(wkt).map_err(|e| e.to_string())?;
    let text = srs.to_projjson().map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn format_error(path: &Path, reason: impl std::fmt::Display) -> IoError {
    IoError::Format {
        path: path.to_path_buf(),
        reason: format!("GeoParquet: {reason}"),
    }
}

fn bbox_fields() -> Fields {
    Fields::from(
        ["xmin", "ymin", "xmax", "ymax"]
            .map(|n| Field::new(n, DataType::Float64, false))
            .to_vec(),
    )
}

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("geometry", DataType::Binary, false),
        Field::new("bbox", DataType::Struct(bbox_fields()), false),
        Field::new("scene", DataType::Utf8, false),
        Field::new("model", DataType::Utf8, false),
        Field::new("confidence", DataType::Float64, false),
        Field::new("area_m2", DataType::Float64, true),
    ])
}

/// A box's corners, `[xmin, ymin, xmax, ymax]` (zeros for an empty polygon).
fn bounds(polygon: &Polygon<f64>) -> [f64; 4] {
    polygon
        .bounding_rect()
        .map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// The position of `(x, y)` along the Hilbert curve filling a `2^16` square.
fn hilbert_index(mut x: u32, mut y: u32) -> u64 {
    const N: u32 = 1 << 16;
    let mut d: u64 = 0;
    let mut s = N / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = N - 1 - x;
                y = N - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// The order of `boxes` along a Hilbert curve over their extent (by their centres; ties keep
/// their order).
pub fn hilbert_order(boxes: &[[f64; 4]]) -> Vec<usize> {
    let centre = |b: &[f64; 4]| ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for b in boxes {
        let (x, y) = centre(b);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let scale = |v: f64, lo: f64, hi: f64| -> u32 {
        if hi > lo && v.is_finite() {
            (((v - lo) / (hi - lo)) * 65535.0).clamp(0.0, 65535.0) as u32
        } else {
            0
        }
    };
    let keys: Vec<u64> = boxes
        .iter()
        .map(|b| {
            let (x, y) = centre(b);
            hilbert_index(scale(x, x0, x1), scale(y, y0, y1))
        })
        .collect();
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by_key(|&i| keys.get(i).copied().unwrap_or(0));
    order
}

/// The `geo` file metadata of GeoParquet 1.1 for `layer` (`extent`: of all rows).
fn geo_metadata(layer: &MappedLayer, extent: Option<[f64; 4]>) -> serde_json::Value {
    let covering = |field: &str| serde_json::json!(["bbox", field]);
    let mut column = serde_json::json!({
        "encoding": "WKB",
        "geometry_types": ["Polygon"],
        "crs": layer.crs.clone().unwrap_or(serde_json::Value::Null),
        "covering": {"bbox": {
            "xmin": covering("xmin"), "ymin": covering("ymin"),
            "xmax": covering("xmax"), "ymax": covering("ymax"),
        }},
    });
    if let (Some(extent), Some(map)) = (extent, column.as_object_mut()) {
        map.insert("bbox".into(), serde_json::json!(extent));
    }
    serde_json::json!({
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": column},
    })
}

/// Writes `layer` to a new GeoParquet file at `path` (replaced if it exists; the caller makes
/// the write atomic), its rows in Hilbert order, synced to disk before it returns.
pub fn write_geoparquet(path: &Path, layer: &MappedLayer) -> Result<(), IoError> {
    let boxes: Vec<[f64; 4]> = layer.rows.iter().map(|r| bounds(&r.polygon)).collect();
    let order = hilbert_order(&boxes);
    let extent = boxes.iter().copied().reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    });
    // `geo` in the file's key-value metadata (GeoParquet's place, where GDAL and DuckDB look)
    // and in the embedded Arrow schema's (where pyarrow looks).
    let geo = geo_metadata(layer, extent).to_string();
    let metadata = std::collections::HashMap::from([("geo".to_string(), geo.clone())]);
    let schema = Arc::new(schema().with_metadata(metadata));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_key_value_metadata(Some(vec![KeyValue::new("geo".into(), geo)]))
        .build();
    let file = std::fs::File::create(path).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
    })?;
    let mut writer = ArrowWriter::try_new(
        file.try_clone().map_err(|error| IoError::File {
            path: path.to_path_buf(),
            error,
        })?,
        Arc::clone(&schema),
        Some(props),
    )
    .map_err(|e| format_error(path, e))?;
    for chunk in order.chunks(ROW_GROUP) {
        let batch =
            record_batch(&schema, layer, &boxes, chunk).map_err(|r| format_error(path, r))?;
        writer.write(&batch).map_err(|e| format_error(path, e))?;
    }
    if order.is_empty() {
        let batch = record_batch(&schema, layer, &boxes, &[]).map_err(|r| format_error(path, r))?;
        writer.write(&batch).map_err(|e| format_error(path, e))?;
    }
    writer.close().map_err(|e| format_error(path, e))?;
    file.sync_all().map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
    })
}

/// The rows `chunk` of `layer` as one Arrow batch.
fn record_batch(
    schema: &Arc<Schema>,
    layer: &MappedLayer,
    boxes: &[[f64; 4]],
    chunk: &[usize],
) -> Result<RecordBatch, String> {
    let mut geometry = BinaryBuilder::new();
    let mut corners: [Float64Builder; 4] = std::array::from_fn(|_| Float64Builder::new());
    let (mut scene, mut model) = (StringBuilder::new(), StringBuilder::new());
    let (mut confidence, mut area) = (Float64Builder::new(), Float64Builder::new());
    for &i in chunk {
        let (Some(row), Some(b)) = (layer.rows.get(i), boxes.get(i)) else {
            continue;
        };
        let wkb = row
            .polygon
            .to_gdal()
            .and_then(|g| g.wkb())
            .map_err(|e| format!("encoding a polygon as WKB: {e}"))?;
        geometry.append_value(wkb);
        for (builder, v) in corners.iter_mut().zip(b) {
            builder.append_value(*v);
        }
        scene.append_value(&row.scene);
        model.append_value(&row.model);
        confidence.append_value(row.confidence);
        area.append_option(row.area_m2);
    }
    let corners: Vec<ArrayRef> = corners
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    let bbox = StructArray::try_new(bbox_fields(), corners, None).map_err(|e| e.to_string())?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(geometry.finish()),
        Arc::new(bbox),
        Arc::new(scene.finish()),
        Arc::new(model.finish()),
        Arc::new(confidence.finish()),
        Arc::new(area.finish()),
    ];
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| e.to_string())
}

/// What a GeoParquet file of mapped footprints holds, with its `geo` metadata.
#[derive(Debug)]
pub struct ReadLayer {
    pub layer: MappedLayer,
    pub geo: serde_json::Value,
}

/// Reads a GeoParquet file written by [`write_geoparquet`] (or any with the same columns and
/// a WKB polygon `geometry`).
pub fn read_geoparquet(path: &Path) -> Result<ReadLayer, IoError> {
    let builder = open_parquet(path)?;
    let geo_text = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.clone())
        .ok_or_else(|| format_error(path, "no `geo` metadata: not a GeoParquet file"))?;
    let geo: serde_json::Value =
        serde_json::from_str(&geo_text).map_err(|e| format_error(path, format!("`geo`: {e}")))?;
    let encoding = &geo["columns"]["geometry"]["encoding"];
    if encoding != "WKB" {
        return Err(format_error(
            path,
            format!("the geometry column's encoding is {encoding}, not WKB"),
        ));
    }
    let crs = match &geo["columns"]["geometry"]["crs"] {
        serde_json::Value::Null => None,
        other => Some(other.clone()),
    };
    let reader = builder.build().map_err(|e| format_error(path, e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format_error(path, e))?;
        read_batch(&batch, &mut rows).map_err(|r| format_error(path, r))?;
    }
    Ok(ReadLayer {
        layer: MappedLayer { crs, rows },
        geo,
    })
}

/// A Parquet file opened for reading (its footer read).
fn open_parquet(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, IoError> {
    let file = std::fs::File::open(path).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| format_error(path, e))
}

/// Rows in a GeoParquet (or any Parquet) file, from its footer.
pub fn row_count(path: &Path) -> Result<usize, IoError> {
    let rows = open_parquet(path)?.metadata().file_metadata().num_rows();
    Ok(usize::try_from(rows).unwrap_or(0))
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| format!("no column `{name}` of the expected type"))
}

fn read_batch(batch: &RecordBatch, rows: &mut Vec<MappedFootprint>) -> Result<(), String> {
    let geometry: &BinaryArray = column(batch, "geometry")?;
    let scene: &StringArray = column(batch, "scene")?;
    let model: &StringArray = column(batch, "model")?;
    let confidence: &Float64Array = column(batch, "confidence")?;
    let area: &Float64Array = column(batch, "area_m2")?;
    for i in 0..batch.num_rows() {
        let polygon = match Geometry::from_wkb(geometry.value(i))
            .and_then(|g| g.to_geo())
            .map_err(|e| format!("row {i}: bad WKB: {e}"))?
        {
            geo::Geometry::Polygon(p) => p,
            other => {
                return Err(format!(
                    "row {i}: a {} where a polygon was expected",
                    super::wkt_text::geometry_name(&other)
                ));
            }
        };
        rows.push(MappedFootprint {
            scene: scene.value(i).to_owned(),
            model: model.value(i).to_owned(),
            confidence: confidence.value(i),
            area_m2: (!area.is_null(i)).then(|| area.value(i)),
            polygon,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn hilbert_order_visits_neighbours_together() {
        // Four quadrants' centres: the curve goes through each quadrant once.
        let boxes: Vec<[f64; 4]> = [(0., 0.), (10., 10.), (0., 10.), (10., 0.), (1., 1.)]
            .iter()
            .map(|&(x, y)| [x, y, x, y])
            .collect();
        let order = hilbert_order(&boxes);
        let first = order.iter().position(|&i| i == 0).unwrap();
        let near = order.iter().position(|&i| i == 4).unwrap();
        assert_eq!(first.abs_diff(near), 1, "{order:?}");
        // The first 16 positions fill the 4 x 4 cells at the origin, each a neighbour of the
        // one before: the curve's defining property.
        let mut cells: Vec<(u64, u32, u32)> = (0..4)
            .flat_map(|x| (0..4).map(move |y| (hilbert_index(x, y), x, y)))
            .collect();
        cells.sort_unstable();
        assert_eq!(
            cells.iter().map(|c| c.0).collect::<Vec<_>>(),
            (0..16).collect::<Vec<_>>()
        );
        for pair in cells.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert_eq!(a.1.abs_diff(b.1) + a.2.abs_diff(b.2), 1, "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn a_layer_comes_back_as_written_with_its_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.parquet");
        let crs = projjson_of_wkt(
            &gdal::spatial_ref::SpatialRef::from_epsg(32631)
                .unwrap()
                .to_wkt()
                .unwrap(),
        )
        .unwrap();
        let rows: Vec<MappedFootprint> = (0..5)
            .map(|i| {
                let x = 594_000.0 + f64::from(i) * 37.25;
                MappedFootprint {
                    scene: format!("s{i}"),
                    model: "m".into(),
                    confidence: 0.5 + f64::from(i) / 10.0,
                    area_m2: (i != 2).then_some(f64::from(i) * 3.5),
                    polygon: polygon![(x: x, y: 5.75e6), (x: x + 10.0, y: 5.75e6), (x: x + 10.0, y: 5.75e6 + 7.5), (x: x, y: 5.75e6)],
                }
            })
            .collect();
        let layer = MappedLayer {
            crs: Some(crs.clone()),
            rows: rows.clone(),
        };
        write_geoparquet(&path, &layer).unwrap();
        let back = read_geoparquet(&path).unwrap();
        assert_eq!(back.layer.crs, Some(crs));
        let mut got = back.layer.rows.clone();
        got.sort_by(|a, b| a.scene.cmp(&b.scene));
        assert_eq!(got, rows);
        assert_eq!(back.geo["version"], GEOPARQUET_VERSION);
        assert_eq!(
            back.geo["columns"]["geometry"]["covering"]["bbox"]["xmin"][0],
            "bbox"
        );
        let extent = &back.geo["columns"]["geometry"]["bbox"];
        assert_eq!(extent[0], 594_000.0);
        assert_eq!(extent[2], 594_000.0 + 4.0 * 37.25 + 10.0);

        // An empty layer is a valid file; an unknown CRS is written as null.
        let empty = dir.path().join("e.parquet");
        write_geoparquet(&empty, &MappedLayer::default()).unwrap();
        let back = read_geoparquet(&empty).unwrap();
        assert!(back.layer.rows.is_empty());
        assert!(back.geo["columns"]["geometry"]["crs"].is_null());

        // A Parquet file without `geo` metadata is refused with a reason.
        std::fs::write(dir.path().join("x.parquet"), b"PAR1 not really").unwrap();
        let err = read_geoparquet(&dir.path().join("x.parquet")).unwrap_err();
        assert!(err.to_string().contains("GeoParquet"), "{err}");
    }
}
