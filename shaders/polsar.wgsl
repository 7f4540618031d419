// Polarimetric decompositions on the GPU: each invocation filters the single-look coherency
// matrix T3 of its pixel's window (boxcar, Lee or refined Lee; edges repeated, pixels without
// power left out) from the calibrated scattering matrix, and decomposes it. The CPU twin is
// `polsar` (f64); this is the same math in f32.

// Keep in sync with `render::polsar::PolsarParams`.
struct Params {
    width: u32,
    height: u32,
    // Half the window: 3 for 7x7, 0 for single look.
    radius: u32,
    // 0 Pauli, 1 H/A/alpha, 2 Freeman-Durden, 3 Yamaguchi, 4 span.
    mode: u32,
    // 0 boxcar, 1 Lee, 2 refined Lee (7x7).
    speckle: u32,
    // The data's looks, for the Lee filters' speckle variance 1 / looks.
    looks: f32,
    _pad0: u32,
    _pad1: u32,
}

// A T3's upper triangle: diagonal, then T12, T13, T23 as (re, im).
struct T3 {
    d: vec3<f32>,
    t12: vec2<f32>,
    t13: vec2<f32>,
    t23: vec2<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
// Two vec4 per pixel: (HH, HV) and (VH, VV), each complex as (re, im).
@group(0) @binding(1) var<storage, read> scattering: array<vec4<f32>>;
// Four values per pixel (unused ones 0); invalid pixels are left as written by the caller.
@group(0) @binding(2) var<storage, read_write> values: array<vec4<f32>>;

const PI: f32 = 3.14159265358979;

// a conj(b)
fn mul_conj(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x + a.y * b.y, a.y * b.x - a.x * b.y);
}

fn mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn t3_at(i: u32) -> T3 {
    let a = scattering[2u * i];
    let b = scattering[2u * i + 1u];
    let r = 0.70710678;
    let k1 = (a.xy + b.zw) * r;
    let k2 = (a.xy - b.zw) * r;
    let k3 = (a.zw + b.xy) * r;
    return T3(
        vec3<f32>(dot(k1, k1), dot(k2, k2), dot(k3, k3)),
        mul_conj(k1, k2),
        mul_conj(k1, k3),
        mul_conj(k2, k3),
    );
}

fn span(t: T3) -> f32 {
    return t.d.x + t.d.y + t.d.z;
}

// The modulus of the first component of the eigenvector of T3 for eigenvalue l, from the cross
// product of two rows of T3 - l I (the pair with the longest one).
fn first_component(t: T3, l: f32) -> f32 {
    let r1 = array<vec2<f32>, 3>(vec2<f32>(t.d.x - l, 0.0), t.t12, t.t13);
    let r2 = array<vec2<f32>, 3>(vec2<f32>(t.t12.x, -t.t12.y), vec2<f32>(t.d.y - l, 0.0), t.t23);
    let r3 = array<vec2<f32>, 3>(vec2<f32>(t.t13.x, -t.t13.y), vec2<f32>(t.t23.x, -t.t23.y), vec2<f32>(t.d.z - l, 0.0));
    var best = 0.0;
    var first = 0.0;
    for (var k = 0u; k < 3u; k++) {
        var a = r1;
        var b = r2;
        if (k == 1u) { b = r3; }
        if (k == 2u) { a = r2; b = r3; }
        let c0 = mul(a[1], b[2]) - mul(a[2], b[1]);
        let c1 = mul(a[2], b[0]) - mul(a[0], b[2]);
        let c2 = mul(a[0], b[1]) - mul(a[1], b[0]);
        let n = sqrt(dot(c0, c0) + dot(c1, c1) + dot(c2, c2));
        if (n > best) {
            best = n;
            first = length(c0) / n;
        }
    }
    return min(first, 1.0);
}

