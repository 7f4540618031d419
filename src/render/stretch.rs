//! Contrast stretch limits and histograms from a scene's display values (a regular sample, so
//! a 20k x 20k scene costs what a 1k x 1k one does).

use serde::{Deserialize, Serialize};

use super::{InputScale, NODATA, ViewMode, db};

/// Pixels looked at for the smallest and largest value, at most: every pixel of a tile.
const SAMPLE_EXTREMES: usize = 1_000_000;

/// Pixels looked at for percentiles, moments and histograms, at most: QGIS' estimate (250,000
/// pixels). Selecting percentiles among every pixel was most of the statistics an open
/// computes: a 900x900 tile's every third pixel puts them within ~0.03 % of rank of the exact
/// ones and opens it sooner (medians 7 and 24 ms in two A/B runs of the render bench, 2 cores).
const SAMPLE: usize = 250_000;

/// What turns a texel into display values: the view mode, the data's scale and dB display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Display {
    pub mode: ViewMode,
    pub input: InputScale,
    pub db: bool,
}

impl Display {
    /// The output channels of one texel before stretching, as the shader computes them;
    /// `None` for no data.
    pub fn values(&self, texel: [f32; 4]) -> Option<[f32; 3]> {
        if texel.iter().any(|v| *v <= NODATA) {
            return None;
        }
        let c = self.mode.channels(texel.map(|v| self.input.to_power(v)));
        Some(if self.db { c.map(db) } else { c })
    }

    /// Distinct output channels: 3 for the RGB modes, 1 for the others (whose three are one).
    fn distinct_channels(&self) -> usize {
        if self.mode.is_rgb() { 3 } else { 1 }
    }

    /// The finite display values of each distinct output channel (see
    /// [`Self::distinct_channels`]; the others stay empty) over a regular sample of `texels`
    /// of about `at_most` (every texel up to twice that).
    fn sample(&self, texels: &[[f32; 4]], at_most: usize) -> [Vec<f32>; 3] {
        let step = (texels.len() / at_most).max(1);
        let channels = self.distinct_channels();
        let mut values: [Vec<f32>; 3] = Default::default();
        for v in values.iter_mut().take(channels) {
            v.reserve(texels.len() / step + 1);
        }
        for t in texels.iter().step_by(step) {
            let Some(c) = self.values(*t) else { continue };
            for (k, v) in c.into_iter().enumerate().take(channels) {
                if v.is_finite() {
                    values[k].push(v);
                }
            }
        }
        values
    }
}

/// How the stretch limits are chosen, per output channel.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stretch {
    /// The smallest and largest value.
    MinMax,
    /// Between two percentiles (0..100).
    Percentile { low: f64, high: f64 },
    /// The mean plus and minus `k` standard deviations.
    Sigma { k: f64 },
}

impl Default for Stretch {
    fn default() -> Self {
        Self::Percentile {
            low: 2.0,
            high: 98.0,
        }
    }
}

impl Stretch {
    pub fn name(self) -> &'static str {
        match self {
            Self::MinMax => "min/max",
            Self::Percentile { .. } => "percentile",
            Self::Sigma { .. } => "mean ± kσ",
        }
    }
}

/// Histogram bins: (bin centre, share of the sampled pixels).
pub type Bins = Vec<(f64, f64)>;

/// Pixels a stretch looks at, at most.
fn sample_size(stretch: Stretch) -> usize {
    match stretch {
        Stretch::MinMax => SAMPLE_EXTREMES,
        Stretch::Percentile { .. } | Stretch::Sigma { .. } => SAMPLE,
    }
}

/// Stretch limits (low, high) per output channel; a channel without values gets 0..1, and a
/// flat one a range of 1 above its value.
pub fn stretch_limits(
    texels: &[[f32; 4]],
    display: &Display,
    stretch: Stretch,
) -> ([f32; 3], [f32; 3]) {
    let mut values = display.sample(texels, sample_size(stretch));
    limits_of(&mut values, display, stretch)
}

/// [`stretch_limits`] and [`histogram`] of one display, from one sample where the stretch
/// looks at the histogram's (all but min/max): what opening a scene computes for the view in
/// focus.
pub fn stretch_limits_and_histogram(
    texels: &[[f32; 4]],
    display: &Display,
    stretch: Stretch,
    channel: usize,
    bins: usize,
) -> (([f32; 3], [f32; 3]), Bins) {
    if sample_size(stretch) != SAMPLE {
        return (
            stretch_limits(texels, display, stretch),
            histogram(texels, display, channel, bins),
        );
    }
    let mut values = display.sample(texels, SAMPLE);
    // Both reorder the values only by selection, which neither's result depends on.
    let limits = limits_of(&mut values, display, stretch);
    (limits, histogram_of(&mut values, display, channel, bins))
}

