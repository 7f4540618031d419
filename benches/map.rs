//! `sarscope map` at scale: throughput (km2 per hour, scenes per minute) of demo-like 900 px
//! scenes with the shipped UNet11 on the CPU, by one process and by two shards at once, with
//! the time per stage (read, predict, trace, write) from the shards' manifests; and resident
//! memory (the high-water mark) while a shard maps blocks of the 20,700 px mosaic. Next to it,
//! in the same run, the Python peer pipeline (benches/map_peer.py: PyTorch UNet11 with the same
//! weights, exported here as safetensors under PyTorch's names, + rasterio shapes + shapely +
//! pyarrow) on the same scenes, one process.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench map \
//!     [-- --scenes 12 --mosaic-copies 23 --mosaic-shards 16]
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use burn::store::ModuleSnapshot;
use clap::Parser;
use sarscope::synth::{SynthConfig, generate, write_mosaic_vrt};

#[derive(Parser, Debug)]
struct Args {
    /// 900 px scenes mapped.
    #[arg(long, default_value_t = 12)]
    scenes: u64,
    /// Copies a side of the mosaic (23: 20,700 px); 0 skips it.
    #[arg(long, default_value_t = 23)]
    mosaic_copies: usize,
    /// The mosaic's run is cut in this many shards, of which one is mapped (its memory is a
    /// whole run's: blocks come one after another).
    #[arg(long, default_value_t = 16)]
    mosaic_shards: usize,
    #[arg(long, hide = true)]
    bench: bool,
}

fn sarscope() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sarscope"));
    c.env("RUST_LOG", "warn");
    c
}

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_unet11_synth.bpk")
}

/// Stage seconds and totals summed over a run's shard manifests.
#[derive(Default, Debug)]
struct Account {
    units: usize,
    footprints: usize,
    km2: f64,
    stages: [f64; 4],
}

fn account(run: &Path) -> anyhow::Result<Account> {
    let mut a = Account::default();
    for entry in std::fs::read_dir(run.join("shards"))? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        a.footprints += m["footprints"].as_u64().unwrap_or(0) as usize;
        a.km2 += m["km2"].as_f64().unwrap_or(0.0);
        for d in m["done"].as_array().into_iter().flatten() {
            a.units += 1;
            for (slot, key) in
                a.stages
                    .iter_mut()
                    .zip(["read_s", "predict_s", "trace_s", "write_s"])
            {
                *slot += d[key].as_f64().unwrap_or(0.0);
            }
        }
    }
    Ok(a)
}

