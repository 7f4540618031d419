//! Speed of polarimetry: T3, a 7x7 speckle filter (refined Lee, or boxcar) and Cloude-Pottier
//! H/A/alpha of a complex quad-pol scene (the Capella chips mirrored out to 900x900 and to a
//! 1920x1080 pane's worth of pixels), read from its four CFloat32 files, ours against numpy
//! (`benches/polsar_peer.py`, numpy.linalg.eigh) in the same run. The target: >= 20x numpy.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench polsar \
//!     [-- --repeat 3 --sizes 900x900,1920x1080]
//! ```

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use sarscope::polsar::{Decomposition, FilterKind, FilterSpec, Plan, Product, QuadPol, Scattering};
use sarscope::raster::Scene;
use sarscope::render::OffscreenRenderer;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[arg(long, default_value = "900x900,1920x1080")]
    sizes: String,
    /// The Python with numpy and rasterio; "none" skips the peer (and needs --scene).
    #[arg(long, default_value = "python3")]
    python: String,
    #[arg(long, hide = true)]
    bench: bool,
}

fn peer(args: &Args, what: &[&str]) -> anyhow::Result<String> {
    run_peer_script(&args.python, "benches/polsar_peer.py", what)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    ["hh", "hv", "vh", "vv"]
        .iter()
        .map(|p| dir.join(format!("sar_{p}.tif")))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.python == "none" {
        bail!("the scene is made by the peer's script: give --python");
    }
    println!(
        "polsar bench: read + T3 + 7x7 filter + H/A/alpha, ours vs numpy, {} threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let gpu = match OffscreenRenderer::new() {
        Ok(gpu) => Some(gpu),
        Err(e) => {
            println!("no GPU pass: {e}");
            None
        }
    };
    for size in args.sizes.split(',') {
        let dir = tempfile::tempdir()?;
        let folder = dir.path().to_string_lossy().to_string();
        peer(&args, &["make", &folder, "--size", size])?;
        let scene = Scene::open_many(&files(dir.path()))?;
        for kind in [FilterKind::RefinedLee, FilterKind::Boxcar] {
            let spec = FilterSpec::new(kind, 7);
            let plan = Plan::new(&scene, Product::Decomposition(Decomposition::HAAlpha), spec)?;
            let (ours, _) = timed(args.repeat, || Ok(plan.compute(&scene, 0..scene.height())?))?;
            // Where our time goes, once.
            let quad = QuadPol::find(&scene)?;
            let t = Instant::now();
            let s = Scattering::read(&scene, &quad, scene.full_window())?;
            let read = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let coherency = s.coherency();
            let t3 = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let filtered = coherency.filtered(&spec);
            let filtering = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let _ = Decomposition::HAAlpha.planes(&filtered);
            let haa = t.elapsed().as_secs_f64();
            let line = peer(
                &args,
                &[
                    "run",
                    &folder,
                    "--filter",
                    kind.name(),
                    "--repeat",
                    &args.repeat.to_string(),
                ],
            )?;
            let json: serde_json::Value = serde_json::from_str(&line).context("the peer's JSON")?;
            let theirs = json["seconds"].as_f64().context("the peer's seconds")?;
            let mut gpu_line = String::new();
            if let Some(gpu) = &gpu {
                let quad = QuadPol::find(&scene)?;
                let (pass, _) = timed(args.repeat, || {
                    Ok(gpu.decompose(&s, Decomposition::HAAlpha, &spec)?)
                })?;
                let (read_gpu, _) = timed(args.repeat, || {
                    let s = Scattering::read(&scene, &quad, scene.full_window())?;
                    Ok(gpu.decompose(&s, Decomposition::HAAlpha, &spec)?)
                })?;
                gpu_line = format!(
                    "; GPU ({}) pass {:.0} ms (upload, compute, read back), with the read {:.0} ms: \
                     numpy / ours {:.1}x",
                    gpu.adapter,
                    pass * 1e3,
                    read_gpu * 1e3,
                    theirs / read_gpu
                );
            }
            println!(
                "{size} {}: ours {:.0} ms (read {:.0}, T3 {:.0}, filter {:.0}, H/A/alpha {:.0}); \
                 numpy {} {:.0} ms; numpy / ours {:.1}x{gpu_line}",
                kind.name(),
                ours * 1e3,
                read * 1e3,
                t3 * 1e3,
                filtering * 1e3,
                haa * 1e3,
                json["numpy"].as_str().unwrap_or("?"),
                theirs * 1e3,
                theirs / ours
            );
        }
    }
    Ok(())
}
