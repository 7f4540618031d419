//! The probability overlay (`shaders/overlay.wgsl`): a one-band float texture of building
//! probabilities drawn over a scene view, above a threshold, in a colormap, at an opacity. Its
//! pipeline, uniform and upload, and its CPU twin (the oracle of the GPU test).

use super::pipeline::{TexturePipeline, upload_texture};
use super::{Colormap, RenderError, WHOLE_SCENE};

/// How the overlay looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlaySettings {
    pub colormap: Colormap,
    /// 0 (invisible) ..= 1 (opaque).
    pub opacity: f32,
    /// Probabilities below it are not drawn: at the model card's threshold this previews the
    /// mask that vectorizing would trace; at 0 the whole map shows.
    pub threshold: f32,
}

impl Default for OverlaySettings {
    fn default() -> Self {
        Self {
            colormap: Colormap::Magma,
            opacity: 0.5,
            threshold: 0.5,
        }
    }
}

/// The shader's uniform. Keep in sync with `struct Overlay` in shaders/overlay.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct OverlayUniform {
    /// The part of the map in the target, as `ViewUniform::window`.
    pub window: [f32; 4],
    pub src_width: u32,
    pub src_height: u32,
    pub colormap: u32,
    pub _pad: u32,
    pub opacity: f32,
    pub threshold: f32,
    pub _pad1: [f32; 2],
}

impl OverlayUniform {
    pub fn new(settings: &OverlaySettings, src_width: usize, src_height: usize) -> Self {
        Self {
            window: WHOLE_SCENE,
            src_width: src_width as u32,
            src_height: src_height as u32,
            colormap: settings.colormap.id(),
            _pad: 0,
            opacity: settings.opacity.clamp(0.0, 1.0),
            threshold: settings.threshold,
            _pad1: [0.0; 2],
        }
    }

    /// The overlay shader's pipeline constants (its colormap), as [`super::ViewUniform::constants`].
    pub fn constants(&self) -> [(&'static str, f64); 1] {
        [("COLORMAP", f64::from(self.colormap))]
    }
}

/// The overlay colour of probability `p` (RGBA in 0..=1, not premultiplied): what the shader
/// returns.
pub fn overlay_pixel(p: f32, settings: &OverlaySettings) -> [f32; 4] {
    // NaN is below every threshold, as in the shader (where it fails the comparison).
    if p.is_nan() || p < settings.threshold {
        return [0.0; 4];
    }
    let [r, g, b] = settings.colormap.apply(p.clamp(0.0, 1.0));
    [r, g, b, settings.opacity.clamp(0.0, 1.0)]
}

/// The overlay of `probs` (`width` x `height`) over a transparent target of `out_width` x
/// `out_height`, sampled at output pixel centres (nearest), as RGBA8 after the blend the
/// pipeline does onto transparent black (wgpu's alpha blending: colour x alpha, alpha "over").
pub fn overlay_cpu(
    probs: &[f32],
    width: usize,
    height: usize,
    settings: &OverlaySettings,
    out_width: usize,
    out_height: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_width * out_height * 4);
    for oy in 0..out_height {
        let y = (((oy as f32 + 0.5) / out_height as f32) * height as f32).floor() as usize;
        for ox in 0..out_width {
            let x = (((ox as f32 + 0.5) / out_width as f32) * width as f32).floor() as usize;
            let p = probs
                .get(y.min(height - 1) * width + x.min(width - 1))
                .copied()
                .unwrap_or(f32::NAN);
            let [r, g, b, a] = overlay_pixel(p, settings);
            for v in [r * a, g * a, b * a, a] {
                out.push((v * 255.0).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

/// The overlay's pipeline for one target format (alpha blending over what is drawn).
pub fn pipeline(device: &wgpu::Device, format: wgpu::TextureFormat) -> TexturePipeline {
    TexturePipeline::new(
        device,
        format,
        "overlay.wgsl",
        concat!(
            include_str!("../../shaders/common.wgsl"),
            include_str!("../../shaders/overlay.wgsl")
        ),
        Some(wgpu::BlendState::ALPHA_BLENDING),
    )
}

/// Uploads a probability map as a one-band float texture.
pub fn upload_probabilities(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    probs: &[f32],
    width: usize,
    height: usize,
) -> Result<wgpu::TextureView, RenderError> {
    upload_texture(
        device,
        queue,
        bytemuck::cast_slice(probs),
        (width, height),
        wgpu::TextureFormat::R32Float,
        "probabilities",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uniform_has_the_shader_layout() {
        // vec4 (16) + 4 x u32 (16) + 4 x f32 (16) = 48 bytes.
        assert_eq!(std::mem::size_of::<OverlayUniform>(), 48);
        assert_eq!(std::mem::offset_of!(OverlayUniform, src_width), 16);
        assert_eq!(std::mem::offset_of!(OverlayUniform, colormap), 24);
        assert_eq!(std::mem::offset_of!(OverlayUniform, opacity), 32);
        assert_eq!(std::mem::offset_of!(OverlayUniform, threshold), 36);
    }

    #[test]
    fn below_the_threshold_and_nan_are_transparent() {
        let s = OverlaySettings {
            colormap: Colormap::Grey,
            opacity: 0.4,
            threshold: 0.5,
        };
        assert_eq!(overlay_pixel(0.49, &s), [0.0; 4]);
        assert_eq!(overlay_pixel(f32::NAN, &s), [0.0; 4]);
        assert_eq!(overlay_pixel(0.5, &s), [0.5, 0.5, 0.5, 0.4]);
        assert_eq!(overlay_pixel(1.7, &s), [1.0, 1.0, 1.0, 0.4]);
    }
}
