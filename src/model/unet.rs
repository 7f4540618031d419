//! TernausNet's UNet11 (a U-Net with a VGG11 encoder), the SpaceNet 6 baseline's network.
//!
//! Layer for layer what `CosmiQ_SN6_Baseline/model.py` builds: a VGG11 `features` encoder with 4
//! input channels and no batch norm, `DecoderBlock`s (conv 3x3 + ReLU, then a stride-2 transposed
//! conv 3x3 with output padding 1 + ReLU), `num_filters = 32`, and a 1x1 convolution to one raw
//! logit per pixel. [`UNet11Config::width_divisor`] narrows every layer for small models that
//! train and test quickly; 1 is the real baseline (22,927,969 parameters).

use burn::module::{ModuleMapper, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::FloatDType;
use burn::tensor::activation::relu;

use super::conv::{ConvForm, conv_relu_as};

/// The shape of a UNet11.
#[derive(Config, Debug, PartialEq, Eq)]
pub struct UNet11Config {
    /// Input bands (4 for SN6: HH, HV, VH, VV).
    #[config(default = 4)]
    pub in_channels: usize,
    /// Divides every encoder width (64, 128, 256, 512, 512) and `num_filters` (32): one of 1, 2,
    /// 4, 8, 16, 32. 1 is the published baseline.
    #[config(default = 1)]
    pub width_divisor: usize,
}

/// Why a [`UNet11Config`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("width divisor {0} is not one of 1, 2, 4, 8, 16, 32")]
    WidthDivisor(usize),
    #[error("a UNet11 needs at least one input band")]
    NoInput,
}

/// One convolution of the network: its PyTorch name, our module path and its weight's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSpec {
    /// The name in the baseline's `state_dict` (`dec5.block.0.conv`).
    pub torch: &'static str,
    /// The VGG `encoder.N` alias PyTorch also stores for encoder convolutions.
    pub torch_alias: Option<&'static str>,
    /// The path in our module (`dec5.conv`).
    pub ours: &'static str,
    /// The weight's shape, PyTorch's layout: `[out, in, k, k]` for a convolution and
    /// `[in, out, k, k]` for a transposed one (burn uses the same layouts).
    pub weight: [usize; 4],
}

impl UNet11Config {
    /// The real baseline: 4 bands in, full width.
    pub fn baseline() -> Self {
        Self::new()
    }

