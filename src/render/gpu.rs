//! Offscreen rendering through `shaders/view.wgsl` on any wgpu adapter (Mesa's lavapipe
//! included): the same pipeline the viewer draws with, for `sarscope render` and the tests.

use wgpu::util::DeviceExt;

use super::overlay::{self, OverlaySettings, OverlayUniform, upload_probabilities};
use super::pipeline::{TexturePipeline, ViewPipeline, caught, read_back, upload_bands};
use super::polsar::PolsarPipeline;
use super::{RenderError, ViewSettings, ViewUniform};

const OUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// A wgpu device with the view pipeline, built once.
pub struct OffscreenRenderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: ViewPipeline,
    overlay: TexturePipeline,
    /// The polarimetric compute pass, built on first use.
    polsar: std::sync::OnceLock<PolsarPipeline>,
    /// "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits)".
    pub adapter: String,
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
            polsar: std::sync::OnceLock::new(),
            adapter: format!("{:?}, {}", info.backend, info.name),
        })
    }

    /// `d` of the scattering matrix `s`, T3 through `filter`, by the compute pass
    /// (`shaders/polsar.wgsl`): four values a pixel. `None` for a decomposition the shader
    /// does not make.
    pub fn decompose(
        &self,
        s: &crate::polsar::Scattering,
        d: crate::polsar::Decomposition,
        filter: &crate::polsar::FilterSpec,
    ) -> Result<Option<Vec<[f32; 4]>>, RenderError> {
        filter.check(s.width, s.height)?;
        let pipeline = self
            .polsar
            .get_or_init(|| PolsarPipeline::new(&self.device));
        pipeline.run(&self.device, &self.queue, s, d, filter)
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
        read_back(&self.device, &readback, |mapped| {
            let mut out = Vec::with_capacity(out_width * 4 * out_height);
            for r in mapped.chunks_exact(padded_row as usize) {
                out.extend_from_slice(&r[..out_width * 4]);
            }
            out
        })
    }
}
