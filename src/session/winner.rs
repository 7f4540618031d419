//! Predicting with the SN6 winner's network: its fold checkpoints loaded and checked against
//! their model card, and a scene's three maps by its inference (the tile's strip, look and y
//! as its extra input): one routine for `sarscope predict` and the viewer.

use std::path::{Path, PathBuf};

use super::SessionError;
use crate::model::effunet::{
    EffUNetConfig, Extra, LoadedEffUNet, Tta, WinnerLogits, load_effunet, predict_winner,
};
use crate::model::{
    ModelCard, ModelDevice, ModelError, NETWORK_WINNER, Orientations, Rotation, band_order,
    card_path, find_orientations_file, rotation_by_card, sn6_strip_key,
};
use crate::raster::{Scene, Window};

/// The winner's network loaded: its folds (averaged), the first one's card, the device.
pub struct WinnerPredictor {
    pub folds: Vec<LoadedEffUNet>,
    pub card: ModelCard,
    /// Whether the first weights file had a card beside it.
    pub card_found: bool,
    pub config: EffUNetConfig,
    pub device: ModelDevice,
}

impl WinnerPredictor {
    /// Loads every fold on `device`; they must share one shape, which the card (when there
    /// is one) must name.
    pub fn load(weights: &[PathBuf], device: ModelDevice) -> Result<Self, SessionError> {
        let mut folds: Vec<LoadedEffUNet> = Vec::with_capacity(weights.len());
        for path in weights {
            let loaded = load_effunet(path, &device.device)?;
            if let Some(first) = folds.first()
                && let Some(diff) = first.config.first_difference(&loaded.config)
            {
                return Err(ModelError::Mismatch {
                    path: path.clone(),
                    network: "the other folds",
                    report: format!(
                        "  its shape differs from {}'s: {diff} (there vs here); folds to average must share one",
                        first.path.display()
                    ),
                }
                .into());
            }
            folds.push(loaded);
        }
        let first = folds.first().ok_or(SessionError::NoWeights)?;
        let (card, card_found, config) = winner_card(&first.path, &first.config)?;
        for fold in &mut folds {
            fold.model = fold.model.clone().with_extra_num(config.extra_num);
            fold.config.extra_num = config.extra_num;
        }
        Ok(Self {
            folds,
            card,
            card_found,
            config,
            device,
        })
    }

    /// The rotation the card's rule gives `file` (SN6 tiles imaged from the south: 180°).
    pub fn rotation(
        &self,
        file: &Path,
        given: Option<&Orientations>,
    ) -> Result<Rotation, SessionError> {
        Ok(rotation_by_card(file, &self.card.rotation, given)?)
    }

    /// The three maps' logits of all of `scene` (opened from `file`), turned by `rotation`.
    /// The extra input: the strip's place in the orientation file (`given`, else the one
    /// near the tile when `look_for_orientations`), the look, and the tile's northing.
    pub fn predict_scene(
        &self,
        file: &Path,
        scene: &Scene,
        rotation: Rotation,
        given: Option<&Orientations>,
        look_for_orientations: bool,
        tta: &Tta,
    ) -> Result<WinnerLogits, SessionError> {
        let within = Within {
            window: scene.full_window(),
            given,
            look_for_orientations,
        };
        self.predict_window(file, scene, rotation, within, tta)
    }

    /// The three maps' logits of `within.window` of `scene`, predicted as a tile of its own
    /// (its nodata border cropped, turned by `rotation`, its top edge's northing as y).
    pub fn predict_window(
        &self,
        file: &Path,
        scene: &Scene,
        rotation: Rotation,
        within: Within,
        tta: &Tta,
    ) -> Result<WinnerLogits, SessionError> {
        let window = within.window;
        let (planes, order) = winner_bands(scene, &self.card, window)?;
        let bands = order.map(|b| planes.bands[b].as_slice());
        let extra = extra_for(
            file,
            scene,
            rotation,
            within.given,
            within.look_for_orientations,
            window,
        );
        let models: Vec<_> = self.folds.iter().map(|f| &f.model).collect();
        // On a CPU the TTA's passes share the cores; a GPU takes them one by one.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let tta = tta
            .clone()
            .at_once(if self.device.is_gpu { 1 } else { cores });
        Ok(predict_winner(
            &models,
            bands,
            (planes.width, planes.height),
            &extra,
            self.config.strips,
            &tta,
            &self.device.device,
        )?)
    }
}

