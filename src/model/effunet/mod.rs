//! The SpaceNet 6 winner's network (zbigniewwojna, `1-zbigniewwojna/main.py` of
//! SpaceNetChallenge/SpaceNet_SAR_Buildings_Solutions): a U-Net whose encoder is geffnet's
//! `tf_efficientnet_b5_ns` and whose decoder takes an extra input per tile (its strip one-hot,
//! its look direction and its y coordinate), giving six maps per pixel, of which the first
//! three are building footprint, edge and contact (`test_postprocess_single`).
//!
//! Layer for layer what main.py builds with `test.sh`'s arguments (stride 32, `extra_num` 1,
//! no batch norm in the decoder):
//!
//! ```text
//! enc0: conv 3x3/2 "same" (4 bands: the RGB stem + its G channel again) - BN - swish - stage 0
//! enc1..enc3: stages 1, 2, and 3+4; enc4: stages 5, 6, conv_head 1x1 - BN - swish
//!   stages: depthwise-separable (stage 0) and inverted-residual blocks with squeeze-excitation,
//!   TF "same" padding, batch norm eps 1e-3, swish
//! x = enc4 + relu(conv3x3(extra))            (bot0extra; the other extra branches are off)
//! x = relu(conv3x3(up2(x))) ++ enc3 -> relu(conv3x3)    (dec0, bot0), then dec1/bot1 with
//!   enc2, dec2/bot2 with enc1, dec3/bot3 with enc0, dec4; final 1x1 -> 6 logits
//! ```
//!
//! The width and depth are parameters ([`EffUNetConfig::efficientnet`]): B5's multipliers
//! (1.6, 2.2) and the decoder widths 32, 64, 128, 256, 1024 for the real weights, narrower for
//! networks trained here.

mod blocks;
mod infer;
mod load;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNormConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, silu};
use serde::{Deserialize, Serialize};

pub use blocks::{BlockKind, BlockSpec};
use blocks::{ConvBn, MbBlock};
pub use infer::{
    BAND_ORDER, Extra, MAP_BANDS, MEANS, STDS, Tta, WinnerLogits, holds_three_maps, predict_winner,
    resize_bilinear, valid_extent, winner_input,
};
pub use load::{LoadedEffUNet, is_effunet_file, load_effunet, save_effunet};

/// The footprint, edge and contact maps among the network's six outputs
/// (`test_postprocess_single`: `mask[0]`, `mask[1]`, `mask[2]`).
pub const FOOTPRINT: usize = 0;
pub const EDGE: usize = 1;
pub const CONTACT: usize = 2;
/// Outputs per pixel.
pub const OUTPUTS: usize = 6;
/// Strips in the winner's orientation table (SN6's `SAR_orientations.txt`): the one-hot's length.
pub const SN6_STRIPS: usize = 204;

/// One EfficientNet stage: how many blocks and their output channels (kernel, stride and
/// expansion are the B0 definition's, [`STAGES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub repeats: usize,
    pub channels: usize,
}

/// EfficientNet-B0's stages (geffnet's `arch_def`): kind, repeats, kernel, stride, expansion,
/// channels; every block with squeeze-excitation 0.25.
pub const STAGES: [(BlockKind, usize, usize, usize, usize, usize); 7] = [
    (BlockKind::DepthwiseSeparable, 1, 3, 1, 1, 16),
    (BlockKind::InvertedResidual, 2, 3, 2, 6, 24),
    (BlockKind::InvertedResidual, 2, 5, 2, 6, 40),
    (BlockKind::InvertedResidual, 3, 3, 2, 6, 80),
    (BlockKind::InvertedResidual, 3, 5, 1, 6, 112),
    (BlockKind::InvertedResidual, 4, 5, 2, 6, 192),
    (BlockKind::InvertedResidual, 1, 3, 1, 6, 320),
];

/// The batch-norm epsilon of TF-ported EfficientNets (geffnet's `BN_EPS_TF_DEFAULT`).
pub const BN_EPS: f64 = 1e-3;

/// The shape of the network: every width and depth explicit, so a checkpoint's shapes give it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffUNetConfig {
    /// Input bands (4: the SN6 bands in the winner's order HH, VV, HV, VH).
    pub in_channels: usize,
    /// The stem's output channels.
    pub stem: usize,
    pub stages: [Stage; 7],
    /// conv_head's output channels.
    pub head: usize,
    /// The decoder's widths, main.py's `dec_ch` (dec4's first).
    pub dec_ch: [usize; 5],
    /// Strips of the one-hot (the extra input has `strips + 2` values: one-hot, direction, y).
    pub strips: usize,
    /// How many of the extra input's branches are live (main.py's `extra_num`; test.sh: 1).
    pub extra_num: usize,
}

