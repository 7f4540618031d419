//! Footprint outlines on the GPU (`shaders/outline.wgsl`): every polygon edge one instance in a
//! vertex buffer that stays put while the camera moves, drawn as a quad a few screen pixels
//! wide. Drawing ~1,000 outlines as tessellated, anti-aliased paths cost a software renderer
//! ~40 ms a frame in five panes, and their tessellation on the CPU was redone every frame.

use std::borrow::Cow;

use super::pipeline::{per_draw_uniform, uniform_entry};

/// One polygon edge. Keep in sync with `struct Segment` in shaders/outline.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Segment {
    /// Ends in scene pixel coordinates.
    pub a: [f32; 2],
    pub b: [f32; 2],
    /// Premultiplied RGBA in gamma space, 0..1 (egui's `Color32::to_normalized_gamma_f32`).
    pub colour: [f32; 4],
    /// Screen pixels.
    pub width: f32,
    pub _pad: [f32; 3],
}

/// The edges of a closed ring (first point repeated last, as `geo` keeps rings) in one colour
/// and width.
pub fn ring_segments(
    ring: &[[f32; 2]],
    colour: [f32; 4],
    width: f32,
) -> impl Iterator<Item = Segment> + '_ {
    ring.windows(2).map(move |w| Segment {
        a: w[0],
        b: w[1],
        colour,
        width,
        _pad: [0.0; 3],
    })
}

/// The shader's uniform, one per pane. Keep in sync with `struct Outline` in
/// shaders/outline.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct OutlineUniform {
    /// The pane's window onto the scene, as [`super::ViewUniform::window`].
    pub window: [f32; 4],
    /// The scene's size in pixels.
    pub scene: [f32; 2],
    /// The pane's size in screen pixels.
    pub viewport: [f32; 2],
}

/// The outline pipeline: segments as instances, a uniform per pane.
pub struct OutlinePipeline {
    pub pipeline: wgpu::RenderPipeline,
    pub layout: wgpu::BindGroupLayout,
}

impl OutlinePipeline {
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let label = "footprint outlines";
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(include_str!(
                "../../shaders/outline.wgsl"
            ))),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &[uniform_entry(0, wgpu::ShaderStages::VERTEX)],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(label),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let attributes = wgpu::vertex_attr_array![
            0 => Float32x2, 1 => Float32x2, 2 => Float32x4, 3 => Float32
        ];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(label),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<Segment>() as u64,
                    step_mode: wgpu::VertexStepMode::Instance,
                    attributes: &attributes,
                })],
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
                    blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        Self { pipeline, layout }
    }

    /// A uniform buffer for one pane and its bind group.
    pub fn pane(&self, device: &wgpu::Device) -> (wgpu::Buffer, wgpu::BindGroup) {
        let uniform = per_draw_uniform::<OutlineUniform>(device, "outline uniform");
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("outline"),
            layout: &self.layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: uniform.as_entire_binding(),
            }],
        });
        (uniform, bind_group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_ring_gives_one_segment_per_edge() {
        let square = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        let segments: Vec<Segment> = ring_segments(&square, [1.0; 4], 2.0).collect();
        assert_eq!(segments.len(), 4);
        assert_eq!((segments[0].a, segments[0].b), ([0.0, 0.0], [4.0, 0.0]));
        assert_eq!((segments[3].a, segments[3].b), ([0.0, 4.0], [0.0, 0.0]));
        assert!(segments.iter().all(|s| s.width == 2.0));
    }

    #[test]
    fn the_gpu_structs_match_the_shader_sizes() {
        // WGSL: Segment as vertex attributes at stride 48; Outline uniform 32 bytes.
        assert_eq!(std::mem::size_of::<Segment>(), 48);
        assert_eq!(std::mem::size_of::<OutlineUniform>(), 32);
    }
}
