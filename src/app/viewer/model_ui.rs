//! The Model section: which weights, Predict / Cancel with progress, fine-tuning, and what the
//! last run gave. A finished prediction becomes the scene's probability map (drawn by the
//! overlay) and a predictions layer, scored live against the ground truth like any other.

use std::path::PathBuf;

use eframe::{egui, egui_wgpu};

use crate::annotate::{Layer, Role};
use crate::app::gpu::install_probabilities;
use crate::model::{ProbTile, tiles_covering};
use crate::raster::Window;
use crate::render::overlay::OverlaySettings;
use crate::session::SessionError;
use crate::session::finetune::{FinetuneRequest, start_finetune};
use crate::session::predict::{PredictRequest, Predicted, TiledRegion, start_prediction};

use super::Viewer;
use super::overlay::OverlayMap;
use super::prediction::{AUTO_TILES, PredictionKey};

impl Viewer {
    /// The weights the Predict button runs; `predict_now` starts at the next frame.
    pub fn set_weights(&mut self, weights: Option<PathBuf>, predict_now: bool) {
        self.prediction.pending = predict_now && weights.is_some();
        self.prediction.weights = weights;
    }

    /// Starts predicting the current scene with the chosen weights (a running prediction is
    /// cancelled first).
    pub fn predict(&mut self, ctx: &egui::Context) {
        let Some(weights) = self.prediction.weights.clone() else {
            self.prediction.status = Some(Err("choose weights first".into()));
            return;
        };
        self.waker.set(ctx);
        self.prediction.status = None;
        self.prediction.superseded = false;
        self.prediction.auto_job = false;
        let region = self.scene.tiled.map(|size| {
            let tiles = self.tiles_in_view();
            let cached = tiles
                .iter()
                .filter_map(|t| self.prediction.tiles.get(&weights, *t).map(|v| (*t, v)))
                .collect();
            TiledRegion {
                size,
                tiles,
                cached,
            }
        });
        self.prediction.predicted = Some(self.prediction_key(&weights));
        self.prediction.predicting_with = Some(weights.clone());
        self.prediction.job = Some(start_prediction(
            PredictRequest {
                files: self.scene.files.clone(),
                weights,
                region,
                shared_wgpu: self.prediction.shared_wgpu.clone(),
                regularize: self
                    .state
                    .right_angles
                    .then(|| crate::annotate::regularize_params(self.scene.grid.as_ref())),
            },
            self.waker.wake_fn(),
        ));
    }

    /// The probability tiles the first pane shows (a scene drawn by tiles), nearest the
    /// centre first.
    fn tiles_in_view(&self) -> Vec<ProbTile> {
        self.scene
            .tiled
            .map_or_else(Vec::new, |size| tiles_covering(self.view_window(), size))
    }

    /// What predicting now with `weights` would be of.
    fn prediction_key(&self, weights: &std::path::Path) -> PredictionKey {
        PredictionKey::new(
            weights,
            self.scene.tiled.is_some().then(|| self.tiles_in_view()),
        )
    }

    /// Whether the model runs by itself once the camera settles.
    pub fn set_auto_predict(&mut self, on: bool) {
        self.state.auto_predict = on;
    }

    /// The probability map of the part of a large scene predicted last, and where it lies.
    pub fn view_probabilities(
        &self,
    ) -> Option<(Window, &crate::annotate::revectorize::Probabilities)> {
        self.prediction
            .view_probabilities
            .as_ref()
            .map(|(r, p)| (*r, p))
    }

    /// Probability tiles of a large scene kept from earlier predictions.
    pub fn probability_tiles_kept(&self) -> usize {
        self.prediction.tiles.len()
    }

