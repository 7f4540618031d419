//! Faults injected while sarscope writes: a disk that fills (under the CLI and under the
//! viewer's edit journal), a folder it may not write, and the process killed (SIGKILL) mid-way. Nothing written is ever half a file, the previous
//! good version is always there, and the user is told.
//!
//! A full disk is a real one where this test may mount a tmpfs (as root, as `.ci/run` runs),
//! and everywhere the process's file size limit (`ulimit -f`, RLIMIT_FSIZE), under which a
//! write past the limit fails exactly as on a full disk (EFBIG instead of ENOSPC; SIGXFSZ
//! ignored as the shell's trap sets it).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::{demo_tile, sarscope, text};

/// `sarscope export --in input --out to --scene scene`.
fn export_args(input: &Path, to: &Path, scene: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["export", "--in"].map(OsString::from).into();
    args.push(input.into());
    args.push("--out".into());
    args.push(to.into());
    args.push("--scene".into());
    args.push(scene.into());
    args
}

/// `sarscope predict scene` with the shipped weights on the CPU, the map to `out`.
fn predict_args(scene: &Path, out: &Path) -> Vec<OsString> {
    let weights = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_unet11_synth.bpk");
    vec![
        "predict".into(),
        scene.into(),
        "--weights".into(),
        weights.into(),
        "--device".into(),
        "cpu".into(),
        "--out".into(),
        out.into(),
    ]
}

fn as_args(v: &[OsString]) -> Vec<&OsStr> {
    v.iter().map(OsString::as_os_str).collect()
}

/// Runs sarscope with `args` under a file size limit of `kib` KiB.
fn sarscope_limited(kib: u64, args: &[&OsStr]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(r#"ulimit -f "$0"; trap "" XFSZ; exec "$@""#)
        .arg(kib.to_string())
        .arg(env!("CARGO_BIN_EXE_sarscope"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("bash runs")
}

/// A tmpfs of `kib` KiB mounted on a new folder, unmounted when dropped; `None` where this
/// process may not mount (not root).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(kib: u64) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system to the last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path().join("filler")).expect("filler");
        let chunk = vec![0u8; 4096];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.write_all(&[0u8; 1]);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a viewer's journal thread may still hold a file there for a moment, which
        // made a plain umount fail and left the mount behind.
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(self.path())
            .status();
    }
}

/// The files in `dir` whose names say they are half-written (our temporary names).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("partial") || n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_told(out: &Output, names: &str, what: &str) {
    let said = text(&out.stderr);
    assert!(!out.status.success(), "{what}: it succeeded on a full disk");
    assert!(
        said.contains(names) && !said.contains("panicked"),
        "{what}: the user is not told in words naming {names}: {said}"
    );
}

#[test]
fn export_and_predict_on_a_full_disk_fail_in_words_and_keep_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let scene = demo_tile(dir.path());
    let truth = scene.with_extension("geojson");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();

    // The good versions, written with room to spare.
    let outputs: Vec<PathBuf> = ["a.geojson", "a.gpkg", "a.csv"]
        .iter()
        .map(|n| out.join(n))
        .collect();
    let export = |to: &Path| export_args(&truth, to, &scene);
    let probs = out.join("p.tif");
    let predict = predict_args(&scene, &probs);
    for to in &outputs {
        let run = sarscope(&as_args(&export(to)));
        assert!(run.status.success(), "{}", text(&run.stderr));
    }
    let run = sarscope(&as_args(&predict));
    assert!(run.status.success(), "{}", text(&run.stderr));
    let before: Vec<Vec<u8>> = outputs
        .iter()
        .chain([&probs])
        .map(|p| std::fs::read(p).unwrap())
        .collect();

    // Each again with a file size limit under the file's size: the write fails part-way.
    for (to, good) in outputs.iter().zip(&before) {
        let kib = (good.len() as u64 / 1024 / 2).max(1);
        let run = sarscope_limited(kib, &as_args(&export(to)));
        let name = to.file_name().unwrap().to_string_lossy();
        assert_told(&run, &name, &format!("export to {name} under {kib} KiB"));
    }
    let kib = (before[3].len() as u64 / 1024 / 2).max(1);
    let run = sarscope_limited(kib, &as_args(&predict));
    assert_told(&run, "p.tif", &format!("predict under {kib} KiB"));

    let after: Vec<Vec<u8>> = outputs
        .iter()
        .chain([&probs])
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(before == after, "a failed write changed the previous file");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));

    // A real full disk, where this test may mount one.
    match Tmpfs::mount(512) {
        Some(disk) => {
            let to = disk.path().join("a.geojson");
            std::fs::copy(&outputs[0], &to).unwrap();
            let copy = disk.path().join("p.tif");
            std::fs::copy(&probs, &copy).unwrap();
            disk.fill();
            let run = sarscope(&as_args(&export(&to)));
            assert_told(&run, "a.geojson", "export to a full tmpfs");
            assert!(
                text(&run.stderr).contains("No space left"),
                "{}",
                text(&run.stderr)
            );
            let run = sarscope(&as_args(&predict_args(&scene, &copy)));
            assert_told(&run, "p.tif", "predict to a full tmpfs");
            assert!(
                std::fs::read(&to).unwrap() == before[0],
                "the full disk changed a.geojson"
            );
            assert!(
                std::fs::read(&copy).unwrap() == before[3],
                "the full disk changed p.tif"
            );
            assert!(
                leftovers(disk.path()).is_empty(),
                "{:?}",
                leftovers(disk.path())
            );
        }
        None => eprintln!(
            "not allowed to mount a tmpfs here (not root): the file size limit stood for the full disk"
        ),
    }
}

