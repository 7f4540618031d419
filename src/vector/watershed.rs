//! Marker-controlled watershed on a 2-D map (4-connected flooding), as scikit-image's
//! `segmentation.watershed(image, markers, mask=mask, watershed_line=...)` floods: the SN6
//! winner's way of splitting touching buildings (seeds from the footprint map without edges
//! and contacts, flooded over the negated footprint map inside `map > 0.5`).
//!
//! Pixels leave a priority queue lowest value first and, among equal values, first pushed
//! first; a pixel takes the label of the marker whose flood reached it. With watershed lines,
//! a pixel whose 4-neighbourhood already holds another label stays 0 and is not crossed.

/// A pixel waiting in the flood: where, and the label of the marker whose flood reached it.
#[derive(Clone, Copy)]
struct Pending {
    key: u64,
    index: usize,
    label: u32,
}

/// The flood's queue: a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan) of order-preserving
/// `u64` keys whose buckets are first in, first out. A flood is monotone (no pixel is pushed
/// cheaper than the one just popped), which is all a radix heap needs; and since every bucket
/// holds its pixels in the order they were pushed (a bucket is refilled only once it and all
/// below it are empty), pixels of equal keys leave first pushed first, as a priority queue of
/// (value, age) would order them, in O(1) amortized per pixel instead of O(log n).
struct RadixQueue {
    /// Bucket `b` holds keys whose highest bit differing from `last` is bit `b - 1` (bucket
    /// 0: equal to `last`), each in push order; `head` is how many of bucket 0 have left.
    buckets: Vec<Vec<Pending>>,
    head: usize,
    last: u64,
    len: usize,
}