    /// Starts the model on the view once the camera has been still for [`SETTLE`], unless this
    /// view was predicted (or tried) already; a prediction of a view the camera has left is
    /// cancelled (the tiles it finished are kept).
    fn auto_prediction(&mut self, ctx: &egui::Context) {
        let camera = (self.camera.center, self.camera.zoom, self.camera.pane());
        if self.prediction.note_camera(camera)
            && let Some(job) = &self.prediction.job
            && self.prediction.auto_job
            && self.prediction.predicted.as_ref()
                != self
                    .prediction
                    .weights
                    .as_ref()
                    .map(|w| self.prediction_key(w))
                    .as_ref()
        {
            self.prediction.superseded = true;
            job.cancel();
        }
        let Some(weights) = &self.prediction.weights else {
            return;
        };
        let laid_out = self.scene.tiled.is_none() || self.camera.pane().is_positive();
        if !self.state.auto_predict
            || self.prediction.own_predictions
            || !laid_out
            || self.prediction.busy()
            || self.opening.loading.is_some()
        {
            return;
        }
        let key = self.prediction_key(weights);
        if self.prediction.predicted.as_ref() == Some(&key) || !key.auto() {
            return;
        }
        let still = self.prediction.settling();
        if !still.is_zero() {
            ctx.request_repaint_after(still);
            return;
        }
        self.predict(ctx);
        self.prediction.auto_job = true;
    }

    /// A prediction is running.
    pub fn predicting(&self) -> bool {
        self.prediction.job.is_some()
    }

    /// Fine-tunes the chosen weights on the scene and the edited footprints for `steps` steps
    /// in the background; the new weights are saved beside the scene, chosen, and predicted
    /// with when done.
    pub fn improve_model(&mut self, ctx: &egui::Context, steps: usize) -> Result<(), ImproveError> {
        let weights = self
            .prediction
            .weights
            .clone()
            .ok_or(ImproveError::NoWeights)?;
        let editor = self.edit.editor.as_ref().ok_or(ImproveError::NotEditing)?;
        let footprints: Vec<geo::MultiPolygon<f64>> = editor
            .footprints()
            .iter()
            .map(|f| f.polygon.clone())
            .collect();
        if footprints.is_empty() {
            return Err(SessionError::NoEditedFootprints.into());
        }
        self.waker.set(ctx);
        self.prediction.status = None;
        self.prediction.finetune_job = Some(start_finetune(
            FinetuneRequest {
                files: self.scene.files.clone(),
                footprints,
                weights,
                steps: steps.max(1),
                shared_wgpu: self.prediction.shared_wgpu.clone(),
            },
            self.waker.wake_fn(),
        ));
        Ok(())
    }

    /// Fine-tuning is running.
    pub fn improving(&self) -> bool {
        self.prediction.finetune_job.is_some()
    }

    /// What the last prediction gave (`Ok`) or why it failed.
    pub fn prediction_status(&self) -> Option<&Result<String, String>> {
        self.prediction.status.as_ref()
    }

    pub(super) fn poll_prediction(&mut self, ctx: &egui::Context) {
        // A scene drawn by tiles is predicted where the view is: wait for the first layout.
        let laid_out = self.scene.tiled.is_none() || self.camera.pane().is_positive();
        if self.prediction.pending && laid_out {
            self.prediction.pending = false;
            self.predict(ctx);
        }
        self.auto_prediction(ctx);
        if let Some(job) = &self.prediction.finetune_job
            && let Some(result) = job.poll()
        {
            let cancelled = job.cancelled();
            self.prediction.finetune_job = None;
            match result {
                Ok(path) => {
                    self.prediction.weights = Some(path);
                    self.predict(ctx);
                }
                Err(_) if cancelled => {
                    self.prediction.status = Some(Err("fine-tuning cancelled".into()));
                }
                Err(e) => self.prediction.status = Some(Err(format!("fine-tuning: {e}"))),
            }
        }
        let prediction = &mut self.prediction;
        let Some(job) = &prediction.job else {
            return;
        };
        // Tiles finished so far are kept, whatever becomes of the job.
        if let Some(weights) = &prediction.predicting_with {
            for (tile, values) in job.progress().take_tiles() {
                prediction.tiles.insert(weights, tile, values);
            }
        }
        let Some(result) = job.poll() else {
            return;
        };
        let cancelled = job.cancelled();
        let superseded = prediction.superseded;
        prediction.job = None;
        prediction.predicting_with = None;
        let status = match result {
            Ok(predicted) => Some(Ok(self.take_prediction(predicted))),
            // The view moved on: the next one is predicted when the camera settles.
            Err(_) if cancelled && superseded => None,
            Err(_) if cancelled => Some(Err("cancelled".into())),
            Err(e) => Some(Err(e.to_string())),
        };
        if status.is_none() {
            // Let the view where the camera is now be predicted.
            self.prediction.predicted = None;
        }
        self.prediction.status = status;
    }

