//! The eigen-decomposition of T3 in closed form, and the Cloude-Pottier parameters from it.

use num_complex::Complex64;

use super::T3;

/// T3's eigenvalues, largest first, and the modulus of the first (surface, HH + VV) component
/// of each unit eigenvector, which gives its alpha angle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eigen {
    pub values: [f64; 3],
    pub first: [f64; 3],
}

/// sqrt 3.
const SQRT_3: f64 = 1.732_050_807_568_877_2;

/// ln 3, for entropy in base 3.
const LN_3: f64 = 1.098_612_288_668_109_8;

/// Eigenvalues closer than this fraction of the matrix's size count as one repeated value.
const DEGENERATE: f64 = 1e-10;

impl Eigen {
    /// Eigenvalues by the trigonometric solution of the characteristic cubic (Smith 1961),
    /// eigenvectors as the cross product of two rows of T3 - lambda I.
    ///
    /// Where eigenvalues repeat, the eigenvectors of the repeated value are not unique and
    /// neither are their alphas; the basis is then completed with e1, e2, e3 in that order
    /// (Gram-Schmidt), which gives the textbook values: T3 = I (isotropic noise) has alpha
    /// 60 deg, a cloud of dipoles (T3 = diag(2, 1, 1)) 45 deg.
    pub fn of(t: &T3) -> Self {
        let q = (t.t11 + t.t22 + t.t33) / 3.0;
        let (b11, b22, b33) = (t.t11 - q, t.t22 - q, t.t33 - q);
        let off = t.t12.norm_sqr() + t.t13.norm_sqr() + t.t23.norm_sqr();
        let p = ((b11 * b11 + b22 * b22 + b33 * b33 + 2.0 * off) / 6.0).sqrt();
        let size = t.t11.abs() + t.t22.abs() + t.t33.abs();
        if p.is_nan() || p <= DEGENERATE * size {
            return Self {
                values: [q; 3],
                first: [1.0, 0.0, 0.0],
            };
        }
        let det = b11 * b22 * b33 + 2.0 * (t.t12 * t.t23 * t.t13.conj()).re
            - b11 * t.t23.norm_sqr()
            - b22 * t.t13.norm_sqr()
            - b33 * t.t12.norm_sqr();
        let r = (det / (2.0 * p * p * p)).clamp(-1.0, 1.0);
        let phi = r.acos() / 3.0;
        // cos(phi + 2 pi / 3) = -cos(phi) / 2 - sin(phi) sqrt(3) / 2: one sin_cos for both.
        let (sin, cos) = phi.sin_cos();
        let l1 = q + 2.0 * p * cos;
        let l3 = q - p * (cos + SQRT_3 * sin);
        let l2 = 3.0 * q - l1 - l3;
        let values = [l1, l2, l3];
        // Well apart, the eigenvector-eigenvalue identity gives |u_1i|^2 without the vectors:
        // |u_1i|^2 prod_{j != i} (l_i - l_j) = det(l_i I - M), M = T3 without its first row
        // and column.
        let apart = 1e-3 * p;
        if l1 - l2 > apart && l2 - l3 > apart {
            let minor = |l: f64| (t.t22 - l) * (t.t33 - l) - t.t23.norm_sqr();
            let first = [
                minor(l1) / ((l1 - l2) * (l1 - l3)),
                minor(l2) / ((l2 - l1) * (l2 - l3)),
                minor(l3) / ((l3 - l1) * (l3 - l2)),
            ]
            .map(|f| f.clamp(0.0, 1.0).sqrt());
            return Self { values, first };
        }
        // Eigenvectors of distinct eigenvalues, then the basis completed.
        let mut basis: Vec<[Complex64; 3]> = Vec::with_capacity(3);
        let mut slots = [None; 3];
        for (slot, &l) in slots.iter_mut().zip(&values) {
            if let Some(v) = null_vector(t, l, p) {
                *slot = Some(basis.len());
                basis.push(v);
            }
        }
        let mut fill = Vec::new();
        for axis in 0..3 {
            if basis.len() + fill.len() == 3 {
                break;
            }
            let mut v = [Complex64::new(0.0, 0.0); 3];
            v[axis] = Complex64::new(1.0, 0.0);
            for u in basis.iter().chain(&fill) {
                let d = dot(u, &v);
                for (vi, ui) in v.iter_mut().zip(u) {
                    *vi -= ui * d;
                }
            }
            let n = norm(&v);
            if n > 1e-6 {
                fill.push(v.map(|x| x / n));
            }
        }
        let mut fill = fill.into_iter();
        let mut first = [0.0; 3];
        for (f, slot) in first.iter_mut().zip(slots) {
            let v = match slot {
                Some(i) => basis.get(i).copied(),
                None => fill.next(),
            };
            *f = v.map_or(0.0, |v| v[0].norm().min(1.0));
        }
        Self { values, first }
    }
}

/// <u, v> = sum conj(u_i) v_i.
fn dot(u: &[Complex64; 3], v: &[Complex64; 3]) -> Complex64 {
    u.iter().zip(v).map(|(a, b)| a.conj() * b).sum()
}

fn norm(v: &[Complex64; 3]) -> f64 {
    v.iter().map(Complex64::norm_sqr).sum::<f64>().sqrt()
}

