// One view of a scene: polarization or composite -> optional dB -> stretch -> gamma -> RGBA.
// The CPU twin of this math is src/render/cpu.rs (the test oracle); keep them in sync.

// Keep in sync with `ViewUniform` in src/render/mod.rs.
struct View {
    mode: u32,       // ViewMode::id
    db: u32,         // 1: show 10 log10 of the channel values
    src_width: u32,
    src_height: u32,
    lo: vec4<f32>,   // stretch limits per output channel (rgb), in display units
    hi: vec4<f32>,
    gamma: f32,
    checker: f32,    // 1: no data as a grey checkerboard (the viewer); 0: transparent (PNGs)
    _pad1: f32,
    _pad2: f32,
    // The part of the scene in the target: uv = window.xy + target_uv * window.zw
    // (0,0,1,1 = the whole scene); outside the scene is transparent.
    window: vec4<f32>,
};

@group(0) @binding(0) var bands: texture_2d<f32>; // rgba = HH, HV, VH, VV; invalid = NODATA
@group(0) @binding(1) var<uniform> view: View;

const NODATA: f32 = -3.0e38;
const LOG10_2: f32 = 0.30102999566;

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

fn channels(v: vec4<f32>) -> vec3<f32> {
    let hh = v.x;
    let hv = v.y;
    let vh = v.z;
    let vv = v.w;
    switch view.mode {
        case 0u: { return vec3<f32>(hh); }
        case 1u: { return vec3<f32>(hv); }
        case 2u: { return vec3<f32>(vh); }
        case 3u: { return vec3<f32>(vv); }
        case 4u: { return vec3<f32>(hh + hv + vh + vv); }
        case 5u: { return vec3<f32>(abs(hh - vv), (hv + vh) * 0.5, hh + vv); }
        case 6u: { return vec3<f32>(vv, (hv + vh) * 0.5, hh); }
        default: { return vec3<f32>(hh / max(hv, 1.0e-10)); }
    }
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let uv = view.window.xy + in.uv * view.window.zw;
    if (any(uv < vec2<f32>(0.0)) || any(uv >= vec2<f32>(1.0))) {
        return vec4<f32>(0.0);
    }
    let size = vec2<f32>(f32(view.src_width), f32(view.src_height));
    let texel = vec2<i32>(clamp(floor(uv * size), vec2<f32>(0.0), size - 1.0));
    let v = textureLoad(bands, texel, 0);
    if (v.x <= NODATA || v.y <= NODATA || v.z <= NODATA || v.w <= NODATA) {
        if (view.checker > 0.5) {
            let cell = vec2<u32>(in.position.xy / 8.0);
            let light = ((cell.x + cell.y) & 1u) == 0u;
            return select(vec4<f32>(0.25, 0.25, 0.25, 1.0), vec4<f32>(0.35, 0.35, 0.35, 1.0), light);
        }
        return vec4<f32>(0.0);
    }
    var c = channels(v);
    if (view.db == 1u) {
        c = 10.0 * LOG10_2 * log2(max(c, vec3<f32>(1.0e-10)));
    }
    let span = max(view.hi.xyz - view.lo.xyz, vec3<f32>(1.0e-20));
    var t = clamp((c - view.lo.xyz) / span, vec3<f32>(0.0), vec3<f32>(1.0));
    if (view.gamma != 1.0) {
        t = pow(t, vec3<f32>(1.0 / view.gamma));
    }
    return vec4<f32>(t, 1.0);
}
