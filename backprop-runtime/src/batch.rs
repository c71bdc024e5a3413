//! What the batch methods of [`crate::Network`] need beyond the network: their error,
//! and class labels as targets.

use crate::{Array, Scalar};

/// Why a batch method did nothing: its slices do not describe one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// The inputs and the targets (or outputs) have different lengths.
    LengthMismatch {
        /// How many inputs were given.
        inputs: usize,
        /// How many targets, outputs or class labels were given.
        targets: usize,
    },
    /// A class label is not below the number of outputs.
    ClassOutOfRange {
        /// The sample whose label it is.
        sample: usize,
        /// The label.
        class: usize,
        /// The number of classes: the network's outputs.
        classes: usize,
    },
}

impl core::fmt::Display for BatchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            BatchError::LengthMismatch { inputs, targets } => write!(
                f,
                "a batch of {inputs} inputs was given {targets} targets; give one per input"
            ),
            BatchError::ClassOutOfRange {
                sample,
                class,
                classes,
            } => write!(
                f,
                "sample {sample} has class {class}, but the network has {classes} classes \
                 (0 to {})",
                classes.saturating_sub(1)
            ),
        }
    }
}

impl core::error::Error for BatchError {}

/// The one-hot target for class `class`: 1 at that index, 0 elsewhere, or `None` when
/// the class is not below the array's length.
///
/// ```
/// use backprop_runtime::one_hot;
/// assert_eq!(one_hot::<f32, [f32; 3]>(1), Some([0.0, 1.0, 0.0]));
/// assert_eq!(one_hot::<f32, [f32; 3]>(3), None);
/// ```
pub fn one_hot<T: Scalar, A: Array<T>>(class: usize) -> Option<A> {
    let mut target = A::zeros();
    *target.as_mut().get_mut(class)? = T::ONE;
    Some(target)
}

/// The index of the largest value: the predicted class of a classifier's output. The
/// first of equal values wins; NaN is never the largest; an empty slice gives 0.
///
/// ```
/// use backprop_runtime::argmax;
/// assert_eq!(argmax(&[0.1f32, 0.7, 0.2]), 1);
/// ```
pub fn argmax<T: Scalar>(values: &[T]) -> usize {
    let mut best = 0;
    for (index, value) in values.iter().enumerate() {
        if values
            .get(best)
            .is_none_or(|b| value > b || b.partial_cmp(b).is_none())
        {
            best = index;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_largest_and_skips_nan() {
        assert_eq!(argmax(&[1.0f64, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[f64::NAN, 0.5, 0.2]), 1);
        assert_eq!(argmax::<f32>(&[]), 0);
    }

    #[cfg(feature = "std")]
    #[test]
    fn errors_say_what_was_wrong() {
        use std::string::ToString;
        let length = BatchError::LengthMismatch {
            inputs: 4,
            targets: 3,
        };
        assert_eq!(
            length.to_string(),
            "a batch of 4 inputs was given 3 targets; give one per input"
        );
        let class = BatchError::ClassOutOfRange {
            sample: 2,
            class: 10,
            classes: 10,
        };
        assert_eq!(
            class.to_string(),
            "sample 2 has class 10, but the network has 10 classes (0 to 9)"
        );
    }
}
