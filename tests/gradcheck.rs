//! Finite-difference gradient checks: every activation × loss pair, several depths and
//! widths, in f64 and f32.
//!
//! Each network is generated twice from one spec, in f64 and in f32, and checked on
//! inputs and targets drawn from a fixed seed:
//! - f64: `backward` against central differences, error below 1e-6;
//! - f32: `backward` against f32 central differences, error below [`F32_TOLERANCE`];
//! - f32 against f64: the f32 `backward` against the f64 one on the same (f32-rounded)
//!   parameters, error below [`F32_VS_F64_TOLERANCE`]: the f32 code computes the same
//!   gradient, to f32 precision;
//! - blocks: `backward_block` on three samples against `backward` on each, in f64.
//!
//! Central differences are meaningless within a step of a kink, so samples that put a
//! pre-activation that close to a kink (0 for the relus and elu, ±1 for hard_tanh, ±3
//! for hard_sigmoid) or an output error that close to one of the losses' (0 for mae and
//! huber, δ = 0.5 and 1 for huber) are drawn again.

use backprop::gradcheck::{GradCheckConfig, gradcheck_with};
use backprop::init::SplitMix64;
use backprop::{Array, Network, Scalar, Trace, mlp};

/// Central differences in f32 have a rounding error of about ε·|L|/h ≈ 2.4e-5·|L| with
/// the default step h = ∛ε ≈ 4.9e-3, which the 1e-3 floor turns into a few 1e-2 for a
/// loss of about 1; the check scales it by `max(|L|, 1)`, as that error does (a
/// cross-entropy over 12 classes is about 2.5).
const F32_TOLERANCE: f64 = 5e-2;
/// f32 carries about 7 significant digits; a few dozen roundings in a deep network's
/// backward pass leave about 5.
const F32_VS_F64_TOLERANCE: f64 = 1e-4;
/// Networks checked per spec.
const SAMPLES: usize = 5;

/// An array of `A`'s length with elements drawn uniformly from `[low, high)`.
fn draw<T: Scalar, A: Array<T>>(rng: &mut SplitMix64, low: f64, high: f64) -> A {
    let mut array = A::zeros();
    for value in array.as_mut() {
        *value = T::from_f64(low + (high - low) * rng.next_f64());
    }
    array
}

/// `from` converted element by element to another scalar type.
fn convert<T: Scalar, U: Scalar, A: Array<T>, B: Array<U>>(from: &A) -> B {
    let mut to = B::zeros();
    for (to, from) in to.as_mut().iter_mut().zip(from.as_ref()) {
        *to = U::from_f64(from.to_f64());
    }
    to
}

/// Where an activation's derivative jumps.
fn kinks(activation: &str) -> &'static [f64] {
    match activation {
        "relu" | "leaky_relu" | "elu" => &[0.0],
        "hard_tanh" => &[-1.0, 1.0],
        "hard_sigmoid" => &[-3.0, 3.0],
        _ => &[],
    }
}

/// Whether any pre-activation is within `margin` of its activation's kinks, or any
/// output error's magnitude within `margin` of one of `loss_kinks`.
fn near_kink<N: Network>(
    net: &N,
    x: &N::Input,
    t: &N::Output,
    loss_kinks: &[f64],
    margin: f64,
) -> bool {
    let trace = net.forward_trace(x);
    let near = |value: f64, kinks: &[f64]| kinks.iter().any(|k| (value - k).abs() < margin);
    let activations = (1..=N::Trace::LAYERS).any(|layer| {
        let kinks = kinks(N::layers()[layer - 1].activation);
        let z = trace.pre_activation(layer).unwrap_or(&[]);
        z.iter().any(|z| near(z.to_f64(), kinks))
    });
    let y = net.forward(x);
    let errors = y.as_ref().iter().zip(t.as_ref());
    let loss = errors.into_iter().any(|(y, t)| {
        let e = (y.to_f64() - t.to_f64()).abs();
        near(e, loss_kinks)
    });
    activations || loss
}

/// The error of `got` against `want` as gradcheck measures it, worst over all entries.
fn worst_error(got: &[f32], want: &[f64], floor: f64) -> f64 {
    let errors = got.iter().zip(want).map(|(&g, &w)| {
        let g = f64::from(g);
        (g - w).abs() / g.abs().max(w.abs()).max(floor)
    });
    errors.fold(0.0, f64::max)
}

