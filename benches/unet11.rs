//! Speed of the full-width UNet11 (the SN6 baseline) on one 512x512 window and on a whole
//! 900x900 tile (the baseline's 4 windows, logits averaged), on burn's CPU backend (flex) and
//! on wgpu, next to PyTorch on the same input in the same run (`benches/unet11_torch.py`).
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench unet11
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench unet11 -- --device cpu --repeat 5
//! ```
//! (deps are opt-level 3 in the dev profile; the config builds our crate as a release build.)
//! Prints a table with seconds, GFLOP/s and the ratio burn / PyTorch (lower is better).
//! On a software wgpu adapter (llvmpipe) the window shrinks to `--software-window` px and the
//! tile is skipped: a 512 window there takes minutes.

mod common;
use common::*;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::prelude::*;
use burn::tensor::{FloatDType, TensorData};
use clap::Parser;
use sarscope::model::{
    ConvForm, DeviceChoice, InferParams, ModelDevice, Normalization, Rotation, UNet11,
    UNet11Config, conv_as, model_input, predict_planes, select_device,
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
    /// Time each layer alone (batch 1, the window's shapes) instead of the whole network, the
    /// 3x3 convolutions in both forms (`ConvForm`); PyTorch times the same layers.
    #[arg(long)]
    layers: bool,
    /// Also time the window with the 3x3 convolutions in the form the device does not use.
    #[arg(long)]
    all_forms: bool,
    /// Precisions of the weights to time on the GPU, comma separated: f32, flex32 (f32 in
    /// memory, f16 operands inside matrix products where the device has matrix units), f16.
    /// Each after the first is compared with the first: the largest logit difference.
    #[arg(long, default_value = "f32", value_delimiter = ',', value_parser = parse_precision)]
    precision: Vec<FloatDType>,
    /// cargo bench passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn parse_precision(s: &str) -> Result<FloatDType, String> {
    match s {
        "f32" => Ok(FloatDType::F32),
        "flex32" => Ok(FloatDType::Flex32),
        "f16" => Ok(FloatDType::F16),
        // Not bf16: on an H200 (Vulkan, SPIR-V) its first window faulted the driver ("device
        // poisoned"), and WGSL has no bf16.
        other => Err(format!("unknown precision {other:?} (f32, flex32, f16)")),
    }
}

/// Multiply-adds of a UNet11 forward pass at `h` x `w` (per layer: weight size x the number of
/// output pixels for a convolution, of input pixels for a transposed one).
fn macs(config: &UNet11Config, h: usize, w: usize) -> f64 {
    config
        .layers()
        .iter()
        .zip(SCALE)
        .map(|(l, s)| l.weight.iter().product::<usize>() as f64 * ((h / s) * (w / s)) as f64)
        .sum()
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
    /// The window in the other form of the convolutions (burn only, `--all-forms`).
    variants: Vec<(ConvForm, f64)>,
    /// Why the tile was not timed, if it failed.
    tile_error: Option<String>,
    tile_s: Option<f64>,
    /// How far the logits are from the first precision's (`--precision`), if this is another.
    deviation: Option<String>,
}

/// Spatial scale of each layer's input in the forward pass (window side / scale), in the order
/// of [`UNet11Config::layers`].
const SCALE: [usize; 20] = [
    1, 2, 4, 4, 8, 8, 16, 16, 32, 32, 16, 16, 8, 8, 4, 4, 2, 2, 1, 1,
];