/// [`stretch_limits`] from the sampled values of a display's channels (reordered).
fn limits_of(
    values: &mut [Vec<f32>; 3],
    display: &Display,
    stretch: Stretch,
) -> ([f32; 3], [f32; 3]) {
    let mut lo = [0.0; 3];
    let mut hi = [1.0; 3];
    for k in 0..3 {
        let vals = &mut values[k];
        if vals.is_empty() {
            continue;
        }
        let (l, h) = match stretch {
            Stretch::MinMax => vals
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| {
                    (l.min(*v), h.max(*v))
                }),
            Stretch::Percentile { low, high } => (percentile(vals, low), percentile(vals, high)),
            Stretch::Sigma { k: sigmas } => {
                let n = vals.len() as f64;
                let mean = vals.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
                let var = vals
                    .iter()
                    .map(|v| (f64::from(*v) - mean).powi(2))
                    .sum::<f64>()
                    / n;
                let s = sigmas * var.sqrt();
                ((mean - s) as f32, (mean + s) as f32)
            }
        };
        lo[k] = l;
        hi[k] = if h > l { h } else { l + 1.0 };
    }
    // A one-channel mode's three channels are the same values: the same limits.
    if display.distinct_channels() == 1 {
        (lo, hi) = ([lo[0]; 3], [hi[0]; 3]);
    }
    (lo, hi)
}

/// The value at percentile `p` (0..100) of non-empty `vals` (nearest rank), found by
/// selection in linear time; `vals` is reordered.
fn percentile(vals: &mut [f32], p: f64) -> f32 {
    let i = ((p.clamp(0.0, 100.0) / 100.0) * (vals.len() - 1) as f64).round() as usize;
    *vals
        .select_nth_unstable_by(i.min(vals.len() - 1), f32::total_cmp)
        .1
}

/// `bins` bins of output channel `channel` between its 0.5 and 99.5 percentiles:
/// (bin centre, share of the sampled pixels).
pub fn histogram(
    texels: &[[f32; 4]],
    display: &Display,
    channel: usize,
    bins: usize,
) -> Vec<(f64, f64)> {
    histogram_of(&mut display.sample(texels, SAMPLE), display, channel, bins)
}