    /// Checks the divisor; the error says what is allowed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.width_divisor, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(ConfigError::WidthDivisor(self.width_divisor));
        }
        if self.in_channels == 0 {
            return Err(ConfigError::NoInput);
        }
        Ok(())
    }

    /// Encoder widths (conv1, conv2, conv3, conv4, conv5) and `num_filters`.
    fn widths(&self) -> ([usize; 5], usize) {
        let d = self.width_divisor.max(1);
        ([64 / d, 128 / d, 256 / d, 512 / d, 512 / d], 32 / d)
    }

    /// Every convolution with its names and shape, in the order of the forward pass: the one
    /// table the network is built from, its weights are named by and its parameters counted by.
    pub fn layers(&self) -> [LayerSpec; 20] {
        let ([c1, c2, c3, c4, c5], nf) = self.widths();
        let cin = self.in_channels;
        let spec = |torch, torch_alias, ours, weight| LayerSpec {
            torch,
            torch_alias,
            ours,
            weight,
        };
        [
            spec("conv1", Some("encoder.0"), "conv1", [c1, cin, 3, 3]),
            spec("conv2", Some("encoder.3"), "conv2", [c2, c1, 3, 3]),
            spec("conv3s", Some("encoder.6"), "conv3s", [c3, c2, 3, 3]),
            spec("conv3", Some("encoder.8"), "conv3", [c3, c3, 3, 3]),
            spec("conv4s", Some("encoder.11"), "conv4s", [c4, c3, 3, 3]),
            spec("conv4", Some("encoder.13"), "conv4", [c4, c4, 3, 3]),
            spec("conv5s", Some("encoder.16"), "conv5s", [c5, c4, 3, 3]),
            spec("conv5", Some("encoder.18"), "conv5", [c5, c5, 3, 3]),
            spec(
                "center.block.0.conv",
                None,
                "center.conv",
                [nf * 16, c5, 3, 3],
            ),
            spec("center.block.1", None, "center.up", [nf * 16, nf * 8, 3, 3]),
            spec(
                "dec5.block.0.conv",
                None,
                "dec5.conv",
                [nf * 16, nf * 8 + c5, 3, 3],
            ),
            spec("dec5.block.1", None, "dec5.up", [nf * 16, nf * 8, 3, 3]),
            spec(
                "dec4.block.0.conv",
                None,
                "dec4.conv",
                [nf * 16, nf * 8 + c4, 3, 3],
            ),
            spec("dec4.block.1", None, "dec4.up", [nf * 16, nf * 4, 3, 3]),
            spec(
                "dec3.block.0.conv",
                None,
                "dec3.conv",
                [nf * 8, nf * 4 + c3, 3, 3],
            ),
            spec("dec3.block.1", None, "dec3.up", [nf * 8, nf * 2, 3, 3]),
            spec(
                "dec2.block.0.conv",
                None,
                "dec2.conv",
                [nf * 4, nf * 2 + c2, 3, 3],
            ),
            spec("dec2.block.1", None, "dec2.up", [nf * 4, nf, 3, 3]),
            spec("dec1.conv", None, "dec1", [nf, nf + c1, 3, 3]),
            spec("final", None, "final_conv", [1, nf, 1, 1]),
        ]
    }

    /// Number of trainable parameters (weights and biases).
    pub fn parameter_count(&self) -> usize {
        self.layers()
            .iter()
            .map(|l| {
                let out = if l.ours.ends_with(".up") {
                    l.weight[1]
                } else {
                    l.weight[0]
                };
                l.weight.iter().product::<usize>() + out
            })
            .sum()
    }

    /// Builds the network with fresh weights on `device`, initialized as PyTorch initializes
    /// its layers (Kaiming uniform with gain 1/sqrt(3)): the state weights are loaded into.
    pub fn init(&self, device: &Device) -> UNet11 {
        self.init_with(
            device,
            &Initializer::KaimingUniform {
                gain: 1.0 / 3f64.sqrt(),
                fan_out_only: false,
            },
        )
    }

    /// Builds the network with He-normal weights (gain sqrt(2), for ReLU): the start for
    /// training from scratch. TernausNet starts from an ImageNet VGG11; without it and without
    /// batch norm, PyTorch's default initialization shrinks the signal layer after layer and a
    /// from-scratch UNet11 barely learns.
    pub fn init_for_training(&self, device: &Device) -> UNet11 {
        self.init_with(
            device,
            &Initializer::KaimingNormal {
                gain: 2f64.sqrt(),
                fan_out_only: false,
            },
        )
    }

    fn init_with(&self, device: &Device, init: &Initializer) -> UNet11 {
        let [
            conv1,
            conv2,
            conv3s,
            conv3,
            conv4s,
            conv4,
            conv5s,
            conv5,
            center_conv,
            center_up,
            dec5_conv,
            dec5_up,
            dec4_conv,
            dec4_up,
            dec3_conv,
            dec3_up,
            dec2_conv,
            dec2_up,
            dec1,
            final_conv,
        ] = self.layers();
        let conv = |spec: LayerSpec| {
            let [cout, cin, kh, kw] = spec.weight;
            let mut config =
                Conv2dConfig::new([cin, cout], [kh, kw]).with_initializer(init.clone());
            if kh > 1 {
                config =
                    config.with_padding(PaddingConfig2d::Explicit(kh / 2, kw / 2, kh / 2, kw / 2));
            }
            config.init(device)
        };
        // A decoder block from its convolution ([cmid, cin]) and its transposed one ([cmid,
        // cout]: PyTorch keeps a transposed convolution's weight as [in, out]).
        let block = |conv_spec: LayerSpec, up: LayerSpec| DecoderBlock {
            conv: conv(conv_spec),
            up: ConvTranspose2dConfig::new([up.weight[0], up.weight[1]], [3, 3])
                .with_initializer(init.clone())
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_padding_out([1, 1])
                .init(device),
        };
        UNet11 {
            conv1: conv(conv1),
            conv2: conv(conv2),
            conv3s: conv(conv3s),
            conv3: conv(conv3),
            conv4s: conv(conv4s),
            conv4: conv(conv4),
            conv5s: conv(conv5s),
            conv5: conv(conv5),
            center: block(center_conv, center_up),
            dec5: block(dec5_conv, dec5_up),
            dec4: block(dec4_conv, dec4_up),
            dec3: block(dec3_conv, dec3_up),
            dec2: block(dec2_conv, dec2_up),
            dec1: conv(dec1),
            final_conv: conv(final_conv),
            pool: MaxPool2dConfig::new([2, 2]).init(),
        }
    }
}

