//! What can go wrong with a model, its weights or an inference run.

use std::path::PathBuf;

use crate::raster::RasterError;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("weights file {path} does not exist")]
    NotFound { path: PathBuf },
    #[error("cannot read weights file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "{path} is not a weights file sarscope knows: {reason}\n  (expected a PyTorch state_dict saved by torch.save, zip or legacy format, or a burnpack .bpk written by sarscope)"
    )]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("weights file {path} does not fit {network}:\n{report}")]
    Mismatch {
        path: PathBuf,
        /// The network it was read as ("a UNet11", ...).
        network: &'static str,
        report: String,
    },
    #[error(
        "weights file {path} holds values that are not numbers: {count} of the {total} values of {tensor} are NaN or infinite (a training run that diverged?)"
    )]
    NonFinite {
        path: PathBuf,
        tensor: String,
        count: usize,
        total: usize,
    },
    #[error("model card {path}: {reason}")]
    Card { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("invalid model configuration: {0}")]
    Config(#[from] super::unet::ConfigError),
    #[error("window {window} must be a positive multiple of 32 and step {step} positive")]
    Windows { window: usize, step: usize },
    #[error("no usable device: {0}")]
    Device(String),
    #[error("orientation file {path}: {reason}")]
    Orientation { path: PathBuf, reason: String },
    #[error("band {band} does not exist in the scene")]
    MissingBand { band: usize },
    #[error("the scene is empty")]
    EmptyInput,
    #[error("input has {got} values, expected {channels} x {width} x {height}")]
    InputSize {
        got: usize,
        channels: usize,
        width: usize,
        height: usize,
    },
    #[error(
        "the model needs bands {}; the scene has {count} band(s) and none is recognized as {}",
        needed.join(", "),
        missing.join(", ")
    )]
    BandsNotFound {
        needed: Vec<String>,
        count: usize,
        missing: Vec<String>,
    },
    #[error("the model card lists {listed} bands but the network takes {takes}")]
    CardChannels { listed: usize, takes: usize },
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Raster(#[from] RasterError),
}
