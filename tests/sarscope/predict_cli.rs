//! `sarscope predict` end to end with the small PyTorch fixture model on the CPU.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use sarscope::raster::{GeoTiffMeta, Planes, Scene, write_geotiff};

use crate::common::{demo_tile, fixture, sarscope, shared_data, text};

const STRIP_FLAGGED_1: &str = "20190804111224_20190804111453";

fn weights() -> PathBuf {
    fixture("unet11/unet11.pth")
}

fn predict(inputs: &[&Path], extra: &[&str], out: &Path) -> std::process::Output {
    let weights = weights();
    let mut args: Vec<&OsStr> = vec![OsStr::new("predict")];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend([OsStr::new("--weights"), weights.as_os_str()]);
    args.extend([OsStr::new("--device"), OsStr::new("cpu")]);
    args.extend(extra.iter().map(OsStr::new));
    args.extend([OsStr::new("--out"), out.as_os_str()]);
    sarscope(&args)
}

fn read_probs(path: &Path) -> (Scene, Vec<f32>) {
    let scene = Scene::open(path).unwrap();
    let probs = scene.read_full().unwrap().bands.remove(0);
    (scene, probs)
}

#[test]
fn predict_writes_a_probability_map_on_the_scene_grid() {
    let dir = tempfile::tempdir().unwrap();
    let tile = demo_tile(dir.path());
    let out_file = dir.path().join("probs.tif");
    let run = predict(&[&tile], &[], &out_file);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(stdout.contains("device: CPU (burn flex)"), "{stdout}");
    assert!(stdout.contains("width 1/16, 90019 parameters"), "{stdout}");

    let input = Scene::open(&tile).unwrap();
    let (map, probs) = read_probs(&out_file);
    assert_eq!((map.width(), map.height(), map.band_count()), (300, 300, 1));
    assert_eq!(map.geo_transform(), input.geo_transform());
    assert_eq!(map.crs().and_then(|c| c.epsg), Some(32631));
    assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)));
    // Not constant: the network sees the scene.
    let (lo, hi) = probs
        .iter()
        .fold((1f32, 0f32), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    assert!(hi - lo > 0.1, "probabilities span {lo}..{hi}");
}

#[test]
fn sn6_tiles_rotate_by_their_strip_flag() {
    let dir = tempfile::tempdir().unwrap();
    let tile = demo_tile(dir.path());
    let sn6 = dir.path().join(format!(
        "SN6_Train_AOI_11_Rotterdam_SAR-Intensity_{STRIP_FLAGGED_1}_tile_1.tif"
    ));
    std::fs::copy(&tile, &sn6).unwrap();

    // No orientation file near the tile: a clear error, not a silent guess.
    let run = predict(&[&sn6], &[], &dir.path().join("x.tif"));
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(
        err.contains("--orientations") && err.contains(STRIP_FLAGGED_1),
        "{err}"
    );

    let orientations = shared_data("sn6/SAR_orientations.txt");
    let rotated_out = dir.path().join("rotated.tif");
    let run = predict(
        &[&sn6],
        &["--orientations", orientations.to_str().unwrap()],
        &rotated_out,
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("rotated 180"));

    // The same pixels turned by hand, predicted without rotation, turned back: identical.
    let scene = Scene::open(&tile).unwrap();
    let mut planes = scene.read_full().unwrap();
    for band in &mut planes.bands {
        band.reverse();
    }
    let turned = dir.path().join("turned.tif");
    let meta = GeoTiffMeta {
        geo_transform: scene.geo_transform(),
        epsg: Some(32631),
        nodata: Some(0.0),
        ..Default::default()
    };
    write_geotiff(&turned, &Planes::new(300, 300, planes.bands, &[]), &meta).unwrap();
    let turned_out = dir.path().join("turned_probs.tif");
    let run = predict(&[&turned], &[], &turned_out);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let (_, a) = read_probs(&rotated_out);
    let (_, mut b) = read_probs(&turned_out);
    b.reverse();
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(diff < 1e-6, "max difference {diff}");

    // --rotate never overrides the flag, and then the result differs.
    let never_out = dir.path().join("never.tif");
    let run = predict(
        &[&sn6],
        &[
            "--orientations",
            orientations.to_str().unwrap(),
            "--rotate",
            "never",
        ],
        &never_out,
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let (_, c) = read_probs(&never_out);
    assert!(a.iter().zip(&c).any(|(x, y)| (x - y).abs() > 1e-3));
}

#[test]
fn several_inputs_go_to_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let tile = demo_tile(dir.path());
    let copy = dir.path().join("second.tif");
    std::fs::copy(&tile, &copy).unwrap();
    let out = dir.path().join("maps");
    let run = predict(&[&tile, &copy], &[], &out);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let (_, a) = read_probs(&out.join("synth_s0_0000.tif"));
    let (_, b) = read_probs(&out.join("second.tif"));
    assert_eq!(a, b);
}

