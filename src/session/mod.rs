//! The work a user asks for, without a user interface: opening a scene with its footprint
//! layers, running work off the caller's thread ([`Job`]), predicting a scene from weights and
//! their model card, fine-tuning on edited footprints, reading a large scene's tiles, and
//! exporting footprints. The viewer (`app`) and the command line (`cli`) both stand on it;
//! nothing here knows about egui.

pub mod background;
pub mod dataset;
mod error;
mod export;
pub mod finetune;
mod job;
pub mod journal;
pub mod map;
pub mod polarimetry;
pub mod predict;
mod scene;
mod tiles;
pub mod winner;

pub use error::SessionError;
pub use export::export_footprints;
pub use job::{Job, Shared};
pub use journal::JournalWriter;
pub use scene::{
    GivenLayers, LoadedMaps, ModelSetup, OpenFailure, SceneData, ViewerStart, load_probabilities,
    load_scene,
};
pub use tiles::{TileReader, TileResult, TileSource, TileTexels};

/// The files' names, for messages: "a.tif, b.tif".
pub fn file_list(files: &[std::path::PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
