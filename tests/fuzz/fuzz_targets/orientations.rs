//! `SAR_orientations.txt`, the SpaceNet 6 strips' look directions.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::file("SAR_orientations.txt", data);
    if let Ok(orientations) = sarscope::model::Orientations::read(&path) {
        for tile in [
            "SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_8679.tif",
            "x.tif",
        ] {
            let _ = orientations.rotation_for(std::path::Path::new(tile));
        }
    }
});
