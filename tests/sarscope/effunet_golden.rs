//! The SN6 winner's network (EfficientNet U-Net) against PyTorch, and its loader's errors.
//!
//! `tests/fixtures/make_effunet.py` (PyTorch + geffnet) builds main.py's `Unet` with a
//! `tf_efficientnet_b5_ns` encoder at width multiplier 0.1 and B5's depth (39 blocks), random
//! weights and batch-norm statistics, saves it as the winner saves snapshots (`{'epoch',
//! 'state_dict', 'best_score'}`, zip with `module.` keys and legacy without), and writes a
//! seeded input, the extra input and the logits PyTorch (float32) computes for them.
//!
//! Tolerance 1e-3 of the logits' scale, the issue's bound: float32 through 39 blocks (batch
//! norms, swish, squeeze-excitation gates) summed in another order than PyTorch's differs by
//! about 1e-6 of it; a wrong padding side, epsilon, gate or skip moves logits by 1e-2 or more.
//!
//! The full-width network passes the same test:
//! ```text
//! python3 tests/fixtures/make_effunet.py --channel-multiplier 1.6 --depth-multiplier 2.2 \
//!     --dec-ch 32 64 128 256 1024 --out /tmp/effunet_full
//! SARSCOPE_EFFUNET_FIXTURE=/tmp/effunet_full cargo test effunet_matches_pytorch
//! ```

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::tensor::TensorData;
use sarscope::model::effunet::{EffUNet, load_effunet, save_effunet};
use sarscope::model::{ModelError, WeightsFormat, load_weights};

use crate::common::fixture;

const TOLERANCE: f32 = 1e-3;

