//! `sarscope map --slurm N` on a real single-node Slurm cluster (Debian's slurm-wlm and
//! munge, started by tests/slurm/cluster.sh without systemd and stopped after): a 4-task array
//! over 8 small scenes and a mosaic in blocks, one task requeued (killed) mid-way, merges to
//! the footprints one process maps.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{sarscope_cmd, text};
use super::map_flows::{
    assert_ran, assert_same_footprints, footprints, map_args, parts_in, synth_scenes,
};

/// The cluster: started on creation, stopped (every daemon it started) when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slurm/cluster.sh")
}

impl Cluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "the Slurm cluster did not start (.ci/run installs slurm-wlm and munge): {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let conf = PathBuf::from(text(&out.stdout).trim());
        assert!(conf.is_file(), "{}", conf.display());
        Self { dir, conf }
    }

    fn command(&self, tool: &str) -> Command {
        let mut c = Command::new(tool);
        c.env("SLURM_CONF", &self.conf);
        c
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_slurm_array_with_a_task_requeued_merges_to_what_one_process_maps() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = synth_scenes(dir.path(), 8, (520, 520), 60);
    let demo = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let tile = demo.write(dir.path()).unwrap().tif;
    sarscope::synth::write_mosaic_vrt(
        &tile,
        (900, 900),
        4,
        2,
        Some(demo.geo_transform.0),
        Some(demo.epsg),
        &scenes.join("zz_mosaic.vrt"),
    )
    .unwrap();
    let args = |out: &Path| {
        let mut a: Vec<std::ffi::OsString> = vec!["map".into()];
        a.extend(map_args(&scenes, out));
        a
    };
    let one = dir.path().join("one");
    let out = sarscope_cmd().args(args(&one)).output().unwrap();
    assert_ran(&out);
    assert!(
        text(&out.stdout).contains("9 scenes, 12 units"),
        "{}",
        text(&out.stdout)
    );
    let want = footprints(&one.join("merged.parquet"));
    assert!(want.len() > 100, "{}", want.len());

    let cluster = Cluster::start();
    let run = dir.path().join("slurm");
    let mut submit = sarscope_cmd();
    submit
        .args(args(&run))
        .args(["--slurm", "4"])
        .env("SLURM_CONF", &cluster.conf)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = submit.spawn().unwrap();
    // A running task that has written a part is requeued: Slurm kills it and runs it again.
    let started = std::time::Instant::now();
    let mut requeued = None;
    while requeued.is_none() && started.elapsed().as_secs() < 240 {
        if parts_in(&run) >= 1 {
            let running = cluster
                .command("squeue")
                .args(["-h", "-t", "R", "-o", "%i"])
                .output()
                .unwrap();
            if let Some(task) = text(&running.stdout).lines().next().map(str::to_owned) {
                let out = cluster
                    .command("scontrol")
                    .args(["requeue", &task])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "scontrol requeue {task}: {}",
                    text(&out.stderr)
                );
                requeued = Some(task);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}");
    let task = requeued.expect("a running task to requeue");
    assert!(said.contains("merged 12 of 12 units"), "{said}");
    // Slurm ran the requeued task again (its restart count), and every shard finished.
    let shown = cluster
        .command("scontrol")
        .args(["show", "job", &task])
        .output()
        .unwrap();
    let shown = text(&shown.stdout);
    assert!(shown.contains("Restarts=1"), "{task}: {shown}");
    for i in 0..4 {
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(run.join(format!("shards/shard-{i}-of-4.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["finished"], true, "shard {i}");
        assert!(
            manifest["failed"].as_array().unwrap().is_empty(),
            "shard {i}"
        );
    }
    let got = footprints(&run.join("merged.parquet"));
    assert_same_footprints(&got, &want);
    drop(cluster);
}
