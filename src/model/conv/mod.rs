//! The forms the network's 3x3 convolutions are computed in: the backend's own, one matrix
//! product over shifted copies of the input ([`conv_by_matmul`] in `im2col.rs`; GPUs), or
//! products over bands of output rows with the bias and the ReLU folded in ([`banded`],
//! burn's CPU backend).

pub mod banded;
mod im2col;

pub use im2col::{IM2COL_BYTES, conv_by_matmul};

use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu;

/// How the network's 3x3 convolutions are computed. Every form gives the same numbers (to float
/// rounding) and they differ in speed by backend (`benches/unet11.rs -- --layers` times each
/// layer as the backend's and in the device's form). The decoder's transposed convolutions are
/// always the backend's: on an H200, burn wgpu's transposed kernel beat the same layer written
/// as four ordinary convolutions (its output phases) by 1.7 to 8 times, and so did flex's by 2
/// to 5 times here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvForm {
    /// The backend's convolution.
    Backend,
    /// One matrix product over the input's shifted copies ([`conv_by_matmul`]).
    Im2col,
    /// Products over bands of output rows with the bias and the ReLU folded in
    /// ([`banded::conv3x3_banded`]): burn's CPU backend.
    Banded,
}

impl ConvForm {
    /// The form for `device`. burn flex: [`ConvForm::Banded`] (`--layers`: 1.1-1.3x faster
    /// than flex's own convolution on the layers with 64 or more input channels, as fast on
    /// conv1's 4, and the ReLU folded in; the window 1.4x faster, see [`banded`]). GPU backends:
    /// the matrix product, since without matrix units their only dense convolution is a direct
    /// kernel (an H200: 1-6 TFLOP/s direct, 4-8 as one matrix product). Training (an autodiff
    /// device) keeps the backend's convolution: the backward pass needs it (banded reads values
    /// on the host), and im2col would keep every layer's copies, ~2.3 GB per full-width 512 px
    /// window.
    pub fn for_device(device: &Device) -> Self {
        if device.is_autodiff() {
            Self::Backend
        } else if *device == Device::flex() {
            Self::Banded
        } else {
            Self::Im2col
        }
    }
}

/// `conv` (one of the network's: stride 1, padded to keep the size) computed as `form` says.
pub fn conv_as(conv: &Conv2d, x: Tensor<4>, form: ConvForm) -> Tensor<4> {
    match form {
        ConvForm::Banded if banded::banded_applies(conv, &x) => {
            banded::conv3x3_banded(conv, x, false)
        }
        ConvForm::Backend | ConvForm::Banded => conv.forward(x),
        ConvForm::Im2col => {
            let [_, _, kh, kw] = conv.weight.dims();
            let pad = |k: usize| (k / 2, (k - 1) / 2);
            conv_by_matmul(
                x,
                conv.weight.val(),
                conv.bias.as_ref().map(|b| b.val()),
                [pad(kh), pad(kw)],
            )
        }
    }
}

/// `relu(conv_as(conv, x, form))`, the ReLU folded into the convolution where the form allows.
pub fn conv_relu_as(conv: &Conv2d, x: Tensor<4>, form: ConvForm) -> Tensor<4> {
    match form {
        ConvForm::Banded if banded::banded_applies(conv, &x) => {
            banded::conv3x3_banded(conv, x, true)
        }
        _ => relu(conv_as(conv, x, form)),
    }
}

/// Test helper: `got` within `tolerance` of `want`, relative to `want`'s largest value.
#[cfg(test)]
pub(crate) fn assert_close(got: Tensor<4>, want: Tensor<4>, tolerance: f32) {
    let diff = (got - want.clone()).abs().max().into_scalar::<f32>();
    let scale = want.abs().max().into_scalar::<f32>();
    assert!(
        diff <= tolerance * scale.max(1.0),
        "max diff {diff} (scale {scale})"
    );
}
