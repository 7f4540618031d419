//! UNet11 against PyTorch, and the weights loader's errors.
//!
//! `tests/fixtures/make_unet11.py` (PyTorch) builds the baseline's UNet11 with its exact module
//! names at width divisor 16, saves its state_dict in the zip and the legacy format, and writes
//! a seeded input with the logits PyTorch computes for it in float64. We load both files and
//! compare logits.
//!
//! Tolerance 1e-4 (absolute, on logits of magnitude up to ~7): float32 through 20 convolutions
//! with up to 6,912 products per sum, accumulated in another order than PyTorch's, differs from
//! the float64 reference by ~1e-6 at this width and ~1e-5 at full width (PyTorch's own float32
//! run: 1.7e-6 and 9.9e-6, recorded in manifest.json); a wrong weight, layout or layer moves
//! logits by 1e-2 or more.
//!
//! The full-width network passes the same test:
//! ```text
//! python3 tests/fixtures/make_unet11.py --width-divisor 1 --out /tmp/unet11_full
//! SARSCOPE_UNET11_FIXTURE=/tmp/unet11_full cargo test unet11_matches_pytorch
//! ```

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::tensor::TensorData;
use sarscope::model::{ModelError, UNet11, WeightsFormat, load_weights, save_weights};

use crate::common::fixture;

const TOLERANCE: f32 = 1e-4;

fn fixture_dir() -> PathBuf {
    std::env::var_os("SARSCOPE_UNET11_FIXTURE")
        .map(PathBuf::from)
        .unwrap_or_else(|| fixture("unet11"))
}

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn shape4(v: &serde_json::Value) -> [usize; 4] {
    let s: Vec<usize> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    [s[0], s[1], s[2], s[3]]
}

