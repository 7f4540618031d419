//! `sarscope info`: what a GIS user asks of a raster before anything else.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::raster::{BandStats, Scene, human_bytes};

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Raster files; several are opened together as one scene (e.g. sar_{hh,hv,vh,vv}.tif).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let _notice = super::progress::SlowNotice::start(format!(
        "reading {}",
        crate::session::file_list(&args.files)
    ));
    let scene = Scene::open_many(&args.files)?;
    if args.json {
        let report = Report::of(&scene)?;
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&scene)?;
    }
    Ok(())
}

/// The JSON form of `info`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub files: Vec<String>,
    pub driver: String,
    pub width: usize,
    pub height: usize,
    pub band_count: usize,
    pub epsg: Option<u32>,
    pub epsg_identified: bool,
    pub crs_name: Option<String>,
    pub crs_wkt: Option<String>,
    pub geo_transform: Option<[f64; 6]>,
    pub rotated: bool,
    pub pixel_size: Option<(f64, f64)>,
    /// Largest share of NaN/Inf pixels among the bands, in percent.
    pub non_finite_percent: f64,
    pub bands: Vec<BandReport>,
    /// What GDAL said while opening and reading the files (also printed on stderr as
    /// warnings): a damaged tag skipped, a CRS it could not read, ...
    pub gdal_notes: Vec<crate::raster::GdalNote>,
}

#[derive(Debug, Serialize)]
pub struct BandReport {
    pub index: usize,
    pub name: String,
    pub role: Option<String>,
    pub role_source: Option<String>,
    pub file: String,
    pub source_band: usize,
    pub stored_type: String,
    pub complex_intensity: bool,
    pub scale_factor: Option<f64>,
    pub nodata: Option<f64>,
    pub stats: BandStats,
}

impl Report {
    pub fn of(scene: &Scene) -> anyhow::Result<Self> {
        let stats = scene.stats()?;
        let gt = scene.geo_transform();
        let crs = scene.crs();
        let bands = scene
            .bands()
            .iter()
            .zip(stats)
            .enumerate()
            .map(|(i, (b, s))| BandReport {
                index: i + 1,
                name: b.name.clone(),
                role: b.role.map(|r| r.to_string()),
                role_source: b.role_source.map(|r| format!("{r:?}")),
                file: b.path.display().to_string(),
                source_band: b.source_band,
                stored_type: b.stored_type.clone(),
                complex_intensity: b.complex.is_some(),
                scale_factor: b.complex.and_then(|c| c.scale),
                nodata: b.nodata,
                stats: s.clone(),
            })
            .collect();
        Ok(Self {
            files: scene
                .paths()
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            driver: scene.driver().to_string(),
            width: scene.width(),
            height: scene.height(),
            band_count: scene.band_count(),
            epsg: crs.and_then(|c| c.epsg),
            epsg_identified: crs.is_some_and(|c| c.epsg_identified),
            crs_name: crs.and_then(|c| c.name.clone()),
            crs_wkt: crs.map(|c| c.wkt.clone()),
            geo_transform: gt.map(|g| g.0),
            rotated: gt.is_some_and(|g| g.is_rotated()),
            pixel_size: gt.map(|g| g.pixel_size()),
            non_finite_percent: stats
                .iter()
                .map(|s| s.non_finite_share() * 100.0)
                .fold(0.0, f64::max),
            bands,
            gdal_notes: scene.gdal_notes(),
        })
    }
}

fn num(v: Option<f64>) -> String {
    match v {
        None => "-".to_string(),
        Some(v) if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) => format!("{v:.4e}"),
        Some(v) => format!("{v:.4}"),
    }
}

/// The text form of `info`.
pub fn print_text(scene: &Scene) -> anyhow::Result<()> {
    let r = Report::of(scene)?;
    println!("Files:     {} ({})", r.files.join(", "), r.driver);
    println!(
        "Size:      {} x {} pixels, {} band{} ({} as float32)",
        r.width,
        r.height,
        r.band_count,
        if r.band_count == 1 { "" } else { "s" },
        human_bytes(scene.full_size_bytes())
    );
    match (&r.epsg, &r.crs_name) {
        (Some(code), name) => println!(
            "CRS:       EPSG:{code}{} {}",
            if r.epsg_identified {
                " (identified by GDAL)"
            } else {
                ""
            },
            name.as_deref().unwrap_or("")
        ),
        (None, Some(name)) => println!("CRS:       {name} (no EPSG code)"),
        (None, None) => println!("CRS:       none"),
    }
    match r.geo_transform {
        Some(gt) => {
            println!(
                "Transform: origin ({:.3}, {:.3}), column step ({}, {}), row step ({}, {}){}",
                gt[0],
                gt[3],
                gt[1],
                gt[4],
                gt[2],
                gt[5],
                if r.rotated { ", rotated" } else { "" }
            );
            if let Some((sx, sy)) = r.pixel_size {
                println!("Pixel:     {sx:.4} x {sy:.4} CRS units");
            }
        }
        None => println!("Transform: none (pixel coordinates only)"),
    }
    println!("NaN/Inf:   {:.2} % of pixels", r.non_finite_percent);
    let approximate = r.bands.iter().any(|b| b.stats.approximate);
    println!(
        "Statistics over valid pixels{}:",
        if approximate {
            " (approximate: sampled from a decimated read)"
        } else {
            ""
        }
    );
    println!(
        "  {:>4} {:<10} {:<16} {:<9} {:>8} {:>10} {:>10} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
        "band",
        "name",
        "role",
        "type",
        "nodata",
        "nodata px",
        "NaN/Inf px",
        "min",
        "max",
        "mean",
        "std",
        "p2",
        "p98"
    );
    for b in &r.bands {
        let s = &b.stats;
        let role = match (&b.role, &b.role_source) {
            (Some(role), Some(src)) => format!("{role} ({})", role_source_text(src)),
            _ => "-".to_string(),
        };
        let dtype = if b.complex_intensity {
            format!("{}->I", b.stored_type)
        } else {
            b.stored_type.clone()
        };
        println!(
            "  {:>4} {:<10} {:<16} {:<9} {:>8} {:>10} {:>10} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
            b.index,
            b.name,
            role,
            dtype,
            num(b.nodata),
            s.nodata,
            s.non_finite,
            num(s.min),
            num(s.max),
            num(s.mean),
            num(s.std),
            num(s.percentile(2.0)),
            num(s.percentile(98.0)),
        );
    }
    if let Some(b) = r.bands.iter().find(|b| b.complex_intensity) {
        match b.scale_factor {
            Some(k) => println!("Complex bands read as intensity (scale * |z|)^2 with scale {k}."),
            None => {
                println!("Complex bands read as intensity |z|^2 (no scale factor in the file).")
            }
        }
    }
    Ok(())
}

fn role_source_text(source: &str) -> &'static str {
    match source {
        "Metadata" => "metadata",
        "FileName" => "file name",
        _ => "SN6 order",
    }
}