/// One layer timed alone: name, kind (`conv3`, `conv1`, `up`), in and out channels, input side.
type LayerPlan = (String, &'static str, usize, usize, usize);

fn layer_plan(config: &UNet11Config, window: usize) -> Vec<LayerPlan> {
    config
        .layers()
        .iter()
        .zip(SCALE)
        .map(|(l, s)| {
            let (kind, cin, cout) = if l.ours.ends_with(".up") {
                ("up", l.weight[0], l.weight[1])
            } else if l.weight[2] == 1 {
                ("conv1", l.weight[1], l.weight[0])
            } else {
                ("conv3", l.weight[1], l.weight[0])
            };
            (l.ours.to_string(), kind, cin, cout, window / s)
        })
        .collect()
}

/// The form a layer is timed in besides the backend's: the device's own (banded on the CPU,
/// im2col on a GPU), or im2col where that is the backend's.
fn second_form(device: &Device) -> ConvForm {
    match ConvForm::for_device(device) {
        ConvForm::Backend => ConvForm::Im2col,
        form => form,
    }
}

/// Seconds per layer on `device` (median of `repeat` after a warm-up), each ending in a scalar
/// read-back: a convolution as the backend's and in [`second_form`]; an up-convolution as the
/// backend's transposed one.
fn time_layers(
    device: &Device,
    plan: &[LayerPlan],
    repeat: usize,
) -> anyhow::Result<Vec<Vec<f64>>> {
    let sync = |y: Tensor<4>| -> anyhow::Result<()> {
        let v: f32 = y
            .sum()
            .try_into_scalar()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        anyhow::ensure!(v.is_finite());
        Ok(())
    };
    let mut out = Vec::with_capacity(plan.len());
    for (name, kind, cin, cout, side) in plan {
        eprintln!("  layer {name}");
        let x = Tensor::<4>::random(
            [1, *cin, *side, *side],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            device,
        );
        if *kind == "up" {
            let up = ConvTranspose2dConfig::new([*cin, *cout], [3, 3])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_padding_out([1, 1])
                .init(device);
            out.push(vec![timed(repeat, || sync(up.forward(x.clone())))?]);
        } else {
            let k = if *kind == "conv3" { 3 } else { 1 };
            let conv = Conv2dConfig::new([*cin, *cout], [k, k])
                .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
                .init(device);
            let mut times = Vec::new();
            for form in [ConvForm::Backend, second_form(device)] {
                times.push(timed(repeat, || sync(conv_as(&conv, x.clone(), form)))?);
            }
            out.push(times);
        }
    }
    Ok(out)
}

fn forward_window(
    model: &UNet11,
    device: &Device,
    data: &[f32],
    side: usize,
    form: ConvForm,
) -> anyhow::Result<Vec<f32>> {
    let x = Tensor::<4>::from_data(TensorData::new(data.to_vec(), [1, 4, side, side]), device);
    let y = model
        .forward_with(x, form)
        .try_into_data()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Touch the logits: on wgpu a read-back resolves lazily and the wait for the GPU happens at
    // the first access to the bytes (without this, a window "takes" 5 ms on an H200, not 133).
    let logits: Vec<f32> = y
        .try_cast_as::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .as_slice::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .to_vec();
    anyhow::ensure!(logits.len() == side * side);
    Ok(logits)
}

fn bench_burn(
    args: &Args,
    choice: DeviceChoice,
    input: &[f32],
    size: (usize, usize),
) -> anyhow::Result<(Vec<Row>, Vec<String>)> {
    let chosen = select_device(choice)?;
    if choice == DeviceChoice::Gpu && !chosen.is_gpu {
        return Ok((Vec::new(), Vec::new()));
    }
    let base = UNet11Config::baseline().init(&chosen.device);
    let (side, software) = window_side(args, &chosen);
    let window = window_of(input, size.0, size.1, side);
    // The CPU runs f32 only (flex has no faster narrow path).
    let precisions = if chosen.is_gpu {
        args.precision.clone()
    } else {
        vec![FloatDType::F32]
    };
    let form = ConvForm::for_device(&chosen.device);
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut reference: Option<(FloatDType, Vec<f32>)> = None;
    for precision in precisions {
        let model = base.clone().with_precision(precision);
        eprintln!(
            "burn on {}, {precision:?} weights: timing a {side}x{side} window",
            chosen.description
        );
        // A precision the device cannot run is reported; the others still run.
        let logits = match forward_window(&model, &chosen.device, &window, side, form) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!(
                    "{precision:?} weights on {}: {e:#}",
                    chosen.description
                ));
                continue;
            }
        };
        let deviation = match &reference {
            Some((first, r)) => {
                let worst = r
                    .iter()
                    .zip(&logits)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                let spread = r.iter().fold(0f32, |m, v| m.max(v.abs()));
                Some(format!(
                    "largest logit difference from {first:?}: {worst:.2e} (logits up to {spread:.2e})"
                ))
            }
            None => {
                reference = Some((precision, logits));
                None
            }
        };
        let window_s = timed(args.repeat, || {
            forward_window(&model, &chosen.device, &window, side, form).map(|_| ())
        })?;
        let mut variants = Vec::new();
        if args.all_forms {
            let other = match form {
                ConvForm::Backend => ConvForm::Im2col,
                ConvForm::Im2col | ConvForm::Banded => ConvForm::Backend,
            };
            eprintln!("  the window with {other:?} convolutions");
            let t = timed(args.repeat, || {
                forward_window(&model, &chosen.device, &window, side, other).map(|_| ())
            })?;
            variants.push((other, t));
        }
        let mut tile_error = None;
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
            });
            // A failed tile (memory, say) leaves the window's numbers standing.
            tile.map_err(|e| tile_error = Some(format!("{e:#}"))).ok()
        };
        let engine = match precision {
            FloatDType::F32 => format!("burn, {}", chosen.description),
            other => format!("burn, {}, {other:?}", chosen.description),
        };
        rows.push(Row {
            engine,
            window_side: side,
            window_s,
            variants,
            tile_s,
            tile_error,
            deviation,
        });
    }
    Ok((rows, failures))
}

