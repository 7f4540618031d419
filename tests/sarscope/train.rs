//! Training: a short run learns, a resumed run is the uninterrupted one, the shipped weights
//! score on scenes training never saw, and `sarscope train` on the command line.

use std::ffi::OsStr;
use std::path::Path;

use burn::prelude::*;
use burn::tensor::TensorData;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sarscope::model::{ModelCard, load_weights};
use sarscope::train::{TrainConfig, TrainScene, Trainer, crop_batch, run, score_scenes};

use crate::common::{sarscope, text};

/// burn's random initialization draws from one generator per backend, which a trainer seeds:
/// tests that compare two freshly initialized runs hold this, so that no other test's
/// initialization draws from the generator between a seed and its draws.
static SEEDED_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tiny_config(steps: usize) -> TrainConfig {
    TrainConfig {
        width_divisor: 16,
        crop: 64,
        batch: 4,
        steps,
        learning_rate: 1e-3,
        seed: 3,
        validate_every: 0,
        ..TrainConfig::default()
    }
}

fn scenes(seed: u64, indices: std::ops::Range<u64>, size: usize) -> Vec<TrainScene> {
    indices
        .map(|i| {
            TrainScene::synthetic(seed, i, size, sarscope::train::TRAIN_NORMALIZATION).unwrap()
        })
        .collect()
}

/// The mean loss of the model over fixed batches (the same crops before and after training).
fn mean_loss(trainer: &mut Trainer, batches: &[(Vec<f32>, Vec<f32>)]) -> f32 {
    let model = trainer.inference_model();
    let device = trainer.inference_device();
    let c = trainer.config.crop;
    let mut sum = 0.0;
    for (inputs, masks) in batches {
        let b = masks.len() / (c * c);
        let x = Tensor::<4>::from_data(TensorData::new(inputs.clone(), [b, 4, c, c]), &device);
        let y = Tensor::<4>::from_data(TensorData::new(masks.clone(), [b, 1, c, c]), &device);
        let (_, parts) = sarscope::train::dice_focal_loss(model.forward(x), y, 10.0).unwrap();
        sum += parts.total;
    }
    sum / batches.len() as f32
}

/// 300 steps of a 1/16-wide UNet11 on 64 px crops of eight 192 px synthetic scenes: the loss
/// on fixed held-out crops falls and the SpaceNet F1 on four held-out scenes rises above the
/// untrained network's.
#[test]
fn a_short_run_lowers_the_loss_and_raises_f1() {
    let train = scenes(3, 0..8, 192);
    let held_out = scenes(3, 500..504, 192);
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let fixed: Vec<_> = (0..4)
        .map(|_| crop_batch(&held_out, 64, 4, &mut rng).unwrap())
        .collect();
    let device = Device::flex();
    let mut trainer = {
        let _rng = SEEDED_RNG.lock().unwrap_or_else(|e| e.into_inner());
        Trainer::new(tiny_config(300), &device).unwrap()
    };
    let loss_before = mean_loss(&mut trainer, &fixed);
    let f1_before = score_scenes(
        &trainer.inference_model(),
        &trainer.inference_device(),
        trainer.config.normalization,
        &held_out,
        &mut |_| true,
    )
    .unwrap()
    .f1();
    run(&mut trainer, &train, &[], &mut |_| true).unwrap();
    assert_eq!(trainer.step, 300);
    assert_eq!(trainer.log.len(), 300);
    let loss_after = mean_loss(&mut trainer, &fixed);
    let counts = score_scenes(
        &trainer.inference_model(),
        &trainer.inference_device(),
        trainer.config.normalization,
        &held_out,
        &mut |_| true,
    )
    .unwrap();
    eprintln!(
        "loss {loss_before:.3} -> {loss_after:.3}, F1 {f1_before:.3} -> {:.3} ({counts:?})",
        counts.f1()
    );
    assert!(
        loss_after < 0.8 * loss_before,
        "loss {loss_before} -> {loss_after}"
    );
    assert!(
        counts.f1() > f1_before + 0.05,
        "F1 {f1_before} -> {} ({counts:?})",
        counts.f1()
    );
}

