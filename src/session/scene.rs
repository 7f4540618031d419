//! A scene as the viewer shows it, read from its files with the footprint layers found beside
//! it or named by the user, and what the viewer starts with.

use std::path::{Path, PathBuf};

use super::SessionError;

use crate::annotate::revectorize::Probabilities;
use crate::annotate::{Layer, Role, find_truth};

use crate::io::SceneGrid;
use crate::raster::{Crs, GeoTransform, Scene};
use crate::render::Bands;

/// Scenes larger than this many pixels a side, or than this many bytes of texels, are drawn
/// from a tiled pyramid (8192 is the texture size every wgpu adapter takes).
const WHOLE_MAX_SIDE: usize = 8192;
const WHOLE_MAX_BYTES: usize = 1 << 30;
/// The side of the overview a tiled scene keeps whole (statistics, and what shows while
/// tiles load).
const OVERVIEW: usize = 1024;

/// One scene for the viewer: its bands as texels and its grid.
pub struct SceneData {
    /// The files' names, joined with " + ".
    pub name: String,
    /// The files it was read from (for the recent list).
    pub files: Vec<PathBuf>,
    /// The whole scene, or for a tiled one its overview.
    pub bands: Bands,
    pub geo_transform: Option<GeoTransform>,
    pub crs: Option<Crs>,
    /// The full size when `bands` is an overview of a larger scene drawn by tiles.
    pub tiled: Option<(usize, usize)>,
    /// What places footprints in a CRS on the scene's pixels.
    pub grid: Option<SceneGrid>,
    /// Footprint layers: the ground truth found beside the scene, and what the user opens.
    pub layers: Vec<Layer>,
    /// Why a layer could not be opened (the ground truth beside the scene, saved edits, or one
    /// named on the command line), if one could not.
    pub layer_error: Option<String>,
    /// The user's edits saved beside the scene by an earlier session.
    pub edits: Option<Layer>,
    /// A probability map on the scene's grid (from `sarscope predict`), for re-vectorizing.
    pub probabilities: Option<Probabilities>,
    /// The edge and contact maps of a three-map network's prediction (the SN6 winner's),
    /// beside the footprint map in `probabilities`.
    pub edge_contact: Option<[Probabilities; 2]>,
    /// What GDAL said while the scene's files were opened and read (a damaged tag skipped, a
    /// CRS it could not read, ...): the viewer shows it.
    pub gdal_notes: Vec<crate::raster::GdalNote>,
}

/// A probability map read from a file, and the edge and contact maps when the file holds a
/// three-map network's maps (as `sarscope predict` writes them for the SN6 winner's network).
pub struct LoadedMaps {
    pub footprint: Probabilities,
    pub edge_contact: Option<[Probabilities; 2]>,
}

/// Reads a probability GeoTIFF that must have the scene's `size`: its first band, and its
/// edge and contact bands when it is a three-map file ([`crate::model::effunet::MAP_BANDS`]);
/// no data reads as 0.
pub fn load_probabilities(path: &Path, size: (usize, usize)) -> Result<LoadedMaps, SessionError> {
    let scene = Scene::open(path)?;
    if (scene.width(), scene.height()) != size {
        return Err(SessionError::ProbabilitySize {
            path: path.to_path_buf(),
            found: (scene.width(), scene.height()),
            scene: size,
        });
    }
    let planes = scene.read_full()?;
    let band = |i: usize| -> Result<Probabilities, SessionError> {
        let band = planes.bands.get(i).ok_or_else(|| SessionError::NoBand {
            path: path.to_path_buf(),
        })?;
        let values = band
            .iter()
            .zip(&planes.valid)
            .map(|(v, ok)| if *ok { *v } else { 0.0 })
            .collect();
        Ok(Probabilities {
            values,
            width: size.0,
            height: size.1,
        })
    };
    let edge_contact = if crate::model::effunet::holds_three_maps(&scene) {
        Some([band(1)?, band(2)?])
    } else {
        None
    };
    Ok(LoadedMaps {
        footprint: band(0)?,
        edge_contact,
    })
}

impl SceneData {
    /// The scene's size in pixels (full resolution).
    pub fn size(&self) -> (usize, usize) {
        self.tiled.unwrap_or((self.bands.width, self.bands.height))
    }
}

