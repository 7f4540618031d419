//! Dataset mode ([`crate::session::dataset`]): a folder's scenes in a list on the left with
//! their F1 and review state, next and previous with one key (Page Down / Page Up), each
//! scene's edits journaled beside it as always, and the dataset's SpaceNet total, which
//! follows the edits of the scene in view.

use std::path::Path;

use eframe::egui;

use super::Viewer;
use crate::annotate::Role;
use crate::eval::Counts;
use crate::session::dataset::Dataset;
use crate::session::predict::WindowProgress;
use crate::session::{Job, SessionError};

/// The dataset the viewer walks, the scene of it in view, and the scoring of all its scenes.
pub struct DatasetView {
    pub data: Dataset,
    pub current: usize,
    scoring: Option<Job<Vec<Result<Counts, String>>, WindowProgress>>,
}

impl Viewer {
    /// Opens the folder `folder` as a dataset (`predictions`: a SpaceNet CSV of its scenes'
    /// predictions), scores its scenes in the background and shows the first.
    pub fn open_dataset(
        &mut self,
        ctx: &egui::Context,
        folder: &Path,
        predictions: Option<&Path>,
    ) -> Result<(), SessionError> {
        self.show_dataset(ctx, Dataset::open(folder, predictions)?);
        Ok(())
    }

    /// Walks the opened dataset `data`: its scenes scored in the background, the first shown.
    pub fn show_dataset(&mut self, ctx: &egui::Context, data: Dataset) {
        let for_job = data.clone();
        self.waker.set(ctx);
        let scoring = Job::spawn(
            // The panel repaints itself while the scenes are scored (the workers cannot wake).
            move |shared: &crate::session::Shared<WindowProgress>, _| {
                Ok(for_job.score_all(&|done, total| {
                    shared.progress.set(done, total);
                    !shared.cancelled()
                }))
            },
            self.waker.wake_fn(),
        );
        self.dataset = Some(DatasetView {
            data,
            current: 0,
            scoring: Some(scoring),
        });
        self.go_to_scene(ctx, 0);
    }

    /// Opens `folder` as a dataset (`predictions`: a SpaceNet CSV of its scenes); a folder
    /// that is not one is said where opening failures are.
    pub fn open_folder(&mut self, ctx: &egui::Context, folder: &Path, predictions: Option<&Path>) {
        if let Err(e) = self.open_dataset(ctx, folder, predictions) {
            self.opening.error = Some(e.to_string());
        }
    }

    /// The dataset being walked, if one is open.
    pub fn dataset(&self) -> Option<&Dataset> {
        self.dataset.as_ref().map(|d| &d.data)
    }

    /// The dataset's scene in view (its index).
    pub fn dataset_index(&self) -> Option<usize> {
        self.dataset.as_ref().map(|d| d.current)
    }

    /// Whether the dataset's scenes are still being scored.
    pub fn dataset_scoring(&self) -> bool {
        self.dataset.as_ref().is_some_and(|d| d.scoring.is_some())
    }

    /// Opens the dataset's scene `index`.
    pub fn go_to_scene(&mut self, ctx: &egui::Context, index: usize) {
        let Some(view) = self.dataset.as_mut() else {
            return;
        };
        let Some(scene) = view.data.scenes.get_mut(index) else {
            return;
        };
        scene.seen = true;
        view.current = index;
        let file = scene.file.clone();
        self.open(ctx, vec![file]);
    }

    /// The next (or previous) scene of the dataset; false at either end.
    pub fn step_dataset(&mut self, ctx: &egui::Context, forward: bool) -> bool {
        let Some(view) = &self.dataset else {
            return false;
        };
        let next = if forward {
            Some(view.current + 1).filter(|&i| i < view.data.scenes.len())
        } else {
            view.current.checked_sub(1)
        };
        match next {
            Some(index) => {
                self.go_to_scene(ctx, index);
                true
            }
            None => false,
        }
    }

    /// Takes the scores of the dataset's scenes once they are in (the scene in view keeps its
    /// live score).
    pub(super) fn poll_dataset(&mut self) {
        let Some(view) = self.dataset.as_mut() else {
            return;
        };
        let Some(result) = view.scoring.as_ref().and_then(|j| j.poll()) else {
            return;
        };
        view.scoring = None;
        if let Ok(scores) = result {
            view.data.set_scores(scores);
        }
        self.dataset_rescored();
    }

    /// Whether the scene in view is the dataset's current scene.
    fn showing_dataset_scene(&self) -> Option<usize> {
        let view = self.dataset.as_ref()?;
        let file = &view.data.scenes.get(view.current)?.file;
        (self.scene.files.first() == Some(file)).then_some(view.current)
    }

