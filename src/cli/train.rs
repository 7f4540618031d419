//! `sarscope train`: the UNet11 trained on synthetic scenes and/or GeoTIFFs with footprints,
//! weights and a model card out.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::predict::DeviceArg;
use super::progress::ProgressLine;
use crate::annotate::find_truth;
use crate::eval::Counts;
use crate::model::{DeviceChoice, ModelCard, Score, card_path, select_device};
use crate::train::{Event, TrainConfig, TrainScene, Trainer, run, score_scenes};

/// Index of the first validation scene in a seed's sequence: training scenes are 0..N, so the
/// two never meet.
pub const VALIDATION_START: u64 = 1_000_000;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Where the weights go (a sarscope .bpk; its model card is written next to it).
    #[arg(long)]
    pub out: PathBuf,
    /// Synthetic training scenes (0 for none).
    #[arg(long, default_value_t = 64)]
    pub synthetic: usize,
    /// Side of each synthetic training scene, px.
    #[arg(long, default_value_t = 512)]
    pub scene_size: usize,
    /// Folders of GeoTIFFs to train on, each with its footprints beside it (NAME.geojson,
    /// NAME.csv or NAME.gpkg).
    #[arg(long)]
    pub data: Vec<PathBuf>,
    /// Seeds the synthetic scenes, the initial weights and the crops.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Synthetic 900x900 validation scenes (same seed, indices from 1,000,000 on).
    #[arg(long, default_value_t = 8)]
    pub val: usize,
    /// After training, score this many held-out 900x900 synthetic scenes of `--holdout-seed`
    /// and record the score in the model card.
    #[arg(long, default_value_t = 0)]
    pub holdout: usize,
    #[arg(long, default_value_t = 7)]
    pub holdout_seed: u64,
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    #[arg(long, default_value_t = 4)]
    pub batch: usize,
    /// Square crop side, a multiple of 32.
    #[arg(long, default_value_t = 128)]
    pub crop: usize,
    /// 1 = the full baseline width; 2, 4, 8, 16, 32 narrower.
    #[arg(long, default_value_t = 8)]
    pub width_divisor: usize,
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f64,
    /// Validate (and save a checkpoint) every this many steps.
    #[arg(long, default_value_t = 250)]
    pub validate_every: usize,
    /// Start from these weights (ours or a PyTorch checkpoint) instead of random ones.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Go on from this checkpoint folder (as written next to --out: NAME.ckpt/).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// 1: the UNet11 learns the footprint mask; 3: the SN6 winner's network (narrow) learns
    /// footprint, edge and contact maps with the winner's loss (synthetic scenes only).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub heads: u8,
    /// The synthetic scenes' difficulty (`demo --difficulty`): hard needs --heads 3.
    #[arg(long, value_enum, default_value_t = super::demo::DifficultyArg::Standard)]
    pub difficulty: super::demo::DifficultyArg,
}

