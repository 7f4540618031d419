//! Footprint layers over the panes: ground truth and predictions coloured by their live score
//! (TP green, FP red, matched truth white, missed truth orange), picking a footprint to see
//! its IoU and match, and the scores with F1 against the confidence threshold.

use std::path::PathBuf;

use eframe::egui;
use geo::{BoundingRect, Contains};

use super::Viewer;
use crate::annotate::{Layer, Role, Scoring, f1_by_confidence};
use crate::eval::EvalParams;
use crate::render::outline::{Segment, ring_segments};
use crate::session::{Job, SessionError};

use super::scores::Pick;

const TP: egui::Color32 = egui::Color32::from_rgb(60, 220, 90);
const FP: egui::Color32 = egui::Color32::from_rgb(240, 60, 60);
const MATCHED: egui::Color32 = egui::Color32::from_rgb(235, 235, 235);
const MISSED: egui::Color32 = egui::Color32::from_rgb(255, 150, 30);
/// Footprints not scored (no ground truth to score against): magenta, which none of the
/// scene's colormaps has.
const UNSCORED: egui::Color32 = egui::Color32::from_rgb(255, 70, 220);
const SELECTED: egui::Color32 = egui::Color32::YELLOW;

impl Viewer {
    /// Opens a footprint file as a layer of the current scene.
    pub fn add_layer(&mut self, path: PathBuf, role: Role) -> Result<(), SessionError> {
        let layer = Layer::open(&path, role, self.scene.grid.as_ref())?;
        self.scene.layers.push(layer);
        // Predictions of the user's own: the model no longer runs by itself over them.
        self.prediction.own_predictions |= role == Role::Predictions;
        self.rescore();
        Ok(())
    }

    /// F1 of the probability map vectorized at thresholds 0.05 .. 0.95 against the ground truth.
    pub fn probability_curve(&self) -> Option<&[(f64, f64)]> {
        self.layers.probability_curve.as_deref()
    }

    /// Recomputes the F1 curve of the probability map (when the map or the truth changes) on a
    /// worker thread: vectorizing a map 19 times takes seconds when low thresholds merge the
    /// scene into a few huge outlines. The curve shows when [`Self::poll_probability_curve`]
    /// finds it.
    pub(super) fn score_probabilities(&mut self) {
        let truth = self
            .scene
            .layers
            .iter()
            .find(|l| l.role == Role::Truth && l.visible);
        self.layers.probability_curve = None;
        self.layers.probability_curve_job = match (truth, &self.scene.probabilities) {
            (Some(truth), Some(probs)) => {
                let (truth, probs) = (truth.clone(), probs.clone());
                let edge_contact = self.scene.edge_contact.clone();
                Some(Job::spawn(
                    move |_, _| {
                        let thresholds: Vec<f32> = (1..20).map(|i| i as f32 * 0.05).collect();
                        Ok(crate::annotate::f1_by_probability(
                            &truth,
                            &probs,
                            edge_contact.as_ref(),
                            EvalParams::default(),
                            &thresholds,
                        ))
                    },
                    self.waker.wake_fn(),
                ))
            }
            _ => None,
        };
    }

    /// Takes the F1 curve of the probability map once its worker has it.
    pub(super) fn poll_probability_curve(&mut self) {
        let Some(result) = self
            .layers
            .probability_curve_job
            .as_ref()
            .and_then(Job::poll)
        else {
            return;
        };
        self.layers.probability_curve_job = None;
        match result {
            Ok(curve) => self.layers.probability_curve = Some(curve),
            Err(e) => tracing::warn!("the F1 curve of the probability map: {e}"),
        }
    }

    /// The F1 curve of the probability map is being computed.
    pub fn probability_curve_pending(&self) -> bool {
        self.layers.probability_curve_job.is_some()
    }

    /// The live score: the first visible truth layer against the first visible predictions.
    pub fn scoring(&self) -> Option<&Scoring> {
        self.layers.scoring.as_ref()
    }

    /// The scene's layers, then the edits being made.
    pub(super) fn all_layers(&self) -> Vec<&Layer> {
        self.scene
            .layers
            .iter()
            .chain(self.edit.editor.as_ref().map(|e| &e.layer))
            .collect()
    }

    /// The scored truth and predictions (indices into [`Self::all_layers`]): the edits when
    /// there are any, else the first visible predictions.
    pub(super) fn scored_pair(&self) -> Option<(usize, usize)> {
        let layers = self.all_layers();
        let truth = layers
            .iter()
            .position(|l| l.role == Role::Truth && l.visible)?;
        let predictions = if self.edit.editor.is_some() {
            layers.len() - 1
        } else {
            layers
                .iter()
                .position(|l| l.role == Role::Predictions && l.visible)?
        };
        Some((truth, predictions))
    }

