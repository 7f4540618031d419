//! The corpus (tests/corpus, see its README): other projects' rasters and footprint files and
//! odd ones of ours, each run through `info`, `render`, `predict`, `eval`, `export` and the
//! viewer's open path. Every outcome is recorded (target's tmp dir: corpus_report.tsv) and
//! asserted: no panic, no hang (each command within its time limit), and a refusal names the
//! file and says why in words, without Rust's debug text.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::demo_tile;

/// What became of one command on one file.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1 with a message naming the file.
    Refused,
    /// Anything else: why.
    Bad(String),
}

struct Run {
    file: String,
    command: &'static str,
    outcome: Outcome,
    seconds: f64,
    said: String,
}

/// Rust's debug output and panic text: never what a user should read.
const NOT_WORDS: [&str; 12] = [
    "panicked",
    "RUST_BACKTRACE",
    "Some(",
    "Os {",
    "kind: ",
    "CplError",
    "NullPointer",
    "GdalError",
    "called `",
    "unwrap()",
    "Utf8Error",
    "Error {",
];

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs sarscope with `args`, killed after `limit`; judges the outcome for `file`.
fn judge(file: &Path, command: &'static str, args: Vec<OsString>, limit: Duration) -> Run {
    let started = Instant::now();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spawned = Command::new(env!("CARGO_BIN_EXE_sarscope"))
        .args(&args)
        .env("RUST_LOG", "error")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => panic!("sarscope does not start: {e}"),
    };
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let mut bytes = Vec::new();
            let _ = s.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for sarscope: {e}"),
        }
    };
    let said = reader.join().unwrap_or_default();
    let seconds = started.elapsed().as_secs_f64();
    let noise = NOT_WORDS.iter().find(|w| said.contains(*w));
    let outcome = match status.map(|s| s.code()) {
        None => Outcome::Bad(format!("still running after {} s", limit.as_secs())),
        Some(None) => Outcome::Bad("killed by a signal".into()),
        Some(Some(_)) if noise.is_some() => {
            Outcome::Bad(format!("says {:?}", noise.copied().unwrap_or_default()))
        }
        Some(Some(0)) => Outcome::Done,
        Some(Some(1)) if said.contains("error:") && said.contains(&name) => Outcome::Refused,
        Some(Some(1)) if said.contains("error:") => {
            Outcome::Bad("refuses without naming the file".into())
        }
        Some(Some(code)) => Outcome::Bad(format!("exit status {code}")),
    };
    Run {
        file: name,
        command,
        outcome,
        seconds,
        said: said.lines().last().unwrap_or_default().to_string(),
    }
}

/// One command to run and judge.
type Job = Box<dyn FnOnce() -> Run + Send>;

/// Runs `jobs` on two threads (the machine's cores; the commands themselves are mostly one
/// thread).
fn run_all(jobs: Vec<Job>) -> Vec<Run> {
    let jobs: Vec<Mutex<Option<Job>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let next = AtomicUsize::new(0);
    let runs = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(slot) = jobs.get(i) else { break };
                    let job = slot.lock().ok().and_then(|mut j| j.take());
                    if let Some(job) = job {
                        let run = job();
                        if let Ok(mut runs) = runs.lock() {
                            runs.push(run);
                        }
                    }
                }
            });
        }
    });
    runs.into_inner().unwrap_or_default()
}

