// Polarimetric decompositions on the GPU: each invocation averages the single-look coherency
// matrix T3 of its pixel's window (boxcar, edges repeated, pixels without power left out) from
// the calibrated scattering matrix, and decomposes it. The CPU twin is `polsar` (f64); this is
// the same math in f32.

// Keep in sync with `render::polsar::PolsarParams`.
struct Params {
    width: u32,
    height: u32,
    // Half the window: 3 for 7x7, 0 for single look.
    radius: u32,
    // 0 Pauli, 1 H/A/alpha, 2 Freeman-Durden, 3 Yamaguchi, 4 span.
    mode: u32,
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

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let i = id.y * params.width + id.x;
    if (!(span(t3_at(i)) > 0.0)) {
        return;
    }
    let r = i32(params.radius);
    var acc = T3(vec3<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0));
    var count = 0.0;
    for (var dy = -r; dy <= r; dy++) {
        let y = u32(clamp(i32(id.y) + dy, 0, i32(params.height) - 1));
        for (var dx = -r; dx <= r; dx++) {
            let x = u32(clamp(i32(id.x) + dx, 0, i32(params.width) - 1));
            let t = t3_at(y * params.width + x);
            if (span(t) > 0.0) {
                acc.d += t.d;
                acc.t12 += t.t12;
                acc.t13 += t.t13;
                acc.t23 += t.t23;
                count += 1.0;
            }
        }
    }
    let t = T3(acc.d / count, acc.t12 / count, acc.t13 / count, acc.t23 / count);
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
