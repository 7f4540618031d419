//! The SpaceNet CSV: `ImageId,TileBuildingId,PolygonWKT_Pix`, one row per footprint in pixel
//! coordinates, and one `POLYGON EMPTY` row for an image without buildings.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use compact_str::CompactString;

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
    std::fs::write(path, text).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
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
    std::fs::write(path, text).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
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
    /// Shared by the rows of one image that follow each other.
    pub image_id: Arc<str>,
    /// `BuildingId` or `TileBuildingId`, as written (short ones held inline).
    pub building_id: CompactString,
    /// Pixel coordinates; empty for a `POLYGON EMPTY` row (an image without buildings).
    pub polygon: MultiPolygon<f64>,
    /// `Confidence` when the file has that column.
    pub confidence: Option<f64>,
    /// 1-based line of the row in the file, for messages.
    pub line: usize,
}

impl crate::eval::ImageFootprint for CsvFootprint {
    fn image_id(&self) -> &str {
        &self.image_id
    }

    fn polygon(&self) -> &MultiPolygon<f64> {
        &self.polygon
    }

    fn confidence(&self) -> Option<f64> {
        self.confidence
    }
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
    // The text and the polygons it holds (about twice its size) are in memory at once.
    crate::memory::check_file_fits(path, 3)
        .map_err(|big| format(format!("too large to read: {big}")))?;
    let bytes = std::fs::read(path).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        error,
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
    let parsed = crate::parallel::map_on_all_cores(&parts, |part| read_part(part, &columns));
    let mut rows = Vec::with_capacity(parsed.iter().flatten().map(|(rows, _)| rows.len()).sum());
    let mut lines_before = count_byte(&bytes[..body_start], b'\n');
    for part in parsed {
        let (mut part, lines) =
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

/// The rows of one part of a SpaceNet CSV (no header), their lines counted from the part's
/// start, with the line breaks it holds; an error is the line it is on and what is wrong there.
fn read_part(
    part: &[u8],
    columns: &Columns,
) -> Result<(Vec<CsvFootprint>, usize), (usize, String)> {
    // A row a line, mostly: room for them all at once.
    let mut rows = Vec::with_capacity(count_byte(part, b'\n') + 1);
    let mut records = Records::new(part);
    let mut fields = Vec::with_capacity(columns.count);
    // Rows of one image follow each other: they share its id.
    let mut image_id: Option<Arc<str>> = None;
    while let Some(line) = records.next_record(&mut fields) {
        if fields.len() != columns.count {
            return Err((
                line,
                format!("{} fields, the header has {}", fields.len(), columns.count),
            ));
        }
        let field = |col: usize| {
            // ASCII blanks trimmed from the bytes (the common case, no character decoding),
            // any other white space from the text.
            let bytes = fields
                .get(col)
                .map_or(&b""[..], |f| f.as_ref())
                .trim_ascii();
            let ascii_ends =
                bytes.first().is_none_or(u8::is_ascii) && bytes.last().is_none_or(u8::is_ascii);
            std::str::from_utf8(bytes)
                .map(|text| if ascii_ends { text } else { text.trim() })
                .map_err(|_| (line, format!("column {} is not UTF-8", col + 1)))
        };
        let confidence = match columns.confidence {
            None => None,
            Some(c) => {
                let text = field(c)?;
                let value = text
                    .parse::<f64>()
                    .map_err(|_| (line, format!("Confidence {text:?} is not a number")))?;
                if !value.is_finite() {
                    return Err((line, format!("Confidence {text:?} is not a finite number")));
                }
                Some(value)
            }
        };
        let wkt = fields.get(columns.wkt).map_or(&b""[..], |f| f.as_ref());
        let polygon = parse_polygon_wkt_bytes(wkt).map_err(|e| (line, e.to_string()))?;
        let image = field(columns.image)?;
        let image_id = match &image_id {
            Some(id) if **id == *image => Arc::clone(id),
            _ => Arc::clone(image_id.insert(image.into())),
        };
        rows.push(CsvFootprint {
            image_id,
            building_id: field(columns.id)?.into(),
            polygon,
            confidence,
            line,
        });
    }
    Ok((rows, records.breaks))
}

/// The records of CSV text as the `csv` crate reads them (RFC 4180): fields end at commas and
/// records at line ends outside quotes; a quoted field may hold commas, line breaks and
/// doubled quotes (one quote), and bytes after its closing quote are part of it; blank lines
/// are skipped. Fields are found with `memchr`: a long quoted WKT is passed in one search.
struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Line breaks passed.
    breaks: usize,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            breaks: 0,
        }
    }

    /// The next record's fields into `fields`, and the (1-based) line it starts on; `None`
    /// after the last.
    fn next_record(&mut self, fields: &mut Vec<Cow<'a, [u8]>>) -> Option<usize> {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => self.breaks += 1,
                b'\r' => {}
                _ => break,
            }
            self.at += 1;
        }
        if self.at >= self.bytes.len() {
            return None;
        }
        let line = self.breaks + 1;
        fields.clear();
        loop {
            let field = self.field();
            fields.push(field);
            if self.bytes.get(self.at) != Some(&b',') {
                return Some(line); // at a line end, or the end
            }
            self.at += 1;
        }
    }

    fn field(&mut self) -> Cow<'a, [u8]> {
        let bytes = self.bytes;
        let rest = &bytes[self.at..];
        let to_end = |from: usize| {
            memchr::memchr3(b',', b'\n', b'\r', &rest[from..]).map_or(rest.len(), |i| from + i)
        };
        if rest.first() != Some(&b'"') {
            let end = to_end(0);
            self.at += end;
            return Cow::Borrowed(&rest[..end]);
        }
        let mut text = Cow::Borrowed(&rest[..0]);
        let mut at = 1;
        loop {
            // The closing quote, the line breaks before it counted on the way (one pass).
            let mut from = at;
            let close = loop {
                let found = memchr::memchr2(b'"', b'\n', &rest[from..]).map(|i| from + i);
                match found {
                    Some(i) if rest.get(i) == Some(&b'\n') => {
                        self.breaks += 1;
                        from = i + 1;
                    }
                    _ => break found,
                }
            };
            let inside = &rest[at..close.unwrap_or(rest.len())];
            append(&mut text, inside);
            let Some(close) = close else {
                at = rest.len(); // no closing quote: the field runs to the end
                break;
            };
            at = close + 1;
            if rest.get(at) != Some(&b'"') {
                break;
            }
            append(&mut text, b"\"");
            at += 1;
        }
        let end = to_end(at);
        append(&mut text, &rest[at..end]);
        self.at += end;
        text
    }
}