    /// Recomputes the score after the layers changed.
    pub(super) fn rescore(&mut self) {
        let layers = self.all_layers();
        let pair = self
            .scored_pair()
            .and_then(|(t, p)| Some((*layers.get(t)?, *layers.get(p)?)));
        let (scoring, f1_curve) = match pair {
            Some((truth, preds)) => {
                let scoring = Scoring::compute(truth, preds, EvalParams::default());
                let thresholds: Vec<f64> = (0..=20).map(|i| f64::from(i) / 20.0).collect();
                // From the same matching (one scoring, not one per threshold: 21 of them took
                // ~440 ms of the UI thread for 185 traced buildings).
                let curve = scoring
                    .f1_by_confidence(preds, &thresholds)
                    .unwrap_or_else(|| {
                        f1_by_confidence(truth, preds, EvalParams::default(), &thresholds)
                    });
                (Some(scoring), Some(curve))
            }
            None => (None, None),
        };
        self.layers.scoring = scoring;
        self.layers.f1_curve = f1_curve;
        self.layers.compare = self.compare_layers();
        self.dataset_rescored();
    }

    /// The first two visible prediction layers scored against the visible ground truth (the
    /// live score's layer not scored again).
    fn compare_layers(&self) -> Option<super::scores::Comparison> {
        let layers = self.all_layers();
        let truth = layers.iter().find(|l| l.role == Role::Truth && l.visible)?;
        let mut shown = layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.role == Role::Predictions && l.visible);
        let (a, b) = (shown.next()?, shown.next()?);
        let scored = self.scored_pair().map(|(_, p)| p);
        let score = |(index, layer): (usize, &&Layer)| match &self.layers.scoring {
            Some(live) if scored == Some(index) => live.clone(),
            _ => Scoring::compute(truth, layer, EvalParams::default()),
        };
        let scorings = [score(a), score(b)];
        let disagreements =
            crate::annotate::compare::disagreements(truth, &scorings[0], &scorings[1]);
        Some(super::scores::Comparison {
            layers: [a.0, b.0],
            scorings,
            disagreements,
        })
    }

    /// Two models side by side, when two prediction layers are visible.
    pub fn comparison(&self) -> Option<&super::scores::Comparison> {
        self.layers.compare.as_ref()
    }

    /// Centres the camera on the `k`th building the compared models disagree on.
    pub fn go_to_disagreement(&mut self, k: usize) {
        let Some(d) = self
            .layers
            .compare
            .as_ref()
            .and_then(|c| c.disagreements.get(k))
        else {
            return;
        };
        let (center, zoom) = (d.center, self.camera.zoom.max(2.0));
        self.camera
            .set(egui::vec2(center.x as f32, center.y as f32), zoom);
    }

    /// The colour of footprint `index` of layer `layer` by its score; the ground truth's by
    /// the compared model `model`'s matches when a pane shows one.
    fn footprint_colour(&self, layer: usize, index: usize, model: Option<usize>) -> egui::Color32 {
        let Some((t, p)) = self.scored_pair() else {
            return match self.all_layers().get(layer).map(|l| l.role) {
                Some(Role::Truth) => MATCHED,
                _ => UNSCORED,
            };
        };
        let compared = model.and_then(|k| self.layers.compare.as_ref()?.scorings.get(k));
        let Some(scoring) = compared.or(self.layers.scoring.as_ref()) else {
            return UNSCORED;
        };
        if layer == t {
            match scoring.truth.get(index).copied().flatten() {
                Some(true) => MATCHED,
                Some(false) => MISSED,
                None => UNSCORED,
            }
        } else {
            // The scored predictions, or the other model compared with them.
            let scored = if layer == p {
                self.layers.scoring.as_ref()
            } else {
                self.layers.compare.as_ref().and_then(|c| {
                    let k = c.layers.iter().position(|&l| l == layer)?;
                    c.scorings.get(k)
                })
            };
            match scored.and_then(|s| s.predictions.get(index).copied().flatten()) {
                Some((Some(_), _)) => TP,
                Some((None, _)) => FP,
                None => UNSCORED,
            }
        }
    }

    /// The outlines the panes need when together they see `seen` (scene pixels): those of
    /// the area around the view whose outlines are on the GPU ([`LayerScores`]).
    /// `model`: the compared model (0 or 1) a pane of the compare layout shows, without the
    /// other's outlines and with the ground truth coloured by its matches.
    pub(super) fn outlines_for(
        &mut self,
        seen: Option<egui::Rect>,
        pixels_per_point: f32,
        model: Option<usize>,
    ) -> Vec<Segment> {
        match seen {
            Some(seen) => {
                let area = self.layers.outline_area_for(seen);
                self.outline_segments(area, pixels_per_point, model)
            }
            None => Vec::new(),
        }
    }

    /// The edges of the visible layers' footprints that can show in `bounds` (scene pixels), in
    /// their score's colours, `pixels_per_point` scaling the widths to screen pixels. One list
    /// for every pane (they share the camera), drawn by the GPU ([`OutlineResources`]).
    ///
    /// [`OutlineResources`]: crate::app::gpu::OutlineResources
    pub(super) fn outline_segments(
        &self,
        bounds: egui::Rect,
        pixels_per_point: f32,
        model: Option<usize>,
    ) -> Vec<Segment> {
        // In a pane of one compared model, the other's layer is left out.
        let skip = model.and_then(|k| {
            let c = self.layers.compare.as_ref()?;
            c.layers.get(1 - k.min(1)).copied()
        });
        let mut segments = Vec::new();
        let mut ring_points = Vec::new();
        for (l, layer) in self.all_layers().into_iter().enumerate() {
            if !layer.visible || skip == Some(l) {
                continue;
            }
            for (i, f) in layer.footprints.iter().enumerate() {
                let Some(b) = f.polygon.bounding_rect() else {
                    continue;
                };
                let extent = egui::Rect::from_min_max(
                    egui::pos2(b.min().x as f32, b.min().y as f32),
                    egui::pos2(b.max().x as f32, b.max().y as f32),
                );
                if !extent.intersects(bounds) {
                    continue;
                }
                let selected = self.layers.selected == Some((l, i));
                let (colour, width) = if selected {
                    (SELECTED, 3.0)
                } else {
                    (self.footprint_colour(l, i, model), layer.width)
                };
                let colour = colour.to_normalized_gamma_f32();
                for polygon in &f.polygon.0 {
                    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                        ring_points.clear();
                        ring_points.extend(ring.0.iter().map(|c| [c.x as f32, c.y as f32]));
                        segments.extend(ring_segments(
                            &ring_points,
                            colour,
                            width * pixels_per_point,
                        ));
                    }
                }
            }
        }
        segments
    }

    /// The footprint under scene position `p`: predictions first, then truth.
    pub(super) fn pick(&self, p: egui::Vec2) -> Option<Pick> {
        let point = geo::Point::new(f64::from(p.x), f64::from(p.y));
        let layers = self.all_layers();
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by_key(|&l| layers.get(l).map(|x| x.role == Role::Truth));
        order.into_iter().find_map(|l| {
            let layer = *layers.get(l)?;
            if !layer.visible {
                return None;
            }
            layer
                .footprints
                .iter()
                .position(|f| f.polygon.contains(&point))
                .map(|i| (l, i))
        })
    }

    pub(super) fn layers_ui(&mut self, ui: &mut egui::Ui) {
        ui.separator();
        ui.strong("Footprints");
        ui.horizontal(|ui| {
            for (label, role) in [
                ("Open truth…", Role::Truth),
                ("Open predictions…", Role::Predictions),
            ] {
                if ui.button(label).clicked()
                    && let Some(path) = rfd::FileDialog::new()
                        .add_filter("footprints", &["geojson", "json", "csv", "gpkg"])
                        .pick_file()
                    && let Err(e) = self.add_layer(path, role)
                {
                    self.opening.error = Some(e.to_string());
                }
            }
        });
        if let Some(e) = &self.scene.layer_error {
            ui.colored_label(ui.visuals().error_fg_color, format!("Not opened: {e}"));
        }
        let mut changed = false;
        let edits = self.edit.editor.as_mut().map(|e| &mut e.layer);
        for (k, layer) in self.scene.layers.iter_mut().chain(edits).enumerate() {
            let name = layer
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let label = format!(
                "{}: {} ({})",
                layer.role.name(),
                name,
                layer.footprints.len()
            );
            changed |= ui.checkbox(&mut layer.visible, label).changed();
            ui.horizontal(|ui| {
                ui.add_space(24.0);
                ui.push_id(k, |ui| {
                    ui.add(
                        egui::Slider::new(&mut layer.width, 0.5..=5.0)
                            .text("width")
                            .max_decimals(1),
                    );
                    ui.checkbox(&mut layer.locked, "locked")
                        .on_hover_text("a locked layer refuses edits");
                });
            });
        }
        if changed {
            self.rescore();
            self.score_probabilities();
        }
        if let Some(scoring) = &self.layers.scoring {
            let c = scoring.counts();
            ui.label(format!(
                "TP {}  FP {}  FN {}\nprecision {:.3}  recall {:.3}  F1 {:.3}",
                c.tp,
                c.fp,
                c.fn_,
                c.precision(),
                c.recall(),
                c.f1()
            ));
            ui.weak("IoU > 0.5, min area 80 px (SpaceNet 6)");
            let invalid = |n: usize, side: &str| match n {
                0 => None,
                1 => Some(format!("1 {side} footprint is not a valid polygon")),
                n => Some(format!("{n} {side} footprints are not valid polygons")),
            };
            for (text, rule) in [
                (
                    invalid(scoring.eval.invalid_proposals.len(), "predicted"),
                    crate::eval::INVALID_PROPOSAL_RULE,
                ),
                (
                    invalid(scoring.eval.invalid_truth.len(), "ground-truth"),
                    crate::eval::INVALID_TRUTH_RULE,
                ),
            ] {
                if let Some(text) = text {
                    ui.colored_label(ui.visuals().warn_fg_color, text)
                        .on_hover_text(format!(
                            "Self-intersecting or otherwise invalid. Scored as solaris scores \
                             them: {rule}."
                        ));
                }
            }
        }
        if self.layers.f1_curve.is_some() || self.layers.probability_curve.is_some() {
            let line = |curve: &Option<Vec<(f64, f64)>>| {
                curve
                    .as_ref()
                    .map(|c| c.iter().map(|&(t, f)| [t, f]).collect::<Vec<[f64; 2]>>())
            };
            let (by_confidence, by_probability) = (
                line(&self.layers.f1_curve),
                line(&self.layers.probability_curve),
            );
            super::histogram::panel_plot("f1 by threshold", 130.0)
                .x_axis_label("threshold")
                .y_axis_label("F1")
                .legend(egui_plot::Legend::default())
                .show(ui, |plot| {
                    if let Some(points) = by_confidence {
                        plot.line(egui_plot::Line::new("predictions by confidence", points));
                    }
                    if let Some(points) = by_probability {
                        plot.line(egui_plot::Line::new(
                            "probability map re-vectorized",
                            points,
                        ));
                    }
                });
        }
        let layers = self.all_layers();
        if let Some((l, i)) = self.layers.selected
            && let Some(layer) = layers.get(l)
            && let Some(f) = layer.footprints.get(i)
        {
            let mut text = format!("{} {}", layer.role.name(), f.id);
            if let Some(c) = f.confidence {
                text += &format!(", confidence {c:.3}");
            }
            if let Some(scoring) = &self.layers.scoring {
                match (layer.role, Some(l) == self.scored_pair().map(|p| p.1)) {
                    (Role::Predictions, true) => {
                        match scoring.predictions.get(i).copied().flatten() {
                            Some((Some(t), iou)) => {
                                text += &format!("\nTP: IoU {iou:.3} with truth #{t}")
                            }
                            Some((None, iou)) => text += &format!("\nFP: best IoU {iou:.3}"),
                            None => text += "\nnot scored (under the minimum area)",
                        }
                    }
                    (Role::Truth, _) => match scoring.truth.get(i).copied().flatten() {
                        Some(true) => text += "\nmatched",
                        Some(false) => text += "\nmissed (FN)",
                        None => text += "\nnot scored (under the minimum area)",
                    },
                    _ => {}
                }
            }
            ui.label(text);
        }
    }
}

