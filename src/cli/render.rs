//! `sarscope render`: a quicklook PNG through the viewer's WGSL pipeline (or its CPU twin).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::raster::Scene;
use crate::render::{
    Bands, Colormap, Display, InputScale, OffscreenRenderer, Sampling, Stretch, ViewMode,
    ViewSettings, cpu, stretch_limits,
};

/// A value by its name among `all` (case-insensitive).
fn by_name<T: Copy>(text: &str, all: &[T], name: impl Fn(T) -> &'static str) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|m| name(*m).eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|m| name(*m)).collect();
            format!("{text:?} is not one of {}", names.join(", "))
        })
}

fn parse_mode(text: &str) -> Result<ViewMode, String> {
    by_name(text, &ViewMode::ALL, ViewMode::name)
}

fn parse_colormap(text: &str) -> Result<Colormap, String> {
    by_name(text, &Colormap::ALL, Colormap::name)
}

fn parse_input(text: &str) -> Result<InputScale, String> {
    by_name(text, &InputScale::ALL, InputScale::name)
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StretchKind {
    /// The smallest and largest value.
    Minmax,
    /// Between the --low and --high percentiles.
    Percentile,
    /// The mean plus and minus --sigma standard deviations.
    Sigma,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The scene (several single-polarization files form one scene).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// hh, hv, vh, vv, span, pauli, sinclair, hh-hv or rgb (default: span, or rgb / band 1 for
    /// a raster without polarizations).
    #[arg(long, value_parser = parse_mode)]
    pub mode: Option<ViewMode>,
    /// Output PNG (RGBA; no data is transparent).
    #[arg(long)]
    pub out: PathBuf,
    /// Output size WxH (default: the scene's).
    #[arg(long)]
    pub size: Option<String>,
    /// What the values are: power, amplitude or dB (default: dB when some are negative,
    /// else power).
    #[arg(long, value_parser = parse_input)]
    pub input: Option<InputScale>,
    /// Show 10 log10 of the power.
    #[arg(long)]
    pub db: bool,
    /// How the contrast limits are chosen, per output channel.
    #[arg(long, value_enum, default_value = "percentile")]
    pub stretch: StretchKind,
    /// Percentiles of the percentile stretch.
    #[arg(long, default_value_t = 2.0)]
    pub low: f64,
    #[arg(long, default_value_t = 98.0)]
    pub high: f64,
    /// k of the mean +- k sigma stretch.
    #[arg(long, default_value_t = 2.0)]
    pub sigma: f64,
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f32,
    /// grey, viridis or magma (one-channel views).
    #[arg(long, value_parser = parse_colormap, default_value = "grey")]
    pub colormap: Colormap,
    /// Bilinear instead of nearest sampling.
    #[arg(long)]
    pub bilinear: bool,
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
    let planes = scene.read_full()?;
    let bands = Bands::new(&scene, &planes);
    let mode = match args.mode {
        Some(mode) => mode,
        None => bands.usable_mode(ViewMode::Span),
    };
    if let Some(why) = bands.unavailable(mode) {
        bail!("{why}");
    }
    if !(0.0..=100.0).contains(&args.low)
        || !(0.0..=100.0).contains(&args.high)
        || args.low >= args.high
    {
        bail!(
            "--low {} --high {}: percentiles in 0..=100 with low < high",
            args.low,
            args.high
        );
    }
    if [args.sigma, f64::from(args.gamma)]
        .iter()
        .any(|v| v.is_nan() || *v <= 0.0)
    {
        bail!("--sigma and --gamma must be positive");
    }
    let (out_w, out_h) = match &args.size {
        Some(s) => parse_size(s)?,
        None => (planes.width, planes.height),
    };
    let stretch = match args.stretch {
        StretchKind::Minmax => Stretch::MinMax,
        StretchKind::Percentile => Stretch::Percentile {
            low: args.low,
            high: args.high,
        },
        StretchKind::Sigma => Stretch::Sigma { k: args.sigma },
    };
    let display = Display {
        mode,
        input: args.input.unwrap_or(bands.input),
        db: args.db,
    };
    let (lo, hi) = stretch_limits(&bands.texels, &display, stretch);
    let settings = ViewSettings {
        mode,
        input: display.input,
        db: args.db,
        lo,
        hi,
        gamma: args.gamma,
        colormap: args.colormap,
        sampling: if args.bilinear {
            Sampling::Bilinear
        } else {
            Sampling::Nearest
        },
    };
    let (w, h) = (bands.width, bands.height);
    let (rgba, engine) = if args.cpu {
        (
            cpu::render(&bands.texels, w, h, &settings, out_w, out_h),
            "CPU".to_string(),
        )
    } else {
        let gpu = OffscreenRenderer::new()?;
        let texture = gpu.upload(&bands.texels, w, h)?;
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
        "{}: {} of {} values {}x{} ({engine}), {} stretch {:?}..{:?}",
        args.out.display(),
        mode.name(),
        display.input.name(),
        out_w,
        out_h,
        stretch.name(),
        lo,
        hi
    );
    Ok(())
}
