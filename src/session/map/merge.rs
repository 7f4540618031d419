//! One layer from a run's parts (`sarscope merge`): every unit's footprints, with the
//! duplicates removed where scenes overlap, and a summary per scene.
//!
//! The rule: two footprints whose IoU is above 0.5 are one building; the more confident is
//! kept (equal confidence: the one of the earlier unit). Blocks of one scene never give
//! duplicates (each building has one owner block), so what this removes is where scenes
//! overlap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::{BoundingRect, MultiPolygon};

use super::MapError;
use super::run::{RunIdentity, ShardManifest, UnitFailed, part_path};
use crate::io::geoparquet::{MappedFootprint, MappedLayer, projjson_of_wkt, read_geoparquet};
use crate::replace::Replacement;

/// How to merge.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// The merged GeoParquet (default: `merged.parquet` in the run's folder).
    pub out: Option<PathBuf>,
    /// Also these files, by extension (`.gpkg`, `.fgb` through GDAL; `.geojson`).
    pub also: Vec<PathBuf>,
    /// Footprints above this IoU are one building.
    pub iou: f64,
}

impl Default for MergeOptions {
    fn default() -> Self {
        Self {
            out: None,
            also: Vec::new(),
            iou: 0.5,
        }
    }
}

/// One scene's line of the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SceneSummary {
    pub scene: String,
    pub footprints: usize,
    pub area_m2: f64,
    pub mean_confidence: f64,
}

/// What a merge found and wrote.
#[derive(Clone, Debug)]
pub struct MergeReport {
    pub out: PathBuf,
    pub units_total: usize,
    pub units_done: usize,
    /// Units without a part, with the last reason a shard gave (none: not attempted yet).
    pub missing: Vec<(usize, Option<String>)>,
    pub footprints_in: usize,
    pub duplicates_removed: usize,
    pub scenes: Vec<SceneSummary>,
    pub model: String,
}

impl MergeReport {
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Merges the parts of the run in `folder`.
pub fn merge(folder: &Path, options: &MergeOptions) -> Result<MergeReport, MapError> {
    let run_path = folder.join("run.json");
    let text = std::fs::read_to_string(&run_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => MapError::Input(format!(
            "{} is not a map run's folder (no run.json)",
            folder.display()
        )),
        _ => MapError::file(&run_path, e),
    })?;
    let run: RunIdentity = serde_json::from_str(&text)
        .map_err(|e| MapError::Input(format!("{}: {e}", run_path.display())))?;
    let failures = last_failures(folder)?;
    let mut rows: Vec<MappedFootprint> = Vec::new();
    let mut missing = Vec::new();
    let mut units_done = 0;
    for unit in 0..run.units {
        let part = part_path(folder, unit);
        if !part.exists() {
            missing.push((unit, failures.get(&unit).map(|f| f.reason.clone())));
            continue;
        }
        units_done += 1;
        rows.extend(read_geoparquet(&part)?.layer.rows);
    }
    let footprints_in = rows.len();
    let kept = deduplicate(&rows, options.iou);
    let rows: Vec<MappedFootprint> = kept
        .into_iter()
        .filter_map(|i| rows.get(i).cloned())
        .collect();
    let crs = match &run.crs_wkt {
        Some(wkt) => Some(projjson_of_wkt(wkt).map_err(|e| MapError::Input(format!("CRS: {e}")))?),
        None => None,
    };
    let layer = MappedLayer { crs, rows };
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| folder.join("merged.parquet"));
    let replacement = Replacement::new(&out);
    replacement.write(
        |tmp| crate::io::geoparquet::write_geoparquet(tmp, &layer).map_err(MapError::from),
        |e| MapError::file(&out, e),
    )?;
    if !options.also.is_empty() {
        let set = as_footprints(&layer, run.crs_wkt.as_deref());
        for path in &options.also {
            crate::io::write_footprints(path, &set)?;
        }
    }
    Ok(MergeReport {
        out,
        units_total: run.units,
        units_done,
        missing,
        footprints_in,
        duplicates_removed: footprints_in - layer.rows.len(),
        scenes: summarize(&layer.rows),
        model: run.model,
    })
}

