// A probability map over the scene view: probabilities at or above the threshold in a
// colormap at the chosen opacity, the rest (and no data, NaN) transparent. Drawn with alpha
// blending after view.wgsl in the same pane, with the same window onto the scene.
// The CPU twin is render::overlay::overlay_pixel; keep them in sync.
// Built after shaders/common.wgsl (the pipeline concatenates the two).

// Colormap::id, a pipeline constant (`OverlayUniform::constants`), as view.wgsl's settings.
override COLORMAP: u32 = 2u;

// Keep in sync with `OverlayUniform` in src/render/overlay.rs (`_colormap` is COLORMAP).
struct Overlay {
    window: vec4<f32>, // uv = window.xy + target_uv * window.zw, as in view.wgsl
    src_width: u32,
    src_height: u32,
    _colormap: u32,
    _pad: u32,
    opacity: f32,
    threshold: f32,
    _pad1: f32,
    _pad2: f32,
};

@group(0) @binding(0) var probs: texture_2d<f32>; // r = probability
@group(0) @binding(1) var<uniform> overlay: Overlay;

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let uv = overlay.window.xy + in.uv * overlay.window.zw;
    if (any(uv < vec2<f32>(0.0)) || any(uv >= vec2<f32>(1.0))) {
        return vec4<f32>(0.0);
    }
    let size = vec2<f32>(f32(overlay.src_width), f32(overlay.src_height));
    let texel = vec2<i32>(clamp(floor(uv * size), vec2<f32>(0.0), size - 1.0));
    let p = textureLoad(probs, texel, 0).r;
    // NaN fails every comparison: it stays transparent with everything below the threshold.
    if (!(p >= overlay.threshold)) {
        return vec4<f32>(0.0);
    }
    let c = apply_colormap(COLORMAP, clamp(p, 0.0, 1.0));
    return vec4<f32>(c, overlay.opacity);
}
