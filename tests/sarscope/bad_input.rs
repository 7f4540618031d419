//! Bad input gives a clear error naming the file and the problem, a non-zero exit, no panic.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use sarscope::raster::{RasterError, Scene};

use crate::common::{demo_tile, sarscope, shared_data, text};

/// Runs `sarscope info FILES`, expects failure, returns stderr.
fn info_fails(files: &[&Path]) -> String {
    let mut args: Vec<&OsStr> = vec![OsStr::new("info")];
    args.extend(files.iter().map(|p| p.as_os_str()));
    let out = sarscope(&args);
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure for {files:?}; stdout: {}",
        text(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn contains_all(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(stderr.contains(part), "{part:?} not in: {stderr}");
    }
}

/// A classic TIFF whose header claims 1,000,000 x 1,000,000 float32 pixels in strips of 64
/// rows while the file holds none of them.
pub fn lying_huge_tiff(path: &Path) {
    const SIDE: u32 = 1_000_000;
    const ROWS: u32 = 64;
    let strips = SIDE.div_ceil(ROWS);
    let tags: u32 = 11;
    let arrays = 8 + 2 + tags * 12 + 4;
    let (offsets_at, counts_at) = (arrays, arrays + 4 * strips);
    let mut out = Vec::new();
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(tags as u16).to_le_bytes());
    let mut tag = |id: u16, kind: u16, count: u32, value: u32| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    };
    tag(256, 4, 1, SIDE); // ImageWidth
    tag(257, 4, 1, SIDE); // ImageLength
    tag(258, 3, 1, 32); // BitsPerSample
    tag(259, 3, 1, 1); // no compression
    tag(262, 3, 1, 1); // BlackIsZero
    tag(273, 4, strips, offsets_at); // StripOffsets
    tag(277, 3, 1, 1); // SamplesPerPixel
    tag(278, 4, 1, ROWS); // RowsPerStrip
    tag(279, 4, strips, counts_at); // StripByteCounts
    tag(284, 3, 1, 1); // PlanarConfiguration contiguous
    tag(339, 3, 1, 3); // SampleFormat IEEE float
    out.extend_from_slice(&0u32.to_le_bytes());
    let end = counts_at + 4 * strips;
    for _ in 0..strips {
        out.extend_from_slice(&end.to_le_bytes());
    }
    for _ in 0..strips {
        out.extend_from_slice(&(SIDE * 4 * ROWS).to_le_bytes());
    }
    std::fs::write(path, out).unwrap();
}

fn tmp_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn missing_file() {
    let err = info_fails(&[Path::new("/nonexistent/scene.tif")]);
    contains_all(&err, &["/nonexistent/scene.tif", "no such file"]);
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp_file(dir.path(), "empty.tif", b"");
    contains_all(&info_fails(&[&path]), &["empty.tif", "empty (0 bytes)"]);
}

#[test]
fn truncated_tiff() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(shared_data("capella/sar_masked.tif")).unwrap();
    for keep in [100, whole.len() / 2] {
        let path = tmp_file(dir.path(), &format!("cut{keep}.tif"), &whole[..keep]);
        let err = info_fails(&[&path]);
        contains_all(&err, &[&format!("cut{keep}.tif")]);
        assert!(
            err.contains("not a raster") || err.contains("reading band"),
            "{err}"
        );
    }
}

/// A GeoTIFF whose header (written first, as GDAL writes one) is whole but whose pixels are
/// cut: it opens, and reading its first band fails. GDAL decodes on worker threads and its
/// message stays there; the failed read is made again on one thread, so GDAL's own words come
/// through, as they do when the user sets one decoding thread.
#[test]
fn tiff_cut_after_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(demo_tile(dir.path())).unwrap();
    let path = tmp_file(dir.path(), "cut.tif", &whole[..whole.len() / 2]);

    let err = info_fails(&[&path]);
    contains_all(&err, &["cut.tif", "reading band 1 failed"]);
    assert!(
        !err.contains("CPL error class"),
        "the gdal crate's wrapper: {err}"
    );
    assert!(err.contains("IReadBlock failed"), "{err}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sarscope"))
        .arg("info")
        .arg(&path)
        .env("GDAL_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    contains_all(
        &err,
        &["cut.tif", "reading band 1 failed", "IReadBlock failed"],
    );
}

#[test]
fn text_file_renamed_tif() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp_file(
        dir.path(),
        "notes.tif",
        b"these are my field notes, not a raster\n",
    );
    contains_all(
        &info_fails(&[&path]),
        &["notes.tif", "not a raster GDAL can read"],
    );
}

#[test]
fn raster_with_no_bands() {
    // PCIDSK is one of the formats that store a raster of zero bands.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noband.pix");
    let driver = gdal::DriverManager::get_driver_by_name("PCIDSK").unwrap();
    let ds = driver.create(&path, 10, 10, 0).unwrap();
    assert_eq!(ds.raster_count(), 0);
    ds.close().unwrap();
    contains_all(&info_fails(&[&path]), &["noband.pix", "no raster bands"]);
}

