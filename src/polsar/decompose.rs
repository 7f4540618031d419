//! Polarimetric decompositions of a (window-averaged) T3, pixel by pixel.

use num_complex::Complex64;
use rayon::prelude::*;

use super::matrix::T3_NAMES;
use super::{Coherency, HAAlpha, T3};
use crate::raster::Planes;

/// What a polarimetric view or `sarscope decompose` shows of each pixel's T3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decomposition {
    /// True Pauli RGB: |HH - VV|, 2 |HV|, |HH + VV| (amplitudes; averaged: sqrt(2 T22),
    /// sqrt(2 T33), sqrt(2 T11)).
    Pauli,
    /// The total power T11 + T22 + T33.
    Span,
    /// The nine real values of T3.
    T3,
    /// Cloude-Pottier entropy, anisotropy, mean alpha (degrees) and the three eigenvalues.
    HAAlpha,
    /// Freeman-Durden (1998): surface, double-bounce and volume powers.
    FreemanDurden,
    /// Yamaguchi (2005): surface, double-bounce, volume and helix powers.
    Yamaguchi,
}

impl Decomposition {
    pub const ALL: [Self; 6] = [
        Self::Pauli,
        Self::Span,
        Self::T3,
        Self::HAAlpha,
        Self::FreemanDurden,
        Self::Yamaguchi,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Pauli => "pauli",
            Self::Span => "span",
            Self::T3 => "t3",
            Self::HAAlpha => "h-a-alpha",
            Self::FreemanDurden => "freeman-durden",
            Self::Yamaguchi => "yamaguchi",
        }
    }

    /// The names of the bands [`Decomposition::pixel`] gives, in order.
    pub fn band_names(self) -> &'static [&'static str] {
        match self {
            Self::Pauli => &["|HH-VV|", "2|HV|", "|HH+VV|"],
            Self::Span => &["span"],
            Self::T3 => &T3_NAMES,
            Self::HAAlpha => &[
                "entropy",
                "anisotropy",
                "alpha_deg",
                "lambda1",
                "lambda2",
                "lambda3",
            ],
            Self::FreemanDurden => &["surface", "double_bounce", "volume"],
            Self::Yamaguchi => &["surface", "double_bounce", "volume", "helix"],
        }
    }

    /// The decomposition of one pixel's T3, one value per [`Decomposition::band_names`].
    pub fn pixel(self, t: &T3) -> Vec<f64> {
        let n = self.band_names().len();
        self.values(t)[..n].to_vec()
    }

    /// [`Decomposition::pixel`] without an allocation: the values first, then zeros.
    fn values(self, t: &T3) -> [f64; 9] {
        let mut out = [0.0; 9];
        let mut put = |values: &[f64]| {
            for (o, v) in out.iter_mut().zip(values) {
                *o = *v;
            }
        };
        match self {
            Self::Pauli => put(&[
                (2.0 * t.t22).max(0.0).sqrt(),
                (2.0 * t.t33).max(0.0).sqrt(),
                (2.0 * t.t11).max(0.0).sqrt(),
            ]),
            Self::Span => put(&[t.span()]),
            Self::T3 => put(&t.to_channels()),
            Self::HAAlpha => {
                let h = HAAlpha::of(t);
                let [l1, l2, l3] = h.lambda;
                put(&[h.entropy, h.anisotropy, h.alpha_deg, l1, l2, l3]);
            }
            Self::FreemanDurden => put(&freeman_durden(t)),
            Self::Yamaguchi => put(&yamaguchi(t)),
        }
        out
    }

    /// The decomposition of every pixel, as float32 planes; invalid pixels are NaN. Rows are
    /// shared out over every core.
    pub fn planes(self, coherency: &Coherency) -> Planes {
        let names = self.band_names();
        let (w, n) = (coherency.width.max(1), coherency.width * coherency.height);
        // Pixel-major values of every band, made in parallel in place, then one pass per band.
        let k = names.len();
        let mut values = vec![0f32; n * k];
        values
            .par_chunks_mut(w * k)
            .zip(coherency.t3.par_chunks(w))
            .zip(coherency.valid.par_chunks(w))
            .for_each(|((out, ts), oks)| {
                for ((o, t), &ok) in out.chunks_exact_mut(k).zip(ts).zip(oks) {
                    let v = if ok { self.values(t) } else { [f64::NAN; 9] };
                    for (o, v) in o.iter_mut().zip(v) {
                        *o = v as f32;
                    }
                }
            });
        let bands: Vec<Vec<f32>> = (0..k)
            .into_par_iter()
            .map(|b| values.iter().skip(b).step_by(k).copied().collect())
            .collect();
        Planes::new(coherency.width, coherency.height, bands, &[])
    }
}

