//! Speed of footprint extraction and of the SpaceNet metric against the Python tools, on the
//! same inputs in the same run (`benches/footprints_peer.py`):
//!
//! - vectorize the 900x900 demo tile's building mask (~185 buildings): ours vs
//!   `rasterio.features.shapes` + shapely `buffer(0)` / `simplify(0.5)` (what solaris'
//!   `mask_to_poly_geojson` does);
//! - evaluate a 100,000-building SpaceNet CSV pair, reading the files included: ours vs
//!   solaris' algorithm written with shapely 2 (solaris itself does not install here: its
//!   package imports its TensorFlow/PyTorch training code), with identical TP/FP/FN required.
//!
//! Ours and the peer's alternate in rounds, a ratio per round, and the last line gives their
//! median and range: a shared machine's speed drifts by ~1.5x over minutes, which one pair of
//! measurements minutes apart cannot tell from a speed-up. Each of our measurements is the
//! median of `--repeat` runs after half a second of warm-up; the peer's, after one run (its
//! evaluation takes seconds).
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench footprints \
//!     [-- --images 500 --repeat 3 --rounds 3]
//! ```

mod common;
use common::*;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use clap::Parser;
use geo::{Coord, LineString, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sarscope::eval::{EvalParams, evaluate_rows};
use sarscope::io::{polygon_wkt, read_spacenet_csv};
use sarscope::parallel::join;
use sarscope::synth::{SynthConfig, generate};
use sarscope::vector::{VectorizeParams, rasterize, vectorize};

#[derive(Parser, Debug)]
struct Args {
    /// Images in the evaluation set (200 buildings each).
    #[arg(long, default_value_t = 500)]
    images: usize,
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Rounds of ours then the peer's, each giving a ratio.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The Python with rasterio and shapely; "none" skips the peer.
    #[arg(long, default_value = "python3")]
    python: String,
    #[arg(long, hide = true)]
    bench: bool,
}

fn rectangle(cx: f64, cy: f64, w: f64, h: f64, angle: f64) -> Polygon<f64> {
    let (s, c) = angle.sin_cos();
    let corners = [(-w, -h), (w, -h), (w, h), (-w, h), (-w, -h)].map(|(dx, dy)| Coord {
        x: cx + (dx * c - dy * s) / 2.0,
        y: cy + (dx * s + dy * c) / 2.0,
    });
    Polygon::new(LineString::from(corners.to_vec()), vec![])
}

/// Truth: 200 rotated rectangles per image on a 14x15 grid of 60 px cells. Proposals: each
/// truth building shifted and resized a little (90 %; some shifted too far to match), plus
/// 10 % false alarms; random confidences.
fn write_eval_set(dir: &Path, images: usize) -> anyhow::Result<(usize, usize)> {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut truth = String::from("ImageId,TileBuildingId,PolygonWKT_Pix\n");
    let mut preds = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
    let (mut n_truth, mut n_pred) = (0, 0);
    for image in 0..images {
        let id = format!("AOI_11_Rotterdam_img{image}");
        let mut pid = 0;
        for k in 0..200 {
            let (cx, cy) = (30.0 + 60.0 * (k % 14) as f64, 30.0 + 60.0 * (k / 14) as f64);
            let (w, h) = (rng.random_range(10.0..40.0), rng.random_range(10.0..40.0));
            let angle = rng.random_range(0.0..std::f64::consts::PI);
            let t = rectangle(cx, cy, w, h, angle);
            writeln!(truth, "{id},{k},\"{}\"", polygon_wkt(&t))?;
            n_truth += 1;
            if rng.random_bool(0.9) {
                let shift = if rng.random_bool(0.2) { 8.0 } else { 2.0 };
                let p = rectangle(
                    cx + rng.random_range(-shift..shift),
                    cy + rng.random_range(-shift..shift),
                    w * rng.random_range(0.85..1.15),
                    h * rng.random_range(0.85..1.15),
                    angle + rng.random_range(-0.1..0.1),
                );
                let conf: f64 = rng.random_range(0.5..1.0);
                writeln!(preds, "{id},{pid},\"{}\",{conf:.4}", polygon_wkt(&p))?;
                pid += 1;
            }
            if rng.random_bool(0.1) {
                let p = rectangle(cx + 25.0, cy + 25.0, 12.0, 12.0, 0.0);
                let conf: f64 = rng.random_range(0.0..0.6);
                writeln!(preds, "{id},{pid},\"{}\",{conf:.4}", polygon_wkt(&p))?;
                pid += 1;
            }
        }
        n_pred += pid;
    }
    std::fs::write(dir.join("truth.csv"), truth)?;
    std::fs::write(dir.join("preds.csv"), preds)?;
    Ok((n_truth, n_pred))
}

/// The Python peer on the same inputs: its JSON line (times, counts, versions).
fn run_peer(args: &Args, dir: &Path, (w, h): (usize, usize)) -> anyhow::Result<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/footprints_peer.py");
    eprintln!("running the Python peer");
    let out = Command::new(&args.python)
        .arg(&script)
        .arg(dir)
        .args(["--width", &w.to_string(), "--height", &h.to_string()])
        .args(["--repeat", &args.repeat.to_string()])
        .output()
        .with_context(|| format!("running {} {}", args.python, script.display()))?;
    if !out.status.success() {
        bail!("peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;

    // The demo tile's building mask as a probability map.
    let scene = generate(&SynthConfig::default(), 0)?;
    let (w, h) = (scene.planes.width, scene.planes.height);
    let polygons: Vec<_> = scene
        .buildings
        .iter()
        .map(|b| geo::MultiPolygon(vec![b.footprint.clone()]))
        .collect();
    let probs: Vec<f32> = rasterize(&polygons, w, h)
        .iter()
        .map(|&m| if m { 0.9 } else { 0.1 })
        .collect();
    std::fs::write(
        dir.path().join("probs.f32"),
        bytemuck::cast_slice::<f32, u8>(&probs),
    )?;
    let params = VectorizeParams::default();
    eprintln!("writing the evaluation set ({} images)", args.images);
    let (n_truth, n_pred) = write_eval_set(dir.path(), args.images)?;
    let eval_params = EvalParams::default();
    // As `sarscope eval` reads them: both files at the same time.
    let read_both = || {
        let (truth, preds) = join(
            || read_spacenet_csv(&dir.path().join("truth.csv")),
            || read_spacenet_csv(&dir.path().join("preds.csv")),
        );
        anyhow::Ok((truth?, preds?))
    };

    println!("footprints bench: ours vs the Python tools, same inputs, same run");
    // Rounds of ours then the peer's: this machine's speed drifts over minutes, so each ratio
    // compares two measurements seconds apart, and the summary gives their median and range.
    let (mut vec_ratios, mut eval_ratios) = (Vec::new(), Vec::new());
    for round in 1..=args.rounds.max(1) {
        let (vec_s, footprints) = timed(args.repeat * 10, || Ok(vectorize(&probs, w, h, params)))?;
        let vec_area: f64 = footprints.iter().map(|f| f.area_px).sum();
        let (eval_s, evaluation) = timed(args.repeat, || {
            let (truth, preds) = read_both()?;
            Ok(evaluate_rows(&truth, &preds, eval_params))
        })?;
        let c = evaluation.total;
        let (read_s, (truth_rows, pred_rows)) = timed(args.repeat, read_both)?;
        let (score_s, _) = timed(args.repeat, || {
            Ok(evaluate_rows(&truth_rows, &pred_rows, eval_params))
        })?;
        println!("round {round}");
        println!(
            "vectorize 900x900 demo mask: ours {:.2} ms, {} polygons, {:.0} px^2",
            vec_s * 1e3,
            footprints.len(),
            vec_area
        );
        println!(
            "eval {n_truth} truth / {n_pred} proposals (read + score): ours {eval_s:.3} s (reading {read_s:.3} s, scoring {score_s:.3} s), TP {} FP {} FN {}, F1 {:.4}",
            c.tp,
            c.fp,
            c.fn_,
            c.f1()
        );
        if args.python == "none" {
            println!("note: Python peer skipped (--python none)");
            continue;
        }
        let peer = run_peer(&args, dir.path(), (w, h))?;
        let num = |k: &str| {
            peer[k]
                .as_f64()
                .with_context(|| format!("no {k} in {peer}"))
        };
        vec_ratios.push(num("vectorize_s")? / vec_s);
        eval_ratios.push(num("eval_s")? / eval_s);
        println!(
            "vectorize, rasterio {} + shapely {}: {:.2} ms, {} polygons, {:.0} px^2  ->  ours {:.1}x faster",
            peer["rasterio"].as_str().unwrap_or("?"),
            peer["shapely"].as_str().unwrap_or("?"),
            num("vectorize_s")? * 1e3,
            peer["polygons"],
            num("area")?,
            num("vectorize_s")? / vec_s
        );
        let same = peer["tp"].as_u64() == Some(c.tp)
            && peer["fp"].as_u64() == Some(c.fp)
            && peer["fn"].as_u64() == Some(c.fn_);
        println!(
            "eval, solaris' algorithm in shapely: {:.3} s, TP {} FP {} FN {}  ->  ours {:.1}x faster, counts {}",
            num("eval_s")?,
            peer["tp"],
            peer["fp"],
            peer["fn"],
            num("eval_s")? / eval_s,
            if same { "identical" } else { "DIFFER" }
        );
        if !same {
            bail!("the metric's counts differ from the peer's");
        }
    }
    if !vec_ratios.is_empty() {
        let summary = |ratios: &[f64]| {
            let (lo, hi) = ratios
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
            format!(
                "median {:.1}x (range {lo:.1}-{hi:.1}x over {} rounds)",
                median(ratios.to_vec()),
                ratios.len()
            )
        };
        println!(
            "ours vs the peer: vectorize {} (target >= 20x), eval {} (target >= 50x)",
            summary(&vec_ratios),
            summary(&eval_ratios)
        );
    }
    Ok(())
}
