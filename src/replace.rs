//! Files replaced whole. A write of `NAME.EXT` goes to a temporary file beside it,
//! `.NAME.EXT.PID.partial.EXT` (the extension kept: GDAL's drivers go by it), renamed over the
//! target once complete. A write that fails removes its temporary file and leaves the earlier
//! target as it was. The temporary files of processes killed part-way (SIGKILL gives no chance
//! to clean up), SQLite's journal beside a GeoPackage included, are removed by the next write
//! of the same target.

use std::path::{Path, PathBuf};

/// Replaces `path` whole with `bytes`, synced to disk before it is renamed into place (a
/// manifest or log that must survive a crash right after it is written).
pub fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    Replacement::new(path).write(
        |tmp| {
            let mut file = std::fs::File::create(tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        },
        |e| e,
    )
}

/// A target file and the temporary file its new content goes to first.
#[derive(Clone, Debug)]
pub struct Replacement {
    path: PathBuf,
    tmp: PathBuf,
}

impl Replacement {
    /// A replacement of `path`; what earlier, killed writes of it left is removed.
    pub fn new(path: &Path) -> Self {
        let name = file_name(path);
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.{}.partial.{ext}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        remove_stale(path, &name);
        Self {
            path: path.to_path_buf(),
            tmp,
        }
    }

    /// Writes the new content by `write` (given the temporary file's path), then renames it
    /// over the target (`renaming` turns a failed rename into the caller's error). On failure
    /// the temporary file is removed and the target is as it was.
    pub fn write<E>(
        &self,
        write: impl FnOnce(&Path) -> Result<(), E>,
        renaming: impl FnOnce(std::io::Error) -> E,
    ) -> Result<(), E> {
        let written = write(&self.tmp)
            .and_then(|()| std::fs::rename(&self.tmp, &self.path).map_err(renaming));
        if written.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        written
    }

    /// `text` (a reason GDAL or the OS gave) naming the target where it named the temporary
    /// file: the user asked for the one, never saw the other.
    pub fn target_named(&self, text: &str) -> String {
        text.replace(
            &self.tmp.display().to_string(),
            &self.path.display().to_string(),
        )
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Removes the temporary files `.NAME.PID.partial.EXT` of this target (and what was written
/// beside them: SQLite's `-journal`, `-wal`, `-shm`, burn-pack's `.PID-N.tmp`) of processes
/// that no longer run ([`is_stale_temporary`]).
fn remove_stale(path: &Path, name: &str) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&prefix) && is_stale_temporary(&file) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether the file named `file` is a temporary file of a [`Replacement`] (or one written
/// beside it: SQLite's `-journal`, `-wal`, `-shm`, burn-pack's own `.PID-N.tmp` scratch file)
/// left by a process that no longer runs. Which processes run is known from /proc (Linux);
/// elsewhere none is stale.
pub fn is_stale_temporary(file: &str) -> bool {
    if !Path::new("/proc/self").exists() || !file.starts_with('.') {
        return false;
    }
    let base = ["-journal", "-wal", "-shm"]
        .iter()
        .find_map(|s| file.strip_suffix(s))
        .unwrap_or(file);
    // burn-pack writes `DESTINATION.PID-N.tmp` and renames it over DESTINATION.
    let base = base
        .strip_suffix(".tmp")
        .and_then(|b| b.rsplit_once('.'))
        .filter(|(_, scratch)| {
            scratch
                .split_once('-')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u64>().is_ok())
        })
        .map_or(base, |(b, _)| b);
    // `.NAME.PID.partial.EXT`
    let Some((before, _ext)) = base.rsplit_once(".partial.") else {
        return false;
    };
    before
        .rsplit_once('.')
        .and_then(|(_, pid)| pid.parse::<u32>().ok())
        .is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.geojson");
        std::fs::write(&target, "old").unwrap();
        let replacement = Replacement::new(&target);
        let failed: Result<(), String> = replacement.write(
            |tmp| {
                std::fs::write(tmp, "half").unwrap();
                Err(format!("{} is full", tmp.display()))
            },
            |e| e.to_string(),
        );
        let reason = replacement.target_named(&failed.unwrap_err());
        assert_eq!(reason, format!("{} is full", target.display()));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let ok: Result<(), String> = replacement.write(
            |tmp| std::fs::write(tmp, "new").map_err(|e| e.to_string()),
            |e| e.to_string(),
        );
        assert!(ok.is_ok());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn what_a_killed_writer_left_goes_and_a_running_one_s_stays() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("m.gpkg");
        // No process has a PID this large (Linux's limit is 2^22).
        let dead = dir.path().join(".m.gpkg.4294967294.partial.gpkg");
        let dead_journal = dir.path().join(".m.gpkg.4294967294.partial.gpkg-journal");
        // PID 1 runs for as long as the system does.
        let running = dir.path().join(".m.gpkg.1.partial.gpkg");
        let other = dir.path().join(".n.gpkg.4294967294.partial.gpkg");
        // burn-pack's own scratch file beside a partial weights file it was writing.
        let dead_scratch = dir
            .path()
            .join(".m.gpkg.4294967294.partial.gpkg.4294967294-18.tmp");
        let running_scratch = dir.path().join(".m.gpkg.1.partial.gpkg.1-3.tmp");
        for f in [
            &dead,
            &dead_journal,
            &running,
            &other,
            &dead_scratch,
            &running_scratch,
        ] {
            std::fs::write(f, "x").unwrap();
        }
        let _ = Replacement::new(&target);
        assert!(!dead.exists() && !dead_journal.exists() && !dead_scratch.exists());
        assert!(running.exists() && other.exists() && running_scratch.exists());
        assert!(is_stale_temporary(".n.gpkg.4294967294.partial.gpkg"));
        assert!(!is_stale_temporary("n.gpkg"));
        assert!(!is_stale_temporary(".hidden.4294967294.tmp"));
    }
}
