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

use std::path::{Path, PathBuf};

use geo::{Coord, MapCoords, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use layout::Building;
pub use mosaic::write_mosaic_vrt;

use crate::io::{IoError, world_from_pixel, write_footprints_geojson, write_spacenet_csv};
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

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    pub width: usize,
    pub height: usize,
    pub seed: u64,
    pub look: LookSide,
}

impl Default for SynthConfig {
    /// A 900x900 SN6 tile from the demo seed.
    fn default() -> Self {
        Self {
            width: 900,
            height: 900,
            seed: DEMO_SEED,
            look: LookSide::North,
        }
    }
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
    /// Footprints in pixel coordinates of this tile.
    pub buildings: Vec<Building>,
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
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(index);
    let looks_from_north = match config.look {
        LookSide::North => true,
        LookSide::South => false,
        LookSide::Random => rng.random_bool(0.5),
    };
    let incidence_deg = rng.random_range(40.0..55.0);
    let mut layout = layout::make_layout(&mut rng, width, height, SN6_PIXEL_SIZE);
    let buildings = layout.buildings.clone();
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
        name: scene_name(config.seed, index),
        planes: Planes::new(width, height, bands, &[Some(0.0); 4]),
        geo_transform,
        epsg: SN6_EPSG,
        buildings,
        looks_from_north,
        incidence_deg,
    })
}

/// The file stem and ImageId of scene `index` of seed `seed`: `synth_s0_0000`.
pub fn scene_name(seed: u64, index: u64) -> String {
    format!("synth_s{seed}_{index:04}")
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
    /// Footprints in pixel coordinates.
    pub fn footprints_pixel(&self) -> Vec<Polygon<f64>> {
        self.buildings.iter().map(|b| b.footprint.clone()).collect()
    }

    /// Footprints in the scene's CRS (metres).
    pub fn footprints_world(&self) -> Vec<Polygon<f64>> {
        world_from_pixel(&self.footprints_pixel(), &self.geo_transform)
    }

    /// Writes `NAME.tif` (GeoTIFF, nodata 0), `NAME.geojson` (footprints in EPSG:32631) and
    /// `NAME.csv` (SpaceNet CSV, pixel WKT) into `dir`, creating it if needed.
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
        write_spacenet_csv(&written.csv, &self.name, &self.footprints_pixel())?;
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