/// The window side to time on `chosen`, and whether it is a software adapter (llvmpipe, where a
/// full window takes minutes and the side shrinks to `--software-window`).
fn window_side(args: &Args, chosen: &ModelDevice) -> (usize, bool) {
    let software =
        chosen.description.contains("llvmpipe") || chosen.description.contains("lavapipe");
    let side = if software {
        args.software_window
    } else {
        args.window
    };
    (side, software)
}

/// Runs the PyTorch peer script on `device` with `extra` arguments; its one JSON line.
fn run_peer(
    args: &Args,
    device: &str,
    threads: usize,
    extra: &[String],
) -> anyhow::Result<serde_json::Value> {
    let script = args.peer_script.clone().unwrap_or_else(|| {
        let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/unet11_torch.py");
        if built.is_file() {
            built
        } else {
            PathBuf::from("benches/unet11_torch.py")
        }
    });
    let out = Command::new(&args.python)
        .arg(&script)
        .args(["--device", device, "--threads", &threads.to_string()])
        .args(["--repeat", &args.repeat.to_string()])
        .args(extra)
        .output()
        .with_context(|| format!("running {} {}", args.python, script.display()))?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim_end());
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("peer output: {}", String::from_utf8_lossy(&out.stdout)))
}

/// `--layers`: each layer alone on burn and on PyTorch, per engine.
fn bench_layers(args: &Args, config: &UNet11Config, threads: usize) -> anyhow::Result<()> {
    let mut engines = Vec::new();
    if args.device == "all" || args.device == "cpu" {
        engines.push((DeviceChoice::Cpu, "cpu"));
    }
    if args.device == "all" || args.device == "gpu" {
        engines.push((DeviceChoice::Gpu, "cuda"));
    }
    for (choice, torch_device) in engines {
        let chosen = match select_device(choice) {
            Ok(chosen) => chosen,
            Err(e) => {
                println!("note: {choice:?} not run: {e}");
                continue;
            }
        };
        if choice == DeviceChoice::Gpu && !chosen.is_gpu {
            println!("no wgpu adapter: burn wgpu not run");
            continue;
        }
        let (side, software) = window_side(args, &chosen);
        let plan = layer_plan(config, side);
        eprintln!(
            "burn on {}: timing {} layers",
            chosen.description,
            plan.len()
        );
        let ours = time_layers(&chosen.device, &plan, args.repeat)?;
        let peer = if args.python == "none" || software {
            None
        } else {
            let list: Vec<serde_json::Value> = plan
                .iter()
                .map(|(n, k, i, o, s)| serde_json::json!([n, k, i, o, s]))
                .collect();
            let layers = serde_json::Value::Array(list).to_string();
            match run_peer(args, torch_device, threads, &["--layers".into(), layers]) {
                Ok(json) => Some(json),
                Err(e) => {
                    println!("note: PyTorch {torch_device} peer not run: {e:#}");
                    None
                }
            }
        };
        println!(
            "\nper layer, {side}x{side} window, batch 1: burn on {}{}",
            chosen.description,
            peer.as_ref()
                .map(|p| format!(" vs PyTorch {} on {torch_device}", p["torch"]))
                .unwrap_or_default()
        );
        println!(
            "{:<12} {:>5} {:>5} {:>5} {:>7} {:>9} {:>9} {:>8} {:>9} {:>7}",
            "layer",
            "in",
            "out",
            "side",
            "GFLOP",
            "burn ms",
            format!("{:?}", second_form(&chosen.device)).to_lowercase(),
            "TFLOP/s",
            "torch ms",
            "ratio"
        );
        let (mut sum_ours, mut sum_best, mut sum_peer) = (0.0, 0.0, 0.0);
        let ms = |t: Option<&f64>| t.map(|t| format!("{:.3}", t * 1e3)).unwrap_or_default();
        for ((name, kind, cin, cout, s), times) in plan.iter().zip(&ours) {
            let k = if *kind == "conv1" { 1.0 } else { 9.0 };
            let flop = 2.0 * k * (*cin * *cout * s * s) as f64;
            let torch_s = peer
                .as_ref()
                .and_then(|p| p["layers"][name.as_str()].as_f64());
            let plain = times[0];
            let best = times.iter().copied().fold(f64::INFINITY, f64::min);
            sum_ours += plain;
            sum_best += best;
            sum_peer += torch_s.unwrap_or(0.0);
            println!(
                "{:<12} {:>5} {:>5} {:>5} {:>7.2} {:>9.3} {:>9} {:>8.2} {:>9} {:>7}",
                name,
                cin,
                cout,
                s,
                flop / 1e9,
                plain * 1e3,
                ms(times.get(1)),
                flop / best / 1e12,
                ms(torch_s.as_ref()),
                torch_s
                    .map(|t| format!("{:.2}x", best / t))
                    .unwrap_or_default(),
            );
        }
        println!(
            "sum: burn {:.3} ms as the backend's, {:.3} ms in the best form of each layer; PyTorch {:.3} ms",
            sum_ours * 1e3,
            sum_best * 1e3,
            sum_peer * 1e3
        );
    }
    println!(
        "(burn ms: the backend's convolution; banded (CPU): products over bands of rows \
         (model::conv::banded); im2col (GPU): the convolution as one matrix product; TFLOP/s and \
         ratio (vs PyTorch, lower is better) for the faster form; every time includes one \
         scalar read-back)"
    );
    Ok(())
}