/// Why an [`EffUNetConfig`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EffConfigError {
    #[error("the network needs at least one input band")]
    NoInput,
    #[error("stage {0} has no blocks or no channels")]
    EmptyStage(usize),
    #[error("a width of 0 in the stem, head or decoder")]
    ZeroWidth,
    #[error("extra_num {0} is above 6 (main.py has six extra branches)")]
    ExtraNum(usize),
}

/// geffnet's `make_divisible`: `v` to a multiple of `divisor` (at least `divisor`), never
/// more than 10% below `v`.
pub fn make_divisible(v: f64, divisor: usize) -> usize {
    let d = divisor as f64;
    let mut new = (((v + d / 2.0) as usize) / divisor * divisor).max(divisor);
    if (new as f64) < 0.9 * v {
        new += divisor;
    }
    new
}

/// geffnet's `round_channels`: `channels` times the width multiplier, to a multiple of 8.
pub fn round_channels(channels: usize, multiplier: f64) -> usize {
    make_divisible(channels as f64 * multiplier, 8)
}

impl EffUNetConfig {
    /// An EfficientNet U-Net of the given width and depth multipliers (geffnet's rounding:
    /// channels to multiples of 8, repeats rounded up), decoder widths `dec_ch`.
    pub fn efficientnet(
        channel_multiplier: f64,
        depth_multiplier: f64,
        dec_ch: [usize; 5],
    ) -> Self {
        let stages = STAGES.map(|(_, repeats, _, _, _, channels)| Stage {
            repeats: ((repeats as f64 * depth_multiplier).ceil() as usize).max(1),
            channels: round_channels(channels, channel_multiplier),
        });
        Self {
            in_channels: 4,
            stem: round_channels(32, channel_multiplier),
            stages,
            head: round_channels(1280, channel_multiplier),
            dec_ch,
            strips: SN6_STRIPS,
            extra_num: 1,
        }
    }

    /// The winner's network: EfficientNet-B5 (1.6, 2.2), decoder 32, 64, 128, 256, 1024, the
    /// 204 SN6 strips, one extra branch (test.sh).
    pub fn winner() -> Self {
        Self::efficientnet(1.6, 2.2, [32, 64, 128, 256, 1024])
    }

    pub fn validate(&self) -> Result<(), EffConfigError> {
        if self.in_channels == 0 {
            return Err(EffConfigError::NoInput);
        }
        if let Some(i) = self
            .stages
            .iter()
            .position(|s| s.repeats == 0 || s.channels == 0)
        {
            return Err(EffConfigError::EmptyStage(i));
        }
        if self.stem == 0 || self.head == 0 || self.dec_ch.contains(&0) {
            return Err(EffConfigError::ZeroWidth);
        }
        if self.extra_num > 6 {
            return Err(EffConfigError::ExtraNum(self.extra_num));
        }
        Ok(())
    }

    /// The first way `self` differs from `other`, in words (`None` when they are equal).
    pub fn first_difference(&self, other: &Self) -> Option<String> {
        let pairs = [
            (
                "input bands",
                format!("{}", self.in_channels),
                format!("{}", other.in_channels),
            ),
            (
                "stem channels",
                format!("{}", self.stem),
                format!("{}", other.stem),
            ),
            (
                "stages",
                format!("{:?}", self.stages),
                format!("{:?}", other.stages),
            ),
            (
                "head channels",
                format!("{}", self.head),
                format!("{}", other.head),
            ),
            (
                "decoder widths",
                format!("{:?}", self.dec_ch),
                format!("{:?}", other.dec_ch),
            ),
            (
                "strips",
                format!("{}", self.strips),
                format!("{}", other.strips),
            ),
            (
                "extra_num",
                format!("{}", self.extra_num),
                format!("{}", other.extra_num),
            ),
        ];
        pairs
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map(|(what, a, b)| format!("{what} {a} vs {b}"))
    }

    /// Values of the extra input: the strip one-hot, the direction, the y coordinate.
    pub fn extra_channels(&self) -> usize {
        self.strips + 2
    }

