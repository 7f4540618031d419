//! Training scenes (normalized bands, a building mask and the footprints to score against) and
//! the random crops the loop learns from.

use std::path::Path;

use geo::MultiPolygon;
use rand::Rng;

use super::TrainError;
use crate::io::{SceneGrid, read_footprints};
use crate::model::{ModelCard, Normalization, Rotation, band_order, model_input};
use crate::raster::Scene;
use crate::synth::{LookSide, SynthConfig, generate};
use crate::vector::rasterize;

/// One scene ready for training or validation.
#[derive(Clone, Debug)]
pub struct TrainScene {
    pub name: String,
    pub width: usize,
    pub height: usize,
    /// `[4, height, width]`, normalized as the model card says.
    pub input: Vec<f32>,
    /// `[height, width]`, 1 inside a building (pixel-centre rule), else 0.
    pub mask: Vec<f32>,
    /// A three-head network's other targets, edge and contact planes (each `width x height`,
    /// as the model sees the scene), after the mask in every crop; empty for one head.
    pub extra_targets: Vec<f32>,
    /// Bands and targets are turned 180 degrees from the scene's grid (a south strip).
    pub rotated: bool,
    /// Footprints in pixel coordinates, for the SpaceNet score.
    pub truth: Vec<MultiPolygon<f64>>,
    /// What nodata became after normalization.
    pub nodata: f32,
}

impl TrainScene {
    /// Synthetic scene `index` of `seed` (`size` px square, looking from the north as SN6
    /// tiles do after the baseline's rotation).
    pub fn synthetic(
        seed: u64,
        index: u64,
        size: usize,
        normalization: Normalization,
    ) -> Result<Self, TrainError> {
        let config = SynthConfig {
            width: size,
            height: size,
            seed,
            look: LookSide::North,
            ..Default::default()
        };
        let scene = generate(&config, index).map_err(|e| TrainError::Data(e.to_string()))?;
        let input = model_input(&scene.planes, &[0, 1, 2, 3], normalization, Rotation::None)?;
        let truth: Vec<MultiPolygon<f64>> = scene
            .footprints_pixel()
            .into_iter()
            .map(|p| MultiPolygon(vec![p]))
            .collect();
        Ok(Self::assemble(
            scene.name,
            (size, size),
            input,
            truth,
            normalization.apply(0.0),
        ))
    }

    /// A GeoTIFF and its footprints (GeoJSON, SpaceNet CSV or GeoPackage; in the scene's CRS,
    /// another CRS, or pixels). Rows of a CSV that name other images are left out.
    pub fn from_files(tif: &Path, footprints: &Path, card: &ModelCard) -> Result<Self, TrainError> {
        let data = |what: String| TrainError::Data(what);
        let scene = Scene::open(tif).map_err(|e| data(e.to_string()))?;
        let mut read = read_footprints(footprints).map_err(|e| data(e.to_string()))?;
        if let Some(grid) = SceneGrid::of(&scene) {
            read = read
                .into_pixel(&grid)
                .map_err(|e| data(format!("{}: {e}", footprints.display())))?;
        } else if !matches!(read.space, crate::io::Space::Pixel) {
            return Err(data(format!(
                "{} has no geotransform, so the map coordinates of {} cannot be placed on it",
                tif.display(),
                footprints.display()
            )));
        }
        let stem = tif
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let named = read
            .items
            .iter()
            .any(|f| f.image_id.as_deref() == Some(&stem));
        let truth: Vec<MultiPolygon<f64>> = read
            .items
            .into_iter()
            .filter(|f| !named || f.image_id.as_deref() == Some(&stem))
            .map(|f| f.polygon)
            .collect();
        Self::from_scene(&scene, stem, truth, card, Rotation::None)
    }

    /// An opened scene and its footprints in pixel coordinates, its bands in the card's order
    /// and normalization; `rotation` turns bands and mask as the model sees them (the truth
    /// polygons stay on the scene's grid).
    pub fn from_scene(
        scene: &Scene,
        name: String,
        truth: Vec<MultiPolygon<f64>>,
        card: &ModelCard,
        rotation: Rotation,
    ) -> Result<Self, TrainError> {
        let order = band_order(scene, card)?;
        let planes = scene
            .read_full()
            .map_err(|e| TrainError::Data(e.to_string()))?;
        let input = model_input(&planes, &order, card.normalization, rotation)?;
        let mut made = Self::assemble(
            name,
            (planes.width, planes.height),
            input,
            truth,
            card.normalization.apply(0.0),
        );
        if rotation == Rotation::Half {
            made.mask.reverse();
            made.rotated = true;
        }
        Ok(made)
    }

    fn assemble(
        name: String,
        (width, height): (usize, usize),
        input: Vec<f32>,
        truth: Vec<MultiPolygon<f64>>,
        nodata: f32,
    ) -> Self {
        let mask = rasterize(&truth, width, height)
            .into_iter()
            .map(|b| if b { 1.0 } else { 0.0 })
            .collect();
        Self {
            name,
            width,
            height,
            input,
            mask,
            extra_targets: Vec::new(),
            rotated: false,
            truth,
            nodata,
        }
    }

