//! WKT polygons as the SpaceNet CSVs write them (Z coordinates allowed and dropped).

use geo::{Geometry, MultiPolygon};

/// WKT of a multipolygon (`MULTIPOLYGON (((...)))`).
pub fn multipolygon_wkt(polygon: &MultiPolygon<f64>) -> String {
    use wkt::ToWkt;
    polygon.wkt_string()
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
pub fn parse_polygon_wkt(text: &str) -> Result<MultiPolygon<f64>, String> {
    let text = with_dimension_tag(text.trim());
    let wkt: wkt::Wkt<f64> = text.parse().map_err(|e| format!("bad WKT: {e}"))?;
    let geometry: Geometry<f64> = wkt.try_into().map_err(|e| format!("bad WKT: {e}"))?;
    match geometry {
        Geometry::Polygon(p) if p.exterior().0.is_empty() => Ok(MultiPolygon(vec![])),
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        Geometry::MultiPolygon(mp) => Ok(mp),
        Geometry::GeometryCollection(gc) if gc.0.is_empty() => Ok(MultiPolygon(vec![])),
        other => Err(format!(
            "expected a POLYGON or MULTIPOLYGON, found a {}",
            geometry_name(&other)
        )),
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

fn geometry_name(g: &Geometry<f64>) -> &'static str {
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
