//! SN6's 180-degree rotation rule: tiles of strips imaged from the south (flag 1 in the dataset's
//! `SummaryData/SAR_orientations.txt`) are rotated before the network and back after it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ModelError;

/// Whether a tile is rotated 180 degrees around inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    None,
    Half,
}

/// `SAR_orientations.txt`: one `<strip key> <0|1>` line per strip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Orientations {
    pub path: PathBuf,
    flags: HashMap<String, bool>,
    /// The strips in the file's order (the SN6 winner's strip one-hot follows it).
    order: Vec<String>,
}

impl Orientations {
    pub fn read(path: &Path) -> Result<Self, ModelError> {
        let fail = |reason: String| ModelError::Orientation {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let mut flags = HashMap::new();
        let mut order = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(key), Some(flag), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(fail(format!(
                    "line {}: {line:?} is not `<strip key> <0|1>`",
                    i + 1
                )));
            };
            let south = match flag {
                "0" => false,
                "1" => true,
                _ => return Err(fail(format!("line {}: flag {flag:?} is not 0 or 1", i + 1))),
            };
            if flags.insert(key.to_string(), south).is_none() {
                order.push(key.to_string());
            }
        }
        if flags.is_empty() {
            return Err(fail("no strips in it".into()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            flags,
            order,
        })
    }

    /// A strip's place in the file (0-based): its index in the SN6 winner's strip one-hot.
    pub fn index_of(&self, strip_key: &str) -> Option<usize> {
        self.order.iter().position(|k| k == strip_key)
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The flag of a strip: `Some(true)` when imaged from the south.
    pub fn flag(&self, strip_key: &str) -> Option<bool> {
        self.flags.get(strip_key).copied()
    }

    /// The rotation for a tile file: none for a name that is not an SN6 tile name; an error for
    /// an SN6 tile whose strip the file does not list.
    pub fn rotation_for(&self, tile: &Path) -> Result<Rotation, ModelError> {
        let Some(key) = tile_stem(tile).and_then(sn6_strip_key) else {
            return Ok(Rotation::None);
        };
        match self.flag(&key) {
            Some(true) => Ok(Rotation::Half),
            Some(false) => Ok(Rotation::None),
            None => Err(ModelError::Orientation {
                path: self.path.clone(),
                reason: format!(
                    "strip {key} of {} is not listed; pass the dataset's own file or --rotate",
                    tile.display()
                ),
            }),
        }
    }
}

fn tile_stem(path: &Path) -> Option<&str> {
    path.file_stem()?.to_str()
}

/// The strip key of an SN6 tile name (`'_'.join(stem.split('_')[-4:-2])`), or `None` when the
/// name is not an SN6 SAR tile name.
///
/// ```
/// use sarscope::model::sn6_strip_key;
/// let stem = "SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_8685";
/// assert_eq!(sn6_strip_key(stem).as_deref(), Some("20190804111224_20190804111453"));
/// assert_eq!(sn6_strip_key("synth_s0_0000"), None);
/// ```
pub fn sn6_strip_key(stem: &str) -> Option<String> {
    let parts: Vec<&str> = stem.split('_').collect();
    let n = parts.len();
    if n < 5 || parts[n - 2] != "tile" || !stem.starts_with("SN6_") {
        return None;
    }
    let (start, end) = (parts[n - 4], parts[n - 3]);
    let timestamp = |s: &str| s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit());
    (timestamp(start) && timestamp(end)).then(|| format!("{start}_{end}"))
}

/// Looks for the dataset's orientation file near a tile: `SAR_orientations.txt` or
/// `SummaryData/SAR_orientations.txt` in the tile's folder or up to three folders above it
/// (SN6 keeps tiles in `AOI_11_Rotterdam/SAR-Intensity/` and the file in
/// `AOI_11_Rotterdam/SummaryData/`).
pub fn find_orientations_file(tile: &Path) -> Option<PathBuf> {
    let mut dir = tile.parent();
    for _ in 0..4 {
        let d = dir?;
        for candidate in [
            d.join("SAR_orientations.txt"),
            d.join("SummaryData").join("SAR_orientations.txt"),
        ] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

/// The rotation a model card's rule gives `tile`: never for `"none"`; for
/// `"sn6-orientations"`, none unless the name is an SN6 tile name, whose strip's flag is read
/// from `given`, else from the dataset's `SAR_orientations.txt` found near the tile.
pub fn rotation_by_card(
    tile: &Path,
    rule: &str,
    given: Option<&Orientations>,
) -> Result<Rotation, ModelError> {
    if rule == "none" {
        return Ok(Rotation::None);
    }
    let Some(strip) = tile_stem(tile).and_then(sn6_strip_key) else {
        return Ok(Rotation::None);
    };
    if let Some(orientations) = given {
        return orientations.rotation_for(tile);
    }
    let Some(path) = find_orientations_file(tile) else {
        return Err(ModelError::Orientation {
            path: tile.to_path_buf(),
            reason: format!(
                "an SN6 tile of strip {strip}: whether to rotate it needs the dataset's \
                 SummaryData/SAR_orientations.txt, which is not near the tile; pass it with \
                 --orientations, or choose --rotate never|always"
            ),
        });
    };
    Orientations::read(&path)?.rotation_for(tile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_keys_come_only_from_sn6_names() {
        assert_eq!(
            sn6_strip_key(
                "SN6_Test_Public_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_1"
            )
            .as_deref(),
            Some("20190804111224_20190804111453")
        );
        assert_eq!(sn6_strip_key("SN6_x_tile_3"), None);
        assert_eq!(
            sn6_strip_key("my_20190804111224_20190804111453_tile_3"),
            None
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.txt");
        std::fs::write(&path, "20190804111224_20190804111453 1\nbad line here\n").unwrap();
        let err = Orientations::read(&path).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        std::fs::write(&path, "20190804111224_20190804111453 2\n").unwrap();
        assert!(Orientations::read(&path).is_err());
    }
}
