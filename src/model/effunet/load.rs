//! The winner's checkpoints (`torch.save({'epoch', 'state_dict', 'best_score'})`, keys with or
//! without DataParallel's `module.`, zip or legacy) and our burnpack files of the network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot, PytorchStore};

use super::{BlockKind, EffUNet, EffUNetConfig, STAGES, Stage};
use crate::model::ModelError;
use crate::model::weights::{WeightsFormat, escape_regex, read_pytorch_shapes, sniff};

/// What main.py calls this network in error messages.
const NETWORK: &str = "the SN6 winner's EfficientNet U-Net";
const META_CONFIG: &str = "sarscope.effunet";

/// One tensor of the network: its name in main.py's `state_dict`, ours, its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TensorSpec {
    pub torch: String,
    pub ours: String,
    pub shape: Vec<usize>,
    /// A batch norm's running mean or variance (state, not a trained parameter).
    pub statistic: bool,
}

/// Where main.py keeps each encoder stage: `enc0.3` is `blocks[0]`, ..., `enc4.1` `blocks[6]`.
const STAGE_PATHS: [&str; 7] = [
    "enc0.3", "enc1.0", "enc2.0", "enc3.0", "enc3.1", "enc4.0", "enc4.1",
];

/// Every tensor of the network for `config`, in main.py's names and ours.
pub(super) fn tensor_specs(config: &EffUNetConfig) -> Vec<TensorSpec> {
    let mut out = Vec::new();
    let mut param = |torch: String, ours: String, shape: Vec<usize>| {
        out.push(TensorSpec {
            torch,
            ours,
            shape,
            statistic: false,
        });
    };
    let mut conv_bn = Vec::new();
    // Convolutions with a batch norm: (torch conv, torch bn, ours, [out, in/groups, k, k]).
    conv_bn.push((
        "enc0.0".to_string(),
        "enc0.1".to_string(),
        "stem".to_string(),
        [config.stem, config.in_channels, 3, 3],
    ));
    for (g, b) in config.blocks().iter().enumerate() {
        let t = format!("{}.{}", STAGE_PATHS[b.stage], b.index);
        let o = format!("blocks.{g}");
        let names = match b.kind {
            BlockKind::DepthwiseSeparable => {
                [None, Some(("conv_dw", "bn1")), Some(("conv_pw", "bn2"))]
            }
            BlockKind::InvertedResidual => [
                Some(("conv_pw", "bn1")),
                Some(("conv_dw", "bn2")),
                Some(("conv_pwl", "bn3")),
            ],
        };
        let [expand, depthwise, project] = names;
        if let Some((c, n)) = expand {
            conv_bn.push((
                format!("{t}.{c}"),
                format!("{t}.{n}"),
                format!("{o}.expand"),
                [b.mid, b.cin, 1, 1],
            ));
        }
        if let Some((c, n)) = depthwise {
            conv_bn.push((
                format!("{t}.{c}"),
                format!("{t}.{n}"),
                format!("{o}.depthwise"),
                [b.mid, 1, b.kernel, b.kernel],
            ));
        }
        param(
            format!("{t}.se.conv_reduce.weight"),
            format!("{o}.se_reduce.weight"),
            vec![b.se, b.mid, 1, 1],
        );
        param(
            format!("{t}.se.conv_reduce.bias"),
            format!("{o}.se_reduce.bias"),
            vec![b.se],
        );
        param(
            format!("{t}.se.conv_expand.weight"),
            format!("{o}.se_expand.weight"),
            vec![b.mid, b.se, 1, 1],
        );
        param(
            format!("{t}.se.conv_expand.bias"),
            format!("{o}.se_expand.bias"),
            vec![b.mid],
        );
        if let Some((c, n)) = project {
            conv_bn.push((
                format!("{t}.{c}"),
                format!("{t}.{n}"),
                format!("{o}.project"),
                [b.cout, b.mid, 1, 1],
            ));
        }
    }
    conv_bn.push((
        "enc4.2".to_string(),
        "enc4.3".to_string(),
        "head".to_string(),
        [config.head, config.stages[6].channels, 1, 1],
    ));
    let enc = config.enc_channels();
    let d = config.dec_ch;
    let ex = config.extra_channels();
    let mut biased: Vec<(String, String, [usize; 4])> = Vec::new();
    for (i, cout) in [enc[4], d[4], d[3], d[2], d[1], super::OUTPUTS]
        .into_iter()
        .enumerate()
    {
        biased.push((
            format!("bot{i}extra.0"),
            format!("extra.{i}"),
            [cout, ex, 3, 3],
        ));
    }
    for (i, (cin, cout)) in [
        (enc[4], d[4]),
        (d[4], d[3]),
        (d[3], d[2]),
        (d[2], d[1]),
        (d[1], d[0]),
    ]
    .into_iter()
    .enumerate()
    {
        biased.push((format!("dec{i}.0"), format!("dec.{i}"), [cout, cin, 3, 3]));
    }
    for (i, (cin, cout)) in [
        (enc[3] + d[4], d[4]),
        (enc[2] + d[3], d[3]),
        (enc[1] + d[2], d[2]),
        (enc[0] + d[1], d[1]),
    ]
    .into_iter()
    .enumerate()
    {
        biased.push((format!("bot{i}.0"), format!("bot.{i}"), [cout, cin, 3, 3]));
    }
    biased.push((
        "final".into(),
        "final_conv".into(),
        [super::OUTPUTS, d[0], 1, 1],
    ));
    for (t, o, shape) in biased {
        param(format!("{t}.weight"), format!("{o}.weight"), shape.to_vec());
        param(format!("{t}.bias"), format!("{o}.bias"), vec![shape[0]]);
    }
    for (tc, tn, o, shape) in conv_bn {
        let n = shape[0];
        out.push(TensorSpec {
            torch: format!("{tc}.weight"),
            ours: format!("{o}.conv.weight"),
            shape: shape.to_vec(),
            statistic: false,
        });
        for (t, ours, statistic) in [
            ("weight", "gamma", false),
            ("bias", "beta", false),
            ("running_mean", "running_mean", true),
            ("running_var", "running_var", true),
        ] {
            out.push(TensorSpec {
                torch: format!("{tn}.{t}"),
                ours: format!("{o}.bn.{ours}"),
                shape: vec![n],
                statistic,
            });
        }
    }
    out
}