/// TernausNet's `DecoderBlock`: conv 3x3 + ReLU, then a transposed conv 3x3 that doubles the
/// size (stride 2, padding 1, output padding 1) + ReLU.
#[derive(Module, Debug)]
pub struct DecoderBlock {
    conv: Conv2d,
    up: ConvTranspose2d,
}

impl DecoderBlock {
    /// # Shapes
    /// - input: `[batch, cin, h, w]`
    /// - output: `[batch, cout, 2h, 2w]`
    fn forward(&self, x: Tensor<4>, form: ConvForm) -> Tensor<4> {
        relu(self.up.forward(conv_relu_as(&self.conv, x, form)))
    }
}

/// The network. Build it with [`UNet11Config::init`], load weights with
/// [`crate::model::load_weights`].
#[derive(Module, Debug)]
pub struct UNet11 {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3s: Conv2d,
    conv3: Conv2d,
    conv4s: Conv2d,
    conv4: Conv2d,
    conv5s: Conv2d,
    conv5: Conv2d,
    center: DecoderBlock,
    dec5: DecoderBlock,
    dec4: DecoderBlock,
    dec3: DecoderBlock,
    dec2: DecoderBlock,
    dec1: Conv2d,
    final_conv: Conv2d,
    pool: MaxPool2d,
}

