//! The WGSL view shader (offscreen, on whatever adapter wgpu finds: Mesa's lavapipe on CI)
//! against its CPU twin, for every mode, on the demo scene and on a real Capella chip with NaNs.
//! Tolerance 2/255 per channel: float rounding of the same formulas on two processors (log2,
//! pow, the unorm conversion) moves a value across a rounding boundary at most once.

use sarscope::raster::{Polarization, Scene};
use sarscope::render::{
    OffscreenRenderer, ViewMode, ViewSettings, cpu, interleave, percentile_stretch,
};
use sarscope::synth::{SynthConfig, generate};

use crate::common::shared_data;

fn compare(
    gpu: &OffscreenRenderer,
    texels: &[[f32; 4]],
    (w, h): (usize, usize),
    sizes: &[(usize, usize)],
    what: &str,
) -> usize {
    let texture = gpu.upload(texels, w, h).unwrap();
    let mut compared = 0;
    for mode in ViewMode::ALL {
        for (db, gamma) in [(false, 1.0), (true, 0.7)] {
            let (lo, hi) = percentile_stretch(texels, mode, db, 2.0, 98.0);
            let settings = ViewSettings {
                mode,
                db,
                lo,
                hi,
                gamma,
            };
            for &(ow, oh) in sizes {
                let a = gpu.render(&texture, &settings, ow, oh).unwrap();
                let b = cpu::render(texels, w, h, &settings, ow, oh);
                assert_eq!(a.len(), b.len());
                let worst = a.iter().zip(&b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
                assert!(
                    worst <= 2,
                    "{what}: {} db={db} {ow}x{oh}: GPU and CPU differ by {worst}/255",
                    mode.name()
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
    let texels = interleave(&demo.planes, [0, 1, 2, 3]);
    let n = compare(&gpu, &texels, (900, 900), &[(900, 900), (300, 300)], "demo");
    assert_eq!(n, ViewMode::ALL.len() * 2 * 2);

    let scene = Scene::open(shared_data("capella/sar_masked.tif")).unwrap();
    let order = Polarization::SN6_ORDER.map(|p| scene.band_of(p).unwrap());
    let planes = scene.read_full().unwrap();
    let texels = interleave(&planes, order);
    // 39 % of this chip is NaN: those pixels must come out transparent on both paths.
    let texture = gpu.upload(&texels, 200, 200).unwrap();
    let (lo, hi) = percentile_stretch(&texels, ViewMode::Span, true, 2.0, 98.0);
    let settings = ViewSettings {
        mode: ViewMode::Span,
        db: true,
        lo,
        hi,
        gamma: 1.0,
    };
    let rgba = gpu.render(&texture, &settings, 200, 200).unwrap();
    let transparent = rgba.chunks_exact(4).filter(|p| p[3] == 0).count();
    assert_eq!(transparent, 40_000 - planes.valid_count());
    compare(&gpu, &texels, (200, 200), &[(200, 200)], "sar_masked");

    // Modes really differ (a shader that ignored the mode would pass the oracle test only if
    // the CPU twin ignored it too).
    let span = gpu.render(&texture, &settings, 200, 200).unwrap();
    let pauli_settings = ViewSettings {
        mode: ViewMode::Pauli,
        ..settings
    };
    let pauli = gpu.render(&texture, &pauli_settings, 200, 200).unwrap();
    assert_ne!(span, pauli);
}