/// The network's shape read from a checkpoint's tensor shapes (keys without the prefix);
/// `extra_num` is not in the weights: 1, as test.sh runs it.
fn config_from_shapes(shapes: &BTreeMap<String, Vec<usize>>) -> Result<EffUNetConfig, String> {
    let shape = |key: &str| -> Result<&Vec<usize>, String> {
        shapes.get(key).ok_or_else(|| format!("missing `{key}`"))
    };
    let dim = |key: &str, axis: usize| -> Result<usize, String> {
        shape(key)?
            .get(axis)
            .copied()
            .ok_or_else(|| format!("`{key}` has no axis {axis}"))
    };
    let mut stages = [Stage {
        repeats: 0,
        channels: 0,
    }; 7];
    for (s, stage) in stages.iter_mut().enumerate() {
        let path = STAGE_PATHS[s];
        let repeats = (0..)
            .take_while(|j| shapes.contains_key(&format!("{path}.{j}.conv_dw.weight")))
            .count();
        if repeats == 0 {
            return Err(format!(
                "no blocks in stage {s} (`{path}.0.conv_dw.weight`)"
            ));
        }
        let last = repeats - 1;
        let projection = match STAGES[s].0 {
            BlockKind::DepthwiseSeparable => "conv_pw",
            BlockKind::InvertedResidual => "conv_pwl",
        };
        *stage = Stage {
            repeats,
            channels: dim(&format!("{path}.{last}.{projection}.weight"), 0)?,
        };
    }
    let dec = |i: usize| dim(&format!("dec{i}.0.weight"), 0);
    Ok(EffUNetConfig {
        in_channels: dim("enc0.0.weight", 1)?,
        stem: dim("enc0.0.weight", 0)?,
        stages,
        head: dim("enc4.2.weight", 0)?,
        dec_ch: [dec(4)?, dec(3)?, dec(2)?, dec(1)?, dec(0)?],
        strips: dim("bot0extra.0.weight", 1)?
            .checked_sub(2)
            .ok_or("`bot0extra.0.weight` takes fewer than 2 extra inputs")?,
        extra_num: 1,
    })
}