    /// A dataset scene just opened: its ground truth from the dataset's CSV (when the dataset
    /// has one) and its predictions from the dataset's predictions file.
    pub(super) fn dataset_layers(&mut self) {
        let Some(index) = self.showing_dataset_scene() else {
            return;
        };
        let Some(view) = &self.dataset else {
            return;
        };
        let grid = self.scene.grid.as_ref();
        if !self.scene.layers.iter().any(|l| l.role == Role::Truth) {
            match view.data.truth_layer(index, grid) {
                Ok(Some(truth)) => self.scene.layers.insert(0, truth),
                Ok(None) => {}
                Err(e) => self.scene.layer_error = Some(e.to_string()),
            }
        }
        if let Some(predictions) = view.data.predictions_layer(index)
            && !self
                .scene
                .layers
                .iter()
                .any(|l| l.role == Role::Predictions)
        {
            self.scene.layers.push(predictions);
        }
    }

    /// After a rescore: the scene in view's live score is its score in the dataset.
    pub(super) fn dataset_rescored(&mut self) {
        let Some(index) = self.showing_dataset_scene() else {
            return;
        };
        let counts = self.layers.scoring.as_ref().map(|s| s.counts());
        let edited = self.edit.editor.as_ref().is_some_and(|e| e.can_undo());
        let has_truth = self.scene.layers.iter().any(|l| l.role == Role::Truth);
        let Some(scene) = self
            .dataset
            .as_mut()
            .and_then(|v| v.data.scenes.get_mut(index))
        else {
            return;
        };
        if let Some(counts) = counts {
            (scene.counts, scene.note) = (Some(counts), None);
        } else if !has_truth {
            (scene.counts, scene.note) = (None, Some("no ground truth".into()));
        }
        scene.edited |= edited;
    }

    /// Page Down / Page Up: the next and previous scene.
    pub(super) fn dataset_keys(&mut self, ctx: &egui::Context) {
        if self.dataset.is_none() || ctx.egui_wants_keyboard_input() {
            return;
        }
        let pressed = |key| ctx.input(|i| i.key_pressed(key) && i.modifiers.is_none());
        if pressed(egui::Key::PageDown) {
            self.step_dataset(ctx, true);
        }
        if pressed(egui::Key::PageUp) {
            self.step_dataset(ctx, false);
        }
    }

    /// The dataset panel: the total, and the scenes (only the rows in view are laid out, so a
    /// list of thousands costs what a screenful does).
    pub(super) fn dataset_ui(&mut self, ui: &mut egui::Ui) {
        let Some(view) = &self.dataset else {
            return;
        };
        let (total, scored) = view.data.total();
        ui.strong(format!(
            "{} ({} scenes)",
            view.data
                .folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            view.data.scenes.len()
        ));
        ui.label(format!(
            "SpaceNet total: F1 {:.3} (TP {}, FP {}, FN {}) over {scored} scored scenes",
            total.f1(),
            total.tp,
            total.fp,
            total.fn_
        ));
        if let Some(job) = &view.scoring {
            let (done, all) = job.progress().windows();
            ui.add(
                egui::ProgressBar::new(done as f32 / all.max(1) as f32)
                    .text(format!("scoring the scenes: {done} of {all}")),
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(200));
        }
        let predictions = view
            .data
            .predictions_file()
            .map(|p| p.display().to_string());
        let folder = view.data.folder.clone();
        ui.weak(match &predictions {
            Some(file) => format!("predictions: {file}"),
            None => "no predictions file: scenes are scored with their edits".into(),
        });
        if ui
            .button("Predictions CSV…")
            .on_hover_text("a SpaceNet CSV of the scenes' predictions (ImageId, pixel WKT)")
            .clicked()
            && let Some(file) = rfd::FileDialog::new()
                .add_filter("SpaceNet CSV", &["csv"])
                .pick_file()
        {
            self.open_folder(ui.ctx(), &folder, Some(&file));
        }
        ui.horizontal(|ui| {
            if ui.button("previous PgUp").clicked() {
                self.step_dataset(ui.ctx(), false);
            }
            if ui.button("next PgDn").clicked() {
                self.step_dataset(ui.ctx(), true);
            }
        });
        ui.separator();
        let Some(view) = &self.dataset else {
            return;
        };
        // One line a row (names cut short), for the rows in view to be found by their height.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut go = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, row_height, view.data.scenes.len(), |ui, rows| {
                for i in rows {
                    let Some(scene) = view.data.scenes.get(i) else {
                        continue;
                    };
                    let score = match (&scene.counts, &scene.note) {
                        (Some(c), _) => format!("F1 {:.2}", c.f1()),
                        (None, Some(note)) => note.clone(),
                        (None, None) => "…".into(),
                    };
                    let state = if scene.edited {
                        "edited"
                    } else if scene.seen {
                        "seen"
                    } else {
                        ""
                    };
                    // An SN6 ImageId's tile first: the strip is the same for many rows.
                    let id = match scene.image_id.rsplit_once("_tile_") {
                        Some((strip, n)) => format!("tile {n}  {strip}"),
                        None => scene.image_id.clone(),
                    };
                    let text = format!("{score}  {state}  {id}");
                    let row = ui.selectable_label(i == view.current, text);
                    if row
                        .on_hover_text(scene.file.display().to_string())
                        .clicked()
                    {
                        go = Some(i);
                    }
                }
            });
        if let Some(i) = go {
            self.go_to_scene(ui.ctx(), i);
        }
    }
}
