//! One shard's part of a mapping run: its units mapped in order, each written atomically, the
//! manifest kept after each, the units a killed earlier attempt finished skipped.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::MapError;
use super::block::SceneMapper;
use super::plan::{Plan, Shard, Unit};
use crate::io::geoparquet::{MappedFootprint, MappedLayer, projjson_of_wkt, write_geoparquet};
use crate::model::{Orientations, Rotation, rotation_by_card};
use crate::raster::{GeoTiffMeta, GeoTransform, Planes, Scene, Window, write_geotiff_replacing};
use crate::replace::Replacement;
use crate::session::predict::Predictor;

/// The 180-degree turn of scenes imaged from the south.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotateRule {
    /// The model card's rule (SN6 tiles by their strip's flag; other files never).
    ByCard,
    Never,
    Always,
}

impl RotateRule {
    fn name(self) -> &'static str {
        match self {
            Self::ByCard => "by-card",
            Self::Never => "never",
            Self::Always => "always",
        }
    }
}

/// How a run maps.
#[derive(Clone, Debug)]
pub struct MapSettings {
    pub out: PathBuf,
    /// Side of a block of a large scene (px).
    pub block: usize,
    /// Pixels around a block that it is vectorized with (at least the largest building's
    /// half-width; more is taken where a building reaches it).
    pub halo: usize,
    pub rotate: RotateRule,
    /// The dataset's SAR_orientations.txt, for `ByCard`.
    pub orientations: Option<PathBuf>,
    /// Each unit's probability map as a GeoTIFF in `probabilities/`.
    pub keep_probabilities: bool,
}

impl MapSettings {
    pub const DEFAULT_BLOCK: usize = 2048;
    pub const DEFAULT_HALO: usize = 256;
    /// The smallest halo: a building's piece inside a block's halo that reaches the block is
    /// at least this many pixels, more than the smallest building kept.
    pub const MIN_HALO: usize = 128;
}

/// What a run is: a folder holds the parts of one run only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub format: u32,
    pub model: String,
    pub weights: String,
    /// FNV-1a (64 bits) of the weights file's bytes.
    pub weights_fnv1a64: String,
    pub inputs: Vec<String>,
    pub block: usize,
    pub halo: usize,
    pub rotate: String,
    pub threshold: f32,
    pub min_area_px: f64,
    pub units: usize,
    /// The CRS of the footprints (the first scene's): those of scenes in another one are
    /// reprojected into it.
    pub crs_wkt: Option<String>,
}

impl RunIdentity {
    fn new(predictor: &Predictor, plan: &Plan, settings: &MapSettings) -> Result<Self, MapError> {
        let weights = &predictor.loaded.path;
        // The first scene that opened (when the plan was made) says it.
        let crs_wkt = plan
            .scenes
            .iter()
            .find(|s| s.size.is_ok())
            .and_then(|s| s.crs_wkt.clone());
        Ok(Self {
            format: 1,
            model: predictor.loaded.card.name.clone(),
            weights: weights.display().to_string(),
            weights_fnv1a64: format!("{:016x}", fnv1a64_file(weights)?),
            inputs: plan
                .scenes
                .iter()
                .map(|s| {
                    std::fs::canonicalize(&s.path)
                        .unwrap_or_else(|_| s.path.clone())
                        .display()
                        .to_string()
                })
                .collect(),
            block: settings.block,
            halo: settings.halo,
            rotate: settings.rotate.name().into(),
            threshold: predictor.loaded.card.threshold,
            min_area_px: predictor.loaded.card.min_area_px,
            units: plan.units.len(),
            crs_wkt,
        })
    }