fn logits_of(model: &UNet11, device: &Device, dir: &Path) -> Vec<f32> {
    let m = manifest(dir);
    let input = read_f32(&dir.join("input.f32"));
    let x = Tensor::<4>::from_data(TensorData::new(input, shape4(&m["input_shape"])), device);
    let y = model.forward(x);
    assert_eq!(y.dims(), shape4(&m["logits_shape"]));
    y.into_data().as_slice::<f32>().unwrap().to_vec()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn unet11_matches_pytorch() {
    let dir = fixture_dir();
    let m = manifest(&dir);
    let want = read_f32(&dir.join("logits.f32"));
    // The reference must be informative: logits spread well beyond the final bias.
    assert!(m["logits_std"].as_f64().unwrap() > 0.5, "{m}");
    let device = Device::flex();
    for (file, format) in [
        ("unet11.pth", WeightsFormat::PytorchZip),
        ("unet11_legacy.pth", WeightsFormat::PytorchLegacy),
    ] {
        let loaded = load_weights(&dir.join(file), &device).unwrap();
        assert_eq!(loaded.format, format);
        assert_eq!(
            loaded.config.width_divisor as u64,
            m["width_divisor"].as_u64().unwrap()
        );
        assert_eq!(
            loaded.config.parameter_count() as u64,
            m["parameters"].as_u64().unwrap()
        );
        let got = logits_of(&loaded.model, &device, &dir);
        let diff = max_abs_diff(&got, &want);
        eprintln!("{file}: max |burn - torch| = {diff:e}");
        assert!(diff <= TOLERANCE, "{file}: max |burn - torch| = {diff}");
    }
}

#[test]
fn burnpack_round_trip_gives_the_same_logits() {
    let dir = fixture_dir();
    let device = Device::flex();
    let loaded = load_weights(&dir.join("unet11.pth"), &device).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours.bpk");
    let mut card = loaded.card.clone();
    card.provenance = "test: converted from the PyTorch fixture".into();
    save_weights(&loaded.model, &loaded.config, &card, &ours).unwrap();
    let again = load_weights(&ours, &device).unwrap();
    assert_eq!(again.format, WeightsFormat::Burnpack);
    assert!(again.card_found);
    assert_eq!(again.card.provenance, card.provenance);
    assert_eq!(again.config, loaded.config);
    let a = logits_of(&loaded.model, &device, &dir);
    let b = logits_of(&again.model, &device, &dir);
    assert_eq!(a, b, "burnpack must store the weights bit for bit");
}

fn load_err(path: &Path) -> String {
    match load_weights(path, &Device::flex()) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_weights_are_reported_not_panicked_on() {
    let dir = fixture("unet11");
    let no_final = load_err(&dir.join("bad_no_final.pth"));
    assert!(
        no_final.contains("missing: final.weight, final.bias"),
        "{no_final}"
    );

    let shape = load_err(&dir.join("bad_shape.pth"));
    assert!(
        shape.contains("dec1.conv.weight: [2, 5, 3, 3], expected [2, 6, 3, 3]"),
        "{shape}"
    );

    let other = load_err(&dir.join("bad_other_net.pth"));
    assert!(
        other.contains("no `conv1.weight` or `encoder.0.weight`"),
        "{other}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(dir.join("unet11.pth")).unwrap();
    for (name, content) in [
        ("truncated.pth", bytes[..bytes.len() / 2].to_vec()),
        ("legacy_truncated.pth", {
            let legacy = std::fs::read(dir.join("unet11_legacy.pth")).unwrap();
            legacy[..legacy.len() / 3].to_vec()
        }),
        ("empty.pth", Vec::new()),
        ("text.pth", b"this is not a checkpoint\n".to_vec()),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = load_err(&path);
        assert!(err.contains(name), "the error names the file: {err}");
    }
    assert!(matches!(
        load_weights(&tmp.path().join("absent.pth"), &Device::flex()),
        Err(ModelError::NotFound { .. })
    ));
}

/// Weights holding NaN or infinities (a diverged training run) are refused when loaded, naming
/// the file, the first such tensor and how many of its values; for both networks.
#[test]
fn weights_that_are_not_numbers_are_refused() {
    use burn::module::{Module, ModuleMapper, Param};
    /// Makes one tensor (the `target`-th float parameter) all `value`.
    struct Spoil {
        seen: usize,
        target: usize,
        value: f32,
    }
    impl ModuleMapper for Spoil {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            self.seen += 1;
            if self.seen - 1 != self.target {
                return param;
            }
            let (id, tensor, mapper) = param.consume();
            let spoiled = tensor.ones_like() * self.value;
            Param::from_mapped_value(id, spoiled, mapper)
        }
    }
    let device = Device::flex();
    let tmp = tempfile::tempdir().unwrap();
    let loaded = load_weights(&fixture("unet11").join("unet11.pth"), &device).unwrap();
    for (value, name) in [(f32::NAN, "nan.bpk"), (f32::INFINITY, "inf.bpk")] {
        let spoiled = loaded.model.clone().map(&mut Spoil {
            seen: 0,
            target: 3,
            value,
        });
        let path = tmp.path().join(name);
        save_weights(&spoiled, &loaded.config, &loaded.card, &path).unwrap();
        let err = load_err(&path);
        eprintln!("{err}");
        assert!(
            err.contains(name) && err.contains("NaN or infinite") && err.contains("of the"),
            "{err}"
        );
    }
    // The winner's network too.
    let winner =
        sarscope::model::effunet::load_effunet(&fixture("effunet").join("effunet.pth"), &device)
            .unwrap();
    let spoiled = winner.model.clone().map(&mut Spoil {
        seen: 0,
        target: 0,
        value: f32::NAN,
    });
    let path = tmp.path().join("winner_nan.bpk");
    sarscope::model::effunet::save_effunet(&spoiled, &winner.config, &path).unwrap();
    let err = sarscope::model::effunet::load_effunet(&path, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("winner_nan.bpk") && err.contains("NaN or infinite"),
        "{err}"
    );
}

/// The baseline's pre- and post-processing against the fixture script's PyTorch version:
/// normalization, windows at step 64 with the last one moved back inside (100 -> 0, 36;
/// 150 -> 0, 64, 86), overlapping logits averaged, sigmoid; and the 180-degree rotation of a
/// strip flagged 1 (rotate the input, rotate the logits back).
///
/// Tolerance 1e-5 on probabilities: the float64 reference logits differ from ours by ~2e-6
/// (see `unet11_matches_pytorch`), and a sigmoid's slope is at most 1/4; a misplaced window or
/// an unaveraged overlap moves probabilities by 1e-2 or more.
#[test]
fn tiling_and_rotation_match_the_baseline() {
    use sarscope::model::{InferParams, Normalization, Rotation, model_input, predict_planes};
    use sarscope::raster::Planes;

    let dir = fixture("unet11");
    let device = Device::flex();
    let loaded = load_weights(&dir.join("unet11.pth"), &device).unwrap();
    let raw = read_f32(&dir.join("tile_input.f32"));
    let (w, h) = (150, 100);
    let bands: Vec<Vec<f32>> = raw.chunks_exact(w * h).map(<[f32]>::to_vec).collect();
    let planes = Planes::new(w, h, bands, &[Some(0.0); 4]);
    let params = InferParams {
        window: 64,
        step: 64,
        normalization: Normalization::SN6_BASELINE,
        batch: 2,
    };
    for (rotation, file) in [
        (Rotation::None, "tile_probs.f32"),
        (Rotation::Half, "tile_probs_rot.f32"),
    ] {
        let input = model_input(&planes, &[0, 1, 2, 3], params.normalization, rotation).unwrap();
        let mut logits = predict_planes(
            &loaded.model,
            &device,
            &input,
            4,
            w,
            h,
            &params,
            &mut |_| true,
        )
        .unwrap();
        if rotation == Rotation::Half {
            logits.reverse();
        }
        let probs: Vec<f32> = logits.iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect();
        let want = read_f32(&dir.join(file));
        let diff = max_abs_diff(&probs, &want);
        assert!(diff <= 1e-5, "{file}: max |burn - torch| = {diff}");
    }
    // The two references differ, so the rotation is really exercised.
    let a = read_f32(&dir.join("tile_probs.f32"));
    let b = read_f32(&dir.join("tile_probs_rot.f32"));
    assert!(max_abs_diff(&a, &b) > 0.05);
}