    /// The SpaceNet counts of `found` (buildings on the scene's grid, each with its
    /// confidence) against the scene's truth (IoU 0.5, min area 80).
    pub fn count(&self, found: Vec<crate::vector::TracedBuilding>) -> crate::eval::Counts {
        let proposals: Vec<(MultiPolygon<f64>, f64)> = found
            .into_iter()
            .map(|f| (MultiPolygon(vec![f.polygon]), f.confidence))
            .collect();
        crate::eval::evaluate_image(&self.truth, &proposals, crate::eval::EvalParams::default())
            .counts
    }

    /// Adds the SN6 winner's edge and contact targets (made from the truth footprints), turned
    /// as the mask is when `rotated`.
    pub fn with_three_targets(mut self, rotated: bool) -> Self {
        let labels = super::targets::label_buildings(&self.truth, self.width, self.height);
        let (mut edge, mut contact) =
            super::targets::edge_and_contact(&labels, self.width, self.height);
        if rotated {
            edge.reverse();
            contact.reverse();
        }
        edge.extend(contact);
        self.extra_targets = edge;
        self
    }

    /// Synthetic scene `index` of `seed` (`demo --difficulty ...`) as the SN6 winner's
    /// network sees it: bands normalized by main.py's means and deviations in its order, a
    /// south strip turned 180 degrees (bands and targets; the truth stays on the scene's
    /// grid), with the three targets. Also whether it was turned.
    pub fn winner_synthetic(
        seed: u64,
        index: u64,
        size: usize,
        difficulty: crate::synth::Difficulty,
    ) -> Result<(Self, bool), TrainError> {
        let config = SynthConfig {
            width: size,
            height: size,
            seed,
            difficulty,
            ..Default::default()
        };
        let scene = generate(&config, index).map_err(|e| TrainError::Data(e.to_string()))?;
        let south = !scene.looks_from_north;
        let p = &scene.planes;
        let bands = [
            &p.bands[0][..],
            &p.bands[1][..],
            &p.bands[2][..],
            &p.bands[3][..],
        ];
        let truth: Vec<MultiPolygon<f64>> = scene
            .footprints_pixel()
            .into_iter()
            .map(|p| MultiPolygon(vec![p]))
            .collect();
        let made = Self::winner(scene.name, bands, (size, size), truth, south)?;
        Ok((made, south))
    }

    /// A scene's bands (HH, HV, VH, VV of `width` x `height`) and its footprints (pixels, on
    /// the scene's grid) as the SN6 winner's network sees them: normalized by main.py's means
    /// and deviations in its band order, turned 180 degrees when `south` (bands and targets;
    /// the truth stays on the scene's grid), with the three targets.
    pub fn winner(
        name: String,
        bands: [&[f32]; 4],
        (width, height): (usize, usize),
        truth: Vec<MultiPolygon<f64>>,
        south: bool,
    ) -> Result<Self, TrainError> {
        if bands.iter().any(|b| b.len() != width * height) {
            return Err(TrainError::Data(format!(
                "{name}: the four bands must each hold {width} x {height} values"
            )));
        }
        let input = crate::model::effunet::winner_input(bands, south);
        let nodata = crate::model::effunet::winner_input([&[0.0], &[0.0], &[0.0], &[0.0]], false)
            .first()
            .copied()
            .unwrap_or(0.0);
        let mut made = Self::assemble(name, (width, height), input, truth, nodata);
        if south {
            made.mask.reverse();
            made.rotated = true;
        }
        Ok(made.with_three_targets(south))
    }

    /// Appends the window at (`x0`, `y0`) of every band and of the mask, mirrored left to right
    /// when `flip`.
    fn fill_crop(
        &self,
        x0: usize,
        y0: usize,
        crop: usize,
        flip: bool,
        input: &mut Vec<f32>,
        mask: &mut Vec<f32>,
    ) {
        let n = self.width * self.height;
        for c in 0..4 {
            let plane = &self.input[c * n..(c + 1) * n];
            for y in y0..y0 + crop {
                let row = &plane[y * self.width + x0..y * self.width + x0 + crop];
                if flip {
                    input.extend(row.iter().rev());
                } else {
                    input.extend_from_slice(row);
                }
            }
        }
        let n = self.width * self.height;
        let planes = std::iter::once(&self.mask[..]).chain(self.extra_targets.chunks_exact(n));
        for plane in planes {
            for y in y0..y0 + crop {
                let row = &plane[y * self.width + x0..y * self.width + x0 + crop];
                if flip {
                    mask.extend(row.iter().rev());
                } else {
                    mask.extend_from_slice(row);
                }
            }
        }
    }

