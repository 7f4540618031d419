//! What can go wrong in the session layer: each variant says what the user can do.

use std::path::PathBuf;

use crate::annotate::LayerError;
use crate::io::{IoError, PlaceError};
use crate::model::ModelError;
use crate::raster::RasterError;
use crate::train::TrainError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Raster(#[from] RasterError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Footprints(#[from] IoError),
    #[error(transparent)]
    Polarimetry(#[from] crate::polsar::PolsarError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("{}: {}x{} px; the scene is {}x{}", path.display(), found.0, found.1, scene.0, scene.1)]
    ProbabilitySize {
        path: PathBuf,
        found: (usize, usize),
        scene: (usize, usize),
    },
    #[error("{}: the probability map has no band", path.display())]
    NoBand { path: PathBuf },
    #[error("no scene file")]
    NoScene,
    #[error("no weights file")]
    NoWeights,
    #[error(
        "{} x {} px is more than the viewer predicts at once (8192 x 8192 px): run \
         `sarscope predict` on the scene and open the probability map",
        size.0, size.1
    )]
    SceneTooLarge { size: (usize, usize) },
    #[error(
        "{} x {} px is more than the viewer decomposes at once (4096 x 4096 px): run \
         `sarscope decompose` on the scene and open the GeoTIFF it writes",
        size.0, size.1
    )]
    TooLargeToDecompose { size: (usize, usize) },
    #[error(
        "the view ({} x {} px at full resolution) is more than the viewer predicts at once \
         (8192 x 8192 px): zoom in, or run `sarscope predict` on the scene and open the \
         probability map",
        size.0, size.1
    )]
    ViewTooLarge { size: (usize, usize) },
    #[error("nothing of the scene is in view")]
    NothingInView,
    #[error("there are no edited footprints to learn from")]
    NoEditedFootprints,
    #[error("the scene ({} x {} px) is smaller than the network's 32 px", size.0, size.1)]
    SceneTooSmall { size: (usize, usize) },
    #[error("there are no predictions or edits to export")]
    NothingToExport,
    #[error("the scene has no geotransform: export as .csv (pixels)")]
    NoGeotransform,
    #[error("a SpaceNet CSV holds pixels, not longitude/latitude")]
    CsvHoldsPixels,
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error("{}: {reason}", path.display())]
    DatasetFolder { path: PathBuf, reason: String },
    #[error(
        "{}: a dataset's footprints file must be a SpaceNet CSV (ImageId, pixel WKT)",
        path.display()
    )]
    DatasetCsv { path: PathBuf },
    #[error("cancelled")]
    Cancelled,
    #[error("the worker thread stopped without a result")]
    WorkerLost,
}
