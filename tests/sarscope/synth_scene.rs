//! `sarscope demo`: the written tile as GDAL reads it, and its footprints against the image.

use std::ffi::OsStr;
use std::path::Path;

use gdal::vector::LayerAccess;
use gdal::{Dataset, DriverManager, Metadata};

use crate::common::{sarscope, text};

/// Band means of real SN6 SAR-Intensity tiles over valid pixels (shared/data/README.md).
const SN6_MEANS: [f64; 4] = [28.6, 36.1, 33.8, 26.2];
const SN6_STD: f64 = 8.5;

fn write_demo(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec![OsStr::new("demo"), OsStr::new("--out"), dir.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let out = sarscope(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn demo_tile_is_an_sn6_like_geotiff_with_footprints_on_the_bright_structures() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = write_demo(dir.path(), &[]);
    assert!(stdout.contains("synth_s0_0000.tif"), "{stdout}");
    let tif = dir.path().join("synth_s0_0000.tif");
    let ds = Dataset::open(&tif).unwrap();

    // What gdalinfo reports: 4 x Float32, 900x900, EPSG:32631, 0.5 m, nodata 0 declared.
    assert_eq!(ds.raster_size(), (900, 900));
    assert_eq!(ds.raster_count(), 4);
    assert_eq!(ds.spatial_ref().unwrap().auth_code().unwrap(), 32631);
    let gt = ds.geo_transform().unwrap();
    assert_eq!((gt[1], gt[5]), (0.5, -0.5));
    let mut means = Vec::new();
    for b in 1..=4 {
        let band = ds.rasterband(b).unwrap();
        assert_eq!(band.band_type(), gdal::raster::GdalDataType::Float32);
        assert_eq!(band.no_data_value(), Some(0.0));
        // GDAL's own statistics, over the pixels that are not nodata.
        let s = band.get_statistics(true, false).unwrap().unwrap();
        let want = SN6_MEANS[b - 1];
        assert!(
            (s.mean - want).abs() <= 0.25 * want,
            "band {b} mean {} vs SN6 {want}",
            s.mean
        );
        assert!(
            (s.std_dev - SN6_STD).abs() <= 0.25 * SN6_STD,
            "band {b} std {}",
            s.std_dev
        );
        assert!(
            s.min > 0.0 && s.max <= 92.0,
            "band {b} range {}..{}",
            s.min,
            s.max
        );
        means.push(s.mean);
    }
    assert!(
        means[0].min(means[3]) > means[1].max(means[2]),
        "co-pol brighter: {means:?}"
    );
    assert_eq!(ds.rasterband(1).unwrap().description().unwrap(), "HH");

    // Footprints: GDAL reads the GeoJSON in EPSG:32631 and burns them onto the tile's grid.
    let vector = Dataset::open(dir.path().join("synth_s0_0000.geojson")).unwrap();
    let mut layer = vector.layer(0).unwrap();
    assert_eq!(layer.spatial_ref().unwrap().auth_code().unwrap(), 32631);
    let geometries: Vec<_> = layer
        .features()
        .filter_map(|f| f.geometry().cloned())
        .collect();
    assert!(geometries.len() >= 30, "{} buildings", geometries.len());
    let mem = DriverManager::get_driver_by_name("MEM").unwrap();
    let mut mask_ds = mem.create_with_band_type::<u8, _>("", 900, 900, 1).unwrap();
    mask_ds.set_geo_transform(&gt).unwrap();
    let burn = vec![1.0; geometries.len()];
    gdal::raster::rasterize(&mut mask_ds, &[1], &geometries, &burn, None).unwrap();
    let mask = mask_ds
        .rasterband(1)
        .unwrap()
        .read_band_as::<u8>()
        .unwrap()
        .data()
        .to_vec();
    let hh = ds
        .rasterband(1)
        .unwrap()
        .read_band_as::<f32>()
        .unwrap()
        .data()
        .to_vec();

    // Near each footprint (3 px around it) ...
    let near = dilate(&mask, 900, 900, 3);
    let valid: Vec<usize> = (0..hh.len()).filter(|&i| hh[i] > 0.0).collect();
    let near_share = valid.iter().filter(|&&i| near[i]).count() as f64 / valid.len() as f64;
    // ... lie most of the brightest pixels (double bounce, layover), far more than its area.
    let mut sorted: Vec<f32> = valid.iter().map(|&i| hh[i]).collect();
    sorted.sort_by(f32::total_cmp);
    let threshold = sorted[sorted.len() * 99 / 100];
    let bright: Vec<usize> = valid
        .iter()
        .copied()
        .filter(|&i| hh[i] >= threshold)
        .collect();
    let bright_near = bright.iter().filter(|&&i| near[i]).count() as f64 / bright.len() as f64;
    assert!(
        near_share < 0.45,
        "footprints cover {near_share:.2} of the tile"
    );
    assert!(
        bright_near > 0.7,
        "only {bright_near:.2} of the brightest 1 % lie at footprints"
    );
    assert!(
        bright_near > 1.8 * near_share,
        "{bright_near:.2} vs area {near_share:.2}"
    );

    // The CSV holds the same footprints in pixel coordinates.
    let csv = std::fs::read_to_string(dir.path().join("synth_s0_0000.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "ImageId,TileBuildingId,PolygonWKT_Pix");
    assert_eq!(rows.len() - 1, geometries.len());
    assert!(
        rows[1].starts_with("synth_s0_0000,0,\"POLYGON (("),
        "{}",
        rows[1]
    );
    let burned = mask.iter().filter(|v| **v == 1).count() as f64;
    let area_m2: f64 = geometries.iter().map(|g| g.area()).sum();
    // Pixel-centre rasterization of ~100 polygons is within a few % of their area.
    assert!(
        (burned * 0.25 - area_m2).abs() < 0.05 * area_m2,
        "{burned} px vs {area_m2} m2"
    );
}

/// Pixels within `r` (Chebyshev distance) of a set pixel.
fn dilate(mask: &[u8], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut out = vec![false; mask.len()];
    for y in 0..h {
        for x in 0..w {
            if mask[y * w + x] == 0 {
                continue;
            }
            for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
                for xx in x.saturating_sub(r)..(x + r + 1).min(w) {
                    out[yy * w + xx] = true;
                }
            }
        }
    }
    out
}

#[test]
fn demo_writes_any_number_of_seeded_scenes() {
    let dir = tempfile::tempdir().unwrap();
    write_demo(
        dir.path(),
        &["--seed", "5", "--count", "2", "--size", "256"],
    );
    let a = std::fs::read(dir.path().join("synth_s5_0000.tif")).unwrap();
    let b = std::fs::read(dir.path().join("synth_s5_0001.tif")).unwrap();
    assert_ne!(a, b);
    let ds = Dataset::open(dir.path().join("synth_s5_0001.tif")).unwrap();
    assert_eq!(ds.raster_size(), (256, 256));
    // Scenes of one seed sit side by side, not on top of each other.
    let gt0 = Dataset::open(dir.path().join("synth_s5_0000.tif"))
        .unwrap()
        .geo_transform()
        .unwrap();
    assert_eq!(ds.geo_transform().unwrap()[0] - gt0[0], 128.0);
    // Same seed again: the same bytes.
    let again = tempfile::tempdir().unwrap();
    write_demo(
        again.path(),
        &["--seed", "5", "--count", "1", "--size", "256"],
    );
    assert_eq!(
        std::fs::read(again.path().join("synth_s5_0000.tif")).unwrap(),
        a
    );
}

/// The hard benchmark: SN6-named tiles whose strips' looks `SAR_orientations.txt` flags,
/// terraced houses whose truth outlines touch, towers, and truth drawn off the radar's
/// footprints by an annotator's registration error and hand.
#[test]
fn hard_scenes_touch_tower_and_are_flagged_the_sn6_way() {
    use geo::{Area, BooleanOps, BoundingRect, Centroid, Distance, Euclidean};
    use sarscope::synth::{Difficulty, SynthConfig, TILES_PER_STRIP, generate, hard_strip};
    let dir = tempfile::tempdir().unwrap();
    let out = write_demo(
        dir.path(),
        &[
            "--difficulty",
            "hard",
            "--seed",
            "3",
            "--count",
            "8",
            "--size",
            "300",
        ],
    );
    assert!(out.contains("SAR_orientations.txt (2 strips)"), "{out}");
    let orientations =
        sarscope::model::Orientations::read(&dir.path().join("SAR_orientations.txt")).unwrap();
    let mut looks = Vec::new();
    for index in 0..8u64 {
        let name = sarscope::synth::hard_scene_name(3, index);
        let tif = dir.path().join(format!("{name}.tif"));
        assert!(tif.is_file(), "{}", tif.display());
        let (strip, south) = hard_strip(3, index);
        assert_eq!(sarscope::model::sn6_strip_key(&name), Some(strip.clone()));
        assert_eq!(orientations.flag(&strip), Some(south));
        looks.push(south);
        // The truth CSV names the tile as SN6's CSVs do.
        let csv = std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap();
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("{strip}_tile_{index}"))
        );
    }
    assert_eq!(
        looks[0],
        looks[(TILES_PER_STRIP - 1) as usize],
        "one look per strip"
    );
    // Over a few full tiles: touching truth outlines, tall towers, truth off the footprints.
    let (mut touching, mut houses, mut towers) = (0, 0, 0);
    let strips: Vec<bool> = (0..10)
        .map(|k| hard_strip(11, k * TILES_PER_STRIP).1)
        .collect();
    assert!(
        strips.contains(&true) && strips.contains(&false),
        "north and south strips"
    );
    for index in 0..6 {
        let config = SynthConfig {
            seed: 11,
            difficulty: Difficulty::Hard,
            ..Default::default()
        };
        let scene = generate(&config, index).unwrap();
        assert_eq!(scene.looks_from_north, !hard_strip(11, index).1);
        towers += scene
            .buildings
            .iter()
            .filter(|b| b.height_m >= 30.0)
            .count();
        houses += scene.truth.len();
        assert_eq!(scene.truth.len(), scene.buildings.len());
        let boxes: Vec<_> = scene
            .truth
            .iter()
            .map(|p| p.bounding_rect().unwrap())
            .collect();
        for (i, p) in scene.truth.iter().enumerate() {
            // Within the registration error (2 px each way) and the hand (0.5 px) of the
            // radar's footprint, never on it.
            let (a, b) = (
                p.centroid().unwrap(),
                scene.buildings[i].footprint.centroid().unwrap(),
            );
            let off = Euclidean.distance(a, b);
            assert!(off < 2.0 * 2f64.sqrt() + 0.75, "{off}");
            let near = boxes.iter().enumerate().any(|(j, r)| {
                j != i
                    && r.min().x <= boxes[i].max().x
                    && boxes[i].min().x <= r.max().x
                    && r.min().y <= boxes[i].max().y
                    && boxes[i].min().y <= r.max().y
                    && Euclidean.distance(p, &scene.truth[j]) < 1e-6
                    && p.intersection(&scene.truth[j]).unsigned_area() < 1.0
            });
            touching += usize::from(near);
        }
    }
    assert!(towers >= 2, "{towers} towers");
    // Most terraced houses share a wall with a neighbour (SN6-like), and shared walls do
    // not overlap.
    assert!(
        touching * 3 > houses,
        "{touching} of {houses} touch a neighbour"
    );
}
