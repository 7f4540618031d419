//! `sarscope demo`: synthetic SN6-like scenes on disk.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::synth::{self, Difficulty, LookSide, SynthConfig};

/// `--difficulty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DifficultyArg {
    /// The first generator's scenes (gaps between houses, truth on the radar's buildings).
    Standard,
    /// As hard as Rotterdam: touching terraced houses, towers, clutter, north and south
    /// strips, annotator's truth (README, "The hard benchmark").
    Hard,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to write the scenes into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the scene sequence: the same seed gives the same scenes.
    #[arg(long, default_value_t = synth::DEMO_SEED)]
    pub seed: u64,
    /// Number of scenes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub count: u64,
    /// Index of the first scene in the sequence.
    #[arg(long, default_value_t = 0)]
    pub first: u64,
    /// Tile side in pixels (SN6 tiles are 900).
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(64..=8192))]
    pub size: u64,
    /// Let the radar look from the south in some scenes (default: all from the north, as the
    /// SN6 baseline sees tiles after its rotation).
    #[arg(long)]
    pub mixed_look: bool,
    /// How hard the scenes are to map. Hard scenes are named as SN6 tiles and their strips'
    /// looks are written to SAR_orientations.txt in the folder.
    #[arg(long, value_enum, default_value_t = DifficultyArg::Standard)]
    pub difficulty: DifficultyArg,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let side = usize::try_from(args.size).context("--size")?;
    let config = SynthConfig {
        width: side,
        height: side,
        seed: args.seed,
        look: if args.mixed_look {
            LookSide::Random
        } else {
            LookSide::North
        },
        difficulty: match args.difficulty {
            DifficultyArg::Standard => Difficulty::Standard,
            DifficultyArg::Hard => Difficulty::Hard,
        },
    };
    let mut strips = std::collections::BTreeMap::new();
    for index in args.first..args.first.saturating_add(args.count) {
        let scene = synth::generate(&config, index)?;
        let written = scene
            .write(&args.out)
            .with_context(|| format!("writing scene {} into {}", scene.name, args.out.display()))?;
        if config.difficulty == Difficulty::Hard {
            let (strip, south) = synth::hard_strip(config.seed, index);
            strips.insert(strip, south);
        }
        println!(
            "[{}/{}] {} ({} buildings) + {} + {}",
            index - args.first + 1,
            args.count,
            written.tif.display(),
            scene.buildings.len(),
            file_name(&written.geojson),
            file_name(&written.csv),
        );
    }
    if !strips.is_empty() {
        // Each hard scene added its strip's line as it was written.
        let path = args.out.join(synth::ORIENTATIONS_FILE);
        println!("{} ({} strips)", path.display(), strips.len());
    }
    Ok(())
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The built-in demo scene (seed 0, scene 0), generated once into the user's cache folder.
/// Returns the path of its GeoTIFF.
pub fn ensure_demo_scene() -> anyhow::Result<PathBuf> {
    let dir = cache_dir().join("demo");
    let config = SynthConfig::default();
    let tif = dir.join(format!("{}.tif", synth::scene_name(config.seed, 0)));
    if crate::raster::Scene::open(&tif).is_ok() {
        return Ok(tif);
    }
    let scene = synth::generate(&config, 0)?;
    let written = scene
        .write(&dir)
        .with_context(|| format!("writing the demo scene into {}", dir.display()))?;
    Ok(written.tif)
}

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("sarscope");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("sarscope");
    }
    std::env::temp_dir().join("sarscope")
}
