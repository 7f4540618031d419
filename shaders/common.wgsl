// What view.wgsl and overlay.wgsl share (each pipeline's source starts with this file): the
// triangle that covers the target, and the colormaps.

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

// A triangle that covers the target; uv (0,0) is the top-left corner.
@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    let x = f32((index << 1u) & 2u);
    let y = f32(index & 2u);
    var out: VertexOut;
    out.position = vec4<f32>(x * 2.0 - 1.0, 1.0 - y * 2.0, 0.0, 1.0);
    out.uv = vec2<f32>(x, y);
    return out;
}

// Polynomial fits of matplotlib's viridis and magma (Matt Zucker's, public domain); the same
// constants as src/render/colormap.rs, which tests them against matplotlib.
fn viridis(t: f32) -> vec3<f32> {
    let c0 = vec3<f32>(0.27772733, 0.0054073445, 0.3340998);
    let c1 = vec3<f32>(0.10509304, 1.4046135, 1.3845902);
    let c2 = vec3<f32>(-0.33086183, 0.21484756, 0.09509516);
    let c3 = vec3<f32>(-4.6342305, -5.799101, -19.332441);
    let c4 = vec3<f32>(6.22827, 14.179933, 56.69055);
    let c5 = vec3<f32>(4.776385, -13.745145, -65.353035);
    let c6 = vec3<f32>(-5.435456, 4.6458526, 26.312435);
    return c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6)))));
}

fn magma(t: f32) -> vec3<f32> {
    let c0 = vec3<f32>(-0.002136485, -0.000749655, -0.005386128);
    let c1 = vec3<f32>(0.25166054, 0.6775232, 2.4940266);
    let c2 = vec3<f32>(8.353717, -3.5777195, 0.3144679);
    let c3 = vec3<f32>(-27.668733, 14.264731, -13.649213);
    let c4 = vec3<f32>(52.17614, -27.943606, 12.944169);
    let c5 = vec3<f32>(-50.768524, 29.046583, 4.234153);
    let c6 = vec3<f32>(18.655705, -11.489774, -5.6019615);
    return c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6)))));
}

// Colormap::id: 0 grey, 1 viridis, 2 magma.
fn apply_colormap(id: u32, t: f32) -> vec3<f32> {
    switch id {
        case 1u: { return clamp(viridis(t), vec3<f32>(0.0), vec3<f32>(1.0)); }
        case 2u: { return clamp(magma(t), vec3<f32>(0.0), vec3<f32>(1.0)); }
        default: { return vec3<f32>(t); }
    }
}