/// The last failure recorded for each unit across the shards' manifests.
fn last_failures(folder: &Path) -> Result<BTreeMap<usize, UnitFailed>, MapError> {
    let mut out = BTreeMap::new();
    let shards = folder.join("shards");
    let Ok(entries) = std::fs::read_dir(&shards) else {
        return Ok(out);
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| MapError::file(&path, e))?;
        let manifest: ShardManifest = serde_json::from_str(&text)
            .map_err(|e| MapError::Input(format!("{}: {e}", path.display())))?;
        for f in manifest.failed {
            out.insert(f.unit, f);
        }
    }
    Ok(out)
}

/// The indices of `rows` kept: in order of confidence (then of their place), each kept unless
/// its IoU with one kept before is above `iou`. Returned in their original order.
pub fn deduplicate(rows: &[MappedFootprint], iou: f64) -> Vec<usize> {
    let boxes: Vec<Option<geo::Rect<f64>>> =
        rows.iter().map(|r| r.polygon.bounding_rect()).collect();
    let index = crate::eval::BoxIndex::new(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|b| (b, i))),
    );
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (ca, cb) = (
            rows.get(a).map_or(0.0, |r| r.confidence),
            rows.get(b).map_or(0.0, |r| r.confidence),
        );
        cb.total_cmp(&ca).then(a.cmp(&b))
    });
    let mut kept = vec![false; rows.len()];
    let multi = |i: usize| {
        rows.get(i)
            .map(|r| MultiPolygon(vec![r.polygon.clone()]))
            .unwrap_or_else(|| MultiPolygon(Vec::new()))
    };
    for &i in &order {
        let Some(Some(b)) = boxes.get(i) else {
            continue;
        };
        let mine = multi(i);
        let duplicate = index
            .overlapping(*b)
            .filter(|&j| j != i && kept.get(j).copied().unwrap_or(false))
            .any(|j| crate::eval::iou(&mine, &multi(j)) > iou);
        if !duplicate && let Some(k) = kept.get_mut(i) {
            *k = true;
        }
    }
    (0..rows.len())
        .filter(|&i| kept.get(i).copied().unwrap_or(false))
        .collect()
}

fn summarize(rows: &[MappedFootprint]) -> Vec<SceneSummary> {
    let mut by_scene: BTreeMap<&str, SceneSummary> = BTreeMap::new();
    for r in rows {
        let s = by_scene
            .entry(r.scene.as_str())
            .or_insert_with(|| SceneSummary {
                scene: r.scene.clone(),
                ..SceneSummary::default()
            });
        s.footprints += 1;
        s.area_m2 += r.area_m2.unwrap_or(0.0);
        s.mean_confidence += r.confidence;
    }
    by_scene
        .into_values()
        .map(|mut s| {
            s.mean_confidence /= s.footprints.max(1) as f64;
            s
        })
        .collect()
}

/// The merged layer for the other formats (each written by its path's extension): the
/// model's name as each footprint's source, its scene as its image id.
fn as_footprints(layer: &MappedLayer, crs_wkt: Option<&str>) -> crate::io::Footprints {
    use crate::io::{Footprints, Space};
    let epsg = crs_wkt
        .and_then(|w| gdal::spatial_ref::SpatialRef::from_wkt(w).ok())
        .and_then(|s| s.auth_code().ok())
        .and_then(|c| u32::try_from(c).ok());
    Footprints {
        items: layer
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.clone().into_footprint(i + 1))
            .collect(),
        space: if crs_wkt.is_some() {
            Space::World { epsg }
        } else {
            Space::Pixel
        },
        image_id: None,
    }
}
