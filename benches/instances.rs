//! Building instances from three maps (footprint, edge, contact) on a 900x900 tile of terraced
//! rows, ours (`vector::instance_labels`, then `vector::outline_labels`) against the winner's
//! pipeline in scikit-image, rasterio and shapely (`benches/instances_peer.py`) on the same
//! maps in the same run, up to the labels and up to the footprints; the building and
//! footprint counts must agree. Target: ours at least 10x faster.
//!
//! `cargo bench --profile dev --config benches/ours-as-release.toml --bench instances`

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use clap::Parser;
use sarscope::vector::{InstanceParams, OutlineParams, instance_labels, outline_labels};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// The Python with scikit-image; "none" skips the peer.
    #[arg(long, default_value = "python3")]
    python: String,
    #[arg(long, hide = true)]
    bench: bool,
}

const SIDE: usize = 900;

/// Rows of terraced houses 12 px deep every 16 px, 12 to 19 px wide, sharing walls: the
/// footprint near 0.9 with a little texture, edges on each house's border, contacts on the
/// shared walls, and a faint contact across every third house (which the seed map splits).
fn maps() -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = SIDE * SIDE;
    let (mut footprint, mut edge, mut contact) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    for (row, y0) in (4..SIDE - 16).step_by(16).enumerate() {
        let mut x = 3 + row % 5;
        let mut house = 0;
        while x + 20 < SIDE {
            let w = 12 + (house * 7 + row * 3) % 8;
            for y in y0..y0 + 12 {
                for dx in 0..w {
                    let i = y * SIDE + x + dx;
                    footprint[i] = 0.88 + ((i * 7919) % 97) as f32 / 97.0 * 0.1;
                    if y == y0 || y == y0 + 11 || dx == 0 || dx == w - 1 {
                        edge[i] = 0.9;
                    }
                    if dx <= 1 && x > 3 {
                        contact[i] = 0.8;
                    }
                    if house % 3 == 2 && (w / 2..w / 2 + 2).contains(&dx) && y > y0 && y < y0 + 11 {
                        contact[i] = 0.13;
                    }
                }
            }
            x += w;
            house += 1;
        }
    }
    (footprint, edge, contact)
}

/// Half a second of warm-up, then the median of `repeat` runs, in seconds.
fn time_median<T>(f: &impl Fn() -> T, repeat: usize) -> f64 {
    let warm = std::time::Instant::now();
    while warm.elapsed().as_secs_f64() < 0.5 {
        std::hint::black_box(f());
    }
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = std::time::Instant::now();
        std::hint::black_box(f());
        times.push(start.elapsed().as_secs_f64());
    }
    median(times)
}

fn write_f32(path: &Path, values: &[f32]) -> anyhow::Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (footprint, edge, contact) = maps();
    let run = || {
        instance_labels(
            &footprint,
            &edge,
            &contact,
            SIDE,
            SIDE,
            InstanceParams::default(),
        )
    };
    let (labels, buildings) = run().context("the maps have the tile's size")?;
    let outline =
        |labels: &[u32]| outline_labels(labels, &footprint, SIDE, SIDE, OutlineParams::default());
    let footprints = outline(&labels).len();
    let full = || run().map(|(labels, _)| outline(&labels));
    let ours = time_median(&run, args.repeat);
    let ours_full = time_median(&full, args.repeat);
    println!(
        "instances of a {SIDE}x{SIDE} tile (seeds, watershed with lines, labels): ours {:.2} ms, {buildings} buildings",
        ours * 1e3
    );
    println!(
        "  and their footprints (outlines, buffer, simplify, rounding): ours {:.2} ms, {footprints} footprints",
        ours_full * 1e3
    );
    if args.python == "none" {
        println!("note: Python peer skipped (--python none)");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    write_f32(&dir.path().join("footprint.f32"), &footprint)?;
    write_f32(&dir.path().join("edge.f32"), &edge)?;
    write_f32(&dir.path().join("contact.f32"), &contact)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/instances_peer.py");
    let out = Command::new(&args.python)
        .arg(&script)
        .arg(dir.path())
        .args(["--width", &SIDE.to_string(), "--height", &SIDE.to_string()])
        .args(["--repeat", &args.repeat.to_string()])
        .output()
        .with_context(|| format!("running {}", args.python))?;
    if !out.status.success() {
        bail!("peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let theirs = peer["seconds"]
        .as_f64()
        .context("no seconds from the peer")?;
    let theirs_full = peer["seconds_full"]
        .as_f64()
        .context("no seconds_full from the peer")?;
    println!(
        "scikit-image {}: {:.2} ms, {} buildings  ->  ours {:.1}x faster (target >= 10x)",
        peer["skimage"].as_str().unwrap_or("?"),
        theirs * 1e3,
        peer["buildings"],
        theirs / ours
    );
    println!(
        "  + rasterio and shapely: {:.2} ms, {} footprints  ->  ours {:.1}x faster",
        theirs_full * 1e3,
        peer["footprints"],
        theirs_full / ours_full
    );
    if peer["buildings"].as_u64() != Some(u64::from(buildings)) {
        bail!("the building counts differ from the peer's");
    }
    if peer["footprints"].as_u64() != Some(footprints as u64) {
        bail!("the footprint counts differ from the peer's");
    }
    Ok(())
}
