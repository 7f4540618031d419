//! WKT polygons as the SpaceNet CSVs write them (Z coordinates allowed and dropped).

use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon};

use super::WktError;

/// WKT of a multipolygon (`MULTIPOLYGON (((...)))`).
pub fn multipolygon_wkt(polygon: &MultiPolygon<f64>) -> String {
    use wkt::ToWkt;
    // The wkt crate's writer panics on a polygon without an exterior (`MULTIPOLYGON (EMPTY)`
    // read from a file, found by fuzzing), and writes an empty hole as `()`, which no reader
    // takes (`POLYGON ((...), EMPTY)`, found by fuzzing); neither has area, and both are left
    // out.
    let empty = |p: &Polygon<f64>| {
        p.exterior().0.is_empty() || p.interiors().iter().any(|r| r.0.is_empty())
    };
    if polygon.0.iter().any(empty) {
        return without_empty_parts(polygon.clone()).wkt_string();
    }
    polygon.wkt_string()
}

/// `polygons` without the parts whose exterior is empty, and without empty holes.
fn without_empty_parts(mut polygons: MultiPolygon<f64>) -> MultiPolygon<f64> {
    polygons.0.retain(|p| !p.exterior().0.is_empty());
    for p in &mut polygons.0 {
        if p.interiors().iter().any(|r| r.0.is_empty()) {
            let holes = p.interiors().iter().filter(|r| !r.0.is_empty()).cloned();
            *p = Polygon::new(p.exterior().clone(), holes.collect());
        }
    }
    polygons
}

/// Parses `POLYGON (...)`, `MULTIPOLYGON (...)` or `POLYGON EMPTY` (an empty multipolygon).
///
/// ```
/// let mp = sarscope::io::parse_polygon_wkt("POLYGON ((0 0 0, 4 0 0, 4 2 0, 0 2 0, 0 0 0))").unwrap();
/// use geo::Area;
/// assert_eq!(mp.unsigned_area(), 8.0);
/// assert!(sarscope::io::parse_polygon_wkt("POLYGON EMPTY").unwrap().0.is_empty());
/// assert!(sarscope::io::parse_polygon_wkt("POLYGON ((0 0, 1 1").is_err());
/// assert!(sarscope::io::parse_polygon_wkt("POINT (1 2)").is_err());
/// ```
pub fn parse_polygon_wkt(text: &str) -> Result<MultiPolygon<f64>, WktError> {
    if let Some(polygon) = parse_plain_polygon(text.trim().as_bytes()) {
        return plausible(MultiPolygon(vec![polygon]));
    }
    parse_by_crate(text)
}

/// The largest coordinate a footprint may have: pixels of any raster and metres or degrees
/// of any CRS are far below; 1e308 makes areas infinite.
const MAX_COORDINATE: f64 = 1e12;

/// `polygon`, refused when a coordinate is beyond [`MAX_COORDINATE`] or not finite.
fn plausible(polygon: MultiPolygon<f64>) -> Result<MultiPolygon<f64>, WktError> {
    use geo::CoordsIter;
    match polygon
        .coords_iter()
        .flat_map(|c| [c.x, c.y])
        .find(|v| !v.is_finite() || v.abs() > MAX_COORDINATE)
    {
        Some(v) => Err(WktError::Coordinate(v)),
        None => Ok(polygon),
    }
}

/// [`parse_polygon_wkt`] by the `wkt` crate: any WKT, its messages for what it refuses.
fn parse_by_crate(text: &str) -> Result<MultiPolygon<f64>, WktError> {
    let trimmed = text.trim();
    // The wkt crate stops at the geometry's end (where its parentheses first balance) and
    // ignores whatever follows: that is not part of it.
    if let Some(end) = geometry_end(trimmed) {
        let tail = trimmed[end..].trim();
        if !tail.is_empty() {
            return Err(WktError::Trailing(tail.chars().take(40).collect()));
        }
    }
    let text = with_dimension_tag(trimmed);
    let wkt: wkt::Wkt<f64> = text.parse().map_err(|e: &str| {
        not_a_number(trimmed).unwrap_or_else(|| WktError::Syntax(e.to_string()))
    })?;
    let geometry: Geometry<f64> = wkt
        .try_into()
        .map_err(|e: wkt::geo_types_from_wkt::Error| WktError::Syntax(e.to_string()))?;
    match geometry {
        Geometry::Polygon(p) if p.exterior().0.is_empty() => Ok(MultiPolygon(vec![])),
        Geometry::Polygon(p) => plausible(without_empty_parts(MultiPolygon(vec![p]))),
        Geometry::MultiPolygon(mp) => plausible(without_empty_parts(mp)),
        Geometry::GeometryCollection(gc) if gc.0.is_empty() => Ok(MultiPolygon(vec![])),
        other => Err(WktError::NotAPolygon(geometry_name(&other))),
    }
}