// Entropy, anisotropy, mean alpha (degrees) and the largest eigenvalue.
fn h_a_alpha(t: T3) -> vec4<f32> {
    let q = span(t) / 3.0;
    let b = t.d - vec3<f32>(q);
    let off = dot(t.t12, t.t12) + dot(t.t13, t.t13) + dot(t.t23, t.t23);
    let p = sqrt((dot(b, b) + 2.0 * off) / 6.0);
    var l = vec3<f32>(q);
    var f = vec3<f32>(1.0, 0.0, 0.0);
    if (p > 1e-6 * (abs(t.d.x) + abs(t.d.y) + abs(t.d.z))) {
        let det = b.x * b.y * b.z + 2.0 * mul(mul(t.t12, t.t23), vec2<f32>(t.t13.x, -t.t13.y)).x
            - b.x * dot(t.t23, t.t23) - b.y * dot(t.t13, t.t13) - b.z * dot(t.t12, t.t12);
        let r = clamp(det / (2.0 * p * p * p), -1.0, 1.0);
        let phi = acos(r) / 3.0;
        let l1 = q + 2.0 * p * cos(phi);
        let l3 = q + 2.0 * p * cos(phi + 2.0 * PI / 3.0);
        let l2 = 3.0 * q - l1 - l3;
        l = vec3<f32>(l1, l2, l3);
        let apart = 1e-3 * p;
        if (l1 - l2 > apart && l2 - l3 > apart) {
            // The eigenvector-eigenvalue identity, as the CPU twin.
            let m = (vec3<f32>(t.d.y) - l) * (vec3<f32>(t.d.z) - l) - vec3<f32>(dot(t.t23, t.t23));
            let g = vec3<f32>((l1 - l2) * (l1 - l3), (l2 - l1) * (l2 - l3), (l3 - l1) * (l3 - l2));
            f = sqrt(clamp(m / g, vec3<f32>(0.0), vec3<f32>(1.0)));
        } else if (l1 - l2 > apart) {
            // l2 = l3: the pair's basis completed with e1 first (as the CPU twin).
            let f1 = first_component(t, l1);
            f = vec3<f32>(f1, sqrt(max(1.0 - f1 * f1, 0.0)), 0.0);
        } else if (l2 - l3 > apart) {
            let f3 = first_component(t, l3);
            f = vec3<f32>(sqrt(max(1.0 - f3 * f3, 0.0)), 0.0, f3);
        }
    }
    let lam = max(l, vec3<f32>(0.0));
    let total = lam.x + lam.y + lam.z;
    if (total <= 0.0) {
        return vec4<f32>(0.0);
    }
    let pr = lam / total;
    var h = 0.0;
    for (var k = 0u; k < 3u; k++) {
        if (pr[k] > 0.0) {
            h -= pr[k] * log(pr[k]) / log(3.0);
        }
    }
    var a = 0.0;
    if (lam.y + lam.z > 0.0) {
        a = (lam.y - lam.z) / (lam.y + lam.z);
    }
    let alpha = dot(pr, acos(min(f, vec3<f32>(1.0)))) * 180.0 / PI;
    return vec4<f32>(max(h, 0.0), a, alpha, lam.x);
}

// Freeman-Durden's last step: (surface, double bounce, 1) of a co-polarized remainder, or
// (0, 0, 0) when it has no power.
fn surface_and_dihedral(hhhh: f32, vvvv: f32, hhvv_in: vec2<f32>) -> vec3<f32> {
    if (!(hhhh > 0.0 && vvvv > 0.0)) {
        return vec3<f32>(0.0);
    }
    let bound = hhhh * vvvv;
    var hhvv = hhvv_in;
    let n2 = dot(hhvv, hhvv);
    if (n2 > bound) {
        hhvv = hhvv * sqrt(bound / n2);
    }
    let det = bound - dot(hhvv, hhvv);
    if (hhvv.x >= 0.0) {
        let den = hhhh + vvvv + 2.0 * hhvv.x;
        var fd = 0.0;
        if (den > 0.0) { fd = det / den; }
        let fs = vvvv - fd;
        var beta2 = 0.0;
        if (fs > 0.0) {
            let x = hhvv + vec2<f32>(fd, 0.0);
            beta2 = dot(x, x) / (fs * fs);
        }
        return vec3<f32>(fs * (1.0 + beta2), 2.0 * fd, 1.0);
    }
    let den = hhhh + vvvv - 2.0 * hhvv.x;
    var fs = 0.0;
    if (den > 0.0) { fs = det / den; }
    let fd = vvvv - fs;
    var alpha2 = 0.0;
    if (fd > 0.0) {
        let x = hhvv - vec2<f32>(fs, 0.0);
        alpha2 = dot(x, x) / (fd * fd);
    }
    return vec3<f32>(2.0 * fs, fd * (1.0 + alpha2), 1.0);
}

// The covariance's (<|HH|^2>, <|HV|^2>, <|VV|^2>) and <HH VV*>.
fn covariance(t: T3) -> array<vec2<f32>, 3> {
    let hhhh = (t.d.x + t.d.y + 2.0 * t.t12.x) / 2.0;
    let vvvv = (t.d.x + t.d.y - 2.0 * t.t12.x) / 2.0;
    return array<vec2<f32>, 3>(vec2<f32>(hhhh, vvvv), vec2<f32>(t.d.z / 2.0, 0.0), vec2<f32>((t.d.x - t.d.y) / 2.0, -t.t12.y));
}