    /// How `self` (the folder's) differs from `other` (this run), in words; empty: the same.
    fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        if self.weights_fnv1a64 != other.weights_fnv1a64 {
            out.push(format!(
                "different weights ({}, checksum {}; now {}, checksum {})",
                self.weights, self.weights_fnv1a64, other.weights, other.weights_fnv1a64
            ));
        }
        if self.inputs != other.inputs {
            let first = self
                .inputs
                .iter()
                .zip(&other.inputs)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!(", first difference: {a} vs {b}"))
                .unwrap_or_default();
            out.push(format!(
                "different inputs ({} scenes; now {}{first})",
                self.inputs.len(),
                other.inputs.len()
            ));
        }
        let settings = |r: &Self| {
            format!(
                "block {}, halo {}, rotate {}, threshold {}, min area {} px",
                r.block, r.halo, r.rotate, r.threshold, r.min_area_px
            )
        };
        if settings(self) != settings(other) {
            out.push(format!(
                "different settings ({}; now {})",
                settings(self),
                settings(other)
            ));
        }
        out
    }

    /// Makes `folder` this run's, or checks that it is: `run.json` written once (by whichever
    /// shard comes first), compared by the others and by later attempts.
    fn claim(&self, folder: &Path) -> Result<(), MapError> {
        std::fs::create_dir_all(folder).map_err(|e| MapError::file(folder, e))?;
        let path = folder.join("run.json");
        let other = |reason: String| MapError::OtherRun {
            folder: folder.to_path_buf(),
            reason,
        };
        if !path.exists() {
            let parts = folder.join("parts");
            let has_parts = std::fs::read_dir(&parts)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false);
            if has_parts {
                return Err(other("parts/ holds files but there is no run.json".into()));
            }
            let text = serde_json::to_string_pretty(self)
                .map_err(|e| MapError::Input(format!("run.json: {e}")))?;
            let tmp = folder.join(format!(".run.json.{}.partial", std::process::id()));
            let written = std::fs::write(&tmp, text)
                .map_err(|e| MapError::file(&tmp, e))
                .and_then(|()| match std::fs::hard_link(&tmp, &path) {
                    Ok(()) => Ok(()),
                    // Another shard claimed it first: compared below.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                    Err(e) => Err(MapError::file(&path, e)),
                });
            let _ = std::fs::remove_file(&tmp);
            written?;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| MapError::file(&path, e))?;
        let theirs: Self = serde_json::from_str(&text)
            .map_err(|e| other(format!("its run.json is not a sarscope map run's ({e})")))?;
        let differences = theirs.differences(self);
        if differences.is_empty() {
            Ok(())
        } else {
            Err(other(differences.join("; ")))
        }
    }
}

/// FNV-1a (64 bits) of a file's bytes: a checksum that tells weights apart.
fn fnv1a64_file(path: &Path) -> Result<u64, MapError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| MapError::file(path, e))?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| MapError::file(path, e))?;
        if n == 0 {
            return Ok(hash);
        }
        for &b in buffer.get(..n).unwrap_or(&[]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A unit finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitDone {
    pub unit: usize,
    pub scene: String,
    pub footprints: usize,
    /// Seconds: reading, the network, tracing, writing (0 for a unit found done).
    pub read_s: f64,
    pub predict_s: f64,
    pub trace_s: f64,
    pub write_s: f64,
    /// Found done by an earlier attempt.
    pub resumed: bool,
    /// Buildings larger than the widest halo, cut at it.
    pub cut: usize,
}

/// A unit that failed, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitFailed {
    pub unit: usize,
    pub scene: String,
    pub reason: String,
}

/// A shard's account of its units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub shard: String,
    pub units: Vec<usize>,
    pub done: Vec<UnitDone>,
    pub failed: Vec<UnitFailed>,
    pub footprints: usize,
    pub seconds: f64,
    /// Square kilometres of the scenes' ground its units covered (georeferenced scenes).
    pub km2: f64,
    pub finished: bool,
}

impl ShardManifest {
    pub fn path(folder: &Path, shard: Shard) -> PathBuf {
        folder
            .join("shards")
            .join(format!("shard-{}-of-{}.json", shard.index, shard.count))
    }

    fn save(&self, folder: &Path, shard: Shard) -> Result<(), MapError> {
        let path = Self::path(folder, shard);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| MapError::file(parent, e))?;
        }
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| MapError::Input(format!("manifest: {e}")))?;
        crate::replace::write_synced(&path, text.as_bytes()).map_err(|e| MapError::file(&path, e))
    }
}

/// Where a shard stands, for a progress bar.
#[derive(Clone, Debug)]
pub struct ShardProgress {
    pub units_done: usize,
    pub units_total: usize,
    pub scene: String,
    pub footprints: usize,
}

/// The part file of unit `index`.
pub fn part_path(folder: &Path, index: usize) -> PathBuf {
    folder
        .join("parts")
        .join(format!("unit-{index:06}.parquet"))
}