fn check<N64, N32>(name: &str, loss_kinks: &[f64])
where
    N64: Network<Scalar = f64>,
    N32: Network<Scalar = f32>,
{
    let config64 = GradCheckConfig::for_scalar::<f64>();
    let config32 = GradCheckConfig::for_scalar::<f32>();
    let mut rng = SplitMix64::new(2026);
    let mut checked = 0;
    for seed in 0..100 {
        // Round the parameters through f32 so both networks are the same network.
        let net32 = N32::new(seed);
        let net64 = N64::from_params(convert(net32.params()));
        let x64: N64::Input = draw(&mut rng, -1.0, 1.0);
        let mut t64: N64::Output = draw(&mut rng, 0.05, 0.95);
        if N64::layers()
            .last()
            .is_some_and(|l| l.activation == "softmax")
        {
            // A softmax's targets are a distribution over its classes.
            let total: f64 = t64.as_ref().iter().sum();
            t64.as_mut().iter_mut().for_each(|t| *t /= total);
        }
        let (x32, t32): (N32::Input, N32::Output) = (convert(&x64), convert(&t64));
        if near_kink(&net64, &x64, &t64, loss_kinks, 5.0 * config32.step) {
            continue;
        }
        let report = gradcheck_with(&net64, &x64, &t64, config64);
        assert!(
            report.max_error < 1e-6,
            "{name}, f64, seed {seed}: {report}"
        );
        let report = gradcheck_with(&net32, &x32, &t32, config32);
        let loss = f64::from(net32.loss(&x32, &t32).to_f64().abs().max(1.0) as f32);
        assert!(
            report.max_error < F32_TOLERANCE * loss,
            "{name}, f32, seed {seed}: {report}"
        );
        let (mut grads32, mut grads64) = (N32::Params::zeros(), N64::Params::zeros());
        net32.backward(&x32, &t32, &mut grads32);
        net64.backward(&x64, &t64, &mut grads64);
        let error = worst_error(grads32.as_ref(), grads64.as_ref(), config64.floor);
        assert!(
            error < F32_VS_F64_TOLERANCE,
            "{name}, f32 vs f64, seed {seed}: {error:e}"
        );
        check_block(&net64, &mut rng, name);
        checked += 1;
        if checked == SAMPLES {
            return;
        }
    }
    panic!("{name}: only {checked} of 100 samples were away from every kink");
}

/// `backward_block` over three samples (batch kernels for every layer) against
/// `backward` on each: the same summed loss and gradient, to rounding.
fn check_block<N: Network<Scalar = f64>>(net: &N, rng: &mut SplitMix64, name: &str) {
    let samples: [(N::Input, N::Output); 3] =
        core::array::from_fn(|_| (draw(rng, -1.0, 1.0), draw(rng, 0.05, 0.95)));
    let mut block = N::Params::zeros();
    let xs = samples.each_ref().map(|(x, _)| x);
    let targets = samples.each_ref().map(|(_, t)| t);
    let block_loss = net.backward_block(xs, targets, &mut block);
    let mut each = N::Params::zeros();
    let loss: f64 = samples
        .iter()
        .map(|(x, t)| net.backward(x, t, &mut each))
        .sum();
    assert!(
        (block_loss - loss).abs() <= 1e-12 * loss.abs().max(1.0),
        "{name}: block loss"
    );
    for (b, e) in block.as_ref().iter().zip(each.as_ref()) {
        assert!(
            (b - e).abs() <= 1e-12 * b.abs().max(e.abs()).max(1.0),
            "{name}: block gradient"
        );
    }
}

/// A test checking the network `$spec` (a spec body without `scalar`), avoiding samples
/// whose output errors lie near `$kinks`, where the loss's derivative jumps.
macro_rules! gradcheck_test {
    ($($test:ident: [$($spec:tt)*] $(kinks [$($kinks:expr),*])?,)*) => {$(
        #[test]
        fn $test() {
            mlp!(Net64<$($spec)*; scalar f64>);
            mlp!(Net32<$($spec)*; scalar f32>);
            let kinks: &[f64] = &[$($($kinks),*)?];
            check::<Net64, Net32>(stringify!($test), kinks);
        }
    )*};
}

