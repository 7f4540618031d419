//! `sarscope predict` with the SN6 winner's network: its inference over each tile (fold
//! checkpoints averaged, test-time augmentation), the footprint, edge and contact
//! probabilities out as a 3-band GeoTIFF, and the buildings its watershed finds counted.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::predict::{PredictArgs, RotateArg, TtaArg, rotation_for};
use super::progress::ProgressLine;
use crate::model::effunet::MAP_BANDS;
use crate::model::effunet::Tta;
use crate::model::{ModelDevice, Orientations, Rotation};
use crate::raster::{GeoTiffMeta, Planes, Scene, write_geotiff_replacing};
use crate::session::winner::WinnerPredictor;
use crate::vector::{InstanceParams, OutlineParams, instance_footprints};

pub fn run(
    args: &PredictArgs,
    weights: &[PathBuf],
    outputs: &[PathBuf],
    device: ModelDevice,
) -> anyhow::Result<()> {
    let predictor = WinnerPredictor::load(weights, device)?;
    let tta = match args.tta {
        TtaArg::Winner => Tta::winner(),
        TtaArg::None => Tta::none(),
    };
    println!("device: {}", predictor.device.description);
    println!(
        "model: the SN6 winner's EfficientNet U-Net, {} parameters, {} fold(s) averaged ({}), {} pass(es) each{}",
        predictor.config.parameter_count(),
        predictor.folds.len(),
        predictor
            .folds
            .iter()
            .map(|f| format!("{} ({})", f.path.display(), f.format))
            .collect::<Vec<_>>()
            .join(", "),
        tta.passes(),
        if predictor.card_found {
            ""
        } else {
            "; no model card, the winner's settings apply"
        }
    );
    let given = match &args.orientations {
        Some(path) => Some(Orientations::read(path)?),
        None => None,
    };
    for (file, out) in args.files.iter().zip(outputs) {
        let scene = Scene::open(file)?;
        let rotation = rotation_for(file, args.rotate, &predictor.card.rotation, &given)?;
        let bar = ProgressLine::new(
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        bar.update(0, 1, "tiles");
        let logits = predictor
            .predict_scene(
                file,
                &scene,
                rotation,
                given.as_ref(),
                args.rotate == RotateArg::Auto,
                &tta,
            )
            .with_context(|| format!("predicting {}", file.display()))?;
        bar.finish();
        let (w, h) = (logits.width, logits.height);
        let [footprint, edge, contact] = logits.probabilities();
        let buildings = instance_footprints(
            &footprint,
            &edge,
            &contact,
            w,
            h,
            InstanceParams::default(),
            OutlineParams::default(),
        )
        .map_or(0, |b| b.len());
        write_maps(&scene, w, h, [footprint, edge, contact], out)?;
        println!(
            "{} -> {}: {w}x{h}{}, {buildings} buildings (watershed), {:.2} s",
            file.display(),
            out.display(),
            if rotation == Rotation::Half {
                ", rotated 180"
            } else {
                ""
            },
            bar.elapsed_s()
        );
    }
    Ok(())
}

/// Writes the three maps on the scene's grid and CRS (through a temporary file).
fn write_maps(
    scene: &Scene,
    width: usize,
    height: usize,
    maps: [Vec<f32>; 3],
    out: &Path,
) -> anyhow::Result<()> {
    let planes = Planes::new(width, height, maps.to_vec(), &[None, None, None]);
    let crs = scene.crs();
    let meta = GeoTiffMeta {
        geo_transform: scene.geo_transform(),
        epsg: crs.and_then(|c| c.epsg),
        crs_wkt: crs.map(|c| c.wkt.as_str()),
        nodata: None,
        band_names: &MAP_BANDS,
    };
    write_geotiff_replacing(out, &planes, &meta)?;
    Ok(())
}
