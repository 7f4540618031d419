//! `sarscope vectorize`: a probability map to building footprints.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use geo::{Area, MultiPolygon};

use crate::io::{
    SceneGrid, image_id_of, reproject_to_epsg, world_from_pixel, write_footprints_geojson,
    write_prediction_csv,
};
use crate::raster::Scene;
use crate::vector::{
    InstanceParams, OutlineParams, VectorizeParams, instance_footprints, vectorize,
};

#[derive(Debug, Args)]
pub struct VectorizeArgs {
    /// A probability map (band 1, values in [0, 1]) on the scene's grid; a three-map file
    /// of the SN6 winner's network (`predict`'s bands footprint, edge and contact
    /// probability) gives its watershed instances, by the winner's settings.
    pub probs: PathBuf,
    /// A pixel is a building when its probability is above this.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f32,
    /// Drop buildings of fewer pixels (SN6 baseline: 80).
    #[arg(long, default_value_t = 80)]
    pub min_area: usize,
    /// Douglas-Peucker tolerance in pixels (0 keeps the pixel-edge outline).
    #[arg(long, default_value_t = 0.5)]
    pub simplify: f64,
    /// Output: `.csv` (SpaceNet, pixel WKT with Confidence) or `.geojson` (the map's CRS).
    #[arg(long)]
    pub out: PathBuf,
    /// Write the GeoJSON as RFC 7946 (WGS 84 longitude/latitude, no `crs` member).
    #[arg(long)]
    pub wgs84: bool,
    /// Straighten the buildings to right angles (those near them; round or slanted ones stay
    /// as traced), with tolerances in metres at the map's pixel size.
    #[arg(long)]
    pub regularize: bool,
}

pub fn run(args: &VectorizeArgs) -> anyhow::Result<()> {
    let scene = Scene::open(&args.probs)?;
    let (w, h) = (scene.width(), scene.height());
    let read = |band: usize| {
        scene
            .read_band_window(band, scene.full_window(), (w, h))
            .context("reading the probability map")
    };
    let three_maps = crate::model::effunet::holds_three_maps(&scene);
    let params = VectorizeParams {
        threshold: args.threshold,
        min_area: args.min_area,
        simplify: args.simplify,
    };
    let footprints = if three_maps {
        let (footprint, edge, contact) = (read(0)?, read(1)?, read(2)?);
        let found = instance_footprints(
            &footprint,
            &edge,
            &contact,
            w,
            h,
            InstanceParams {
                threshold: f64::from(args.threshold),
                ..InstanceParams::default()
            },
            OutlineParams::default(),
        )
        .context("the three maps differ in size")?;
        println!("three maps (footprint, edge, contact): the SN6 winner's watershed instances");
        found
    } else {
        vectorize(&read(0)?, w, h, params)
    };
    let mut footprints = footprints;
    if args.regularize {
        let params = crate::annotate::regularize_params(SceneGrid::of(&scene).as_ref());
        let mut straightened = 0;
        for f in &mut footprints {
            if let Ok(polygon) = crate::vector::regularize(&f.polygon, params) {
                f.area_px = polygon.unsigned_area();
                f.polygon = polygon;
                straightened += 1;
            }
        }
        println!(
            "straightened {straightened} of {} buildings to right angles (the others are not \
             near them and stay as traced)",
            footprints.len()
        );
    }
    let polygons: Vec<_> = footprints.iter().map(|f| f.polygon.clone()).collect();
    let confidences: Vec<f64> = footprints.iter().map(|f| f.confidence).collect();
    let extension = args
        .out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if args.wgs84 && extension == "csv" {
        anyhow::bail!("--wgs84 applies to GeoJSON output; a SpaceNet CSV holds pixel coordinates");
    }
    match extension.as_str() {
        "csv" => write_prediction_csv(
            &args.out,
            &image_id_of(&args.probs),
            &polygons,
            &confidences,
        )?,
        "geojson" | "json" => {
            let gt = scene
                .geo_transform()
                .context("the probability map has no geotransform; write a .csv instead")?;
            let pixel_area = gt.pixel_area();
            let world = world_from_pixel(&polygons, &gt);
            let crs = scene.crs();
            let (world, epsg) = if args.wgs84 {
                let crs = crs.context("the probability map has no CRS to reproject from")?;
                let multi: Vec<MultiPolygon<f64>> =
                    world.into_iter().map(|p| MultiPolygon(vec![p])).collect();
                let wgs84 = reproject_to_epsg(&multi, &crs.wkt, 4326)?;
                let polygons = wgs84
                    .into_iter()
                    .flat_map(|mp| mp.0.into_iter().next())
                    .collect();
                (polygons, None)
            } else {
                (world, crs.and_then(|c| c.epsg))
            };
            let properties: Vec<_> = footprints
                .iter()
                .map(|f| {
                    let mut p = serde_json::Map::new();
                    p.insert("id".into(), f.id.into());
                    p.insert("confidence".into(), f.confidence.into());
                    p.insert("area_px".into(), f.area_px.into());
                    p.insert("area_m2".into(), (f.area_px * pixel_area).into());
                    p
                })
                .collect();
            write_footprints_geojson(&args.out, &world, &properties, epsg)?;
        }
        _ => anyhow::bail!(
            "{}: unknown output format; use .csv or .geojson",
            args.out.display()
        ),
    }
    println!(
        "{} buildings (threshold {}, min area {} px) -> {}",
        footprints.len(),
        args.threshold,
        args.min_area,
        args.out.display()
    );
    Ok(())
}
