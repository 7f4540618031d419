//! A training checkpoint folder: the weights, the optimizer's state (AdamW's moments) and the
//! state to go on from (the recipe, the step count and the log). One format for the UNet11's
//! [`super::Trainer`] and the SN6 winner's [`super::WinnerTrainer`].
//!
//! A save is one commit: the step's weights and optimizer go to files of their own
//! (`model.step-N.bpk`, `optimizer.step-N.bin`), then `state.json`, which names them, replaces
//! the last through a rename, and only then are the previous step's files removed. A save cut
//! short at any point (killed, disk full) leaves the previous checkpoint whole and consistent:
//! its state still names its own weights and optimizer. Checkpoints written before (fixed
//! names `model.bpk`, `optimizer.bin`, state without names) still read.

use std::path::Path;

use burn::optim::ModuleOptimizer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{LogLine, TrainError};
use crate::replace::Replacement;

/// File names inside a checkpoint folder: the state, and the weights and optimizer of
/// checkpoints that predate the names in the state.
const CKPT_WEIGHTS: &str = "model.bpk";
const CKPT_OPTIMIZER: &str = "optimizer.bin";
const CKPT_STATE: &str = "state.json";

/// The checkpoint's own state beside the weights and the optimizer: where to go on from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct CheckpointState<C> {
    pub config: C,
    pub step: usize,
    pub log: Vec<LogLine>,
    /// The weights' and the optimizer's file names in the folder (absent before they were
    /// named: the fixed names then).
    #[serde(default)]
    pub weights: Option<String>,
    #[serde(default)]
    pub optimizer: Option<String>,
}

impl<C> CheckpointState<C> {
    /// The weights this state goes with, in the checkpoint folder `dir`.
    pub fn weights_path(&self, dir: &Path) -> std::path::PathBuf {
        dir.join(self.weights.as_deref().unwrap_or(CKPT_WEIGHTS))
    }

    fn optimizer_path(&self, dir: &Path) -> std::path::PathBuf {
        dir.join(self.optimizer.as_deref().unwrap_or(CKPT_OPTIMIZER))
    }
}

/// The same, borrowed, for writing.
#[derive(Serialize)]
struct StateRef<'a, C> {
    config: &'a C,
    step: usize,
    log: &'a [LogLine],
    weights: &'a str,
    optimizer: &'a str,
}

fn fail(path: &Path, reason: String) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    }
}

/// Writes a checkpoint into `dir` (created): the weights by `save_weights` (given the weights'
/// path), the optimizer, then the state that names both (the commit), then the files of the
/// checkpoint it replaced are removed.
pub(super) fn write_checkpoint<C: Serialize>(
    dir: &Path,
    (config, step, log): (&C, usize, &[LogLine]),
    optimizer: &ModuleOptimizer,
    save_weights: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e.to_string()))?;
    let weights = format!("model.step-{step}.bpk");
    save_weights(&dir.join(&weights))?;
    let optimizer_name = format!("optimizer.step-{step}.bin");
    let optim_path = dir.join(&optimizer_name);
    Replacement::new(&optim_path).write(
        |tmp| {
            optimizer
                .save(tmp)
                .map_err(|e| fail(&optim_path, format!("{e:?}")))
        },
        |e| fail(&optim_path, e.to_string()),
    )?;
    let state = StateRef {
        config,
        step,
        log,
        weights: &weights,
        optimizer: &optimizer_name,
    };
    let state_path = dir.join(CKPT_STATE);
    let text =
        serde_json::to_string_pretty(&state).map_err(|e| fail(&state_path, e.to_string()))?;
    // The commit: the state naming this step's files replaces the last.
    Replacement::new(&state_path).write(
        |tmp| std::fs::write(tmp, text).map_err(|e| fail(&state_path, e.to_string())),
        |e| fail(&state_path, e.to_string()),
    )?;
    remove_superseded(dir, &[&weights, &optimizer_name]);
    Ok(())
}

/// Removes weights and optimizer files of earlier saves from `dir`, keeping `keep`, and the
/// temporary files of killed saves.
fn remove_superseded(dir: &Path, keep: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let weights_kind =
            name.starts_with("model.") && (name.ends_with(".bpk") || name.ends_with(".card.json"));
        let optimizer_kind = name.starts_with("optimizer.") && name.ends_with(".bin");
        let kept = keep
            .iter()
            .any(|k| name == *k || name == crate::model::card_path(Path::new(k)).to_string_lossy());
        // Each step's files have their own names: what killed saves of earlier steps left is
        // not the next save's to clean up.
        let stale = crate::replace::is_stale_temporary(&name);
        if ((weights_kind || optimizer_kind) && !kept) || stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
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
pub(super) fn read_optimizer<C>(
    dir: &Path,
    state: &CheckpointState<C>,
    fresh: ModuleOptimizer,
) -> Result<ModuleOptimizer, TrainError> {
    let optim_path = state.optimizer_path(dir);
    fresh
        .load(&optim_path)
        .map_err(|e| fail(&optim_path, format!("{e:?}")))
}
