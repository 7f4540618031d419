//! sarscope: a workbench for building footprints in SAR imagery.
//!
//! Modules follow the data's path, each using only those before it:
//!
//! | module | what |
//! |---|---|
//! | [`raster`] | GeoTIFF in: scenes read by GDAL, georeferencing, polarizations, statistics |
//! | [`polsar`] | complex quad-pol scenes: scattering and coherency matrices, decompositions, speckle filters |
//! | [`synth`] | the seeded SN6-like demo scenes (beside the path: it writes rasters) |
//! | [`render`] | the view shader's pipelines, its CPU twin, stretch, colormaps, outlines |
//! | [`model`] | the UNet11 in burn: weights, model cards, devices, the baseline's tiling |
//! | [`train`] | training and fine-tuning the UNet11 |
//! | [`vector`] | probability maps to footprint polygons, and back to masks |
//! | [`eval`] | the SpaceNet metric |
//! | [`annotate`] | footprint layers over a scene, their live score, edits and their journal |
//! | [`io`] | footprint files: GeoJSON, SpaceNet CSV, GeoPackage, WKT |
//! | [`session`] | the work a user asks for, without a UI: scenes with layers, jobs, prediction, fine-tuning, export |
//! | [`app`] | the viewer (egui/eframe), on top |
//! | [`cli`] | the `sarscope` subcommands, on top |
//!
//! [`lru`], [`memory`], [`parallel`] and [`replace`] are small helpers the layers share.

pub mod annotate;
pub mod app;
pub mod cli;
pub mod eval;
pub mod io;
pub mod model;
pub mod polsar;
pub mod raster;
pub mod render;
pub mod session;
pub mod synth;
pub mod train;
pub mod vector;

pub mod lru;
pub mod memory;
pub mod parallel;
pub mod replace;
