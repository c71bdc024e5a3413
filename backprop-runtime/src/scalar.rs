//! The element type of a network and the math the generated code needs from it.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A number type networks compute in: `f32` (the default) or `f64`.
///
/// The generated code only uses the arithmetic operators and these methods, so a
/// fixed-point type can implement it to run networks on targets without an FPU (with
/// [`vector::Plain`](crate::vector::Plain) as its [`Vector`](Scalar::Vector)).
pub trait Scalar:
    Copy
    + Default
    + Debug
    + Display
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + 'static
{
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;
    /// The machine epsilon: the gap between 1 and the next representable value.
    const EPSILON: Self;
    /// Bytes of one value in memory and in files.
    const BYTES: usize;
    /// The type's name in safetensors headers: `F32`, `F64`.
    const DTYPE: &'static str;
    /// Eight values of the type as one SIMD vector, for the kernels that keep sums in
    /// registers: `wide::f32x8` for `f32`, [`F64x8`](crate::vector::F64x8) for
    /// `f64`, or [`Plain`](crate::vector::Plain) for a type without SIMD.
    type Vector: crate::vector::Vector<Self>;

    /// Writes the value's little-endian bytes to the start of `out`; false (and nothing
    /// written) if `out` is shorter than [`Self::BYTES`].
    fn write_le(self, out: &mut [u8]) -> bool;
    /// The value whose little-endian bytes start `bytes`, if there are enough.
    fn read_le(bytes: &[u8]) -> Option<Self>;

    /// Converts from `f64`, rounding to the nearest representable value.
    fn from_f64(value: f64) -> Self;
    /// Converts to `f64` (exact for `f32` and `f64`).
    fn to_f64(self) -> f64;
    /// `e` raised to `self`.
    fn exp(self) -> Self;
    /// The hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `e` raised to `self`, allowed a few ulp of error for speed: for `f32`,
    /// [`crate::fastmath::exp`]; by default, [`Scalar::exp`].
    fn fast_exp(self) -> Self {
        self.exp()
    }
    /// The hyperbolic tangent, allowed a few ulp of error for speed: for `f32`,
    /// [`crate::fastmath::tanh`]; by default, [`Scalar::tanh`].
    fn fast_tanh(self) -> Self {
        self.tanh()
    }
    /// The square root (NaN for negative inputs).
    fn sqrt(self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near zero.
    fn ln_1p(self) -> Self;
    /// `e^self − 1`, accurate near zero.
    fn exp_m1(self) -> Self;
    /// The error function, `erf(x) = 2/√π ∫₀ˣ e^(−t²) dt` (libm's on every platform).
    fn erf(self) -> Self;
    /// The absolute value.
    fn abs(self) -> Self;
    /// `self · a + b`: one fused multiply-add where the target has an FMA unit
    /// (`target_feature = "fma"`, as with `-C target-cpu=x86-64-v3`), a multiply and an
    /// add elsewhere, where a software `fma` would cost far more than it gains.
    fn mul_add(self, a: Self, b: Self) -> Self;
}

/// -1, 0 or 1 by the sign of `x`; 0 and NaN give themselves, so NaN propagates.
#[inline(always)]
pub(crate) fn sign<T: Scalar>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        x
    }
}