pub fn run_cli(args: &TrainArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let choice = match args.device {
        DeviceArg::Auto => DeviceChoice::Auto,
        DeviceArg::Gpu => DeviceChoice::Gpu,
        DeviceArg::Cpu => DeviceChoice::Cpu,
    };
    let device = select_device(choice)?;
    println!("device: {}", device.description);
    match args.heads {
        1 if args.difficulty == super::demo::DifficultyArg::Standard => {}
        1 => bail!("--difficulty hard trains the three-head network: add --heads 3"),
        3 => return super::train_winner::run(args, &device, started),
        n => bail!("--heads {n}: 1 (UNet11) or 3 (the SN6 winner's network)"),
    }
    let config = TrainConfig {
        width_divisor: args.width_divisor,
        crop: args.crop,
        batch: args.batch.max(1),
        steps: args.steps,
        learning_rate: args.lr,
        seed: args.seed,
        validate_every: args.validate_every,
        ..TrainConfig::default()
    };
    let mut trainer = match (&args.resume, &args.init) {
        (Some(dir), _) => {
            let t = Trainer::resume(dir, Some(args.steps), &device.device)
                .with_context(|| format!("resuming from {}", dir.display()))?;
            println!("resumed at step {} of {}", t.step, t.config.steps);
            t
        }
        (None, Some(weights)) => Trainer::from_weights(config, weights, &device.device)?,
        (None, None) => Trainer::new(config, &device.device)?,
    };
    let config = trainer.config.clone();
    let card_base = ModelCard {
        name: args
            .out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "UNet11".into()),
        rotation: "sn6-orientations".into(),
        normalization: config.normalization,
        ..ModelCard::default()
    };

    let bar = ProgressLine::new("scenes");
    let mut train = Vec::new();
    for i in 0..args.synthetic {
        bar.update(i, args.synthetic, "synthetic scenes");
        train.push(TrainScene::synthetic(
            args.seed,
            i as u64,
            args.scene_size,
            card_base.normalization,
        )?);
    }
    for dir in &args.data {
        train.extend(scenes_in(dir, &card_base)?);
    }
    let mut val = Vec::new();
    for i in 0..args.val {
        bar.update(i, args.val, "validation scenes");
        val.push(TrainScene::synthetic(
            args.seed,
            VALIDATION_START + i as u64,
            900,
            card_base.normalization,
        )?);
    }
    bar.finish();
    if train.is_empty() {
        bail!("nothing to train on: give --synthetic N or --data FOLDER");
    }
    println!(
        "{} training scenes, {} validation scenes ready in {:.1} s; UNet11 1/{} wide, crops {}x{} x {}",
        train.len(),
        val.len(),
        started.elapsed().as_secs_f64(),
        config.width_divisor,
        config.crop,
        config.crop,
        config.batch
    );

    let ckpt = checkpoint_dir(&args.out);
    let log_path = args.out.with_extension("log.csv");
    let train_started = std::time::Instant::now();
    let first_step = trainer.step;
    trainer.checkpoint_to(ckpt.clone(), card_base.clone());
    let mut shown = TrainProgress::new("validation", train_started);
    let result = run(&mut trainer, &train, &val, &mut |event| shown.on(event));
    shown.bar.finish();
    let last_counts = shown.last_counts;
    let train_s = finish_run(
        &mut trainer,
        result,
        first_step,
        (&ckpt, &card_base),
        &log_path,
        train_started,
        &device.description,
    )?;

    let mut card = card_base;
    card.provenance = format!(
        "sarscope {}: `sarscope {}`; {} synthetic scenes of {} px (seed {}){}; {} steps in {:.0} s on {}",
        env!("CARGO_PKG_VERSION"),
        std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        args.synthetic,
        args.scene_size,
        args.seed,
        if args.data.is_empty() {
            String::new()
        } else {
            format!(
                " and the scenes in {}",
                args.data
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        trainer.step,
        train_s,
        device.description
    );
    // The loop validates at its last step: that score goes into the card.
    if let Some((_, counts)) = last_counts.filter(|(step, _)| *step == trainer.step) {
        card.scores.push(score(
            format!(
                "{} synthetic validation scenes (seed {}, from index {VALIDATION_START})",
                val.len(),
                args.seed
            ),
            counts,
        ));
    }
    if args.holdout > 0 {
        let bar = ProgressLine::new("held-out");
        let mut holdout = Vec::with_capacity(args.holdout);
        for i in 0..args.holdout {
            bar.update(i, args.holdout, "scenes generated");
            holdout.push(TrainScene::synthetic(
                args.holdout_seed,
                i as u64,
                900,
                card.normalization,
            )?);
        }
        let model = trainer.inference_model();
        let device = trainer.inference_device();
        let counts = score_scenes(
            &model,
            &device,
            config.normalization,
            &holdout,
            &mut |done| {
                bar.update(done, holdout.len(), "scenes scored");
                true
            },
        )?;
        bar.finish();
        println!(
            "held-out: {} synthetic 900x900 scenes of seed {}: {}",
            holdout.len(),
            args.holdout_seed,
            summary(&counts)
        );
        card.scores.push(score(
            format!(
                "{} held-out synthetic 900x900 scenes (seed {}, indices 0..{})",
                holdout.len(),
                args.holdout_seed,
                holdout.len()
            ),
            counts,
        ));
    }
    trainer.save_weights(&args.out, &card)?;
    println!(
        "weights: {} ({}), model card {}, log {}",
        args.out.display(),
        crate::raster::human_bytes(std::fs::metadata(&args.out).map_or(0, |m| u128::from(m.len()))),
        card_path(&args.out).display(),
        log_path.display()
    );
    Ok(())
}

/// The training loop's events on the terminal: a progress line of the steps and their loss,
/// a line per validation; the last validation's step and counts are kept.
pub(super) struct TrainProgress {
    pub bar: ProgressLine,
    /// What the validation line calls its score.
    what: &'static str,
    started: std::time::Instant,
    last_loss: f32,
    pub last_counts: Option<(usize, Counts)>,
}

impl TrainProgress {
    pub fn new(what: &'static str, started: std::time::Instant) -> Self {
        Self {
            bar: ProgressLine::new("train"),
            what,
            started,
            last_loss: f32::NAN,
            last_counts: None,
        }
    }

    /// Shows `event`; always goes on.
    pub fn on(&mut self, event: &Event) -> bool {
        match event {
            Event::Step { step, steps, loss } => {
                self.last_loss = loss.total;
                self.bar
                    .update(*step, *steps, &format!("steps, loss {:.4}", loss.total));
            }
            Event::Validating { .. } => {}
            Event::Validated { step, counts } => {
                self.bar.finish();
                self.last_counts = Some((*step, *counts));
                println!(
                    "step {step}: loss {:.4}, {} {}, {:.0} s",
                    self.last_loss,
                    self.what,
                    summary(counts),
                    self.started.elapsed().as_secs_f64()
                );
            }
        }
        true
    }
}

/// "F1 0.998 (P 0.999, R 0.997; TP 7886 FP 8 FN 26)".
pub(super) fn summary(c: &Counts) -> String {
    format!(
        "F1 {:.3} (P {:.3}, R {:.3}; TP {} FP {} FN {})",
        c.f1(),
        c.precision(),
        c.recall(),
        c.tp,
        c.fp,
        c.fn_
    )
}

pub(super) fn score(dataset: String, counts: Counts) -> Score {
    Score {
        dataset,
        f1: counts.f1(),
        precision: counts.precision(),
        recall: counts.recall(),
        iou_threshold: 0.5,
        min_area_px: 80.0,
    }
}

/// After the training loop (`result`, from step `first_step`): a checkpoint when steps were run
/// (into `ckpt` with its card), the log written, the loop's error passed on naming the
/// checkpoint, the speed printed. The seconds trained.
pub fn finish_run(
    trainer: &mut dyn crate::train::Training,
    result: Result<(), crate::train::TrainError>,
    first_step: usize,
    (ckpt, card): (&Path, &ModelCard),
    log_path: &Path,
    started: std::time::Instant,
    device: &str,
) -> anyhow::Result<f64> {
    let step = trainer.steps_done();
    if step > first_step {
        trainer
            .save_checkpoint(ckpt, card)
            .with_context(|| format!("saving the checkpoint {}", ckpt.display()))?;
    }
    write_log(log_path, trainer.log_mut())?;
    result.with_context(|| {
        format!(
            "training stopped; the last checkpoint is in {}",
            ckpt.display()
        )
    })?;
    let steps_run = step - first_step;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{steps_run} steps in {seconds:.0} s ({:.2} s/step) on {device}",
        seconds / steps_run.max(1) as f64
    );
    Ok(seconds)
}

