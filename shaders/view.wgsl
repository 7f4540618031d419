// One view of a scene: sample (nearest or bilinear) -> linear power -> polarization or composite
// -> optional dB -> stretch -> gamma -> colormap -> RGBA, with the pixel grid when zoomed in.
// The CPU twin of this math is src/render/cpu.rs (the test oracle); keep them in sync.
// Built after shaders/common.wgsl (the pipeline concatenates the two).

// The discrete settings are the pipeline's constants (`ViewUniform::constants` in
// src/render/mod.rs): every combination is a pipeline of its own, whose untaken branches the
// shader compiler removes. A software rasterizer (lavapipe) runs every side of a branch on a
// uniform under a mask, so an uber-shader costs it all of them at every pixel.
override MODE: u32 = 0u;      // ViewMode::id
override INPUT: u32 = 0u;     // InputScale::id: 0 linear power, 1 amplitude, 2 dB
override DB: bool = false;    // show 10 log10 of the channel values
override GAMMA: bool = false; // a gamma other than 1
override COLORMAP: u32 = 0u;  // Colormap::id for one-channel views: 0 grey, 1 viridis, 2 magma
override BILINEAR: bool = false;
override GRID: bool = false;  // the pixel grid
override CHECKER: bool = false; // no data as a grey checkerboard (the viewer), else transparent

// Keep in sync with `ViewUniform` in src/render/mod.rs. The fields named with `_` are the
// constants above, which the shader reads instead.
struct View {
    _mode: u32,
    _db: u32,
    src_width: u32,
    src_height: u32,
    lo: vec4<f32>,   // stretch limits per output channel (rgb), in display units
    hi: vec4<f32>,
    gamma: f32,
    _checker: f32,
    _input: u32,
    _colormap: u32,
    // The part of the scene in the target: uv = window.xy + target_uv * window.zw
    // (0,0,1,1 = the whole scene); outside the scene is transparent.
    window: vec4<f32>,
    _sampling: u32,
    grid: f32,       // screen pixels per scene pixel (with GRID)
    _pad1: u32,
    _pad2: u32,
};

@group(0) @binding(0) var bands: texture_2d<f32>; // rgba = HH, HV, VH, VV; invalid = NODATA
@group(0) @binding(1) var<uniform> view: View;

const NODATA: f32 = -3.0e38;
const LOG10_2: f32 = 0.30102999566;
const LOG2_10: f32 = 3.32192809489;

fn channels(v: vec4<f32>) -> vec3<f32> {
    let hh = v.x;
    let hv = v.y;
    let vh = v.z;
    let vv = v.w;
    switch MODE {
        case 0u: { return vec3<f32>(hh); }
        case 1u: { return vec3<f32>(hv); }
        case 2u: { return vec3<f32>(vh); }
        case 3u: { return vec3<f32>(vv); }
        case 4u: { return vec3<f32>(hh + hv + vh + vv); }
        case 5u: { return vec3<f32>(abs(hh - vv), (hv + vh) * 0.5, hh + vv); }
        case 6u: { return vec3<f32>(vv, (hv + vh) * 0.5, hh); }
        case 7u: { return vec3<f32>(hh / max(hv, 1.0e-10)); }
        default: { return vec3<f32>(hh, hv, vh); }
    }
}

// Modes with three distinct channels (ViewMode::is_rgb): Pauli, Sinclair, RGB.
fn is_rgb() -> bool {
    return MODE == 5u || MODE == 6u || MODE == 8u;
}

fn to_power(v: vec4<f32>) -> vec4<f32> {
    switch INPUT {
        case 1u: { return v * v; }
        case 2u: { return exp2(v * (LOG2_10 / 10.0)); }
        default: { return v; }
    }
}

fn nodata(v: vec4<f32>) -> bool {
    return v.x <= NODATA || v.y <= NODATA || v.z <= NODATA || v.w <= NODATA;
}

fn load(texel: vec2<f32>, size: vec2<f32>) -> vec4<f32> {
    return textureLoad(bands, vec2<i32>(clamp(texel, vec2<f32>(0.0), size - 1.0)), 0);
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let uv = view.window.xy + in.uv * view.window.zw;
    if (any(uv < vec2<f32>(0.0)) || any(uv >= vec2<f32>(1.0))) {
        return vec4<f32>(0.0);
    }
    let size = vec2<f32>(f32(view.src_width), f32(view.src_height));
    let p = uv * size; // scene pixel coordinates; texel centres at +0.5
    var v = load(floor(p), size);
    if (nodata(v)) {
        if (CHECKER) {
            let cell = vec2<u32>(in.position.xy / 8.0);
            let light = ((cell.x + cell.y) & 1u) == 0u;
            return select(vec4<f32>(0.25, 0.25, 0.25, 1.0), vec4<f32>(0.35, 0.35, 0.35, 1.0), light);
        }
        return vec4<f32>(0.0);
    }
    if (BILINEAR) {
        // Bilinear by hand (float textures are not filterable everywhere); a neighbour with no
        // data keeps the nearest texel, as render::cpu does.
        let q = p - 0.5;
        let i = floor(q);
        let f = q - i;
        let t00 = load(i, size);
        let t10 = load(i + vec2<f32>(1.0, 0.0), size);
        let t01 = load(i + vec2<f32>(0.0, 1.0), size);
        let t11 = load(i + vec2<f32>(1.0, 1.0), size);
        if (!(nodata(t00) || nodata(t10) || nodata(t01) || nodata(t11))) {
            v = mix(mix(t00, t10, f.x), mix(t01, t11, f.x), f.y);
        }
    }
    var c = channels(to_power(v));
    if (DB) {
        c = 10.0 * LOG10_2 * log2(max(c, vec3<f32>(1.0e-10)));
    }
    let span = max(view.hi.xyz - view.lo.xyz, vec3<f32>(1.0e-20));
    var t = clamp((c - view.lo.xyz) / span, vec3<f32>(0.0), vec3<f32>(1.0));
    if (GAMMA) {
        t = pow(t, vec3<f32>(1.0 / view.gamma));
    }
    if (!is_rgb()) {
        t = apply_colormap(COLORMAP, t.x);
    }
    if (GRID) {
        // Distance to the nearest texel edge in screen pixels: a line 1-2 px wide on each edge.
        let d = min(fract(p), 1.0 - fract(p)) * view.grid;
        if (min(d.x, d.y) < 0.75) {
            t = mix(t, vec3<f32>(0.5), 0.6);
        }
    }
    return vec4<f32>(t, 1.0);
}
