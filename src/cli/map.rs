//! `sarscope map` (scenes of any size and number into footprints, on one process, a shard of
//! an array job, or a Slurm array it submits) and `sarscope merge` (one layer from the parts).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::predict::{DeviceArg, RotateArg};
use super::progress::ProgressLine;
use crate::model::{DeviceChoice, select_device};
use crate::session::map::merge::{MergeOptions, MergeReport, merge};
use crate::session::map::{
    MapSettings, Plan, RotateRule, Shard, ShardManifest, expand_inputs, run_shard,
};
use crate::session::predict::Predictor;

/// A run that finished with units failed or missing: the binary exits with status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PartialRun(pub String);

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Scenes (GeoTIFF, VRT), folders of them, or list files (`.txt`, `.lst`: one path per
    /// line, relative to the list).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// UNet11 weights (a PyTorch checkpoint or a sarscope .bpk, with its model card).
    #[arg(long)]
    pub weights: PathBuf,
    /// The run's folder: parts, manifests, the merged layer.
    #[arg(long)]
    pub out: PathBuf,
    /// Side of the blocks a large scene is mapped in (px).
    #[arg(long, default_value_t = MapSettings::DEFAULT_BLOCK)]
    pub block: usize,
    /// Pixels around a block that its buildings are traced with (widened where one reaches
    /// its edge).
    #[arg(long, default_value_t = MapSettings::DEFAULT_HALO)]
    pub halo: usize,
    #[arg(long, value_enum, default_value_t = RotateArg::Auto)]
    pub rotate: RotateArg,
    /// The dataset's SAR_orientations.txt (for `--rotate auto` on SN6 tiles).
    #[arg(long)]
    pub orientations: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    pub device: DeviceArg,
    /// Windows per forward pass (default: 4 on a GPU, 1 on the CPU).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Also write each unit's probability map (GeoTIFF, in `probabilities/`).
    #[arg(long)]
    pub keep_probabilities: bool,
    /// This process's shard, `I/N` (0-based). Without it, the array job's engine says
    /// (Slurm, Kubernetes indexed jobs, AWS Batch array jobs), else the whole run.
    #[arg(long, conflicts_with = "slurm")]
    pub shard: Option<String>,
    /// How many shards the engine runs (Kubernetes' JOB_COMPLETION_INDEX comes without it).
    #[arg(long)]
    pub shards: Option<usize>,
    /// Submit the run as a Slurm array of N tasks (`sbatch --wait`), then merge.
    #[arg(long, value_name = "N")]
    pub slurm: Option<usize>,
    /// With --slurm: print the batch script instead of submitting it.
    #[arg(long, requires = "slurm")]
    pub dry_run: bool,
    /// With --slurm: an extra `#SBATCH` line (e.g. `--partition=gpu`); repeatable.
    #[arg(
        long,
        value_name = "OPTION",
        requires = "slurm",
        allow_hyphen_values = true
    )]
    pub sbatch: Vec<String>,
    /// The merged footprints also in FILE (whole runs and --slurm), by extension: `.gpkg`
    /// (GeoPackage), `.fgb` (FlatGeobuf), `.geojson`; repeatable.
    #[arg(long, value_name = "FILE")]
    pub also: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The run's folder (`sarscope map --out`).
    pub folder: PathBuf,
    /// The merged GeoParquet (default: FOLDER/merged.parquet).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The merged footprints also in FILE, by extension: `.gpkg` (GeoPackage), `.fgb`
    /// (FlatGeobuf), `.geojson`; repeatable.
    #[arg(long, value_name = "FILE")]
    pub also: Vec<PathBuf>,
    /// Footprints of overlapping scenes above this IoU are one building (the more confident
    /// is kept).
    #[arg(long, default_value_t = 0.5)]
    pub iou: f64,
}