    /// Installs a finished prediction: the probability map, and a predictions layer in place
    /// of an earlier one from the model.
    fn take_prediction(&mut self, predicted: Predicted) -> String {
        let name = predicted
            .weights
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let whole = predicted.region.is_none();
        let layer_path = PathBuf::from(if whole {
            format!("{name} (predicted)")
        } else {
            format!("{name} (predicted, the view)")
        });
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
        match predicted.region {
            None => {
                self.scene.probabilities = Some(predicted.probabilities);
                self.scene.edge_contact = predicted.edge_contact;
                self.score_probabilities();
            }
            Some(region) => {
                self.prediction.view_probabilities = Some((region, predicted.probabilities));
                self.prediction.view_edge_contact = predicted.edge_contact;
            }
        }
        self.overlay.changed();
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
                .prediction
                .weights
                .as_ref()
                .and_then(|w| w.file_name())
                .map_or_else(|| "no weights".into(), |n| n.to_string_lossy().into_owned());
            ui.label(name).on_hover_text(
                self.prediction
                    .weights
                    .as_ref()
                    .map_or_else(String::new, |w| w.display().to_string()),
            );
            if ui
                .button("Weights…")
                .on_hover_text("a sarscope .bpk or the SN6 baseline's PyTorch checkpoint")
                .clicked()
                && let Some(path) = rfd::FileDialog::new().pick_file()
            {
                self.prediction.weights = Some(path);
            }
        });
        if let Some(job) = &self.prediction.job {
            let (done, total) = job.progress().windows();
            let fraction = if total > 0 {
                done as f32 / total as f32
            } else {
                0.0
            };
            let device = job.device();
            let unit = if self.scene.tiled.is_some() {
                "tiles"
            } else {
                "windows"
            };
            let text = if total == 0 {
                "loading the model…".to_string()
            } else {
                format!("{done}/{total} {unit}, {:.0} s", job.elapsed_s())
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
            let tiled = self.scene.tiled.is_some();
            let button = ui
                .add_enabled(
                    self.prediction.weights.is_some(),
                    egui::Button::new(if tiled { "Predict the view" } else { "Predict" }),
                )
                .on_hover_text(if tiled {
                    "run the UNet11 over the part of this large scene in view, at full \
                     resolution (for all of it: `sarscope predict`)"
                } else {
                    "run the UNet11 over the whole scene"
                })
                .on_disabled_hover_text("choose weights first");
            if button.clicked() {
                self.predict(ui.ctx());
            }
        }
        ui.checkbox(&mut self.state.right_angles, "right angles")
            .on_hover_text(
                "straighten the traced buildings to right angles (those near them; round or \
                 slanted ones stay as traced), at the next prediction",
            );
        ui.checkbox(
            &mut self.state.auto_predict,
            "predict when the view settles",
        )
        .on_hover_text(if self.prediction.own_predictions {
            "this scene came with predictions of its own: the model waits for Predict"
        } else {
            "run the model on what is in view once the camera stops (a large scene: the \
                 512 px tiles in view at full resolution, kept, so panning back is instant)"
        });
        if self.scene.tiled.is_some() {
            let tiles = self.tiles_in_view().len();
            if self.state.auto_predict && tiles > AUTO_TILES {
                ui.weak(format!(
                    "{tiles} tiles in view: zoom in to {AUTO_TILES} or fewer for the model to \
                     run by itself"
                ));
            }
            if !self.prediction.tiles.is_empty() {
                let kept = self.prediction.tiles.len();
                let unit = if kept == 1 { "tile" } else { "tiles" };
                ui.weak(format!("{kept} {unit} predicted and kept"));
            }
        }
        self.overlay.ui(ui, self.has_edge_contact_maps());
        self.finetune_ui(ui);
        match &self.prediction.status {
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

impl Viewer {
    fn finetune_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(job) = &self.prediction.finetune_job {
            let (step, steps) = job.progress().steps();
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(step as f32 / steps.max(1) as f32)
                        .text(format!(
                            "training {step}/{steps} steps, {:.0} s",
                            job.elapsed_s()
                        ))
                        .desired_width(180.0),
                );
                if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            });
            let losses = job.progress().losses();
            super::histogram::panel_plot("fine-tuning loss", 90.0)
                .x_axis_label("step")
                .y_axis_label("loss")
                .show(ui, |plot| {
                    plot.line(egui_plot::Line::new("dice + 10 focal", losses));
                });
            let device = job.device();
            if !device.is_empty() {
                ui.weak(device);
            }
            return;
        }
        let edited = self
            .edit
            .editor
            .as_ref()
            .map_or(0, |e| e.footprints().len());
        let ready = self.prediction.weights.is_some()
            && edited > 0
            && self.scene.tiled.is_none()
            && self.prediction.job.is_none();
        ui.horizontal(|ui| {
            let button = ui
                .add_enabled(ready, egui::Button::new("Improve the model with my edits"))
                .on_hover_text(
                    "fine-tune the weights on this scene and your edited footprints, save them \
                     beside the scene and predict again",
                )
                .on_disabled_hover_text(
                    "needs weights and edited footprints (the edit or draw tool), on a scene \
                     that is not drawn from a pyramid",
                );
            ui.add(
                egui::DragValue::new(&mut self.prediction.finetune_steps)
                    .range(1..=5000)
                    .suffix(" steps"),
            );
            if button.clicked()
                && let Err(e) = self.improve_model(ui.ctx(), self.prediction.finetune_steps)
            {
                self.prediction.status = Some(Err(e.to_string()));
            }
        });
    }
}

