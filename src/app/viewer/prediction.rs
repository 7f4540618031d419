//! The state of predicting a scene: the weights, the prediction and fine-tuning under way, the
//! probability tiles of a large scene kept from earlier predictions, what was predicted last,
//! and when the camera last moved (the model runs by itself once it settles).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::annotate::Role;
use crate::annotate::revectorize::Probabilities;
use crate::model::{ProbTile, ProbabilityTiles, SharedWgpu};
use crate::raster::Window;
use crate::session::SceneData;
use crate::session::finetune::FinetuneJob;
use crate::session::predict::PredictJob;

/// How long the camera stays still before the model predicts what is in view.
pub const SETTLE: Duration = Duration::from_millis(400);

/// The most probability tiles (512 px) a view may need for the model to run by itself; a
/// larger view waits for the Predict button.
pub const AUTO_TILES: usize = 16;

/// What a prediction was of: with which weights, the whole scene or the tiles of a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PredictionKey {
    Whole(PathBuf),
    Tiles(PathBuf, Vec<ProbTile>),
}

impl PredictionKey {
    /// What predicting with `weights` would be of: the whole scene, or (`tiles` of a scene
    /// drawn by tiles) those in view.
    pub fn new(weights: &Path, tiles: Option<Vec<ProbTile>>) -> Self {
        match tiles {
            None => Self::Whole(weights.to_path_buf()),
            Some(mut tiles) => {
                tiles.sort();
                Self::Tiles(weights.to_path_buf(), tiles)
            }
        }
    }

    /// Whether the model may run on this by itself: a view of a few tiles, or a whole scene.
    pub fn auto(&self) -> bool {
        match self {
            Self::Whole(_) => true,
            Self::Tiles(_, tiles) => !tiles.is_empty() && tiles.len() <= AUTO_TILES,
        }
    }
}

/// The camera as the model sees it: centre, zoom and the first pane.
type CameraKey = (egui::Vec2, f32, egui::Rect);

pub struct PredictionSession {
    /// The device the viewer draws with, which the model shares on a GPU.
    pub shared_wgpu: Option<SharedWgpu>,
    /// The weights the Predict button runs.
    pub weights: Option<PathBuf>,
    /// Start a prediction at the next frame.
    pub pending: bool,
    pub job: Option<PredictJob>,
    /// The weights the running prediction uses.
    pub predicting_with: Option<PathBuf>,
    /// The running prediction was cancelled because the view moved on.
    pub superseded: bool,
    /// The running prediction started by itself (the camera settled).
    pub auto_job: bool,
    /// What was predicted (or tried) last, not tried again by itself.
    pub predicted: Option<PredictionKey>,
    /// The tiles of a large scene predicted so far.
    pub tiles: ProbabilityTiles,
    /// The probability map of the part of a large scene predicted last.
    pub view_probabilities: Option<(Window, Probabilities)>,
    /// Its edge and contact maps, from a three-map network (the SN6 winner's).
    pub view_edge_contact: Option<[Probabilities; 2]>,
    /// The camera in the last frame, and when it last moved.
    camera_seen: CameraKey,
    camera_moved_at: Instant,
    /// The scene came with predictions of its own (a file): the model waits to be asked.
    pub own_predictions: bool,
    /// What the last prediction gave, or why it failed.
    pub status: Option<Result<String, String>>,
    pub finetune_job: Option<FinetuneJob>,
    /// Steps of the next fine-tuning.
    pub finetune_steps: usize,
}

impl Default for PredictionSession {
    fn default() -> Self {
        Self {
            shared_wgpu: None,
            weights: None,
            pending: false,
            job: None,
            predicting_with: None,
            superseded: false,
            auto_job: false,
            predicted: None,
            tiles: ProbabilityTiles::default(),
            view_probabilities: None,
            view_edge_contact: None,
            camera_seen: (egui::Vec2::ZERO, 0.0, egui::Rect::NOTHING),
            camera_moved_at: Instant::now(),
            own_predictions: false,
            status: None,
            finetune_job: None,
            finetune_steps: 100,
        }
    }
}

impl PredictionSession {
    pub fn new(shared_wgpu: SharedWgpu) -> Self {
        Self {
            shared_wgpu: Some(shared_wgpu),
            ..Self::default()
        }
    }

    /// The session for a new scene: the weights, the device and the user's choices stay; the
    /// jobs, tiles and results of the last scene go.
    pub fn next_scene(&mut self, scene: &SceneData) -> Self {
        Self {
            shared_wgpu: self.shared_wgpu.clone(),
            weights: self.weights.take(),
            pending: self.pending,
            superseded: self.superseded,
            auto_job: self.auto_job,
            camera_seen: self.camera_seen,
            camera_moved_at: self.camera_moved_at,
            own_predictions: scene.layers.iter().any(|l| l.role == Role::Predictions),
            finetune_steps: self.finetune_steps,
            ..Self::default()
        }
    }

    /// Notes the camera of this frame; a move restarts the wait for it to settle. True when
    /// it moved.
    pub fn note_camera(&mut self, camera: CameraKey) -> bool {
        if camera == self.camera_seen {
            return false;
        }
        self.camera_seen = camera;
        self.camera_moved_at = Instant::now();
        true
    }

    /// How long the camera has yet to stay still before the model runs by itself (zero: it
    /// has settled).
    pub fn settling(&self) -> Duration {
        SETTLE.saturating_sub(self.camera_moved_at.elapsed())
    }

    /// Something runs or is asked for: the model does not start by itself.
    pub fn busy(&self) -> bool {
        self.job.is_some() || self.finetune_job.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(x: usize) -> ProbTile {
        ProbTile { row: 0, col: x }
    }

    #[test]
    fn a_key_is_the_same_whatever_the_order_of_its_tiles() {
        let w = Path::new("w.bpk");
        let a = PredictionKey::new(w, Some(vec![tile(1), tile(0)]));
        let b = PredictionKey::new(w, Some(vec![tile(0), tile(1)]));
        assert_eq!(a, b);
        assert_ne!(
            a,
            PredictionKey::new(Path::new("v.bpk"), Some(vec![tile(0), tile(1)]))
        );
    }

    #[test]
    fn the_model_runs_by_itself_on_a_scene_or_a_few_tiles() {
        let w = Path::new("w.bpk");
        assert!(PredictionKey::new(w, None).auto());
        assert!(
            !PredictionKey::new(w, Some(Vec::new())).auto(),
            "nothing in view"
        );
        let many = (0..=AUTO_TILES).map(tile).collect();
        assert!(!PredictionKey::new(w, Some(many)).auto());
        let few = (0..AUTO_TILES).map(tile).collect();
        assert!(PredictionKey::new(w, Some(few)).auto());
    }

    #[test]
    fn a_moved_camera_waits_to_settle_again() {
        let mut session = PredictionSession::default();
        let pane = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(100.0, 100.0));
        assert!(session.note_camera((egui::Vec2::ZERO, 1.0, pane)));
        assert!(session.settling() > Duration::ZERO);
        assert!(
            !session.note_camera((egui::Vec2::ZERO, 1.0, pane)),
            "it did not move"
        );
        session.camera_moved_at = Instant::now() - SETTLE;
        assert_eq!(session.settling(), Duration::ZERO);
        assert!(session.note_camera((egui::Vec2::ZERO, 2.0, pane)));
        assert!(session.settling() > Duration::ZERO);
    }
}