#[test]
fn raster_claiming_a_million_by_a_million_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.tif");
    lying_huge_tiff(&path);
    // Opening reads only the header; reading it whole is refused before any allocation ...
    let scene = Scene::open(&path).unwrap();
    assert_eq!((scene.width(), scene.height()), (1_000_000, 1_000_000));
    let err = scene.read_full().unwrap_err();
    assert!(matches!(err, RasterError::TooLarge { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("huge.tif") && msg.contains("3.6 TiB"), "{msg}");
    // ... and `info`, which samples it, fails on the missing pixels with GDAL's reason.
    contains_all(
        &info_fails(&[&path]),
        &["huge.tif", "reading band 1 failed"],
    );
}

#[test]
fn single_pol_files_of_different_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("sar_vv.tif");
    let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    driver
        .create_with_band_type::<f32, _>(&small, 100, 100, 1)
        .unwrap()
        .close()
        .unwrap();
    let hh = shared_data("capella/sar_hh.tif");
    let hv = shared_data("capella/sar_hv.tif");
    let vh = shared_data("capella/sar_vh.tif");
    let err = info_fails(&[&hh, &hv, &vh, &small]);
    contains_all(
        &err,
        &["sar_hh.tif is 200x200", "sar_vv.tif is 100x100", "one grid"],
    );
}

#[test]
fn single_pol_files_on_different_grids() {
    let dir = tempfile::tempdir().unwrap();
    let shifted = dir.path().join("sar_vv.tif");
    let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<f32, _>(&shifted, 200, 200, 1)
        .unwrap();
    ds.set_geo_transform(&[593124.0, 2.5, 0.0, 5749208.0, 0.0, -2.5])
        .unwrap();
    ds.close().unwrap();
    let hh = shared_data("capella/sar_hh.tif");
    let err = info_fails(&[&hh, &shifted]);
    contains_all(
        &err,
        &[
            "sar_hh.tif and",
            "sar_vv.tif have the same size but different georeferencing",
        ],
    );
}

#[test]
fn a_folder_is_not_a_raster() {
    let dir = tempfile::tempdir().unwrap();
    contains_all(&info_fails(&[dir.path()]), &["it is a folder"]);
}

#[test]
fn windows_outside_the_scene_are_refused() {
    let scene = Scene::open(shared_data("capella/sar_masked.tif")).unwrap();
    let w = sarscope::raster::Window {
        x: 150,
        y: 0,
        width: 51,
        height: 10,
    };
    let err = scene.read_window(w, (51, 10)).unwrap_err();
    assert!(matches!(err, RasterError::WindowOutside { .. }), "{err}");
}

/// GeoJSON polygons whose positions or rings are not what GeoJSON allows (a position of one
/// number made the geometry conversion panic): `eval` and `export` refuse each, naming the
/// file, the feature and what is wrong, without a panic.
#[test]
fn geojson_polygons_with_bad_positions_or_rings() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"[[0,0],[10,0],[10,10],[0,10],[0,0]]"#;
    let collection = |rings: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[
                {{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[{good}]}}}},
                {{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{rings}}}}}]}}"#
        )
    };
    let truth = tmp_file(
        dir.path(),
        "truth.geojson",
        collection(&format!("[{good}]")).as_bytes(),
    );
    let scene = demo_tile(&dir.path().join("scene"));
    for (name, rings, says) in [
        (
            "one_number.geojson",
            r#"[[[0],[10,0],[10,10],[0,0]]]"#,
            "feature 1: position 0 of ring 0 of polygon 0 holds 1 number",
        ),
        (
            "short_ring.geojson",
            r#"[[[0,0],[10,0],[0,0]]]"#,
            "feature 1: ring 0 of polygon 0 has 3 positions",
        ),
        (
            "no_rings.geojson",
            r#"[]"#,
            "feature 1: polygon 0 has no rings",
        ),
        // The GeoJSON parser itself takes an empty position for another geometry's nesting.
        (
            "empty_position.geojson",
            r#"[[[],[10,0],[10,10],[0,0]]]"#,
            "not GeoJSON",
        ),
    ] {
        let bad = tmp_file(dir.path(), name, collection(rings).as_bytes());
        let out_path = dir.path().join("out.csv");
        for args in [
            vec![
                OsStr::new("eval"),
                OsStr::new("--truth"),
                truth.as_os_str(),
                OsStr::new("--pred"),
                bad.as_os_str(),
                OsStr::new("--scene"),
                scene.as_os_str(),
            ],
            vec![
                OsStr::new("export"),
                OsStr::new("--in"),
                bad.as_os_str(),
                OsStr::new("--out"),
                out_path.as_os_str(),
            ],
        ] {
            let out = sarscope(&args);
            let stderr = text(&out.stderr);
            assert!(
                !out.status.success(),
                "{name} {args:?}: {}",
                text(&out.stdout)
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            contains_all(&stderr, &[name, says]);
        }
    }
}

/// Footprints whose coordinates their CRS cannot hold (RFC 7946 GeoJSON with latitudes of
/// 900): `eval` and `export` refuse them in words, naming the file, without Rust's `Some(..)`.
#[test]
fn footprints_outside_their_crs_are_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let scene = demo_tile(&dir.path().join("scene"));
    let far = tmp_file(
        dir.path(),
        "latitude_900.geojson",
        br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[4,900],[4.1,900],[4.1,901],[4,900]]]}}]}"#,
    );
    let out_csv = dir.path().join("out.csv");
    for args in [
        vec![
            OsStr::new("eval"),
            OsStr::new("--truth"),
            far.as_os_str(),
            OsStr::new("--pred"),
            far.as_os_str(),
            OsStr::new("--scene"),
            scene.as_os_str(),
        ],
        vec![
            OsStr::new("export"),
            OsStr::new("--in"),
            far.as_os_str(),
            OsStr::new("--out"),
            out_csv.as_os_str(),
            OsStr::new("--scene"),
            scene.as_os_str(),
        ],
    ] {
        let out = sarscope(&args);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(!stderr.contains("Some("), "{stderr}");
        contains_all(&stderr, &["latitude_900.geojson", "cannot transform"]);
    }
}
