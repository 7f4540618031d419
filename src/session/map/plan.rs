//! What a mapping run does, decided the same way in every process that takes part: the scenes
//! (from files, folders and list files), the work units (a scene that fits in a block, or the
//! blocks of a larger one), and which shard does which units.

use std::path::{Path, PathBuf};

use super::MapError;
use crate::raster::{Scene, Window};

/// Raster files a folder given as input contributes (by extension, case-insensitively).
const RASTER_EXTENSIONS: [&str; 4] = ["tif", "tiff", "vrt", "img"];

/// List files: one scene per line (`#` starts a comment; relative paths are from the list's
/// folder).
const LIST_EXTENSIONS: [&str; 2] = ["txt", "lst"];

fn has_extension(path: &Path, among: &[&str]) -> bool {
    path.extension()
        .is_some_and(|e| among.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The scenes of `given`, in order: files as they are, a folder's rasters sorted by name, a
/// list file's lines. Nothing given, an empty folder, or a list that names files that do not
/// exist is refused (with every missing line named): those are typing mistakes, not scenes
/// that fail.
pub fn expand_inputs(given: &[PathBuf]) -> Result<Vec<PathBuf>, MapError> {
    let mut out = Vec::new();
    for path in given {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| MapError::Input(format!("reading {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && has_extension(p, &RASTER_EXTENSIONS))
                .collect();
            if found.is_empty() {
                return Err(MapError::Input(format!(
                    "{} holds no raster files ({})",
                    path.display(),
                    RASTER_EXTENSIONS.join(", ")
                )));
            }
            found.sort();
            out.extend(found);
        } else if has_extension(path, &LIST_EXTENSIONS) {
            out.extend(read_list(path)?);
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(MapError::Input(format!(
                "{} does not exist",
                path.display()
            )));
        }
    }
    if out.is_empty() {
        return Err(MapError::Input("no scenes given".into()));
    }
    Ok(out)
}

fn read_list(list: &Path) -> Result<Vec<PathBuf>, MapError> {
    let text = std::fs::read_to_string(list)
        .map_err(|e| MapError::Input(format!("reading the list {}: {e}", list.display())))?;
    let base = list.parent().unwrap_or(Path::new("."));
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let path = base.join(line);
        if path.is_file() {
            files.push(path);
        } else {
            missing.push(format!("line {}: {line}", n + 1));
        }
    }
    if !missing.is_empty() {
        return Err(MapError::Input(format!(
            "the list {} names {} file{} that do{} not exist: {}",
            list.display(),
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            if missing.len() == 1 { "es" } else { "" },
            missing.join("; ")
        )));
    }
    if files.is_empty() {
        return Err(MapError::Input(format!(
            "the list {} names no scenes",
            list.display()
        )));
    }
    Ok(files)
}

/// One scene of a run.
#[derive(Clone, Debug)]
pub struct PlannedScene {
    pub path: PathBuf,
    /// Its name in the output (the file's stem; the path where two stems are the same).
    pub name: String,
    /// Its size, or why it could not be opened (the unit that maps it records the failure).
    pub size: Result<(usize, usize), String>,
    /// Ground area of a pixel in square CRS units (metres), when it is georeferenced.
    pub pixel_m2: Option<f64>,
    /// Its CRS as WKT, when it has one.
    pub crs_wkt: Option<String>,
}

/// One piece of work: a whole scene, or one block of a large one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Its place in the plan (the name of its part).
    pub index: usize,
    /// Its scene (index into [`Plan::scenes`]).
    pub scene: usize,
    /// The block's pixels (whose buildings it maps); `None`: the whole scene.
    pub core: Option<Window>,
    /// Pixels it covers (what shards are balanced by).
    pub pixels: u64,
}

/// Scenes and units of a run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenes: Vec<PlannedScene>,
    pub units: Vec<Unit>,
}

