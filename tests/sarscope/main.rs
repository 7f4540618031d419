//! sarscope's integration tests, in one test binary (each binary links the whole stack).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod cli;
mod common;
mod corpus;
mod edit_flows;
mod effunet_golden;
mod eval_golden;
mod export_cli;
mod faults;
mod journal_kill;
mod model_device;
mod model_flows;
mod model_golden;
mod predict_cli;
mod raster_formats;
mod raster_real;
mod render_cli;
mod render_gpu;
mod synth_scene;
mod train;
mod vector_golden;
mod vector_props;
mod viewer_flows;
mod watershed_golden;
mod window;
