//! Eight values of a [`Scalar`] as one short vector, for the kernels whose sums must
//! stay in registers.
//!
//! The batch kernels keep blocks of sums in registers: the weight gradient's strips
//! while every sample of a block passes, the forward pass's dot products while a row
//! passes. Written over scalars, that relied on LLVM unrolling the loops over the
//! block and then rebuilding vectors from the scalar operations, and small changes
//! around a kernel (a layer's shape, a loop's form, how much was inlined around it)
//! tipped it into scalar loops over memory: W3's step at batch 32 took 13.7, 23 or 52
//! µs against 10.2 µs for three such changes to the weight gradient (x86-64-v3). Over
//! vectors, each loop is a few vector operations that LLVM has no reason to leave
//! rolled, and the sums are vector values from the start.
//!
//! `f32` is one [`wide::f32x8`] (one AVX register, two SSE ones), `f64` two
//! [`wide::f64x4`]. Each multiply-add rounds as [`Scalar::mul_add`] does, fused only
//! where the target has FMA, so a kernel over vectors sums exactly as the same kernel
//! over scalars. A type without SIMD (a future fixed-point type) can use [`Plain`].

use core::ops::Add;

use crate::Scalar;

/// Lanes in one [`Vector`].
pub const LANES: usize = 8;

/// [`LANES`] values of `T` operated on together.
pub trait Vector<T>: Copy + Add<Output = Self> {
    /// Every lane `value`.
    fn splat(value: T) -> Self;
    /// The lanes `values`.
    fn load(values: &[T; LANES]) -> Self;
    /// Writes the lanes to `out`.
    fn store(self, out: &mut [T; LANES]);
    /// `self · a + b` lane by lane, rounded as [`Scalar::mul_add`] rounds.
    fn mul_add(self, a: Self, b: Self) -> Self;

    /// The sum of the lanes `l` as the balanced tree
    /// `((l₀ + l₄) + (l₂ + l₆)) + ((l₁ + l₅) + (l₃ + l₇))`: the upper half added to the
    /// lower, then again, the shape of a vector reduction. Every implementation adds
    /// in this order, so a sum comes out the same whichever vector type took it.
    #[inline(always)]
    fn sum_lanes(self) -> T
    where
        T: Scalar,
    {
        let mut lanes = [T::ZERO; LANES];
        self.store(&mut lanes);
        tree_sum(lanes)
    }
}

/// The lanes' sum in [`Vector::sum_lanes`]'s order, one addition at a time.
#[inline(always)]
fn tree_sum<T: Scalar>(lanes: [T; LANES]) -> T {
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + e) + (c + g)) + ((b + f) + (d + h))
}

impl Vector<f32> for wide::f32x8 {
    #[inline(always)]
    fn splat(value: f32) -> Self {
        wide::f32x8::splat(value)
    }

    #[inline(always)]
    fn load(values: &[f32; LANES]) -> Self {
        wide::f32x8::from(*values)
    }

    #[inline(always)]
    fn store(self, out: &mut [f32; LANES]) {
        *out = self.to_array();
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        #[cfg(target_feature = "fma")]
        return wide::f32x8::mul_add(self, a, b);
        #[cfg(not(target_feature = "fma"))]
        return self * a + b;
    }

    /// With AVX, `wide`'s reduction, which adds in this order in registers (one
    /// vector operation per level of the tree); without, SSE's halves would pair the
    /// lanes differently, so the lanes are added one by one.
    #[inline(always)]
    fn sum_lanes(self) -> f32 {
        #[cfg(target_feature = "avx")]
        return self.reduce_add();
        #[cfg(not(target_feature = "avx"))]
        return tree_sum(self.to_array());
    }
}

/// Eight `f64` lanes as two [`wide::f64x4`]: two AVX registers, or four SSE ones.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct F64x8 {
    low: wide::f64x4,
    high: wide::f64x4,
}

impl Add for F64x8 {
    type Output = Self;

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        F64x8 {
            low: self.low + other.low,
            high: self.high + other.high,
        }
    }
}

impl Vector<f64> for F64x8 {
    #[inline(always)]
    fn splat(value: f64) -> Self {
        let half = wide::f64x4::splat(value);
        F64x8 {
            low: half,
            high: half,
        }
    }

