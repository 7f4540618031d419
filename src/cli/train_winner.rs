//! `sarscope train --heads 3`: the SN6 winner's network (narrow) trained on synthetic scenes
//! with footprint, edge and contact targets; weights, model card and log out.

use std::time::Instant;

use anyhow::{Context, bail};

use super::progress::ProgressLine;
use super::train::{
    TrainArgs, TrainProgress, VALIDATION_START, checkpoint_dir, finish_run, score, summary,
};
use crate::model::{ModelCard, ModelDevice, card_path};
use crate::synth::Difficulty;
use crate::train::{TrainScene, WinnerTrainConfig, WinnerTrainer, score_winner_both};

pub fn run(args: &TrainArgs, device: &ModelDevice, started: Instant) -> anyhow::Result<()> {
    if !args.data.is_empty() {
        bail!("--heads 3 trains on synthetic scenes: --data is for --heads 1");
    }
    let difficulty = match args.difficulty {
        super::demo::DifficultyArg::Standard => Difficulty::Standard,
        super::demo::DifficultyArg::Hard => Difficulty::Hard,
    };
    let mut config = WinnerTrainConfig::small();
    config.crop = args.crop;
    config.batch = args.batch.max(1);
    config.steps = args.steps;
    config.learning_rate = args.lr;
    config.seed = args.seed;
    config.validate_every = args.validate_every;
    let mut trainer = match (&args.resume, &args.init) {
        (Some(dir), _) => {
            let t = WinnerTrainer::resume(dir, Some(args.steps), &device.device)
                .with_context(|| format!("resuming from {}", dir.display()))?;
            println!("resumed at step {} of {}", t.step, t.config.steps);
            t
        }
        (None, Some(weights)) => {
            let t = WinnerTrainer::from_weights(config, weights, &device.device)
                .with_context(|| format!("starting from {}", weights.display()))?;
            let (_, _, net) = crate::session::winner::winner_card(weights, &t.config.net)?;
            t.with_extra_num(net.extra_num)
        }
        (None, None) => WinnerTrainer::new(config, &device.device)?,
    };
    let config = trainer.config.clone();
    let name = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sn6-winner".into());
    let card_base = ModelCard {
        name,
        architecture: format!(
            "the SN6 winner's U-Net (1-zbigniewwojna): EfficientNet encoder {} stages of {:?} blocks, widths {:?}, head {}, decoder {:?}; outputs footprint, edge, contact (+3 unused)",
            config.net.stages.len(),
            config
                .net
                .stages
                .iter()
                .map(|s| s.repeats)
                .collect::<Vec<_>>(),
            config
                .net
                .stages
                .iter()
                .map(|s| s.channels)
                .collect::<Vec<_>>(),
            config.net.head,
            config.net.dec_ch
        ),
        bands: ["HH", "VV", "HV", "VH"].map(String::from).to_vec(),
        rotation: "sn6-orientations".into(),
        ..ModelCard::default()
    };
    let scenes = |what: &str, seed: u64, first: u64, count: usize, size: usize| {
        let bar = ProgressLine::new(what.to_string());
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            bar.update(i, count, "scenes");
            out.push(TrainScene::winner_synthetic(seed, first + i as u64, size, difficulty)?.0);
        }
        bar.finish();
        Ok::<_, crate::train::TrainError>(out)
    };
    let train = scenes("training", args.seed, 0, args.synthetic, args.scene_size)?;
    let val = scenes("validation", args.seed, VALIDATION_START, args.val, 900)?;
    if train.is_empty() {
        bail!("nothing to train on: give --synthetic N");
    }
    println!(
        "{} {:?} training scenes, {} validation scenes ready in {:.1} s; the winner's network, {} parameters, crops {}x{} x {}",
        train.len(),
        difficulty,
        val.len(),
        started.elapsed().as_secs_f64(),
        config.net.parameter_count(),
        config.crop,
        config.crop,
        config.batch
    );
    trainer.save_after_validation(args.out.clone(), card_base.clone());
    let ckpt = checkpoint_dir(&args.out);
    trainer.checkpoint_to(ckpt.clone(), card_base.clone());
    let log_path = args.out.with_extension("log.csv");
    let train_started = Instant::now();
    let first_step = trainer.step;
    let mut shown = TrainProgress::new("validation (watershed instances)", train_started);
    let result = crate::train::run(&mut trainer, &train, &val, &mut |event| shown.on(event));
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
        "sarscope {}: `sarscope {}`; {} {difficulty:?} synthetic scenes of {} px (seed {}); {} steps in {:.0} s on {}",
        env!("CARGO_PKG_VERSION"),
        std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        args.synthetic,
        args.scene_size,
        args.seed,
        trainer.step,
        train_s,
        device.description
    );
    if let Some((_, counts)) = last_counts.filter(|(step, _)| *step == trainer.step) {
        card.scores.push(score(
            format!(
                "{} {difficulty:?} synthetic validation scenes (seed {}, from index {VALIDATION_START}), watershed instances",
                val.len(),
                args.seed
            ),
            counts,
        ));
    }
    if args.holdout > 0 {
        let holdout = scenes("held-out", args.holdout_seed, 0, args.holdout, 900)?;
        let bar = ProgressLine::new("held-out");
        let model = trainer.inference_model();
        let (instances, one_head) =
            score_winner_both(&model, &config.net, &device.device, &holdout, &mut |done| {
                bar.update(done, holdout.len(), "scenes scored");
                true
            })?;
        bar.finish();
        let what = format!(
            "{} held-out {difficulty:?} synthetic 900x900 scenes (seed {}, indices 0..{})",
            holdout.len(),
            args.holdout_seed,
            holdout.len()
        );
        println!("held-out, three maps + watershed: {}", summary(&instances));
        println!(
            "held-out, footprint map thresholded (as one head): {}",
            summary(&one_head)
        );
        card.scores
            .push(score(format!("{what}, watershed instances"), instances));
        card.scores.push(score(
            format!("{what}, footprint map thresholded at 0.5"),
            one_head,
        ));
    }
    trainer.save(&args.out, &card)?;
    println!(
        "weights: {} ({}), model card {}, log {}",
        args.out.display(),
        crate::raster::human_bytes(std::fs::metadata(&args.out).map_or(0, |m| u128::from(m.len()))),
        card_path(&args.out).display(),
        log_path.display()
    );
    Ok(())
}
