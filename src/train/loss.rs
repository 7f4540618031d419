//! The SN6 baseline's loss: dice + 10 x focal, both on the logits (solaris' `TorchDiceLoss` and
//! `TorchFocalLoss` with `logits: true`, weights 1 and 10).

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::TrainError;

/// The loss of one batch and its two terms, read back for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LossParts {
    pub total: f32,
    pub dice: f32,
    pub focal: f32,
}

/// `dice + focal_weight * focal` over the batch, with
/// - dice = 1 - (2 sum(p t) + 1) / (sum(p) + sum(t) + 1), p = sigmoid(logits), over the whole
///   batch (smooth 1, as solaris);
/// - focal = mean((1 - e^-bce)^2 bce), bce the per-pixel binary cross-entropy computed from the
///   logits in the stable form max(x, 0) - x t + log(1 + e^-|x|) (gamma 2).
///
/// Returns the loss tensor (to call `backward` on) and its values.
pub fn dice_focal_loss(
    logits: Tensor<4>,
    target: Tensor<4>,
    focal_weight: f32,
) -> Result<(Tensor<1>, LossParts), TrainError> {
    let p = sigmoid(logits.clone());
    let intersection = (p.clone() * target.clone()).sum();
    let dice = intersection
        .mul_scalar(2.0)
        .add_scalar(1.0)
        .div(p.sum().add(target.clone().sum()).add_scalar(1.0))
        .neg()
        .add_scalar(1.0);
    let bce =
        logits.clone().clamp_min(0.0) - logits.clone() * target + logits.abs().neg().exp().log1p();
    let pt = bce.clone().neg().exp();
    let one_minus = pt.neg().add_scalar(1.0);
    let focal = (one_minus.clone() * one_minus * bce).mean();
    let total = dice.clone() + focal.clone().mul_scalar(focal_weight);
    let parts = read_parts(total.clone(), dice, focal)?;
    Ok((total, parts))
}

/// The SN6 winner's loss weights for the footprint, edge and contact maps (main.py:
/// `focal_weight` 1, `edge_weight` 0.25, `contact_weight` 0.1) and its weight of a target
/// pixel in the focal term (`pos_weight` 0.5).
pub const WINNER_MAP_WEIGHTS: [f32; 3] = [1.0, 0.25, 0.1];
pub const WINNER_FOCAL_WEIGHT: f32 = 1.0;
pub const WINNER_POS_WEIGHT: f32 = 0.5;

/// The winner's three-map loss: for map k, `w_k (focal_k + dice_k)` with main.py's
/// `FocalLoss2d` (gamma 2, each target pixel weighted `pos_weight`, mean over pixels) and
/// `DiceLoss` (over the batch, eps 1e-6), both on the sigmoid of the logits.
/// `logits` `[batch, >= 3, h, w]`, `targets` `[batch, 3, h, w]`.
pub fn winner_loss(
    logits: Tensor<4>,
    targets: Tensor<4>,
) -> Result<(Tensor<1>, LossParts), TrainError> {
    let [b, _, h, w] = logits.dims();
    let mut total: Option<Tensor<1>> = None;
    let (mut dice_sum, mut focal_sum): (Option<Tensor<1>>, Option<Tensor<1>>) = (None, None);
    for (k, &weight) in WINNER_MAP_WEIGHTS.iter().enumerate() {
        let x = logits.clone().narrow(1, k, 1).reshape([b * h * w]);
        let t = targets.clone().narrow(1, k, 1).reshape([b * h * w]);
        let p = sigmoid(x.clone());
        let eps = 1e-6;
        let dice = (p.clone() * t.clone())
            .sum()
            .mul_scalar(2.0)
            .add_scalar(eps)
            .div(p.sum().add(t.clone().sum()).add_scalar(eps))
            .neg()
            .add_scalar(1.0);
        let bce = x.clone().clamp_min(0.0) - x.clone() * t.clone() + x.abs().neg().exp().log1p();
        let pt = bce.clone().neg().exp();
        let one_minus = pt.neg().add_scalar(1.0);
        // 1 off the buildings, pos_weight on them.
        let pixel_weight = t.mul_scalar(WINNER_POS_WEIGHT - 1.0).add_scalar(1.0);
        let focal = (one_minus.clone() * one_minus * bce * pixel_weight).mean();
        let term =
            (focal.clone().mul_scalar(WINNER_FOCAL_WEIGHT) + dice.clone()).mul_scalar(weight);
        total = Some(match total {
            Some(t) => t + term,
            None => term,
        });
        dice_sum = Some(match dice_sum {
            Some(d) => d + dice.mul_scalar(weight),
            None => dice.mul_scalar(weight),
        });
        focal_sum = Some(match focal_sum {
            Some(f) => f + focal.mul_scalar(weight),
            None => focal.mul_scalar(weight),
        });
    }
    let (Some(total), Some(dice), Some(focal)) = (total, dice_sum, focal_sum) else {
        return Err(TrainError::Data("no maps to learn".into()));
    };
    let parts = read_parts(total.clone(), dice, focal)?;
    Ok((total, parts))
}

/// The loss and its terms read back; an error when the loss is not finite.
fn read_parts(
    total: Tensor<1>,
    dice: Tensor<1>,
    focal: Tensor<1>,
) -> Result<LossParts, TrainError> {
    let parts = LossParts {
        total: read_scalar(total)?,
        dice: read_scalar(dice)?,
        focal: read_scalar(focal)?,
    };
    if !parts.total.is_finite() {
        return Err(TrainError::Data(format!(
            "the loss is not finite ({}): the learning rate may be too high",
            parts.total
        )));
    }
    Ok(parts)
}

