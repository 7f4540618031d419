//! No lost work: the edited footprints of a scene are written beside it after every edit, as a
//! whole, through a temporary file renamed over the last one (a GeoPackage, written in one
//! transaction, for a georeferenced scene; a SpaceNet CSV in pixels otherwise). Reopening the
//! scene restores them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::io::{Footprint, Footprints, IoError, SceneGrid, Space, image_id_of, write_footprints};

use super::review::ReviewKey;
use super::{Layer, LayerError, Role};

/// `NAME.edits.gpkg` (georeferenced scene) or `NAME.edits.csv` beside `NAME.tif`.
pub fn sidecar_path(scene_file: &Path, georeferenced: bool) -> PathBuf {
    beside(
        scene_file,
        if georeferenced {
            "edits.gpkg"
        } else {
            "edits.csv"
        },
    )
}

/// `NAME.{tail}` beside `NAME.tif`.
fn beside(scene_file: &Path, tail: &str) -> PathBuf {
    let stem = scene_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    scene_file.with_file_name(format!("{stem}.{tail}"))
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

/// `NAME.review.json` beside `NAME.tif`: the errors of the review accepted as they are.
pub fn review_path(scene_file: &Path) -> PathBuf {
    beside(scene_file, "review.json")
}

/// What `NAME.review.json` holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct ReviewFile {
    accepted: BTreeSet<ReviewKey>,
}

/// Writes the scene's accepted errors (through a temporary file renamed over the last).
pub fn save_review(
    scene_file: &Path,
    accepted: &BTreeSet<ReviewKey>,
) -> Result<(), std::io::Error> {
    let path = review_path(scene_file);
    let saved = ReviewFile {
        accepted: accepted.clone(),
    };
    let text = serde_json::to_string_pretty(&saved).map_err(std::io::Error::other)?;
    crate::replace::Replacement::new(&path).write(|tmp| std::fs::write(tmp, &text), |e| e)
}

/// The scene's accepted errors saved by an earlier session (none when there is no file); a
/// file that does not read says why.
pub fn restore_review(scene_file: &Path) -> Result<BTreeSet<ReviewKey>, String> {
    let path = review_path(scene_file);
    if !path.is_file() {
        return Ok(Default::default());
    }
    let why = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(&path).map_err(|e| why(&e))?;
    serde_json::from_str::<ReviewFile>(&text)
        .map(|s| s.accepted)
        .map_err(|e| why(&e))
}

/// The scene's saved edits, if there are any.
pub fn restore(scene_file: &Path, grid: Option<&SceneGrid>) -> Option<Result<Layer, LayerError>> {
    let path = sidecar_path(scene_file, grid.is_some());
    path.is_file()
        .then(|| Layer::open(&path, Role::Predictions, grid))
}
