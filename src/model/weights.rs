//! Weights: the baseline's PyTorch checkpoints (read) and our burnpack files (read and write),
//! each with its model card next to it.

use std::collections::BTreeMap;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::store::pytorch_reader::PytorchReader;
use burn::store::{BurnpackStore, ModuleSnapshot, PytorchStore};

use super::{ModelCard, ModelError, UNet11, UNet11Config};

/// How a weights file is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsFormat {
    /// `torch.save` since PyTorch 1.6 (a zip archive).
    PytorchZip,
    /// `torch.save` before 1.6, or with `_use_new_zipfile_serialization=False` (pickle stream).
    PytorchLegacy,
    /// burn's burnpack, as [`save_weights`] writes it.
    Burnpack,
}

impl std::fmt::Display for WeightsFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PytorchZip => "PyTorch state_dict (zip)",
            Self::PytorchLegacy => "PyTorch state_dict (legacy pickle)",
            Self::Burnpack => "burnpack",
        })
    }
}

/// A network with its weights, ready for inference.
#[derive(Debug)]
pub struct LoadedModel {
    pub model: UNet11,
    pub config: UNet11Config,
    /// The file's model card, or the baseline's defaults when the file has none.
    pub card: ModelCard,
    pub card_found: bool,
    pub format: WeightsFormat,
    pub path: PathBuf,
}

/// The model card's place: `weights.pth` -> `weights.card.json`.
pub fn card_path(weights: &Path) -> PathBuf {
    weights.with_extension("card.json")
}

/// What the error messages call the baseline's network.
const UNET11: &str = "a UNet11";

const BURNPACK_MAGIC: u32 = 0x4255_524E;
const META_DIVISOR: &str = "sarscope.width_divisor";
const META_IN_CHANNELS: &str = "sarscope.in_channels";

/// Loads a UNet11 from a PyTorch checkpoint (the SN6 baseline's `state_dict`, zip or legacy,
/// with or without the duplicated `encoder.N` keys and a `module.` prefix) or from a burnpack
/// file of ours. The width comes from the weights themselves; a model card next to the file
/// (see [`card_path`]) supplies the rest.
pub fn load_weights(path: &Path, device: &Device) -> Result<LoadedModel, ModelError> {
    let format = sniff(path)?;
    let card_file = card_path(path);
    let card = if card_file.is_file() {
        Some(ModelCard::read(&card_file)?)
    } else {
        None
    };
    let (model, config) = match format {
        WeightsFormat::PytorchZip | WeightsFormat::PytorchLegacy => load_pytorch(path, device)?,
        WeightsFormat::Burnpack => load_burnpack(path, device)?,
    };
    super::check_finite(&model, path)?;
    if let Some(card) = &card
        && (card.width_divisor != config.width_divisor || card.in_channels != config.in_channels)
    {
        return Err(ModelError::Mismatch {
            path: path.to_path_buf(),
            network: UNET11,
            report: format!(
                "  its model card {} says width divisor {} and {} bands, the weights have {} and {}",
                card_file.display(),
                card.width_divisor,
                card.in_channels,
                config.width_divisor,
                config.in_channels
            ),
        });
    }
    let card_found = card.is_some();
    let mut card = card.unwrap_or_default();
    card.width_divisor = config.width_divisor;
    card.in_channels = config.in_channels;
    card.parameters = config.parameter_count();
    Ok(LoadedModel {
        model,
        config,
        card,
        card_found,
        format,
        path: path.to_path_buf(),
    })
}

/// Writes `model` as a burnpack file at `path` with `metadata`, replacing any earlier file
/// whole ([`crate::replace`]).
pub(crate) fn save_burnpack<M: ModuleSnapshot>(
    model: &M,
    path: &Path,
    metadata: &[(&str, String)],
) -> Result<(), ModelError> {
    let fail = |reason: String| ModelError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let replacement = crate::replace::Replacement::new(path);
    replacement.write(
        |tmp| {
            let mut store = BurnpackStore::from_file(tmp)
                .auto_extension(false)
                .overwrite(true);
            for (key, value) in metadata {
                store = store.metadata(*key, value.clone());
            }
            model
                .save_into(&mut store)
                .map_err(|e| fail(replacement.target_named(&e.to_string())))
        },
        |e| fail(e.to_string()),
    )
}

/// Writes `model` as a burnpack file at `path` and `card` next to it; both through temporary
/// files, so a failure leaves any earlier file in place.
pub fn save_weights(
    model: &UNet11,
    config: &UNet11Config,
    card: &ModelCard,
    path: &Path,
) -> Result<(), ModelError> {
    save_burnpack(
        model,
        path,
        &[
            (META_DIVISOR, config.width_divisor.to_string()),
            (META_IN_CHANNELS, config.in_channels.to_string()),
        ],
    )?;
    let mut card = card.clone();
    card.width_divisor = config.width_divisor;
    card.in_channels = config.in_channels;
    card.parameters = config.parameter_count();
    card.write(&card_path(path))
}