/// A unit vector v with (T - l I) v = 0 when l is a simple eigenvalue: each row r of
/// T - l I has sum_j r_j v_j = 0, which the cross product of two rows satisfies. `None` when
/// every pair of rows is parallel (l is repeated). A repeated root of the cubic is only
/// accurate to about sqrt(machine epsilon) (1e-8) of the matrix, so rows whose cross product is
/// under 1e-6 p^2 count as parallel.
fn null_vector(t: &T3, l: f64, p: f64) -> Option<[Complex64; 3]> {
    let c = |v: f64| Complex64::new(v, 0.0);
    let rows = [
        [c(t.t11 - l), t.t12, t.t13],
        [t.t12.conj(), c(t.t22 - l), t.t23],
        [t.t13.conj(), t.t23.conj(), c(t.t33 - l)],
    ];
    let cross = |a: &[Complex64; 3], b: &[Complex64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let [r1, r2, r3] = &rows;
    let best = [cross(r1, r2), cross(r1, r3), cross(r2, r3)]
        .into_iter()
        .map(|v| (norm(&v), v))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let (n, v) = best;
    (n > 1e-6 * p * p).then(|| v.map(|x| x / n))
}

/// Cloude-Pottier's parameters of a T3 (Cloude & Pottier 1997).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HAAlpha {
    /// -sum p_i log3 p_i, p_i = lambda_i / sum lambda: 0 one mechanism, 1 random.
    pub entropy: f64,
    /// (lambda2 - lambda3) / (lambda2 + lambda3); 0 where both are 0.
    pub anisotropy: f64,
    /// sum p_i alpha_i, alpha_i = acos |u_1i|, in degrees: 0 surface, 45 dipole, 90 dihedral.
    pub alpha_deg: f64,
    pub lambda: [f64; 3],
}

impl HAAlpha {
    pub fn of(t: &T3) -> Self {
        let e = Eigen::of(t);
        let lambda = e.values.map(|l| l.max(0.0));
        let total: f64 = lambda.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Self {
                entropy: f64::NAN,
                anisotropy: f64::NAN,
                alpha_deg: f64::NAN,
                lambda,
            };
        }
        let p = lambda.map(|l| l / total);
        let entropy = -p
            .iter()
            .filter(|&&pi| pi > 0.0)
            .map(|pi| pi * pi.ln())
            .sum::<f64>()
            / LN_3;
        let [_, l2, l3] = lambda;
        let anisotropy = if l2 + l3 > 0.0 {
            (l2 - l3) / (l2 + l3)
        } else {
            0.0
        };
        let alpha_deg = p
            .iter()
            .zip(e.first)
            .map(|(pi, f)| pi * f.acos().to_degrees())
            .sum();
        Self {
            entropy: entropy.max(0.0),
            anisotropy,
            alpha_deg,
            lambda,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex32;

    fn diag(a: f64, b: f64, c: f64) -> T3 {
        T3 {
            t11: a,
            t22: b,
            t33: c,
            ..T3::default()
        }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn canonical_targets_have_their_textbook_entropy_and_alpha() {
        let one = Complex32::new(1.0, 0.0);
        let zero = Complex32::new(0.0, 0.0);
        // Trihedral: surface, alpha 0. Dihedral: double bounce, alpha 90. Both H 0.
        let tri = HAAlpha::of(&T3::from_pixel(one, zero, zero, one));
        assert!(
            close(tri.entropy, 0.0, 1e-9) && close(tri.alpha_deg, 0.0, 1e-6),
            "{tri:?}"
        );
        let di = HAAlpha::of(&T3::from_pixel(one, zero, zero, -one));
        assert!(
            close(di.entropy, 0.0, 1e-9) && close(di.alpha_deg, 90.0, 1e-6),
            "{di:?}"
        );
        // A horizontal dipole (HH only): alpha 45, H 0.
        let dipole = HAAlpha::of(&T3::from_pixel(one, zero, zero, zero));
        assert!(close(dipole.alpha_deg, 45.0, 1e-6), "{dipole:?}");
        // Isotropic noise: H 1, alpha 60 (repeated eigenvalues: the basis e1, e2, e3).
        let noise = HAAlpha::of(&diag(1.0, 1.0, 1.0));
        assert!(close(noise.entropy, 1.0, 1e-9) && close(noise.alpha_deg, 60.0, 1e-9));
        // A cloud of randomly oriented dipoles: T3 = diag(2, 1, 1) / 4, alpha 45, H 0.9464.
        let cloud = HAAlpha::of(&diag(0.5, 0.25, 0.25));
        let h = -(0.5f64 * 0.5f64.log(3.0) + 0.5 * 0.25f64.log(3.0));
        assert!(close(cloud.entropy, h, 1e-9), "{cloud:?}");
        assert!(close(cloud.alpha_deg, 45.0, 1e-6), "{cloud:?}");
        // A repeated root of the cubic is accurate to ~1e-8 of the matrix (sqrt of f64's
        // epsilon), and anisotropy divides by the two roots' sum.
        assert!(close(cloud.anisotropy, 0.0, 1e-6), "{cloud:?}");
    }

    #[test]
    fn eigenvalues_and_vectors_of_a_full_hermitian_matrix() {
        let t = T3 {
            t11: 4.0,
            t22: 2.0,
            t33: 1.5,
            t12: Complex64::new(0.5, -1.0),
            t13: Complex64::new(0.25, 0.3),
            t23: Complex64::new(-0.2, 0.1),
        };
        let e = Eigen::of(&t);
        // Trace and determinant are the sum and product of the eigenvalues.
        assert!(close(e.values.iter().sum(), 7.5, 1e-12));
        assert!(e.values[0] >= e.values[1] && e.values[1] >= e.values[2]);
        // The first components of an orthonormal basis have unit norm over the basis.
        let s: f64 = e.first.iter().map(|f| f * f).sum();
        assert!(close(s, 1.0, 1e-9), "{e:?}");
    }
}