/// Implements [`Scalar`] for a float type, with the platform's math under `std` and
/// libm otherwise (libm is slower on some targets but needs no operating system).
macro_rules! impl_float {
    ($t:ty, $vector:ty, $dtype:literal, $exp:path, $tanh:path, $sqrt:path, $fma:path, $ln:path, $ln_1p:path, $exp_m1:path,
     $erf:path $(, $fast_exp:path, $fast_tanh:path)?) => {
        impl Scalar for $t {
            $(
                #[inline(always)]
                fn fast_exp(self) -> Self {
                    $fast_exp(self)
                }

                #[inline(always)]
                fn fast_tanh(self) -> Self {
                    $fast_tanh(self)
                }
            )?

            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const BYTES: usize = core::mem::size_of::<$t>();
            const DTYPE: &'static str = $dtype;
            type Vector = $vector;

            #[inline]
            fn write_le(self, out: &mut [u8]) -> bool {
                let bytes = self.to_le_bytes();
                match out.get_mut(..bytes.len()) {
                    Some(out) => {
                        out.copy_from_slice(&bytes);
                        true
                    }
                    None => false,
                }
            }

            #[inline]
            fn read_le(bytes: &[u8]) -> Option<Self> {
                let bytes = bytes.first_chunk()?;
                Some(<$t>::from_le_bytes(*bytes))
            }

            #[inline(always)]
            fn from_f64(value: f64) -> Self {
                value as $t
            }

            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }

            #[inline(always)]
            fn exp(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::exp(self);
                #[cfg(not(feature = "std"))]
                return $exp(self);
            }

            #[inline(always)]
            fn tanh(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::tanh(self);
                #[cfg(not(feature = "std"))]
                return $tanh(self);
            }

            #[inline(always)]
            fn sqrt(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::sqrt(self);
                #[cfg(not(feature = "std"))]
                return $sqrt(self);
            }

            #[inline(always)]
            fn ln(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::ln(self);
                #[cfg(not(feature = "std"))]
                return $ln(self);
            }

            #[inline(always)]
            fn ln_1p(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::ln_1p(self);
                #[cfg(not(feature = "std"))]
                return $ln_1p(self);
            }

            #[inline(always)]
            fn exp_m1(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::exp_m1(self);
                #[cfg(not(feature = "std"))]
                return $exp_m1(self);
            }

            #[inline(always)]
            fn erf(self) -> Self {
                $erf(self)
            }

            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }

            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                #[cfg(all(feature = "std", target_feature = "fma"))]
                return <$t>::mul_add(self, a, b);
                #[cfg(all(not(feature = "std"), target_feature = "fma"))]
                return $fma(self, a, b);
                #[cfg(not(target_feature = "fma"))]
                return self * a + b;
            }
        }
    };
}

impl_float!(
    f32,
    wide::f32x8,
    "F32",
    libm::expf,
    libm::tanhf,
    libm::sqrtf,
    libm::fmaf,
    libm::logf,
    libm::log1pf,
    libm::expm1f,
    libm::erff,
    crate::fastmath::exp,
    crate::fastmath::tanh
);
impl_float!(
    f64,
    crate::vector::F64x8,
    "F64",
    libm::exp,
    libm::tanh,
    libm::sqrt,
    libm::fma,
    libm::log,
    libm::log1p,
    libm::expm1,
    libm::erf
);

#[cfg(test)]
mod tests {
    use super::Scalar;

    #[test]
    fn math_matches_known_values() {
        assert_eq!(<f64 as Scalar>::exp(0.0), 1.0);
        assert!((<f64 as Scalar>::exp(1.0) - core::f64::consts::E).abs() < 1e-15);
        assert!((<f64 as Scalar>::tanh(0.5) - 0.46211715726000974).abs() < 1e-15);
        assert_eq!(<f32 as Scalar>::sqrt(9.0), 3.0);
        assert_eq!(<f32 as Scalar>::abs(-2.5), 2.5);
        assert_eq!(<f32 as Scalar>::from_f64(0.1), 0.1f32);
        assert_eq!(Scalar::to_f64(0.5f32), 0.5);
        assert_eq!(Scalar::mul_add(3.0f64, 4.0, 5.0), 17.0);
        assert_eq!(Scalar::mul_add(-0.5f32, 2.0, 1.0), 0.0);
        assert!((<f64 as Scalar>::ln(core::f64::consts::E) - 1.0).abs() < 1e-15);
        let mut bytes = [0u8; 5];
        assert!(Scalar::write_le(1.5f32, &mut bytes));
        assert_eq!(bytes, [0, 0, 0xc0, 0x3f, 0]);
        assert_eq!(<f32 as Scalar>::read_le(&bytes), Some(1.5));
        assert_eq!(<f64 as Scalar>::read_le(&bytes), None);
        assert!(!Scalar::write_le(1.5f64, &mut bytes));
        assert_eq!(<f64 as Scalar>::ln_1p(1e-20), 1e-20);
        assert_eq!(<f64 as Scalar>::exp_m1(1e-20), 1e-20);
        // erf(0.5) = 0.5204998778130465 (Abramowitz & Stegun, table 7.1).
        assert!((<f64 as Scalar>::erf(0.5) - 0.520_499_877_813_046_5).abs() < 1e-15);
    }
}
