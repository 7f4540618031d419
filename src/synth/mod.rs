//! The SpaceNet 6-like synthetic scene: a deterministic (seeded) generator of 4-band float32
//! SAR tiles in EPSG:32631 at 0.5 m with their ground-truth footprints.
//!
//! The scene is a small city (street grid, terraced, detached and large buildings, parks,
//! canals) seen by an X-band radar: roofs displaced towards the sensor (layover), bright
//! double bounce at the walls facing it, shadows behind, gamma speckle, co-pol brighter than
//! cross-pol, and values on the scale of the SN6 SAR-Intensity product (0 = nodata beyond a
//! strip edge). The same generator serves the demo, tests and training.

mod layout;
mod mosaic;
mod noise;
mod radar;
mod ragged;

use std::path::{Path, PathBuf};

use geo::{Coord, MapCoords, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use layout::Building;
pub use mosaic::{write_complex_mosaic_vrt, write_mosaic_vrt};
pub use ragged::ragged_outlines;

use crate::io::{
    IoError, image_id_of, world_from_pixel, write_footprints_geojson, write_spacenet_csv,
};
use crate::raster::{GeoTiffMeta, GeoTransform, Planes, RasterError, write_geotiff};

/// The SpaceNet 6 CRS: WGS 84 / UTM zone 31N (Rotterdam).
pub const SN6_EPSG: u32 = 32631;
/// SpaceNet 6 pixel size in metres.
pub const SN6_PIXEL_SIZE: f64 = 0.5;
/// Band order of the SN6 SAR-Intensity tiles.
pub const BAND_NAMES: [&str; 4] = ["HH", "HV", "VH", "VV"];
/// The seed of the built-in demo scene.
pub const DEMO_SEED: u64 = 0;

/// Which side the radar looks from. SN6's baseline rotates south-looking tiles by 180 degrees
/// so that every tile looks from the north; the generator does so by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LookSide {
    #[default]
    North,
    South,
    /// Either, drawn per scene.
    Random,
}

/// How hard the scenes are to map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Difficulty {
    /// The first generator's scenes: gaps between terraced houses, truth exactly on the
    /// buildings' ground outlines, every tile seen from the north.
    #[default]
    Standard,
    /// A benchmark as hard as Rotterdam (README, "The hard benchmark"): terraced houses that
    /// share walls, towers whose layover falls across their neighbours, street trees, lamp
    /// posts, cars and ships, strips imaged from the north or the south (flagged in
    /// `SAR_orientations.txt` the SN6 way, tiles named as SN6's), and truth drawn as an
    /// optical annotator would.
    Hard,
}

/// The file beside hard scenes that flags their strips' looks, as SN6's `SummaryData/` has it.
pub const ORIENTATIONS_FILE: &str = "SAR_orientations.txt";

/// Adds a strip's flag (1: imaged from the south) to `SAR_orientations.txt` in `dir`, keeping
/// the lines of strips already there, through a temporary file.
fn add_orientation(dir: &Path, strip: &str, south: bool) -> Result<(), SynthError> {
    let path = dir.join(ORIENTATIONS_FILE);
    let mut all: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(&path) {
        for line in text.lines() {
            let mut fields = line.split_whitespace();
            if let (Some(key), Some(flag)) = (fields.next(), fields.next()) {
                all.insert(key.to_string(), flag.to_string());
            }
        }
    }
    all.insert(strip.to_string(), if south { "1" } else { "0" }.to_string());
    let text: String = all.iter().map(|(k, f)| format!("{k} {f}\n")).collect();
    crate::replace::Replacement::new(&path)
        .write(|tmp| std::fs::write(tmp, text), |e| e)
        .map_err(|error| SynthError::Write {
            path: path.clone(),
            error,
        })
}

/// Tiles per imaging strip in hard scenes: consecutive indices share a strip and its look.
pub const TILES_PER_STRIP: u64 = 4;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    pub width: usize,
    pub height: usize,
    pub seed: u64,
    /// Standard scenes only; hard scenes take the look of their strip.
    pub look: LookSide,
    pub difficulty: Difficulty,
}

impl Default for SynthConfig {
    /// A 900x900 SN6 tile from the demo seed.
    fn default() -> Self {
        Self {
            width: 900,
            height: 900,
            seed: DEMO_SEED,
            look: LookSide::North,
            difficulty: Difficulty::Standard,
        }
    }
}

/// The strip key (two 14-digit timestamps, as SN6's) of hard scene `index` of `seed`, and
/// whether that strip was imaged from the south.
pub fn hard_strip(seed: u64, index: u64) -> (String, bool) {
    let strip = index / TILES_PER_STRIP;
    let start = 20_190_804_000_000u64 + (seed % 10_000) * 1_000_000 + strip % 1_000_000;
    let mut h = (seed ^ 0x005E_ED0F_5A12).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ strip;
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 32;
    (format!("{start:014}_{:014}", start + 229), h & 1 == 1)
}

