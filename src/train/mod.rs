//! Training the UNet11 on SAR scenes with building masks: the SN6 baseline's recipe (random
//! crops, horizontal flips, dice + 10 x focal loss on the logits, AdamW at 1e-4) with validation
//! by the SpaceNet F1 after vectorizing, checkpoints and resume.
//!
//! ```text
//! scenes (synthetic or GeoTIFF + footprints) --rasterize--> masks
//!   --random crop + flip--> batches --UNet11 (autodiff)--> dice + 10 focal --AdamW--> weights
//!   every N steps: held-out scenes --predict, vectorize--> SpaceNet F1
//! ```
//!
//! Nothing here knows about a terminal or a window: progress goes to a callback that may stop
//! the run, so the CLI and the app drive the same loop.

mod checkpoint;
mod data;
mod loss;
mod targets;
mod winner;

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::TensorData;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use data::{TrainScene, crop_batch};
pub use loss::{
    LossParts, WINNER_FOCAL_WEIGHT, WINNER_MAP_WEIGHTS, WINNER_POS_WEIGHT, dice_focal_loss,
    winner_loss,
};
pub use targets::{edge_and_contact, label_buildings};
pub use winner::{WinnerTrainConfig, WinnerTrainer, scene_maps, score_winner, score_winner_both};

use crate::eval::Counts;
use crate::model::{
    InferParams, ModelCard, ModelError, Normalization, UNet11, UNet11Config, load_weights,
    predict_planes, save_weights, sigmoid,
};
use crate::vector::{VectorizeParams, vectorize};

/// Why training stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{0}")]
    Data(String),
    #[error("{}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },
    #[error("training was cancelled")]
    Cancelled,
}

/// The recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Divides every layer's width (1 = the published baseline).
    pub width_divisor: usize,
    /// Square crop side (a multiple of 32).
    pub crop: usize,
    /// Crops per step.
    pub batch: usize,
    /// Optimizer steps in all.
    pub steps: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f32,
    /// Weight of the focal term next to dice (the baseline: 10).
    pub focal_weight: f32,
    /// Seed of the initial weights and of the crops.
    pub seed: u64,
    /// Validate every this many steps (0: only at the end).
    pub validate_every: usize,
    /// Input normalization, written to the model card so inference does the same.
    pub normalization: Normalization,
}

/// The normalization for training from scratch on SN6 SAR-Intensity-scale data: about zero
/// mean and unit spread on the synthetic scenes (their bands measure mean 29 to 32, standard
/// deviation 7.4 to 8.8). The baseline's `(x - 127.5) / 31.875` squeezes such values into
/// -3.1 +- 0.26, which an encoder without ImageNet weights and without batch norm learns from
/// slowly; weights trained here carry their own normalization in their card.
pub const TRAIN_NORMALIZATION: Normalization = Normalization {
    mean: 30.0,
    std: 8.0,
};

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            width_divisor: 8,
            crop: 128,
            batch: 4,
            steps: 2000,
            learning_rate: 1e-4,
            weight_decay: 1e-2,
            focal_weight: 10.0,
            seed: 1,
            validate_every: 250,
            normalization: TRAIN_NORMALIZATION,
        }
    }
}

/// What the loop reports; the callback returns `false` to stop.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// One optimizer step done.
    Step {
        step: usize,
        steps: usize,
        loss: LossParts,
    },
    /// Validation is running: `done` of `total` scenes.
    Validating { done: usize, total: usize },
    /// The SpaceNet score on the validation scenes after `step` steps.
    Validated { step: usize, counts: Counts },
}

/// One line of the training log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub step: usize,
    pub loss: f32,
    pub dice: f32,
    pub focal: f32,
    /// Set on the lines where validation ran.
    pub f1: Option<f64>,
}

