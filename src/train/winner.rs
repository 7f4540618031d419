//! Training the SN6 winner's network (narrow, from scratch) on three targets: footprint, edge
//! and contact, with the winner's loss, AdamW, random crops and flips; validated by the
//! SpaceNet F1 of its watershed instances.

use std::path::Path;

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::sigmoid;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, CheckpointState};
use super::{LogLine, LossParts, Plan, TrainError, TrainScene, Training, check_crop, winner_loss};
use crate::eval::Counts;
use crate::model::effunet::{CONTACT, EDGE, EffUNet, EffUNetConfig, FOOTPRINT, save_effunet};
use crate::model::{ModelCard, NETWORK_WINNER};
use crate::vector::{
    InstanceParams, OutlineParams, VectorizeParams, instance_footprints, vectorize,
};

/// The recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WinnerTrainConfig {
    pub net: EffUNetConfig,
    /// Square crop side (a multiple of 32).
    pub crop: usize,
    pub batch: usize,
    pub steps: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    pub seed: u64,
    pub validate_every: usize,
}

impl WinnerTrainConfig {
    /// A network narrow and shallow enough to train on a CPU here: EfficientNet width 0.25
    /// and depth 0.5 of B0's, decoder 16, 24, 32, 48, 96, no extra input (main.py's
    /// `extra_num` 0: our tiles have no strip table).
    pub fn small() -> Self {
        let mut net = EffUNetConfig::efficientnet(0.25, 0.5, [16, 24, 32, 48, 96]);
        net.strips = 0;
        net.extra_num = 0;
        Self {
            net,
            crop: 256,
            batch: 4,
            steps: 2000,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            seed: 1,
            validate_every: 250,
        }
    }
}

fn optimizer(config: &WinnerTrainConfig) -> ModuleOptimizer {
    super::adamw(config.weight_decay)
}

/// The winner's network being trained.
pub struct WinnerTrainer {
    pub config: WinnerTrainConfig,
    model: EffUNet,
    optimizer: ModuleOptimizer,
    device: Device,
    pub step: usize,
    pub log: Vec<LogLine>,
    /// Where to save the weights (and card) after each validation.
    save_to: Option<(std::path::PathBuf, ModelCard)>,
    /// Where to save a checkpoint after each validation, with the card to write.
    checkpoint: Option<(std::path::PathBuf, ModelCard)>,
    /// The extra input of every crop (the strip, look and y of the one scene fine-tuned on);
    /// zeros when `None`.
    extra: Option<Vec<f32>>,
}

impl WinnerTrainer {
    pub fn new(config: WinnerTrainConfig, device: &Device) -> Result<Self, TrainError> {
        config
            .net
            .validate()
            .map_err(|e| TrainError::Data(e.to_string()))?;
        check_crop(config.crop)?;
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = config.net.init_for_training(&device);
        Ok(Self::starting(config, model, device))
    }

    /// A trainer at step 0 of `config` with `model` on the autodiff `device`.
    fn starting(config: WinnerTrainConfig, model: EffUNet, device: Device) -> Self {
        Self {
            optimizer: optimizer(&config),
            config,
            model,
            device,
            step: 0,
            log: Vec::new(),
            save_to: None,
            checkpoint: None,
            extra: None,
        }
    }

    /// Goes on from trained weights (`weights`: our burnpack or a winner's checkpoint):
    /// `config.net` is replaced by the weights' shape.
    pub fn from_weights(
        mut config: WinnerTrainConfig,
        weights: &Path,
        device: &Device,
    ) -> Result<Self, TrainError> {
        check_crop(config.crop)?;
        let device = device.clone().autodiff();
        let loaded = crate::model::effunet::load_effunet(weights, &device)?;
        config.net = loaded.config;
        Ok(Self::starting(config, loaded.model.train(), device))
    }

