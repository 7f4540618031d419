//! Offscreen rendering through `shaders/view.wgsl` on any wgpu adapter (Mesa's lavapipe
//! included): the same pipeline the viewer draws with, for `sarscope render` and the tests.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use wgpu::util::DeviceExt;

use super::overlay::{self, OverlaySettings, OverlayUniform, upload_probabilities};
use super::{ViewSettings, ViewUniform};

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
}

const OUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

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

/// A wgpu device with the view pipeline, built once.
pub struct OffscreenRenderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: ViewPipeline,
    overlay: TexturePipeline,
    /// "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits)".
    pub adapter: String,
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
fn caught<T>(device: &wgpu::Device, work: impl FnOnce() -> T) -> Result<T, RenderError> {
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

/// A uniform buffer holding `uniform`, for one-off draws.
fn uniform_buffer<U: bytemuck::Pod>(
    device: &wgpu::Device,
    uniform: &U,
    label: &str,
) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::bytes_of(uniform),
        usage: wgpu::BufferUsages::UNIFORM,
    })
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

/// A scene's bands on the GPU (uploaded once; views change only the uniform).
pub struct SceneTexture {
    view: wgpu::TextureView,
    width: usize,
    height: usize,
}

impl OffscreenRenderer {
    pub fn new() -> Result<Self, RenderError> {
        // Vulkan, Metal or DX12: GL only adds EGL noise on headless Linux.
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::PRIMARY,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        }))
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        // The adapter's limits: as large a scene and image as this GPU holds (wgpu's defaults
        // stop at 8192 px a side and 256 MiB buffers).
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("sarscope offscreen"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device(e.to_string()))?;
        let pipeline = ViewPipeline::view(&device, OUT_FORMAT);
        let overlay = overlay::pipeline(&device, OUT_FORMAT);
        Ok(Self {
            device,
            queue,
            pipeline,
            overlay,
            adapter: format!("{:?}, {}", info.backend, info.name),
        })
    }

    /// The largest texture side this device holds (a scene larger than that is read smaller
    /// or drawn in tiles).
    pub fn max_texture_side(&self) -> usize {
        self.device.limits().max_texture_dimension_2d as usize
    }

    /// Uploads interleaved bands (see [`super::interleave`]) as one RGBA float texture.
    pub fn upload(
        &self,
        texels: &[[f32; 4]],
        width: usize,
        height: usize,
    ) -> Result<SceneTexture, RenderError> {
        Ok(SceneTexture {
            view: upload_bands(&self.device, &self.queue, texels, width, height)?,
            width,
            height,
        })
    }

    /// Renders one view of `scene` to RGBA8 rows of `out_width` x `out_height`.
    pub fn render(
        &self,
        scene: &SceneTexture,
        settings: &ViewSettings,
        out_width: usize,
        out_height: usize,
    ) -> Result<Vec<u8>, RenderError> {
        let uniform = ViewUniform::new(settings, scene.width, scene.height);
        self.render_uniform(scene, &uniform, out_width, out_height)
    }

    /// Renders `scene` with a uniform as the viewer sets it (window, pixel grid, checkerboard).
    pub fn render_uniform(
        &self,
        scene: &SceneTexture,
        uniform: &ViewUniform,
        out_width: usize,
        out_height: usize,
    ) -> Result<Vec<u8>, RenderError> {
        if out_width == 0 || out_height == 0 {
            return Err(RenderError::Size(out_width, out_height));
        }
        let buffer = uniform_buffer(&self.device, uniform, "view uniform");
        let bind_group = self.pipeline.bind_group(&self.device, &scene.view, &buffer);
        let pipeline = self
            .pipeline
            .specialized(&self.device, &uniform.constants());
        self.draw(&pipeline, &bind_group, out_width, out_height)
    }

    /// The probability overlay of `probs` (`width` x `height`) alone, on a transparent target
    /// of `out_width` x `out_height` (RGBA8, blended onto transparent black).
    pub fn render_overlay(
        &self,
        probs: &[f32],
        width: usize,
        height: usize,
        settings: &OverlaySettings,
        out_width: usize,
        out_height: usize,
    ) -> Result<Vec<u8>, RenderError> {
        if out_width == 0 || out_height == 0 {
            return Err(RenderError::Size(out_width, out_height));
        }
        let texture = upload_probabilities(&self.device, &self.queue, probs, width, height)?;
        let uniform = OverlayUniform::new(settings, width, height);
        let buffer = uniform_buffer(&self.device, &uniform, "overlay uniform");
        let bind_group = self.overlay.bind_group(&self.device, &texture, &buffer);
        let pipeline = self.overlay.specialized(&self.device, &uniform.constants());
        self.draw(&pipeline, &bind_group, out_width, out_height)
    }

    /// One full-target triangle through `pipeline` on a transparent target, read back.
    fn draw(
        &self,
        pipeline: &wgpu::RenderPipeline,
        bind_group: &wgpu::BindGroup,
        out_width: usize,
        out_height: usize,
    ) -> Result<Vec<u8>, RenderError> {
        // A target or read-back buffer past the device's limits fails wgpu's validation, which
        // is fatal: refuse it here.
        let limits = self.device.limits();
        let too_large = || RenderError::OutputTooLarge {
            width: out_width,
            height: out_height,
            max_side: limits.max_texture_dimension_2d,
            max_mib: limits.max_buffer_size >> 20,
        };
        let side = |n: usize| {
            u32::try_from(n)
                .ok()
                .filter(|&n| n <= limits.max_texture_dimension_2d)
        };
        let (Some(width), Some(height)) = (side(out_width), side(out_height)) else {
            return Err(too_large());
        };
        let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        // At most 4 x the largest side: within u32.
        let padded_row = (width * 4).div_ceil(align) * align;
        let readback_bytes = u64::from(padded_row) * u64::from(height);
        if readback_bytes > limits.max_buffer_size {
            return Err(too_large());
        }
        let extent = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        // Out of memory (a target the GPU cannot hold) is fatal to wgpu unless caught.
        let readback = caught(&self.device, || {
            let target = self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some("view target"),
                size: extent,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: OUT_FORMAT,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            let target_view = target.create_view(&wgpu::TextureViewDescriptor::default());
            let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("view readback"),
                size: readback_bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("view"),
                });
            {
                let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("view"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: &target_view,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    depth_stencil_attachment: None,
                    timestamp_writes: None,
                    occlusion_query_set: None,
                    multiview_mask: None,
                });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind_group, &[]);
                pass.draw(0..3, 0..1);
            }
            encoder.copy_texture_to_buffer(
                wgpu::TexelCopyTextureInfo {
                    texture: &target,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::TexelCopyBufferInfo {
                    buffer: &readback,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(padded_row),
                        rows_per_image: Some(height),
                    },
                },
                extent,
            );
            self.queue.submit([encoder.finish()]);
            readback
        })?;
        let slice = readback.slice(..);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            // The receiver waits below; a closed channel only means nobody listens any more.
            let _ = sender.send(result);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        receiver
            .recv()
            .map_err(|e| RenderError::Readback(e.to_string()))?
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mapped = slice
            .get_mapped_range()
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mut out = Vec::with_capacity(out_width * 4 * out_height);
        for r in mapped.chunks_exact(padded_row as usize) {
            out.extend_from_slice(&r[..out_width * 4]);
        }
        drop(mapped);
        readback.unmap();
        Ok(out)
    }
}
