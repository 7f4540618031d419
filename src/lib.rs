//! sarscope: a workbench for building footprints in SAR imagery.
//!
//! Modules follow the data's path: [`raster`] (GeoTIFF in) -> [`synth`] (the SN6-like demo
//! scene) -> [`io`] (footprint files), with [`cli`] on top.

pub mod cli;
pub mod eval;
pub mod io;
pub mod model;
pub mod raster;
pub mod synth;
pub mod vector;
