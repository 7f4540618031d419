//! `sarscope export`: footprints from one format to another (GeoJSON, SpaceNet CSV,
//! GeoPackage, by extension), through the scene's grid when pixel and CRS coordinates meet.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use geo::Area;

use crate::io::{
    Footprints, Format, Space, image_id_of, pixel_from_world, read_footprints, reproject,
    world_from_pixel, write_footprints,
};
use crate::raster::Scene;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Footprints to read (.geojson, .csv or .gpkg).
    #[arg(long = "in")]
    pub input: PathBuf,
    /// Where to write them (.geojson, .csv or .gpkg); written whole or not at all.
    #[arg(long)]
    pub out: PathBuf,
    /// The scene whose grid converts pixel <-> CRS coordinates (needed between CSV and the
    /// others) and whose CRS GeoJSON in another CRS is reprojected to.
    #[arg(long)]
    pub scene: Option<PathBuf>,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let mut set = read_footprints(&args.input)?;
    let to_pixel = Format::of(&args.out)?.is_pixel();
    let scene = args
        .scene
        .as_ref()
        .map(|s| Scene::open(s).with_context(|| format!("opening the scene {}", s.display())))
        .transpose()?;
    let need_scene = matches!(
        (set.space, to_pixel),
        (Space::Pixel, false) | (Space::World { .. }, true)
    );
    if need_scene {
        let Some(scene) = &scene else {
            bail!(
                "{} holds {} coordinates and {} holds {}: pass --scene with the image they belong to",
                args.input.display(),
                if to_pixel { "CRS" } else { "pixel" },
                args.out.display(),
                if to_pixel { "pixel" } else { "CRS" },
            );
        };
        let gt = scene
            .geo_transform()
            .context("the scene has no geotransform, so pixels cannot be placed in a CRS")?;
        let scene_epsg = scene.crs().and_then(|c| c.epsg);
        let polygons: Vec<_> = set.items.iter().map(|f| f.polygon.clone()).collect();
        let converted = if to_pixel {
            let in_scene_crs = match (set.space, scene_epsg) {
                (Space::World { epsg: Some(from) }, Some(to)) if from != to => {
                    let wkt = scene
                        .crs()
                        .map(|c| c.wkt.clone())
                        .context("the scene's CRS has no WKT")?;
                    reproject(&polygons, from, &wkt).map_err(anyhow::Error::msg)?
                }
                _ => polygons,
            };
            pixel_from_world(&in_scene_crs, &gt)
                .context("the scene's geotransform cannot be inverted")?
        } else {
            world_from_pixel(&polygons, &gt)
        };
        for (f, p) in set.items.iter_mut().zip(converted) {
            f.polygon = p;
        }
        set.space = if to_pixel {
            Space::Pixel
        } else {
            Space::World { epsg: scene_epsg }
        };
    }
    if let Some(s) = &args.scene
        && set.image_id.is_none()
    {
        set.image_id = Some(image_id_of(s));
    }
    fill_areas(&mut set);
    write_footprints(&args.out, &set)?;
    println!(
        "{}: {} footprints from {}",
        args.out.display(),
        set.items.len(),
        args.input.display()
    );
    Ok(())
}

/// Areas in m^2 for footprints in a projected CRS that have none.
fn fill_areas(set: &mut Footprints) {
    if let Space::World { epsg: Some(epsg) } = set.space
        && epsg != 4326
    {
        for f in &mut set.items {
            if f.area_m2.is_none() {
                f.area_m2 = Some(f.polygon.unsigned_area());
            }
        }
    }
}
