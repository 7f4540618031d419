//! `sarscope map` and `merge`: a scene mapped in blocks gives the buildings of the scene
//! predicted at once; shards, resumed shards and one process give the same merged layer; bad
//! input (an unreadable scene, a list naming missing files, another run's folder, a full disk)
//! is said and survived.

use std::path::{Path, PathBuf};

use sarscope::io::geoparquet::{MappedFootprint, read_geoparquet};
use sarscope::model::{DeviceChoice, Rotation, select_device};
use sarscope::raster::{Scene, Window};
use sarscope::session::map::SceneMapper;
use sarscope::session::predict::Predictor;
use sarscope::vector::{TracedBuilding, VectorizeParams, vectorize};

use super::common::{sarscope_cmd, text};

pub(super) fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_unet11_synth.bpk")
}

/// A mosaic of `copies` x `rows` copies of the demo tile (900 px), and the tile.
fn mosaic(dir: &Path, copies: usize, rows: usize) -> (PathBuf, PathBuf) {
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir).unwrap();
    let vrt = dir.join(format!("mosaic_{copies}x{rows}.vrt"));
    sarscope::synth::write_mosaic_vrt(
        &written.tif,
        (900, 900),
        4,
        copies,
        Some(demo.geo_transform.0),
        Some(demo.epsg),
        &vrt,
    )
    .unwrap();
    // (A square VRT cut to `rows` copies tall: GDAL's own translation, so the mosaic is a
    // plain file of its own.)
    let cut = dir.join(format!("mosaic_{copies}x{rows}.tif"));
    let status = std::process::Command::new("gdal_translate")
        .args(["-q", "-srcwin", "0", "0"])
        .arg((900 * copies).to_string())
        .arg((900 * rows).to_string())
        .arg(&vrt)
        .arg(&cut)
        .status()
        .expect("gdal_translate runs (Debian package gdal-bin)");
    assert!(status.success());
    (cut, written.tif)
}

fn params(predictor: &Predictor) -> VectorizeParams {
    sarscope::session::predict::vectorize_params(&predictor.loaded.card)
}

fn sorted(mut b: Vec<TracedBuilding>) -> Vec<TracedBuilding> {
    b.sort_by_key(|b| (b.first_pixel.1, b.first_pixel.0));
    b
}

