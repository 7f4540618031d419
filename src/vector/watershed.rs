//! Marker-controlled watershed on a 2-D map (4-connected flooding), as scikit-image's
//! `segmentation.watershed(image, markers, mask=mask, watershed_line=...)` floods: the SN6
//! winner's way of splitting touching buildings (seeds from the footprint map without edges
//! and contacts, flooded over the negated footprint map inside `map > 0.5`).
//!
//! Pixels leave a priority queue lowest value first and, among equal values, first pushed
//! first; a pixel takes the label of the marker whose flood reached it. With watershed lines,
//! a pixel whose 4-neighbourhood already holds another label stays 0 and is not crossed.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A pixel waiting in the flood: its cost, when it was pushed, where, and which marker's.
#[derive(Clone, Copy)]
struct Pending {
    value: f64,
    age: u64,
    index: usize,
    source: usize,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    /// Reversed: `BinaryHeap` pops the greatest, the flood the lowest value, then the oldest,
    /// then (markers, all pushed first) the first in raster order.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .value
            .total_cmp(&self.value)
            .then(other.age.cmp(&self.age))
            .then(other.index.cmp(&self.index))
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
    let mut value = vec![0f64; size];
    let mut inside = vec![false; size];
    let mut output = vec![0u32; size];
    for y in 0..height {
        for x in 0..width {
            let (i, p) = (y * width + x, padded(x, y));
            value[p] = image[i];
            inside[p] = mask[i];
            output[p] = if mask[i] { markers[i] } else { 0 };
        }
    }
    // scikit-image's neighbour order (by raveled offset): up, left, right, down.
    let neighbours = [-(pw as isize), -1, 1, pw as isize];
    let step = |index: usize, offset: isize| index.wrapping_add_signed(offset);
    let mut heap: BinaryHeap<Pending> = output
        .iter()
        .enumerate()
        .filter(|(_, label)| **label != 0)
        .map(|(index, _)| Pending {
            value: f64::NEG_INFINITY,
            age: 0,
            index,
            source: index,
        })
        .collect();
    let mut age = 1u64;
    while let Some(pixel) = heap.pop() {
        let label = output[pixel.source];
        if lines {
            // Labelled as it leaves the queue: only then are all its neighbours known.
            if output[pixel.index] != 0 && pixel.index != pixel.source {
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
            age += 1;
            if !lines {
                // Without lines a pixel is labelled when first reached: no later push is
                // cheaper.
                output[q] = output[pixel.index];
            }
            heap.push(Pending {
                value: value[q].max(pixel.value),
                age,
                index: q,
                source: pixel.source,
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

    #[test]
    fn bad_sizes_label_nothing() {
        assert_eq!(
            watershed(&[0.0; 3], &[1; 4], &[true; 4], 2, 2, true),
            vec![0; 4]
        );
        assert!(watershed(&[], &[], &[], 0, 5, true).is_empty());
    }
}