fn bench_torch(
    args: &Args,
    device: &str,
    input_file: &std::path::Path,
    size: (usize, usize),
    threads: usize,
    half: bool,
) -> anyhow::Result<Row> {
    eprintln!("PyTorch on {device}: timing");
    let mut extra: Vec<String> = if half {
        vec!["--half".into()]
    } else {
        Vec::new()
    };
    extra.extend([
        "--input".into(),
        input_file.to_string_lossy().into_owned(),
        "--height".into(),
        size.1.to_string(),
        "--width".into(),
        size.0.to_string(),
        "--window".into(),
        args.window.to_string(),
        "--batch".into(),
        (if device == "cpu" { 1 } else { args.gpu_batch }).to_string(),
    ]);
    let json = run_peer(args, device, threads, &extra)?;
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
            if half {
                ", fp16"
            } else if json["tf32"].as_bool() == Some(true) {
                ", TF32 convs"
            } else {
                ""
            }
        ),
        window_side: args.window,
        window_s: number("window_s")?,
        variants: Vec::new(),
        tile_error: None,
        tile_s: Some(number("tile_s")?),
        deviation: None,
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

    if args.layers {
        return bench_layers(&args, &config, threads);
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut peers: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let want = |d: &str| args.device == "all" || args.device == d;
    if want("cpu") {
        let (r, failed) = bench_burn(&args, DeviceChoice::Cpu, &input, size)?;
        rows.extend(r);
        notes.extend(failed);
        if args.python != "none" {
            match bench_torch(&args, "cpu", &input_file, size, threads, false) {
                Ok(r) => peers.push(r),
                Err(e) => notes.push(format!("PyTorch CPU peer not run: {e:#}")),
            }
        }
    }
    if want("gpu") {
        let mut real_gpu = false;
        match bench_burn(&args, DeviceChoice::Gpu, &input, size) {
            Ok((r, failed)) if !(r.is_empty() && failed.is_empty()) => {
                // A software adapter runs a smaller window: no CUDA peer for that.
                real_gpu = !r.is_empty() && r.iter().all(|r| r.window_side == args.window);
                rows.extend(r);
                notes.extend(failed);
            }
            Ok(_) => notes.push("no wgpu adapter: burn wgpu not run".into()),
            Err(e) => notes.push(format!("burn wgpu not run: {e:#}")),
        }
        if real_gpu && args.python != "none" {
            match bench_torch(&args, "cuda", &input_file, size, threads, false) {
                Ok(r) => peers.push(r),
                Err(e) => notes.push(format!("PyTorch CUDA peer not run: {e:#}")),
            }
            // burn in f16 next to PyTorch in f16 too (the TF32 peer stays the target's).
            if args.precision.contains(&FloatDType::F16) {
                match bench_torch(&args, "cuda", &input_file, size, threads, true) {
                    Ok(r) => peers.push(r),
                    Err(e) => notes.push(format!("PyTorch CUDA fp16 peer not run: {e:#}")),
                }
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
        if let Some(e) = &r.tile_error {
            println!("  the tile failed: {e}");
        }
        if let Some(d) = &r.deviation {
            println!("  {d}");
        }
        for (form, t) in &r.variants {
            println!(
                "{:<70} {:>10.3} s {:>10.1} {:>11} {:>16}",
                format!("  same window, {form:?} convolutions"),
                t,
                flops / t / 1e9,
                "-",
                peer.filter(|_| r.window_side == args.window)
                    .map(|p| format!("{:.2}x", t / p.window_s))
                    .unwrap_or_else(|| "-".into())
            );
        }
    }
    println!("(vs PyTorch: burn time / PyTorch time for the window / the tile; lower is better)");
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}
