//! Pixels beyond a grid's edges, and sums over rectangles of a plane.
//!
//! Every windowed computation here treats the scene's edges the same way: the pixels beyond an
//! edge repeat the edge's (numpy's `pad(mode="edge")`), and invalid pixels (no data, no power)
//! are left out of every sum.

/// The index of the pixel at `(x, y)` with coordinates beyond the grid clamped to its edge.
pub(crate) fn clamped(x: isize, y: isize, width: usize, height: usize) -> usize {
    let cx = x.clamp(0, width as isize - 1) as usize;
    let cy = y.clamp(0, height as isize - 1) as usize;
    cy * width + cx
}

/// A summed-area table of one plane over the grid padded by `pad` pixels on every side (edges
/// repeated, invalid pixels as 0), for O(1) sums over any window inside the padding.
pub(crate) struct Integral {
    stride: usize,
    pad: usize,
    sums: Vec<f64>,
}

impl Integral {
    /// The table of `value(i)` over the valid pixels `i` of a `width x height` grid.
    pub(crate) fn new(
        width: usize,
        height: usize,
        pad: usize,
        valid: &[bool],
        value: impl Fn(usize) -> f64,
    ) -> Self {
        let (pw, ph) = (width + 2 * pad, height + 2 * pad);
        let stride = pw + 1;
        let mut sums = vec![0.0; stride * (ph + 1)];
        for py in 0..ph {
            let mut row = 0.0;
            for px in 0..pw {
                let i = clamped(
                    px as isize - pad as isize,
                    py as isize - pad as isize,
                    width,
                    height,
                );
                if valid.get(i).copied().unwrap_or(false) {
                    row += value(i);
                }
                let above = sums[py * stride + px + 1];
                sums[(py + 1) * stride + px + 1] = above + row;
            }
        }
        Self { stride, pad, sums }
    }

    /// The sum over the `w x h` pixels whose top-left corner is `(x, y)` in the grid's
    /// coordinates (`x, y >= -pad`; the window must end within the padding).
    pub(crate) fn sum(&self, x: isize, y: isize, w: usize, h: usize) -> f64 {
        let x0 = (x + self.pad as isize) as usize;
        let y0 = (y + self.pad as isize) as usize;
        let s = self.stride;
        self.sums[(y0 + h) * s + x0 + w] - self.sums[y0 * s + x0 + w] - self.sums[(y0 + h) * s + x0]
            + self.sums[y0 * s + x0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sums_repeat_the_edges_and_leave_out_invalid_pixels() {
        // 3x2 grid: 1 2 3 / 4 5 6, the 5 invalid.
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let valid = [true, true, true, true, false, true];
        let table = Integral::new(3, 2, 1, &valid, |i| values[i]);
        let count = Integral::new(3, 2, 1, &valid, |_| 1.0);
        // Centred on (0, 0): rows -1..=1, columns -1..=1 -> 1 1 2 / 1 1 2 / 4 4 (5).
        assert_eq!(
            table.sum(-1, -1, 3, 3),
            1.0 + 1.0 + 2.0 + 1.0 + 1.0 + 2.0 + 4.0 + 4.0
        );
        assert_eq!(count.sum(-1, -1, 3, 3), 8.0);
        assert_eq!(table.sum(0, 0, 3, 2), 16.0);
    }
}
