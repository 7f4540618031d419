//! `sarscope export` between GeoJSON, GeoPackage and SpaceNet CSV on SpaceNet's sample labels,
//! checked with GDAL's own tools (ogrinfo, ogr2ogr) where an independent reader helps.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use geo::{Area, BooleanOps, MultiPolygon};
use sarscope::io::{Space, read_footprints};

use crate::common::{sarscope, shared_data, text};

fn export(input: &Path, out: &Path, scene: Option<&Path>) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("export"),
        OsStr::new("--in"),
        input.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ];
    if let Some(s) = scene {
        args.push(OsStr::new("--scene"));
        args.push(s.as_os_str());
    }
    sarscope(&args)
}

fn iou(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let inter = a.intersection(b).unsigned_area();
    let union = a.unsigned_area() + b.unsigned_area() - inter;
    inter / union
}

/// Every footprint of `a` matches the one at the same place in `b` with IoU >= 0.9999 (the
/// CSV keeps 15+ significant digits; the pixel <-> CRS round trip loses ~1e-9 m).
fn assert_same(a: &[MultiPolygon<f64>], b: &[MultiPolygon<f64>], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: footprint count");
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        let v = iou(p, q);
        assert!(v >= 0.9999, "{what}: footprint {i} IoU {v}");
    }
}

fn polygons(path: &Path) -> (Vec<MultiPolygon<f64>>, Space) {
    let set = read_footprints(path).unwrap();
    (
        set.items.into_iter().map(|f| f.polygon).collect(),
        set.space,
    )
}

#[test]
fn geojson_to_geopackage_to_csv_to_geojson_keeps_every_footprint() {
    let dir = tempfile::tempdir().unwrap();
    let labels = shared_data("spacenet/geotiff_labels.geojson");
    let scene = shared_data("spacenet/sample_geotiff.tif");
    let gpkg = dir.path().join("labels.gpkg");
    let csv = dir.path().join("labels.csv");
    let back = dir.path().join("labels.geojson");

    let out = export(&labels, &gpkg, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // GDAL reads our GeoPackage as QGIS will: the layer, its CRS, every feature, the fields.
    let info = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&gpkg)
        .output()
        .expect("ogrinfo runs (Debian package gdal-bin)");
    let info = text(&info.stdout);
    let (original, _) = polygons(&labels);
    for part in [
        "Layer name: footprints".to_string(),
        format!("Feature Count: {}", original.len()),
        "ID[\"EPSG\",32616]".to_string(),
        "area_m2: Real".to_string(),
        "source: String".to_string(),
    ] {
        assert!(
            info.contains(&part),
            "{part:?} not in ogrinfo's report:\n{info}"
        );
    }

    let out = export(&gpkg, &csv, Some(&scene));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (pixels, space) = polygons(&csv);
    assert_eq!(space, Space::Pixel);
    // The labels lie on the 900x900 px scene.
    assert!(
        pixels.iter().all(|p| {
            let r = geo::BoundingRect::bounding_rect(p).unwrap();
            r.min().x >= -1.0 && r.min().y >= -1.0 && r.max().x <= 901.0 && r.max().y <= 901.0
        }),
        "pixel coordinates off the scene"
    );

    let out = export(&csv, &back, Some(&scene));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (round_trip, space) = polygons(&back);
    assert_eq!(space, Space::World { epsg: Some(32616) });
    assert_same(&original, &round_trip, "GeoJSON -> GPKG -> CSV -> GeoJSON");
}