impl Plan {
    /// The plan for `files`: a scene of at most `block` x `block` pixels (or narrower than a
    /// network window `window` on either side) is one unit, a larger one is cut into blocks of
    /// `block` px, row by row.
    pub fn new(files: &[PathBuf], block: usize, window: usize) -> Self {
        let stems: Vec<String> = files
            .iter()
            .map(|f| {
                f.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| f.display().to_string())
            })
            .collect();
        let scenes: Vec<PlannedScene> = files
            .iter()
            .zip(&stems)
            .map(|(path, stem)| {
                let unique = stems.iter().filter(|s| *s == stem).count() == 1;
                let opened = Scene::open(path);
                PlannedScene {
                    path: path.clone(),
                    name: if unique {
                        stem.clone()
                    } else {
                        path.display().to_string()
                    },
                    size: opened
                        .as_ref()
                        .map(|s| (s.width(), s.height()))
                        .map_err(|e| e.to_string()),
                    pixel_m2: opened
                        .as_ref()
                        .ok()
                        .and_then(|s| s.geo_transform())
                        .map(|g| g.pixel_area()),
                    crs_wkt: opened.ok().and_then(|s| s.crs().map(|c| c.wkt.clone())),
                }
            })
            .collect();
        let block = block.max(1);
        let mut units = Vec::new();
        for (i, scene) in scenes.iter().enumerate() {
            let (w, h) = scene.size.clone().unwrap_or((0, 0));
            let whole = (w <= block && h <= block) || w < window || h < window;
            if whole {
                units.push(Unit {
                    index: units.len(),
                    scene: i,
                    core: None,
                    pixels: (w as u64 * h as u64).max(1),
                });
                continue;
            }
            for y in (0..h).step_by(block) {
                for x in (0..w).step_by(block) {
                    let core = Window {
                        x,
                        y,
                        width: block.min(w - x),
                        height: block.min(h - y),
                    };
                    units.push(Unit {
                        index: units.len(),
                        scene: i,
                        core: Some(core),
                        pixels: core.width as u64 * core.height as u64,
                    });
                }
            }
        }
        Self { scenes, units }
    }

    /// The units of shard `shard`: consecutive runs of units of about equal pixels (a shard's
    /// blocks of a large scene are neighbours, whose network windows it shares).
    pub fn shard_units(&self, shard: Shard) -> Vec<Unit> {
        let total: u64 = self.units.iter().map(|u| u.pixels).sum::<u64>().max(1);
        let mut before = 0u64;
        let mut out = Vec::new();
        for unit in &self.units {
            let middle = u128::from(before) * 2 + u128::from(unit.pixels);
            let owner = (middle * shard.count as u128 / (u128::from(total) * 2)) as usize;
            if owner.min(shard.count - 1) == shard.index {
                out.push(*unit);
            }
            before += unit.pixels;
        }
        out
    }
}

