//! The SpaceNet CSV: `ImageId,TileBuildingId,PolygonWKT_Pix`, one row per footprint in pixel
//! coordinates, and one `POLYGON EMPTY` row for an image without buildings.

use std::fmt::Write as _;
use std::path::Path;

use geo::{MultiPolygon, Polygon};

use super::IoError;
use super::wkt_text::parse_polygon_wkt;

/// WKT of a polygon, exterior then interior rings, each closed.
///
/// ```
/// use geo::polygon;
/// let square = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.5), (x: 0.0, y: 1.5)];
/// assert_eq!(sarscope::io::polygon_wkt(&square), "POLYGON ((0 0, 2 0, 2 1.5, 0 1.5, 0 0))");
/// ```
pub fn polygon_wkt(polygon: &Polygon<f64>) -> String {
    if polygon.exterior().0.is_empty() {
        return "POLYGON EMPTY".to_string();
    }
    let mut out = String::from("POLYGON (");
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (i, ring) in rings.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for (j, c) in ring.0.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{} {}", c.x, c.y);
        }
        out.push(')');
    }
    out.push(')');
    out
}

/// Writes the footprints of one image, in pixel coordinates, as a SpaceNet CSV.
/// Building ids count from 0 in the order given.
pub fn write_spacenet_csv(
    path: &Path,
    image_id: &str,
    polygons_pixel: &[Polygon<f64>],
) -> Result<(), IoError> {
    let mut text = String::from("ImageId,TileBuildingId,PolygonWKT_Pix\n");
    if polygons_pixel.is_empty() {
        let _ = writeln!(text, "{image_id},0,POLYGON EMPTY");
    }
    for (id, polygon) in polygons_pixel.iter().enumerate() {
        let _ = writeln!(text, "{image_id},{id},\"{}\"", polygon_wkt(polygon));
    }
    std::fs::write(path, text).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes predicted footprints as the SN6 baseline does:
/// `ImageId,BuildingId,PolygonWKT_Pix,Confidence`, no rows for an image without buildings.
pub fn write_prediction_csv(
    path: &Path,
    image_id: &str,
    polygons_pixel: &[Polygon<f64>],
    confidences: &[f64],
) -> Result<(), IoError> {
    let mut text = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
    for (id, polygon) in polygons_pixel.iter().enumerate() {
        let confidence = confidences.get(id).copied().unwrap_or(1.0);
        let _ = writeln!(
            text,
            "{image_id},{id},\"{}\",{confidence}",
            polygon_wkt(polygon)
        );
    }
    std::fs::write(path, text).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        source,
    })
}

/// The SpaceNet ImageId of a tile file: `..._<start>_<end>_tile_<n>` of an SN6 name
/// (the last four `_` parts of the stem), else the whole stem.
///
/// ```
/// use std::path::Path;
/// use sarscope::io::image_id_of;
/// let sn6 = "SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_8685.tif";
/// assert_eq!(image_id_of(Path::new(sn6)), "20190804111224_20190804111453_tile_8685");
/// assert_eq!(image_id_of(Path::new("dir/synth_s0_0000.tif")), "synth_s0_0000");
/// ```
pub fn image_id_of(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = stem.split('_').collect();
    match parts.as_slice() {
        [.., start, end, "tile", n]
            if start.len() == 14 && end.len() == 14 && n.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{start}_{end}_tile_{n}")
        }
        _ => stem,
    }
}

/// One row of a SpaceNet CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvFootprint {
    pub image_id: String,
    /// `BuildingId` or `TileBuildingId`, as written.
    pub building_id: String,
    /// Pixel coordinates; empty for a `POLYGON EMPTY` row (an image without buildings).
    pub polygon: MultiPolygon<f64>,
    /// `Confidence` when the file has that column.
    pub confidence: Option<f64>,
    /// 1-based line of the row in the file, for messages.
    pub line: usize,
}

/// Reads a SpaceNet CSV (`ImageId`, `BuildingId` or `TileBuildingId`, `PolygonWKT_Pix`, and
/// optionally `Confidence`; other columns are ignored). Any bad row is an error naming its line.
pub fn read_spacenet_csv(path: &Path) -> Result<Vec<CsvFootprint>, IoError> {
    let format = |reason: String| IoError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(source) => IoError::File {
                path: path.to_path_buf(),
                source,
            },
            other => format(format!("{other:?}")),
        })?;
    let headers = reader
        .headers()
        .map_err(|e| format(format!("cannot read the header line: {e}")))?
        .clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let missing = |what: &str| {
        format(format!(
            "no {what} column (the header is: {})",
            headers.iter().collect::<Vec<_>>().join(",")
        ))
    };
    let image_col = column(&["ImageId"]).ok_or_else(|| missing("ImageId"))?;
    let id_col = column(&["BuildingId", "TileBuildingId"])
        .ok_or_else(|| missing("BuildingId or TileBuildingId"))?;
    let wkt_col = column(&["PolygonWKT_Pix"]).ok_or_else(|| missing("PolygonWKT_Pix"))?;
    let conf_col = column(&["Confidence"]);
    // Fields first (sequential: the CSV reader is a stream), then the WKT, which is most of
    // the work, parsed on every core.
    let mut rows = Vec::new();
    let mut wkts = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| p.line() as usize);
        let record = record.map_err(|e| format(format!("line {}: {e}", i + 2)))?;
        let field = |col: usize| record.get(col).unwrap_or("").trim();
        let confidence = match conf_col {
            None => None,
            Some(c) => Some(field(c).parse::<f64>().map_err(|_| {
                format(format!(
                    "line {line}: Confidence {:?} is not a number",
                    field(c)
                ))
            })?),
        };
        wkts.push(field(wkt_col).to_string());
        rows.push(CsvFootprint {
            image_id: field(image_col).to_string(),
            building_id: field(id_col).to_string(),
            polygon: MultiPolygon(vec![]),
            confidence,
            line,
        });
    }
    let parsed = crate::parallel::map_on_all_cores(&wkts, |w| parse_polygon_wkt(w));
    for (row, polygon) in rows.iter_mut().zip(parsed) {
        row.polygon = polygon.map_err(|e| format(format!("line {}: {e}", row.line)))?;
    }
    Ok(rows)
}
