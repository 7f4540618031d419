//! The SpaceNet CSV: `ImageId,TileBuildingId,PolygonWKT_Pix`, one row per footprint in pixel
//! coordinates, and one `POLYGON EMPTY` row for an image without buildings.

use std::fmt::Write as _;
use std::path::Path;

use geo::{MultiPolygon, Polygon};

use super::IoError;
use super::wkt_text::parse_polygon_wkt_bytes;

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
/// optionally `Confidence`; other columns are ignored). Any bad row is an error naming its line
/// (the first bad one in the file).
///
/// A SpaceNet evaluation reads hundreds of thousands of rows: the file is read whole and cut
/// into one part per core at line ends outside quotes, and each part is parsed (fields and
/// WKT) on its own thread.
pub fn read_spacenet_csv(path: &Path) -> Result<Vec<CsvFootprint>, IoError> {
    let format = |reason: String| IoError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| format(format!("cannot read the header line: {e}")))?
        .clone();
    let body_start = usize::try_from(reader.position().byte())
        .unwrap_or(bytes.len())
        .min(bytes.len());
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
    let columns = Columns {
        count: headers.len(),
        image: column(&["ImageId"]).ok_or_else(|| missing("ImageId"))?,
        id: column(&["BuildingId", "TileBuildingId"])
            .ok_or_else(|| missing("BuildingId or TileBuildingId"))?,
        wkt: column(&["PolygonWKT_Pix"]).ok_or_else(|| missing("PolygonWKT_Pix"))?,
        confidence: column(&["Confidence"]),
    };
    let body = &bytes[body_start..];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let starts = part_starts(body, threads);
    let parts: Vec<&[u8]> = starts
        .iter()
        .enumerate()
        .map(|(k, &start)| &body[start..starts.get(k + 1).copied().unwrap_or(body.len())])
        .collect();
    // Each part read with its line numbers counted from its own start, and its lines counted:
    // the numbers are made the file's afterwards (the header's lines included).
    let parsed = crate::parallel::map_on_all_cores(&parts, |part| {
        (read_part(part, 0, &columns), count_byte(part, b'\n'))
    });
    let mut rows = Vec::new();
    let mut lines_before = count_byte(&bytes[..body_start], b'\n');
    for (part, lines) in parsed {
        let mut part =
            part.map_err(|(line, e)| format(format!("line {}: {e}", line + lines_before)))?;
        for row in &mut part {
            row.line += lines_before;
        }
        rows.append(&mut part);
        lines_before += lines;
    }
    Ok(rows)
}

/// Where the columns the reader needs are, and how many the header has.
struct Columns {
    count: usize,
    image: usize,
    id: usize,
    wkt: usize,
    confidence: Option<usize>,
}

fn count_byte(bytes: &[u8], byte: u8) -> usize {
    memchr::memchr_iter(byte, bytes).count()
}

/// Offsets in `body` (CSV records after the header) where up to `parts` parts start: each at
/// the beginning of a line outside quotes, the first at 0.
fn part_starts(body: &[u8], parts: usize) -> Vec<usize> {
    let mut starts = vec![0];
    let (mut pos, mut quotes) = (0, 0);
    for k in 1..parts.max(1) {
        let target = body.len() * k / parts;
        if target <= pos {
            continue;
        }
        quotes += count_byte(&body[pos..target], b'"');
        pos = target;
        // On to the end of a line that is not inside a quoted field.
        loop {
            match memchr::memchr(b'\n', &body[pos..]) {
                None => {
                    pos = body.len();
                    break;
                }
                Some(i) => {
                    quotes += count_byte(&body[pos..pos + i], b'"');
                    pos += i + 1;
                    if quotes % 2 == 0 {
                        break;
                    }
                }
            }
        }
        if pos < body.len() && starts.last().is_some_and(|&last| pos > last) {
            starts.push(pos);
        }
    }
    starts
}