/// A model being trained: weights on an autodiff device, AdamW's moments, the step count and
/// the log.
pub struct Trainer {
    pub config: TrainConfig,
    model: UNet11,
    optimizer: ModuleOptimizer,
    /// The autodiff device the model trains on.
    device: Device,
    pub step: usize,
    pub log: Vec<LogLine>,
    /// Where [`run`] saves a checkpoint after each validation, with the card to write.
    checkpoint: Option<(PathBuf, ModelCard)>,
}

impl Trainer {
    /// A fresh model (seeded initial weights) on `device` (a plain device: autodiff is added).
    pub fn new(config: TrainConfig, device: &Device) -> Result<Self, TrainError> {
        let net = UNet11Config::new().with_width_divisor(config.width_divisor);
        net.validate().map_err(ModelError::Config)?;
        check_crop(config.crop)?;
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = net.init_for_training(&device);
        Ok(Self {
            optimizer: optimizer(&config),
            config,
            model,
            device,
            step: 0,
            log: Vec::new(),
            checkpoint: None,
        })
    }

    /// Starts from weights (ours or a PyTorch checkpoint) instead of random ones: fine-tuning.
    /// The width comes from the weights.
    pub fn from_weights(
        mut config: TrainConfig,
        weights: &Path,
        device: &Device,
    ) -> Result<Self, TrainError> {
        check_crop(config.crop)?;
        let device = device.clone().autodiff();
        let loaded = load_weights(weights, &device)?;
        config.width_divisor = loaded.config.width_divisor;
        config.normalization = loaded.card.normalization;
        Ok(Self {
            optimizer: optimizer(&config),
            config,
            model: loaded.model.train(),
            device,
            step: 0,
            log: Vec::new(),
            checkpoint: None,
        })
    }

    /// Goes on from a checkpoint folder written by [`Trainer::save_checkpoint`]. `steps`, when
    /// given, replaces the planned number of steps (to train longer than first planned).
    pub fn resume(dir: &Path, steps: Option<usize>, device: &Device) -> Result<Self, TrainError> {
        let mut state: checkpoint::CheckpointState<TrainConfig> = checkpoint::read_state(dir)?;
        if let Some(steps) = steps {
            state.config.steps = steps;
        }
        let device = device.clone().autodiff();
        let loaded = load_weights(&state.weights_path(dir), &device)?;
        if loaded.config.width_divisor != state.config.width_divisor {
            return Err(TrainError::Checkpoint {
                path: dir.to_path_buf(),
                reason: format!(
                    "the weights are 1/{} wide but the state says 1/{}",
                    loaded.config.width_divisor, state.config.width_divisor
                ),
            });
        }
        let optimizer = checkpoint::read_optimizer(dir, &state, optimizer(&state.config))?;
        Ok(Self {
            config: state.config,
            model: loaded.model.train(),
            optimizer,
            device,
            step: state.step,
            log: state.log,
            checkpoint: None,
        })
    }

    /// Makes [`run`] save a checkpoint into `dir` after every validation.
    pub fn checkpoint_to(&mut self, dir: PathBuf, card: ModelCard) {
        self.checkpoint = Some((dir, card));
    }

    /// Writes weights, optimizer state and the step count into `dir` (created) as one commit:
    /// a save cut short leaves the previous checkpoint whole (see `checkpoint`).
    pub fn save_checkpoint(&self, dir: &Path, card: &ModelCard) -> Result<(), TrainError> {
        checkpoint::write_checkpoint(
            dir,
            (&self.config, self.step, &self.log),
            &self.optimizer,
            |weights| self.save_weights(weights, card),
        )
    }

    /// Writes the current weights (burnpack) with `card` next to them.
    pub fn save_weights(&self, path: &Path, card: &ModelCard) -> Result<(), TrainError> {
        let net = UNet11Config::new().with_width_divisor(self.config.width_divisor);
        save_weights(&self.model.valid(), &net, card, path)?;
        Ok(())
    }

    /// The model for inference (no autodiff), on the plain device.
    pub fn inference_model(&self) -> UNet11 {
        self.model.valid()
    }

    /// The plain device inference runs on.
    pub fn inference_device(&self) -> Device {
        self.device.clone().inner()
    }

