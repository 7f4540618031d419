//! No lost work: the edited footprints of a scene are written beside it after every edit, as a
//! whole, through a temporary file renamed over the last one (a GeoPackage, written in one
//! transaction, for a georeferenced scene; a SpaceNet CSV in pixels otherwise). Reopening the
//! scene restores them.

use std::path::{Path, PathBuf};

use crate::io::{Footprint, Footprints, IoError, SceneGrid, Space, image_id_of, write_footprints};

use super::{Layer, LayerError, Role};

/// `NAME.edits.gpkg` (georeferenced scene) or `NAME.edits.csv` beside `NAME.tif`.
pub fn sidecar_path(scene_file: &Path, georeferenced: bool) -> PathBuf {
    let stem = scene_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = if georeferenced { "gpkg" } else { "csv" };
    scene_file.with_file_name(format!("{stem}.edits.{ext}"))
}

/// Writes `footprints` (scene pixels) as the scene's edits.
pub fn save(
    scene_file: &Path,
    grid: Option<&SceneGrid>,
    footprints: &[Footprint],
) -> Result<PathBuf, IoError> {
    let path = sidecar_path(scene_file, grid.is_some());
    let set = Footprints {
        items: footprints.to_vec(),
        space: Space::Pixel,
        image_id: Some(image_id_of(scene_file)),
    };
    let set = match grid {
        Some(grid) => set.into_world(grid),
        None => set,
    };
    write_footprints(&path, &set)?;
    Ok(path)
}

/// The scene's saved edits, if there are any.
pub fn restore(scene_file: &Path, grid: Option<&SceneGrid>) -> Option<Result<Layer, LayerError>> {
    let path = sidecar_path(scene_file, grid.is_some());
    path.is_file()
        .then(|| Layer::open(&path, Role::Predictions, grid))
}
