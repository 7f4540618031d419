//! Pixels beyond a grid's edges, and sums over 3x3 windows of a plane.
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

/// Sums over the 3x3 windows of one plane centred anywhere up to 2 pixels beyond a grid's
/// edges (edges repeated, invalid pixels left out), with how many valid pixels each holds:
/// refined Lee's sub-window means. Made separably, rows shared out over every core.
pub(crate) struct Box3 {
    /// (sum, count) per centre, rows -2..height+2 and columns -2..width+2.
    sums: Vec<(f64, f64)>,
    stride: usize,
}

impl Box3 {
    /// The 3x3 sums of `value(i)` over the valid pixels `i` of a `width x height` grid.
    pub(crate) fn new(
        width: usize,
        height: usize,
        valid: &[bool],
        value: impl Fn(usize) -> f64 + Sync,
    ) -> Self {
        use rayon::prelude::*;
        let stride = width + 4;
        // Along each row, about centres -2..width+2.
        let mut rows = vec![(0.0, 0.0); stride * height];
        rows.par_chunks_mut(stride.max(1))
            .enumerate()
            .for_each(|(y, out)| {
                for (c, o) in out.iter_mut().enumerate() {
                    let cx = c as isize - 2;
                    let (mut sum, mut count) = (0.0, 0.0);
                    for dx in -1..=1 {
                        let i = clamped(cx + dx, y as isize, width, height);
                        if valid.get(i).copied().unwrap_or(false) {
                            sum += value(i);
                            count += 1.0;
                        }
                    }
                    *o = (sum, count);
                }
            });
        let mut sums = vec![(0.0, 0.0); stride * (height + 4)];
        sums.par_chunks_mut(stride.max(1))
            .enumerate()
            .for_each(|(r, out)| {
                let cy = r as isize - 2;
                for (c, o) in out.iter_mut().enumerate() {
                    let (mut sum, mut count) = (0.0, 0.0);
                    for dy in -1..=1 {
                        let y = (cy + dy).clamp(0, height as isize - 1) as usize;
                        let (s, n) = rows[y * stride + c];
                        sum += s;
                        count += n;
                    }
                    *o = (sum, count);
                }
            });
        Self { sums, stride }
    }

    /// The sum and the number of valid pixels of the 3x3 window centred on `(x, y)`
    /// (`-2 <= x < width + 2`, likewise `y`).
    pub(crate) fn at(&self, x: isize, y: isize) -> (f64, f64) {
        self.sums[(y + 2) as usize * self.stride + (x + 2) as usize]
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
        let table = Box3::new(3, 2, &valid, |i| values[i]);
        // Centred on (0, 0): rows -1..=1, columns -1..=1 -> 1 1 2 / 1 1 2 / 4 4 (5).
        assert_eq!(
            table.at(0, 0),
            (1.0 + 1.0 + 2.0 + 1.0 + 1.0 + 2.0 + 4.0 + 4.0, 8.0)
        );
        // Centred on (1, 0): 1 2 3 / 1 2 3 / 4 (5) 6.
        assert_eq!(table.at(1, 0), (22.0, 8.0));
        // Two beyond the bottom right: every pixel is the corner's, 6.
        assert_eq!(table.at(4, 3), (54.0, 9.0));
    }
}