impl std::fmt::Display for Decomposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Freeman & Durden (1998) from the covariance of T3: [surface, double bounce, volume].
///
/// The volume of randomly oriented thin dipoles takes all of the cross-polarized power:
/// fv = 3 <|HV|^2>, with <|HH|^2> and <|VV|^2> fv each and <HH VV*> fv / 3; what is left is one
/// surface (alpha = -1 fixed when Re <HH VV*> >= 0) or one dihedral (beta = 1) mechanism.
/// Where the volume leaves no co-polarized power, all the power is volume; a remainder that no
/// physical mechanism makes (|<HH VV*>|^2 > <|HH|^2> <|VV|^2>) is scaled back to the bound,
/// as PolSARpro does. The three powers add up to the span.
pub fn freeman_durden(t: &T3) -> [f64; 3] {
    let (hhhh, hvhv, vvvv, hhvv) = t.covariance();
    let span = t.span();
    let fv = 3.0 * hvhv;
    let volume = 8.0 * fv / 3.0;
    match surface_and_dihedral(hhhh - fv, vvvv - fv, hhvv - fv / 3.0) {
        Some((ps, pd)) => [ps, pd, volume],
        None => [0.0, 0.0, span],
    }
}

/// Yamaguchi, Moriyama, Ishido & Yamada (2005), four components without rotation:
/// [surface, double bounce, volume, helix].
///
/// The helix power is Pc = 2 |Im <(HH - VV) HV*>| = 2 |Im T23|. The volume model is chosen by
/// 10 log10(<|VV|^2> / <|HH|^2>): below -2 dB dipoles mostly horizontal
/// (HH, VV, HH VV* = 8/15, 3/15, 2/15 of fv), above +2 dB mostly vertical (3/15, 8/15, 2/15),
/// else Freeman's random cloud (3/8, 3/8, 1/8), with fv from the cross-polarized power left by
/// the helix (fv = 15/2 or 8 times <|HV|^2> - Pc/4). Where that is negative the helix is
/// dropped (the three-component model). The rest is solved as in [`freeman_durden`], and where
/// it cannot be, the co-polarized power goes to the volume. The four powers add up to the span.
pub fn yamaguchi(t: &T3) -> [f64; 4] {
    let (hhhh, hvhv, vvvv, hhvv) = t.covariance();
    let span = t.span();
    let ratio_db = 10.0 * (vvvv / hhhh).log10();
    // (HH, VV, HH VV*) parts of the volume, and fv per unit of <|HV|^2>.
    let (a, b, c, per_hv) = if ratio_db <= -2.0 {
        (8.0 / 15.0, 3.0 / 15.0, 2.0 / 15.0, 15.0 / 2.0)
    } else if ratio_db > 2.0 {
        (3.0 / 15.0, 8.0 / 15.0, 2.0 / 15.0, 15.0 / 2.0)
    } else {
        (3.0 / 8.0, 3.0 / 8.0, 1.0 / 8.0, 8.0)
    };
    let mut pc = 2.0 * t.t23.im.abs();
    let mut fv = per_hv * (hvhv - pc / 4.0);
    if fv < 0.0 {
        pc = 0.0;
        fv = per_hv * hvhv;
    }
    let rest = surface_and_dihedral(
        hhhh - a * fv - pc / 4.0,
        vvvv - b * fv - pc / 4.0,
        hhvv - Complex64::new(c * fv - pc / 4.0, 0.0),
    );
    match rest {
        Some((ps, pd)) => [ps, pd, fv, pc],
        None => [0.0, 0.0, span - pc, pc],
    }
}

