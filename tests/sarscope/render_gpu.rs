//! The WGSL view shader (offscreen, on whatever adapter wgpu finds: Mesa's lavapipe on CI)
//! against its CPU twin, for every mode, on the demo scene and on a real Capella chip with NaNs.
//! Tolerance 2/255 per channel: float rounding of the same formulas on two processors (log2,
//! pow, the unorm conversion) moves a value across a rounding boundary at most once. Behind a
//! colormap that difference in the stretched value is multiplied by the colormap's steepest
//! slope (see `tolerance`).

use sarscope::raster::Scene;
use sarscope::render::{
    Bands, Colormap, Display, InputScale, OffscreenRenderer, Sampling, Stretch, ViewMode,
    ViewSettings, ViewUniform, cpu, stretch_limits,
};
use sarscope::synth::{SynthConfig, generate};

use crate::common::shared_data;

/// The variants each mode is rendered in: every input scale, stretch, colormap and sampling.
fn variants(texels: &[[f32; 4]], mode: ViewMode, input: InputScale) -> Vec<ViewSettings> {
    let plain = Display {
        mode,
        input,
        db: false,
    };
    let db = Display { db: true, ..plain };
    let amplitude = Display {
        input: InputScale::Amplitude,
        ..db
    };
    let settings = |display: Display, stretch, gamma, colormap, sampling| {
        let (lo, hi) = stretch_limits(texels, &display, stretch);
        ViewSettings {
            mode,
            input: display.input,
            db: display.db,
            lo,
            hi,
            gamma,
            colormap,
            sampling,
        }
    };
    vec![
        settings(
            plain,
            Stretch::default(),
            1.0,
            Colormap::Grey,
            Sampling::Nearest,
        ),
        settings(
            db,
            Stretch::MinMax,
            0.7,
            Colormap::Viridis,
            Sampling::Bilinear,
        ),
        settings(
            amplitude,
            Stretch::Sigma { k: 2.0 },
            1.3,
            Colormap::Magma,
            Sampling::Bilinear,
        ),
    ]
}

/// 2/255 in the stretched value, times the steepest slope of the colormap (d colour / d t)
/// when one applies.
fn tolerance(settings: &ViewSettings) -> u8 {
    if settings.mode.is_rgb() || settings.colormap == Colormap::Grey {
        return 2;
    }
    let steps = 1024;
    let slope = (0..steps)
        .map(|i| {
            let (a, b) = (i as f32 / steps as f32, (i + 1) as f32 / steps as f32);
            let (ca, cb) = (settings.colormap.apply(a), settings.colormap.apply(b));
            (0..3)
                .map(|k| (cb[k] - ca[k]).abs() * steps as f32)
                .fold(0.0, f32::max)
        })
        .fold(0.0f32, f32::max);
    (2.0 * slope).ceil() as u8
}

fn compare(
    gpu: &OffscreenRenderer,
    texels: &[[f32; 4]],
    (w, h): (usize, usize),
    input: InputScale,
    sizes: &[(usize, usize)],
    what: &str,
) -> usize {
    let texture = gpu.upload(texels, w, h).unwrap();
    let mut compared = 0;
    for mode in ViewMode::ALL {
        for settings in variants(texels, mode, input) {
            for &(ow, oh) in sizes {
                let a = gpu.render(&texture, &settings, ow, oh).unwrap();
                let b = cpu::render(texels, w, h, &settings, ow, oh);
                assert_eq!(a.len(), b.len());
                let allowed = tolerance(&settings);
                let off: Vec<u8> = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| x.abs_diff(*y))
                    .filter(|d| *d > allowed)
                    .collect();
                // Bilinear Pauli in dB: |HH - VV| of two nearly equal values cancels, and a
                // one-ulp difference in the mix (the GPU may fuse it) moves that pixel's dB far.
                // Such pixels are rare; any systematic difference is not.
                let rare = settings.sampling == Sampling::Bilinear && settings.db;
                let limit = if rare { a.len() / 10_000 } else { 0 };
                assert!(
                    off.len() <= limit,
                    "{what}: {settings:?} {ow}x{oh}: {} channel values differ by more than {allowed}/255 (worst {:?})",
                    off.len(),
                    off.iter().max()
                );
                compared += 1;
            }
        }
    }
    compared
}

#[test]
fn gpu_views_match_the_cpu_oracle() {
    let gpu = OffscreenRenderer::new().expect("a wgpu adapter (lavapipe: mesa-vulkan-drivers)");
    eprintln!("adapter: {}", gpu.adapter);

    let demo = generate(&SynthConfig::default(), 0).unwrap();
    let texels = sarscope::render::interleave(&demo.planes, [0, 1, 2, 3]);
    // Down- and upsampled: bilinear mixing shows when the output is larger than the scene.
    let sizes = [(900, 900), (300, 300), (1000, 700)];
    let n = compare(&gpu, &texels, (900, 900), InputScale::Power, &sizes, "demo");
    assert_eq!(n, ViewMode::ALL.len() * 3 * sizes.len());

    let scene = Scene::open(shared_data("capella/sar_masked.tif")).unwrap();
    let planes = scene.read_full().unwrap();
    let bands = Bands::new(&scene, &planes);
    assert_eq!(
        bands.input,
        InputScale::Db,
        "Capella's chip holds dB values"
    );
    let texels = bands.texels;
    // 39 % of this chip is NaN: those pixels must come out transparent on both paths.
    let texture = gpu.upload(&texels, 200, 200).unwrap();
    let settings = ViewSettings::stretched(
        &texels,
        ViewMode::Span,
        InputScale::Db,
        true,
        Stretch::default(),
    );
    let rgba = gpu.render(&texture, &settings, 200, 200).unwrap();
    let transparent = rgba.chunks_exact(4).filter(|p| p[3] == 0).count();
    assert_eq!(transparent, 40_000 - planes.valid_count());
    // Sizes where no output pixel centre sits on a texel edge (beside NaN, a one-ulp difference
    // in the interpolated position would pick a different texel on the two paths).
    compare(
        &gpu,
        &texels,
        (200, 200),
        InputScale::Db,
        &[(200, 200), (400, 400)],
        "sar_masked",
    );

    // Modes really differ (a shader that ignored the mode would pass the oracle test only if
    // the CPU twin ignored it too), and so do colormaps and sampling.
    let span = gpu.render(&texture, &settings, 400, 400).unwrap();
    for changed in [
        ViewSettings {
            mode: ViewMode::Pauli,
            ..settings
        },
        ViewSettings {
            colormap: Colormap::Viridis,
            ..settings
        },
        ViewSettings {
            sampling: Sampling::Bilinear,
            ..settings
        },
    ] {
        let other = gpu.render(&texture, &changed, 400, 400).unwrap();
        assert_ne!(span, other, "{changed:?} looks like {settings:?}");
    }
}

