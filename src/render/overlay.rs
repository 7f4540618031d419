//! The probability overlay (`shaders/overlay.wgsl`): a one-band float texture of building
//! probabilities drawn over a scene view, above a threshold, in a colormap, at an opacity. Its
//! pipeline, uniform and upload, and its CPU twin (the oracle of the GPU test).

use std::borrow::Cow;

use wgpu::util::DeviceExt;

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
pub struct OverlayPipeline {
    pub pipeline: wgpu::RenderPipeline,
    pub layout: wgpu::BindGroupLayout,
}

impl OverlayPipeline {
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("overlay.wgsl"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(concat!(
                include_str!("../../shaders/colormaps.wgsl"),
                include_str!("../../shaders/overlay.wgsl")
            ))),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay probabilities + uniform"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("overlay"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("overlay"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: Some(wgpu::BlendState::ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        Self { pipeline, layout }
    }

    pub fn bind_group(
        &self,
        device: &wgpu::Device,
        probs: &wgpu::TextureView,
        uniform: &wgpu::Buffer,
    ) -> wgpu::BindGroup {
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("overlay"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(probs),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: uniform.as_entire_binding(),
                },
            ],
        })
    }
}

/// Uploads a probability map as a one-band float texture.
pub fn upload_probabilities(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    probs: &[f32],
    width: usize,
    height: usize,
) -> Result<wgpu::TextureView, RenderError> {
    let max = device.limits().max_texture_dimension_2d;
    if width == 0 || height == 0 || probs.len() != width * height {
        return Err(RenderError::Size(width, height));
    }
    if width > max as usize || height > max as usize {
        return Err(RenderError::TooLarge { width, height, max });
    }
    let texture = device.create_texture_with_data(
        queue,
        &wgpu::TextureDescriptor {
            label: Some("probabilities"),
            size: wgpu::Extent3d {
                width: width as u32,
                height: height as u32,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        },
        wgpu::util::TextureDataOrder::LayerMajor,
        bytemuck::cast_slice(probs),
    );
    Ok(texture.create_view(&wgpu::TextureViewDescriptor::default()))
}

/// A uniform buffer holding `uniform`, for one-off draws.
pub(super) fn uniform_buffer(device: &wgpu::Device, uniform: &OverlayUniform) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("overlay uniform"),
        contents: bytemuck::bytes_of(uniform),
        usage: wgpu::BufferUsages::UNIFORM,
    })
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