#[test]
fn a_training_checkpoint_cut_short_leaves_the_previous_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.bpk");
    let train = |steps: &str, resume: bool| -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "train",
            "--synthetic",
            "2",
            "--scene-size",
            "96",
            "--crop",
            "64",
            "--batch",
            "1",
            "--steps",
            steps,
            "--val",
            "1",
            "--validate-every",
            "1",
            "--width-divisor",
            "32",
            "--device",
            "cpu",
            "--out",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        args.push(out.clone().into_os_string());
        if resume {
            args.push("--resume".into());
            args.push(dir.path().join("t.ckpt").into_os_string());
        }
        args
    };
    let run = sarscope(&as_args(&train("2", false)));
    assert!(run.status.success(), "{}", text(&run.stderr));
    let ckpt = dir.path().join("t.ckpt");
    let state = std::fs::read_to_string(ckpt.join("state.json")).unwrap();
    assert!(state.contains("model.step-2.bpk"), "{state}");

    // The next save fails part-way through its weights: the checkpoint of step 2 stays whole.
    let weights_kib = std::fs::metadata(ckpt.join("model.step-2.bpk"))
        .unwrap()
        .len()
        / 1024;
    let run = sarscope_limited(weights_kib / 2, &as_args(&train("4", true)));
    assert_told(&run, "t.ckpt", "train's checkpoint under a file size limit");
    assert_eq!(
        std::fs::read_to_string(ckpt.join("state.json")).unwrap(),
        state
    );

    // Killed at moments it does not choose while it trains and saves after every step: each
    // time the checkpoint left resumes.
    for delay_ms in [700u64, 1500, 2600] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sarscope"))
            .args(train("40", true))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let state = std::fs::read_to_string(ckpt.join("state.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&state).unwrap();
        let step = json["step"].as_u64().unwrap();
        for key in ["weights", "optimizer"] {
            let name = json[key].as_str().unwrap();
            assert!(
                name.contains(&format!("step-{step}.")),
                "{key} {name} at step {step}"
            );
            assert!(ckpt.join(name).is_file(), "{name} is gone");
        }
    }
    let steps = "41".to_string();
    let run = sarscope(&as_args(&train(&steps, true)));
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(leftovers(&ckpt).is_empty(), "{:?}", leftovers(&ckpt));
}