/// One generated scene.
#[derive(Clone, Debug)]
pub struct SynthScene {
    /// File stem and SpaceNet ImageId, e.g. `synth_s0_0000`.
    pub name: String,
    /// Bands HH, HV, VH, VV; 0 = nodata.
    pub planes: Planes,
    pub geo_transform: GeoTransform,
    pub epsg: u32,
    /// The buildings the radar saw, footprints in pixel coordinates of this tile.
    pub buildings: Vec<Building>,
    /// The ground truth, in pixel coordinates: the footprints themselves, or in hard scenes
    /// an annotator's outlines of them.
    pub truth: Vec<Polygon<f64>>,
    pub looks_from_north: bool,
    pub incidence_deg: f64,
}

/// The files [`SynthScene::write`] made.
#[derive(Clone, Debug)]
pub struct WrittenScene {
    pub tif: PathBuf,
    pub geojson: PathBuf,
    pub csv: PathBuf,
}

/// Why writing a scene failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(transparent)]
    Raster(#[from] RasterError),
    #[error(transparent)]
    Footprints(#[from] IoError),
    // The reasons are in the messages, not chained as sources: `{:#}` would say them twice.
    #[error("{}: cannot create the folder: {error}", path.display())]
    Folder {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("a scene must be at least 64x64 pixels, not {width}x{height}")]
    TooSmall { width: usize, height: usize },
    #[error("{}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Generates scene number `index` of the sequence that `config.seed` defines. The same seed,
/// index and size give the same scene, bit for bit, on every machine.
pub fn generate(config: &SynthConfig, index: u64) -> Result<SynthScene, SynthError> {
    let (width, height) = (config.width, config.height);
    if width < 64 || height < 64 {
        return Err(SynthError::TooSmall { width, height });
    }
    let hard = config.difficulty == Difficulty::Hard;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(index);
    let looks_from_north = match config.look {
        _ if hard => !hard_strip(config.seed, index).1,
        LookSide::North => true,
        LookSide::South => false,
        LookSide::Random => rng.random_bool(0.5),
    };
    let incidence_deg = rng.random_range(40.0..55.0);
    let mut layout = layout::make_layout(&mut rng, width, height, SN6_PIXEL_SIZE, hard);
    let buildings = layout.buildings.clone();
    let truth = if hard {
        annotate(&buildings, &mut rng)
    } else {
        buildings.iter().map(|b| b.footprint.clone()).collect()
    };
    // The radar model looks along +y; a south-looking scene is rendered upside down.
    if !looks_from_north {
        flip_layout(&mut layout);
    }
    let geometry = radar::Geometry {
        incidence_deg,
        pixel_size: SN6_PIXEL_SIZE,
    };
    let mut bands = radar::backscatter(&layout, geometry, &mut rng);
    radar::to_product(&mut bands, &layout.valid, &mut rng);
    if !looks_from_north {
        for band in &mut bands {
            flip_rows(band, width, height);
        }
    }
    // Tiles of one seed sit side by side over Rotterdam.
    let col = (index % 20) as f64;
    let row = ((index / 20) % 20) as f64;
    let geo_transform = GeoTransform::north_up(
        590_000.0 + col * width as f64 * SN6_PIXEL_SIZE,
        5_752_000.0 - row * height as f64 * SN6_PIXEL_SIZE,
        SN6_PIXEL_SIZE,
    );
    Ok(SynthScene {
        name: if hard {
            hard_scene_name(config.seed, index)
        } else {
            scene_name(config.seed, index)
        },
        planes: Planes::new(width, height, bands, &[Some(0.0); 4]),
        geo_transform,
        epsg: SN6_EPSG,
        buildings,
        truth,
        looks_from_north,
        incidence_deg,
    })
}

/// The file stem and ImageId of scene `index` of seed `seed`: `synth_s0_0000`.
pub fn scene_name(seed: u64, index: u64) -> String {
    format!("synth_s{seed}_{index:04}")
}

/// The file stem of hard scene `index` of seed `seed`, an SN6 tile name whose strip key
/// `SAR_orientations.txt` flags: `SN6_Synth_AOI_11_Rotterdam_SAR-Intensity_<strip>_tile_<i>`.
pub fn hard_scene_name(seed: u64, index: u64) -> String {
    let (strip, _) = hard_strip(seed, index);
    format!("SN6_Synth_AOI_11_Rotterdam_SAR-Intensity_{strip}_tile_{index}")
}

/// An optical annotator's outlines of the buildings: the whole scene off by a registration
/// error of up to 1 m (2 px) each way, and every corner placed by hand within 0.25 m
/// (0.5 px), a corner that neighbours share placed once for both (touching houses stay
/// touching).
fn annotate(buildings: &[Building], rng: &mut impl Rng) -> Vec<Polygon<f64>> {
    let shift = Coord {
        x: rng.random_range(-2.0..2.0),
        y: rng.random_range(-2.0..2.0),
    };
    let salt: u64 = rng.random();
    let jitter = |c: Coord<f64>| -> Coord<f64> {
        // The same corner (to a hundredth of a pixel) gets the same hand error.
        let key = ((c.x * 100.0).round() as i64, (c.y * 100.0).round() as i64);
        let mut h = salt
            ^ (key.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (key.1 as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        let mut unit = || {
            h ^= h >> 33;
            h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
            h ^= h >> 33;
            (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        Coord {
            x: c.x + shift.x + unit(),
            y: c.y + shift.y + unit(),
        }
    };
    buildings
        .iter()
        .map(|b| b.footprint.map_coords(jitter))
        .collect()
}

fn flip_rows<T>(values: &mut [T], width: usize, height: usize) {
    for y in 0..height / 2 {
        let (top, bottom) = values.split_at_mut((height - 1 - y) * width);
        if let (Some(a), Some(b)) = (
            top.get_mut(y * width..(y + 1) * width),
            bottom.get_mut(..width),
        ) {
            a.swap_with_slice(b);
        }
    }
}

fn flip_layout(layout: &mut layout::Layout) {
    let (w, h) = (layout.width, layout.height);
    flip_rows(&mut layout.cover, w, h);
    flip_rows(&mut layout.valid, w, h);
    if !layout.crowns.is_empty() {
        flip_rows(&mut layout.crowns, w, h);
    }
    for (i, _) in &mut layout.scatterers {
        *i = (h - 1 - *i / w) * w + *i % w;
    }
    for b in &mut layout.buildings {
        b.footprint = b.footprint.map_coords(|c| Coord {
            x: c.x,
            y: h as f64 - c.y,
        });
        // Keep the ring's orientation after the mirror.
        b.footprint.exterior_mut(|ring| ring.0.reverse());
    }
}

impl SynthScene {
    /// The ground-truth footprints in pixel coordinates.
    pub fn footprints_pixel(&self) -> Vec<Polygon<f64>> {
        self.truth.clone()
    }

    /// Footprints in the scene's CRS (metres).
    pub fn footprints_world(&self) -> Vec<Polygon<f64>> {
        world_from_pixel(&self.footprints_pixel(), &self.geo_transform)
    }

    /// Writes `NAME.tif` (GeoTIFF, nodata 0), `NAME.geojson` (footprints in EPSG:32631) and
    /// `NAME.csv` (SpaceNet CSV, pixel WKT) into `dir`, creating it if needed; a hard scene
    /// (an SN6 tile name) also flags its strip's look in `dir`'s `SAR_orientations.txt`.
    pub fn write(&self, dir: &Path) -> Result<WrittenScene, SynthError> {
        std::fs::create_dir_all(dir).map_err(|error| SynthError::Folder {
            path: dir.to_path_buf(),
            error,
        })?;
        let written = WrittenScene {
            tif: dir.join(format!("{}.tif", self.name)),
            geojson: dir.join(format!("{}.geojson", self.name)),
            csv: dir.join(format!("{}.csv", self.name)),
        };
        write_geotiff(
            &written.tif,
            &self.planes,
            &GeoTiffMeta {
                geo_transform: Some(self.geo_transform),
                epsg: Some(self.epsg),
                nodata: Some(0.0),
                band_names: &BAND_NAMES,
                ..Default::default()
            },
        )?;
        let properties: Vec<_> = self
            .buildings
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut p = serde_json::Map::new();
                p.insert("TileBuildingId".into(), i.into());
                p.insert(
                    "height_m".into(),
                    ((b.height_m * 10.0).round() / 10.0).into(),
                );
                p
            })
            .collect();
        write_footprints_geojson(
            &written.geojson,
            &self.footprints_world(),
            &properties,
            Some(self.epsg),
        )?;
        // The ImageId the tile's name gives (SN6 names: `<strip>_tile_<n>`), as every reader
        // of predictions names it.
        let image_id = image_id_of(&written.tif);
        write_spacenet_csv(&written.csv, &image_id, &self.footprints_pixel())?;
        if let Some(strip) = crate::model::sn6_strip_key(&self.name) {
            add_orientation(dir, &strip, !self.looks_from_north)?;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> SynthConfig {
        SynthConfig {
            width: 256,
            height: 256,
            seed,
            look: LookSide::North,
            difficulty: Difficulty::Standard,
        }
    }

    #[test]
    fn same_seed_same_scene_other_seed_other_scene() {
        let a = generate(&small(7), 3).unwrap();
        let b = generate(&small(7), 3).unwrap();
        let c = generate(&small(8), 3).unwrap();
        assert_eq!(a.planes, b.planes);
        assert_eq!(a.buildings.len(), b.buildings.len());
        assert_ne!(a.planes, c.planes);
        assert_eq!(a.name, "synth_s7_0003");
    }

    #[test]
    fn flip_rows_mirrors_vertically() {
        let mut v = vec![1, 2, 3, 4, 5, 6];
        flip_rows(&mut v, 2, 3);
        assert_eq!(v, vec![5, 6, 3, 4, 1, 2]);
    }

    #[test]
    fn too_small_is_refused() {
        let config = SynthConfig {
            width: 10,
            ..small(0)
        };
        assert!(matches!(
            generate(&config, 0),
            Err(SynthError::TooSmall { .. })
        ));
    }
}
