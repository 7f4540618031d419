//! No lost work under SIGKILL: a child process (this test binary, re-run in child mode) edits
//! footprints and saves the journal after each edit, as the viewer does, and prints the edit
//! count once each save has returned; the parent kills it with SIGKILL at a moment it does not
//! choose, then reopens the scene. The journal must open, and hold the last printed state or the
//! one after it (a save in flight when the kill came), never a broken file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use geo::{Area, Coord};
use sarscope::annotate::edit::EditableLayer;
use sarscope::annotate::{Layer, Role, journal};
use sarscope::io::SceneGrid;
use sarscope::raster::Scene;

const CHILD: &str = "SARSCOPE_JOURNAL_CHILD";

/// The k-th footprint the child draws: a square whose side says its number.
fn square(k: usize) -> Vec<Coord<f64>> {
    let (x, y, side) = (
        10.0 + (k % 40) as f64 * 20.0,
        10.0 + (k / 40) as f64 * 20.0,
        4.0 + (k % 7) as f64,
    );
    vec![
        Coord { x, y },
        Coord { x: x + side, y },
        Coord {
            x: x + side,
            y: y + side,
        },
        Coord { x, y: y + side },
    ]
}

/// Child mode: edit forever, saving after every edit (the test below runs itself as the child).
fn journal_child(tif: std::path::PathBuf) -> ! {
    let scene = Scene::open(&tif).unwrap();
    let grid = SceneGrid::of(&scene);
    let mut editor = EditableLayer::new(Layer {
        role: Role::Predictions,
        path: journal::sidecar_path(&tif, grid.is_some()),
        footprints: Vec::new(),
        visible: true,
        locked: false,
        width: 2.0,
    });
    for k in 0.. {
        editor.add(&square(k)).unwrap();
        journal::save(&tif, grid.as_ref(), editor.footprints()).unwrap();
        println!("saved {}", k + 1);
    }
    unreachable!()
}

#[test]
fn a_killed_session_keeps_every_saved_edit() {
    if let Some(tif) = std::env::var_os(CHILD) {
        journal_child(tif.into());
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = demo.write(dir.path()).unwrap();
    for wait_ms in [700u64, 1300] {
        let _ = std::fs::remove_file(journal::sidecar_path(&written.tif, true));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "journal_kill::a_killed_session_keeps_every_saved_edit",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD, &written.tif)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line
                    .strip_prefix("saved ")
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    let _ = sender.send(n);
                }
            }
        });
        // Let it save a few edits, then kill it wherever it is.
        let started = Instant::now();
        let mut saved = 0;
        while saved < 3 || started.elapsed() < Duration::from_millis(wait_ms) {
            if let Ok(n) = receiver.recv_timeout(Duration::from_secs(30)) {
                saved = n;
            } else {
                panic!("the child saved nothing in 30 s");
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        while let Ok(n) = receiver.try_recv() {
            saved = n;
        }

        let reopened = sarscope::session::load_scene(std::slice::from_ref(&written.tif)).unwrap();
        assert_eq!(
            reopened.layer_error, None,
            "the journal opens after the kill"
        );
        let edits = reopened.edits.expect("the edits come back");
        let n = edits.footprints.len();
        eprintln!("killed after {wait_ms} ms: {saved} saves reported, {n} footprints restored");
        assert!(
            n == saved || n == saved + 1,
            "{n} footprints, {saved} saves reported"
        );
        for (k, f) in edits.footprints.iter().enumerate() {
            let side = 4.0 + (k % 7) as f64;
            assert!(
                (f.polygon.unsigned_area() - side * side).abs() < 1e-6,
                "footprint {k}"
            );
        }
    }
}