    /// Goes on from a checkpoint folder written by [`WinnerTrainer::save_checkpoint`].
    /// `steps`, when given, replaces the planned number of steps.
    pub fn resume(dir: &Path, steps: Option<usize>, device: &Device) -> Result<Self, TrainError> {
        let mut state: CheckpointState<WinnerTrainConfig> = checkpoint::read_state(dir)?;
        if let Some(steps) = steps {
            state.config.steps = steps;
        }
        let device = device.clone().autodiff();
        let loaded = crate::model::effunet::load_effunet(&state.weights_path(dir), &device)?;
        let mut shape = loaded.config.clone();
        shape.extra_num = state.config.net.extra_num;
        if let Some(diff) = state.config.net.first_difference(&shape) {
            return Err(TrainError::Checkpoint {
                path: dir.to_path_buf(),
                reason: format!("the weights and the state disagree: {diff} (state vs weights)"),
            });
        }
        let optimizer = checkpoint::read_optimizer(dir, &state, optimizer(&state.config))?;
        let extra_num = state.config.net.extra_num;
        let model = loaded.model.with_extra_num(extra_num).train();
        Ok(Self {
            optimizer,
            step: state.step,
            log: state.log,
            ..Self::starting(state.config, model, device)
        })
    }

    /// Makes [`super::run`] save a checkpoint into `dir` after every validation.
    pub fn checkpoint_to(&mut self, dir: std::path::PathBuf, card: ModelCard) {
        self.checkpoint = Some((dir, card));
    }

    /// Writes weights (with `card`), optimizer state, recipe, step count and log into `dir`.
    pub fn save_checkpoint(&self, dir: &Path, card: &ModelCard) -> Result<(), TrainError> {
        checkpoint::write_checkpoint(
            dir,
            (&self.config, self.step, &self.log),
            &self.optimizer,
            |weights| self.save(weights, card),
        )
    }

    /// How many of the extra input's branches are live (main.py's `extra_num`, which the
    /// weights do not hold; a model card says it).
    pub fn with_extra_num(mut self, extra_num: usize) -> Self {
        self.model = self.model.with_extra_num(extra_num);
        self.config.net.extra_num = extra_num;
        self
    }

    /// Gives every crop `values` as its extra input (strip one-hot, direction, y - 0.5).
    pub fn with_extra(mut self, values: Vec<f32>) -> Result<Self, TrainError> {
        let want = self.config.net.extra_channels();
        if values.len() != want {
            return Err(TrainError::Data(format!(
                "the network takes {want} extra inputs, not {}",
                values.len()
            )));
        }
        self.extra = Some(values);
        Ok(self)
    }

    /// Makes each validation save the weights to `path` with `card`.
    pub fn save_after_validation(&mut self, path: std::path::PathBuf, card: ModelCard) {
        self.save_to = Some((path, card));
    }

    /// Writes the weights (burnpack) and `card` (completed with the network) next to them.
    pub fn save(&self, path: &Path, card: &ModelCard) -> Result<(), TrainError> {
        save_effunet(&self.model.valid(), &self.config.net, path)?;
        let mut card = card.clone();
        card.network = NETWORK_WINNER.into();
        card.effunet = Some(self.config.net.clone());
        card.parameters = self.config.net.parameter_count();
        card.write(&crate::model::card_path(path))?;
        Ok(())
    }

    pub fn inference_model(&self) -> EffUNet {
        self.model.valid()
    }
}

impl Training for WinnerTrainer {
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
        let c = self.config.crop;
        if inputs.len() != batch * 4 * c * c || targets.len() != batch * 3 * c * c {
            return Err(TrainError::Data(format!(
                "a batch of {batch} crops of {c} px needs {} input and {} target values (3 maps), got {} and {}",
                batch * 4 * c * c,
                batch * 3 * c * c,
                inputs.len(),
                targets.len()
            )));
        }
        let x = Tensor::<4>::from_data(TensorData::new(inputs, [batch, 4, c, c]), &self.device);
        let y = Tensor::<4>::from_data(TensorData::new(targets, [batch, 3, c, c]), &self.device);
        let channels = self.config.net.extra_channels();
        let extra = match &self.extra {
            Some(values) => Tensor::<2>::from_data(
                TensorData::new(values.repeat(batch), [batch, channels]),
                &self.device,
            ),
            None => Tensor::<2>::zeros([batch, channels], &self.device),
        };
        let logits = self.model.forward(x, extra);
        let (loss, parts) = winner_loss(logits, y)?;
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optimizer
            .step(self.config.learning_rate, self.model.clone(), grads);
        self.step += 1;
        Ok(parts)
    }

    fn validate(
        &self,
        scenes: &[TrainScene],
        on_scene: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Counts, TrainError> {
        let model = self.inference_model();
        let device = self.device.clone().inner();
        score_winner(&model, &self.config.net, &device, scenes, on_scene)
    }

    fn log_mut(&mut self) -> &mut Vec<LogLine> {
        &mut self.log
    }

    fn save_checkpoint(&self, dir: &Path, card: &ModelCard) -> Result<(), TrainError> {
        WinnerTrainer::save_checkpoint(self, dir, card)
    }

    fn after_validation(&mut self) -> Result<(), TrainError> {
        if let Some((path, card)) = &self.save_to {
            self.save(path, card)?;
        }
        if let Some((dir, card)) = &self.checkpoint {
            self.save_checkpoint(dir, card)?;
        }
        Ok(())
    }
}

