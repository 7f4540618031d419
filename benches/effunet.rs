//! Speed of the SN6 winner's network (full width: EfficientNet-B5 U-Net, 68.5 M parameters)
//! over one tile with main.py's inference, without test-time augmentation (a single pass at
//! scale one) and with it (scales 0.8, 1.0, 1.5, each flipped too: 6 passes), on burn's CPU
//! backend, next to PyTorch on the same tile in the same run (`benches/effunet_torch.py`,
//! needs torch and geffnet). Target: within 1.5x of PyTorch on the CPU.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench effunet -- --size 900
//! ```

mod common;
use common::*;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use burn::prelude::*;
use clap::Parser;
use sarscope::model::effunet::{EffUNetConfig, Extra, Tta, predict_winner};
use sarscope::synth::{Difficulty, SynthConfig, generate};

#[derive(Parser, Debug)]
struct Args {
    /// Tile side in pixels (SN6: 900).
    #[arg(long, default_value_t = 900)]
    size: usize,
    /// Timed runs per measurement; the median is reported.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// none, winner or both.
    #[arg(long, default_value = "both")]
    tta: String,
    /// The Python with torch and geffnet; "none" skips the peer.
    #[arg(long, default_value = "python3")]
    python: String,
    /// PyTorch's threads (0: its default, the machine's cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// TTA passes run at once (0: the cores, as `predict` runs them on a CPU).
    #[arg(long, default_value_t = 0)]
    at_once: usize,
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scene = generate(
        &SynthConfig {
            width: args.size,
            height: args.size,
            seed: 7,
            difficulty: Difficulty::Hard,
            ..Default::default()
        },
        0,
    )?;
    let planes = &scene.planes;
    let bands: [&[f32]; 4] = [
        &planes.bands[0],
        &planes.bands[1],
        &planes.bands[2],
        &planes.bands[3],
    ];
    let device = Device::flex();
    let config = EffUNetConfig::winner();
    let model = config.init(&device);
    let extra = Extra {
        strip: Some(0),
        south: false,
        coord_y: 0.5,
    };
    let mut runs: Vec<(&str, Tta)> = Vec::new();
    if args.tta != "winner" {
        runs.push(("plain", Tta::none()));
    }
    if args.tta != "none" {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let at_once = if args.at_once == 0 {
            cores
        } else {
            args.at_once
        };
        runs.push(("tta", Tta::winner().at_once(at_once)));
    }
    let mut ours = Vec::new();
    for (name, tta) in &runs {
        let mut times = Vec::new();
        for _ in 0..args.repeat.max(1) {
            let t = Instant::now();
            let out = predict_winner(
                &[&model],
                bands,
                (args.size, args.size),
                &extra,
                config.strips,
                tta,
                &device,
            )?;
            std::hint::black_box(out);
            times.push(t.elapsed().as_secs_f64());
        }
        let s = median(times);
        println!(
            "burn flex, {} px tile, {name} ({} passes): {s:.1} s",
            args.size,
            tta.passes()
        );
        ours.push((*name, s));
    }
    if args.python == "none" {
        println!("note: PyTorch peer skipped (--python none)");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("tile.f32");
    let bytes: Vec<u8> = planes
        .bands
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(&input, bytes)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/effunet_torch.py");
    let out = Command::new(&args.python)
        .arg(&script)
        .arg("--input")
        .arg(&input)
        .args([
            "--height",
            &args.size.to_string(),
            "--width",
            &args.size.to_string(),
        ])
        .args(["--threads", &args.threads.to_string()])
        .args(["--repeat", &args.repeat.to_string()])
        .args(["--tta", &args.tta])
        .output()
        .with_context(|| format!("running {}", args.python))?;
    if !out.status.success() {
        bail!("peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    for (name, s) in ours {
        let theirs = peer[format!("{name}_s")]
            .as_f64()
            .context("no time from the peer")?;
        println!(
            "PyTorch {} CPU ({} threads), {name}: {theirs:.1} s  ->  burn / PyTorch = {:.2} (target <= 1.5)",
            peer["torch"].as_str().unwrap_or("?"),
            peer["threads"],
            s / theirs
        );
    }
    Ok(())
}