/// The byte just after the geometry's closing parenthesis: where the parentheses opened so far
/// first balance. `None` without parentheses.
fn geometry_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A word where a coordinate belongs (`NaN`, `inf`, `1,5`'s halves are numbers): the `wkt`
/// crate says only that a parenthesis is missing.
fn not_a_number(text: &str) -> Option<WktError> {
    const KEYWORDS: [&str; 11] = [
        "POLYGON",
        "MULTIPOLYGON",
        "POINT",
        "MULTIPOINT",
        "LINESTRING",
        "MULTILINESTRING",
        "GEOMETRYCOLLECTION",
        "EMPTY",
        "Z",
        "M",
        "ZM",
    ];
    text.split(|c: char| matches!(c, '(' | ')' | ',') || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .find(|t| {
            !t.parse::<f64>().is_ok_and(f64::is_finite)
                && !KEYWORDS.contains(&t.to_ascii_uppercase().as_str())
        })
        .map(|t| WktError::NotANumber(t.chars().take(20).collect()))
}

/// The shape every row of a SpaceNet CSV has, `POLYGON ((x y[ z], ...)[, (...)])` with
/// finite numbers, read directly (a SpaceNet evaluation reads hundreds of thousands of them).
/// `None` for anything else, which the `wkt` crate then reads (or refuses with its message):
/// the two agree on every polygon this takes (tested).
fn parse_plain_polygon(text: &[u8]) -> Option<Polygon<f64>> {
    let mut cursor = Cursor {
        bytes: text.strip_prefix(b"POLYGON")?,
        at: 0,
    };
    cursor.expect(b'(')?;
    let mut dims = None;
    let exterior = cursor.ring(&mut dims)?;
    let mut interiors = Vec::new();
    loop {
        match cursor.next()? {
            b',' => interiors.push(cursor.ring(&mut dims)?),
            b')' => break,
            _ => return None,
        }
    }
    // Nothing but blanks after the last parenthesis.
    if cursor.peek().is_some() {
        return None;
    }
    Some(Polygon::new(exterior, interiors))
}

/// [`parse_polygon_wkt`] of a CSV field's bytes: the common shape read without a UTF-8 check
/// of the whole text (its numbers are ASCII), anything else as text.
pub fn parse_polygon_wkt_bytes(bytes: &[u8]) -> Result<MultiPolygon<f64>, WktError> {
    let bytes = bytes.trim_ascii();
    if let Some(polygon) = parse_plain_polygon(bytes) {
        return plausible(MultiPolygon(vec![polygon]));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| WktError::NotUtf8)?;
    parse_by_crate(text)
}

/// A byte of a number token: a digit, a sign, a decimal point or an exponent's `e`.
fn number_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')
}

/// Bytes of WKT read left to right, blanks skipped between tokens.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// The next byte that is not a blank, without taking it.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.at) {
            if !b.is_ascii_whitespace() {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Takes the next byte that is not a blank.
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// A ring, `(x y[ z], ...)`: every point with the same number of coordinates as the
    /// first of the polygon (`dims`), 2 or 3 (the `wkt` crate's rule).
    fn ring(&mut self, dims: &mut Option<usize>) -> Option<LineString<f64>> {
        self.expect(b'(')?;
        let mut coords = Vec::with_capacity(8);
        // The first point's text and value: a ring closes on its first point, written the
        // same way as a rule, and the same bytes are the same numbers.
        let mut first: Option<(std::ops::Range<usize>, Coord<f64>)> = None;
        loop {
            // (A ring has at least four points: the first three need no look.)
            if let Some((text, coord)) = &first
                && coords.len() >= 3
                && self.take_repeat(text.clone())
            {
                coords.push(*coord);
            } else {
                self.peek()?;
                let start = self.at;
                let mut end = start;
                let mut values = [0.0f64; 3];
                let mut count = 0;
                while let Some(value) = self.number() {
                    *values.get_mut(count)? = value;
                    count += 1;
                    end = self.at;
                }
                if count < 2 || *dims.get_or_insert(count) != count {
                    return None;
                }
                let [x, y, _] = values;
                coords.push(Coord { x, y });
                first.get_or_insert((start..end, Coord { x, y }));
            }
            match self.next()? {
                b',' => continue,
                b')' => return Some(LineString(coords)),
                _ => return None,
            }
        }
    }

    /// Takes a point written byte for byte as `text` (a point's numbers, an earlier part of
    /// the same WKT) when one comes next and `,` or `)` follows it; otherwise takes nothing but
    /// blanks.
    fn take_repeat(&mut self, text: std::ops::Range<usize>) -> bool {
        if self.peek().is_none() {
            return false;
        }
        let start = self.at;
        let (Some(written), Some(rest)) = (self.bytes.get(text), self.bytes.get(start..)) else {
            return false;
        };
        if !rest.starts_with(written) {
            return false;
        }
        self.at = start + written.len();
        if matches!(self.peek(), Some(b',' | b')')) {
            return true;
        }
        self.at = start;
        false
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// Takes a finite number if one comes next (`None`, taking only blanks, before `,` or `)`):
    /// a whole token of the bytes the `wkt` crate reads as a number (`1-2` is none).
    fn number(&mut self) -> Option<f64> {
        if !number_byte(self.peek()?) {
            return None;
        }
        let start = self.at;
        let rest = &self.bytes[start..];
        let (value, length) = fast_float2::parse_partial::<f64, _>(rest).ok()?;
        if rest.get(length).copied().is_some_and(number_byte) || !value.is_finite() {
            return None;
        }
        self.at = start + length;
        Some(value)
    }
}

/// Shapely and GDAL write 3D WKT without the `Z` tag (`POLYGON ((1 2 0, ...))`, as in the
/// SpaceNet CSVs); the `wkt` crate wants `POLYGON Z`. Adds the tag when the first coordinate
/// has three numbers and the text has no dimension tag.
fn with_dimension_tag(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(open) = text.find('(') else {
        return text.into();
    };
    let (tag, rest) = text.split_at(open);
    let tag_words: Vec<&str> = tag.split_whitespace().collect();
    if tag_words.len() != 1 {
        return text.into(); // already "POLYGON Z", "POLYGON ZM", ...
    }
    let first = rest.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
    let first = first.split([',', ')']).next().unwrap_or("");
    if first.split_whitespace().count() == 3 {
        format!("{} Z {rest}", tag.trim()).into()
    } else {
        text.into()
    }
}

pub(crate) fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "POINT",
        Geometry::Line(_) | Geometry::LineString(_) => "LINESTRING",
        Geometry::MultiPoint(_) => "MULTIPOINT",
        Geometry::MultiLineString(_) => "MULTILINESTRING",
        Geometry::GeometryCollection(_) => "GEOMETRYCOLLECTION",
        Geometry::Rect(_) | Geometry::Triangle(_) | Geometry::Polygon(_) => "POLYGON",
        Geometry::MultiPolygon(_) => "MULTIPOLYGON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the wkt fuzzer: an empty part of a multipolygon, and text after the geometry's
    /// balanced parentheses that the wkt crate ignored. Reading refuses the tail, an empty part
    /// is left out, and writing never panics.
    #[test]
    fn empty_parts_and_text_after_balanced_parentheses() {
        let crash = "MULTiPOLYGON(EMPTY)),((1 0)),((1 0)),((20 1000000000100,15 1,0 0))2[\u{5}!)";
        let err = parse_polygon_wkt(crash).unwrap_err();
        assert!(matches!(err, WktError::Trailing(_)), "{err}");
        assert!(
            parse_polygon_wkt("MULTIPOLYGON (EMPTY)")
                .unwrap()
                .0
                .is_empty()
        );
        // An empty hole (found by fuzzing) has no area: left out, and what is written reads
        // back the same.
        let holed =
            parse_polygon_wkt("POLYGON ((0 0, 9 0, 9 9, 0 0), EMPTY, (1 1, 2 1, 2 2, 1 1))")
                .unwrap();
        assert_eq!(holed.0[0].interiors().len(), 1);
        assert_eq!(parse_polygon_wkt(&multipolygon_wkt(&holed)).unwrap(), holed);
        let one = parse_polygon_wkt("MULTIPOLYGON (EMPTY, ((0 0, 4 0, 4 2, 0 0)))").unwrap();
        assert_eq!(one.0.len(), 1);
        let with_empty = MultiPolygon(vec![
            Polygon::new(geo::LineString(vec![]), vec![]),
            one.0[0].clone(),
        ]);
        let text = multipolygon_wkt(&with_empty);
        assert_eq!(parse_polygon_wkt(&text).unwrap(), one);
        assert_eq!(
            multipolygon_wkt(&MultiPolygon(vec![Polygon::new(
                geo::LineString(vec![]),
                vec![]
            )])),
            "MULTIPOLYGON EMPTY"
        );
    }

    /// A word where a coordinate belongs is named (GEOS' validity cases have `10 NaN`); the
    /// crate's own message said a parenthesis was missing.
    #[test]
    fn a_word_where_a_coordinate_belongs_is_named() {
        for (text, word) in [
            ("POLYGON ((0 0, 10 NaN, 20 0, 0 10, 0 0))", "NaN"),
            ("POLYGON ((0 0, 1 inf, 2 0, 0 0))", "inf"),
            ("MULTIPOLYGON (((0 0, 4 0, 4 x, 0 0)))", "x"),
        ] {
            let err = parse_polygon_wkt(text).unwrap_err();
            assert!(
                matches!(&err, WktError::NotANumber(w) if w == word),
                "{text}: {err}"
            );
            assert!(
                err.to_string().contains("where a coordinate belongs"),
                "{err}"
            );
        }
        // Other syntax errors keep the crate's words.
        let err = parse_polygon_wkt("POLYGON ((0 0, 4 0, 4 2, 0 0)").unwrap_err();
        assert!(matches!(err, WktError::Syntax(_)), "{err}");
    }

    #[test]
    fn text_after_the_polygon_and_coordinates_beyond_any_map_are_refused() {
        let trailing = parse_polygon_wkt("POLYGON ((0 0, 4 0, 4 2, 0 0)) and more").unwrap_err();
        assert_eq!(trailing.to_string(), "text after the polygon: \"and more\"");
        let nul = parse_polygon_wkt_bytes(b"POLYGON ((0 0, 4 0, 4 2, 0 0))\0").unwrap_err();
        assert!(matches!(nul, WktError::Trailing(_)), "{nul}");
        for text in [
            "POLYGON ((1e308 0, 4 0, 4 2, 1e308 0))",
            "MULTIPOLYGON (((0 0, 4 0, 4 -2e12, 0 0)))",
        ] {
            let err = parse_polygon_wkt(text).unwrap_err();
            assert!(matches!(err, WktError::Coordinate(_)), "{text}: {err}");
        }
        // An unclosed polygon is the crate's syntax error, not trailing text.
        assert!(matches!(
            parse_polygon_wkt("POLYGON ((0 0, 1 1"),
            Err(WktError::Syntax(_))
        ));
        assert!(parse_polygon_wkt("POLYGON ((0 0, 1e11 0, 1e11 1, 0 0))").is_ok());
    }

    /// The `wkt` crate's reading, the reference for the direct one.
    fn by_crate(text: &str) -> Option<MultiPolygon<f64>> {
        let text = with_dimension_tag(text.trim());
        let wkt: wkt::Wkt<f64> = text.parse().ok()?;
        match Geometry::<f64>::try_from(wkt).ok()? {
            Geometry::Polygon(p) => Some(MultiPolygon(vec![p])),
            _ => None,
        }
    }

    #[test]
    fn the_direct_reading_agrees_with_the_wkt_crate() {
        let mut texts: Vec<String> = [
            "POLYGON ((0 0, 4 0, 4 2, 0 2, 0 0))",
            "POLYGON ((0 0 0, 4 0 0, 4 2 0, 0 2 0, 0 0 0))",
            "POLYGON((0 0,4 0,4 2,0 2,0 0),(1 1,2 1,2 1.5,1 1))",
            "POLYGON ((0 0, 4 0, 4 2))",
            "POLYGON ((1e2 -3.5E-1, 7 8, 9 10, 1e2 -3.5E-1))",
            "POLYGON ((+1 .5, 2. -0, 3.25e+1 4, +1 .5))",
            "POLYGON ((1-2 3, 4 5, 6 7, 1-2 3))",
            "POLYGON ((1e 3, 4 5, 6 7, 1e 3))",
            "POLYGON ((0.1000000000000000055511151231257827021181583404541015625 2, 4 5, 6 7, 1 3))",
        ]
        .map(String::from)
        .to_vec();
        // Numbers of every length, written the ways a float can be (shortest, fixed, exponent,
        // more digits than a double holds).
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(9);
        for _ in 0..2000 {
            use rand::Rng;
            let mut number = || {
                let v: f64 =
                    rng.random_range(-1000.0..1000.0) * 10f64.powi(rng.random_range(-8..8));
                match rng.random_range(0..5) {
                    0 => format!("{v}"),
                    1 => format!("{v:.3}"),
                    2 => format!("{v:e}"),
                    3 => format!("{v:.30}"),
                    _ => format!("{}", v.round()),
                }
            };
            let ring: Vec<String> = (0..4)
                .map(|_| format!("{} {}", number(), number()))
                .collect();
            texts.push(format!("POLYGON (({}, {}))", ring.join(", "), ring[0]));
        }
        // Every pixel polygon of SpaceNet's own sample CSVs.
        for file in ["SN2_sample_truth.csv", "SN2_sample_preds.csv"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/data/spacenet")
                .join(file);
            let mut reader = csv::Reader::from_path(&path).expect("the SpaceNet sample CSVs");
            for row in reader.records() {
                let row = row.expect("a CSV row");
                texts.push(row[2].to_string());
            }
        }
        let mut direct = 0;
        for text in &texts {
            if let Some(polygon) = parse_plain_polygon(text.as_bytes()) {
                direct += 1;
                assert_eq!(Some(MultiPolygon(vec![polygon])), by_crate(text), "{text}");
            }
        }
        assert!(
            direct >= texts.len() - 10,
            "{direct} of {} read directly",
            texts.len()
        );
        // A point written as the first one takes its value; one that only begins the same way
        // is read (the fourth point: geo closes a ring left open).
        for (text, last) in [
            ("POLYGON ((1 2, 3 4, 5 6, 1 23))", Some((1.0, 23.0))),
            ("POLYGON ((1 2, 3 4, 5 6, 1 2e1))", Some((1.0, 20.0))),
            ("POLYGON ((1 2, 3 4, 5 6, 1 2.5 ))", Some((1.0, 2.5))),
            ("POLYGON ((1 2, 3 4, 5 6, 1 2 ))", Some((1.0, 2.0))),
            (
                "POLYGON ((1 2 0, 3 4 0, 5 6 0, 1 2 0), (1 2 0, 2 2 0, 2 3 0, 1 2 0))",
                Some((1.0, 2.0)),
            ),
            ("POLYGON ((1 2, 3 4, 5 6, 1 2 7))", None),
        ] {
            let direct = parse_plain_polygon(text.as_bytes());
            let end = direct
                .as_ref()
                .and_then(|p| p.exterior().0.get(3))
                .map(|c| (c.x, c.y));
            assert_eq!(end, last, "{text}");
            if let Some(polygon) = direct {
                assert_eq!(Some(MultiPolygon(vec![polygon])), by_crate(text), "{text}");
            }
        }
        // What it leaves to the crate.
        for text in [
            "POLYGON EMPTY",
            "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))",
            "POLYGON Z ((0 0 0, 1 0 0, 1 1 0, 0 0 0))",
            "POLYGON ((0 0, 1 0 0, 1 1, 0 0))",
            "POLYGON ((0 0, 1 NaN, 1 1, 0 0))",
            "POLYGON ((0 0, 1 0, 1 1, 0 0)",
            "POLYGON ((0 0 0 0 0, 1 0 0 0 0, 1 1 0 0 0, 0 0 0 0 0))",
            "POLYGON (())",
            "POLYGON ((0 0 abc, 1 0 abc, 1 1 abc, 0 0 abc))",
        ] {
            assert_eq!(parse_plain_polygon(text.as_bytes()), None, "{text}");
        }
    }
}
