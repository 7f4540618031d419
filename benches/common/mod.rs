//! What the benches share: the median of timings, this process's resident memory, and drawing
//! the viewer's frames off screen (`frames`).

#![allow(dead_code)] // each bench uses what it needs

pub mod frames;

/// Runs the Python peer `script` (a path under benches/) with `args` in `python`: its
/// standard output, trimmed; its standard error in the error when it fails.
pub fn run_peer_script(python: &str, script: &str, args: &[&str]) -> anyhow::Result<String> {
    use anyhow::Context;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = std::process::Command::new(python)
        .arg(&script)
        .args(args)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .with_context(|| format!("running {python} {}", script.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "the peer failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The median of `v` (the upper one of an even count); NaN for none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The `q` quantile of `v` (0.99: the value 99 % of them are at or below), nearest rank; NaN
/// for none.
pub fn percentile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (q * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1)).copied().unwrap_or(f64::NAN)
}

/// The median of `repeat` runs of `f`, after `f` has run for at least half a second (as
/// criterion warms up): right after a peer's round the first few evaluations here run ~20 %
/// slower (81, 88, 87, 71, then 67-70 ms), and a median of a few would measure that transient.
pub fn timed<T>(
    repeat: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(f64, T)> {
    use std::time::Instant;
    let warm_up = Instant::now();
    let mut last = f()?;
    while warm_up.elapsed().as_secs_f64() < 0.5 {
        last = f()?;
    }
    let mut runs = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        last = f()?;
        runs.push(t.elapsed().as_secs_f64());
    }
    Ok((median(runs), last))
}

/// A line of /proc/self/status in MiB (Linux): `VmRSS` now, `VmHWM` at its peak.
fn status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resident memory of this process in MiB (Linux).
pub fn rss_mib() -> Option<f64> {
    status_mib("VmRSS:")
}

/// The most resident memory this process has had, in MiB (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}
