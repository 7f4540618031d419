//! The network's 3x3 convolutions on burn's CPU backend (flex): im2col in bands of output rows
//! small enough to stay in cache, one matrix product per band through the backend's `matmul`,
//! the bias and the ReLU applied while the bands are put together in the output.
//!
//! flex's own convolution does the same products but first copies the whole input to
//! channels-last order on one thread, builds each tile's columns from it, and scatters each
//! product back pixel by pixel; the bias and the ReLU are two more passes over the output.
//! Here the columns come straight from the channels-first input (each column row is a shifted
//! copy of one input row) and each product row is one contiguous run of the output.
//! Each band writes its rows of the output itself, so nothing is held but the output: the
//! resident peak of a 512 px window is 449 MB (flex's convolution: 471; holding the bands'
//! products until the end: 547, no faster).
//!
//! The bands run on rayon's pool, the one flex's products run on.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::{DType, TensorData, activation};
use rayon::prelude::*;

/// Bytes of im2col columns per band: one band is filled and multiplied while it is in cache
/// (0.5 to 8 MiB timed per layer of the full-width network; 2 MiB was as fast as any, within
/// this machine's noise).
pub const BAND_BYTES: usize = 2 << 20;

/// Whether [`conv3x3_banded`] computes `conv` on `x`: f32 values and a 3x3 kernel that keeps
/// the size (stride 1, padding 1, no dilation, no groups: all of the network's 3x3 layers).
pub fn banded_applies(conv: &Conv2d, x: &Tensor<4>) -> bool {
    let [_, cin, _, _] = x.dims();
    let [_, wcin, kh, kw] = conv.weight.dims();
    x.dtype() == DType::F32
        && conv.weight.val().dtype() == DType::F32
        && conv
            .bias
            .as_ref()
            .is_none_or(|b| b.val().dtype() == DType::F32)
        && [kh, kw] == [3, 3]
        && wcin == cin
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && matches!(
            conv.padding,
            PaddingConfig2d::Explicit(1, 1, 1, 1) | PaddingConfig2d::Same
        )
}

/// `conv(x)`, then a ReLU when `relu`, as banded im2col products (the caller checks
/// [`banded_applies`]). The input's values are read on the host: this is for the CPU backend.
///
/// # Shapes
/// - input `[batch, cin, h, w]`, weight `[cout, cin, 3, 3]`
/// - output `[batch, cout, h, w]`
pub fn conv3x3_banded(conv: &Conv2d, x: Tensor<4>, relu: bool) -> Tensor<4> {
    conv3x3_banded_within(conv, x, relu, BAND_BYTES)
}

/// [`conv3x3_banded`] with at most `band_bytes` of columns per band (at least one row's).
fn conv3x3_banded_within(conv: &Conv2d, x: Tensor<4>, relu: bool, band_bytes: usize) -> Tensor<4> {
    let device = x.device();
    let [batch, cin, h, w] = x.dims();
    let [cout, _, _, _] = conv.weight.dims();
    let k = cin * 9;
    let data = x.into_data();
    let bias = match &conv.bias {
        Some(b) => b.val().into_data().try_into_vec::<f32>(),
        None => Ok(vec![0.0; cout]),
    };
    let (Ok(input), Ok(bias)) = (data.as_slice::<f32>(), bias) else {
        // Not f32 after all ([`banded_applies`] says it is): the backend's convolution.
        let out = conv.forward(Tensor::from_data(data, &device));
        return if relu { activation::relu(out) } else { out };
    };
    let wmat = conv.weight.val().reshape([cout, k]);
    let rows = (band_bytes / (k * w * 4).max(1)).clamp(1, h.max(1));
    let bands: Vec<Band> = (0..batch)
        .flat_map(|image| {
            (0..h).step_by(rows).map(move |r0| Band {
                image,
                rows: r0..(r0 + rows).min(h),
            })
        })
        .collect();
    let plane = cin * h * w;
    let mut out = vec![0.0f32; batch * cout * h * w];
    // Each band's part of the output: its rows in each of its image's cout planes (the planes
    // are cut into bands in order, so every band owns its slices and writes them itself).
    let per_image = h.div_ceil(rows);
    let mut targets: Vec<Vec<&mut [f32]>> =
        bands.iter().map(|_| Vec::with_capacity(cout)).collect();
    for (plane_index, out_plane) in out.chunks_mut((h * w).max(1)).enumerate() {
        let first = plane_index / cout * per_image;
        let mut rest = out_plane;
        for (band, target) in bands.iter().zip(&mut targets).skip(first).take(per_image) {
            let (part, tail) = std::mem::take(&mut rest).split_at_mut(band.rows.len() * w);
            target.push(part);
            rest = tail;
        }
    }
    bands
        .par_iter()
        .zip(targets)
        .for_each(|(band, mut target)| {
            let t = band.rows.len() * w;
            let mut cols = vec![0.0f32; k * t];
            let image = &input[band.image * plane..(band.image + 1) * plane];
            fill_cols(&mut cols, image, [h, w], band.rows.clone());
            let cols = Tensor::<2>::from_data(TensorData::new(cols, [k, t]), &device);
            // [cout, t]; the product of two f32 tensors is f32.
            let product = wmat.clone().matmul(cols).into_data();
            let Ok(product) = product.as_slice::<f32>() else {
                // Cannot happen (f32 times f32); if it did, these rows would stay zero: say so.
                tracing::error!("banded convolution: a product was not f32; rows left at zero");
                return;
            };
            for ((dst, src), add) in target.iter_mut().zip(product.chunks(t)).zip(&bias) {
                if relu {
                    // NaN passes, as burn's and PyTorch's ReLU let it.
                    for (d, s) in dst.iter_mut().zip(src) {
                        let v = s + add;
                        *d = if v > 0.0 || v.is_nan() { v } else { 0.0 };
                    }
                } else {
                    for (d, s) in dst.iter_mut().zip(src) {
                        *d = s + add;
                    }
                }
            }
        });
    Tensor::from_data(TensorData::new(out, [batch, cout, h, w]), &device)
}

