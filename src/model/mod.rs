//! The SpaceNet 6 baseline model: TernausNet UNet11 in burn, its weights (PyTorch checkpoints
//! and our own burnpack files, each with a model card), the device it runs on, and inference
//! over a scene with the baseline's exact pre- and post-processing.
//!
//! ```text
//! scene bands --(roles: HH HV VH VV)--> rotate 180 if the strip looks south --> (x-127.5)/31.875
//!   --> 512x512 windows, step 512, last one moved back inside --> UNet11 logits
//!   --> overlapping logits averaged --> rotate back --> sigmoid --> probability map on the scene grid
//! ```

mod card;
pub mod conv;
mod device;
pub mod effunet;
mod error;
mod finite;
mod infer;
mod orientation;
mod tiles;
mod unet;
mod weights;

pub use card::{ModelCard, NETWORK_UNET11, NETWORK_WINNER, Normalization, Score};
pub use conv::{ConvForm, IM2COL_BYTES, conv_as, conv_by_matmul};
pub use device::{
    DeviceChoice, ModelDevice, SharedWgpu, select_device, select_device_sharing,
    shareable_device_descriptor,
};
pub use error::ModelError;
pub use finite::check_finite;
pub use infer::{
    InferParams, ProbabilityMap, Progress, band_order, forward_windows, model_input,
    predict_planes, predict_scene, predict_window, sigmoid, window_offsets,
};
pub use orientation::{
    Orientations, Rotation, find_orientations_file, rotation_by_card, sn6_strip_key,
};
pub use tiles::{
    ProbTile, ProbabilityTiles, TILE, TILES_KEPT, TileProbabilities, assemble, crop,
    tiles_covering, tiles_extent,
};
pub use unet::{ConfigError, DecoderBlock, LayerSpec, UNet11, UNet11Config};
pub use weights::{LoadedModel, WeightsFormat, card_path, load_weights, save_weights};
