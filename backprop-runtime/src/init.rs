//! Deterministic parameter initialization.
//!
//! `new(seed)` on a generated network calls [`init_params`], which draws every weight
//! from one [`SplitMix64`] stream in canonical parameter order and sets every bias to
//! zero. A uniform draw uses only integer arithmetic, IEEE multiplication and a square
//! root (which IEEE 754 rounds exactly); a normal draw adds libm's `log` and `cos`,
//! which are pure Rust and the same code on every target. So the same seed gives
//! bit-identical parameters on every platform, with or without `std`. That stream is
//! part of the API: changing it is a breaking change.

use crate::{Layer, Scalar};

/// How a layer's weights are drawn. Every scheme but `Zeros` is zero-mean and scaled to
/// keep the variance of activations steady from layer to layer; `mlp!` picks one per
/// layer from its activation, and the spec clause `; init NAME` overrides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// He (Kaiming) uniform, the default ahead of the ReLU family: `U(−√(6/fan_in),
    /// √(6/fan_in))`, variance `2/fan_in` (Keras's `he_uniform`, PyTorch's
    /// `kaiming_uniform_` with `nonlinearity='relu'`).
    HeUniform,
    /// He (Kaiming) normal: `N(0, 2/fan_in)` (PyTorch's `kaiming_normal_`).
    HeNormal,
    /// Glorot (Xavier) uniform, the default ahead of `sigmoid`, `tanh`, `softmax`, the
    /// hard and soft saturating functions and `identity`: `U(−√(6/(fan_in+fan_out)),
    /// √(6/(fan_in+fan_out)))` (PyTorch's `xavier_uniform_`).
    GlorotUniform,
    /// Glorot (Xavier) normal: `N(0, 2/(fan_in+fan_out))` (PyTorch's `xavier_normal_`).
    GlorotNormal,
    /// LeCun normal, the default ahead of `selu`: `N(0, 1/fan_in)` (not truncated).
    LecunNormal,
    /// Every weight zero (biases are always zero).
    Zeros,
}

impl Init {
    /// For a uniform scheme, the half-width `limit` of the interval `(−limit, limit)`
    /// the weights come from; for a normal one, the standard deviation; 0 for `Zeros`.
    pub fn limit(self, fan_in: usize, fan_out: usize) -> f64 {
        let (numerator, denominator) = match self {
            Init::HeUniform => (6.0, fan_in),
            Init::HeNormal => (2.0, fan_in),
            Init::GlorotUniform => (6.0, fan_in + fan_out),
            Init::GlorotNormal => (2.0, fan_in + fan_out),
            Init::LecunNormal => (1.0, fan_in),
            Init::Zeros => (0.0, 1),
        };
        libm::sqrt(numerator / denominator.max(1) as f64)
    }

    /// One weight for a layer of `fan_in` inputs and `fan_out` units.
    pub fn draw(self, rng: &mut SplitMix64, fan_in: usize, fan_out: usize) -> f64 {
        let scale = self.limit(fan_in, fan_out);
        match self {
            Init::HeUniform | Init::GlorotUniform => rng.uniform(scale),
            Init::HeNormal | Init::GlorotNormal | Init::LecunNormal => rng.normal() * scale,
            Init::Zeros => 0.0,
        }
    }
}

/// The SplitMix64 generator (Steele, Lea, Flood 2014): 64 bits of state, statistically
/// strong enough for initialization, and trivially the same everywhere.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose stream is fixed by `seed`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform draw from `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw from `[−limit, limit)`.
    pub fn uniform(&mut self, limit: f64) -> f64 {
        (2.0 * self.next_f64() - 1.0) * limit
    }

    /// A standard normal draw, by the Box–Muller transform of two uniform draws (the
    /// cosine half; the sine half is not kept, so each draw takes two from the stream).
    pub fn normal(&mut self) -> f64 {
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let radius = libm::sqrt(-2.0 * libm::log(1.0 - self.next_f64()));
        let angle = 2.0 * core::f64::consts::PI * self.next_f64();
        radius * libm::cos(angle)
    }
}

