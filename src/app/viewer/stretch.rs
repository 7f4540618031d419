//! The stretch limits of what the panes show and the histogram's bins, computed from the
//! scene's texels once per display and stretch, the limits the user dragged by hand, and which
//! of the histogram's channels and limits the user is at.

use std::collections::HashMap;

use crate::render::{Display, Stretch, ViewMode, stretch_limits, stretch_limits_and_histogram};

/// Stretch limits per output channel: low, high.
pub type Limits = ([f32; 3], [f32; 3]);
/// Histogram bins: centre and share of the pixels.
pub type Bins = Vec<(f64, f64)>;

/// Bins of the histogram.
pub const BINS: usize = 128;

/// A stretch as a hashable key (its kind and parameters' bits): asked for every pane of every
/// frame, so it allocates nothing.
type StretchKey = (u8, u64, u64);

fn stretch_key(stretch: Stretch) -> StretchKey {
    match stretch {
        Stretch::MinMax => (0, 0, 0),
        Stretch::Percentile { low, high } => (1, low.to_bits(), high.to_bits()),
        Stretch::Sigma { k } => (2, k.to_bits(), 0),
    }
}

/// The histogram's channel and the limit being dragged.
#[derive(Default)]
pub struct HistogramState {
    /// The output channel the histogram shows and its limits edit.
    pub channel: usize,
    /// The histogram limit being dragged: 0 low, 1 high.
    pub dragging: Option<usize>,
}

/// Limits and bins of one scene, computed when first asked for and kept; a new scene gets a
/// new cache.
#[derive(Default)]
pub struct StretchCache {
    /// Limits computed from the scene's statistics, per display and stretch.
    limits: HashMap<(Display, StretchKey), Limits>,
    /// Histogram bins per display and output channel.
    histograms: HashMap<(Display, usize), Bins>,
    /// Limits the user dragged on the histogram, per display and channel.
    manual: HashMap<Display, [Option<(f32, f32)>; 3]>,
}

impl StretchCache {
    /// The limits `display` is drawn with under `stretch`: the statistics' (computed from
    /// `texels` the first time), with the channels the user set by hand in their place.
    pub fn limits(&mut self, texels: &[[f32; 4]], display: Display, stretch: Stretch) -> Limits {
        let (mut lo, mut hi) = *self
            .limits
            .entry((display, stretch_key(stretch)))
            .or_insert_with(|| stretch_limits(texels, &display, stretch));
        if let Some(manual) = self.manual.get(&display) {
            for (k, m) in manual.iter().enumerate() {
                if let Some((l, h)) = *m {
                    lo[k] = l;
                    hi[k] = h;
                }
            }
        }
        (lo, hi)
    }

    /// The histogram of `display`'s output `channel` (computed from `texels` the first time).
    pub fn bins(&mut self, texels: &[[f32; 4]], display: Display, channel: usize) -> &Bins {
        self.histograms
            .entry((display, channel))
            .or_insert_with(|| crate::render::histogram(texels, &display, channel, BINS))
    }

    /// Sets the limits of one output channel of `display` by hand.
    pub fn set_manual(&mut self, display: Display, channel: usize, lo: f32, hi: f32) {
        if let Some(slot) = self.manual.entry(display).or_default().get_mut(channel) {
            *slot = Some((lo, hi));
        }
    }

    /// Whether some channel of `display` has limits set by hand.
    pub fn has_manual(&self, display: Display) -> bool {
        self.manual
            .get(&display)
            .is_some_and(|m| m.iter().any(Option::is_some))
    }

    /// Back to the stretch for `display`.
    pub fn reset_manual(&mut self, display: Display) {
        self.manual.remove(&display);
    }

    /// Back to the stretch everywhere (a new stretch or input scale replaces hand-set limits).
    pub fn clear_manual(&mut self) {
        self.manual.clear();
    }

    /// Takes statistics computed elsewhere (on the thread that read the scene).
    pub fn extend(&mut self, statistics: Statistics) {
        self.limits.extend(statistics.limits);
        let (key, bins) = statistics.histogram;
        self.histograms.insert(key, bins);
    }
}