    #[inline(always)]
    fn load(values: &[f64; LANES]) -> Self {
        let [a, b, c, d, e, f, g, h] = *values;
        F64x8 {
            low: wide::f64x4::from([a, b, c, d]),
            high: wide::f64x4::from([e, f, g, h]),
        }
    }

    #[inline(always)]
    fn store(self, out: &mut [f64; LANES]) {
        let [a, b, c, d] = self.low.to_array();
        let [e, f, g, h] = self.high.to_array();
        *out = [a, b, c, d, e, f, g, h];
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        #[cfg(target_feature = "fma")]
        return F64x8 {
            low: wide::f64x4::mul_add(self.low, a.low, b.low),
            high: wide::f64x4::mul_add(self.high, a.high, b.high),
        };
        #[cfg(not(target_feature = "fma"))]
        return F64x8 {
            low: self.low * a.low + b.low,
            high: self.high * a.high + b.high,
        };
    }
}

/// Eight lanes of any [`Scalar`] as a plain array, each operation lane by lane: the
/// [`Scalar::Vector`] of a type without SIMD support.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Plain<T>(pub [T; LANES]);

impl<T: Scalar> Add for Plain<T> {
    type Output = Self;

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        let mut sum = self.0;
        for (sum, &b) in sum.iter_mut().zip(&other.0) {
            *sum += b;
        }
        Plain(sum)
    }
}

impl<T: Scalar> Vector<T> for Plain<T> {
    #[inline(always)]
    fn splat(value: T) -> Self {
        Plain([value; LANES])
    }

    #[inline(always)]
    fn load(values: &[T; LANES]) -> Self {
        Plain(*values)
    }

    #[inline(always)]
    fn store(self, out: &mut [T; LANES]) {
        *out = self.0;
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let mut out = b.0;
        for ((out, &x), &a) in out.iter_mut().zip(&self.0).zip(&a.0) {
            *out = x.mul_add(a, *out);
        }
        Plain(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each vector operation equals the scalar one lane by lane, bit for bit.
    fn check<T: Scalar, V: Vector<T>>(values: [f64; 24]) {
        let lanes = |at: usize| -> [T; LANES] {
            core::array::from_fn(|i| T::from_f64(values[at * LANES + i]))
        };
        let (x, a, b) = (lanes(0), lanes(1), lanes(2));
        let mut out = [T::ZERO; LANES];
        V::load(&x)
            .mul_add(V::load(&a), V::load(&b))
            .store(&mut out);
        for i in 0..LANES {
            assert_eq!(
                out[i].to_f64(),
                x[i].mul_add(a[i], b[i]).to_f64(),
                "lane {i}"
            );
        }
        (V::load(&x) + V::splat(a[3])).store(&mut out);
        for i in 0..LANES {
            assert_eq!(out[i].to_f64(), (x[i] + a[3]).to_f64(), "lane {i}");
        }
        check_sum::<T, V>();
    }

    /// The lanes' sum is the tree the trait promises: lanes 0 and 4 cancel exactly
    /// in the tree's first addition, and in other orders swallow the small lanes
    /// added to them first (checked here too).
    fn check_sum<T: Scalar, V: Vector<T>>() {
        let l = [1e20, 1.0, 2.0, 3.0, -1e20, 5.0, 6.0, 7.0].map(T::from_f64);
        let [l0, l1, l2, l3, l4, l5, l6, l7] = l;
        let tree = ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7));
        let in_order = ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
        let halves = ((l0 + l2) + (l1 + l3)) + ((l4 + l6) + (l5 + l7));
        assert!(tree != in_order && tree != halves);
        assert_eq!(V::load(&l).sum_lanes().to_f64(), tree.to_f64());
    }

    #[test]
    fn vectors_compute_as_scalars() {
        // Products whose rounding differs fused and unfused, and signs mixed.
        let values: [f64; 24] =
            core::array::from_fn(|i| (1.0 + 1.0 / 3.0) * (i as f64 - 11.5) / (1.0 + i as f64));
        check::<f32, wide::f32x8>(values);
        check::<f64, F64x8>(values);
        check::<f32, Plain<f32>>(values);
        check::<f64, Plain<f64>>(values);
    }
}