/// Maps the units of `shard` of `plan` into `settings.out`: units whose part exists are
/// skipped, a unit that fails is recorded with its reason and the others go on. Returns the
/// shard's manifest (also saved after each unit). Errors only when the run cannot go on at
/// all (the folder is another run's, the weights cannot be read).
pub fn run_shard(
    predictor: &Predictor,
    plan: &Plan,
    shard: Shard,
    settings: &MapSettings,
    progress: &mut dyn FnMut(&ShardProgress),
) -> Result<ShardManifest, MapError> {
    let started = Instant::now();
    if settings.halo < MapSettings::MIN_HALO {
        return Err(MapError::Input(format!(
            "a halo of {} px is under the smallest, {} px",
            settings.halo,
            MapSettings::MIN_HALO
        )));
    }
    let window = predictor.params.window;
    if settings.block < window {
        return Err(MapError::Input(format!(
            "a block of {} px is smaller than the network's window ({window} px)",
            settings.block
        )));
    }
    let identity = RunIdentity::new(predictor, plan, settings)?;
    identity.claim(&settings.out)?;
    let parts = settings.out.join("parts");
    std::fs::create_dir_all(&parts).map_err(|e| MapError::file(&parts, e))?;
    let crs_json = match &identity.crs_wkt {
        Some(wkt) => Some(projjson_of_wkt(wkt).map_err(|e| MapError::Input(format!("CRS: {e}")))?),
        None => None,
    };
    let orientations = match &settings.orientations {
        Some(p) => Some(Orientations::read(p)?),
        None => None,
    };
    let units = plan.shard_units(shard);
    let mut manifest = ShardManifest {
        shard: shard.to_string(),
        units: units.iter().map(|u| u.index).collect(),
        ..ShardManifest::default()
    };
    let context = Context {
        predictor,
        plan,
        settings,
        identity: &identity,
        crs_json: &crs_json,
        orientations: orientations.as_ref(),
    };
    let total = units.len();
    let mut done_count = 0;
    // Units of one scene are consecutive: the scene is opened once, its windows shared.
    let mut i = 0;
    while i < units.len() {
        let scene_index = units.get(i).map_or(0, |u| u.scene);
        let group: Vec<Unit> = units
            .iter()
            .skip(i)
            .take_while(|u| u.scene == scene_index)
            .copied()
            .collect();
        i += group.len().max(1);
        let name = plan
            .scenes
            .get(scene_index)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        // The scene is opened only when one of its units is still to do.
        let pending = group
            .iter()
            .any(|u| !part_path(&settings.out, u.index).exists());
        let opened: Result<(Scene, Rotation), String> = if pending {
            context.open(scene_index)
        } else {
            Err("not opened".into())
        };
        let mut mapper: Option<Result<SceneMapper, String>> = None;
        for unit in &group {
            progress(&ShardProgress {
                units_done: done_count,
                units_total: total,
                scene: name.clone(),
                footprints: manifest.footprints,
            });
            let part = part_path(&settings.out, unit.index);
            if part.exists() {
                let footprints = crate::io::geoparquet::row_count(&part).unwrap_or(0);
                manifest.footprints += footprints;
                manifest.done.push(UnitDone {
                    unit: unit.index,
                    scene: name.clone(),
                    footprints,
                    read_s: 0.0,
                    predict_s: 0.0,
                    trace_s: 0.0,
                    write_s: 0.0,
                    resumed: true,
                    cut: 0,
                });
            } else {
                let outcome = match &opened {
                    // A scene narrower than a network window is predicted whole (padded, as
                    // the baseline does); any other through its windows.
                    Ok((scene, rotation)) if scene.width() < window || scene.height() < window => {
                        context.map_unit(unit, scene, *rotation, None, &part)
                    }
                    Ok((scene, rotation)) => {
                        let made = mapper.get_or_insert_with(|| {
                            SceneMapper::new(
                                predictor,
                                scene,
                                *rotation,
                                settings.block,
                                settings.halo,
                            )
                            .map_err(|e| e.to_string())
                        });
                        match made {
                            Ok(m) => context.map_unit(unit, scene, *rotation, Some(m), &part),
                            Err(reason) => Err(MapError::Input(reason.clone())),
                        }
                    }
                    Err(reason) => Err(MapError::Input(reason.clone())),
                };
                match outcome {
                    Ok(done) => {
                        manifest.footprints += done.footprints;
                        manifest.done.push(done);
                    }
                    Err(error) => manifest.failed.push(UnitFailed {
                        unit: unit.index,
                        scene: name.clone(),
                        reason: error.to_string(),
                    }),
                }
            }
            if manifest.done.last().is_some_and(|d| d.unit == unit.index) {
                manifest.km2 += context.km2(unit);
            }
            done_count += 1;
            manifest.seconds = started.elapsed().as_secs_f64();
            // A manifest that cannot be saved (a full disk) does not stop the run: the parts
            // are what counts, and the next save may succeed.
            if let Err(e) = manifest.save(&settings.out, shard) {
                tracing::warn!("saving the manifest: {e}");
            }
        }
    }
    manifest.finished = true;
    manifest.seconds = started.elapsed().as_secs_f64();
    manifest.save(&settings.out, shard)?;
    progress(&ShardProgress {
        units_done: total,
        units_total: total,
        scene: String::new(),
        footprints: manifest.footprints,
    });
    Ok(manifest)
}

