//! A training checkpoint folder: the weights, the optimizer's state (AdamW's moments) and the
//! state to go on from (the recipe, the step count and the log), each written through a
//! temporary file so that an interrupted save leaves the previous checkpoint readable. One
//! format for the UNet11's [`super::Trainer`] and the SN6 winner's [`super::WinnerTrainer`].

use std::path::Path;

use burn::optim::ModuleOptimizer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{LogLine, TrainError};

/// File names inside a checkpoint folder.
pub(super) const CKPT_WEIGHTS: &str = "model.bpk";
const CKPT_OPTIMIZER: &str = "optimizer.bin";
const CKPT_STATE: &str = "state.json";

/// The checkpoint's own state beside the weights and the optimizer: where to go on from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct CheckpointState<C> {
    pub config: C,
    pub step: usize,
    pub log: Vec<LogLine>,
}

/// The same, borrowed, for writing.
#[derive(Serialize)]
struct StateRef<'a, C> {
    config: &'a C,
    step: usize,
    log: &'a [LogLine],
}

fn fail(path: &Path, reason: String) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    }
}

/// Writes a checkpoint into `dir` (created): the weights by `save_weights` (given the weights'
/// path), the optimizer, then the state.
pub(super) fn write_checkpoint<C: Serialize>(
    dir: &Path,
    (config, step, log): (&C, usize, &[LogLine]),
    optimizer: &ModuleOptimizer,
    save_weights: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e.to_string()))?;
    save_weights(&dir.join(CKPT_WEIGHTS))?;
    let optim_path = dir.join(CKPT_OPTIMIZER);
    let tmp = dir.join(format!("{CKPT_OPTIMIZER}.tmp"));
    optimizer
        .save(&tmp)
        .map_err(|e| fail(&optim_path, format!("{e:?}")))?;
    std::fs::rename(&tmp, &optim_path).map_err(|e| fail(&optim_path, e.to_string()))?;
    let state = StateRef { config, step, log };
    let state_path = dir.join(CKPT_STATE);
    let text =
        serde_json::to_string_pretty(&state).map_err(|e| fail(&state_path, e.to_string()))?;
    let tmp = dir.join(format!("{CKPT_STATE}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| fail(&state_path, e.to_string()))?;
    std::fs::rename(&tmp, &state_path).map_err(|e| fail(&state_path, e.to_string()))
}

/// The state of the checkpoint in `dir`.
pub(super) fn read_state<C: DeserializeOwned>(
    dir: &Path,
) -> Result<CheckpointState<C>, TrainError> {
    let state_path = dir.join(CKPT_STATE);
    let text =
        std::fs::read_to_string(&state_path).map_err(|e| fail(&state_path, e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| fail(&state_path, format!("not a checkpoint state: {e}")))
}

/// `fresh` (an optimizer made by the checkpoint's recipe) with the state saved in `dir`.
pub(super) fn read_optimizer(
    dir: &Path,
    fresh: ModuleOptimizer,
) -> Result<ModuleOptimizer, TrainError> {
    let optim_path = dir.join(CKPT_OPTIMIZER);
    fresh
        .load(&optim_path)
        .map_err(|e| fail(&optim_path, format!("{e:?}")))
}
