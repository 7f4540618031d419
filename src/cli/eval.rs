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
    /// Ground truth: a SpaceNet CSV (ImageId, BuildingId|TileBuildingId, PolygonWKT_Pix), or a
    /// GeoJSON or GeoPackage (placed on --scene's pixels; without --scene, when the predictions
    /// are one too, both are scored in the ground truth's projected CRS).
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
    /// Smallest building area in m^2 that counts when two files are scored in their CRS
    /// (default: --min-area at SpaceNet 6's 0.5 m pixels, 80 px = 20 m^2).
    #[arg(long)]
    pub min_area_m2: Option<f64>,
    /// A match needs an IoU strictly above this.
    #[arg(long, default_value_t = 0.5)]
    pub iou: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.min_area >= 0.0
            && args.min_area_m2.is_none_or(|m| m >= 0.0)
            && (0.0..1.0).contains(&args.iou),
        "--min-area and --min-area-m2 must be >= 0 and --iou in [0, 1)"
    );
    if args.scene.is_none() && !is_csv(&args.truth) && !is_csv(&args.pred) {
        let (truth, pred, crs) = load_in_crs(&args.truth, &args.pred)?;
        let min_area_m2 = args.min_area_m2.unwrap_or(args.min_area * SN6_PIXEL_M2);
        let params = EvalParams {
            min_area: min_area_m2 / (crs.unit_m * crs.unit_m),
            iou_threshold: args.iou,
        };
        let how = format!(
            "scored in {}; min area {min_area_m2} m^2{}",
            crs.name,
            if args.min_area_m2.is_some() {
                String::new()
            } else {
                format!(
                    " (--min-area {} px at SpaceNet 6's 0.5 m; --min-area-m2 sets it)",
                    args.min_area
                )
            }
        );
        let extra = serde_json::json!({ "crs": crs.name, "min_area_m2": min_area_m2 });
        return report(args, &truth, &pred, params, &how, extra);
    }
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
    let how = format!("min area {} px", params.min_area);
    report(args, &truth, &pred, params, &how, serde_json::json!({}))
}

/// Scores `pred` against `truth` and prints the report (`how`: the units they were scored
/// in, for the table's last line; `extra`: fields for the JSON).
fn report(
    args: &EvalArgs,
    truth: &[CsvFootprint],
    pred: &[CsvFootprint],
    params: EvalParams,
    how: &str,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let evaluation = evaluate_rows(truth, pred, params);
    // Nothing scored differently without a word: where the invalid polygons are (printed
    // after the report).
    let invalid_truth = invalid_places(&evaluation, truth, &args.truth, |e| &e.invalid_truth);
    let invalid_pred = invalid_places(&evaluation, pred, &args.pred, |e| &e.invalid_proposals);
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
        let mut report = serde_json::json!({
            "min_area": params.min_area,
            "iou_threshold": params.iou_threshold,
            "images": images,
            "aois": aois,
            "total": scores(&evaluation.total),
            "invalid_truth": invalid_truth,
            "invalid_pred": invalid_pred,
        });
        if let (Some(report), Some(extra)) = (report.as_object_mut(), extra.as_object()) {
            report.extend(extra.clone());
        }
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
        "({} ground-truth and {} predicted rows, {} images; {how}, IoU > {})",
        truth.len(),
        pred.len(),
        evaluation.images.len(),
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
            match format {
                crate::io::Format::GeoPackage => "GeoPackage",
                crate::io::Format::GeoParquet => "GeoParquet",
                crate::io::Format::FlatGeobuf => "FlatGeobuf",
                _ => "GeoJSON",
            }
        );
    };
    let image_id: std::sync::Arc<str> = image_id_of(scene_path).into();
    if matches!(
        format,
        crate::io::Format::GeoPackage
            | crate::io::Format::GeoParquet
            | crate::io::Format::FlatGeobuf
    ) {
        // Read by GDAL (GeoParquet by ours), placed on the scene's grid (reprojected when its
        // CRS differs).
        let grid = crate::io::SceneGrid::of(scene)
            .with_context(|| format!("{}: the scene has no geotransform", scene_path.display()))?;
        let read = crate::io::read_footprints(path)?
            .into_pixel(&grid)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(rows(
            &image_id,
            read.items.into_iter().map(|f| (f.polygon, f.confidence)),
        ));
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
    let confidences = layer.properties.iter().map(|props| {
        ["confidence", "Confidence"]
            .iter()
            .find_map(|k| props.get(*k).and_then(serde_json::Value::as_f64))
    });
    Ok(rows(&image_id, pixel.into_iter().zip(confidences)))
}

