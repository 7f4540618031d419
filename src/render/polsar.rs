//! The polarimetric decompositions' compute pass (`shaders/polsar.wgsl`): the GPU twin of
//! [`crate::polsar`], which is its test oracle. T3 filtered (boxcar, Lee or refined Lee) from
//! the scattering matrix, then Pauli, H/A/alpha, Freeman-Durden, Yamaguchi or span, in f32.

use std::borrow::Cow;

use wgpu::util::DeviceExt;

use super::RenderError;
use super::pipeline::{caught, read_back};
use crate::polsar::{Decomposition, FilterKind, FilterSpec, Scattering};

/// The uniform of `shaders/polsar.wgsl`; keep in sync with its `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PolsarParams {
    pub width: u32,
    pub height: u32,
    pub radius: u32,
    pub mode: u32,
    /// 0 boxcar, 1 Lee, 2 refined Lee.
    pub speckle: u32,
    pub looks: f32,
    pub _pad: [u32; 2],
}

impl PolsarParams {
    /// The uniform for `d` (by [`gpu_mode`]) of a `width x height` scene through `filter`.
    pub fn new(width: usize, height: usize, mode: u32, filter: &FilterSpec) -> Self {
        let kind = match filter.kind {
            FilterKind::Boxcar => 0,
            FilterKind::Lee => 1,
            FilterKind::RefinedLee => 2,
        };
        Self {
            width: width as u32,
            height: height as u32,
            radius: u32::try_from(filter.window / 2).unwrap_or(u32::MAX),
            mode,
            speckle: kind,
            looks: filter.looks as f32,
            _pad: [0; 2],
        }
    }
}

/// The shader's mode of a decomposition; `None` for those it does not make (T3's nine values).
pub fn gpu_mode(d: Decomposition) -> Option<u32> {
    match d {
        Decomposition::Pauli => Some(0),
        Decomposition::HAAlpha => Some(1),
        Decomposition::FreemanDurden => Some(2),
        Decomposition::Yamaguchi => Some(3),
        Decomposition::Span => Some(4),
        Decomposition::T3 => None,
    }
}

/// The compute pipeline, built once per device.
pub struct PolsarPipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl PolsarPipeline {
    pub fn new(device: &wgpu::Device) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("polsar"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(include_str!(
                "../../shaders/polsar.wgsl"
            ))),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("polsar"),
            entries: &[
                super::pipeline::uniform_entry(0, wgpu::ShaderStages::COMPUTE),
                storage_entry(1, true),
                storage_entry(2, false),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("polsar"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("polsar"),
            layout: Some(&pipeline_layout),
            module: &shader,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Self { pipeline, layout }
    }

    /// `d` of every pixel of `s`, T3 through `filter`: four values a pixel (the
    /// decomposition's bands first, zeros after), zeros where the pixel has no power or is
    /// not finite. `None` for a decomposition the shader does not make. The filter is taken
    /// as checked (`FilterSpec::check`).
    pub fn run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        s: &Scattering,
        d: Decomposition,
        filter: &FilterSpec,
    ) -> Result<Option<Vec<[f32; 4]>>, RenderError> {
        let Some(mode) = gpu_mode(d) else {
            return Ok(None);
        };
        let (w, h) = (s.width, s.height);
        if w == 0 || h == 0 {
            return Err(RenderError::Size(w, h));
        }
        let zero = num_complex::Complex32::new(0.0, 0.0);
        let finite = |z: &num_complex::Complex32| z.re.is_finite() && z.im.is_finite();
        let mut input = Vec::with_capacity(2 * w * h);
        for i in 0..w * h {
            let at = |v: &[num_complex::Complex32]| v.get(i).copied().unwrap_or(zero);
            let px = [at(&s.hh), at(&s.hv), at(&s.vh), at(&s.vv)];
            let px = if px.iter().all(finite) { px } else { [zero; 4] };
            input.push([px[0].re, px[0].im, px[1].re, px[1].im]);
            input.push([px[2].re, px[2].im, px[3].re, px[3].im]);
        }
        let params = PolsarParams::new(w, h, mode, filter);
        let out_bytes = (w * h * 16) as u64;
        let readback = caught(device, || {
            let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("polsar params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let scattering = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("polsar scattering"),
                contents: bytemuck::cast_slice(&input),
                usage: wgpu::BufferUsages::STORAGE,
            });
            let values = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("polsar values"),
                size: out_bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let readback = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("polsar readback"),
                size: out_bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("polsar"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: scattering.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: values.as_entire_binding(),
                    },
                ],
            });
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("polsar"),
            });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("polsar"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups((w as u32).div_ceil(8), (h as u32).div_ceil(8), 1);
            }
            encoder.copy_buffer_to_buffer(&values, 0, &readback, 0, out_bytes);
            queue.submit([encoder.finish()]);
            readback
        })?;
        let values = read_back(device, &readback, |mapped| {
            mapped
                .chunks_exact(16)
                .map(|px| {
                    std::array::from_fn(|k| {
                        let b = [px[4 * k], px[4 * k + 1], px[4 * k + 2], px[4 * k + 3]];
                        f32::from_ne_bytes(b)
                    })
                })
                .collect()
        })?;
        Ok(Some(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uniform_has_the_shader_layout() {
        // struct Params: five u32, an f32 and two u32 of padding.
        assert_eq!(std::mem::size_of::<PolsarParams>(), 32);
        let shader = include_str!("../../shaders/polsar.wgsl");
        for field in [
            "width: u32",
            "height: u32",
            "radius: u32",
            "mode: u32",
            "speckle: u32",
            "looks: f32",
            "_pad0: u32",
            "_pad1: u32",
        ] {
            assert!(shader.contains(field), "{field}");
        }
    }
}