/// A scene mapped in blocks of 1024 px (with a halo of 128) has exactly the buildings of the
/// same scene predicted at once (the UNet11's whole-scene prediction, then vectorized), to
/// the last bit of every vertex and confidence, upright and turned by 180 degrees; buildings
/// across the blocks' seams come out whole, once.
#[test]
fn a_scene_mapped_in_blocks_has_the_buildings_of_the_scene_predicted_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (scene_path, _) = mosaic(dir.path(), 3, 2);
    let scene = Scene::open(&scene_path).unwrap();
    let (w, h) = (scene.width(), scene.height());
    assert_eq!((w, h), (2700, 1800));
    let mut predictor =
        Predictor::load(&shipped(), select_device(DeviceChoice::Cpu).unwrap()).unwrap();
    predictor.params.batch = 1;
    let params = params(&predictor);
    for rotation in [Rotation::None, Rotation::Half] {
        let whole = predictor
            .predict_scene(&scene, rotation, &mut |_| true)
            .unwrap();
        let at_once = sorted(vectorize(&whole.probs, w, h, params));
        assert!(at_once.len() > 100, "{} buildings", at_once.len());

        let block = 1024;
        let mut mapper = SceneMapper::new(&predictor, &scene, rotation, block, 128).unwrap();
        let mut in_blocks = Vec::new();
        let mut widened = 0;
        for y in (0..h).step_by(block) {
            for x in (0..w).step_by(block) {
                let core = Window {
                    x,
                    y,
                    width: block.min(w - x),
                    height: block.min(h - y),
                };
                let b = mapper.map_block(core, 128, params).unwrap();
                assert_eq!(b.cut, 0);
                assert_eq!(b.probabilities.len(), core.width * core.height);
                widened += usize::from(b.halo > 128);
                in_blocks.extend(b.buildings);
            }
        }
        let in_blocks = sorted(in_blocks);
        // Buildings over the seams at x = 1024, 2048 and y = 1024 are among them.
        use geo::BoundingRect;
        let across = at_once
            .iter()
            .filter(|b| {
                let r = b.polygon.bounding_rect().unwrap();
                [1024.0, 2048.0]
                    .iter()
                    .any(|&s| r.min().x < s && r.max().x > s)
                    || (r.min().y < 1024.0 && r.max().y > 1024.0)
            })
            .count();
        assert!(across >= 5, "only {across} buildings cross a seam");
        assert_eq!(in_blocks.len(), at_once.len(), "{rotation:?}");
        for (a, b) in at_once.iter().zip(&in_blocks) {
            assert!(
                a.polygon == b.polygon,
                "{rotation:?}: the building at {:?} differs ({} and {} vertices)",
                a.first_pixel,
                a.polygon.exterior().0.len(),
                b.polygon.exterior().0.len()
            );
            assert_eq!(a.confidence.to_bits(), b.confidence.to_bits());
            assert_eq!((a.pixels, a.first_pixel), (b.pixels, b.first_pixel));
        }
        // The blocks shared the windows over their seams: each of the scene's 24 windows was
        // predicted once (the cache holds them all here).
        assert_eq!(mapper.predicted, 24, "{rotation:?}");
        eprintln!(
            "{rotation:?}: {} buildings, {across} across seams, {widened} blocks widened",
            at_once.len()
        );
    }
}

