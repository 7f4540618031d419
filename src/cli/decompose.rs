//! `sarscope decompose`: a polarimetric decomposition (or speckle-filtered bands) as a float32
//! GeoTIFF on the scene's grid, for QGIS.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::polsar::{Decomposition, FilterKind, FilterSpec, Plan, PolsarError, Product};
use crate::raster::{GeoTiffMeta, RasterError, Scene, write_geotiff_strips};

fn parse_product(text: &str) -> Result<Product, String> {
    if text.eq_ignore_ascii_case("bands") {
        return Ok(Product::Bands);
    }
    Decomposition::ALL
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(text))
        .map(Product::Decomposition)
        .ok_or_else(|| {
            let names: Vec<&str> = Decomposition::ALL.iter().map(|d| d.name()).collect();
            format!("{text:?} is not one of {}, bands", names.join(", "))
        })
}

fn parse_filter(text: &str) -> Result<FilterSpec, String> {
    text.parse().map_err(|e: PolsarError| e.to_string())
}

#[derive(Debug, Args)]
pub struct DecomposeArgs {
    /// The scene: a complex quad-pol file, or its single-polarization files (e.g.
    /// sar_hh.tif sar_hv.tif sar_vh.tif sar_vv.tif); any scene for `--mode bands`.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// pauli (|HH-VV|, 2|HV|, |HH+VV|), span, t3 (its nine values), h-a-alpha (entropy,
    /// anisotropy, alpha in degrees, eigenvalues), freeman-durden (surface, double bounce,
    /// volume), yamaguchi (the three and helix), or bands (the scene's bands as intensity,
    /// filtered).
    #[arg(long, value_parser = parse_product)]
    pub mode: Product,
    /// The speckle filter: boxcar:N, lee:N or refined-lee:7 (on T3 for decompositions, each
    /// band for `bands`). Default: boxcar over --window.
    #[arg(long, value_parser = parse_filter)]
    pub filter: Option<FilterSpec>,
    /// The side of the boxcar window T3 is averaged over when no --filter is given (1: single
    /// look).
    #[arg(long, default_value_t = 7)]
    pub window: usize,
    /// The number of looks of the data (the speckle's variance for the Lee filters).
    #[arg(long, default_value_t = 1.0)]
    pub looks: f64,
    /// The output GeoTIFF (float32, one band per value, named; NaN where there is no data).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &DecomposeArgs) -> anyhow::Result<()> {
    let scene = Scene::open_many(&args.files)?;
    let mut filter = args
        .filter
        .unwrap_or(FilterSpec::new(FilterKind::Boxcar, args.window));
    filter.looks = args.looks;
    let plan = Plan::new(&scene, args.mode, filter)?;
    if plan.quad.is_some_and(|q| q.one_cross_pol()) {
        eprintln!("one cross-polarization only: it stands for both HV and VH (reciprocity)");
    }
    let progress = super::progress::ProgressLine::new(format!("decompose {}", args.out.display()));
    let crs = scene.crs();
    let names: Vec<&str> = plan.band_names.iter().map(String::as_str).collect();
    let meta = GeoTiffMeta {
        geo_transform: scene.geo_transform(),
        epsg: crs.and_then(|c| c.epsg),
        crs_wkt: crs.map(|c| c.wkt.as_str()),
        nodata: Some(f64::NAN),
        band_names: &names,
    };
    let size = (plan.width, plan.height, names.len());
    let step = plan.strip_rows();
    let replacement = crate::replace::Replacement::new(&args.out);
    replacement
        .write(
            |tmp| {
                write_geotiff_strips(tmp, size, &meta, step, |rows| {
                    let strip = plan.compute(&scene, rows.clone());
                    progress.update(rows.end, plan.height, "rows");
                    strip
                })
            },
            |e| {
                PolsarError::from(RasterError::Write {
                    path: args.out.clone(),
                    reason: e.to_string(),
                })
            },
        )
        .with_context(|| format!("writing {}", args.out.display()))?;
    progress.finish();
    let what = match args.mode {
        Product::Decomposition(d) => d.name().to_string(),
        Product::Bands => "bands".to_string(),
    };
    println!(
        "wrote {}: {what} ({}) of {}x{} px, {}, in {:.2} s",
        args.out.display(),
        names.join(", "),
        plan.width,
        plan.height,
        describe_filter(&plan.filter),
        progress.elapsed_s()
    );
    Ok(())
}

fn describe_filter(f: &FilterSpec) -> String {
    match f.kind {
        FilterKind::Boxcar if f.window == 1 => "single look".to_string(),
        FilterKind::Boxcar => format!("boxcar {0}x{0}", f.window),
        FilterKind::Lee => format!("Lee {0}x{0}, {1} look(s)", f.window, f.looks),
        FilterKind::RefinedLee => format!("refined Lee 7x7, {} look(s)", f.looks),
    }
}
