//! The edit journal of a scene without a geotransform (`NAME.edits.csv`, footprints in
//! pixels) as reopening the scene restores it.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let scene = common::scratch().join("scene.tif");
    let journal = sarscope::annotate::journal::sidecar_path(&scene, false);
    let _ = std::fs::create_dir_all(common::scratch());
    if let Err(e) = std::fs::write(&journal, data) {
        panic!("cannot write {}: {e}", journal.display());
    }
    let _ = sarscope::annotate::journal::restore(&scene, None);
});
