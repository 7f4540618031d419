//! A set of footprints of one scene, in pixels or a CRS, and what moves it between the two
//! (the scene's grid), into longitude/latitude, or into another CRS.

use geo::MultiPolygon;

use super::PlaceError;
use super::geojson_in::{pixel_from_world, reproject, world_from_pixel};
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
    pub fn into_pixel(mut self, grid: &SceneGrid) -> Result<Self, PlaceError> {
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
            .ok_or(PlaceError::NotInvertible)?;
        for (f, p) in self.items.iter_mut().zip(pixel) {
            f.polygon = p;
        }
        self.space = Space::Pixel;
        Ok(self)
    }

    /// The same footprints in longitude/latitude (WGS 84, RFC 7946's CRS).
    pub fn into_wgs84(mut self) -> Result<Self, PlaceError> {
        let Space::World { epsg } = self.space else {
            return Err(PlaceError::PixelsNeedScene);
        };
        let from = epsg.ok_or(PlaceError::UnknownCrs)?;
        if from == 4326 {
            return Ok(self);
        }
        let wgs84 = gdal::spatial_ref::SpatialRef::from_epsg(4326)
            .and_then(|s| s.to_wkt())
            .map_err(|e| PlaceError::epsg(4326, &e))?;
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
