//! "Improve the model with my edits": a worker thread fine-tunes the current weights on the
//! scene and the user's corrected footprints, reports the loss after every step, stops when
//! asked, and saves the new weights beside the scene with a model card.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::SessionError;
use super::job::{Job, Shared};

use geo::MultiPolygon;

use super::winner::{extra_for, winner_bands, winner_card};
use crate::model::effunet::is_effunet_file;
use crate::model::{
    DeviceChoice, ModelCard, Rotation, SharedWgpu, load_weights, rotation_by_card,
    select_device_sharing,
};
use crate::raster::Scene;
use crate::train::{
    Event, TrainConfig, TrainScene, Trainer, WinnerTrainConfig, WinnerTrainer, run,
};

/// What to fine-tune.
#[derive(Clone, Debug)]
pub struct FinetuneRequest {
    pub files: Vec<PathBuf>,
    /// The corrected footprints, scene pixels.
    pub footprints: Vec<MultiPolygon<f64>>,
    pub weights: PathBuf,
    pub steps: usize,
    /// The viewer's device, for a GPU to train on.
    pub shared_wgpu: Option<SharedWgpu>,
}

/// Steps done and planned, and the loss after each.
#[derive(Default)]
pub struct StepProgress {
    step: AtomicUsize,
    steps: AtomicUsize,
    losses: Mutex<Vec<[f64; 2]>>,
}

impl StepProgress {
    pub fn steps(&self) -> (usize, usize) {
        (
            self.step.load(Ordering::Relaxed),
            self.steps.load(Ordering::Relaxed),
        )
    }

    /// (step, loss) so far.
    pub fn losses(&self) -> Vec<[f64; 2]> {
        self.losses.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// A fine-tuning under way; its result is the new weights' path.
pub type FinetuneJob = Job<PathBuf, StepProgress>;

pub fn start_finetune(request: FinetuneRequest, wake: impl Fn() + Send + 'static) -> FinetuneJob {
    Job::spawn(move |shared, wake| finetune(&request, shared, wake), wake)
}

/// `NAME.finetuned.bpk` beside the scene's first file.
pub fn finetuned_path(scene_file: &Path) -> PathBuf {
    let stem = scene_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scene".into());
    scene_file.with_file_name(format!("{stem}.finetuned.bpk"))
}

/// The largest square crop (a multiple of 32, at most 256 px) that fits the scene.
fn crop_for(width: usize, height: usize) -> usize {
    (width.min(height).min(256) / 32) * 32
}

fn finetune(
    request: &FinetuneRequest,
    shared: &Shared<StepProgress>,
    wake: &dyn Fn(),
) -> Result<PathBuf, SessionError> {
    let first = request.files.first().ok_or(SessionError::NoScene)?;
    if request.footprints.is_empty() {
        return Err(SessionError::NoEditedFootprints);
    }
    let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
    shared.set_device(&device.description);
    shared
        .progress
        .steps
        .store(request.steps, Ordering::Relaxed);
    wake();
    let scene = Scene::open_many(&request.files)?;
    let crop = crop_for(scene.width(), scene.height());
    if crop < 32 {
        return Err(SessionError::SceneTooSmall {
            size: (scene.width(), scene.height()),
        });
    }
    let name = first
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut on_event = |event: &Event| {
        if let Event::Step { step, loss, .. } = event {
            let progress = &shared.progress;
            progress.step.store(*step, Ordering::Relaxed);
            if let Ok(mut losses) = progress.losses.lock() {
                losses.push([*step as f64, f64::from(loss.total)]);
            }
            wake();
        }
        !shared.cancelled()
    };
    let started = Instant::now();
    let out = finetuned_path(first);
    let new_card = |card: &ModelCard, steps: usize| {
        let mut new_card = card.clone();
        new_card.name = format!("{} fine-tuned on {name}", card.name);
        new_card.provenance = format!(
            "fine-tuned by sarscope {} from {} on {} edited footprints of {} ({steps} steps of \
             {crop} px crops, AdamW 1e-4, {:.0} s on {}); before: {}",
            env!("CARGO_PKG_VERSION"),
            request.weights.display(),
            request.footprints.len(),
            first.display(),
            started.elapsed().as_secs_f64(),
            device.description,
            card.provenance
        );
        new_card.scores.clear();
        new_card
    };
    if is_effunet_file(&request.weights)? {
        // The SN6 winner's network: its input, three targets and extra input.
        let config = WinnerTrainConfig {
            crop,
            batch: 2,
            steps: request.steps,
            learning_rate: 1e-4,
            validate_every: 0,
            ..WinnerTrainConfig::small()
        };
        let trainer = WinnerTrainer::from_weights(config, &request.weights, &device.device)?;
        let (card, _, net) = winner_card(&request.weights, &trainer.config.net)?;
        let rotation = rotation_by_card(first, &card.rotation, None)?;
        let extra = extra_for(first, &scene, rotation, None, true, scene.full_window());
        let mut trainer = trainer
            .with_extra_num(net.extra_num)
            .with_extra(extra.values(net.strips))?;
        let (planes, order) = winner_bands(&scene, &card, scene.full_window())?;
        let data = TrainScene::winner(
            name.clone(),
            order.map(|b| planes.bands[b].as_slice()),
            (planes.width, planes.height),
            request.footprints.clone(),
            rotation == Rotation::Half,
        )?;
        run(
            &mut trainer,
            std::slice::from_ref(&data),
            &[],
            &mut on_event,
        )?;
        trainer.save(&out, &new_card(&card, trainer.step))?;
        return Ok(out);
    }
    let card = load_weights(&request.weights, &device.device)?.card;
    let rotation = rotation_by_card(first, &card.rotation, None)?;
    let data = TrainScene::from_scene(
        &scene,
        name.clone(),
        request.footprints.clone(),
        &card,
        rotation,
    )?;
    let config = TrainConfig {
        crop,
        batch: 2,
        steps: request.steps,
        learning_rate: 1e-4,
        validate_every: 0,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::from_weights(config, &request.weights, &device.device)?;
    run(
        &mut trainer,
        std::slice::from_ref(&data),
        &[],
        &mut on_event,
    )?;
    trainer.save_weights(&out, &new_card(&card, trainer.step))?;
    Ok(out)
}