/// What the first frame of a new scene needs from its pixels: the stretch limits of each pane
/// and the histogram of the focused one. The reader thread computes them right after reading
/// for the view as it was when the open began, so the UI thread does not stall on them in the
/// first frame (35-65 ms for a 900x900 tile on 2 cores); a view changed meanwhile computes its
/// own as before.
pub struct Statistics {
    limits: Vec<((Display, StretchKey), Limits)>,
    histogram: ((Display, usize), Bins),
}

/// The view an open will show: which statistics to compute for it.
pub struct StatisticsFor {
    pub modes: Vec<ViewMode>,
    pub db: bool,
    pub stretch: Stretch,
    /// The mode the histogram shows and its output channel.
    pub histogram: (ViewMode, usize),
}

impl StatisticsFor {
    /// The statistics of `bands` for this view.
    pub fn compute(&self, bands: &crate::render::Bands) -> Statistics {
        let texels = &bands.texels;
        let display = |mode| Display {
            mode,
            input: bands.input,
            db: self.db,
        };
        let (histogram_mode, channel) = self.histogram;
        let shown = display(histogram_mode);
        let mut bins = None;
        let mut limits: Vec<((Display, StretchKey), Limits)> = Vec::new();
        // Modes the scene's bands cannot show are drawn as "unavailable": no limits to prepare.
        for &mode in self
            .modes
            .iter()
            .filter(|m| bands.unavailable(**m).is_none())
        {
            let key = (display(mode), stretch_key(self.stretch));
            if limits.iter().any(|(k, _)| *k == key) {
                continue;
            }
            if mode == histogram_mode {
                // The view in focus: its limits and histogram from one sample.
                let (l, b) =
                    stretch_limits_and_histogram(texels, &shown, self.stretch, channel, BINS);
                bins = Some(b);
                limits.push((key, l));
            } else {
                limits.push((key, stretch_limits(texels, &key.0, self.stretch)));
            }
        }
        let bins = bins.unwrap_or_else(|| crate::render::histogram(texels, &shown, channel, BINS));
        Statistics {
            limits,
            histogram: ((shown, channel), bins),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::InputScale;

    fn texels() -> Vec<[f32; 4]> {
        (0..1000)
            .map(|i| {
                let v = 1.0 + i as f32;
                [v, v / 2.0, v / 3.0, v / 4.0]
            })
            .collect()
    }

    fn hh() -> Display {
        Display {
            mode: ViewMode::Hh,
            input: InputScale::Power,
            db: false,
        }
    }

    #[test]
    fn limits_are_the_stretch_s_until_set_by_hand() {
        let mut cache = StretchCache::default();
        let texels = texels();
        let stretch = Stretch::MinMax;
        let computed = cache.limits(&texels, hh(), stretch);
        assert_eq!(computed, stretch_limits(&texels, &hh(), stretch));
        assert!(!cache.has_manual(hh()));
        cache.set_manual(hh(), 0, 5.0, 6.0);
        assert!(cache.has_manual(hh()));
        let (lo, hi) = cache.limits(&texels, hh(), stretch);
        assert_eq!((lo[0], hi[0]), (5.0, 6.0));
        cache.reset_manual(hh());
        assert_eq!(cache.limits(&texels, hh(), stretch), computed);
    }

    #[test]
    fn limits_are_computed_once_per_display_and_stretch() {
        let mut cache = StretchCache::default();
        let first = cache.limits(&texels(), hh(), Stretch::MinMax);
        // Other texels would give other limits; the cache keeps the first scene's.
        let other: Vec<[f32; 4]> = texels().iter().map(|t| t.map(|v| v * 10.0)).collect();
        assert_eq!(cache.limits(&other, hh(), Stretch::MinMax), first);
        assert_ne!(cache.limits(&other, hh(), Stretch::Sigma { k: 2.0 }), first);
    }
}