/// Runs `commands` at once; the wall time and the largest resident high-water mark (MB) any
/// of them reached (read from /proc while they run).
fn run_all(mut commands: Vec<Command>) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    let mut children = Vec::new();
    for c in &mut commands {
        c.stdout(std::process::Stdio::null());
        c.stderr(std::process::Stdio::piped());
        children.push(c.spawn()?);
    }
    let mut peak_kb = 0u64;
    let mut running = children.len();
    while running > 0 {
        running = 0;
        for child in &mut children {
            if child.try_wait()?.is_none() {
                running += 1;
                let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
                    .unwrap_or_default();
                if let Some(kb) = status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    peak_kb = peak_kb.max(kb);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed().as_secs_f64();
    for child in children {
        let out = child.wait_with_output()?;
        anyhow::ensure!(
            out.status.success(),
            "sarscope map failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((wall, peak_kb as f64 / 1024.0))
}

/// The Python peer on the same scenes with the same weights: its time and the ratio.
fn peer(args: &Args, dir: &Path, scenes: &Path, ours_s: f64) {
    let run = || -> anyhow::Result<serde_json::Value> {
        let weights = dir.join("unet11_torch.safetensors");
        export_for_torch(&weights)?;
        let mut tiles: Vec<String> = std::fs::read_dir(scenes)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tif"))
            .map(|p| p.display().to_string())
            .collect();
        tiles.sort();
        let out = dir.join("peer.parquet");
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut peer_args = vec![
            "--weights".to_string(),
            weights.display().to_string(),
            "--threads".into(),
            threads.to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        peer_args.extend(tiles);
        let refs: Vec<&str> = peer_args.iter().map(String::as_str).collect();
        let text = common::run_peer_script("python3", "benches/map_peer.py", &refs)?;
        Ok(serde_json::from_str(&text)?)
    };
    match run() {
        Ok(p) => {
            let s = p["seconds"].as_f64().unwrap_or(f64::NAN);
            let st = &p["stages"];
            println!(
                "  peer (PyTorch {} + rasterio + shapely, 1 process): {} scenes, {} footprints \
                 in {s:.1} s: {:.1} scenes/min; read {:.1}, predict {:.1}, trace {:.1}, write \
                 {:.2} s; ours 1 process {:.1}x faster",
                p["torch"].as_str().unwrap_or("?"),
                p["scenes"],
                p["footprints"],
                args.scenes as f64 / s * 60.0,
                st["read"].as_f64().unwrap_or(0.0),
                st["predict"].as_f64().unwrap_or(0.0),
                st["trace"].as_f64().unwrap_or(0.0),
                st["write"].as_f64().unwrap_or(0.0),
                s / ours_s
            );
        }
        Err(e) => println!("  peer not run: {e:#}"),
    }
}

fn map_command(inputs: &[&Path], out: &Path, shard: Option<(usize, usize)>) -> Command {
    let mut c = sarscope();
    c.arg("map").args(inputs);
    c.arg("--weights").arg(shipped());
    c.args(["--device", "cpu", "--out"]).arg(out);
    if let Some((i, n)) = shard {
        c.arg("--shard").arg(format!("{i}/{n}"));
    }
    c
}

/// The shipped weights as safetensors under the baseline's (PyTorch) names, for the peer.
fn export_for_torch(out: &Path) -> anyhow::Result<usize> {
    let device = sarscope::model::select_device(sarscope::model::DeviceChoice::Cpu)?;
    let loaded = sarscope::model::load_weights(&shipped(), &device.device)?;
    let mut names = std::collections::HashMap::new();
    for layer in loaded.config.layers() {
        for part in ["weight", "bias"] {
            names.insert(
                format!("{}.{part}", layer.ours),
                format!("{}.{part}", layer.torch),
            );
        }
    }
    let mut header = serde_json::Map::new();
    let mut data: Vec<u8> = Vec::new();
    for tensor in loaded.model.collect(None, None, true) {
        let (name, dtype, shape, _, bytes) =
            tensor.into_parts().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        anyhow::ensure!(dtype == burn::tensor::DType::F32, "{name}: {dtype:?}");
        let torch = names
            .get(&name)
            .ok_or_else(|| anyhow::anyhow!("no PyTorch name for {name}"))?;
        let start = data.len();
        data.extend_from_slice(&bytes);
        header.insert(
            torch.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape.to_vec(), "data_offsets": [start, data.len()]}),
        );
    }
    let header = serde_json::Value::Object(header).to_string();
    let mut file = Vec::with_capacity(8 + header.len() + data.len());
    file.extend_from_slice(&(header.len() as u64).to_le_bytes());
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(&data);
    std::fs::write(out, file)?;
    Ok(names.len())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let scenes = dir.path().join("scenes");
    std::fs::create_dir(&scenes)?;
    for i in 0..args.scenes {
        let config = SynthConfig {
            seed: 100 + i,
            ..SynthConfig::default()
        };
        generate(&config, i)?.write(&scenes)?;
    }
    println!(
        "map: {} scenes of 900x900 px (0.5 m), shipped UNet11 (width 1/8), CPU, {} cores",
        args.scenes,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut one_process_s = f64::NAN;
    for processes in [1usize, 2] {
        let run = dir.path().join(format!("run{processes}"));
        let commands = (0..processes)
            .map(|i| map_command(&[&scenes], &run, (processes > 1).then_some((i, processes))))
            .collect();
        let (mut wall, peak) = run_all(commands)?;
        if processes > 1 {
            let t = Instant::now();
            let out = sarscope().arg("merge").arg(&run).output()?;
            anyhow::ensure!(out.status.success(), "merge failed");
            wall += t.elapsed().as_secs_f64();
        }
        let a = account(&run)?;
        if processes == 1 {
            one_process_s = wall;
        }
        println!(
            "  {processes} process{}: {} units, {} footprints, {:.3} km2 in {wall:.1} s: \
             {:.1} scenes/min, {:.2} km2/h; stages (s, summed over processes): read {:.1}, \
             predict {:.1}, trace {:.1}, write {:.2}; peak RSS {peak:.0} MB",
            if processes == 1 { "" } else { "es" },
            a.units,
            a.footprints,
            a.km2,
            args.scenes as f64 / wall * 60.0,
            a.km2 / wall * 3600.0,
            a.stages[0],
            a.stages[1],
            a.stages[2],
            a.stages[3],
        );
    }
    peer(&args, dir.path(), &scenes, one_process_s);
    if args.mosaic_copies > 0 {
        let demo = generate(&SynthConfig::default(), 0)?;
        let tile = demo.write(dir.path())?.tif;
        let vrt = dir.path().join("mosaic.vrt");
        write_mosaic_vrt(
            &tile,
            (900, 900),
            4,
            args.mosaic_copies,
            Some(demo.geo_transform.0),
            Some(demo.epsg),
            &vrt,
        )?;
        let run = dir.path().join("mosaic_run");
        let side = 900 * args.mosaic_copies;
        let (wall, peak) = run_all(vec![map_command(
            &[&vrt],
            &run,
            Some((0, args.mosaic_shards)),
        )])?;
        let a = account(&run)?;
        println!(
            "  mosaic {side}x{side} px, shard 0/{}: {} blocks, {} footprints, {:.3} km2 in \
             {wall:.1} s ({:.2} km2/h); peak RSS {peak:.0} MB (target < 2048)",
            args.mosaic_shards,
            a.units,
            a.footprints,
            a.km2,
            a.km2 / wall * 3600.0
        );
    }
    Ok(())
}