/// Stopping after 3 steps, saving, and resuming for 2 more gives the weights of 5 steps in a
/// row: the optimizer's moments and the step count travel with the checkpoint, and the crops
/// of a step depend on the step alone.
#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let _rng = SEEDED_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let train = scenes(4, 0..2, 128);
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let card = ModelCard::default();

    let mut straight = Trainer::new(tiny_config(5), &device).unwrap();
    run(&mut straight, &train, &[], &mut |_| true).unwrap();

    let mut first = Trainer::new(tiny_config(3), &device).unwrap();
    run(&mut first, &train, &[], &mut |_| true).unwrap();
    first
        .save_checkpoint(&dir.path().join("c.ckpt"), &card)
        .unwrap();
    let mut resumed = Trainer::resume(&dir.path().join("c.ckpt"), Some(5), &device).unwrap();
    assert_eq!(resumed.step, 3);
    run(&mut resumed, &train, &[], &mut |_| true).unwrap();
    assert_eq!(resumed.log.len(), 5, "the log goes on too");

    let x = scenes(4, 9..10, 64).remove(0).input;
    let logits = |t: &Trainer| {
        t.inference_model()
            .forward(Tensor::<4>::from_data(
                TensorData::new(x.clone(), [1, 4, 64, 64]),
                &t.inference_device(),
            ))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let (a, b) = (logits(&straight), logits(&resumed));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    let moved = logits(&first)
        .iter()
        .zip(&a)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    assert!(worst < 1e-4, "resumed differs from straight by {worst}");
    assert!(moved > 1e-3, "two more steps changed nothing ({moved})");
}

