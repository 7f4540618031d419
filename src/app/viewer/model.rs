//! The Model section: which weights, Predict / Cancel with progress, and what the last run
//! gave. A finished prediction becomes the scene's probability map and a predictions layer,
//! scored live against the ground truth like any other.

use std::path::PathBuf;

use eframe::{egui, egui_wgpu};

use crate::annotate::{Layer, Role};
use crate::app::finetune::{FinetuneRequest, start_finetune};
use crate::app::gpu::install_probabilities;
use crate::app::predict::{PredictRequest, Predicted, TiledRegion, start_prediction};
use crate::model::{ProbTile, tiles_covering};
use crate::raster::Window;
use crate::render::Colormap;
use crate::render::overlay::OverlaySettings;

use super::Viewer;

/// How long the camera stays still before the model predicts what is in view.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(400);

/// The most probability tiles (512 px) a view may need for the model to run by itself; a
/// larger view waits for the Predict button.
pub const AUTO_TILES: usize = 16;

/// The overlay's texture is at most this many texels a side (a larger map is shown coarser).
const OVERLAY_TEXELS: usize = 4096;

/// What a prediction was of: with which weights, the whole scene or the tiles of a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PredictionKey {
    Whole(PathBuf),
    Tiles(PathBuf, Vec<ProbTile>),
}

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
        self.superseded = false;
        self.auto_job = false;
        let region = self.scene.tiled.map(|size| {
            let tiles = self.tiles_in_view();
            let cached = tiles
                .iter()
                .filter_map(|t| self.prob_tiles.get(&weights, *t).map(|v| (*t, v)))
                .collect();
            TiledRegion {
                size,
                tiles,
                cached,
            }
        });
        self.predicted = Some(self.prediction_key(&weights));
        self.predicting_with = Some(weights.clone());
        self.predict_job = Some(start_prediction(
            PredictRequest {
                files: self.scene.files.clone(),
                weights,
                region,
                shared_wgpu: self.shared_wgpu.clone(),
            },
            move || ctx.request_repaint(),
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
        if self.scene.tiled.is_some() {
            let mut tiles = self.tiles_in_view();
            tiles.sort();
            PredictionKey::Tiles(weights.to_path_buf(), tiles)
        } else {
            PredictionKey::Whole(weights.to_path_buf())
        }
    }

    /// Whether the model runs by itself once the camera settles.
    pub fn set_auto_predict(&mut self, on: bool) {
        self.state.auto_predict = on;
    }

    /// The probability map of the part of a large scene predicted last, and where it lies.
    pub fn view_probabilities(
        &self,
    ) -> Option<(Window, &crate::annotate::revectorize::Probabilities)> {
        self.view_probabilities.as_ref().map(|(r, p)| (*r, p))
    }

    /// Probability tiles of a large scene kept from earlier predictions.
    pub fn probability_tiles_kept(&self) -> usize {
        self.prob_tiles.len()
    }

    /// Starts the model on the view once the camera has been still for [`SETTLE`], unless this
    /// view was predicted (or tried) already; a prediction of a view the camera has left is
    /// cancelled (the tiles it finished are kept).
    fn auto_prediction(&mut self, ctx: &egui::Context) {
        let camera = (self.center, self.zoom, self.first_pane);
        if camera != self.camera_seen {
            self.camera_seen = camera;
            self.camera_moved_at = std::time::Instant::now();
            if let Some(job) = &self.predict_job
                && self.auto_job
                && self.predicted.as_ref()
                    != self
                        .weights
                        .as_ref()
                        .map(|w| self.prediction_key(w))
                        .as_ref()
            {
                self.superseded = true;
                job.cancel();
            }
        }
        let Some(weights) = &self.weights else {
            return;
        };
        let laid_out = self.scene.tiled.is_none() || self.first_pane.is_positive();
        if !self.state.auto_predict
            || self.own_predictions
            || !laid_out
            || self.predict_job.is_some()
            || self.finetune_job.is_some()
            || self.loading.is_some()
        {
            return;
        }
        let key = self.prediction_key(weights);
        if self.predicted.as_ref() == Some(&key) {
            return;
        }
        if let PredictionKey::Tiles(_, tiles) = &key
            && (tiles.is_empty() || tiles.len() > AUTO_TILES)
        {
            return;
        }
        let still = self.camera_moved_at.elapsed();
        if still < SETTLE {
            ctx.request_repaint_after(SETTLE - still);
            return;
        }
        self.predict(ctx);
        self.auto_job = true;
    }

    /// The full-resolution pixels the first pane shows (clamped to the scene).
    pub fn view_window(&self) -> Window {
        let (w, h) = self.scene.size();
        let rect = self.first_pane;
        if !rect.is_positive() {
            return Window {
                x: 0,
                y: 0,
                width: 0,
                height: 0,
            };
        }
        let half = rect.size() / (2.0 * self.zoom);
        let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max);
        let (x0, y0) = (
            clamp((self.center.x - half.x).floor(), w),
            clamp((self.center.y - half.y).floor(), h),
        );
        let (x1, y1) = (
            clamp((self.center.x + half.x).ceil(), w),
            clamp((self.center.y + half.y).ceil(), h),
        );
        Window {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// A prediction is running.
    pub fn predicting(&self) -> bool {
        self.predict_job.is_some()
    }

    /// Fine-tunes the chosen weights on the scene and the edited footprints for `steps` steps
    /// in the background; the new weights are saved beside the scene, chosen, and predicted
    /// with when done.
    pub fn improve_model(&mut self, ctx: &egui::Context, steps: usize) -> Result<(), String> {
        let weights = self.weights.clone().ok_or("choose weights first")?;
        let editor = self
            .editor
            .as_ref()
            .ok_or("edit the footprints first (the edit or draw tool)")?;
        let footprints: Vec<geo::MultiPolygon<f64>> = editor
            .footprints()
            .iter()
            .map(|f| f.polygon.clone())
            .collect();
        if footprints.is_empty() {
            return Err("there are no edited footprints to learn from".into());
        }
        let ctx = ctx.clone();
        self.predict_status = None;
        self.finetune_job = Some(start_finetune(
            FinetuneRequest {
                files: self.scene.files.clone(),
                footprints,
                weights,
                steps: steps.max(1),
                shared_wgpu: self.shared_wgpu.clone(),
            },
            move || ctx.request_repaint(),
        ));
        Ok(())
    }

    /// Fine-tuning is running.
    pub fn improving(&self) -> bool {
        self.finetune_job.is_some()
    }

    /// What the last prediction gave (`Ok`) or why it failed.
    pub fn prediction_status(&self) -> Option<&Result<String, String>> {
        self.predict_status.as_ref()
    }

    pub(super) fn poll_prediction(&mut self, ctx: &egui::Context) {
        // A scene drawn by tiles is predicted where the view is: wait for the first layout.
        let laid_out = self.scene.tiled.is_none() || self.first_pane.is_positive();
        if self.predict_pending && laid_out {
            self.predict_pending = false;
            self.predict(ctx);
        }
        self.auto_prediction(ctx);
        if let Some(job) = &self.finetune_job
            && let Some(result) = job.poll()
        {
            let cancelled = job.cancelled();
            self.finetune_job = None;
            match result {
                Ok(path) => {
                    self.weights = Some(path);
                    self.predict(ctx);
                }
                Err(_) if cancelled => {
                    self.predict_status = Some(Err("fine-tuning cancelled".into()));
                }
                Err(e) => self.predict_status = Some(Err(format!("fine-tuning: {e}"))),
            }
        }
        let Some(job) = &self.predict_job else {
            return;
        };
        // Tiles finished so far are kept, whatever becomes of the job.
        if let Some(weights) = &self.predicting_with {
            for (tile, values) in job.progress().take_tiles() {
                self.prob_tiles.insert(weights, tile, values);
            }
        }
        let Some(result) = job.poll() else {
            return;
        };
        let cancelled = job.cancelled();
        self.predict_job = None;
        self.predicting_with = None;
        self.predict_status = match result {
            Ok(predicted) => Some(Ok(self.take_prediction(predicted))),
            // The view moved on: the next one is predicted when the camera settles.
            Err(_) if cancelled && self.superseded => None,
            Err(_) if cancelled => Some(Err("cancelled".into())),
            Err(e) => Some(Err(e)),
        };
        if self.predict_status.is_none() {
            // Let the view where the camera is now be predicted.
            self.predicted = None;
        }
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
                self.score_probabilities();
            }
            Some(region) => {
                self.view_probabilities = Some((region, predicted.probabilities));
            }
        }
        self.overlay_dirty = true;
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
                    self.weights.is_some(),
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
        ui.checkbox(
            &mut self.state.auto_predict,
            "predict when the view settles",
        )
        .on_hover_text(if self.own_predictions {
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
            if !self.prob_tiles.is_empty() {
                let kept = self.prob_tiles.len();
                let unit = if kept == 1 { "tile" } else { "tiles" };
                ui.weak(format!("{kept} {unit} predicted and kept"));
            }
        }
        self.overlay_ui(ui);
        self.finetune_ui(ui);
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

impl Viewer {
    fn finetune_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(job) = &self.finetune_job {
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
        let edited = self.editor.as_ref().map_or(0, |e| e.footprints().len());
        let ready = self.weights.is_some()
            && edited > 0
            && self.scene.tiled.is_none()
            && self.predict_job.is_none();
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
                egui::DragValue::new(&mut self.finetune_steps)
                    .range(1..=5000)
                    .suffix(" steps"),
            );
            if button.clicked()
                && let Err(e) = self.improve_model(ui.ctx(), self.finetune_steps)
            {
                self.predict_status = Some(Err(e));
            }
        });
    }
}

