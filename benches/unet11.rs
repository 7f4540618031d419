//! Speed of the full-width UNet11 (the SN6 baseline) on one 512x512 window and on a whole
//! 900x900 tile (the baseline's 4 windows, logits averaged), on burn's CPU backend (flex) and
//! on wgpu, next to PyTorch on the same input in the same run (`benches/unet11_torch.py`).
//!
//! ```text
//! cargo bench --profile dev --bench unet11                 # deps are opt-level 3 in dev
//! cargo bench --profile dev --bench unet11 -- --device cpu --repeat 5
//! ```
//! Prints a table with seconds, GFLOP/s and the ratio burn / PyTorch (lower is better).
//! On a software wgpu adapter (llvmpipe) the window shrinks to `--software-window` px and the
//! tile is skipped: a 512 window there takes minutes.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use burn::prelude::*;
use burn::tensor::TensorData;
use clap::Parser;
use sarscope::model::{
    DeviceChoice, InferParams, Normalization, Rotation, UNet11, UNet11Config, model_input,
    predict_planes, select_device,
};
use sarscope::synth::{SynthConfig, generate};

#[derive(Parser, Debug)]
struct Args {
    /// Engines to run: cpu (burn flex), gpu (burn wgpu), all.
    #[arg(long, default_value = "all")]
    device: String,
    /// Timed runs per measurement (after one warm-up); the median is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[arg(long, default_value_t = 512)]
    window: usize,
    /// Window side on a software adapter.
    #[arg(long, default_value_t = 128)]
    software_window: usize,
    /// The Python with PyTorch for the peer; "none" skips it.
    #[arg(long, default_value = "python3")]
    python: String,
    /// The PyTorch peer script (default: benches/unet11_torch.py of this checkout, else of the
    /// current folder).
    #[arg(long)]
    peer_script: Option<PathBuf>,
    /// Windows per forward pass on the GPU (CPU: 1, like the peer).
    #[arg(long, default_value_t = 4)]
    gpu_batch: usize,
    /// cargo bench passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Multiply-adds of a UNet11 forward pass at `h` x `w` (per layer: weight size x the number of
/// output pixels for a convolution, of input pixels for a transposed one).
fn macs(config: &UNet11Config, h: usize, w: usize) -> f64 {
    const SCALE: [usize; 20] = [
        1, 2, 4, 4, 8, 8, 16, 16, 32, 32, 16, 16, 8, 8, 4, 4, 2, 2, 1, 1,
    ];
    config
        .layers()
        .iter()
        .zip(SCALE)
        .map(|(l, s)| l.weight.iter().product::<usize>() as f64 * ((h / s) * (w / s)) as f64)
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn timed(repeat: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    f()?; // warm-up: kernel compilation, autotuning, allocation
    let mut runs = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        f()?;
        runs.push(t.elapsed().as_secs_f64());
    }
    Ok(median(runs))
}

fn window_of(input: &[f32], width: usize, height: usize, side: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(4 * side * side);
    for c in 0..4 {
        let plane = &input[c * width * height..(c + 1) * width * height];
        for y in 0..side {
            out.extend_from_slice(&plane[y * width..y * width + side]);
        }
    }
    out
}

struct Row {
    engine: String,
    window_side: usize,
    window_s: f64,
    tile_s: Option<f64>,
}

fn forward_window(
    model: &UNet11,
    device: &Device,
    data: &[f32],
    side: usize,
) -> anyhow::Result<()> {
    let x = Tensor::<4>::from_data(TensorData::new(data.to_vec(), [1, 4, side, side]), device);
    let y = model
        .forward(x)
        .try_into_data()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Touch the logits: on wgpu a read-back resolves lazily and the wait for the GPU happens at
    // the first access to the bytes (without this, a window "takes" 5 ms on an H200, not 133).
    let logits: Vec<f32> = y
        .as_slice::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .to_vec();
    anyhow::ensure!(logits.len() == side * side);
    Ok(())
}

fn bench_burn(
    args: &Args,
    choice: DeviceChoice,
    input: &[f32],
    size: (usize, usize),
) -> anyhow::Result<Option<Row>> {
    let chosen = select_device(choice)?;
    let software =
        chosen.description.contains("llvmpipe") || chosen.description.contains("lavapipe");
    if choice == DeviceChoice::Gpu && !chosen.is_gpu {
        return Ok(None);
    }
    let model = UNet11Config::baseline().init(&chosen.device);
    let side = if software {
        args.software_window
    } else {
        args.window
    };
    let window = window_of(input, size.0, size.1, side);
    eprintln!(
        "burn on {}: timing a {side}x{side} window",
        chosen.description
    );
    let window_s = timed(args.repeat, || {
        forward_window(&model, &chosen.device, &window, side)
    })?;
    let tile_s = if software {
        eprintln!("  (software adapter: the 900x900 tile is skipped)");
        None
    } else {
        eprintln!("  timing the {}x{} tile", size.0, size.1);
        let params = InferParams {
            batch: if chosen.is_gpu { args.gpu_batch } else { 1 },
            window: args.window,
            step: args.window,
            ..InferParams::default()
        };
        let tile = timed(args.repeat, || {
            predict_planes(
                &model,
                &chosen.device,
                input,
                4,
                size.0,
                size.1,
                &params,
                &mut |_| true,
            )?;
            Ok(())
        })?;
        Some(tile)
    };
    Ok(Some(Row {
        engine: format!("burn, {}", chosen.description),
        window_side: side,
        window_s,
        tile_s,
    }))
}

fn bench_torch(
    args: &Args,
    device: &str,
    input_file: &std::path::Path,
    size: (usize, usize),
    threads: usize,
) -> anyhow::Result<Row> {
    let script = args.peer_script.clone().unwrap_or_else(|| {
        let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/unet11_torch.py");
        if built.is_file() {
            built
        } else {
            PathBuf::from("benches/unet11_torch.py")
        }
    });
    eprintln!("PyTorch on {device}: timing");
    let out = Command::new(&args.python)
        .arg(&script)
        .args(["--input", &input_file.to_string_lossy()])
        .args([
            "--height",
            &size.1.to_string(),
            "--width",
            &size.0.to_string(),
        ])
        .args(["--window", &args.window.to_string(), "--device", device])
        .args([
            "--threads",
            &threads.to_string(),
            "--repeat",
            &args.repeat.to_string(),
        ])
        .args([
            "--batch",
            &(if device == "cpu" { 1 } else { args.gpu_batch }).to_string(),
        ])
        .output()
        .with_context(|| format!("running {} {}", args.python, script.display()))?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim_end());
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("peer output: {}", String::from_utf8_lossy(&out.stdout)))?;
    let number = |k: &str| {
        json[k]
            .as_f64()
            .with_context(|| format!("no {k} in {json}"))
    };
    Ok(Row {
        engine: format!(
            "PyTorch {}, {} ({} threads{})",
            json["torch"].as_str().unwrap_or("?"),
            json["device"].as_str().unwrap_or("?"),
            json["threads"],
            if json["tf32"].as_bool() == Some(true) {
                ", TF32 convs"
            } else {
                ""
            }
        ),
        window_side: args.window,
        window_s: number("window_s")?,
        tile_s: Some(number("tile_s")?),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = UNet11Config::baseline();
    let scene = generate(&SynthConfig::default(), 0)?;
    let size = (scene.planes.width, scene.planes.height);
    let input = model_input(
        &scene.planes,
        &[0, 1, 2, 3],
        Normalization::SN6_BASELINE,
        Rotation::None,
    )?;
    let dir = tempfile::tempdir()?;
    let input_file = dir.path().join("tile.f32");
    std::fs::write(&input_file, bytemuck::cast_slice::<f32, u8>(&input))?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let mut rows: Vec<Row> = Vec::new();
    let mut peers: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let want = |d: &str| args.device == "all" || args.device == d;
    if want("cpu") {
        if let Some(r) = bench_burn(&args, DeviceChoice::Cpu, &input, size)? {
            rows.push(r);
        }
        if args.python != "none" {
            match bench_torch(&args, "cpu", &input_file, size, threads) {
                Ok(r) => peers.push(r),
                Err(e) => notes.push(format!("PyTorch CPU peer not run: {e:#}")),
            }
        }
    }
    let mut gpu_is_real = false;
    if want("gpu") {
        match bench_burn(&args, DeviceChoice::Gpu, &input, size) {
            Ok(Some(r)) => {
                gpu_is_real = r.tile_s.is_some();
                rows.push(r);
            }
            Ok(None) => notes.push("no wgpu adapter: burn wgpu not run".into()),
            Err(e) => notes.push(format!("burn wgpu not run: {e:#}")),
        }
        if gpu_is_real && args.python != "none" {
            match bench_torch(&args, "cuda", &input_file, size, threads) {
                Ok(r) => peers.push(r),
                Err(e) => notes.push(format!("PyTorch CUDA peer not run: {e:#}")),
            }
        }
    }

    let window_macs = macs(&config, args.window, args.window);
    println!(
        "\nUNet11 full width ({} parameters), {:.1} GMAC per {}x{} window; tile {}x{} = {} windows",
        config.parameter_count(),
        window_macs / 1e9,
        args.window,
        args.window,
        size.0,
        size.1,
        sarscope::model::window_offsets(size.0, args.window, args.window).len()
            * sarscope::model::window_offsets(size.1, args.window, args.window).len()
    );
    println!(
        "{:<70} {:>12} {:>10} {:>11} {:>16}",
        "engine", "window", "GFLOP/s", "tile", "vs PyTorch"
    );
    let cpu_peer = peers.iter().find(|p| p.engine.contains(", cpu"));
    let gpu_peer = peers.iter().find(|p| !p.engine.contains(", cpu"));
    for r in rows.iter().chain(peers.iter()) {
        let flops = 2.0 * macs(&config, r.window_side, r.window_side);
        let peer = if r.engine.starts_with("burn, CPU") {
            cpu_peer
        } else if r.engine.starts_with("burn") {
            gpu_peer
        } else {
            None
        };
        let ratio = match (peer, r.window_side == args.window) {
            (Some(p), true) => format!(
                "{:.2}x / {}",
                r.window_s / p.window_s,
                match (r.tile_s, p.tile_s) {
                    (Some(a), Some(b)) => format!("{:.2}x", a / b),
                    _ => "-".into(),
                }
            ),
            _ => "-".into(),
        };
        println!(
            "{:<70} {:>10.3} s {:>10.1} {:>11} {:>16}",
            format!("{} ({}px)", r.engine, r.window_side),
            r.window_s,
            flops / r.window_s / 1e9,
            r.tile_s
                .map(|t| format!("{t:.3} s"))
                .unwrap_or_else(|| "-".into()),
            ratio
        );
    }
    println!("(vs PyTorch: burn time / PyTorch time for the window / the tile; lower is better)");
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}