pub fn run(args: &MapArgs) -> anyhow::Result<()> {
    if let Some(tasks) = args.slurm {
        return slurm(args, tasks);
    }
    let shard = match &args.shard {
        Some(text) => Shard::parse(text)?,
        None => Shard::from_engine(|n| std::env::var(n).ok(), args.shards)?.unwrap_or(Shard::ALL),
    };
    let files = expand_inputs(&args.inputs)?;
    let choice = match args.device {
        DeviceArg::Auto => DeviceChoice::Auto,
        DeviceArg::Gpu => DeviceChoice::Gpu,
        DeviceArg::Cpu => DeviceChoice::Cpu,
    };
    if crate::model::effunet::is_effunet_file(&args.weights)? {
        bail!(
            "{} is the SN6 winner's network: `sarscope map` runs the UNet11 for now; \
             `sarscope predict` runs the winner's",
            args.weights.display()
        );
    }
    let mut predictor = Predictor::load(&args.weights, select_device(choice)?)
        .with_context(|| format!("loading {}", args.weights.display()))?;
    if let Some(batch) = args.batch {
        predictor.params.batch = batch.max(1);
    }
    let plan = Plan::new(&files, args.block, predictor.params.window);
    let settings = MapSettings {
        out: args.out.clone(),
        block: args.block,
        halo: args.halo,
        rotate: match args.rotate {
            RotateArg::Auto => RotateRule::ByCard,
            RotateArg::Never => RotateRule::Never,
            RotateArg::Always => RotateRule::Always,
        },
        orientations: args.orientations.clone(),
        keep_probabilities: args.keep_probabilities,
    };
    println!(
        "map: {} scenes, {} units; shard {shard}: {} units; {} on {}",
        plan.scenes.len(),
        plan.units.len(),
        plan.shard_units(shard).len(),
        predictor.loaded.card.name,
        predictor.device.description
    );
    let bar = ProgressLine::new(format!("shard {shard}"));
    // Without a terminal (a batch job's log) a line per unit instead of the bar.
    let log_lines = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let started = std::time::Instant::now();
    let manifest = run_shard(&predictor, &plan, shard, &settings, &mut |p| {
        bar.update(
            p.units_done,
            p.units_total,
            &format!("units, {} footprints", p.footprints),
        );
        if log_lines && p.units_done > 0 {
            eprintln!(
                "shard {shard}: {}/{} units, {} footprints, {:.1} s",
                p.units_done,
                p.units_total,
                p.footprints,
                started.elapsed().as_secs_f64()
            );
        }
    })?;
    bar.finish();
    print_manifest(&manifest);
    if shard == Shard::ALL {
        let report = merge(
            &args.out,
            &MergeOptions {
                also: args.also.clone(),
                ..MergeOptions::default()
            },
        )?;
        print_report(&report);
        return partial(&report);
    }
    if !manifest.failed.is_empty() {
        return Err(PartialRun(format!(
            "shard {shard}: {} of {} units failed (see {})",
            manifest.failed.len(),
            manifest.units.len(),
            ShardManifest::path(&args.out, shard).display()
        ))
        .into());
    }
    Ok(())
}

pub fn run_merge(args: &MergeArgs) -> anyhow::Result<()> {
    let report = merge(
        &args.folder,
        &MergeOptions {
            out: args.out.clone(),
            also: args.also.clone(),
            iou: args.iou,
        },
    )?;
    print_report(&report);
    partial(&report)
}

fn partial(report: &MergeReport) -> anyhow::Result<()> {
    if report.complete() {
        return Ok(());
    }
    Err(PartialRun(format!(
        "partial: {} of {} units have no footprints yet (failed or not run)",
        report.missing.len(),
        report.units_total
    ))
    .into())
}

fn print_manifest(m: &ShardManifest) {
    let sum = |f: fn(&crate::session::map::UnitDone) -> f64| m.done.iter().map(f).sum::<f64>();
    let resumed = m.done.iter().filter(|d| d.resumed).count();
    println!(
        "shard {}: {} units done ({resumed} found done), {} failed, {} footprints, {:.3} km2 \
         in {:.1} s (read {:.1} s, predict {:.1} s, trace {:.1} s, write {:.1} s)",
        m.shard,
        m.done.len(),
        m.failed.len(),
        m.footprints,
        m.km2,
        m.seconds,
        sum(|d| d.read_s),
        sum(|d| d.predict_s),
        sum(|d| d.trace_s),
        sum(|d| d.write_s),
    );
    if m.seconds > 0.0 && m.km2 > 0.0 {
        println!(
            "  {:.2} km2/hour, {:.2} units/minute",
            m.km2 / m.seconds * 3600.0,
            m.done.len() as f64 / m.seconds * 60.0
        );
    }
    for f in &m.failed {
        println!("  failed: unit {} ({}): {}", f.unit, f.scene, f.reason);
    }
}

