//! `sarscope export`: footprints from one format to another (GeoJSON, SpaceNet CSV,
//! GeoPackage, by extension), through the scene's grid when pixel and CRS coordinates meet.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use geo::Area;

use crate::io::{
    Footprints, Format, SceneGrid, Space, image_id_of, read_footprints, write_footprints,
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
    /// Write longitude/latitude (WGS 84), as RFC 7946 GeoJSON wants, instead of the CRS.
    #[arg(long)]
    pub wgs84: bool,
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
        let grid = SceneGrid::of(scene)
            .context("the scene has no geotransform, so pixels cannot be placed in a CRS")?;
        set = if to_pixel {
            set.into_pixel(&grid).map_err(anyhow::Error::msg)?
        } else {
            set.into_world(&grid)
        };
    }
    if let Some(s) = &args.scene
        && set.image_id.is_none()
    {
        set.image_id = Some(image_id_of(s));
    }
    fill_areas(&mut set);
    if args.wgs84 {
        if to_pixel {
            bail!("--wgs84 writes longitude/latitude; a SpaceNet CSV holds pixels");
        }
        set = set.into_wgs84().map_err(anyhow::Error::msg)?;
    }
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