/// The same for the SN6 winner's network: a run of 3 steps saved and resumed to 5 ends where
/// a run of 5 does.
#[test]
fn a_resumed_winner_run_equals_an_uninterrupted_one() {
    let _rng = SEEDED_RNG.lock().unwrap_or_else(|e| e.into_inner());
    use sarscope::train::{WinnerTrainConfig, WinnerTrainer};
    let train: Vec<TrainScene> = (0..2)
        .map(|i| {
            TrainScene::winner_synthetic(4, i, 128, sarscope::synth::Difficulty::Hard)
                .unwrap()
                .0
        })
        .collect();
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let card = ModelCard::default();
    let config = |steps| WinnerTrainConfig {
        crop: 64,
        batch: 2,
        steps,
        validate_every: 0,
        ..WinnerTrainConfig::small()
    };
    let mut straight = WinnerTrainer::new(config(5), &device).unwrap();
    run(&mut straight, &train, &[], &mut |_| true).unwrap();
    let mut first = WinnerTrainer::new(config(3), &device).unwrap();
    run(&mut first, &train, &[], &mut |_| true).unwrap();
    let ckpt = dir.path().join("w.ckpt");
    first.save_checkpoint(&ckpt, &card).unwrap();
    let mut resumed = WinnerTrainer::resume(&ckpt, Some(5), &device).unwrap();
    assert_eq!(resumed.step, 3);
    run(&mut resumed, &train, &[], &mut |_| true).unwrap();
    assert_eq!(resumed.log.len(), 5, "the log goes on too");

    let x = Tensor::<4>::from_data(
        // Any input of the right size: the scene's first values.
        TensorData::new(train[0].input[..4 * 64 * 64].to_vec(), [1, 4, 64, 64]),
        &device,
    );
    let extra = Tensor::<2>::zeros([1, straight.config.net.extra_channels()], &device);
    let logits = |t: &WinnerTrainer| {
        t.inference_model()
            .forward(x.clone(), extra.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let (a, b) = (logits(&straight), logits(&resumed));
    let differ = |p: &[f32], q: &[f32]| {
        p.iter()
            .zip(q)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f32::max)
    };
    let worst = differ(&a, &b);
    let moved = differ(&logits(&first), &a);
    assert!(worst < 1e-4, "resumed differs from straight by {worst}");
    assert!(moved > 1e-3, "two more steps changed nothing ({moved})");
    // A checkpoint whose weights are not the state's shape is refused, naming the difference.
    let mut other = first.config.clone();
    other.net.head += 8;
    let state = std::fs::read_to_string(ckpt.join("state.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&state).unwrap();
    json["config"] = serde_json::to_value(&other).unwrap();
    std::fs::write(ckpt.join("state.json"), json.to_string()).unwrap();
    let err = WinnerTrainer::resume(&ckpt, None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("head channels") && err.contains("w.ckpt"),
        "{err}"
    );
}

/// The weights in `weights/` are what the README's first command predicts with: they must load
/// with their card and find the buildings of synthetic scenes of a seed that training never
/// used (training: seed 1; its validation: seed 1 from index 1,000,000; the card's held-out:
/// seed 7; here: seed 4242).
#[test]
fn the_shipped_weights_score_on_scenes_training_never_saw() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/sarscope_unet11_synth.bpk");
    let device = Device::flex();
    let loaded = load_weights(&path, &device).unwrap();
    assert!(loaded.card_found, "the weights ship with a model card");
    assert!(
        loaded.card.provenance.contains("sarscope train"),
        "{}",
        loaded.card.provenance
    );
    let card_held_out = loaded
        .card
        .scores
        .iter()
        .find(|s| s.dataset.contains("held-out"))
        .expect("the card states its held-out score");
    assert!(card_held_out.f1 >= 0.8, "{card_held_out:?}");

    let scenes: Vec<TrainScene> = (0..10)
        .map(|i| TrainScene::synthetic(4242, i, 900, loaded.card.normalization).unwrap())
        .collect();
    let counts = score_scenes(
        &loaded.model,
        &device,
        loaded.card.normalization,
        &scenes,
        &mut |_| true,
    )
    .unwrap();
    eprintln!("seed 4242, 10 scenes: {counts:?}, F1 {:.3}", counts.f1());
    assert!(counts.tp > 500, "{counts:?}");
    assert!(counts.f1() >= 0.8, "F1 {} ({counts:?})", counts.f1());
}

#[test]
fn train_on_the_command_line_writes_weights_card_and_log_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny.bpk");
    let arg = |s: &str| s.to_string();
    let args: Vec<String> = [
        "train",
        "--synthetic",
        "2",
        "--scene-size",
        "128",
        "--crop",
        "64",
        "--batch",
        "2",
        "--steps",
        "3",
        "--val",
        "1",
        "--validate-every",
        "2",
        "--width-divisor",
        "32",
    ]
    .iter()
    .map(|s| arg(s))
    .chain([arg("--out"), out.display().to_string()])
    .collect();
    let run = sarscope(&args.iter().map(OsStr::new).collect::<Vec<_>>());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("step 2: loss"), "{stdout}");
    assert!(stdout.contains("3 steps in"), "{stdout}");
    let card = ModelCard::read(&dir.path().join("tiny.card.json")).unwrap();
    assert_eq!(card.width_divisor, 32);
    // Trained on scenes seen from the north: SN6 tiles of south strips are rotated first.
    assert_eq!(card.rotation, "sn6-orientations");
    assert_eq!(card.scores.len(), 1, "{card:?}");
    let log = std::fs::read_to_string(dir.path().join("tiny.log.csv")).unwrap();
    assert_eq!(log.lines().count(), 4, "{log}");
    assert!(dir.path().join("tiny.ckpt/state.json").exists());

    // The weights predict.
    let scene = dir.path().join("s.tif");
    let written = sarscope::synth::generate(
        &sarscope::synth::SynthConfig {
            width: 96,
            height: 96,
            ..Default::default()
        },
        0,
    )
    .unwrap()
    .write(dir.path())
    .unwrap();
    std::fs::rename(&written.tif, &scene).unwrap();
    let probs = dir.path().join("p.tif");
    let predict = sarscope(&[
        OsStr::new("predict"),
        scene.as_os_str(),
        OsStr::new("--weights"),
        out.as_os_str(),
        OsStr::new("--device"),
        OsStr::new("cpu"),
        OsStr::new("--out"),
        probs.as_os_str(),
    ]);
    assert!(predict.status.success(), "{}", text(&predict.stderr));

    // Bad input: a crop the network cannot halve five times, and a folder without footprints.
    let bad = sarscope(&[
        OsStr::new("train"),
        OsStr::new("--crop"),
        OsStr::new("100"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("multiple of 32"),
        "{}",
        text(&bad.stderr)
    );
    let empty = tempfile::tempdir().unwrap();
    let bad = sarscope(&[
        OsStr::new("train"),
        OsStr::new("--synthetic"),
        OsStr::new("0"),
        OsStr::new("--data"),
        empty.path().as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("no GeoTIFF"),
        "{}",
        text(&bad.stderr)
    );
    // A checkpoint folder that is not one, and weights that are not weights.
    let bad = sarscope(&[
        OsStr::new("train"),
        OsStr::new("--resume"),
        empty.path().as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("state.json"),
        "{}",
        text(&bad.stderr)
    );
    let not_weights = dir.path().join("tiny.log.csv");
    let bad = sarscope(&[
        OsStr::new("train"),
        OsStr::new("--init"),
        not_weights.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("tiny.log.csv"),
        "{}",
        text(&bad.stderr)
    );
}

/// A GeoTIFF with its footprints (GeoJSON in the scene's CRS, or SpaceNet CSV in pixels) gives
/// the same training mask as the generator's own footprints, and `sarscope train --data`
/// trains on such a folder.
#[test]
fn geotiffs_with_footprints_train_like_synthetic_scenes() {
    let dir = tempfile::tempdir().unwrap();
    let config = sarscope::synth::SynthConfig {
        width: 256,
        height: 256,
        seed: 11,
        ..Default::default()
    };
    let card = ModelCard {
        normalization: sarscope::train::TRAIN_NORMALIZATION,
        ..ModelCard::default()
    };
    for index in 0..2 {
        let written = sarscope::synth::generate(&config, index)
            .unwrap()
            .write(dir.path())
            .unwrap();
        let reference = TrainScene::synthetic(11, index, 256, card.normalization).unwrap();
        for footprints in [&written.geojson, &written.csv] {
            let scene = TrainScene::from_files(&written.tif, footprints, &card).unwrap();
            assert_eq!(scene.input, reference.input, "{}", footprints.display());
            let differ = scene
                .mask
                .iter()
                .zip(&reference.mask)
                .filter(|(a, b)| a != b)
                .count();
            // The CSV is in pixels: the same polygons. GeoJSON goes through map coordinates
            // and back: a pixel centre exactly on an edge may fall either way (none does here).
            let allowed = if footprints == &written.csv { 0 } else { 20 };
            assert!(
                differ <= allowed,
                "{}: {differ} mask pixels differ",
                footprints.display()
            );
            assert!(reference.mask.iter().filter(|m| **m == 1.0).count() > 1000);
        }
    }
    // The CSV beside each scene is found (NAME.geojson first); 2 scenes, 2 steps.
    let out = dir.path().join("from_files.bpk");
    let run = sarscope(&[
        OsStr::new("train"),
        OsStr::new("--synthetic"),
        OsStr::new("0"),
        OsStr::new("--data"),
        dir.path().as_os_str(),
        OsStr::new("--crop"),
        OsStr::new("64"),
        OsStr::new("--steps"),
        OsStr::new("2"),
        OsStr::new("--val"),
        OsStr::new("0"),
        OsStr::new("--width-divisor"),
        OsStr::new("32"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("2 training scenes"),
        "{}",
        text(&run.stdout)
    );
    assert!(out.exists());
}

/// `train --heads 3`: the winner's network learns three maps on hard scenes and its weights
/// carry a card naming the network; `predict` takes them by that card; a card that
/// disagrees with the weights is refused, naming both and the difference.
#[test]
fn three_heads_train_on_hard_scenes_and_predict_by_their_card() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("three.bpk");
    let args: Vec<String> = [
        "train",
        "--heads",
        "3",
        "--difficulty",
        "hard",
        "--synthetic",
        "2",
        "--scene-size",
        "128",
        "--val",
        "0",
        "--steps",
        "3",
        "--crop",
        "64",
        "--batch",
        "2",
        "--lr",
        "1e-3",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(["--out".into(), out.display().to_string()])
    .collect();
    let run = sarscope(&args.iter().map(OsStr::new).collect::<Vec<_>>());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("3 steps in"), "{stdout}");
    let card_path = dir.path().join("three.card.json");
    let card = ModelCard::read(&card_path).unwrap();
    assert_eq!(card.network, "sn6-winner");
    let net = card.effunet.clone().unwrap();
    assert_eq!(net.extra_num, 0);
    assert!(card.parameters > 100_000, "{}", card.parameters);
    // The run left a checkpoint; going on from it to step 5 runs the 2 steps left.
    let ckpt = dir.path().join("three.ckpt");
    let mut resumed_args = args.clone();
    let at = resumed_args.iter().position(|a| a == "--steps").unwrap();
    resumed_args[at + 1] = "5".into();
    resumed_args.extend(["--resume".into(), ckpt.display().to_string()]);
    let resumed = sarscope(&resumed_args.iter().map(OsStr::new).collect::<Vec<_>>());
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let stdout = text(&resumed.stdout);
    assert!(
        stdout.contains("resumed at step 3 of 5") && stdout.contains("2 steps in"),
        "{stdout}"
    );
    // The one-head trainer refuses hard scenes without --heads 3.
    let refused = sarscope(&[
        OsStr::new("train"),
        OsStr::new("--difficulty"),
        OsStr::new("hard"),
        OsStr::new("--out"),
        dir.path().join("x.bpk").as_os_str(),
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("--heads 3"),
        "{}",
        text(&refused.stderr)
    );

    // predict with the trained weights on a hard tile.
    let tiles = dir.path().join("tiles");
    let demo = sarscope(&[
        OsStr::new("demo"),
        OsStr::new("--difficulty"),
        OsStr::new("hard"),
        OsStr::new("--size"),
        OsStr::new("128"),
        OsStr::new("--out"),
        tiles.as_os_str(),
    ]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let tile = std::fs::read_dir(&tiles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "tif"))
        .unwrap();
    let predict = |map: &Path| {
        sarscope(&[
            OsStr::new("predict"),
            tile.as_os_str(),
            OsStr::new("--weights"),
            out.as_os_str(),
            OsStr::new("--device"),
            OsStr::new("cpu"),
            OsStr::new("--tta"),
            OsStr::new("none"),
            OsStr::new("--out"),
            map.as_os_str(),
        ])
    };
    let done = predict(&dir.path().join("maps.tif"));
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert!(
        text(&done.stdout).contains("SN6 winner"),
        "{}",
        text(&done.stdout)
    );
    // A card that disagrees with the weights.
    let mut wrong = card.clone();
    let mut other = net.clone();
    other.head += 8;
    wrong.effunet = Some(other);
    wrong.write(&card_path).unwrap();
    let refused = predict(&dir.path().join("bad.tif"));
    let err = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        err.contains("three.card.json") && err.contains("three.bpk"),
        "{err}"
    );
    assert!(err.contains("head channels"), "{err}");
}
