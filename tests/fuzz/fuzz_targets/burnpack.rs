//! burnpack files (ours, as training and fine-tuning write them) loaded as either network: the
//! baseline's UNet11 and the winner's EfficientNet U-Net.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(init: common::panics_caught_by_us_are_errors(), |data: &[u8]| {
    let path = common::file("in.bpk", data);
    let device = burn::prelude::Device::flex();
    let _ = sarscope::model::load_weights(&path, &device);
    let _ = sarscope::model::effunet::load_effunet(&path, &device);
});