fn freeman_durden(t: T3) -> vec4<f32> {
    let c = covariance(t);
    let fv = 3.0 * c[1].x;
    let sd = surface_and_dihedral(c[0].x - fv, c[0].y - fv, c[2] - vec2<f32>(fv / 3.0, 0.0));
    if (sd.z == 0.0) {
        return vec4<f32>(0.0, 0.0, span(t), 0.0);
    }
    return vec4<f32>(sd.x, sd.y, 8.0 * fv / 3.0, 0.0);
}

fn yamaguchi(t: T3) -> vec4<f32> {
    let c = covariance(t);
    let hhhh = c[0].x;
    let vvvv = c[0].y;
    let hvhv = c[1].x;
    let ratio = 10.0 * log(vvvv / hhhh) / log(10.0);
    var k = vec4<f32>(3.0 / 8.0, 3.0 / 8.0, 1.0 / 8.0, 8.0);
    if (ratio <= -2.0) {
        k = vec4<f32>(8.0 / 15.0, 3.0 / 15.0, 2.0 / 15.0, 7.5);
    } else if (ratio > 2.0) {
        k = vec4<f32>(3.0 / 15.0, 8.0 / 15.0, 2.0 / 15.0, 7.5);
    }
    var pc = 2.0 * abs(t.t23.y);
    var fv = k.w * (hvhv - pc / 4.0);
    if (fv < 0.0) {
        pc = 0.0;
        fv = k.w * hvhv;
    }
    let sd = surface_and_dihedral(hhhh - k.x * fv - pc / 4.0, vvvv - k.y * fv - pc / 4.0, c[2] - vec2<f32>(k.z * fv - pc / 4.0, 0.0));
    if (sd.z == 0.0) {
        return vec4<f32>(0.0, 0.0, span(t) - pc, pc);
    }
    return vec4<f32>(sd.x, sd.y, fv, pc);
}

fn t3_plus(a: T3, b: T3) -> T3 {
    return T3(a.d + b.d, a.t12 + b.t12, a.t13 + b.t13, a.t23 + b.t23);
}

fn t3_times(a: T3, k: f32) -> T3 {
    return T3(a.d * k, a.t12 * k, a.t13 * k, a.t23 * k);
}

// The single-look T3 at (x, y), clamped to the scene.
fn t3_xy(x: i32, y: i32) -> T3 {
    let cx = u32(clamp(x, 0, i32(params.width) - 1));
    let cy = u32(clamp(y, 0, i32(params.height) - 1));
    return t3_at(cy * params.width + cx);
}

// Sums over pixels with power: T3, the span, its square, and their number.
struct Sums {
    t: T3,
    s: f32,
    s2: f32,
    n: f32,
}

fn add(acc: Sums, t: T3) -> Sums {
    let v = span(t);
    if (!(v > 0.0)) {
        return acc;
    }
    return Sums(t3_plus(acc.t, t), acc.s + v, acc.s2 + v * v, acc.n + 1.0);
}

fn no_sums() -> Sums {
    return Sums(T3(vec3<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0)), 0.0, 0.0, 0.0);
}

// Lee's gain from a window's mean and variance of the span (as `speckle::lee_gain`).
fn lee_gain(mean: f32, v: f32) -> f32 {
    if (!(v > 0.0)) {
        return 0.0;
    }
    let s2 = 1.0 / params.looks;
    return max((v - mean * mean * s2) / (v * (1.0 + s2)), 0.0);
}

// local + gain (pixel - local), from a window's sums.
fn lee_of(sums: Sums, pixel: T3) -> T3 {
    let mean = sums.s / sums.n;
    let gain = lee_gain(mean, sums.s2 / sums.n - mean * mean);
    let local = t3_times(sums.t, 1.0 / sums.n);
    return t3_plus(t3_times(local, 1.0 - gain), t3_times(pixel, gain));
}

// Whether the half window `half` (as `speckle::Half`: left, right, top, bottom, upper right,
// lower left, upper left, lower right) holds the offset (dx, dy).
fn in_half(half: u32, dx: i32, dy: i32) -> bool {
    switch half {
        case 0u: { return dx <= 0; }
        case 1u: { return dx >= 0; }
        case 2u: { return dy <= 0; }
        case 3u: { return dy >= 0; }
        case 4u: { return dx >= dy; }
        case 5u: { return dx <= dy; }
        case 6u: { return dx + dy <= 0; }
        default: { return dx + dy >= 0; }
    }
}

