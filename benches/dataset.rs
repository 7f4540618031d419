//! Dataset mode at the size of SpaceNet 6's test set: 1,636 tiles of 900x900 px (five demo
//! tiles, hard-linked under SN6 names, each with its ground truth beside it) and one SpaceNet
//! CSV of their predictions (the truth's outlines, ~300,000 rows).
//!
//! Measured: opening the folder as a dataset (listing it, reading the predictions CSV); the
//! next scene's first frame after Page Down, in a running viewer drawing as eframe does on the
//! available adapter (target < 150 ms on lavapipe, as for opening a scene), while the
//! dataset's scenes are still being scored in the background and after; scoring all the
//! scenes; a frame with the list of 1,636 scenes on screen.
//!
//! ```text
//! cargo bench --profile dev --config benches/ours-as-release.toml --bench dataset \
//!     [-- --tiles 1636 --steps 10]
//! ```

mod common;
use common::frames::{Repaints, app_harness, draw_output, render_state, target};
use common::*;

use std::fmt::Write as _;
use std::time::Instant;

use clap::Parser;
use sarscope::io::polygon_wkt;
use sarscope::session::dataset::Dataset;
use sarscope::session::load_scene;
use sarscope::synth::{SynthConfig, generate};

#[derive(Parser, Debug)]
struct Args {
    /// Tiles in the dataset (SN6's test set: 1,636).
    #[arg(long, default_value_t = 1636)]
    tiles: usize,
    /// Page Downs timed, during the scoring and after it each.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    #[arg(long, hide = true)]
    bench: bool,
}

const SIZE: [u32; 2] = [1280, 860];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // As the viewer starts: its background work leaves a core to the interface.
    sarscope::session::background::leave_a_core_to_the_interface();
    let dir = tempfile::tempdir()?;
    let sources = dir.path().join("sources");
    let folder = dir.path().join("SAR-Intensity");
    std::fs::create_dir_all(&sources)?;
    std::fs::create_dir_all(&folder)?;
    let mut written = Vec::new();
    for index in 0..5 {
        let scene = generate(&SynthConfig::default(), index)?;
        let truth = scene.truth.clone();
        written.push((scene.write(&sources)?, truth));
    }
    let mut csv = String::from("ImageId,BuildingId,PolygonWKT_Pix,Confidence\n");
    for n in 0..args.tiles {
        let (source, truth) = &written[n % written.len()];
        let stem = format!(
            "SN6_Test_Public_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_{n}"
        );
        std::fs::hard_link(&source.tif, folder.join(format!("{stem}.tif")))?;
        std::fs::hard_link(&source.geojson, folder.join(format!("{stem}.geojson")))?;
        let id = format!("20190804111224_20190804111453_tile_{n}");
        for (k, p) in truth.iter().enumerate() {
            writeln!(csv, "{id},{k},\"{}\",0.9", polygon_wkt(p))?;
        }
    }
    let predictions = dir.path().join("predictions.csv");
    std::fs::write(&predictions, csv)?;
    println!(
        "dataset bench: {} tiles of 900x900 px, {:.1} MB of predictions",
        args.tiles,
        std::fs::metadata(&predictions)?.len() as f64 / 1e6
    );

    let t = Instant::now();
    let data = Dataset::open(&folder, Some(&predictions))?;
    let open_s = t.elapsed().as_secs_f64();
    println!(
        "opening the folder as a dataset (listing {} scenes, reading the predictions): {:.0} ms",
        data.scenes.len(),
        open_s * 1e3
    );

    let render = render_state();
    let first = data.scenes.first().map(|s| s.file.clone());
    let mut h = app_harness(
        &render,
        load_scene(&first.into_iter().collect::<Vec<_>>())?,
        [SIZE[0] as f32, SIZE[1] as f32],
    )?;
    h.step();
    let view = target(&render, SIZE);
    let draw = |h: &egui_kittest::Harness<'static, sarscope::app::App>| {
        draw_output(&render, &h.ctx, h.output(), &view, SIZE).map(|_| ())
    };
    draw(&h)?;
    let repaints = Repaints::follow(&h.ctx);
    let ctx = h.ctx.clone();
    // Frames as they are due until nothing is loading; the seconds from `start` on.
    let until_shown = |h: &mut egui_kittest::Harness<'static, sarscope::app::App>, t: Instant| {
        loop {
            if repaints.due() {
                h.step();
                draw(h)?;
                if !h.state().viewer.is_loading() {
                    break;
                }
            } else {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            anyhow::ensure!(t.elapsed().as_secs() < 60, "the scene did not open");
        }
        anyhow::Ok(t.elapsed().as_secs_f64())
    };
    // The peer in the same run: the same tiles opened one after another outside dataset mode
    // (File > Open), as the render bench measures it.
    let mut plain = Vec::new();
    for k in 0..args.steps {
        let t = Instant::now();
        let file = data.scenes[k % 5].file.clone();
        h.state_mut().viewer.open(&ctx, vec![file]);
        plain.push(until_shown(&mut h, t)?);
    }
    let scoring_started = Instant::now();
    h.state_mut()
        .viewer
        .open_dataset(&ctx, &folder, Some(&predictions))?;
    // Page Down, then frames as they are due until the scene is in and drawn.
    let step = |h: &mut egui_kittest::Harness<'static, sarscope::app::App>| {
        let t = Instant::now();
        h.state_mut().viewer.step_dataset(&ctx, true);
        until_shown(h, t)
    };
    // Let the first scene come in.
    step(&mut h)?;
    let mut while_scoring = Vec::new();
    for _ in 0..args.steps {
        while_scoring.push(step(&mut h)?);
    }
    let scored_early = !h.state().viewer.dataset_scoring();
    // The rest of the scoring, frames drawn as they are due.
    while h.state().viewer.dataset_scoring() {
        if repaints.due() {
            h.step();
            draw(&h)?;
        } else {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    let scoring_s = scoring_started.elapsed().as_secs_f64();
    let mut after = Vec::new();
    for _ in 0..args.steps {
        after.push(step(&mut h)?);
    }
    let mut frames = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        h.step();
        draw(&h)?;
        frames.push(t.elapsed().as_secs_f64());
    }
    let (total, scored) = h
        .state()
        .viewer
        .dataset()
        .map(Dataset::total)
        .unwrap_or_default();
    let ms = |v: &[f64]| {
        format!(
            "median {:.1} ms, max {:.1} ms",
            median(v.to_vec()) * 1e3,
            v.iter().copied().fold(0.0, f64::max) * 1e3
        )
    };
    println!(
        "a scene opened to its first frame outside dataset mode (the peer), {} opens: {}",
        args.steps,
        ms(&plain)
    );
    println!(
        "next scene (Page Down) to its first frame, {} steps while the dataset is scored: {}{}",
        args.steps,
        ms(&while_scoring),
        if scored_early {
            " (the scoring ended during them)"
        } else {
            ""
        }
    );
    println!(
        "next scene to its first frame, {} steps after: {} (target < 150 ms); median / the \
         peer's {:.2}",
        args.steps,
        ms(&after),
        median(after.clone()) / median(plain.clone())
    );
    println!(
        "scoring all {scored} scenes in the background: {scoring_s:.1} s (total F1 {:.3}, TP {})",
        total.f1(),
        total.tp
    );
    println!(
        "a frame with the list of {} scenes (20 frames): {}",
        args.tiles,
        ms(&frames)
    );
    Ok(())
}
