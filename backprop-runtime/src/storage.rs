//! Where a network's parameters and an optimizer's state live: inline in the struct,
//! or on the heap for networks too big for a thread's stack.
//!
//! A generated network is `Net<P = [T; PARAMS]>` and an optimizer is, for example,
//! `Adam<T, N, S = [T; N]>`. The default, an array inline in the struct, is what
//! `no_std` targets without an allocator need, and what `Net::new` builds. A network
//! of a million parameters is 4 MB of `f32`: built on the stack it overflows a thread's
//! default 2 MiB before it can be boxed. With the `alloc` feature, `Net::new_boxed`
//! and `Adam::new_boxed` build with `Box<[T; N]>` storage instead, allocated zeroed
//! and filled in place, so nothing of the network's size ever touches the stack and
//! the user writes no `unsafe`.
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use backprop_runtime::Storage;
//! let boxed: Box<[f32; 3]> = Storage::zeroed();
//! assert_eq!(*boxed.as_array(), [0.0; 3]);
//! # }
//! ```

use crate::Scalar;

#[cfg(feature = "alloc")]
use alloc::boxed::Box;

/// `N` scalars on the heap: the storage of networks built with `new_boxed`, so that
/// `Net<Boxed<f32, { Net::PARAMS }>>` names a boxed network.
#[cfg(feature = "alloc")]
pub type Boxed<T, const N: usize> = Box<[T; N]>;

/// Storage for `N` scalars: `[T; N]` inline, or `Box<[T; N]>` with the `alloc` feature.
///
/// Implement it for your own storage (a `&'static mut [T; N]` in a static buffer, say)
/// to keep a network's parameters wherever you need them.
pub trait Storage<T: Scalar, const N: usize> {
    /// Storage holding `N` zeros, built where it will live.
    fn zeroed() -> Self;

    /// Storage holding `array`.
    fn from_array(array: [T; N]) -> Self;

    /// The scalars.
    fn as_array(&self) -> &[T; N];

    /// The scalars, for changing in place.
    fn as_array_mut(&mut self) -> &mut [T; N];
}

impl<T: Scalar, const N: usize> Storage<T, N> for [T; N] {
    #[inline]
    fn zeroed() -> Self {
        [T::ZERO; N]
    }

    #[inline]
    fn from_array(array: [T; N]) -> Self {
        array
    }

    #[inline(always)]
    fn as_array(&self) -> &[T; N] {
        self
    }

    #[inline(always)]
    fn as_array_mut(&mut self) -> &mut [T; N] {
        self
    }
}

#[cfg(feature = "alloc")]
impl<T: Scalar, const N: usize> Storage<T, N> for Box<[T; N]> {
    /// Allocates the zeros directly on the heap: the array never exists on the stack.
    fn zeroed() -> Self {
        boxed_zeros()
    }

    fn from_array(array: [T; N]) -> Self {
        Box::new(array)
    }

    #[inline(always)]
    fn as_array(&self) -> &[T; N] {
        self
    }

    #[inline(always)]
    fn as_array_mut(&mut self) -> &mut [T; N] {
        self
    }
}

/// `N` zeros on the heap, through a vector, which is built in place, never on the stack.
#[cfg(feature = "alloc")]
fn boxed_zeros<T: Scalar, const N: usize>() -> Box<[T; N]> {
    let slice = alloc::vec![T::ZERO; N].into_boxed_slice();
    match slice.try_into() {
        Ok(array) => array,
        // The vector has exactly `N` elements, so the conversion cannot fail.
        Err(_) => unreachable!("a vector of N elements converts to [T; N]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_their_own_storage() {
        let mut array: [f64; 3] = Storage::zeroed();
        assert_eq!(array, [0.0; 3]);
        array.as_array_mut()[1] = 2.0;
        assert_eq!(*array.as_array(), [0.0, 2.0, 0.0]);
        assert_eq!(<[f64; 2]>::from_array([1.0, 2.0]), [1.0, 2.0]);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn boxes_are_built_on_the_heap() {
        // 64 MiB of zeros: built on the stack this would overflow the test thread.
        let mut boxed: Box<[f32; 16 << 20]> = Storage::zeroed();
        assert!(boxed.iter().all(|&x| x == 0.0));
        boxed.as_array_mut()[7] = 1.0;
        assert_eq!(boxed.as_array()[7], 1.0);
        let small: Box<[f32; 2]> = Storage::from_array([1.0, 2.0]);
        assert_eq!(*small, [1.0, 2.0]);
    }
}
