//! The command line: `sarscope [FILE...]` (the viewer, which the binary opens), `sarscope info`,
//! `demo`, `eval`, `vectorize`, `predict`, `map`, `merge`, `render`, `decompose`, `export` and
//! `train`.

mod decompose;
mod demo;
mod eval;
mod export;
mod info;
mod map;
mod predict;
mod predict_winner;
mod progress;
mod render;
mod train;
mod train_winner;
mod vectorize;

pub use map::{PartialRun, slurm_script};

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::session::{GivenLayers, ModelSetup, OpenFailure, ViewerStart, load_scene};

/// sarscope: building footprints in SAR imagery.
///
/// With no command, opens the viewer on FILE... (several single-polarization files form one
/// scene), or on the built-in demo scene when no file is given.
#[derive(Debug, Parser)]
#[command(name = "sarscope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Raster files to open in the viewer.
    pub files: Vec<PathBuf>,
    /// Ground truth footprints to show over the scene (GeoJSON, SpaceNet CSV or GeoPackage;
    /// by default a NAME.geojson or NAME.csv beside the scene is used).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Predicted footprints to show and score against the ground truth.
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    /// A probability map of the scene (`sarscope predict`; its edge and contact maps too, from
    /// the SN6 winner's network), to re-vectorize buildings from.
    #[arg(long)]
    pub probabilities: Option<PathBuf>,
    /// Weights for the viewer's Predict button (default: the shipped
    /// weights/sarscope_unet11_synth.bpk).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Predict as soon as the scene is shown (the demo scene always is, unless --predictions
    /// is given).
    #[arg(long)]
    pub predict: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print size, bands and their roles, data types, CRS, geotransform, nodata/NaN counts and
    /// band statistics of a scene (several files are opened together as one scene).
    Info(info::InfoArgs),
    /// Write synthetic SpaceNet 6-like scenes: NAME.tif with NAME.geojson and NAME.csv footprints.
    Demo(demo::DemoArgs),
    /// Score predicted footprints against ground truth with the SpaceNet metric (F1 at IoU > 0.5).
    Eval(eval::EvalArgs),
    /// Turn a probability map into building footprints (.csv or .geojson); a three-map file of
    /// the SN6 winner's network by its watershed.
    Vectorize(vectorize::VectorizeArgs),
    /// Run a network over scenes, chosen by its weights: the UNet11 (SN6 baseline or ours) or the
    /// SN6 winner's (its checkpoints, folds averaged, or ours); probability maps as GeoTIFF.
    Predict(predict::PredictArgs),
    /// Map scenes of any size and number into footprints (GeoParquet), on one process, a
    /// shard of an array job, or a Slurm array.
    Map(map::MapArgs),
    /// One GeoParquet (and GeoPackage) from a map run's parts, duplicates removed.
    Merge(map::MergeArgs),
    /// A quicklook PNG of a polarization or composite through the viewer's WGSL shader.
    Render(render::RenderArgs),
    /// A polarimetric decomposition of a complex quad-pol scene (Pauli, T3, H/A/alpha,
    /// Freeman-Durden, Yamaguchi) or a scene's speckle-filtered bands, as a float32 GeoTIFF on
    /// its grid.
    Decompose(decompose::DecomposeArgs),
    /// Convert footprints between GeoJSON, SpaceNet CSV and GeoPackage (by extension).
    Export(export::ExportArgs),
    /// Train the UNet11 (dice + 10 x focal, AdamW) on synthetic scenes and/or GeoTIFFs with
    /// footprints, or with --heads 3 the SN6 winner's network; weights and a model card out.
    Train(train::TrainArgs),
}

