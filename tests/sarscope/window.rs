//! The real window: `sarscope` with no argument starts under Xvfb (a virtual X display), opens
//! the demo scene, and a screenshot of the display (ImageMagick's `import`) shows it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Distinct colours and luminance spread of a screenshot.
fn busyness(path: &std::path::Path) -> Option<(usize, f64)> {
    let image = image::open(path).ok()?.to_rgb8();
    let mut colours = std::collections::HashSet::new();
    let (mut sum, mut sum2, mut n) = (0f64, 0f64, 0f64);
    for p in image.pixels() {
        colours.insert(p.0);
        let l = 0.299 * f64::from(p.0[0]) + 0.587 * f64::from(p.0[1]) + 0.114 * f64::from(p.0[2]);
        sum += l;
        sum2 += l * l;
        n += 1.0;
    }
    let mean = sum / n;
    Some((colours.len(), (sum2 / n - mean * mean).max(0.0).sqrt()))
}

/// Starts `sarscope ARGS` under its own Xvfb and waits (90 s at most) until a screenshot shows
/// a scene; returns what the app wrote to stderr by then.
fn window_shows_a_scene(args: &[&std::ffi::OsStr]) -> String {
    let display = format!(
        ":{}",
        50 + (std::process::id() + args.len() as u32 * 7) % 200
    );
    let _xvfb = Killed(
        Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1400x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (Debian package xvfb)"),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let cache = tempfile::tempdir().unwrap();
    let stderr_path = cache.path().join("stderr.txt");
    let _app = Killed(
        Command::new(env!("CARGO_BIN_EXE_sarscope"))
            .args(args)
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_CACHE_HOME", cache.path())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let shot = cache.path().join("shot.png");
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_secs(2));
        let status = Command::new("import")
            .args(["-display", display.as_str(), "-window", "root"])
            .arg(&shot)
            .stderr(Stdio::null())
            .status()
            .expect("ImageMagick's import runs (Debian package imagemagick)");
        if !status.success() {
            continue;
        }
        last = busyness(&shot);
        // An empty X display is one colour; the viewer shows speckled SAR in ~40 % of it.
        if let Some((colours, spread)) = last
            && colours > 200
            && spread > 15.0
        {
            return stderr();
        }
    }
    panic!(
        "no scene on the screen after 90 s (distinct colours, luminance std): {last:?}; stderr: {}",
        stderr()
    );
}

#[test]
fn the_window_starts_under_xvfb_and_shows_the_demo_scene() {
    window_shows_a_scene(&[]);
}

/// A file given on the command line that does not open still opens the window (a viewer
/// started from a file manager has no terminal): on the demo scene, the error said.
#[test]
fn a_file_that_does_not_open_still_opens_the_window_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.tif");
    std::fs::write(&broken, b"II*\0 not really a tiff").unwrap();
    let stderr = window_shows_a_scene(&[broken.as_os_str()]);
    assert!(stderr.contains("broken.tif"), "{stderr}");
    assert!(
        stderr.contains("the viewer shows the demo scene instead"),
        "{stderr}"
    );
}

#[test]
fn the_viewer_loads_scenes_with_their_grid_and_scale() {
    use sarscope::render::InputScale;
    use sarscope::session::load_scene;
    let capella = load_scene(&[crate::common::shared_data("capella/sar_masked.tif")]).unwrap();
    assert_eq!((capella.bands.width, capella.bands.height), (200, 200));
    assert_eq!(
        capella.bands.input,
        InputScale::Db,
        "Capella's sar_masked.tif holds dB values"
    );
    assert_eq!(capella.crs.as_ref().and_then(|c| c.epsg), Some(32631));
    assert!(capella.geo_transform.is_some());

    let dir = tempfile::tempdir().unwrap();
    let scene = sarscope::synth::generate(&sarscope::synth::SynthConfig::default(), 0).unwrap();
    let written = scene.write(dir.path()).unwrap();
    let demo = load_scene(&[written.tif]).unwrap();
    assert_eq!(
        demo.bands.input,
        InputScale::Power,
        "the demo is on the SN6 product scale, all >= 0"
    );

    let err = load_scene(&[dir.path().join("absent.tif")]).err().unwrap();
    assert!(format!("{err:#}").contains("absent.tif"), "{err:#}");
}

#[test]
fn modes_that_need_missing_polarizations_are_refused_with_a_reason() {
    use sarscope::raster::{GeoTiffMeta, Planes, write_geotiff};
    use sarscope::render::ViewMode;
    let dir = tempfile::tempdir().unwrap();
    let grey = dir.path().join("grey.tif");
    let planes = Planes::new(64, 64, vec![vec![1.0; 64 * 64]], &[]);
    write_geotiff(&grey, &planes, &GeoTiffMeta::default()).unwrap();
    let scene = sarscope::session::load_scene(&[grey]).unwrap().bands;
    assert_eq!(
        scene.unavailable(ViewMode::Hh),
        None,
        "one band shows in the first slot"
    );
    assert_eq!(scene.mode_label(ViewMode::Hh), "band 1");
    let why = scene.unavailable(ViewMode::Pauli).unwrap();
    assert!(why.contains("pauli needs the polarizations"), "{why}");
    assert!(scene.unavailable(ViewMode::Rgb).is_some());
    assert!(scene.unavailable(ViewMode::Hv).is_some());
    assert_eq!(scene.usable_mode(ViewMode::Span), ViewMode::Hh);

    // Three bands without polarizations (an optical chip): RGB.
    let rgb =
        sarscope::session::load_scene(&[crate::common::shared_data("capella/rgb_unmasked.tif")])
            .unwrap()
            .bands;
    assert!(!rgb.polarimetric);
    assert_eq!(rgb.unavailable(ViewMode::Rgb), None);
    assert_eq!(rgb.usable_mode(ViewMode::Span), ViewMode::Rgb);
    assert!(rgb.unavailable(ViewMode::Vv).is_some(), "no fourth band");

    // A polarimetric scene missing HV: HH shows, Pauli says what it lacks.
    let hh_vv = sarscope::session::load_scene(&[
        crate::common::shared_data("capella/sar_hh.tif"),
        crate::common::shared_data("capella/sar_vv.tif"),
    ])
    .unwrap()
    .bands;
    assert_eq!(hh_vv.unavailable(ViewMode::Hh), None);
    let why = hh_vv.unavailable(ViewMode::Pauli).unwrap();
    assert!(why.contains("pauli needs HV and VH"), "{why}");

    let capella =
        sarscope::session::load_scene(&[crate::common::shared_data("capella/sar_masked.tif")])
            .unwrap()
            .bands;
    assert!(
        ViewMode::ALL
            .iter()
            .filter(|m| **m != ViewMode::Rgb)
            .all(|m| capella.unavailable(*m).is_none())
    );
}