// The edge-aligned half of the 7x7 window about (cx, cy), as `speckle::edge_half`: nine 3x3
// sub-window means of the span, the strongest of four gradients (the first of equals), and of
// its two end sub-windows the one closer to the centre's mean. A sub-window without power has
// no mean, and no gradient or distance with it wins.
fn edge_half(cx: i32, cy: i32) -> u32 {
    // The window's 49 spans, each made once (the sub-windows overlap).
    var spans: array<f32, 49>;
    for (var dy = 0; dy < 7; dy++) {
        for (var dx = 0; dx < 7; dx++) {
            spans[dy * 7 + dx] = span(t3_xy(cx - 3 + dx, cy - 3 + dy));
        }
    }
    var m: array<f32, 9>;
    var ok: array<bool, 9>;
    for (var k = 0; k < 9; k++) {
        let sx = 2 * (k % 3);
        let sy = 2 * (k / 3);
        var sum = 0.0;
        var n = 0.0;
        for (var dy = 0; dy < 3; dy++) {
            for (var dx = 0; dx < 3; dx++) {
                let v = spans[(sy + dy) * 7 + sx + dx];
                if (v > 0.0) {
                    sum += v;
                    n += 1.0;
                }
            }
        }
        ok[k] = n > 0.0;
        m[k] = select(0.0, sum / max(n, 1.0), n > 0.0);
    }
    // The four gradients: sub-windows added, then subtracted.
    let plus = array<vec3<i32>, 4>(vec3<i32>(2, 5, 8), vec3<i32>(6, 7, 8), vec3<i32>(1, 2, 5), vec3<i32>(0, 1, 3));
    let minus = array<vec3<i32>, 4>(vec3<i32>(0, 3, 6), vec3<i32>(0, 1, 2), vec3<i32>(3, 6, 7), vec3<i32>(5, 7, 8));
    var best = -1;
    var best_g = 0.0;
    for (var d = 0; d < 4; d++) {
        let p = plus[d];
        let q = minus[d];
        if (!(ok[p.x] && ok[p.y] && ok[p.z] && ok[q.x] && ok[q.y] && ok[q.z])) {
            continue;
        }
        let g = abs(m[p.x] + m[p.y] + m[p.z] - m[q.x] - m[q.y] - m[q.z]);
        if (best < 0 || g > best_g) {
            best = d;
            best_g = g;
        }
    }
    best = max(best, 0);
    let ends = array<vec2<i32>, 4>(vec2<i32>(3, 5), vec2<i32>(1, 7), vec2<i32>(2, 6), vec2<i32>(0, 8));
    let e = ends[best];
    var d0 = 3.4e38;
    var d1 = 3.4e38;
    if (ok[4] && ok[e.x]) { d0 = abs(m[e.x] - m[4]); }
    if (ok[4] && ok[e.y]) { d1 = abs(m[e.y] - m[4]); }
    return 2u * u32(best) + select(0u, 1u, d1 < d0);
}

// The filtered T3 of the pixel at (cx, cy).
fn filtered(cx: i32, cy: i32) -> T3 {
    let r = i32(params.radius);
    var sums = no_sums();
    if (params.speckle == 2u) {
        let half = edge_half(cx, cy);
        for (var dy = -3; dy <= 3; dy++) {
            for (var dx = -3; dx <= 3; dx++) {
                if (in_half(half, dx, dy)) {
                    sums = add(sums, t3_xy(cx + dx, cy + dy));
                }
            }
        }
        return lee_of(sums, t3_xy(cx, cy));
    }
    for (var dy = -r; dy <= r; dy++) {
        for (var dx = -r; dx <= r; dx++) {
            sums = add(sums, t3_xy(cx + dx, cy + dy));
        }
    }
    if (params.speckle == 1u) {
        return lee_of(sums, t3_xy(cx, cy));
    }
    return t3_times(sums.t, 1.0 / sums.n);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let i = id.y * params.width + id.x;
    if (!(span(t3_at(i)) > 0.0)) {
        return;
    }
    let t = filtered(i32(id.x), i32(id.y));
    var out = vec4<f32>(0.0);
    switch params.mode {
        case 0u: {
            out = vec4<f32>(sqrt(max(2.0 * t.d.y, 0.0)), sqrt(max(2.0 * t.d.z, 0.0)), sqrt(max(2.0 * t.d.x, 0.0)), 0.0);
        }
        case 1u: {
            out = h_a_alpha(t);
        }
        case 2u: {
            out = freeman_durden(t);
        }
        case 3u: {
            out = yamaguchi(t);
        }
        default: {
            out = vec4<f32>(span(t), 0.0, 0.0, 0.0);
        }
    }
    values[i] = out;
}