/// Whether a weights file holds the SN6 winner's network (its burnpack metadata, or a
/// PyTorch checkpoint with the 4-band stem `enc0.0.weight`), as opposed to a UNet11.
pub fn is_effunet_file(path: &Path) -> Result<bool, ModelError> {
    match sniff(path)? {
        WeightsFormat::Burnpack => Ok(burn::store::burn_pack::Reader::from_file(path)
            .map(|r| r.metadata().contains_key(META_CONFIG))
            .unwrap_or(false)),
        WeightsFormat::PytorchZip | WeightsFormat::PytorchLegacy => Ok(read_pytorch_shapes(path)?
            .keys()
            .any(|k| k == "enc0.0.weight" || k.ends_with(".enc0.0.weight"))),
    }
}

/// A network with its weights.
#[derive(Debug)]
pub struct LoadedEffUNet {
    pub model: EffUNet,
    pub config: EffUNetConfig,
    pub format: WeightsFormat,
    pub path: PathBuf,
}

/// Loads the network from one of the winner's checkpoints or a burnpack file of ours. The
/// shape comes from the weights; `extra_num` (not in the weights) is test.sh's 1.
pub fn load_effunet(path: &Path, device: &Device) -> Result<LoadedEffUNet, ModelError> {
    let format = sniff(path)?;
    let (model, config) = match format {
        WeightsFormat::PytorchZip | WeightsFormat::PytorchLegacy => load_pytorch(path, device)?,
        WeightsFormat::Burnpack => load_burnpack(path, device)?,
    };
    crate::model::check_finite(&model, path)?;
    Ok(LoadedEffUNet {
        model,
        config,
        format,
        path: path.to_path_buf(),
    })
}

fn mismatch(path: &Path, report: String) -> ModelError {
    ModelError::Mismatch {
        path: path.to_path_buf(),
        network: NETWORK,
        report,
    }
}

fn load_pytorch(path: &Path, device: &Device) -> Result<(EffUNet, EffUNetConfig), ModelError> {
    let shapes = read_pytorch_shapes(path)?;
    // Where the network's keys start: "", "module.", "state_dict.module.", ...
    let prefix = shapes
        .keys()
        .find_map(|k| {
            let p = k.strip_suffix("enc0.0.weight")?;
            (p.is_empty() || p.ends_with('.')).then(|| p.to_string())
        })
        .ok_or_else(|| {
            let some: Vec<&str> = shapes.keys().take(6).map(String::as_str).collect();
            mismatch(
                path,
                format!(
                    "  no `enc0.0.weight` (the 4-band stem) among its {} tensors: not this network (first keys: {})",
                    shapes.len(),
                    some.join(", ")
                ),
            )
        })?;
    let ours: BTreeMap<String, Vec<usize>> = shapes
        .iter()
        .filter_map(|(k, s)| Some((k.strip_prefix(&prefix)?.to_string(), s.clone())))
        .collect();
    let config = config_from_shapes(&ours).map_err(|e| mismatch(path, format!("  {e}")))?;
    config
        .validate()
        .map_err(|e| mismatch(path, format!("  {e}")))?;
    let specs = tensor_specs(&config);
    let mut problems = Vec::new();
    for spec in &specs {
        match ours.get(&spec.torch) {
            None => problems.push(format!("missing `{}`", spec.torch)),
            Some(s) if *s != spec.shape => problems.push(format!(
                "`{}` has shape {s:?}, expected {:?}",
                spec.torch, spec.shape
            )),
            Some(_) => {}
        }
    }
    if let Some(first) = problems.first() {
        return Err(mismatch(
            path,
            format!(
                "  {first}{}",
                if problems.len() > 1 {
                    format!(" (and {} more)", problems.len() - 1)
                } else {
                    String::new()
                }
            ),
        ));
    }
    let known: BTreeSet<&str> = specs.iter().map(|s| s.torch.as_str()).collect();
    let unused = ours
        .keys()
        .filter(|k| !known.contains(k.as_str()) && !k.ends_with("num_batches_tracked"))
        .count();
    if unused > 0 {
        tracing::warn!(
            "{}: ignoring {unused} tensors that are not part of {NETWORK}",
            path.display()
        );
    }
    let mut store = PytorchStore::from_file(path)
        .map_indices_contiguous(false)
        .allow_partial(false);
    for spec in &specs {
        store = store.with_key_remapping(
            format!("^{}$", escape_regex(&format!("{prefix}{}", spec.torch))),
            spec.ours.clone(),
        );
    }
    let mut model = config.init(device);
    let result = model
        .load_from(&mut store)
        .map_err(|e| mismatch(path, format!("  {e}")))?;
    if result.applied.len() != specs.len() {
        return Err(mismatch(
            path,
            format!(
                "  {} of {} tensors were applied\n{result}",
                result.applied.len(),
                specs.len()
            ),
        ));
    }
    Ok((model, config))
}

