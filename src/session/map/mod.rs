//! Mapping many scenes, or scenes of any size, into footprints (`sarscope map`): read ->
//! predict -> trace streamed window by window and block by block, with bounded memory; the run
//! split into work units that shards (processes of an array job) share deterministically; each
//! unit's footprints written atomically as a GeoParquet part, each shard's account in a
//! manifest; a run started again skips the units it finished. [`merge`] makes one layer of the
//! parts.
//!
//! An output folder holds:
//! - `run.json`: what the run is (weights and their checksum, inputs, settings, CRS); a
//!   different run into the same folder is refused;
//! - `parts/unit-NNNNNN.parquet`: a unit's footprints (present = done);
//! - `shards/shard-I-of-N.json`: a shard's manifest (units done and failed, with the reason,
//!   footprints, seconds per stage);
//! - `probabilities/` (on request): each unit's probability map as a GeoTIFF.

mod block;
pub mod merge;
mod plan;
mod run;

use std::path::PathBuf;

pub use block::{BlockBuildings, MAX_HALO, SceneMapper};
pub use plan::{Plan, PlannedScene, Shard, Unit, expand_inputs};
pub use run::{
    MapSettings, RotateRule, RunIdentity, ShardManifest, ShardProgress, UnitDone, UnitFailed,
    part_path, run_shard,
};

/// Why a mapping run, or a part of it, could not be done.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    #[error(transparent)]
    Raster(#[from] crate::raster::RasterError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Io(#[from] crate::io::IoError),
    #[error("{}: {error}", path.display())]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The output folder holds another run's parts.
    #[error("{} holds another run: {reason}; map into a new folder, or remove it", folder.display())]
    OtherRun { folder: PathBuf, reason: String },
}

impl MapError {
    pub(crate) fn file(path: &std::path::Path, error: std::io::Error) -> Self {
        Self::File {
            path: path.to_path_buf(),
            error,
        }
    }
}
