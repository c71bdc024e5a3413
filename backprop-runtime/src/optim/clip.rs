//! Gradient clipping, on a whole gradient before an optimizer's step.
//!
//! Clipping needs the whole gradient, so it goes between `backward` (or
//! `backward_batch`) and [`Optimizer::step`](super::Optimizer::step), not inside
//! `train_step`, which hands each layer's gradient to the optimizer as soon as it is
//! known.

use crate::Scalar;

/// Scales `grads` so that their Euclidean norm is at most `max_norm`, and returns the
/// norm they had (PyTorch's `clip_grad_norm_`: the factor is
/// `max_norm / (norm + 1e-6)`, applied only when below 1). A NaN or infinite gradient
/// is left as it is, and its norm returned, for the caller to see.
pub fn clip_grad_norm<T: Scalar>(grads: &mut [T], max_norm: T) -> T {
    let norm = grads.iter().fold(T::ZERO, |sum, &g| sum + g * g).sqrt();
    let factor = max_norm / (norm + T::from_f64(1e-6));
    if factor < T::ONE {
        for g in grads.iter_mut() {
            *g *= factor;
        }
    }
    norm
}

/// Limits every gradient to `[−clip, clip]` (PyTorch's `clip_grad_value_`). NaN stays.
pub fn clip_grad_value<T: Scalar>(grads: &mut [T], clip: T) {
    for g in grads.iter_mut() {
        if *g > clip {
            *g = clip;
        } else if *g < -clip {
            *g = -clip;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_clipping_scales_only_large_gradients() {
        let mut grads = [3.0f64, 4.0];
        assert_eq!(clip_grad_norm(&mut grads, 1.0), 5.0);
        // PyTorch: 1/(5 + 1e-6) of each.
        assert!((grads[0] - 3.0 / (5.0 + 1e-6)).abs() < 1e-15);
        assert!((grads[1] - 4.0 / (5.0 + 1e-6)).abs() < 1e-15);
        let mut small = [0.3f64, 0.4];
        assert_eq!(clip_grad_norm(&mut small, 1.0), 0.5);
        assert_eq!(small, [0.3, 0.4]);
        let mut bad = [f64::NAN, 1.0];
        assert!(clip_grad_norm(&mut bad, 1.0).is_nan());
    }

    #[test]
    fn value_clipping_clamps_each_gradient() {
        let mut grads = [-3.0f32, 0.5, 2.0, f32::NAN];
        clip_grad_value(&mut grads, 1.0);
        assert_eq!(&grads[..3], &[-1.0, 0.5, 1.0]);
        assert!(grads[3].is_nan());
    }
}
