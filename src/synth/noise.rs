//! Smooth random fields for ground texture and tree clumps.

use rand::Rng;

/// Value noise: random values on a coarse grid, interpolated with a smoothstep.
pub(crate) struct ValueNoise {
    values: Vec<f32>,
    columns: usize,
    cell: f32,
}

impl ValueNoise {
    /// A field covering `width` x `height` pixels with features about `cell` pixels across.
    pub(crate) fn new(rng: &mut impl Rng, width: usize, height: usize, cell: f32) -> Self {
        let cell = cell.max(1.0);
        let columns = (width as f32 / cell).ceil() as usize + 2;
        let rows = (height as f32 / cell).ceil() as usize + 2;
        let values = (0..columns * rows).map(|_| rng.random::<f32>()).collect();
        Self {
            values,
            columns,
            cell,
        }
    }

    /// The field at pixel (x, y), in [0, 1].
    pub(crate) fn at(&self, x: f32, y: f32) -> f32 {
        let (gx, gy) = ((x / self.cell).max(0.0), (y / self.cell).max(0.0));
        let (ix, iy) = (gx.floor() as usize, gy.floor() as usize);
        let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
        let (tx, ty) = (smooth(gx - ix as f32), smooth(gy - iy as f32));
        let v = |cx: usize, cy: usize| {
            self.values
                .get(cy * self.columns + cx)
                .copied()
                .unwrap_or(0.5)
        };
        let top = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * tx;
        let bottom = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * tx;
        top + (bottom - top) * ty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn noise_is_bounded_and_smooth() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let noise = ValueNoise::new(&mut rng, 100, 100, 20.0);
        for i in 0..100 {
            let (x, y) = (i as f32, (i * 7 % 100) as f32);
            let v = noise.at(x, y);
            assert!((0.0..=1.0).contains(&v));
            assert!(
                (noise.at(x + 0.5, y) - v).abs() < 0.2,
                "neighbours differ little"
            );
        }
    }
}