/// What every unit of a shard is mapped with.
struct Context<'a> {
    predictor: &'a Predictor,
    plan: &'a Plan,
    settings: &'a MapSettings,
    identity: &'a RunIdentity,
    crs_json: &'a Option<serde_json::Value>,
    orientations: Option<&'a Orientations>,
}

impl Context<'_> {
    /// The scene of `index` and its rotation, or why not.
    fn open(&self, index: usize) -> Result<(Scene, Rotation), String> {
        let planned = self
            .plan
            .scenes
            .get(index)
            .ok_or_else(|| "no such scene".to_string())?;
        if let Err(reason) = &planned.size {
            return Err(reason.clone());
        }
        let scene = Scene::open(&planned.path).map_err(|e| e.to_string())?;
        // A scene in another CRS has its footprints reprojected into the run's; one without a
        // CRS (pixels) among georeferenced ones, or the reverse, cannot join the layer.
        let scene_crs = scene.crs().map(|c| c.wkt.clone());
        if scene_crs.is_some() != self.identity.crs_wkt.is_some() {
            let name = |wkt: &Option<String>| match wkt {
                None => "no CRS".to_string(),
                Some(w) => crs_name(w),
            };
            return Err(format!(
                "its CRS ({}) cannot join the run's ({}): map scenes without a CRS in their own run",
                name(&scene_crs),
                name(&self.identity.crs_wkt)
            ));
        }
        let rotation = match self.settings.rotate {
            RotateRule::Never => Rotation::None,
            RotateRule::Always => Rotation::Half,
            RotateRule::ByCard => rotation_by_card(
                &planned.path,
                &self.predictor.loaded.card.rotation,
                self.orientations,
            )
            .map_err(|e| e.to_string())?,
        };
        Ok((scene, rotation))
    }

    fn km2(&self, unit: &Unit) -> f64 {
        self.plan
            .scenes
            .get(unit.scene)
            .and_then(|s| s.pixel_m2)
            .map_or(0.0, |a| a * unit.pixels as f64 / 1e6)
    }

    /// Maps one unit and writes its part; `mapper` is `None` for a scene narrower than a
    /// network window (predicted whole).
    fn map_unit(
        &self,
        unit: &Unit,
        scene: &Scene,
        rotation: Rotation,
        mapper: Option<&mut SceneMapper>,
        part: &Path,
    ) -> Result<UnitDone, MapError> {
        let params = crate::session::predict::vectorize_params(&self.predictor.loaded.card);
        let core = unit.core.unwrap_or_else(|| scene.full_window());
        let (buildings, probabilities, cut, timings) = match mapper {
            Some(mapper) => {
                let before = mapper.timings();
                let block = mapper.map_block(core, self.settings.halo, params)?;
                let after = mapper.timings();
                (
                    block.buildings,
                    block.probabilities,
                    block.cut,
                    after.since(&before),
                )
            }
            None => {
                let t = Instant::now();
                let map = self
                    .predictor
                    .predict_scene(scene, rotation, &mut |_| true)?;
                let predict_s = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let found = crate::vector::vectorize(&map.probs, map.width, map.height, params);
                (
                    found,
                    map.probs,
                    0,
                    super::block::Timings {
                        read_s: 0.0,
                        predict_s,
                        trace_s: t.elapsed().as_secs_f64(),
                    },
                )
            }
        };
        let written = Instant::now();
        let gt = scene.geo_transform();
        let name = self
            .plan
            .scenes
            .get(unit.scene)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let pixel: Vec<geo::Polygon<f64>> = buildings.iter().map(|b| b.polygon.clone()).collect();
        let mut polygons = match gt {
            Some(g) => crate::io::world_from_pixel(&pixel, &g),
            None => pixel,
        };
        // Into the run's CRS (the area stays the one measured on the scene's own grid).
        let scene_crs = scene.crs().map(|c| c.wkt.as_str());
        if let (Some(from), Some(to)) = (scene_crs, self.identity.crs_wkt.as_deref())
            && from != to
        {
            let multi: Vec<geo::MultiPolygon<f64>> = polygons
                .into_iter()
                .map(|p| geo::MultiPolygon(vec![p]))
                .collect();
            polygons = crate::io::reproject_wkt(&multi, from, to)
                .map_err(|e| MapError::Input(format!("into the run's CRS: {e}")))?
                .into_iter()
                .filter_map(|m| m.0.into_iter().next())
                .collect();
        }
        let rows: Vec<MappedFootprint> = buildings
            .iter()
            .zip(polygons)
            .map(|(b, polygon)| MappedFootprint {
                scene: name.clone(),
                model: self.identity.model.clone(),
                confidence: b.confidence,
                area_m2: gt.map(|g| g.pixel_area() * b.area_px),
                polygon,
            })
            .collect();
        let layer = MappedLayer {
            crs: self.crs_json.clone(),
            rows,
        };
        if self.settings.keep_probabilities {
            self.write_probabilities(scene, unit, core, probabilities)?;
        }
        let replacement = Replacement::new(part);
        replacement
            .write(
                |tmp| write_geoparquet(tmp, &layer).map_err(MapError::from),
                |e| MapError::file(part, e),
            )
            .map_err(|e| match e {
                MapError::Io(io) => MapError::Input(replacement.target_named(&io.to_string())),
                other => other,
            })?;
        Ok(UnitDone {
            unit: unit.index,
            scene: name,
            footprints: layer.rows.len(),
            read_s: timings.read_s,
            predict_s: timings.predict_s,
            trace_s: timings.trace_s,
            write_s: written.elapsed().as_secs_f64(),
            resumed: false,
            cut,
        })
    }

    fn write_probabilities(
        &self,
        scene: &Scene,
        unit: &Unit,
        core: Window,
        probabilities: Vec<f32>,
    ) -> Result<(), MapError> {
        let folder = self.settings.out.join("probabilities");
        std::fs::create_dir_all(&folder).map_err(|e| MapError::file(&folder, e))?;
        let name = self
            .plan
            .scenes
            .get(unit.scene)
            .map(|s| s.name.replace(['/', '\\'], "_"))
            .unwrap_or_default();
        let file = match unit.core {
            None => format!("{name}.tif"),
            Some(c) => format!("{name}_x{}_y{}.tif", c.x, c.y),
        };
        let gt = scene.geo_transform().map(|g| {
            let [x, y] = g.world_from_pixel([core.x as f64, core.y as f64]);
            let [_, a, b, _, d, e] = g.0;
            GeoTransform([x, a, b, y, d, e])
        });
        let crs = scene.crs();
        let meta = GeoTiffMeta {
            geo_transform: gt,
            epsg: crs.and_then(|c| c.epsg),
            crs_wkt: crs.map(|c| c.wkt.as_str()),
            nodata: None,
            band_names: &["building_probability"],
        };
        let planes = Planes::new(core.width, core.height, vec![probabilities], &[None]);
        write_geotiff_replacing(&folder.join(file), &planes, &meta)?;
        Ok(())
    }
}

/// "EPSG:32631", or the start of the WKT of a CRS without a code.
fn crs_name(wkt: &str) -> String {
    gdal::spatial_ref::SpatialRef::from_wkt(wkt)
        .ok()
        .and_then(|s| {
            let name = s.auth_name()?;
            let code = s.auth_code().ok()?;
            Some(format!("{name}:{code}"))
        })
        .unwrap_or_else(|| wkt.chars().take(40).collect())
}
