//! `sarscope info` and the no-argument start, as a user runs them.

use std::ffi::OsStr;

use crate::common::{sarscope, shared_data, text};

#[test]
fn info_on_the_capella_quad_pol_file() {
    let path = shared_data("capella/sar_masked.tif");
    let out = sarscope(&[OsStr::new("info"), path.as_os_str()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for part in [
        "200 x 200 pixels, 4 bands",
        "EPSG:32631",
        "NaN/Inf:   39.15 % of pixels",
        "HH (SN6 order)",
    ] {
        assert!(stdout.contains(part), "{part:?} not in:\n{stdout}");
    }
}

#[test]
fn info_json_on_the_four_slc_chips_is_one_intensity_scene() {
    let mut args = vec![
        OsStr::new("info").to_os_string(),
        OsStr::new("--json").to_os_string(),
    ];
    for p in ["hh", "hv", "vh", "vv"] {
        args.push(shared_data(&format!("capella/sar_{p}.tif")).into_os_string());
    }
    let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = sarscope(&refs);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["band_count"], 4);
    assert_eq!(json["width"], 200);
    assert_eq!(json["rotated"], true);
    assert_eq!(json["epsg"], 32631);
    for (band, pol) in json["bands"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["HH", "HV", "VH", "VV"])
    {
        assert_eq!(band["role"], pol);
        assert_eq!(band["stored_type"], "CFloat32");
        assert_eq!(band["complex_intensity"], true);
        assert!(band["scale_factor"].as_f64().unwrap() > 0.0);
    }
    // Each chip carries its own factor; HH's is the one shared/data/README.md quotes.
    assert_eq!(json["bands"][0]["scale_factor"], 0.0002777517937677223);
}

#[test]
fn no_argument_prepares_the_demo_scene_once() {
    // Without a display the viewer cannot start: a clear error, after the demo scene is made
    // (once: the second run finds it). The window itself is tested under Xvfb (window.rs).
    let cache = tempfile::tempdir().unwrap();
    let tif = cache.path().join("sarscope/demo/synth_s0_0000.tif");
    let mut made = None;
    for _ in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sarscope"))
            .env("XDG_CACHE_HOME", cache.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains("no display") && stderr.contains("synth_s0_0000.tif"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        let modified = std::fs::metadata(&tif).unwrap().modified().unwrap();
        assert_eq!(*made.get_or_insert(modified), modified, "made only once");
    }
    assert!(
        cache
            .path()
            .join("sarscope/demo/synth_s0_0000.geojson")
            .exists()
    );
}
