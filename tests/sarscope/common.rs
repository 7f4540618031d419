//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

/// A file of the real sample data in `../shared/data` (override with SARSCOPE_SHARED_DATA).
/// Panics with a clear message when the data is missing: these tests must not skip silently.
pub fn shared_data(rel: &str) -> PathBuf {
    let root = std::env::var_os("SARSCOPE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = root.join(rel);
    assert!(
        path.exists(),
        "sample data {} is missing: the tests need ../shared/data beside the project \
         (or SARSCOPE_SHARED_DATA pointing at it)",
        path.display()
    );
    path
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs the `sarscope` binary with `args`.
pub fn sarscope(args: &[&std::ffi::OsStr]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sarscope"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the sarscope binary runs")
}

/// The `sarscope` binary as a command to add arguments to.
pub fn sarscope_cmd() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sarscope"));
    cmd.env("RUST_LOG", "warn");
    cmd
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `|got - want| <= rel * max(|want|, floor)`.
pub fn assert_close(got: f64, want: f64, rel: f64, floor: f64, what: &str) {
    let tol = rel * want.abs().max(floor);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tolerance {tol})"
    );
}

/// A 300x300 demo scene written by `sarscope demo` in `dir`, returned as its .tif.
pub fn demo_tile(dir: &Path) -> PathBuf {
    let out = sarscope(&[
        std::ffi::OsStr::new("demo"),
        std::ffi::OsStr::new("--out"),
        dir.as_os_str(),
        std::ffi::OsStr::new("--size"),
        std::ffi::OsStr::new("300"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir.join("synth_s0_0000.tif")
}