    /// Every block of the encoder, in order, with its stage.
    pub fn blocks(&self) -> Vec<BlockSpec> {
        let mut out = Vec::new();
        let mut cin = self.stem;
        for (stage, (&(kind, _, kernel, stride, expansion, _), s)) in
            STAGES.iter().zip(&self.stages).enumerate()
        {
            for index in 0..s.repeats {
                let mid = match kind {
                    BlockKind::DepthwiseSeparable => cin,
                    BlockKind::InvertedResidual => make_divisible((cin * expansion) as f64, 8),
                };
                out.push(BlockSpec {
                    stage,
                    index,
                    kind,
                    cin,
                    mid,
                    cout: s.channels,
                    kernel,
                    stride: if index == 0 { stride } else { 1 },
                    se: make_divisible(cin as f64 * 0.25, 1),
                });
                cin = s.channels;
            }
        }
        out
    }

    /// The channels of enc0..enc4 (main.py's `enc_ch`: 24, 40, 64, 176, 2048 for B5).
    pub fn enc_channels(&self) -> [usize; 5] {
        let s = &self.stages;
        [
            s[0].channels,
            s[1].channels,
            s[2].channels,
            s[4].channels,
            self.head,
        ]
    }

    /// Builds the network with fresh weights: PyTorch's default initialization (what loaded
    /// weights replace), batch norms at the identity.
    pub fn init(&self, device: &Device) -> EffUNet {
        self.init_with(
            device,
            &Initializer::KaimingUniform {
                gain: 1.0 / 3f64.sqrt(),
                fan_out_only: false,
            },
        )
    }

    /// Builds the network for training from scratch: He-normal convolutions (main.py's
    /// `_initialize_weights` for its decoder).
    pub fn init_for_training(&self, device: &Device) -> EffUNet {
        self.init_with(
            device,
            &Initializer::KaimingNormal {
                gain: 2f64.sqrt(),
                fan_out_only: false,
            },
        )
    }

    fn init_with(&self, device: &Device, init: &Initializer) -> EffUNet {
        let conv = |cin: usize, cout: usize, k: usize| {
            Conv2dConfig::new([cin, cout], [k, k])
                .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
                .with_initializer(init.clone())
                .init(device)
        };
        let conv_bn = |cin: usize, cout: usize, k: usize, stride: usize, groups: usize| ConvBn {
            conv: Conv2dConfig::new([cin, cout], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Same)
                .with_groups(groups)
                .with_bias(false)
                .with_initializer(init.clone())
                .init(device),
            bn: BatchNormConfig::new(cout).with_epsilon(BN_EPS).init(device),
        };
        let blocks = self
            .blocks()
            .into_iter()
            .map(|b| MbBlock {
                expand: (b.kind == BlockKind::InvertedResidual)
                    .then(|| conv_bn(b.cin, b.mid, 1, 1, 1)),
                depthwise: conv_bn(b.mid, b.mid, b.kernel, b.stride, b.mid),
                se_reduce: conv(b.mid, b.se, 1),
                se_expand: conv(b.se, b.mid, 1),
                project: conv_bn(b.mid, b.cout, 1, 1, 1),
                residual: b.stride == 1 && b.cin == b.cout,
            })
            .collect();
        let enc = self.enc_channels();
        let d = self.dec_ch;
        let ex = self.extra_channels();
        EffUNet {
            stem: conv_bn(self.in_channels, self.stem, 3, 2, 1),
            blocks,
            head: conv_bn(self.stages[6].channels, self.head, 1, 1, 1),
            extra: vec![
                conv(ex, enc[4], 3),
                conv(ex, d[4], 3),
                conv(ex, d[3], 3),
                conv(ex, d[2], 3),
                conv(ex, d[1], 3),
                conv(ex, OUTPUTS, 3),
            ],
            dec: vec![
                conv(enc[4], d[4], 3),
                conv(d[4], d[3], 3),
                conv(d[3], d[2], 3),
                conv(d[2], d[1], 3),
                conv(d[1], d[0], 3),
            ],
            bot: vec![
                conv(enc[3] + d[4], d[4], 3),
                conv(enc[2] + d[3], d[3], 3),
                conv(enc[1] + d[2], d[2], 3),
                conv(enc[0] + d[1], d[1], 3),
            ],
            final_conv: conv(d[0], OUTPUTS, 1),
            stage_ends: self.stage_ends(),
            extra_num: self.extra_num,
        }
    }