fn run_map(args: &[&std::ffi::OsStr]) -> std::process::Output {
    sarscope_cmd()
        .arg("map")
        .args(args)
        .output()
        .expect("sarscope runs")
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// `count` synthetic scenes of `size` (seeds from `seed`) in `dir/scenes`, returned.
pub(super) fn synth_scenes(dir: &Path, count: u64, size: (usize, usize), seed: u64) -> PathBuf {
    let scenes = dir.join("scenes");
    std::fs::create_dir(&scenes).unwrap();
    for i in 0..count {
        let config = sarscope::synth::SynthConfig {
            width: size.0,
            height: size.1,
            seed: seed + i,
            ..sarscope::synth::SynthConfig::default()
        };
        sarscope::synth::generate(&config, i)
            .unwrap()
            .write(&scenes)
            .unwrap();
    }
    scenes
}

/// `map`'s arguments for `scenes` into `out`: the shipped weights on the CPU, 1024 px blocks.
pub(super) fn map_args(scenes: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    vec![
        scenes.into(),
        "--weights".into(),
        shipped().into(),
        "--device".into(),
        "cpu".into(),
        "--block".into(),
        "1024".into(),
        "--out".into(),
        out.into(),
    ]
}

/// Asserts a run succeeded, showing what it said when not.
pub(super) fn assert_ran(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The parts a run's folder holds (not counting temporary files).
pub(super) fn parts_in(folder: &Path) -> usize {
    std::fs::read_dir(folder.join("parts"))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

/// Footprints of a GeoParquet file, in a set order (scene, then position).
pub(super) fn footprints(path: &Path) -> Vec<MappedFootprint> {
    let mut rows = read_geoparquet(path).unwrap().layer.rows;
    rows.sort_by(|a, b| {
        let key = |r: &MappedFootprint| {
            let c = r.polygon.exterior().0.first().copied().unwrap_or_default();
            (r.scene.clone(), c.x.to_bits(), c.y.to_bits())
        };
        key(a).cmp(&key(b))
    });
    rows
}

/// Asserts `got` and `want` are the same footprints, saying the first that differs (not
/// thousands of vertices).
pub(super) fn assert_same_footprints(got: &[MappedFootprint], want: &[MappedFootprint]) {
    assert_eq!(got.len(), want.len(), "footprint count");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        let brief = |f: &MappedFootprint| {
            format!(
                "{} conf {} area {:?}, {} vertices from {:?}",
                f.scene,
                f.confidence,
                f.area_m2,
                f.polygon.exterior().0.len(),
                f.polygon.exterior().0.first()
            )
        };
        panic!(
            "footprint {i} differs: {} vs {}",
            brief(&got[i]),
            brief(&want[i])
        );
    }
}

/// Four small scenes and a mosaic mapped by one process, and by two shards (one killed
/// mid-way and run again): the same merged footprints, each with its scene, the model's name,
/// confidence and area.
#[test]
fn shards_killed_and_run_again_merge_to_what_one_process_maps() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = synth_scenes(dir.path(), 4, (600, 520), 40);
    let (big, _) = mosaic(dir.path(), 2, 2);
    std::fs::rename(&big, scenes.join("zz_mosaic.tif")).unwrap();
    let common = |out: &Path| map_args(&scenes, out);
    // One process: the whole run, merged.
    let one = dir.path().join("one");
    let args = common(&one);
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = run_map(&args);
    assert_ran(&out);
    let said = text(&out.stdout);
    assert!(
        said.contains("4 units") || said.contains("8 units"),
        "{said}"
    );
    let merged_one = footprints(&one.join("merged.parquet"));
    assert!(merged_one.len() > 50, "{}", merged_one.len());
    let model = merged_one[0].model.clone();
    assert_eq!(model, "sarscope_unet11_synth");
    assert!(
        merged_one
            .iter()
            .all(|f| f.area_m2.is_some_and(|a| a > 0.0))
    );
    let scenes_seen: std::collections::BTreeSet<&str> =
        merged_one.iter().map(|f| f.scene.as_str()).collect();
    assert_eq!(scenes_seen.len(), 5, "{scenes_seen:?}");

    // Two shards; shard 0 killed once its first part is written, then run again.
    let sharded = dir.path().join("sharded");
    let args = common(&sharded);
    let mut first = sarscope_cmd();
    first.arg("map").args(&args).args(["--shard", "0/2"]);
    first
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = first.spawn().unwrap();
    let started = std::time::Instant::now();
    loop {
        if parts_in(&sharded) >= 1 || child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(started.elapsed().as_secs() < 300, "no part after 5 minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed_early = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = sarscope_cmd()
            .arg("map")
            .args(&args)
            .args(["--shard", &shard])
            .output()
            .unwrap();
        assert_ran(&out);
        if i == 0 && killed_early {
            assert!(
                text(&out.stdout).contains("found done"),
                "{}",
                text(&out.stdout)
            );
        }
    }
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sharded.join("shards/shard-0-of-2.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["finished"], true);
    assert!(manifest["failed"].as_array().unwrap().is_empty());
    let (fgb, gpkg) = (dir.path().join("m.fgb"), dir.path().join("m.gpkg"));
    let out = sarscope_cmd()
        .arg("merge")
        .arg(&sharded)
        .arg("--also")
        .arg(&fgb)
        .arg("--also")
        .arg(&gpkg)
        .output()
        .unwrap();
    assert_ran(&out);
    assert!(
        text(&out.stdout).contains("zz_mosaic"),
        "{}",
        text(&out.stdout)
    );
    let merged_shards = footprints(&sharded.join("merged.parquet"));
    assert_same_footprints(&merged_shards, &merged_one);
    // The same through GDAL: FlatGeobuf and GeoPackage, with scene and model kept.
    for also in [&fgb, &gpkg] {
        let read = sarscope::io::read_footprints(also).unwrap();
        assert_eq!(read.items.len(), merged_one.len(), "{}", also.display());
        assert_eq!(read.space, sarscope::io::Space::World { epsg: Some(32631) });
        let scenes: std::collections::BTreeSet<String> = read
            .items
            .iter()
            .filter_map(|f| f.image_id.clone())
            .collect();
        assert_eq!(scenes.len(), 5, "{}", also.display());
        assert!(
            read.items
                .iter()
                .all(|f| f.source == "sarscope_unet11_synth")
        );
    }

    // Our reader and GeoParquet's metadata: the CRS as PROJJSON, the bbox covering column.
    let read = read_geoparquet(&one.join("merged.parquet")).unwrap();
    assert_eq!(read.geo["columns"]["geometry"]["crs"]["id"]["code"], 32631);
    assert_eq!(read.geo["version"], "1.1.0");

    // pyarrow and shapely read the same file (tests/fixtures/check_geoparquet.py checks it
    // against GeoParquet 1.1 on its own) and find what our reader finds.
    let check = std::process::Command::new("python3")
        .arg(super::common::fixture("check_geoparquet.py"))
        .arg(one.join("merged.parquet"))
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "the pyarrow + shapely check failed (pip install pyarrow shapely: .ci/run does): {}",
        text(&check.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(&text(&check.stdout)).unwrap();
    assert_eq!(seen["rows"], merged_one.len());
    assert_eq!(seen["models"], serde_json::json!([model]));
    assert_eq!(seen["crs_code"], 32631);
    assert_eq!(seen["scenes"].as_array().unwrap().len(), 5);
    let ours: f64 = merged_one.iter().filter_map(|f| f.area_m2).sum();
    let theirs = seen["area_m2"].as_f64().unwrap();
    assert!((ours - theirs).abs() < 1e-6 * ours, "{ours} vs {theirs}");
}

/// A scene that cannot be read among good ones is recorded with its reason, the others are
/// mapped, and the exit status (2) says the run is partial; the merge says which unit is
/// missing and why.
#[test]
fn an_unreadable_scene_is_recorded_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = dir.path().join("scenes");
    std::fs::create_dir(&scenes).unwrap();
    let config = sarscope::synth::SynthConfig {
        width: 520,
        height: 520,
        ..sarscope::synth::SynthConfig::default()
    };
    sarscope::synth::generate(&config, 0)
        .unwrap()
        .write(&scenes)
        .unwrap();
    std::fs::write(scenes.join("broken.tif"), b"II*\0 this is not a TIFF").unwrap();
    let out_dir = dir.path().join("run");
    let out = run_map(&[
        scenes.as_os_str(),
        os("--weights"),
        shipped().as_os_str(),
        os("--device"),
        os("cpu"),
        os("--out"),
        out_dir.as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("broken"), "{said}");
    assert!(said.contains("partial"), "{said}");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("shards/shard-0-of-1.json")).unwrap(),
    )
    .unwrap();
    let failed = manifest["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{manifest}");
    assert_eq!(failed[0]["scene"], "broken");
    assert!(!failed[0]["reason"].as_str().unwrap().is_empty());
    assert_eq!(manifest["done"].as_array().unwrap().len(), 1);
    assert!(!footprints(&out_dir.join("merged.parquet")).is_empty());
}

/// `--slurm N --dry-run` prints the array job: N tasks, requeued when cancelled, each running
/// its shard of the same run with absolute paths; nothing is submitted or written.
#[test]
fn the_slurm_script_is_printed_on_a_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("run");
    let weights = shipped();
    let out = run_map(&[
        dir.path().as_os_str(),
        os("--weights"),
        weights.as_os_str(),
        os("--out"),
        out_dir.as_os_str(),
        os("--slurm"),
        os("4"),
        os("--sbatch"),
        os("--partition=gpu"),
        os("--dry-run"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    for line in [
        "#!/bin/bash",
        "#SBATCH --array=0-3",
        "#SBATCH --requeue",
        "#SBATCH --partition=gpu",
        &format!("#SBATCH --output={}/slurm/%A_%a.out", out_dir.display()),
    ] {
        assert!(script.lines().any(|l| l == line), "{line} in:\n{script}");
    }
    let exec = script.lines().find(|l| l.starts_with("exec ")).unwrap();
    assert!(
        exec.contains(" map ") && exec.contains("--shards '4'"),
        "{exec}"
    );
    assert!(exec.contains(&format!("'{}'", weights.display())), "{exec}");
    assert!(!out_dir.exists(), "a dry run writes nothing");
}

/// A list naming missing files is refused up front with each line named; a folder holding
/// another run (other inputs) is refused with the difference said, and its parts untouched.
#[test]
fn missing_list_entries_and_another_runs_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = sarscope::synth::SynthConfig {
        width: 520,
        height: 520,
        ..sarscope::synth::SynthConfig::default()
    };
    let written = sarscope::synth::generate(&config, 0)
        .unwrap()
        .write(dir.path())
        .unwrap();
    let list = dir.path().join("scenes.txt");
    std::fs::write(&list, format!("{}\nnot_here.tif\n", written.tif.display())).unwrap();
    let out_dir = dir.path().join("run");
    let weights = shipped();
    let base = [
        os("--weights"),
        weights.as_os_str(),
        os("--device"),
        os("cpu"),
        os("--out"),
    ];
    let mut args: Vec<&std::ffi::OsStr> = vec![list.as_os_str()];
    args.extend(base);
    args.push(out_dir.as_os_str());
    let out = run_map(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("line 2: not_here.tif"), "{err}");
    assert!(!out_dir.exists(), "nothing is written for a refused run");

    // A run, then another with other inputs into the same folder.
    let mut args: Vec<&std::ffi::OsStr> = vec![written.tif.as_os_str()];
    args.extend(base);
    args.push(out_dir.as_os_str());
    let out = run_map(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let part = out_dir.join("parts/unit-000000.parquet");
    let before = std::fs::read(&part).unwrap();
    let mut args: Vec<&std::ffi::OsStr> = vec![written.tif.as_os_str(), written.tif.as_os_str()];
    args.extend(base);
    args.push(out_dir.as_os_str());
    let out = run_map(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("holds another run") && err.contains("different inputs"),
        "{err}"
    );
    assert_eq!(std::fs::read(&part).unwrap(), before);
}

/// A tmpfs of `bytes` mounted at `at` (root only: the tests run as root, as CI does),
/// unmounted when dropped.
struct SmallDisk {
    at: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, bytes: u64) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes}"))
            .arg("tmpfs")
            .arg(at)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mounting a small tmpfs needs root (the tests run as root, as CI does): {}",
            text(&out.stderr)
        );
        Self {
            at: at.to_path_buf(),
        }
    }

    fn grow(&self, bytes: u64) {
        let out = std::process::Command::new("mount")
            .args(["-o"])
            .arg(format!("remount,size={bytes}"))
            .arg(&self.at)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("--lazy")
            .arg(&self.at)
            .status();
    }
}

