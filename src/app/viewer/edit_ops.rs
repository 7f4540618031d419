//! What the edit tools do to the scene's edits, whatever drives them (keys, pointer, panel,
//! tests): choosing a tool, starting the edits layer, scoring and saving after every edit,
//! undo and redo, re-vectorizing a building, opening a probability map, exporting.

use eframe::egui;

use super::Viewer;
use super::edit::Tool;
use crate::annotate::edit::EditableLayer;
use crate::annotate::{Layer, Role, journal};
use crate::io::{Footprints, Space, image_id_of};
use crate::session::{SessionError, export_footprints, load_probabilities};

impl Viewer {
    pub fn tool(&self) -> Tool {
        self.edit.tool
    }

    pub fn set_tool(&mut self, tool: Tool) {
        if tool != Tool::Navigate {
            self.start_editing();
        }
        if tool != Tool::Draw {
            self.edit.draft.clear();
        }
        self.edit.tool = tool;
    }

    /// Why the last edit was refused (or the edits could not be saved).
    pub fn edit_message(&self) -> Option<&str> {
        self.edit.message.as_deref()
    }

    /// Writes the edited footprints (or the predictions when nothing is edited) to `path`
    /// (.geojson, .csv or .gpkg) with their IoU against the ground truth and their area, in the
    /// scene's CRS or, with `wgs84`, in longitude/latitude (RFC 7946).
    pub fn export(&self, path: &std::path::Path, wgs84: bool) -> Result<usize, SessionError> {
        let layers = self.all_layers();
        let source = match &self.edit.editor {
            Some(editor) => Some(&editor.layer),
            None => layers
                .iter()
                .copied()
                .find(|l| l.role == Role::Predictions && l.visible),
        }
        .ok_or(SessionError::NothingToExport)?;
        let mut items = source.footprints.clone();
        let scoring = self.scoring();
        for (k, f) in items.iter_mut().enumerate() {
            f.iou = scoring
                .and_then(|s| s.predictions.get(k).copied().flatten())
                .map(|(_, iou)| iou);
            // Measured again in the CRS: an edited footprint's area is not the model's.
            f.area_m2 = None;
        }
        let set = Footprints {
            items,
            space: Space::Pixel,
            image_id: self.scene.files.first().map(|f| image_id_of(f)),
        };
        let written = export_footprints(path, set, self.scene.grid.as_ref(), wgs84)?;
        Ok(written.items.len())
    }

    /// Opens a probability map (the scene's size; a three-map file gives the edge and contact
    /// maps too) for re-vectorizing buildings.
    pub fn set_probabilities(&mut self, path: &std::path::Path) -> Result<(), SessionError> {
        let maps = load_probabilities(path, self.scene.size())?;
        self.scene.probabilities = Some(maps.footprint);
        self.scene.edge_contact = maps.edge_contact;
        self.overlay.changed();
        self.score_probabilities();
        Ok(())
    }

    /// Traces the selected edited footprint again from the probability map at `threshold`.
    pub fn revectorize_selected(&mut self, threshold: f32) -> Result<(), RevectorizeError> {
        let probs = self
            .scene
            .probabilities
            .as_ref()
            .ok_or(RevectorizeError::NoMap)?;
        let index = self.edit.selected.ok_or(RevectorizeError::NoSelection)?;
        let editor = self
            .edit
            .editor
            .as_mut()
            .ok_or(RevectorizeError::NotEditing)?;
        let footprint = editor
            .footprints()
            .get(index)
            .ok_or(RevectorizeError::SelectionGone)?;
        let (polygon, confidence) = crate::annotate::revectorize::revectorize_maps(
            probs,
            self.scene.edge_contact.as_ref(),
            &footprint.polygon,
            threshold,
        )
        .ok_or(RevectorizeError::NothingAbove(threshold))?;
        let result = editor.reshape_to(index, polygon, confidence);
        if self.edit.report(result.clone()) {
            self.edited();
        }
        Ok(result?)
    }