/// The part of a scene to predict, and where its strip's orientation comes from: `given`,
/// else the orientation file near the scene when `look_for_orientations`.
#[derive(Clone, Copy)]
pub struct Within<'a> {
    pub window: Window,
    pub given: Option<&'a Orientations>,
    pub look_for_orientations: bool,
}

/// The model card beside the winner's weights at `path` (whose shape is `config`), checked
/// against them: whether there was one, and the network's shape with the card's `extra_num`
/// (which the weights do not hold). No card: a card that says only the network.
pub fn winner_card(
    path: &Path,
    config: &EffUNetConfig,
) -> Result<(ModelCard, bool, EffUNetConfig), SessionError> {
    let mut config = config.clone();
    let card_file = card_path(path);
    let card_found = card_file.is_file();
    let card = if card_found {
        ModelCard::read(&card_file)?
    } else {
        ModelCard {
            network: NETWORK_WINNER.into(),
            ..ModelCard::default()
        }
    };
    if card_found {
        let fail = |reason: String| ModelError::Card {
            path: card_file.clone(),
            reason,
        };
        if card.network != NETWORK_WINNER {
            return Err(fail(format!(
                "it says network {:?}, but {} holds the SN6 winner's network ({NETWORK_WINNER:?})",
                card.network,
                path.display()
            ))
            .into());
        }
        if let Some(said) = &card.effunet {
            // extra_num is not in the weights: the card says it.
            let mut weights = config.clone();
            weights.extra_num = said.extra_num;
            if let Some(diff) = said.first_difference(&weights) {
                return Err(fail(format!(
                    "it disagrees with the weights {}: {diff} (card vs weights)",
                    path.display()
                ))
                .into());
            }
            config.extra_num = said.extra_num;
        }
    }
    Ok((card, card_found, config))
}

/// The scene's HH, HV, VH and VV bands (found by the names or order `card` gives) in
/// `window`: the planes and, for each of the four, its index among them.
pub fn winner_bands(
    scene: &Scene,
    card: &ModelCard,
    window: Window,
) -> Result<(crate::raster::Planes, [usize; 4]), SessionError> {
    // The roles of the bands, in the file order the winner's code expects.
    let lookup = ModelCard {
        bands: ["HH", "HV", "VH", "VV"].map(String::from).to_vec(),
        ..card.clone()
    };
    let order = band_order(scene, &lookup)?;
    let planes = if window == scene.full_window() {
        scene.read_full()?
    } else {
        scene.read_window(window, (window.width, window.height))?
    };
    let mut index = [0; 4];
    for (i, slot) in index.iter_mut().enumerate() {
        let band = order
            .get(i)
            .copied()
            .ok_or(ModelError::MissingBand { band: i + 1 })?;
        if band >= planes.bands.len() {
            return Err(ModelError::MissingBand { band: band + 1 }.into());
        }
        *slot = band;
    }
    Ok((planes, index))
}

/// The tile's extra input: its strip's place in the orientation file (SN6 names only), its
/// look, and main.py's y coordinate from the northing of `window`'s top edge (main.py averages
/// its strip's tiles; one tile's top edge is the nearest a single tile has).
pub fn extra_for(
    file: &Path,
    scene: &Scene,
    rotation: Rotation,
    given: Option<&Orientations>,
    look_for_orientations: bool,
    window: Window,
) -> Extra {
    let strip_key = file
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(sn6_strip_key);
    let found;
    let orientations = match given {
        Some(o) => Some(o),
        None if look_for_orientations => {
            found = find_orientations_file(file).and_then(|p| Orientations::read(&p).ok());
            found.as_ref()
        }
        None => None,
    };
    let strip = strip_key
        .as_deref()
        .and_then(|k| orientations.and_then(|o| o.index_of(k)));
    let northing = scene.geo_transform().map_or(5_746_153.106, |gt| {
        gt.0[3] + window.x as f64 * gt.0[4] + window.y as f64 * gt.0[5]
    });
    Extra {
        strip,
        south: rotation == Rotation::Half,
        coord_y: Extra::coord_of_northing(northing),
    }
}
