//! The GeoJSON footprint reader, and the footprints placed on a SpaceNet 6 tile's grid
//! (reprojected when their CRS differs), as the viewer and `eval` do with a truth file.
#![no_main]
#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use sarscope::annotate::{Layer, Role};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static GRID: OnceLock<sarscope::io::SceneGrid> = OnceLock::new();
    let grid = GRID.get_or_init(common::sn6_grid);
    let path = common::file("in.geojson", data);
    let _ = Layer::open(&path, Role::Truth, Some(grid));
    let _ = Layer::open(&path, Role::Truth, None);
});
