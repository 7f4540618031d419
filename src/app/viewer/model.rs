//! The Model section: which weights, Predict / Cancel with progress, and what the last run
//! gave. A finished prediction becomes the scene's probability map and a predictions layer,
//! scored live against the ground truth like any other.

use std::path::PathBuf;

use eframe::egui;

use crate::annotate::{Layer, Role};
use crate::app::predict::{PredictJob, Predicted};

use super::Viewer;

impl Viewer {
    /// The weights the Predict button runs; `predict_now` starts at the next frame.
    pub fn set_weights(&mut self, weights: Option<PathBuf>, predict_now: bool) {
        self.weights = weights;
        self.predict_pending = predict_now && self.weights.is_some();
    }

    /// Starts predicting the current scene with the chosen weights (a running prediction is
    /// cancelled first).
    pub fn predict(&mut self, ctx: &egui::Context) {
        let Some(weights) = self.weights.clone() else {
            self.predict_status = Some(Err("choose weights first".into()));
            return;
        };
        let ctx = ctx.clone();
        self.predict_status = None;
        self.predict_job = Some(PredictJob::start(
            self.scene.files.clone(),
            weights,
            move || ctx.request_repaint(),
        ));
    }

    /// A prediction is running.
    pub fn predicting(&self) -> bool {
        self.predict_job.is_some()
    }

    /// What the last prediction gave (`Ok`) or why it failed.
    pub fn prediction_status(&self) -> Option<&Result<String, String>> {
        self.predict_status.as_ref()
    }

    pub(super) fn poll_prediction(&mut self, ctx: &egui::Context) {
        if std::mem::take(&mut self.predict_pending) {
            self.predict(ctx);
        }
        let Some(job) = &self.predict_job else {
            return;
        };
        let Some(result) = job.poll() else {
            return;
        };
        let weights = job.weights.clone();
        let cancelled = job.cancelled();
        self.predict_job = None;
        self.predict_status = Some(match result {
            Ok(predicted) => Ok(self.take_prediction(predicted, weights)),
            Err(_) if cancelled => Err("cancelled".into()),
            Err(e) => Err(e),
        });
    }

    /// Installs a finished prediction: the probability map, and a predictions layer in place
    /// of an earlier one from the model.
    fn take_prediction(&mut self, predicted: Predicted, weights: PathBuf) -> String {
        let name = weights
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let layer_path = PathBuf::from(format!("{name} (predicted)"));
        let count = predicted.footprints.len();
        let layer = Layer {
            role: Role::Predictions,
            path: layer_path.clone(),
            footprints: predicted.footprints,
            visible: true,
            locked: false,
            width: 1.5,
        };
        // Predictions shown before (from a file, or the model's last run) step back: the new
        // ones are what gets scored.
        for l in &mut self.scene.layers {
            if l.role == Role::Predictions {
                l.visible = false;
            }
        }
        self.scene.layers.retain(|l| l.path != layer_path);
        self.scene.layers.push(layer);
        self.scene.probabilities = Some(predicted.probabilities);
        self.score_probabilities();
        self.rescore();
        format!(
            "{count} buildings in {:.1} s on {}",
            predicted.seconds, predicted.device
        )
    }

    pub(super) fn model_ui(&mut self, ui: &mut egui::Ui) {
        ui.separator();
        ui.strong("Model");
        ui.horizontal(|ui| {
            let name = self
                .weights
                .as_ref()
                .and_then(|w| w.file_name())
                .map_or_else(|| "no weights".into(), |n| n.to_string_lossy().into_owned());
            ui.label(name).on_hover_text(
                self.weights
                    .as_ref()
                    .map_or_else(String::new, |w| w.display().to_string()),
            );
            if ui
                .button("Weights…")
                .on_hover_text("a sarscope .bpk or the SN6 baseline's PyTorch checkpoint")
                .clicked()
                && let Some(path) = rfd::FileDialog::new().pick_file()
            {
                self.weights = Some(path);
            }
        });
        if let Some(job) = &self.predict_job {
            let (done, total) = job.progress();
            let fraction = if total > 0 {
                done as f32 / total as f32
            } else {
                0.0
            };
            let device = job.device();
            let text = if total == 0 {
                "loading the model…".to_string()
            } else {
                format!("{done}/{total} windows, {:.0} s", job.elapsed_s())
            };
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .text(text)
                        .desired_width(180.0),
                );
                if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            });
            if !device.is_empty() {
                ui.weak(device);
            }
        } else {
            let button = ui.add_enabled(
                self.weights.is_some() && self.scene.tiled.is_none(),
                egui::Button::new("Predict"),
            );
            let button = if self.scene.tiled.is_some() {
                button.on_disabled_hover_text(
                    "this scene is drawn from a pyramid: run `sarscope predict` on it and open \
                     the probability map",
                )
            } else {
                button.on_hover_text("run the UNet11 over the whole scene")
            };
            if button.clicked() {
                self.predict(ui.ctx());
            }
        }
        match &self.predict_status {
            Some(Ok(text)) => {
                ui.label(text);
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("Prediction: {e}"));
            }
            None => {}
        }
    }
}
