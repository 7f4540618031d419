//! `sarscope export`: footprints from one format to another (GeoJSON, SpaceNet CSV,
//! GeoPackage, by extension), through the scene's grid when pixel and CRS coordinates meet.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::io::{Format, SceneGrid, Space, image_id_of, read_footprints};
use crate::raster::Scene;
use crate::session::export_footprints;

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
    let grid = scene.as_ref().and_then(SceneGrid::of);
    if need_scene {
        if scene.is_none() {
            bail!(
                "{} holds {} coordinates and {} holds {}: pass --scene with the image they belong to",
                args.input.display(),
                if to_pixel { "CRS" } else { "pixel" },
                args.out.display(),
                if to_pixel { "pixel" } else { "CRS" },
            );
        }
        if grid.is_none() {
            bail!("the scene has no geotransform, so pixels cannot be placed in a CRS");
        }
    }
    if let Some(s) = &args.scene
        && set.image_id.is_none()
    {
        set.image_id = Some(image_id_of(s));
    }
    if args.wgs84 && to_pixel {
        bail!("--wgs84 writes longitude/latitude; a SpaceNet CSV holds pixels");
    }
    let written =
        export_footprints(&args.out, set, grid.as_ref(), args.wgs84).with_context(|| {
            format!(
                "exporting {} to {}",
                args.input.display(),
                args.out.display()
            )
        })?;
    println!(
        "{}: {} footprints from {}",
        args.out.display(),
        written.items.len(),
        args.input.display()
    );
    Ok(())
}
