//! What the targets share: the input written to a file, since sarscope's parsers read the files
//! a user names (the file lives in a folder of this process's own, in memory where /dev/shm is).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's scratch folder.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("sarscope-fuzz-{}", std::process::id()));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!(
                "cannot make the fuzzer's scratch folder {}: {e}",
                dir.display()
            );
        }
        dir
    })
}

/// `data` written as `name` in the scratch folder (made again if something removed it).
pub fn file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    let _ = std::fs::create_dir_all(scratch());
    if let Err(e) = std::fs::write(&path, data) {
        panic!("cannot write the fuzzer's input {}: {e}", path.display());
    }
    path
}

/// A panic that our code catches and turns into an error (burn's PyTorch reader is wrapped so)
/// is handled, not a crash: libFuzzer's hook would abort on it, so the default hook comes back
/// without its message. A panic that escapes still aborts (libfuzzer-sys checks the call).
pub fn panics_caught_by_us_are_errors() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// The SpaceNet 6 tiles' grid (EPSG:32631, 0.5 m), for footprints placed on a scene.
pub fn sn6_grid() -> sarscope::io::SceneGrid {
    let wkt = gdal::spatial_ref::SpatialRef::from_epsg(32631)
        .and_then(|s| s.to_wkt())
        .ok();
    sarscope::io::SceneGrid {
        geo_transform: sarscope::raster::GeoTransform([
            595_000.0,
            0.5,
            0.0,
            5_750_000.0,
            0.0,
            -0.5,
        ]),
        crs_wkt: wkt,
        epsg: Some(32631),
    }
}
