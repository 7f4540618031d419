//! `Planes`: pixels of a scene (or a window of it) in memory, one float32 plane per band.

/// Band-sequential float32 pixels with a validity mask.
#[derive(Clone, Debug, PartialEq)]
pub struct Planes {
    pub width: usize,
    pub height: usize,
    /// One row-major plane of `width * height` values per band.
    pub bands: Vec<Vec<f32>>,
    /// Per pixel: true when every band is finite and differs from its nodata value.
    pub valid: Vec<bool>,
}

impl Planes {
    /// Builds the planes and their validity mask; `nodata[i]` is band i's nodata value.
    pub fn new(width: usize, height: usize, bands: Vec<Vec<f32>>, nodata: &[Option<f64>]) -> Self {
        let n = width * height;
        let mut valid = vec![true; n];
        for (i, plane) in bands.iter().enumerate() {
            let nd = nodata.get(i).copied().flatten().map(|v| v as f32);
            for (ok, &v) in valid.iter_mut().zip(plane) {
                if !v.is_finite() || Some(v) == nd {
                    *ok = false;
                }
            }
        }
        Self {
            width,
            height,
            bands,
            valid,
        }
    }

    /// The value of band `band` at column `x`, row `y`; `None` outside.
    pub fn get(&self, band: usize, x: usize, y: usize) -> Option<f32> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.bands.get(band)?.get(y * self.width + x).copied()
    }

    pub fn valid_count(&self) -> usize {
        self.valid.iter().filter(|v| **v).count()
    }

    /// The `size` (width, height) values from `corner` (column, row), cut to the planes.
    pub fn crop(&self, corner: (usize, usize), size: (usize, usize)) -> Planes {
        let w = self.width;
        let (left, top) = (corner.0.min(w), corner.1.min(self.height));
        let (width, height) = (size.0.min(w - left), size.1.min(self.height - top));
        let spans: Vec<std::ops::Range<usize>> = (top..top + height)
            .map(|row| row * w + left..row * w + left + width)
            .collect();
        Planes {
            width,
            height,
            bands: self.bands.iter().map(|b| cut(b, &spans)).collect(),
            valid: cut(&self.valid, &spans),
        }
    }
}

/// The values of `v` in `spans`, one after another.
fn cut<T: Copy>(v: &[T], spans: &[std::ops::Range<usize>]) -> Vec<T> {
    spans
        .iter()
        .flat_map(|span| v.get(span.clone()).unwrap_or_default().iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_combines_nodata_and_non_finite_values_of_all_bands() {
        let planes = Planes::new(
            2,
            2,
            vec![vec![1.0, 0.0, 3.0, 4.0], vec![1.0, 2.0, f32::NAN, 4.0]],
            &[Some(0.0), None],
        );
        assert_eq!(planes.valid, vec![true, false, false, true]);
        assert_eq!(planes.get(1, 1, 1), Some(4.0));
        assert_eq!(planes.get(0, 2, 0), None);
    }
}
