//! Rasterizing and vectorizing against rasterio on the SpaceNet sample tile.

use sarscope::eval::iou;
use sarscope::io::{parse_polygon_wkt, pixel_from_world, read_footprints_geojson};
use sarscope::raster::Scene;
use sarscope::vector::{VectorizeParams, rasterize, vectorize};
use serde_json::Value;

use crate::common::{fixture, shared_data};

/// rasterio's mask of the same labels: 900x900, 255 inside.
fn golden_mask() -> Vec<bool> {
    let scene = Scene::open(shared_data("spacenet/sample_fp_mask_from_geojson.tif")).unwrap();
    scene.read_full().unwrap().bands[0]
        .iter()
        .map(|v| *v > 0.0)
        .collect()
}

#[test]
fn rasterizing_the_labels_equals_rasterio_pixel_for_pixel() {
    let labels = read_footprints_geojson(&shared_data("spacenet/geotiff_labels.geojson")).unwrap();
    assert_eq!(labels.epsg, 32616);
    assert_eq!(labels.polygons.len(), 43);
    let scene = Scene::open(shared_data("spacenet/sample_geotiff.tif")).unwrap();
    let pixel = pixel_from_world(&labels.polygons, &scene.geo_transform().unwrap()).unwrap();
    let ours = rasterize(&pixel, scene.width(), scene.height());
    let theirs = golden_mask();
    assert_eq!(ours.iter().filter(|v| **v).count(), 33_818);
    let differing = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0);
}

#[test]
fn vectorizing_the_mask_gives_rasterios_polygons() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("vector_golden.json")).unwrap())
            .unwrap();
    let expected = golden["buildings"].as_array().unwrap();
    let probs: Vec<f32> = golden_mask()
        .iter()
        .map(|&m| if m { 1.0 } else { 0.0 })
        .collect();
    for simplify in [0.0, 0.5] {
        let params = VectorizeParams {
            threshold: 0.5,
            min_area: 1,
            simplify,
        };
        let ours = vectorize(&probs, 900, 900, params);
        assert_eq!(ours.len(), expected.len());
        for want in expected {
            let theirs = parse_polygon_wkt(want["wkt"].as_str().unwrap()).unwrap();
            let b: Vec<f64> = want["bounds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            // Pair by the top-left corner of the bounding box.
            let mine = ours
                .iter()
                .find(|f| {
                    let ext = &f.polygon.exterior().0;
                    let min_x = ext.iter().map(|c| c.x).fold(f64::INFINITY, f64::min);
                    let min_y = ext.iter().map(|c| c.y).fold(f64::INFINITY, f64::min);
                    (min_x - b[0]).abs() < 0.51 && (min_y - b[1]).abs() < 0.51
                })
                .unwrap_or_else(|| panic!("no polygon at {b:?}"));
            let mine_mp = geo::MultiPolygon(vec![mine.polygon.clone()]);
            if simplify == 0.0 {
                // Pixel-edge outlines: the very same polygon.
                assert_eq!(mine.area_px, want["area"].as_f64().unwrap(), "{b:?}");
                assert!(iou(&mine_mp, &theirs) >= 0.999, "{b:?}");
            } else {
                // geo's Douglas-Peucker against shapely's topology-preserving one.
                let area = want["simplified_area"].as_f64().unwrap();
                assert!(
                    (mine.area_px - area).abs() <= 0.02 * area,
                    "{b:?}: {} vs {area}",
                    mine.area_px
                );
                assert!(iou(&mine_mp, &theirs) >= 0.97, "{b:?}");
            }
        }
    }
}

#[test]
fn bad_geojson_is_reported_with_the_file_and_feature() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "point.geojson",
            r#"{"type": "Point", "coordinates": [1, 2]}"#,
            "not a FeatureCollection",
        ),
        ("text.geojson", "hello", "not GeoJSON"),
        (
            "line.geojson",
            r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}]}"#,
            "feature 0 is not a polygon",
        ),
        (
            "crs.geojson",
            r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "my local grid"}}, "features": []}"#,
            "unknown CRS",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = read_footprints_geojson(&path).unwrap_err().to_string();
        assert!(
            err.contains(name) && err.contains(expected),
            "{name}: {err}"
        );
    }
}

#[test]
fn wgs84_labels_are_reprojected_onto_the_scene_grid() {
    // The same labels as RFC 7946 GeoJSON (made by tests/fixtures/make_wgs84_labels.sh).
    let labels = read_footprints_geojson(&fixture("geotiff_labels_wgs84.geojson")).unwrap();
    assert_eq!(labels.epsg, 4326);
    let scene = Scene::open(shared_data("spacenet/sample_geotiff.tif")).unwrap();
    let utm = sarscope::io::reproject(&labels.polygons, 4326, &scene.crs().unwrap().wkt).unwrap();
    let pixel = pixel_from_world(&utm, &scene.geo_transform().unwrap()).unwrap();
    let ours = rasterize(&pixel, scene.width(), scene.height());
    // Seven decimals of a degree are about a centimetre (0.02 px): only pixels whose centre
    // lies that close to an edge may change side.
    let differing = ours
        .iter()
        .zip(&golden_mask())
        .filter(|(a, b)| a != b)
        .count();
    assert!(differing <= 10, "{differing} pixels differ");
    // A wrong axis order or CRS would put them off the tile entirely.
    assert!(ours.iter().filter(|v| **v).count() > 33_000);
}
