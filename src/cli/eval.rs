//! `sarscope eval`: the SpaceNet metric of predicted footprints against ground truth.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::eval::{Counts, EvalParams, evaluate_rows};
use crate::io::read_spacenet_csv;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Ground truth, a SpaceNet CSV (ImageId, BuildingId|TileBuildingId, PolygonWKT_Pix).
    #[arg(long)]
    pub truth: PathBuf,
    /// Predictions, a SpaceNet CSV (with a Confidence column to set the matching order).
    #[arg(long)]
    pub pred: PathBuf,
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
    let truth = read_spacenet_csv(&args.truth).context("reading the ground truth")?;
    let pred = read_spacenet_csv(&args.pred).context("reading the predictions")?;
    let params = EvalParams {
        min_area: args.min_area,
        iou_threshold: args.iou,
    };
    let evaluation = evaluate_rows(&truth, &pred, params);
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
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
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
    Ok(())
}

fn scores(c: &Counts) -> serde_json::Value {
    serde_json::json!({
        "tp": c.tp, "fp": c.fp, "fn": c.fn_,
        "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
    })
}
