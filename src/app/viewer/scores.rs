//! What the viewer knows of the footprint layers' score: the live score, the F1 curves and
//! the job computing the probability map's, the footprint picked, and the part of the scene
//! whose outlines are on the GPU.

use eframe::egui;

use crate::annotate::Scoring;
use crate::session::Job;

/// A footprint: which layer (index into the scene's layers) and which footprint in it.
pub type Pick = (usize, usize);

/// F1 against a threshold: (threshold, F1) points.
type Curve = Vec<(f64, f64)>;

/// Two prediction layers (indices into the scene's layers with the edits), each scored
/// against the ground truth, and the truth buildings where they disagree.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub layers: [usize; 2],
    pub scorings: [Scoring; 2],
    pub disagreements: Vec<crate::annotate::compare::Disagreement>,
}

/// The score of the layers shown and what the panes know of them; a new scene gets new ones.
#[derive(Default)]
pub struct LayerScores {
    /// The live score of the predictions against the ground truth.
    pub scoring: Option<Scoring>,
    /// F1 against the predictions' confidence threshold.
    pub f1_curve: Option<Curve>,
    /// F1 of the probability map vectorized at each threshold.
    pub probability_curve: Option<Curve>,
    /// The worker computing [`Self::probability_curve`].
    pub probability_curve_job: Option<Job<Curve>>,
    /// Two models side by side: the first two visible prediction layers, each scored.
    pub compare: Option<Comparison>,
    /// The footprint clicked last.
    pub selected: Option<Pick>,
    /// The part of the scene (scene pixels) whose footprints' outlines are on the GPU: three
    /// views wide and high around the view when it was chosen, so that panning within a view
    /// sends nothing; chosen again when the view leaves it or is far smaller than it.
    outline_area: Option<egui::Rect>,
}

impl LayerScores {
    /// The area whose outlines to send for a view that sees `seen`: the one sent before while
    /// it holds the view and is not far larger, else three times the view about it.
    pub fn outline_area_for(&mut self, seen: egui::Rect) -> egui::Rect {
        let area = match self.outline_area {
            Some(area) if area.contains_rect(seen) && area.width() <= 6.0 * seen.width() => area,
            _ => seen.expand2(seen.size()),
        };
        self.outline_area = Some(area);
        area
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> egui::Rect {
        egui::Rect::from_min_max(egui::pos2(x0, y0), egui::pos2(x1, y1))
    }

    #[test]
    fn outlines_are_sent_again_only_when_the_view_leaves_their_area() {
        let mut scores = LayerScores::default();
        let first = scores.outline_area_for(rect(100.0, 100.0, 200.0, 150.0));
        // Three views wide and high about the view.
        assert_eq!(first, rect(0.0, 50.0, 300.0, 200.0));
        // A pan within it keeps it.
        assert_eq!(
            scores.outline_area_for(rect(150.0, 120.0, 250.0, 170.0)),
            first
        );
        // Leaving it, or zooming far in, chooses again.
        assert_ne!(
            scores.outline_area_for(rect(250.0, 120.0, 350.0, 170.0)),
            first
        );
        let area = scores.outline_area_for(rect(250.0, 120.0, 350.0, 170.0));
        assert_ne!(
            scores.outline_area_for(rect(260.0, 130.0, 270.0, 135.0)),
            area
        );
    }
}
