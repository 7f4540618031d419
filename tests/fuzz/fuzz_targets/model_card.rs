//! The model card (`NAME.card.json`) next to a network's weights.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::file("in.card.json", data);
    let _ = sarscope::model::ModelCard::read(&path);
});
