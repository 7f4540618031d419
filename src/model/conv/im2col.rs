//! A convolution as matrix products over shifted copies of the input (im2col): what backends
//! without a tuned convolution run fastest.

use burn::prelude::*;
use burn::tensor::ops::PadMode;

/// The most bytes of shifted input copies [`conv_by_matmul`] makes at once. GPU buffers have
/// a size limit (an H200 refused 3.6 GB: the last layer of a batch of four 512 px windows), so
/// larger inputs are done a few images, or a band of rows, at a time.
pub const IM2COL_BYTES: usize = 1 << 30;

/// A stride-1 convolution as matrix products: the `k * k` shifted copies of the padded input
/// stacked as `[batch, cin * k * k, pixels]` (im2col) and multiplied by the weight seen as
/// `[cout, cin * k * k]`, at most [`IM2COL_BYTES`] of copies at a time. Backends without a
/// tuned convolution (burn's GPU backends without matrix units run a direct kernel) tune
/// matrix products far better.
///
/// `pad` is `(before, after)` for rows and for columns.
///
/// # Shapes
/// - input: `[batch, cin, h, w]`, weight `[cout, cin, kh, kw]`, bias `[cout]`
/// - output: `[batch, cout, h + pad_rows - kh + 1, w + pad_cols - kw + 1]`
pub fn conv_by_matmul(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    pad: [(usize, usize); 2],
) -> Tensor<4> {
    conv_by_matmul_within(x, weight, bias, pad, IM2COL_BYTES)
}

/// [`conv_by_matmul`] making at most `budget` bytes of shifted copies at once (at least one
/// output row's).
pub(super) fn conv_by_matmul_within(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    pad: [(usize, usize); 2],
    budget: usize,
) -> Tensor<4> {
    let [batch, cin, h, w] = x.dims();
    let [cout, _, kh, kw] = weight.dims();
    let x = if pad == [(0, 0); 2] {
        x
    } else {
        x.pad(pad, PadMode::Constant(0.0))
    };
    let oh = h + pad[0].0 + pad[0].1 + 1 - kh;
    let ow = w + pad[1].0 + pad[1].1 + 1 - kw;
    let weight = weight.reshape([1, cout, cin * kh * kw]);
    // Output rows per product: whole images while they fit, else bands of rows.
    let row_bytes = cin * kh * kw * ow * std::mem::size_of::<f32>();
    let rows = (budget / row_bytes.max(1)).max(1);
    let images = (rows / oh.max(1)).clamp(1, batch.max(1));
    let mut parts = Vec::new();
    for b0 in (0..batch).step_by(images) {
        let b1 = (b0 + images).min(batch);
        let mut bands = Vec::new();
        for r0 in (0..oh).step_by(rows.min(oh).max(1)) {
            let r1 = (r0 + rows).min(oh);
            let input = x
                .clone()
                .slice([b0..b1, 0..cin, r0..r1 + kh - 1, 0..ow + kw - 1]);
            bands.push(im2col_product(
                input,
                weight.clone(),
                [kh, kw],
                [r1 - r0, ow],
            ));
        }
        parts.push(Tensor::cat(bands, 2));
    }
    let out = Tensor::cat(parts, 0);
    match bias {
        Some(b) => out + b.reshape([1, cout, 1, 1]),
        None => out,
    }
}

/// One product of [`conv_by_matmul`]: `input` already padded, `weight` as `[1, cout, cin * k *
/// k]`, the output `size` rows by columns.
fn im2col_product(
    input: Tensor<4>,
    weight: Tensor<3>,
    [kh, kw]: [usize; 2],
    [oh, ow]: [usize; 2],
) -> Tensor<4> {
    let [batch, cin, _, _] = input.dims();
    let [_, cout, _] = weight.dims();
    let mut taps = Vec::with_capacity(kh * kw);
    for ky in 0..kh {
        for kx in 0..kw {
            taps.push(
                input
                    .clone()
                    .slice([0..batch, 0..cin, ky..ky + oh, kx..kx + ow]),
            );
        }
    }
    // [batch, cin, taps, oh, ow]: the tap index runs fastest within a channel, as in the weight.
    let cols = Tensor::stack::<5>(taps, 2).reshape([batch, cin * kh * kw, oh * ow]);
    weight.matmul(cols).reshape([batch, cout, oh, ow])
}

#[cfg(test)]
mod tests {
    use super::super::assert_close;
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::{Initializer, PaddingConfig2d};
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;

    /// The im2col form equals the backend's convolution: 3x3 and 1x1 "same" convolutions, a
    /// 2x2 one padded at the end only, with and without bias, odd sizes, a batch of three.
    #[test]
    fn the_im2col_convolution_is_the_convolution() {
        let device = Device::flex();
        let uniform = burn::tensor::Distribution::Uniform(-1.0, 1.0);
        for (cin, cout, k, h, w, bias) in [
            (3, 5, 3, 7, 4, true),
            (6, 2, 1, 3, 5, true),
            (4, 4, 3, 1, 1, false),
        ] {
            let conv = Conv2dConfig::new([cin, cout], [k, k])
                .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
                .with_bias(bias)
                .with_initializer(Initializer::Uniform {
                    min: -1.0,
                    max: 1.0,
                })
                .init(&device);
            let x = Tensor::<4>::random([3, cin, h, w], uniform, &device);
            let got =
                crate::model::conv::conv_as(&conv, x.clone(), crate::model::conv::ConvForm::Im2col);
            assert_eq!(got.dims(), [3, cout, h, w]);
            assert_close(got, conv.forward(x), 1e-5);
        }
        let x = Tensor::<4>::random([2, 3, 5, 6], uniform, &device);
        let weight = Tensor::<4>::random([4, 3, 2, 2], uniform, &device);
        let bias = Tensor::<1>::random([4], uniform, &device);
        let options = ConvOptions::new_with_padding([1, 1], [(0, 1), (0, 1)], [1, 1], 1);
        let want = conv2d(x.clone(), weight.clone(), Some(bias.clone()), options);
        let got = conv_by_matmul(
            x.clone(),
            weight.clone(),
            Some(bias.clone()),
            [(0, 1), (0, 1)],
        );
        assert_eq!(got.dims(), [2, 4, 5, 6]);
        assert_close(got, want.clone(), 1e-5);
        // Done in parts: one output row is 3 * 4 * 6 * 4 = 288 bytes of copies; budgets for
        // the whole batch, one image, one image and a band of 2 rows then 1 (ragged), 1 row.
        for rows in [10, 5, 2, 1, 0] {
            let got = conv_by_matmul_within(
                x.clone(),
                weight.clone(),
                Some(bias.clone()),
                [(0, 1), (0, 1)],
                rows * 288,
            );
            assert_eq!(got.dims(), [2, 4, 5, 6]);
            assert_close(got, want.clone(), 1e-5);
        }
    }
}