/// Appends to a field, borrowing while it is one piece.
fn append<'a>(field: &mut Cow<'a, [u8]>, more: &'a [u8]) {
    if more.is_empty() {
        return;
    }
    if field.is_empty() {
        *field = Cow::Borrowed(more);
    } else {
        field.to_mut().extend_from_slice(more);
    }
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
        // A part's rows, `lines_before` lines into the file (as read_spacenet_csv makes them).
        let read_at = |part: &[u8], lines_before: usize| {
            let (mut rows, lines) = read_part(part, &columns).unwrap();
            for row in &mut rows {
                row.line += lines_before;
            }
            (rows, lines)
        };
        let (whole, _) = read_at(body, 1);
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
                let (part, lines) = read_at(&body[start..end], lines_before);
                assert_eq!(lines, count_byte(&body[start..end], b'\n'));
                rows.extend(part);
                lines_before += lines;
            }
            assert_eq!(rows, whole, "{parts} parts");
        }
    }

    /// Random texts of the pieces CSV quoting is made of: the records and fields are the
    /// `csv` crate's, each on the line where its first byte is.
    #[test]
    fn records_are_split_as_the_csv_crate_splits_them() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let pieces = [
            "a",
            "17",
            " ",
            "\"",
            "\"\"",
            ",",
            ",",
            "\n",
            "\r\n",
            "\r",
            "\"q,\nr\"",
            "POLYGON ((0 0, 1 1))",
        ];
        for _ in 0..5000 {
            let text: String = (0..rng.random_range(0..30))
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut expected = Vec::new();
            let mut record = csv::ByteRecord::new();
            while reader.read_byte_record(&mut record).unwrap() {
                // The crate's position is where its reading began, blank lines before the
                // record included: the record's own line is after them.
                let from = record.position().unwrap().byte() as usize;
                let first = from
                    + text.as_bytes()[from..]
                        .iter()
                        .position(|b| !matches!(b, b'\r' | b'\n'))
                        .unwrap();
                let line = 1 + text[..first].matches('\n').count();
                expected.push((line, record.iter().map(<[u8]>::to_vec).collect::<Vec<_>>()));
            }
            let mut records = Records::new(text.as_bytes());
            let mut fields = Vec::new();
            let mut got = Vec::new();
            while let Some(line) = records.next_record(&mut fields) {
                got.push((line, fields.iter().map(|f| f.to_vec()).collect::<Vec<_>>()));
            }
            assert_eq!(got, expected, "{text:?}");
            assert_eq!(records.breaks, text.matches('\n').count(), "{text:?}");
        }
    }

    #[test]
    fn ids_and_confidences_are_trimmed_of_any_white_space() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spaces.csv");
        std::fs::write(
            &path,
            "ImageId,BuildingId,PolygonWKT_Pix,Confidence\n \u{2003}img 1\u{a0} ,\t7 ,POLYGON EMPTY, 0.5\u{3000}\nimg 2,8,POLYGON EMPTY,1\n",
        )
        .unwrap();
        let rows = read_spacenet_csv(&path).unwrap();
        let read: Vec<(&str, &str, Option<f64>)> = rows
            .iter()
            .map(|r| (&*r.image_id, r.building_id.as_str(), r.confidence))
            .collect();
        assert_eq!(read, [("img 1", "7", Some(0.5)), ("img 2", "8", Some(1.0))]);
    }

    /// A confidence that is not a finite number, text after the WKT and a coordinate beyond
    /// any map's are refused naming the line.
    #[test]
    fn odd_confidences_and_polygons_are_refused_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let square = "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))";
        for (name, row, says) in [
            (
                "nan.csv",
                format!("a,1,\"{square}\",NaN"),
                "not a finite number",
            ),
            (
                "inf.csv",
                format!("a,1,\"{square}\",inf"),
                "not a finite number",
            ),
            (
                "tail.csv",
                format!("a,1,\"{square} x\",0.5"),
                "text after the polygon",
            ),
            (
                "far.csv",
                "a,1,\"POLYGON ((1e308 0, 10 0, 10 10, 1e308 0))\",0.5".to_string(),
                "beyond any map",
            ),
        ] {
            let path = dir.path().join(name);
            let text = format!(
                "ImageId,BuildingId,PolygonWKT_Pix,Confidence\na,0,\"{square}\",1\n{row}\n"
            );
            std::fs::write(&path, text).unwrap();
            let err = read_spacenet_csv(&path).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains("line 3"), "{err}");
            assert!(err.contains(says), "{err}");
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