    /// The number of blocks up to the end of each stage.
    fn stage_ends(&self) -> [usize; 7] {
        let mut ends = [0; 7];
        let mut n = 0;
        for (end, s) in ends.iter_mut().zip(&self.stages) {
            n += s.repeats;
            *end = n;
        }
        ends
    }

    /// Number of trainable parameters (batch-norm statistics not counted).
    pub fn parameter_count(&self) -> usize {
        load::tensor_specs(self)
            .iter()
            .filter(|t| !t.statistic)
            .map(|t| t.shape.iter().product::<usize>())
            .sum()
    }
}

/// The network. Build it with [`EffUNetConfig::init`], load weights with [`load_effunet`].
#[derive(Module, Debug)]
pub struct EffUNet {
    stem: ConvBn,
    blocks: Vec<MbBlock>,
    head: ConvBn,
    /// main.py's bot0extra .. bot5extra.
    extra: Vec<Conv2d>,
    /// dec0 .. dec4.
    dec: Vec<Conv2d>,
    /// bot0 .. bot3.
    bot: Vec<Conv2d>,
    final_conv: Conv2d,
    #[module(skip)]
    stage_ends: [usize; 7],
    #[module(skip)]
    extra_num: usize,
}

/// Nearest-neighbour upsampling by 2 (PyTorch's `nn.Upsample(scale_factor=2)`).
fn up2(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1])
        .expand([b, c, h, 2, w, 2])
        .reshape([b, c, 2 * h, 2 * w])
}

impl EffUNet {
    /// The network with `n` of its extra-input branches live (main.py's `extra_num`, which
    /// its checkpoints do not record).
    pub fn with_extra_num(mut self, n: usize) -> Self {
        self.extra_num = n.min(6);
        self
    }

    /// The six maps' logits per pixel.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, H, W]`, H and W multiples of 32
    /// - `extra`: `[batch, strips + 2]`: strip one-hot, direction (1: south), tile y - 0.5
    /// - output: `[batch, 6, H, W]`
    pub fn forward(&self, x: Tensor<4>, extra: Tensor<2>) -> Tensor<4> {
        let [b, e] = extra.dims();
        let ex = extra.reshape([b, e, 1, 1]);
        let mut x = silu(self.stem.forward(x));
        let mut skips = Vec::with_capacity(4);
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.forward(x);
            // enc0, enc1, enc2 end with stages 0, 1, 2; enc3 with stage 4.
            if [0, 1, 2, 4].iter().any(|&s| self.stage_ends[s] == i + 1) {
                skips.push(x.clone());
            }
        }
        let mut x = silu(self.head.forward(x));
        let conv_relu = |conv: &Conv2d, x: Tensor<4>| relu(conv.forward(x));
        for level in 0..5 {
            if self.extra_num > level {
                x = x + conv_relu(&self.extra[level], ex.clone());
            }
            x = conv_relu(&self.dec[level], up2(x));
            if level < 4
                && let Some(skip) = skips.pop()
            {
                x = conv_relu(&self.bot[level], Tensor::cat(vec![x, skip], 1));
            }
        }
        let mut out = self.final_conv.forward(x);
        if self.extra_num > 5 {
            out = out + conv_relu(&self.extra[5], ex);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b5_has_the_winner_s_widths_and_depths() {
        let c = EffUNetConfig::winner();
        assert_eq!(c.enc_channels(), [24, 40, 64, 176, 2048]);
        assert_eq!(c.stem, 48);
        let repeats: Vec<usize> = c.stages.iter().map(|s| s.repeats).collect();
        assert_eq!(repeats, vec![3, 5, 5, 7, 7, 9, 3]);
        assert_eq!(c.blocks().len(), 39);
        // B5's first inverted residual: 24 -> 144 -> 40, squeeze to 6.
        let first = c.blocks()[3];
        assert_eq!(
            (first.cin, first.mid, first.cout, first.se),
            (24, 144, 40, 6)
        );
        assert_eq!(make_divisible(19.2, 8), 24);
    }

    #[test]
    fn forward_gives_six_maps_at_the_input_size() {
        let device = Device::flex();
        let mut c = EffUNetConfig::efficientnet(0.1, 0.5, [8, 8, 8, 8, 16]);
        c.strips = 3;
        let model = c.init(&device);
        let x = Tensor::<4>::zeros([2, 4, 64, 96], &device);
        let extra = Tensor::<2>::zeros([2, 5], &device);
        assert_eq!(model.forward(x, extra).dims(), [2, OUTPUTS, 64, 96]);
    }
}
