//! `sarscope export`: footprints from one format to another (GeoJSON, SpaceNet CSV,
//! GeoPackage, by extension), through the scene's grid when pixel and CRS coordinates meet.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::io::{Footprints, Format, SceneGrid, Space, image_id_of, read_footprints};
use crate::raster::Scene;
use crate::session::export_footprints;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Footprints to read (.geojson, .csv, .gpkg, .parquet or .fgb).
    #[arg(long = "in", required_unless_present = "dataset")]
    pub input: Option<PathBuf>,
    /// A folder of scenes (dataset mode): every scene's edits saved beside it, else its
    /// predictions from --predictions, into one SpaceNet CSV.
    #[arg(long, conflicts_with_all = ["input", "scene", "wgs84", "regularize"])]
    pub dataset: Option<PathBuf>,
    /// With --dataset: the SpaceNet CSV of the scenes' predictions.
    #[arg(long, requires = "dataset")]
    pub predictions: Option<PathBuf>,
    /// Where to write them (.geojson, .csv, .gpkg, .parquet or .fgb); written whole or not at all.
    #[arg(long)]
    pub out: PathBuf,
    /// The scene whose grid converts pixel <-> CRS coordinates (needed between CSV and the
    /// others) and whose CRS GeoJSON in another CRS is reprojected to.
    #[arg(long)]
    pub scene: Option<PathBuf>,
    /// Write longitude/latitude (WGS 84), as RFC 7946 GeoJSON wants, instead of the CRS.
    #[arg(long)]
    pub wgs84: bool,
    /// Straighten the footprints to right angles (those near them; the others are written as
    /// they are). Tolerances are in metres: in a projected CRS in its unit, in pixels at the
    /// scene's pixel size (SN6's 0.5 m without a scene); longitude/latitude need --scene.
    #[arg(long)]
    pub regularize: bool,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    if let Some(folder) = &args.dataset {
        return export_dataset(folder, args.predictions.as_deref(), &args.out);
    }
    let input = args
        .input
        .as_ref()
        .context("give the footprints to read with --in")?;
    let mut set = read_footprints(input)?;
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
                input.display(),
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
    if args.regularize {
        set = straighten(set, grid.as_ref(), input)?;
    }
    let written = export_footprints(&args.out, set, grid.as_ref(), args.wgs84)
        .with_context(|| format!("exporting {} to {}", input.display(), args.out.display()))?;
    println!(
        "{}: {} footprints from {}",
        args.out.display(),
        written.items.len(),
        input.display()
    );
    Ok(())
}

/// `set` straightened to right angles where it can be: in its CRS when that is projected (the
/// tolerances in its unit), else on the scene's pixels.
fn straighten(
    mut set: Footprints,
    grid: Option<&SceneGrid>,
    input: &std::path::Path,
) -> anyhow::Result<Footprints> {
    use crate::annotate::{regularize_all, regularize_params};
    use crate::vector::RegularizeParams;
    let params = match set.space {
        Space::Pixel => regularize_params(grid),
        Space::World { epsg } => match (epsg.and_then(projected_unit_m), grid) {
            (Some(unit_m), _) => RegularizeParams::for_unit(unit_m),
            (None, Some(grid)) => {
                set = set
                    .into_pixel(grid)
                    .with_context(|| format!("placing {} on the scene", input.display()))?;
                regularize_params(Some(grid))
            }
            (None, None) => bail!(
                "{}: --regularize works in metres and its coordinates are not in a projected \
                 CRS: pass --scene with the image they belong to",
                input.display()
            ),
        },
    };
    let total = set.items.len();
    let straightened = regularize_all(&mut set.items, params);
    for f in &mut set.items {
        // Measured again when written: a straightened outline's area is not the file's.
        f.area_m2 = None;
    }
    println!(
        "straightened {straightened} of {total} footprints to right angles (the others are not \
         near them and stay as they were)"
    );
    Ok(set)
}

/// Metres per coordinate unit of EPSG code `epsg` when it is a projected CRS.
fn projected_unit_m(epsg: u32) -> Option<f64> {
    let srs = gdal::spatial_ref::SpatialRef::from_epsg(epsg).ok()?;
    let unit = srs.linear_units();
    (srs.is_projected() && unit.is_finite() && unit > 0.0).then_some(unit)
}

/// Every scene of the dataset `folder` (its edits, else its predictions) into one SpaceNet CSV.
fn export_dataset(
    folder: &std::path::Path,
    predictions: Option<&std::path::Path>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    if !Format::of(out)?.is_pixel() {
        bail!(
            "{}: a dataset's footprints lie on many scenes' grids; write a SpaceNet CSV (.csv)",
            out.display()
        );
    }
    let dataset = crate::session::dataset::Dataset::open(folder, predictions)
        .context("opening the folder as a dataset")?;
    let edited = dataset.scenes.iter().filter(|s| s.edited).count();
    let set = dataset.all_footprints()?;
    let written = set.items.len();
    crate::io::write_footprints(out, &set).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: {written} footprints of {} scenes ({edited} with edits, the others their \
         predictions)",
        out.display(),
        dataset.scenes.len()
    );
    Ok(())
}
