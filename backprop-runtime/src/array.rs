//! Fixed-size arrays as the parameter, input and output types of generic code.

use crate::Scalar;
use crate::optim::ParamArray;

/// A fixed-size array of scalars, `[T; N]`: the type of a network's inputs, outputs,
/// parameters and gradients.
///
/// Generic code over [`crate::Network`] cannot name `[T; N::PARAMS]` on stable Rust,
/// so the trait names these types through `Array` instead.
pub trait Array<T: Scalar>:
    Copy + AsRef<[T]> + AsMut<[T]> + core::fmt::Debug + PartialEq + ParamArray<Scalar = T>
{
    /// The number of elements.
    const LEN: usize;

    /// An array with every element set to `value`.
    fn splat(value: T) -> Self;

    /// An array of zeros (for example a gradient buffer to accumulate into).
    fn zeros() -> Self {
        Self::splat(T::ZERO)
    }
}

impl<T: Scalar, const N: usize> Array<T> for [T; N] {
    const LEN: usize = N;

    fn splat(value: T) -> Self {
        [value; N]
    }
}
