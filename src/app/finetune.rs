//! "Improve the model with my edits": a worker thread fine-tunes the current weights on the
//! scene and the user's corrected footprints, reports the loss after every step, stops when
//! asked, and saves the new weights beside the scene with a model card.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use geo::MultiPolygon;

use crate::model::{
    DeviceChoice, SharedWgpu, load_weights, rotation_by_card, select_device_sharing,
};
use crate::raster::Scene;
use crate::train::{Event, TrainConfig, TrainError, TrainScene, Trainer, run};

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

#[derive(Default)]
struct Shared {
    cancel: AtomicBool,
    step: AtomicUsize,
    losses: Mutex<Vec<[f64; 2]>>,
    device: Mutex<String>,
}

/// A fine-tuning under way.
pub struct FinetuneJob {
    pub steps: usize,
    shared: Arc<Shared>,
    result: mpsc::Receiver<Result<PathBuf, String>>,
    started: Instant,
}

impl FinetuneJob {
    pub fn start(request: FinetuneRequest, wake: impl Fn() + Send + 'static) -> Self {
        let shared = Arc::new(Shared::default());
        let (sender, result) = mpsc::channel();
        let worker = Arc::clone(&shared);
        let steps = request.steps;
        std::thread::spawn(move || {
            let outcome = finetune(&request, &worker, &wake).map_err(|e| e.to_string());
            let _ = sender.send(outcome);
            wake();
        });
        Self {
            steps,
            shared,
            result,
            started: Instant::now(),
        }
    }

    pub fn step(&self) -> usize {
        self.shared.step.load(Ordering::Relaxed)
    }

    /// (step, loss) so far.
    pub fn losses(&self) -> Vec<[f64; 2]> {
        self.shared
            .losses
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    pub fn device(&self) -> String {
        self.shared
            .device
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.shared.cancel.load(Ordering::Relaxed)
    }

    /// The new weights' path once saved, or why there are none.
    pub fn poll(&self) -> Option<Result<PathBuf, String>> {
        match self.result.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Some(Err("the training thread stopped without a result".into()))
            }
        }
    }
}

impl Drop for FinetuneJob {
    fn drop(&mut self) {
        self.cancel();
    }
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
    shared: &Shared,
    wake: &dyn Fn(),
) -> Result<PathBuf, TrainError> {
    let first = request
        .files
        .first()
        .ok_or_else(|| TrainError::Data("no scene file".into()))?;
    if request.footprints.is_empty() {
        return Err(TrainError::Data(
            "there are no edited footprints to learn from".into(),
        ));
    }
    let device = select_device_sharing(DeviceChoice::Auto, request.shared_wgpu.as_ref())?;
    if let Ok(mut text) = shared.device.lock() {
        text.clone_from(&device.description);
    }
    wake();
    let card = load_weights(&request.weights, &device.device)?.card;
    let scene = Scene::open_many(&request.files).map_err(|e| TrainError::Data(e.to_string()))?;
    let crop = crop_for(scene.width(), scene.height());
    if crop < 32 {
        return Err(TrainError::Data(format!(
            "the scene ({} x {} px) is smaller than the network's 32 px",
            scene.width(),
            scene.height()
        )));
    }
    let rotation = rotation_by_card(first, &card.rotation)?;
    let name = first
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
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
    let started = Instant::now();
    run(
        &mut trainer,
        std::slice::from_ref(&data),
        &[],
        &mut |event| {
            if let Event::Step { step, loss, .. } = event {
                shared.step.store(*step, Ordering::Relaxed);
                if let Ok(mut losses) = shared.losses.lock() {
                    losses.push([*step as f64, f64::from(loss.total)]);
                }
                wake();
            }
            !shared.cancel.load(Ordering::Relaxed)
        },
    )?;
    let out = finetuned_path(first);
    let mut new_card = card.clone();
    new_card.name = format!("{} fine-tuned on {name}", card.name);
    new_card.provenance = format!(
        "fine-tuned by sarscope {} from {} on {} edited footprints of {} ({} steps of {} px crops, \
         AdamW 1e-4, {:.0} s on {}); before: {}",
        env!("CARGO_PKG_VERSION"),
        request.weights.display(),
        request.footprints.len(),
        first.display(),
        trainer.step,
        crop,
        started.elapsed().as_secs_f64(),
        device.description,
        card.provenance
    );
    new_card.scores.clear();
    trainer.save_weights(&out, &new_card)?;
    Ok(out)
}