    /// One optimizer step on a batch: `inputs` `[batch, 4, crop, crop]` normalized, `masks`
    /// `[batch, 1, crop, crop]` of 0/1.
    pub fn step_on(
        &mut self,
        inputs: Vec<f32>,
        masks: Vec<f32>,
        batch: usize,
    ) -> Result<LossParts, TrainError> {
        let c = self.config.crop;
        let channels = 4;
        if inputs.len() != batch * channels * c * c || masks.len() != batch * c * c {
            return Err(TrainError::Data(format!(
                "a batch of {batch} crops of {c} px needs {} input and {} mask values, got {} and {}",
                batch * channels * c * c,
                batch * c * c,
                inputs.len(),
                masks.len()
            )));
        }
        let x = Tensor::<4>::from_data(
            TensorData::new(inputs, [batch, channels, c, c]),
            &self.device,
        );
        let y = Tensor::<4>::from_data(TensorData::new(masks, [batch, 1, c, c]), &self.device);
        let logits = self.model.forward(x);
        let (loss, parts) = dice_focal_loss(logits, y, self.config.focal_weight)?;
        let grads = loss.backward();
        let grads = GradientsParams::from_grads(grads, &self.model);
        // A module clone shares its tensors: this moves no weights.
        self.model = self
            .optimizer
            .step(self.config.learning_rate, self.model.clone(), grads);
        self.step += 1;
        Ok(parts)
    }

