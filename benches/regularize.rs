//! Speed of straightening footprints to right angles: every building the demo tile's model
//! would trace (its ~185 truth buildings rasterized, their outlines made ragged, traced and
//! simplified as the baseline's predictions are), ours against shapely's
//! `minimum_rotated_rectangle` of the same outlines (`benches/regularize_peer.py`) in the same
//! run. The target: all of a 900x900 scene's buildings under 20 ms.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench regularize \
//!     [-- --repeat 20 --rounds 3]
//! ```

mod common;
use common::*;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use clap::Parser;
use sarscope::io::polygon_wkt;
use sarscope::synth::{SynthConfig, generate};
use sarscope::vector::{RegularizeParams, regularize};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 20)]
    repeat: usize,
    /// Rounds of ours then the peer's, each giving a ratio.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The Python with shapely; "none" skips the peer.
    #[arg(long, default_value = "python3")]
    python: String,
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let outlines = generate(&SynthConfig::default(), 0)?.ragged_outlines(0.2, 7);
    let dir = tempfile::tempdir()?;
    let wkt_path = dir.path().join("outlines.wkt");
    let mut text = String::new();
    for p in &outlines {
        writeln!(text, "{}", polygon_wkt(p))?;
    }
    std::fs::write(&wkt_path, text)?;
    let params = RegularizeParams::default();
    println!(
        "regularize bench: {} traced outlines of the demo tile, ours vs shapely's \
         minimum_rotated_rectangle",
        outlines.len()
    );
    let mut ratios = Vec::new();
    for round in 1..=args.rounds.max(1) {
        let (ours_s, straightened) = timed(args.repeat, || {
            Ok(outlines
                .iter()
                .filter(|p| regularize(p, params).is_ok())
                .count())
        })?;
        let peer = if args.python == "none" {
            None
        } else {
            Some(run_peer(&args, &wkt_path)?)
        };
        let mut line = format!(
            "round {round}: ours {:.2} ms ({straightened} of {} straightened)",
            ours_s * 1e3,
            outlines.len()
        );
        if let Some(peer) = &peer {
            let theirs = peer["seconds"].as_f64().context("the peer's seconds")?;
            write!(
                line,
                "; shapely {} (GEOS {}) {:.2} ms; ours / shapely {:.2}",
                peer["shapely"].as_str().unwrap_or("?"),
                peer["geos"].as_str().unwrap_or("?"),
                theirs * 1e3,
                ours_s / theirs
            )?;
            ratios.push(ours_s / theirs);
        }
        println!("{line}");
    }
    if !ratios.is_empty() {
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(0.0, f64::max);
        println!(
            "ours / shapely's time: median {:.2} (range {low:.2} .. {high:.2})",
            median(ratios.clone())
        );
    }
    Ok(())
}

/// The Python peer on the same outlines: its JSON line.
fn run_peer(args: &Args, outlines: &Path) -> anyhow::Result<serde_json::Value> {
    let outlines = outlines.to_string_lossy();
    let repeat = args.repeat.to_string();
    let line = run_peer_script(
        &args.python,
        "benches/regularize_peer.py",
        &[&outlines, "--repeat", &repeat],
    )?;
    serde_json::from_str(&line).context("the peer's JSON line")
}