/// [`histogram`] from the sampled values of a display's channels (reordered).
fn histogram_of(
    values: &mut [Vec<f32>; 3],
    display: &Display,
    channel: usize,
    bins: usize,
) -> Vec<(f64, f64)> {
    // A one-channel mode's channels are all the first.
    let channel = if display.distinct_channels() == 1 {
        0
    } else {
        channel
    };
    let Some(vals) = values.get_mut(channel).filter(|v| !v.is_empty()) else {
        return Vec::new();
    };
    let (lo, hi) = (
        f64::from(percentile(vals, 0.5)),
        f64::from(percentile(vals, 99.5)),
    );
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let mut counts = vec![0u64; bins];
    for v in vals.iter().map(|v| f64::from(*v)) {
        let k = (((v - lo) / (hi - lo)) * bins as f64).floor();
        if k >= 0.0 && (k as usize) < bins {
            counts[k as usize] += 1;
        }
    }
    let total = vals.len().max(1) as f64;
    let width = (hi - lo) / bins as f64;
    counts
        .iter()
        .enumerate()
        .map(|(k, &c)| (lo + (k as f64 + 0.5) * width, c as f64 / total))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Vec<[f32; 4]> {
        (0..10_000).map(|i| [i as f32; 4]).collect()
    }

    const HH: Display = Display {
        mode: ViewMode::Hh,
        input: InputScale::Power,
        db: false,
    };

    #[test]
    fn histogram_bins_cover_the_central_99_percent() {
        let bins = histogram(&ramp(), &HH, 0, 50);
        assert_eq!(bins.len(), 50);
        assert!(bins.windows(2).all(|w| w[0].0 < w[1].0));
        let share: f64 = bins.iter().map(|b| b.1).sum();
        assert!((share - 0.99).abs() < 0.002, "{share}");
        // Uniform data: every bin holds about 0.99/50.
        assert!(
            bins.iter().all(|b| (b.1 - 0.0198).abs() < 0.002),
            "{bins:?}"
        );
    }

    /// A 900x900 tile of speckle-like power values (exponentially distributed, seeded).
    fn speckle_tile() -> Vec<[f32; 4]> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        (0..900 * 900)
            .map(|_| [-(1.0 - rng.random::<f32>()).ln() * 40.0; 4])
            .collect()
    }

    /// Min/max looks at every pixel of a tile: extremes off the sampled pixels count too.
    #[test]
    fn min_max_sees_every_pixel_of_a_tile() {
        let mut texels = speckle_tile();
        texels[1] = [5000.0; 4];
        texels[5] = [1e-6; 4];
        let (lo, hi) = stretch_limits(&texels, &HH, Stretch::MinMax);
        assert_eq!((lo[0], hi[0]), (1e-6, 5000.0));
    }

    /// Percentiles from the sample land within 0.05 % of rank of the exact ones on a tile.
    #[test]
    fn sampled_percentiles_are_within_a_hair_of_the_exact_ones() {
        let texels = speckle_tile();
        let mut all: Vec<f32> = texels.iter().map(|t| t[0]).collect();
        all.sort_by(f32::total_cmp);
        let rank = |v: f32| all.partition_point(|&x| x < v) as f64 / all.len() as f64;
        let (lo, hi) = stretch_limits(&texels, &HH, Stretch::default());
        assert!((rank(lo[0]) - 0.02).abs() < 0.0005, "{}", rank(lo[0]));
        assert!((rank(hi[0]) - 0.98).abs() < 0.0005, "{}", rank(hi[0]));
    }

    #[test]
    fn the_three_stretches() {
        let texels = ramp();
        let (lo, hi) = stretch_limits(&texels, &HH, Stretch::MinMax);
        assert_eq!((lo[0], hi[0]), (0.0, 9999.0));
        let (lo, hi) = stretch_limits(&texels, &HH, Stretch::default());
        assert_eq!((lo[0], hi[0]), (200.0, 9799.0));
        // Uniform on 0..9999: mean 4999.5, sigma 2886.75.
        let (lo, hi) = stretch_limits(&texels, &HH, Stretch::Sigma { k: 2.0 });
        assert!((lo[0] - (4999.5 - 5773.5)).abs() < 1.0, "{lo:?}");
        assert!((hi[0] - (4999.5 + 5773.5)).abs() < 1.0, "{hi:?}");
        // No data and non-finite values are left out; a flat channel gets a range of 1.
        let flat = vec![[5.0; 4], [NODATA; 4], [f32::INFINITY; 4]];
        let (lo, hi) = stretch_limits(&flat, &HH, Stretch::MinMax);
        assert_eq!((lo[0], hi[0]), (5.0, 6.0));
    }

    /// A one-channel mode's statistics come from its one channel: the same limits on all
    /// three, each the nearest-rank percentile of that channel's values; RGB modes' differ.
    #[test]
    fn a_one_channel_mode_has_one_set_of_limits() {
        let texels: Vec<[f32; 4]> = (0..5_000u32)
            .map(|i| {
                [
                    (i * 7 % 101) as f32,
                    (i % 13) as f32,
                    (i * 3 % 17) as f32,
                    1.0,
                ]
            })
            .collect();
        let span = Display {
            mode: ViewMode::Span,
            ..HH
        };
        let mut sums: Vec<f32> = texels.iter().map(|t| t.iter().sum()).collect();
        sums.sort_by(f32::total_cmp);
        let rank = |p: f64| sums[((p / 100.0) * (sums.len() - 1) as f64).round() as usize];
        let (lo, hi) = stretch_limits(&texels, &span, Stretch::default());
        assert_eq!((lo, hi), ([rank(2.0); 3], [rank(98.0); 3]));
        assert_eq!(
            histogram(&texels, &span, 2, 20),
            histogram(&texels, &span, 0, 20)
        );
        let pauli = Display {
            mode: ViewMode::Pauli,
            ..HH
        };
        let (_, hi) = stretch_limits(&texels, &pauli, Stretch::MinMax);
        assert!(hi[0] != hi[1] && hi[1] != hi[2], "{hi:?}");
    }

    /// Limits and histogram from one sample are those computed each from its own, for every
    /// stretch and channel (on speckle, where the selections reorder the shared values).
    #[test]
    fn one_sample_for_limits_and_histogram_changes_neither() {
        let texels: Vec<[f32; 4]> = speckle_tile()
            .iter()
            .enumerate()
            .map(|(i, t)| [t[0], t[0] * 0.3 + (i % 7) as f32, t[0] * 0.5, 2.0 * t[0]])
            .collect();
        for mode in [ViewMode::Span, ViewMode::Pauli] {
            let display = Display { mode, ..HH };
            for stretch in [
                Stretch::default(),
                Stretch::Sigma { k: 2.0 },
                Stretch::MinMax,
            ] {
                for channel in 0..3 {
                    assert_eq!(
                        stretch_limits_and_histogram(&texels, &display, stretch, channel, 64),
                        (
                            stretch_limits(&texels, &display, stretch),
                            histogram(&texels, &display, channel, 64)
                        ),
                        "{mode:?} {stretch:?} {channel}"
                    );
                }
            }
        }
    }

    #[test]
    fn display_values_convert_the_input_scale() {
        let d = Display {
            mode: ViewMode::Span,
            input: InputScale::Amplitude,
            db: true,
        };
        // Amplitudes 1, 1, 1, 1 -> powers sum to 4 -> 6.02 dB.
        let v = d.values([1.0; 4]).unwrap();
        assert!((v[0] - 6.0206).abs() < 1e-3, "{v:?}");
        assert_eq!(d.values([NODATA, 1.0, 1.0, 1.0]), None);
    }
}