/// Why fine-tuning could not start.
#[derive(Debug, thiserror::Error)]
pub enum ImproveError {
    #[error("choose weights first")]
    NoWeights,
    #[error("edit the footprints first (the edit or draw tool)")]
    NotEditing,
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl Viewer {
    /// Puts the probability map on the GPU for the overlay after it changed: the scene's, or
    /// that of the part of a large scene predicted last (one upload per map; the overlay's
    /// settings are uniforms).
    pub(super) fn sync_overlay(&mut self, render: &egui_wgpu::RenderState) {
        let (w, h) = self.scene.size();
        let whole = Window {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        let map = match self.scene.tiled {
            None => match (self.overlay.map, &self.scene.edge_contact) {
                (OverlayMap::Edge, Some([edge, _])) => Some((whole, edge)),
                (OverlayMap::Contact, Some([_, contact])) => Some((whole, contact)),
                _ => self.scene.probabilities.as_ref().map(|p| (whole, p)),
            },
            Some(_) => {
                let view = &self.prediction;
                match (
                    self.overlay.map,
                    &view.view_probabilities,
                    &view.view_edge_contact,
                ) {
                    (OverlayMap::Edge, Some((r, _)), Some([edge, _])) => Some((*r, edge)),
                    (OverlayMap::Contact, Some((r, _)), Some([_, contact])) => Some((*r, contact)),
                    (_, view, _) => view.as_ref().map(|(r, p)| (*r, p)),
                }
            }
        };
        let Some(texels) = self.overlay.changed_map(map) else {
            return;
        };
        let upload = texels.as_ref().map(|(_, v, tw, th)| (v.as_ref(), *tw, *th));
        let installed = install_probabilities(render, upload);
        let region = texels
            .as_ref()
            .map(|(region, _, tw, th)| (*region, (*tw, *th)));
        match installed {
            Ok(()) => self.overlay.installed(region),
            Err(e) => {
                self.overlay.installed(None);
                self.prediction.status = Some(Err(format!("the probability overlay: {e}")));
            }
        }
    }

    /// The probability overlay is drawn (a map is on the GPU and the overlay is on).
    pub fn overlay_shown(&self) -> bool {
        self.overlay.shown_region().is_some()
    }

    /// Probability maps uploaded so far (one per map, none for overlay settings).
    pub fn overlay_uploads(&self) -> usize {
        self.overlay.uploads()
    }

    pub fn set_overlay(&mut self, on: bool, settings: OverlaySettings) {
        self.overlay.on = on;
        self.overlay.settings = settings;
    }

    /// Shows another of a three-map prediction's maps (the footprint map when there is only
    /// one); it is uploaded at the next frame.
    pub fn set_overlay_map(&mut self, map: OverlayMap) {
        if self.overlay.map != map {
            self.overlay.map = map;
            self.overlay.changed();
        }
    }

    /// Whether the prediction shown (of the scene, or of the view of a scene drawn by tiles)
    /// has edge and contact maps (a three-map network's).
    pub fn has_edge_contact_maps(&self) -> bool {
        match self.scene.tiled {
            None => self.scene.edge_contact.is_some(),
            Some(_) => self.prediction.view_edge_contact.is_some(),
        }
    }
}