/// The viewer's pixel grid: lines on texel edges once a scene pixel covers many screen pixels.
#[test]
fn the_pixel_grid_marks_texel_edges() {
    let gpu = OffscreenRenderer::new().expect("a wgpu adapter (lavapipe: mesa-vulkan-drivers)");
    let texels = vec![[1.0f32; 4]; 16];
    let texture = gpu.upload(&texels, 4, 4).unwrap();
    let mut settings = ViewSettings::stretched(
        &texels,
        ViewMode::Hh,
        InputScale::Power,
        false,
        Stretch::MinMax,
    );
    settings.lo = [0.0; 3];
    settings.hi = [1.0; 3];
    let mut uniform = ViewUniform::new(&settings, 4, 4);
    let plain = gpu.render_uniform(&texture, &uniform, 64, 64).unwrap();
    assert!(plain.iter().all(|v| *v == 255), "a flat white scene");
    uniform.grid = 16.0;
    let grid = gpu.render_uniform(&texture, &uniform, 64, 64).unwrap();
    let at = |x: usize, y: usize| grid[(y * 64 + x) * 4];
    // Texel edges every 16 px: the pixels beside them are grey, the texel centres white.
    assert!(
        at(16, 8) < 200 && at(15, 8) < 200,
        "{} {}",
        at(16, 8),
        at(15, 8)
    );
    assert!(at(8, 32) < 200);
    assert_eq!(at(8, 8), 255);
    assert_eq!(at(40, 24), 255);
}

/// Sizes past the device's limits are errors, not wgpu's fatal validation failures: an image
/// wider than a texture may be, and a scene wider than that.
#[test]
fn sizes_past_the_gpus_limits_are_refused() {
    use sarscope::render::RenderError;
    let gpu = OffscreenRenderer::new().expect("a wgpu adapter (lavapipe: mesa-vulkan-drivers)");
    let texels = vec![[1.0f32; 4]; 4];
    let texture = gpu.upload(&texels, 2, 2).unwrap();
    let settings = ViewSettings::stretched(
        &texels,
        ViewMode::Hh,
        InputScale::Power,
        false,
        Stretch::MinMax,
    );
    let max = gpu.max_texture_side();
    match gpu.render(&texture, &settings, max + 1, 1) {
        Err(RenderError::OutputTooLarge { width, .. }) => assert_eq!(width, max + 1),
        other => panic!("expected OutputTooLarge, got {:?}", other.map(|v| v.len())),
    }
    // The largest side is still drawn.
    assert_eq!(
        gpu.render(&texture, &settings, max, 1).unwrap().len(),
        max * 4
    );
    let wide = vec![[1.0f32; 4]; max + 1];
    assert!(matches!(
        gpu.upload(&wide, max + 1, 1),
        Err(RenderError::TooLarge { .. })
    ));
}

/// The probability overlay through `shaders/overlay.wgsl` equals its CPU twin (colormap,
/// opacity, threshold, NaN, values outside 0..1), at the map's size and resampled, within
/// 2/255 (the shader's float colormap vs the CPU's, and the blend's rounding).
#[test]
fn the_overlay_matches_its_cpu_twin() {
    use sarscope::render::Colormap;
    use sarscope::render::overlay::{OverlaySettings, overlay_cpu};
    let renderer = OffscreenRenderer::new().unwrap();
    let (w, h) = (37, 23);
    let probs: Vec<f32> = (0..w * h)
        .map(|i| match i % 41 {
            0 => f32::NAN,
            1 => 1.3,
            2 => -0.2,
            k => k as f32 / 40.0,
        })
        .collect();
    let cases = [
        OverlaySettings {
            colormap: Colormap::Grey,
            opacity: 1.0,
            threshold: 0.0,
        },
        OverlaySettings::default(),
        OverlaySettings {
            colormap: Colormap::Viridis,
            opacity: 0.8,
            threshold: 0.3,
        },
    ];
    for settings in cases {
        for (ow, oh) in [(w, h), (80, 50)] {
            let gpu = renderer
                .render_overlay(&probs, w, h, &settings, ow, oh)
                .unwrap();
            let cpu = overlay_cpu(&probs, w, h, &settings, ow, oh);
            assert_eq!(gpu.len(), cpu.len());
            let worst = gpu
                .iter()
                .zip(&cpu)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap();
            assert!(worst <= 2, "{settings:?} at {ow}x{oh}: worst {worst}");
            let drawn = cpu.chunks_exact(4).filter(|p| p[3] > 0).count();
            assert!(drawn > 0 && drawn < ow * oh, "{settings:?}: {drawn} drawn");
        }
    }
}
