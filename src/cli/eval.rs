//! `sarscope eval`: the SpaceNet metric of predicted footprints against ground truth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::eval::{
    Counts, EvalParams, Evaluation, INVALID_PROPOSAL_RULE, INVALID_TRUTH_RULE, ImageEval,
    evaluate_rows,
};
use crate::io::{
    CsvFootprint, image_id_of, pixel_from_world, read_footprints_geojson, read_spacenet_csv,
    reproject,
};
use crate::raster::Scene;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Ground truth: a SpaceNet CSV (ImageId, BuildingId|TileBuildingId, PolygonWKT_Pix) or a
    /// GeoJSON (then --scene is needed).
    #[arg(long)]
    pub truth: PathBuf,
    /// Predictions: a SpaceNet CSV (a Confidence column sets the matching order) or a GeoJSON
    /// (a `confidence` property does).
    #[arg(long)]
    pub pred: PathBuf,
    /// The raster whose grid turns GeoJSON coordinates into pixels (reprojecting from the
    /// GeoJSON's CRS when it differs); its file stem is the ImageId of those footprints.
    #[arg(long)]
    pub scene: Option<PathBuf>,
    /// Smallest building area in px^2 that counts (SN6: 80).
    #[arg(long, default_value_t = 80.0)]
    pub min_area: f64,
    /// A match needs an IoU strictly above this.
    #[arg(long, default_value_t = 0.5)]
    pub iou: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.min_area >= 0.0 && (0.0..1.0).contains(&args.iou),
        "--min-area must be >= 0 and --iou in [0, 1)"
    );
    let scene = args.scene.as_ref().map(Scene::open).transpose()?;
    // The two files are read at the same time (a data set's CSVs are tens of megabytes each;
    // a scene, which GeoJSON needs, is used on one thread only).
    let (truth, pred) = match &scene {
        None => crate::parallel::join(
            || load(&args.truth, None, None),
            || load(&args.pred, None, None),
        ),
        Some(scene) => {
            let path = args.scene.as_deref();
            (
                load(&args.truth, Some(scene), path),
                load(&args.pred, Some(scene), path),
            )
        }
    };
    let truth = truth.context("reading the ground truth")?;
    let pred = pred.context("reading the predictions")?;
    let params = EvalParams {
        min_area: args.min_area,
        iou_threshold: args.iou,
    };
    let evaluation = evaluate_rows(&truth, &pred, params);
    // Nothing scored differently without a word: where the invalid polygons are (printed
    // after the report).
    let invalid_truth = invalid_places(&evaluation, &truth, &args.truth, |e| &e.invalid_truth);
    let invalid_pred = invalid_places(&evaluation, &pred, &args.pred, |e| &e.invalid_proposals);
    let notes = || {
        let _ = std::io::Write::flush(&mut std::io::stdout());
        note_invalid(
            &invalid_truth,
            &args.truth,
            "ground-truth",
            INVALID_TRUTH_RULE,
        );
        note_invalid(
            &invalid_pred,
            &args.pred,
            "predicted",
            INVALID_PROPOSAL_RULE,
        );
    };
    if args.json {
        let images: Vec<_> = evaluation
            .images
            .iter()
            .map(|(id, e)| serde_json::json!({ "image_id": id, "scores": scores(&e.counts) }))
            .collect();
        let aois: Vec<_> = evaluation
            .by_aoi()
            .iter()
            .map(|(aoi, c)| serde_json::json!({ "aoi": aoi, "scores": scores(c) }))
            .collect();
        let report = serde_json::json!({
            "min_area": params.min_area,
            "iou_threshold": params.iou_threshold,
            "images": images,
            "aois": aois,
            "total": scores(&evaluation.total),
            "invalid_truth": invalid_truth,
            "invalid_pred": invalid_pred,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        notes();
        return Ok(());
    }
    println!(
        "{:<44} {:>6} {:>6} {:>6} {:>9} {:>9} {:>9}",
        "image", "TP", "FP", "FN", "precision", "recall", "F1"
    );
    let row = |name: &str, c: &Counts| {
        println!(
            "{:<44} {:>6} {:>6} {:>6} {:>9.4} {:>9.4} {:>9.4}",
            name,
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall(),
            c.f1()
        );
    };
    for (id, image) in &evaluation.images {
        row(id, &image.counts);
    }
    for (aoi, counts) in evaluation.by_aoi() {
        row(&format!("{aoi} (all images)"), &counts);
    }
    row("total", &evaluation.total);
    println!(
        "({} ground-truth and {} predicted rows, {} images; min area {} px, IoU > {})",
        truth.len(),
        pred.len(),
        evaluation.images.len(),
        params.min_area,
        params.iou_threshold
    );
    notes();
    Ok(())
}

/// A note on stderr naming the invalid polygons of one side (`places` in the file at `path`)
/// and how solaris' rule, followed here, scores them.
fn note_invalid(places: &[String], path: &Path, side: &str, rule: &str) {
    const SHOWN: usize = 10;
    let (one_is, shown) = match places.len() {
        0 => return,
        1 => ("is not a valid polygon", places),
        _ => ("are not valid polygons", &places[..places.len().min(SHOWN)]),
    };
    let more = places.len() - shown.len();
    eprintln!(
        "note: {} of the {side} footprints {one_is} (self-intersecting or otherwise): {} {}{}. \
         Scored as solaris scores them: {rule}.",
        places.len(),
        path.display(),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
}

/// Where the footprints that `indices` names (per image, as [`evaluate_rows`] numbers them:
/// the image's rows in file order) are in the file at `path`: `line N` of a CSV, `feature N`
/// of a GeoJSON; in file order.
fn invalid_places(
    evaluation: &Evaluation,
    rows: &[CsvFootprint],
    path: &Path,
    indices: impl Fn(&ImageEval) -> &Vec<usize>,
) -> Vec<String> {
    let wanted: HashMap<&str, &Vec<usize>> = evaluation
        .images
        .iter()
        .filter(|(_, image)| !indices(image).is_empty())
        .map(|(id, image)| (id.as_str(), indices(image)))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let csv = is_csv(path);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut places = Vec::new();
    for row in rows {
        let Some(list) = wanted.get(&*row.image_id) else {
            continue;
        };
        let k = seen.entry(&row.image_id).or_default();
        if list.binary_search(k).is_ok() {
            places.push(if csv {
                format!("line {}", row.line)
            } else {
                format!("feature {}", row.line.saturating_sub(1))
            });
        }
        *k += 1;
    }
    places
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Footprints in pixel coordinates from a SpaceNet CSV, or from a GeoJSON placed on `scene`.
fn load(
    path: &Path,
    scene: Option<&Scene>,
    scene_path: Option<&Path>,
) -> anyhow::Result<Vec<CsvFootprint>> {
    if is_csv(path) {
        return Ok(read_spacenet_csv(path)?);
    }
    let format = crate::io::Format::of(path)?;
    let (Some(scene), Some(scene_path)) = (scene, scene_path) else {
        anyhow::bail!(
            "{}: {} footprints need --scene RASTER for their pixel coordinates",
            path.display(),
            if format == crate::io::Format::GeoPackage {
                "GeoPackage"
            } else {
                "GeoJSON"
            }
        );
    };
    let image_id: std::sync::Arc<str> = image_id_of(scene_path).into();
    if format == crate::io::Format::GeoPackage {
        // Read by GDAL, placed on the scene's grid (reprojected when its CRS differs).
        let grid = crate::io::SceneGrid::of(scene)
            .with_context(|| format!("{}: the scene has no geotransform", scene_path.display()))?;
        let read = crate::io::read_footprints(path)?
            .into_pixel(&grid)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(read
            .items
            .into_iter()
            .enumerate()
            .map(|(i, f)| CsvFootprint {
                image_id: image_id.clone(),
                building_id: i.to_string().into(),
                polygon: f.polygon,
                confidence: f.confidence,
                line: i + 1,
            })
            .collect());
    }
    let layer = read_footprints_geojson(path)?;
    let gt = scene
        .geo_transform()
        .with_context(|| format!("{}: the scene has no geotransform", scene_path.display()))?;
    let world = match scene.crs() {
        Some(crs) if crs.epsg != Some(layer.epsg) => {
            reproject(&layer.polygons, layer.epsg, &crs.wkt)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        _ => layer.polygons,
    };
    let pixel = pixel_from_world(&world, &gt).with_context(|| {
        format!(
            "{}: the scene's geotransform has no inverse",
            scene_path.display()
        )
    })?;
    Ok(pixel
        .into_iter()
        .zip(&layer.properties)
        .enumerate()
        .map(|(i, (polygon, props))| CsvFootprint {
            image_id: image_id.clone(),
            building_id: i.to_string().into(),
            polygon,
            confidence: ["confidence", "Confidence"]
                .iter()
                .find_map(|k| props.get(*k).and_then(serde_json::Value::as_f64)),
            line: i + 1,
        })
        .collect())
}

fn scores(c: &Counts) -> serde_json::Value {
    serde_json::json!({
        "tp": c.tp, "fp": c.fp, "fn": c.fn_,
        "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
    })
}
