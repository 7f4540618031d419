//! What the viewer shows of a scene, read from its files.

use std::path::PathBuf;

use crate::raster::{Crs, GeoTransform, Scene};
use crate::render::Bands;

/// One scene for the viewer: its bands as texels and its grid.
pub struct SceneData {
    /// The files' names, joined with " + ".
    pub name: String,
    /// The files it was read from (for the recent list).
    pub files: Vec<PathBuf>,
    pub bands: Bands,
    pub geo_transform: Option<GeoTransform>,
    pub crs: Option<Crs>,
}

/// Reads `files` as one scene for the viewer. A scene without some polarization shows its
/// nearest band in that slot; a raster without polarizations shows its first four bands.
pub fn load_scene(files: &[PathBuf]) -> anyhow::Result<SceneData> {
    let scene = Scene::open_many(files)?;
    let planes = scene.read_full()?;
    let name = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" + ");
    Ok(SceneData {
        name,
        files: files.to_vec(),
        bands: Bands::new(&scene, &planes),
        geo_transform: scene.geo_transform(),
        crs: scene.crs().cloned(),
    })
}
