//! A folder of scenes reviewed as one dataset: its rasters in name order, each with its ground
//! truth (beside it, in a sibling `geojson_buildings` folder, or SN6's `SummaryData` CSV of
//! the whole dataset), its predictions (a SpaceNet CSV of the whole dataset) or the user's
//! edits journaled beside it, each scene's score and the dataset's SpaceNet total.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::SessionError;
use crate::annotate::{Layer, Role, Scoring, find_truth, journal};
use crate::eval::{Counts, EvalParams};
use crate::io::{Footprint, Footprints, SceneGrid, Space, image_id_of, read_footprints};

/// One scene of a dataset.
#[derive(Clone, Debug)]
pub struct DatasetScene {
    pub file: PathBuf,
    /// Its SpaceNet ImageId (the tile's name in the dataset's CSVs).
    pub image_id: String,
    /// Its score once measured; `None` before, or without ground truth.
    pub counts: Option<Counts>,
    /// Why it has no score (no ground truth, truth that does not open), once measured.
    pub note: Option<String>,
    /// The user's edits of it are saved beside it.
    pub edited: bool,
    /// The user has looked at it in the viewer.
    pub seen: bool,
}

/// Footprints of many scenes from one SpaceNet CSV, by ImageId.
#[derive(Clone, Debug, Default)]
struct ByImage {
    path: PathBuf,
    rows: HashMap<String, Vec<Footprint>>,
}

impl ByImage {
    fn read(path: &Path) -> Result<Self, SessionError> {
        let set = read_footprints(path)?;
        if set.space != Space::Pixel {
            return Err(SessionError::DatasetCsv {
                path: path.to_path_buf(),
            });
        }
        let mut rows: HashMap<String, Vec<Footprint>> = HashMap::new();
        for f in set.items {
            let id = f.image_id.clone().unwrap_or_default();
            rows.entry(id).or_default().push(f);
        }
        Ok(Self {
            path: path.to_path_buf(),
            rows,
        })
    }

    fn layer(&self, image_id: &str, role: Role) -> Layer {
        Layer {
            role,
            path: self.path.clone(),
            footprints: self.rows.get(image_id).cloned().unwrap_or_default(),
            visible: true,
            locked: role == Role::Truth,
            width: 1.5,
        }
    }
}

/// A folder of scenes.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub folder: PathBuf,
    pub scenes: Vec<DatasetScene>,
    /// The ground truth of every scene in one CSV (SN6's `SummaryData/*Buildings*.csv`).
    truth: Option<ByImage>,
    /// The predictions of every scene in one SpaceNet CSV.
    predictions: Option<ByImage>,
}

/// Whether `path` is a scene of a dataset: a GeoTIFF that is not one of ours beside it.
fn is_scene(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    (name.ends_with(".tif") || name.ends_with(".tiff")) && !name.contains(".edits.")
}

/// SN6's dataset CSV of building footprints near `folder`: `SummaryData/*Buildings*.csv` in it
/// or beside it.
fn summary_truth(folder: &Path) -> Option<PathBuf> {
    let places = [
        Some(folder.join("SummaryData")),
        folder.parent().map(|p| p.join("SummaryData")),
    ];
    places.into_iter().flatten().find_map(|dir| {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| n.contains("Buildings") && n.ends_with(".csv"))
            })
            .collect();
        found.sort();
        found.into_iter().next()
    })
}

impl Dataset {
    /// The scenes of `folder` (its GeoTIFFs, in name order) with the dataset's ground truth
    /// CSV when there is one and `predictions` (a SpaceNet CSV of many scenes), unscored.
    pub fn open(folder: &Path, predictions: Option<&Path>) -> Result<Self, SessionError> {
        let entries = std::fs::read_dir(folder).map_err(|e| SessionError::DatasetFolder {
            path: folder.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_scene(p))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(SessionError::DatasetFolder {
                path: folder.to_path_buf(),
                reason: "no rasters (.tif) in it".into(),
            });
        }
        let truth = summary_truth(folder)
            .map(|p| ByImage::read(&p))
            .transpose()?;
        let predictions = predictions.map(ByImage::read).transpose()?;
        let scenes = files
            .into_iter()
            .map(|file| DatasetScene {
                image_id: image_id_of(&file),
                edited: journal::sidecar_path(&file, true).is_file()
                    || journal::sidecar_path(&file, false).is_file(),
                file,
                counts: None,
                note: None,
                seen: false,
            })
            .collect();
        Ok(Self {
            folder: folder.to_path_buf(),
            scenes,
            truth,
            predictions,
        })
    }

    /// The dataset's predictions file, if it has one.
    pub fn predictions_file(&self) -> Option<&Path> {
        self.predictions.as_ref().map(|p| p.path.as_path())
    }