/// A disk that fills while the parts are written: the run fails said, every part on disk is
/// whole (a reader takes it), no temporary file is left, and the units without a part are
/// mapped when the run is started again with room, to the footprints of a run that never
/// lacked it.
#[test]
fn a_full_disk_never_leaves_a_half_written_part_taken_as_done() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = synth_scenes(dir.path(), 6, (520, 520), 80);
    let weights = shipped();
    let map_into = |out: &Path| {
        run_map(&[
            scenes.as_os_str(),
            os("--weights"),
            weights.as_os_str(),
            os("--device"),
            os("cpu"),
            os("--out"),
            out.as_os_str(),
        ])
    };
    let roomy = dir.path().join("roomy");
    let out = map_into(&roomy);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pages = |p: &Path| std::fs::metadata(p).unwrap().len().div_ceil(4096) * 4096;
    // Room for run.json, the manifest and two parts, not six.
    let room = pages(&roomy.join("run.json"))
        + 2 * pages(&roomy.join("shards/shard-0-of-1.json"))
        + pages(&roomy.join("parts/unit-000000.parquet"))
        + pages(&roomy.join("parts/unit-000001.parquet"))
        + 4096;
    let disk = SmallDisk::mount(&dir.path().join("small"), room);
    let run = disk.at.join("run");
    let out = map_into(&run);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("No space left"), "{said}");
    let entries: Vec<String> = std::fs::read_dir(run.join("parts"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries.iter().all(|n| !n.starts_with('.')),
        "temporary files left: {entries:?}"
    );
    assert!(!entries.is_empty() && entries.len() < 6, "{entries:?}");
    for name in &entries {
        read_geoparquet(&run.join("parts").join(name)).unwrap();
    }
    disk.grow(64 << 20);
    let out = map_into(&run);
    assert_ran(&out);
    assert!(
        text(&out.stdout).contains(&format!("({} found done)", entries.len())),
        "{}",
        text(&out.stdout)
    );
    assert_same_footprints(
        &footprints(&run.join("merged.parquet")),
        &footprints(&roomy.join("merged.parquet")),
    );
}

