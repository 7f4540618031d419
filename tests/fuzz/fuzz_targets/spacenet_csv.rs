//! The SpaceNet CSV reader (truth and predictions: ImageId, BuildingId, PolygonWKT_Pix,
//! Confidence), as `eval` and the viewer read it.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::file("in.csv", data);
    let _ = sarscope::io::read_spacenet_csv(&path);
});
