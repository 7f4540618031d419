//! `sarscope render`: a quicklook PNG through the viewer's WGSL pipeline (or its CPU twin).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::raster::{Polarization, Scene};
use crate::render::{
    OffscreenRenderer, ViewMode, ViewSettings, cpu, interleave, percentile_stretch,
};

/// A view mode by its name (`hh`, `span`, `pauli`, ...).
fn parse_mode(text: &str) -> Result<ViewMode, String> {
    ViewMode::ALL
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            let names: Vec<&str> = ViewMode::ALL.iter().map(|m| m.name()).collect();
            format!("{text:?} is not one of {}", names.join(", "))
        })
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The scene (several single-polarization files form one scene).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// hh, hv, vh, vv, span, pauli, sinclair or hh-hv.
    #[arg(long, value_parser = parse_mode, default_value = "span")]
    pub mode: ViewMode,
    /// Output PNG (RGBA; no data is transparent).
    #[arg(long)]
    pub out: PathBuf,
    /// Output size WxH (default: the scene's).
    #[arg(long)]
    pub size: Option<String>,
    /// Show 10 log10 of the values (for linear power; SN6 tiles are already on a log scale).
    #[arg(long)]
    pub db: bool,
    /// Contrast stretch between these percentiles of the shown values.
    #[arg(long, default_value_t = 2.0)]
    pub low: f64,
    #[arg(long, default_value_t = 98.0)]
    pub high: f64,
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f32,
    /// Use the CPU twin of the shader instead of the GPU.
    #[arg(long)]
    pub cpu: bool,
}

fn parse_size(text: &str) -> anyhow::Result<(usize, usize)> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .with_context(|| format!("--size {text:?} is not WxH"))?;
    let (w, h): (usize, usize) = (w.trim().parse()?, h.trim().parse()?);
    if w == 0 || h == 0 || w > 16384 || h > 16384 {
        bail!("--size {text}: each side must be in 1..=16384");
    }
    Ok((w, h))
}

pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let scene = Scene::open_many(&args.files)?;
    let mode = args.mode;
    let mut order = [0usize; 4];
    for (slot, pol) in order.iter_mut().zip(Polarization::SN6_ORDER) {
        match scene.band_of(pol) {
            Some(b) => *slot = b,
            None => bail!(
                "mode {} needs the four polarizations HH, HV, VH, VV; this scene of {} band(s) lacks {}",
                mode.name(),
                scene.band_count(),
                pol.name()
            ),
        }
    }
    let planes = scene.read_full()?;
    let (out_w, out_h) = match &args.size {
        Some(s) => parse_size(s)?,
        None => (planes.width, planes.height),
    };
    let texels = interleave(&planes, order);
    let (lo, hi) = percentile_stretch(&texels, mode, args.db, args.low, args.high);
    let settings = ViewSettings {
        mode,
        db: args.db,
        lo,
        hi,
        gamma: args.gamma,
    };
    let (rgba, engine) = if args.cpu {
        (
            cpu::render(
                &texels,
                planes.width,
                planes.height,
                &settings,
                out_w,
                out_h,
            ),
            "CPU".to_string(),
        )
    } else {
        let gpu = OffscreenRenderer::new()?;
        let texture = gpu.upload(&texels, planes.width, planes.height)?;
        (
            gpu.render(&texture, &settings, out_w, out_h)?,
            format!("wgpu: {}", gpu.adapter),
        )
    };
    image::save_buffer(
        &args.out,
        &rgba,
        out_w as u32,
        out_h as u32,
        image::ColorType::Rgba8,
    )
    .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: {} {}x{} ({engine}), stretch {:?}..{:?}",
        args.out.display(),
        mode.name(),
        out_w,
        out_h,
        lo,
        hi
    );
    Ok(())
}
