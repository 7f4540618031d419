//! The SpaceNet CSV: `ImageId,TileBuildingId,PolygonWKT_Pix`, one row per footprint in pixel
//! coordinates, and one `POLYGON EMPTY` row for an image without buildings.

use std::fmt::Write as _;
use std::path::Path;

use geo::Polygon;

use super::IoError;

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