/// Tells the format from the first bytes.
pub(super) fn sniff(path: &Path) -> Result<WeightsFormat, ModelError> {
    let mut file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ModelError::NotFound {
            path: path.to_path_buf(),
        },
        _ => ModelError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    })?;
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => {
                return Err(ModelError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        }
    }
    let unknown = |reason: String| ModelError::UnknownFormat {
        path: path.to_path_buf(),
        reason,
    };
    if got == 0 {
        return Err(unknown("the file is empty".into()));
    }
    if got == 4 && &head == b"PK\x03\x04" {
        return Ok(WeightsFormat::PytorchZip);
    }
    if head[0] == 0x80 {
        // pickle protocol opcode: the legacy format starts with a pickled magic number
        return Ok(WeightsFormat::PytorchLegacy);
    }
    if got == 4
        && (u32::from_le_bytes(head) == BURNPACK_MAGIC
            || u32::from_be_bytes(head) == BURNPACK_MAGIC)
    {
        return Ok(WeightsFormat::Burnpack);
    }
    Err(unknown(format!(
        "it starts with bytes {:02x?}, neither a zip archive, a pickle nor a burnpack header",
        &head[..got]
    )))
}

/// A tensor's name and shape as the checkpoint has them.
type Shapes = BTreeMap<String, Vec<usize>>;

pub(super) fn read_pytorch_shapes(path: &Path) -> Result<Shapes, ModelError> {
    // The reader parses a file a user hands us: a malformed file must be an error, not a crash.
    let opened = catch_unwind(AssertUnwindSafe(|| PytorchReader::new(path)));
    let reader = match opened {
        Ok(Ok(reader)) => reader,
        Ok(Err(e)) => {
            return Err(ModelError::UnknownFormat {
                path: path.to_path_buf(),
                reason: format!("the PyTorch reader failed: {e}"),
            });
        }
        Err(_) => {
            return Err(ModelError::UnknownFormat {
                path: path.to_path_buf(),
                reason: "the PyTorch reader could not parse it (truncated or corrupt?)".into(),
            });
        }
    };
    Ok(reader
        .tensors()
        .iter()
        .map(|(name, tensor)| (name.clone(), tensor.shape().to_vec()))
        .collect())
}