/// Writes the network as a burnpack file with its shape in the metadata, replacing any earlier
/// one whole ([`crate::replace`]).
pub fn save_effunet(
    model: &EffUNet,
    config: &EffUNetConfig,
    path: &Path,
) -> Result<(), ModelError> {
    let fail = |reason: String| ModelError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let shape = serde_json::to_string(config).map_err(|e| fail(e.to_string()))?;
    crate::model::weights::save_burnpack(model, path, &[(META_CONFIG, shape)])
}

fn load_burnpack(path: &Path, device: &Device) -> Result<(EffUNet, EffUNetConfig), ModelError> {
    let unknown = |reason: String| ModelError::UnknownFormat {
        path: path.to_path_buf(),
        reason,
    };
    let reader = burn::store::burn_pack::Reader::from_file(path)
        .map_err(|e| unknown(format!("burnpack header: {e}")))?;
    let config: EffUNetConfig = reader
        .metadata()
        .get(META_CONFIG)
        .ok_or_else(|| {
            mismatch(
                path,
                format!("  no `{META_CONFIG}` in its metadata: a burnpack of another network"),
            )
        })
        .and_then(|text| {
            serde_json::from_str(text)
                .map_err(|e| mismatch(path, format!("  its `{META_CONFIG}`: {e}")))
        })?;
    config
        .validate()
        .map_err(|e| mismatch(path, format!("  {e}")))?;
    drop(reader);
    let mut model = config.init(device);
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    model
        .load_from(&mut store)
        .map_err(|e| mismatch(path, format!("  {e}")))?;
    Ok((model, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b5_s_tensors_and_parameters() {
        let c = EffUNetConfig::winner();
        let specs = tensor_specs(&c);
        let find = |t: &str| specs.iter().find(|s| s.torch == t).map(|s| s.shape.clone());
        assert_eq!(find("enc0.0.weight"), Some(vec![48, 4, 3, 3]));
        assert_eq!(find("enc1.0.0.conv_pw.weight"), Some(vec![144, 24, 1, 1]));
        assert_eq!(
            find("enc4.1.2.conv_pwl.weight"),
            Some(vec![512, 3072, 1, 1])
        );
        assert_eq!(find("enc4.2.weight"), Some(vec![2048, 512, 1, 1]));
        assert_eq!(find("bot0extra.0.weight"), Some(vec![2048, 206, 3, 3]));
        assert_eq!(find("bot0.0.weight"), Some(vec![1024, 176 + 1024, 3, 3]));
        assert_eq!(find("final.weight"), Some(vec![6, 32, 1, 1]));
        // Read back from its own shapes, the config is the same.
        let shapes: BTreeMap<String, Vec<usize>> = specs
            .iter()
            .map(|s| (s.torch.clone(), s.shape.clone()))
            .collect();
        assert_eq!(config_from_shapes(&shapes), Ok(c));
    }
}