/// Reads `files` as one scene for the viewer. A scene without some polarization shows its
/// nearest band in that slot; a raster without polarizations shows its first four bands.
pub fn load_scene(files: &[PathBuf]) -> Result<SceneData, SessionError> {
    let scene = Scene::open_many(files)?;
    let (w, h) = (scene.width(), scene.height());
    let tiled = w > WHOLE_MAX_SIDE
        || h > WHOLE_MAX_SIDE
        || w.saturating_mul(h).saturating_mul(16) > WHOLE_MAX_BYTES;
    let planes = if tiled {
        let scale = OVERVIEW as f64 / w.max(h) as f64;
        let out = (
            ((w as f64 * scale).round() as usize).max(1),
            ((h as f64 * scale).round() as usize).max(1),
        );
        scene.read_window(scene.full_window(), out)?
    } else {
        scene.read_full()?
    };
    let name = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" + ");
    let grid = SceneGrid::of(&scene);
    let mut layers = Vec::new();
    let mut layer_error = None;
    if let [file] = files
        && let Some(truth) = find_truth(file)
    {
        match Layer::open(&truth, Role::Truth, grid.as_ref()) {
            Ok(layer) => layers.push(layer),
            Err(e) => layer_error = Some(e.to_string()),
        }
    }
    let mut edits = None;
    if let [file] = files {
        match crate::annotate::journal::restore(file, grid.as_ref()) {
            Some(Ok(layer)) => edits = Some(layer),
            Some(Err(e)) => layer_error = Some(format!("saved edits: {e}")),
            None => {}
        }
    }
    Ok(SceneData {
        edge_contact: None,
        name,
        files: files.to_vec(),
        bands: Bands::new(&scene, &planes),
        geo_transform: scene.geo_transform(),
        crs: scene.crs().cloned(),
        tiled: tiled.then_some((w, h)),
        grid,
        layers,
        layer_error,
        edits,
        probabilities: None,
        gdal_notes: scene.gdal_notes(),
    })
}

/// Footprint files the user named for a scene (the command line's `--truth`,
/// `--predictions`, `--probabilities`).
#[derive(Clone, Debug, Default)]
pub struct GivenLayers {
    pub truth: Option<PathBuf>,
    pub predictions: Option<PathBuf>,
    pub probabilities: Option<PathBuf>,
}

impl SceneData {
    /// Opens the layers `given` over the scene: a truth given replaces the one found beside
    /// the scene. A layer that does not open is said in [`Self::layer_error`] (the footprint
    /// panel shows it) and returned, for a caller with a terminal to print.
    pub fn add_given_layers(&mut self, given: GivenLayers) -> Vec<SessionError> {
        let mut failed = Vec::new();
        if let Some(path) = given.truth {
            self.layers.retain(|l| l.role != Role::Truth);
            self.layer_error = None;
            match Layer::open(&path, Role::Truth, self.grid.as_ref()) {
                Ok(layer) => self.layers.insert(0, layer),
                Err(e) => failed.push(e.into()),
            }
        }
        if let Some(path) = given.predictions {
            match Layer::open(&path, Role::Predictions, self.grid.as_ref()) {
                Ok(layer) => self.layers.push(layer),
                Err(e) => failed.push(e.into()),
            }
        }
        if let Some(path) = given.probabilities {
            match load_probabilities(&path, self.size()) {
                Ok(maps) => {
                    self.probabilities = Some(maps.footprint);
                    self.edge_contact = maps.edge_contact;
                }
                Err(e) => failed.push(e),
            }
        }
        if let Some(last) = failed.last() {
            self.layer_error = Some(last.to_string());
        }
        failed
    }
}

/// The model the viewer starts with: its weights, and whether to predict at once.
#[derive(Clone, Debug, Default)]
pub struct ModelSetup {
    pub weights: Option<PathBuf>,
    pub predict_now: bool,
}

/// Files that were to be shown and did not open: the window shows why, over the scene it
/// opened instead.
#[derive(Debug)]
pub struct OpenFailure {
    pub files: Vec<PathBuf>,
    pub error: SessionError,
}

/// Everything the viewer's window starts with: the scene, the model, and files that did not
/// open in its place.
pub struct ViewerStart {
    pub scene: SceneData,
    pub model: ModelSetup,
    pub failed: Option<OpenFailure>,
    /// A folder to walk as a dataset (opened: listed, its CSVs read).
    pub dataset: Option<super::dataset::Dataset>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{GeoTiffMeta, Planes, write_geotiff};

    /// A three-map file (as `predict` writes the winner's) gives its edge and contact maps; a
    /// file of three unnamed bands is one probability map.
    #[test]
    fn a_three_map_file_gives_edge_and_contact_maps() {
        let dir = tempfile::tempdir().unwrap();
        let planes = Planes::new(
            4,
            3,
            vec![vec![0.25; 12], vec![0.5; 12], vec![0.75; 12]],
            &[None, None, None],
        );
        let write = |name: &str, bands: &[&str]| {
            let path = dir.path().join(name);
            let meta = GeoTiffMeta {
                geo_transform: None,
                epsg: None,
                crs_wkt: None,
                nodata: None,
                band_names: bands,
            };
            write_geotiff(&path, &planes, &meta).unwrap();
            path
        };
        let three = write("maps.tif", &crate::model::effunet::MAP_BANDS);
        let maps = load_probabilities(&three, (4, 3)).unwrap();
        assert_eq!(maps.footprint.values, vec![0.25; 12]);
        let [edge, contact] = maps.edge_contact.expect("edge and contact maps");
        assert_eq!((edge.values[0], contact.values[11]), (0.5, 0.75));
        let plain = write("plain.tif", &["a", "b", "c"]);
        assert!(
            load_probabilities(&plain, (4, 3))
                .unwrap()
                .edge_contact
                .is_none()
        );
        assert!(matches!(
            load_probabilities(&three, (5, 3)),
            Err(SessionError::ProbabilitySize { .. })
        ));
    }
}