impl Viewer {
    /// Puts the probability map on the GPU for the overlay after it changed: the scene's, or
    /// that of the part of a large scene predicted last (one upload per map; the overlay's
    /// settings are uniforms).
    pub(super) fn sync_overlay(&mut self, render: &egui_wgpu::RenderState) {
        if !std::mem::take(&mut self.overlay_dirty) {
            return;
        }
        let (w, h) = self.scene.size();
        let whole = Window {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        let map = match self.scene.tiled {
            None => self.scene.probabilities.as_ref().map(|p| (whole, p)),
            Some(_) => self.view_probabilities.as_ref().map(|(r, p)| (*r, p)),
        };
        // A map larger than the overlay's texture is shown at every k-th pixel.
        let coarse = map.and_then(|(_, p)| {
            let k = p.width.max(p.height).div_ceil(OVERLAY_TEXELS);
            (k > 1).then(|| every_kth(&p.values, p.width, p.height, k))
        });
        let texels = map.map(|(region, p)| {
            let (values, tw, th) = match &coarse {
                Some((v, tw, th)) => (v.as_slice(), *tw, *th),
                None => (p.values.as_slice(), p.width, p.height),
            };
            (region, values, tw, th)
        });
        match install_probabilities(render, texels.map(|(_, v, tw, th)| (v, tw, th))) {
            Ok(()) => {
                self.overlay_installed = texels.map(|(region, _, tw, th)| (region, (tw, th)));
                self.overlay_uploads += usize::from(texels.is_some());
            }
            Err(e) => {
                self.overlay_installed = None;
                self.predict_status = Some(Err(format!("the probability overlay: {e}")));
            }
        }
    }

    /// The probability overlay is drawn (a map is on the GPU and the overlay is on).
    pub fn overlay_shown(&self) -> bool {
        self.overlay_on && self.overlay_installed.is_some()
    }

    /// Probability maps uploaded so far (one per map, none for overlay settings).
    pub fn overlay_uploads(&self) -> usize {
        self.overlay_uploads
    }

    pub fn set_overlay(&mut self, on: bool, settings: OverlaySettings) {
        self.overlay_on = on;
        self.overlay = settings;
    }

    fn overlay_ui(&mut self, ui: &mut egui::Ui) {
        if self.overlay_installed.is_none() {
            return;
        }
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.overlay_on, "probabilities")
                .on_hover_text("the probability map over the scene, from the threshold up");
            egui::ComboBox::from_id_salt("overlay colormap")
                .width(80.0)
                .selected_text(self.overlay.colormap.name())
                .show_ui(ui, |ui| {
                    for c in Colormap::ALL {
                        ui.selectable_value(&mut self.overlay.colormap, c, c.name());
                    }
                });
        });
        ui.add(
            egui::Slider::new(&mut self.overlay.opacity, 0.0..=1.0)
                .text("opacity")
                .max_decimals(2),
        );
        ui.add(
            egui::Slider::new(&mut self.overlay.threshold, 0.0..=1.0)
                .text("from p")
                .max_decimals(2),
        )
        .on_hover_text(
            "probabilities below this are not drawn: at the model's threshold (0.5) the overlay \
             is the mask the footprints are traced from",
        );
    }
}

/// Every `k`-th pixel of a `width` x `height` map, from the first: the map shown coarser.
fn every_kth(values: &[f32], width: usize, height: usize, k: usize) -> (Vec<f32>, usize, usize) {
    let (w, h) = (width.div_ceil(k), height.div_ceil(k));
    let mut out = Vec::with_capacity(w * h);
    for y in (0..height).step_by(k) {
        out.extend(values[y * width..(y + 1) * width].iter().step_by(k));
    }
    (out, w, h)
}
