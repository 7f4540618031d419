//! Footprints in a GeoPackage or FlatGeobuf file through GDAL/OGR (one polygon layer,
//! `footprints`), so QGIS opens them directly.

use std::path::Path;

use gdal::vector::{
    FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{Dataset, DriverManager};
use geo::MultiPolygon;

use super::IoError;
use super::set::{Footprint, Footprints, Space};

const LAYER: &str = "footprints";

fn format_error(path: &Path, what: &str, e: impl std::fmt::Display) -> IoError {
    IoError::Format {
        path: path.to_path_buf(),
        reason: format!("{what}: {e}"),
    }
}

/// Writes world-space footprints to a new GeoPackage at `path` (which must not exist), in one
/// transaction.
pub fn write_gpkg(path: &Path, set: &Footprints) -> Result<(), IoError> {
    write_ogr(path, set, "GPKG")
}

/// Writes world-space footprints to a new FlatGeobuf file at `path` (which must not exist),
/// with its spatial index.
pub fn write_flatgeobuf(path: &Path, set: &Footprints) -> Result<(), IoError> {
    write_ogr(path, set, "FlatGeobuf")
}

/// Footprints through the OGR driver `driver`: one polygon layer, `footprints`, with id,
/// source, confidence, area, IoU, and the image id where the footprints have one.
fn write_ogr(path: &Path, set: &Footprints, driver: &str) -> Result<(), IoError> {
    let fail = |what: &str, e: gdal::errors::GdalError| {
        format_error(path, what, crate::raster::gdal_reason(&e))
    };
    let Space::World { epsg } = set.space else {
        return Err(format_error(
            path,
            driver,
            "footprints in pixel space need --scene",
        ));
    };
    let ogr = DriverManager::get_driver_by_name(driver)
        .map_err(|e| fail(&format!("{driver} driver"), e))?;
    let mut dataset = ogr
        .create_vector_only(path)
        .map_err(|e| fail("creating", e))?;
    let srs = epsg
        .map(gdal::spatial_ref::SpatialRef::from_epsg)
        .transpose()
        .map_err(|e| fail("CRS", e))?;
    // A GeoPackage is written in one transaction (FlatGeobuf has none: it is written whole,
    // then renamed into place by the caller).
    if driver == "GPKG" {
        let mut txn = dataset
            .start_transaction()
            .map_err(|e| fail("transaction", e))?;
        fill_layer(&mut txn, set, srs.as_ref()).map_err(|(w, e)| fail(&w, e))?;
        txn.commit().map_err(|e| fail("commit", e))?;
    } else {
        fill_layer(&mut dataset, set, srs.as_ref()).map_err(|(w, e)| fail(&w, e))?;
    }
    Ok(())
}

/// The footprints layer of `set` in `dataset`; on failure, what failed and GDAL's error.
fn fill_layer(
    dataset: &mut Dataset,
    set: &Footprints,
    srs: Option<&gdal::spatial_ref::SpatialRef>,
) -> Result<(), (String, gdal::errors::GdalError)> {
    let at = |what: &str| {
        let what = what.to_string();
        move |e| (what, e)
    };
    let layer = dataset
        .create_layer(LayerOptions {
            name: LAYER,
            srs,
            ty: OGRwkbGeometryType::wkbMultiPolygon,
            options: None,
        })
        .map_err(at("layer"))?;
    let with_image = set.items.iter().any(|f| f.image_id.is_some());
    let mut fields = vec![
        ("id", OGRFieldType::OFTString),
        ("source", OGRFieldType::OFTString),
        ("confidence", OGRFieldType::OFTReal),
        ("area_m2", OGRFieldType::OFTReal),
        ("iou", OGRFieldType::OFTReal),
    ];
    if with_image {
        fields.push(("image_id", OGRFieldType::OFTString));
    }
    for (name, ty) in fields {
        FieldDefn::new(name, ty)
            .and_then(|f| f.add_to_layer(&layer))
            .map_err(at("field"))?;
    }
    let defn = layer.defn();
    let index = |name: &str| defn.field_index(name).map_err(at(name));
    let (i_id, i_source, i_conf, i_area, i_iou) = (
        index("id")?,
        index("source")?,
        index("confidence")?,
        index("area_m2")?,
        index("iou")?,
    );
    let i_image = if with_image {
        Some(index("image_id")?)
    } else {
        None
    };
    for f in &set.items {
        let geometry: Geometry = f
            .polygon
            .to_gdal()
            .map_err(at(&format!("footprint {}", f.id)))?;
        let mut feature = gdal::vector::Feature::new(defn).map_err(at("feature"))?;
        feature
            .set_geometry(geometry)
            .and_then(|_| feature.set_field_string(i_id, &f.id))
            .and_then(|_| feature.set_field_string(i_source, &f.source))
            .map_err(at("feature"))?;
        for (i, value) in [(i_conf, f.confidence), (i_area, f.area_m2), (i_iou, f.iou)] {
            match value {
                Some(v) => feature.set_field_double(i, v),
                None => feature.set_field_null(i),
            }
            .map_err(at("feature"))?;
        }
        if let Some(i) = i_image {
            match &f.image_id {
                Some(id) => feature.set_field_string(i, id),
                None => feature.set_field_null(i),
            }
            .map_err(at("feature"))?;
        }
        feature.create(&layer).map_err(at("feature"))?;
    }
    Ok(())
}

/// Reads the first layer of a GeoPackage (or any OGR vector file) as world-space footprints.
pub fn read_gpkg(path: &Path) -> Result<Footprints, IoError> {
    let fail = |what: &str, e: gdal::errors::GdalError| {
        format_error(path, what, crate::raster::gdal_reason(&e))
    };
    let dataset = Dataset::open(path).map_err(|e| fail("opening", e))?;
    let mut layer = dataset.layer(0).map_err(|e| fail("no layer", e))?;
    let epsg = layer
        .spatial_ref()
        .and_then(|s| s.auth_code().ok())
        .and_then(|c| u32::try_from(c).ok());
    let defn = layer.defn();
    let has = |name: &str| defn.field_index(name).ok();
    let (i_id, i_source, i_conf, i_area, i_iou, i_image) = (
        has("id"),
        has("source"),
        has("confidence"),
        has("area_m2"),
        has("iou"),
        has("image_id"),
    );
    let mut items = Vec::new();
    for (n, feature) in layer.features().enumerate() {
        let geometry = feature
            .geometry()
            .ok_or_else(|| format_error(path, &format!("feature {n}"), "no geometry"))?;
        let polygon: MultiPolygon<f64> = match geometry
            .to_geo()
            .map_err(|e| fail(&format!("feature {n}"), e))?
        {
            geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => {
                return Err(format_error(path, &format!("feature {n}"), "not a polygon"));
            }
        };
        let string = |i: Option<usize>| i.and_then(|i| feature.field_as_string(i).ok().flatten());
        let double = |i: Option<usize>| i.and_then(|i| feature.field_as_double(i).ok().flatten());
        items.push(Footprint {
            id: string(i_id).unwrap_or_else(|| n.to_string()),
            source: string(i_source).unwrap_or_else(|| "imported".into()),
            confidence: double(i_conf),
            area_m2: double(i_area),
            iou: double(i_iou),
            image_id: string(i_image),
            polygon,
        });
    }
    Ok(Footprints {
        items,
        space: Space::World { epsg },
        image_id: None,
    })
}
