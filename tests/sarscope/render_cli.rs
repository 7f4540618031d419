//! `sarscope render`: quicklook PNGs through the WGSL pipeline (lavapipe here), their size, a
//! scene too large for one texture read smaller, rasters without polarizations, refusals.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use gdal::raster::Buffer;

use crate::common::{demo_tile, sarscope, text};

fn render(args: &[&OsStr]) -> std::process::Output {
    let mut all = vec![OsStr::new("render")];
    all.extend_from_slice(args);
    sarscope(&all)
}

/// A `width` x `height` GeoTIFF of `bands` float32 bands, each a ramp offset by its number.
fn ramp(dir: &Path, name: &str, (width, height): (usize, usize), bands: usize) -> PathBuf {
    let path = dir.join(name);
    let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let ds = driver
        .create_with_band_type::<f32, _>(&path, width, height, bands)
        .unwrap();
    for b in 0..bands {
        let data: Vec<f32> = (0..width * height)
            .map(|i| 1.0 + (i % width) as f32 + (b * 10) as f32)
            .collect();
        ds.rasterband(b + 1)
            .unwrap()
            .write(
                (0, 0),
                (width, height),
                &mut Buffer::new((width, height), data),
            )
            .unwrap();
    }
    ds.close().unwrap();
    path
}

fn png_size(path: &Path) -> (u32, u32) {
    let img = image::open(path).unwrap();
    (img.width(), img.height())
}

#[test]
fn a_demo_tile_renders_at_the_asked_size_and_matches_the_cpu_twin() {
    let dir = tempfile::tempdir().unwrap();
    let tile = demo_tile(dir.path());
    let gpu = dir.path().join("gpu.png");
    let cpu = dir.path().join("cpu.png");
    for (out, extra) in [(&gpu, None), (&cpu, Some("--cpu"))] {
        let mut args = vec![
            tile.as_os_str(),
            OsStr::new("--mode"),
            OsStr::new("pauli"),
            OsStr::new("--size"),
            OsStr::new("240x180"),
            OsStr::new("--out"),
            out.as_os_str(),
        ];
        args.extend(extra.map(OsStr::new));
        let run = render(&args);
        assert!(run.status.success(), "{}", text(&run.stderr));
        assert!(text(&run.stdout).contains("pauli of power values 240x180"));
        assert_eq!(png_size(out), (240, 180));
    }
    let (a, b) = (
        image::open(&gpu).unwrap().to_rgba8(),
        image::open(&cpu).unwrap().to_rgba8(),
    );
    let worst = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap();
    assert!(worst <= 2, "GPU and CPU differ by {worst}/255");
    // Not one flat colour.
    let first = a.get_pixel(0, 0);
    assert!(a.pixels().any(|p| p != first));
}

/// Wider than any GPU's texture (32768 px at most on today's adapters): read smaller, the
/// image and a note say so, the values still span the ramp.
#[test]
fn a_scene_wider_than_one_texture_is_read_smaller() {
    let dir = tempfile::tempdir().unwrap();
    let wide = ramp(dir.path(), "wide.tif", (40_000, 20), 1);
    let out = dir.path().join("wide.png");
    let run = render(&[wide.as_os_str(), OsStr::new("--out"), out.as_os_str()]);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("the scene is 40000x20 px; read at 4096x2"),
        "{stderr}"
    );
    assert_eq!(png_size(&out), (4096, 2));

    // An asked size sets the read: 1000 px wide, the aspect kept (20 * 1000 / 40000 rounds
    // down to 0 rows, so 1).
    let run = render(&[
        wide.as_os_str(),
        OsStr::new("--size"),
        OsStr::new("1000x50"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("read at 1000x1"), "{stderr}");
    assert_eq!(png_size(&out), (1000, 50));
}

#[test]
fn a_raster_without_polarizations_names_its_bands_and_refuses_composites() {
    let dir = tempfile::tempdir().unwrap();
    let grey = ramp(dir.path(), "grey.tif", (64, 32), 1);
    let out = dir.path().join("grey.png");
    let run = render(&[grey.as_os_str(), OsStr::new("--out"), out.as_os_str()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("band 1 of power values 64x32"),
        "{}",
        text(&run.stdout)
    );
    assert_eq!(png_size(&out), (64, 32));

    let refused = dir.path().join("span.png");
    let run = render(&[
        grey.as_os_str(),
        OsStr::new("--mode"),
        OsStr::new("span"),
        OsStr::new("--out"),
        refused.as_os_str(),
    ]);
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("span needs the polarizations"), "{stderr}");
    assert!(!refused.exists());
}
