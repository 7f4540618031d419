//! The model card: the JSON file next to a weights file that says how to use it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ModelError;

/// Input normalization: `x' = (x - mean) / std` on every band.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    pub mean: f32,
    pub std: f32,
}

impl Normalization {
    /// The SN6 baseline's albumentations `Normalize(mean 0.5, std 0.125, max_pixel_value 255)`:
    /// `(x - 127.5) / 31.875`, so nodata 0 becomes -4.
    pub const SN6_BASELINE: Self = Self {
        mean: 127.5,
        std: 31.875,
    };

    pub fn apply(self, x: f32) -> f32 {
        (x - self.mean) / self.std
    }
}

impl Default for Normalization {
    fn default() -> Self {
        Self::SN6_BASELINE
    }
}

/// [`ModelCard::network`] of the SN6 baseline's UNet11.
pub const NETWORK_UNET11: &str = "unet11";
/// [`ModelCard::network`] of the SN6 winner's EfficientNet U-Net.
pub const NETWORK_WINNER: &str = "sn6-winner";

/// A measured score of these weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// What it was measured on, e.g. "50 held-out synthetic scenes (seed 7)".
    pub dataset: String,
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
    pub iou_threshold: f64,
    pub min_area_px: f64,
}

/// Everything needed to use a weights file the way it was trained. Missing fields take the SN6
/// baseline's values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelCard {
    pub name: String,
    /// Which network the weights are for: "unet11" (the SN6 baseline's) or "sn6-winner" (the
    /// SN6 winner's EfficientNet U-Net, three maps and watershed instances).
    pub network: String,
    pub architecture: String,
    /// The winner's network's shape, for "sn6-winner".
    pub effunet: Option<super::effunet::EffUNetConfig>,
    /// Divides every layer's width (1 = the published baseline).
    pub width_divisor: usize,
    pub in_channels: usize,
    pub parameters: usize,
    /// Band order the network expects.
    pub bands: Vec<String>,
    pub normalization: Normalization,
    /// Inference windows (square, px) and the step between them.
    pub window: usize,
    pub step: usize,
    /// A pixel is a building when its probability exceeds this.
    pub threshold: f32,
    /// Components smaller than this (px, 4-connected) are dropped.
    pub min_area_px: f64,
    /// "sn6-orientations": tiles of strips flagged 1 in SAR_orientations.txt are rotated 180
    /// degrees before the network and back after; "none": never rotate.
    pub rotation: String,
    /// Where the weights come from (training command, checkpoint, ...).
    pub provenance: String,
    pub scores: Vec<Score>,
}

impl Default for ModelCard {
    fn default() -> Self {
        Self {
            name: "UNet11".into(),
            network: NETWORK_UNET11.into(),
            effunet: None,
            architecture:
                "TernausNet UNet11 (U-Net, VGG11 encoder without batch norm, num_filters 32)".into(),
            width_divisor: 1,
            in_channels: 4,
            parameters: 0,
            bands: ["HH", "HV", "VH", "VV"].map(String::from).to_vec(),
            normalization: Normalization::SN6_BASELINE,
            window: 512,
            step: 512,
            threshold: 0.5,
            min_area_px: 80.0,
            rotation: "sn6-orientations".into(),
            provenance: String::new(),
            scores: Vec::new(),
        }
    }
}

impl ModelCard {
    pub fn read(path: &Path) -> Result<Self, ModelError> {
        let fail = |reason: String| ModelError::Card {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let card: Self = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
        card.check().map_err(|e| fail(e.to_string()))?;
        Ok(card)
    }

    /// Writes the card as pretty JSON, replacing any earlier one whole ([`crate::replace`]).
    pub fn write(&self, path: &Path) -> Result<(), ModelError> {
        let fail = |reason: String| ModelError::Write {
            path: path.to_path_buf(),
            reason,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| fail(e.to_string()))?;
        let replacement = crate::replace::Replacement::new(path);
        replacement.write(
            |tmp| {
                std::fs::write(tmp, text + "\n")
                    .map_err(|e| fail(replacement.target_named(&e.to_string())))
            },
            |e| fail(e.to_string()),
        )
    }

    /// Values that would make inference meaningless.
    fn check(&self) -> Result<(), CardError> {
        if self.window == 0 || !self.window.is_multiple_of(32) {
            return Err(CardError::Window(self.window));
        }
        if self.step == 0 || self.step > self.window {
            return Err(CardError::Step {
                step: self.step,
                window: self.window,
            });
        }
        if !(self.normalization.std.is_finite() && self.normalization.std != 0.0) {
            return Err(CardError::Std);
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(CardError::Threshold(self.threshold));
        }
        if !matches!(self.rotation.as_str(), "sn6-orientations" | "none") {
            return Err(CardError::Rotation(self.rotation.clone()));
        }
        Ok(())
    }
}

/// A model card's value that would make inference meaningless.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CardError {
    #[error("window {0} is not a positive multiple of 32")]
    Window(usize),
    #[error("step {step} must be in 1..={window}")]
    Step { step: usize, window: usize },
    #[error("normalization std must be finite and not 0")]
    Std,
    #[error("threshold {0} is not a probability")]
    Threshold(f32),
    #[error("rotation {0:?} is not \"sn6-orientations\" or \"none\"")]
    Rotation(String),
}
