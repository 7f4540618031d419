//! The GPU objects every view is drawn with: pipelines of one triangle over the target reading
//! a float texture and a uniform (a pipeline per combination of the shader's constants), their
//! uniforms, and textures uploaded with the device's limits checked and its errors caught.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use wgpu::util::DeviceExt;

use super::RenderError;

/// A uniform buffer the size of `U`, rewritten by the queue at each draw.
pub fn per_draw_uniform<U>(device: &wgpu::Device, label: &str) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: std::mem::size_of::<U>() as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A bind group layout entry for a uniform buffer read by `stages`.
pub fn uniform_entry(binding: u32, stages: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: stages,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// Pipelines that draw one triangle over their target with a fragment shader reading one
/// unfilterable float texture (binding 0) and one uniform buffer (binding 1): the scene view
/// and the probability overlay. One shader module and layout per target format; a pipeline
/// per combination of the shader's pipeline constants (its `override`s: the discrete
/// settings), built the first time it is drawn and kept.
pub struct TexturePipeline {
    shader: wgpu::ShaderModule,
    pipeline_layout: wgpu::PipelineLayout,
    pub layout: wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
    blend: Option<wgpu::BlendState>,
    label: &'static str,
    variants: Mutex<Variants>,
}

/// The pipelines built so far, by their constants' names and values (bits), and how many
/// times one was built.
#[derive(Default)]
struct Variants {
    pipelines: HashMap<Vec<(&'static str, u64)>, wgpu::RenderPipeline>,
    builds: usize,
}

/// The view shader's pipelines.
pub type ViewPipeline = TexturePipeline;

/// A pipeline's key: its constants' names and values.
fn variant_key(constants: &[(&'static str, f64)]) -> Vec<(&'static str, u64)> {
    constants.iter().map(|&(k, v)| (k, v.to_bits())).collect()
}

impl TexturePipeline {
    /// `source`: WGSL with `vs_main` and `fs_main`; `blend`: how it draws over the target
    /// (`None`: it replaces it).
    pub fn new(
        device: &wgpu::Device,
        format: wgpu::TextureFormat,
        label: &'static str,
        source: &'static str,
        blend: Option<wgpu::BlendState>,
    ) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(source)),
        });
        let fragment_input = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty,
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &[
                fragment_input(
                    0,
                    wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                ),
                uniform_entry(1, wgpu::ShaderStages::FRAGMENT),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(label),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        Self {
            shader,
            pipeline_layout,
            layout,
            format,
            blend,
            label,
            variants: Mutex::default(),
        }
    }

    fn variants(&self) -> std::sync::MutexGuard<'_, Variants> {
        // A panic while the map was held leaves it whole (an insert either happened or not).
        self.variants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pipeline for `constants` (values of the shader's `override`s), built on first use.
    pub fn specialized(
        &self,
        device: &wgpu::Device,
        constants: &[(&'static str, f64)],
    ) -> wgpu::RenderPipeline {
        let key = variant_key(constants);
        if let Some(pipeline) = self.variants().pipelines.get(&key) {
            return pipeline.clone();
        }
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(self.label),
            layout: Some(&self.pipeline_layout),
            vertex: wgpu::VertexState {
                module: &self.shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &self.shader,
                entry_point: Some("fs_main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    ..Default::default()
                },
                targets: &[Some(wgpu::ColorTargetState {
                    format: self.format,
                    blend: self.blend,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let mut variants = self.variants();
        variants.builds += 1;
        variants.pipelines.insert(key, pipeline.clone());
        pipeline
    }

    /// The pipeline built for `constants` by [`Self::specialized`] before, if any (for a
    /// draw, where no device is at hand).
    pub fn built(&self, constants: &[(&'static str, f64)]) -> Option<wgpu::RenderPipeline> {
        self.variants()
            .pipelines
            .get(&variant_key(constants))
            .cloned()
    }

    /// How many times a pipeline was built (once per combination of constants drawn).
    pub fn builds(&self) -> usize {
        self.variants().builds
    }

    /// The scene view (`shaders/view.wgsl`), drawn opaque.
    pub fn view(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        Self::new(
            device,
            format,
            "view.wgsl",
            concat!(
                include_str!("../../shaders/common.wgsl"),
                include_str!("../../shaders/view.wgsl")
            ),
            None,
        )
    }

    /// Binds a texture and a uniform buffer.
    pub fn bind_group(
        &self,
        device: &wgpu::Device,
        texture: &wgpu::TextureView,
        uniform: &wgpu::Buffer,
    ) -> wgpu::BindGroup {
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(texture),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: uniform.as_entire_binding(),
                },
            ],
        })
    }
}

/// Uploads `width` x `height` texels of `format` (`bytes` row-major) as a texture for a
/// [`TexturePipeline`], refusing sizes the device cannot hold.
pub(super) fn upload_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    bytes: &[u8],
    (width, height): (usize, usize),
    format: wgpu::TextureFormat,
    label: &str,
) -> Result<wgpu::TextureView, RenderError> {
    let max = device.limits().max_texture_dimension_2d;
    let texel = format.block_copy_size(None).unwrap_or(0) as usize;
    if width == 0 || height == 0 || bytes.len() != width * height * texel {
        return Err(RenderError::Size(width, height));
    }
    if width > max as usize || height > max as usize {
        return Err(RenderError::TooLarge { width, height, max });
    }
    let texture = caught(device, || {
        device.create_texture_with_data(
            queue,
            &wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: width as u32,
                    height: height as u32,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            },
            wgpu::util::TextureDataOrder::LayerMajor,
            bytes,
        )
    })?;
    Ok(texture.create_view(&wgpu::TextureViewDescriptor::default()))
}

/// Runs `work` on `device` with wgpu's out-of-memory and validation errors caught (left alone,
/// wgpu treats them as fatal): a texture or buffer the GPU cannot hold becomes an error.
pub(super) fn caught<T>(device: &wgpu::Device, work: impl FnOnce() -> T) -> Result<T, RenderError> {
    let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let out = work();
    // Innermost first.
    let invalid = pollster::block_on(validation.pop());
    let exhausted = pollster::block_on(memory.pop());
    match exhausted.or(invalid) {
        Some(e) => Err(RenderError::Gpu(e.to_string())),
        None => Ok(out),
    }
}

/// Waits for `buffer` (MAP_READ, its copy submitted) and gives its bytes to `read` while it
/// is mapped; unmapped after.
pub(super) fn read_back<T>(
    device: &wgpu::Device,
    buffer: &wgpu::Buffer,
    read: impl FnOnce(&[u8]) -> T,
) -> Result<T, RenderError> {
    let fail = |e: &dyn std::fmt::Display| RenderError::Readback(e.to_string());
    let slice = buffer.slice(..);
    let (sender, receiver) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |result| {
        // The receiver waits below; a closed channel only means nobody listens any more.
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| fail(&e))?;
    receiver
        .recv()
        .map_err(|e| fail(&e))?
        .map_err(|e| fail(&e))?;
    let out = {
        let mapped = slice.get_mapped_range().map_err(|e| fail(&e))?;
        read(&mapped)
    };
    buffer.unmap();
    Ok(out)
}

/// Uploads interleaved bands (see [`super::interleave`]) as one RGBA float texture: the only
/// upload a scene needs; every view setting is a uniform.
pub fn upload_bands(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texels: &[[f32; 4]],
    width: usize,
    height: usize,
) -> Result<wgpu::TextureView, RenderError> {
    upload_texture(
        device,
        queue,
        bytemuck::cast_slice(texels),
        (width, height),
        wgpu::TextureFormat::Rgba32Float,
        "scene bands",
    )
}
