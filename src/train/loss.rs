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
    let read = |t: Tensor<1>| -> Result<f32, TrainError> {
        let data = t
            .try_into_data()
            .map_err(|e| TrainError::Data(format!("reading the loss back: {e:?}")))?;
        let values = data
            .try_to_vec::<f32>()
            .map_err(|e| TrainError::Data(format!("the loss is not float32: {e:?}")))?;
        Ok(values.first().copied().unwrap_or(f32::NAN))
    };
    let parts = LossParts {
        total: read(total.clone().detach())?,
        dice: read(dice.detach())?,
        focal: read(focal.detach())?,
    };
    if !parts.total.is_finite() {
        return Err(TrainError::Data(format!(
            "the loss is not finite ({}): the learning rate may be too high",
            parts.total
        )));
    }
    Ok((total, parts))
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
}