/// The rows of one part of a SpaceNet CSV (no header), `lines_before` lines into the file;
/// an error is the line it is on and what is wrong there.
fn read_part(
    part: &[u8],
    lines_before: usize,
    columns: &Columns,
) -> Result<Vec<CsvFootprint>, (usize, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(part);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let at = lines_before + reader.position().line() as usize;
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| (at, e.to_string()))?;
        if !more {
            break;
        }
        let line = lines_before + record.position().map_or(1, |p| p.line() as usize);
        if record.len() != columns.count {
            return Err((
                line,
                format!("{} fields, the header has {}", record.len(), columns.count),
            ));
        }
        let field = |col: usize| {
            let bytes = record.get(col).unwrap_or(b"");
            std::str::from_utf8(bytes)
                .map(str::trim)
                .map_err(|_| (line, format!("column {} is not UTF-8", col + 1)))
        };
        let confidence = match columns.confidence {
            None => None,
            Some(c) => {
                let text = field(c)?;
                Some(
                    text.parse::<f64>()
                        .map_err(|_| (line, format!("Confidence {text:?} is not a number")))?,
                )
            }
        };
        let wkt = record.get(columns.wkt).unwrap_or(b"");
        let polygon = parse_polygon_wkt_bytes(wkt).map_err(|e| (line, e))?;
        rows.push(CsvFootprint {
            image_id: field(columns.image)?.to_string(),
            building_id: field(columns.id)?.to_string(),
            polygon,
            confidence,
            line,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows with quoted fields holding commas, quotes and line breaks, cut into any number of
    /// parts: the parts read together give what one reading gives, line numbers included.
    #[test]
    fn parts_cut_at_line_ends_outside_quotes_read_as_the_whole() {
        let mut text = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
        let mut expected_lines = Vec::new();
        let mut line = 2;
        for i in 0..60 {
            let id = match i % 3 {
                0 => format!("{i}"),
                1 => format!("\"{i}\nsecond line\""),
                _ => format!("\"{i} \"\"quoted\"\", with a comma\""),
            };
            text.push_str(&format!(
                "img{},{id},\"POLYGON (({i} 0, {i} 1, 1 1, {i} 0))\",0.{i}\n",
                i / 7
            ));
            expected_lines.push(line);
            line += 1 + usize::from(i % 3 == 1);
        }
        let header_end = text.find('\n').unwrap() + 1;
        let body = &text.as_bytes()[header_end..];
        let columns = Columns {
            count: 4,
            image: 0,
            id: 1,
            wkt: 2,
            confidence: Some(3),
        };
        let whole = read_part(body, 1, &columns).unwrap();
        assert_eq!(whole.len(), 60);
        assert_eq!(
            whole.iter().map(|r| r.line).collect::<Vec<_>>(),
            expected_lines
        );
        assert_eq!(whole[1].building_id, "1\nsecond line");
        assert_eq!(whole[2].building_id, "2 \"quoted\", with a comma");
        for parts in 2..40 {
            let starts = part_starts(body, parts);
            assert!(starts.len() > 1, "{parts} parts");
            let mut rows = Vec::new();
            let mut lines_before = 1;
            for (k, &start) in starts.iter().enumerate() {
                let end = starts.get(k + 1).copied().unwrap_or(body.len());
                rows.extend(read_part(&body[start..end], lines_before, &columns).unwrap());
                lines_before += count_byte(&body[start..end], b'\n');
            }
            assert_eq!(rows, whole, "{parts} parts");
        }
    }

    #[test]
    fn a_bad_row_is_named_by_its_line_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        let mut text = String::from("ImageId,BuildingId,PolygonWKT_Pix\n");
        for i in 0..5000 {
            text.push_str(&format!("a,{i},\"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n"));
        }
        text.push_str("a,5000,\"POLYGON ((0 0, 1 0\"\n");
        text.push_str("a,5001\n");
        std::fs::write(&path, text).unwrap();
        let message = read_spacenet_csv(&path).unwrap_err().to_string();
        assert!(message.contains("line 5002: bad WKT"), "{message}");
        std::fs::write(
            &path,
            "ImageId,BuildingId,PolygonWKT_Pix\na,0,POLYGON EMPTY\na,1\n",
        )
        .unwrap();
        let message = read_spacenet_csv(&path).unwrap_err().to_string();
        assert!(
            message.contains("line 3: 2 fields, the header has 3"),
            "{message}"
        );
    }
}
