//! The real sample files, against what GDAL itself reports for them
//! (tests/fixtures/raster_golden.json, made by tests/fixtures/make_raster_golden.py).

use sarscope::raster::{Polarization, RoleSource, Scene, Window};
use serde_json::Value;

use crate::common::{assert_close, fixture, shared_data};

/// Moments and percentiles match to 1e-6 relative: GDAL prints its statistics with 14
/// significant digits, our values are float32 (complex bands: float64 intensity rounded to
/// float32, 6e-8 relative) summed in float64, so anything above 1e-6 is a real difference.
const REL: f64 = 1e-6;

fn golden() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture("raster_golden.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["scenes"].as_array().unwrap().clone()
}

fn open(scene: &Value) -> Scene {
    let paths: Vec<_> = scene["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| shared_data(f.as_str().unwrap()))
        .collect();
    Scene::open_many(&paths).unwrap()
}

#[test]
fn every_sample_scene_matches_gdal() {
    for want in golden() {
        let scene = open(&want);
        let name = want["files"].to_string();
        assert_eq!(
            scene.width() as u64,
            want["size"][0].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            scene.height() as u64,
            want["size"][1].as_u64().unwrap(),
            "{name}"
        );
        let bands = want["bands"].as_array().unwrap();
        assert_eq!(scene.band_count(), bands.len(), "{name}");
        assert_eq!(
            scene.crs().and_then(|c| c.epsg).map(u64::from),
            want["epsg"].as_u64(),
            "{name}"
        );
        if let Some(crs) = scene.crs() {
            assert_eq!(
                crs.epsg_identified,
                want["epsg_identified"].as_bool().unwrap(),
                "{name}"
            );
        }
        match want["geo_transform"].as_array() {
            Some(gt) => {
                let ours = scene.geo_transform().expect("a geotransform").0;
                for (o, g) in ours.iter().zip(gt) {
                    assert_close(*o, g.as_f64().unwrap(), 1e-12, 1.0, &name);
                }
            }
            None => assert!(scene.geo_transform().is_none(), "{name}"),
        }
        let stats = scene.stats().unwrap();
        for (i, (band, (info, s))) in bands
            .iter()
            .zip(scene.bands().iter().zip(stats))
            .enumerate()
        {
            let what = format!("{name} band {}", i + 1);
            assert_eq!(info.stored_type, band["type"].as_str().unwrap(), "{what}");
            assert_eq!(info.nodata, band["nodata"].as_f64(), "{what}");
            assert_eq!(
                info.complex.and_then(|c| c.scale),
                band["scale_factor"].as_f64(),
                "{what}"
            );
            assert!(!s.approximate, "{what}");
            assert_eq!(s.pixels, band["pixels"].as_u64().unwrap(), "{what}");
            assert_eq!(s.valid, band["valid"].as_u64().unwrap(), "{what}");
            assert_eq!(s.non_finite, band["non_finite"].as_u64().unwrap(), "{what}");
            for key in ["min", "max", "mean", "std"] {
                let got = match key {
                    "min" => s.min,
                    "max" => s.max,
                    "mean" => s.mean,
                    _ => s.std,
                };
                assert_close(
                    got.unwrap(),
                    band[key].as_f64().unwrap(),
                    REL,
                    1e-9,
                    &format!("{what} {key}"),
                );
            }
            for (p, v) in band["percentiles"].as_object().unwrap() {
                let p: f64 = p.parse().unwrap();
                assert_close(
                    s.percentile(p).unwrap(),
                    v.as_f64().unwrap(),
                    REL,
                    1e-9,
                    &format!("{what} p{p}"),
                );
            }
        }
    }
}

#[test]
fn capella_quad_pol_file_takes_the_sn6_band_order() {
    let scene = Scene::open(shared_data("capella/sar_masked.tif")).unwrap();
    let roles: Vec<_> = scene.bands().iter().map(|b| b.role).collect();
    assert_eq!(roles, Polarization::SN6_ORDER.map(Some).to_vec());
    assert!(
        scene
            .bands()
            .iter()
            .all(|b| b.role_source == Some(RoleSource::Sn6Order))
    );
    assert!(scene.is_quad_pol());
    assert!(!scene.geo_transform().unwrap().is_rotated());
    // 39 % NaN outside the radar footprint, no nodata tag: the mask must come from NaN alone.
    let planes = scene.read_full().unwrap();
    assert_eq!(planes.valid_count(), 24339);
}

#[test]
fn four_slc_chips_form_one_intensity_scene_on_a_rotated_grid() {
    let paths: Vec<_> = ["hh", "hv", "vh", "vv"]
        .iter()
        .map(|p| shared_data(&format!("capella/sar_{p}.tif")))
        .collect();
    let scene = Scene::open_many(&paths).unwrap();
    assert_eq!(scene.band_count(), 4);
    let roles: Vec<_> = scene
        .bands()
        .iter()
        .map(|b| (b.role, b.role_source))
        .collect();
    for (role, pol) in roles.iter().zip(Polarization::SN6_ORDER) {
        assert_eq!(*role, (Some(pol), Some(RoleSource::FileName)));
    }
    assert!(scene.bands().iter().all(|b| b.complex.is_some()));
    assert!(scene.geo_transform().unwrap().is_rotated());
    // Intensity is non-negative and co-pol carries more power than cross-pol here.
    let planes = scene.read_full().unwrap();
    assert!(planes.bands.iter().flatten().all(|v| *v >= 0.0));
    let mean = |b: usize| planes.bands[b].iter().map(|v| f64::from(*v)).sum::<f64>() / 40000.0;
    assert!(mean(0) > mean(1) && mean(3) > mean(2));
}

#[test]
fn windows_equal_the_same_pixels_of_the_whole_read() {
    // Pixel-interleaved float32 with NaN, and band-separate uint16.
    for rel in ["capella/sar_masked.tif", "spacenet/sample_geotiff.tif"] {
        let scene = Scene::open(shared_data(rel)).unwrap();
        let full = scene.read_full().unwrap();
        let w = Window {
            x: 37,
            y: 61,
            width: 50,
            height: 23,
        };
        let part = scene.read_window(w, (w.width, w.height)).unwrap();
        for band in 0..scene.band_count() {
            for y in 0..w.height {
                for x in 0..w.width {
                    let a = part.get(band, x, y).unwrap();
                    let b = full.get(band, x + w.x, y + w.y).unwrap();
                    assert!(
                        a == b || (a.is_nan() && b.is_nan()),
                        "{rel} band {band} ({x},{y})"
                    );
                }
            }
        }
        // A decimated read has the asked size.
        let small = scene.read_window(scene.full_window(), (20, 10)).unwrap();
        assert_eq!(
            (small.width, small.height, small.bands[0].len()),
            (20, 10, 200)
        );
    }
}

#[test]
fn world_and_pixel_coordinates_agree_with_gdal_corners() {
    // gdalinfo: Lower Right (593217.803, 5749202.219) for the 200x200 sar_masked.tif.
    let scene = Scene::open(shared_data("capella/sar_masked.tif")).unwrap();
    let gt = scene.geo_transform().unwrap();
    let [x, y] = gt.world_from_pixel([200.0, 200.0]);
    assert!(
        (x - 593217.803).abs() < 0.001 && (y - 5749202.219).abs() < 0.001,
        "{x} {y}"
    );
}
