//! `sarscope predict`: the UNet11 over whole scenes, probability maps out.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::tensor::FloatDType;
use clap::{Args, ValueEnum};

use super::progress::ProgressLine;
use crate::model::{DeviceChoice, Orientations, Rotation, rotation_by_card, select_device};
use crate::raster::{GeoTiffMeta, Planes, Scene, write_geotiff_replacing};
use crate::session::predict::Predictor;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// A real GPU when there is one, else the CPU.
    Auto,
    /// wgpu (a software adapter such as llvmpipe included).
    Gpu,
    /// burn's CPU backend.
    Cpu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// float32 throughout, as the baseline was trained and evaluated.
    F32,
    /// float16 weights and activations (logits and probabilities stay float32): about half
    /// the GPU time, with logits within ~1e-3 of float32's. For GPUs; burn's CPU backend gains
    /// nothing from it.
    F16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RotateArg {
    /// SN6 tiles by their strip's flag in SAR_orientations.txt; other files never.
    Auto,
    Never,
    Always,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TtaArg {
    Winner,
    None,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Scenes (each file one scene, 4 bands HH, HV, VH, VV).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Weights: a PyTorch checkpoint (the SN6 baseline's UNet11 state_dict, or one of the SN6
    /// winner's fold snapshots) or a sarscope .bpk; a model card (`NAME.card.json`) next to it
    /// supplies window, normalization and rotation rule. The winner's network takes several
    /// (`--weights` again, or a folder of them): their maps are averaged, as its folds were.
    #[arg(long, required = true)]
    pub weights: Vec<PathBuf>,
    /// Test-time augmentation of the SN6 winner's network: `winner` (scales 0.8, 1.0, 1.5,
    /// each also flipped left-right: 6 passes) or `none` (one pass). The UNet11 has none.
    #[arg(long, value_enum, default_value_t = TtaArg::Winner)]
    pub tta: TtaArg,
    /// The dataset's SAR_orientations.txt (default: looked up next to the tiles, in
    /// `SummaryData/` up to three folders above).
    #[arg(long)]
    pub orientations: Option<PathBuf>,
    /// 180-degree rotation of tiles imaged from the south.
    #[arg(long, value_enum, default_value_t = RotateArg::Auto)]
    pub rotate: RotateArg,
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
    /// The precision the network computes in.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
    /// Windows per forward pass (default: 4 on a GPU, 1 on the CPU).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Output GeoTIFF (one input) or folder (several inputs: `<input stem>.tif` in it).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let outputs = output_paths(&args.files, &args.out)?;
    let choice = match args.device {
        DeviceArg::Auto => DeviceChoice::Auto,
        DeviceArg::Gpu => DeviceChoice::Gpu,
        DeviceArg::Cpu => DeviceChoice::Cpu,
    };
    let weights = weight_files(&args.weights)?;
    let first = weights.first().context("no weights given")?;
    if crate::model::effunet::is_effunet_file(first)? {
        return super::predict_winner::run(args, &weights, &outputs, select_device(choice)?);
    }
    if weights.len() > 1 {
        bail!(
            "{} weights files: averaging several is for the SN6 winner's network; {} is a UNet11",
            weights.len(),
            first.display()
        );
    }
    let mut predictor = Predictor::load(first, select_device(choice)?)?;
    if args.precision == PrecisionArg::F16 {
        predictor.loaded.model = predictor.loaded.model.with_precision(FloatDType::F16);
    }
    if let Some(batch) = args.batch {
        predictor.params.batch = batch.max(1);
    }
    let (loaded, device) = (&predictor.loaded, &predictor.device);
    println!(
        "device: {}, {}",
        device.description,
        match args.precision {
            PrecisionArg::F32 => "float32",
            PrecisionArg::F16 => "float16",
        }
    );
    println!(
        "model: UNet11, width 1/{}, {} parameters, {} ({}){}",
        loaded.config.width_divisor,
        loaded.config.parameter_count(),
        loaded.path.display(),
        loaded.format,
        if loaded.card_found {
            ""
        } else {
            "; no model card, the SN6 baseline's settings apply"
        }
    );
    let orientations = match &args.orientations {
        Some(path) => Some(Orientations::read(path)?),
        None => None,
    };

    for (file, out) in args.files.iter().zip(&outputs) {
        let scene = Scene::open(file)?;
        let rotation = rotation_for(file, args.rotate, &loaded.card.rotation, &orientations)?;
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bar = ProgressLine::new(label);
        let map = predictor
            .predict_scene(&scene, rotation, &mut |p| {
                bar.update(p.windows_done, p.windows_total, "windows");
                true
            })
            .with_context(|| format!("predicting {}", file.display()))?;
        bar.finish();
        let seconds = bar.elapsed_s();
        write_map(&scene, map.width, map.height, map.probs.clone(), out)?;
        let buildings = map
            .probs
            .iter()
            .filter(|p| **p > loaded.card.threshold)
            .count();
        println!(
            "{} -> {}: {}x{}{}, {:.1} % building pixels, {seconds:.2} s",
            file.display(),
            out.display(),
            map.width,
            map.height,
            if rotation == Rotation::Half {
                ", rotated 180"
            } else {
                ""
            },
            100.0 * buildings as f64 / map.probs.len().max(1) as f64,
        );
    }
    Ok(())
}

/// The weights files: each `--weights` a file, or a folder of `.pth`, `.pt` and `.bpk` files
/// (sorted by name).
fn weight_files(given: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in given {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    ["pth", "pt", "bpk"]
                        .iter()
                        .any(|x| e.eq_ignore_ascii_case(x))
                })
            })
            .collect();
        if found.is_empty() {
            bail!("{} holds no .pth, .pt or .bpk weights", path.display());
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// One output file per input: `out` itself for one input, `out/<stem>.tif` for several.
pub(super) fn output_paths(files: &[PathBuf], out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if files.len() == 1 && !out.is_dir() {
        return Ok(vec![out.to_path_buf()]);
    }
    if out.exists() && !out.is_dir() {
        bail!(
            "{} inputs need a folder for --out; {} is a file",
            files.len(),
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut paths: Vec<PathBuf> = Vec::with_capacity(files.len());
    for f in files {
        let stem = f
            .file_stem()
            .with_context(|| format!("{} has no file name", f.display()))?;
        let path = out.join(Path::new(stem).with_extension("tif"));
        if paths.contains(&path) {
            bail!("two inputs would both be written to {}", path.display());
        }
        paths.push(path);
    }
    Ok(paths)
}

pub(super) fn rotation_for(
    file: &Path,
    rotate: RotateArg,
    card_rule: &str,
    given: &Option<Orientations>,
) -> anyhow::Result<Rotation> {
    Ok(match rotate {
        RotateArg::Never => Rotation::None,
        RotateArg::Always => Rotation::Half,
        RotateArg::Auto => rotation_by_card(file, card_rule, given.as_ref())?,
    })
}

/// Writes the probability map on the scene's grid and CRS (through a temporary file).
fn write_map(
    scene: &Scene,
    width: usize,
    height: usize,
    probs: Vec<f32>,
    out: &Path,
) -> anyhow::Result<()> {
    let planes = Planes::new(width, height, vec![probs], &[None]);
    let crs = scene.crs();
    let meta = GeoTiffMeta {
        geo_transform: scene.geo_transform(),
        epsg: crs.and_then(|c| c.epsg),
        crs_wkt: crs.map(|c| c.wkt.as_str()),
        nodata: None,
        band_names: &["building_probability"],
    };
    write_geotiff_replacing(out, &planes, &meta)?;
    Ok(())
}