/// `--precision f16` computes in float16 and still writes a float32 map within f16's reach of
/// the float32 one (11 significant bits through the network: probabilities within ~1e-3).
#[test]
fn a_float16_map_is_near_the_float32_one() {
    let dir = tempfile::tempdir().unwrap();
    let tile = demo_tile(dir.path());
    let f32_out = dir.path().join("f32.tif");
    let f16_out = dir.path().join("f16.tif");
    let run = predict(&[&tile], &[], &f32_out);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("float32"),
        "{}",
        text(&run.stdout)
    );
    let run = predict(&[&tile], &["--precision", "f16"], &f16_out);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("float16"),
        "{}",
        text(&run.stdout)
    );
    let (map, half) = read_probs(&f16_out);
    assert_eq!(map.band_count(), 1);
    let (_, full) = read_probs(&f32_out);
    let worst = full
        .iter()
        .zip(&half)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        worst > 0.0,
        "the f16 map equals the f32 one: f16 was not used"
    );
    assert!(worst < 1e-2, "f16 probabilities off by {worst}");
}

#[test]
fn predict_reports_bad_weights_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let tile = demo_tile(dir.path());
    let mut args: Vec<&OsStr> = vec![OsStr::new("predict"), tile.as_os_str()];
    let bad = fixture("unet11/bad_shape.pth");
    let out = dir.path().join("p.tif");
    args.extend([OsStr::new("--weights"), bad.as_os_str()]);
    args.extend([OsStr::new("--device"), OsStr::new("cpu")]);
    args.extend([OsStr::new("--out"), out.as_os_str()]);
    let run = sarscope(&args);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(
        err.contains("wrong shape") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written on failure");

    // A 1-band raster has no HH/HV/VH/VV.
    let one = dir.path().join("one_band.tif");
    let planes = Planes::new(64, 64, vec![vec![1.0; 64 * 64]], &[]);
    write_geotiff(&one, &planes, &GeoTiffMeta::default()).unwrap();
    let run = predict(&[&one], &[], &dir.path().join("q.tif"));
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(err.contains("needs bands HH, HV, VH, VV"), "{err}");
}

/// The SN6 winner's network, found by its weights: two folds averaged (given one by one or as
/// a folder), three maps out with their names, buildings from its watershed; `vectorize` of
/// those maps takes the watershed too. A UNet11 given twice is refused.
#[test]
fn predict_with_the_winner_s_network_writes_three_maps_and_counts_watershed_buildings() {
    let dir = tempfile::tempdir().unwrap();
    let out = sarscope(&[
        OsStr::new("demo"),
        OsStr::new("--difficulty"),
        OsStr::new("hard"),
        OsStr::new("--size"),
        OsStr::new("160"),
        OsStr::new("--out"),
        dir.path().as_os_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tile = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "tif"))
        .unwrap();
    let fold1 = fixture("effunet/effunet.pth");
    let fold2 = fixture("effunet/effunet_fold2.pth");
    let run = |weights: &[&Path], map: &Path| {
        let mut args: Vec<&OsStr> = vec![OsStr::new("predict"), tile.as_os_str()];
        for w in weights {
            args.extend([OsStr::new("--weights"), w.as_os_str()]);
        }
        args.extend(["--device", "cpu", "--tta", "none", "--out"].map(OsStr::new));
        args.push(map.as_os_str());
        sarscope(&args)
    };
    let map = dir.path().join("maps.tif");
    let done = run(&[&fold1, &fold2], &map);
    let stdout = text(&done.stdout);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert!(stdout.contains("2 fold(s) averaged"), "{stdout}");
    assert!(stdout.contains("buildings (watershed)"), "{stdout}");
    let scene = Scene::open(&map).unwrap();
    let names: Vec<&str> = scene
        .bands()
        .iter()
        .map(|b| b.description.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "footprint_probability",
            "edge_probability",
            "contact_probability"
        ]
    );
    let maps = scene.read_full().unwrap();
    assert!(maps.bands.iter().flatten().all(|p| (0.0..=1.0).contains(p)));
    // A folder of the same two folds: the same maps.
    let folds = dir.path().join("folds");
    std::fs::create_dir(&folds).unwrap();
    std::fs::copy(&fold1, folds.join("a.pth")).unwrap();
    std::fs::copy(&fold2, folds.join("b.pth")).unwrap();
    let again = dir.path().join("again.tif");
    let done = run(&[&folds], &again);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert_eq!(
        Scene::open(&again).unwrap().read_full().unwrap().bands,
        maps.bands
    );
    // One fold alone gives other maps: the average is of both.
    let single = dir.path().join("single.tif");
    assert!(run(&[&fold1], &single).status.success());
    assert_ne!(
        Scene::open(&single).unwrap().read_full().unwrap().bands,
        maps.bands
    );
    // vectorize takes the watershed for three maps.
    let csv = dir.path().join("f.csv");
    let v = sarscope(&[
        OsStr::new("vectorize"),
        map.as_os_str(),
        OsStr::new("--out"),
        csv.as_os_str(),
    ]);
    assert!(v.status.success(), "{}", text(&v.stderr));
    assert!(
        text(&v.stdout).contains("watershed instances"),
        "{}",
        text(&v.stdout)
    );
    // Two UNet11 checkpoints: no average for the baseline's network.
    let unet = weights();
    let refused = run(&[&unet, &unet], &dir.path().join("x.tif"));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("averaging several"),
        "{}",
        text(&refused.stderr)
    );
}