    /// The ground truth of scene `index` on its pixels (`grid`: the scene's): from the
    /// dataset's CSV, else the file beside the scene. `Ok(None)`: it has none.
    pub fn truth_layer(
        &self,
        index: usize,
        grid: Option<&SceneGrid>,
    ) -> Result<Option<Layer>, SessionError> {
        let Some(scene) = self.scenes.get(index) else {
            return Ok(None);
        };
        if let Some(truth) = &self.truth {
            return Ok(Some(truth.layer(&scene.image_id, Role::Truth)));
        }
        match find_truth(&scene.file) {
            Some(path) => Ok(Some(Layer::open(&path, Role::Truth, grid)?)),
            None => Ok(None),
        }
    }

    /// The dataset's predictions of scene `index`, if it has a predictions file.
    pub fn predictions_layer(&self, index: usize) -> Option<Layer> {
        let scene = self.scenes.get(index)?;
        Some(
            self.predictions
                .as_ref()?
                .layer(&scene.image_id, Role::Predictions),
        )
    }

    /// What scene `index` is scored with: the user's edits saved beside it, else the dataset's
    /// predictions of it.
    pub fn scored_layer(
        &self,
        index: usize,
        grid: Option<&SceneGrid>,
    ) -> Result<Option<Layer>, SessionError> {
        let Some(scene) = self.scenes.get(index) else {
            return Ok(None);
        };
        match journal::restore(&scene.file, grid) {
            Some(edits) => Ok(Some(edits?)),
            None => Ok(self.predictions_layer(index)),
        }
    }

    /// Scores scene `index` (its grid read from the file): its counts, or why it has none.
    pub fn score(&self, index: usize) -> Result<Counts, String> {
        let scene = self.scenes.get(index).ok_or("no such scene")?;
        let grid = crate::raster::Scene::open(&scene.file)
            .map(|s| SceneGrid::of(&s))
            .map_err(|e| e.to_string())?;
        let truth = self
            .truth_layer(index, grid.as_ref())
            .map_err(|e| format!("ground truth: {e}"))?
            .ok_or("no ground truth")?;
        let scored = self
            .scored_layer(index, grid.as_ref())
            .map_err(|e| e.to_string())?
            .unwrap_or_else(|| Layer {
                role: Role::Predictions,
                path: PathBuf::new(),
                footprints: Vec::new(),
                visible: true,
                locked: false,
                width: 1.5,
            });
        Ok(Scoring::compute(&truth, &scored, EvalParams::default()).counts())
    }

    /// Every scene's score, `progress(done, total)` after each (false stops); the scenes
    /// scored in parallel.
    pub fn score_all(
        &self,
        progress: &(dyn Fn(usize, usize) -> bool + Sync),
    ) -> Vec<Result<Counts, String>> {
        use rayon::prelude::*;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let total = self.scenes.len();
        (0..total)
            .into_par_iter()
            .map(|i| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if !progress(n, total) {
                    return Err("cancelled".to_string());
                }
                self.score(i)
            })
            .collect()
    }

    /// Takes the scores of [`Self::score_all`].
    pub fn set_scores(&mut self, scores: Vec<Result<Counts, String>>) {
        for (scene, score) in self.scenes.iter_mut().zip(scores) {
            match score {
                Ok(c) => (scene.counts, scene.note) = (Some(c), None),
                Err(why) => (scene.counts, scene.note) = (None, Some(why)),
            }
        }
    }

    /// The SpaceNet total: the counts of every scored scene added up, and how many there are.
    pub fn total(&self) -> (Counts, usize) {
        let mut total = Counts::default();
        let mut scored = 0;
        for c in self.scenes.iter().filter_map(|s| s.counts) {
            total.tp += c.tp;
            total.fp += c.fp;
            total.fn_ += c.fn_;
            scored += 1;
        }
        (total, scored)
    }

    /// Every scene's edits (else its predictions) as one set of footprints in pixels, each
    /// with its scene's ImageId: what the dataset's SpaceNet CSV holds.
    pub fn all_footprints(&self) -> Result<Footprints, SessionError> {
        let mut items = Vec::new();
        for (index, scene) in self.scenes.iter().enumerate() {
            let grid = crate::raster::Scene::open(&scene.file)
                .ok()
                .and_then(|s| SceneGrid::of(&s));
            if let Some(layer) = self.scored_layer(index, grid.as_ref())? {
                items.extend(layer.footprints.into_iter().map(|mut f| {
                    f.image_id = Some(scene.image_id.clone());
                    f
                }));
            }
        }
        Ok(Footprints {
            items,
            space: Space::Pixel,
            image_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_rasters_is_refused_in_words() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let e = Dataset::open(dir.path(), None).unwrap_err().to_string();
        assert!(e.ends_with(": no rasters (.tif) in it"), "{e}");
        let e = Dataset::open(&dir.path().join("missing"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing"), "{e}");
    }
}