/// Freeman-Durden's last step: the powers (surface, double bounce) of one surface and one
/// dihedral that make a co-polarized covariance remainder. `None` when either remainder
/// power is not positive.
fn surface_and_dihedral(hhhh: f64, vvvv: f64, hhvv: Complex64) -> Option<(f64, f64)> {
    if !(hhhh > 0.0 && vvvv > 0.0) {
        return None;
    }
    let bound = hhhh * vvvv;
    let hhvv = if hhvv.norm_sqr() > bound {
        hhvv * (bound / hhvv.norm_sqr()).sqrt()
    } else {
        hhvv
    };
    let det = bound - hhvv.norm_sqr();
    if hhvv.re >= 0.0 {
        // Surface dominant: alpha = -1.
        let denom = hhhh + vvvv + 2.0 * hhvv.re;
        let fd = if denom > 0.0 { det / denom } else { 0.0 };
        let fs = vvvv - fd;
        let beta2 = if fs > 0.0 {
            (hhvv + fd).norm_sqr() / (fs * fs)
        } else {
            0.0
        };
        Some((fs * (1.0 + beta2), 2.0 * fd))
    } else {
        // Double bounce dominant: beta = 1.
        let denom = hhhh + vvvv - 2.0 * hhvv.re;
        let fs = if denom > 0.0 { det / denom } else { 0.0 };
        let fd = vvvv - fs;
        let alpha2 = if fd > 0.0 {
            (hhvv - fs).norm_sqr() / (fd * fd)
        } else {
            0.0
        };
        Some((2.0 * fs, fd * (1.0 + alpha2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex32;

    fn c(re: f32, im: f32) -> Complex32 {
        Complex32::new(re, im)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn pure_targets_go_to_their_mechanism() {
        let (one, zero) = (c(1.0, 0.0), c(0.0, 0.0));
        let tri = T3::from_pixel(one, zero, zero, one);
        let [ps, pd, pv] = freeman_durden(&tri);
        assert!(
            close(ps, 2.0) && close(pd, 0.0) && close(pv, 0.0),
            "{ps} {pd} {pv}"
        );
        let di = T3::from_pixel(one, zero, zero, -one);
        let [ps, pd, pv, pc] = yamaguchi(&di);
        assert!(close(ps, 0.0) && close(pd, 2.0) && close(pv, 0.0) && close(pc, 0.0));
        // Isotropic volume in the covariance Freeman assumes: all volume.
        let cloud = T3 {
            t11: 0.5,
            t22: 0.25,
            t33: 0.25,
            ..T3::default()
        };
        let [ps, pd, pv] = freeman_durden(&cloud);
        assert!(
            close(ps, 0.0) && close(pd, 0.0) && close(pv, 1.0),
            "{ps} {pd} {pv}"
        );
    }

    #[test]
    fn model_powers_add_up_to_the_span() {
        let t = T3::from_pixel(c(1.0, 0.5), c(0.3, -0.2), c(0.25, -0.1), c(-0.4, 0.9));
        // Averaged with another to make it partly random.
        let u = T3::from_pixel(c(0.2, -0.7), c(0.1, 0.4), c(0.1, 0.3), c(0.8, 0.1));
        let mean = T3::from_channels(std::array::from_fn(|i| {
            (t.to_channels()[i] + u.to_channels()[i]) / 2.0
        }));
        let span = mean.span();
        assert!(close(freeman_durden(&mean).iter().sum(), span));
        assert!(close(yamaguchi(&mean).iter().sum(), span));
        let [_, _, _, pc] = yamaguchi(&mean);
        assert!(pc > 0.0);
    }

    #[test]
    fn true_pauli_is_the_amplitude_of_the_pauli_vector() {
        let (hh, hv, vv) = (c(1.0, 2.0), c(0.5, -0.25), c(-3.0, 0.5));
        let t = T3::from_pixel(hh, hv, hv, vv);
        let got = Decomposition::Pauli.pixel(&t);
        let want = [(hh - vv).norm(), 2.0 * hv.norm(), (hh + vv).norm()];
        for (g, w) in got.iter().zip(want) {
            assert!((g - f64::from(w)).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }
}