impl Viewer {
    /// Two models side by side: each one's score, and the table of the truth buildings where
    /// they disagree (a click centres the camera on one).
    pub(super) fn compare_ui(&mut self, ui: &mut egui::Ui) {
        let Some(c) = &self.layers.compare else {
            return;
        };
        ui.separator();
        ui.strong("Two models");
        let layers = self.all_layers();
        for (k, (&l, scoring)) in c.layers.iter().zip(&c.scorings).enumerate() {
            let name = layers
                .get(l)
                .and_then(|l| l.path.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let n = scoring.counts();
            // The layer's name on hover: the list above already shows it (and a label of
            // its own would name it twice).
            ui.label(format!(
                "{}: TP {}  FP {}  FN {}  F1 {:.3}",
                ["A", "B"][k.min(1)],
                n.tp,
                n.fp,
                n.fn_,
                n.f1()
            ))
            .on_hover_text(name);
        }
        if self.state.layout != super::Layout::Compare {
            ui.weak("the \"compare\" layout shows them in two linked panes");
        }
        let rows = c.disagreements.len();
        let mut go = None;
        egui::CollapsingHeader::new(format!("where they disagree: {rows} buildings"))
            .id_salt("disagreements")
            .show(ui, |ui| {
                let iou = |v: Option<f64>| v.map_or("missed".to_string(), |v| format!("{v:.2}"));
                let height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
                egui::ScrollArea::vertical().max_height(200.0).show_rows(
                    ui,
                    height,
                    rows,
                    |ui, range| {
                        for k in range {
                            let Some(d) = c.disagreements.get(k) else {
                                continue;
                            };
                            let text = format!(
                                "building {}: A {}, B {}",
                                d.truth + 1,
                                iou(d.iou[0]),
                                iou(d.iou[1])
                            );
                            if ui.selectable_label(false, text).clicked() {
                                go = Some(k);
                            }
                        }
                    },
                );
            });
        if let Some(k) = go {
            self.go_to_disagreement(k);
        }
    }
}
