//! The SpaceNet metric against solaris' own results for the SN2 sample CSVs
//! (shared/data/spacenet/SN2_test_results*.csv, computed by solaris with min area 20).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use sarscope::eval::{Counts, EvalParams, evaluate_rows};
use sarscope::io::read_spacenet_csv;

use crate::common::{sarscope, shared_data, text};

fn solaris_rows(file: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(shared_data(file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn check(row: &BTreeMap<String, String>, got: &Counts, what: &str) {
    let n = |k: &str| row[k].parse::<u64>().unwrap();
    let f = |k: &str| row[k].parse::<f64>().unwrap();
    assert_eq!(
        (got.tp, got.fp, got.fn_),
        (n("TruePos"), n("FalsePos"), n("FalseNeg")),
        "{what}"
    );
    // Same counts, same formulas: the scores agree to the last bits of a double.
    for (ours, key) in [
        (got.precision(), "Precision"),
        (got.recall(), "Recall"),
        (got.f1(), "F1Score"),
    ] {
        assert!(
            (ours - f(key)).abs() < 1e-12,
            "{what} {key}: {ours} vs {}",
            f(key)
        );
    }
}

#[test]
fn sn2_samples_score_exactly_as_solaris_per_image_and_per_aoi() {
    let truth = read_spacenet_csv(&shared_data("spacenet/SN2_sample_truth.csv")).unwrap();
    let pred = read_spacenet_csv(&shared_data("spacenet/SN2_sample_preds.csv")).unwrap();
    let params = EvalParams {
        min_area: 20.0,
        iou_threshold: 0.5,
    };
    let evaluation = evaluate_rows(&truth, &pred, params);
    let per_image = solaris_rows("spacenet/SN2_test_results_full.csv");
    assert_eq!(evaluation.images.len(), per_image.len());
    for row in &per_image {
        let id = &row["imageID"];
        check(row, &evaluation.images[id.as_str()].counts, id);
    }
    let aois = evaluation.by_aoi();
    let solaris_aois = solaris_rows("spacenet/SN2_test_results.csv");
    assert_eq!(aois.len(), solaris_aois.len());
    // solaris writes the AOI rows without names: match them by their true positives.
    for row in &solaris_aois {
        let tp: u64 = row["TruePos"].parse().unwrap();
        let (name, counts) = aois.iter().find(|(_, c)| c.tp == tp).unwrap();
        check(row, counts, name);
    }
}

#[test]
fn a_set_against_itself_scores_one_whatever_the_truth_order() {
    let truth = read_spacenet_csv(&shared_data("spacenet/SN2_sample_truth.csv")).unwrap();
    let params = EvalParams {
        min_area: 20.0,
        iou_threshold: 0.5,
    };
    let itself = evaluate_rows(&truth, &truth, params);
    assert_eq!(itself.total.fp + itself.total.fn_, 0);
    assert!((itself.total.f1() - 1.0).abs() < 1e-15);
    let pred = read_spacenet_csv(&shared_data("spacenet/SN2_sample_preds.csv")).unwrap();
    let mut reversed = truth.clone();
    reversed.reverse();
    assert_eq!(
        evaluate_rows(&reversed, &pred, params).total,
        evaluate_rows(&truth, &pred, params).total
    );
}

/// Runs `sarscope eval --truth T --pred P EXTRA...`.
fn eval_cli(truth: &Path, pred: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        OsStr::new("eval"),
        OsStr::new("--truth"),
        truth.as_os_str(),
        OsStr::new("--pred"),
        pred.as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    sarscope(&args)
}

#[test]
fn eval_cli_prints_the_table_and_reports_bad_rows_by_line() {
    let truth = shared_data("spacenet/SN2_sample_truth.csv");
    let pred = shared_data("spacenet/SN2_sample_preds.csv");
    let out = eval_cli(&truth, &pred, &["--min-area", "20"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("AOI_2_Vegas (all images)                         35      2      7"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "nocol.csv",
            "ImageId,PolygonWKT_Pix\na,POLYGON EMPTY\n",
            "no BuildingId or TileBuildingId column",
        ),
        (
            "badwkt.csv",
            "ImageId,BuildingId,PolygonWKT_Pix\na,0,POLYGON EMPTY\na,1,\"POLYGON ((0 0, 1 1\"\n",
            "line 3: bad WKT",
        ),
        (
            "point.csv",
            "ImageId,BuildingId,PolygonWKT_Pix\na,0,POINT (1 2)\n",
            "line 2: expected a POLYGON",
        ),
        (
            "conf.csv",
            "ImageId,BuildingId,PolygonWKT_Pix,Confidence\na,0,POLYGON EMPTY,high\n",
            "Confidence \"high\" is not a number",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let out = eval_cli(&truth, &path, &[]);
        let stderr = text(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(name) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }
}

/// Self-intersecting polygons are scored by solaris' rule and named (file and line) on stderr
/// and in the JSON report; valid files get no note.
#[test]
fn eval_names_the_invalid_polygons_it_scored() {
    let dir = tempfile::tempdir().unwrap();
    let square = |x: i32| {
        format!(
            "\"POLYGON (({x} 0, {} 0, {} 20, {x} 20, {x} 0))\"",
            x + 20,
            x + 20
        )
    };
    // Two lobes of different sizes crossing each other (an area as written of 800).
    let crossed = |x: i32| {
        format!(
            "\"POLYGON (({x} 0, {} 40, {} 0, {x} 20, {x} 0))\"",
            x + 80,
            x + 80
        )
    };
    let truth = dir.path().join("truth.csv");
    std::fs::write(
        &truth,
        format!(
            "ImageId,BuildingId,PolygonWKT_Pix\na,0,{}\na,1,{}\nb,0,{}\n",
            square(0),
            crossed(100),
            square(0)
        ),
    )
    .unwrap();
    let pred = dir.path().join("pred.csv");
    std::fs::write(
        &pred,
        format!(
            "ImageId,BuildingId,PolygonWKT_Pix,Confidence\na,0,{},0.9\nb,0,{},0.8\nb,1,{},0.7\n",
            square(0),
            square(0),
            crossed(300)
        ),
    )
    .unwrap();
    let out = eval_cli(&truth, &pred, &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "1 of the ground-truth footprints is not a valid polygon (self-intersecting or otherwise): {} line 3.",
            truth.display()
        )) && stderr.contains(&format!(
            "1 of the predicted footprints is not a valid polygon (self-intersecting or otherwise): {} line 4.",
            pred.display()
        )),
        "{stderr}"
    );
    // The invalid truth is missed, the invalid proposal repaired and unmatched.
    let json: serde_json::Value =
        serde_json::from_slice(&eval_cli(&truth, &pred, &["--json"]).stdout).unwrap();
    assert_eq!(json["invalid_truth"], serde_json::json!(["line 3"]));
    assert_eq!(json["invalid_pred"], serde_json::json!(["line 4"]));
    assert_eq!(
        (
            &json["total"]["tp"],
            &json["total"]["fp"],
            &json["total"]["fn"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
    // No note for valid files.
    let sn2 = eval_cli(
        &shared_data("spacenet/SN2_sample_truth.csv"),
        &shared_data("spacenet/SN2_sample_preds.csv"),
        &["--min-area", "20"],
    );
    assert!(
        !text(&sn2.stderr).contains("note:"),
        "{}",
        text(&sn2.stderr)
    );
}

#[test]
fn eval_places_geojson_on_a_scene_grid_reprojecting_as_needed() {
    // The same labels in UTM (shared/data) and in WGS 84 (fixture) score perfectly together.
    let utm = shared_data("spacenet/geotiff_labels.geojson");
    let wgs84 = crate::common::fixture("geotiff_labels_wgs84.geojson");
    let scene = shared_data("spacenet/sample_geotiff.tif");
    // `pred` against the UTM labels on the scene's grid: the JSON report and the notes.
    let eval_on_scene = |pred: &Path| {
        let out = eval_cli(&utm, pred, &["--scene", scene.to_str().unwrap(), "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (json, text(&out.stderr))
    };
    let (json, _) = eval_on_scene(&wgs84);
    assert_eq!(json["images"][0]["image_id"], "sample_geotiff");
    assert!(
        json["total"]["tp"].as_u64().unwrap() >= 40,
        "{}",
        json["total"]
    );
    assert_eq!(json["total"]["f1"], 1.0);
    // A self-intersecting footprint in a GeoJSON is named by its feature (numbered from 0).
    let mut labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&utm).unwrap()).unwrap();
    let first = &labels["features"][2]["geometry"]["coordinates"][0][0];
    let (x, y) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    labels["features"][2]["geometry"] = serde_json::json!({
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 20.0, y + 10.0], [x + 20.0, y], [x, y + 5.0], [x, y]]]
    });
    let dir = tempfile::tempdir().unwrap();
    let crossed = dir.path().join("crossed.geojson");
    std::fs::write(&crossed, labels.to_string()).unwrap();
    let (json, notes) = eval_on_scene(&crossed);
    assert_eq!(json["invalid_pred"], serde_json::json!(["feature 2"]));
    assert!(notes.contains("crossed.geojson feature 2."), "{notes}");
    // Without a scene, the two are scored in the truth's projected CRS (the longitude/latitude
    // copy reprojected into it): the labels match themselves.
    let out = eval_cli(&utm, &wgs84, &["--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"]["f1"], 1.0, "{json}");
    assert_eq!(json["total"]["fn"], 0, "{json}");
    // A CSV in pixels beside a GeoJSON needs the scene's grid: a clear error.
    let csv = dir.path().join("labels.csv");
    std::fs::write(
        &csv,
        "ImageId,BuildingId,PolygonWKT_Pix\nimg,1,\"POLYGON ((0 0,10 0,10 10,0 10,0 0))\"\n",
    )
    .unwrap();
    let out = eval_cli(&csv, &utm, &[]);
    assert!(
        !out.status.success() && text(&out.stderr).contains("need --scene RASTER"),
        "{}",
        text(&out.stderr)
    );
}
