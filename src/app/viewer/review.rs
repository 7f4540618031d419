//! Walking the scene's errors against its ground truth ([`crate::annotate::review`]): next and
//! previous in reading order (] and [), the camera on each; accept it as it is (A), reject the
//! prediction (X) or fix it from the ground truth (F), each one undoable step; how many are
//! left. The walk works on the edits (it starts them), so what it changes is journaled.

use eframe::egui;

use super::Viewer;
use crate::annotate::review::{ErrorItem, ErrorKind, ReviewKey, reading_order, scene_errors};

/// The walk: which kinds of error it visits and where it is.
#[derive(Clone, Debug)]
pub struct ReviewWalk {
    /// Per [`ErrorKind::ALL`]: walked or not.
    pub kinds: [bool; 3],
    /// The error the camera went to last.
    pub current: Option<ErrorItem>,
    /// What the last step said (the counter, or why an action was refused).
    pub message: Option<String>,
}

impl Default for ReviewWalk {
    fn default() -> Self {
        Self {
            kinds: [true; 3],
            current: None,
            message: None,
        }
    }
}

impl ReviewWalk {
    /// A new scene's walk: the kinds kept.
    pub fn next_scene(&self) -> Self {
        Self {
            kinds: self.kinds,
            ..Self::default()
        }
    }

    fn walks(&self, kind: ErrorKind) -> bool {
        let i = ErrorKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.kinds.get(i).copied().unwrap_or(true)
    }
}

/// What to do with the current error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewAction {
    /// Keep it as it is (the ground truth may be what is wrong).
    Accept,
    /// Delete the prediction.
    Reject,
    /// Take the ground truth's outline: a missed building added, a low-IoU one replaced.
    Fix,
}

/// The camera's zoom on an error at least (screen points per scene pixel).
const ERROR_ZOOM: f32 = 2.0;

impl Viewer {
    /// The scene's errors against its ground truth, in reading order (none without a score).
    pub fn scene_errors(&self) -> Vec<ErrorItem> {
        let layers = self.all_layers();
        let (Some((t, p)), Some(scoring)) = (self.scored_pair(), &self.layers.scoring) else {
            return Vec::new();
        };
        match (layers.get(t), layers.get(p)) {
            (Some(truth), Some(predictions)) => scene_errors(scoring, truth, predictions),
            _ => Vec::new(),
        }
    }

    /// The errors of the walked kinds not accepted yet.
    pub fn errors_left(&self) -> Vec<ErrorItem> {
        let accepted = |key: &ReviewKey| {
            self.edit
                .editor
                .as_ref()
                .is_some_and(|e| e.is_accepted(key))
        };
        self.scene_errors()
            .into_iter()
            .filter(|e| self.review.walks(e.kind) && !accepted(&e.key))
            .collect()
    }

    /// The error the walk is on, as the score sees it now (`None` once it is resolved).
    pub fn current_error(&self) -> Option<ErrorItem> {
        self.current_in(&self.errors_left()).cloned()
    }