gradcheck_test! {
    identity_mse: [3 => identity 4 => identity 2; loss mse],
    identity_half_sse: [3 => linear 4 => linear 2; loss half_sse],
    relu_mse: [3 => relu 4 => relu 2; loss mse],
    relu_half_sse: [3 => relu 4 => relu 2; loss half_sse],
    sigmoid_mse: [3 => sigmoid 4 => sigmoid 2; loss mse],
    sigmoid_half_sse: [3 => sigmoid 4 => sigmoid 2; loss half_sse],
    tanh_mse: [3 => tanh 4 => tanh 2; loss mse],
    tanh_half_sse: [3 => tanh 4 => tanh 2; loss half_sse],

    single_unit_sigmoid: [1 => sigmoid 1; loss mse],
    single_unit_relu: [1 => relu 1; loss half_sse],
    wide_tanh: [8 => tanh 16 => identity 3; loss mse],
    wide_output_sigmoid: [2 => sigmoid 3 => sigmoid 9; loss half_sse],
    deep_relu: [5 => relu 8 => relu 6 => relu 6 => relu 4 => identity 2; loss mse],
    deep_tanh: [4 => tanh 6 => tanh 6 => tanh 6 => tanh 6 => tanh 1; loss half_sse],
    deep_sigmoid: [3 => sigmoid 5 => sigmoid 5 => sigmoid 5 => sigmoid 2; loss mse],
    mixed: [4 => relu 6 => tanh 5 => sigmoid 3 => linear 2; loss mse],
    xor_seed_shape: [2 => relu 2 => sigmoid 1; loss half_sse],
}

// The same checks on kernel layers (`codegen kernels`, and `auto` past the cost model's
// threshold), through every activation and loss, and across both transitions between
// the forms: a kernel layer feeding an unrolled one and the other way round.
gradcheck_test! {
    kernels_identity_mse: [3 => identity 4 => identity 2; loss mse; codegen kernels],
    kernels_relu_half_sse: [3 => relu 4 => relu 2; loss half_sse; codegen kernels],
    kernels_sigmoid_mse: [3 => sigmoid 4 => sigmoid 2; loss mse; codegen kernels],
    kernels_tanh_half_sse: [3 => tanh 4 => tanh 2; loss half_sse; codegen kernels],
    kernels_wide: [19 => tanh 13 => relu 9 => sigmoid 5; loss mse; codegen kernels],
    auto_kernel_then_unrolled: [40 => tanh 12 => relu 5 => identity 3; loss mse],
    auto_unrolled_then_kernel: [3 => relu 10 => tanh 40 => identity 2; loss half_sse],
    auto_kernel_output: [9 => tanh 30 => sigmoid 20; loss mse],
}

// Every activation of the vocabulary, with and without parameters, unrolled and as
// kernels; at the default step the f64 check sees the smooth ones to 1e-6.
gradcheck_test! {
    leaky_relu_mse: [3 => leaky_relu 4 => leaky_relu(0.2) 2; loss mse],
    elu_mse: [3 => elu 4 => elu(0.5) 2; loss mse],
    selu_mse: [3 => selu 4 => selu 2; loss half_sse],
    gelu_mse: [3 => gelu 4 => gelu 2; loss mse],
    gelu_tanh_mse: [3 => gelu_tanh 4 => gelu_tanh 2; loss mse],
    silu_mse: [3 => silu 4 => swish 2; loss mse],
    softplus_mse: [3 => softplus 4 => softplus 2; loss mse],
    softsign_mse: [3 => softsign 4 => softsign 2; loss mse],
    hard_sigmoid_mse: [3 => hard_sigmoid 4 => hard_sigmoid 2; loss mse],
    hard_tanh_mse: [3 => hard_tanh 4 => hard_tanh 2; loss mse],
    kernels_every_activation: [
        6 => leaky_relu(0.1) 5 => elu(0.7) 5 => selu 5 => gelu 5 => gelu_tanh 5 => silu 5
          => softplus 5 => softsign 5 => hard_sigmoid 5 => hard_tanh 4;
        loss mse; codegen kernels
    ],
}

// Every loss, on the output layer each fits, unrolled and as kernels.
gradcheck_test! {
    mae_identity: [3 => tanh 4 => identity 3; loss mae] kinks [0.0],
    l1_sigmoid: [3 => tanh 4 => sigmoid 2; loss l1] kinks [0.0],
    huber_default: [3 => tanh 4 => identity 3; loss huber] kinks [1.0],
    huber_half: [3 => relu 5 => identity 2; loss huber(0.5)] kinks [0.5],
    bce_sigmoid: [3 => tanh 4 => sigmoid 3; loss bce],
    bce_single_output: [4 => relu 6 => sigmoid 1; loss bce],
    cross_entropy_softmax: [3 => tanh 5 => softmax 4; loss cross_entropy],
    cross_entropy_wide: [30 => relu 20 => softmax 12; loss cross_entropy],
    softmax_with_mse: [3 => tanh 4 => softmax 3; loss mse],
    softmax_with_half_sse_kernels: [3 => relu 4 => softmax 3; loss half_sse; codegen kernels],
    kernels_cross_entropy: [9 => gelu 8 => softmax 5; loss cross_entropy; codegen kernels],
    kernels_bce: [9 => elu 8 => sigmoid 3; loss bce; codegen kernels],
    kernels_huber: [9 => silu 8 => identity 3; loss huber(0.5); codegen kernels] kinks [0.5],
}
