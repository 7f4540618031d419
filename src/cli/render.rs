//! `sarscope render`: a quicklook PNG through the viewer's WGSL pipeline (or its CPU twin).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::polsar::{FilterSpec, Plan, Product, filter_bands};
use crate::raster::{MAX_WHOLE_BYTES, Scene};
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
    /// Output size WxH (default: the scene's, or the size a scene too large for one texture is
    /// read at).
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
    /// A speckle filter on the bands before they are shown: boxcar:N, lee:N or refined-lee:7
    /// (the Lee filters need intensities, not dB).
    #[arg(long, value_parser = parse_filter)]
    pub filter: Option<FilterSpec>,
    /// The number of looks of the data, for the Lee filters.
    #[arg(long, default_value_t = 1.0)]
    pub looks: f64,
}

fn parse_filter(text: &str) -> Result<FilterSpec, String> {
    text.parse()
        .map_err(|e: crate::polsar::PolsarError| e.to_string())
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

/// The longest side a scene too large to read whole is read at when no --size is given.
const QUICKLOOK_SIDE: usize = 4096;

/// The size a `width` x `height` scene of `bands` float32 bands is read at for one image of
/// `wanted` px (or the scene's size): whole when it fits in one texture of `max_side` px a side
/// and in [`MAX_WHOLE_BYTES`]; else scaled down, keeping its aspect, to `wanted` (or
/// [`QUICKLOOK_SIDE`]) and to those limits.
fn read_size(
    (width, height): (usize, usize),
    bands: usize,
    max_side: usize,
    wanted: Option<(usize, usize)>,
) -> (usize, usize) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let bytes = w * h * bands.max(1) as f64 * 4.0;
    let limit = (max_side as f64 / w)
        .min(max_side as f64 / h)
        .min((MAX_WHOLE_BYTES as f64 / bytes).sqrt());
    if limit >= 1.0 {
        return (width, height);
    }
    let (want_w, want_h) = wanted.unwrap_or((QUICKLOOK_SIDE, QUICKLOOK_SIDE));
    let scale = limit.min(want_w as f64 / w).min(want_h as f64 / h);
    let fit = |n: f64| ((n * scale).floor() as usize).clamp(1, max_side);
    (fit(w), fit(h))
}

pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let _notice = super::progress::SlowNotice::start(format!(
        "rendering {}",
        crate::session::file_list(&args.files)
    ));
    let scene = Scene::open_many(&args.files)?;
    let gpu = if args.cpu {
        None
    } else {
        Some(OffscreenRenderer::new()?)
    };
    // A scene larger than one texture is read smaller (GDAL's nearest neighbour, from the
    // file's overviews where it has them): a quicklook, as the viewer's overview levels.
    let max_side = gpu.as_ref().map_or(usize::MAX, |g| g.max_texture_side());
    let wanted = args.size.as_deref().map(parse_size).transpose()?;
    let (read_w, read_h) = read_size(
        (scene.width(), scene.height()),
        scene.band_count(),
        max_side,
        wanted,
    );
    let planes = if (read_w, read_h) == (scene.width(), scene.height()) {
        scene.read_full()?
    } else {
        eprintln!(
            "note: the scene is {}x{} px; read at {read_w}x{read_h} (1/{:.1}) to fit one image",
            scene.width(),
            scene.height(),
            scene.width() as f64 / read_w as f64
        );
        scene.read_window(scene.full_window(), (read_w, read_h))?
    };
    let planes = match args.filter {
        None => planes,
        Some(mut spec) => {
            spec.looks = args.looks;
            // Checked against the scene (its window, intensities rather than dB).
            Plan::new(&scene, Product::Bands, spec)?;
            if (planes.width, planes.height) != (scene.width(), scene.height()) {
                eprintln!("note: filtered at the size read, not at the scene's own pixels");
            }
            filter_bands(&planes, &spec)?
        }
    };
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
    let (out_w, out_h) = wanted.unwrap_or((planes.width, planes.height));
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
    let (rgba, engine) = match &gpu {
        None => (
            cpu::render(&bands.texels, w, h, &settings, out_w, out_h),
            "CPU".to_string(),
        ),
        Some(gpu) => {
            let texture = gpu.upload(&bands.texels, w, h)?;
            (
                gpu.render(&texture, &settings, out_w, out_h)?,
                format!("wgpu: {}", gpu.adapter),
            )
        }
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
        bands.mode_label(mode),
        display.input.name(),
        out_w,
        out_h,
        stretch.name(),
        lo,
        hi
    );
    Ok(())
}