/// Runs the command line `args` (the first item is the program name). A subcommand runs here;
/// without one, what the viewer's window is to start with comes back, for the binary to open
/// it (the window lives in `app`, above this layer).
pub fn run<I, T>(args: I) -> anyhow::Result<Option<ViewerStart>>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    match cli.command {
        Some(Command::Info(args)) => info::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Eval(args)) => eval::run(&args),
        Some(Command::Vectorize(args)) => vectorize::run(&args),
        Some(Command::Predict(args)) => predict::run(&args),
        Some(Command::Map(args)) => map::run(&args),
        Some(Command::Merge(args)) => map::run_merge(&args),
        Some(Command::Render(args)) => render::run(&args),
        Some(Command::Decompose(args)) => decompose::run(&args),
        Some(Command::Export(args)) => export::run(&args),
        Some(Command::Train(args)) => train::run_cli(&args),
        None => {
            let model = ModelSetup {
                predict_now: cli.predict || (cli.files.is_empty() && cli.predictions.is_none()),
                weights: cli.weights.clone().or_else(shipped_weights),
            };
            let given = GivenLayers {
                truth: cli.truth,
                predictions: cli.predictions,
                probabilities: cli.probabilities,
            };
            return viewer_start(&cli.files, given, model).map(Some);
        }
    }
    .map(|()| None)
}

/// What the viewer opens on: `files` (one scene), or the demo scene when none is given, with
/// footprint layers.
fn viewer_start(
    files: &[PathBuf],
    given: GivenLayers,
    model: ModelSetup,
) -> anyhow::Result<ViewerStart> {
    let demo_scene = || -> anyhow::Result<Vec<PathBuf>> {
        Ok(vec![
            demo::ensure_demo_scene().context("preparing the demo scene")?,
        ])
    };
    // A folder is a dataset: its first scene opens, the others are a key away.
    let (files, dataset, given) = match files {
        [folder] if folder.is_dir() => {
            let data = crate::session::dataset::Dataset::open(folder, given.predictions.as_deref())
                .context("opening the folder as a dataset")?;
            let first = data.scenes.first().map(|s| s.file.clone());
            let given = GivenLayers {
                predictions: None,
                ..given
            };
            (first.into_iter().collect::<Vec<_>>(), Some(data), given)
        }
        _ => (files.to_vec(), None, given),
    };
    let given_files = !files.is_empty();
    let files = if given_files { files } else { demo_scene()? };
    let unset = |name: &str| std::env::var_os(name).is_none_or(|v| v.is_empty());
    if cfg!(target_os = "linux") && unset("DISPLAY") && unset("WAYLAND_DISPLAY") {
        anyhow::bail!(
            "no display to open the viewer on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             without one, `sarscope info` and `sarscope render` work on {}",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    // The viewer's model work leaves a core to the interface (before anything uses rayon).
    crate::session::background::leave_a_core_to_the_interface();
    // Files that do not open still open the window, on the demo scene with the error shown
    // (as a file opened from the window leaves its scene): a viewer started from a file
    // manager has no terminal to print to. The layers named for those files are not opened.
    let mut scene = match load_scene(&files) {
        Ok(scene) => scene,
        Err(error) if given_files => {
            eprintln!("error: {error}; the viewer shows the demo scene instead");
            let scene = load_scene(&demo_scene()?)?;
            let failed = OpenFailure { files, error };
            return Ok(ViewerStart {
                scene,
                model,
                failed: Some(failed),
                dataset: None,
            });
        }
        Err(error) => return Err(error.into()),
    };
    // Layers that do not open are said in the footprint panel, as those found beside the scene.
    for error in scene.add_given_layers(given) {
        eprintln!("error: {error}");
    }
    Ok(ViewerStart {
        scene,
        model,
        failed: None,
        dataset,
    })
}

/// The weights shipped in `weights/`: beside the executable's `weights/` folder first (an
/// installed copy), else the source tree's.
pub fn shipped_weights() -> Option<PathBuf> {
    const NAME: &str = "weights/sarscope_unet11_synth.bpk";
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(NAME)));
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(NAME);
    beside_exe.into_iter().chain([source]).find(|p| p.exists())
}

/// GDAL's messages about the files sarscope opens and reads reach the user once each, naming
/// the file: a warning line on stderr (the viewer also shows those of its scene in the status
/// bar). Its other output goes to the log (`RUST_LOG=gdal=debug`).
pub fn report_gdal_notes() {
    crate::raster::install_gdal_handler();
    crate::raster::set_note_sink(Box::new(|note| eprintln!("warning: {note}")));
}