    /// Share of a crop's pixels that hold data (not the nodata value `pad` in every band).
    fn valid_share(&self, x0: usize, y0: usize, crop: usize, pad: f32) -> f64 {
        let mut valid = 0usize;
        for y in y0..y0 + crop {
            let row = &self.input[y * self.width + x0..y * self.width + x0 + crop];
            valid += row.iter().filter(|v| **v != pad).count();
        }
        valid as f64 / (crop * crop) as f64
    }
}

/// `batch` random `crop` x `crop` windows of random scenes, each flipped left to right with
/// probability 1/2 (the baseline's augmentation). A window mostly outside the image's data
/// (the strip edge) is drawn again, up to 8 times. Returns `[batch, 4, crop, crop]` inputs and
/// `[batch, K, crop, crop]` targets: the mask, then the scenes' extra targets (K = 1 or 3).
pub fn crop_batch(
    scenes: &[TrainScene],
    crop: usize,
    batch: usize,
    rng: &mut impl Rng,
) -> Result<(Vec<f32>, Vec<f32>), TrainError> {
    let usable: Vec<&TrainScene> = scenes
        .iter()
        .filter(|s| s.width >= crop && s.height >= crop)
        .collect();
    if usable.is_empty() {
        return Err(TrainError::Data(format!(
            "no training scene is at least {crop} x {crop} px"
        )));
    }
    let mut inputs = Vec::with_capacity(batch * 4 * crop * crop);
    let mut masks = Vec::with_capacity(batch * crop * crop);
    for _ in 0..batch {
        let mut pick = (usable[0], 0, 0);
        for _ in 0..8 {
            let scene = usable[rng.random_range(0..usable.len())];
            let x0 = rng.random_range(0..=scene.width - crop);
            let y0 = rng.random_range(0..=scene.height - crop);
            pick = (scene, x0, y0);
            if scene.valid_share(x0, y0, crop, scene.nodata) >= 0.5 {
                break;
            }
        }
        let (scene, x0, y0) = pick;
        let flip = rng.random_bool(0.5);
        scene.fill_crop(x0, y0, crop, flip, &mut inputs, &mut masks);
    }
    Ok((inputs, masks))
}

#[cfg(test)]
mod tests {
    use geo::Area;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn tiny() -> TrainScene {
        // 64x64, band c holds c*1000 + x, a building mask on x < 10.
        let (w, h) = (64, 64);
        let mut input = Vec::new();
        for c in 0..4 {
            for _y in 0..h {
                input.extend((0..w).map(|x| (c * 1000 + x) as f32));
            }
        }
        let square = geo::Polygon::new(
            geo::LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 64.0), (0.0, 64.0)]),
            vec![],
        );
        TrainScene::assemble(
            "t".into(),
            (w, h),
            input,
            vec![MultiPolygon(vec![square])],
            -1.0,
        )
    }

    #[test]
    fn crops_keep_bands_mask_and_flip_together() {
        let scene = tiny();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (crop, batch) = (32, 16);
        let (inputs, masks) =
            crop_batch(std::slice::from_ref(&scene), crop, batch, &mut rng).unwrap();
        assert_eq!(inputs.len(), batch * 4 * crop * crop);
        assert_eq!(masks.len(), batch * crop * crop);
        let mut flipped = 0;
        for b in 0..batch {
            let first = &inputs[b * 4 * crop * crop..][..crop];
            let x_first = first[0] as usize;
            let is_flipped = first[0] > first[1];
            flipped += usize::from(is_flipped);
            for c in 0..4 {
                let v = inputs[b * 4 * crop * crop + c * crop * crop + 5 * crop];
                assert_eq!(v as usize, c * 1000 + x_first, "band {c} of crop {b}");
            }
            for (i, &x) in first.iter().enumerate() {
                let m = masks[b * crop * crop + 7 * crop + i];
                assert_eq!(m == 1.0, (x as usize) < 10, "mask follows column x = {x}");
            }
        }
        assert!(
            flipped > 0 && flipped < batch,
            "{flipped} of {batch} flipped"
        );
    }

    #[test]
    fn crops_larger_than_every_scene_are_refused() {
        let scene = tiny();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let err = crop_batch(&[scene], 128, 1, &mut rng).unwrap_err();
        assert!(err.to_string().contains("128"), "{err}");
    }

    #[test]
    fn synthetic_scenes_have_masks_under_their_footprints() {
        let scene = TrainScene::synthetic(5, 0, 128, Normalization::SN6_BASELINE).unwrap();
        let inside = scene.mask.iter().filter(|m| **m == 1.0).count();
        assert!(!scene.truth.is_empty());
        let area: f64 = scene.truth.iter().map(|p| p.unsigned_area()).sum();
        assert!(
            (inside as f64 - area).abs() < 0.1 * area + 50.0,
            "{inside} px vs {area}"
        );
        assert_eq!(scene.input.len(), 4 * 128 * 128);
    }
}