fn print_report(r: &MergeReport) {
    println!(
        "merged {} of {} units: {} footprints ({} duplicates removed), model {} -> {}",
        r.units_done,
        r.units_total,
        r.footprints_in - r.duplicates_removed,
        r.duplicates_removed,
        r.model,
        r.out.display()
    );
    let width = r
        .scenes
        .iter()
        .map(|s| s.scene.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "  {:<width$}  footprints      area m2  mean confidence",
        "scene"
    );
    for s in &r.scenes {
        println!(
            "  {:<width$}  {:>10}  {:>11.1}  {:>15.3}",
            s.scene, s.footprints, s.area_m2, s.mean_confidence
        );
    }
    for (unit, reason) in &r.missing {
        match reason {
            Some(reason) => println!("  missing unit {unit}: {reason}"),
            None => println!("  missing unit {unit}: not run yet"),
        }
    }
}

/// Quotes `text` for bash (single quotes).
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    })
}

/// The batch script of a Slurm array of `tasks` shards of this run.
pub fn slurm_script(args: &MapArgs, tasks: usize, exe: &Path) -> anyhow::Result<String> {
    if tasks == 0 {
        bail!("--slurm 0: an array needs at least one task");
    }
    let out = absolute(&args.out)?;
    let mut command = vec![shell_quote(&exe.display().to_string()), "map".into()];
    for input in &args.inputs {
        command.push(shell_quote(&absolute(input)?.display().to_string()));
    }
    let mut flag = |name: &str, value: String| {
        command.push(format!("--{name}"));
        command.push(shell_quote(&value));
    };
    flag("weights", absolute(&args.weights)?.display().to_string());
    flag("out", out.display().to_string());
    flag("block", args.block.to_string());
    flag("halo", args.halo.to_string());
    flag("rotate", format!("{:?}", args.rotate).to_lowercase());
    flag("device", format!("{:?}", args.device).to_lowercase());
    flag("shards", tasks.to_string());
    if let Some(o) = &args.orientations {
        flag("orientations", absolute(o)?.display().to_string());
    }
    if let Some(b) = args.batch {
        flag("batch", b.to_string());
    }
    if args.keep_probabilities {
        command.push("--keep-probabilities".into());
    }
    let mut script = String::from("#!/bin/bash\n");
    script.push_str("#SBATCH --job-name=sarscope-map\n");
    script.push_str(&format!("#SBATCH --array=0-{}\n", tasks - 1));
    script.push_str(&format!(
        "#SBATCH --output={}/slurm/%A_%a.out\n",
        out.display()
    ));
    // A task that is cancelled or whose node fails is run again; it skips the units done.
    script.push_str("#SBATCH --requeue\n");
    for option in &args.sbatch {
        script.push_str(&format!("#SBATCH {option}\n"));
    }
    script.push_str("# Each task maps its shard (SLURM_ARRAY_TASK_ID of the array's tasks).\n");
    script.push_str(&format!("exec {}\n", command.join(" ")));
    Ok(script)
}

fn slurm(args: &MapArgs, tasks: usize) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding the sarscope binary")?;
    let script = slurm_script(args, tasks, &exe)?;
    if args.dry_run {
        print!("{script}");
        return Ok(());
    }
    let out = absolute(&args.out)?;
    std::fs::create_dir_all(out.join("slurm"))
        .with_context(|| format!("creating {}", out.join("slurm").display()))?;
    let path = out.join("slurm").join("map.sbatch");
    std::fs::write(&path, &script).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "submitting {} ({tasks} tasks) and waiting for it",
        path.display()
    );
    let status = std::process::Command::new("sbatch")
        .arg("--wait")
        .arg(&path)
        .status()
        .context("running sbatch (is Slurm installed and this a submit host?)")?;
    if !status.success() {
        eprintln!(
            "sbatch: {status}; some tasks failed (their logs: {}), merging what is done",
            out.join("slurm").display()
        );
    }
    let report = merge(
        &out,
        &MergeOptions {
            also: args.also.clone(),
            ..MergeOptions::default()
        },
    )?;
    print_report(&report);
    partial(&report)
}
