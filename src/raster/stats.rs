//! Per-band statistics over valid pixels: what contrast stretches and `info` need.

use serde::Serialize;

/// The percentiles that are kept for every band (contrast stretches use 2-98 by default).
pub const PERCENTILES: [f64; 13] = [
    0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 98.0, 99.0, 99.5,
];

/// Statistics of one band. A pixel is valid when it is finite and differs from the band's
/// nodata value. Moments are computed in f64 like GDAL's (population standard deviation);
/// percentiles use linear interpolation between order statistics (numpy's default).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BandStats {
    /// Pixels the statistics were computed from (all of them unless `approximate`).
    pub pixels: u64,
    pub valid: u64,
    /// Pixels equal to the declared nodata value.
    pub nodata: u64,
    /// NaN or infinite pixels.
    pub non_finite: u64,
    /// `None` when no pixel is valid, likewise below.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    /// `(percent, value)` for each of [`PERCENTILES`].
    pub percentiles: Vec<(f64, f64)>,
    /// True when computed from a decimated read of a large raster rather than every pixel.
    pub approximate: bool,
}

impl BandStats {
    /// Statistics of `values`, ignoring NaN, infinities and pixels equal to `nodata`.
    ///
    /// ```
    /// use sarscope::raster::BandStats;
    /// let s = BandStats::compute(&[0.0, 1.0, 2.0, 3.0, f32::NAN], Some(0.0), false);
    /// assert_eq!((s.valid, s.nodata, s.non_finite), (3, 1, 1));
    /// assert_eq!(s.mean, Some(2.0));
    /// assert_eq!(s.percentile(50.0), Some(2.0));
    /// ```
    pub fn compute(values: &[f32], nodata: Option<f64>, approximate: bool) -> Self {
        let nodata32 = nodata.map(|v| v as f32);
        let mut valid: Vec<f32> = Vec::with_capacity(values.len());
        let (mut n_nodata, mut n_non_finite) = (0u64, 0u64);
        for &v in values {
            if !v.is_finite() {
                n_non_finite += 1;
            } else if Some(v) == nodata32 {
                n_nodata += 1;
            } else {
                valid.push(v);
            }
        }
        let n = valid.len();
        let (mut sum, mut min, mut max) = (0.0f64, f64::INFINITY, f64::NEG_INFINITY);
        for &v in &valid {
            let v = f64::from(v);
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        let mean = (n > 0).then(|| sum / n as f64);
        let std = mean.map(|m| {
            let ss: f64 = valid.iter().map(|&v| (f64::from(v) - m).powi(2)).sum();
            (ss / n as f64).sqrt()
        });
        valid.sort_unstable_by(f32::total_cmp);
        let percentiles = if n == 0 {
            Vec::new()
        } else {
            PERCENTILES
                .iter()
                .map(|&p| (p, percentile_of_sorted(&valid, p)))
                .collect()
        };
        Self {
            pixels: values.len() as u64,
            valid: n as u64,
            nodata: n_nodata,
            non_finite: n_non_finite,
            min: (n > 0).then_some(min),
            max: (n > 0).then_some(max),
            mean,
            std,
            percentiles,
            approximate,
        }
    }

    /// One of the kept percentiles (`p` in percent, e.g. 2.0 or 98.0).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        self.percentiles
            .iter()
            .find(|(q, _)| (q - p).abs() < 1e-9)
            .map(|(_, v)| *v)
    }

    /// Share of the pixels that are NaN or infinite, in [0, 1].
    pub fn non_finite_share(&self) -> f64 {
        if self.pixels == 0 {
            0.0
        } else {
            self.non_finite as f64 / self.pixels as f64
        }
    }
}

/// numpy's `percentile(..., method="linear")` on an ascending, non-empty slice.
fn percentile_of_sorted(sorted: &[f32], p: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let rank = (p / 100.0).clamp(0.0, 1.0) * last as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(last);
    let frac = rank - lo as f64;
    let at = |i: usize| sorted.get(i).map_or(f64::NAN, |v| f64::from(*v));
    at(lo) + (at(hi) - at(lo)) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear() {
        // numpy.percentile(np.arange(1, 11), [2, 50, 98]) == [1.18, 5.5, 9.82]
        let values: Vec<f32> = (1..=10).map(|v| v as f32).collect();
        let s = BandStats::compute(&values, None, false);
        for (p, want) in [(2.0, 1.18), (50.0, 5.5), (98.0, 9.82)] {
            let got = s.percentile(p).unwrap();
            assert!((got - want).abs() < 1e-9, "p{p}: {got} vs {want}");
        }
        // population std of 1..=10 is sqrt(8.25)
        assert!((s.std.unwrap() - 8.25f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn all_invalid_band_has_no_moments() {
        let s = BandStats::compute(&[0.0, f32::INFINITY], Some(0.0), false);
        assert_eq!(s.valid, 0);
        assert_eq!(s.mean, None);
        assert!(s.percentiles.is_empty());
        assert_eq!(s.non_finite_share(), 0.5);
    }
}