impl UNet11 {
    /// Raw logits (no sigmoid), one per pixel.
    ///
    /// # Shapes
    /// - input: `[batch, in_channels, H, W]`, H and W multiples of 32
    /// - output: `[batch, 1, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let form = ConvForm::for_device(&x.device());
        self.forward_with(x, form)
    }

    /// [`UNet11::forward`] with the 3x3 convolutions computed in the given form.
    ///
    /// The input is cast to the weights' precision ([`UNet11::with_precision`]) and the logits
    /// come back as f32 whatever it is.
    pub fn forward_with(&self, x: Tensor<4>, form: ConvForm) -> Tensor<4> {
        let conv = |layer: &Conv2d, x| conv_relu_as(layer, x, form);
        let x = x.cast(self.precision());
        let conv1 = conv(&self.conv1, x);
        let conv2 = conv(&self.conv2, self.pool.forward(conv1.clone()));
        let conv3s = conv(&self.conv3s, self.pool.forward(conv2.clone()));
        let conv3 = conv(&self.conv3, conv3s);
        let conv4s = conv(&self.conv4s, self.pool.forward(conv3.clone()));
        let conv4 = conv(&self.conv4, conv4s);
        let conv5s = conv(&self.conv5s, self.pool.forward(conv4.clone()));
        let conv5 = conv(&self.conv5, conv5s);
        let center = self.center.forward(self.pool.forward(conv5.clone()), form);
        let dec5 = self.dec5.forward(Tensor::cat(vec![center, conv5], 1), form);
        let dec4 = self.dec4.forward(Tensor::cat(vec![dec5, conv4], 1), form);
        let dec3 = self.dec3.forward(Tensor::cat(vec![dec4, conv3], 1), form);
        let dec2 = self.dec2.forward(Tensor::cat(vec![dec3, conv2], 1), form);
        let dec1 = conv(&self.dec1, Tensor::cat(vec![dec2, conv1], 1));
        self.final_conv.forward(dec1).cast(FloatDType::F32)
    }

    /// The network with every weight and bias stored as `dtype`.
    ///
    /// `FloatDType::F16` stores and computes in f16 (11 significant bits, PyTorch's TF32
    /// convolutions keep the same): on an H200 through wgpu about half the time of f32, logits
    /// within ~5e-4. `Flex32` (f32 in memory, f16 allowed inside matrix products) ran exactly as
    /// f32 there (logits within 1e-7, the same time): cubecl did not narrow those products.
    pub fn with_precision(self, dtype: FloatDType) -> Self {
        struct CastWeights(FloatDType);
        impl ModuleMapper for CastWeights {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let dtype = self.0;
                param.map(|t| t.cast(dtype))
            }
        }
        self.map(&mut CastWeights(dtype))
    }

    /// The precision the weights are stored in (f32 unless [`UNet11::with_precision`] changed it).
    pub fn precision(&self) -> FloatDType {
        self.conv1.weight.val().dtype().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conv::assert_close;

    #[test]
    fn the_baseline_has_the_published_parameter_count() {
        // spacenet6.md: 22,927,969 parameters; the PyTorch fixture script prints the same.
        assert_eq!(UNet11Config::baseline().parameter_count(), 22_927_969);
        assert_eq!(
            UNet11Config::new().with_width_divisor(16).parameter_count(),
            90_019
        );
    }

    #[test]
    fn the_layer_table_has_the_baseline_shapes() {
        let layers = UNet11Config::baseline().layers();
        let shape = |name: &str| layers.iter().find(|l| l.torch == name).map(|l| l.weight);
        assert_eq!(shape("conv1"), Some([64, 4, 3, 3]));
        assert_eq!(shape("center.block.1"), Some([512, 256, 3, 3]));
        assert_eq!(shape("dec5.block.0.conv"), Some([512, 768, 3, 3]));
        assert_eq!(shape("dec3.block.0.conv"), Some([256, 384, 3, 3]));
        assert_eq!(shape("dec2.block.1"), Some([128, 32, 3, 3]));
        assert_eq!(shape("dec1.conv"), Some([32, 96, 3, 3]));
        assert_eq!(shape("final"), Some([1, 32, 1, 1]));
        assert!(
            UNet11Config::new()
                .with_width_divisor(3)
                .validate()
                .is_err()
        );
    }

    /// The whole network gives the same logits in both forms.
    #[test]
    fn every_form_gives_the_same_logits() {
        let device = Device::flex();
        let model = UNet11Config::new().with_width_divisor(16).init(&device);
        let x = Tensor::<4>::random(
            [2, 4, 32, 64],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let want = model.forward_with(x.clone(), ConvForm::Backend);
        let got = model.forward_with(x.clone(), ConvForm::Im2col);
        assert_close(got, want.clone(), 1e-4);
        let got = model.forward_with(x, ConvForm::Banded);
        assert_close(got, want, 1e-4);
    }

    /// Narrower weights take f32 input and give f32 logits near the f32 network's: f16 keeps
    /// 11 significant bits, so through 20 layers the logits move by about 1e-3 of their size.
    #[test]
    fn a_narrower_precision_gives_f32_logits_near_the_f32_ones() {
        let device = Device::flex();
        let model = UNet11Config::new().with_width_divisor(16).init(&device);
        assert_eq!(model.precision(), FloatDType::F32);
        let x = Tensor::<4>::random(
            [1, 4, 32, 32],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let want = model.forward(x.clone());
        let half = model.with_precision(FloatDType::F16);
        assert_eq!(half.precision(), FloatDType::F16);
        let got = half.forward(x);
        assert_eq!(got.dtype(), burn::tensor::DType::F32);
        let scale = want.clone().abs().max().into_scalar::<f32>();
        let worst = (got - want).abs().max().into_scalar::<f32>();
        assert!(
            worst > 0.0,
            "f16 weights changed nothing: the cast did not happen"
        );
        assert!(
            worst < 1e-2 * scale.max(1e-3),
            "f16 logits off by {worst} (logits up to {scale})"
        );
    }

    #[test]
    fn forward_keeps_the_spatial_size() {
        let device = Device::flex();
        let model = UNet11Config::new().with_width_divisor(32).init(&device);
        let x = Tensor::<4>::zeros([2, 4, 64, 96], &device);
        assert_eq!(model.forward(x).dims(), [2, 1, 64, 96]);
    }
}