#[test]
fn wgs84_geojson_is_reprojected_onto_the_scene() {
    let dir = tempfile::tempdir().unwrap();
    let labels = shared_data("spacenet/geotiff_labels.geojson");
    let scene = shared_data("spacenet/sample_geotiff.tif");
    // RFC 7946 longitude/latitude, made by GDAL's ogr2ogr (an independent reprojection).
    let wgs84 = dir.path().join("wgs84.geojson");
    let status = Command::new("ogr2ogr")
        .args([
            "-f",
            "GeoJSON",
            "-t_srs",
            "EPSG:4326",
            "-lco",
            "RFC7946=YES",
        ])
        .arg(&wgs84)
        .arg(&labels)
        .status()
        .expect("ogr2ogr runs (Debian package gdal-bin)");
    assert!(status.success());
    let (from_utm, from_wgs84) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    for (input, out) in [(&labels, &from_utm), (&wgs84, &from_wgs84)] {
        let o = export(input, out, Some(&scene));
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    // Ours to WGS 84 lands on GDAL's: the same polygons in longitude/latitude.
    let ours = dir.path().join("ours_wgs84.geojson");
    let o = sarscope(&[
        OsStr::new("export"),
        OsStr::new("--in"),
        labels.as_os_str(),
        OsStr::new("--out"),
        ours.as_os_str(),
        OsStr::new("--wgs84"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (mine, space) = polygons(&ours);
    assert_eq!(space, Space::World { epsg: Some(4326) });
    let raw = std::fs::read_to_string(&ours).unwrap();
    assert!(!raw.contains("\"crs\""), "RFC 7946 has no crs member");
    let (gdal, _) = polygons(&wgs84);
    assert_eq!(mine.len(), gdal.len());
    for (i, (p, q)) in mine.iter().zip(&gdal).enumerate() {
        let r = geo::BoundingRect::bounding_rect(p).unwrap();
        // Atlanta: longitude about -84.5 first, then latitude about 33.6.
        assert!(
            r.min().x > -85.0 && r.max().x < -84.0 && r.min().y > 33.0,
            "longitude first: {r:?}"
        );
        assert!(iou(p, q) >= 0.995, "footprint {i}: IoU {}", iou(p, q));
    }

    // RFC7946 output rounds to 7 decimals (~1 cm): IoU of a ~10 m building stays > 0.999.
    let (a, _) = polygons(&from_utm);
    let (b, _) = polygons(&from_wgs84);
    assert_eq!(a.len(), b.len());
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        let v = iou(p, q);
        assert!(v >= 0.995, "footprint {i}: IoU {v}");
    }
}

#[test]
fn a_prediction_csv_of_many_images_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let preds = shared_data("spacenet/SN2_sample_preds.csv");
    let copy = dir.path().join("preds.csv");
    let out = export(&preds, &copy, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let a = sarscope::io::read_spacenet_csv(&preds).unwrap();
    let b = sarscope::io::read_spacenet_csv(&copy).unwrap();
    let a: Vec<_> = a.into_iter().filter(|r| !r.polygon.0.is_empty()).collect();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (&x.image_id, &x.building_id, x.confidence),
            (&y.image_id, &y.building_id, y.confidence)
        );
        assert!(iou(&x.polygon, &y.polygon) >= 0.9999);
    }
}

#[test]
fn export_refuses_what_it_cannot_do_and_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = shared_data("spacenet/SN2_sample_truth.csv");
    let out_path = dir.path().join("truth.geojson");
    let out = export(&csv, &out_path, None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--scene"), "{err}");
    assert!(!out_path.exists());

    let out = export(&csv, &dir.path().join("truth.shp"), None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains(".geojson, .csv, .gpkg, .parquet or .fgb"));

    let broken = dir.path().join("broken.geojson");
    std::fs::write(&broken, "{\"type\": \"Feature\"").unwrap();
    let out = export(&broken, &dir.path().join("x.gpkg"), None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("broken.geojson"));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only the input remains: {left:?}");

    // A folder that does not exist: the file and the system's reason, said once.
    let nowhere = dir.path().join("no such folder").join("out.geojson");
    let geojson = shared_data("spacenet/geotiff_labels.geojson");
    let out = export(&geojson, &nowhere, None);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no such folder"), "{err}");
    assert_eq!(err.matches("(os error 2)").count(), 1, "said once: {err}");
}

/// `eval` of a GeoPackage (read by GDAL and placed on the scene's grid, not read as GeoJSON):
/// a demo tile's truth exported to GeoPackage scores F1 1 against the truth itself.
#[test]
fn eval_reads_a_geopackage_as_a_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let tile = crate::common::demo_tile(dir.path());
    let truth = tile.with_extension("geojson");
    let gpkg = dir.path().join("pred.gpkg");
    let done = export(&truth, &gpkg, None);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let out = sarscope(&[
        OsStr::new("eval"),
        OsStr::new("--truth"),
        truth.as_os_str(),
        OsStr::new("--pred"),
        gpkg.as_os_str(),
        OsStr::new("--scene"),
        tile.as_os_str(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let total = stdout
        .lines()
        .find(|l| l.starts_with("total"))
        .unwrap_or_default()
        .to_string();
    let fields: Vec<&str> = total.split_whitespace().collect();
    // total, TP, FP, FN, precision, recall, F1: every building found, none extra.
    assert_eq!(fields.get(6), Some(&"1.0000"), "{stdout}");
    assert!(
        fields.get(1).and_then(|t| t.parse::<u32>().ok()) > Some(10),
        "{stdout}"
    );
}

/// `sarscope eval` of two footprint files in a projected CRS, without --scene: scored in the
/// ground truth's CRS (predictions in another CRS reprojected into it), the minimum area in
/// m^2 (80 px at SpaceNet 6's 0.5 m = 20 m^2 unless --min-area-m2 says), with the counts the
/// same files give on the scene's 0.5 m pixels. Truth in longitude/latitude is refused in
/// words: areas and IoU there are not the metric's.
#[test]
fn eval_scores_two_files_in_their_projected_crs_without_a_scene() {
    use geo::Translate;
    let dir = tempfile::tempdir().unwrap();
    let tif = crate::common::demo_tile(dir.path());
    let truth_path = tif.with_extension("geojson");
    let truth = read_footprints(&truth_path).unwrap();
    assert_eq!(truth.space, Space::World { epsg: Some(32631) });
    // Predictions: every third building moved 3 m (IoU below 0.5 for the small ones), every
    // fifth missing, one small false alarm of 16 m^2 (under the 20 m^2) and one of 40 m^2.
    let mut items: Vec<_> = truth
        .items
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 != 4)
        .map(|(i, f)| {
            let mut f = f.clone();
            if i % 3 == 0 {
                f.polygon = f.polygon.translate(3.0, 0.0);
            }
            f.confidence = Some(0.5 + (i % 7) as f64 / 14.0);
            f
        })
        .collect();
    let origin = geo::BoundingRect::bounding_rect(&truth.items[0].polygon)
        .unwrap()
        .min();
    for (side, at) in [(4.0, -60.0), (6.0 + 1.0 / 3.0, -90.0)] {
        let mut f = truth.items[0].clone();
        f.polygon = geo::MultiPolygon(vec![
            geo::Rect::new(
                geo::coord! { x: origin.x + at, y: origin.y },
                geo::coord! { x: origin.x + at + side, y: origin.y + side },
            )
            .to_polygon(),
        ]);
        f.confidence = Some(0.9);
        items.push(f);
    }
    let pred = sarscope::io::Footprints {
        items,
        space: Space::World { epsg: Some(32631) },
        image_id: None,
    };
    let utm = dir.path().join("pred_utm.geojson");
    sarscope::io::write_footprints(&utm, &pred).unwrap();
    let wgs84 = dir.path().join("pred_wgs84.geojson");
    sarscope::io::write_footprints(&wgs84, &pred.clone().into_wgs84().unwrap()).unwrap();

    let eval = |pred: &Path, scene: Option<&Path>, more: &[&str]| {
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("eval"),
            OsStr::new("--truth"),
            truth_path.as_os_str(),
            OsStr::new("--pred"),
            pred.as_os_str(),
            OsStr::new("--json"),
        ];
        if let Some(s) = scene {
            args.extend([OsStr::new("--scene"), s.as_os_str()]);
        }
        args.extend(more.iter().map(OsStr::new));
        let out = sarscope(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let on_pixels = eval(&utm, Some(&tif), &[]);
    let in_crs = eval(&utm, None, &[]);
    let reprojected = eval(&wgs84, None, &[]);
    let counts = |v: &serde_json::Value| {
        let t = &v["total"];
        (t["tp"].as_u64(), t["fp"].as_u64(), t["fn"].as_u64())
    };
    let (tp, fp, fn_) = counts(&on_pixels);
    assert!(
        tp > Some(10) && fp >= Some(2) && fn_ >= Some(4),
        "{on_pixels}"
    );
    assert_eq!(counts(&in_crs), counts(&on_pixels), "{in_crs}");
    assert_eq!(counts(&reprojected), counts(&on_pixels), "{reprojected}");
    assert_eq!(in_crs["crs"], "EPSG:32631 (WGS 84 / UTM zone 31N)");
    assert_eq!(in_crs["min_area_m2"], 20.0);
    // A larger minimum area leaves out the 40 m^2 false alarm too.
    let stricter = eval(&utm, None, &["--min-area-m2", "41"]);
    assert_eq!(counts(&stricter).1, fp.map(|fp| fp - 1), "{stricter}");
    // The table says how it scored.
    let out = sarscope(&[
        OsStr::new("eval"),
        OsStr::new("--truth"),
        truth_path.as_os_str(),
        OsStr::new("--pred"),
        utm.as_os_str(),
    ]);
    let said = text(&out.stdout);
    assert!(
        said.contains("scored in EPSG:32631") && said.contains("min area 20 m^2"),
        "{said}"
    );

    // Truth in longitude/latitude: refused, naming the file and what to do.
    let out = sarscope(&[
        OsStr::new("eval"),
        OsStr::new("--truth"),
        wgs84.as_os_str(),
        OsStr::new("--pred"),
        utm.as_os_str(),
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("pred_wgs84.geojson") && err.contains("--scene") && err.contains("projected"),
        "{err}"
    );
}

/// "straightened N of M": N and M from a run's output.
fn straightened(stdout: &str) -> (usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("straightened "))
        .unwrap_or_else(|| panic!("no count in {stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[1].parse().unwrap(), words[3].parse().unwrap())
}

#[test]
fn export_and_vectorize_straighten_to_right_angles_in_metres() {
    use crate::regularize_golden::worst_corner;
    let dir = tempfile::tempdir().unwrap();
    let labels = shared_data("spacenet/geotiff_labels.geojson");
    let scene = shared_data("spacenet/sample_geotiff.tif");

    // In their projected CRS (UTM, metres): no scene needed.
    let out = dir.path().join("straight.geojson");
    let run = sarscope(&[
        OsStr::new("export"),
        OsStr::new("--in"),
        labels.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--regularize"),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let (done, total) = straightened(&text(&run.stdout));
    // The same export without straightening, for the same rounding of coordinates.
    let plain = dir.path().join("plain.geojson");
    assert!(export(&labels, &plain, None).status.success());
    let (before, _) = polygons(&plain);
    let (after, space) = polygons(&out);
    assert_eq!(space, Space::World { epsg: Some(32616) });
    assert_eq!((total, after.len()), (before.len(), before.len()));
    let changed: Vec<_> = after.iter().zip(&before).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), done);
    // These labels are drawn by hand, many not rectangular: most, not all, are straightened.
    assert!(done * 2 > total, "{done} of {total}");
    for (a, b) in changed {
        assert!(worst_corner(&a.0[0]) < 1.0);
        assert!(iou(a, b) > 0.75);
    }

    // Longitude/latitude: refused without the scene, in words; with it, on its pixels.
    let wgs84 = crate::common::fixture("geotiff_labels_wgs84.geojson");
    let out = dir.path().join("straight_wgs84.geojson");
    let args = |scene: Option<&'static OsStr>| {
        let mut a: Vec<&OsStr> = vec![
            OsStr::new("export"),
            OsStr::new("--in"),
            wgs84.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
            OsStr::new("--regularize"),
        ];
        if let Some(s) = scene {
            a.extend([OsStr::new("--scene"), s]);
        }
        a
    };
    let refused = sarscope(&args(None));
    assert!(!refused.status.success());
    let words = text(&refused.stderr);
    assert!(
        words.contains("not in a projected CRS: pass --scene"),
        "{words}"
    );
    assert!(!out.exists());
    let scene: &'static OsStr = Box::leak(scene.into_os_string().into_boxed_os_str());
    let run = sarscope(&args(Some(scene)));
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(straightened(&text(&run.stdout)), (done, total));

    // vectorize: the traced buildings of rasterio's mask of the same labels.
    let mask = shared_data("spacenet/sample_fp_mask_from_geojson.tif");
    let plain = dir.path().join("traced.csv");
    let square = dir.path().join("square.csv");
    for (out, extra) in [(&plain, None), (&square, Some("--regularize"))] {
        let mut a = vec![
            OsStr::new("vectorize"),
            mask.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ];
        a.extend(extra.map(OsStr::new));
        let run = sarscope(&a);
        assert!(run.status.success(), "{}", text(&run.stderr));
        if extra.is_some() {
            let (done, total) = straightened(&text(&run.stdout));
            assert!(done > 0 && done <= total);
        }
    }
    let (traced, _) = polygons(&plain);
    let (straight, _) = polygons(&square);
    assert_eq!(traced.len(), straight.len());
    let changed = traced.iter().zip(&straight).filter(|(a, b)| a != b).count();
    assert!(changed > 0);
    for (a, b) in traced.iter().zip(&straight).filter(|(a, b)| a != b) {
        assert!(worst_corner(&b.0[0]) < 1.0);
        // A small building cut by the tile's edge moves most (0.73): within 1 px RMS of its
        // outline, its area within 10 %.
        assert!(iou(a, b) > 0.7, "{}", iou(a, b));
    }
}
