//! The `sarscope` binary: GUI and headless subcommands (see `sarscope --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    sarscope::cli::report_gdal_notes();
    let outcome = sarscope::cli::run(std::env::args_os()).and_then(|start| match start {
        Some(start) => sarscope::app::run(start),
        None => Ok(()),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            // A run with some units failed is partial, not failed: its status says so.
            if err.downcast_ref::<sarscope::cli::PartialRun>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