/// `NAME.ckpt/` next to `NAME.bpk`.
pub fn checkpoint_dir(out: &Path) -> PathBuf {
    out.with_extension("ckpt")
}

/// Every GeoTIFF in `dir` with footprints beside it.
fn scenes_in(dir: &Path, card: &ModelCard) -> anyhow::Result<Vec<TrainScene>> {
    let mut tifs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
        })
        .collect();
    tifs.sort();
    let mut scenes = Vec::new();
    for tif in tifs {
        let gpkg = tif.with_extension("gpkg");
        let footprints = find_truth(&tif).or_else(|| gpkg.exists().then_some(gpkg));
        let Some(footprints) = footprints else {
            println!("{}: no footprints beside it, left out", tif.display());
            continue;
        };
        scenes.push(
            TrainScene::from_files(&tif, &footprints, card)
                .with_context(|| format!("{} with {}", tif.display(), footprints.display()))?,
        );
    }
    if scenes.is_empty() {
        bail!(
            "{} holds no GeoTIFF with footprints beside it",
            dir.display()
        );
    }
    Ok(scenes)
}

/// The loss per step and F1 where validation ran, as CSV.
pub(super) fn write_log(path: &Path, log: &[crate::train::LogLine]) -> anyhow::Result<()> {
    let mut text = String::from("step,loss,dice,focal,f1\n");
    for line in log {
        text += &format!(
            "{},{},{},{},{}\n",
            line.step,
            line.loss,
            line.dice,
            line.focal,
            line.f1.map(|f| f.to_string()).unwrap_or_default()
        );
    }
    crate::replace::write_synced(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
