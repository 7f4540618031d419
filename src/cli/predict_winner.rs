//! `sarscope predict` with the SN6 winner's network: its inference over each tile (fold
//! checkpoints averaged, test-time augmentation), the footprint, edge and contact
//! probabilities out as a 3-band GeoTIFF, and the buildings its watershed finds counted.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::predict::{PredictArgs, RotateArg, TtaArg, rotation_for};
use super::progress::ProgressLine;
use crate::model::effunet::{Extra, LoadedEffUNet, Tta, load_effunet, predict_winner};
use crate::model::{
    ModelCard, ModelDevice, NETWORK_WINNER, Orientations, Rotation, band_order, card_path,
    find_orientations_file, sn6_strip_key,
};
use crate::raster::{GeoTiffMeta, Planes, Scene, write_geotiff};
use crate::vector::{InstanceParams, OutlineParams, instance_footprints};

/// The bands of the maps `predict` writes for a three-map network (and `vectorize` reads).
pub const MAP_BANDS: [&str; 3] = [
    "footprint_probability",
    "edge_probability",
    "contact_probability",
];

pub fn run(
    args: &PredictArgs,
    weights: &[PathBuf],
    outputs: &[PathBuf],
    device: ModelDevice,
) -> anyhow::Result<()> {
    let mut folds: Vec<LoadedEffUNet> = Vec::with_capacity(weights.len());
    for path in weights {
        let loaded = load_effunet(path, &device.device)?;
        if let Some(first) = folds.first()
            && first.config != loaded.config
        {
            bail!(
                "{} and {} are networks of different shapes: folds to average must share one",
                first.path.display(),
                path.display()
            );
        }
        folds.push(loaded);
    }
    let Some(first) = folds.first() else {
        bail!("no weights given");
    };
    let first_path = first.path.clone();
    let card_file = card_path(&first.path);
    let card = if card_file.is_file() {
        ModelCard::read(&card_file)?
    } else {
        ModelCard::default()
    };
    let mut config = first.config.clone();
    if card_file.is_file() {
        if card.network != NETWORK_WINNER {
            bail!(
                "model card {} says network {:?}, but {} holds the SN6 winner's network ({NETWORK_WINNER:?})",
                card_file.display(),
                card.network,
                first_path.display()
            );
        }
        if let Some(said) = &card.effunet {
            // extra_num is not in the weights: the card says it.
            let mut weights = config.clone();
            weights.extra_num = said.extra_num;
            if let Some(diff) = said.first_difference(&weights) {
                bail!(
                    "model card {} disagrees with the weights {}: {diff} (card vs weights)",
                    card_file.display(),
                    first_path.display()
                );
            }
            config.extra_num = said.extra_num;
        }
    }
    for fold in &mut folds {
        fold.model = fold.model.clone().with_extra_num(config.extra_num);
        fold.config.extra_num = config.extra_num;
    }
    let tta = match args.tta {
        TtaArg::Winner => Tta::winner(),
        TtaArg::None => Tta::none(),
    };
    println!("device: {}", device.description);
    println!(
        "model: the SN6 winner's EfficientNet U-Net, {} parameters, {} fold(s) averaged ({}), {} pass(es) each{}",
        config.parameter_count(),
        folds.len(),
        folds
            .iter()
            .map(|f| format!("{} ({})", f.path.display(), f.format))
            .collect::<Vec<_>>()
            .join(", "),
        tta.passes(),
        if card_file.is_file() {
            String::new()
        } else {
            "; no model card, the winner's settings apply".into()
        }
    );
    let given = match &args.orientations {
        Some(path) => Some(Orientations::read(path)?),
        None => None,
    };
    let models: Vec<_> = folds.iter().map(|f| &f.model).collect();
    // The roles the tile's bands play, in the file order the winner's code expects.
    let lookup = ModelCard {
        bands: ["HH", "HV", "VH", "VV"].map(String::from).to_vec(),
        ..card.clone()
    };
    for (file, out) in args.files.iter().zip(outputs) {
        let scene = Scene::open(file)?;
        let order = band_order(&scene, &lookup)?;
        let planes = scene
            .read_full()
            .with_context(|| format!("reading {}", file.display()))?;
        let band = |i: usize| -> anyhow::Result<&[f32]> {
            planes
                .bands
                .get(order[i])
                .map(Vec::as_slice)
                .with_context(|| format!("{}: band {} is missing", file.display(), order[i] + 1))
        };
        let bands = [band(0)?, band(1)?, band(2)?, band(3)?];
        let rotation = rotation_for(file, args.rotate, &card.rotation, &given)?;
        let extra = extra_for(file, &scene, rotation, args.rotate, given.as_ref());
        let bar = ProgressLine::new(
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        bar.update(0, 1, "tiles");
        let logits = predict_winner(
            &models,
            bands,
            (planes.width, planes.height),
            &extra,
            config.strips,
            &tta,
            &device.device,
        )
        .with_context(|| format!("predicting {}", file.display()))?;
        bar.finish();
        let [footprint, edge, contact] = logits.probabilities();
        let buildings = instance_footprints(
            &footprint,
            &edge,
            &contact,
            planes.width,
            planes.height,
            InstanceParams::default(),
            OutlineParams::default(),
        )
        .map_or(0, |b| b.len());
        write_maps(
            &scene,
            planes.width,
            planes.height,
            [footprint, edge, contact],
            out,
        )?;
        println!(
            "{} -> {}: {}x{}{}, {buildings} buildings (watershed), {:.2} s",
            file.display(),
            out.display(),
            planes.width,
            planes.height,
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

/// The tile's extra input: its strip's place in the orientation file (SN6 names only), its
/// look, and main.py's y coordinate from the tile's own northing (main.py averages its
/// strip's tiles; one tile's top edge is the nearest a single tile has).
fn extra_for(
    file: &Path,
    scene: &Scene,
    rotation: Rotation,
    rotate: RotateArg,
    given: Option<&Orientations>,
) -> Extra {
    let strip_key = file
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(sn6_strip_key);
    let found;
    let orientations = match given {
        Some(o) => Some(o),
        None if rotate == RotateArg::Auto => {
            found = find_orientations_file(file).and_then(|p| Orientations::read(&p).ok());
            found.as_ref()
        }
        None => None,
    };
    let strip = strip_key
        .as_deref()
        .and_then(|k| orientations.and_then(|o| o.index_of(k)));
    let northing = scene.geo_transform().map_or(5_746_153.106, |gt| gt.0[3]);
    Extra {
        strip,
        south: rotation == Rotation::Half,
        coord_y: Extra::coord_of_northing(northing),
    }
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
    let tmp = out.with_extension("tif.partial");
    write_geotiff(&tmp, &planes, &meta)?;
    std::fs::rename(&tmp, out)
        .with_context(|| format!("moving {} to {}", tmp.display(), out.display()))?;
    Ok(())
}
