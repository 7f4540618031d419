//! What can go wrong drawing on a GPU.

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no GPU adapter (wgpu found none; on Linux install mesa-vulkan-drivers): {0}")]
    NoAdapter(String),
    #[error("the GPU refused a device: {0}")]
    Device(String),
    #[error("the scene is {width}x{height} px; this GPU takes textures up to {max} px a side")]
    TooLarge {
        width: usize,
        height: usize,
        max: u32,
    },
    #[error(
        "an image of {width}x{height} px is more than this GPU renders at once (up to {max_side} px a side and {max_mib} MiB): ask for a smaller one"
    )]
    OutputTooLarge {
        width: usize,
        height: usize,
        max_side: u32,
        max_mib: u64,
    },
    #[error("the GPU could not hold or draw it ({0}); a smaller scene or image needs less")]
    Gpu(String),
    #[error("reading the rendered image back failed: {0}")]
    Readback(String),
    #[error("invalid size {0}x{1}")]
    Size(usize, usize),
    /// A speckle filter the scene cannot take (a window larger than it, ...).
    #[error(transparent)]
    Filter(#[from] crate::polsar::PolsarError),
}
