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

    /// An array of zeros on the heap. For `[T; N]` it is allocated zeroed and never
    /// exists on the stack, so that a gradient buffer for a network bigger than a
    /// thread's stack can be made on any thread.
    #[cfg(feature = "alloc")]
    fn boxed_zeros() -> alloc::boxed::Box<Self> {
        alloc::boxed::Box::new(Self::zeros())
    }
}

impl<T: Scalar, const N: usize> Array<T> for [T; N] {
    const LEN: usize = N;

    fn splat(value: T) -> Self {
        [value; N]
    }

    #[cfg(feature = "alloc")]
    fn boxed_zeros() -> alloc::boxed::Box<Self> {
        <alloc::boxed::Box<Self> as crate::Storage<T, N>>::zeroed()
    }
}