/// Fills `params` for the network described by `layers`: layer by layer, the weights
/// (row-major) drawn by the layer's [`Init`] from one stream seeded by `seed`, then
/// the biases set to zero.
///
/// Parameters beyond what `layers` describe are left as they are; layers beyond the
/// end of `params` are ignored.
pub fn init_params<T: Scalar>(params: &mut [T], layers: &[Layer], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let mut slots = params.iter_mut();
    for layer in layers {
        for slot in slots.by_ref().take(layer.inputs * layer.outputs) {
            *slot = T::from_f64(layer.init.draw(&mut rng, layer.inputs, layer.outputs));
        }
        for slot in slots.by_ref().take(layer.outputs) {
            *slot = T::ZERO;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(inputs: usize, outputs: usize, init: Init, weights: usize) -> Layer {
        let biases = weights + inputs * outputs;
        Layer {
            inputs,
            outputs,
            activation: "relu",
            init,
            weights,
            biases,
        }
    }

    #[test]
    fn splitmix_matches_reference_stream() {
        // First outputs for seed 1234567 from the reference C implementation
        // (prng.di.unimi.it/splitmix64.c).
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
        assert_eq!(rng.next_u64(), 9817491932198370423);
    }

    #[test]
    fn uniform_draws_stay_in_range_and_are_centered() {
        let mut rng = SplitMix64::new(7);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let v = rng.uniform(0.5);
            assert!((-0.5..0.5).contains(&v));
            sum += v;
        }
        assert!((sum / 10_000.0).abs() < 0.01);
    }

    #[test]
    fn normal_draws_have_the_right_moments_and_a_fixed_stream() {
        let mut rng = SplitMix64::new(11);
        let draws: [f64; 20_000] = core::array::from_fn(|_| rng.normal());
        let mean = draws.iter().sum::<f64>() / 20_000.0;
        let variance = draws.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / 20_000.0;
        assert!(
            mean.abs() < 0.02 && (variance - 1.0).abs() < 0.03,
            "{mean} {variance}"
        );
        // The stream is part of the API: its first draws for seed 11, as an independent
        // Python transcription of SplitMix64 and Box–Muller computes them
        // (`math.sqrt(-2*math.log(1-u1))*math.cos(2*math.pi*u2)`).
        let mut rng = SplitMix64::new(11);
        assert_eq!(
            [rng.normal(), rng.normal()],
            [-0.06767644169287002, -1.4250432791837673]
        );
        let layers = [layer(50, 40, Init::HeNormal, 0)];
        let mut params = [0.0f64; 2040];
        init_params(&mut params, &layers, 3);
        let weights = &params[..2000];
        let variance = weights.iter().map(|w| w * w).sum::<f64>() / 2000.0;
        assert!((variance - 2.0 / 50.0).abs() < 0.004, "{variance}");
        let zeros = [layer(3, 2, Init::Zeros, 0)];
        let mut params = [1.0f32; 8];
        init_params(&mut params, &zeros, 3);
        assert_eq!(params, [0.0; 8]);
    }

    #[test]
    fn limits_follow_the_schemes() {
        assert_eq!(Init::LecunNormal.limit(4, 7), 0.5);
        assert_eq!(Init::GlorotNormal.limit(1, 1), 1.0);
        assert_eq!(Init::HeNormal.limit(8, 1), 0.5);
        assert_eq!(Init::HeUniform.limit(6, 99), 1.0);
        assert_eq!(Init::GlorotUniform.limit(2, 4), 1.0);
        assert!(Init::HeUniform.limit(0, 0).is_finite());
    }

    #[test]
    fn fills_weights_in_range_and_zeroes_biases() {
        let layers = [
            layer(2, 3, Init::HeUniform, 0),
            layer(3, 1, Init::GlorotUniform, 9),
        ];
        let mut params = [f64::NAN; 13];
        init_params(&mut params, &layers, 42);
        let he = Init::HeUniform.limit(2, 3);
        assert!(params[..6].iter().all(|w| w.abs() < he && *w != 0.0));
        assert_eq!(&params[6..9], &[0.0; 3]);
        let glorot = Init::GlorotUniform.limit(3, 1);
        assert!(params[9..12].iter().all(|w| w.abs() < glorot));
        assert_eq!(params[12], 0.0);
    }

    #[test]
    fn same_seed_same_params_other_seed_other_params() {
        let layers = [layer(4, 4, Init::GlorotUniform, 0)];
        let (mut a, mut b, mut c) = ([0f32; 20], [0f32; 20], [0f32; 20]);
        init_params(&mut a, &layers, 1);
        init_params(&mut b, &layers, 1);
        init_params(&mut c, &layers, 2);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn mismatched_lengths_do_not_panic() {
        let layers = [layer(4, 4, Init::HeUniform, 0)];
        let mut short = [9.0f32; 3];
        init_params(&mut short, &layers, 1);
        let mut long = [9.0f32; 30];
        init_params(&mut long, &layers, 1);
        assert_eq!(long[29], 9.0);
    }
}