/// A scene in another CRS joins the run's layer with its footprints reprojected into the
/// run's CRS (the first scene's): a copy of a scene labelled UTM 32N instead of 31N gives the
/// same buildings, each vertex where GDAL's own `gdaltransform` puts it.
#[test]
fn a_scene_in_another_crs_is_reprojected_into_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = synth_scenes(dir.path(), 1, (520, 520), 90);
    let a = std::fs::read_dir(&scenes)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "tif"))
        .unwrap();
    let b = scenes.join("zz_zone32.tif");
    let status = std::process::Command::new("gdal_translate")
        .args(["-q", "-a_srs", "EPSG:32632"])
        .arg(&a)
        .arg(&b)
        .status()
        .expect("gdal_translate runs (Debian package gdal-bin)");
    assert!(status.success());
    let out_dir = dir.path().join("run");
    let weights = shipped();
    let out = run_map(&[
        scenes.as_os_str(),
        os("--weights"),
        weights.as_os_str(),
        os("--device"),
        os("cpu"),
        os("--out"),
        out_dir.as_os_str(),
    ]);
    assert_ran(&out);
    let rows = footprints(&out_dir.join("merged.parquet"));
    let stem = a.file_stem().unwrap().to_string_lossy().into_owned();
    let of = |scene: &str| -> Vec<&MappedFootprint> {
        let mut v: Vec<&MappedFootprint> = rows.iter().filter(|r| r.scene == scene).collect();
        v.sort_by(|x, y| x.confidence.total_cmp(&y.confidence));
        v
    };
    let (in_a, in_b) = (of(&stem), of("zz_zone32"));
    assert!(
        in_a.len() > 5 && in_a.len() == in_b.len(),
        "{} {}",
        in_a.len(),
        in_b.len()
    );
    // Each of b's first vertices, taken in zone 32 and moved to zone 31 by GDAL's CLI.
    let input: String = in_a
        .iter()
        .map(|f| {
            let c = f.polygon.exterior().0[0];
            format!("{} {}\n", c.x, c.y)
        })
        .collect();
    let mut cmd = std::process::Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:32632", "-t_srs", "EPSG:32631", "-output_xy"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gdaltransform runs (gdal-bin)");
    use std::io::Write as _;
    cmd.stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let moved = text(&cmd.wait_with_output().unwrap().stdout);
    for ((line, fa), fb) in moved.lines().zip(&in_a).zip(&in_b) {
        assert_eq!(fa.confidence.to_bits(), fb.confidence.to_bits());
        assert_eq!(fa.area_m2, fb.area_m2);
        let xy: Vec<f64> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let c = fb.polygon.exterior().0[0];
        assert!(
            (c.x - xy[0]).abs() < 1e-3 && (c.y - xy[1]).abs() < 1e-3,
            "{c:?} vs {xy:?}"
        );
    }
}