/// Footprints of one image as metric rows: building ids and lines numbered in file order.
fn rows(
    image_id: &std::sync::Arc<str>,
    footprints: impl IntoIterator<Item = (geo::MultiPolygon<f64>, Option<f64>)>,
) -> Vec<CsvFootprint> {
    footprints
        .into_iter()
        .enumerate()
        .map(|(i, (polygon, confidence))| CsvFootprint {
            image_id: image_id.clone(),
            building_id: i.to_string().into(),
            polygon,
            confidence,
            line: i + 1,
        })
        .collect()
}

/// A SpaceNet 6 pixel's area: 0.5 m x 0.5 m.
const SN6_PIXEL_M2: f64 = 0.25;

/// The projected CRS two footprint files are scored in.
struct ScoringCrs {
    /// "EPSG:32631 (WGS 84 / UTM zone 31N)".
    name: String,
    /// Metres per unit of its coordinates.
    unit_m: f64,
}

/// Two footprint files (GeoJSON or GeoPackage) in the ground truth's CRS, which must be a
/// projected one (areas and IoU in longitude/latitude are not the metric's); the predictions
/// reprojected into it when theirs differs. Both are one image, named after the truth file.
fn load_in_crs(
    truth_path: &Path,
    pred_path: &Path,
) -> anyhow::Result<(Vec<CsvFootprint>, Vec<CsvFootprint>, ScoringCrs)> {
    use crate::io::Space;
    let truth = crate::io::read_footprints(truth_path)?;
    let pred = crate::io::read_footprints(pred_path)?;
    let epsg_of = |set: &crate::io::Footprints, path: &Path| match set.space {
        Space::World { epsg: Some(epsg) } => Ok(epsg),
        _ => Err(anyhow::anyhow!(
            "{}: the file does not say its CRS; give --scene RASTER to place it on the \
             scene's pixels",
            path.display()
        )),
    };
    let (to, from) = (epsg_of(&truth, truth_path)?, epsg_of(&pred, pred_path)?);
    let srs = gdal::spatial_ref::SpatialRef::from_epsg(to).map_err(|e| {
        anyhow::anyhow!(
            "{}: {}",
            truth_path.display(),
            crate::io::PlaceError::epsg(to, &e)
        )
    })?;
    let name = format!("EPSG:{to} ({})", srs.name().unwrap_or_default());
    anyhow::ensure!(
        srs.is_projected(),
        "{}: its footprints are in {name}, longitude and latitude, where areas and IoU are not \
         the metric's: give --scene RASTER to score them on its pixels, or a file in a \
         projected CRS (UTM)",
        truth_path.display()
    );
    let unit_m = srs.linear_units();
    anyhow::ensure!(
        unit_m.is_finite() && unit_m > 0.0,
        "{}: {name} has no linear unit",
        truth_path.display()
    );
    let pred_polygons: Vec<_> = pred.items.iter().map(|f| f.polygon.clone()).collect();
    let pred_polygons = if from == to {
        pred_polygons
    } else {
        let wkt = srs
            .to_wkt()
            .map_err(|e| anyhow::anyhow!("{name}: {}", crate::raster::gdal_reason(&e)))?;
        reproject(&pred_polygons, from, &wkt)
            .map_err(|e| anyhow::anyhow!("{}: {e}", pred_path.display()))?
    };
    let image_id: std::sync::Arc<str> = image_id_of(truth_path).into();
    let truth_rows = rows(
        &image_id,
        truth.items.into_iter().map(|f| (f.polygon, f.confidence)),
    );
    let pred_rows = rows(
        &image_id,
        pred_polygons
            .into_iter()
            .zip(pred.items.iter().map(|f| f.confidence)),
    );
    Ok((truth_rows, pred_rows, ScoringCrs { name, unit_m }))
}

fn scores(c: &Counts) -> serde_json::Value {
    serde_json::json!({
        "tp": c.tp, "fp": c.fp, "fn": c.fn_,
        "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
    })
}