#[test]
fn export_killed_part_way_leaves_the_old_file_or_the_new_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    // A large set: 40,000 footprints as a SpaceNet CSV, exported to GeoJSON and GeoPackage.
    let csv = dir.path().join("many.csv");
    let mut rows = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
    for i in 0..40_000 {
        let (x, y) = ((i % 200) as f64 * 4.0, (i / 200) as f64 * 4.0);
        rows += &format!(
            "img,{i},\"POLYGON (({x} {y},{} {y},{} {},{x} {},{x} {y}))\",0.5\n",
            x + 3.0,
            x + 3.0,
            y + 3.0,
            y + 3.0
        );
    }
    std::fs::write(&csv, rows).unwrap();
    let scene = demo_tile(dir.path());
    for name in ["many.geojson", "many.gpkg"] {
        let to = dir.path().join(name);
        let args = [
            OsStr::new("export"),
            OsStr::new("--in"),
            csv.as_os_str(),
            OsStr::new("--out"),
            to.as_os_str(),
            OsStr::new("--scene"),
            scene.as_os_str(),
        ];
        let started = std::time::Instant::now();
        let run = sarscope(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let whole = started.elapsed();
        let good = std::fs::read(&to).unwrap();
        for k in 1..=4u32 {
            let mut child = Command::new(env!("CARGO_BIN_EXE_sarscope"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(whole * k / 5);
            let _ = child.kill();
            let _ = child.wait();
            // Either the old file, or the new one (the same footprints) in full.
            let now = std::fs::read(&to).unwrap();
            if now != good {
                let set = sarscope::io::read_footprints(&to).unwrap();
                assert_eq!(set.items.len(), 40_000, "{name} after a kill at {k}/5");
            }
        }
        // What a killed run leaves is its own temporary file, never the output: the next run
        // replaces it and succeeds.
        let run = sarscope(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let set = sarscope::io::read_footprints(&to).unwrap();
        assert_eq!(set.items.len(), 40_000, "{name} after the last run");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}

#[test]
fn inputs_that_need_more_memory_than_is_free_are_refused_early_with_the_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let scene = demo_tile(dir.path());
    let csv = scene.with_extension("csv");
    let geojson = scene.with_extension("geojson");
    let limited = |limit: &str, args: &[&OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_sarscope"))
            .args(args)
            .env("SARSCOPE_MEMORY_LIMIT", limit)
            .output()
            .unwrap()
    };
    // 4 KiB free: the CSV and the GeoJSON (each several KiB, a few times that once parsed)
    // and the 300x300x4 scene (1.4 MiB as float32) are refused, naming file and sizes.
    for (file, args) in [
        (
            &csv,
            vec![
                OsStr::new("eval"),
                OsStr::new("--truth"),
                csv.as_os_str(),
                OsStr::new("--pred"),
                csv.as_os_str(),
            ],
        ),
        (
            &geojson,
            vec![
                OsStr::new("export"),
                OsStr::new("--in"),
                geojson.as_os_str(),
                OsStr::new("--out"),
                dir.path().join("x.csv").into_os_string().leak(),
                OsStr::new("--scene"),
                scene.as_os_str(),
            ],
        ),
        (&scene, vec![OsStr::new("info"), scene.as_os_str()]),
    ] {
        let out = limited("4K", &args);
        let said = text(&out.stderr);
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(!out.status.success(), "{name}: {said}");
        assert!(
            said.contains(&*name) && said.contains("of memory and 4.0 KiB is free"),
            "{name}: {said}"
        );
    }
    // With room, the same commands run.
    let out = limited("1G", &[OsStr::new("info"), scene.as_os_str()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A folder this process may not write: a read-only tmpfs where it may mount one (root
/// ignores a folder's mode), else a folder without write permission.
enum ReadOnly {
    Mount(Tmpfs),
    Mode(tempfile::TempDir),
}

impl ReadOnly {
    fn new() -> Self {
        if let Some(disk) = Tmpfs::mount(64) {
            let remounted = Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(disk.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(remounted, "a tmpfs mounted but could not be made read-only");
            return Self::Mount(disk);
        }
        let dir = tempfile::tempdir().unwrap();
        let mut mode = std::fs::metadata(dir.path()).unwrap().permissions();
        mode.set_readonly(true);
        std::fs::set_permissions(dir.path(), mode).unwrap();
        Self::Mode(dir)
    }

    fn path(&self) -> &Path {
        match self {
            Self::Mount(disk) => disk.path(),
            Self::Mode(dir) => dir.path(),
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if let Self::Mode(dir) = self
            && let Ok(meta) = std::fs::metadata(dir.path())
        {
            let mut mode = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            mode.set_readonly(false);
            let _ = std::fs::set_permissions(dir.path(), mode);
        }
    }
}

#[test]
fn writing_into_a_read_only_folder_is_refused_in_words_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scene = demo_tile(dir.path());
    let truth = scene.with_extension("geojson");
    let folder = ReadOnly::new();
    for name in ["a.geojson", "a.gpkg", "a.csv"] {
        let to = folder.path().join(name);
        let run = sarscope(&as_args(&export_args(&truth, &to, &scene)));
        assert_told(&run, name, &format!("export to a read-only {name}"));
        let said = text(&run.stderr);
        assert!(
            !said.contains("partial") && !said.contains("NULL pointer"),
            "{name}: the message shows our temporary file or GDAL's wrapper: {said}"
        );
    }
    let probs = folder.path().join("p.tif");
    let run = sarscope(&as_args(&predict_args(&scene, &probs)));
    assert_told(&run, "p.tif", "predict into a read-only folder");
    assert!(
        !text(&run.stderr).contains("partial"),
        "{}",
        text(&run.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(folder.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The viewer's journal on a disk that fills: the edit stays on screen, the user is told, the
/// journal on disk is the last one written, whole; with room again the next edit saves all.
/// Where this process may not mount a tmpfs (not root), the scene's folder made read-only
/// stands for the full disk.
#[test]
fn viewer_edits_on_a_full_disk_keep_the_last_journal_and_say_so() {
    use crate::edit_flows::{click_scene, demo_viewer, key};
    use eframe::egui;
    // The demo scene (13 MiB) and its truth, with room for journals.
    let disk = Tmpfs::mount(16 * 1024);
    let fallback = tempfile::tempdir().unwrap();
    let dir = disk.as_ref().map_or(fallback.path(), Tmpfs::path);
    if disk.is_none() {
        eprintln!(
            "not allowed to mount a tmpfs here (not root): a read-only folder stands for the full disk"
        );
    }
    let (mut h, written) = demo_viewer(dir, 1.0);
    let journal = sarscope::annotate::journal::sidecar_path(&written.tif, true);
    // What reopening the scene brings back.
    let saved = || {
        let scene = sarscope::session::load_scene(std::slice::from_ref(&written.tif)).ok()?;
        Some(scene.edits?.footprints.len())
    };
    let draw = |h: &mut egui_kittest::Harness<'static, sarscope::app::Viewer>, x: f64| {
        key(h, egui::Modifiers::NONE, egui::Key::D);
        for (dx, dy) in [(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (0.0, 30.0)] {
            click_scene(h, x + dx, 400.0 + dy);
        }
        key(h, egui::Modifiers::NONE, egui::Key::Enter);
        h.state().wait_edits_saved();
        h.run_steps(3);
    };
    let edits = |h: &egui_kittest::Harness<'static, sarscope::app::Viewer>| {
        h.state().edits().map_or(0, |e| e.footprints().len())
    };
    draw(&mut h, 380.0);
    assert_eq!(edits(&h), 1);
    assert_eq!(saved(), Some(1), "{:?}", h.state().edit_message());
    let before = std::fs::read(&journal).unwrap();

    // The disk fills (or the folder turns read-only); the next edit cannot be saved.
    match &disk {
        Some(disk) => disk.fill(),
        None => {
            let mut mode = std::fs::metadata(dir).unwrap().permissions();
            mode.set_readonly(true);
            std::fs::set_permissions(dir, mode).unwrap();
        }
    }
    draw(&mut h, 440.0);
    assert_eq!(edits(&h), 2, "the edit stays on screen");
    let message = h.state().edit_message().unwrap_or_default().to_string();
    assert!(
        message.contains("could not save the edits") && message.contains(".edits."),
        "{message:?}"
    );
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the last journal, whole"
    );
    assert!(leftovers(dir).is_empty(), "{:?}", leftovers(dir));

    // Room again: the next edit saves every edit on screen.
    match &disk {
        Some(disk) => std::fs::remove_file(disk.path().join("filler")).unwrap(),
        None => {
            let mut mode = std::fs::metadata(dir).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            mode.set_readonly(false);
            std::fs::set_permissions(dir, mode).unwrap();
        }
    }
    draw(&mut h, 500.0);
    assert_eq!(saved(), Some(3), "{:?}", h.state().edit_message());
    assert_eq!(h.state().edit_message(), None);
    drop(h);
}

/// A file cut short while the viewer reads a large scene's tiles from it (a copy still being
/// written, a disk that went away): the tiles that cannot be read are reported in words with
/// the file's name, the viewer goes on drawing what it has, and nothing panics.
#[test]
fn a_file_cut_short_while_the_viewer_reads_its_tiles_is_reported_and_the_viewer_goes_on() {
    use eframe::egui;
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let (_, vrt) = crate::viewer_flows::demo_mosaic(dir.path());
    let tif = dir.path().join("synth_s0_0000.tif");
    assert!(tif.is_file());
    let scene = sarscope::session::load_scene(std::slice::from_ref(&vrt)).unwrap();
    assert!(scene.tiled.is_some());
    let mut h = crate::viewer_flows::harness_for(scene);
    h.run();
    // The overview is drawn; now the tile's file loses its second half (its full-resolution
    // rows from 450 on; the overviews GDAL wrote at the end of the file go too).
    let length = std::fs::metadata(&tif).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&tif)
        .unwrap()
        .set_len(length / 2)
        .unwrap();
    // At 1:1 over the lower half of a copy of the tile: its tiles cannot be read.
    h.state_mut().set_camera(egui::vec2(5_850.0, 5_850.0), 1.0);
    let started = Instant::now();
    while h.state().error().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no word of the tiles that cannot be read"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    let error = h.state().error().unwrap_or_default().to_string();
    eprintln!("the viewer says: {error}");
    // The mosaic, the tile's place, and GDAL's words naming the file cut short.
    assert!(
        error.contains("mosaic.vrt") && error.contains("the tile at x "),
        "{error}"
    );
    assert!(error.contains("synth_s0_0000.tif"), "{error}");
    for debug in ["Some(", "Os {", " { ", "panicked", "CPLE_"] {
        assert!(!error.contains(debug), "{error}");
    }
    // The viewer goes on: frames are drawn, panning works, the pixel inspector answers.
    h.state_mut()
        .set_camera(egui::vec2(10_350.0, 10_350.0), 0.05);
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(h.render().is_ok());
    assert!(h.state().inspect(egui::vec2(100.5, 100.5)).is_some());
}