/// Output rows of one image computed by one product.
struct Band {
    image: usize,
    rows: std::ops::Range<usize>,
}

/// The columns for output rows `rows` of one image (`[cin, h, w]`): column row
/// `c * 9 + ky * 3 + kx` (the weight's order) is input channel `c` shifted by `(ky - 1, kx - 1)`,
/// zero outside the image.
fn fill_cols(cols: &mut [f32], image: &[f32], [h, w]: [usize; 2], rows: std::ops::Range<usize>) {
    let t = rows.len() * w;
    if t == 0 {
        return;
    }
    for (row, dst) in cols.chunks_mut(t).enumerate() {
        let (c, tap) = (row / 9, row % 9);
        let (ky, kx) = (tap / 3, tap % 3);
        let src = &image[c * h * w..(c + 1) * h * w];
        for (d, y) in dst.chunks_mut(w).zip(rows.clone()) {
            // Input row y + ky - 1, if inside.
            let Some(s) = (y + ky).checked_sub(1).filter(|&sy| sy < h) else {
                d.fill(0.0);
                continue;
            };
            let s = &src[s * w..(s + 1) * w];
            match kx {
                0 => {
                    d[0] = 0.0;
                    d[1..].copy_from_slice(&s[..w - 1]);
                }
                1 => d.copy_from_slice(s),
                _ => {
                    d[..w - 1].copy_from_slice(&s[1..]);
                    d[w - 1] = 0.0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::Distribution;

    fn conv(cin: usize, cout: usize, bias: bool) -> Conv2d {
        Conv2dConfig::new([cin, cout], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(bias)
            .init(&Device::flex())
    }

    fn largest_difference(a: Tensor<4>, b: Tensor<4>) -> f32 {
        assert_eq!(a.dims(), b.dims());
        let a = a.into_data().try_to_vec::<f32>().unwrap();
        let b = b.into_data().try_to_vec::<f32>().unwrap();
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn banded_equals_the_backends_convolution_in_one_band_and_in_many() {
        let device = Device::flex();
        // Odd sizes, two images, a 1-pixel-wide and a 1-row-high input: every border case.
        for (batch, cin, cout, h, w) in [(2, 5, 7, 9, 13), (1, 3, 4, 1, 6), (1, 2, 3, 5, 1)] {
            for bias in [true, false] {
                let layer = conv(cin, cout, bias);
                let x = Tensor::<4>::random(
                    [batch, cin, h, w],
                    Distribution::Uniform(-1.0, 1.0),
                    &device,
                );
                let want = layer.forward(x.clone());
                for band_bytes in [0, 3 * cin * 9 * w * 4, BAND_BYTES] {
                    let got = conv3x3_banded_within(&layer, x.clone(), false, band_bytes);
                    let d = largest_difference(got, want.clone());
                    // Sums of cin * 9 products of values below 1 in another order.
                    assert!(
                        d < 1e-5,
                        "{batch}x{cin}x{h}x{w}, bias {bias}, bands of {band_bytes} B: {d}"
                    );
                }
                let got = conv3x3_banded_within(&layer, x, true, 0);
                let d = largest_difference(got, activation::relu(want));
                assert!(d < 1e-5, "with ReLU: {d}");
            }
        }
    }

    #[test]
    fn only_f32_size_keeping_3x3_convolutions_are_banded() {
        let device = Device::flex();
        let x = Tensor::<4>::zeros([1, 4, 8, 8], &device);
        assert!(banded_applies(&conv(4, 8, true), &x));
        let one = Conv2dConfig::new([4, 8], [1, 1]).init(&device);
        assert!(!banded_applies(&one, &x));
        let strided = Conv2dConfig::new([4, 8], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_stride([2, 2])
            .init(&device);
        assert!(!banded_applies(&strided, &x));
        let unpadded = Conv2dConfig::new([4, 8], [3, 3]).init(&device);
        assert!(!banded_applies(&unpadded, &x));
        assert!(!banded_applies(
            &conv(4, 8, true),
            &x.clone().cast(burn::tensor::FloatDType::F16)
        ));
    }

    #[test]
    fn nan_passes_the_folded_relu() {
        let device = Device::flex();
        let layer = conv(1, 1, true);
        let mut values = vec![0.5f32; 16];
        values[5] = f32::NAN;
        let x = Tensor::<4>::from_data(TensorData::new(values, [1, 1, 4, 4]), &device);
        let got = conv3x3_banded(&layer, x, true)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // Pixel 5's 3x3 neighbourhood (pixels 0-2, 4-6, 8-10) reads the NaN.
        for (i, v) in got.iter().enumerate() {
            let near = [0, 1, 2, 4, 5, 6, 8, 9, 10].contains(&i);
            assert_eq!(v.is_nan(), near, "pixel {i}: {v}");
            assert!(v.is_nan() || *v >= 0.0);
        }
    }
}