    /// The error the walk is on among `left` (the errors left).
    fn current_in<'a>(&self, left: &'a [ErrorItem]) -> Option<&'a ErrorItem> {
        let key = &self.review.current.as_ref()?.key;
        left.iter().find(|e| &e.key == key)
    }

    /// The walk (which kinds it visits), to change.
    pub fn review_mut(&mut self) -> &mut ReviewWalk {
        &mut self.review
    }

    /// What the review strip says: the walk's last word.
    pub fn review_message(&self) -> Option<&str> {
        self.review.message.as_deref()
    }

    /// Goes to the next (or previous) error left in reading order from the current one,
    /// wrapping round; the camera centres on it and its prediction is selected. False when
    /// none is left.
    pub fn walk_errors(&mut self, forward: bool) -> bool {
        self.start_editing();
        let left = self.errors_left();
        let here = self
            .review
            .current
            .as_ref()
            .map(|c| reading_order(c.center));
        let next = match here {
            None if forward => left.first(),
            None => left.last(),
            Some(h) if forward => left
                .iter()
                .find(|e| reading_order(e.center) > h)
                .or(left.first()),
            Some(h) => left
                .iter()
                .rev()
                .find(|e| reading_order(e.center) < h)
                .or(left.last()),
        }
        .cloned();
        let Some(item) = next else {
            self.review.current = None;
            self.review.message = Some(if self.scene_errors().is_empty() {
                "no errors: every building matches well".into()
            } else {
                "no errors left to review".into()
            });
            return false;
        };
        let (_, zoom) = self.camera();
        self.set_camera(
            egui::vec2(item.center.x as f32, item.center.y as f32),
            zoom.max(ERROR_ZOOM),
        );
        self.edit.selected = item.prediction;
        self.edit.selected_vertex = None;
        self.edit.merge_with = None;
        let position = left.iter().position(|e| e.key == item.key).unwrap_or(0) + 1;
        let iou = item.iou.map(|v| format!(" {v:.2}")).unwrap_or_default();
        self.review.message = Some(format!(
            "{}{iou}: {position} of {} left",
            item.kind.name(),
            left.len()
        ));
        self.review.current = Some(item);
        true
    }

    /// Accepts, rejects or fixes the current error (one undoable step), then goes to the next.
    /// An action that does not apply is refused in words and changes nothing.
    pub fn review_error(&mut self, action: ReviewAction) -> bool {
        match self.apply_review(action) {
            Ok(()) => {
                self.after_edit(true);
                self.walk_errors(true);
                true
            }
            Err(why) => {
                self.review.message = Some(why);
                false
            }
        }
    }

    fn apply_review(&mut self, action: ReviewAction) -> Result<(), String> {
        let item = self
            .current_error()
            .ok_or("go to an error first: ] next, [ previous")?;
        let truth = item.truth.and_then(|t| {
            self.scene
                .layers
                .iter()
                .find(|l| l.role == crate::annotate::Role::Truth && l.visible)?
                .footprints
                .get(t)
                .map(|f| f.polygon.clone())
        });
        let editor = self.edit.editor.as_mut().ok_or("start editing first")?;
        let refused = |e: crate::annotate::edit::EditError| format!("refused: {e}");
        match (action, item.kind, item.prediction, truth) {
            (ReviewAction::Accept, _, _, _) => {
                editor.accept(item.key.clone());
            }
            (ReviewAction::Reject, ErrorKind::FalsePositive | ErrorKind::LowIou, Some(p), _) => {
                editor.delete(p).map_err(refused)?;
                self.edit.selected = None;
            }
            (ReviewAction::Reject, ErrorKind::Missed, _, _) => {
                return Err(
                    "a missed building has no prediction to delete: accept it (A) or fix it (F)"
                        .into(),
                );
            }
            (ReviewAction::Fix, ErrorKind::Missed, _, Some(outline)) => {
                let index = editor.add_polygon(outline, "truth").map_err(refused)?;
                self.edit.selected = Some(index);
            }
            (ReviewAction::Fix, ErrorKind::LowIou, Some(p), Some(outline)) => {
                let confidence = editor
                    .footprints()
                    .get(p)
                    .and_then(|f| f.confidence)
                    .unwrap_or(1.0);
                editor.reshape_to(p, outline, confidence).map_err(refused)?;
            }
            (ReviewAction::Fix, ErrorKind::FalsePositive, _, _) => {
                return Err(
                    "the ground truth has no outline here to take: edit it (E) or reject it (X)"
                        .into(),
                );
            }
            _ => return Err("this error is gone; ] goes to the next".into()),
        }
        Ok(())
    }

    /// The review strip: the kinds walked, the walk's buttons with their keys, the counter.
    pub(super) fn review_strip_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("review:");
            for (i, kind) in ErrorKind::ALL.iter().enumerate() {
                if let Some(walked) = self.review.kinds.get_mut(i) {
                    ui.checkbox(walked, kind.name());
                }
            }
            ui.separator();
            if ui.button("previous [").clicked() {
                self.walk_errors(false);
            }
            if ui.button("next ]").clicked() {
                self.walk_errors(true);
            }
            // The errors left, once a frame (again only after an action changed them).
            let left = self.errors_left();
            let on_error = self.current_in(&left).is_some();
            let mut acted = false;
            for (label, action, what) in [
                ("accept A", ReviewAction::Accept, "keep it as it is"),
                ("reject X", ReviewAction::Reject, "delete the prediction"),
                (
                    "fix F",
                    ReviewAction::Fix,
                    "take the ground truth's outline (a missed building, a low IoU)",
                ),
            ] {
                if ui
                    .add_enabled(on_error, egui::Button::new(label))
                    .on_hover_text(what)
                    .clicked()
                {
                    self.review_error(action);
                    acted = true;
                }
            }
            ui.separator();
            let count = if acted {
                self.errors_left().len()
            } else {
                left.len()
            };
            ui.label(format!("{count} left"));
            if let Some(message) = &self.review.message {
                ui.weak(message);
            }
        });
    }

    /// The walk's keys: ] and [ next and previous, A accept, X reject, F fix.
    pub(super) fn review_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let pressed = |key| ctx.input(|i| i.key_pressed(key) && i.modifiers.is_none());
        if pressed(egui::Key::CloseBracket) {
            self.walk_errors(true);
        }
        if pressed(egui::Key::OpenBracket) {
            self.walk_errors(false);
        }
        for (key, action) in [
            (egui::Key::A, ReviewAction::Accept),
            (egui::Key::X, ReviewAction::Reject),
            (egui::Key::F, ReviewAction::Fix),
        ] {
            if pressed(key) {
                self.review_error(action);
            }
        }
    }
}