fn os(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

/// The viewer's open path, in this process: the scene read as the viewer reads it.
fn viewer_open(file: &Path) -> Run {
    let started = Instant::now();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opened = std::panic::catch_unwind(|| {
        sarscope::session::load_scene(&[file.to_path_buf()]).map(|s| s.gdal_notes.len())
    });
    let (outcome, said) = match opened {
        Ok(Ok(notes)) => (Outcome::Done, format!("{notes} notes of GDAL's")),
        Ok(Err(e)) => {
            let text = e.to_string();
            let noise = NOT_WORDS.iter().find(|w| text.contains(*w));
            let outcome = match noise {
                Some(w) => Outcome::Bad(format!("says {w:?}")),
                None if text.contains(&name) => Outcome::Refused,
                None => Outcome::Bad("refuses without naming the file".into()),
            };
            (outcome, text)
        }
        Err(_) => (Outcome::Bad("panicked".into()), String::new()),
    };
    Run {
        file: name,
        command: "viewer open",
        outcome,
        seconds: started.elapsed().as_secs_f64(),
        said,
    }
}

#[test]
fn every_file_of_the_corpus_is_opened_or_refused_in_words_without_panic_or_hang() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scene = demo_tile(dir.path());
    let weights = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_unet11_synth.bpk");
    let out = dir.path().to_path_buf();
    let mut jobs: Vec<Job> = Vec::new();
    let mut in_process = Vec::new();
    for (i, file) in corpus("rasters").into_iter().enumerate() {
        let png = out.join(format!("r{i}.png"));
        let probs = out.join(format!("p{i}.tif"));
        let f = file.clone();
        jobs.push(Box::new(move || {
            judge(&f, "info", os(&[&"info", &f]), Duration::from_secs(30))
        }));
        let f = file.clone();
        jobs.push(Box::new(move || {
            judge(
                &f,
                "render",
                os(&[&"render", &f, &"--out", &png]),
                Duration::from_secs(60),
            )
        }));
        let f = file.clone();
        let w = weights.clone();
        jobs.push(Box::new(move || {
            judge(
                &f,
                "predict",
                os(&[
                    &"predict",
                    &f,
                    &"--weights",
                    &w,
                    &"--device",
                    &"cpu",
                    &"--out",
                    &probs,
                ]),
                Duration::from_secs(120),
            )
        }));
        in_process.push(file);
    }
    for (i, file) in corpus("footprints").into_iter().enumerate() {
        let georeferenced = file.extension().is_some_and(|e| e == "geojson");
        let to = out.join(format!(
            "f{i}.{}",
            if georeferenced { "csv" } else { "geojson" }
        ));
        let (f, s) = (file.clone(), scene.clone());
        jobs.push(Box::new(move || {
            let mut args = os(&[&"eval", &"--truth", &f, &"--pred", &f]);
            if georeferenced {
                args.extend(os(&[&"--scene", &s]));
            }
            judge(&f, "eval", args, Duration::from_secs(30))
        }));
        let (f, s) = (file.clone(), scene.clone());
        jobs.push(Box::new(move || {
            judge(
                &f,
                "export",
                os(&[&"export", &"--in", &f, &"--out", &to, &"--scene", &s]),
                Duration::from_secs(30),
            )
        }));
    }
    let started = Instant::now();
    let mut runs = run_all(jobs);
    for file in &in_process {
        runs.push(viewer_open(file));
    }
    runs.sort_by(|a, b| (&a.file, a.command).cmp(&(&b.file, b.command)));

    // The record: one line per run, and a count per command and outcome.
    let mut report = String::from("file\tcommand\toutcome\tseconds\tlast line said\n");
    let mut counts: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    for r in &runs {
        let (label, k) = match &r.outcome {
            Outcome::Done => ("done".to_string(), 0),
            Outcome::Refused => ("refused".to_string(), 1),
            Outcome::Bad(why) => (format!("BAD: {why}"), 2),
        };
        counts.entry(r.command).or_default()[k] += 1;
        report += &format!(
            "{}\t{}\t{label}\t{:.2}\t{}\n",
            r.file, r.command, r.seconds, r.said
        );
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus_report.tsv");
    let _ = std::fs::write(&path, &report);
    println!(
        "corpus: {} runs in {:.0} s (report: {})",
        runs.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    for (command, [done, refused, bad]) in &counts {
        println!("  {command:12} done {done:4}  refused in words {refused:4}  other {bad:3}");
    }
    let bad: Vec<String> = runs
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Bad(why) => Some(format!("{} {}: {why} ({})", r.command, r.file, r.said)),
            _ => None,
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{} runs went wrong:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The corpus is what it says: most rasters refused or opened, not all of one kind.
    let rasters = counts.get("info").copied().unwrap_or_default();
    assert!(rasters[0] >= 30 && rasters[1] >= 30, "info: {rasters:?}");
}

#[test]
fn what_gdal_says_about_a_file_reaches_the_user_naming_it() {
    // GDAL opens this file but warns that its CRS (EPSG:32690, which does not exist) is not
    // the registry's: the CLI warns, `info --json` lists it, the viewer's scene carries it.
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/rasters/odd_unknown_epsg.tif");
    let out = crate::common::sarscope(&[std::ffi::OsStr::new("info"), file.as_os_str()]);
    assert!(out.status.success());
    let said = crate::common::text(&out.stderr);
    let expected = format!("warning: {}: GDAL warns: ", file.display());
    assert!(
        said.contains(&expected) && said.contains("EPSG:32690"),
        "{said}"
    );
    assert_eq!(
        said.matches("EPSG:32690 got from GeoTIFF keys").count(),
        1,
        "said once: {said}"
    );

    let out = crate::common::sarscope(&[
        std::ffi::OsStr::new("info"),
        std::ffi::OsStr::new("--json"),
        file.as_os_str(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let notes = json["gdal_notes"].as_array().expect("gdal_notes");
    assert!(
        notes.iter().any(|n| n["severity"] == "warning"
            && n["message"]
                .as_str()
                .is_some_and(|m| m.contains("EPSG:32690"))),
        "{notes:?}"
    );

    let scene = sarscope::session::load_scene(std::slice::from_ref(&file)).expect("it opens");
    assert!(
        scene.gdal_notes.iter().any(|n| n.path == file),
        "{:?}",
        scene.gdal_notes
    );
    // A sound file says nothing.
    let sound =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/rasters/rasterio_byte.tif");
    let scene = sarscope::session::load_scene(&[sound]).expect("it opens");
    assert!(scene.gdal_notes.is_empty(), "{:?}", scene.gdal_notes);
}
