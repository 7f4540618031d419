//! Polygons onto a pixel grid with the pixel-centre rule (GDAL's and rasterio's default).

use geo::{Coord, MultiPolygon};

/// Burns `polygons` (pixel coordinates) onto a `width` x `height` grid: a pixel is set when
/// its centre lies inside a polygon (even-odd over each polygon's rings, so holes stay clear).
///
/// ```
/// use geo::{MultiPolygon, polygon};
/// let square = MultiPolygon(vec![polygon![(x: 1.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 4.0), (x: 1.0, y: 4.0)]]);
/// let mask = sarscope::vector::rasterize(&[square], 5, 5);
/// assert_eq!(mask.iter().filter(|v| **v).count(), 6); // 2 columns x 3 rows
/// assert!(mask[1 * 5 + 1] && !mask[0]);
/// ```
pub fn rasterize(polygons: &[MultiPolygon<f64>], width: usize, height: usize) -> Vec<bool> {
    let mut mask = vec![false; width * height];
    let mut crossings: Vec<f64> = Vec::new();
    for multi in polygons {
        for polygon in &multi.0 {
            let rings: Vec<&[Coord<f64>]> = std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(|r| r.0.as_slice())
                .collect();
            let (y_lo, y_hi) = rings
                .iter()
                .flat_map(|r| r.iter())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                    (lo.min(c.y), hi.max(c.y))
                });
            if !y_lo.is_finite() || !y_hi.is_finite() {
                continue;
            }
            let row_first = (y_lo - 0.5).ceil().max(0.0) as usize;
            let row_end = ((y_hi - 0.5).ceil().max(0.0) as usize).min(height);
            for row in row_first..row_end {
                let yc = row as f64 + 0.5;
                crossings.clear();
                for ring in &rings {
                    for edge in ring.windows(2) {
                        let (Some(p), Some(q)) = (edge.first(), edge.get(1)) else {
                            continue;
                        };
                        if (p.y <= yc) != (q.y <= yc) {
                            crossings.push(p.x + (yc - p.y) * (q.x - p.x) / (q.y - p.y));
                        }
                    }
                }
                crossings.sort_by(f64::total_cmp);
                for pair in crossings.chunks_exact(2) {
                    let (Some(&x0), Some(&x1)) = (pair.first(), pair.get(1)) else {
                        continue;
                    };
                    let first = (x0 - 0.5).ceil().max(0.0) as usize;
                    let end = ((x1 - 0.5).ceil().max(0.0) as usize).min(width);
                    for col in first..end {
                        if let Some(v) = mask.get_mut(row * width + col) {
                            *v = true;
                        }
                    }
                }
            }
        }
    }
    mask
}
