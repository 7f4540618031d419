//! Properties over random polygons, by proptest (a failing case is shrunk to a small one and
//! printed with the values that reproduce it).

use std::ffi::OsStr;

use geo::{Area, Coord, Euclidean, Length, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use sarscope::eval::{EvalParams, evaluate_image};
use sarscope::vector::{VectorizeParams, rasterize, vectorize};

use crate::common::{sarscope, shared_data, text};

/// A rotated rectangle, or an L (the rectangle less a quarter at one corner), inside a 200x200
/// grid: centre, size, angle and shape drawn by proptest.
fn building() -> impl Strategy<Value = Polygon<f64>> {
    (
        (50.0..150.0f64, 50.0..150.0f64),
        (8.0..60.0f64, 8.0..60.0f64),
        0.0..std::f64::consts::PI,
        any::<bool>(),
    )
        .prop_map(|((cx, cy), (w, h), angle, l_shaped)| {
            let local: Vec<(f64, f64)> = if l_shaped {
                let (cw, ch) = (w * 0.5, h * 0.5);
                vec![
                    (0.0, 0.0),
                    (w, 0.0),
                    (w, h - ch),
                    (w - cw, h - ch),
                    (w - cw, h),
                    (0.0, h),
                ]
            } else {
                vec![(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
            };
            let (s, c) = angle.sin_cos();
            let ring: Vec<Coord<f64>> = local
                .iter()
                .map(|(x, y)| {
                    let (x, y) = (x - w / 2.0, y - h / 2.0);
                    Coord {
                        x: cx + x * c - y * s,
                        y: cy + x * s + y * c,
                    }
                })
                .collect();
            Polygon::new(LineString::from(ring), vec![])
        })
}

/// A building, the confidence of a proposal made from it, and that proposal's sideways shift
/// in px.
type Item = (Polygon<f64>, f64, f64);

/// Buildings with their proposals, and an order to list the ground truth in.
fn buildings_and_an_order() -> impl Strategy<Value = (Vec<Item>, Vec<usize>)> {
    prop::collection::vec((building(), 0.0..1.0f64, -15.0..15.0f64), 1..30).prop_flat_map(|items| {
        let order = Just((0..items.len()).collect::<Vec<_>>()).prop_shuffle();
        (Just(items), order)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Outlines traced on pixel edges enclose exactly the rasterized pixels, and those differ
    /// from the polygon's area by less than its perimeter (a pixel's share along the outline).
    #[test]
    fn vectorize_of_rasterize_recovers_the_area_within_a_pixel_along_the_outline(
        p in building()
    ) {
        let exact = VectorizeParams {
            threshold: 0.5,
            min_area: 1,
            simplify: 0.0,
        };
        let mask = rasterize(&[MultiPolygon(vec![p.clone()])], 200, 200);
        let probs: Vec<f32> = mask.iter().map(|&m| if m { 1.0 } else { 0.0 }).collect();
        let found = vectorize(&probs, 200, 200, exact);
        let area: f64 = found.iter().map(|f| f.area_px).sum();
        let perimeter = Euclidean.length(p.exterior());
        let pixels = mask.iter().filter(|v| **v).count() as f64;
        prop_assert_eq!(area, pixels);
        prop_assert!(
            (area - p.unsigned_area()).abs() <= perimeter,
            "{} px vs {} with perimeter {}",
            area,
            p.unsigned_area(),
            perimeter
        );
    }

    /// A set scored against itself is perfect; shifted proposals give a mix of matches and
    /// misses, and the same counts whatever order the ground truth is listed in.
    #[test]
    fn eval_of_a_set_against_itself_is_perfect_and_truth_order_does_not_matter(
        (items, order) in buildings_and_an_order()
    ) {
        let params = EvalParams {
            min_area: 20.0,
            iou_threshold: 0.5,
        };
        let truth: Vec<MultiPolygon<f64>> = items
            .iter()
            .map(|(p, _, _)| MultiPolygon(vec![p.clone()]))
            .collect();
        let itself: Vec<_> = truth
            .iter()
            .zip(&items)
            .map(|(t, (_, confidence, _))| (t.clone(), *confidence))
            .collect();
        let counts = evaluate_image(&truth, &itself, params).counts;
        prop_assert_eq!((counts.tp as usize, counts.fp, counts.fn_), (truth.len(), 0, 0));
        let shifted: Vec<_> = itself
            .iter()
            .zip(&items)
            .map(|((p, c), (_, _, dx))| (geo::Translate::translate(p, *dx, 0.0), *c))
            .collect();
        let reordered: Vec<MultiPolygon<f64>> = order.iter().map(|&i| truth[i].clone()).collect();
        prop_assert_eq!(
            evaluate_image(&truth, &shifted, params).counts,
            evaluate_image(&reordered, &shifted, params).counts
        );
    }
}

#[test]
fn vectorize_cli_writes_a_csv_that_scores_perfectly_against_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mask = shared_data("spacenet/sample_fp_mask_from_geojson.tif");
    let csv = dir.path().join("preds.csv");
    let out = sarscope(&[
        OsStr::new("vectorize"),
        mask.as_os_str(),
        OsStr::new("--min-area"),
        OsStr::new("80"),
        OsStr::new("--out"),
        csv.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = sarscope::io::read_spacenet_csv(&csv).unwrap();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    assert!(
        rows.iter()
            .all(|r| &*r.image_id == "sample_fp_mask_from_geojson" && r.confidence.is_some())
    );
    let out = sarscope(&[
        OsStr::new("eval"),
        OsStr::new("--truth"),
        csv.as_os_str(),
        OsStr::new("--pred"),
        csv.as_os_str(),
        OsStr::new("--json"),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"]["f1"], 1.0);
    // The mask has no geotransform: GeoJSON output is refused with the reason.
    let out = sarscope(&[
        OsStr::new("vectorize"),
        mask.as_os_str(),
        OsStr::new("--out"),
        dir.path().join("p.geojson").as_os_str(),
    ]);
    assert!(!out.status.success() && text(&out.stderr).contains("no geotransform"));
}

#[test]
fn vectorize_cli_writes_rfc7946_geojson_that_lands_back_on_the_grid() {
    use sarscope::io::{pixel_from_world, read_footprints_geojson, reproject};
    use sarscope::raster::{GeoTiffMeta, Planes, write_geotiff};
    use sarscope::synth::{LookSide, SynthConfig, generate};
    let config = SynthConfig {
        width: 256,
        height: 256,
        seed: 5,
        look: LookSide::North,
        ..Default::default()
    };
    let scene = generate(&config, 0).unwrap();
    let truth: Vec<MultiPolygon<f64>> = scene
        .footprints_pixel()
        .into_iter()
        .map(|p| MultiPolygon(vec![p]))
        .collect();
    let mask = rasterize(&truth, 256, 256);
    let probs: Vec<f32> = mask.iter().map(|&m| if m { 0.9 } else { 0.1 }).collect();
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("probs.tif");
    let planes = Planes::new(256, 256, vec![probs], &[None]);
    let meta = GeoTiffMeta {
        geo_transform: Some(scene.geo_transform),
        epsg: Some(32631),
        ..Default::default()
    };
    write_geotiff(&tif, &planes, &meta).unwrap();
    let out = dir.path().join("b.geojson");
    let run = sarscope(&[
        OsStr::new("vectorize"),
        tif.as_os_str(),
        OsStr::new("--min-area"),
        OsStr::new("1"),
        OsStr::new("--simplify"),
        OsStr::new("0"),
        OsStr::new("--wgs84"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let text_out = std::fs::read_to_string(&out).unwrap();
    assert!(!text_out.contains("\"crs\""), "RFC 7946 has no crs member");
    let read = read_footprints_geojson(&out).unwrap();
    assert_eq!(read.epsg, 4326);
    assert!(
        read.polygons.len() >= 5,
        "{} buildings",
        read.polygons.len()
    );
    let lon = read.polygons[0].0[0].exterior().0[0].x;
    assert!(
        (3.0..5.0).contains(&lon),
        "Rotterdam longitudes, not metres: {lon}"
    );
    let wkt = sarscope::raster::Crs::from_epsg(32631).unwrap().wkt;
    let back = pixel_from_world(
        &reproject(&read.polygons, 4326, &wkt).unwrap(),
        &scene.geo_transform,
    )
    .unwrap();
    let again = rasterize(&back, 256, 256);
    let differing = again.iter().zip(&mask).filter(|(a, b)| a != b).count();
    assert!(differing <= 2, "{differing} pixels moved in the round trip");
    // --wgs84 makes no sense for a pixel CSV.
    let run = sarscope(&[
        OsStr::new("vectorize"),
        tif.as_os_str(),
        OsStr::new("--wgs84"),
        OsStr::new("--out"),
        dir.path().join("x.csv").as_os_str(),
    ]);
    assert!(!run.status.success() && text(&run.stderr).contains("--wgs84 applies to GeoJSON"));
}
