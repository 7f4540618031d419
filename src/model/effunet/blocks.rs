//! EfficientNet's blocks as geffnet builds them: depthwise-separable (`ds`) and inverted
//! residual (`ir`) blocks with squeeze-excitation and swish.

use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, silu};
use serde::{Deserialize, Serialize};

/// geffnet's block types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockKind {
    /// `ds`: depthwise conv - BN - swish - SE - pointwise conv - BN.
    DepthwiseSeparable,
    /// `ir`: pointwise expansion - BN - swish - depthwise conv - BN - swish - SE - pointwise
    /// projection - BN.
    InvertedResidual,
}

/// One block's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockSpec {
    /// Its stage (0..7) and place in the stage.
    pub stage: usize,
    pub index: usize,
    pub kind: BlockKind,
    pub cin: usize,
    /// Channels of the depthwise convolution (`cin` for `ds`, `cin` x 6 rounded for `ir`).
    pub mid: usize,
    pub cout: usize,
    pub kernel: usize,
    pub stride: usize,
    /// Squeeze-excitation's reduced channels (a quarter of `cin`).
    pub se: usize,
}

/// A convolution without bias and its batch norm.
#[derive(Module, Debug)]
pub(super) struct ConvBn {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

impl ConvBn {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.bn.forward(self.conv.forward(x))
    }
}

/// A `ds` block (no `expand`) or an `ir` block.
#[derive(Module, Debug)]
pub(super) struct MbBlock {
    pub expand: Option<ConvBn>,
    pub depthwise: ConvBn,
    pub se_reduce: Conv2d,
    pub se_expand: Conv2d,
    pub project: ConvBn,
    /// Input added to the output (stride 1, as many channels out as in).
    #[module(skip)]
    pub residual: bool,
}

impl MbBlock {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let input = x.clone();
        let x = match &self.expand {
            Some(expand) => silu(expand.forward(x)),
            None => x,
        };
        let x = silu(self.depthwise.forward(x));
        // Squeeze-excitation: the channels' means through reduce - swish - expand, a sigmoid
        // gate per channel.
        let [b, c, _, _] = x.dims();
        let squeezed = x.clone().mean_dim(3).mean_dim(2).reshape([b, c, 1, 1]);
        let gate = sigmoid(
            self.se_expand
                .forward(silu(self.se_reduce.forward(squeezed))),
        );
        let x = self.project.forward(x * gate);
        if self.residual { x + input } else { x }
    }
}
