//! Georeferencing: the affine pixel <-> world transform (rotations included) and the CRS.

use serde::Serialize;

/// GDAL's affine geotransform `[x0, dx/dcol, dx/drow, y0, dy/dcol, dy/drow]`.
///
/// Pixel coordinates are continuous: `(0, 0)` is the top-left corner of the top-left pixel and
/// `(0.5, 0.5)` its centre.
///
/// ```
/// use sarscope::raster::GeoTransform;
/// let gt = GeoTransform([500_000.0, 0.5, 0.0, 5_750_000.0, 0.0, -0.5]);
/// assert_eq!(gt.world_from_pixel([10.0, 20.0]), [500_005.0, 5_749_990.0]);
/// assert_eq!(gt.pixel_from_world([500_005.0, 5_749_990.0]), Some([10.0, 20.0]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GeoTransform(pub [f64; 6]);

impl GeoTransform {
    /// North-up transform with square pixels of `pixel_size` CRS units.
    pub fn north_up(origin_x: f64, origin_y: f64, pixel_size: f64) -> Self {
        Self([origin_x, pixel_size, 0.0, origin_y, 0.0, -pixel_size])
    }

    pub fn world_from_pixel(&self, p_pixel: [f64; 2]) -> [f64; 2] {
        let [x0, a, b, y0, d, e] = self.0;
        let [col, row] = p_pixel;
        [x0 + a * col + b * row, y0 + d * col + e * row]
    }

    /// The inverse transform; `None` when the transform is degenerate (zero determinant).
    pub fn pixel_from_world(&self, p_world: [f64; 2]) -> Option<[f64; 2]> {
        let [x0, a, b, y0, d, e] = self.0;
        let det = a * e - b * d;
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (dx, dy) = (p_world[0] - x0, p_world[1] - y0);
        Some([(e * dx - b * dy) / det, (a * dy - d * dx) / det])
    }

    /// True when rows or columns are not aligned with the CRS axes.
    pub fn is_rotated(&self) -> bool {
        self.0[2] != 0.0 || self.0[4] != 0.0
    }

    /// Ground area of one pixel in CRS units squared (m^2 in a metric CRS).
    pub fn pixel_area(&self) -> f64 {
        let [_, a, b, _, d, e] = self.0;
        (a * e - b * d).abs()
    }

    /// Ground size of one pixel step along a column and along a row, in CRS units.
    pub fn pixel_size(&self) -> (f64, f64) {
        let [_, a, b, _, d, e] = self.0;
        (a.hypot(d), b.hypot(e))
    }
}

/// A coordinate reference system as GDAL describes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crs {
    /// WKT2 as GDAL exports it.
    pub wkt: String,
    /// The EPSG code when the file names one or GDAL identifies one.
    pub epsg: Option<u32>,
    /// True when `epsg` was identified by GDAL from the definition rather than stated by the file.
    pub epsg_identified: bool,
    pub name: Option<String>,
}

impl Crs {
    pub(crate) fn from_spatial_ref(srs: &gdal::spatial_ref::SpatialRef) -> Option<Self> {
        let wkt = srs.to_wkt().ok()?;
        if wkt.trim().is_empty() {
            return None;
        }
        let stated = epsg_of(srs);
        // Identify on a copy of GDAL's own object: its WKT export loses what GDAL needs.
        let identified = if stated.is_none() {
            let mut copy = srs.clone();
            copy.auto_identify_epsg().ok().and_then(|()| epsg_of(&copy))
        } else {
            None
        };
        Some(Self {
            wkt,
            epsg: stated.or(identified),
            epsg_identified: stated.is_none() && identified.is_some(),
            name: srs.name(),
        })
    }

    /// The CRS of an EPSG code, e.g. 32631 (WGS 84 / UTM zone 31N, the SpaceNet 6 CRS).
    pub fn from_epsg(code: u32) -> Option<Self> {
        let srs = gdal::spatial_ref::SpatialRef::from_epsg(code).ok()?;
        Self::from_spatial_ref(&srs)
    }
}

fn epsg_of(srs: &gdal::spatial_ref::SpatialRef) -> Option<u32> {
    let is_epsg = srs
        .auth_name()
        .is_some_and(|name| name.eq_ignore_ascii_case("EPSG"));
    if !is_epsg {
        return None;
    }
    srs.auth_code()
        .ok()
        .and_then(|code| u32::try_from(code).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_transform_round_trips() {
        // The geotransform of the Capella SLC chips in shared/data (rotated by about 90.65 degrees).
        let gt = GeoTransform([
            593124.119663189,
            -0.0285696298583716,
            -2.4998367499198335,
            5749208.249577077,
            2.4998367499198335,
            -0.0285696298583716,
        ]);
        assert!(gt.is_rotated());
        let p_pixel = [123.25, 45.5];
        let p_world = gt.world_from_pixel(p_pixel);
        let back = gt.pixel_from_world(p_world).unwrap();
        assert!((back[0] - p_pixel[0]).abs() < 1e-9 && (back[1] - p_pixel[1]).abs() < 1e-9);
        let (sx, sy) = gt.pixel_size();
        assert!((sx - 2.5).abs() < 1e-3 && (sy - 2.5).abs() < 1e-3);
    }

    #[test]
    fn degenerate_transform_has_no_inverse() {
        assert_eq!(GeoTransform([0.0; 6]).pixel_from_world([1.0, 1.0]), None);
    }
}

/// Longitude/latitude (WGS 84) of points in a CRS, through GDAL's OSR; built once per scene.
pub struct ToLonLat {
    transform: gdal::spatial_ref::CoordTransform,
}

impl ToLonLat {
    /// `None` when GDAL cannot transform from `crs` (e.g. a local engineering CRS).
    pub fn new(crs: &Crs) -> Option<Self> {
        use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
        let mut source = SpatialRef::from_wkt(&crs.wkt).ok()?;
        let mut target = SpatialRef::from_epsg(4326).ok()?;
        source.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        Some(Self {
            transform: CoordTransform::new(&source, &target).ok()?,
        })
    }

    /// `[longitude, latitude]` in degrees.
    pub fn lon_lat(&self, p_world: [f64; 2]) -> Option<[f64; 2]> {
        let (mut x, mut y, mut z) = ([p_world[0]], [p_world[1]], [0.0]);
        self.transform
            .transform_coords(&mut x, &mut y, &mut z)
            .ok()?;
        Some([x[0], y[0]])
    }
}

#[cfg(test)]
mod lon_lat_tests {
    use super::*;

    #[test]
    fn utm_31n_to_lon_lat_matches_gdaltransform() {
        // echo "590000 5752000" | gdaltransform -s_srs EPSG:32631 -t_srs EPSG:4326 -output_xy
        // -> 4.30843486938881 51.911464558514
        let crs = Crs::from_epsg(32631).unwrap();
        let [lon, lat] = ToLonLat::new(&crs)
            .unwrap()
            .lon_lat([590_000.0, 5_752_000.0])
            .unwrap();
        assert!((lon - 4.308_434_869).abs() < 1e-8 && (lat - 51.911_464_559).abs() < 1e-8);
    }
}