/// One of `count` processes sharing a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `I/N` (0-based `I`).
    pub fn parse(text: &str) -> Result<Self, MapError> {
        let bad = || MapError::Input(format!("--shard {text}: expected I/N with 0 <= I < N"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        Self::new(index, count).ok_or_else(bad)
    }

    pub fn new(index: usize, count: usize) -> Option<Self> {
        (count > 0 && index < count).then_some(Self { index, count })
    }

    /// The shard an array job's engine gives this process, from `var` (the environment): Slurm
    /// (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`),
    /// Kubernetes indexed jobs (`JOB_COMPLETION_INDEX`, of `count`), AWS Batch
    /// (`AWS_BATCH_JOB_ARRAY_INDEX` of `AWS_BATCH_JOB_ARRAY_SIZE`, or of `count`). `None`:
    /// not in an array job. `count` (`--shards`) wins over the engine's.
    pub fn from_engine(
        var: impl Fn(&str) -> Option<String>,
        count: Option<usize>,
    ) -> Result<Option<Self>, MapError> {
        let number = |name: &str| -> Result<Option<usize>, MapError> {
            match var(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .map(Some)
                    .map_err(|_| MapError::Input(format!("{name}={v} is not a task number"))),
            }
        };
        let engines: [(&str, &str, Option<&str>, Option<&str>); 3] = [
            (
                "Slurm",
                "SLURM_ARRAY_TASK_ID",
                Some("SLURM_ARRAY_TASK_MIN"),
                Some("SLURM_ARRAY_TASK_COUNT"),
            ),
            ("Kubernetes", "JOB_COMPLETION_INDEX", None, None),
            (
                "AWS Batch",
                "AWS_BATCH_JOB_ARRAY_INDEX",
                None,
                Some("AWS_BATCH_JOB_ARRAY_SIZE"),
            ),
        ];
        for (engine, id_var, min_var, count_var) in engines {
            let Some(id) = number(id_var)? else {
                continue;
            };
            let min = match min_var {
                Some(v) => number(v)?.unwrap_or(0),
                None => 0,
            };
            let engine_count = match count_var {
                Some(v) => number(v)?,
                None => None,
            };
            let Some(n) = count.or(engine_count) else {
                return Err(MapError::Input(format!(
                    "{engine} array task {id}, but not of how many: give --shards N"
                )));
            };
            let index = id.checked_sub(min).ok_or_else(|| {
                MapError::Input(format!("{id_var}={id} is below its minimum {min}"))
            })?;
            return Self::new(index, n).map(Some).ok_or_else(|| {
                MapError::Input(format!(
                    "{engine} array task {index} of {n}: out of range (0..{n})"
                ))
            });
        }
        Ok(None)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(sizes: &[u64]) -> Plan {
        Plan {
            scenes: Vec::new(),
            units: sizes
                .iter()
                .enumerate()
                .map(|(index, &pixels)| Unit {
                    index,
                    scene: index,
                    core: None,
                    pixels,
                })
                .collect(),
        }
    }

    #[test]
    fn shards_take_every_unit_once_in_runs_of_about_equal_pixels() {
        let plan = plan_of(&[10, 10, 10, 10, 40, 5, 5, 5, 5]);
        for n in 1..=5 {
            let mut seen: Vec<usize> = (0..n)
                .flat_map(|i| plan.shard_units(Shard::new(i, n).unwrap()))
                .map(|u| u.index)
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..9).collect::<Vec<_>>(), "{n} shards");
        }
        let halves: Vec<Vec<usize>> = (0..2)
            .map(|i| {
                plan.shard_units(Shard::new(i, 2).unwrap())
                    .iter()
                    .map(|u| u.index)
                    .collect()
            })
            .collect();
        assert_eq!(halves, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7, 8]]);
        // More shards than units: some shards have nothing to do.
        let few = plan_of(&[1, 1]);
        let counts: Vec<usize> = (0..4)
            .map(|i| few.shard_units(Shard::new(i, 4).unwrap()).len())
            .collect();
        assert_eq!(counts.iter().sum::<usize>(), 2);
    }

    #[test]
    fn shards_come_from_the_flag_or_the_engine() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["4/4", "1", "a/2", "1/0", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::from_engine(slurm, None).unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert!(Shard::from_engine(k8s, None).is_err());
        assert_eq!(
            Shard::from_engine(k8s, Some(3)).unwrap(),
            Some(Shard { index: 1, count: 3 })
        );
        let aws = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "3"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "3"),
        ]);
        assert!(Shard::from_engine(aws, None).is_err(), "index 3 of 3");
        assert_eq!(Shard::from_engine(env(&[]), None).unwrap(), None);
    }

    #[test]
    fn a_list_naming_missing_files_is_refused_with_each_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.tif"), b"x").unwrap();
        let list = dir.path().join("scenes.txt");
        std::fs::write(&list, "a.tif\n# a comment\n\nb.tif\nc.tif  # note\n").unwrap();
        let err = expand_inputs(std::slice::from_ref(&list))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2 files") && err.contains("line 4: b.tif"),
            "{err}"
        );
        assert!(err.contains("line 5: c.tif"), "{err}");
        std::fs::write(&list, "a.tif\n").unwrap();
        assert_eq!(
            expand_inputs(std::slice::from_ref(&list)).unwrap(),
            vec![dir.path().join("a.tif")]
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(expand_inputs(&[empty.path().to_path_buf()]).is_err());
    }
}