    /// Straightens the selected edited footprint to right angles or, with none selected, every
    /// edited footprint in view (Q), as one step that one undo takes back. The strip says
    /// what was done and why any footprint was left as it was.
    pub fn regularize_selected_or_in_view(&mut self) {
        self.start_editing();
        let params = crate::annotate::regularize_params(self.scene.grid.as_ref());
        let pane = self.camera.pane();
        let seen = pane.is_positive().then(|| self.camera.scene_rect(pane));
        let Some(editor) = self.edit.editor.as_mut() else {
            return;
        };
        let indices: Vec<usize> = match self.edit.selected {
            Some(index) => vec![index],
            None => editor
                .footprints()
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    use geo::BoundingRect;
                    let (Some(seen), Some(b)) = (seen, f.polygon.bounding_rect()) else {
                        return true;
                    };
                    seen.intersects(egui::Rect::from_min_max(
                        egui::pos2(b.min().x as f32, b.min().y as f32),
                        egui::pos2(b.max().x as f32, b.max().y as f32),
                    ))
                })
                .map(|(i, _)| i)
                .collect(),
        };
        if indices.is_empty() {
            self.edit.message = Some("no edited footprints in view to straighten".into());
            return;
        }
        match editor.regularize(&indices, params) {
            Ok(done) => {
                self.edit.message = Some(done.summary());
                self.after_edit(!done.changed.is_empty());
            }
            Err(e) => self.edit.message = Some(format!("refused: {e}")),
        }
    }

    /// The layer being edited, if editing has started.
    pub fn edits(&self) -> Option<&EditableLayer> {
        self.edit.editor.as_ref()
    }

    /// Makes the edits layer: the saved edits, else a copy of the predictions, else empty.
    pub(super) fn start_editing(&mut self) {
        if self.edit.editor.is_some() {
            return;
        }
        let Some(file) = self.scene.files.first() else {
            return;
        };
        let mut layer = match self.scene.edits.take() {
            Some(saved) => saved,
            None => {
                let from = self
                    .scene
                    .layers
                    .iter()
                    .find(|l| l.role == Role::Predictions && l.visible);
                Layer {
                    role: Role::Predictions,
                    path: journal::sidecar_path(file, self.scene.grid.is_some()),
                    footprints: from.map(|l| l.footprints.clone()).unwrap_or_default(),
                    visible: true,
                    locked: false,
                    width: 2.0,
                }
            }
        };
        layer.locked = false;
        // The edits replace the predictions they started from in the view and the score.
        for l in &mut self.scene.layers {
            if l.role == Role::Predictions {
                l.visible = false;
            }
        }
        // The review's accepted errors come back with the edits.
        let accepted = journal::restore_review(file).unwrap_or_else(|why| {
            self.edit.message = Some(format!("the review's marks are lost: {why}"));
            Default::default()
        });
        self.edit.saved_review = accepted.clone();
        self.edit.editor = Some(EditableLayer::new(layer).with_accepted(accepted));
        self.edited();
    }

    /// After every edit: the score again, and the edits handed to the journal's writer (a
    /// failure shows at a later frame).
    fn edited(&mut self) {
        self.rescore();
        let (Some(editor), Some(file)) = (&self.edit.editor, self.scene.files.first()) else {
            return;
        };
        // The review's accepted errors, beside the scene when they change (rarely: a key the
        // user presses, so here on the UI thread).
        if *editor.accepted() != self.edit.saved_review {
            match journal::save_review(file, editor.accepted()) {
                Ok(()) => self.edit.saved_review = editor.accepted().clone(),
                Err(e) => {
                    self.edit.message = Some(format!("could not save the review's marks: {e}"))
                }
            }
        }
        self.journal
            .save(file, self.scene.grid.as_ref(), editor.footprints());
    }

    /// Waits until every edit made so far is saved beside its scene (the journal is written
    /// off the UI thread).
    pub fn wait_edits_saved(&self) {
        self.journal.wait_saved();
    }

    /// Scores and saves the edits when `changed`.
    pub(super) fn after_edit(&mut self, changed: bool) {
        if changed {
            self.edited();
        }
    }

    pub fn undo(&mut self) {
        let undone = self.edit.undo();
        self.after_edit(undone);
    }

    pub fn redo(&mut self) {
        let redone = self.edit.redo();
        self.after_edit(redone);
    }
}

/// Why a building could not be traced again from the probability map.
#[derive(Debug, thiserror::Error)]
pub enum RevectorizeError {
    #[error("open a probability map first")]
    NoMap,
    #[error("select a footprint first")]
    NoSelection,
    #[error("start editing first")]
    NotEditing,
    #[error("the selection is gone")]
    SelectionGone,
    #[error("nothing above {0} under this footprint")]
    NothingAbove(f32),
    #[error("refused: {0}")]
    Refused(#[from] crate::annotate::edit::EditError),
}