/// Where the state_dict starts inside the checkpoint (`""`, `"module."`, `"state_dict."`, ...):
/// the prefix of its first convolution's weight.
fn state_dict_prefix(shapes: &Shapes) -> Option<String> {
    for first in ["conv1.weight", "encoder.0.weight"] {
        let found = shapes.keys().find_map(|k| {
            let prefix = k.strip_suffix(first)?;
            (prefix.is_empty() || prefix.ends_with('.')).then(|| prefix.to_string())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

pub(super) fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Checks every tensor the network needs against the checkpoint; returns the config the weights
/// have and, per parameter of ours, the checkpoint's key.
fn match_checkpoint(
    path: &Path,
    shapes: &Shapes,
) -> Result<(UNet11Config, Vec<(String, String)>), ModelError> {
    let mismatch = |report: String| ModelError::Mismatch {
        path: path.to_path_buf(),
        network: UNET11,
        report,
    };
    let Some(prefix) = state_dict_prefix(shapes) else {
        let some: Vec<&str> = shapes.keys().take(8).map(String::as_str).collect();
        return Err(mismatch(format!(
            "  no `conv1.weight` or `encoder.0.weight` among its {} tensors (first keys: {})",
            shapes.len(),
            some.join(", ")
        )));
    };
    let first = shapes
        .get(&format!("{prefix}conv1.weight"))
        .or_else(|| shapes.get(&format!("{prefix}encoder.0.weight")))
        .cloned()
        .unwrap_or_default();
    let config = match first.as_slice() {
        [c1, cin, 3, 3] if *c1 > 0 && 64 % c1 == 0 => UNet11Config::new()
            .with_in_channels(*cin)
            .with_width_divisor(64 / c1),
        other => {
            return Err(mismatch(format!(
                "  the first convolution has shape {other:?}; a UNet11's is [64/d, bands, 3, 3] with d in 1, 2, 4, 8, 16, 32"
            )));
        }
    };
    config.validate().map_err(|e| mismatch(format!("  {e}")))?;

    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut pairs = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for layer in config.layers() {
        let out = if layer.ours.ends_with(".up") {
            layer.weight[1]
        } else {
            layer.weight[0]
        };
        for (param, expected) in [("weight", layer.weight.to_vec()), ("bias", vec![out])] {
            let names = std::iter::once(layer.torch).chain(layer.torch_alias);
            let found = names
                .map(|n| format!("{prefix}{n}.{param}"))
                .find(|k| shapes.contains_key(k));
            let Some(key) = found else {
                missing.push(format!("{}.{param}", layer.torch));
                continue;
            };
            let shape = shapes.get(&key).cloned().unwrap_or_default();
            if shape != expected {
                wrong.push(format!("{key}: {shape:?}, expected {expected:?}"));
            }
            used.insert(key.clone());
            if let Some(alias) = layer.torch_alias {
                used.insert(format!("{prefix}{alias}.{param}"));
            }
            pairs.push((key, format!("{}.{param}", layer.ours)));
        }
    }
    let unexpected: Vec<&String> = shapes
        .keys()
        .filter(|k| k.starts_with(&prefix) && !used.contains(*k))
        .collect();
    if !missing.is_empty() || !wrong.is_empty() {
        let mut report = format!(
            "  read as a UNet11 of width divisor {} with {} bands (from its first convolution)\n",
            config.width_divisor, config.in_channels
        );
        if !missing.is_empty() {
            report += &format!("  missing: {}\n", missing.join(", "));
        }
        if !wrong.is_empty() {
            report += &format!("  wrong shape: {}\n", wrong.join("; "));
        }
        if !unexpected.is_empty() {
            let names: Vec<&str> = unexpected.iter().map(|s| s.as_str()).collect();
            report += &format!("  not part of a UNet11: {}\n", names.join(", "));
        }
        return Err(mismatch(report.trim_end().to_string()));
    }
    if !unexpected.is_empty() {
        tracing::warn!(
            "{}: ignoring {} tensors that are not part of a UNet11 (first: {})",
            path.display(),
            unexpected.len(),
            unexpected[0]
        );
    }
    Ok((config, pairs))
}

fn load_pytorch(path: &Path, device: &Device) -> Result<(UNet11, UNet11Config), ModelError> {
    let shapes = read_pytorch_shapes(path)?;
    let (config, pairs) = match_checkpoint(path, &shapes)?;
    let mut store = PytorchStore::from_file(path)
        .map_indices_contiguous(false)
        .allow_partial(false);
    for (theirs, ours) in &pairs {
        store = store.with_key_remapping(format!("^{}$", escape_regex(theirs)), ours.clone());
    }
    let mut model = config.init(device);
    let result = model
        .load_from(&mut store)
        .map_err(|e| ModelError::Mismatch {
            path: path.to_path_buf(),
            network: UNET11,
            report: format!("  {e}"),
        })?;
    if result.applied.len() != pairs.len() {
        return Err(ModelError::Mismatch {
            path: path.to_path_buf(),
            network: UNET11,
            report: format!(
                "  {} of {} tensors were applied\n{result}",
                result.applied.len(),
                pairs.len()
            ),
        });
    }
    Ok((model, config))
}

fn load_burnpack(path: &Path, device: &Device) -> Result<(UNet11, UNet11Config), ModelError> {
    let unknown = |reason: String| ModelError::UnknownFormat {
        path: path.to_path_buf(),
        reason,
    };
    let reader = burn::store::burn_pack::Reader::from_file(path)
        .map_err(|e| unknown(format!("burnpack header: {e}")))?;
    let meta = reader.metadata();
    let number = |key: &str| -> Result<usize, ModelError> {
        meta.get(key).and_then(|v| v.parse().ok()).ok_or_else(|| {
            unknown(format!(
                "no `{key}` in its metadata: not written by sarscope"
            ))
        })
    };
    let config = UNet11Config::new()
        .with_width_divisor(number(META_DIVISOR)?)
        .with_in_channels(number(META_IN_CHANNELS)?);
    config.validate().map_err(ModelError::Config)?;
    drop(reader);
    let mut model = config.init(device);
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    model
        .load_from(&mut store)
        .map_err(|e| ModelError::Mismatch {
            path: path.to_path_buf(),
            network: UNET11,
            report: format!("  {e}"),
        })?;
    Ok((model, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_of_a_wrapped_state_dict_is_found() {
        let mut shapes = Shapes::new();
        shapes.insert("module.encoder.0.weight".into(), vec![64, 4, 3, 3]);
        assert_eq!(state_dict_prefix(&shapes).as_deref(), Some("module."));
        shapes.insert("xconv1.weight".into(), vec![64, 4, 3, 3]);
        assert_eq!(state_dict_prefix(&shapes).as_deref(), Some("module."));
    }

    #[test]
    fn regex_escaping_keeps_names_literal() {
        assert_eq!(escape_regex("a.b[0]"), "a\\.b\\[0\\]");
    }

    #[test]
    fn card_sits_next_to_the_weights() {
        assert_eq!(
            card_path(Path::new("w/best_epoch19_0.6.model")),
            PathBuf::from("w/best_epoch19_0.6.card.json")
        );
    }
}
