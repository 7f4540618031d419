//! sarscope: a workbench for building footprints in SAR imagery.
//!
//! Modules follow the data's path: [`raster`] (GeoTIFF in) -> [`model`] (the UNet) ->
//! [`vector`] (footprints) -> [`eval`] (the SpaceNet metric) -> [`io`] (footprint files), with
//! [`synth`] (the SN6-like demo scene) beside them and [`cli`] on top.

pub mod annotate;
pub mod app;
pub mod cli;
pub mod eval;
pub mod io;
pub mod model;
pub mod parallel;
pub mod raster;
pub mod render;
pub mod synth;
pub mod train;
pub mod vector;