impl RadixQueue {
    fn new() -> Self {
        Self {
            buckets: vec![Vec::new(); 65],
            head: 0,
            last: 0,
            len: 0,
        }
    }

    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Pushes `item`, whose key must not be below the last popped one.
    fn push(&mut self, item: Pending) {
        debug_assert!(item.key >= self.last);
        let b = self.bucket(item.key);
        self.buckets[b].push(item);
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Pending> {
        if self.len == 0 {
            return None;
        }
        if self.head == self.buckets[0].len() {
            self.buckets[0].clear();
            self.head = 0;
            // The lowest non-empty bucket holds the smallest keys: the new `last` is its
            // minimum, and its pixels, in order, move to the buckets below.
            let b = self.buckets.iter().position(|b| !b.is_empty())?;
            let moving = std::mem::take(&mut self.buckets[b]);
            self.last = moving.iter().map(|p| p.key).min()?;
            for item in &moving {
                let to = self.bucket(item.key);
                self.buckets[to].push(*item);
            }
            // Keep the emptied bucket's allocation for later pushes.
            let mut moving = moving;
            moving.clear();
            self.buckets[b] = moving;
        }
        let item = self.buckets[0][self.head];
        self.head += 1;
        self.len -= 1;
        Some(item)
    }
}

/// `value` as a `u64` in the same order as `f64::total_cmp` orders floats.
fn ordered(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Labels of a `width` x `height` map (`image`, row-major) flooded from `markers` (0: none,
/// else the label) inside `mask`; 0 outside the mask, where no marker's flood arrives, and on
/// watershed lines when `lines` is set. Markers outside the mask are ignored.
///
/// ```
/// use sarscope::vector::watershed;
/// // A valley between two basins, one marker in each: the ridge becomes the line.
/// let image = [0.0, 1.0, 2.0, 1.0, 0.0];
/// let markers = [1, 0, 0, 0, 2];
/// let mask = [true; 5];
/// assert_eq!(watershed(&image, &markers, &mask, 5, 1, true), vec![1, 1, 0, 2, 2]);
/// assert_eq!(watershed(&image, &markers, &mask, 5, 1, false), vec![1, 1, 1, 2, 2]);
/// ```
pub fn watershed(
    image: &[f64],
    markers: &[u32],
    mask: &[bool],
    width: usize,
    height: usize,
    lines: bool,
) -> Vec<u32> {
    let n = width * height;
    if width == 0 || height == 0 || image.len() < n || markers.len() < n || mask.len() < n {
        return vec![0; n];
    }
    // One pixel of border outside the mask: no neighbour is ever off the map.
    let pw = width + 2;
    let padded = |x: usize, y: usize| (y + 1) * pw + x + 1;
    let size = pw * (height + 2);
    let mut key = vec![0u64; size];
    let mut inside = vec![false; size];
    let mut output = vec![0u32; size];
    for y in 0..height {
        for x in 0..width {
            let (i, p) = (y * width + x, padded(x, y));
            // Key 0 is the markers' own (below -inf; only a NaN of all ones bits maps there).
            key[p] = ordered(image[i]).max(1);
            inside[p] = mask[i];
            output[p] = if mask[i] { markers[i] } else { 0 };
        }
    }
    // scikit-image's neighbour order (by raveled offset): up, left, right, down.
    let neighbours = [-(pw as isize), -1, 1, pw as isize];
    let step = |index: usize, offset: isize| index.wrapping_add_signed(offset);
    // Markers first, in raster order, below every value.
    let mut queue = RadixQueue::new();
    for (index, &label) in output.iter().enumerate() {
        if label != 0 {
            queue.push(Pending {
                key: 0,
                index,
                label,
            });
        }
    }
    while let Some(pixel) = queue.pop() {
        let label = pixel.label;
        if lines {
            // Labelled as it leaves the queue: only then are all its neighbours known. A
            // marker (key 0) is labelled already.
            if pixel.key != 0 && output[pixel.index] != 0 {
                continue;
            }
            let split = !inside[pixel.index]
                || neighbours.iter().any(|&o| {
                    let q = step(pixel.index, o);
                    inside[q] && output[q] != 0 && output[q] != label
                });
            if split {
                // A watershed line: left unlabelled and never crossed.
                inside[pixel.index] = false;
            } else {
                output[pixel.index] = label;
            }
        }
        for &o in &neighbours {
            let q = step(pixel.index, o);
            if !inside[q] || output[q] != 0 {
                continue;
            }
            if !lines {
                // Without lines a pixel is labelled when first reached: no later push is
                // cheaper.
                output[q] = label;
            }
            queue.push(Pending {
                key: key[q].max(pixel.key),
                index: q,
                label,
            });
        }
    }
    let mut labels = Vec::with_capacity(n);
    for y in 0..height {
        labels.extend((0..width).map(|x| output[padded(x, y)]));
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two touching squares (a terraced pair): one seed in each splits them along the ridge.
    #[test]
    fn two_seeds_split_a_blob_along_its_ridge() {
        let (w, h) = (12, 6);
        // Lower in each square's middle, a ridge at x = 6.
        let image: Vec<f64> = (0..w * h)
            .map(|i| 6.0 - ((i % w) as f64 - 6.0).abs())
            .collect();
        let mut markers = vec![0u32; w * h];
        markers[2 * w + 1] = 1;
        markers[2 * w + 10] = 2;
        let mask = vec![true; w * h];
        let labels = watershed(&image, &markers, &mask, w, h, true);
        for y in 0..h {
            let row = &labels[y * w..(y + 1) * w];
            assert!(row[..6].iter().all(|&l| l == 1), "{row:?}");
            assert_eq!(row[6], 0, "the ridge is the line: {row:?}");
            assert!(row[7..].iter().all(|&l| l == 2), "{row:?}");
        }
    }

    #[test]
    fn nothing_is_flooded_outside_the_mask_or_from_masked_markers() {
        let image = [0.0f64; 6];
        let markers = [1, 0, 0, 2, 0, 0];
        // The second marker lies outside the mask: it does not count.
        let mask = [true, true, false, false, true, true];
        let labels = watershed(&image, &markers, &mask, 6, 1, false);
        assert_eq!(labels, vec![1, 1, 0, 0, 0, 0]);
    }

    /// The queue pops what a priority queue of (key, push order) pops, on a monotone run of
    /// pushes and pops with many equal keys.
    #[test]
    fn the_radix_queue_pops_lowest_key_then_first_pushed() {
        let mut queue = RadixQueue::new();
        let mut reference = std::collections::BTreeSet::new();
        let (mut state, mut age, mut last) = (12345u64, 0u32, 0u64);
        let mut random = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        for round in 0..20_000 {
            if round % 3 != 2 {
                // Keys cluster (ties) and spread over all bit widths.
                let key = last + (random() % 4) * (1 << (random() % 40));
                age += 1;
                queue.push(Pending {
                    key,
                    index: age as usize,
                    label: 0,
                });
                reference.insert((key, age));
            } else if let Some((key, first)) = reference.pop_first() {
                let popped = queue.pop().map(|p| (p.key, p.index as u32));
                assert_eq!(popped, Some((key, first)), "round {round}");
                last = key;
            }
        }
        while let Some(expected) = reference.pop_first() {
            assert_eq!(queue.pop().map(|p| (p.key, p.index as u32)), Some(expected));
        }
        assert!(queue.pop().is_none());
    }

    #[test]
    fn ordered_keys_sort_as_total_cmp_does() {
        let mut values = [
            0.5,
            -0.0,
            0.0,
            f64::NEG_INFINITY,
            -1e300,
            1e-310,
            f64::INFINITY,
            -2.5,
        ];
        let mut keys: Vec<u64> = values.iter().map(|&v| ordered(v)).collect();
        values.sort_by(f64::total_cmp);
        keys.sort_unstable();
        assert_eq!(keys, values.iter().map(|&v| ordered(v)).collect::<Vec<_>>());
        assert!(ordered(-0.0) < ordered(0.0));
    }

    #[test]
    fn bad_sizes_label_nothing() {
        assert_eq!(
            watershed(&[0.0; 3], &[1; 4], &[true; 4], 2, 2, true),
            vec![0; 4]
        );
        assert!(watershed(&[], &[], &[], 0, 5, true).is_empty());
    }
}