    /// The SpaceNet counts of the current model over `scenes` (whole scenes, the baseline's
    /// windows, threshold 0.5, min area 80, IoU 0.5).
    pub fn validate(
        &self,
        scenes: &[TrainScene],
        on_scene: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Counts, TrainError> {
        let model = self.inference_model();
        let device = self.inference_device();
        score_scenes(&model, &device, self.config.normalization, scenes, on_scene)
    }
}

/// The SpaceNet counts of `model` over `scenes`, summed. `on_scene(done)` returns `false` to
/// cancel.
pub fn score_scenes(
    model: &UNet11,
    device: &Device,
    normalization: Normalization,
    scenes: &[TrainScene],
    on_scene: &mut dyn FnMut(usize) -> bool,
) -> Result<Counts, TrainError> {
    let params = InferParams {
        normalization,
        ..InferParams::default()
    };
    let mut total = Counts::default();
    for (done, scene) in scenes.iter().enumerate() {
        if !on_scene(done) {
            return Err(TrainError::Cancelled);
        }
        let logits = predict_planes(
            model,
            device,
            &scene.input,
            4,
            scene.width,
            scene.height,
            &params,
            &mut |_| true,
        )?;
        let probs: Vec<f32> = logits.iter().map(|&v| sigmoid(v)).collect();
        let found = vectorize(
            &probs,
            scene.width,
            scene.height,
            VectorizeParams::default(),
        );
        total.add(scene.count(found));
    }
    Ok(total)
}

/// AdamW with `weight_decay`: both networks' optimizer.
fn adamw(weight_decay: f32) -> ModuleOptimizer {
    AdamWConfig::new().with_weight_decay(weight_decay).init()
}

fn optimizer(config: &TrainConfig) -> ModuleOptimizer {
    adamw(config.weight_decay)
}

fn check_crop(crop: usize) -> Result<(), TrainError> {
    if crop < 32 || !crop.is_multiple_of(32) {
        return Err(TrainError::Data(format!(
            "the crop must be a multiple of 32 of at least 32 px (the network halves it 5 times), not {crop}"
        )));
    }
    Ok(())
}

/// What the training loop needs of a model being trained: the UNet11's [`Trainer`] and the
/// SN6 winner's network's [`WinnerTrainer`].
pub trait Training {
    /// Steps planned, crop side, crops per step, seed of the crops, validation period.
    fn plan(&self) -> Plan;
    /// Steps done.
    fn steps_done(&self) -> usize;
    /// One optimizer step on a batch of crops and their targets.
    fn step_on(
        &mut self,
        inputs: Vec<f32>,
        targets: Vec<f32>,
        batch: usize,
    ) -> Result<LossParts, TrainError>;
    /// The SpaceNet counts over whole validation scenes.
    fn validate(
        &self,
        scenes: &[TrainScene],
        on_scene: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Counts, TrainError>;
    fn log_mut(&mut self) -> &mut Vec<LogLine>;
    /// Writes a checkpoint folder (weights with `card`, optimizer, recipe, step, log) into `dir`.
    fn save_checkpoint(&self, dir: &Path, card: &ModelCard) -> Result<(), TrainError>;
    /// Saves a checkpoint after a validation, when one was asked for.
    fn after_validation(&mut self) -> Result<(), TrainError>;
}

/// The loop's plan, from a training config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub steps: usize,
    pub crop: usize,
    pub batch: usize,
    pub seed: u64,
    pub validate_every: usize,
}

impl Training for Trainer {
    fn plan(&self) -> Plan {
        let c = &self.config;
        Plan {
            steps: c.steps,
            crop: c.crop,
            batch: c.batch,
            seed: c.seed,
            validate_every: c.validate_every,
        }
    }
    fn steps_done(&self) -> usize {
        self.step
    }
    fn step_on(
        &mut self,
        inputs: Vec<f32>,
        targets: Vec<f32>,
        batch: usize,
    ) -> Result<LossParts, TrainError> {
        Trainer::step_on(self, inputs, targets, batch)
    }
    fn validate(
        &self,
        scenes: &[TrainScene],
        on_scene: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Counts, TrainError> {
        Trainer::validate(self, scenes, on_scene)
    }
    fn log_mut(&mut self) -> &mut Vec<LogLine> {
        &mut self.log
    }
    fn save_checkpoint(&self, dir: &Path, card: &ModelCard) -> Result<(), TrainError> {
        Trainer::save_checkpoint(self, dir, card)
    }
    fn after_validation(&mut self) -> Result<(), TrainError> {
        if let Some((dir, card)) = &self.checkpoint {
            self.save_checkpoint(dir, card)?;
        }
        Ok(())
    }
}

/// Runs `trainer` to its planned number of steps on crops of `train`, validating on `val`
/// every `validate_every` steps and at the end (and saving a checkpoint then, when asked).
/// The crops of step `k` depend only on the seed and `k`, so a resumed run sees the batches an
/// uninterrupted one would have.
pub fn run(
    trainer: &mut dyn Training,
    train: &[TrainScene],
    val: &[TrainScene],
    on_event: &mut dyn FnMut(&Event) -> bool,
) -> Result<(), TrainError> {
    if train.is_empty() {
        return Err(TrainError::Data("there are no training scenes".into()));
    }
    let plan = trainer.plan();
    while trainer.steps_done() < plan.steps {
        let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
        rng.set_stream(trainer.steps_done() as u64 + 1);
        let (inputs, masks) = crop_batch(train, plan.crop, plan.batch, &mut rng)?;
        let parts = trainer.step_on(inputs, masks, plan.batch)?;
        let step = trainer.steps_done();
        trainer.log_mut().push(LogLine {
            step,
            loss: parts.total,
            dice: parts.dice,
            focal: parts.focal,
            f1: None,
        });
        if !on_event(&Event::Step {
            step,
            steps: plan.steps,
            loss: parts,
        }) {
            return Err(TrainError::Cancelled);
        }
        let due = plan.validate_every > 0 && step.is_multiple_of(plan.validate_every);
        if !val.is_empty() && (due || step == plan.steps) {
            let counts = trainer.validate(val, &mut |done| {
                on_event(&Event::Validating {
                    done,
                    total: val.len(),
                })
            })?;
            if let Some(last) = trainer.log_mut().last_mut() {
                last.f1 = Some(counts.f1());
            }
            trainer.after_validation()?;
            if !on_event(&Event::Validated { step, counts }) {
                return Err(TrainError::Cancelled);
            }
        }
    }
    Ok(())
}