/// The three maps' probabilities of a whole scene (its normalized input, padded to multiples
/// of 32 with its nodata value), on the scene's grid.
pub fn scene_maps(
    model: &EffUNet,
    net: &EffUNetConfig,
    device: &Device,
    scene: &TrainScene,
) -> [Vec<f32>; 3] {
    let (w, h) = (scene.width, scene.height);
    let (pw, ph) = (w.div_ceil(32) * 32, h.div_ceil(32) * 32);
    let mut padded = vec![scene.nodata; 4 * pw * ph];
    for c in 0..4 {
        for y in 0..h {
            let from = &scene.input[c * w * h + y * w..c * w * h + (y + 1) * w];
            padded[c * pw * ph + y * pw..c * pw * ph + y * pw + w].copy_from_slice(from);
        }
    }
    let x = Tensor::<4>::from_data(TensorData::new(padded, [1, 4, ph, pw]), device);
    let extra = Tensor::<2>::zeros([1, net.extra_channels()], device);
    let probs = sigmoid(model.forward(x, extra).narrow(1, 0, 3));
    let values: Vec<f32> = probs.into_data().try_to_vec::<f32>().unwrap_or_default();
    [FOOTPRINT, EDGE, CONTACT].map(|k| {
        let mut plane = Vec::with_capacity(w * h);
        for y in 0..h {
            let start = k * pw * ph + y * pw;
            plane.extend_from_slice(values.get(start..start + w).unwrap_or(&[]));
        }
        plane.resize(w * h, 0.0);
        if scene.rotated {
            plane.reverse();
        }
        plane
    })
}

/// The SpaceNet counts of the winner's network's watershed instances over `scenes`, summed.
pub fn score_winner(
    model: &EffUNet,
    net: &EffUNetConfig,
    device: &Device,
    scenes: &[TrainScene],
    on_scene: &mut dyn FnMut(usize) -> bool,
) -> Result<Counts, TrainError> {
    Ok(score_winner_both(model, net, device, scenes, on_scene)?.0)
}

/// [`score_winner`], and the counts of the same network's footprint map thresholded and
/// traced as a one-head network's is (threshold 0.5, min area 80): what the watershed adds.
pub fn score_winner_both(
    model: &EffUNet,
    net: &EffUNetConfig,
    device: &Device,
    scenes: &[TrainScene],
    on_scene: &mut dyn FnMut(usize) -> bool,
) -> Result<(Counts, Counts), TrainError> {
    let mut total = Counts::default();
    let mut one_head = Counts::default();
    for (done, scene) in scenes.iter().enumerate() {
        if !on_scene(done) {
            return Err(TrainError::Cancelled);
        }
        let [footprint, edge, contact] = scene_maps(model, net, device, scene);
        let found = instance_footprints(
            &footprint,
            &edge,
            &contact,
            scene.width,
            scene.height,
            InstanceParams::default(),
            OutlineParams::default(),
        )
        .unwrap_or_default();
        total.add(scene.count(found));
        let traced = vectorize(
            &footprint,
            scene.width,
            scene.height,
            VectorizeParams::default(),
        );
        one_head.add(scene.count(traced));
    }
    Ok((total, one_head))
}
