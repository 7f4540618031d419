// Footprint outlines: one instance per polygon edge (scene pixel coordinates), drawn as a quad
// `width` screen pixels wide with square ends (which close the joins of thin lines), in one
// flat colour. The segments stay on the GPU while the camera moves: only the uniform changes.
// Keep in sync with `OutlineUniform` and `Segment` in src/render/outline.rs.

struct Outline {
    // The pane's window onto the scene, as the view shader's: scene uv = xy + target uv * zw.
    window: vec4<f32>,
    scene: vec2<f32>,    // scene size in pixels
    viewport: vec2<f32>, // the pane's size in screen pixels
};

@group(0) @binding(0) var<uniform> outline: Outline;

struct Segment {
    @location(0) a: vec2<f32>,
    @location(1) b: vec2<f32>,
    @location(2) colour: vec4<f32>, // premultiplied, gamma space (egui's convention)
    @location(3) width: f32,        // screen pixels
};

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) colour: vec4<f32>,
};

// Scene pixel -> the pane's screen pixels.
fn to_screen(p: vec2<f32>) -> vec2<f32> {
    return ((p / outline.scene) - outline.window.xy) / outline.window.zw * outline.viewport;
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32, s: Segment) -> VertexOut {
    // Two triangles: (along the edge 0..1, side -1..1).
    var along = array<f32, 6>(0.0, 1.0, 0.0, 0.0, 1.0, 1.0);
    var side = array<f32, 6>(-1.0, -1.0, 1.0, 1.0, -1.0, 1.0);
    let a = to_screen(s.a);
    let b = to_screen(s.b);
    let d = b - a;
    let len = length(d);
    let dir = select(vec2<f32>(1.0, 0.0), d / max(len, 1.0e-6), len > 1.0e-6);
    let normal = vec2<f32>(-dir.y, dir.x);
    let half = 0.5 * s.width;
    let p = mix(a - dir * half, b + dir * half, along[index]) + normal * (side[index] * half);
    var out: VertexOut;
    out.position = vec4<f32>(p.x / outline.viewport.x * 2.0 - 1.0, 1.0 - p.y / outline.viewport.y * 2.0, 0.0, 1.0);
    out.colour = s.colour;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    return in.colour;
}