/// A one-value tensor read back.
fn read_scalar(t: Tensor<1>) -> Result<f32, TrainError> {
    let data = t
        .detach()
        .try_into_data()
        .map_err(|e| TrainError::Data(format!("reading the loss back: {e:?}")))?;
    let values = data
        .try_to_vec::<f32>()
        .map_err(|e| TrainError::Data(format!("the loss is not float32: {e:?}")))?;
    Ok(values.first().copied().unwrap_or(f32::NAN))
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;

    /// The same formulas in plain f64 on a handful of values, the reference for the tensor code.
    fn reference(logits: &[f64], target: &[f64]) -> (f64, f64) {
        let p: Vec<f64> = logits.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        let inter: f64 = p.iter().zip(target).map(|(a, b)| a * b).sum();
        let dice =
            1.0 - (2.0 * inter + 1.0) / (p.iter().sum::<f64>() + target.iter().sum::<f64>() + 1.0);
        let focal: f64 = logits
            .iter()
            .zip(target)
            .map(|(&x, &t)| {
                let pr = 1.0 / (1.0 + (-x).exp());
                let bce = -(t * pr.ln() + (1.0 - t) * (1.0 - pr).ln());
                (1.0 - (-bce).exp()).powi(2) * bce
            })
            .sum::<f64>()
            / logits.len() as f64;
        (dice, focal)
    }

    #[test]
    fn matches_the_plain_formulas() {
        let logits = [-3.0, -0.5, 0.0, 0.7, 2.5, 8.0, -8.0, 1.5];
        let target = [0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let device = Device::flex();
        let l = Tensor::<4>::from_data(
            TensorData::new(logits.map(|v| v as f32).to_vec(), [2, 1, 2, 2]),
            &device,
        );
        let t = Tensor::<4>::from_data(
            TensorData::new(target.map(|v| v as f32).to_vec(), [2, 1, 2, 2]),
            &device,
        );
        let (_, parts) = dice_focal_loss(l, t, 10.0).unwrap();
        let (dice, focal) = reference(&logits, &target);
        assert!(
            (f64::from(parts.dice) - dice).abs() < 1e-5,
            "{} vs {dice}",
            parts.dice
        );
        assert!(
            (f64::from(parts.focal) - focal).abs() < 1e-5,
            "{} vs {focal}",
            parts.focal
        );
        assert!((f64::from(parts.total) - (dice + 10.0 * focal)).abs() < 1e-4);
    }

    #[test]
    fn its_gradient_points_towards_the_target() {
        let device = Device::flex().autodiff();
        let l = Tensor::<4>::from_data(TensorData::new(vec![0.0f32; 4], [1, 1, 2, 2]), &device)
            .require_grad();
        let t = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 0.0, 1.0, 0.0], [1, 1, 2, 2]),
            &device,
        );
        let (loss, _) = dice_focal_loss(l.clone(), t, 10.0).unwrap();
        let grads = loss.backward();
        let g = l
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert!(
            g[0] < 0.0 && g[2] < 0.0,
            "raise the logits of buildings: {g:?}"
        );
        assert!(g[1] > 0.0 && g[3] > 0.0, "lower the others: {g:?}");
    }

    /// main.py's FocalLoss2d and DiceLoss in plain f64 (its formulas: sigmoid, clamp to
    /// [1e-6, 1 - 1e-6], pt, -(1 - pt)^2 log(pt) x weight, mean; dice with eps 1e-6), the
    /// three maps weighted 1, 0.25, 0.1.
    #[test]
    fn the_winner_s_loss_is_main_py_s() {
        let device = Device::flex();
        let (b, h, w) = (2usize, 3usize, 4usize);
        let n = b * h * w;
        let logits: Vec<f32> = (0..6 * n)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.4)
            .collect();
        let targets: Vec<f32> = (0..3 * n)
            .map(|i| f32::from(u8::from(i * 7 % 5 < 2)))
            .collect();
        let lt = Tensor::<4>::from_data(TensorData::new(logits.clone(), [b, 6, h, w]), &device);
        let tt = Tensor::<4>::from_data(TensorData::new(targets.clone(), [b, 3, h, w]), &device);
        let (_, parts) = winner_loss(lt, tt).unwrap();
        let mut want = 0.0f64;
        for k in 0..3 {
            let (mut xs, mut ts) = (Vec::new(), Vec::new());
            for bi in 0..b {
                for i in 0..h * w {
                    xs.push(f64::from(logits[(bi * 6 + k) * h * w + i]));
                    ts.push(f64::from(targets[(bi * 3 + k) * h * w + i]));
                }
            }
            let eps = 1e-6;
            let p: Vec<f64> = xs.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
            let focal = p
                .iter()
                .zip(&ts)
                .map(|(&o, &t)| {
                    let (o, tc) = (o.clamp(eps, 1.0 - eps), t.clamp(eps, 1.0 - eps));
                    let pt = (1.0 - tc) * (1.0 - o) + tc * o;
                    let weight = if t > 0.0 { 0.5 } else { 1.0 };
                    -(1.0 - pt).powi(2) * pt.ln() * weight
                })
                .sum::<f64>()
                / p.len() as f64;
            let inter: f64 = p.iter().zip(&ts).map(|(a, b)| a * b).sum();
            let dice =
                1.0 - (2.0 * inter + eps) / (p.iter().sum::<f64>() + ts.iter().sum::<f64>() + eps);
            want += [1.0, 0.25, 0.1][k] * (focal + dice);
        }
        // The clamp to 1e-6 moves the focal term of confident pixels by ~1e-6.
        assert!(
            (f64::from(parts.total) - want).abs() < 1e-4,
            "{} vs {want}",
            parts.total
        );
    }
}