fn fixture_dir() -> PathBuf {
    std::env::var_os("SARSCOPE_EFFUNET_FIXTURE")
        .map(PathBuf::from)
        .unwrap_or_else(|| fixture("effunet"))
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn dims(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// The largest difference from PyTorch's logits and their largest magnitude.
fn compare(model: &EffUNet, device: &Device, dir: &Path) -> (f32, f32) {
    let m = manifest(dir);
    let s = dims(&m["input"]);
    let input = Tensor::<4>::from_data(
        TensorData::new(read_f32(&dir.join("input.f32")), [s[0], s[1], s[2], s[3]]),
        device,
    );
    let extra = read_f32(&dir.join("extra.f32"));
    let n = extra.len();
    let extra = Tensor::<2>::from_data(TensorData::new(extra, [1, n]), device);
    let got = model.forward(input, extra);
    assert_eq!(got.dims().to_vec(), dims(&m["logits"]));
    let got: Vec<f32> = got.into_data().try_to_vec::<f32>().unwrap();
    let want = read_f32(&dir.join("logits.f32"));
    let diff = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let scale = want.iter().map(|v| v.abs()).fold(0f32, f32::max);
    (diff, scale)
}

#[test]
fn effunet_matches_pytorch() {
    let dir = fixture_dir();
    let device = Device::flex();
    let m = manifest(&dir);
    for (file, format) in [
        ("effunet.pth", WeightsFormat::PytorchZip),
        ("effunet_plain.pth", WeightsFormat::PytorchLegacy),
    ] {
        let loaded = load_effunet(&dir.join(file), &device).unwrap();
        assert_eq!(loaded.format, format);
        assert_eq!(loaded.config.enc_channels().to_vec(), dims(&m["enc_ch"]));
        assert_eq!(loaded.config.dec_ch.to_vec(), dims(&m["dec_ch"]));
        let repeats: Vec<usize> = loaded.config.stages.iter().map(|s| s.repeats).collect();
        assert_eq!(repeats, dims(&m["blocks"]));
        assert_eq!(
            loaded.config.parameter_count() as u64,
            m["parameters"].as_u64().unwrap(),
            "{file}"
        );
        let (diff, scale) = compare(&loaded.model, &device, &dir);
        eprintln!("{file}: max |ours - PyTorch| {diff:e} on logits up to {scale}");
        assert!(
            scale > 1.0,
            "the fixture's logits are too small to test anything"
        );
        assert!(diff <= TOLERANCE * scale, "{file}: {diff} (scale {scale})");
    }
}

#[test]
fn effunet_round_trips_through_burnpack() {
    let dir = fixture_dir();
    let device = Device::flex();
    let loaded = load_effunet(&dir.join("effunet_plain.pth"), &device).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("winner.bpk");
    save_effunet(&loaded.model, &loaded.config, &path).unwrap();
    let again = load_effunet(&path, &device).unwrap();
    assert_eq!(again.format, WeightsFormat::Burnpack);
    assert_eq!(again.config, loaded.config);
    let (diff, scale) = compare(&again.model, &device, &dir);
    assert!(diff <= TOLERANCE * scale, "{diff}");
}

/// A checkpoint with a tensor missing, another network's checkpoint, and this network read
/// as the baseline's: one error each, naming the file and what does not fit.
#[test]
fn effunet_checkpoints_that_do_not_fit_are_refused() {
    let dir = fixture_dir();
    let device = Device::flex();
    let bad = dir.join("bad_missing.pth");
    let err = load_effunet(&bad, &device).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{text}");
    assert!(text.contains("bad_missing.pth"), "{text}");
    assert!(text.contains("enc4.2.weight"), "{text}");
    let unet11 = fixture("unet11").join("unet11.pth");
    let text = load_effunet(&unet11, &device).unwrap_err().to_string();
    assert!(
        text.contains("unet11.pth") && text.contains("enc0.0.weight"),
        "{text}"
    );
    let text = load_weights(&dir.join("effunet.pth"), &device)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("effunet.pth") && text.contains("UNet11"),
        "{text}"
    );
}

/// main.py's test loop on a tile with a nodata border, its strip flagged south: the crop,
/// normalization, band order, 180-degree turn, TTA (scales 0.8, 1.0, 1.5 with aligned-corner
/// bilinear resizing, left-right flips) and two folds averaged, against PyTorch's.
#[test]
fn effunet_tile_inference_is_the_winner_s() {
    use sarscope::model::effunet::{Extra, Tta, predict_winner};
    let dir = fixture_dir();
    let device = Device::flex();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tile_extra.json")).unwrap())
            .unwrap();
    let (h, w) = (
        meta["height"].as_u64().unwrap() as usize,
        meta["width"].as_u64().unwrap() as usize,
    );
    let tile = read_f32(&dir.join("tile_input.f32"));
    let n = h * w;
    let bands = [
        &tile[..n],
        &tile[n..2 * n],
        &tile[2 * n..3 * n],
        &tile[3 * n..],
    ];
    let extra = Extra {
        strip: Some(meta["strip"].as_u64().unwrap() as usize),
        south: meta["direction"].as_u64() == Some(1),
        coord_y: meta["coord_y"].as_f64().unwrap() as f32,
    };
    let fold1 = load_effunet(&dir.join("effunet.pth"), &device).unwrap();
    let fold2 = load_effunet(&dir.join("effunet_fold2.pth"), &device).unwrap();
    let strips = fold1.config.strips;
    for (models, tta, file) in [
        (
            vec![&fold1.model, &fold2.model],
            Tta::winner(),
            "tile_logits.f32",
        ),
        (vec![&fold1.model], Tta::none(), "tile_logits_plain.f32"),
    ] {
        let got = predict_winner(&models, bands, (w, h), &extra, strips, &tta, &device).unwrap();
        let want = read_f32(&dir.join(file));
        let ours: Vec<f32> = [got.footprint, got.edge, got.contact].concat();
        let diff = ours
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let scale = want.iter().map(|v| v.abs()).fold(0f32, f32::max);
        eprintln!("{file}: max |ours - PyTorch| {diff:e} on logits up to {scale}");
        assert!(scale > 1.0, "{file}: logits too small to test anything");
        assert!(diff <= TOLERANCE * scale, "{file}: {diff} (scale {scale})");
        // The cropped border is 0, as main.py pads it.
        assert!(ours[..7 * w].iter().all(|&v| v == 0.0));
        // Passes at once on three threads: the same sum, bit for bit.
        let at_once = tta.clone().at_once(3);
        let again =
            predict_winner(&models, bands, (w, h), &extra, strips, &at_once, &device).unwrap();
        assert_eq!(
            [again.footprint, again.edge, again.contact].concat(),
            ours,
            "{file}: passes at once"
        );
    }
}
